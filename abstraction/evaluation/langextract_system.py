"""LangExtract as a `System`: google's ``langextract`` asking the same model as ours.

What it is given is what the instructor peer is given (`one_call_prompt`): the prompt
version's system text as the system message, every pass's instructions in order as LangExtract's
prompt description, and the union of the passes' kinds of fact (``age``, ``signs_symptoms``,
``medications``...) as its extraction classes, one item schema each; no examples (LangExtract
accepts an output schema in their place).  LangExtract then does what it ships to do: it cuts
the text into chunks of about 1,000 characters, renders its own prompt per chunk (the
description, then ``Q: <chunk>`` ``A:``), parses the answers and aligns each extraction to
the text.  The calls go through our model client (`abstraction.client.langextract_peer`): the
same server, the same constraint mode (a GBNF grammar of the output envelope on the embedded
model), the same retry policy (the prompt's ``max_retries`` re-asks, the client's HTTP
retries) and the same recordings.

Its answer becomes a record by the rules that turn our mentions into one
(`abstraction.extraction.passes.answer_sections`, with the prompt's split and word limits): a
class's extraction texts are that kind's phrases.  Evidence comes from LangExtract's own
character intervals: a phrase inside an aligned extraction gets those offsets (``exact`` for
LangExtract's ``match_exact`` of the very words, else ``fuzzy``); a phrase LangExtract did not
align is ``unsupported`` and, under the prompt's ``unsupported = "drop"``, kept out of the
record as ours would be.  Our grounding (and its value checks) is not run on it.

Documents longer than the model's part size are split and merged by the same pipeline entry
points as ours (`aextract_parts`); inside a part, LangExtract's chunking applies.
"""

from __future__ import annotations

import time
from typing import Any

from abstraction.client import ModelConfig
from abstraction.core.documents import Document
from abstraction.core.errors import ModelError, UserError
from abstraction.core.prompts import PromptSpec
from abstraction.core.records import (
    DroppedFact,
    Extraction,
    Failure,
    GroundingSummary,
    PassRecord,
    Usage,
)
from abstraction.core.schema import CaseReport, empty_case_report, iter_evidence
from abstraction.extraction.chunking import plan_parts
from abstraction.extraction.extractor import Completer
from abstraction.extraction.mentions import Mentions
from abstraction.extraction.merge import document_info
from abstraction.extraction.passes import answer_sections
from abstraction.extraction.pipeline import aextract_parts, chunk_settings
from abstraction.extraction.provenance import now_iso, provenance
from abstraction.grounding import drop_unsupported

SINGLE = ("age", "sex", "main_diagnosis", "outcome")
"""Kinds that hold one phrase: the first extraction of the class is it (a later main diagnosis
is another diagnosis; a later age, sex or outcome is left out, with a note)."""


def mentions_of(found: list[Any], kinds: tuple[str, ...]) -> tuple[Mentions, list[DroppedFact]]:
    """LangExtract's extractions (`Found`) as our `Mentions`, in LangExtract's order."""
    lists: dict[str, Any] = {
        name: None if field.annotation != list[str] else []
        for name, field in Mentions.model_fields.items()
    }
    dropped: list[DroppedFact] = []
    for f in found:
        text = f.text.strip()
        if f.kind not in kinds or not text:
            note = "not a kind it was given" if text else "empty text"
            dropped.append(DroppedFact(path=f.kind, fact={"phrase": f.text}, note=note))
        elif f.kind not in SINGLE:
            lists[f.kind].append(text)
        elif lists[f.kind] is None:
            lists[f.kind] = text
        elif f.kind == "main_diagnosis":
            lists["other_diagnoses"].append(text)
        else:
            dropped.append(DroppedFact(path=f.kind, fact={"phrase": text}, note="a second one"))
    return Mentions.model_validate(lists), dropped


def _span_at(text: str, f: Any, phrase: str) -> int | None:
    """Where `phrase` (casefolded) is in `text` inside LangExtract's interval of `f`, or around
    it (a rule that completes a phrase from the text: a bare "71" becomes "71-year")."""
    lo, hi = max(0, f.start - len(phrase)), min(len(text), f.end + len(phrase))
    window = text[lo:hi].casefold()
    at = window.find(phrase) if phrase else -1
    while at >= 0:
        start, end = lo + at, lo + at + len(phrase)
        if (f.start <= start and end <= f.end) or (start <= f.start and f.end <= end):
            return start
        at = window.find(phrase, at + 1)
    return None


def place_evidence(record: CaseReport, found: list[Any], text: str) -> GroundingSummary:
    """Give every fact of `record` the span of the LangExtract extraction its phrase is in (or,
    for a phrase a rule completed from the text, around)."""
    counts = {"exact": 0, "fuzzy": 0, "unsupported": 0}
    aligned = [f for f in found if f.start is not None and f.end is not None]
    for _, ev in iter_evidence(record):
        phrase = ev.quote.strip().casefold()
        hit = None
        for f in aligned:
            at = _span_at(text, f, phrase)
            if at is not None:
                hit = (f, at)
                break
        if hit is None:
            ev.status, ev.note = "unsupported", "langextract: no aligned extraction holds it"
        else:
            f, start = hit
            end = start + len(phrase)
            inside = f.start <= start and end <= f.end
            exact = f.alignment == "match_exact" and inside and text[start:end] == ev.quote.strip()
            ev.start, ev.end, ev.quote = start, end, text[start:end]
            ev.status, ev.method = ("exact", "verbatim") if exact else ("fuzzy", "fuzzy")
            ev.note = f"langextract: {f.alignment}"
        counts[ev.status] += 1
    return GroundingSummary(facts=sum(counts.values()), **counts)


class LangExtractSystem:
    """``langextract.extract`` per document part, given the prompt's text and kinds."""

    def __init__(
        self, prompt: PromptSpec, *, client: Completer, model: ModelConfig | None = None
    ) -> None:
        from abstraction.evaluation.systems import one_call_prompt

        self.given, self.client, self.model = prompt, client, model
        self.prompt = one_call_prompt(prompt)
        (self.spec,) = self.prompt.passes
        if self.spec.shape != "mentions":
            raise UserError(
                f"langextract takes kinds of phrases: prompt {prompt.version} asks for sections"
            )
        self.name = f"langextract-{prompt.version}"

    def settings(self) -> dict[str, Any]:
        from abstraction.client.langextract_peer import DEFAULT_CHUNK_CHARS, LANGEXTRACT_VERSION

        return {
            **self.prompt.settings_dict(),
            "langextract": {
                "version": LANGEXTRACT_VERSION,
                "max_char_buffer": DEFAULT_CHUNK_CHARS,
                "max_workers": 1,
                "extraction_passes": 1,
                "examples": 0,
            },
        }

    def describe(self) -> dict[str, Any]:
        return {
            "system": "langextract",
            "prompt": f"{self.given.identity} folded into one pass ({self.prompt.identity})",
            "passes": ["langextract"],
            "kinds": list(self.spec.lists),
            "examples": 0,
            "calls": "one per LangExtract chunk (about 1,000 characters); a chunk's answer cut "
            "off at max_tokens asked once more with at most "
            f"{self.spec.truncated_max_items} extractions, as ours is",
            "max_retries": self.prompt.settings.max_retries,
        }

    async def extract(self, document: Document) -> Extraction:
        parts = plan_parts(document, chunk_settings(self.prompt, self.model))
        return await aextract_parts(document, parts, self._part)

    async def _part(self, doc: Document) -> Extraction:
        from abstraction.client.langextract_peer import run_langextract

        started, t0 = now_iso(), time.perf_counter()
        record = grounding = error = None
        dropped: list[DroppedFact] = []
        usage, model_s, status = Usage(), 0.0, "ok"
        try:
            answer = run_langextract(
                doc.text,
                client=self.client,
                system=self.prompt.system,
                description=self.spec.instructions,
                kinds=self.spec.lists,
                settings=self.prompt.pass_settings(self.spec),
                bounded_items=self.spec.truncated_max_items,
            )
        except ModelError as err:
            status = "failed"
            usage = Usage.model_validate(err.usage) if err.usage else Usage(calls=err.attempts)
            error = Failure(
                kind=err.kind,
                message=f"langextract: {err}",
                attempts=err.attempts,
                last_output=err.last_output,
            )
        else:
            usage, model_s = answer.usage, answer.model_seconds
            mentions, dropped = mentions_of(answer.found, self.spec.lists)
            sections, left_out = answer_sections(self.spec, mentions, doc.text)
            dropped += left_out
            record = CaseReport.model_validate({**empty_case_report().model_dump(), **sections})
            grounding = place_evidence(record, answer.found, doc.text)
            if self.prompt.settings.unsupported == "drop":
                dropped += drop_unsupported(record)
        total = time.perf_counter() - t0
        return Extraction(
            document=document_info(doc),
            status=status,
            record=record,
            error=error,
            grounding=grounding,
            provenance=provenance(
                prompt_version=self.prompt.version,
                prompt_sha256=self.prompt.sha256,
                settings=self.settings(),
                described=self.client.describe(),
                document_sha256=doc.sha256,
                started_at=started,
                finished_at=now_iso(),
                timings={"total": round(total, 3), "model": round(model_s, 3)},
                usage=usage,
                passes=[
                    PassRecord(
                        name="langextract",
                        sections=list(self.spec.sections),
                        seconds=round(model_s, 3),
                        usage=usage,
                        status=status,
                        error=None if error is None else error.message,
                    )
                ],
            ),
            dropped=dropped,
            not_extracted=None if record is None else self.prompt.not_extracted(),
        )
