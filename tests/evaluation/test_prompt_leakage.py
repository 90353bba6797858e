"""Prompt leakage: a word of the prompt's own text in an output value, on a document without it.

The recorded test replays the smoke suite's committed recordings (offline) for every prompt
with a committed baseline and checks what `prompt_leaks_by_document` finds: v18's known leaks
(issue 19: "fever", "intubation", "dialysis", "radiotherapy" copied from its instructions) must
be caught, so a check that found nothing would fail here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from abstraction.client import open_client, resolve_config
from abstraction.core.documents import Document
from abstraction.core.prompts import PassSpec, PromptSpec, default_prompts_dir, load_prompt
from abstraction.core.records import DroppedFact, Extraction
from abstraction.core.schema import CaseReport, empty_case_report
from abstraction.evaluation.leakage import instruction_words, prompt_leaks, prompt_leaks_by_document
from abstraction.evaluation.runner import run_suite
from abstraction.evaluation.suite import load_suite

REPO = Path(__file__).resolve().parents[2]
BASELINES = sorted((REPO / "eval" / "baselines" / "smoke").glob("*.json"))

PROMPT = PromptSpec(
    version="t",
    description="t",
    system="You extract case reports.",
    passes=(
        PassSpec(
            name="p",
            sections=("findings", "treatments"),
            instructions="List signs (for 'no fever', write 'fever'); procedures such as "
            "intubation or radiotherapy.",
        ),
    ),
    sha256="0" * 64,
)


def _treatment(name: str, category: str) -> dict[str, Any]:
    return {
        "name": name,
        "category": category,
        "target": None,
        "donor_type": None,
        "graft_source": None,
        "dose": None,
        "duration": None,
        "intent": None,
        "time": None,
        "evidence": name,
    }


def _extraction(record: CaseReport, dropped: list[DroppedFact] | None = None) -> Extraction:
    return Extraction.model_construct(record=record, dropped=dropped or [])


def test_a_prompt_word_the_document_lacks_is_a_leak() -> None:
    data = empty_case_report().model_dump()
    data["findings"] = [
        {"name": "fever", "assertion": "absent", "body_site": None, "evidence": "fever"}
    ]
    data["treatments"] = [_treatment("surgery", "radiotherapy")]
    ext = _extraction(CaseReport.model_validate(data))
    assert prompt_leaks(ext, PROMPT, "She had a cough. Surgery was done.") == ["fever"]
    assert prompt_leaks(ext, PROMPT, "She had no fevers. Surgery was done.") == []
    # a category is the schema's word; a treatment *named* radiotherapy is the model's
    data["treatments"] = [_treatment("radiotherapy", "radiotherapy")]
    ext = _extraction(CaseReport.model_validate(data))
    assert prompt_leaks(ext, PROMPT, "A cough.") == ["fever", "radiotherapy"]


def test_values_grounding_dropped_are_still_checked() -> None:
    fact = _treatment("intubation", "other")
    dropped = [
        DroppedFact(path="treatments[0]", fact=fact, note="quote not found in the source"),
        DroppedFact(path="m:procedures", fact={"phrase": "intubation or radiotherapy"}, note="x"),
    ]
    ext = _extraction(empty_case_report(), dropped)
    assert prompt_leaks(ext, PROMPT, "A cough.") == ["intubation", "radiotherapy"]
    assert "extract" in instruction_words(PROMPT) and "the" not in instruction_words(PROMPT)


@pytest.fixture(scope="module")
def replayed() -> dict[str, tuple[PromptSpec, dict[str, Extraction], dict[str, str]]]:
    suite = load_suite("smoke")
    texts = {Document.from_path(p).id: Document.from_path(p).text for p in suite.documents}
    out = {}
    for path in BASELINES:
        engine = json.loads(path.read_text()).get("engine")
        prompt = load_prompt(path.stem, default_prompts_dir())
        config = resolve_config(
            engine=engine, recording_dir=suite.recordings_dir, recording_mode="replay"
        )
        with open_client(config) as client:
            run = run_suite(suite, [prompt], client=client, model=config, details=False)[0]
        out[path.stem] = (prompt, run.extractions, texts)
    return out


@pytest.mark.skipif(not BASELINES, reason="no committed smoke baselines")
def test_recorded_v18_leaks_are_caught(replayed) -> None:
    prompt, extractions, texts = replayed["v18"]
    leaks = prompt_leaks_by_document(extractions, prompt, texts)
    found = {w for words in leaks.values() for w in words}
    assert {"fever", "intubation", "dialysis", "radiotherapy"} <= found
    assert "fever" in leaks["000_8682481a1554b25b"], "the seed has no fever"


@pytest.mark.skipif(not BASELINES, reason="no committed smoke baselines")
def test_every_reported_leak_is_a_prompt_word_the_document_lacks(replayed) -> None:
    for version, (prompt, extractions, texts) in replayed.items():
        words = instruction_words(prompt)
        for doc_id, leaked in prompt_leaks_by_document(extractions, prompt, texts).items():
            text = texts[doc_id].lower()
            for w in leaked:
                assert w in words and w not in text, (version, doc_id, w)


def test_a_finding_the_text_denies_in_one_word_is_not_a_leak() -> None:
    """ "fever, absent" on a text that says "afebrile" is the text's fact, written as the hand
    gold writes it; on a text with neither word it is still the prompt's."""
    data = empty_case_report().model_dump()
    data["findings"] = [
        {"name": "fever", "assertion": "absent", "body_site": None, "evidence": "fever"}
    ]
    ext = _extraction(CaseReport.model_validate(data))
    assert prompt_leaks(ext, PROMPT, "On admission she was afebrile.") == []
    assert prompt_leaks(ext, PROMPT, "On admission she was well.") == ["fever"]
