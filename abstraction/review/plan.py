"""Planning: what a client asks for (`Change`) becomes drafts of edits (pure).

A ``set`` of a whole fact is split into one edit per changed field, so each edit carries the
model's value for exactly the field it changes; that is what lets it be re-applied to a new
extraction where only that field matters.  A selection becomes evidence cut from the source
text by code-point offsets, and is refused if the client's quote differs (an offset bug must
not save a wrong quote).
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from typing import Any

from abstraction.review import pointer as jp
from abstraction.review.edits import (
    NO_QUOTE_NOTE,
    REVIEWER_NOTE,
    Applied,
    Change,
    Draft,
    Edit,
    EditRejected,
    FactState,
    item_fields,
    item_of,
    model_list,
    resolve,
)
from abstraction.review.layout import Slot, slot_of, slots


def _fact_for(state: Applied, pointer: str, problems: list[str]) -> FactState | None:
    found = slot_of(_strip_added(pointer, state))
    fact_ptr = _fact_pointer(pointer, found)
    fact = state.fact(fact_ptr) if fact_ptr else None
    if fact is None:
        problems.append(f"{pointer or '/'}: not a field of a fact in this record")
    return fact


def _strip_added(pointer: str, state: Applied) -> str:
    concrete = resolve(pointer, state.added)
    return concrete if concrete is not None else pointer


def _fact_pointer(pointer: str, found: tuple[Slot, str] | None) -> str | None:
    if found is None:
        return None
    slot, _ = found
    if not slot.many:
        return slot.pointer
    rest = jp.split(pointer)[len(jp.split(slot.pointer)) :]
    return jp.join([*jp.split(slot.pointer), rest[0]]) if rest else None


def _expand_set(pointer: str, new: Any, old: Any, current: Any, out: list[Draft]) -> None:
    """A dict value becomes one draft per changed leaf; evidence counts as one leaf."""
    if isinstance(new, dict) and isinstance(current, dict):
        new = {**current, **new}
    mergeable = isinstance(new, dict) and isinstance(current, dict) and isinstance(old, dict)
    if (
        pointer.endswith("/evidence")
        or not mergeable
        or not set(new) <= set(current)
        or not set(current) <= set(old)
    ):
        if new != current:
            out.append(Draft("set", pointer, old, copy.deepcopy(new)))
        return
    for key, value in new.items():
        sub = f"{pointer}/{jp.join([key])[1:]}"
        if key == "evidence":
            if value != current[key]:
                out.append(Draft("set", sub, old[key], copy.deepcopy(value)))
        else:
            _expand_set(sub, value, old[key], current[key], out)


def selection_evidence(value: Any, text: str | None) -> dict[str, Any]:
    """Evidence for a reviewer's text selection, checked against the source text.

    The quote is cut from the text by the offsets (code points), and must equal the quote the
    browser saw: a mismatch means the client mis-converted offsets, so nothing is saved.
    """
    if text is None:
        raise EditRejected(["the source text is not available: evidence cannot be set"])
    if not isinstance(value, dict) or not all(
        isinstance(value.get(k), int) and not isinstance(value.get(k), bool)
        for k in ("start", "end")
    ):
        raise EditRejected(["set_evidence needs integer 'start' and 'end'"])
    start, end = value["start"], value["end"]
    if not 0 <= start < end <= len(text):
        raise EditRejected([f"selection {start}-{end} is outside the text (0-{len(text)})"])
    quote = text[start:end]
    if "quote" in value and value["quote"] != quote:
        raise EditRejected([f"selection offsets {start}-{end} do not match the selected text"])
    return {
        "quote": quote,
        "start": start,
        "end": end,
        "status": "exact",
        "method": "verbatim",
        "similarity": 100.0,
        "page": None,
        "section": None,
        "note": REVIEWER_NOTE,
    }


def _plan_one(
    change: Change, state: Applied, text: str | None, new_id: Callable[[], str]
) -> list[Draft]:
    problems: list[str] = []
    if change.op == "status":
        if change.value not in ("reviewed", "in_progress"):
            raise EditRejected(["status must be 'reviewed' or 'in_progress'"])
        return [Draft("status", "", state.doc_status, change.value)]
    if change.op == "dismiss":
        target = next((c for c in state.conflicts if c.edit.id == change.value), None)
        if target is None:
            raise EditRejected([f"no open conflict with edit id {change.value!r}"])
        return [Draft("dismiss", target.edit.pointer, None, target.edit.id)]
    if change.op == "accept_all":
        accepts = [
            Draft("accept", f.pointer, _old(state, f.pointer)) for f in state.facts if _undecided(f)
        ]
        return [*accepts, Draft("status", "", state.doc_status, "reviewed")]
    if change.op == "add":
        slot = next((s for s in slots() if s.many and s.pointer == change.pointer), None)
        if slot is None or not isinstance(change.value, dict):
            raise EditRejected([f"{change.pointer}: items can only be added to a list of facts"])
        item = _with_evidence(change.value, text)
        return [Draft("add", f"{change.pointer}/-{new_id()}", None, item)]
    if change.op == "order":
        return _plan_order(change, state)
    fact = _fact_for(state, change.pointer, problems)
    if fact is None:
        raise EditRejected(problems)
    if change.op in ("accept", "reject"):
        if change.pointer != fact.pointer or (fact.value is None and not fact.slot.many):
            raise EditRejected([f"{change.pointer}: accept and reject apply to a whole fact"])
        return [Draft(change.op, fact.pointer, _old(state, fact.pointer))]
    if change.op == "set_evidence":
        ptr = f"{fact.pointer}/evidence"
        if change.pointer not in (fact.pointer, ptr) or not isinstance(fact.value, dict):
            raise EditRejected([f"{change.pointer}: evidence can only be set on a present fact"])
        return [
            Draft("set_evidence", ptr, _old(state, ptr), selection_evidence(change.value, text))
        ]
    current = jp.get(state.working, _strip_added(change.pointer, state))
    if current is jp.MISSING:
        raise EditRejected([f"{change.pointer}: no such field"])
    value = change.value
    if change.pointer == fact.pointer and current is None and isinstance(value, dict):
        value = _with_evidence(value, text)
    drafts: list[Draft] = []
    _expand_set(change.pointer, value, _old(state, change.pointer), current, drafts)
    return [_evidence_from_text(d, text) for d in drafts]


def _evidence_from_text(draft: Draft, text: str | None) -> Draft:
    """Evidence a plain ``set`` gives is cut from the source text by its offsets and checked
    as a selection is (`selection_evidence`), unless it is the model's own again (a revert).
    A made-up quote with ``status: "exact"`` was saved as it came (eleventh session's audit),
    and then counted as exactly grounded."""
    if draft.op != "set" or not draft.pointer.endswith("/evidence") or draft.new == draft.old:
        return draft
    return Draft("set", draft.pointer, draft.old, selection_evidence(draft.new, text))


def _plan_order(change: Change, state: Applied) -> list[Draft]:
    """A new order of a list: `value` must name every item of the list once (by pointer)."""
    slot = next((s for s in slots() if s.many and s.pointer == change.pointer), None)
    if slot is None:
        raise EditRejected([f"{change.pointer}: only a list of facts can be reordered"])
    current = [f.pointer for f in state.facts if f.slot == slot]
    value = change.value
    if not isinstance(value, list) or sorted(map(str, value)) != sorted(current):
        raise EditRejected(
            [f"{change.pointer}: give every item of the list once, in the new order"]
        )
    if value == current:
        return []
    tokens = [jp.split(p)[-1] for p in value]
    return [
        Draft("order", slot.pointer, model_list(state.extended, slot.pointer, state.added), tokens)
    ]


def _with_evidence(item: dict[str, Any], text: str | None) -> dict[str, Any]:
    """A new fact's evidence: from the reviewer's selection, or flagged as unsupported."""
    item = copy.deepcopy(item)
    ev = item.get("evidence")
    if isinstance(ev, dict) and isinstance(ev.get("start"), int):
        item["evidence"] = selection_evidence(ev, text)
    else:
        quote = ev.get("quote", "") if isinstance(ev, dict) else ""
        item["evidence"] = {"quote": quote, "status": "unsupported", "note": NO_QUOTE_NOTE}
    return item


def _undecided(f: FactState) -> bool:
    return f.status == "unreviewed" and (f.value is not None or f.slot.many)


def _old(state: Applied, pointer: str) -> Any:
    concrete = resolve(pointer, state.added)
    value = jp.get(state.extended, concrete) if concrete is not None else jp.MISSING
    return None if value is jp.MISSING else value


def plan(
    changes: list[Change], *, state: Applied, text: str | None, new_id: Callable[[], str]
) -> list[Draft]:
    """Turn requested changes into drafts against the current `state` (pure; raises
    `EditRejected` when a change does not fit the record)."""
    drafts: list[Draft] = []
    for change in changes:
        drafts.extend(_plan_one(change, state, text, new_id))
    return [_with_item(d, state) for d in drafts]


def _with_item(draft: Draft, state: Applied) -> Draft:
    """An edit inside one of the model's list items keeps that item's other fields
    (`Edit.item`), so a re-extraction that puts another item at its place is a conflict: a
    dose set on the fourth treatment landed on whatever treatment came fourth next time."""
    if draft.op not in ("set", "set_evidence") or "/-" in draft.pointer:
        return draft  # a reviewer's own item has an id, not a place
    item_ptr, field_name = item_of(draft.pointer)
    item = jp.get(state.extended, item_ptr) if item_ptr else jp.MISSING
    if item is jp.MISSING:
        return draft
    return dataclasses.replace(draft, item=item_fields(item, field_name))


def stamp(
    drafts: list[Draft],
    *,
    reviewer: str,
    reason: str | None,
    at: str,
    base: str,
    version: int,
    new_id: Callable[[], str],
) -> list[Edit]:
    """Drafts become edits with who, why, when, on which model record, in which version."""
    return [
        Edit(
            id=new_id(),
            op=d.op,
            pointer=d.pointer,
            old=d.old,
            new=d.new,
            item=d.item,
            reviewer=reviewer,
            reason=reason,
            at=at,
            base=base,
            version=version,
        )
        for d in drafts
    ]
