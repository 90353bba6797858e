from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.jobs.conftest import RunningServer, start_server

ROOT = Path(__file__).resolve().parents[1]
SEED_ID = "000_8682481a1554b25b"

os.environ.setdefault("ABSTRACTION_DEBUG", "1")


@pytest.fixture
def seed_text() -> str:
    return (ROOT / "seeds" / f"{SEED_ID}.txt").read_text("utf-8")


@pytest.fixture
def root() -> Path:
    return ROOT


@pytest.fixture
def stand_in(monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningServer]:
    """The fault server as the configured endpoint (OPENAI_BASE_URL, key, model name), for
    tests that drive the public API or `abstraction eval` without a model."""
    server = start_server()
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "stand-in")
    monkeypatch.setenv("ABSTRACTION_MODEL", "fault-model")
    try:
        yield server
    finally:
        server.proc.terminate()
        server.proc.wait(timeout=5)
