"""The ``mentions`` pass shape: phrases in, grounded sections out, by fixed rules only."""

from __future__ import annotations

import json
from typing import Any

import pytest

from abstraction.core.documents import Document
from abstraction.core.prompts import MENTION_SECTIONS, PassSpec, PromptSpec
from abstraction.core.records import Usage
from abstraction.extraction import answer_model, extract_document, llm_schema
from abstraction.extraction.mentions import Mentions

ChatResult = pytest.importorskip("abstraction.client.openai_client").ChatResult

TEXT = (
    "A 62-year-old woman presented with fever and dyspnoea. She denied chest pain. "
    "CT showed a mass. Biopsy confirmed lymphoma. She received rituximab and underwent "
    "splenectomy. She died of sepsis."
)
SPEC = PassSpec(name="m", shape="mentions", sections=MENTION_SECTIONS, instructions="List.")
PROMPT = PromptSpec(version="t", description="t", system="s", passes=(SPEC,), sha256="0" * 64)


class Canned:
    def __init__(self, answer: dict[str, Any]) -> None:
        self.answer = answer
        self.models: list[Any] = []

    def complete(self, *, response_model: Any, **_: Any) -> Any:
        self.models.append(response_model)
        value = response_model.model_validate(self.answer)
        usage = Usage(prompt_tokens=10, completion_tokens=5, total_tokens=15, calls=1)
        return ChatResult(value=value, raw_text="", usage=usage, attempts=1, seconds=0.0)

    def describe(self) -> dict[str, Any]:
        return {"model": "canned", "endpoint": "local", "structured": "json_schema"}


def _answer(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "age": "62-year-old",
        "sex": "woman",
        "main_diagnosis": "lymphoma",
        "other_diagnoses": ["sepsis", "Lymphoma"],
        "signs_symptoms": ["fever", "dyspnoea", "fever", " "],
        "absent_signs_symptoms": ["chest pain"],
        "medications": ["rituximab"],
        "procedures": ["splenectomy"],
        "tests": ["CT", "Biopsy"],
        "outcome": "She died",
    }
    return {**base, **over}


def _extract(answer: dict[str, Any]) -> Any:
    client = Canned(answer)
    out = extract_document(Document(id="d", text=TEXT), prompt=PROMPT, client=client)
    assert client.models == [Mentions]
    assert out.status == "ok"
    return out.record


def test_phrases_become_grounded_sections() -> None:
    r = _extract(_answer())
    assert (r.patient.age.value, r.patient.age.unit) == (62.0, "years")
    assert r.patient.sex.value == "female" and r.patient.age_group is None
    assert [(d.name, d.status) for d in r.diagnoses] == [
        ("lymphoma", "principal"),
        ("sepsis", "secondary"),
    ], "a repeat of the main diagnosis in another case is dropped"
    assert [(f.name, f.assertion) for f in r.findings] == [
        ("fever", "present"),
        ("dyspnoea", "present"),
        ("chest pain", "absent"),
    ], "repeats and blanks are dropped"
    assert [(t.name, t.category) for t in r.treatments] == [
        ("rituximab", "other"),
        ("splenectomy", "surgery"),
    ]
    assert all(t.dose is None and t.time is None for t in r.treatments)
    assert [a.method for a in r.assessments] == ["CT", "Biopsy"]
    assert all(a.result is None for a in r.assessments)
    assert r.outcome.status.value == "died"
    for fact in [r.patient.age, *r.findings, *r.treatments, *r.assessments]:
        ev = fact.evidence
        assert TEXT[ev.start : ev.end] == ev.quote and ev.status == "exact"


def test_a_phrase_not_in_the_text_is_flagged_not_dropped() -> None:
    r = _extract(_answer(signs_symptoms=["fever", "haemoptysis"]))
    by_name = {f.name: f.evidence.status for f in r.findings}
    assert by_name == {"fever": "exact", "haemoptysis": "unsupported", "chest pain": "exact"}


def test_words_the_rules_cannot_read_stay_null() -> None:
    r = _extract(_answer(age="elderly", sex="patient", outcome="was discharged"))
    assert r.patient.age is None and r.patient.sex is None and r.outcome.status is None
    r = _extract(_answer(age=None, sex=None, main_diagnosis=None, outcome=None))
    assert r.patient.age is None and [d.status for d in r.diagnoses] == ["secondary"] * 2


def test_the_model_is_constrained_to_lists_of_phrases() -> None:
    assert answer_model(SPEC) is Mentions
    schema = llm_schema(SPEC, evidence_first=False)
    assert schema["required"] == list(Mentions.model_fields)
    assert schema["additionalProperties"] is False
    assert schema["properties"]["tests"] == {"items": {"type": "string"}, "type": "array"}
    assert "evidence" not in json.dumps(schema)


def test_a_mentions_pass_must_name_exactly_its_sections() -> None:
    with pytest.raises(ValueError, match="mentions pass fills exactly"):
        PassSpec(name="m", shape="mentions", sections=("patient",), instructions="x")


def test_every_example_phrase_is_copied_from_its_example_text() -> None:
    """A worked example must show what it asks for: phrases copied exactly."""
    from abstraction.core.prompts import default_prompts_dir, load_prompt

    checked = 0
    for path in sorted(default_prompts_dir().glob("v*.toml")):
        prompt = load_prompt(path.stem, default_prompts_dir())
        for spec in prompt.passes:
            if spec.shape != "mentions":
                continue
            for ex in spec.examples:
                answer = Mentions.model_validate_json(ex.answer)
                for name, value in answer:
                    for phrase in value if isinstance(value, list) else [value]:
                        if phrase is not None:
                            assert phrase in ex.text, (prompt.version, name, phrase)
                            checked += 1
    assert checked >= 10


def test_drop_moves_unsupported_facts_out_of_the_record_and_keeps_them() -> None:
    spec_prompt = PROMPT.model_copy(
        update={"settings": PROMPT.settings.model_copy(update={"unsupported": "drop"})}
    )
    answer = _answer(signs_symptoms=["fever", "haemoptysis"], outcome="She survived")
    client = Canned(answer)
    out = extract_document(Document(id="d", text=TEXT), prompt=spec_prompt, client=client)
    r = out.record
    assert [f.name for f in r.findings] == ["fever", "chest pain"]
    assert r.outcome.status is None, "'She survived' is not in the text"
    assert [(d.path, d.fact.get("name"), d.fact["evidence"]["status"]) for d in out.dropped] == [
        ("findings[1]", "haemoptysis", "unsupported"),
        ("outcome.status", None, "unsupported"),
    ]
    assert out.dropped[1].fact["value"] == "alive"
    assert out.grounding.unsupported == 2, "the counts still cover the dropped facts"
    flagged = _extract(answer)
    assert len(flagged.findings) == 3, "the default keeps and flags them"


def test_split_and_bare_number_age_rules() -> None:
    from abstraction.extraction.mentions import split_phrase

    assert split_phrase("heart failure (CHF)") == ["heart failure", "CHF"]
    assert split_phrase("fever, cough and rash") == ["fever", "cough", "rash"]
    assert split_phrase("Random bandage") == ["Random bandage"], "'and' only as a word"
    # a comma inside a number joins nothing: thousands, and a decimal comma (eighteenth session)
    assert split_phrase("heparin 5,000 IU") == ["heparin 5,000 IU"]
    assert split_phrase("cardiac index 1,6 L/min/m2") == ["cardiac index 1,6 L/min/m2"]
    assert split_phrase("CD3, CD5 and CD7") == ["CD3", "CD5", "CD7"]
    spec = SPEC.model_copy(update={"split": True})
    prompt = PROMPT.model_copy(update={"passes": (spec,)})
    answer = _answer(age="62", signs_symptoms=["fever and dyspnoea"])
    out = extract_document(Document(id="d", text=TEXT), prompt=prompt, client=Canned(answer))
    r = out.record
    assert [f.name for f in r.findings] == ["fever", "dyspnoea", "chest pain"]
    assert (r.patient.age.value, r.patient.age.evidence.quote) == (62.0, "62-year-old")
    r = _extract(_answer(age="63"))
    assert r.patient.age is None, "no age statement with that number in the text"


def test_limits_go_into_the_schema() -> None:
    from abstraction.extraction.mentions import mentions_model

    model = mentions_model(3, 5)
    schema = model.model_json_schema()
    assert schema["properties"]["tests"]["maxItems"] == 5
    assert "pattern" in schema["properties"]["tests"]["items"]
    ok = _answer(tests=["CT"] * 5, signs_symptoms=["fever"])
    model.model_validate(ok)
    with pytest.raises(ValueError):
        model.model_validate({**ok, "tests": ["CT"] * 6})
    with pytest.raises(ValueError):
        model.model_validate({**ok, "tests": ["a b c d"]})


def test_a_bare_number_is_never_read_as_an_age_from_a_duration() -> None:
    from abstraction.core.vocab import age_statement

    assert age_statement("relapse after 6 months of therapy", "6") is None
    assert age_statement("a 6-month-old infant", "6") == "6-month-old"
    assert age_statement("she was aged 44 years", "44") == "aged 44 years"  # its unit too
    assert age_statement("the boy, aged 18 months, had fever", "18") == "aged 18 months"
    assert age_statement("a 44-year-old woman", "forty") is None


def test_clauses_are_left_out_of_the_record_but_kept() -> None:
    spec = SPEC.model_copy(update={"split": True, "name_max_words": 3})
    prompt = PROMPT.model_copy(update={"passes": (spec,)})
    answer = _answer(
        main_diagnosis="lymphoma (confirmed by biopsy of the mass)",
        tests=["CT showed a mass in the abdomen", "Biopsy"],
    )
    out = extract_document(Document(id="d", text=TEXT), prompt=prompt, client=Canned(answer))
    r = out.record
    assert [(d.name, d.status) for d in r.diagnoses] == [
        ("lymphoma", "principal"),
        ("sepsis", "secondary"),
    ]
    assert [a.method for a in r.assessments] == ["Biopsy"]
    assert [(d.path, d.fact, d.note) for d in out.dropped] == [
        (
            "m:main_diagnosis",
            {"phrase": "confirmed by biopsy of the mass"},
            "6 words: a clause, not a name",
        ),
        ("m:tests", {"phrase": "CT showed a mass in the abdomen"}, "7 words: a clause, not a name"),
    ]


def test_long_phrases_are_cut_at_with_and_without_before_the_clause_filter() -> None:
    text = "She had abdominal distension with a hypoactive bowel; marked dilation, no obstruction."
    spec = SPEC.model_copy(update={"split": True, "name_max_words": 3, "split_clauses": True})
    prompt = PROMPT.model_copy(update={"passes": (spec,)})
    answer = _answer(
        age=None,
        signs_symptoms=[
            "abdominal distension with a hypoactive bowel",
            "marked dilation without obstruction",
        ],
        absent_signs_symptoms=[],
        tests=["CT without contrast of the abdomen"],
    )
    out = extract_document(Document(id="d", text=text), prompt=prompt, client=Canned(answer))
    r = out.record
    assert [(f.name, f.assertion) for f in r.findings] == [
        ("abdominal distension", "present"),
        ("hypoactive bowel", "present"),
        ("marked dilation", "present"),
        ("obstruction", "absent"),
    ]
    assert [(a.method, a.evidence.status) for a in r.assessments] == [("CT", "unsupported")]
    assert ("m:tests", {"phrase": "contrast of the abdomen"}) in [
        (d.path, d.fact) for d in out.dropped
    ]


class Scripted(Canned):
    """Answers each call with the next answer, validated by the model the call asks for."""

    def __init__(self, answers: list[dict[str, Any]]) -> None:
        super().__init__({})
        self.answers = answers

    def complete(self, *, response_model: Any, **kw: Any) -> Any:
        self.answer = self.answers[len(self.models)]
        return super().complete(response_model=response_model, **kw)


def test_two_passes_each_ask_for_some_kinds_and_their_phrases_are_pooled() -> None:
    conditions = ("age", "sex", "main_diagnosis", "other_diagnoses", "signs_symptoms", "outcome")
    care = ("medications", "procedures", "tests", "main_diagnosis", "sex")
    p1 = PassSpec(
        name="conditions", shape="mentions", sections=MENTION_SECTIONS, instructions="A",
        lists=conditions,
    )  # fmt: skip
    p2 = PassSpec(
        name="care", shape="mentions", sections=MENTION_SECTIONS, instructions="B", lists=care
    )
    prompt = PromptSpec(version="t", description="t", system="s", passes=(p1, p2), sha256="0" * 64)
    s1, s2 = llm_schema(p1, evidence_first=False), llm_schema(p2, evidence_first=False)
    assert s1["required"] == list(conditions)  # only the kinds asked for, in Mentions' order
    assert s2["required"] == ["sex", "main_diagnosis", "medications", "procedures", "tests"]
    client = Scripted(
        [
            {
                "age": "62-year-old", "sex": "woman", "main_diagnosis": "lymphoma",
                "other_diagnoses": ["sepsis"], "signs_symptoms": ["fever"], "outcome": "died",
            },
            {
                "sex": "She", "main_diagnosis": "Lymphoma", "medications": ["rituximab"],
                "procedures": ["splenectomy"], "tests": ["CT", "Biopsy"],
            },
        ]
    )  # fmt: skip
    out = extract_document(Document(id="d", text=TEXT), prompt=prompt, client=client)
    assert [m.__name__ for m in client.models] == [
        "Mentions_age_sex_main_diagnosis_other_diagnoses_signs_symptoms_outcome",
        "Mentions_sex_main_diagnosis_medications_procedures_tests",
    ]
    r = out.record
    assert r.patient.sex.evidence.quote == "woman", "the earlier pass's value stays"
    assert [(d.name, d.status) for d in r.diagnoses] == [
        ("lymphoma", "principal"),
        ("sepsis", "secondary"),
    ], "a name already listed is not added again"
    assert [f.name for f in r.findings] == ["fever"]
    assert [t.name for t in r.treatments] == ["rituximab", "splenectomy"]
    assert [a.method for a in r.assessments] == ["CT", "Biopsy"]
    assert r.outcome.status.value == "died"
    assert [p.name for p in out.provenance.passes] == ["conditions", "care"]


def test_a_second_main_diagnosis_is_kept_as_secondary() -> None:
    from abstraction.extraction.mentions import pool_sections

    first = {"diagnoses": [{"name": "lymphoma", "status": "principal"}], "patient": {}}
    second = {"diagnoses": [{"name": "sepsis", "status": "principal"}], "patient": {}}
    pooled = pool_sections(first, second)
    assert [(d["name"], d["status"]) for d in pooled["diagnoses"]] == [
        ("lymphoma", "principal"),
        ("sepsis", "secondary"),
    ]


def test_lists_are_checked() -> None:
    with pytest.raises(ValueError, match="distinct kinds"):
        PassSpec(
            name="m", shape="mentions", sections=MENTION_SECTIONS, instructions="x",
            lists=("signs", "tests"),
        )  # fmt: skip
    with pytest.raises(ValueError, match="mentions pass only"):
        PassSpec(name="m", sections=("patient",), instructions="x", lists=("tests",))


def test_a_character_limit_reaches_the_schema_with_or_without_lists() -> None:
    for lists in ((), ("signs_symptoms", "age")):
        spec = PassSpec(
            name="m", shape="mentions", sections=MENTION_SECTIONS, instructions="x",
            max_chars=60, max_items=5, lists=lists,
        )  # fmt: skip
        props = llm_schema(spec, evidence_first=False)["properties"]
        assert props["signs_symptoms"] == {
            "items": {"maxLength": 60, "type": "string"},
            "maxItems": 5,
            "type": "array",
        }
        assert {"maxLength": 60, "type": "string"} in props["age"]["anyOf"]
        model = answer_model(spec)
        with pytest.raises(ValueError):
            model.model_validate({**{key: [] for key in props}, "age": "x" * 61})


class Truncating(Canned):
    """Cuts off the first `cut` answers at max_tokens, then answers."""

    def __init__(self, answer: dict[str, Any], cut: int) -> None:
        super().__init__(answer)
        self.cut = cut
        self.schemas: list[Any] = []

    def complete(self, *, response_model: Any, json_schema: Any = None, **kw: Any) -> Any:
        from abstraction.core.errors import ModelError

        self.schemas.append(json_schema)
        if len(self.schemas) <= self.cut:
            self.models.append(response_model)
            usage = {"prompt_tokens": 10, "completion_tokens": 2000, "total_tokens": 2010}
            raise ModelError("cut off", kind="truncated", usage={**usage, "calls": 1})
        return super().complete(response_model=response_model, **kw)


@pytest.mark.parametrize("asynchronous", [False, True])
def test_a_truncated_mentions_answer_is_asked_once_more_with_bounded_lists(
    asynchronous: bool,
) -> None:
    import asyncio

    from abstraction.extraction import aextract_document

    spec = SPEC.model_copy(update={"truncated_max_items": 4})
    prompt = PROMPT.model_copy(update={"passes": (spec,)})
    doc = Document(id="d", text=TEXT)

    def run(client: Truncating) -> Any:
        if not asynchronous:
            return extract_document(doc, prompt=prompt, client=client)

        async def acomplete(**kw: Any) -> Any:
            return client.complete(**kw)

        client.acomplete = acomplete  # type: ignore[attr-defined]
        return asyncio.run(aextract_document(doc, prompt=prompt, client=client))

    client = Truncating(_answer(), cut=1)
    out = run(client)
    assert out.status == "ok"
    assert "maxItems" not in json.dumps(client.schemas[0])
    assert client.schemas[1]["properties"]["tests"]["maxItems"] == 4
    (record,) = out.provenance.passes
    assert record.status == "ok" and record.retried == "truncated: cut off"
    assert (record.usage.calls, record.usage.completion_tokens) == (2, 2005)
    assert out.provenance.usage.completion_tokens == 2005

    client = Truncating(_answer(), cut=2)  # asked once more only
    out = run(client)
    assert out.status == "failed" and len(client.schemas) == 2
    (record,) = out.provenance.passes
    assert record.status == "failed" and record.retried == "truncated: cut off"
    assert record.usage.completion_tokens == 4000 == out.provenance.usage.completion_tokens

    out = run(Truncating(_answer(), cut=0))
    assert out.provenance.passes[0].retried is None


def test_without_the_option_a_truncated_answer_fails_at_once() -> None:
    client = Truncating(_answer(), cut=1)
    out = extract_document(Document(id="d", text=TEXT), prompt=PROMPT, client=client)
    assert out.status == "failed" and len(client.schemas) == 1
    assert out.provenance.passes[0].retried is None


def test_batch_collect_reasks_a_truncated_answer_with_bounded_lists() -> None:
    import asyncio

    from abstraction.core.errors import ModelError
    from abstraction.jobs.batch import BatchAnswer, _unit_extraction

    spec = SPEC.model_copy(update={"truncated_max_items": 4})
    prompt = PROMPT.model_copy(update={"passes": (spec,)})
    cut = BatchAnswer(None, ModelError("cut off at max_tokens", kind="truncated"), raw="{}")
    asked: list[dict[str, Any]] = []
    live = Canned(_answer())

    async def reask(request: dict[str, Any]) -> Any:
        asked.append(request)
        return live.complete(**request)

    described = {"model": "m", "endpoint": "local", "structured": "json_schema"}
    ext, reasked = asyncio.run(
        _unit_extraction(
            Document(id="d", text=TEXT), prompt, {"m": cut}, described=described, reask=reask
        )
    )
    assert reasked == 1 and ext.status == "ok"
    assert asked[0]["json_schema"]["properties"]["tests"]["maxItems"] == 4


def test_pooled_patient_and_outcome_fill_only_what_the_earlier_pass_left_null() -> None:
    from abstraction.extraction.mentions import pool_sections

    first = {"patient": {"age": None, "sex": "F"}, "outcome": {"status": None}}
    second = {"patient": {"age": "A", "sex": "M"}, "outcome": {"status": "S"}}
    pooled = pool_sections(first, second)
    assert pooled["patient"] == {"age": "A", "sex": "F"}
    assert pooled["outcome"] == {"status": "S"}


def _filled(record: dict[str, Any]) -> set[str]:
    """The `FIELD_PATHS` with a value in `record` (a non-null fact, a non-empty list, a
    non-null field in one of a list's records)."""
    from abstraction.core.schema import FIELD_PATHS

    out = set()
    for path in FIELD_PATHS:
        head, _, rest = path.partition(".")
        value = record[head]
        if isinstance(value, list):
            if any(item.get(rest) not in (None, []) for item in value):
                out.add(path)
        elif value.get(rest) not in (None, []):
            out.add(path)
    return out


@pytest.mark.parametrize("kinds", [(), ("age", "sex", "outcome"), ("medications", "tests")])
def test_a_mentions_pass_fills_exactly_the_fields_it_says_it_extracts(kinds) -> None:
    """`MENTION_FIELDS` is what the rules fill: every field a pass's kinds can fill is filled
    by a full answer, and every other field stays empty, so `not_extracted` tells the truth."""
    from abstraction.core.prompts import MENTION_FIELDS
    from abstraction.core.schema import FIELD_PATHS, collapse_paths

    spec = SPEC.model_copy(update={"lists": kinds})
    prompt = PROMPT.model_copy(update={"passes": (spec,)})
    answer = _answer(
        other_diagnoses=["sepsis"], signs_symptoms=["fever"], procedures=["splenectomy"]
    )
    asked = {k: v for k, v in answer.items() if not kinds or k in kinds}
    out = extract_document(Document(id="d", text=TEXT), prompt=prompt, client=Canned(asked))
    assert out.status == "ok" and out.record is not None
    filled = _filled(out.record.model_dump())
    expected = {f for k in (kinds or MENTION_FIELDS) for f in MENTION_FIELDS[k]}
    assert filled == expected
    assert out.not_extracted == collapse_paths(p for p in FIELD_PATHS if p not in expected)
    assert "timeline" in out.not_extracted
    assert {"treatments", "treatments.dose"} & set(out.not_extracted)


def test_finish_cut_mends_only_a_word_the_cap_cut() -> None:
    from abstraction.extraction.mentions import finish_cut

    text = (
        "CT showed consolidation of bilateral lower lobes with pleural effusion. Leucocytes "
        "25,000/µL with 89% neutrophils, CRP 80. Biopsy under local anesthesia for diagnosis. "
        "CD34 count 2. She was pulseless on arrival."
    )
    cases = {
        # the word ends the name: finished from the text
        "Leucocytes 25,000/µL with 89% neutro": "Leucocytes 25,000/µL with 89% neutrophils",
        "Biopsy under local ane": "Biopsy under local anesthesia",
        # the word goes on into the name ("pleural effusion"): taken off
        "bilateral lower lobes with pleu": "bilateral lower lobes",
        # a number is never finished; a phrase the text has whole is left
        "CD3": "CD3",
        "She was pulse": "She was pulseless",
        "lower lobes": "lower lobes",
    }
    for phrase, want in cases.items():
        assert finish_cut(phrase, text, len(phrase)) == want, phrase
    # shorter than the cap: the model closed it, not the grammar
    assert finish_cut("Biopsy under local ane", text, 48) == "Biopsy under local ane"


def test_a_sections_pass_after_a_mentions_pass_is_pooled_not_written_over_it() -> None:
    """Before, a sections pass replaced whatever an earlier pass had put in its sections, and
    the earlier phrases were in neither the record nor `dropped`."""
    p1 = PassSpec(
        name="principal", shape="mentions", sections=MENTION_SECTIONS, instructions="A",
        lists=("main_diagnosis",),
    )  # fmt: skip
    p2 = PassSpec(name="diagnoses", sections=("diagnoses",), instructions="B")
    prompt = PromptSpec(version="t", description="t", system="s", passes=(p1, p2), sha256="0" * 64)
    quote = {"quote": "Biopsy confirmed lymphoma."}
    client = Scripted(
        [
            {"main_diagnosis": "lymphoma"},
            {
                "diagnoses": [
                    {"name": "sepsis", "status": "principal", "details": None,
                     "evidence": {"quote": "She died of sepsis."}},
                    {"name": "Lymphoma", "status": "secondary", "details": "confirmed on biopsy",
                     "evidence": quote},
                ]
            },
        ]
    )  # fmt: skip
    out = extract_document(Document(id="d", text=TEXT), prompt=prompt, client=client)
    r = out.record
    assert [(d.name, d.status) for d in r.diagnoses] == [
        ("Lymphoma", "principal"),  # the richer item, in the earlier one's place and status
        ("sepsis", "secondary"),  # the first pass has the principal one
    ]
    assert r.diagnoses[0].evidence.quote == quote["quote"]
    pooled = [(d.path, d.fact.get("name")) for d in out.dropped]
    assert ("diagnoses:diagnoses", "lymphoma") in pooled, "the bare phrase is kept in dropped"


def test_a_sections_pass_keeps_an_earlier_answer_of_a_section_it_cannot_pool() -> None:
    from abstraction.extraction.mentions import KEPT_SECTION, pool_later_sections

    events = [{"type": "relapse", "evidence": {"quote": "q"}}]
    later = [{"type": "remission", "evidence": {"quote": "r"}}]
    pooled, left = pool_later_sections(
        {"disease_events": events, "timeline": []},
        {"disease_events": later, "timeline": [{"event": "e"}]},
    )
    assert pooled["disease_events"] == events
    assert pooled["timeline"] == [{"event": "e"}], "an empty earlier answer is filled"
    assert left == [("disease_events", later[0], KEPT_SECTION)]


def _dx(name: str, status: str, details: str | None = None) -> dict[str, Any]:
    return {"name": name, "status": status, "details": details, "evidence": {"quote": name}}


def _finding(name: str, assertion: str, site: str | None = None) -> dict[str, Any]:
    return {"name": name, "assertion": assertion, "body_site": site, "evidence": {"quote": name}}


def test_a_later_pass_never_makes_a_second_principal_diagnosis() -> None:
    from abstraction.extraction.mentions import KEPT_LATER, pool_later_sections

    earlier = {"diagnoses": [_dx("lymphoma", "principal"), _dx("sepsis", "secondary")]}
    new = {"diagnoses": [_dx("sepsis", "principal", "fatal"), _dx("pneumonia", "principal")]}
    pooled, left = pool_later_sections(earlier, new)
    assert [(d["name"], d["status"], d["details"]) for d in pooled["diagnoses"]] == [
        ("lymphoma", "principal", None),
        ("sepsis", "secondary", "fatal"),  # took the bare item's place, not its own status
        ("pneumonia", "secondary", None),
    ]
    assert left == [("diagnoses", earlier["diagnoses"][1], KEPT_LATER)]


def test_a_later_pass_keeps_its_own_repeats_and_what_says_otherwise() -> None:
    from abstraction.extraction.mentions import KEPT_EARLIER, pool_later_sections

    earlier = {
        "findings": [
            _finding("chest pain", "absent"),
            _finding("pain", "present"),
            _finding("fever", "present"),
        ],
        "diagnoses": [_dx("tuberculosis", "ruled_out")],
    }
    new = {
        "findings": [
            _finding("chest pain", "present", "left"),  # says otherwise: a second fact
            _finding("pain", "present", "left knee"),  # fuller: takes the bare one's place
            _finding("pain", "present", "right shoulder"),  # its own repeat: kept too
            _finding("Fevers", "present", ""),  # says no more than the earlier one: left out
        ],
        "diagnoses": [_dx("tuberculosis", "secondary", "spinal")],
    }
    pooled, left = pool_later_sections(earlier, new)
    assert [(f["name"], f["assertion"], f["body_site"]) for f in pooled["findings"]] == [
        ("chest pain", "absent", None),
        ("pain", "present", "left knee"),
        ("fever", "present", None),
        ("chest pain", "present", "left"),
        ("pain", "present", "right shoulder"),
    ]
    assert [(d["name"], d["status"]) for d in pooled["diagnoses"]] == [
        ("tuberculosis", "ruled_out"),
        ("tuberculosis", "secondary"),
    ]
    assert ("findings", new["findings"][3], KEPT_EARLIER) in left
    assert len(left) == 2  # the bare "pain" (replaced) and "Fevers" with an empty site


def test_a_later_pass_of_another_schema_keeps_the_earlier_answer_whole() -> None:
    from abstraction.extraction.mentions import KEPT_SECTION, pool_later_sections

    earlier = {"outcome": None, "diagnoses": [{"label": "x"}]}
    new = {"outcome": None, "diagnoses": [{"label": "y"}]}
    pooled, left = pool_later_sections(earlier, new, case_report=False)
    assert pooled == {"outcome": None, "diagnoses": [{"label": "x"}]}
    assert left == [("diagnoses", {"label": "y"}, KEPT_SECTION)]


COPY_TEXT = (
    "Revised International Staging System stage II. IL-6 was 39.4 pg/mL (normal < 7) "
    "[ref]. She had no fever; café-au-lait spots, 5 °C."
)


def test_a_copied_phrase_is_made_of_the_texts_own_words() -> None:
    import re

    from abstraction.extraction.mentions import copy_pattern

    phrase = re.compile(copy_pattern(COPY_TEXT, 4))
    copied = ["IL-6", "39.4 pg/mL", "(normal < 7)", "café-au-lait spots", "fever", "[ref]"]
    copied += ["5 °C", "stage II", "System stage", "Revised International Staging System"]
    for ok in copied:
        assert phrase.fullmatch(ok), ok
    for bad in (
        "survived",  # not a word of the text
        "fevers",  # a word the text has, made longer
        "fev",  # or shorter
        "RevisedInternational",  # two of its words glued together
        "IL 6 was 39 pg",  # five steps: over the limit of 4
        "stage  II",  # two spaces
        " fever",  # a space first
        "fever ",  # or last
        "",
        'the "fever"',  # a quote: JSON escapes are never needed
        "动脉",  # another script
    ):
        assert not phrase.fullmatch(bad), bad


def test_the_copy_pattern_reaches_the_grammar_for_every_mark() -> None:
    import re
    import string

    from abstraction.client import gbnf_grammar
    from abstraction.extraction.mentions import copy_pattern

    text = "A " + " ".join(string.punctuation) + " ° ± µ – ’ α x_y"
    pattern = copy_pattern(text, 3)
    assert re.fullmatch(pattern, "A [") and re.fullmatch(pattern, "(A)")
    schema = {"type": "array", "items": {"type": "string", "pattern": pattern}}
    grammar = gbnf_grammar(json.dumps(schema))  # the vendored converter reads every mark
    assert "[\\[]" in grammar and "[\\]]" in grammar and '"\\""' in grammar


def test_a_copy_words_pass_sends_each_documents_pattern_on_its_lists_only() -> None:
    import re

    spec = PassSpec(
        name="m", shape="mentions", sections=MENTION_SECTIONS, instructions="x",
        max_chars=20, copy_words=7, lists=("signs_symptoms", "outcome"),
    )  # fmt: skip
    prompt = PROMPT.model_copy(update={"passes": (spec,)})

    class Recording(Canned):
        schemas: list[Any]

        def complete(self, *, response_model: Any, json_schema: Any = None, **kw: Any) -> Any:
            self.schemas = [*getattr(self, "schemas", []), json.loads(json.dumps(json_schema))]
            return super().complete(response_model=response_model, **kw)

    long_sign = "IL-6 was 39.4 pg/mL"  # longer than max_chars: a list's phrase is not capped by it
    answers = {"signs_symptoms": [long_sign], "outcome": "She died"}
    client = Recording(answers)
    out = extract_document(Document(id="d", text=COPY_TEXT), prompt=prompt, client=client)
    assert out.status == "ok", out.error
    props = client.schemas[0]["properties"]
    pattern = props["signs_symptoms"]["items"]["pattern"]
    assert "maxLength" not in props["signs_symptoms"]["items"]
    assert re.fullmatch(pattern, long_sign) and not re.fullmatch(pattern, "fever spots x")
    assert {"maxLength": 20, "type": "string"} in props["outcome"]["anyOf"]  # a single phrase
    assert [f.name for f in out.record.findings] == [long_sign]
    other = Recording(answers)
    extract_document(Document(id="e", text=TEXT), prompt=prompt, client=other)
    assert other.schemas[0]["properties"]["signs_symptoms"]["items"]["pattern"] != pattern
    # without copy_words the request is the shared schema, as before
    assert "pattern" not in json.dumps(llm_schema(SPEC, evidence_first=False))


def test_copy_words_is_for_a_mentions_pass_without_max_words() -> None:
    with pytest.raises(ValueError, match="copy_words"):
        PassSpec(name="m", sections=("findings",), instructions="x", copy_words=5)
    with pytest.raises(ValueError, match="copy_words"):
        PassSpec(
            name="m", shape="mentions", sections=MENTION_SECTIONS, instructions="x",
            max_words=4, copy_words=5,
        )  # fmt: skip


def test_a_batch_request_carries_the_same_document_pattern_as_a_live_one() -> None:
    from abstraction.extraction.extractor import DocumentRun
    from abstraction.jobs.batch_prepare import request_body

    spec = PassSpec(
        name="m", shape="mentions", sections=MENTION_SECTIONS, instructions="x", copy_words=5,
    )  # fmt: skip
    prompt = PROMPT.model_copy(update={"passes": (spec,)})
    doc = Document(id="d", text=COPY_TEXT)
    body = request_body(doc, prompt, spec, model="m", structured="json_schema")
    sent = json.loads(json.dumps(body["response_format"]))["json_schema"]["schema"]
    live = json.loads(json.dumps(DocumentRun(doc, prompt, Canned({})).request(spec)["json_schema"]))
    assert sent == live
    assert "fever" in sent["properties"]["signs_symptoms"]["items"]["pattern"]


def test_a_copy_pattern_for_texts_without_words_or_with_control_characters() -> None:
    import re

    from abstraction.extraction.mentions import copy_pattern

    marks_only = re.compile(copy_pattern("!!! ???", 3))
    assert marks_only.fullmatch("!?") and marks_only.fullmatch("! ?")
    for bad in ("", " ", "! ", " !", "!  ?"):
        assert not marks_only.fullmatch(bad), bad
    assert re.fullmatch(copy_pattern("   \n\t", 3), "") and not re.fullmatch(
        copy_pattern("", 3), " "
    )
    control = copy_pattern("fever\x01 and\x00 cough", 3)
    assert "\x01" not in control and "\x00" not in control
    assert re.fullmatch(control, "fever and cough")


def test_a_large_vocabulary_keeps_the_grammar_within_llama_cpps_limits() -> None:
    import re

    from abstraction.extraction.mentions import copy_pattern

    words = [f"w{i}x" for i in range(2000)]
    pattern = copy_pattern(" ".join(words) + " IL-6 (x)", 5)
    assert "){0,1}" in pattern  # an optional group of the whole trie is a counted repetition
    assert re.fullmatch(pattern, "w17x IL-6 (w1999x)") and not re.fullmatch(pattern, "w2000x")
    assert "){0,1}" not in copy_pattern(COPY_TEXT, 4)  # small texts keep the recorded form


def test_finish_cut_mends_only_the_single_phrases_of_a_copy_words_pass() -> None:
    text = "He had consolidation of bilateral lower lobes with pleural effusion and died."
    cut = "consolidation of bilateral lower lobes with pleu"  # 48 characters
    assert len(cut) == 48
    spec = PassSpec(
        name="m", shape="mentions", sections=MENTION_SECTIONS, instructions="x",
        max_chars=48, finish_cut=True, copy_words=12,
    )  # fmt: skip
    from abstraction.extraction import answer_sections

    value = answer_model(spec).model_validate({**_answer(), "signs_symptoms": [cut]})
    sections, _ = answer_sections(spec, value, text)
    assert [f["name"] for f in sections["findings"] if f["name"].startswith("consol")] == [cut]
    with pytest.raises(ValueError, match="asks for none"):
        PassSpec(
            name="m", shape="mentions", sections=MENTION_SECTIONS, instructions="x",
            copy_words=5, lists=("age", "sex"),
        )  # fmt: skip


def test_a_copy_words_batch_request_is_refused_in_json_object_mode() -> None:
    """Batch requests carry the same pattern as live ones; with json_object it would only be
    written into the prompt, so preparing the batch fails before any file is written."""
    from abstraction.core.errors import UserError
    from abstraction.jobs.batch_prepare import request_body

    spec = PassSpec(
        name="m", shape="mentions", sections=MENTION_SECTIONS, instructions="x",
        copy_words=7, lists=("signs_symptoms",),
    )  # fmt: skip
    prompt = PROMPT.model_copy(update={"passes": (spec,)})
    unit = Document(id="d", text=COPY_TEXT)
    with pytest.raises(UserError, match="copy_words"):
        request_body(unit, prompt, spec, model="m", structured="json_object")
    body = request_body(unit, prompt, spec, model="m", structured="json_schema")
    assert "pattern" in json.dumps(body["response_format"])
