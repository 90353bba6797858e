"""An optional pass that fails leaves its fields out, says so, and the document goes on."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from abstraction.core.documents import Document
from abstraction.core.errors import ModelError
from abstraction.core.prompts import MENTION_SECTIONS, PassSpec, PromptSpec
from abstraction.core.records import Usage
from abstraction.extraction import aextract_document, answer_model, extract_document

ChatResult = pytest.importorskip("abstraction.client.openai_client").ChatResult

TEXT = "A 62-year-old woman had fever. She relapsed in month 6. She died of sepsis."
PHRASES = {"age": "62-year-old", "sex": "woman", "signs_symptoms": ["fever"], "outcome": "died"}
NAMES = PassSpec(
    name="names",
    shape="mentions",
    sections=MENTION_SECTIONS,
    lists=tuple(PHRASES),
    instructions="List.",
)
COURSE = PassSpec(
    name="course", sections=("disease_events", "timeline"), instructions="Course.", optional=True
)
COURSE_ANSWER = {
    "disease_events": [
        {
            "event": "relapse",
            "type": None,
            "body_sites": [],
            "time": "in month 6",
            "evidence": {"quote": "She relapsed in month 6"},
        }
    ],
    "timeline": [],
}


class Client:
    """Answers the names pass; fails every pass named in `failing` (a truncated answer)."""

    def __init__(self, failing: set[str], kind: str = "truncated") -> None:
        self.failing, self.kind = failing, kind
        self.asked: list[str] = []
        self.max_tokens: list[int] = []

    def complete(
        self, *, messages: list[dict[str, str]], response_model: Any, settings: Any, **_: Any
    ) -> Any:
        name = "course" if messages[-1]["content"].endswith("Course.") else "names"
        self.asked.append(name)
        self.max_tokens.append(settings.max_tokens)
        if name in self.failing:
            usage = {"prompt_tokens": 10, "completion_tokens": 100, "total_tokens": 110}
            raise ModelError("cut off", kind=self.kind, usage={**usage, "calls": 1})
        answer = COURSE_ANSWER if name == "course" else PHRASES
        usage = Usage(prompt_tokens=10, completion_tokens=5, total_tokens=15, calls=1)
        value = response_model.model_validate(answer)
        return ChatResult(value=value, raw_text="", usage=usage, attempts=1, seconds=0.0)

    async def acomplete(self, **kw: Any) -> Any:
        return self.complete(**kw)

    def describe(self) -> dict[str, Any]:
        return {"model": "canned", "endpoint": "local", "structured": "json_schema"}


def extract(
    passes: tuple[PassSpec, ...], failing: set[str], asynchronous: bool, kind: str = "truncated"
) -> Any:
    prompt = PromptSpec(version="t", description="t", system="s", passes=passes, sha256="0" * 64)
    doc, client = Document(id="d", text=TEXT), Client(failing, kind)
    if asynchronous:
        return asyncio.run(aextract_document(doc, prompt=prompt, client=client)), client
    return extract_document(doc, prompt=prompt, client=client), client


@pytest.mark.parametrize("asynchronous", [False, True])
def test_a_failed_optional_pass_leaves_its_fields_out_and_says_so(asynchronous: bool) -> None:
    ok, _ = extract((COURSE, NAMES), set(), asynchronous)
    assert ok.status == "ok" and ok.record.disease_events[0].event == "relapse"
    assert "disease_events" not in ok.not_extracted and "timeline" not in ok.not_extracted

    out, client = extract((COURSE, NAMES), {"course"}, asynchronous)
    assert client.asked == ["course", "names"]  # the document went on after the failure
    assert out.status == "ok" and out.error is None
    assert out.record.patient.age.value == 62 and out.record.disease_events == []
    assert [(p.name, p.status) for p in out.provenance.passes] == [
        ("course", "failed"),
        ("names", "ok"),
    ]
    assert out.provenance.passes[0].error == "cut off"
    assert out.provenance.usage.completion_tokens == 105  # the failed pass's tokens count
    assert "disease_events" in out.not_extracted and "timeline" in out.not_extracted
    assert set(out.not_extracted) - set(ok.not_extracted) == {"disease_events", "timeline"}


@pytest.mark.parametrize("asynchronous", [False, True])
def test_a_required_pass_still_fails_the_document(asynchronous: bool) -> None:
    out, client = extract((NAMES, COURSE), {"names"}, asynchronous)
    assert client.asked == ["names"]
    assert out.status == "failed" and out.record is None and out.not_extracted is None
    assert out.error.message == "pass 'names': cut off"


@pytest.mark.parametrize("asynchronous", [False, True])
def test_a_replay_miss_fails_the_document_even_in_an_optional_pass(asynchronous: bool) -> None:
    # a request the recordings lack is not the model failing: going on without the pass would
    # score another system than the one named (a changed request replayed as a missing pass)
    out, client = extract((COURSE, NAMES), {"course"}, asynchronous, kind="replay_miss")
    assert client.asked == ["course"]
    assert out.status == "failed" and out.record is None
    assert out.error.kind == "replay_miss" and out.error.message == "pass 'course': cut off"


def test_when_every_pass_fails_the_document_fails_rather_than_being_empty() -> None:
    only = (COURSE, COURSE.model_copy(update={"name": "course2"}))
    out, client = extract(only, {"course"}, asynchronous=False)
    assert client.asked == ["course", "course"]
    assert out.status == "failed" and out.record is None
    assert out.error.kind == "truncated" and "pass 'course2'" in out.error.message


def test_a_pass_can_have_its_own_answer_limit() -> None:
    short = COURSE.model_copy(update={"max_tokens": 300})
    _, client = extract((NAMES, short), set(), asynchronous=False)
    assert client.max_tokens == [3000, 300]  # the prompt's default, then the pass's own

    from abstraction.jobs.batch_prepare import request_body

    prompt = PromptSpec(version="t", description="t", system="s", passes=(NAMES, short))
    doc = Document(id="d", text=TEXT)
    bodies = [
        request_body(doc, prompt, spec, model="m", structured="json_schema")
        for spec in prompt.passes
    ]
    assert [b["max_tokens"] for b in bodies] == [3000, 300]


@pytest.mark.parametrize("live", [False, True])
def test_batch_collect_goes_on_past_a_failed_optional_pass(live: bool) -> None:
    """A batch answer missing for the optional pass (and, live, failing again when re-asked)
    leaves its fields out; the names pass's batch answer still makes the record."""
    from abstraction.jobs.batch import BatchAnswer, _unit_extraction

    prompt = PromptSpec(
        version="t", description="t", system="s", passes=(COURSE, NAMES), sha256="0" * 64
    )
    doc, client = Document(id="d", text=TEXT), Client({"course"})
    answer = Client(set()).complete(  # what the batch endpoint answered for the names pass
        messages=[{"content": "List."}],
        response_model=answer_model(NAMES),
        settings=prompt.settings,
    )

    async def reask(request: dict[str, Any]) -> Any:
        return client.complete(**request)

    described = {"model": "m", "endpoint": "local", "structured": "json_schema"}
    answers = {"names": BatchAnswer(answer, None, raw="{}"), "course": None}
    ext, reasked = asyncio.run(
        _unit_extraction(doc, prompt, answers, described=described, reask=reask if live else None)
    )
    assert reasked == (1 if live else 0) and client.asked == (["course"] if live else [])
    assert ext.status == "ok" and ext.record.patient.age.value == 62
    assert [(p.name, p.status) for p in ext.provenance.passes] == [
        ("course", "failed"),
        ("names", "ok"),
    ]
    assert "timeline" in ext.not_extracted


HEADER = (
    "Spinal tuberculosis in a middle-aged man\n"
    "J Case Rep Med. 2021;4:12. doi:10.1000/jcrm.2021.12\n"
    "Ana Lopez, Ben Chen\n\n"
)


def test_a_header_only_pass_is_skipped_on_a_text_without_a_header() -> None:
    """The source pass (`only_with_header`) on a text that opens with running text: no
    request, recorded as skipped with the reason, its fields null and not `not_extracted`;
    on a text with a title, journal and author lines it is asked."""
    source = COURSE.model_copy(update={"only_with_header": True})
    prompt = PromptSpec(
        version="t", description="t", system="s", passes=(NAMES, source), sha256="0" * 64
    )
    bare, client = Document(id="d", text=TEXT), Client(set())
    ext = extract_document(bare, prompt=prompt, client=client)
    assert client.asked == ["names"]
    assert ext.status == "ok" and ext.record is not None
    skipped = ext.provenance.passes[-1]
    assert (skipped.name, skipped.status, skipped.usage.calls) == ("course", "skipped", 0)
    assert skipped.error and "header" in skipped.error
    assert ext.record.disease_events == []
    assert ext.not_extracted is not None
    assert not {"disease_events", "timeline"} & set(ext.not_extracted)  # looked: none there

    headed, client = Document(id="h", text=HEADER + TEXT), Client(set())
    ext = extract_document(headed, prompt=prompt, client=client)
    assert client.asked == ["names", "course"]
    assert [p.status for p in ext.provenance.passes] == ["ok", "ok"]
    # a later part of a split document has no header either
    part, client = Document(id="p", text=HEADER + TEXT, metadata={"part": "2/2"}), Client(set())
    extract_document(part, prompt=prompt, client=client)
    assert client.asked == ["names"]


def test_a_pubmed_record_or_a_labelled_title_is_a_header() -> None:
    """Found by an audit: a PubMed record's citation line and a title ending with a full stop
    read as running text to `header_span`; its citation marks, or a reader's "Title" label
    (JATS, PDF), say there is a header."""
    from abstraction.core.documents import TextRange
    from abstraction.extraction.extractor import has_header

    pubmed = (
        "1. J Med Case Rep. 2020 Mar 5;14(1):32. doi: 10.1186/s13256-020-2345-6.\n\n"
        "Spinal tuberculosis in a man from the Philippines: a case report.\n\nSmith J, Doe A.\n\n"
        + TEXT
    )
    assert has_header(Document(id="p", text=pubmed))
    title = "Takotsubo syndrome after an argument in a woman of 62 years was reported here.\n"
    labelled = Document(
        id="j", text=title + TEXT, ranges=(TextRange(0, len(title), None, "Title"),)
    )
    assert has_header(labelled)
    assert not has_header(Document(id="b", text=TEXT))
    cited = TEXT + "\nShe had fever.\nShe was well.\nAs in Blood. 2019;12:44, she relapsed."
    assert not has_header(Document(id="c", text=cited))


def test_a_section_heading_alone_is_not_a_header() -> None:
    """Found on the core suite: case 07 opens with "Case presentation" and then the history;
    `header_span` took the heading for a header, the source pass was asked, and the model
    made up a title, journal, year and DOI (all dropped as unsupported).  A heading before a
    title still leaves a header."""
    from abstraction.extraction.extractor import has_header

    for heading in (
        "Case presentation\n\n",
        "CASE REPORT:\nIntroduction\n",
        "1. Case report\n",
        "## Case 1\n",
        "**History of present illness**\n",
        "Download PDF\nCase\n",
    ):
        assert not has_header(Document(id="h", text=heading + TEXT)), heading
    titled = "Case report\n\nSpinal tuberculosis without constitutional symptoms\n\n" + TEXT
    assert has_header(Document(id="t", text=titled))
    # a title ending with a full stop reads as prose to header_span: still a header (audit)
    stop = "CASE REPORT\nSpinal tuberculosis in a young man presenting with back pain.\nJ Smith\n"
    assert has_header(Document(id="s", text=stop + TEXT))
