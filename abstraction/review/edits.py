"""Corrections as edits over the model's record: the sidecar file and the pure functions over it.

The model's `Extraction` file is never changed.  A reviewer's work is a list of `Edit`s in
``<run>/reviews/<doc-id>.review.json``; the corrected record is the model's record with the edits
applied, recomputed every time it is read.  Each edit is keyed by its JSON pointer and the
model's value at that pointer when it was made (`old`), so when the document is extracted again
(a new prompt, a new model) an edit is re-applied only where the new model output still holds
the value the reviewer saw; otherwise it is reported as a conflict, never silently dropped or
forced.  Everything here is pure (no files, no clock): `plan` turns requests into edits,
`store` does the I/O.

Order of application: `add` edits first (appending items, addressable as ``/list/-<id>``), then
`set` / `set_evidence` in file order, then the list orders (the last `order` edit of a list
decides its order; items added after it follow in the order they were added), then rejections
(a rejected optional fact becomes null, a rejected list item is dropped).  A fact's status is
decided by the last decision on it: a reject after an edit rejects it; an edit or accept after a
reject brings it back.  An `order` edit keeps the model's list as `old`: when a re-extraction
changes that list, the order is a conflict, like any edit whose model value changed.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import Field, ValidationError

from abstraction.core.errors import UserError
from abstraction.core.schema import Strict
from abstraction.review import pointer as jp
from abstraction.review.layout import Slot, record_model, slots

REVIEW_FORMAT_VERSION = "1"

EditOp = Literal["set", "set_evidence", "accept", "reject", "add", "order", "status", "dismiss"]
FactStatus = Literal["unreviewed", "accepted", "edited", "rejected"]
DocStatus = Literal["unreviewed", "in_progress", "reviewed"]
_META = ("status", "dismiss")
"""Edits about the review itself, not about a field's value."""
REVIEWER_NOTE = "set by reviewer from a text selection"
NO_QUOTE_NOTE = "added by reviewer without selecting a quote"


class Edit(Strict):
    """One reviewer action, as stored.  Nothing in a stored edit is ever rewritten."""

    id: str
    op: EditOp
    pointer: str = Field(description="RFC 6901 pointer into the record; '' for a status edit.")
    old: Any = Field(description="The model's value at `pointer` when the edit was made.")
    new: Any = None
    reviewer: str
    reason: str | None = None
    at: str = Field(description="UTC time, ISO 8601.")
    base: str = Field(description="record_hash() of the model record the edit was made on.")
    version: int = Field(ge=1, description="The review file version this edit created.")
    item: Any = Field(
        default=None,
        description="For an edit inside one of the model's list items (a treatment's dose): "
        "that item's other fields when the edit was made, without its evidence.  A "
        "re-extraction that puts another item at this place makes the edit a conflict.  "
        "Absent in files written before 5 December 2026 (eleventh session).",
    )


class ReviewFile(Strict):
    kind: Literal["review"] = "review"
    format_version: Literal["1"] = "1"
    document_id: str
    version: int = Field(default=0, ge=0)
    edits: list[Edit] = Field(default_factory=list)


class Change(Strict):
    """What a client asks for; `plan` turns it into edits.

    ``set``: `value` replaces the value at `pointer` (a dict is merged key by key, so only the
    fields that differ become edits).  ``set_evidence``: `value` is ``{start, end, quote}`` from a
    text selection, offsets in code points.  ``add``: `pointer` is a list slot, `value` the new
    item.  ``status``: `value` is ``reviewed`` or ``in_progress``.  ``accept_all``: accept every
    undecided fact and mark the document reviewed.  ``dismiss``: `value` is the id of a
    conflicting edit the reviewer has looked at and lets go (it stays in the file).  ``order``:
    `pointer` is a list slot, `value` the pointers of all its items in the new order (stored as
    their last tokens, with the model's list as `old`).
    """

    op: Literal[
        "set", "set_evidence", "accept", "reject", "add", "order", "status", "accept_all", "dismiss"
    ]
    pointer: str = ""
    value: Any = None


class EditRejected(UserError):
    """A requested change cannot be applied; `problems` says why, one line each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass
class Draft:
    """An edit before it is stamped with reviewer, time, base and version."""

    op: EditOp
    pointer: str
    old: Any
    new: Any = None
    item: Any = None
    """`Edit.item`: the model's list item the edit is inside, its other fields."""


@dataclass
class FactState:
    pointer: str
    """As edits address it (``/treatments/-ab12`` for an added item)."""
    concrete: str
    """Pointer into `Applied.working`."""
    slot: Slot
    added: bool
    status: FactStatus
    original: Any
    """The model's value (None for reviewer-added items and empty optional slots)."""
    value: Any
    """The value after edits (before a rejection removes it)."""


@dataclass
class Conflict:
    edit: Edit
    reason: str
    model_now: Any


@dataclass
class Applied:
    base: str
    extended: dict[str, Any]
    """The model's record plus the items reviewers added (what `old` values refer to)."""
    working: dict[str, Any]
    """`extended` with sets applied; rejected facts still present (the review view)."""
    corrected: dict[str, Any]
    """`working` with rejected facts removed: the corrected record."""
    facts: list[FactState]
    applied: list[Edit]
    conflicts: list[Conflict]
    """Open conflicts: edits that no longer fit the model output and were not superseded."""
    resolved: list[Conflict]
    doc_status: DocStatus
    added: dict[str, dict[str, int]] = field(default_factory=dict)
    orders: dict[str, list[int]] = field(default_factory=dict)
    """Reordered lists: for each position in `working`, the index of the item in `extended`."""

    def fact(self, pointer: str) -> FactState | None:
        return next((f for f in self.facts if f.pointer == pointer), None)


def clone(value: Any) -> Any:
    """A deep copy of JSON data (dicts, lists and scalars), about three times faster than
    `copy.deepcopy`, which matters when the list view applies the edits of 10,000 documents."""
    if isinstance(value, dict):
        return {k: clone(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clone(v) for v in value]
    return copy.deepcopy(value) if not isinstance(value, str | int | float | None) else value


def record_hash(record: dict[str, Any]) -> str:
    """A short content hash of a record (key order and whitespace do not matter)."""
    blob = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


def resolve(pointer: str, added: dict[str, dict[str, int]]) -> str | None:
    """Turn ``-<id>`` tokens into list indices; None when an added item is not present."""
    tokens: list[str | int] = []
    for token in jp.split(pointer):
        if token.startswith("-") and len(token) > 1:
            index = added.get(jp.join(tokens), {}).get(token[1:])
            if index is None:
                return None
            tokens.append(index)
        else:
            tokens.append(token)
    return jp.join(tokens)


def item_of(pointer: str) -> tuple[str | None, str | None]:
    """The list item a pointer is inside (``/treatments/3`` for ``/treatments/3/dose``) and
    the item's field it addresses, or (None, None) when it is not inside a list item."""
    for slot in slots():
        if not slot.many:
            continue
        head = jp.split(slot.pointer)
        tokens = jp.split(pointer)
        if tokens[: len(head)] == head and len(tokens) > len(head) + 1:
            return jp.join(list[str | int](tokens[: len(head) + 1])), tokens[len(head) + 1]
    return None, None


def item_fields(item: Any, edited: str | None) -> Any:
    """What identifies a list item for an edit inside it: its fields but the edited one and
    the evidence (quotes and offsets move between runs)."""
    if not isinstance(item, dict):
        return item
    return {k: v for k, v in item.items() if k not in ("evidence", edited)}


def _without_evidence(item: Any) -> Any:
    return {k: v for k, v in item.items() if k != "evidence"} if isinstance(item, dict) else item


def _apply_adds(
    ext: dict[str, Any], edits: list[Edit], base: str
) -> tuple[dict[str, dict[str, int]], list[Edit], list[Conflict]]:
    added: dict[str, dict[str, int]] = {}
    applied: list[Edit] = []
    conflicts: list[Conflict] = []
    original_len: dict[str, int] = {}
    for e in (e for e in edits if e.op == "add"):
        list_ptr, token = jp.parent(e.pointer)
        concrete = resolve(list_ptr, added)
        items = jp.get(ext, concrete) if concrete is not None else jp.MISSING
        if not isinstance(items, list) or concrete is None:
            conflicts.append(Conflict(e, f"the list {list_ptr} no longer exists", None))
            continue
        n = original_len.setdefault(concrete, len(items))
        twin = any(_without_evidence(x) == _without_evidence(e.new) for x in items[:n])
        if e.base != base and twin:
            reason = "the new model output already has this item"
            conflicts.append(Conflict(e, reason, e.new))
            continue
        items.append(clone(e.new))
        added.setdefault(concrete, {})[token[1:]] = len(items) - 1
        applied.append(e)
    return added, applied, conflicts


def _apply_sets(
    ext: dict[str, Any], working: dict[str, Any], e: Edit, added: dict[str, dict[str, int]]
) -> Conflict | None:
    concrete = resolve(e.pointer, added)
    now = jp.get(ext, concrete) if concrete is not None else jp.MISSING
    if now is jp.MISSING:
        return Conflict(e, "the field no longer exists in the model output", None)
    if now != e.old:
        return Conflict(e, "the model output changed at this field", now)
    if e.item is not None and concrete is not None:
        item_ptr, field_name = item_of(concrete)
        current = jp.get(ext, item_ptr) if item_ptr else jp.MISSING
        if current is jp.MISSING or item_fields(current, field_name) != e.item:
            now_item = None if current is jp.MISSING else current
            return Conflict(e, "another item of the model output is at this place", now_item)
    if e.op in ("set", "set_evidence"):
        try:
            jp.set_value(working, concrete or "", clone(e.new))
        except KeyError:
            return Conflict(e, "an earlier edit removed the field this edit changes", now)
    return None


def _fact_status(edits: Iterable[Edit]) -> FactStatus:
    changed = accepted = rejected = False
    for e in edits:
        if e.op == "reject":
            rejected = True
        elif e.op == "accept":
            rejected, accepted = False, True
        elif e.op in ("set", "set_evidence", "add"):
            rejected, changed = False, True
    if rejected:
        return "rejected"
    return "edited" if changed else "accepted" if accepted else "unreviewed"


def _facts(
    original: dict[str, Any],
    working: dict[str, Any],
    added: dict[str, dict[str, int]],
    applied: list[Edit],
    orders: dict[str, list[int]] | None = None,
) -> list[FactState]:
    out: list[FactState] = []
    for slot in slots():
        if not slot.many:
            value = jp.get(working, slot.pointer)
            entries = [(slot.pointer, slot.pointer, value, False)]
        else:
            items = jp.get(working, slot.pointer)
            items = items if isinstance(items, list) else []
            by_index = {i: t for t, i in added.get(slot.pointer, {}).items()}
            order = (orders or {}).get(slot.pointer) or range(len(items))
            entries = []
            for position, i in enumerate(order):
                token = f"-{by_index[i]}" if i in by_index else str(i)
                entries.append(
                    (
                        f"{slot.pointer}/{token}",
                        f"{slot.pointer}/{position}",
                        items[position],
                        i in by_index,
                    )
                )
        for ptr, concrete, value, is_added in entries:
            mine = [e for e in applied if e.op not in _META and jp.is_within(e.pointer, ptr)]
            model = None if is_added else jp.get(original, resolve(ptr, added) or "")
            out.append(
                FactState(
                    pointer=ptr,
                    concrete=concrete,
                    slot=slot,
                    added=is_added,
                    status=_fact_status(mine),
                    original=None if model is jp.MISSING else model,
                    value=value,
                )
            )
    return out


def _remove_rejected(working: dict[str, Any], facts: list[FactState]) -> dict[str, Any]:
    corrected = clone(working)
    drop: dict[str, list[int]] = {}
    for f in facts:
        if f.status != "rejected":
            continue
        if f.slot.many:
            drop.setdefault(f.slot.pointer, []).append(int(jp.split(f.concrete)[-1]))
        else:
            jp.set_value(corrected, f.concrete, None)
    for list_ptr, indices in drop.items():
        items = jp.get(corrected, list_ptr)
        for i in sorted(indices, reverse=True):
            del items[i]
    return corrected


def _split_conflicts(
    edits: list[Edit], conflicts: list[Conflict], applied: list[Edit]
) -> tuple[list[Conflict], list[Conflict]]:
    """A conflict is resolved once a later applied edit covers its field (at or above it), or
    the reviewer dismissed it."""
    position = {e.id: i for i, e in enumerate(edits)}
    dismissed = {e.new for e in applied if e.op == "dismiss"}
    open_: list[Conflict] = []
    resolved: list[Conflict] = []
    for c in conflicts:
        later = [
            a
            for a in applied
            if a.op not in _META
            and (a.op == "order") == (c.edit.op == "order")  # an order covers no item edit
            and position[a.id] > position[c.edit.id]
            and jp.is_within(c.edit.pointer, a.pointer)
        ]
        (resolved if later or c.edit.id in dismissed else open_).append(c)
    open_.sort(key=lambda c: position[c.edit.id])
    return open_, resolved


def _doc_status(edits: list[Edit], base: str, open_conflicts: list[Conflict]) -> DocStatus:
    if not edits:
        return "unreviewed"
    marks = [e for e in edits if e.op == "status"]
    if marks and marks[-1].new == "reviewed" and marks[-1].base == base and not open_conflicts:
        return "reviewed"
    return "in_progress"


def model_list(extended: dict[str, Any], list_ptr: str, added: dict[str, dict[str, int]]) -> Any:
    """The model's own items of a list in `extended` (the reviewers' added items left out)."""
    items = jp.get(extended, list_ptr)
    mine = set(added.get(list_ptr, {}).values())
    return [x for i, x in enumerate(items) if i not in mine] if isinstance(items, list) else items


def _order(tokens: Any, count: int, added: dict[str, int]) -> list[int]:
    """Indices into a list of `count` items for an `order` edit's tokens: the named items in
    that order (unknown or repeated tokens skipped), then the others in their own order."""
    out: list[int] = []
    for token in tokens if isinstance(tokens, list) else []:
        text = str(token)
        if text.startswith("-"):
            index = added.get(text[1:])
        else:
            index = int(text) if text.isdigit() and int(text) < count else None
        if index is not None and index not in out:
            out.append(index)
    return out + [i for i in range(count) if i not in out]


def _apply_orders(
    working: dict[str, Any], applied: list[Edit], added: dict[str, dict[str, int]]
) -> dict[str, list[int]]:
    """Reorder the lists of `working` by their last applied `order` edit."""
    last = {e.pointer: e for e in applied if e.op == "order"}
    orders: dict[str, list[int]] = {}
    for list_ptr, e in last.items():
        items = jp.get(working, list_ptr)
        if isinstance(items, list):
            orders[list_ptr] = _order(e.new, len(items), added.get(list_ptr, {}))
            items[:] = [items[i] for i in orders[list_ptr]]
    return orders


def apply_edits(original: dict[str, Any], edits: list[Edit]) -> Applied:
    """Apply `edits` to the model's `original` record (not modified) and say what happened."""
    base = record_hash(original)
    ext = clone(original)
    added, applied, conflicts = _apply_adds(ext, edits, base)
    working = clone(ext)
    for e in edits:
        if e.op in ("status", "dismiss"):
            applied.append(e)
        elif e.op == "order":
            if jp.get(original, e.pointer) == e.old:
                applied.append(e)
            else:
                model_now = jp.get(original, e.pointer)
                now = None if model_now is jp.MISSING else model_now
                conflicts.append(Conflict(e, "the model output changed in this list", now))
        elif e.op != "add":
            problem = _apply_sets(ext, working, e, added)
            if problem:
                conflicts.append(problem)
            else:
                applied.append(e)
    order = {e.id: i for i, e in enumerate(edits)}
    applied.sort(key=lambda e: order[e.id])
    orders = _apply_orders(working, applied, added)
    facts = _facts(original, working, added, applied, orders)
    open_, resolved = _split_conflicts(edits, conflicts, applied)
    return Applied(
        base=base,
        extended=ext,
        working=working,
        corrected=_remove_rejected(working, facts),
        facts=facts,
        applied=applied,
        conflicts=open_,
        resolved=resolved,
        doc_status=_doc_status(edits, base, open_),
        added=added,
        orders=orders,
    )


def model_facts(original: dict[str, Any]) -> list[FactState]:
    """The facts of a record nobody has edited: ``apply_edits(original, []).facts`` without
    copying the record three times (the list view builds one row per unreviewed document)."""
    return _facts(original, original, {}, [])


def reapply_report(original: dict[str, Any], edits: list[Edit]) -> tuple[int, list[Conflict]]:
    """How many edits still apply to a (new) model record, and the conflicts."""
    result = apply_edits(original, edits)
    return len(result.applied), result.conflicts


def validate_record(record: dict[str, Any]) -> list[str]:
    """Problems that keep `record` from being a valid record of the schema under review
    (`CaseReport` by default, `abstraction.review.layout.review_schema`), as 'pointer: message'."""
    try:
        record_model().model_validate(record)
    except ValidationError as exc:
        return [f"{jp.join(list(err['loc'])) or '/'}: {err['msg']}" for err in exc.errors()]
    return []
