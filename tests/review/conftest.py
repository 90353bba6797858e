from __future__ import annotations

from pathlib import Path

import pytest
from starlette.testclient import TestClient

from abstraction.review.app import create_app
from abstraction.review.store import RunStore
from tests.review.browser import chromium
from tests.review.seed_run import make_seed_run

BASE = "http://127.0.0.1:8765"
WRITE = {"X-Review-Client": "1"}
TOKEN = "test-session-token-0123456789abcdef"


@pytest.fixture
def run(tmp_path: Path) -> Path:
    return make_seed_run(tmp_path)


@pytest.fixture
def store(run: Path) -> RunStore:
    return RunStore(run)


@pytest.fixture
def client(store: RunStore) -> TestClient:
    return TestClient(create_app(store, token=TOKEN), base_url=f"{BASE}/{TOKEN}")


def save(client: TestClient, doc_id: str, version: int, *changes: dict, reviewer: str = "ann"):
    return client.post(
        f"/api/docs/{doc_id}/edits",
        json={"reviewer": reviewer, "reason": "test", "changes": list(changes)},
        headers={**WRITE, "If-Match": f'"{version}"'},
    )


@pytest.fixture(scope="module")
def browser():
    """Debian's headless Chromium, one per browser-test module (they skip when it is absent)."""
    with chromium() as b:
        yield b


@pytest.fixture
def page(browser):
    """A fresh page; the test fails on any JavaScript error the page raised."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert errors == [], errors
