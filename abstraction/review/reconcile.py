"""Reconciling two reviewers' submitted records: their disagreements, and the adjudicator's say.

The two corrected records are compared by the scorer (`score_document`, first reviewer in the
place of gold), so "disagree" means what it means in evaluation: list items are paired by their
key (clinical terms, not list positions), and two values the scorer counts as equal ("IFN-α" and
"interferon alfa") are no disagreement.  Each fact the scorer found a difference in is one
*unit*: a single fact (``/patient/age``), a pair of list items (``/treatments/a2-b1``, A's item 2
paired with B's item 1), or an item only one reviewer has (``/treatments/a3``, ``/treatments/b0``).
A unit lists the fields that differ.

The adjudicator settles each unit: A's value, B's value, the model's, or a value of their own
(with a reason).  Decisions are appended to ``reviews/adjudication/<doc-id>.json`` with who,
why and when; the last decision on a unit counts and none is ever removed.  The settled record
is reviewer A's record with every unit replaced by its decision (list items kept in A's order,
B-only items that were kept after them); it is validated before a decision is stored, and kept
in the file once every unit is settled.  Order alone (the same items in another order) is not
a unit.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError

from abstraction.core.errors import UserError
from abstraction.core.records import GoldRecord
from abstraction.core.schema import Strict
from abstraction.core.schemas import gold_type
from abstraction.evaluation.counts import FieldError
from abstraction.evaluation.plan import scoring_schema
from abstraction.evaluation.scorer import score_document
from abstraction.extraction.output import atomic_write_text
from abstraction.review import pointer as jp
from abstraction.review.dual import read_protocol, reviewer_store, submitted
from abstraction.review.edits import (
    Applied,
    Change,
    EditRejected,
    FactState,
    clone,
    record_hash,
    validate_record,
)
from abstraction.review.export import check_schema, reviewed_fields, write_gold
from abstraction.review.index import evidence_of
from abstraction.review.layout import review_schema, slots
from abstraction.review.store import (
    ADJUDICATION_DIR,
    MAX_REASON,
    REVIEWS_DIR,
    RunStore,
    VersionConflict,
    size_problems,
)

Choice = Literal["a", "b", "model", "value"]
_ITEM = re.compile(r"^\[(?:gold (\d+)(?:, pred (\d+))?|pred (\d+))\](?:\.(.*))?$")


class Decision(Strict):
    key: str
    choice: Choice
    value: Any = None
    """The adjudicator's own value (choice ``value``); None otherwise."""
    reason: str | None = None
    adjudicator: str
    at: str
    version: int = Field(ge=1)


class Adjudication(Strict):
    kind: Literal["adjudication"] = "adjudication"
    format_version: Literal["1"] = "1"
    document_id: str
    reviewers: list[str] = Field(min_length=2, max_length=2)
    bases: dict[str, str] = Field(description="record_hash of each reviewer's submitted record.")
    version: int = Field(default=0, ge=0)
    decisions: list[Decision] = Field(default_factory=list)
    settled: dict[str, Any] | None = Field(
        default=None, description="The settled record, once every disagreement is settled."
    )


@dataclass
class FieldDiff:
    field: str
    kind: str
    a: Any
    b: Any
    note: str | None = None


@dataclass
class Unit:
    key: str
    slot: str
    label: str
    many: bool
    a: Any
    b: Any
    model: Any
    a_index: int | None = None
    b_index: int | None = None
    fields: list[FieldDiff] = field(default_factory=list)


@dataclass
class Reconciliation:
    doc_id: str
    reviewers: tuple[str, str]
    records: tuple[dict[str, Any], dict[str, Any]]
    model: dict[str, Any]
    units: list[Unit]
    agreed: int
    """Facts both reviewers hold and the scorer counts equal (paired items and single facts)."""


def _kept(state: Applied) -> dict[str, list[FactState]]:
    """Per list slot, the facts of the corrected list in its order (rejected ones dropped)."""
    out: dict[str, list[FactState]] = {}
    for f in state.facts:
        if f.slot.many and f.status != "rejected":
            out.setdefault(f.slot.pointer, []).append(f)
    return out


def _dotted(pointer: str) -> str:
    return ".".join(jp.split(pointer))


def _units(model: dict[str, Any], sa: Applied, sb: Applied, errors: list[FieldError]) -> list[Unit]:
    a, b = sa.corrected, sb.corrected
    ka, kb = _kept(sa), _kept(sb)
    units: dict[str, Unit] = {}
    for slot in slots():
        dotted = _dotted(slot.pointer)
        for err in errors:
            path = err["path"]
            if not slot.many and path.startswith(dotted + "."):
                unit = units.get(slot.pointer)
                if unit is None:
                    now = jp.get(model, slot.pointer)
                    unit = units[slot.pointer] = Unit(
                        slot.pointer,
                        slot.pointer,
                        slot.label,
                        False,
                        jp.get(a, slot.pointer),
                        jp.get(b, slot.pointer),
                        None if now is jp.MISSING else now,
                    )
                unit.fields.append(_diff(path[len(dotted) + 1 :], err))
            elif slot.many and path.startswith(dotted + "["):
                m = _ITEM.match(path[len(dotted) :])
                if m is None:
                    continue
                gi, pj, only_b, rest = m.groups()
                ai = int(gi) if gi is not None else None
                bj = int(pj) if pj is not None else int(only_b) if only_b is not None else None
                key = (
                    slot.pointer
                    + "/"
                    + "-".join([f"a{ai}"] * (ai is not None) + [f"b{bj}"] * (bj is not None))
                )
                unit = units.get(key)
                if unit is None:
                    fa = ka.get(slot.pointer, [])[ai] if ai is not None else None
                    fb = kb.get(slot.pointer, [])[bj] if bj is not None else None
                    origin = (fa.original if fa else None) or (fb.original if fb else None)
                    unit = units[key] = Unit(
                        key,
                        slot.pointer,
                        slot.label,
                        True,
                        fa.value if fa else None,
                        fb.value if fb else None,
                        origin,
                        ai,
                        bj,
                    )
                unit.fields.append(_diff(rest or "(whole item)", err))
    return list(units.values())


def _diff(name: str, err: FieldError) -> FieldDiff:
    if err.get("note") == "unpaired item":
        only = "A" if err["kind"] == "omission" else "B"
        return FieldDiff(name, f"only {only} has this item", err["gold"], err["pred"])
    kind = {"omission": "only A", "hallucination": "only B"}.get(err["kind"], "differ")
    return FieldDiff(name, kind, err["gold"], err["pred"], err.get("note"))


def _facts_in(record: dict[str, Any]) -> int:
    n = 0
    for slot in slots():
        v = jp.get(record, slot.pointer)
        n += len(v) if isinstance(v, list) else int(isinstance(v, dict))
    return n


def reconcile(store: RunStore, doc_id: str, first: str, second: str) -> Reconciliation:
    """The disagreements of `first` and `second` on `doc_id`; both must have submitted it.
    Compared and laid out in the run's schema (`RunStore.record_schema`)."""
    model = store.record_schema.model
    with scoring_schema(model), review_schema(model):
        return _reconcile(store, doc_id, first, second)


def _reconcile(store: RunStore, doc_id: str, first: str, second: str) -> Reconciliation:
    done = submitted(store, doc_id, [first, second])
    if len(done) < 2:
        missing = [n for n in (first, second) if n not in done]
        raise UserError(f"{doc_id}: not submitted yet by {', '.join(missing)}")
    ext = store.extraction(doc_id)
    assert ext.record is not None
    model = ext.record.model_dump(mode="json")
    sa = reviewer_store(store, first).state(doc_id)[1]
    sb = reviewer_store(store, second).state(doc_id)[1]
    text = store.source(doc_id).text
    result = score_document(
        doc_id, sa.corrected, sb.corrected, details=True, text=text, polar=False
    )
    units = _units(model, sa, sb, result.errors)
    in_units = sum((u.a is not None) for u in units)
    return Reconciliation(
        doc_id, (first, second), (sa.corrected, sb.corrected), model, units,
        agreed=_facts_in(sa.corrected) - in_units,
    )  # fmt: skip


# ---- decisions and the settled record ---------------------------------------------------------


def _chosen(unit: Unit, d: Decision) -> Any:
    return {"a": unit.a, "b": unit.b, "model": unit.model}.get(d.choice, d.value)


def latest(decisions: list[Decision]) -> dict[str, Decision]:
    """The decision in force for each unit (the last one made)."""
    return {d.key: d for d in decisions}


def settle(rec: Reconciliation, decisions: dict[str, Decision]) -> dict[str, Any]:
    """A's record with each decided unit replaced by its decision (undecided units keep A's)."""
    out = clone(rec.records[0])
    by_slot: dict[str, list[Unit]] = {}
    for u in rec.units:
        if not u.many:
            d = decisions.get(u.key)
            if d is not None:
                jp.set_value(out, u.slot, clone(_chosen(u, d)))
        else:
            by_slot.setdefault(u.slot, []).append(u)
    for slot, units in by_slot.items():
        items = jp.get(rec.records[0], slot)
        by_a = {u.a_index: u for u in units if u.a_index is not None}
        new: list[Any] = []
        for i, item in enumerate(items if isinstance(items, list) else []):
            unit = by_a.get(i)
            d = decisions.get(unit.key) if unit else None
            value = item if unit is None or d is None else _chosen(unit, d)
            if value is not None:
                new.append(clone(value))
        for u in units:
            d = decisions.get(u.key)
            if u.a_index is None and d is not None and _chosen(u, d) is not None:
                new.append(clone(_chosen(u, d)))
        jp.set_value(out, slot, new)
    return out


def adjudication_path(store: RunStore, doc_id: str) -> Path:
    d = store.root / REVIEWS_DIR / ADJUDICATION_DIR
    for part in (d.parent, d):
        if part.is_symlink():
            raise UserError(f"{part}: is a symlink; refusing to use it")
    return d / f"{store.entry(doc_id).id}.json"


def read_adjudication(store: RunStore, rec: Reconciliation) -> Adjudication:
    """The stored decisions for this pair of reviewers (an empty file when there are none)."""
    path = adjudication_path(store, rec.doc_id)
    bases = {n: record_hash(r) for n, r in zip(rec.reviewers, rec.records, strict=True)}
    fresh = Adjudication(document_id=rec.doc_id, reviewers=list(rec.reviewers), bases=bases)
    if not path.is_file():
        return fresh
    try:
        adj = Adjudication.model_validate_json(path.read_bytes())
    except ValidationError as exc:
        raise UserError(f"{path}: not a valid adjudication file: {exc}") from exc
    if adj.document_id != rec.doc_id or tuple(adj.reviewers) != rec.reviewers:
        raise UserError(
            f"{path}: holds the reconciliation of {' and '.join(adj.reviewers)}; "
            "a document is reconciled for one pair of reviewers"
        )
    if adj.bases != bases:
        raise UserError(f"{path}: the reviewers' submitted records changed since it was made")
    return adj


def decide(
    store: RunStore,
    rec: Reconciliation,
    *,
    key: str,
    choice: Choice,
    value: Any = None,
    reason: str | None,
    adjudicator: str,
    expected_version: int,
) -> Adjudication:
    """Store one decision (validated: the settled record must stay a valid record of the run's
    schema)."""
    reason = (reason or "").strip() or None
    problems = []
    unit = next((u for u in rec.units if u.key == key), None)
    if unit is None:
        problems.append(f"{key}: not a disagreement of this document")
    if choice == "value" and not reason:
        problems.append("a value of your own needs a reason")
    if reason is not None and len(reason) > MAX_REASON:
        problems.append(f"reason: too long (at most {MAX_REASON} characters)")
    problems += size_problems(
        reviewer=adjudicator, reason=None, changes=[Change(op="set", pointer=key, value=value)]
    )
    if problems:
        raise EditRejected(problems)
    with store.locked():
        adj = read_adjudication(store, rec)
        if adj.version != expected_version:
            raise VersionConflict(expected=expected_version, current=adj.version)
        decision = Decision(
            key=key,
            choice=choice,
            value=value if choice == "value" else None,
            reason=reason,
            adjudicator=adjudicator,
            at=datetime.now(UTC).isoformat(timespec="seconds"),
            version=adj.version + 1,
        )
        decisions = [*adj.decisions, decision]
        record = settle(rec, latest(decisions))
        with review_schema(store.record_schema.model):
            invalid = validate_record(record)
        if invalid:
            raise EditRejected(invalid)
        done = all(u.key in latest(decisions) for u in rec.units)
        updated = adj.model_copy(
            update={
                "version": decision.version,
                "decisions": decisions,
                "settled": record if done else None,
            }
        )
        path = adjudication_path(store, rec.doc_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, updated.model_dump_json(indent=2) + "\n")
        return updated


def reconciliation_view(store: RunStore, rec: Reconciliation) -> dict[str, Any]:
    """What the reconciliation page shows, as JSON."""
    adj = read_adjudication(store, rec)
    now = latest(adj.decisions)
    source = store.source(rec.doc_id)
    units = []
    for u in rec.units:
        d = now.get(u.key)
        units.append(
            {
                **asdict(u),
                "evidence": {
                    "a": evidence_of(u.a),
                    "b": evidence_of(u.b),
                    "model": evidence_of(u.model),
                },
                "decision": d.model_dump(mode="json") if d else None,
            }
        )
    return {
        "id": rec.doc_id,
        "reviewers": list(rec.reviewers),
        "source": {"text": source.text, "warning": source.warning},
        "units": units,
        "agreed": rec.agreed,
        "version": adj.version,
        "settled": all(u.key in now for u in rec.units),
        "history": [d.model_dump(mode="json") for d in adj.decisions],
    }


def default_pair(store: RunStore, doc_id: str) -> tuple[str, str]:
    """The pair the adjudicator began deciding for, while both have submitted; else the first
    two reviewers (in the protocol's order) who submitted `doc_id`.  A third reviewer who
    submitted later (earlier in the protocol) used to become the pair and lock the decisions
    file out ("holds the reconciliation of alice and carol"; eleventh session's audit)."""
    protocol = read_protocol(store.root)
    if protocol is None:
        raise UserError(f"{store.root}: no reviewers assigned")
    done = submitted(store, doc_id, protocol.reviewers)
    if len(done) < 2:
        raise UserError(f"{doc_id}: needs two submitted reviews ({len(done)} so far)")
    path = adjudication_path(store, doc_id)
    if path.is_file():
        try:
            begun = Adjudication.model_validate_json(path.read_bytes()).reviewers
        except (ValidationError, OSError):
            begun = []  # `read_adjudication` says what is wrong with it
        if len(begun) == 2 and set(begun) <= set(done):
            return begun[0], begun[1]
    return done[0], done[1]


# ---- promotion ------------------------------------------------------------------------------


def gold_from_reconciliation(store: RunStore, doc_id: str) -> GoldRecord:
    """The settled record as a gold record, with who reviewed, who settled, when, and the run."""
    rec = reconcile(store, doc_id, *default_pair(store, doc_id))
    adj = read_adjudication(store, rec)
    now = latest(adj.decisions)
    open_ = [u.key for u in rec.units if u.key not in now]
    if open_:
        raise UserError(f"{doc_id}: {len(open_)} disagreement(s) not settled: {', '.join(open_)}")
    record = settle(rec, now)
    ext = store.extraction(doc_id)
    prov = ext.provenance
    adjudicators = sorted({d.adjudicator for d in now.values()})
    choices = {c: sum(d.choice == c for d in now.values()) for c in ("a", "b", "model", "value")}
    a, b = rec.reviewers
    last = max((d.at for d in now.values()), default=None)
    notes = (
        f"Reconciled from a dual review of run {store.root.name} ({prov.model} output, prompt "
        f"{prov.prompt_version}@{prov.prompt_sha256[:12]}): {a} and {b} reviewed it "
        f"independently; {rec.agreed} facts agreed; {len(rec.units)} disagreement(s) settled by "
        f"{', '.join(adjudicators) or 'nobody (none to settle)'}"
        + (f" (last at {last})" if last else "")
        + f": {choices['a']} as {a}, {choices['b']} as {b}, {choices['model']} as the model, "
        f"{choices['value']} with the adjudicator's own value.  Decisions in "
        f"reviews/{ADJUDICATION_DIR}/{doc_id}.json."
    )
    schema = store.record_schema
    gold = gold_type(schema)(
        schema_ref=None if schema.builtin else schema.ref,
        document_id=ext.document.id,
        document_sha256=ext.document.sha256,
        annotator=f"{a}, {b}; adjudicated by {', '.join(adjudicators) or 'none needed'}",
        annotated_fields=reviewed_fields(ext.not_extracted),
        notes=notes,
        record=schema.model.model_validate(record),
    )
    check_schema(gold, doc_id)
    return gold


def promote_reconciled(
    store: RunStore, doc_ids: list[str], gold_dir: Path, *, force: bool = False
) -> list[tuple[Path, Path | None]]:
    """Write ``<gold_dir>/<id>.json`` for each settled document; all or nothing, and an existing
    gold file only with `force`."""
    return write_gold(store, doc_ids, gold_dir, gold_from_reconciliation, force=force)
