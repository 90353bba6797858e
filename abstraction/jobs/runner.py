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

Library code: progress goes to the `progress` callback, nothing is printed.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import time
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import abstraction
from abstraction.core.documents import Document
from abstraction.core.errors import ConfigError, EndpointError
from abstraction.core.prompts import PromptSpec
from abstraction.core.records import DocumentInfo, Extraction, Failure, Provenance, Usage
from abstraction.core.schema import SCHEMA_VERSION
from abstraction.extraction.output import write_extraction
from abstraction.jobs.cache import (
    Cache,
    cache_key,
    dump_extraction,
    remove_stale_temps,
)
from abstraction.jobs.chunking import ChunkSettings, part_document, plan_parts
from abstraction.jobs.inputs import InputError, InputLimits, Source, discover, load
from abstraction.jobs.merge import document_info, locate_evidence, merge_extractions, now_iso
from abstraction.jobs.prices import PriceTable, load_prices
from abstraction.jobs.store import CallRow, DocumentRow, RunStore, default_store_path
from abstraction.jobs.transport import CURRENT_METER, CallMeter, JobTransport, RetryPolicy

Extractor = Callable[[Document], Awaitable[Extraction]]
Writer = Callable[[], Path]
"""Writes a document's files (in a worker thread) and returns its output's path."""
DocStatus = Literal["ok", "cached", "failed", "skipped"]


@dataclass(frozen=True)
class JobIdentity:
    """What decides an extraction's result besides the text: the cache key's other half."""

    prompt_version: str
    prompt_sha256: str
    model: str
    endpoint: str
    structured_output: str
    settings: dict[str, Any]
    not_extracted: tuple[str, ...] = ()
    """`PromptSpec.not_extracted`: given to cache entries written before extractions said it
    (the prompt's hash is in the key, so it is the same prompt's answer), and to a fresh
    extraction whose extractor does not say, so that both write the same bytes."""

    def key(self, document_sha256: str) -> str:
        return cache_key(
            document_sha256=document_sha256,
            prompt_sha256=self.prompt_sha256,
            model=self.model,
            settings={"structured_output": self.structured_output, **self.settings},
        )


@dataclass(frozen=True)
class JobOptions:
    """Everything else a job can be told; the defaults suit a local or hosted model."""

    cache_dir: Path | None = None
    limits: InputLimits = field(default_factory=InputLimits)
    chunking: ChunkSettings = field(default_factory=ChunkSettings)
    prices: PriceTable | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    log_bodies: bool = True
    use_cache: bool = True


@dataclass(frozen=True)
class ProgressUpdate:
    total: int
    done: int
    ok: int
    cached: int
    failed: int
    skipped: int
    cost: float | None
    last_id: str
    last_status: DocStatus


ProgressCallback = Callable[[ProgressUpdate], None]


@dataclass
class DocumentOutcome:
    id: str
    origin: str
    status: DocStatus
    error_kind: str | None = None
    error: str | None = None
    output: str | None = None
    parts: int = 0
    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float | None = 0.0
    seconds: float = 0.0
    sha256: str | None = None
    chars: int | None = None
    cache_key: str | None = None

    def row(self) -> DocumentRow:
        """The run store's row for this outcome (shared by live jobs and `batch collect`)."""
        return DocumentRow(
            doc_id=self.id,
            origin=self.origin,
            status=self.status,
            error_kind=self.error_kind,
            error=self.error,
            output=self.output,
            parts=self.parts or None,
            calls=self.calls,
            prompt_tokens=self.prompt_tokens,
            completion_tokens=self.completion_tokens,
            cost=self.cost,
            seconds=round(self.seconds, 4),
            sha256=self.sha256,
            chars=self.chars,
            cache_key=self.cache_key,
        )


@dataclass
class JobSummary:
    run_id: str
    store_path: Path
    out_dir: Path
    total: int
    outcomes: list[DocumentOutcome] = field(default_factory=list)
    seconds: float = 0.0
    stopped: Literal["budget", "interrupted", "failed"] | None = None

    def count(self, status: DocStatus) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def failures(self) -> list[DocumentOutcome]:
        return [o for o in self.outcomes if o.status == "failed"]

    @property
    def calls(self) -> int:
        return sum(o.calls for o in self.outcomes)

    @property
    def prompt_tokens(self) -> int:
        return sum(o.prompt_tokens for o in self.outcomes)

    @property
    def completion_tokens(self) -> int:
        return sum(o.completion_tokens for o in self.outcomes)

    @property
    def cost(self) -> float | None:
        """Dollars spent, or None when a model used had no price in the table."""
        costs = [o.cost for o in self.outcomes]
        return None if any(c is None for c in costs) else sum(c for c in costs if c is not None)


def _meter_cost(meter: CallMeter, prices: PriceTable, fallback_model: str) -> float | None:
    if not meter.models:
        if meter.prompt_tokens == meter.completion_tokens == 0:
            return 0.0
        return prices.cost(fallback_model, meter.prompt_tokens, meter.completion_tokens)
    total = 0.0
    for model, (prompt, completion) in meter.models.items():
        cost = prices.cost(model, prompt, completion)
        if cost is None:
            cost = prices.cost(fallback_model, prompt, completion)
        if cost is None:
            return None
        total += cost
    return total


def failure_extraction(
    info: DocumentInfo,
    identity: JobIdentity,
    *,
    kind: str,
    message: str,
    usage: Usage | None = None,
) -> Extraction:
    """A failed record for a document that never reached (or crashed outside) the extractor."""
    now = now_iso()
    return Extraction(
        document=info,
        status="failed",
        record=None,
        error=Failure(kind=kind, message=message, attempts=usage.calls if usage else 0),
        grounding=None,
        provenance=Provenance(
            toolkit_version=abstraction.__version__,
            prompt_version=identity.prompt_version,
            prompt_sha256=identity.prompt_sha256,
            model=identity.model,
            endpoint=identity.endpoint,
            structured_output=identity.structured_output,
            settings=identity.settings,
            document_sha256=info.sha256,
            started_at=now,
            finished_at=now,
            timings={},
            usage=usage or Usage(),
            passes=[],
        ),
    )


WRITER_THREADS = 2


class Job:
    """One run over a list of sources; the state lives here so Ctrl-C can still summarise."""

    def __init__(
        self,
        sources: Sequence[Source],
        *,
        extract: Extractor,
        identity: JobIdentity,
        out_dir: Path,
        store: RunStore,
        run_id: str,
        concurrency: int,
        max_cost: float | None,
        options: JobOptions,
        progress: ProgressCallback | None,
    ) -> None:
        if concurrency < 1:
            raise ConfigError(f"concurrency must be at least 1, got {concurrency}")
        self.sources = list(sources)
        self.extract = extract
        self.identity = identity
        self.out_dir = out_dir
        self.store = store
        self.run_id = run_id
        self.concurrency = concurrency
        self.max_cost = max_cost
        self.options = options
        self.prices = options.prices or load_prices()
        self.cache = Cache(options.cache_dir or out_dir / ".cache")
        self.progress = progress
        self.summary = JobSummary(run_id, store.path, out_dir, total=len(self.sources))
        self._next = 0
        self._spent = 0.0
        self._inflight: list[CallMeter] = []
        self._t0 = time.monotonic()
        self._tasks: asyncio.TaskGroup | None = None
        self._write_slots = asyncio.Semaphore(concurrency)
        # Outputs and cache entries are written by two threads of our own, not asyncio's
        # default pool (up to six threads): at 100+ documents a second, six threads creating
        # files and fsyncing at once spend more CPU contending (for the interpreter lock, the
        # filesystem journal) than writing, and that CPU is taken from the event loop.  Two
        # keep one slow fsync (a network filesystem) from holding up every other write.
        self._writers = ThreadPoolExecutor(WRITER_THREADS, thread_name_prefix="abstraction-write")

    # -- the loop ---------------------------------------------------------------------------

    async def run(self) -> JobSummary:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        remove_stale_temps(self.out_dir)
        try:
            async with asyncio.TaskGroup() as tg:
                self._tasks = tg
                for _ in range(min(self.concurrency, max(1, len(self.sources)))):
                    tg.create_task(self._worker())
        except asyncio.CancelledError:
            self.summary.stopped = "interrupted"
            self._finish()
            raise
        except BaseExceptionGroup as group:
            fatal = _endpoint_error(group)
            if fatal is None:
                raise
            self.summary.stopped = "failed"
            self._finish(note=str(fatal))
            raise fatal from None
        finally:
            # on Ctrl-C too, every output already extracted is written before we return
            self._writers.shutdown(wait=True)
        self._skip_rest()
        self._finish()
        return self.summary

    def spent(self) -> float:
        live = (_meter_cost(m, self.prices, self.identity.model) for m in self._inflight)
        return self._spent + sum(c for c in live if c is not None)

    async def _worker(self) -> None:
        while self._next < len(self.sources):
            if self.max_cost is not None and self.spent() >= self.max_cost:
                self.summary.stopped = "budget"
                return
            source = self.sources[self._next]
            self._next += 1
            t0 = time.monotonic()
            outcome, write = await self._document(source)
            await self._write_slots.acquire()
            assert self._tasks is not None
            self._tasks.create_task(self._written(source, outcome, write, t0))

    async def _written(
        self, source: Source, outcome: DocumentOutcome, write: Writer | None, t0: float
    ) -> None:
        """Write the document's files off the event loop, then record it.  The worker has
        moved on: the fsyncs (milliseconds each) are not part of every document's cycle."""
        try:
            if write is not None:
                loop = asyncio.get_running_loop()
                outcome.output = str(await loop.run_in_executor(self._writers, write))
        finally:
            self._write_slots.release()
        outcome.seconds = time.monotonic() - t0
        self._record(source, outcome)

    def _skip_rest(self) -> None:
        if self.summary.stopped != "budget":
            return
        note = f"budget reached: ${self.spent():.4f} of ${self.max_cost:.4f} spent"
        for source in self.sources[self._next :]:
            self._record(
                source, DocumentOutcome(self._key(source), source.origin, "skipped", "budget", note)
            )
        self._next = len(self.sources)

    def _finish(self, note: str | None = None) -> None:
        self.summary.seconds = time.monotonic() - self._t0
        status = self.summary.stopped or "done"
        if self.summary.stopped == "budget":
            note = f"stopped at ${self.spent():.4f} (max ${self.max_cost})"
        self.store.finish_run(self.run_id, status=status, note=note)

    @staticmethod
    def _key(source: Source) -> str:
        """The store's document key: the id, or the origin when the id is missing or taken."""
        return source.id if source.id and source.problem_kind != "duplicate_id" else source.origin

    def _record(self, source: Source, outcome: DocumentOutcome) -> None:
        self.summary.outcomes.append(outcome)
        self.store.record_document(self.run_id, outcome.row())
        if self.progress is not None:
            s = self.summary
            self.progress(
                ProgressUpdate(
                    total=s.total,
                    done=len(s.outcomes),
                    ok=s.count("ok"),
                    cached=s.count("cached"),
                    failed=s.count("failed"),
                    skipped=s.count("skipped"),
                    cost=s.cost,
                    last_id=outcome.id,
                    last_status=outcome.status,
                )
            )

    # -- one document -----------------------------------------------------------------------

    async def _document(self, source: Source) -> tuple[DocumentOutcome, Writer | None]:
        """The outcome (its cost already counted against the budget) and what is left to
        write."""
        meter = CallMeter(self._key(source))
        token = CURRENT_METER.set(meter)
        self._inflight.append(meter)
        try:
            outcome, write = await self._extract_source(source, meter)
        finally:
            self._inflight.remove(meter)
            CURRENT_METER.reset(token)
        outcome.calls = meter.calls
        outcome.prompt_tokens = meter.prompt_tokens
        outcome.completion_tokens = meter.completion_tokens
        outcome.cost = _meter_cost(meter, self.prices, self.identity.model)
        if outcome.cost is not None:
            self._spent += outcome.cost
        return outcome, write

    async def _extract_source(
        self, source: Source, meter: CallMeter
    ) -> tuple[DocumentOutcome, Writer | None]:
        key = self._key(source)
        try:
            if source.kind in ("pdf", "jats"):  # parsing takes a while: off the event loop
                doc = await asyncio.to_thread(load, source, limits=self.options.limits)
            else:
                doc = load(source, limits=self.options.limits)
        except InputError as exc:
            return self._input_failure(source, key, exc)
        try:
            extraction, hits, parts, unit_key, fresh = await self._extract_document(doc)
        except EndpointError:  # no document can succeed: stop the job, say why
            raise
        except Exception as exc:  # a bug or an unexpected library error: isolate it
            usage = Usage(calls=meter.calls)
            extraction = failure_extraction(
                document_info(doc),
                self.identity,
                kind="error",
                message=f"{type(exc).__name__}: {exc}",
                usage=usage,
            )
            hits, parts, unit_key, fresh = 0, 1, None, []
        status: DocStatus = (
            "failed" if extraction.status != "ok" else ("cached" if hits == parts else "ok")
        )
        outcome = DocumentOutcome(
            key,
            source.origin,
            status,
            extraction.error.kind if extraction.error else None,
            extraction.error.message if extraction.error else None,
            parts=parts,
            sha256=doc.sha256,
            chars=len(doc.text),
            cache_key=unit_key,
        )
        return outcome, functools.partial(self._persist, fresh, extraction)

    def _input_failure(
        self, source: Source, key: str, exc: InputError
    ) -> tuple[DocumentOutcome, Writer | None]:
        """Record the reason; write ``<id>.json`` only when the id is the item's own."""
        outcome = DocumentOutcome(key, source.origin, "failed", f"input:{exc.kind}", str(exc))
        if not source.id or source.problem_kind in ("duplicate_id", "broken_line"):
            return outcome, None
        info = DocumentInfo(
            id=source.id, path=source.origin, sha256="", chars=0, format=source.kind
        )
        failed = failure_extraction(info, self.identity, kind="input", message=str(exc))
        return outcome, functools.partial(write_output, self.out_dir, failed)

    def _persist(self, fresh: list[tuple[str, bytes]], extraction: Extraction) -> Path:
        """New cache entries, then the output: a part's cache entry is written before the
        document's output, so a kill in between costs nothing on resume."""
        for key, data in fresh:
            self.cache.put_bytes(key, data)
        return write_output(self.out_dir, extraction)

    async def _extract_document(
        self, doc: Document
    ) -> tuple[Extraction, int, int, str | None, list[tuple[str, bytes]]]:
        """(extraction, cache hits, parts, cache key of a single-part document, new cache
        entries).  A part's cache entry is written before the document's output, so a kill in
        between costs nothing on resume."""
        parts = plan_parts(doc, self.options.chunking)
        results: list[Extraction] = []
        fresh: list[tuple[str, bytes]] = []
        hits = 0
        key = None
        for part in parts:
            unit = part_document(doc, part, len(parts))
            key = self.identity.key(unit.sha256)
            cached = self.cache.get(key) if self.options.use_cache else None
            if cached is not None:
                hits += 1
                if cached.not_extracted is None:  # an entry from before the field existed
                    cached.not_extracted = list(self.identity.not_extracted)
                results.append(cached)
                continue
            result = await self.extract(unit)
            if result.not_extracted is None:  # an extractor that does not say: the prompt's
                # list, as a cache hit would get, so a re-run writes the same bytes
                result.not_extracted = list(self.identity.not_extracted)
            if result.status == "ok":
                fresh.append((key, dump_extraction(result)))  # before `final` is changed below
            results.append(result)
        if len(parts) == 1:
            # results[0] is ours alone (parsed from the cache, or just made): no copy needed
            final = results[0]
            final.document = document_info(doc)
            if final.record is not None:
                locate_evidence(final.record, doc)
            return final, hits, 1, key, fresh
        return merge_extractions(doc, parts, results), hits, len(parts), None, fresh


def _endpoint_error(group: BaseExceptionGroup) -> EndpointError | None:
    """The first `EndpointError` in a task group's failure (the model cannot be called)."""
    for exc in group.exceptions:
        if isinstance(exc, EndpointError):
            return exc
        if isinstance(exc, BaseExceptionGroup) and (inner := _endpoint_error(exc)):
            return inner
    return None


def write_output(out_dir: Path, extraction: Extraction) -> Path:
    """``<out_dir>/<id>.json`` via `write_extraction` (atomic; a different earlier version
    goes to ``history/``), skipped when the file already holds exactly these bytes, so a cached
    re-run costs no fsync."""
    path = out_dir / f"{extraction.document.id}.json"
    data = dump_extraction(extraction)
    with contextlib.suppress(OSError):
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return path
    return write_extraction(out_dir, extraction, data=data)


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
        endpoint=str(described.get("endpoint", "unknown")),
        structured_output=str(described.get("structured", "unknown")),
        settings=prompt.settings_dict(),
        not_extracted=tuple(prompt.not_extracted()),
    )


def with_transport(model_config: Any, transport: JobTransport) -> Any:
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
    return await job.run()


async def arun_job(
    inputs: Sequence[str | Path],
    *,
    out_dir: Path,
    prompt: PromptSpec,
    model_config: Any,
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

    transport = JobTransport(policy=options.retry, log_bodies=options.log_bodies)
    with (
        RunStore(store_path or default_store_path()) as store,
        open_client(with_transport(model_config, transport)) as client,
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


def run_job(
    inputs: Sequence[str | Path],
    *,
    out_dir: Path,
    prompt: PromptSpec,
    model_config: Any,
    concurrency: int = 4,
    max_cost: float | None = None,
    store_path: Path | None = None,
    progress: ProgressCallback | None = None,
    options: JobOptions = JobOptions(),
) -> JobSummary:
    """Run an extraction job to the end, to the budget, or to Ctrl-C; never raises for a
    document's failure.  After Ctrl-C the summary has ``stopped="interrupted"``."""
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
    except KeyboardInterrupt:
        if not holder:
            raise
        holder[0].summary.stopped = "interrupted"
        return holder[0].summary
