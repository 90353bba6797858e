"""Merge the extractions of a long document's parts into one record for the whole text.

- Offsets: each part's evidence offsets are shifted by the part's start, so they index the
  full text; `page`/`section` are then set from the document's ranges.
- Lists: the parts' lists are concatenated in part order (that is, text order; within a part the
  model's own, chronological order is kept), and a fact is dropped as a duplicate when an earlier
  one has the same value and the same evidence (overlapping spans, or the same quote when either
  is not grounded).  Overlap between parts is what makes such duplicates.
- Single facts (patient age, title, outcome...): the first grounded value wins for source and
  patient facts, the last grounded value for outcome facts (outcomes are reported at the end).
- Another schema (`abstraction.core.schemas`): lists are concatenated and deduplicated alike,
  and every single fact is the first grounded one (`merge_any`).
- Failures: when a part fails, the merged record keeps the other parts, the document's status
  is ``failed`` with kind ``partial``, and `provenance.parts` says which characters are missing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel

from abstraction.core.documents import Document
from abstraction.core.records import (
    DocumentInfo,
    Extraction,
    Failure,
    PartRecord,
    PassRecord,
    Provenance,
    Usage,
)
from abstraction.core.schema import (
    CaseReport,
    Evidence,
    empty_case_report,
    iter_evidence,
)
from abstraction.core.schemas import extraction_type, schema_of
from abstraction.extraction.chunking import Part
from abstraction.grounding.ground import is_attribute, summarize
from abstraction.grounding.support import is_not_stated

_FIRST_WINS = (
    ("source", ("title", "journal", "year", "doi")),
    ("patient", ("age", "age_group", "sex")),
)
_LAST_WINS = (("outcome", ("status", "cause_of_death", "follow_up")),)
_LISTS = (
    ("source", "authors"),
    ("source", "keywords"),
    (None, "diagnoses"),
    (None, "findings"),
    (None, "disease_events"),
    (None, "treatments"),
    (None, "assessments"),
    (None, "timeline"),
)
_WS = re.compile(r"\s+")


def _norm(value: object) -> object:
    if isinstance(value, str):
        return _WS.sub(" ", value).strip().casefold()
    if isinstance(value, dict):
        return tuple(sorted((k, _norm(v)) for k, v in value.items() if k != "evidence"))
    if isinstance(value, list):
        return tuple(_norm(v) for v in value)
    return value


def _evidence_of(fact: BaseModel) -> Evidence | None:
    ev = getattr(fact, "evidence", None)
    return ev if isinstance(ev, Evidence) else None


def same_evidence(a: Evidence | None, b: Evidence | None) -> bool:
    """Overlapping grounded spans, or equal quotes when either side is not grounded."""
    if a is None or b is None:
        return a is b
    grounded = a.status != "unsupported" and b.status != "unsupported"
    if grounded and None not in (a.start, a.end, b.start, b.end):
        return a.start < b.end and b.start < a.end  # type: ignore[operator]
    return _norm(a.quote) == _norm(b.quote)


def dedupe(facts: list[BaseModel]) -> list[BaseModel]:
    """Keep the first of each (value, evidence) group, in order."""
    kept: list[BaseModel] = []
    keys: list[object] = []
    for fact in facts:
        key = _norm(fact.model_dump(exclude={"evidence"}))
        ev = _evidence_of(fact)
        if any(
            k == key and same_evidence(_evidence_of(f), ev) for k, f in zip(keys, kept, strict=True)
        ):
            continue
        kept.append(fact)
        keys.append(key)
    return kept


def shift(record: CaseReport, offset: int) -> CaseReport:
    """A copy with every grounded offset moved by `offset` (part text -> full text)."""
    moved = record.model_copy(deep=True)
    if offset:
        for _, ev in iter_evidence(moved):
            if ev.start is not None:
                ev.start += offset
            if ev.end is not None:
                ev.end += offset
    return moved


def locate_evidence(record: CaseReport, doc: Document) -> None:
    """Set each grounded evidence's `page` and `section` from the document's ranges."""
    if not doc.ranges:
        return
    for _, ev in iter_evidence(record):
        if ev.start is None:
            continue
        where = doc.locate(ev.start)
        if where is not None:
            ev.page, ev.section = where.page, where.section


def _pick(candidates: list[BaseModel | None], *, last: bool) -> BaseModel | None:
    present = [c for c in candidates if c is not None]
    if last:
        present.reverse()
    grounded = [c for c in present if (e := _evidence_of(c)) is None or e.status != "unsupported"]
    chosen = grounded or present
    return chosen[0] if chosen else None


def merge_any(records: list[BaseModel]) -> BaseModel:
    """`merge_records` for a record of any schema: lists concatenated in part order and
    deduplicated, groups merged field by field, single facts the first grounded one."""
    model = type(records[0])
    return model.model_validate(_merged_fields(model, records))


def _merged_fields(model: type[BaseModel], groups: list[BaseModel]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in model.model_fields:
        values = [getattr(g, name) for g in groups]
        sample = next((v for v in values if v is not None), None)
        if isinstance(sample, list):
            out[name] = [_dump(i) for i in dedupe([i for v in values if v for i in v])]
        elif isinstance(sample, BaseModel) and _evidence_of(sample) is None:  # a group
            out[name] = _merged_fields(type(sample), [v for v in values if v is not None])
        else:
            out[name] = _dump(_pick(values, last=False))
    return out


def _dump(value: Any) -> Any:
    return value.model_dump() if isinstance(value, BaseModel) else value


def merge_records(records: list[CaseReport]) -> CaseReport:
    """Merge records whose offsets already index the same text (see module docstring)."""
    if not isinstance(records[0], CaseReport):
        return merge_any(records)
    merged = empty_case_report()
    for rules, last in ((_FIRST_WINS, False), (_LAST_WINS, True)):
        for section, names in rules:
            for name in names:
                chosen = _pick([getattr(getattr(r, section), name) for r in records], last=last)
                setattr(getattr(merged, section), name, chosen)
    for list_section, name in _LISTS:
        owner = getattr(merged, list_section) if list_section else merged
        items = [
            item
            for r in records
            for item in getattr(getattr(r, list_section) if list_section else r, name)
        ]
        setattr(owner, name, dedupe(items))
    return CaseReport.model_validate(merged.model_dump())


def _sum_usage(usages: Iterator[Usage]) -> Usage:
    total = Usage()
    for u in usages:
        total = total + u
    return total


def _provenance(doc: Document, parts: list[Part], results: list[Extraction]) -> Provenance:
    first = results[0].provenance
    timings: dict[str, float] = {}
    passes: list[PassRecord] = []
    for part, res in zip(parts, results, strict=True):
        for k, v in res.provenance.timings.items():
            timings[k] = timings.get(k, 0.0) + v
        passes.extend(
            p.model_copy(update={"name": f"part{part.index + 1}:{p.name}"})
            for p in res.provenance.passes
        )
    records = [
        PartRecord(
            index=part.index,
            start=part.start,
            end=part.end,
            section=part.section,
            status=res.status,
            error=None if res.error is None else f"{res.error.kind}: {res.error.message}",
        )
        for part, res in zip(parts, results, strict=True)
    ]
    return first.model_copy(
        update={
            "document_sha256": doc.sha256,
            "started_at": min(r.provenance.started_at for r in results),
            "finished_at": max(r.provenance.finished_at for r in results),
            "timings": timings,
            "usage": _sum_usage(r.provenance.usage for r in results),
            "passes": passes,
            "parts": records,
        }
    )


def _not_extracted(results: list[Extraction]) -> list[str] | None:
    """A field any part did not extract (its prompt never asks, or an optional pass failed on
    that part): what the record has there may be incomplete.  Failed parts have none (their
    text is missing from the record, as `Provenance.parts` says)."""
    if all(r.not_extracted is None for r in results):
        return None
    schema = schema_of(results[0])
    return schema.collapse(
        p
        for p in schema.field_paths
        if any(p in left or p.split(".")[0] in left for r in results if (left := r.not_extracted))
    )


def merge_extractions(doc: Document, parts: list[Part], results: list[Extraction]) -> Extraction:
    """One `Extraction` for the whole document from its parts' extractions (same order)."""
    ok = [(p, r) for p, r in zip(parts, results, strict=True) if r.status == "ok" and r.record]
    failed = [(p, r) for p, r in zip(parts, results, strict=True) if r.status != "ok"]
    record = merge_records([shift(r.record, p.start) for p, r in ok]) if ok else None  # type: ignore[arg-type]
    if record is not None:
        locate_evidence(record, doc)
    error = None
    if failed:
        missing = ", ".join(f"part {p.index + 1} (chars {p.start}-{p.end})" for p, _ in failed)
        first_error = failed[0][1].error
        error = Failure(
            kind="partial" if ok else (first_error.kind if first_error else "failed"),
            message=f"{len(failed)} of {len(parts)} parts failed; missing from the record: "
            f"{missing}; first error: {first_error.message if first_error else 'unknown'}",
            attempts=sum(r.error.attempts for _, r in failed if r.error),
            last_output=first_error.last_output if first_error else None,
        )
    dropped = [
        d.model_copy(update={"path": f"part{p.index + 1}:{d.path}"})
        for p, r in zip(parts, results, strict=True)
        for d in r.dropped
    ]
    grounding = None
    if record is not None:
        grounding = summarize(record)
        facts = [d for d in dropped if not is_attribute(d)]
        if facts:  # the counts cover every fact the parts grounded, dropped ones too
            grounding = grounding.model_copy(
                update={
                    "facts": grounding.facts + len(facts),
                    "unsupported": grounding.unsupported + len(facts),
                    "not_stated": grounding.not_stated + sum(is_not_stated(d.note) for d in facts),
                }
            )
    return extraction_type(schema_of(results[0]))(
        document=document_info(doc),
        status="failed" if failed else "ok",
        record=record,
        error=error,
        grounding=grounding,
        provenance=_provenance(doc, parts, results),
        dropped=dropped,
        not_extracted=_not_extracted(results),
    )


def document_info(doc: Document) -> DocumentInfo:
    return DocumentInfo(
        id=doc.id, path=doc.path, sha256=doc.sha256, chars=len(doc.text), format=doc.format
    )
