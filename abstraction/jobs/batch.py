"""Offline batches, second half: collect the provider's results of a prepared batch.

The request file and its manifest are written by `abstraction.jobs.batch_prepare`.
`collect_batch` reads the provider's output file, validates every answer against the pass's
schema, re-asks the failed or missing items live (through the normal client, with re-asks),
grounds and merges as the job runner does, writes ``<id>.json`` outputs, fills the cache (so a
later ``extract`` over the same documents makes no calls) and records everything in the run
store.  Batch tokens are priced with the price table's `batch_discount`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from abstraction.client.openai_client import ChatResult
from abstraction.core.documents import Document
from abstraction.core.errors import EndpointError, ModelError, UserError
from abstraction.core.prompts import PassSpec, PromptSpec, Quotes
from abstraction.core.records import Extraction, Usage
from abstraction.extraction import answer_model, applies
from abstraction.extraction.chunking import Part
from abstraction.extraction.extractor import DocumentRun, bounded_retry
from abstraction.extraction.pipeline import aextract_parts
from abstraction.jobs.batch_prepare import MANIFEST_FORMAT, URL, custom_id
from abstraction.jobs.cache import Cache
from abstraction.jobs.inputs import InputError, InputLimits, Source, load
from abstraction.jobs.job import ENDPOINT_ADVICE, write_output
from abstraction.jobs.outcomes import DocumentOutcome
from abstraction.jobs.prices import PriceTable, load_prices
from abstraction.jobs.runner import (
    JobIdentity,
    JobSummary,
    call_logger,
    identity_for,
    start_run,
)
from abstraction.jobs.store import CallRow, RunStore
from abstraction.jobs.transport import CURRENT_METER, CallMeter, JobTransport

# ---------------------------------------------------------------------------------------------
# collect


@dataclass
class BatchAnswer:
    """One output line: the pass's validated value, or why it is unusable."""

    result: ChatResult | None
    error: ModelError | None
    raw: str

    @property
    def usage(self) -> Usage:
        if self.result is not None:
            return self.result.usage
        return Usage.model_validate(self.error.usage) if self.error else Usage()


def parse_output(path: Path) -> tuple[dict[str, str], list[str]]:
    """custom_id -> raw line, and the problems (unreadable lines, duplicates).  Raises
    `UserError` when the file cannot be read at all (missing, a folder)."""
    lines: dict[str, str] = {}
    problems: list[str] = []
    try:
        fh = path.open("r", encoding="utf-8", errors="replace")
    except OSError as exc:
        raise UserError(f"{path}: cannot read the batch results: {exc.strerror or exc}") from exc
    with fh:
        for n, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            try:
                line = json.loads(raw)
                cid = line["custom_id"] if isinstance(line, dict) else None
            except (ValueError, KeyError, TypeError):
                cid = None
            if not isinstance(cid, str):
                problems.append(f"{path}:{n}: not a batch output line (no custom_id)")
                continue
            if cid in lines:
                problems.append(f"{path}:{n}: duplicate custom_id {cid!r} (the first is used)")
                continue
            lines[cid] = raw
    return lines, problems


def answering_model(raw: str | None) -> str | None:
    """The model a batch output line says answered it (``response.body.model``), if any."""
    if raw is None:
        return None
    try:
        line = json.loads(raw)
    except ValueError:
        return None
    model = _object(_object(_object(line).get("response")).get("body")).get("model")
    return model if isinstance(model, str) and model else None


def _other_models(answered: dict[str, str], prepared_for: str, output: Path) -> list[str]:
    """The problem of answers from another model than the batch was prepared for (`answered`:
    custom_id -> the model that answered it).  A dated snapshot of it
    ("gpt-4o-mini-2024-07-18" for "gpt-4o-mini") is the same model."""
    others: dict[str, int] = {}
    for model in answered.values():
        if not (model == prepared_for or model.startswith(prepared_for + "-")):
            others[model] = others.get(model, 0) + 1
    return [
        f"{output}: {n} answer(s) came from model {model!r}, not {prepared_for!r} as prepared; "
        "each output records the model that answered it, when one model did"
        for model, n in sorted(others.items())
    ]


def _count(value: Any) -> int:
    """A token count as the provider wrote it; anything but a non-negative integer is 0."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def judge_answer(raw: str, spec: PassSpec, quotes: Quotes = "model") -> BatchAnswer:
    """Validate one output line against the pass's response model (no re-ask here).  Never
    raises: a line of any other shape is this item's failure (``unparseable``), not the
    batch's."""
    try:
        return _judge(raw, spec, quotes)
    except (ValueError, TypeError, AttributeError, KeyError, IndexError) as exc:
        message = f"batch output line of an unexpected shape: {type(exc).__name__}: {exc}"
        return BatchAnswer(None, ModelError(message[:500], kind="unparseable"), raw)


def _judge(raw: str, spec: PassSpec, quotes: Quotes) -> BatchAnswer:
    line = _object(json.loads(raw))
    response = _object(line.get("response"))
    body = _object(response.get("body"))
    usage = _object(body.get("usage"))
    spent = Usage(
        prompt_tokens=_count(usage.get("prompt_tokens")),
        completion_tokens=_count(usage.get("completion_tokens")),
        total_tokens=_count(usage.get("total_tokens")),
        calls=1,
    )
    common: dict[str, Any] = {"attempts": 1, "usage": spent.model_dump()}
    if line.get("error") or response.get("status_code") != 200:
        why = line.get("error") or body.get("error") or response.get("status_code")
        msg = json.dumps(why if why is not None else "no response", default=str)[:500]
        return BatchAnswer(
            None, ModelError(f"batch item failed: {msg}", kind="http", **common), raw
        )
    choices = body.get("choices")
    choice = _object(choices[0]) if isinstance(choices, list) and choices else {}
    content = _object(choice.get("message")).get("content")
    if content is None:
        content = "" if "message" in choice else None
    if not isinstance(content, str):
        return BatchAnswer(
            None, ModelError("batch answer has no message", kind="unparseable", **common), raw
        )
    if choice.get("finish_reason") == "length":
        err = ModelError(
            "the answer was cut off at max_tokens", kind="truncated", last_output=content, **common
        )
        return BatchAnswer(None, err, raw)
    try:
        value = answer_model(spec, quotes).model_validate_json(content)
    except ValidationError as exc:
        kind = "unparseable" if "json_invalid" in str(exc) else "invalid"
        err = ModelError(
            f"batch answer failed validation: {exc.error_count()} error(s)",
            kind=kind,
            last_output=content,
            **common,
        )
        return BatchAnswer(None, err, raw)
    return BatchAnswer(ChatResult(value, content, spent, 1, 0.0), None, raw)


class _Described:
    """What `DocumentRun.finish` asks of a client, for answers that came from a batch file."""

    def __init__(self, info: dict[str, Any]) -> None:
        self.info = info

    def describe(self) -> dict[str, Any]:
        return self.info


Reask = Callable[[dict[str, Any]], Awaitable[ChatResult]]


async def _unit_extraction(
    unit: Document,
    prompt: PromptSpec,
    answers: dict[str, BatchAnswer | None],
    *,
    described: dict[str, Any],
    reask: Reask | None,
) -> tuple[Extraction, int]:
    """Assemble one part's extraction from its passes' answers; re-ask the bad ones live.
    Returns the extraction and the number of live re-asks."""
    run = DocumentRun(unit, prompt, _Described(described))
    reasked = 0
    for spec in prompt.passes:
        if run.skips(spec):  # not asked of this text when the batch was prepared
            continue
        answer = answers.get(spec.name)
        if answer is not None and answer.result is not None:
            run.record_ok(spec, answer.result)
            continue
        if reask is None:
            err = (
                answer.error
                if answer and answer.error
                else ModelError("missing from the batch output", kind="missing")
            )
            run.record_failed(spec, err, 0.0)
            if run.failure is not None:
                break
            continue
        reasked += 1
        # a batch answer cut off at max_tokens is re-asked with the pass's bounded lists
        ask = bounded_retry(spec, answer.error) if answer and answer.error else None
        t0 = time.perf_counter()
        try:
            run.record_ok(spec, await reask(run.request(ask or spec)))
        except ModelError as err:
            run.record_failed(spec, err, time.perf_counter() - t0)
            if run.failure is not None:
                break
    return run.finish(), reasked


def load_manifest(path: Path) -> dict[str, Any]:
    try:
        manifest = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise UserError(f"{path}: cannot read the batch manifest: {exc}") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT:
        raise UserError(f"{path}: not a batch manifest ({MANIFEST_FORMAT})")
    missing = [k for k in _MANIFEST_KEYS if k not in manifest]
    documents = manifest.get("documents")
    if not missing and not isinstance(documents, list):
        missing = ["documents (a list)"]
    for n, entry in enumerate(documents if isinstance(documents, list) and not missing else []):
        source = entry.get("source") if isinstance(entry, dict) else None
        lacks = [k for k in _ENTRY_KEYS if not isinstance(entry, dict) or k not in entry]
        lacks += [
            f"source.{k}" for k in _SOURCE_KEYS if not isinstance(source, dict) or k not in source
        ]
        if lacks:
            missing = [f"documents[{n}].{k}" for k in lacks]
            break
    if missing:
        raise UserError(
            f"{path}: the batch manifest lacks {', '.join(missing[:5])} (edited by hand?): "
            "prepare the batch again, or restore the manifest written beside its requests"
        )
    return manifest


_MANIFEST_KEYS = ("requests", "prompt_version", "prompt_sha256", "model", "structured", "documents")
_ENTRY_KEYS = ("source", "sha256", "parts")
_SOURCE_KEYS = ("id", "origin", "kind", "path", "line", "offset")


def _source_of(d: dict[str, Any]) -> Source:
    s = d["source"]
    return Source(
        s["id"], s["origin"], s["kind"], Path(s["path"]), s["line"], s["offset"], size=s.get("size")
    )


@dataclass
class CollectContext:
    manifest: dict[str, Any]
    prompt: PromptSpec
    out_dir: Path
    store: RunStore
    run_id: str
    cache: Cache
    identity: JobIdentity
    prices: PriceTable
    reask: Reask | None
    requests: dict[str, str]
    log_bodies: bool = False
    answered: dict[str, str] = field(default_factory=dict)
    """custom_id -> the model its answer names (`answering_model`), read once."""
    answered_by: dict[str, str] = field(default_factory=dict)
    """document id -> the one model that answered it (`_answered_by`)."""


async def collect_batch(
    output: Path,
    *,
    manifest_path: Path,
    prompt: PromptSpec,
    out_dir: Path,
    store: RunStore,
    reask: Reask | None,
    prices: PriceTable | None = None,
    cache_dir: Path | None = None,
    transport: JobTransport | None = None,
    log_bodies: bool = False,
) -> JobSummary:
    """Ingest a batch output file (see the module docstring); `reask` runs one pass live.

    With `log_bodies` the run store keeps each item's request and answer (the documents'
    text); by default only their status, tokens and errors."""
    manifest = load_manifest(manifest_path)
    if manifest["prompt_sha256"] != prompt.sha256:
        raise UserError(
            f"the batch was prepared with prompt {manifest['prompt_version']} "
            f"({manifest['prompt_sha256'][:12]}), not {prompt.identity}: pass the same prompt"
        )
    lines, problems = parse_output(output)
    problems += _unknown_lines(lines, manifest, prompt, output)
    answered = {cid: m for cid, raw in lines.items() if (m := answering_model(raw)) is not None}
    problems += _other_models(answered, str(manifest["model"]), output)
    described = {
        "model": manifest["model"],
        "endpoint": "batch",
        "structured": manifest["structured"],
    }
    identity = identity_for(prompt, described)
    run_id = start_run(
        store,
        identity,
        out_dir=out_dir,
        command=f"batch collect {output}",
        note="; ".join(problems[:20]) or None,
    )
    if transport is not None:
        transport.on_call = call_logger(store, run_id)
    requests_path = manifest_path.with_name(manifest["requests"])
    requests = {}
    if log_bodies and requests_path.is_file():
        requests = {
            json.loads(r)["custom_id"]: r
            for r in requests_path.read_text("utf-8").splitlines()
            if r.strip()
        }
    ctx = CollectContext(
        manifest,
        prompt,
        out_dir,
        store,
        run_id,
        Cache(cache_dir or out_dir / ".cache"),
        identity,
        prices or load_prices(),
        reask,
        requests,
        log_bodies,
        answered,
        _answered_by(answered),
    )
    summary = JobSummary(run_id, store.path, out_dir, total=len(manifest["documents"]))
    summary.problems = problems
    t0 = time.monotonic()
    for entry in manifest["documents"]:
        if summary.stopped is not None:
            source = _source_of(entry)
            note = "not finished: the model endpoint failed"
            outcome = DocumentOutcome(source.id, source.origin, "skipped", "stopped", note)
            summary.outcomes.append(_record(ctx, outcome))
            continue
        try:
            outcome = await _collect_document(ctx, entry, lines)
        except EndpointError as exc:  # no re-ask can succeed: stop, write nothing more
            summary.stopped, summary.error = "failed", f"{exc}\n{ENDPOINT_ADVICE}"
            source = _source_of(entry)
            note = f"not finished: {exc.kind}"
            outcome = DocumentOutcome(source.id, source.origin, "skipped", "stopped", note)
            outcome = _record(ctx, outcome)
        summary.outcomes.append(outcome)
    summary.seconds = time.monotonic() - t0
    store.finish_run(run_id, status=summary.stopped or "done", note=summary.error)
    return summary


def _unknown_lines(
    lines: dict[str, str], manifest: dict[str, Any], prompt: PromptSpec, output: Path
) -> list[str]:
    """The problem of lines that answer no request of this batch (another batch's results,
    an edited file); `UserError` when no line answers one, before anything is re-asked."""
    known = {
        custom_id(entry["source"]["id"], index, spec.name)
        for entry in manifest["documents"]
        for index in range(len(entry["parts"]))
        for spec in prompt.passes
    }
    unknown = [cid for cid in lines if cid not in known]
    if lines and len(unknown) == len(lines):
        raise UserError(
            f"{output}: none of its {len(lines)} answers is for a request of this batch "
            f"(custom_id {unknown[0]!r}; this batch's look like {min(known, default='-')!r}): "
            "are these another batch's results?  Nothing was re-asked or written"
        )
    if not unknown:
        return []
    shown = ", ".join(repr(c) for c in unknown[:3]) + (", ..." if len(unknown) > 3 else "")
    return [
        f"{output}: {len(unknown)} line(s) answer no request of this batch (custom_id "
        f"{shown}); they were left out"
    ]


def _answered_by(answered: dict[str, str]) -> dict[str, str]:
    """Per document, the one model that answered every line of it that names one (a dated
    snapshot such as ``gpt-4o-mini-2024-07-18``, or another model altogether), for its
    provenance; a document whose lines name none, or several, is left out (the batch's model
    is recorded).  Made once per collect from `answered` (custom_id -> model)."""
    models: dict[str, set[str]] = {}
    for cid, model in answered.items():
        models.setdefault(cid.split("|", 1)[0], set()).add(model)
    return {doc: next(iter(ms)) for doc, ms in models.items() if len(ms) == 1}


def _part_answers(
    ctx: CollectContext, lines: dict[str, str], doc_id: str, index: int, unit: Document
) -> tuple[dict[str, BatchAnswer | None], Usage]:
    """Each pass's answer for part `index` (None: not in the output), logged; their usage.
    A pass not asked of this part (`applies`) has no answer and no log row."""
    answers: dict[str, BatchAnswer | None] = {}
    usage = Usage()
    for spec in ctx.prompt.passes:
        if not applies(spec, unit):
            continue
        cid = custom_id(doc_id, index, spec.name)
        raw = lines.get(cid)
        quotes = ctx.prompt.settings.quotes
        answers[spec.name] = got = judge_answer(raw, spec, quotes) if raw is not None else None
        _log_line(ctx, doc_id, cid, raw, got)
        if got is not None:
            usage = usage + got.usage
    return answers, usage


async def _collect_document(
    ctx: CollectContext, entry: dict[str, Any], lines: dict[str, str]
) -> DocumentOutcome:
    source = _source_of(entry)
    t0 = time.monotonic()
    try:
        doc = load(source, limits=InputLimits(max_text_bytes=10**12))
    except InputError as exc:
        return _record(
            ctx, DocumentOutcome(source.id, source.origin, "failed", f"input:{exc.kind}", str(exc))
        )
    if doc.sha256 != entry["sha256"]:
        msg = "the document changed since the batch was prepared"
        return _record(ctx, DocumentOutcome(doc.id, source.origin, "failed", "input:changed", msg))
    parts = [Part(i, a, b, s) for i, (a, b, s) in enumerate(entry["parts"])]
    described = {
        "model": ctx.answered_by.get(doc.id) or ctx.identity.model,
        "endpoint": "batch",
        "structured": ctx.identity.structured_output,
    }
    meter = CallMeter(doc.id)
    token = CURRENT_METER.set(meter)
    batch_usage = Usage()
    hits = 0
    pending = iter(parts)  # `aextract_parts` asks for the parts in order, one at a time

    async def from_batch(unit: Document) -> Extraction:
        nonlocal batch_usage
        index = next(pending).index
        nonlocal hits
        cached = ctx.cache.get(ctx.identity.key(unit.sha256))
        if cached is not None:  # collected (or extracted) before: the same answer again,
            hits += 1  # never a failure over it, and the same bytes (nothing rewritten)
            return cached
        answers, usage = _part_answers(ctx, lines, doc.id, index, unit)
        batch_usage = batch_usage + usage
        extraction, _ = await _unit_extraction(
            unit, ctx.prompt, answers, described=described, reask=ctx.reask
        )
        if extraction.status == "ok":
            ctx.cache.put(ctx.identity.key(unit.sha256), extraction)
        return extraction

    try:
        final = await aextract_parts(doc, parts, from_batch)
    finally:
        CURRENT_METER.reset(token)
    path = write_output(ctx.out_dir, final)
    batch_cost = ctx.prices.cost(
        ctx.identity.model, batch_usage.prompt_tokens, batch_usage.completion_tokens
    )
    live_cost = ctx.prices.cost(
        meter.model or ctx.identity.model, meter.prompt_tokens, meter.completion_tokens
    )
    cost = (
        None
        if batch_cost is None or live_cost is None
        else batch_cost * ctx.prices.batch_discount + live_cost
    )
    outcome = DocumentOutcome(
        doc.id,
        source.origin,
        ("cached" if hits == len(parts) else "ok") if final.status == "ok" else "failed",
        final.error.kind if final.error else None,
        final.error.message if final.error else None,
        str(path),
        parts=len(parts),
        calls=batch_usage.calls + meter.calls,
        prompt_tokens=batch_usage.prompt_tokens + meter.prompt_tokens,
        completion_tokens=batch_usage.completion_tokens + meter.completion_tokens,
        cost=cost,
        seconds=time.monotonic() - t0,
        sha256=doc.sha256,
        chars=len(doc.text),
    )
    return _record(ctx, outcome)


def _log_line(
    ctx: CollectContext, doc_id: str, cid: str, raw: str | None, answer: BatchAnswer | None
) -> None:
    request = ctx.requests.get(cid)
    if answer is None:
        status, error, usage = "missing", "not in the batch output (re-asked live)", Usage()
    elif answer.result is not None:
        status, error, usage = "ok", None, answer.usage
    else:
        status = answer.error.kind if answer.error else "error"
        error, usage = str(answer.error), answer.usage
    ctx.store.add_call(
        CallRow(
            run_id=ctx.run_id,
            doc_id=doc_id,
            attempt=1,
            started_at="",
            latency=0.0,
            status=status,
            method="BATCH",
            url=f"{URL}#{cid}",
            error=error,
            model=ctx.answered.get(cid) or ctx.identity.model,
            prompt_tokens=usage.prompt_tokens,
            completion_tokens=usage.completion_tokens,
            request=request,
            response=raw if ctx.log_bodies else None,
        )
    )


def _record(ctx: CollectContext, outcome: DocumentOutcome) -> DocumentOutcome:
    ctx.store.record_document(ctx.run_id, outcome.row())
    return outcome


def unusable_items(output: Path, manifest_path: Path, prompt: PromptSpec) -> int:
    """How many passes the output file does not answer usably (each would be re-asked live);
    lets the CLI skip starting a model when there is nothing to re-ask."""
    manifest = load_manifest(manifest_path)
    lines, _ = parse_output(output)
    _unknown_lines(lines, manifest, prompt, output)  # another batch's results: refused here
    bad = 0
    for entry in manifest["documents"]:
        skipped = {(i, name) for i, name in entry.get("skipped", [])}  # not asked (`applies`)
        for i in range(len(entry["parts"])):
            for spec in prompt.passes:
                if (i, spec.name) in skipped:
                    continue
                raw = lines.get(custom_id(entry["source"]["id"], i, spec.name))
                bad += raw is None or judge_answer(raw, spec, prompt.settings.quotes).result is None
    return bad
