"""Extraction jobs: inputs, chunking and merging, cache, run store, runner, batch files.

Sits above `abstraction.extraction` and below the CLI; it never imports a model SDK: model
calls go through `abstraction.client`, with this package's `JobTransport` plugged in below it.
"""

from abstraction.jobs.runner import (
    JobOptions,
    JobSummary,
    ProgressUpdate,
    arun_job,
    run_job,
)

__all__ = ["JobOptions", "JobSummary", "ProgressUpdate", "arun_job", "run_job"]
