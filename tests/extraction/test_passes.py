import json

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
