"""A job in its own process, for the kill -9 tests: ``python -m tests.jobs.job_child INPUT OUT
BASE_URL|local CONCURRENCY``.  Prints the summary counts as JSON when it finishes."""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path

from abstraction.client.config import ModelConfig
from abstraction.core.prompts import load_prompt
from abstraction.jobs.runner import JobOptions, run_job
from abstraction.jobs.transport import RetryPolicy

ROOT = Path(__file__).resolve().parents[2]


def main() -> None:
    # Ctrl-C as a terminal sends it, even when the test run was started with SIGINT ignored
    # (a background job of a non-interactive shell), which the child would inherit
    signal.signal(signal.SIGINT, signal.default_int_handler)
    inputs, out, endpoint, concurrency = sys.argv[1:5]
    if endpoint == "local":
        config = ModelConfig(model="local")
    else:
        config = ModelConfig(model="fault-model", base_url=endpoint, api_key="test", timeout=5.0)
    summary = run_job(
        [inputs],
        out_dir=Path(out),
        prompt=load_prompt("v1", ROOT / "prompts"),
        model_config=config,
        concurrency=int(concurrency),
        store_path=Path(out) / "runs.db",
        options=JobOptions(retry=RetryPolicy(max_attempts=4, backoff_base=0.01)),
    )
    counts = {s: summary.count(s) for s in ("ok", "cached", "failed", "skipped")}
    figures = {"run_id": summary.run_id, "calls": summary.calls, "stopped": summary.stopped}
    print(json.dumps({**figures, **counts}), flush=True)


if __name__ == "__main__":
    main()
