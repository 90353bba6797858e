"""Extract one document into a grounded `Extraction`.

The message layout is fixed so that llama.cpp can reuse its cached prompt prefix across passes
and re-asks: the system prompt, then the document, then the per-pass instructions and examples.
Model failures never escape as exceptions: they become a failed `Extraction` with the reason,
the attempts and the tokens spent, and no record (never an empty one).
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Coroutine
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

from abstraction.client.config import refuse_unenforced_patterns
from abstraction.client.openai_client import ChatResult
from abstraction.core.documents import Document
from abstraction.core.errors import ModelError, UserError
from abstraction.core.prompts import PassSpec, PromptSpec
from abstraction.core.records import (
    DroppedFact,
    Extraction,
    Failure,
    PassRecord,
    Usage,
)
from abstraction.core.schema import CaseReport
from abstraction.core.schemas import extraction_type
from abstraction.extraction.mentions import pool_later_sections, pool_sections
from abstraction.extraction.merge import document_info
from abstraction.extraction.passes import answer_model, answer_sections, document_llm_schema
from abstraction.extraction.provenance import prompt_provenance
from abstraction.extraction.rules import apply_rules
from abstraction.grounding import drop_unsupported, ground, locate_quotes, strip_boilerplate
from abstraction.grounding.boilerplate import PROSE_MIN_CHARS, header_span


class Describes(Protocol):
    """What a record's provenance needs from whatever answered: its `describe()` (model,
    model_sha256, endpoint, structured)."""

    def describe(self) -> dict[str, Any]: ...


class Completer(Describes, Protocol):
    """What extraction needs from a model client (see `abstraction.client.ModelClient`)."""

    def complete(self, **kwargs: Any) -> ChatResult: ...

    async def acomplete(self, **kwargs: Any) -> ChatResult: ...


def _examples_block(spec: PassSpec) -> str:
    if not spec.examples:
        return ""
    parts = ["Worked example on a different, fictional text (never copy its facts):"]
    for ex in spec.examples:
        parts.append(f"Text: {ex.text.strip()}\nAnswer: {ex.answer.strip()}")
    return "\n\n".join(parts) + "\n\n"


def build_messages(doc_text: str, prompt: PromptSpec, spec: PassSpec) -> list[dict[str, str]]:
    """System prompt, then the document, then this pass's instructions (prefix-cache friendly)."""
    user = (
        f"<document>\n{doc_text.strip()}\n</document>\n\n"
        f"{_examples_block(spec)}{spec.instructions.strip()}"
    )
    system = (spec.system if spec.system is not None else prompt.system).strip()
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


T = TypeVar("T")

_Retried = tuple[ModelError, Usage, float]
"""A pass's first request that failed and was asked again: its error, cost and seconds."""


def _plain(fact: Any) -> dict[str, Any]:
    """A pooled-away item or value as the plain dict a `DroppedFact` holds."""
    if hasattr(fact, "model_dump"):
        return dict(fact.model_dump(mode="json"))
    return dict(fact) if isinstance(fact, dict) else {"value": fact}


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


SKIPPED_NO_HEADER = "the text has no article header (title, journal, authors) to read"


_CITATION = re.compile(
    r"\bdoi\s*:|\bPMID\b|\bPMCID\b|\b(?:19|20)\d\d\b[^;\n]{0,12};\s*\d+\s*(?:\(\d+\))?\s*:"
    r"|©|\bcopyright\b|\b(?:received|accepted|published)\s*:",
    re.IGNORECASE,
)
"""A citation line's marks ("doi:", "PMID", "2020 Mar 5;14(1):32", "©", "Received:")."""
_HEADER_SECTIONS = frozenset({"Title", "Front matter"})


def has_header(doc: Document) -> bool:
    """The document opens with an article header: a reader labelled its title or front matter
    (JATS, PDF), grounding's `header_span` finds lines before the running text that are more than
    section headings ("Case presentation" alone is not a header), or one of its
    first three lines carries a citation's marks (a PubMed record, whose citation line and
    title end with full stops, reads as prose to `header_span`).  A citation further into the
    running text is not a header."""
    if any(r.section in _HEADER_SECTIONS for r in doc.ranges):
        return True
    span = header_span(doc.text)
    if span is not None and not heading_then_paragraph(doc.text, span.end):
        return True
    first = [line for line in doc.text[:3000].splitlines() if line.strip()][:3]
    return any(_CITATION.search(line) for line in first)


_HEADING = re.compile(
    r"(?:case|clinical)(?:\s+(?:report|presentation|description|history|summary|vignette|"
    r"study|details|\d+))?s?|clinical case|presentation of (?:the )?case|"
    r"history of (?:the )?present(?:ing)? illness|patient information|"
    r"introduction|background|abstract|summary|history|presentation|methods",
    re.IGNORECASE,
)
_TWO_SENTENCES = re.compile(r"[.!?]\s+[A-Z]")  # a paragraph, not a title
_DECORATION = re.compile(r"^[\s#*_\d.)]*|[\s#*_:.]*$")


def heading_then_paragraph(text: str, end: int) -> bool:
    """The lines before `end` are nothing but section headings ("Case presentation", "1. Case
    report", page boilerplate aside) and a paragraph follows them: the text opens with its
    first section, with no title, byline or citation.  A paragraph is a line of at least
    `PROSE_MIN_CHARS` or of two sentences; a heading over a title that ends with a full stop
    (which `header_span` reads as prose) is a header: the title is no paragraph."""
    lines = [_DECORATION.sub("", line) for line in strip_boilerplate(text[:end]).splitlines()]
    if not all(_HEADING.fullmatch(line) for line in lines if line):
        return False
    after = next((line.strip() for line in text[end:].splitlines() if line.strip()), "")
    return len(after) >= PROSE_MIN_CHARS or bool(_TWO_SENTENCES.search(after))


def applies(spec: PassSpec, doc: Document) -> bool:
    """Whether `spec` is asked of `doc`: always, except a pass `only_with_header` on a text
    without an article header (`has_header`) or on a later part of a split document."""
    return not spec.only_with_header or (first_part(doc) and has_header(doc))


def first_part(doc: Document) -> bool:
    """`doc` is a whole document or the first part of a split one (the only part that can
    hold the article's front matter)."""
    return str(doc.metadata.get("part", "1/")).startswith("1/")


class DocumentRun:
    """Accumulates the passes of one document's extraction: the requests it builds
    (`request`) are what is sent for it; ``batch collect`` feeds it a batch file's answers."""

    def __init__(self, doc: Document, prompt: PromptSpec, client: Describes) -> None:
        self.doc, self.prompt, self.client = doc, prompt, client
        self.started = _now()
        self.t0 = time.perf_counter()
        self.text = strip_boilerplate(doc.text)
        self.schema = prompt.record_schema
        self.merged = self.schema.empty()
        self.passes: list[PassRecord] = []
        self.usage = Usage()
        self.model_seconds = 0.0
        self.failure: Failure | None = None
        self.left_out: list[DroppedFact] = []  # phrases a pass's rules kept out of the record
        self.filled: set[str] = set()  # the sections earlier passes have filled
        self.optional_failure: Failure | None = None  # the last optional pass that failed

    def request(self, spec: PassSpec) -> dict[str, Any]:
        return {
            "messages": build_messages(self.text, self.prompt, spec),
            "response_model": answer_model(spec, self.prompt.settings.quotes),
            "json_schema": document_llm_schema(
                spec,
                self.text,
                evidence_first=self.prompt.settings.evidence_first,
                quotes=self.prompt.settings.quotes,
            ),
            "settings": self.prompt.pass_settings(spec),
        }

    @property
    def front_matter(self) -> bool:
        """This is a document's first part (a later part has no article header)."""
        return first_part(self.doc)

    def skips(self, spec: PassSpec) -> bool:
        """`spec` does not apply to this text (see `applies`); recorded as skipped if so."""
        if applies(spec, self.doc):
            return False
        self.passes.append(
            PassRecord(
                name=spec.name,
                sections=list(spec.sections),
                seconds=0.0,
                usage=Usage(),
                status="skipped",
                error=SKIPPED_NO_HEADER,
            )
        )
        return True

    def spent(self, err: ModelError, seconds: float) -> Usage:
        """Count what a failed request cost; return it."""
        self.model_seconds += seconds
        spent = Usage.model_validate(err.usage) if err.usage else Usage(calls=err.attempts)
        self.usage = self.usage + spent
        return spent

    def record_ok(
        self,
        spec: PassSpec,
        res: ChatResult,
        *,
        retried: _Retried | None = None,
    ) -> None:
        self.model_seconds += res.seconds
        self.usage = self.usage + res.usage
        usage, seconds = res.usage, res.seconds
        if retried is not None:  # the first request's cost is part of this pass's
            usage, seconds = usage + retried[1], seconds + retried[2]
        sections, left_out = answer_sections(spec, res.value, self.text)
        earlier = {k: self.merged[k] for k in sections}
        if spec.shape == "mentions" and self.filled & set(sections):  # an earlier pass filled
            skipped: list[tuple[str, Any]] = []
            sections = pool_sections(earlier, sections, text=self.text, skipped=skipped)
            note = "another pass's answer is kept for this (pooled)"
            left_out = [
                *left_out,
                *(DroppedFact(path=where, fact=_plain(fact), note=note) for where, fact in skipped),
            ]
        elif self.filled & set(sections):  # a sections pass never writes over earlier answers
            sections, left = pool_later_sections(
                earlier,
                sections,
                text=self.text,
                case_report=self.schema.model is CaseReport,
            )
            left_out = [
                *left_out,
                *(
                    DroppedFact(path=where, fact=_plain(fact), note=why)
                    for where, fact, why in left
                ),
            ]
        self.filled.update(sections)
        self.merged.update(sections)
        self.left_out.extend(
            d.model_copy(update={"path": f"{spec.name}:{d.path}"}) for d in left_out
        )
        self.passes.append(
            PassRecord(
                name=spec.name,
                sections=list(spec.sections),
                seconds=round(seconds, 3),
                usage=usage,
                status="ok",
                retried=None if retried is None else f"{retried[0].kind}: {retried[0]}",
            )
        )

    def record_failed(
        self,
        spec: PassSpec,
        err: ModelError,
        seconds: float,
        *,
        retried: _Retried | None = None,
    ) -> None:
        usage = self.spent(err, seconds)
        if retried is not None:
            usage, seconds = usage + retried[1], seconds + retried[2]
        self.passes.append(
            PassRecord(
                name=spec.name,
                sections=list(spec.sections),
                seconds=round(seconds, 3),
                usage=usage,
                status="failed",
                error=str(err),
                retried=None if retried is None else f"{retried[0].kind}: {retried[0]}",
            )
        )
        failure = Failure(
            kind=err.kind,
            message=f"pass {spec.name!r}: {err}",
            attempts=err.attempts,
            last_output=err.last_output,
        )
        if spec.optional and err.kind != "replay_miss":  # goes on without this pass's fields
            self.optional_failure = failure
        else:
            self.failure = failure

    def finish(self) -> Extraction:
        if self.failure is None and not any(p.status == "ok" for p in self.passes):
            self.failure = self.optional_failure  # every pass failed: no record, never empty
        t_ground = time.perf_counter()
        record = grounding = None
        dropped: list[DroppedFact] = list(self.left_out)
        if self.failure is None:
            merged = self.schema.model.model_validate(self.merged)  # a new object: ours to ground
            settings = self.prompt.settings
            front_matter = self.front_matter
            if settings.quotes == "text":  # the model wrote values only: quotes from the text
                locate_quotes(
                    merged,
                    self.doc.text,
                    front_matter=front_matter,
                    metadata=self.schema.metadata_sections,
                )
            if isinstance(merged, CaseReport):  # the rules are CaseReport's (docs/schemas.md)
                dropped += apply_rules(merged, settings.rules, self.text)
            grounded = ground(
                merged,
                self.doc.text,
                in_place=True,
                relocate=settings.relocate,
                unstated=settings.unstated,
                evidence_scope=settings.evidence_scope,
                front_matter=front_matter,
                metadata=self.schema.metadata_sections,
            )
            record, grounding = grounded.record, grounded.summary
            dropped += grounded.dropped
            if settings.unsupported == "drop":
                dropped += drop_unsupported(record)
        ground_s = time.perf_counter() - t_ground
        provenance = prompt_provenance(
            self.prompt,
            self.client.describe(),
            document_sha256=self.doc.sha256,
            started_at=self.started,
            finished_at=_now(),
            timings={
                "total": round(time.perf_counter() - self.t0, 3),
                "model": round(self.model_seconds, 3),
                "grounding": round(ground_s, 4),
            },
            usage=self.usage,
            passes=self.passes,
        )
        return extraction_type(self.schema)(
            document=document_info(self.doc),
            status="ok" if self.failure is None else "failed",
            record=record,
            error=self.failure,
            grounding=grounding,
            provenance=provenance,
            dropped=dropped,
            not_extracted=None
            if record is None
            else self.prompt.not_extracted(p.name for p in self.passes if p.status == "failed"),
        )


def bounded_retry(spec: PassSpec, err: ModelError) -> PassSpec | None:
    """The pass to ask once more after `err`, or None: a pass whose answer was cut off at
    max_tokens, with `truncated_max_items`, is asked again with its lists bounded."""
    if err.kind != "truncated" or spec.truncated_max_items is None:
        return None
    return spec.model_copy(update={"max_items": spec.truncated_max_items})


def _after_error(
    run: DocumentRun,
    spec: PassSpec,
    ask: PassSpec,
    retried: _Retried | None,
    err: ModelError,
    t: float,
) -> tuple[PassSpec, _Retried] | None:
    """After a failed request for `spec` (asked as `ask`, started at `t`): what to ask next,
    or None once the pass has failed (it is recorded)."""
    seconds = time.perf_counter() - t
    again = bounded_retry(ask, err) if retried is None else None
    if again is None:
        run.record_failed(spec, err, seconds, retried=retried)
        return None
    return again, (err, run.spent(err, seconds), seconds)


async def aextract_document(doc: Document, *, prompt: PromptSpec, client: Completer) -> Extraction:
    """Run every pass of `prompt` on `doc`, one after another; stop at the first failed pass
    that is not optional."""
    refuse_unenforced_patterns(_structured(client), prompt.version, prompt.pattern_passes)
    run = DocumentRun(doc, prompt, client)
    for spec in prompt.passes:
        if run.skips(spec):
            continue
        ask, retried = spec, None
        while True:
            t = time.perf_counter()
            try:
                run.record_ok(spec, await client.acomplete(**run.request(ask)), retried=retried)
                break
            except ModelError as err:
                nxt = _after_error(run, spec, ask, retried, err, t)
                if nxt is None:
                    break
                ask, retried = nxt
        if run.failure is not None:
            break
    return run.finish()


def _structured(client: Any) -> str | None:
    """The client's structured-output mode (`ModelConfig.structured`), through `Blocking`;
    None for a client that does not say (a test double, a peer's)."""
    inner = getattr(client, "client", client) if isinstance(client, Blocking) else client
    mode = getattr(inner, "structured", None)
    return mode if isinstance(mode, str) else None


class Blocking:
    """A client's sync calls behind the async protocol, so sync callers share the one async
    core: each call blocks, which is harmless in a loop that has nothing else to run."""

    def __init__(self, client: Completer) -> None:
        self.client = client

    def complete(self, **kwargs: Any) -> ChatResult:
        return self.client.complete(**kwargs)

    async def acomplete(self, **kwargs: Any) -> ChatResult:
        return self.client.complete(**kwargs)

    def describe(self) -> dict[str, Any]:
        return self.client.describe()


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run `coro` to the end on a loop of its own; from inside a running loop, await the
    async function instead (`asyncio.run` refuses to nest)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    coro.close()
    raise UserError("called from a running event loop: await the async variant instead")


def extract_document(doc: Document, *, prompt: PromptSpec, client: Completer) -> Extraction:
    """`aextract_document` with the client's sync calls (``complete``)."""
    return run_sync(aextract_document(doc, prompt=prompt, client=Blocking(client)))
