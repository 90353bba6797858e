"""The committed suite, replayed from its recordings, must not fall below its baselines.

Runs `abstraction eval core --replay --check-baseline` for every prompt version with a committed
baseline (``eval/baselines/core/<version>.json``).  Skipped until baselines are committed;
recordings come only from real model calls (`--record`), never from this test.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from abstraction.cli import evaluate

REPO = Path(__file__).resolve().parents[2]
BASELINES = REPO / "eval" / "baselines" / "core"
VERSIONS = sorted(p.stem for p in BASELINES.glob("*.json"))


@pytest.mark.skipif(not VERSIONS, reason="no committed baselines for the core suite yet")
def test_core_suite_replays_at_or_above_its_baselines(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    app = typer.Typer()
    evaluate.register(app)
    args = ["eval", "core", "--replay", "--check-baseline"]
    for v in VERSIONS:
        args += ["--prompt", v]
    result = CliRunner().invoke(app, args)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 0, result.output
    assert "baseline check passed" in result.output
