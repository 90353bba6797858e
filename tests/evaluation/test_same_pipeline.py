"""`abstraction eval` measures the path `abstraction extract` ships: a long document is split
into the same parts and each part is asked the same requests.

Both commands run against the embedded model's configuration (its context decides the parts);
the client is a stand-in that records every request and answers each pass with empty sections,
so no model is needed and nothing is recorded to disk.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from abstraction.cli.main import app
from abstraction.client.openai_client import ChatResult
from abstraction.core.records import Usage
from abstraction.core.schema import empty_case_report

REPO = Path(__file__).resolve().parents[2]
LONG = REPO / "seeds" / "case11_myeloma_long.txt"


class RecordingStandIn:
    """Records each request (the messages and settings sent) and answers with empty sections."""

    def __init__(self) -> None:
        self.requests: list[str] = []

    def _answer(self, request: dict[str, Any]) -> ChatResult:
        self.requests.append(
            json.dumps(
                {"messages": request["messages"], "settings": repr(request["settings"])},
                sort_keys=True,
            )
        )
        model = request["response_model"]
        empty = empty_case_report().model_dump()
        value = model.model_validate({k: empty[k] for k in model.model_fields if k in empty})
        usage = Usage(prompt_tokens=10, completion_tokens=5, total_tokens=15, calls=1)
        return ChatResult(value=value, raw_text="{}", usage=usage, attempts=1, seconds=0.0)

    def complete(self, **request: Any) -> ChatResult:
        return self._answer(request)

    async def acomplete(self, **request: Any) -> ChatResult:
        return self._answer(request)

    def describe(self) -> dict[str, Any]:
        return {"model": "stand-in", "endpoint": "stand-in", "structured": "llguidance"}

    def documents(self) -> list[str]:
        """The document text of each request, in order."""
        texts = []
        for raw in self.requests:
            user = json.loads(raw)["messages"][-1]["content"]
            texts.append(user.split("<document>\n", 1)[1].split("\n</document>", 1)[0])
        return texts


@pytest.fixture
def stand_in(monkeypatch: pytest.MonkeyPatch) -> Iterator[RecordingStandIn]:
    client = RecordingStandIn()

    @contextlib.contextmanager
    def open_client(config: Any) -> Iterator[RecordingStandIn]:
        assert config.is_local, "both commands run for the embedded model here"
        yield client

    monkeypatch.setattr("abstraction.client.open_client", open_client)
    monkeypatch.setattr("abstraction.cli.evaluate._open_client", open_client)
    yield client


def test_eval_splits_a_long_document_exactly_as_extract_does(
    tmp_path: Path, stand_in: RecordingStandIn
) -> None:
    runner = CliRunner()
    out = tmp_path / "out"
    extracted = runner.invoke(
        app, ["extract", str(LONG), "--out", str(out), "--prompt", "v1", "--model", "local"]
    )
    assert extracted.exit_code == 0, extracted.output
    by_extract = list(stand_in.requests)
    stand_in.requests.clear()

    suite = tmp_path / "long.toml"
    suite.write_text(
        f'documents = ["{LONG.as_posix()}"]\ngold = "{(REPO / "gold").as_posix()}"\n',
        encoding="utf-8",
    )
    evaluated = runner.invoke(app, ["eval", str(suite), "--prompt", "v1", "--model", "local"])
    assert evaluated.exit_code == 0, evaluated.output
    by_eval = list(stand_in.requests)

    assert by_eval == by_extract, "eval sends what extract sends, in the same order"
    texts = stand_in.documents()
    parts = list(dict.fromkeys(texts))
    assert len(parts) >= 2, "the document is longer than one part for the embedded model"
    assert all(len(p) < len(LONG.read_text(encoding="utf-8")) for p in parts)
    written = json.loads((out / f"{LONG.stem}.json").read_text())
    assert len(written["provenance"]["parts"]) == len(parts)
