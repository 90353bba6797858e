"""A run folder as analysis tables: one row per document, one table per list of facts.

Systematic reviews are analysed in R, pandas or a spreadsheet, not in nested JSON.  `build_tables`
flattens every document of a run (the reviewed values where a review exists, the model's value
beside each one) into plain rows of scalars; `abstraction.review.table_files` writes them as
CSV, Parquet, Excel or JSON Lines.  The reviewed values come from the same edit application the
review app and `abstraction review export` use (`RunStore.state`), never re-implemented here.

Column rules (the full list is in docs/export.md):
- every value column ``c`` has a partner ``c_model``: the model's value before any review;
- a fact's evidence gives ``grounding`` (exact, fuzzy, unsupported), ``quote``, ``start`` and
  ``end`` (character offsets, end exclusive), each with its ``_model`` partner too;
- ``review`` is the reviewer's decision on the fact (unreviewed, accepted, edited, rejected); a
  rejected fact keeps its row, with its model values and empty reviewed values;
- a list of strings (a relapse's body sites, the authors) is joined with ``"; "``; an empty
  list is an empty cell.

Library code: returns values and raises `UserError`; nothing is printed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from abstraction.core.errors import UserError
from abstraction.core.schema import CaseReport
from abstraction.review import pointer as jp
from abstraction.review.edits import Applied, FactState, ReviewFile
from abstraction.review.export import corrected_record
from abstraction.review.layout import Slot, record_model, review_schema, slots
from abstraction.review.store import REVIEW_SUFFIX, Entry, RunStore, dual_readers

LIST_TABLES: dict[str, str] = {
    "/diagnoses": "diagnoses",
    "/findings": "findings",
    "/disease_events": "events",
    "/treatments": "treatments",
    "/assessments": "assessments",
    "/timeline": "timeline",
}
"""List slots of `CaseReport` that get a table of their own, by table name (the others are
joined in the documents table: the authors and keywords).  For another schema see
`list_tables`."""
EDITS_TABLE = "review_edits"
TABLE_NAMES: tuple[str, ...] = ("documents", *LIST_TABLES.values(), EDITS_TABLE)
EDIT_COLUMNS = (
    "document_id",
    "review_file",
    "edit_id",
    "version",
    "op",
    "pointer",
    "old",
    "new",
    "reviewer",
    "reason",
    "at",
    "state",
)
"""The ``review_edits`` table: every stored reviewer edit, who, why and when, and what became
of it."""
EVIDENCE_COLUMNS: dict[str, str] = {
    "grounding": "status",
    "quote": "quote",
    "start": "start",
    "end": "end",
}
"""Column name -> key of the fact's evidence."""
JOIN = "; "
DOCUMENT_COLUMNS = (
    "document_id",
    "status",
    "error",
    "review_status",
    "edits",
    "open_conflicts",
    "model",
    "prompt_version",
)
ITEM_COLUMNS = ("document_id", "item", "item_model", "added", "review")

Row = dict[str, Any]


@dataclass
class Table:
    """One table: its column names in order, and rows keyed by them (None: empty)."""

    name: str
    columns: list[str]
    rows: list[Row] = field(default_factory=list)


def _fields(slot: Slot) -> list[str]:
    return [f for f in slot.model.model_fields if f != "evidence"]


def _paired(names: list[str]) -> list[str]:
    return [c for n in names for c in (n, f"{n}_model")]


def _prefix(slot: Slot) -> str:
    return "_".join(jp.split(slot.pointer))


def fact_columns(slot: Slot, *, prefix: str = "") -> list[str]:
    """The columns of one fact: its fields, then its evidence, each with a `_model` partner."""
    names = [
        prefix if f == "value" and prefix else f"{prefix}_{f}" if prefix else f
        for f in _fields(slot)
    ]
    evidence = [f"{prefix}_{c}" if prefix else c for c in EVIDENCE_COLUMNS]
    review = [f"{prefix}_review"] if prefix else []
    return review + _paired(names + evidence)


def _scalar(value: Any) -> Any:
    if isinstance(value, list):
        return JOIN.join(str(v) for v in value) or None
    return value


def _fact_values(slot: Slot, fact: Any, *, prefix: str, suffix: str) -> Row:
    """The cells of one fact (all empty when the fact is null)."""
    fact = fact if isinstance(fact, dict) else {}
    evidence = fact.get("evidence") if isinstance(fact.get("evidence"), dict) else {}
    row: Row = {}
    for f in _fields(slot):
        name = prefix if f == "value" and prefix else f"{prefix}_{f}" if prefix else f
        row[name + suffix] = _scalar(fact.get(f))
    for column, key in EVIDENCE_COLUMNS.items():
        name = f"{prefix}_{column}" if prefix else column
        row[name + suffix] = evidence.get(key)
    return row


def _reviewed(fact: FactState) -> Any:
    return None if fact.status == "rejected" else fact.value


def _fact_cells(fact: FactState, *, prefix: str = "") -> Row:
    return {
        **_fact_values(fact.slot, _reviewed(fact), prefix=prefix, suffix=""),
        **_fact_values(fact.slot, fact.original, prefix=prefix, suffix="_model"),
    }


def _joined(facts: list[FactState], *, model: bool) -> str | None:
    values = [f.original if model else _reviewed(f) for f in facts]
    kept = [str(v["value"]) for v in values if isinstance(v, dict) and "value" in v]
    return JOIN.join(kept) if kept else None


def list_tables() -> dict[str, str]:
    """The list slots with a table of their own, by pointer: `LIST_TABLES` for `CaseReport`;
    for another schema every list whose facts have fields besides ``value``, the table named
    by the list's path (``/pathogens``: ``pathogens``)."""
    if record_model() is CaseReport:
        return LIST_TABLES
    return {s.pointer: _prefix(s) for s in slots() if s.many and _fields(s) != ["value"]}


def empty_tables() -> dict[str, Table]:
    """Every table with its columns and no rows (the columns come from the schema)."""
    doc_columns = list(DOCUMENT_COLUMNS)
    lists = list_tables()
    for slot in slots():
        prefix = _prefix(slot)
        if not slot.many:
            doc_columns += fact_columns(slot, prefix=prefix)
        elif slot.pointer not in lists:
            doc_columns += _paired([prefix])
    tables = {"documents": Table("documents", doc_columns)}
    for slot in slots():
        if slot.pointer in lists:
            name = lists[slot.pointer]
            tables[name] = Table(name, [*ITEM_COLUMNS, *fact_columns(slot)])
    if EDITS_TABLE in tables:  # a schema's own list of that name keeps its table
        raise UserError(f"the schema has a list named {EDITS_TABLE!r}, the edits table's name")
    tables[EDITS_TABLE] = Table(EDITS_TABLE, list(EDIT_COLUMNS))
    return tables


def _document_row(entry: Entry, review_edits: int, state: Applied | None) -> Row:
    ext = entry.extraction
    row: Row = {
        "document_id": entry.id,
        "status": ext.status if ext else "unreadable",
        "error": entry.error or (ext.error.message if ext and ext.error else None),
        "review_status": state.doc_status if state else None,
        "edits": review_edits,
        "open_conflicts": len(state.conflicts) if state else None,
        "model": ext.provenance.model if ext else None,
        "prompt_version": ext.provenance.prompt_version if ext else None,
    }
    if state is None:
        return row
    for slot in slots():
        facts = [f for f in state.facts if f.slot == slot]
        prefix = _prefix(slot)
        if not slot.many:
            row[f"{prefix}_review"] = facts[0].status if facts[0].value is not None else None
            row.update(_fact_cells(facts[0], prefix=prefix))
        elif slot.pointer not in list_tables():
            row[prefix] = _joined(facts, model=False)
            row[f"{prefix}_model"] = _joined(facts, model=True)
    return row


def _item_rows(doc_id: str, state: Applied, slot: Slot) -> list[Row]:
    rows = []
    position = 0
    for fact in (f for f in state.facts if f.slot == slot):
        rejected = fact.status == "rejected"
        model_index = None if fact.added else int(jp.split(fact.pointer)[-1])
        rows.append(
            {
                "document_id": doc_id,
                "item": None if rejected else position,
                "item_model": model_index,
                "added": fact.added,
                "review": fact.status,
                **_fact_cells(fact),
            }
        )
        position += not rejected
    return rows


def _edit_text(value: Any) -> str | None:
    """An edit's old or new value as one text cell: a string as it is, else its JSON."""
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _edit_rows(
    store: RunStore, doc_id: str, review: ReviewFile, state: Applied | None
) -> list[Row]:
    """One row per stored edit, in the order made.  ``state``: ``applied``; ``conflict`` (it
    no longer fits the model output: open in the review app); ``conflict resolved`` (a later
    edit covers it, or a reviewer dismissed it); ``not applied`` (the output has no record now:
    a failed or unreadable extraction, or no extraction file at all)."""
    if state is None:
        states = dict.fromkeys((e.id for e in review.edits), "not applied")
    else:
        states = {e.id: "applied" for e in state.applied}
        states |= {c.edit.id: "conflict" for c in state.conflicts}
        states |= {c.edit.id: "conflict resolved" for c in state.resolved}
    path = store.reviews_root / f"{doc_id}{REVIEW_SUFFIX}"
    where = path.relative_to(store.root).as_posix() if review.edits else None
    return [
        {
            "document_id": doc_id,
            "review_file": where,
            "edit_id": e.id,
            "version": e.version,
            "op": e.op,
            "pointer": e.pointer,
            "old": _edit_text(e.old),
            "new": _edit_text(e.new),
            "reviewer": e.reviewer,
            "reason": e.reason,
            "at": e.at,
            "state": states.get(e.id, "not applied"),
        }
        for e in review.edits
    ]


def build_tables(store: RunStore, *, reviewed_only: bool = False) -> dict[str, Table]:
    """The tables of every document in the run folder, by table name (`TABLE_NAMES` order).

    A failed or unreadable extraction is a documents row with its error and no facts.  With
    `reviewed_only`, documents not marked reviewed are left out.  Raises `UserError` when a
    document's corrected record does not validate (as `abstraction review export` does).
    The tables follow the run's schema (`RunStore.record_schema`).
    """
    with review_schema(store.record_schema.model):
        return _build_tables(store, reviewed_only=reviewed_only)


def _orphans(store: RunStore, duals: list[RunStore], tables: dict[str, Table]) -> None:
    """Review files whose extraction file is gone: a ``documents`` row (status ``missing``)
    and their edits, not applied.  They were in no table (eleventh session's audit)."""
    known = {r["document_id"] for r in tables["documents"].rows}
    for one in (store, *duals):
        for doc_id in sorted(set(one.review_stamps()) - known):
            review = one.orphan_review(doc_id)
            if one is store:
                tables["documents"].rows.append(
                    {
                        "document_id": doc_id,
                        "status": "missing",
                        "error": "the extraction file is gone; its review file is kept",
                        "edits": len(review.edits),
                    }
                )
            tables[EDITS_TABLE].rows += _edit_rows(one, doc_id, review, None)


def _build_tables(store: RunStore, *, reviewed_only: bool) -> dict[str, Table]:
    tables = empty_tables()
    lists = list_tables()
    duals = dual_readers(store)
    edits = tables[EDITS_TABLE].rows
    for entry in store.entries():
        if entry.extraction is None or entry.extraction.record is None:
            if not reviewed_only:  # its reviewers' edits are kept, and listed, all the same
                review = store.review(entry.id)
                tables["documents"].rows.append(_document_row(entry, len(review.edits), None))
                for one in (store, *duals):
                    edits += _edit_rows(one, entry.id, one.review(entry.id), None)
            continue
        review, state = store.state(entry.id)
        if reviewed_only and state.doc_status != "reviewed":
            continue
        corrected_record(entry.id, state)  # refuse an invalid corrected record, as export does
        tables["documents"].rows.append(_document_row(entry, len(review.edits), state))
        edits += _edit_rows(store, entry.id, review, state)
        for dual in duals:
            edits += _edit_rows(dual, entry.id, *dual.state(entry.id))
        for slot in slots():
            if slot.pointer in lists:
                tables[lists[slot.pointer]].rows += _item_rows(entry.id, state, slot)
    if not reviewed_only:
        _orphans(store, duals, tables)
        rows = {r["document_id"]: r for r in tables["documents"].rows}
        for doc_id, why in store.left_out():
            if doc_id in rows:  # a review kept for it: one row, with both reasons
                rows[doc_id]["error"] = f"{rows[doc_id]['error']}; {why}"
                continue
            tables["documents"].rows.append(
                {"document_id": doc_id, "status": "left out", "error": why}
            )
    return tables
