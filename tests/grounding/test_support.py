"""The support check: a fact's quote must state its values, and a patient fact may not rest on
the article's title or header (docs/grounding.md).  Each case here passed the grounding before
the check (the quote is in the text), so each would fail without it."""

from __future__ import annotations

from typing import Any

import pytest

from abstraction.core.records import GroundingSummary
from abstraction.core.schema import (
    Assessment,
    CaseReport,
    Diagnosis,
    DiseaseEvent,
    Evidence,
    Finding,
    TimelineEvent,
    empty_case_report,
)
from abstraction.grounding import ground, ground_record
from abstraction.grounding.boilerplate import header_span
from abstraction.grounding.support import SupportCheck

HEADER = (
    "Journal of Case Reports 2024; 3: 12\n\n"
    "Relapse at the 6th month after UCBT in a woman with B-ALL treated with rituximab\n\n"
    "Anna Smith, John Doe\n\n"
    "Case presentation\n"
)
BODY = (
    "A 45-year-old patient with B-cell acute lymphoblastic leukaemia received unrelated cord "
    "blood transplantation (UCBT) from an unrelated donor. Pulmonary arterial hypertension "
    "(PAH) was found on echocardiography. She had hypertension. Rituximab was given weekly. "
    "The patient relapsed at the 6th month after UCBT, with enlarged lymph nodes. A chest "
    "X-ray was clear. She is alive at follow-up.\n"
)
TEXT = HEADER + BODY


def _treatment(**over: Any) -> dict[str, Any]:
    base = {
        "name": "rituximab",
        "category": "immunotherapy",
        "target": None,
        "donor_type": None,
        "graft_source": None,
        "dose": None,
        "duration": None,
        "intent": None,
        "time": None,
        "evidence": "Rituximab was given weekly.",
    }
    return {**base, **over}


def _record(**sections: Any) -> CaseReport:
    data = empty_case_report().model_dump()
    for key, value in sections.items():
        if key in ("age", "age_group", "sex"):
            data["patient"][key] = value
        elif key in ("status", "cause_of_death", "follow_up"):
            data["outcome"][key] = value
        else:
            data[key] = value
    return CaseReport.model_validate(data)


def _finding(name: str, quote: str, body_site: str | None = None) -> dict[str, Any]:
    return {"name": name, "assertion": "present", "body_site": body_site, "evidence": quote}


def _event(quote: str, **over: Any) -> dict[str, Any]:
    base = {"event": "relapse", "type": None, "body_sites": [], "time": None, "evidence": quote}
    return {**base, **over}


def test_the_header_is_the_front_matter_before_the_first_running_text() -> None:
    span = header_span(TEXT)
    assert span is not None and TEXT[: span.end] == HEADER
    assert header_span(BODY) is None, "a text that starts with running text has no header"


def test_a_patient_fact_quoted_from_the_title_is_unsupported() -> None:
    grounded, summary = ground_record(
        _record(sex={"value": "female", "evidence": "in a woman with B-ALL"}), TEXT
    )
    ev = grounded.patient.sex.evidence
    assert ev.status == "unsupported"
    assert ev.note == "the quote is the article title or header, not case text"
    assert ev.start == TEXT.index("in a woman"), "offsets kept for the reviewer"
    assert summary.header == 1 and summary.unsupported == 1


def test_a_quote_in_both_title_and_case_text_is_placed_in_the_case_text() -> None:
    grounded, _ = ground_record(
        _record(disease_events=[_event("relapsed at the 6th month after UCBT")]), TEXT
    )
    ev = grounded.disease_events[0].evidence
    assert ev.status == "exact" and ev.start > len(HEADER)


def test_a_time_quoted_from_the_title_is_not_supported() -> None:
    quote = "Relapse at the 6th month after UCBT"
    grounded, _ = ground_record(
        _record(disease_events=[_event(quote, time="at the 6th month after UCBT")]), TEXT
    )
    ev = grounded.disease_events[0].evidence
    assert ev.status == "unsupported" and "title or header" in ev.note


def test_source_metadata_may_quote_the_header() -> None:
    title = "Relapse at the 6th month after UCBT in a woman with B-ALL treated with rituximab"
    grounded, _ = ground_record(
        _record(
            source={
                **empty_case_report().source.model_dump(),
                "title": {"value": title, "evidence": title},
            }
        ),
        TEXT,
    )
    assert grounded.source.title.evidence.status == "exact"


def test_hypertension_does_not_state_hypotension() -> None:
    grounded, summary = ground_record(
        _record(findings=[_finding("hypotension", "She had hypertension.")]), TEXT
    )
    ev = grounded.findings[0].evidence
    assert ev.status == "unsupported"
    assert ev.note == "the quote does not state 'hypotension'"
    assert summary.not_stated == 1
    ok, _ = ground_record(
        _record(findings=[_finding("hypertension", "She had hypertension.")]), TEXT
    )
    assert ok.findings[0].evidence.status == "exact"


def test_a_dose_not_in_the_quote_is_unstated() -> None:
    rec = _record(treatments=[_treatment(dose="375 mg/m2")])
    grounded, summary = ground_record(rec, TEXT)
    ev = grounded.treatments[0].evidence
    assert ev.status == "unsupported"
    assert ev.note == "the quote does not state the dose '375 mg/m2'"
    assert summary.not_stated == 1


def test_unstated_drop_keeps_the_fact_and_moves_the_attribute_to_dropped() -> None:
    rec = _record(treatments=[_treatment(dose="375 mg/m2", time="weekly")])
    out = ground(rec, TEXT, unstated="drop")
    t = out.record.treatments[0]
    assert t.evidence.status == "exact" and t.dose is None and t.time == "weekly"
    assert [(d.path, d.fact["dose"], d.note) for d in out.dropped] == [
        ("treatments[0].dose", "375 mg/m2", "the quote does not state the dose '375 mg/m2'")
    ]
    assert "kept in dropped" in t.evidence.note and out.summary.not_stated == 1
    assert out.summary.unsupported == 0


def test_unstated_drop_takes_one_body_site_out_of_its_list() -> None:
    quote = "The patient relapsed at the 6th month after UCBT, with enlarged lymph nodes."
    rec = _record(disease_events=[_event(quote, body_sites=["breast", "lymph nodes"])])
    out = ground(rec, TEXT, unstated="drop")
    assert out.record.disease_events[0].body_sites == ["lymph nodes"]
    assert [d.path for d in out.dropped] == ["disease_events[0].body_sites[0]"]


def test_unstated_drop_still_flags_a_key_value_the_quote_does_not_state() -> None:
    rec = _record(findings=[_finding("hypotension", "She had hypertension.")])
    out = ground(rec, TEXT, unstated="drop")
    assert out.record.findings[0].evidence.status == "unsupported" and out.dropped == []


def test_a_one_character_value_is_unsupported() -> None:
    grounded, _ = ground_record(_record(findings=[_finding("a", "A chest X-ray was clear")]), TEXT)
    ev = grounded.findings[0].evidence
    assert ev.status == "unsupported" and ev.note == "value under 2 characters"
    bad_dose, _ = ground_record(_record(treatments=[_treatment(dose="a")]), TEXT)
    assert "under 2 characters" in bad_dose.treatments[0].evidence.note


def test_synonyms_and_abbreviations_state_a_value() -> None:
    check = SupportCheck(TEXT)
    from abstraction.core.schema import Assessment, Diagnosis, Treatment

    assert check.value_stated(Treatment, "name", "unrelated cord blood transplantation", "UCBT")
    assert check.value_stated(Assessment, "method", "chest X-ray", "CXR was clear")
    assert check.value_stated(Assessment, "method", "CXR", "A chest X-ray was clear")
    # defined by this text only ("Pulmonary arterial hypertension (PAH)"): no synonym list has it
    assert check.value_stated(Diagnosis, "name", "pulmonary arterial hypertension", "PAH")
    assert not SupportCheck(BODY.replace("(PAH)", "")).value_stated(
        Diagnosis, "name", "pulmonary arterial hypertension", "PAH"
    )
    # spelling, inflection, case and punctuation
    assert check.value_stated(Diagnosis, "name", "B-cell acute lymphoblastic leukemia", BODY)
    assert check.value_stated(Diagnosis, "name", "lymph node", "enlarged lymph nodes")
    assert not check.value_stated(Diagnosis, "name", "lymphoma", "enlarged lymph nodes")


def test_times_are_stated_in_their_normalised_form() -> None:
    check = SupportCheck(TEXT)
    from abstraction.core.schema import Treatment

    assert check.value_stated(Treatment, "time", "day 30", "on day 30 she was discharged")
    assert check.value_stated(
        Treatment, "time", "sixth month after UCBT", "at the 6th month after UCBT"
    )
    assert check.value_stated(Treatment, "duration", "two weeks", "for 2 weeks")
    assert check.value_stated(Treatment, "time", "from day 6", "started on day 6")
    assert not check.value_stated(Treatment, "time", "day 3", "on day 30")
    assert not check.value_stated(Treatment, "time", "6 months before UCBT", "6 months after UCBT")


def test_enumerated_values_need_a_cue_word() -> None:
    check = SupportCheck(TEXT)
    from abstraction.core.schema import (
        AgeGroupFact,
        DiseaseEvent,
        OutcomeStatusFact,
        SexFact,
        Treatment,
    )

    assert check.value_stated(SexFact, "value", "female", "She had hypertension.")
    assert not check.value_stated(SexFact, "value", "male", "She had hypertension.")
    assert not check.value_stated(SexFact, "value", "female", "The patient was admitted.")
    assert check.value_stated(OutcomeStatusFact, "value", "alive", "She is alive at follow-up.")
    assert not check.value_stated(OutcomeStatusFact, "value", "died", "She is alive.")
    assert check.value_stated(DiseaseEvent, "event", "relapse", "The patient relapsed")
    assert check.value_stated(DiseaseEvent, "event", "progression", "progressive disease")
    assert not check.value_stated(DiseaseEvent, "event", "remission", "The patient relapsed")
    assert check.value_stated(Treatment, "donor_type", "unrelated", "after UCBT")
    assert check.value_stated(Treatment, "graft_source", "cord_blood", "after UCBT")
    assert not check.value_stated(Treatment, "graft_source", "bone_marrow", "after UCBT")
    assert check.value_stated(Treatment, "donor_type", "related", "from his HLA-identical sister")
    assert check.value_stated(AgeGroupFact, "value", "infant", "a 14-month-old")
    assert check.value_stated(AgeGroupFact, "value", "adult", "A 45-year-old patient")
    assert not check.value_stated(AgeGroupFact, "value", "child", "A 45-year-old patient")
    # the other ways an age is written (an audit found these groups dropped, or misread)
    assert check.value_stated(AgeGroupFact, "value", "older_adult", "70 years of age")
    assert check.value_stated(AgeGroupFact, "value", "infant", "at the age of 3 months")
    assert check.value_stated(AgeGroupFact, "value", "infant", "aged 18 months")
    assert not check.value_stated(AgeGroupFact, "value", "adolescent", "aged 18 months")


def test_relocate_moves_the_evidence_to_the_sentence_that_states_the_value() -> None:
    rec = _record(findings=[_finding("enlarged lymph nodes", "in a woman with B-ALL", "lung")])
    flagged = ground(rec, TEXT).record.findings[0].evidence
    assert flagged.status == "unsupported" and "title or header" in flagged.note
    out = ground(rec, TEXT, relocate=True, unstated="drop")
    f = out.record.findings[0]
    assert f.evidence.method == "relocated" and f.evidence.status == "exact"
    sentence = "The patient relapsed at the 6th month after UCBT, with enlarged lymph nodes."
    assert f.evidence.quote == sentence
    assert TEXT[f.evidence.start : f.evidence.end] == sentence
    assert "in a woman with B-ALL" in f.evidence.note
    assert f.body_site is None, "attributes are checked against the new sentence"
    assert out.summary.relocated == 1


def test_relocate_leaves_a_value_the_case_text_does_not_state() -> None:
    rec = _record(findings=[_finding("hypotension", "She had hypertension.")])
    ev = ground(rec, TEXT, relocate=True).record.findings[0].evidence
    assert ev.status == "unsupported" and ev.method == "verbatim"


def test_old_summaries_load_with_the_new_counts_at_zero() -> None:
    old = GroundingSummary.model_validate({"facts": 3, "exact": 2, "fuzzy": 0, "unsupported": 1})
    assert (old.not_stated, old.header, old.relocated) == (0, 0, 0)


def test_a_later_part_of_a_split_document_has_no_front_matter() -> None:
    rec = _record(sex={"value": "female", "evidence": "in a woman with B-ALL"})
    assert ground(rec, TEXT).record.patient.sex.evidence.status == "unsupported"
    assert ground(rec, TEXT, front_matter=False).record.patient.sex.evidence.status == "exact"


def test_evidence_scope_sentence_reads_attributes_from_the_quotes_sentence() -> None:
    rec = _record(disease_events=[_event("The patient relapsed", time="6th month after UCBT")])
    assert ground(rec, TEXT).record.disease_events[0].evidence.status == "unsupported"
    wide = ground(rec, TEXT, evidence_scope="sentence").record.disease_events[0].evidence
    assert wide.status == "exact" and wide.quote == "The patient relapsed"
    other = _record(disease_events=[_event("The patient relapsed", time="day 30")])
    narrow = ground(other, TEXT, evidence_scope="sentence").record.disease_events[0].evidence
    assert narrow.status == "unsupported" and "'day 30'" in narrow.note
    # the key value must still be in the quote itself
    key = _record(findings=[_finding("enlarged lymph nodes", "The patient relapsed")])
    ev = ground(key, TEXT, evidence_scope="sentence").record.findings[0].evidence
    assert ev.status == "unsupported"


def test_source_metadata_is_never_relocated() -> None:
    source = {
        **empty_case_report().source.model_dump(),
        "keywords": [{"value": "echocardiography", "evidence": "Smith et al. (2020) keywords"}],
    }
    ev = ground(_record(source=source), TEXT, relocate=True).record.source.keywords[0].evidence
    assert ev.status == "unsupported" and ev.method is None


def test_relocate_finds_the_sentence_that_states_the_attributes_too() -> None:
    # The quote states "relapse" (in the title-free body) but not the time; a later sentence
    # states both: the evidence moves there and the time is kept, not dropped.
    text = HEADER + (
        "Relapse of this disease is rare and carries a poor prognosis in adults. "
        "The patient relapsed at the 6th month after UCBT, with enlarged lymph nodes.\n"
    )
    quote = "Relapse of this disease is rare"
    rec = _record(disease_events=[_event(quote, time="at the 6th month after UCBT")])
    flagged = ground(rec, text, unstated="drop")
    assert flagged.record.disease_events[0].time is None  # without relocation: dropped
    out = ground(rec, text, relocate=True, unstated="drop")
    event = out.record.disease_events[0]
    assert event.time == "at the 6th month after UCBT" and out.dropped == []
    assert event.evidence.method == "relocated"
    assert event.evidence.quote.startswith("The patient relapsed at the 6th month after UCBT")
    assert "did not state every attribute" in (event.evidence.note or "")


def test_relocate_finds_a_sentence_stating_the_key_in_other_word_forms() -> None:
    text = HEADER + (
        "Histology showed a mucinous adenocarcinoma of the vermiform appendix. "
        "She recovered well.\n"
    )
    rec = _record(findings=[_finding("mucinous adenocarcinoma of vermiform appendix", "null")])
    assert ground(rec, text).record.findings[0].evidence.status == "unsupported"
    ev = ground(rec, text, relocate=True).record.findings[0].evidence
    assert ev.method == "relocated" and ev.status == "exact"
    assert ev.quote == "Histology showed a mucinous adenocarcinoma of the vermiform appendix."


def test_a_target_the_quote_does_not_state_goes_and_the_treatment_stays() -> None:
    # CD20 is rituximab's target, but this text never names it: the model knew it, the text
    # does not say it, so it is not this record's fact
    rec = _record(treatments=[_treatment(target="CD20")])
    out = ground(rec, TEXT, unstated="drop")
    t = out.record.treatments[0]
    assert t.name == "rituximab" and t.target is None and t.evidence.status == "exact"
    assert [(d.path, d.fact["target"]) for d in out.dropped] == [("treatments[0].target", "CD20")]
    # the older setting flags the whole fact
    flagged = ground(rec, TEXT)
    assert flagged.record.treatments[0].evidence.status == "unsupported"


def _outcome_verdicts(value: str, quotes: tuple[str, ...]) -> dict[str, bool]:
    """Whether each quote states the outcome status `value` (the support check's cue table)."""
    from abstraction.core.schema import OutcomeStatusFact

    check = SupportCheck(TEXT)
    return {q: check.value_stated(OutcomeStatusFact, "value", value, q) for q in quotes}


def _assert_states(value: str, not_stated: tuple[str, ...], stated: tuple[str, ...]) -> None:
    """Every quote's verdict at once, so that a failure names the quotes."""
    expected = dict.fromkeys(not_stated, False) | dict.fromkeys(stated, True)
    assert _outcome_verdicts(value, not_stated + stated) == expected


def test_a_sentence_that_says_only_that_something_improved_does_not_state_alive() -> None:
    not_stated = (
        "The fever resolved within 72 hours.",
        "Blood cultures remained sterile.",
        "Neutrophil recovery occurred on day 19.",
        "The postoperative course was uneventful.",
        "She was given rituximab as well as steroids.",
        "She achieved complete remission on day 28.",
        "Outcome and follow-up",
        "She survived 14 months following the diagnosis of CNS disease.",
        "The treatment was well tolerated.",
        "He remains in the ICU on ECMO.",
        "She was discharged to hospice and died 5 days later.",
        "At the last follow-up the patient had died of relapse.",
        # negation, another person, a series (since the second session of 4 December 2026)
        "He was never discharged.",
        "She could not be discharged from the intensive care unit.",
        "She is no longer alive.",
        "The donor remained well.",
        "Her sister is alive and well.",
        "In a series of 40 patients, 35 were discharged alive.",
        "He has still not been able to be discharged.",
        "Her baby was discharged on day 30.",
        "She was discharged from the intensive care unit to the ward on day 5.",
        "The wound discharged pus.",
    )
    stated = (
        "She remained well at 6 months.",
        "At the last follow-up, 26 months after diagnosis, he remained on cobimetinib.",
        "At 9 months she remained in remission on anakinra alone.",
        "At the 18-month follow-up she had fully recovered.",
        "She was discharged on day 7.",
        "At the latest review she has no signs of HLH.",
        "He recovered.",
        "He continues to do well.",
        "She is currently asymptomatic.",
        "He was discharged home, and his donor remained well.",
        "Unlike previous cases, she was discharged on day 9.",
        "She was discharged home without complications.",
        "He has not relapsed and is alive 3 years later.",
        "With no complications she was discharged on day 6.",
        "Her husband reported that she was doing well.",
        "Unlike previous patients, she was discharged on day 4.",
        "She and her baby were discharged home on day 3.",
        "The infant was discharged home from the neonatal unit on day 12.",
    )
    _assert_states("alive", not_stated, stated)


def test_relocate_takes_the_last_sentence_before_the_discussion_for_alive() -> None:
    text = (
        "Case presentation\n"
        "A 45-year-old woman was admitted with fever. She was discharged on day 7 after "
        "antibiotics. At the last follow-up, 12 months later, she remained well and at work.\n"
        "Outcome and follow-up\n"
        "Discussion\n"
        "Most patients are discharged within a week, and survival is good.\n"
    )
    rec = _record(status={"value": "alive", "evidence": "survived"})
    ev = ground(rec, text, relocate=True, unstated="drop").record.outcome.status
    assert ev is not None
    assert ev.evidence.quote == (
        "At the last follow-up, 12 months later, she remained well and at work."
    )
    assert ev.evidence.method == "relocated"


def _alive_quote(text: str) -> str | None:
    rec = _record(status={"value": "alive", "evidence": "survived"})
    status = ground(rec, text, relocate=True, unstated="drop").record.outcome.status
    return None if status is None or status.evidence.status != "exact" else status.evidence.quote


def test_relocate_leaves_alive_unstated_when_a_later_sentence_says_the_patient_died() -> None:
    text = (
        "Case presentation\n"
        "A 60-year-old man was admitted with pneumonia and treated with antibiotics. He was "
        "discharged on day 10 in good condition. Three weeks later he was readmitted and he "
        "died of sepsis.\n"
    )
    assert _alive_quote(text) is None


def test_the_discussion_starts_at_a_numbered_heading_after_the_case_heading() -> None:
    text = (
        "Abstract\n"
        "Conclusions: most patients are discharged within a week of admission.\n"
        "2. Case report\n"
        "A 45-year-old woman was admitted with fever and a rash on day one. She remained well "
        "at the 6-month follow-up visit, back at work.\n"
        "3. Discussion\n"
        "In a series of 40 patients, 35 were discharged alive within ten days.\n"
    )
    assert _alive_quote(text) == ("She remained well at the 6-month follow-up visit, back at work.")


def test_a_risk_of_death_is_not_this_patient_s_death() -> None:
    not_stated = (
        "Without transplantation, familial HLH is almost always fatal.",
        "Invasive aspergillosis is a potentially lethal complication.",
        "The mortality of HLH remains high.",
    )
    stated = (
        "Despite resuscitation attempts the outcome was lethal.",
        "She died of severe pneumonia.",
        "Autopsy showed disseminated aspergillosis.",
        "The infection proved fatal.",
    )
    _assert_states("died", not_stated, stated)


def test_a_death_that_is_not_the_patients_does_not_state_died() -> None:
    not_stated = (
        "Her husband died of a myocardial infarction in 2015.",
        "Brain death was excluded.",
        "The ultrasound showed fetal death at 20 weeks.",
        "Sepsis carries a high risk of death.",
    )
    stated = (
        "She died of severe pneumonia.",
        "Her husband reported that she died at home.",
        "He died on day 30 after the transplant.",
    )
    _assert_states("died", not_stated, stated)


def test_alive_is_not_stated_by_a_plan_a_condition_or_a_negated_or() -> None:
    not_stated = (
        "She could not be weaned from the ventilator or discharged.",
        "Neither was she discharged nor did she recover.",
        "She was due to be discharged when she collapsed on the ward.",
        "He was to be discharged on day 8, but he suffered a cardiac arrest.",
        "Before she could be discharged, she developed a pulmonary embolism.",
        "He would have been discharged on day 3 had his potassium not fallen.",
        "If she survives the next 24 hours, she may be discharged.",
    )
    stated = (
        "Before she was discharged, she received a second dose.",
        "She did not require ventilation or dialysis and was discharged on day 6.",
        "She remained in hospital until she was discharged on day 12.",
        "She could not be weaned from oxygen but was discharged home on day 14.",
    )
    _assert_states("alive", not_stated, stated)


def test_a_clause_with_no_subject_is_said_of_the_last_person_named() -> None:
    _assert_states(
        "alive",
        (
            "His brother, who was the donor, remains well.",
            "The patient's mother, also a carrier, remains asymptomatic.",
        ),
        (
            "After a transplant from his sister, remains in complete remission at 2 years.",
            "The patient, a 45-year-old teacher, remains well.",
        ),
    )
    _assert_states(
        "died",
        (
            "Her husband, who had also been infected, died two days later.",
            "Sudden death in the family was denied.",
            "Fear of death was a prominent symptom.",
        ),
        ("She died of sepsis; her husband was informed.",),
    )


def test_a_finding_said_absent_needs_a_quote_that_negates_it() -> None:
    """Seventh session, fresh03: the model copied the prompt's "no fever", and relocation took
    "he had an episode of febrile neutropenia" as its evidence: "fever, absent" stood on a
    sentence that says he was febrile."""
    text = (
        "A 30-year-old man received chemotherapy. After cycle 2 he had an episode of febrile "
        "neutropenia. He denied chest pain. He recovered and remains well at 25 months."
    )
    absent = {"assertion": "absent"}
    rec = _record(
        findings=[
            {**_finding("fever", "no fever"), **absent},
            {**_finding("chest pain", "He denied chest pain."), **absent},
            _finding("fever", "no fever"),
        ]
    )
    out = ground(rec, text, relocate=True, unstated="drop").record.findings
    fever, pain, present = (f.evidence for f in out)
    assert fever.status == "unsupported" and fever.method != "relocated"
    assert pain.status == "exact"
    assert present.status == "exact" and present.method == "relocated", "present: as before"


def test_a_bare_phrase_of_an_absent_finding_is_read_in_its_sentence() -> None:
    """A mentions pass's quote is the name alone ("fever"): the negation is in its sentence."""
    text = "A 40-year-old man had back pain. He had no fever, and he denied cough. He had a rash."
    absent = {"assertion": "absent"}
    rec = _record(
        findings=[
            {**_finding("fever", "fever"), **absent},
            {**_finding("rash", "rash"), **absent},
        ]
    )
    fever, rash = (f.evidence for f in ground(rec, text).record.findings)
    assert fever.status == "exact"
    assert rash.status == "unsupported" and "was absent" in (rash.note or "")


@pytest.mark.parametrize(
    ("name", "quote", "stated"),
    [
        ("headache", "No fever but severe headache.", False),  # the negation is another clause's
        ("fever", "Blood cultures were negative, but fever persisted.", False),
        ("fever", "Not only fever but also rigors.", False),
        ("pain", "There was no improvement of the pain.", False),
        ("metastases", "Metastases could not be excluded.", False),
        ("fever", "He didn't have a fever.", True),
        ("fever", "Fever: none.", True),
        ("chest pain", "He denied chest pain, cough or dyspnoea.", True),
        ("murmur", "Heart sounds were normal w/o murmur.", True),
        # eighth session: read where the clause names it (the clause-wide reading took these)
        ("rash", "She developed a rash without itching.", False),
        ("rash", "Without treatment, the rash spread.", False),
        ("fever", "Fever without an obvious source.", False),
        ("fever", "Fever was denied.", True),
        ("seizure", "Seizure-free for two years.", True),
        ("clubbing", "Clubbing: nil.", True),
        ("deep vein thrombosis", "Deep vein thrombosis was excluded by Doppler.", True),
        ("sequestrum", "Radiographs showed new bone formation without a sequestrum.", True),
        ("haemoptysis", "He denied night sweats, weight loss, cough or haemoptysis.", True),
        ("lymphadenopathy", "no lymphadenopathy", True),  # negated in its own words
        (
            "atrial septal defect (ASD)",
            "Patent foramen ovale (PFO), atrial septal defect (ASD) and anomalous venous "
            "connections were ruled out.",
            True,
        ),
    ],
)
def test_an_absent_finding_is_stated_by_a_negation_in_its_own_clause(
    name: str, quote: str, stated: bool
) -> None:
    """Cases from a helper's audit of the first version (which only looked for a negation
    word anywhere in the quote: 36 of 40 wrong quotes accepted)."""
    from abstraction.core.schema import Evidence, Finding

    fact = Finding(name=name, assertion="absent", body_site=None, evidence=Evidence(quote=quote))
    assert (not any(u.key for u in SupportCheck("any").check(fact, quote))) is stated


@pytest.mark.parametrize(
    ("name", "quote", "denied"),
    [
        ("hypertension", "She had no history of hypertension.", True),
        ("fever", "He denied fever or night sweats.", True),
        ("night sweats", "He denied fever or night sweats.", True),
        ("rash", "There was no fever, cough or rash.", True),
        ("ascites", "There was no jaundice and no ascites.", True),
        ("weight loss", "Fever, night sweats and weight loss were absent.", True),
        ("murmur", "A murmur was not heard; the murmur was not detected.", True),
        ("murmur", "The murmur was not detected.", True),
        ("cough", "He didn't cough.", True),
        ("fever", "No fever on admission, but fever rose to 39 °C on day 3.", False),
        ("rash", "Without treatment, the rash spread.", False),
        ("dyspnoea", "Steroids did not improve her dyspnoea.", False),
        ("fever", "Fever without rash.", False),
        ("headache", "No fever but severe headache.", False),
        ("fever", "Fever resolved and the rash was absent.", False),
        ("fever", "There was no change in the fever.", False),
        ("pain", "He was no longer in pain.", False),  # "no longer": another reading
        ("fever", "no fever", False),  # a name that is itself negated: not read here
        ("fever", "He did not develop any fever.", True),
        ("ER", "The tumour was negative for ER.", True),
        ("anti-dsDNA", "ANA 1:80 (<1:40 negative), anti-dsDNA 45 IU/mL.", False),  # the range's
        ("manipulation", "It could not be extracted by manipulation.", False),
        ("headache", "They were not helpful.Headache persisted.", False),  # no space
        # from a helper's audit of the first version (155 crafted cases: 12 false denials)
        ("fever", "No source of fever was identified.", False),
        ("rash", "The rash was not seen by a dermatologist.", False),
        ("fever", "No fever at admission, fever developed on day 4.", False),
        ("cough", "He didn't have a cough.", True),
        ("fever", "Fever: absent.", True),
        ("cough", "He denied night sweats, weight loss, cough or haemoptysis.", True),  # a list
        # a second helper's audit (226 new cases: 26 disagreements, these among them)
        ("anorexia", "He did not report any weight loss or anorexia.", True),
        ("metastases", "PET-CT did not show distant metastases.", True),
        ("HCV", "HIV, HBV and HCV serologies were negative.", True),
        ("HIV", "He was HIV-negative.", True),
        ("cough", "No fever, and the cough persisted.", False),
        (
            "low albumin",
            "Leukocytosis with no sign of hemolysis, elevated CRP, low albumin.",
            False,
        ),
        # eleventh session (the diagnosis audit): a denial of what is new, recurrent or left
        # is not a denial of the finding, which was there ("no evidence of recurrent melanoma")
        ("melanoma", "She has no evidence of recurrent melanoma.", False),
        ("lesions", "MRI showed no new lesions.", False),
        ("seizures", "She had no further seizures.", False),
        ("tumour", "There was no residual tumour.", False),
        ("fever", "There were no new lesions, fever or rash.", True),
        ("melanoma", "There was no melanoma.", True),
    ],
)
def test_a_finding_said_present_is_not_stated_by_a_quote_that_denies_it(
    name: str, quote: str, denied: bool
) -> None:
    """A quote that says the finding was not there ("no history of hypertension") does not
    state it present: the opposite is stated."""
    from abstraction.core.schema import Evidence, Finding

    fact = Finding(name=name, assertion="present", body_site=None, evidence=Evidence(quote=quote))
    if name == "fever" and quote == "no fever":
        fact = Finding(name=quote, assertion="present", body_site=None, evidence=fact.evidence)
    keys = [u for u in SupportCheck("any").check(fact, quote) if u.key]
    assert bool(keys) is denied
    if denied:
        assert "was present: it denies it" in keys[0].note


def test_a_present_finding_is_read_in_its_sentence_and_relocated_past_a_denial() -> None:
    """A bare phrase found where the text denies it ("He denied fever") moves to the sentence
    that states it; a denied finding with no such sentence is unsupported."""
    text = (
        "A 60-year-old man had back pain. He denied fever and had no history of hypertension. "
        "On day 3 he developed a fever of 39 °C."
    )
    rec = _record(findings=[_finding("fever", "fever"), _finding("hypertension", "hypertension")])
    out = ground(rec, text, relocate=True, unstated="flag").record.findings
    fever, hypertension = (f.evidence for f in out)
    assert fever.status == "exact" and fever.quote.startswith("On day 3")
    assert hypertension.status == "unsupported"
    assert "was present: it denies it" in (hypertension.note or "")


def test_a_word_that_denies_a_finding_states_it_absent() -> None:
    """Ninth session: "afebrile" and "non-tender" stated nothing, so the hand gold's own
    "fever, absent" (quoted "On admission she was afebrile") was refused."""
    text = (
        "A 30-year-old woman had a cough. On admission she was afebrile. The abdomen was "
        "non-tender. She had no rash."
    )
    absent = {"assertion": "absent"}
    rec = _record(
        findings=[
            {**_finding("fever", "On admission she was afebrile."), **absent},
            {**_finding("pyrexia", "On admission she was afebrile."), **absent},
            {**_finding("tenderness", "The abdomen was non-tender."), **absent},
            _finding("fever", "On admission she was afebrile."),
            {**_finding("cough", "On admission she was afebrile."), **absent},
            {**_finding("fever", "fever"), **absent},
        ]
    )
    out = ground(rec, text, relocate=True).record.findings
    fever, pyrexia, tender, present, cough, bare = (f.evidence for f in out)
    assert fever.status == pyrexia.status == tender.status == "exact"
    assert present.status == "unsupported", "afebrile does not state a fever present"
    assert cough.status == "unsupported", "afebrile denies fever, not a cough"
    assert bare.status == "exact" and bare.quote == "On admission she was afebrile."


@pytest.mark.parametrize(
    ("quote", "sentence", "stated"),
    [
        ("She was non-febrile.", None, True),  # "febrile" names fever; "non-" denies it
        ("She was not afebrile.", None, False),
        ("She was no longer afebrile.", None, False),
        ("She never became afebrile.", None, False),
        ("afebrile", "She was not afebrile.", False),  # a bare word read in its sentence
        ("afebrile", "She was afebrile.", True),
    ],
)
def test_a_denying_word_that_is_itself_negated_states_nothing(
    quote: str, sentence: str | None, stated: bool
) -> None:
    """A helper's audit: the word alone was looked for, so "not afebrile" stated "fever,
    absent"; and "non-febrile" never did ("febrile" names the fever first)."""
    fact = Finding(name="fever", assertion="absent", body_site=None, evidence=Evidence(quote=quote))
    assert (SupportCheck("x").check(fact, quote, sentence=sentence) == []) is stated


@pytest.mark.parametrize(
    ("quote", "stated"),
    [
        ("Her mother had no fever.", False),
        ("Her mother was afebrile.", False),
        ("His father, who had no fever, brought him in.", False),
        ("Her mother had no fever, but she was febrile.", False),
        ("The donor had no fever.", False),
        ("She had no fever.", True),
        ("The patient, whose mother had diabetes, had no fever.", True),
        ("Her husband reported that she had no fever.", True),
        ("After a transplant from his sister, he had no fever.", True),
        ("She was afebrile; her mother had fever.", True),
        ("The mother had no fever.", True),  # an obstetric case's patient
    ],
)
def test_another_person_s_denial_does_not_state_the_patient_s(quote: str, stated: bool) -> None:
    """A helper's audit (tenth session) and the ninth session's note: "her mother had no
    fever" and "her mother was afebrile" were read as the patient's fever, absent.  Verdicts
    written before the change; the other person is read as the outcome check reads it."""
    fact = Finding(name="fever", assertion="absent", body_site=None, evidence=Evidence(quote=quote))
    assert (not any(u.key for u in SupportCheck("x").check(fact, quote))) is stated


@pytest.mark.parametrize(
    ("name", "status", "quote", "denied"),
    [
        # verdicts written before the code (eleventh session)
        ("hypertension", "secondary", "She had no history of hypertension.", True),
        ("pneumonia", "principal", "There was no evidence of pneumonia.", True),
        ("tuberculosis", "secondary", "Tuberculosis was ruled out.", True),
        ("sarcoidosis", "secondary", "Sarcoidosis was excluded.", True),
        ("HIV infection", "secondary", "She had no HIV infection.", True),
        ("weight loss", "secondary", "There was no fever, and no weight loss was reported.", True),
        ("pneumonia", "secondary", "She was treated for pneumonia without complications.", False),
        ("pneumonia", "secondary", "No relapse of lymphoma, but pneumonia developed.", False),
        ("lymphoma", "principal", "Lymphoma was diagnosed; no other disease was found.", False),
        ("hepatitis", "secondary", "Hepatitis did not improve with steroids.", False),
        # a diagnosis ruled out is stated by a quote that denies it: not this check's to refuse
        ("tuberculosis", "ruled_out", "Tuberculosis was ruled out.", False),
    ],
)
def test_a_diagnosis_the_patient_had_is_not_stated_by_a_quote_that_denies_it(
    name: str, status: str, quote: str, denied: bool
) -> None:
    """A principal or secondary diagnosis is one the patient had: a quote that says it was not
    there ("no history of hypertension", "was ruled out") states the opposite, as it does for
    a finding said present.  Before the eleventh session a diagnosis's quote was read for its
    name only."""
    from abstraction.core.schema import Diagnosis

    fact = Diagnosis(name=name, status=status, details=None, evidence=Evidence(quote=quote))
    keys = [u for u in SupportCheck("any").check(fact, quote) if u.key]
    assert bool(keys) is denied
    if denied:
        assert "was present: it denies it" in keys[0].note


def test_a_diagnosis_is_read_in_its_sentence_and_relocated_past_a_denial() -> None:
    """A diagnosis quoted as its bare name, found where the text denies it, moves to a
    sentence that states it, or is unsupported when none does (the mentions passes quote the
    name alone)."""
    text = (
        "A 60-year-old man had no history of hypertension or diabetes. There was no evidence "
        "of pneumonia. Two years later, hypertension was diagnosed and treated with amlodipine."
    )

    def dx(name: str) -> dict[str, Any]:
        return {"name": name, "status": "secondary", "details": None, "evidence": name}

    rec = _record(diagnoses=[dx("hypertension"), dx("pneumonia"), dx("diabetes")])
    out = ground(rec, text, relocate=True, unstated="flag").record.diagnoses
    hypertension, pneumonia, diabetes = (d.evidence for d in out)
    assert hypertension.status == "exact" and hypertension.quote.startswith("Two years later")
    for ev in (pneumonia, diabetes):
        assert ev.status == "unsupported" and "was present: it denies it" in (ev.note or "")


@pytest.mark.parametrize(
    ("text", "name", "stated"),
    [
        # a helper's audit of the diagnosis check (eleventh session; out/audit-s11c): the
        # mentions passes quote the bare name, and only the words before it were read
        ("A man had cough. Tuberculosis was ruled out.", "Tuberculosis", False),
        ("A man had cough. Pneumonia was excluded.", "Pneumonia", False),
        ("A man had cough. He was HIV-negative.", "HIV", False),
        (
            "A man had cough. There was no hypertension, diabetes or dyslipidemia.",
            "diabetes",
            False,
        ),
        ("A man had cough. Fever resolved and the rash was absent.", "Fever", True),
        ("A man had cough. Pneumonia was treated; no relapse was seen.", "Pneumonia", True),
        ("A man had cough. Pneumonia was ruled in by CT.", "Pneumonia", True),
    ],
)
def test_a_bare_name_is_read_with_the_rest_of_its_sentence(
    text: str, name: str, stated: bool
) -> None:
    """Words after the name deny it as well as words before ("Tuberculosis was ruled out"):
    a bare-name quote is read with its whole sentence, for a diagnosis and a finding alike."""
    for section, fact in (
        ("diagnoses", {"name": name, "status": "secondary", "details": None, "evidence": name}),
        ("findings", _finding(name, name)),
    ):
        rec = _record(**{section: [fact]})
        ev = getattr(ground(rec, text, relocate=False, unstated="flag").record, section)[0].evidence
        assert (ev.status == "exact") is stated, (section, ev)


def test_a_quote_that_opens_a_sentence_is_read_in_that_sentence_alone() -> None:
    """`_sentence` looked for boundaries only before the quote's first character, so a quote
    that opened a sentence was read with the sentence before it: "She had no history of
    asthma." quoted after "Her mother had asthma." was accepted for "asthma", present."""
    text = "Her mother had asthma. She had no history of asthma."
    quote = "She had no history of asthma."
    for section, fact in (
        (
            "diagnoses",
            {"name": "asthma", "status": "secondary", "details": None, "evidence": quote},
        ),
        ("findings", _finding("asthma", quote)),
    ):
        rec = _record(**{section: [fact]})
        ev = getattr(ground(rec, text, relocate=False, unstated="flag").record, section)[0].evidence
        assert ev.status == "unsupported" and "it denies it" in (ev.note or ""), (section, ev)


@pytest.mark.parametrize(
    ("name", "sentence", "stated"),
    [
        # verdicts written before the code (eleventh session; the diagnosis audit's cases 46-52)
        ("breast cancer", "Her mother had breast cancer.", False),
        ("breast cancer", "There was a family history of breast cancer.", False),
        # not a denial of the patient's (this check's own verdict before), but said of others
        ("diabetes", "There was no family history of diabetes.", False),
        ("Huntington disease", "Her father died of Huntington disease.", False),
        ("tuberculosis", "Her husband was treated for tuberculosis.", False),
        ("diabetes", "The patient's mother had diabetes.", False),
        ("diabetes", "His brother has type 2 diabetes; he has no diabetes.", False),
        ("jaundice", "Her baby was born with jaundice.", False),
        ("jaundice", "Her parents noticed jaundice at 2 weeks of age.", True),
        ("fever", "His wife reported that he had fever.", True),
        ("GVHD", "After a transplant from his sister, he developed GVHD.", True),
        (
            "GVHD",
            "She received stem cells from an HLA-matched sibling donor and developed GVHD.",
            True,
        ),
        ("hypertension", "The patient, whose mother had diabetes, had hypertension.", True),
        ("preeclampsia", "The mother was admitted at 32 weeks with preeclampsia.", True),
        (
            "breast cancer",
            "Her mother had breast cancer, and she herself was diagnosed with breast cancer at 40.",
            True,
        ),
        ("fever", "Her family brought her in with fever.", True),
    ],
)
def test_a_condition_said_of_another_person_is_not_the_patient_s(
    name: str, sentence: str, stated: bool
) -> None:
    """A present finding or a diagnosis the patient had is not stated by a sentence whose
    subject is another person ("Her mother had breast cancer", "a family history of"): the
    quote says it of them.  People who report or notice the patient's condition ("Her parents
    noticed jaundice") do not count, nor the patient named after them."""
    from abstraction.core.schema import Diagnosis

    for fact in (
        Finding(name=name, assertion="present", body_site=None, evidence=Evidence(quote=sentence)),
        Diagnosis(name=name, status="secondary", details=None, evidence=Evidence(quote=sentence)),
    ):
        keys = [u for u in SupportCheck("any").check(fact, sentence) if u.key]
        assert (not keys) is stated, (type(fact).__name__, keys)
        if not stated and ";" not in sentence:
            assert "another person" in keys[0].note


@pytest.mark.parametrize(
    ("name", "sentence", "stated"),
    [
        # twelfth session: a quote that only suspects a condition does not state that the
        # patient had it (a helper's 95 blind cases: out/audit-s12, not committed)
        ("Guillain-Barre syndrome", "Guillain-Barre syndrome was suspected.", False),
        ("meningitis", "He was treated for suspected bacterial meningitis.", False),
        ("tuberculosis", "Tuberculosis could not be excluded.", False),
        ("CNS metastases", "There was a high clinical suspicion of CNS metastases.", False),
        ("appendicitis", "A CT scan was done to rule out appendicitis.", False),
        ("stroke", "A brain MRI was obtained to exclude a stroke.", False),
        ("lymphoma", "The differential diagnoses were sarcoidosis and lymphoma.", False),
        ("lymphoma", "Possible tuberculosis, sarcoidosis or lymphoma was considered.", False),
        ("tuberculosis", "Tuberculosis was no longer suspected.", False),
        (
            "malignant tumour",
            "The obstruction led us to the suspicion of a malignant tumour.",
            False,
        ),
        (
            "pyogenic spondylodiscitis",
            "The main differential diagnoses are pyogenic and brucellar spondylodiscitis.",
            False,  # named in other words, in a differential diagnosis
        ),
        # what is confirmed, or another condition suspected, is still stated
        ("headaches", "She had headaches, and there was a suspicion of CNS metastases.", True),
        ("fever", "A possible cause of her fever was sought.", True),
        ("abscess", "MRI confirmed the suspected abscess.", True),
        ("lymphoma", "Lymphoma was suspected; a lymph node biopsy confirmed it.", True),
        ("pneumonia", "The pneumonia was suspected to be due to aspiration.", True),
        (
            "rheumatoid arthritis",
            "Because of her rheumatoid arthritis, lupus was considered.",
            True,
        ),
        (
            "acute appendicitis",
            "A CT scan, requested because a colleague suspected malignancy, showed acute "
            "appendicitis.",
            True,
        ),
        ("nausea", "She developed nausea and vomiting concerning for CNS metastases.", True),
        ("pneumonia", "She had pneumonia.", True),
    ],
)
def test_a_condition_only_suspected_is_not_stated(name: str, sentence: str, stated: bool) -> None:
    """A present finding or a diagnosis the patient had is not stated by a quote that only
    suspects it ("was suspected", "could not be excluded", "suspected meningitis", a
    differential diagnosis); it is when the sentence confirms it, or when what is suspected is
    something else ("a possible cause of her fever")."""
    from abstraction.core.schema import Diagnosis

    for fact in (
        Finding(name=name, assertion="present", body_site=None, evidence=Evidence(quote=sentence)),
        Diagnosis(name=name, status="principal", details=None, evidence=Evidence(quote=sentence)),
    ):
        keys = [u for u in SupportCheck("any").check(fact, sentence) if u.key]
        assert (not keys) is stated, (type(fact).__name__, keys)
        if not stated:
            assert "was present: it only suspects or doubts it" in keys[0].note


def test_a_suspected_diagnosis_is_relocated_to_the_sentence_that_confirms_it() -> None:
    """A bare name found where the text only suspects it moves to a sentence that states it;
    one the text never confirms is unsupported."""
    text = (
        "A 40-year-old man had weight loss. Lymphoma and tuberculosis were suspected. "
        "A lymph node biopsy showed Hodgkin lymphoma."
    )
    dx = [
        {"name": "lymphoma", "status": "principal", "details": None, "evidence": "Lymphoma"},
        {
            "name": "tuberculosis",
            "status": "secondary",
            "details": None,
            "evidence": "tuberculosis",
        },
    ]
    out = ground(_record(diagnoses=dx), text, relocate=True, unstated="flag").record.diagnoses
    lymphoma, tuberculosis = (d.evidence for d in out)
    assert lymphoma.status == "exact" and lymphoma.quote.startswith("A lymph node biopsy")
    assert tuberculosis.status == "unsupported"
    assert "only suspects or doubts it" in (tuberculosis.note or "")


@pytest.mark.parametrize(
    ("value", "quote", "stated"),
    [
        ("Hodgkin lymphoma", "She had non-Hodgkin lymphoma.", False),
        ("small cell lung cancer", "a non-small cell lung cancer", False),
        ("ST-elevation myocardial infarction", "non-ST-elevation myocardial infarction", False),
        ("non-Hodgkin lymphoma", "She had non-Hodgkin lymphoma.", True),
        ("non-Hodgkin lymphoma", "She had non Hodgkin lymphoma.", True),
        ("lymphoma", "She had non-Hodgkin lymphoma.", True),
        ("non-small cell lung cancer", "non-small cell lung cancer (NSCLC)", True),
    ],
)
def test_non_is_part_of_the_word_after_it(value: str, quote: str, stated: bool) -> None:
    """ "non-Hodgkin lymphoma" does not state "Hodgkin lymphoma" (the scorer already kept them
    apart; the support check read the words one by one)."""
    fact = Diagnosis(name=value, status="principal", details=None, evidence=Evidence(quote=quote))
    keys = [u for u in SupportCheck(quote).check(fact, quote) if u.key]
    assert (not keys) is stated, keys


def test_a_bare_name_found_after_non_is_read_with_it() -> None:
    """The quote "Hodgkin lymphoma" aligned inside "non-Hodgkin lymphoma" states nothing: the
    text says non-Hodgkin; with no other sentence that states it, it is unsupported."""
    text = "A 60-year-old man with fever. A biopsy showed non-Hodgkin lymphoma."
    dx = [
        {
            "name": "Hodgkin lymphoma",
            "status": "principal",
            "details": None,
            "evidence": "Hodgkin lymphoma",
        }
    ]
    out = ground(_record(diagnoses=dx), text, relocate=True, unstated="flag").record.diagnoses
    assert out[0].evidence.status == "unsupported"
    assert "non-" in (out[0].evidence.note or "")


@pytest.mark.parametrize(
    ("name", "assertion", "quote", "stated"),
    [
        # twelfth session, the older audits' leftovers: "additional" metastases not found says
        # some were found; a smear is a test's word; "arguing against" doubts it
        ("metastases", "present", "On a PET scan, additional metastases were not found.", True),
        ("metastases", "absent", "On a PET scan, additional metastases were not found.", False),
        ("metastases", "absent", "On a PET scan, metastases were not found.", True),
        ("malaria", "present", "Malaria smears were negative.", False),
        ("malaria", "absent", "Malaria smears were negative.", True),
        ("pancreatitis", "present", "The lipase was normal, arguing against pancreatitis.", False),
        ("pancreatitis", "present", "A lipase of 3000 U/L pointed to pancreatitis.", True),
    ],
)
def test_what_was_left_or_tested_or_doubted(
    name: str, assertion: str, quote: str, stated: bool
) -> None:
    fact = Finding(name=name, assertion=assertion, body_site=None, evidence=Evidence(quote=quote))
    keys = [u for u in SupportCheck("any").check(fact, quote) if u.key]
    assert (not keys) is stated, keys


@pytest.mark.parametrize(
    ("name", "assertion", "quote", "stated"),
    [
        # twelfth session, the negation audit's leftovers: an abbreviation defined in the
        # clause is read where its long form stands; parentheses inside a list; "non-smoker"
        (
            "GERD",
            "absent",
            "There was no history of gastro-oesophageal reflux disease (GERD).",
            True,
        ),
        (
            "GERD",
            "present",
            "There was no history of gastro-oesophageal reflux disease (GERD).",
            False,
        ),
        ("GERD", "present", "She had gastro-oesophageal reflux disease (GERD).", True),
        (
            "EBV",
            "absent",
            "Serologies for cytomegalovirus (CMV) and Epstein-Barr virus (EBV) were negative.",
            True,
        ),
        (
            "cytomegalovirus",
            "absent",
            "Serologies for cytomegalovirus (CMV) and Epstein-Barr virus (EBV) were negative.",
            True,
        ),
        (
            "cytomegalovirus",
            "present",
            "Serologies for cytomegalovirus (CMV) and Epstein-Barr virus (EBV) were negative.",
            False,
        ),
        ("smoking", "absent", "He was a non-smoker.", True),
        ("smoking", "present", "He was a non-smoker.", False),
    ],
)
def test_abbreviations_lists_and_non_smokers_are_read(
    name: str, assertion: str, quote: str, stated: bool
) -> None:
    fact = Finding(name=name, assertion=assertion, body_site=None, evidence=Evidence(quote=quote))
    keys = [u for u in SupportCheck(quote).check(fact, quote) if u.key]
    assert (not keys) is stated, keys


@pytest.mark.parametrize(
    ("name", "sentence", "stated"),
    [
        # twelfth session, a second helper's 71 unseen cases (out/audit-s12c): the first
        # version missed 21 of 35 hedges worded otherwise
        (
            "autoimmune hepatitis",
            "The working diagnosis on admission was autoimmune hepatitis.",
            False,
        ),
        ("multiple sclerosis", "The MRI raised the possibility of multiple sclerosis.", False),
        ("Lyme disease", "Serology was equivocal for Lyme disease.", False),
        ("Brugada syndrome", "The ECG could not rule out an underlying Brugada syndrome.", False),
        ("pneumonia", "He was admitted with ?pneumonia and given antibiotics.", False),
        ("vestibular migraine", "A probable vestibular migraine was diagnosed.", False),
        ("Kawasaki disease", "A provisional diagnosis of Kawasaki disease was made.", False),
        ("fibroadenoma", "The lump was likely a fibroadenoma.", False),
        ("hyperthyroidism", "The tremor was thought to be due to hyperthyroidism.", False),
        ("amyloidosis", "The biopsy was compatible with but not diagnostic of amyloidosis.", False),
        ("septic arthritis", "Reactive arthritis was favoured over septic arthritis.", False),
        ("Guillain-Barre syndrome", "Guillain-Barre syndrome was hypothesised.", False),
        ("pulmonary embolism", "Pulmonary embolism was on the differential.", False),
        # a value that says it is uncertain is stated by the hedge; a hedged cause leaves
        # the condition stated
        ("probable invasive aspergillosis", "She had probable invasive aspergillosis.", True),
        ("fever", "The fever was probably due to the drug.", True),
        ("rash", "A rash appeared, likely a drug reaction.", True),
    ],
)
def test_a_condition_hedged_in_other_words_is_not_stated(
    name: str, sentence: str, stated: bool
) -> None:
    for fact in (
        Finding(name=name, assertion="present", body_site=None, evidence=Evidence(quote=sentence)),
        Diagnosis(name=name, status="principal", details=None, evidence=Evidence(quote=sentence)),
    ):
        keys = [u for u in SupportCheck("any").check(fact, sentence) if u.key]
        assert (not keys) is stated, (type(fact).__name__, keys)


def test_relocation_takes_the_case_s_own_sentence_not_the_discussion_s() -> None:
    """Twelfth session: a diagnosis was located in the discussion's general statement
    ("Staphylococcus aureus is the most common cause of acute haematogenous osteomyelitis in
    children"), and a structured abstract's "Conclusions:" under a "CASE REPORT" banner was
    taken for the discussion, so the case itself was out of reach.  Among the case's
    sentences, one with no word of doubt comes first."""
    text = (
        "CASE REPORT\n\nAbstract\nBackground: Teratomas are common.\n"
        "Conclusions: Early removal of an ovarian teratoma helps.\n\n"
        "Case presentation\n"
        "A 16-year-old girl had seizures. Pelvic MRI showed a left ovarian lesion, suggestive of "
        "a mature teratoma. She underwent a left ovarian cystectomy; histology confirmed a mature "
        "cystic teratoma. At the last follow-up she was well and back at school.\n\n"
        "Discussion\n"
        "Anti-NMDA receptor encephalitis is common in young women, and an ovarian teratoma is "
        "often found. Gastric lymphoma is rare.\n"
    )
    dx = [
        {"name": "ovarian teratoma", "status": "secondary", "details": None, "evidence": ""},
        {"name": "gastric lymphoma", "status": "secondary", "details": None, "evidence": ""},
    ]
    rec = _record(diagnoses=dx, status={"value": "alive", "evidence": "survived"})
    out = ground(rec, text, relocate=True, unstated="flag").record
    teratoma, lymphoma = (d.evidence for d in out.diagnoses)
    assert teratoma.status == "exact" and "histology confirmed" in teratoma.quote
    assert lymphoma.status == "unsupported", "a discussion's statement is not the patient's"
    assert out.outcome.status is not None
    assert out.outcome.status.evidence.quote.startswith("At the last follow-up")


def test_working_alone_is_no_doubt() -> None:
    """ "working" is a word of doubt only in "working diagnosis" (the review of the change)."""
    sentence = "He was working as a teacher when the fever began."
    fact = Finding(
        name="fever", assertion="present", body_site=None, evidence=Evidence(quote=sentence)
    )
    assert not [u for u in SupportCheck("any").check(fact, sentence) if u.key]


# A quote that is the name alone (thirteenth session's reading audit: most output facts whose
# quotes did not state them were bare names, many from the discussion's lists of alternatives).
REPORT = (
    "Case presentation\n"
    "A 58-year-old man with multiple myeloma received bortezomib and lenalidomide. He had no "
    "double vision. He received two cycles of carfilzomib and dexamethasone as bridging. There "
    "was no immune effector cell-associated neurotoxicity syndrome.\n"
    "Discussion\n"
    "Alternatives to CAR-T cells include teclistamab and carfilzomib-free regimens. "
    "Neurotoxicity syndrome occurs in a third of patients; double vision is rare.\n"
)


def _bare_treatment(name: str) -> dict[str, Any]:
    return _treatment(name=name, category="other", evidence=name)


@pytest.mark.parametrize("relocate", [False, True])
def test_a_bare_name_only_in_the_discussion_is_not_the_patients(relocate: bool) -> None:
    rec = _record(treatments=[_bare_treatment("teclistamab")])
    ev = ground(rec, REPORT, relocate=relocate).record.treatments[0].evidence
    assert ev.status == "unsupported"
    assert "only outside the account of the case" in (ev.note or "")


def test_a_model_quote_is_not_relocated_into_the_discussion() -> None:
    """Relocation looks for a treatment's sentence in the case's account only (before, any
    sentence naming it: "Alternatives ... include teclistamab")."""
    rec = _record(treatments=[_treatment(name="teclistamab", evidence="He had no double vision.")])
    ev = ground(rec, REPORT, relocate=True).record.treatments[0].evidence
    assert ev.status == "unsupported" and ev.method != "relocated"


@pytest.mark.parametrize("relocate", [False, True])
def test_a_bare_name_is_widened_to_the_case_sentence_that_states_it(relocate: bool) -> None:
    rec = _record(
        treatments=[_bare_treatment("carfilzomib")],
        findings=[
            {**_finding("double vision", "double vision"), "assertion": "absent"},
            _finding("neurotoxicity syndrome", "neurotoxicity syndrome"),
        ],
    )
    out = ground(rec, REPORT, relocate=relocate).record
    carfilzomib = out.treatments[0].evidence
    assert carfilzomib.status == "exact" and carfilzomib.quote.startswith("He received two")
    assert REPORT[carfilzomib.start : carfilzomib.end] == carfilzomib.quote
    assert carfilzomib.note == "located: " + (
        "the sentence of the case text that names it (the model quoted the name only)"
    )
    absent, present = (f.evidence for f in out.findings)
    assert absent.status == "exact" and absent.quote == "He had no double vision."
    assert present.status == "unsupported", "denied in the case, named in the discussion"


def test_a_bare_name_in_a_text_without_headings_is_read_in_its_sentence() -> None:
    text = "A 30-year-old woman had a cough. She was given amoxicillin for a week. She recovered."
    rec = _record(treatments=[_bare_treatment("amoxicillin")])
    ev = ground(rec, text).record.treatments[0].evidence
    assert ev.status == "exact" and ev.quote == "She was given amoxicillin for a week."


# A treatment, event or test the text says was not given or done (thirteenth session's
# reading audit: "posaconazole prophylaxis was not given", "An autopsy was declined").
NOT_GIVEN_CASES = [
    # reading sample 9: a referral is not the transplant
    ("transplantation", "She was referred for allogeneic transplantation.", False),
    ("transplantation", "She underwent allogeneic transplantation.", True),
    (
        "cholecystectomy",
        "She was referred for urgent cholecystectomy, which was uneventful.",
        True,
    ),
    ("adjuvant radiotherapy", "She declined adjuvant radiotherapy and remains well.", False),
    ("radiotherapy", "Adjuvant radiotherapy was offered but declined.", False),
    ("rifampicin", "PCR detected M. tuberculosis without rifampicin resistance.", False),
    ("rifampicin", "He started isoniazid, rifampicin, pyrazinamide and ethambutol.", True),
    ("rituximab", "There was no response to rituximab.", True),
    ("rituximab", "She did not respond to rituximab.", True),
    ("chemotherapy", "No further chemotherapy was given.", False),
    ("steroids", "He was treated without steroids.", False),
    ("surgery", "Surgery was not possible because of frailty.", False),
    ("imatinib", "Imatinib was not tolerated and was stopped.", True),
    ("tacrolimus", "Tacrolimus levels were 12 ng/mL.", False),
    ("surgery", "She declined surgery in March; surgery was performed in May.", True),
    ("vancomycin", "Vancomycin was started, and meropenem was withheld.", True),
    ("meropenem", "Vancomycin was started, and meropenem was withheld.", False),
    ("oral prednisolone", "Oral prednisolone was considered but not started.", False),
    # a helper's hostile audit (121 cases written blind, out/audit-s13): phrasings it missed
    ("rituximab", "She did not receive rituximab because of an active hepatitis B.", False),
    ("radiotherapy", "Neither radiotherapy nor chemotherapy was given.", False),
    ("chemotherapy", "Neither radiotherapy nor chemotherapy was given.", False),
    ("pemetrexed", "He received cisplatin but not pemetrexed.", False),
    ("cisplatin", "He received cisplatin but not pemetrexed.", True),
    ("rituximab", "Rituximab, which had been planned, was not given.", False),
    ("dialysis", "Dialysis was not required.", False),
    ("tamoxifen", "Her mother had received tamoxifen for breast cancer.", False),
    ("HSCT", "He was referred for haematopoietic stem cell transplantation (HSCT).", False),
    # a known leftover of the fifteenth session: a referral to a named service
    ("resection", "She was referred to thoracic surgery for resection.", False),
    ("radiotherapy", "She was referred to our hospital for palliative radiotherapy.", False),
    ("CAR-T cell therapy", "She was referred to our centre to receive CAR-T cell therapy.", False),
    (
        "chemotherapy",
        "He was referred to the oncology department for chemotherapy, which was started on day 3.",
        True,
    ),
    ("resection", "She was referred to thoracic surgery for resection and underwent it.", True),
    # a review of the sixteenth session: referrals the sentence says were carried out
    ("dialysis", "She was referred to us for dialysis and was dialysed the same day.", True),
    (
        "CAR-T cell therapy",
        "She was referred to our centre for CAR-T cell therapy, which she received in May.",
        True,
    ),
    ("chemotherapy", "He was referred to oncology for chemotherapy and started it in May.", True),
    (
        "chemotherapy",
        "He was referred to oncology for chemotherapy and was discharged home.",
        False,
    ),
    ("antibiotics", "Antibiotics were not started until day 5.", True),
    ("surgery", "Surgery was postponed because of sepsis and was performed on day 12.", True),
    ("allogeneic HSCT", "Allogeneic HSCT was planned and performed on day 30.", True),
    ("rituximab", "Rituximab was recommended and started in May.", True),
    # the fourth reading sample
    (
        "donor lymphocyte infusion",
        "Chimerism was full on day +100, which did not require donor lymphocyte infusion.",
        False,
    ),
]


@pytest.mark.parametrize(("name", "sentence", "given"), NOT_GIVEN_CASES)
def test_a_treatment_the_text_says_was_not_given_is_not_stated(
    name: str, sentence: str, given: bool
) -> None:
    text = f"A 50-year-old man had a cough. {sentence} He recovered."
    rec = _record(treatments=[_treatment(name=name, category="other", evidence=sentence)])
    ev = ground(rec, text).record.treatments[0].evidence
    assert (ev.status == "exact") is given, ev.note
    if not given:
        assert f"does not state that {name!r} was given" in (ev.note or "")


def test_a_test_said_negative_was_done_but_one_declined_was_not() -> None:
    text = (
        "A 50-year-old woman had AML. Molecular testing showed no FLT3 mutations. "
        "A lumbar puncture was declined."
    )
    rec = _record(
        assessments=[
            {"method": "FLT3 mutations", "result": None, "time": None, "evidence": "FLT3"},
            {
                "method": "lumbar puncture",
                "result": None,
                "time": None,
                "evidence": "lumbar puncture",
            },
        ]
    )
    flt3, lp = (a.evidence for a in ground(rec, text, relocate=True).record.assessments)
    assert flt3.status == "exact" and flt3.quote.startswith("Molecular testing")
    assert lp.status == "unsupported" and "was done" in (lp.note or "")


@pytest.mark.parametrize(
    ("sentence", "done"),
    [
        ("No biopsy was taken.", False),
        ("The diagnosis was made without a biopsy.", False),
        ("FISH for BCR-ABL1 was not done.", False),
        ("A biopsy showed no malignant cells.", True),
        ("The biopsy was taken on day 3.", True),
    ],
)
def test_a_test_not_done(sentence: str, done: bool) -> None:
    text = f"A 50-year-old woman had a mass. {sentence} She recovered."
    name = "FISH" if "FISH" in sentence else "biopsy"
    rec = _record(assessments=[{"method": name, "result": None, "time": None, "evidence": name}])
    ev = ground(rec, text).record.assessments[0].evidence
    assert (ev.status == "exact") is done, ev.note


def test_relocation_takes_a_sentence_that_states_the_treatment_given() -> None:
    text = (
        "A 40-year-old man had back pain. PCR detected M. tuberculosis without rifampicin "
        "resistance. On day 5 he started isoniazid, rifampicin and ethambutol."
    )
    quote = "PCR detected M. tuberculosis without rifampicin resistance."
    rec = _record(treatments=[_treatment(name="rifampicin", category="other", evidence=quote)])
    ev = ground(rec, text, relocate=True).record.treatments[0].evidence
    assert ev.status == "exact" and ev.quote.startswith("On day 5"), ev.note


@pytest.mark.parametrize(
    ("section", "value", "stated"),
    [
        ("findings", "was 3", False),
        ("diagnoses", "with t", False),
        ("assessments", "11", False),
        ("diagnoses", "B-ALL", True),  # "ALL" in capitals is an abbreviation, not "all"
        ("assessments", "ramipril", False),
        ("assessments", "intravenous furosemide", False),
        ("assessments", "tacrolimus levels", True),
        ("assessments", "CT", True),
        ("assessments", "cyclophosphamide", False),
    ],
)
def test_a_name_that_names_nothing_or_a_drug_as_a_test_is_not_stated(
    section: str, value: str, stated: bool
) -> None:
    """Thirteenth session's reading audit: cut phrases of the mentions passes ("was 3", "with
    t") and drugs listed as tests ("ramipril 2.5 mg daily were started") were kept."""
    sentence = {
        "was 3": "Alpha-fetoprotein was 3 µg/L.",
        "with t": "The diagnosis was myeloma with t(4;14).",
        "11": "FISH did not detect t(11;14).",
        "B-ALL": "She was diagnosed with B-ALL.",
        "ramipril": "Bisoprolol and ramipril were started on day 2.",
        "intravenous furosemide": "Intravenous furosemide 40 mg was given.",
        "tacrolimus levels": "Tacrolimus levels were 12 ng/mL.",
        "CT": "CT showed a mass.",
        "cyclophosphamide": "Cyclophosphamide 500 mg/m² was given on days -5 to -3.",
    }[value]
    text = f"A 50-year-old woman was admitted. {sentence} She recovered."
    fact: dict[str, Any] = {
        "findings": {"name": value, "assertion": "present", "body_site": None},
        "diagnoses": {"name": value, "status": "principal", "details": None},
        "assessments": {"method": value, "result": None, "time": None},
    }[section]
    rec = _record(**{section: [{**fact, "evidence": sentence}]})
    ev = getattr(ground(rec, text).record, section)[0].evidence
    assert (ev.status == "exact") is stated, ev.note


def test_a_quote_that_ends_inside_a_word_is_read_with_the_rest_of_it() -> None:
    # (an ankle's dorsiflexion here before: a movement is no finding, fifteenth session)
    text = "A 60-year-old man had weakness. There was skin hyperpigmentation on the left."
    rec = _record(findings=[_finding("skin hyperpig", "skin hyperpig")])
    ev = ground(rec, text).record.findings[0].evidence
    assert ev.status == "unsupported" and "does not state 'skin hyperpig'" in (ev.note or "")
    rec = _record(findings=[_finding("skin hyperpigmentation", "skin hyperpig")])
    assert ground(rec, text).record.findings[0].evidence.status != "unsupported"


def test_a_death_is_read_where_the_patient_died_not_where_a_relative_did() -> None:
    """The fourth reading sample: "died" was quoted from "his brother had died of a myocardial
    infarction" for the patient's outcome and timeline."""
    text = (
        "A 63-year-old man had chest pain. He had delayed seeking help because his brother had "
        "died of a myocardial infarction. Treatment was withdrawn on day 5, and he died 3 hours "
        "later."
    )
    rec = _record(
        status={"value": "died", "evidence": "died"},
        timeline=[{"event": "died", "time": None, "evidence": "died"}],
    )
    out = ground(rec, text).record
    for ev in (out.outcome.status.evidence, out.timeline[0].evidence):
        assert ev.status == "exact" and ev.quote.startswith("Treatment was withdrawn"), ev


@pytest.mark.parametrize(
    ("section", "value", "sentence", "stated"),
    [
        ("assessments", "polyuria", "He had developed polyuria and polydipsia.", False),
        ("assessments", "abdomen", "CT of the chest, abdomen and pelvis showed a mass.", False),
        ("assessments", "peripheral oedema", "There was no peripheral oedema.", False),
        (
            "assessments",
            "anuric acute kidney injury",
            "Anuric acute kidney injury was seen.",
            False,
        ),
        (
            "assessments",
            "macrophage activation syndrome",
            "It was macrophage activation syndrome.",
            False,
        ),
        ("assessments", "tumour markers", "Her tumour markers were normal.", True),
        ("assessments", "hepatitis B serology", "Hepatitis B serology was negative.", True),
        ("assessments", "pain score", "Her pain score was 8 of 10.", True),
        ("assessments", "pleural fluid", "Pleural fluid was an exudate.", True),
        ("assessments", "neuroglycopenic symptoms", "She had neuroglycopenic symptoms.", False),
        ("findings", "ribs", "There were lytic lesions of the ribs.", False),
        ("findings", "left elbow", "There was swelling of the left elbow.", False),
        (
            "findings",
            "chest, abdomen and pelvis",
            "The chest, abdomen and pelvis were sore.",
            False,
        ),
        ("findings", "elbow swelling", "There was elbow swelling on the left.", True),
        ("treatments", "CT", "CT showed a mass.", False),
        ("treatments", "follow-up", "At the last follow-up she was well.", False),
        ("treatments", "tumour markers", "Tumour markers were normal.", False),
        ("treatments", "anuric acute kidney injury", "Anuric acute kidney injury.", False),
        ("treatments", "thoracentesis for effusion", "Thoracentesis for effusion was done.", True),
        (
            "treatments",
            "thoracolumbosacral orthosis",
            "A thoracolumbosacral orthosis was worn.",
            True,
        ),
        ("treatments", "cold blood cardioplegia", "Cold blood cardioplegia was given.", True),
        ("treatments", "plasma exchange", "Plasma exchange was started.", True),
        # a helper's hostile audit (367 crafted cases, verdicts first; out/audit-s14)
        ("assessments", "bone marrow", "Bone marrow showed 60% blasts.", True),
        ("assessments", "hepatitis C viral load", "Hepatitis C viral load was low.", True),
        ("assessments", "Down syndrome screening", "Down syndrome screening was done.", True),
        ("assessments", "mass spectrometry", "Mass spectrometry found amyloid.", True),
        ("findings", "pelvic kidney", "A pelvic kidney was seen.", True),
        ("findings", "lower lip", "The lower lip was swollen.", False),
        ("treatments", "endoscopic haemostasis", "Endoscopic haemostasis was done.", True),
        ("treatments", "CPAP", "CPAP was started.", True),
        ("treatments", "blood pressure control", "Blood pressure control was tight.", True),
        ("treatments", "anti-tuberculosis drugs", "Anti-tuberculosis drugs were given.", True),
        ("treatments", "stoma formation", "A stoma formation was done.", True),
        ("treatments", "full blood count", "A full blood count was normal.", False),
        ("treatments", "six-month follow-up", "At the six-month follow-up she was well.", False),
    ],
)
def test_a_name_of_another_kind_of_fact_is_not_stated(
    section: str, value: str, sentence: str, stated: bool
) -> None:
    """Sixth reading sample (and the ones before): a symptom, a diagnosis or a body part
    listed as a test ("polyuria", "abdomen"), a body part as a finding ("ribs"), a test or a
    diagnosis as a treatment ("CT", "anuric acute kidney injury") were kept; the quote names
    them, but states no test done, no finding, no treatment given."""
    text = f"A 50-year-old woman was admitted. {sentence} She recovered."
    fact: dict[str, Any] = {
        "findings": {"name": value, "assertion": "present", "body_site": None},
        "assessments": {"method": value, "result": None, "time": None},
        "treatments": _treatment(name=value, category="other"),
    }[section]
    rec = _record(**{section: [{**fact, "evidence": sentence}]})
    ev = getattr(ground(rec, text).record, section)[0].evidence
    assert (ev.status != "unsupported") is stated, ev.note
    assert stated or ", not a " in (ev.note or ""), ev.note


@pytest.mark.parametrize(
    ("result", "quote", "stated"),
    [
        ("46", "The karyotype was 46", False),  # "46,XX"
        ("a mass of 11", "PET/CT showed a mass of 11", False),  # "11.2 cm"
        ("ejection fract", "Echocardiography showed an ejection fract", False),  # "fraction"
        ("a mass of 11.2 cm", "PET/CT showed a mass of 11.2 cm", True),
        ("46,XX", "The karyotype was 46,XX", True),
        ("multiple lesion", "MRI showed multiple lesion", True),  # "lesions": an ending
        ("120", "Blood pressure was 120", False),  # "120/80 mmHg"
        ("500 ng", "Ferritin was 500 ng", False),  # "500 ng/mL"
        ("46,XY", "The karyotype was 46,XY", False),  # "46,XY,t(9;22)"
        ("0.01 ng/mL", "Troponin was 0.01 ng/mL", False),  # "<0.01 ng/mL"
        ("positive", "CD20 was positive", True),  # "positive.3": a citation
        ("an ejection fraction", "Echo showed an ejection fraction", False),  # "of 22%"
        ("normal", "MRI was normal", True),  # "normal at 3 months": a time follows
        # reading samples 9 and 10: a noun phrase cut before its noun
        ("a 15 cm well-circumscribed", "CT showed a 15 cm well-circumscribed", False),
        ("a markedly dilated", "Echo showed a markedly dilated", False),
        ("a high T2 signal", "MRI showed a high T2 signal", True),
        # seventeenth session, a new case report: a rate cut before "per minute"
        ("104 beats", "Pulse was 104 beats", False),
        ("104 beats per minute", "Pulse was 104 beats per minute", True),
        ("11 cells", "CSF showed 11 cells", False),  # "per mm3"
        ("38 cells", "CSF showed 38 cells", False),  # "per microlitre"
    ],
)
def test_a_value_cut_short_is_not_stated(result: str, quote: str, stated: bool) -> None:
    """Reading samples 4 to 6: a test's result cut in the middle of a number ("46" for
    "46,XX", "a mass of 11" for "11.2 cm") was kept as stated by its quote."""
    full = {
        "46": "The karyotype was 46,XX, and sequencing found a JAK2 mutation.",
        "a mass of 11": "PET/CT showed a mass of 11.2 cm in the mediastinum.",
        "ejection fract": "Echocardiography showed an ejection fraction of 22%.",
        "a mass of 11.2 cm": "PET/CT showed a mass of 11.2 cm in the mediastinum.",
        "46,XX": "The karyotype was 46,XX, and sequencing found a JAK2 mutation.",
        "multiple lesion": "MRI showed multiple lesions of the liver.",
        "120": "Blood pressure was 120/80 mmHg on arrival.",
        "500 ng": "Ferritin was 500 ng/mL on arrival.",
        "46,XY": "The karyotype was 46,XY,t(9;22)(q34;q11.2)[20].",
        "0.01 ng/mL": "Troponin was <0.01 ng/mL on arrival.",
        "positive": "CD20 was positive.3 Then she was treated.",
        "an ejection fraction": "Echo showed an ejection fraction of 22% on day 2.",
        "104 beats": "Pulse was 104 beats per minute on arrival.",
        "104 beats per minute": "Pulse was 104 beats per minute on arrival.",
        "11 cells": "CSF showed 11 cells per mm3 and no bacteria.",
        "38 cells": "CSF showed 38 cells per microlitre, mostly lymphocytes.",
        "normal": "MRI was normal at 3 months.",
        "a 15 cm well-circumscribed": "CT showed a 15 cm well-circumscribed, hypervascular mass.",
        "a markedly dilated": "Echo showed a markedly dilated left ventricle.",
        "a high T2 signal": "MRI showed a high T2 signal in the cord.",
    }[result]
    text = f"A 50-year-old woman was admitted. {full} She recovered."
    method = quote.split()[0] if not quote.startswith("The") else "karyotype"
    rec = _record(
        assessments=[{"method": method, "result": result, "time": None, "evidence": quote}]
    )
    grounded = ground(rec, text, unstated="drop")
    kept = grounded.record.assessments[0]
    assert (kept.result is not None) is stated, grounded.dropped
    assert stated or "it is cut short" in grounded.dropped[0].note


@pytest.mark.parametrize(
    ("name", "field", "value", "sentence", "stated"),
    [
        (
            "ifosfamide",
            "time",
            "on day 1",
            "TIP was given: paclitaxel 250 mg/m² on day 1, ifosfamide 1,500 mg/m² on days 2-5.",
            False,
        ),
        (
            "methotrexate",
            "time",
            "from day -1",
            "Prophylaxis was ciclosporin from day -1 with methotrexate 15 mg/m² on day +1.",
            False,
        ),
        (
            "BEP",
            "dose",
            "30,000 IU",
            "He received four cycles of BEP: bleomycin 30,000 IU on days 1, 8 and 15.",
            False,
        ),
        (
            "ciclosporin",
            "time",
            "from day -1",
            "Prophylaxis was ciclosporin from day -1 with methotrexate 15 mg/m² on day +1.",
            True,
        ),
        (
            "cyclophosphamide",
            "time",
            "on days -5 to -3",
            "She received cyclophosphamide and fludarabine on days -5 to -3.",
            True,
        ),
        (
            "bisoprolol",
            "time",
            "on day 2",
            "Bisoprolol 2.5 mg daily and ramipril 2.5 mg daily were started on day 2.",
            True,
        ),
        (
            "rituximab",
            "duration",
            "6 courses",
            "Chemotherapy including 6 courses of rituximab was started.",
            True,
        ),
        (
            "CAR-T cell therapy",
            "time",
            "on day 0",
            "After fludarabine, on day 0, CAR-T cell therapy was infused.",
            True,
        ),
        # a dose the sentence writes in two pieces (seventeenth session, a new case report)
        (
            "ABVD",
            "dose",
            "25 mg/m2 on days 1 and 15",
            "He received ABVD (doxorubicin 25 mg/m2, bleomycin 10 units/m2, vinblastine 6 mg/m2"
            " and dacarbazine 375 mg/m2 on days 1 and 15).",
            False,
        ),
        (
            "bleomycin",
            "dose",
            "10 units/m2 on days 1 and 15",
            "He received ABVD (doxorubicin 25 mg/m2, bleomycin 10 units/m2, vinblastine 6 mg/m2"
            " and dacarbazine 375 mg/m2 on days 1 and 15).",
            True,
        ),
        (
            "prednisone",
            "dose",
            "375 mg/m2 weekly",
            "She was given rituximab 375 mg/m2 weekly and prednisone 60 mg daily.",
            False,
        ),
        ("prednisone", "dose", "60 mg", "Prednisone 60 mg per day was started.", True),
        (
            "prednisone",
            "dose",
            "60 mg for four weeks",
            "She was given rituximab 375 mg/m2 weekly and prednisone 60 mg daily for four weeks.",
            True,
        ),
    ],
)
def test_a_dose_or_time_of_another_treatment_in_the_sentence_is_not_stated(
    name: str, field: str, value: str, sentence: str, stated: bool
) -> None:
    """Reading samples 3 to 6: a time or dose written with another drug of the same sentence
    ("paclitaxel 250 mg/m² on day 1, ifosfamide ...": "on day 1" given to ifosfamide; "BEP:
    bleomycin 30,000 IU": the dose given to BEP) was kept as stated."""
    text = f"A 30-year-old man was admitted. {sentence} He recovered."
    rec = _record(treatments=[_treatment(name=name, **{field: value}, evidence=sentence)])
    grounded = ground(rec, text, unstated="drop")
    kept = getattr(grounded.record.treatments[0], field)
    assert (kept is not None) is stated, grounded.dropped
    assert stated or "'s" in grounded.dropped[0].note


@pytest.mark.parametrize(
    ("target", "kept"),
    [
        ("BCL-2 inhibitor venetoclax 400 mg daily on days 1-14", False),
        ("BCL-2", True),
    ],
)
def test_a_target_that_holds_a_dose_is_not_stated(target: str, kept: bool) -> None:
    """Reading sample 17: venetoclax's target was its whole dosing phrase."""
    sentence = "He received the BCL-2 inhibitor venetoclax 400 mg daily on days 1-14."
    text = f"A 60-year-old man was admitted. {sentence} He recovered."
    rec = _record(treatments=[_treatment(name="venetoclax", target=target, evidence=sentence)])
    grounded = ground(rec, text, unstated="drop")
    assert (grounded.record.treatments[0].target is not None) is kept, grounded.dropped


@pytest.mark.parametrize(
    ("section", "fact", "sentence", "kept"),
    [
        # a treatment given, filed as a test (reading sample 7)
        ("assessments", {"method": "desmopressin"}, "He took desmopressin 0.1 mg daily.", False),
        ("assessments", {"method": "pyrazinamide"}, "He started pyrazinamide.", False),
        ("assessments", {"method": "CVVH"}, "CVVH was started on day 4.", False),
        ("assessments", {"method": "platelets"}, "Platelets were 21 × 10⁹/L.", True),
        ("assessments", {"method": "CPR"}, "CPR was started at once.", False),
        ("treatments", {"name": "HScore"}, "The HScore was 241.", False),
        # a level measured, not the drug given
        ("treatments", {"name": "insulin"}, "Insulin was below 1.0 mU/L.", False),
        ("treatments", {"name": "insulin"}, "Insulin was given at 4 units per hour.", True),
        ("treatments", {"name": "7+3"}, "Induction was with 7+3 in May.", True),
        ("treatments", {"name": "4+3"}, "The Gleason score was 4+3.", False),
        ("treatments", {"name": "intubation"}, "She was not intubated.", False),
        (
            "treatments",
            {"name": "local radiotherapy"},
            "Local radiotherapy of 30 Gy to the scrotum was considered but not given.",
            False,
        ),
        # a test's value filed as a treatment (seventeenth session, a new case report)
        (
            "treatments",
            {"name": "C-reactive protein 96 mg/L"},
            "The C-reactive protein was 96 mg/L.",
            False,
        ),
        ("treatments", {"name": "potassium 20 mmol/h"}, "Potassium 20 mmol/h was infused.", True),
        # a sign filed as a test (seventeenth session, a new case report)
        ("assessments", {"method": "tachypnoeic"}, "He was febrile and tachypnoeic.", False),
        (
            "assessments",
            {"method": "disseminated intravascular coagulation"},
            "He developed disseminated intravascular coagulation.",
            False,
        ),
        (
            "assessments",
            {"method": "coagulation studies"},
            "Coagulation studies were normal.",
            True,
        ),
        # a response, not a test (seventeenth session, a new case report)
        (
            "assessments",
            {"method": "complete metabolic response"},
            "PET/CT showed a complete metabolic response.",
            False,
        ),
        ("assessments", {"method": "stable disease"}, "CT showed stable disease.", False),
        ("assessments", {"method": "PET/CT"}, "PET/CT showed a complete metabolic response.", True),
        (
            "assessments",
            {"method": "response assessment"},
            "A response assessment by PET/CT was done after two cycles.",
            True,
        ),
    ],
)
def test_a_treatment_filed_as_a_test_and_a_level_filed_as_a_treatment(
    section: str, fact: dict[str, Any], sentence: str, kept: bool
) -> None:
    text = f"A 50-year-old man was admitted. {sentence} He recovered."
    item: dict[str, Any] = (
        {"result": None, "time": None, **fact}
        if section == "assessments"
        else _treatment(category="other", **fact)
    )
    rec = _record(**{section: [{**item, "evidence": sentence}]})
    ev = getattr(ground(rec, text).record, section)[0].evidence
    assert (ev.status != "unsupported") is kept, ev.note


@pytest.mark.parametrize(
    ("fact", "field", "sentence", "kept"),
    [
        (
            {"method": "NT-proBNP", "result": "5,840 pg/mL", "time": "12 hours later"},
            "time",
            "Troponin peaked at 688 ng/L 12 hours later; NT-proBNP was 5,840 pg/mL.",
            False,
        ),
        (
            {"method": "troponin", "result": "688 ng/L", "time": "12 hours later"},
            "time",
            "Troponin peaked at 688 ng/L 12 hours later; NT-proBNP was 5,840 pg/mL.",
            True,
        ),
        (
            {"method": "biopsy", "result": "histiocytes", "time": "CT-guided biopsy"},
            "time",
            "A CT-guided biopsy showed histiocytes.",
            False,
        ),
        (
            {"method": "urinalysis", "result": "normal", "time": None},
            "result",
            "The blood count; liver and renal function tests; urinalysis were normal.",
            True,  # a list of tests, one verb
        ),
        (
            {
                "method": "alanine aminotransferase",
                "result": "312 U/L",
                "time": "Three weeks later",
            },
            "time",
            "Three weeks later he reported nausea; alanine aminotransferase was 312 U/L.",
            True,  # the time opens the sentence
        ),
        (
            {"method": "ferritin", "result": "12 mg/L", "time": None},
            "result",
            "CRP was 12 mg/L; ferritin was normal.",
            False,
        ),
        (
            {"method": "troponin", "result": "688 ng/L", "time": None},
            "result",
            "Troponin was 412 ng/L; it peaked at 688 ng/L on day 2.",
            True,  # the same test goes on (a helper's review)
        ),
        (
            {"method": "troponin", "result": "412 ng/L", "time": "at baseline"},
            "time",
            "Troponin was 412 ng/L at baseline.",
            True,
        ),
    ],
)
def test_a_test_s_time_in_another_clause_or_no_time_at_all_is_not_stated(
    fact: dict[str, Any], field: str, sentence: str, kept: bool
) -> None:
    """Reading sample 7: "12 hours later" (the troponin peak's) given to NT-proBNP; "CT-guided
    biopsy" given as a time."""
    text = f"A 50-year-old man was admitted. {sentence} He recovered."
    rec = _record(assessments=[{**fact, "evidence": sentence}])
    grounded = ground(rec, text, unstated="drop")
    assert (getattr(grounded.record.assessments[0], field) is not None) is kept, grounded.dropped


def test_sinus_is_not_the_body_site_of_a_sinus_tachycardia() -> None:
    sentence = "The ECG showed sinus tachycardia with ST-segment elevation."
    text = f"A 50-year-old man was admitted. {sentence} He recovered."
    rec = _record(findings=[_finding("sinus tachycardia", sentence, body_site="sinus")])
    grounded = ground(rec, text, unstated="drop")
    assert grounded.record.findings[0].body_site is None, grounded.dropped
    assert grounded.record.findings[0].evidence.status != "unsupported"


def test_no_check_is_slow_on_long_lists_or_long_words() -> None:
    """A helper's review: a list of "upper limb"s took 2^n steps, a long word in the
    sentence of a dose quadratic ones, a heading line of spaces quadratic ones."""
    import time

    from abstraction.grounding.ground import case_section

    start = time.perf_counter()
    name = ", ".join(["upper limb"] * 40) + " swelling"
    ground(_record(findings=[_finding(name, name)]), f"A woman had {name}.")
    sentence = f"She received rituximab 375 mg/m2 weekly; sequence {'A' * 20000} was noted."
    rec = _record(treatments=[_treatment(dose="375 mg/m2", evidence="rituximab 375 mg/m2")])
    ground(rec, f"A woman was admitted. {sentence}")
    case_section("1" + " " * 20000 + "x")
    assert time.perf_counter() - start < 5


@pytest.mark.parametrize(
    ("section", "name", "sentence", "stated"),
    [
        ("findings", "negative", "A urine toxicology screen was negative.", False),
        ("findings", "unremarkable", "The chest radiograph was unremarkable.", False),
        ("findings", "negative blood cultures", "She had negative blood cultures.", True),
        ("findings", "postural", "There was a postural and action tremor of both hands.", False),
        ("findings", "with no facial", "Cranial nerves were normal, with no facial droop.", False),
        ("findings", "postural tremor", "There was a postural tremor of both hands.", True),
        ("findings", "withdrawal", "She had withdrawal after stopping opioids.", True),
        ("findings", "febrile", "She was febrile and tachycardic.", True),
        ("diagnoses", "no relevant medical history", "She had no relevant medical history.", False),
        ("diagnoses", "renal", "He had renal failure.", False),
        ("diagnoses", "MYC", "FISH showed no MYC rearrangement.", False),
        (
            "diagnoses",
            "MYC",
            "It excluded lymphoma with MYC and BCL2 rearrangements.",
            False,
        ),
        ("diagnoses", "RUNX1", "Sequencing detected RUNX1 mutations.", False),
        ("diagnoses", "HIV", "She was HIV-positive.", True),
        ("diagnoses", "ciclosporin", "She was discharged on ciclosporin.", False),
        ("diagnoses", "ciclosporin toxicity", "She had ciclosporin toxicity.", True),
        ("findings", "elbow extension", "Elbow extension was graded 3/5.", False),
        ("findings", "weak elbow extension", "There was weak elbow extension.", True),
        ("diagnoses", "t(4;14)", "FISH detected t(4;14).", True),
        ("findings", "p63", "The tumour cells expressed p63.", True),
        ("findings", "S100", "Staining for S100 was seen.", True),
        ("findings", "was 3", "Her pain score was 3.", False),
        # a helper's hostile audit (253 crafted cases, verdicts first; out/audit-s15)
        ("findings", "postictal", "He was postictal for an hour.", True),
        ("findings", "nonverbal", "The child was nonverbal at age four.", True),
        ("findings", "mildly elevated", "CRP was mildly elevated.", False),
        ("diagnoses", "no-reflow phenomenon", "A no-reflow phenomenon occurred.", True),
        ("diagnoses", "previously healthy", "She was previously healthy.", False),
        ("diagnoses", "AML", "Marrow showed AML, NPM1-mutated.", True),
        ("diagnoses", "HIV", "Her HIV status was positive.", True),
        ("diagnoses", "AMAN", "It was the AMAN variant of Guillain-Barre syndrome.", True),
        ("diagnoses", "carcinoma", "It was a carcinoma expressing CK7.", True),
        ("diagnoses", "JAK2", "A JAK2 V617F mutation was detected.", False),
        ("diagnoses", "KRAS", "The tumour harboured KRAS G12C.", False),
        # reading samples 11 and 12, and the out-of-sample audit (out/audit-s15b)
        ("diagnoses", "ferritin", "Ferritin was 48,600 µg/L.", False),
        ("findings", "serum creatinine", "Serum creatinine was 168 µmol/L.", False),
        ("findings", "proteinuria", "There was proteinuria of 3 g/day.", True),
        ("findings", "full", "The ankle had a full, painless range of movement.", False),
        ("findings", "weakness", "The hip flexors were weak bilaterally.", True),
        ("findings", "pain on neck flexion", "Neck flexion was painful and restricted.", True),
        ("findings", "with indurated", "The feet were swollen, with indurated, red soles.", False),
        # a helper's review of the session's code (out/review-s15)
        ("diagnoses", "doxorubicin cardiotoxicity", "She had doxorubicin cardiotoxicity.", True),
        ("diagnoses", "amiodarone lung", "It was amiodarone lung.", True),
        ("diagnoses", "uterine inversion", "A uterine inversion occurred.", True),
        ("diagnoses", "extrathyroidal extension", "There was extrathyroidal extension.", True),
        ("findings", "postictal", "She was drowsy and postictal.", True),
        ("findings", "nonverbal", "The child was alert but nonverbal.", True),
        ("findings", "redness", "Red blood cells were transfused.", False),
        ("diagnoses", "no reflow phenomenon", "A no reflow phenomenon occurred.", True),
        ("diagnoses", "CMV", "PCR detected CMV and EBV transcripts.", True),
        ("diagnoses", "+8", "The karyotype showed +8.", True),
        ("findings", "indurated", "The soles were indurated.", True),
        (
            "diagnoses",
            "a myocardial infarction",
            "He came late because his brother had died of a myocardial infarction.",
            False,
        ),
        (
            "diagnoses",
            "pneumonia",
            "She was admitted because she had pneumonia.",
            True,
        ),
        ("diagnoses", "del(17p)", "FISH: t(4;14); del(17p) and t(11;14) were not detected.", False),
        ("diagnoses", "AL amyloidosis", "Biopsy showed AL amyloidosis.", True),
        ("diagnoses", "myeloma", "She had myeloma with a t(4;14) translocation.", True),
        # the sixteenth session's leftovers (seventeenth session), then a helper's audit
        # of the first try (out/audit-s17)
        ("findings", "weakness", "There was a weak reaction to the antibody.", False),
        ("findings", "weakness", "Weak staining for CD20 was seen.", False),
        ("findings", "weakness", "There was weak membranous staining for HER2.", False),
        ("findings", "weakness", "The red cells typed as weak D.", False),
        ("findings", "weakness", "He was given tramadol, a weak opioid.", False),
        ("findings", "soreness", "A sacral pressure sore was dressed.", False),
        ("findings", "soreness", "A sacral sore was dressed daily.", False),
        ("findings", "soreness", "She had mouth sores.", False),
        ("findings", "weakness", "Her left arm was weak.", True),
        ("findings", "weakness", "The left leg was weaker than the right.", True),
        ("findings", "paleness", "She became paler over the next hour.", True),
        ("findings", "weakness", "Her left hand was weak, red and swollen.", True),
        ("findings", "tenderness", "She had a tender, red, swollen knee.", True),
        ("findings", "pain", "He had a painful red eye.", True),
        ("findings", "soreness", "Her fingers were cold, sore and swollen.", True),
        ("findings", "soreness", "She had a sore throat.", True),
        ("findings", "tenderness", "The abdomen was tender.", True),
        ("findings", "focal", "There were focal lesions.", False),
        ("findings", "cyanotic", "A cyanotic infant was brought in.", True),
        ("findings", "icteric", "An icteric man was admitted.", True),
        # a clause cut from the text, not a name (seventeenth session, a new case report)
        ("findings", "was free of symptoms", "At 3 months she was free of symptoms.", False),
        ("findings", "recovered to 55%", "The ejection fraction had recovered to 55%.", False),
        (
            "findings",
            "increased intracranial pressure",
            "He had increased intracranial pressure.",
            True,
        ),
        ("findings", "autopsy was not performed", "An autopsy was not performed.", False),
        # a second audit (out/audit-s17b): "there" of a place
        ("findings", "postictal", "The boy they found there was postictal and drowsy.", True),
        ("findings", "focal", "On CT there was focal thickening.", False),
        # the fourth audit (out/audit-s17d)
        ("findings", "postictal", "The man sitting there was postictal and drowsy.", True),
        # a third audit (out/audit-s17c)
        ("findings", "rose spots", "Rose spots were noted on the upper abdomen.", True),
        ("diagnoses", "WAS gene mutation", "Sequencing found a WAS gene mutation.", True),
        (
            "diagnoses",
            "variceal bleeding",
            "He received secondary prophylaxis for variceal bleeding.",
            True,
        ),
        ("findings", "focal", "There was focal, patchy enhancement.", False),
        ("findings", "developed a rash", "On day 3 she developed a rash.", False),
        (
            "findings",
            "vomiting",
            "She had no signs of neurological disease, such as headache, vomiting or seizures.",
            False,
        ),
        # a name whose words the sentence writes in another order (the sixth audit's lesson)
        ("findings", "chest pain", "She denied pain in her chest.", False),
        ("findings", "leg weakness", "Her legs showed no weakness.", False),
        ("findings", "leg weakness", "Her mother had weakness of the legs.", False),
        ("findings", "chest pain", "She had pain in the chest but no fever.", True),
        ("findings", "leg pain", "She denied fever and reported leg pain.", True),
        ("findings", "leg pain", "She denied fever and reported pain in both legs.", True),
        ("findings", "leg pain", "She denied fever, chills or leg pain.", False),
        ("diagnoses", "type 2 diabetes", "Type 2 diabetes was diagnosed in her father.", False),
        ("diagnoses", "breast cancer", "There was breast cancer in her mother.", False),
        ("diagnoses", "breast cancer", "Breast cancer in her left breast was found.", True),
        (
            "findings",
            "back pain",
            "She had no history of back surgery and presented with pain in the lower back.",
            True,
        ),
        # the sixth audit (out/audit-s17f): lists that are not denied
        (
            "findings",
            "haemoptysis",
            "She had no history of smoking and presented with symptoms including cough and"
            " haemoptysis.",
            True,
        ),
        (
            "findings",
            "abdominal pain",
            "There were no other symptoms such as fever, and abdominal pain resolved.",
            True,
        ),
        (
            "findings",
            "ataxia",
            "There were no focal signs, including normal power, apart from mild ataxia.",
            True,
        ),
        (
            "findings",
            "considered but not given",
            "Radiotherapy was considered but not given.",
            False,
        ),
        ("diagnoses", "varicella", "He had not been vaccinated against varicella.", False),
        ("diagnoses", "varicella", "Unvaccinated, he developed varicella.", True),
        (
            "diagnoses",
            "Pneumocystis pneumonia",
            "He received prophylaxis against Pneumocystis pneumonia.",
            False,
        ),
    ],
)
def test_a_result_a_cut_adjective_a_negation_or_a_gene_is_not_a_finding_or_diagnosis(
    section: str, name: str, sentence: str, stated: bool
) -> None:
    """Reading sample 10: "negative" (a screen's result) and "postural" (of "a postural and
    action tremor") kept as findings; "no relevant medical history" and "MYC" (of "no MYC
    rearrangement") kept as diagnoses."""
    text = f"A 50-year-old woman was admitted. {sentence} She recovered."
    fact: dict[str, Any] = (
        {"name": name, "assertion": "present", "body_site": None}
        if section == "findings"
        else {"name": name, "status": "secondary", "details": None}
    )
    rec = _record(**{section: [{**fact, "evidence": sentence}]})
    ev = getattr(ground(rec, text).record, section)[0].evidence
    assert (ev.status != "unsupported") is stated, ev.note


@pytest.mark.parametrize(
    ("site", "kept"),
    [("shoulder abduction", False), ("ankle dorsiflexion", False), ("left arm", True)],
)
def test_a_movement_is_not_a_body_site(site: str, kept: bool) -> None:
    """Reading sample 10: "shoulder abduction" (a movement graded 3/5) as the site of the
    weakness of the left arm."""
    sentence = "There was weakness of the left arm (grade 3/5 for shoulder abduction)."
    sentence += " Ankle dorsiflexion was 4/5."
    text = f"A 50-year-old man was admitted. {sentence} He recovered."
    rec = _record(findings=[_finding("weakness", sentence, body_site=site)])
    grounded = ground(rec, text, unstated="drop")
    assert (grounded.record.findings[0].body_site is not None) is kept, grounded.dropped


@pytest.mark.parametrize(
    ("field", "value", "stated"),
    [
        ("title", "Pediatric Rare Disease Reports", False),
        ("title", "Relapse after UCBT in a woman with B-ALL", True),
        ("journal", "Rare Disease", False),
        ("journal", "Pediatric Rare Disease Reports", True),
        ("journal", "Journal of Rare Disorders", True),
        ("journal", "Rare Disorders", False),
        # the hostile audit's titles with years and journals of other citation lines
        ("title", "Case 12-2024: A 45-Year-Old Man with Fever", True),
        ("title", "Cureus 15(3): e36123", False),
        ("journal", "Cureus", True),
        ("journal", "Front. Oncol.", True),
        ("journal", "Journal of Medical Case Reports", True),
        ("journal", "Medicine", True),
    ],
)
def test_a_title_from_the_citation_line_or_a_journal_cut_short_is_not_stated(
    field: str, value: str, stated: bool
) -> None:
    """Reading sample 10: the journal's name given as the title ("Pediatric Rare Disease
    Reports 2025; 3(1): 45-51"), and "Myeloma" as the journal of "Clinical Cases in Myeloma
    and Related Disorders, 2024, Vol. 6"."""
    text = (
        "Pediatric Rare Disease Reports 2025; 3(1): 45–51\n"
        "Journal of Rare Disorders · 2023 · Case Report\n"
        "Cureus 15(3): e36123\n"
        "Front. Oncol. 13:1123456. doi: 10.3389/fonc.2023.1123456\n"
        "Smith et al. Journal of Medical Case Reports (2022) 16:45\n"
        "Case 12-2024: A 45-Year-Old Man with Fever\n"
        "Medicine® (2020) 99:10\n\n"
        "Relapse after UCBT in a woman with B-ALL\n\n"
        "Case presentation\n" + BODY
    )
    data = empty_case_report().model_dump()
    data["source"][field] = {"value": value, "evidence": {"quote": value}}
    ev = getattr(ground(CaseReport.model_validate(data), text).record.source, field).evidence
    assert (ev.status != "unsupported") is stated, ev.note


@pytest.mark.parametrize(
    ("title", "stated"),
    [
        ("Extramedullary relapse of B-ALL after CAR-T: a case report (2021)", True),
        (
            "Extramedullary relapse of acute lymphoblastic leukaemia after CAR-T therapy (2021)",
            True,
        ),
        ("Case Reports in Oncology (2022)", False),  # a journal and its year
        ("Clinical Case Reports in Cardiology and Vascular Medicine (2023)", False),
        ("Relapse after CAR-T: a case (2021)", True),  # short, but a colon: a title
    ],
)
def test_a_title_that_ends_with_its_year_is_a_title(title: str, stated: bool) -> None:
    """A known leftover of the fifteenth session: a title line ending "(2021)" was read as
    the journal's citation line, and the title refused."""
    text = f"{title}\n\nCase presentation\n" + BODY
    data = empty_case_report().model_dump()
    data["source"]["title"] = {"value": title, "evidence": {"quote": title}}
    ev = ground(CaseReport.model_validate(data), text).record.source.title.evidence
    assert (ev.status != "unsupported") is stated, ev.note


@pytest.mark.parametrize(
    ("sentence", "stated"),
    [
        ("He came late because his brother had died of a myocardial infarction.", False),
        ("He died of a myocardial infarction because his stent occluded.", True),
        ("His mother had breast cancer, and he died of a myocardial infarction.", True),
    ],
)
def test_another_person_s_cause_of_death_is_not_the_patient_s(sentence: str, stated: bool) -> None:
    """Reading sample 14: "a myocardial infarction" as the patient's cause of death from "his
    brother had died of a myocardial infarction" (the brother named mid-sentence)."""
    text = f"A 63-year-old man presented with chest pain. {sentence}"
    rec = _record(cause_of_death={"value": "a myocardial infarction", "evidence": sentence})
    ev = ground(rec, text).record.outcome.cause_of_death.evidence  # type: ignore[union-attr]
    assert (ev.status != "unsupported") is stated, ev.note


def test_a_complete_time_is_not_cut_short() -> None:
    """A helper's review: the noun-phrase check read "a week after she was discharged" (a
    time the text goes on "from hospital") as cut short; it reads results only."""
    sentence = "CT was repeated a week after she was discharged from hospital."
    text = f"A 50-year-old woman was admitted. {sentence} She recovered."
    fact = {"method": "CT", "result": None, "time": "a week after she was discharged"}
    grounded = ground(_record(assessments=[{**fact, "evidence": sentence}]), text, unstated="drop")
    assert grounded.record.assessments[0].time is not None, grounded.dropped


@pytest.mark.parametrize(
    ("quote", "stated"),
    [
        # a relative's disease filed as the patient's, ruled out (eighteenth session)
        ("His mother had systemic lupus erythematosus.", False),
        ("a family history of systemic lupus erythematosus", False),
        # ruled out for the patient, or named beside a relative's
        ("Systemic lupus erythematosus was ruled out.", True),
        ("Systemic lupus erythematosus was excluded, although his mother had it.", True),
    ],
)
def test_a_ruled_out_diagnosis_said_of_another_person(quote: str, stated: bool) -> None:
    text = f"A 27-year-old man presented with haemoptysis. {quote} He recovered."
    record = empty_case_report()
    record.diagnoses = [
        Diagnosis(
            name="systemic lupus erythematosus",
            status="ruled_out",
            details=None,
            evidence=Evidence(quote=quote),
        )
    ]
    evidence = ground(record, text).record.diagnoses[0].evidence
    assert (evidence.status != "unsupported") is stated, evidence.note


@pytest.mark.parametrize(
    ("name", "assertion", "quote", "stated"),
    [
        # a sign's adjective does not state it (tried in the eighteenth session, withdrawn
        # after a blind audit: "hypotensive drugs", "did not become oliguric")
        ("tachycardia", "present", "He was pale and tachycardic.", False),
        ("hypotension", "present", "He was started on hypotensive drugs.", False),
        # an adjective of the "-ness" list under a negation: the finding said present is refused
        ("weakness", "present", "He was not weak.", False),
        ("weakness", "present", "He was weak.", True),
        # a synonym under a negation (before: passed unread, "it names it in other words")
        ("fever", "present", "He was not febrile.", False),
        ("shortness of breath", "present", "He had no dyspnoea.", False),
        ("fever", "absent", "He was not febrile.", True),
        ("fever", "present", "He was febrile.", True),
        # "not" / "never" before a verb of being or seeming (the fourth audit's "She has never
        # been jaundiced", kept before)
        ("jaundice", "present", "He has never been jaundiced.", False),
        ("fever", "present", "He did not become febrile.", False),
        ("fever", "absent", "He did not become febrile.", True),
    ],
)
def test_a_finding_named_in_other_words_is_read_where_they_stand(
    name: str, assertion: str, quote: str, stated: bool
) -> None:
    evidence = _ground_finding(name, assertion, quote, "presented with haemoptysis")
    assert (evidence.status != "unsupported") is stated, evidence.note


def _ground_finding(name: str, assertion: str, quote: str, complaint: str) -> Evidence:
    """The evidence of a finding quoted from `quote`, in a case text around it."""
    text = f"A 27-year-old man {complaint}. {quote} He recovered."
    record = empty_case_report()
    record.findings = [
        Finding(name=name, assertion=assertion, body_site=None, evidence=Evidence(quote=quote))
    ]
    return ground(record, text).record.findings[0].evidence


@pytest.mark.parametrize(
    ("name", "stated"),
    [
        # a visit, not a treatment (the eighteenth session's reading sample: "admission")
        ("admission", False),
        ("hospitalisation", False),
        ("ICU admission", False),
        ("follow-up", False),
        ("intravenous antibiotics", True),
    ],
)
def test_a_visit_is_not_a_treatment(name: str, stated: bool) -> None:
    quote = "On admission he was given intravenous antibiotics and hospitalisation was prolonged."
    text = f"A 27-year-old man presented with fever. {quote} Follow-up was uneventful."
    record = _record(treatments=[_treatment(name=name, category="other", evidence=quote)])
    evidence = ground(record, text).record.treatments[0].evidence
    assert (evidence.status != "unsupported") is stated, evidence.note


@pytest.mark.parametrize(
    ("name", "assertion", "quote", "stated"),
    [
        # either spelling: the denial is read where the British spelling stands (nineteenth
        # session, the fourth audit's leftovers: "No tachypnoea was present" stated it present)
        ("tachypnea", "present", "No tachypnoea was present.", False),
        ("tachypnea", "present", "He was eupnoeic, without tachypnoea.", False),
        ("tachypnea", "absent", "No tachypnoea was present.", True),
        ("hemoptysis", "present", "There was no haemoptysis.", False),
        ("haemoptysis", "present", "There was no hemoptysis.", False),
        ("hemoptysis", "present", "There was haemoptysis.", True),
        ("tumor", "present", "No tumour was seen.", False),
        # "was not a feature"
        ("weakness", "present", "Weakness was not a feature of his illness.", False),
        ("weakness", "absent", "Weakness was not a feature.", True),
        # an aside between the negation and the name
        ("fever", "present", "She was not, at any stage of the illness, febrile.", False),
        ("fever", "present", "She was not, however, febrile.", False),
        ("fever", "absent", "She was not, however, febrile.", True),
        ("fever", "present", "She was febrile; however, the rash was absent.", True),
        # two people denied together
        ("fever", "present", "Neither the patient nor his wife was febrile.", False),
        # a condition only supposed
        ("fever", "present", "Blood cultures were to be repeated if he became febrile.", False),
        ("fever", "present", "Antibiotics were to be restarted if fever developed.", False),
        # ... but "recurred", "persisted" take it as there (the audit, out/audit-s19)
        ("rash", "present", "Steroids were to be restarted if the rash recurred.", True),
        ("pain", "present", "If the pain persisted, an MRI was planned.", True),
        ("hemoptysis", "present", "Asked whether he had haemoptysis, he reported two.", True),
        # "may be" only right before the name: here it supposes the cause, not the finding
        ("hyponatremia", "present", "The confusion may be due to the hyponatraemia.", True),
        ("tenderness", "present", "There may be tenderness over the spine.", True),
        # "not a feature" of another disease, or only until a time, denies nothing
        ("eosinophilia", "present", "Eosinophilia is not a feature of sarcoidosis.", True),
        ("pain", "present", "Pain was not a complaint until day 3.", True),
        # ... nor one the sentence goes on to say came later (the second audit, out/audit-s19d)
        ("fever", "present", "Fever was not a feature at presentation but developed later.", True),
        ("fever", "present", "Fever was not a feature of his illness until day 5.", True),
        ("fever", "present", "Fever was not a feature of his illness.", False),
        (
            "fever",
            "present",
            "Fever was not a feature of his presentation but of the relapse.",
            True,
        ),
        ("jaundice", "present", "He was not, at that time, jaundiced; it appeared later.", True),
        ("fever", "present", "Neither the patient nor his wife knew that he was febrile.", True),
        ("fever", "present", "If the fever should recur, antibiotics would be restarted.", True),
        # the third audit (out/audit-s19f): "did not develop" denies; "unclear if the X
        # developed" doubts when, not whether
        ("hemodynamic instability", "absent", "Haemodynamic instability did not develop.", True),
        ("fever", "present", "Fever did not develop until day 3.", True),
        # the fourth audit (out/audit-s19h): only at the clause end, and of the name itself
        ("pain", "present", "The pain did not occur at rest but only on exertion.", True),
        ("rash", "present", "The rash did not appear to be vesicular.", True),
        ("hearing loss", "present", "Recovery of the hearing loss did not occur.", True),
        ("thrombosis", "present", "It remains unclear if the thrombosis developed before.", True),
        ("anemia", "present", "She asked if she was anaemic.", False),
        # an aside that limits the denial is not left out
        ("seizure", "present", "He had never, before this episode, had a seizure.", True),
        # British name, American text
        ("tumour", "present", "No tumor was identified on MRI.", False),
        ("jaundice", "present", "The nurses were concerned he might be becoming jaundiced.", False),
        ("rash", "present", "It was unclear if the rash was drug-related.", True),
        ("fever", "present", "He had fever, which may be due to the infection.", True),
        # twentieth session, from the last audits' misses (out/audit-s19i, -s19j): a comma
        # and a conjunction end the clause
        ("fever", "absent", "Fever did not develop, and he was discharged on day 5.", True),
        ("seizures", "absent", "Seizures were not a feature, and he recovered.", True),
        ("fever", "present", "Fever did not develop until day 3, and then it persisted.", True),
        # the aside without commas
        ("fever", "absent", "He did not at any time develop fever.", True),
        ("rash", "absent", "A rash was not at any point documented.", True),
        ("rash", "present", "A rash was not at any point documented.", False),
        # the patient and another denied together
        ("fever", "absent", "Neither the patient nor his wife was febrile.", True),
        ("fever", "absent", "Neither his son nor his wife was febrile.", False),
        # more suppositions
        ("pneumonia", "present", "It was unclear if he had developed pneumonia.", False),
        ("seizure", "present", "If he had had a seizure, he would have been admitted.", False),
        ("pneumonia", "present", "Antibiotics were given in case he developed pneumonia.", False),
        # a germ not grown
        ("Pseudomonas", "present", "Pseudomonas was not isolated.", False),
        ("Pseudomonas", "present", "Pseudomonas was isolated from the sputum.", True),
        # either spelling inside the word check itself
        ("amenorrhea", "present", "She had amenorrhoea for 6 months.", True),
        ("amenorrhoea", "present", "She had amenorrhea for 6 months.", True),
        ("behavioral change", "absent", "No behavioural change was seen.", True),
        ("skin discoloration", "present", "There was skin discolouration.", True),
        ("anemia", "present", "She was anaemic.", False),
        # the last support audit's remaining misses (out/audit-s19j; twentieth session)
        ("rash", "absent", "Rash was not a finding on examination.", True),
        ("proteinuria", "absent", "Proteinuria was not a finding in her case.", True),
        ("hypoglycemia", "absent", "Hypoglycaemia did not develop during the fast.", True),
        ("hypotension", "absent", "Although hypotension did not develop, he was oliguric.", True),
        ("relapse", "absent", "Relapse did not occur during 2 years of follow-up.", True),
        ("fever", "absent", "Fever was never, however, documented.", True),
        ("free air", "absent", "Free air under the diaphragm was not seen.", True),
        ("fever", "absent", "Fever in his brother was not seen.", False),
        ("hepatitis C", "absent", "He was screened for hepatitis C, which was negative.", True),
        ("estrogen receptor", "absent", "Oestrogen receptor staining was negative.", True),
        ("thrombus", "present", "The presence of a thrombus could not be confirmed.", False),
        ("lymphoma", "present", "Lymphoma was the leading differential diagnosis.", False),
        ("tuberculosis", "present", "She was exposed to a colleague with tuberculosis.", False),
        ("measles", "present", "He had been in contact with a child with measles.", False),
        (
            "influenza",
            "present",
            "Her symptoms began after her husband developed influenza.",
            False,
        ),
        ("hypertension", "present", "Hypertension was noted in both of his parents.", False),
        ("Cushing syndrome", "present", "She was suspected to have Cushing syndrome.", False),
        (
            "tumor lysis syndrome",
            "present",
            "Given the risk of tumor lysis syndrome, allopurinol was started.",
            False,
        ),
        (
            "refeeding syndrome",
            "present",
            "He was considered at risk of refeeding syndrome.",
            False,
        ),
        (
            "pancreatitis",
            "present",
            "Pancreatitis was thought to be the most likely diagnosis.",
            False,
        ),
        ("cirrhosis", "present", "He may be developing early cirrhosis.", False),
        ("fever", "present", "She was unsure if she had had a fever.", False),
        (
            "variceal bleeding",
            "present",
            "He received secondary prophylaxis for variceal bleeding.",
            True,
        ),
        ("leukocytosis", "present", "There was marked leucocytosis.", True),
        (
            "paralyzed hemidiaphragm",
            "present",
            "Fluoroscopy showed a paralysed hemidiaphragm.",
            True,
        ),
        (
            "fever",
            "present",
            "Fever was not a feature of his presentation but of the relapse.",
            True,
        ),
        # the twentieth session's support audit (out/audit-s20b): a denial is read in either
        # spelling wherever the word check finds the name in it
        ("leukocytosis", "present", "There was no leucocytosis.", False),
        ("leucocytosis", "present", "Leukocytosis was absent.", False),
        ("paralyzed arm", "present", "The arm was not paralysed.", False),
        ("behavioral change", "present", "No behavioural change was noted.", False),
        # what is denied is the source, not the name
        ("bleeding", "present", "The source of the bleeding was never identified.", True),
        ("bleeding", "absent", "The source of the bleeding was never identified.", False),
        ("bleeding", "absent", "Bleeding was never identified.", True),
        # a condition put first, a risk, a screen
        ("seizures", "present", "Should seizures occur, levetiracetam would be started.", False),
        ("rash", "present", "Had a rash been present, the drug would have been stopped.", False),
        ("bleeding", "present", "In case of bleeding, the drug was to be stopped.", False),
        ("bleeding", "present", "She was at high risk of bleeding.", False),
        ("latent tuberculosis", "present", "She was screened for latent tuberculosis.", False),
        ("hyperkalemia", "present", "He was monitored for signs of hyperkalemia.", False),
        ("seizures", "present", "Seizures occurred twice.", True),
        # the twentieth session's fourth audit (out/audit-s20d)
        ("cardiac murmur", "present", "A cardiac murmur could not be heard.", False),
        ("cardiac murmur", "absent", "A cardiac murmur could not be heard.", True),
        ("intracranial lesion", "absent", "MRI failed to show any intracranial lesion.", True),
        ("intracranial lesion", "present", "MRI failed to show any intracranial lesion.", False),
        ("diarrhea", "absent", "Diarrhoea had not occurred.", True),
        ("fatigue", "present", "She had no complaints other than fatigue.", True),
        ("fatigue", "absent", "She had no complaints other than fatigue.", False),
        ("tremor", "present", "The tremor was not evident at rest, only during movement.", True),
        ("fever", "absent", "Fever was not seen until day 3.", False),
        ("seizure", "present", "He may have had a seizure.", False),
        ("seizures", "present", "Seizures might develop later.", False),
        ("seizures", "present", "He had seizures that could recur.", True),
        ("metastasis", "present", "Metastasis was presumed.", False),
        ("lymphoma", "present", "We could not exclude lymphoma.", False),
        ("lymphoma", "present", "Lymphoma remained on the differential.", False),
        # the twentieth session's last support audit (out/audit-s20f): a denial limited by
        # what came later, with no new subject after "but"
        ("chest pain", "absent", "Chest pain was absent at rest but occurred on exertion.", False),
        ("chest pain", "present", "Chest pain was absent at rest but occurred on exertion.", True),
        ("fever", "absent", "There was no fever on admission but it developed on day 3.", False),
        ("fever", "present", "There was no fever on admission but it developed on day 3.", True),
        ("fever", "absent", "No fever, but cough was present.", True),
        ("fever", "absent", "He had no fever but a cough developed.", True),
        ("gallstones", "present", "Ultrasound did not demonstrate gallstones.", False),
        (
            "myocardial infarction",
            "present",
            "Myocardial infarction having been ruled out, he was discharged.",
            False,
        ),
        (
            "infection",
            "present",
            "Had the infection been recognised earlier, amputation might have been avoided.",
            True,
        ),
        ("anemia", "present", "Anaemia was suspected but not confirmed.", False),
        ("tuberculosis", "present", "Tuberculosis was suspected and confirmed by culture.", True),
        ("lymphoma", "present", "We cannot rule out an early lymphoma.", False),
        # the twentieth session's last support audit (out/audit-s20g)
        ("headache", "present", "Headache, vomiting, and seizures were all absent.", False),
        ("seizures", "absent", "Headache, vomiting, and seizures were all absent.", True),
        ("rigidity", "present", "Tremor was not observed, nor was rigidity.", False),
        ("rigidity", "absent", "Tremor was not observed, nor was rigidity.", True),
        (
            "graft-versus-host disease",
            "absent",
            "Graft-versus-host disease has not developed to date.",
            True,
        ),
        ("heart failure", "present", "At no point did she exhibit signs of heart failure.", False),
        ("oral ulcers", "present", "Negative: rash, arthralgia, oral ulcers.", False),
        ("crackles", "present", "Resp: wheeze +, crackles -.", False),
        ("wheeze", "present", "Resp: wheeze +, crackles -.", True),
        ("fever", "present", "He had fever on days 3 - 5.", True),
        (
            "diabetes insipidus",
            "present",
            "Her sister, unlike the patient, had developed diabetes insipidus.",
            False,
        ),
        ("cough", "present", "Her roommate had a cough.", False),
        # the twentieth session's final support audit (out/audit-s20i)
        ("valvular abnormality", "present", "No valvular abnormalities were identified.", False),
        ("valvular abnormality", "absent", "No valvular abnormalities were identified.", True),
        ("free intraperitoneal air", "absent", "CT showed free intraperitoneal air.", False),
        ("free intraperitoneal air", "present", "CT showed free intraperitoneal air.", True),
        ("malaria", "present", "Malaria rapid diagnostic test was negative.", False),
        ("malaria", "present", "Blood film for malaria parasites was negative.", False),
        ("metastases", "present", "He was not found to have any metastases.", False),
        ("metastases", "absent", "He was not found to have any metastases.", True),
        ("diabetes", "present", "She did not go on to develop diabetes.", False),
        ("diabetes", "absent", "She did not go on to develop diabetes.", True),
        ("tumor lysis syndrome", "present", "Tumor lysis syndrome did not materialize.", False),
        # the twentieth session's last support audit (out/audit-s20k)
        ("chest pain", "absent", "He had no chest pain at rest, only on exertion.", False),
        ("chest pain", "present", "He had no chest pain at rest, only on exertion.", True),
        ("liposarcoma", "present", "Histology showed a lipoma rather than a liposarcoma.", False),
        ("sepsis", "present", "Sepsis was thought unlikely.", False),
        (
            "bowel perforation",
            "present",
            "Had the diagnosis been delayed, bowel perforation might have occurred.",
            False,
        ),
        (
            "acute appendicitis",
            "present",
            "A CT, requested because a colleague suspected malignancy, showed acute appendicitis.",
            True,
        ),
    ],
)
def test_a_denial_or_a_supposition_is_read_in_more_shapes(
    name: str, assertion: str, quote: str, stated: bool
) -> None:
    evidence = _ground_finding(name, assertion, quote, "presented with a cough")
    assert (evidence.status != "unsupported") is stated, evidence.note


@pytest.mark.parametrize(
    ("kind", "name", "quote"),
    [
        # nineteenth session's new case report: a subject and a verb kept as a finding, a
        # stage kept as a diagnosis
        ("finding", "he undergo", "Because of the regurgitation, he underwent valve replacement."),
        ("diagnosis", "stage 3", "He had chronic kidney disease (stage 3)."),
        # the twentieth session's support audit (out/audit-s20b): a subject and a verb, a
        # verb alone, a word for any finding, a place
        ("finding", "patient developed", "The patient developed a rash on the trunk."),
        ("finding", "developed", "He developed a rash."),
        ("finding", "symptoms", "His symptoms resolved."),
        ("finding", "laboratory tests", "Laboratory tests were normal."),
        ("finding", "intensive care unit", "He was admitted to the intensive care unit."),
        # reading sample 22: a specimen
        ("finding", "cerebrospinal fluid", "Cerebrospinal fluid contained 38 white cells/µL."),
        ("finding", "serum", "Antibodies were detected in the CSF and serum."),
        ("diagnosis", "disease", "He died of his disease."),
    ],
)
def test_a_clause_or_a_stage_is_not_a_name(kind: str, name: str, quote: str) -> None:
    text = f"A 72-year-old man was admitted. {quote} He recovered."
    record = empty_case_report()
    if kind == "finding":
        record.findings = [
            Finding(name=name, assertion="present", body_site=None, evidence=Evidence(quote=quote))
        ]
        evidence = ground(record, text).record.findings[0].evidence
    else:
        record.diagnoses = [
            Diagnosis(name=name, status="secondary", details=None, evidence=Evidence(quote=quote))
        ]
        evidence = ground(record, text).record.diagnoses[0].evidence
    assert evidence.status == "unsupported", evidence.note


def test_insulin_like_growth_factor_is_not_insulin_given() -> None:
    # the nineteenth session's reading sample: "insulin" located in "insulin-like growth
    # factor 1 (IGF-1) was low" was kept as a treatment the patient received
    text = (
        "A 60-year-old man was admitted. Serum insulin-like growth factor 1 (IGF-1) was low at "
        "38 µg/L. He was given dextrose."
    )
    for name in ("insulin", "dextrose"):
        record = _record(treatments=[_treatment(name=name, category="other", evidence=name)])
        evidence = ground(record, text).record.treatments[0].evidence
        assert (evidence.status != "unsupported") is (name == "dextrose"), evidence.note


def test_a_time_that_opens_the_next_clause_is_not_this_treatment_s() -> None:
    # the nineteenth session's reading sample: "on day 0" was the cyclophosphamide's time
    text = (
        "A 47-year-old woman was admitted. Lymphodepletion with fludarabine 30 mg/m² and "
        "cyclophosphamide 500 mg/m² was given on days −5 to −3, and on day 0 she received "
        "axicabtagene ciloleucel. She recovered."
    )
    cases = [
        (
            "cyclophosphamide",
            "on day 0",
            "cyclophosphamide 500 mg/m² was given on days −5 to −3, and on day 0",
            False,
        ),
        (
            "axicabtagene ciloleucel",
            "on day 0",
            "on day 0 she received axicabtagene ciloleucel",
            True,
        ),
        (
            "cyclophosphamide",
            "on days −5 to −3",
            "cyclophosphamide 500 mg/m² was given on days −5 to −3",
            True,
        ),
    ]
    for event, time, quote, stated in cases:
        record = empty_case_report()
        record.timeline = [TimelineEvent(event=event, time=time, evidence=Evidence(quote=quote))]
        note = ground(record, text).record.timeline[0].evidence.note or ""
        assert ("opens the next clause" not in note) is stated, note


def test_reading_sample_20_s_refusals() -> None:
    # the nineteenth session's reading sample 20: a body site cut from "below the knees", a
    # karyotype's operator as a test
    quote = (
        "There was loss of vibration sense below the knees, Romberg's sign was positive, and "
        "there was a postural and action tremor of both hands."
    )
    text = f"A 60-year-old man was admitted. {quote} FISH showed del(17p). He recovered."
    record = empty_case_report()
    record.findings = [
        Finding(name=n, assertion="present", body_site=site, evidence=Evidence(quote=quote))
        for n, site in (("loss of vibration sense", "knees"), ("tremor", "hands"))
    ]
    grounded = ground(record, text).record
    assert "below the knees" in (grounded.findings[0].evidence.note or "")
    assert grounded.findings[1].evidence.status != "unsupported"
    test = empty_case_report()
    test.assessments = [
        Assessment(method="del", result=None, time=None, evidence=Evidence(quote="del(17p)"))
    ]
    evidence = ground(test, text).record.assessments[0].evidence
    assert evidence.status == "unsupported" and "karyotype" in (evidence.note or "")


def test_a_patient_s_event_quoted_from_the_discussion_is_read_in_the_case() -> None:
    # reading samples 19 and 20: case01's "relapse" was quoted from the discussion's general
    # sentence; the case account states it
    text = (
        "Case presentation\nA 45-year-old man had AML. Six months after transplant, marrow "
        "blasts rose, consistent with haematological relapse. He received azacitidine.\n\n"
        "Discussion\nRelapse after allogeneic transplantation is treated with hypomethylating "
        "agents, as in our patient.\n"
    )
    general = "Relapse after allogeneic transplantation is treated with hypomethylating agents"
    record = empty_case_report()
    record.disease_events = [
        DiseaseEvent(
            event="relapse", type=None, body_sites=[], time=None, evidence=Evidence(quote=general)
        )
    ]
    evidence = ground(record, text, relocate=True).record.disease_events[0].evidence
    assert evidence.quote.startswith("Six months after transplant"), evidence
    assert "quoted the discussion" in (evidence.note or "")


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        # reading samples 22 and 23: the seed's "biopsy" was located in the sentence that
        # draws the case's lesson, a general statement (the seed has no discussion heading)
        (
            "A 45-year-old woman presented with a mass. PET/CT showed uptake in the breast. "
            "This case highlights that regular biopsy of the mass is not sufficient.",
            False,
        ),
        (
            "A 45-year-old woman presented with a mass. A biopsy of the mass showed lymphoma. "
            "This case highlights that a biopsy is needed.",
            True,
        ),
    ],
)
def test_the_case_s_lesson_is_not_the_patient_s_account(text: str, kept: bool) -> None:
    record = empty_case_report()
    record.assessments = [
        Assessment(method="biopsy", result=None, time=None, evidence=Evidence(quote="biopsy"))
    ]
    evidence = ground(record, text).record.assessments[0].evidence
    assert (evidence.status != "unsupported") is kept, evidence.note


@pytest.mark.parametrize(
    ("name", "assertion", "quote", "stated"),
    [
        # the twentieth session's last audit's leftovers (out/audit-s20m): fillers in the gap
        ("diabetes", "present", "He had no significant past medical history of diabetes.", False),
        ("diabetes", "absent", "He had no significant past medical history of diabetes.", True),
        # an exception before a denial: the excepted finding was there
        ("fever", "present", "Except for fever, review of systems was negative.", True),
        ("fever", "absent", "Except for fever, review of systems was negative.", False),
        ("fatigue", "present", "Apart from fatigue, she was well and denied all symptoms.", True),
        # a table's negatives
        ("diabetes", "present", "Past history: diabetes (-), hypertension (+).", False),
        ("diabetes", "absent", "Past history: diabetes (-), hypertension (+).", True),
        ("hypertension", "present", "Past history: diabetes (-), hypertension (+).", True),
        ("hypertension", "absent", "Past history: diabetes (-), hypertension (+).", False),
        ("cough", "present", "Review of systems: cough, no; fever, yes.", False),
        ("cough", "present", "He had cough, no fever and a rash.", True),
        ("crackles", "absent", "On examination: crackles -, wheeze -.", True),
        ("tuberculosis", "present", "Tuberculosis ruled out; sarcoidosis was treated.", False),
        # "not having"
        ("vomiting", "present", "He reported not having any fever or vomiting.", False),
        # suppositions and purposes
        ("pulmonary embolism", "present", "A pulmonary embolism was feared, so a CT was done.",
         False),
        ("sepsis", "present", "Sepsis seemed unlikely.", False),
        ("lymphoma", "present", "Lymphoma was high in the differential.", False),
        ("metastasis", "present", "The lesion may represent a metastasis.", False),
        ("endocarditis", "present", "Blood cultures were drawn to look for endocarditis.", False),
        ("thrombosis", "present", "Heparin was given to prevent thrombosis.", False),
        ("thrombosis", "present", "Heparin was given to prevent recurrence of thrombosis.", True),
        # a sign's word inside a disease's name
        ("fever", "present", "He had a history of rheumatic fever.", False),
        ("rheumatic fever", "present", "He had a history of rheumatic fever.", True),
        ("fever", "present", "He had febrile seizures as a child.", False),
        ("fever", "present", "He had febrile neutropenia.", True),
        ("fever", "present", "He had rheumatic fever as a child and now a fever.", True),
        ("cough", "present", "He had whooping cough.", False),
        # the twenty-first session's support audit (out/audit-s21b)
        ("hypertension", "present", "She had pulmonary hypertension due to scleroderma.", False),
        ("hypertension", "present", "She had hypertension and pulmonary hypertension.", True),
        ("diabetes", "present", "She had central diabetes insipidus.", False),
        ("fever", "present", "He had fever blisters on his lip.", False),
        ("cough", "present", "The cough reflex was intact.", False),
        ("Romberg sign", "present", "The patient had a negative Romberg sign.", False),
        ("Romberg sign", "absent", "The patient had a negative Romberg sign.", True),
        ("T waves", "present", "The ECG showed negative T waves.", True),
        ("murmur", "present", "Murmur — absent; rub — present.", False),
        ("murmur", "absent", "Murmur — absent; rub — present.", True),
        ("rub", "present", "Murmur — absent; rub — present.", True),
        # reading sample 25: a word of texture alone, cut from its noun
        ("hard", "present", "On examination a hard, non-tender mass replaced the testis.", False),
        # the last support audit (out/audit-s21h): a finding named with "of" inside a list
        ("vomiting", "present", "He denied chest pain, shortness of breath, nausea and vomiting.",
         False),
        ("vomiting", "absent", "He denied chest pain, shortness of breath, nausea and vomiting.",
         True),
        ("fever", "present", "She had no cause for fever found.", True),
        # the second support audit (out/audit-s21e)
        ("fever", "present", "Fever — denied; cough — present.", False),
        ("fever", "absent", "Fever — denied; cough — present.", True),
        ("vomiting", "present", "Vomiting nil.", False),
        ("vomiting", "absent", "Vomiting nil.", True),
    ],
)  # fmt: skip
def test_the_last_support_audit_s_leftovers(
    name: str, assertion: str, quote: str, stated: bool
) -> None:
    evidence = _ground_finding(name, assertion, quote, "presented with a cough")
    assert (evidence.status != "unsupported") is stated, evidence.note
