from abstraction.core.prompts import Example, PassSpec, PromptSpec
from abstraction.core.records import Extraction
from abstraction.core.schema import empty_case_report
from abstraction.evaluation.leakage import example_values, leaked_values

ANSWER = (
    '{"patient":{"age":null,"age_group":null,"sex":null},"outcome":{"status":null,'
    '"cause_of_death":{"value":"sepsis","evidence":"died of sepsis"},"follow_up":null}}'
)
PROMPT = PromptSpec(
    version="t",
    description="d",
    system="s",
    passes=(
        PassSpec(
            name="p",
            sections=("patient", "outcome"),
            instructions="i",
            examples=(Example(text="He died of sepsis.", answer=ANSWER),),
        ),
    ),
)


def _extraction(cause: str) -> Extraction:
    rec = empty_case_report().model_dump()
    rec["outcome"]["cause_of_death"] = {"value": cause, "evidence": "x"}
    return Extraction.model_validate(
        {
            "document": {"id": "d", "path": None, "sha256": "0", "chars": 1},
            "status": "ok",
            "record": rec,
            "error": None,
            "grounding": None,
            "provenance": {
                "toolkit_version": "0",
                "prompt_version": "t",
                "prompt_sha256": "0",
                "model": "m",
                "endpoint": "local",
                "structured_output": "x",
                "settings": {},
                "document_sha256": "0",
                "started_at": "",
                "finished_at": "",
                "timings": {},
                "usage": {},
                "passes": [],
            },
        }
    )


def test_example_values_exclude_evidence_quotes():
    assert example_values(PROMPT) == {"sepsis"}


def test_a_value_copied_from_the_example_is_a_leak():
    assert leaked_values(_extraction("sepsis"), PROMPT, "She died of pneumonia.") == ["sepsis"]


def test_a_value_the_document_also_states_is_not_a_leak():
    assert leaked_values(_extraction("sepsis"), PROMPT, "She died of Sepsis.") == []
    assert leaked_values(_extraction("pneumonia"), PROMPT, "She died of pneumonia.") == []


def test_the_leakage_evaluator_lists_leaking_documents_only():
    from abstraction.evaluation.leakage import leaks_by_document

    outputs = {"a": _extraction("sepsis"), "b": _extraction("pneumonia")}
    texts = {"a": "She died of pneumonia.", "b": "She died of pneumonia."}
    assert leaks_by_document(outputs, PROMPT, texts) == {"a": ["sepsis"]}
