"""The extraction job runner: many documents, bounded concurrency, cache, resume, cost, log.

`run_job` is what ``abstraction extract`` calls.  It

- discovers the inputs (bad ones become per-document failures, the job goes on);
- runs `concurrency` workers; each loads a document, splits it if it is longer than the
  context budget, looks every part up in the content-addressed cache, extracts the misses and
  merges the parts, then hands the writing (new cache entries, then ``<out_dir>/<id>.json``,
  atomically and fsynced) to a thread and takes the next document: the document is recorded
  once its files are written, and at most `concurrency` documents wait for their writes;
- sends every HTTP call through a `JobTransport` (retries, Retry-After) that logs it to the run
  store and meters its tokens for the document being processed;
- stops taking new documents once `max_cost` is spent (documents in flight finish, so the
  overshoot is bounded by what `concurrency` documents cost), and on Ctrl-C stops at once:
  files are written atomically, so either way a re-run resumes where this one stopped.

The job itself (workers, writes, stopping) is `abstraction.jobs.job.Job`; this module opens the
run store, the client and the run, and holds the entry points.

Library code: progress goes to the `progress` callback, nothing is printed.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import signal
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from abstraction.client import ModelConfig
from abstraction.client.config import refuse_unenforced_patterns
from abstraction.core.documents import Document
from abstraction.core.errors import ConfigError
from abstraction.core.prompts import PromptSpec
from abstraction.core.records import Extraction
from abstraction.core.redact import redact_text, redact_url
from abstraction.core.schema import SCHEMA_VERSION
from abstraction.jobs.inputs import discover
from abstraction.jobs.job import Extractor, Job, check_out_dir
from abstraction.jobs.outcomes import (
    JobIdentity,
    JobOptions,
    JobSummary,
    ProgressCallback,
    ProgressUpdate,
)
from abstraction.jobs.prices import load_prices
from abstraction.jobs.store import CallRow, RunStore, default_store_path
from abstraction.jobs.transport import JobTransport

__all__ = [
    "JobIdentity",
    "JobOptions",
    "JobSummary",
    "ProgressCallback",
    "ProgressUpdate",
    "arun_documents",
    "arun_job",
    "identity_for",
    "run_job",
    "with_transport",
]

# ---------------------------------------------------------------------------------------------
# Entry points


def identity_for(prompt: PromptSpec, described: dict[str, Any]) -> JobIdentity:
    """The cache identity of (prompt, model), from the open client's `describe()`: the model's
    name and, for the embedded model, its file hash; the structured-output mode."""
    model = str(described.get("model", "unknown"))
    sha = described.get("model_sha256")
    return JobIdentity(
        prompt_version=prompt.version,
        prompt_sha256=prompt.sha256,
        model=f"{model}@{sha}" if sha else model,
        endpoint=redact_url(str(described.get("endpoint", "unknown"))),
        structured_output=str(described.get("structured", "unknown")),
        settings=prompt.settings_dict(),
        not_extracted=tuple(prompt.not_extracted()),
    )


def with_transport(model_config: ModelConfig, transport: JobTransport) -> ModelConfig:
    """A copy of the client config that sends its HTTP through `transport`, which does the
    retrying (so the SDK's own retries are turned off: they would multiply)."""
    return dataclasses.replace(model_config, http_transport=transport, http_retries=0)


def call_logger(store: RunStore, run_id: str) -> Callable[[dict[str, Any]], None]:
    def on_call(call: dict[str, Any]) -> None:
        store.add_call(CallRow(run_id=run_id, **call))

    return on_call


def start_run(store: RunStore, identity: JobIdentity, *, out_dir: Path, **fields: Any) -> str:
    """Open a run in the store with the identity's columns; `fields` adds the caller's own
    (concurrency and budget for a live job, the command and problems for `batch collect`)."""
    return store.start_run(
        out_dir=str(out_dir),
        prompt_version=identity.prompt_version,
        prompt_sha256=identity.prompt_sha256,
        schema_version=SCHEMA_VERSION,
        model=identity.model,
        endpoint=identity.endpoint,
        settings=identity.settings,
        **fields,
    )


async def arun_documents(
    inputs: Sequence[str | Path],
    *,
    extract: Extractor,
    identity: JobIdentity,
    out_dir: Path,
    store: RunStore,
    transport: JobTransport | None = None,
    concurrency: int = 4,
    max_cost: float | None = None,
    progress: ProgressCallback | None = None,
    options: JobOptions = JobOptions(),
    job_holder: list[Job] | None = None,
) -> JobSummary:
    """Run a job with a given extractor (the seam tests and `batch collect` use)."""
    prices = options.prices or load_prices()
    if max_cost is not None and prices.price(identity.model.split("@")[0]) is None:
        raise ConfigError(
            f"--max-cost needs a price for model {identity.model!r}: add it to the price table "
            f"({prices.source}) or pass --prices FILE"
        )
    sources = discover(inputs, exclude=out_dir)
    check_out_dir(out_dir)
    run_id = start_run(store, identity, out_dir=out_dir, concurrency=concurrency, max_cost=max_cost)
    if transport is not None:
        transport.on_call = call_logger(store, run_id)
    job = Job(
        sources,
        extract=extract,
        identity=identity,
        out_dir=out_dir,
        store=store,
        run_id=run_id,
        concurrency=concurrency,
        max_cost=max_cost,
        options=dataclasses.replace(options, prices=prices),
        progress=progress,
    )
    if job_holder is not None:
        job_holder.append(job)
    try:
        return await job.run()
    except Exception as exc:  # a bug of ours: the run must not stay 'running'
        with contextlib.suppress(Exception):
            note = redact_text(f"{type(exc).__name__}: {exc}")
            store.finish_run(run_id, status="failed", note=note)
        raise


async def arun_job(
    inputs: Sequence[str | Path],
    *,
    out_dir: Path,
    prompt: PromptSpec,
    model_config: ModelConfig,
    concurrency: int = 4,
    max_cost: float | None = None,
    store_path: Path | None = None,
    progress: ProgressCallback | None = None,
    options: JobOptions = JobOptions(),
    job_holder: list[Job] | None = None,
) -> JobSummary:
    """Extract every input document with the model client; see `run_job`."""
    from abstraction.client import open_client
    from abstraction.extraction import aextract_document

    check_out_dir(out_dir)
    refuse_unenforced_patterns(
        model_config.resolved_structured(),
        prompt.version,
        prompt.pattern_passes,
    )
    transport = JobTransport(policy=options.retry, log_bodies=options.log_bodies)
    with (
        RunStore(store_path or default_store_path(out_dir) or out_dir / "runs.db") as store,
        open_client(with_transport(model_config, transport)) as client,
        _terminate_cancels(),
    ):
        identity = identity_for(prompt, client.describe())

        async def extract(doc: Document) -> Extraction:
            return await aextract_document(doc, prompt=prompt, client=client)

        try:
            return await arun_documents(
                inputs,
                extract=extract,
                identity=identity,
                out_dir=out_dir,
                store=store,
                transport=transport,
                concurrency=concurrency,
                max_cost=max_cost,
                progress=progress,
                options=options,
                job_holder=job_holder,
            )
        finally:
            if hasattr(client, "aclose"):
                await client.aclose()


@contextlib.contextmanager
def _terminate_cancels() -> Any:
    """SIGTERM (``kill``, a scheduler's stop) ends the job as Ctrl-C does: writes under way
    finish, every written document is recorded, the run is closed as interrupted.  Python's
    default would end the process at once, losing the run log's queued rows."""
    task = asyncio.current_task()
    if task is None or threading.current_thread() is not threading.main_thread():
        yield
        return
    loop = asyncio.get_running_loop()
    try:
        loop.add_signal_handler(signal.SIGTERM, task.cancel)
    except (NotImplementedError, RuntimeError):  # not on this platform or loop
        yield
        return
    try:
        yield
    finally:
        loop.remove_signal_handler(signal.SIGTERM)


def run_job(
    inputs: Sequence[str | Path],
    *,
    out_dir: Path,
    prompt: PromptSpec,
    model_config: ModelConfig,
    concurrency: int = 4,
    max_cost: float | None = None,
    store_path: Path | None = None,
    progress: ProgressCallback | None = None,
    options: JobOptions = JobOptions(),
) -> JobSummary:
    """Run an extraction job to the end, to the budget, or to Ctrl-C (or SIGTERM); never
    raises for a document's failure.  After Ctrl-C the summary has ``stopped="interrupted"``;
    after an error that stops every document (a full disk) ``stopped="failed"`` and `error`.

    The run store is `store_path`, else ``$ABSTRACTION_RUNS_DB``, else ``<out_dir>/runs.db``.
    Raises `UserError` before any model call when `out_dir` cannot be written, or when the
    prompt needs a pattern enforced that `model_config`'s structured mode cannot (a
    ``copy_words`` prompt with ``json_object``)."""
    holder: list[Job] = []
    try:
        return asyncio.run(
            arun_job(
                inputs,
                out_dir=out_dir,
                prompt=prompt,
                model_config=model_config,
                concurrency=concurrency,
                max_cost=max_cost,
                store_path=store_path,
                progress=progress,
                options=options,
                job_holder=holder,
            )
        )
    except (KeyboardInterrupt, asyncio.CancelledError):
        if not holder:
            raise
        holder[0].summary.stopped = "interrupted"
        return holder[0].summary
