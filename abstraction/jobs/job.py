"""One extraction job in flight: the `Job` class, its workers, and how a document is written.

A `Job` runs `concurrency` workers over its sources; each loads a document, splits it if it is
longer than the context budget, looks every part up in the content-addressed cache, extracts the
misses and merges the parts, then hands the writing (new cache entries, then
``<out_dir>/<id>.json``, atomically and fsynced) to a thread and takes the next document.  It
stops taking documents once `max_cost` is spent or an error every later document would hit
(a full disk) occurs.  Opening the run, the client and the store is `abstraction.jobs.runner`.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import functools
import os
import sqlite3
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from abstraction.core.documents import Document
from abstraction.core.errors import ConfigError, EndpointError, UserError
from abstraction.core.records import DocumentInfo, Extraction, Usage
from abstraction.core.redact import redact_text, redact_url
from abstraction.core.schemas import is_gold_json
from abstraction.extraction.chunking import plan_parts
from abstraction.extraction.merge import document_info
from abstraction.extraction.output import write_extraction
from abstraction.extraction.pipeline import aextract_parts
from abstraction.jobs.cache import Cache, dump_extraction, remove_stale_temps
from abstraction.jobs.inputs import InputError, Source, load
from abstraction.jobs.outcomes import (
    DocStatus,
    DocumentOutcome,
    JobIdentity,
    JobOptions,
    JobSummary,
    ProgressCallback,
    ProgressUpdate,
    failure_extraction,
    meter_cost,
)
from abstraction.jobs.prices import load_prices
from abstraction.jobs.store import RunStore
from abstraction.jobs.transport import CURRENT_METER, CallMeter

Extractor = Callable[[Document], Awaitable[Extraction]]
Writer = Callable[[], Path]
"""Writes a document's files (in a worker thread) and returns its output's path."""

DISK_ADVICE = (
    "Free space or fix the folder, then re-run the same command to resume (finished documents "
    "are kept)."
)
ENDPOINT_ADVICE = (
    "Fix the model endpoint (`abstraction doctor` checks the embedded one), then re-run the same "
    "command to resume (finished documents are kept)."
)
STOPPING_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM})
"""Write errors that every later document would hit too: the job stops instead of spending
model calls whose answers could not be kept."""


WRITER_THREADS = 2


class Job:
    """One run over a list of sources; the state lives here so Ctrl-C can still summarise.

    Every document is isolated: whatever its loading, extraction or writing raises becomes
    that document's failed outcome, and the job goes on.  Only an error that every later
    document would hit too (the output folder or the run store cannot be written: a full
    disk, a read-only mount) stops the job early, as ``stopped="failed"`` with the reason."""

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
        self._cut_short: list[tuple[Source, CallMeter]] = []
        self._t0 = time.monotonic()
        self._tasks: asyncio.TaskGroup | None = None
        self._write_slots = asyncio.Semaphore(concurrency)
        # Outputs and cache entries are written by two threads of our own, not asyncio's
        # default pool (up to six threads): at 100+ documents a second, six threads creating
        # files and fsyncing at once spend more CPU contending (for the interpreter lock, the
        # filesystem journal) than writing, and that CPU is taken from the event loop.  Two
        # keep one slow fsync (a network filesystem) from holding up every other write.
        self._writers = ThreadPoolExecutor(WRITER_THREADS, thread_name_prefix="abstraction-write")
        self._writing: dict[Future[Path], tuple[Source, DocumentOutcome, float]] = {}

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
            self._writers.shutdown(wait=True)
            self._record_cancelled_writes()
            self._record_cut_short()
            self._finish()
            raise
        finally:
            # on Ctrl-C too, every output already extracted is written before we return
            self._writers.shutdown(wait=True)
        self._skip_rest()
        self._finish()
        return self.summary

    def spent(self) -> float:
        live = (meter_cost(m, self.prices, self.identity.model) for m in self._inflight)
        return self._spent + sum(c for c in live if c is not None)

    async def _worker(self) -> None:
        while self._next < len(self.sources):
            if self.summary.stopped == "failed":
                return
            if self.max_cost is not None and self.spent() >= self.max_cost:
                self.summary.stopped = "budget"
                return
            source = self.sources[self._next]
            self._next += 1
            t0 = time.monotonic()
            try:
                outcome, write = await self._document(source)
            except Exception as exc:  # a bug of ours: still only this document's failure
                outcome, write = self._crashed(source, "error", exc), None
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
                future = self._writers.submit(write)
                self._writing[future] = (source, outcome, t0)  # for Ctrl-C: see `run`
                waited = asyncio.wrap_future(future)
                await asyncio.wait([waited])
                if not waited.cancelled():
                    waited.exception()  # read here: the error is the document's (`_wrote`), and
                    # unread it printed "Future exception was never retrieved" and a traceback
                del self._writing[future]
                self._wrote(outcome, future)
        finally:
            self._write_slots.release()
        outcome.seconds = time.monotonic() - t0
        self._record(source, outcome)

    def _wrote(self, outcome: DocumentOutcome, future: Future[Path]) -> None:
        """The output's path, or the write's error as the document's failure; an error that
        every later write would hit too stops the job."""
        error = future.exception()
        if error is None:
            outcome.output = str(future.result())
            return
        message = redact_text(f"cannot write its output: {type(error).__name__}: {error}")
        if outcome.status == "failed":  # a failure record that could not be written
            outcome.error = f"{outcome.error}; and {message}"
        else:
            outcome.status, outcome.error_kind, outcome.error = "failed", "write", message
        if isinstance(error, OSError) and error.errno in STOPPING_ERRNOS:
            self._stop(f"cannot write to {self.out_dir}: {error.strerror or error}")

    def _stop(self, reason: str, *, advice: str = DISK_ADVICE) -> None:
        if self.summary.stopped is None:
            self.summary.stopped = "failed"
            self.summary.error = f"{reason}\n{advice}"

    def _record_cancelled_writes(self) -> None:
        """After Ctrl-C: the writes that were under way have finished (the writer threads
        were joined); record them, so the run store lists every output on disk."""
        for future, (source, outcome, t0) in list(self._writing.items()):
            if future.cancelled():
                continue
            self._wrote(outcome, future)
            outcome.seconds = time.monotonic() - t0
            self._record(source, outcome)
        self._writing.clear()

    def _record_cut_short(self) -> None:
        """After Ctrl-C: each document stopped while extracting is a failure of kind
        ``interrupted``, with the calls it made, their tokens and cost (twelfth session's
        audit: three documents in flight, answered and billed, were counted nowhere: "model
        calls 0, cost $0.0000").  A re-run extracts them again."""
        for source, meter in self._cut_short:
            outcome = DocumentOutcome(
                self._key(source),
                source.origin,
                "failed",
                "interrupted",
                "stopped by Ctrl-C (or SIGTERM) while it was being extracted; re-run to resume",
            )
            outcome.calls = meter.calls
            outcome.prompt_tokens = meter.prompt_tokens
            outcome.completion_tokens = meter.completion_tokens
            outcome.cost = meter_cost(meter, self.prices, self.identity.model)
            self._record(source, outcome)
        self._cut_short.clear()

    def _skip_rest(self) -> None:
        if self.summary.stopped not in ("budget", "failed"):
            return
        if self.summary.stopped == "budget":
            kind = "budget"
            note = f"budget reached: ${self.spent():.4f} of ${self.max_cost:.4f} spent"
        else:
            kind, note = "stopped", f"not started: {self.summary.error}"
        for source in self.sources[self._next :]:
            self._record(
                source, DocumentOutcome(self._key(source), source.origin, "skipped", kind, note)
            )
        self._next = len(self.sources)

    def _finish(self) -> None:
        self.summary.seconds = time.monotonic() - self._t0
        status = self.summary.stopped or "done"
        note = self.summary.error
        if self.summary.stopped == "budget":
            note = f"stopped at ${self.spent():.4f} (max ${self.max_cost})"
        try:
            self.store.finish_run(self.run_id, status=status, note=note)
        except (sqlite3.Error, OSError) as exc:
            self._stop(f"cannot write the run store {self.store.path}: {exc}")

    @staticmethod
    def _key(source: Source) -> str:
        """The store's document key: the id, or the origin when the id is missing or taken."""
        return source.id if source.id and source.problem_kind != "duplicate_id" else source.origin

    def _record(self, source: Source, outcome: DocumentOutcome) -> None:
        self.summary.outcomes.append(outcome)
        try:
            self.store.record_document(self.run_id, outcome.row())
        except (sqlite3.Error, OSError) as exc:
            self._stop(f"cannot write the run store {self.store.path}: {exc}")
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
        except asyncio.CancelledError:
            self._cut_short.append((source, meter))  # Ctrl-C: its calls are counted in `run`
            raise
        finally:
            self._inflight.remove(meter)
            CURRENT_METER.reset(token)
        outcome.calls = meter.calls
        outcome.prompt_tokens = meter.prompt_tokens
        outcome.completion_tokens = meter.completion_tokens
        outcome.cost = meter_cost(meter, self.prices, self.identity.model)
        if outcome.cost is not None:
            self._spent += outcome.cost
        return outcome, write

    def _crashed(self, source: Source, kind: str, exc: BaseException) -> DocumentOutcome:
        message = redact_text(f"{type(exc).__name__}: {exc}")
        return DocumentOutcome(self._key(source), source.origin, "failed", kind, message)

    async def _load(self, source: Source) -> Document:
        if source.kind in ("pdf", "jats"):  # parsing takes a while: off the event loop
            return await asyncio.to_thread(load, source, limits=self.options.limits)
        return load(source, limits=self.options.limits)

    async def _extract_source(
        self, source: Source, meter: CallMeter
    ) -> tuple[DocumentOutcome, Writer | None]:
        key = self._key(source)
        try:
            doc = await self._load(source)
        except InputError as exc:
            return self._input_failure(source, key, f"input:{exc.kind}", str(exc))
        except Exception as exc:  # a reader library's crash on a hostile file
            error = redact_text(f"{source.origin}: cannot be read: {type(exc).__name__}: {exc}")
            return self._input_failure(source, key, "input:error", error)
        try:
            extraction, hits, parts, unit_key, fresh = await self._extract_document(doc)
        except EndpointError as exc:  # no document can succeed: stop the job and say why
            self._stop(str(exc), advice=ENDPOINT_ADVICE)
            note = f"not finished: {exc.kind}"
            return DocumentOutcome(key, source.origin, "skipped", "stopped", note), None
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
        _redact(extraction)
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
        self, source: Source, key: str, kind: str, message: str
    ) -> tuple[DocumentOutcome, Writer | None]:
        """Record the reason; write ``<id>.json`` only when the id is the item's own."""
        outcome = DocumentOutcome(key, source.origin, "failed", kind, message)
        if not source.id or source.problem_kind in ("duplicate_id", "broken_line"):
            return outcome, None
        info = DocumentInfo(
            id=source.id, path=source.origin, sha256="", chars=0, format=source.kind
        )
        failed = failure_extraction(info, self.identity, kind="input", message=message)
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
        fresh: list[tuple[str, bytes]] = []
        hits = 0
        key = None

        async def cached_or_extract(unit: Document) -> Extraction:
            nonlocal hits, key
            key = self.identity.key(unit.sha256)
            cached = self.cache.get(key) if self.options.use_cache else None
            if cached is not None:
                hits += 1
                if cached.not_extracted is None:  # an entry from before the field existed
                    cached.not_extracted = list(self.identity.not_extracted)
                return cached
            result = await self.extract(unit)
            if result.not_extracted is None:  # an extractor that does not say: the prompt's
                # list, as a cache hit would get, so a re-run writes the same bytes
                result.not_extracted = list(self.identity.not_extracted)
            if result.status == "ok":  # serialised before `join_parts` changes it
                fresh.append((key, dump_extraction(result)))
            return result

        final = await aextract_parts(doc, parts, cached_or_extract)
        return final, hits, len(parts), key if len(parts) == 1 else None, fresh


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


def _redact(extraction: Extraction) -> None:
    """No ``user:password@`` of an endpoint URL in what is written (provenance, errors)."""
    provenance = extraction.provenance
    if "@" in provenance.endpoint:
        provenance.endpoint = redact_url(provenance.endpoint)
    if extraction.error is not None:
        extraction.error.message = redact_text(extraction.error.message)


def check_out_dir(out_dir: Path) -> None:
    """Raise `UserError` unless `out_dir` can be created and written (a file made, fsynced and
    removed): checked before the run store is opened and before any model call, so a
    read-only, full or mistyped ``--out`` costs nothing."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=out_dir, prefix=".write-check.", suffix=".tmp")
        try:
            os.write(fd, b"\0" * 4096)
            os.fsync(fd)
        finally:
            os.close(fd)
            os.unlink(probe)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise UserError(
            f"--out {out_dir}: cannot write there ({reason}); choose a folder you can write "
            "to, with free space"
        ) from exc
    gold = next(_gold_files(out_dir), None)
    if gold is not None:
        raise UserError(
            f"--out {out_dir} holds gold records ({gold.name}); extraction outputs are named "
            "the same way and would take their place: choose another folder"
        )


def _gold_files(out_dir: Path) -> Iterator[Path]:
    """The gold records in `out_dir` (twelfth session: ``--out gold/`` moved each hand-
    labelled gold file to history/ and put an extraction in its place, without a word)."""
    for path in sorted(out_dir.glob("*.json")):
        try:
            if path.is_file() and is_gold_json(path.read_bytes()):
                yield path
        except OSError:
            continue
