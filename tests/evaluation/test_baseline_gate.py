"""The committed suite, replayed from its recordings, must not fall below its baselines.

Runs `abstraction eval SUITE --replay --check-baseline --engine E` for every suite and prompt
version with a committed baseline (``eval/baselines/<suite>/<version>.json``), one run per engine
the recordings came from (the baseline's ``engine``; none named: llama-cpp-python's server, which
served every recording made before engines were named).  Skipped until baselines exist;
recordings come only from real model calls (`--record`), never from this test.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from abstraction.cli import evaluate

REPO = Path(__file__).resolve().parents[2]
BASELINES = REPO / "eval" / "baselines"
SUITES = sorted(d.name for d in BASELINES.glob("*") if any(d.glob("*.json")))


@pytest.mark.skipif(not SUITES, reason="no committed baselines yet")
@pytest.mark.parametrize("suite", SUITES or ["none"])
def test_suite_replays_at_or_above_its_baselines(
    monkeypatch: pytest.MonkeyPatch, suite: str
) -> None:
    monkeypatch.chdir(REPO)
    app = typer.Typer()
    evaluate.register(app)
    by_engine: dict[str, list[str]] = defaultdict(list)
    for path in sorted((BASELINES / suite).glob("*.json")):
        engine = json.loads(path.read_text()).get("engine") or "llama-cpp-python"
        by_engine[engine].append(path.stem)
    for engine, versions in sorted(by_engine.items()):
        args = ["eval", suite, "--replay", "--check-baseline", "--engine", engine]
        for v in versions:
            args += ["--prompt", v]
        result = CliRunner().invoke(app, args)
        assert result.exception is None or isinstance(result.exception, SystemExit), (
            result.exception
        )
        assert result.exit_code == 0, f"{engine}: {result.output}"
        assert "baseline check passed" in result.output
