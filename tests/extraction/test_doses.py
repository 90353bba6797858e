"""The dose rules (`doses_from_words`, `same_treatment_once`): doses read from the words right
after a treatment's name, never from another drug's words or a laboratory value; one mention
listed twice kept once, the same drug given twice kept twice; what the model said kept in
``dropped``; the quote states the dose after grounding."""

from __future__ import annotations

import pytest

from abstraction.core.schema import Treatment, empty_case_report
from abstraction.extraction.rules import apply_rules
from abstraction.grounding import ground
from tests.extraction.rule_cases import case, treatment

_case, _t = case, treatment


def _doses(
    text: str, *treatments: Treatment, rule: str = "doses_from_words"
) -> list[tuple[str, str | None]]:
    record = empty_case_report()
    record.treatments = list(treatments)
    apply_rules(record, (rule,), text)
    return [(t.name, t.dose) for t in record.treatments]


@pytest.mark.parametrize(
    ("sentence", "name", "dose"),
    [
        ("Filgrastim 5 µg/kg/day was given for neutropenia.", "Filgrastim", "5 µg/kg/day"),
        ("She received aspirin (ASA) 300 mg at once.", "aspirin", "300 mg"),
        ("Lenalidomide maintenance, 10 mg daily, was started.", "Lenalidomide maintenance",
         "10 mg daily"),
        ("He then had denosumab 120 mg subcutaneously every 4 weeks.", "denosumab",
         "120 mg subcutaneously every 4 weeks"),
        ("Venetoclax 400 mg daily on days 1–14 of each 28-day cycle was added.", "Venetoclax",
         "400 mg daily on days 1–14 of each 28-day cycle"),
        ("Radiotherapy 20 Gy in 5 fractions was given to L3.", "Radiotherapy",
         "20 Gy in 5 fractions"),
        ("She took metoprolol 23.75\u200amg daily.", "metoprolol", "23.75\u200amg daily"),
        ("Ribavirin 400 mg q 12 h was started.", "Ribavirin", "400 mg q 12 h"),
        ("Heparin 5,000 IU was given.", "Heparin", "5,000 IU"),
        # after a comma, with how long after it; in brackets; per month
        ("It was changed to intravenous acyclovir, 10 mg/kg every 8 h for 14 days, and "
         "steroids were stopped.", "intravenous acyclovir", "10 mg/kg every 8 h"),
        ("She went on with erlotinib (150 mg daily) alone.", "erlotinib", "150 mg daily"),
        ("She was given abatacept 10 mg/kg/month IV.", "abatacept", "10 mg/kg/month IV"),
        # right before the name, "of" perhaps between
        ("We began IL-1 blockade (2 mg/kg/month of canakinumab).", "canakinumab",
         "2 mg/kg/month"),
        ("She received 500 mg of amoxicillin three times daily.", "amoxicillin", "500 mg"),
        ("She resumed treatment with 1500 mg weekly erlotinib.", "erlotinib", "1500 mg weekly"),
        ("2 units of packed red cells were given at once.", "packed red cells",
         "2 units"),
        ("He was treated with 5 mg/kg intravenous infliximab.", "infliximab", "5 mg/kg"),
        # the first dose audit's misses (out/audit-s21a): a verb of giving between the name
        # and the dose (until the twenty-first session words between were never read),
        # brackets with an abbreviation or a length, more routes, frequencies and amounts
        ("Vemurafenib was started at 960 mg twice daily.", "Vemurafenib", "960 mg twice daily"),
        ("Clozapine was titrated to 300 mg daily.", "Clozapine", "300 mg daily"),
        ("External beam radiotherapy of 45 Gy in 25 fractions was delivered.",
         "External beam radiotherapy", "45 Gy in 25 fractions"),
        ("Busulfan (Bu, 3.2 mg/kg/day) was given.", "Busulfan", "3.2 mg/kg/day"),
        ("Rituximab (375 mg/m2 weekly for four weeks) was given.", "Rituximab",
         "375 mg/m2 weekly"),
        ("He received 4 units of fresh frozen plasma before surgery.", "fresh frozen plasma",
         "4 units"),
        ("Rocuronium 0.6 mg/kg facilitated intubation.", "Rocuronium", "0.6 mg/kg"),
        ("Sacubitril-valsartan 49/51 mg twice daily was started.", "Sacubitril-valsartan",
         "49/51 mg twice daily"),
        ("Salbutamol 5 mg nebulised every 20 minutes was given.", "Salbutamol",
         "5 mg nebulised every 20 minutes"),
        ("Lithium was restarted at 400 mg at night.", "Lithium", "400 mg at night"),
        # the last dose audit's misses (out/audit-s21j): a trough told later in the sentence,
        # "at a dose of", an infusion's rate, "The dose of X was", a fixed combination's
        # slashed dose, units counted in words
        ("Vancomycin 1 g every 12 h was given, with a trough of 8 mg/L.", "Vancomycin",
         "1 g every 12 h"),
        ("Methotrexate was given at a dose of 15 mg weekly.", "Methotrexate", "15 mg weekly"),
        ("A nicardipine infusion at 5 mg/h was started.", "nicardipine", "5 mg/h"),
        ("The dose of methotrexate was 15 mg weekly.", "methotrexate", "15 mg weekly"),
        ("Sacubitril/valsartan 49/51 mg twice daily was started.", "Sacubitril/valsartan",
         "49/51 mg twice daily"),
        ("She received two units of packed red cells.", "packed red cells", "two units"),
        # another person in an earlier clause, a cap in brackets
        ("Her sister had responded to imatinib; she received dasatinib 100 mg daily.",
         "dasatinib", "100 mg daily"),
        ("Vincristine 1.5 mg/m2 (maximum 2 mg) was given weekly.", "Vincristine", "1.5 mg/m2"),
        ("Benzathine penicillin G 2.4 million units was given.", "Benzathine penicillin G",
         "2.4 million units"),
    ],
)  # fmt: skip
def test_a_dose_written_right_after_the_name(sentence: str, name: str, dose: str) -> None:
    assert _doses(_case(sentence), _t(name)) == [(name, dose)]


@pytest.mark.parametrize(
    ("sentence", "name"),
    [
        # another drug's dose, later in the sentence
        ("Dexamethasone and cyclophosphamide 500 mg/m² were given.", "Dexamethasone"),
        # a laboratory value is not a dose
        ("After transfusion 6.8 g/dL was reached.", "transfusion"),
        ("Transfusion levels of 6.8 g/dL were reached.", "Transfusion"),
        # a cell count is not written as a dose unit here
        ("Ciltacabtagene autoleucel 0.71 × 10⁶ cells/kg followed.", "Ciltacabtagene autoleucel"),
        # words between the name and the number that change the dose, or no amount
        ("Prednisone was reduced to 5 mg daily.", "Prednisone"),
        ("Tacrolimus was started at a trough of 8 ng/mL.", "Tacrolimus"),
        ("Blood pressure was 120/80 mmHg on amlodipine.", "amlodipine"),
        # laboratory values, drug levels and concentrations (an audit's attacks)
        ("Potassium 3.1 mmol/L was low.", "Potassium"),
        ("Tacrolimus 12 ng/mL trough level was high.", "Tacrolimus"),
        ("Vancomycin 25 mg/L was measured.", "Vancomycin"),
        ("Epinephrine 1 mg/mL 0.3 mL was injected.", "Epinephrine"),
        ("Heparin 0.5 U/mL anti-Xa was reached.", "Heparin"),
        # a dose that would be cut short
        ("Cyclophosphamide 50 mg kg-1 was given.", "Cyclophosphamide"),
        ("Prednisone 1 mg to 2 mg/kg daily was given.", "Prednisone"),
        # another drug's dose, after a comma, a parenthesis or in a longer name
        ("After rituximab, 2 g of methylprednisolone was given.", "rituximab"),
        ("Following IVIG, 1 g methylprednisolone was given.", "IVIG"),
        ("R-CHOP (rituximab) 375 mg/m² was given.", "R-CHOP"),
        ("R-CHOP 375 mg/m² rituximab was given.", "R-CHOP"),
        ("She had R-CHOP 375 mg/m² and later CHOP alone.", "CHOP"),
        # not given to this patient: negated, planned, usual
        ("Aspirin 300 mg was not given.", "Aspirin"),
        ("Imatinib 400 mg daily was planned.", "Imatinib"),
        # a combination's name: the dose after it is its last drug's
        ("Rituximab and bendamustine 90 mg/m² were given.", "Rituximab and bendamustine"),
        # a second audit's attacks: units written with a point, totals, refusals, levels
        ("Ketamine 1 mg.kg-1 was given intravenously.", "Ketamine"),
        ("Vancomycin 25 mg.L-1 was found.", "Vancomycin"),
        ("Methylprednisolone 3 g in total was given.", "Methylprednisolone"),
        ("She refused methotrexate 15 mg weekly.", "methotrexate"),
        ("Alteplase 0.9 mg/kg was contraindicated.", "Alteplase"),
        ("She received dexamethasone instead of prednisone 60 mg daily.", "prednisone"),
        ("Potassium 2.8 mmol was noted on admission.", "Potassium"),
        # a dose before the name that is another drug's, refused, usual or a total
        ("She received cyclophosphamide 750 mg/m2 doxorubicin.", "doxorubicin"),
        ("She was not given 500 mg of amoxicillin.", "amoxicillin"),
        ("A cumulative dose of 450 mg/m2 of doxorubicin was reached.", "doxorubicin"),
        ("Patients usually receive 500 mg of amoxicillin.", "amoxicillin"),
        ("A serum level of 20 mg/L of vancomycin was found.", "vancomycin"),
        # a limit, a dose withheld, another person's (the second dose audit, out/audit-s21d)
        ("A maximum dose of 3 mg/kg of lidocaine was allowed.", "lidocaine"),
        ("Heparin 5000 units was withheld because of the bleeding.", "Heparin"),
        ("Her twin brother had received 2 units of packed red cells.", "packed red cells"),
        ("Her sister had responded to eculizumab 900 mg weekly.", "eculizumab"),
        # the last dose audit (out/audit-s21j): typical, deferred, unavailable, her newborn's
        ("A dose of 1.5 mg/kg of lidocaine is typical for this block.", "lidocaine"),
        ("Apixaban 5 mg twice daily was deferred until after surgery.", "Apixaban"),
        ("Tocilizumab 8 mg/kg was requested but was unavailable.", "Tocilizumab"),
        ("Her newborn received nevirapine 2 mg/kg.", "nevirapine"),
        # a regimen's two drugs before one dose; a level told right after the dose
        ("Fludarabine/cyclophosphamide 30 mg/m2 was given.", "Fludarabine/cyclophosphamide"),
        ("The cumulative dose of doxorubicin was 450 mg/m2.", "doxorubicin"),
        ("Clozapine plasma level was 600 ng/mL at a dose of 400 mg daily.", "Clozapine"),
        # a device's volume (the third dose audit, out/audit-s21g)
        ("An intra-aortic balloon pump (40 mL) was inserted.", "intra-aortic balloon pump"),
        # a dose in brackets that is not one alone
        ("She took erlotinib (150 mg daily in other trials) alone.", "erlotinib"),
    ],
)
def test_no_dose_from_other_words(sentence: str, name: str) -> None:
    assert _doses(_case(sentence), _t(name)) == [(name, None)]


def test_a_bare_name_written_twice_gets_no_dose() -> None:
    text = _case(
        "Patients with this disease receive methotrexate 15 mg weekly. Our patient received "
        "methotrexate."
    )
    assert _doses(text, _t("methotrexate")) == [("methotrexate", None)]
    text = _case("Dexamethasone 20 mg was given. At relapse, dexamethasone 40 mg weekly followed.")
    assert _doses(text, _t("dexamethasone")) == [("dexamethasone", None)]


def test_no_dose_from_the_literature_or_an_earlier_course() -> None:
    text = _case(
        "Rituximab 375 mg/m2 weekly induces responses in refractory ITP [3]. We report a woman "
        "with ITP who responded to rituximab."
    )
    assert _doses(text, _t("rituximab")) == [("rituximab", None)]
    text = _case(
        "In 2010 she was given prednisone 60 mg daily for a flare. In 2015 prednisone was "
        "restarted."
    )
    assert _doses(text, _t("prednisone", time="2015")) == [("prednisone", None)]


def test_a_dose_after_a_comma_leaves_the_name() -> None:
    text = _case(
        "It was changed to intravenous acyclovir, 10 mg/kg every 8 h for 14 days, and steroids "
        "were stopped."
    )
    name = "intravenous acyclovir, 10 mg/kg every 8 h for 14 days"
    assert _doses(text, _t(name, quote=name)) == [("intravenous acyclovir", "10 mg/kg every 8 h")]


def test_a_days_list_stops_before_the_next_amount() -> None:
    text = _case("Vincristine 1.4 mg/m² on day 1 and 8 mg of dexamethasone were given.")
    assert _doses(text, _t("Vincristine")) == [("Vincristine", "1.4 mg/m² on day 1")]


def test_a_completed_dose_keeps_the_models_in_dropped() -> None:
    text = _case("Azacitidine 75 mg/m² on days 1–7 was given.")
    record = empty_case_report()
    record.treatments = [_t("Azacitidine", dose="75 mg/m²")]
    dropped = apply_rules(record, ("doses_from_words",), text)
    assert record.treatments[0].dose == "75 mg/m² on days 1–7"
    assert [(d.path, d.fact["dose"]) for d in dropped] == [("treatments[0].dose", "75 mg/m²")]


def test_a_dose_is_completed_only_from_its_own_words() -> None:
    text = _case("Azacitidine 75 mg/m² on days 1–7 and venetoclax 400 mg were given.")
    got = _doses(text, _t("Azacitidine", dose="75 mg/m²"), _t("venetoclax", dose="40 mg"))
    # the model's "40 mg" is not the start of what the text writes: it stays as the model
    # gave it (grounding then finds it unstated)
    assert got == [("Azacitidine", "75 mg/m² on days 1–7"), ("venetoclax", "40 mg")]


def test_the_quote_of_the_treatment_decides_which_mention() -> None:
    text = _case(
        "Induction included dexamethasone 20 mg on days 1, 2, 4 and 5. At relapse, "
        "dexamethasone 40 mg weekly was given with daratumumab."
    )
    first = _t("dexamethasone", quote="Induction included dexamethasone")
    second = _t("dexamethasone", quote="At relapse, dexamethasone 40 mg weekly was given")
    assert _doses(text, first, second) == [
        ("dexamethasone", "20 mg on days 1, 2, 4 and 5"),
        ("dexamethasone", "40 mg weekly"),
    ]


def test_a_dose_in_the_name_leaves_it_and_the_name_is_kept_in_dropped() -> None:
    text = _case("She was given oral acyclovir 800 mg 5 times daily for 14 days.")
    record = empty_case_report()
    record.treatments = [_t("oral acyclovir 800 mg 5 times daily for 14 days")]
    dropped = apply_rules(record, ("doses_from_words", "duration_from_words"), text)
    t = record.treatments[0]
    assert (t.name, t.dose, t.duration) == ("oral acyclovir", "800 mg 5 times daily", "14 days")
    assert [(d.path, d.fact["name"]) for d in dropped] == [
        ("treatments[0].name", "oral acyclovir 800 mg 5 times daily for 14 days")
    ]


@pytest.mark.parametrize(
    "name",
    [
        "oral 800 mg acyclovir",  # the drug after the dose
        "High-dose 3 g/m² methotrexate",
        "hydrocortisone 100 mg and fludrocortisone",  # a second drug after it
        "fludarabine and cyclophosphamide 500 mg/m²",  # whose dose?
        "oral prednisone 60 mg daily for 7 days followed by 20 mg",  # two doses
        "gabapentin up to 3600 mg daily",  # a limit, not a dose
        "methotrexate at a dose of 15 mg weekly",
        "vitamin D 50 000 IU",  # a thousands space: not "000 IU"
    ],
)
def test_a_name_is_cut_only_when_it_ends_with_one_drugs_dose(name: str) -> None:
    text = _case(f"She was given {name} that week.")
    assert _doses(text, _t(name)) == [(name, None)]


def test_a_name_that_is_only_a_dose_is_not_cut() -> None:
    text = _case("Then 2 g/kg was infused.")
    assert _doses(text, _t("2 g/kg")) == [("2 g/kg", None)]


@pytest.mark.parametrize(
    ("sentence", "name", "rule", "dose"),
    [
        ("On day 7, filgrastim 5 µg/kg/day was given for neutropenia.", "filgrastim",
         "doses_from_words", "5 µg/kg/day"),
        ("On day 7 she was given 2 mg/kg/month of canakinumab for uveitis.", "canakinumab",
         "doses_from_words", "2 mg/kg/month"),
        ("On day 7 she was given erlotinib (150 mg daily) for the relapse.", "erlotinib",
         "doses_from_words", "150 mg daily"),
        ("On day 7 vancomycin was started at 15 mg/kg every 12 hours.", "vancomycin",
         "doses_from_words", "15 mg/kg every 12 hours"),
        # v54 (`dose_words`): the quote is widened to take the dose word in
        ("On day 2 she was treated with high-dose furosemide and fluids.", "furosemide",
         "dose_words", "high-dose"),
    ],
)  # fmt: skip
def test_grounding_finds_the_dose_stated_by_the_new_quote(
    sentence: str, name: str, rule: str, dose: str
) -> None:
    text = _case(sentence)
    record = empty_case_report()
    record.treatments = [_t(name)]
    apply_rules(record, (rule,), text)
    grounded = ground(record, text, unstated="drop")
    t = grounded.record.treatments[0]
    assert t.dose == dose
    assert t.evidence.status == "exact", t.evidence
    assert dose in t.evidence.quote
    assert grounded.dropped == []


def _once(text: str, *treatments: Treatment) -> tuple[list[tuple[str, str | None]], list[str]]:
    record = empty_case_report()
    record.treatments = list(treatments)
    dropped = apply_rules(record, ("same_treatment_once",), text)
    return [(t.name, t.dose or t.duration) for t in record.treatments], [d.path for d in dropped]


def test_one_mention_listed_twice_is_kept_once_with_more_attributes() -> None:
    text = _case("Bridging therapy was one cycle of carfilzomib. Aspirin was given.")
    bridging = "Bridging therapy was one cycle of carfilzomib"
    got = _once(
        text,
        _t("carfilzomib", quote="one cycle of carfilzomib"),
        _t("Aspirin"),
        _t("carfilzomib", duration="one cycle", quote=bridging),
    )
    # the second listing gives more (a duration): it stays, in the first one's place
    assert got == ([("carfilzomib", "one cycle"), ("Aspirin", None)], ["treatments[0]"])


def test_the_same_drug_given_twice_stays_twice() -> None:
    text = _case("IVIG 2 g/kg was given on day 5. A second dose of IVIG 2 g/kg followed on day 7.")
    first = _t("IVIG", dose="2 g/kg", quote="IVIG 2 g/kg was given on day 5")
    second = _t("IVIG", dose="2 g/kg", quote="A second dose of IVIG 2 g/kg followed on day 7")
    got, dropped = _once(text, first, second)
    assert got == [("IVIG", "2 g/kg"), ("IVIG", "2 g/kg")]
    assert dropped == []


def test_one_mention_with_two_different_doses_stays_twice() -> None:
    text = _case("Prednisone was given, first 60 mg daily, then 20 mg daily.")
    got, dropped = _once(
        text, _t("Prednisone", dose="60 mg daily"), _t("Prednisone", dose="20 mg daily")
    )
    assert got == [("Prednisone", "60 mg daily"), ("Prednisone", "20 mg daily")]
    assert dropped == []


def test_one_mention_with_two_different_times_stays_twice() -> None:
    text = _case("IVIG 2 g/kg was given on day 5 and again on day 12.")
    quote = "IVIG 2 g/kg was given on day 5 and again on day 12"
    first = _t("IVIG", dose="2 g/kg", time="day 5", quote=quote)
    second = _t("IVIG", dose="2 g/kg", time="day 12", quote=quote)
    got, dropped = _once(text, first, second)
    assert len(got) == 2 and dropped == []


def test_a_bare_name_written_twice_is_not_merged() -> None:
    text = _case("Rituximab was given for induction. Rituximab was continued as maintenance.")
    got, dropped = _once(text, _t("Rituximab"), _t("Rituximab"))
    assert len(got) == 2 and dropped == []


def test_the_one_that_stays_takes_the_others_attributes_and_paths_are_right() -> None:
    text = _case("Rituximab 375 mg/m² was given once with aspirin.")
    quote = "Rituximab 375 mg/m² was given once"
    record = empty_case_report()
    record.treatments = [
        _t("Rituximab", quote=quote, target="CD20", time="once"),
        _t("aspirin"),
        _t("Rituximab", quote=quote, dose="375 mg/m²", intent="induction", duration="one dose"),
        _t("Rituximab", quote=quote, dose="375 mg/m²"),
    ]
    dropped = apply_rules(record, ("same_treatment_once",), text)
    kept = record.treatments[0]
    assert [t.name for t in record.treatments] == ["Rituximab", "aspirin"]
    assert (kept.dose, kept.intent, kept.target, kept.time) == (
        "375 mg/m²",
        "induction",
        "CD20",
        "once",
    )
    # the first listing went when the third (with more attributes) took its place; the
    # fourth went as it was
    assert [(d.path, d.fact["target"], d.fact["intent"]) for d in dropped] == [
        ("treatments[0]", "CD20", None),
        ("treatments[3]", None, None),
    ]


@pytest.mark.parametrize(
    ("text", "quote"),
    [
        # the same words twice in the text: two administrations
        (
            "Prednisone 60 mg daily was started. Two months later, prednisone 60 mg daily was "
            "restarted.",
            "prednisone 60 mg daily",
        ),
        # one sentence that names the drug twice
        (
            "She received rituximab 375 mg/m2 on day 1 and rituximab 375 mg/m2 again on day 15.",
            "She received rituximab 375 mg/m2 on day 1 and rituximab 375 mg/m2 again on day 15.",
        ),
    ],
)
def test_a_quote_that_cannot_tell_one_mention_merges_nothing(text: str, quote: str) -> None:
    name = "prednisone" if "rednisone" in quote else "rituximab"
    dose = "60 mg daily" if name == "prednisone" else "375 mg/m2"
    got, dropped = _once(
        _case(text), _t(name, quote=quote, dose=dose), _t(name, quote=quote, dose=dose)
    )
    assert len(got) == 2 and dropped == []


@pytest.mark.parametrize(
    ("sentence", "name", "dose"),
    [
        ("He was treated with high-dose furosemide.", "furosemide", "high-dose"),
        ("She was given high dose furosemide for oedema.", "furosemide", "high dose"),
        ("Low-dose aspirin was continued.", "aspirin", "Low-dose"),
        ("A low dose of oral prednisone was started.", "prednisone", "low dose"),
        ("She was treated with high-dose valacyclovir, antibiotics and IVIG.", "antibiotics",
         None),  # the dose word is valacyclovir's
        ("High-dose methotrexate was not given because of renal failure.", "methotrexate",
         None),  # a sentence that says it was not given
        ("Furosemide was given at high dose.", "Furosemide", None),  # after the name: not read
    ],
)  # fmt: skip
def test_a_dose_word_right_before_the_name(sentence: str, name: str, dose: str | None) -> None:
    """v54 (`dose_words`): MACCROBAT's doses "high dose", "low-dose" written before the drug."""
    assert _doses(_case(sentence), _t(name), rule="dose_words") == [(name, dose)]


@pytest.mark.parametrize(
    ("dose", "kept"),
    [("40 mm", False), ("8 Fr", False), ("23 × 40 mm", False), ("22 gauge", False),
     ("40 mg", True), ("2 g/kg", True), ("10 mL", True), ("2 g", True), ("0.5 g", True)],
)  # fmt: skip
def test_a_size_is_not_a_dose(dose: str, kept: bool) -> None:
    """v54: "40 mm" given as the dose of a balloon dilation, "31 mm" of a valve prosthesis."""
    text = _case(f"A balloon was used ({dose}).")
    record = empty_case_report()
    record.treatments = [_t("balloon", dose=dose)]
    dropped = apply_rules(record, ("dose_words",), text)
    assert (record.treatments[0].dose == dose) is kept
    assert [d.path for d in dropped] == ([] if kept else ["treatments[0].dose"])
