"""The files the toolkit writes and reads: extraction outputs and gold records.

An `Extraction` is what `abstraction extract` writes for one document, success or failure: a
failed document keeps its reason and its provenance, and is never written as an empty record.
A `GoldRecord` is a hand-labelled record; `annotated_fields` lets a partial gold (e.g. imported
from a brat corpus) say which field paths it covers, so the scorer leaves the rest alone.
Both carry `kind` and `format_version` so a reader knows what it holds.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from abstraction.core.schema import SCHEMA_VERSION, CaseReport, Strict
from abstraction.core.scoring import Score

FORMAT_VERSION = "1"


class Usage(Strict):
    """Tokens and calls spent on a document, re-asks included."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    calls: int = 0
    retries: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            total_tokens=self.total_tokens + other.total_tokens,
            calls=self.calls + other.calls,
            retries=self.retries + other.retries,
        )


class PassRecord(Strict):
    """One prompt pass: what it asked for and what it cost."""

    name: str
    sections: list[str]
    seconds: float
    usage: Usage
    status: Literal["ok", "failed", "skipped"] = Field(
        description="skipped: the pass does not apply to this text (`only_with_header` on a "
        "text without front matter); no request was made and `error` says why."
    )
    error: str | None = None
    retried: str | None = Field(
        default=None,
        description="Why the pass was asked once more with a bounded request (the first "
        "answer's error); `usage` and `seconds` include both requests.",
    )


class Provenance(Strict):
    """Everything needed to replay an extraction and to know what produced it."""

    toolkit_version: str
    schema_version: str = SCHEMA_VERSION
    schema_ref: str | None = Field(
        default=None,
        exclude_if=lambda v: v is None,
        description="The record schema ('package.module:ClassName') when it is not the "
        "built-in CaseReport (absent: CaseReport at `schema_version`).",
    )
    schema_sha256: str | None = Field(
        default=None,
        exclude_if=lambda v: v is None,
        description="sha256 of that schema's JSON Schema (keys sorted), with `schema_ref`.",
    )
    prompt_version: str
    prompt_sha256: str
    code_sha256: str | None = Field(
        default=None,
        exclude_if=lambda v: v is None,
        description="sha256 of the code and vocabularies that turn the model's answers into "
        "the record (rules, mentions, grounding, scoring terms, their data files): the same "
        "prompt and answers give the same record only with the same code.",
    )
    model: str
    model_sha256: str | None = None
    endpoint: str = Field(description="'local' or the endpoint's base URL (no credentials).")
    structured_output: str
    settings: dict[str, Any]
    document_sha256: str
    started_at: str
    finished_at: str
    timings: dict[str, float] = Field(description="Seconds: total, model, grounding, ...")
    usage: Usage
    passes: list[PassRecord]
    parts: list[PartRecord] | None = Field(
        default=None,
        description="Set when the document was split into parts: every part, ok or failed; "
        "the text of a failed part is missing from the record.",
    )


class PartRecord(Strict):
    """One part of a long document that was extracted on its own, then merged."""

    index: int
    start: int = Field(ge=0, description="Character offset of the part in the full text.")
    end: int = Field(ge=0)
    section: str | None = Field(description="Section (or page) the part starts in, if known.")
    status: Literal["ok", "failed"]
    error: str | None = None


class Failure(Strict):
    kind: str = Field(description="truncated, unparseable, invalid, http, timeout, input, ...")
    message: str
    attempts: int = 0
    last_output: str | None = None


class GroundingSummary(Strict):
    """Facts by grounding status, and how many met each support rule (docs/grounding.md).

    The last three counts are 0 in files written before they existed."""

    facts: int
    exact: int
    fuzzy: int
    unsupported: int
    not_stated: int = Field(
        default=0,
        description="Facts with a value (key or attribute) their quote does not state; "
        "unsupported, or (prompt setting unstated = 'drop') kept without that attribute.",
    )
    header: int = Field(
        default=0, description="Patient facts quoted only from the article's front matter."
    )
    relocated: int = Field(
        default=0,
        description="Facts whose quote grounding replaced by the case-text sentence that "
        "states the value (prompt setting relocate).",
    )


class DroppedFact(Strict):
    """A fact kept out of the record: grounding found no support for it in the text, or a
    pass's rules did not take the phrase as a name (see `PassSpec.name_max_words`)."""

    path: str = Field(
        description="Where it was, e.g. 'findings[3]' (index before removal), or "
        "'<pass>:<list>' for a phrase a pass's rules left out."
    )
    fact: dict[str, Any] = Field(description="The fact as the model gave it, with its evidence.")
    note: str | None = Field(description="Why it is unsupported (the grounding note).")


class DocumentInfo(Strict):
    id: str
    path: str | None
    sha256: str
    chars: int
    format: str = "text"


class Extraction(Strict):
    kind: Literal["extraction"] = "extraction"
    format_version: Literal["1"] = "1"
    document: DocumentInfo
    status: Literal["ok", "failed"]
    record: CaseReport | None
    error: Failure | None
    grounding: GroundingSummary | None
    provenance: Provenance
    dropped: list[DroppedFact] = Field(
        default_factory=list,
        description="Facts kept out of the record, never lost: unsupported ones (prompt "
        "setting unsupported = 'drop'; the grounding counts include them) and phrases a "
        "pass's rules did not take as names (not grounded, not counted).",
    )
    not_extracted: list[str] | None = Field(
        default=None,
        description="Fields the prompt did not ask the model for (a section, e.g. 'timeline', "
        "or a field, e.g. 'treatments.dose'): in `record` they are null or empty because they "
        "were not extracted, not because the text does not report them: the prompt does not ask "
        "for them, or its optional pass that asks for them failed (see `provenance.passes`).  "
        "[] means every field was extracted; null, a failed document or a file written before "
        "this field.",
    )


class GoldRecord(Strict):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_serialization_defaults_required=True,
        serialize_by_alias=True,
        validate_by_name=True,
    )

    kind: Literal["gold"] = "gold"
    format_version: Literal["1"] = "1"
    schema_ref: str | None = Field(
        default=None,
        alias="schema",
        exclude_if=lambda v: v is None,
        description="The record schema ('package.module:ClassName'); absent: CaseReport.",
    )
    document_id: str
    document_sha256: str | None
    annotator: str
    annotated_fields: list[str] | None = Field(
        description="Field paths this gold covers (e.g. 'patient.age', 'treatments'); "
        "null means every field."
    )
    notes: str | None
    record: CaseReport
    order: dict[str, list[tuple[int, int]]] | None = Field(
        default=None,
        exclude_if=lambda v: v is None,
        description="A partial gold order for ordered top-level lists (e.g. 'timeline'): "
        "pairs [i, j] of the list's indices, item i before item j, and only those are scored "
        "(a corpus that orders some events, not all).  Absent, or a list not named here: the "
        "list's own order is the gold order, every pair of its items.",
    )

    @model_validator(mode="after")
    def _order_indices(self) -> GoldRecord:
        for path, pairs in (self.order or {}).items():
            items = getattr(self.record, path, None)
            if not isinstance(items, list) or not _ordered(self.record, path):
                raise ValueError(f"order names {path!r}: not an ordered list of the record")
            for i, j in pairs:
                if i == j or not (0 <= i < len(items) and 0 <= j < len(items)):
                    raise ValueError(
                        f"order of {path!r}: pair [{i}, {j}] is not two distinct items of its "
                        f"{len(items)}"
                    )
            if len(set(pairs)) != len(pairs):
                raise ValueError(f"order of {path!r}: a pair is given twice")
            if cycle := _cycle(pairs):
                raise ValueError(f"order of {path!r}: items {cycle} are ordered both ways")
        return self


def _ordered(record: BaseModel, path: str) -> bool:
    """Whether the record's field `path` is a list whose order is scored (``ordered=True``)."""
    info = type(record).model_fields.get(path)
    return info is not None and any(isinstance(m, Score) and m.ordered for m in info.metadata)


def _cycle(pairs: list[tuple[int, int]]) -> list[int]:
    """Items on a cycle of `pairs` (i before j ... before i), or [] when they are a partial
    order."""
    succ: dict[int, list[int]] = {}
    for i, j in pairs:
        succ.setdefault(i, []).append(j)
    state: dict[int, int] = {}  # 1: on the current path, 2: done
    path: list[int] = []

    def visit(n: int) -> list[int]:
        state[n] = 1
        path.append(n)
        for m in succ.get(n, ()):
            if state.get(m) == 1:
                return path[path.index(m) :]
            if m not in state and (found := visit(m)):
                return found
        state[n] = 2
        path.pop()
        return []

    for n in list(succ):
        if n not in state and (found := visit(n)):
            return found
    return []
