from abstraction.core.schema import CaseReport, empty_case_report
from abstraction.grounding import Aligner, boilerplate_spans, ground_record, strip_boilerplate
from abstraction.grounding.align import MIN_FUZZY_CHARS

TEXT = (
    "Case presentation\n"
    "A 45-year-old woman received interferon-α  for two weeks.\n"
    "She relapsed at the 6th month after UCBT. She relapsed at the 6th month after UCBT.\n"
)


def test_verbatim_quote_gets_exact_offsets():
    a = Aligner(TEXT).align("received interferon-α")
    assert a is not None and a.method == "verbatim"
    assert TEXT[a.start : a.end] == "received interferon-α"


def test_offsets_count_non_ascii_characters_as_one():
    a = Aligner(TEXT).align("for two weeks")
    # "α" is one code point: Python indices, not UTF-8 bytes.
    assert a.start == TEXT.index("for two weeks")
    assert len("α".encode()) == 2 and TEXT[a.start : a.end] == "for two weeks"


def test_case_and_whitespace_normalised_match_maps_back_to_the_source():
    a = Aligner(TEXT).align("INTERFERON-α FOR TWO WEEKS")
    assert a is not None and a.method == "normalized"
    assert TEXT[a.start : a.end] == "interferon-α  for two weeks"  # two spaces in the source


def test_unicode_dash_and_quote_variants_normalise():
    text = "treated with interferon\u2013alpha \u201cdaily\u201d"
    a = Aligner(text).align('interferon-alpha "daily"')
    assert a is not None and a.method == "normalized" and (a.start, a.end) == (13, len(text))


def test_paraphrased_quote_is_fuzzy_with_similarity():
    a = Aligner(TEXT).align("woman received interferon alpha for two weeks")
    assert a is not None and a.method == "fuzzy" and 85 <= a.similarity < 100
    assert "interferon" in TEXT[a.start : a.end]


def test_quote_absent_from_the_text_is_not_aligned():
    assert Aligner(TEXT).align("allogeneic hematopoietic stem cell transplantation") is None
    assert Aligner(TEXT).align("") is None
    assert len("CD19") < MIN_FUZZY_CHARS and Aligner(TEXT).align("CD19") is None


def test_repeated_quote_takes_the_first_and_counts_occurrences():
    a = Aligner(TEXT).align("She relapsed at the 6th month after UCBT.")
    assert a.occurrences == 2 and a.start == TEXT.index("She relapsed")


SEED_HEADER = "Copyright: © 2025 Li. This is an open-access article distributed under CC BY.\n"


def _record(**patient) -> CaseReport:
    data = empty_case_report().model_dump()
    data["patient"].update(patient)
    return CaseReport.model_validate(data)


def test_boilerplate_lines_are_found_and_stripped(seed_text):
    spans = boilerplate_spans(seed_text)
    found = [seed_text[s.start : s.end] for s in spans]
    assert any(f.startswith("Copyright:") for f in found)
    assert any(f.startswith("Disclaimer:") for f in found)
    assert any(f.startswith("Your new experience awaits") for f in found)
    stripped = strip_boilerplate(seed_text)
    assert "Disclaimer" not in stripped and "she relapsed at the 6th month after UCBT" in stripped


def test_patient_fact_quoted_from_boilerplate_is_unsupported():
    text = SEED_HEADER + "The patient, a 45-year-old woman, had B-ALL.\n"
    rec = _record(sex={"value": "female", "evidence": "open-access article"})
    grounded, summary = ground_record(rec, text)
    ev = grounded.patient.sex.evidence
    assert ev.status == "unsupported" and "boilerplate" in ev.note
    assert ev.start == text.index("open-access article")  # offsets kept for the reviewer
    assert summary.unsupported == 1 and summary.facts == 1


def test_grounding_copies_unless_told_the_record_is_the_callers_own():
    text = "The patient, a 45-year-old woman, had B-ALL."
    rec = _record(age={"value": 45, "unit": "years", "evidence": "a 45-year-old woman"})
    copied, _ = ground_record(rec, text)
    assert copied is not rec and rec.patient.age.evidence.status is None
    assert copied.patient.age.evidence.status == "exact"
    same, summary = ground_record(rec, text, in_place=True)
    assert same is rec and rec.patient.age.evidence.status == "exact"
    assert same == copied and summary.exact == 1


def test_age_must_be_stated_in_its_quote():
    text = "The patient, a 45-year-old woman, had B-ALL."
    ok, _ = ground_record(
        _record(age={"value": 45, "unit": "years", "evidence": "a 45-year-old woman"}), text
    )
    assert ok.patient.age.evidence.status == "exact"
    bad, s = ground_record(
        _record(age={"value": 54, "unit": "years", "evidence": "a 45-year-old woman"}), text
    )
    assert (
        bad.patient.age.evidence.status == "unsupported" and "54" in bad.patient.age.evidence.note
    )
    assert s.unsupported == 1


def test_target_not_named_in_the_text_is_unsupported(seed_text):
    data = empty_case_report().model_dump()
    data["treatments"] = [
        {
            "name": "CAR-T cell therapy",
            "category": "cellular_therapy",
            "target": t,
            "donor_type": None,
            "graft_source": None,
            "dose": None,
            "duration": None,
            "intent": None,
            "time": None,
            "evidence": "After treatment with CAR-T cell therapy",
        }
        for t in ("CD19", None)
    ]
    grounded, summary = ground_record(CaseReport.model_validate(data), seed_text)
    assert grounded.treatments[0].evidence.status == "unsupported"
    assert "CD19" in grounded.treatments[0].evidence.note
    assert grounded.treatments[1].evidence.status == "exact"
    assert (summary.exact, summary.unsupported) == (1, 1)


def test_unsupported_facts_stay_in_the_record():
    rec = _record(sex={"value": "male", "evidence": "he was a carpenter"})
    grounded, _ = ground_record(rec, "She was a teacher.")
    assert grounded.patient.sex is not None and grounded.patient.sex.value == "male"
    assert grounded.patient.sex.evidence.status == "unsupported"


def test_repeated_patient_quote_prefers_running_text_over_the_title():
    title = "A 14-month-old girl with HLH\n"
    body = "Case: " + "x" * 150 + " A 14-month-old girl was admitted with fever.\n"
    text = title + body
    grounded, _ = ground_record(
        _record(age={"value": 14, "unit": "months", "evidence": "14-month-old"}), text
    )
    ev = grounded.patient.age.evidence
    assert ev.start == text.index("14-month-old", len(title)) and ev.status == "exact"
    assert "2 times" in ev.note


def test_grounding_does_not_mutate_the_input():
    rec = _record(sex={"value": "female", "evidence": "She"})
    ground_record(rec, "She was a teacher.")
    assert rec.patient.sex.evidence.start is None


def test_a_quote_is_never_found_inside_a_longer_word() -> None:
    from abstraction.grounding import Aligner

    text = "Improve the management. The man was seen."
    hit = Aligner(text).align("man")
    assert hit is not None and text[hit.start : hit.end] == "man" and hit.start == 28
    assert Aligner("Improve the management.").align("man") is None
    assert Aligner("a 19-year-old man").align("19-year").start == 2, "a hyphen ends a word"


def test_names_run_together_in_extracted_text_still_align() -> None:
    from abstraction.grounding import Aligner

    text = "Huibo  LiHuibo Li1Jie  LiuJie Liu1"
    hit = Aligner(text).align("Huibo  Li")
    assert hit is not None and hit.start == 0
    assert Aligner(text).align("Jie Liu").start == 26, "a footnote digit ends a name"
