"""The prompt settings `relocate` and `unstated` reach grounding through the extractor."""

from __future__ import annotations

from typing import Any

import pytest

from abstraction.core.documents import Document
from abstraction.core.prompts import PassSpec, PromptSettings, PromptSpec
from abstraction.core.records import Usage
from abstraction.extraction import extract_document

ChatResult = pytest.importorskip("abstraction.client.openai_client").ChatResult

TEXT = (
    "Rituximab in a woman with lymphoma\n\n"
    "A 62-year-old woman with lymphoma received rituximab on day 3. She had a fever.\n"
)
TREATMENT = {
    "name": "rituximab",
    "category": "immunotherapy",
    "target": None,
    "donor_type": None,
    "graft_source": None,
    "dose": "375 mg/m2",
    "duration": None,
    "intent": None,
    "time": "day 3",
    "evidence": "received rituximab on day 3",
}
FINDING = {
    "name": "fever",
    "assertion": "present",
    "body_site": None,
    "evidence": "Rituximab in a woman with lymphoma",
}


class Canned:
    def complete(self, *, response_model: Any, **_: Any) -> Any:
        value = response_model.model_validate({"treatments": [TREATMENT], "findings": [FINDING]})
        usage = Usage(prompt_tokens=10, completion_tokens=5, total_tokens=15, calls=1)
        return ChatResult(value=value, raw_text="", usage=usage, attempts=1, seconds=0.0)

    def describe(self) -> dict[str, Any]:
        return {"model": "canned", "endpoint": "local", "structured": "json_schema"}


def _run(**settings: Any) -> Any:
    spec = PassSpec(name="p", sections=("findings", "treatments"), instructions="i")
    prompt = PromptSpec(
        version="t",
        description="t",
        system="s",
        settings=PromptSettings(**settings),
        passes=(spec,),
        sha256="0" * 64,
    )
    return extract_document(Document(id="d", text=TEXT), prompt=prompt, client=Canned())


def test_by_default_an_unstated_dose_flags_the_fact_and_a_title_quote_is_unsupported() -> None:
    out = _run()
    t, f = out.record.treatments[0], out.record.findings[0]
    assert t.evidence.status == "unsupported" and "'375 mg/m2'" in t.evidence.note
    assert f.evidence.status == "unsupported" and "title or header" in f.evidence.note
    assert (out.grounding.not_stated, out.grounding.header) == (1, 1)
    assert out.dropped == []


def test_drop_and_relocate_keep_what_the_text_states() -> None:
    out = _run(unstated="drop", relocate=True, unsupported="drop")
    t, f = out.record.treatments[0], out.record.findings[0]
    assert t.evidence.status == "exact" and t.dose is None and t.time == "day 3"
    assert f.evidence.method == "relocated" and f.evidence.quote == "She had a fever."
    assert [(d.path, d.note) for d in out.dropped] == [
        ("treatments[0].dose", "the quote does not state the dose '375 mg/m2'")
    ]
    assert out.grounding.relocated == 1 and out.grounding.unsupported == 0
    assert out.provenance.settings["relocate"] is True
