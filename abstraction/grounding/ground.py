"""Ground every fact of a record in the source text.

For each fact the quote is aligned (see `align`), then two checks decide whether the words found
actually support it:
- a patient fact quoted from page boilerplate (banner, licence, disclaimer) is unsupported;
- a value that must be stated in the source is checked there: an age's number must be in its
  quote, and a named target (e.g. "CD19") must occur in the text.
Unsupported facts stay in the record, flagged with a note; nothing is dropped here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Set
from typing import TypeVar

from pydantic import BaseModel

from abstraction.core.records import GroundingSummary
from abstraction.core.schema import (
    METADATA_SECTIONS,
    AgeFact,
    Evidence,
    Treatment,
    iter_evidence,
)
from abstraction.grounding.align import Aligner, Alignment, Span, normalize
from abstraction.grounding.boilerplate import content_spans, prose_spans

R = TypeVar("R", bound=BaseModel)

ValueCheck = Callable[[BaseModel, Evidence, "Aligner"], str | None]
"""Returns a note when the fact's value is not supported, else None."""


def _age_check(fact: BaseModel, ev: Evidence, aligner: Aligner) -> str | None:
    assert isinstance(fact, AgeFact)
    value = fact.value
    number = str(int(value)) if float(value).is_integer() else str(value)
    if not re.search(rf"(?<![\d.]){re.escape(number)}(?![\d])", ev.quote):
        return f"the quote does not state the age {number}"
    return None


def _target_check(fact: BaseModel, ev: Evidence, aligner: Aligner) -> str | None:
    assert isinstance(fact, Treatment)
    if fact.target and normalize(fact.target) not in aligner._norm.text:
        return f"target {fact.target!r} is not named in the text"
    return None


VALUE_CHECKS: dict[type[BaseModel], ValueCheck] = {AgeFact: _age_check, Treatment: _target_check}


def _owner_of(record: BaseModel) -> dict[int, BaseModel]:
    """Map id(evidence) -> the fact model holding it."""
    owners: dict[int, BaseModel] = {}

    def walk(m: BaseModel) -> None:
        for name in type(m).model_fields:
            v = getattr(m, name)
            if isinstance(v, Evidence):
                owners[id(v)] = m
            elif isinstance(v, BaseModel):
                walk(v)
            elif isinstance(v, list):
                for item in v:
                    if isinstance(item, BaseModel):
                        walk(item)

    walk(record)
    return owners


def _apply(ev: Evidence, hit: Alignment | None, *, allowed: list[Span], is_metadata: bool) -> None:
    ev.start = ev.end = ev.method = ev.similarity = ev.note = None
    if hit is None:
        ev.status = "unsupported"
        ev.note = "quote not found in the source" if ev.quote.strip() else "no quote given"
        return
    ev.start, ev.end, ev.method, ev.similarity = hit.start, hit.end, hit.method, hit.similarity  # type: ignore[assignment]
    ev.status = "fuzzy" if hit.method == "fuzzy" else "exact"
    if hit.occurrences > 1:
        ev.note = f"quote occurs {hit.occurrences} times; the first allowed one is used"
    if not is_metadata and not any(s.start <= hit.start and hit.end <= s.end for s in allowed):
        ev.status = "unsupported"
        ev.note = "quote is page boilerplate (banner, licence or disclaimer), not case text"


def ground_record(
    record: R, text: str, *, in_place: bool = False, metadata: Set[str] = METADATA_SECTIONS
) -> tuple[R, GroundingSummary]:
    """Return a grounded copy of `record` and counts of exact / fuzzy / unsupported facts.

    `in_place` grounds `record` itself, for a caller that owns it (for a short record the deep
    copy is a third of the time).  `record` is a `CaseReport` or a record of another schema
    (`abstraction.core.schemas`); `metadata` names its sections whose quotes may come from
    front matter."""
    grounded = record if in_place else record.model_copy(deep=True)
    aligner = Aligner(text)
    allowed = content_spans(text)
    prose = prose_spans(text)
    owners = _owner_of(grounded)
    counts = {"exact": 0, "fuzzy": 0, "unsupported": 0}
    for path, ev in iter_evidence(grounded):
        is_metadata = path.split(".")[0].split("[")[0] in metadata
        hit = (
            aligner.align(ev.quote)
            if is_metadata
            else aligner.align(ev.quote, allowed=allowed, preferred=prose)
        )
        _apply(ev, hit, allowed=allowed, is_metadata=is_metadata)
        owner = owners[id(ev)]
        check = VALUE_CHECKS.get(type(owner))
        if check and ev.status != "unsupported":
            problem = check(owner, ev, aligner)
            if problem:
                ev.status, ev.note = "unsupported", problem
        counts[ev.status or "unsupported"] += 1
    summary = GroundingSummary(facts=sum(counts.values()), **counts)
    return grounded, summary
