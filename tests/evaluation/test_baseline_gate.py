"""The committed suite, replayed from its recordings, must not fall below its baselines.

Runs `abstraction eval SUITE --replay --check-baseline` for every suite and prompt version with a
committed baseline (``eval/baselines/<suite>/<version>.json``).  Skipped until baselines exist;
recordings come only from real model calls (`--record`), never from this test.
"""

from __future__ import annotations

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
    args = ["eval", suite, "--replay", "--check-baseline"]
    for v in sorted(p.stem for p in (BASELINES / suite).glob("*.json")):
        args += ["--prompt", v]
    result = CliRunner().invoke(app, args)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 0, result.output
    assert "baseline check passed" in result.output
