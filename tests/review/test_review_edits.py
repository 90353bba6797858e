"""The pure edit functions: planning, applying, statuses and re-applying after re-extraction."""

from __future__ import annotations

import copy
import itertools
from typing import Any

import pytest

from abstraction.core.documents import Document
from abstraction.review.edits import (
    Change,
    Edit,
    EditRejected,
    apply_edits,
    reapply_report,
    record_hash,
    validate_record,
)
from abstraction.review.plan import plan, stamp
from tests.review.seed_run import SEED, extraction_for, seed_record

TEXT = SEED.read_text("utf-8")


def model_record() -> dict[str, Any]:
    ext = extraction_for(Document.from_path(SEED), seed_record())
    return ext.record.model_dump(mode="json")


_ids = itertools.count()


def new_id() -> str:
    return f"id{next(_ids)}"


def edit(
    record: dict[str, Any], edits: list[Edit], *changes: Change | dict, who: str = "ann"
) -> list[Edit]:
    """Plan `changes` on `record` + `edits` and return all edits (pure; what the store does)."""
    state = apply_edits(record, edits)
    wanted = [c if isinstance(c, Change) else Change(**c) for c in changes]
    drafts = plan(wanted, state=state, text=TEXT, new_id=new_id)
    version = (edits[-1].version if edits else 0) + 1
    new = stamp(
        drafts,
        reviewer=who,
        reason=None,
        at="2025-01-01T00:00:00+00:00",
        base=state.base,
        version=version,
        new_id=new_id,
    )
    return [*edits, *new]


def test_set_on_a_fact_stores_one_edit_per_changed_leaf_and_keeps_the_original():
    record = model_record()
    before = copy.deepcopy(record)
    edits = edit(
        record,
        [],
        {
            "op": "set",
            "pointer": "/treatments/3",
            "value": {"duration": "two weeks", "name": "interferon-α"},
        },
    )
    assert [(e.op, e.pointer, e.old, e.new) for e in edits] == [
        ("set", "/treatments/3/duration", "two months", "two weeks")
    ]
    state = apply_edits(record, edits)
    assert record == before
    assert state.corrected["treatments"][3]["duration"] == "two weeks"
    assert state.fact("/treatments/3").status == "edited"
    assert state.fact("/treatments/3").original["duration"] == "two months"
    assert state.doc_status == "in_progress"
    assert validate_record(state.corrected) == []


def test_reject_drops_list_items_and_nulls_optional_facts_and_accept_brings_back():
    record = model_record()
    edits = edit(
        record,
        [],
        {"op": "reject", "pointer": "/treatments/2"},
        {"op": "reject", "pointer": "/patient/sex"},
        {"op": "set", "pointer": "/treatments/3", "value": {"duration": "two weeks"}},
    )
    state = apply_edits(record, edits)
    names = [t["name"] for t in state.corrected["treatments"]]
    assert "rituximab" not in names and len(names) == 3
    assert state.corrected["treatments"][2]["duration"] == "two weeks"  # later items intact
    assert state.corrected["patient"]["sex"] is None
    assert state.fact("/treatments/2").status == "rejected"
    edits = edit(record, edits, {"op": "accept", "pointer": "/patient/sex"})
    state = apply_edits(record, edits)
    assert state.corrected["patient"]["sex"]["value"] == "female"
    assert state.fact("/patient/sex").status == "accepted"


def test_added_items_are_addressable_editable_and_removable():
    record = model_record()
    item = {
        "method": "PET/CT",
        "result": "remission",
        "time": None,
        "evidence": {"start": 1630, "end": 1687, "quote": TEXT[1630:1687]},
    }
    edits = edit(record, [], {"op": "add", "pointer": "/assessments", "value": item})
    ptr = edits[0].pointer
    assert ptr.startswith("/assessments/-")
    state = apply_edits(record, edits)
    assert state.corrected["assessments"][0]["evidence"]["status"] == "exact"
    assert state.fact(ptr).added and state.fact(ptr).status == "edited"
    edits = edit(
        record, edits, {"op": "set", "pointer": ptr, "value": {"result": "complete remission"}}
    )
    assert edits[-1].pointer == f"{ptr}/result" and edits[-1].old == "remission"
    assert apply_edits(record, edits).corrected["assessments"][0]["result"] == "complete remission"
    edits = edit(record, edits, {"op": "reject", "pointer": ptr})
    assert apply_edits(record, edits).corrected["assessments"] == []


def test_filling_a_not_reported_fact_sets_it_whole():
    record = model_record()
    assert record["patient"]["age"] is None
    edits = edit(
        record,
        [],
        {
            "op": "set",
            "pointer": "/patient/age",
            "value": {"value": 40, "unit": "years", "evidence": {"quote": ""}},
        },
    )
    assert edits[0].pointer == "/patient/age" and edits[0].old is None
    state = apply_edits(record, edits)
    assert state.corrected["patient"]["age"]["value"] == 40
    assert state.corrected["patient"]["age"]["evidence"]["status"] == "unsupported"


def test_accept_all_accepts_only_open_facts_and_marks_reviewed():
    record = model_record()
    edits = edit(record, [], {"op": "reject", "pointer": "/treatments/2"})
    edits = edit(record, edits, {"op": "accept_all"})
    state = apply_edits(record, edits)
    assert state.doc_status == "reviewed"
    assert state.fact("/treatments/2").status == "rejected"
    assert all(f.status != "unreviewed" for f in state.facts if f.value is not None)
    assert state.fact("/patient/age").status == "unreviewed"  # null: nothing to accept


def test_selection_evidence_uses_code_points_and_checks_the_quote():
    text = "Case 🧬 report 𝛂-thalassaemia. More text follows here."
    record = model_record()
    state = apply_edits(record, [])
    start = text.index("𝛂")  # a Python (code point) index, not UTF-16
    change = Change(
        op="set_evidence",
        pointer="/diagnoses/0/evidence",
        value={"start": start, "end": start + 14, "quote": "𝛂-thalassaemia"},
    )
    [draft] = plan([change], state=state, text=text, new_id=new_id)
    assert draft.new["quote"] == "𝛂-thalassaemia" and draft.new["start"] == 14
    utf16 = Change(
        op="set_evidence",
        pointer="/diagnoses/0/evidence",
        value={"start": 15, "end": 30, "quote": "𝛂-thalassaemia"},
    )
    with pytest.raises(EditRejected, match="do not match"):
        plan([utf16], state=state, text=text, new_id=new_id)
    with pytest.raises(EditRejected, match="outside the text"):
        plan(
            [
                Change(
                    op="set_evidence",
                    pointer="/diagnoses/0/evidence",
                    value={"start": 5, "end": 999},
                )
            ],
            state=state,
            text=text,
            new_id=new_id,
        )
    with pytest.raises(EditRejected, match="not available"):
        plan([change], state=state, text=None, new_id=new_id)


@pytest.mark.parametrize(
    "change",
    [
        {"op": "set", "pointer": "/source", "value": {}},
        {"op": "set", "pointer": "/treatments", "value": []},
        {"op": "accept", "pointer": "/patient/age"},
        {"op": "reject", "pointer": "/treatments/2/dose"},
        {"op": "add", "pointer": "/patient/age", "value": {}},
        {"op": "set", "pointer": "/treatments/9/dose", "value": "x"},
        {"op": "dismiss", "value": "nope"},
        {"op": "status", "value": "done"},
    ],
)
def test_changes_that_do_not_fit_are_refused(change):
    state = apply_edits(model_record(), [])
    with pytest.raises(EditRejected):
        plan([Change(**change)], state=state, text=TEXT, new_id=new_id)


def test_invalid_values_are_reported_by_pointer():
    record = model_record()
    record["treatments"][0]["category"] = "magic"
    problems = validate_record(record)
    assert len(problems) == 1 and problems[0].startswith("/treatments/0/category:")


# ---- re-extraction ------------------------------------------------------------------------


def reviewed_edits(record):
    edits = edit(
        record,
        [],
        {"op": "set", "pointer": "/treatments/3", "value": {"duration": "two weeks"}},
        {"op": "reject", "pointer": "/treatments/2"},
        {"op": "accept", "pointer": "/outcome/status"},
        {"op": "set", "pointer": "/diagnoses/0", "value": {"details": "CD19+"}},
    )
    return edit(record, edits, {"op": "accept_all"})


def test_same_model_output_reapplies_everything():
    record = model_record()
    edits = reviewed_edits(record)
    applied, conflicts = reapply_report(copy.deepcopy(record), edits)
    assert conflicts == [] and applied == len(edits)
    assert apply_edits(record, edits).doc_status == "reviewed"


def test_new_model_output_reapplies_matching_edits_and_flags_the_rest():
    record = model_record()
    edits = reviewed_edits(record)
    new = copy.deepcopy(record)
    new["treatments"][3]["duration"] = "one month"  # the model changed what was corrected
    new["outcome"]["status"]["value"] = "alive"  # an accepted fact changed
    new["diagnoses"][0]["evidence"]["quote"] = "B-ALL"  # a sibling field changed: edit still fits
    state = apply_edits(new, edits)
    reasons = {c.edit.pointer: c.reason for c in state.conflicts}
    assert reasons == {
        "/treatments/3/duration": "the model output changed at this field",
        "/outcome/status": "the model output changed at this field",
    }
    interferon = next(t for t in state.corrected["treatments"] if t["name"] == "interferon-α")
    assert interferon["duration"] == "one month"  # not forced
    assert state.corrected["diagnoses"][0]["details"] == "CD19+"  # re-applied
    assert all(t["name"] != "rituximab" for t in state.corrected["treatments"])
    assert state.doc_status == "in_progress"  # reviewed on another model output
    assert state.conflicts[0].model_now == "one month"


def test_edits_whose_target_vanished_are_conflicts():
    record = model_record()
    edits = reviewed_edits(record)
    new = copy.deepcopy(record)
    del new["treatments"][2:]
    state = apply_edits(new, edits)
    reasons = {c.edit.pointer: c.reason for c in state.conflicts}
    assert reasons["/treatments/3/duration"] == "the field no longer exists in the model output"
    assert reasons["/treatments/2"] == "the field no longer exists in the model output"
    assert validate_record(state.corrected) == []


def test_an_added_item_the_new_model_output_already_has_is_a_conflict():
    record = model_record()
    item = {"method": "PET/CT", "result": "remission", "time": None, "evidence": {"quote": "x"}}
    edits = edit(record, [], {"op": "add", "pointer": "/assessments", "value": item})
    assert apply_edits(record, edits).conflicts == []
    new = copy.deepcopy(record)
    new["assessments"] = [apply_edits(record, edits).corrected["assessments"][0]]
    state = apply_edits(new, edits)
    assert [c.reason for c in state.conflicts] == ["the new model output already has this item"]
    assert len(state.corrected["assessments"]) == 1


def test_conflicts_are_resolved_by_a_later_edit_or_a_dismissal():
    record = model_record()
    edits = reviewed_edits(record)
    new = copy.deepcopy(record)
    new["treatments"][3]["duration"] = "one month"
    new["outcome"]["status"]["value"] = "alive"
    state = apply_edits(new, edits)
    assert len(state.conflicts) == 2
    edits = edit(
        new, edits, {"op": "set", "pointer": "/treatments/3", "value": {"duration": "2 weeks"}}
    )
    assert edits[-1].old == "one month"  # keyed on the new model value
    conflict_id = next(c.edit.id for c in apply_edits(new, edits).conflicts)
    edits = edit(new, edits, {"op": "dismiss", "value": conflict_id})
    state = apply_edits(new, edits)
    assert state.conflicts == [] and len(state.resolved) == 2
    assert state.corrected["treatments"][2]["duration"] == "2 weeks"  # rituximab dropped
    assert state.corrected["outcome"]["status"]["value"] == "alive"
    edits = edit(new, edits, {"op": "accept_all"})
    assert apply_edits(new, edits).doc_status == "reviewed"


def test_record_hash_ignores_key_order():
    assert record_hash({"a": 1, "b": [1, 2]}) == record_hash({"b": [1, 2], "a": 1})
    assert record_hash({"a": 1}) != record_hash({"a": 2})


def test_order_reorders_a_list_keeps_pointers_and_survives_adds_and_rejects():
    record = model_record()
    names = [t["name"] for t in record["treatments"]]
    edits = edit(record, [], {"op": "add", "pointer": "/treatments", "value": new_treatment()})
    added = apply_edits(record, edits).facts
    pointers = [f.pointer for f in added if f.slot.pointer == "/treatments"]
    wanted = [pointers[-1], *reversed(pointers[:-1])]
    edits = edit(record, edits, {"op": "order", "pointer": "/treatments", "value": wanted})
    assert edits[-1].op == "order" and edits[-1].old == record["treatments"]
    state = apply_edits(record, edits)
    facts = [f for f in state.facts if f.slot.pointer == "/treatments"]
    assert [f.pointer for f in facts] == wanted
    assert [t["name"] for t in state.corrected["treatments"]] == ["x-therapy", *reversed(names)]
    assert all(f.original is None or f.original == f.value for f in facts)
    # an edit made after the order addresses the item by its stable pointer
    edits = edit(record, edits, {"op": "set", "pointer": "/treatments/0/dose", "value": "1 g"})
    edits = edit(record, edits, {"op": "reject", "pointer": "/treatments/1"})
    state = apply_edits(record, edits)
    corrected = state.corrected["treatments"]
    assert corrected[-1]["name"] == names[0] and corrected[-1]["dose"] == "1 g"
    assert names[1] not in [t["name"] for t in corrected] and validate_record(state.corrected) == []
    # an item added after the order comes last
    edits = edit(
        record, edits, {"op": "add", "pointer": "/treatments", "value": new_treatment("y")}
    )
    assert apply_edits(record, edits).corrected["treatments"][-1]["name"] == "y"


def new_treatment(name: str = "x-therapy") -> dict[str, Any]:
    return {
        "name": name,
        "category": "other",
        **dict.fromkeys(
            ("target", "donor_type", "graft_source", "dose", "duration", "intent", "time")
        ),
        "evidence": {"quote": ""},
    }


@pytest.mark.parametrize(
    "value",
    [["/treatments/0"], ["/treatments/0", "/treatments/0", "/treatments/1", "/treatments/2"], "x"],
)
def test_an_order_must_name_every_item_once(value):
    record = model_record()
    count = len(record["treatments"])
    if isinstance(value, list) and len(value) == 4:
        value = value[: count + 1]
    with pytest.raises(EditRejected, match="every item"):
        edit(record, [], {"op": "order", "pointer": "/treatments", "value": value})
    with pytest.raises(EditRejected, match="only a list"):
        edit(record, [], {"op": "order", "pointer": "/patient/age", "value": []})


def test_an_order_on_a_changed_model_list_is_a_conflict_and_unchanged_order_is_no_edit():
    record = model_record()
    same = [f"/treatments/{i}" for i in range(len(record["treatments"]))]
    assert edit(record, [], {"op": "order", "pointer": "/treatments", "value": same}) == []
    edits = edit(
        record, [], {"op": "order", "pointer": "/treatments", "value": list(reversed(same))}
    )
    new_model = copy.deepcopy(record)
    new_model["treatments"][0]["dose"] = "changed"
    state = apply_edits(new_model, edits)
    assert [c.edit.op for c in state.conflicts] == ["order"]
    assert state.corrected["treatments"] == new_model["treatments"]
    assert apply_edits(record, edits).conflicts == []
