"""What the replaying benchmarks share (support.py, leaks.py, outcomes.py): their arguments,
and a suite's extractions for some prompts, answered from the suite's recordings."""

from __future__ import annotations

import argparse

from abstraction.client import open_client, resolve_config
from abstraction.core.prompts import PromptSpec
from abstraction.evaluation.runner import VersionRun, run_suite
from abstraction.evaluation.suite import Suite


def parser(doc: str | None) -> argparse.ArgumentParser:
    """--suite and --prompt (each repeatable) and --engine."""
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--suite", action="append", required=True)
    ap.add_argument("--prompt", action="append", required=True)
    ap.add_argument("--engine", default=None, help="the engine the recordings came from")
    return ap


def replay(suite: Suite, prompts: list[PromptSpec], engine: str | None) -> list[VersionRun]:
    """Every document of `suite` extracted with each prompt from the recordings (no model runs)."""
    config = resolve_config(
        engine=engine, recording_dir=suite.recordings_dir, recording_mode="replay"
    )
    with open_client(config) as client:
        return run_suite(suite, prompts, client=client, model=config, details=False)
