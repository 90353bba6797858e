import json

import pytest
from pydantic import ValidationError

from abstraction.core.prompts import PassSpec, PromptSpec
from abstraction.core.schema import SECTIONS
from abstraction.extraction import build_messages, llm_schema, pass_model


def _walk(node):
    if isinstance(node, dict):
        yield node
        for v in node.values():
            yield from _walk(v)
    elif isinstance(node, list):
        for v in node:
            yield from _walk(v)


def test_model_is_asked_for_quotes_never_offsets():
    schema = llm_schema(
        PassSpec(name="all", sections=SECTIONS, instructions="x"), evidence_first=False
    )
    text = json.dumps(schema)
    assert '"start"' not in text and '"similarity"' not in text
    assert schema["$defs"]["Evidence"]["type"] == "string"


def test_every_object_requires_all_keys_and_forbids_extras():
    schema = llm_schema(
        PassSpec(name="all", sections=SECTIONS, instructions="x"), evidence_first=False
    )
    objects = [n for n in _walk(schema) if n.get("type") == "object" and "properties" in n]
    assert len(objects) > 10
    for o in objects:
        assert o["required"] == list(o["properties"]) and o["additionalProperties"] is False
    assert "default" not in json.dumps(schema)


def test_evidence_first_puts_the_quote_before_the_value():
    spec = PassSpec(name="p", sections=("patient",), instructions="x")
    later = llm_schema(spec, evidence_first=False)["$defs"]["SexFact"]["properties"]
    first = llm_schema(spec, evidence_first=True)["$defs"]["SexFact"]["properties"]
    assert list(later) == ["value", "evidence"] and list(first) == ["evidence", "value"]


def test_pass_model_holds_only_its_sections_and_validates_quotes():
    model = pass_model(("patient", "outcome"))
    assert list(model.model_fields) == ["patient", "outcome"]
    value = model.model_validate(
        {
            "patient": {
                "age": None,
                "age_group": None,
                "sex": {"value": "female", "evidence": "she"},
            },
            "outcome": {"status": None, "cause_of_death": None, "follow_up": None},
        }
    )
    assert value.patient.sex.evidence.quote == "she"


def test_document_comes_before_the_pass_instructions():
    spec = PassSpec(name="p", sections=("patient",), instructions="INSTRUCTIONS")
    prompt = PromptSpec(version="t", description="d", system="SYSTEM", passes=(spec,))
    msgs = build_messages("DOC TEXT", prompt, spec)
    assert msgs[0] == {"role": "system", "content": "SYSTEM"}
    assert msgs[1]["content"].index("DOC TEXT") < msgs[1]["content"].index("INSTRUCTIONS")


def test_a_field_named_like_a_schema_keyword_is_kept():
    # SourceMetadata has a field called "title": only schema *titles* are dropped.
    spec = PassSpec(name="p", sections=("source",), instructions="x")
    src = llm_schema(spec, evidence_first=False)["$defs"]["SourceMetadata"]
    assert "title" in src["properties"] and "title" in src["required"]
    assert "title" not in src


def test_an_omitted_field_is_not_asked_for_and_comes_back_null():

    from abstraction.extraction.passes import answer_model

    omit = ("treatments.donor_type", "treatments.intent")
    spec = PassSpec(name="t", sections=("treatments",), instructions="x", omit=omit)
    item = llm_schema(spec, evidence_first=False, quotes="text")["$defs"]["Treatment"]
    assert "donor_type" not in item["properties"] and "intent" not in item["properties"]
    assert item["required"] == list(item["properties"]) and "graft_source" in item["required"]
    whole = llm_schema(spec.model_copy(update={"omit": ()}), evidence_first=False, quotes="text")
    assert "donor_type" in whole["$defs"]["Treatment"]["properties"]  # the key keeps them apart
    row = {"name": "UCBT", "category": "stem_cell_transplant", "target": None}
    answer = {
        "treatments": [row | {"graft_source": None, "dose": None, "duration": None, "time": None}]
    }
    got = answer_model(spec, "text").model_validate(answer)
    assert got.treatments[0].donor_type is None and got.treatments[0].intent is None
    for bad in ("treatments.name", "treatments.category", "diagnoses.details", "treatments.x"):
        with pytest.raises(ValidationError, match="omit names"):
            PassSpec(name="t", sections=("treatments",), instructions="x", omit=(bad,))


def test_an_omitted_field_is_not_extracted_unless_a_rule_fills_it():
    from abstraction.core.prompts import PromptSettings

    spec = PassSpec(
        name="t", sections=("treatments",), instructions="x", omit=("treatments.donor_type",)
    )
    bare = PromptSpec(version="t", description="", system="", passes=(spec,))
    assert "treatments.donor_type" in bare.not_extracted()
    ruled = bare.model_copy(update={"settings": PromptSettings(rules=("transplant_attributes",))})
    assert "treatments.donor_type" not in ruled.not_extracted()


def test_omit_refuses_a_path_twice_and_a_model_another_section_of_the_pass_shares(
    tmp_path, monkeypatch
):
    with pytest.raises(ValidationError, match="distinct"):
        PassSpec(
            name="t",
            sections=("treatments",),
            instructions="x",
            omit=("treatments.dose", "treatments.dose"),
        )
    (tmp_path / "shared_rx.py").write_text(
        "from typing import Annotated\n"
        "from abstraction.core.schema import EvidenceField, Strict\n"
        "from abstraction.core.scoring import Score\n"
        "class Drug(Strict):\n"
        "    name: Annotated[str, Score.text('treatments')]\n"
        "    dose: Annotated[str | None, Score.text()]\n"
        "    evidence: EvidenceField\n"
        "class Rx(Strict):\n"
        "    given: Annotated[list[Drug], Score.records('name')]\n"
        "    stopped: Annotated[list[Drug], Score.records('name')]\n",
        "utf-8",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    ok = PassSpec(name="t", sections=("given",), instructions="x", omit=("given.dose",),
                  schema_ref="shared_rx:Rx")  # fmt: skip
    assert "dose" not in llm_schema(ok, evidence_first=False)["$defs"]["Drug"]["properties"]
    with pytest.raises(ValidationError, match="also another section"):
        PassSpec(name="t", sections=("given", "stopped"), instructions="x",
                 omit=("given.dose",), schema_ref="shared_rx:Rx")  # fmt: skip


def test_a_rule_that_fills_items_extracts_nothing_when_every_pass_giving_them_failed():
    from abstraction.core.prompts import default_prompts_dir, load_prompt

    v27 = load_prompt("v27", default_prompts_dir())
    assert v27.not_extracted() == []
    # every treatments field (collapsed to the section), not only those the passes asked for
    assert v27.not_extracted(["treatments", "care"]) == ["treatments"]
    assert v27.not_extracted(["care"]) == []  # the treatments pass still gives treatments


def test_the_default_without_a_case_pass_still_extracts_every_field():
    """v29 has no case pass: the patient's age and sex and the outcome come from the
    conditions pass and the rules, the age group from `age_group_from_age`."""
    from abstraction.core.prompts import DEFAULT_PROMPT, default_prompts_dir, load_prompt

    default = load_prompt(DEFAULT_PROMPT, default_prompts_dir())
    assert "case" not in [p.name for p in default.passes]
    assert default.not_extracted() == []
    # without the rule, nothing of the prompt asks for the age group
    bare = default.model_copy(
        update={
            "settings": default.settings.model_copy(
                update={
                    "rules": tuple(r for r in default.settings.rules if r != "age_group_from_age")
                }
            )
        }
    )
    assert bare.not_extracted() == ["patient.age_group"]
