"""The prompt setting ``quotes = "text"``: the model is asked for values only, and every quote is
taken from the text.  Each test on a crafted text whose right quote is known from its words."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from abstraction.core.documents import Document
from abstraction.core.prompts import PassSpec, PromptSettings, PromptSpec, load_prompt
from abstraction.extraction import extract_document
from abstraction.extraction.passes import answer_model, llm_schema

ChatResult = pytest.importorskip("abstraction.client.openai_client").ChatResult
from abstraction.core.records import Usage  # noqa: E402

TEXT = (
    "A case of pneumonia\n\n"
    "Case presentation\n\n"
    "A 45-year-old woman presented with fever and a productive cough. "
    "She received amoxicillin 500 mg three times daily for 7 days. "
    "Chest X-ray showed a right lower lobe consolidation. "
    "She died of severe pneumonia."
)
ANSWER: dict[str, Any] = {  # values only: no "evidence" anywhere, as the schema asks
    "findings": [
        {"name": "fever", "assertion": "present", "body_site": None},
        {"name": "hemoptysis", "assertion": "present", "body_site": None},  # not in the text
    ],
    "treatments": [
        {
            "name": "amoxicillin", "category": "other", "target": None, "donor_type": None,
            "graft_source": None, "dose": "500 mg", "duration": "7 days", "intent": None,
            "time": None,
        }
    ],
}  # fmt: skip
SPEC = PassSpec(name="p", sections=("findings", "treatments"), instructions="Fill.")
FIRST_SENTENCE = "A 45-year-old woman presented with fever and a productive cough."


class Canned:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def complete(self, *, response_model: Any, **kw: Any) -> Any:
        self.sent.append(kw)
        value = response_model.model_validate_json(json.dumps(ANSWER))
        usage = Usage(prompt_tokens=10, completion_tokens=5, total_tokens=15, calls=1)
        return ChatResult(value=value, raw_text="", usage=usage, attempts=1, seconds=0.0)

    def describe(self) -> dict[str, Any]:
        return {"model": "canned", "endpoint": "local", "structured": "json_schema"}


def _prompt(quotes: str) -> PromptSpec:
    settings = PromptSettings.model_validate(
        {"quotes": quotes, "relocate": True, "unstated": "drop", "unsupported": "drop"}
    )
    return PromptSpec(
        version="t", description="t", system="s", settings=settings, passes=(SPEC,),
        sha256="0" * 64,
    )  # fmt: skip


def test_the_schema_asks_for_no_quote_and_the_model_default_still_does() -> None:
    text_schema = json.dumps(llm_schema(SPEC, evidence_first=False, quotes="text"))
    model_schema = json.dumps(llm_schema(SPEC, evidence_first=False))
    assert '"evidence"' not in text_schema and "Evidence" not in text_schema
    assert '"evidence"' in model_schema


def test_only_the_text_setting_takes_an_answer_without_quotes() -> None:
    with pytest.raises(ValidationError):
        answer_model(SPEC).model_validate(ANSWER)
    value = answer_model(SPEC, "text").model_validate(ANSWER)
    assert value.model_dump()["treatments"][0]["evidence"]["quote"] == ""


def test_an_extra_key_is_still_refused() -> None:
    bad = {"findings": [{**ANSWER["findings"][0], "colour": "red"}], "treatments": []}
    with pytest.raises(ValidationError):
        answer_model(SPEC, "text").model_validate(bad)


def test_every_kept_fact_is_quoted_from_the_text_and_states_its_values() -> None:
    client = Canned()
    out = extract_document(Document(id="d", text=TEXT), prompt=_prompt("text"), client=client)
    assert '"evidence"' not in json.dumps(dict(client.sent[0]["json_schema"]))
    assert out.record is not None
    (fever,) = out.record.findings  # "hemoptysis" is not in the text: dropped, never kept
    assert [d for d in out.dropped if d.fact.get("name") == "hemoptysis"]
    assert fever.evidence.status == "exact"
    assert TEXT[fever.evidence.start : fever.evidence.end] == fever.evidence.quote
    assert fever.evidence.quote == FIRST_SENTENCE
    assert (fever.evidence.note or "").startswith("located: ")
    (amox,) = out.record.treatments
    quote = amox.evidence.quote
    assert quote == "She received amoxicillin 500 mg three times daily for 7 days."
    assert TEXT[amox.evidence.start : amox.evidence.end] == quote
    assert (amox.dose, amox.duration) == ("500 mg", "7 days")


def test_the_locked_v25_is_v24_with_text_quotes() -> None:
    v24 = load_prompt("v24", Path("prompts"))
    v25 = load_prompt("v25", Path("prompts"))
    assert v25.settings.quotes == "text" and v24.settings.quotes == "model"
    assert v25.passes == v24.passes
    assert v25.settings.model_copy(update={"quotes": "model"}) == v24.settings
    assert "evidence" not in v25.system.lower()


CASE_SPEC = PassSpec(name="case", sections=("patient", "outcome", "source"), instructions="Fill.")
CASE_ANSWER: dict[str, Any] = {
    "patient": {
        "age": {"value": 45, "unit": "years"},
        "age_group": None,
        "sex": {"value": "female"},
    },
    "outcome": {
        "status": {"value": "died"},
        "cause_of_death": {"value": "severe pneumonia"},
        "follow_up": None,
    },
    "source": {
        "title": {"value": "A case of pneumonia"},
        "journal": {"value": "The Lancet"},  # not in the text: never given a quote
        "year": None, "doi": None, "authors": [], "keywords": [],
    },
}  # fmt: skip


class CannedCase(Canned):
    def complete(self, *, response_model: Any, **kw: Any) -> Any:
        self.sent.append(kw)
        value = response_model.model_validate_json(json.dumps(CASE_ANSWER))
        usage = Usage(prompt_tokens=10, completion_tokens=5, total_tokens=15, calls=1)
        return ChatResult(value=value, raw_text="", usage=usage, attempts=1, seconds=0.0)


def test_patient_outcome_and_metadata_facts_are_located_by_what_states_them() -> None:
    prompt = _prompt("text").model_copy(update={"passes": (CASE_SPEC,)})
    out = extract_document(Document(id="d", text=TEXT), prompt=prompt, client=CannedCase())
    assert out.record is not None
    p, o, src = out.record.patient, out.record.outcome, out.record.source
    first = FIRST_SENTENCE
    assert p.age is not None and p.age.evidence.quote == first  # "45-year-old" states 45 years
    assert p.sex is not None and p.sex.evidence.quote == first  # "woman" states female
    assert o.status is not None and o.status.evidence.quote == "She died of severe pneumonia."
    assert o.cause_of_death is not None
    assert o.cause_of_death.evidence.quote == "She died of severe pneumonia."
    assert src.title is not None and src.title.evidence.quote == "A case of pneumonia"
    assert (src.title.evidence.note or "").startswith("located: ")
    assert src.journal is None  # "The Lancet" is nowhere in the text
    for fact in (p.age, p.sex, o.status, o.cause_of_death, src.title):
        ev = fact.evidence
        assert ev.status == "exact" and TEXT[ev.start : ev.end] == ev.quote


def test_an_age_is_located_by_its_age_phrase_not_by_any_sentence_with_its_number() -> None:
    text = (
        "Case presentation\n\nHer haemoglobin was 45 g/L on arrival. "
        "The patient, aged 45 years, had been well."
    )
    answer = {**CASE_ANSWER, "outcome": {"status": None, "cause_of_death": None, "follow_up": None}}

    class Client(Canned):
        def complete(self, *, response_model: Any, **kw: Any) -> Any:
            value = response_model.model_validate_json(json.dumps(answer))
            usage = Usage(prompt_tokens=10, completion_tokens=5, total_tokens=15, calls=1)
            return ChatResult(value=value, raw_text="", usage=usage, attempts=1, seconds=0.0)

    prompt = _prompt("text").model_copy(update={"passes": (CASE_SPEC,)})
    out = extract_document(Document(id="d", text=text), prompt=prompt, client=Client())
    assert out.record is not None and out.record.patient.age is not None
    assert out.record.patient.age.evidence.quote == "The patient, aged 45 years, had been well."
