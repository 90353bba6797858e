"""Extraction of a record of another schema, with a stand-in client (the real model's answers
on the worked example are replayed in tests/test_schema_example.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from abstraction.client.openai_client import ChatResult
from abstraction.core.documents import Document
from abstraction.core.prompts import load_prompt
from abstraction.core.records import Usage
from abstraction.core.schemas import load_extraction
from abstraction.extraction.chunking import ChunkSettings
from abstraction.extraction.passes import llm_schema
from abstraction.extraction.pipeline import extract

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "id_registry"
ANSWER = {
    "patient": {
        "age": {"value": 67, "unit": "years", "evidence": "A 67-year-old man"},
        "sex": None,
    },
    "infection_site": {
        "value": "right knee joint",
        "evidence": "septic arthritis of the right knee",
    },
    "pathogens": [
        {
            "organism": "Staphylococcus aureus",
            "specimen": "synovial fluid",
            "method": "culture",
            "evidence": "methicillin-susceptible Staphylococcus aureus",
        }
    ],
    "antimicrobials": [],
    "source_control": [],
    "outcome": None,
}


class Answers:
    """Answers every request with `ANSWER` (validated by the request's response model)."""

    def __init__(self, answer: dict[str, Any] | None = None) -> None:
        self.requests: list[dict[str, Any]] = []
        self.answer = ANSWER if answer is None else answer

    def describe(self) -> dict[str, Any]:
        return {"model": "stand-in", "endpoint": "local", "structured": "json_schema"}

    def complete(self, **kwargs: Any) -> ChatResult:
        self.requests.append(kwargs)
        value = kwargs["response_model"].model_validate(self.answer)
        return ChatResult(value, "{}", Usage(calls=1), 1, 0.01)

    async def acomplete(self, **kwargs: Any) -> ChatResult:
        return self.complete(**kwargs)


@pytest.fixture
def doc() -> Document:
    return Document.from_path(EXAMPLE / "texts" / "id01_septic_knee.txt")


def test_the_model_is_asked_for_the_schema_sections_with_quotes_only() -> None:
    prompt = load_prompt("v1", EXAMPLE / "prompts")
    schema = llm_schema(prompt.passes[0], evidence_first=False)
    assert list(schema["properties"]) == list(prompt.record_schema.sections)
    assert schema["$defs"]["Evidence"]["type"] == "string"
    assert schema["$defs"]["Pathogen"]["required"] == ["organism", "specimen", "method", "evidence"]


def test_a_pass_of_another_schema_may_require_fields() -> None:
    prompt = load_prompt("v1", EXAMPLE / "prompts")
    spec = prompt.passes[0]
    filled = spec.model_copy(update={"fill": ("patient.sex",)})
    nullable = llm_schema(spec, evidence_first=False)["$defs"]["Patient"]["properties"]["sex"]
    required = llm_schema(filled, evidence_first=False)["$defs"]["Patient"]["properties"]["sex"]
    assert {"type": "null"} in nullable["anyOf"]
    assert "anyOf" not in required and required["$ref"].endswith("/SexFact")


def test_the_support_check_and_front_matter_hold_for_another_schema(doc: Document) -> None:
    """Grounding of an IdRegistry record runs main's checks on the toolkit's fact blocks: a sex
    its quote does not state is flagged, and an outcome quoted from the title is front matter."""
    answer = {
        **ANSWER,
        "patient": {**ANSWER["patient"], "sex": {"value": "male", "evidence": "blood cultures"}},
        "outcome": {"value": "alive", "evidence": "Septic arthritis of the knee after a garden"},
    }
    prompt = load_prompt("v1", EXAMPLE / "prompts")
    ext = extract(doc, prompt=prompt, client=Answers(answer))
    record: Any = ext.record
    assert type(record).__name__ == "IdRegistry"
    sex, outcome = record.patient.sex.evidence, record.outcome.evidence
    assert sex.status == "unsupported" and sex.note == "the quote does not state the sex 'male'"
    assert outcome.status == "unsupported" and "title or header" in (outcome.note or "")
    assert ext.grounding is not None and (ext.grounding.not_stated, ext.grounding.header) == (1, 1)


def test_a_record_of_another_schema_is_grounded_and_names_its_schema(doc: Document) -> None:
    prompt = load_prompt("v1", EXAMPLE / "prompts")
    ext = extract(doc, prompt=prompt, client=Answers())
    assert ext.status == "ok" and type(ext.record).__name__ == "IdRegistry"
    assert ext.grounding is not None and (ext.grounding.facts, ext.grounding.exact) == (3, 3)
    pathogen = ext.record.pathogens[0].evidence  # type: ignore[union-attr]
    assert doc.text[pathogen.start : pathogen.end] == pathogen.quote
    assert ext.provenance.schema_ref == prompt.schema_ref
    again = load_extraction(ext.model_dump_json().encode())
    assert type(again) is type(ext)
    assert again.model_dump(mode="json") == ext.model_dump(mode="json")


def test_parts_of_a_long_document_merge_for_another_schema(doc: Document) -> None:
    prompt = load_prompt("v1", EXAMPLE / "prompts")
    client = Answers()
    ext = extract(doc, prompt=prompt, client=client, chunking=ChunkSettings(700, 100))
    assert len(client.requests) == len(ext.provenance.parts or []) > 1
    assert type(ext.record).__name__ == "IdRegistry"
    assert len(ext.record.pathogens) == 1  # type: ignore[union-attr]  # duplicates dropped
    age = ext.record.patient.age  # type: ignore[union-attr]
    assert age is not None and age.evidence.status == "exact"  # the grounded one is kept
    assert doc.text[age.evidence.start : age.evidence.end] == "A 67-year-old man"
