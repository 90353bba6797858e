"""The fixed rules a prompt can name (`abstraction.extraction.rules`), on crafted records."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from abstraction.core.prompts import PassSpec, PromptSettings
from abstraction.core.schema import (
    AgeFact,
    AgeGroupFact,
    Diagnosis,
    Evidence,
    Finding,
    OutcomeStatusFact,
    SexFact,
    TextFact,
    Treatment,
    YearFact,
    empty_case_report,
)
from abstraction.extraction.passes import llm_schema
from abstraction.extraction.rules import apply_rules, is_bare_site, is_test, vocabulary_category


def _t(name: str, category: str = "other") -> Treatment:
    return Treatment(
        name=name,
        category=category,
        target=None,
        donor_type=None,
        graft_source=None,  # type: ignore[arg-type]
        dose=None,
        duration=None,
        intent=None,
        time=None,
        evidence=Evidence(quote=name),
    )


def _d(name: str, status: str = "secondary") -> Diagnosis:
    return Diagnosis(name=name, status=status, details=None, evidence=Evidence(quote=name))  # type: ignore[arg-type]


def _f(name: str) -> Finding:
    return Finding(name=name, assertion="present", body_site=None, evidence=Evidence(quote=name))


@pytest.mark.parametrize(
    ("name", "category"),
    [
        ("CAR-T cell therapy", "cellular_therapy"),
        ("axicabtagene ciloleucel", "cellular_therapy"),
        ("donor lymphocyte infusions (DLI)", "cellular_therapy"),
        ("unrelated cord blood transplantation", "stem_cell_transplant"),
        ("UCBT", "stem_cell_transplant"),
        ("autologous peripheral blood stem cell transplantation", "stem_cell_transplant"),
        ("interferon-α", "immunotherapy"),
        ("rituximab", "immunotherapy"),
        ("R-CHOP", "chemotherapy"),
        ("high-dose melphalan", "chemotherapy"),
        ("venetoclax", "targeted_therapy"),
        ("palliative radiotherapy to L2-L3", "radiotherapy"),
        ("laparoscopic left ovarian cystectomy", "surgery"),
        ("RF ablation", "surgery"),  # radiofrequency: a procedure, not radiotherapy
        ("percutaneous radiofrequency ablation (RFA)", "surgery"),
        ("cryoablation", "surgery"),
        ("catheter ablation of the accessory pathway", "surgery"),
        ("red cell transfusion", "supportive"),
        ("voriconazole", "other"),
        ("piperacillin-tazobactam", "other"),
    ],
)
def test_category_from_the_vocabulary(name: str, category: str) -> None:
    assert vocabulary_category(name) == category


@pytest.mark.parametrize(
    "name",
    [
        "radioiodine remnant ablation",  # radiotherapy, not a procedure
        "androgen ablation therapy",  # hormonal
        "ovarian ablation with goserelin",
        "recurrence at the ablation site",  # a finding, not a treatment
        "post-ablation thyroglobulin",  # a test
    ],
)
def test_other_ablations_are_not_procedures(name: str) -> None:
    """A review of the sixteenth session's vocabulary: "ablation" alone filed radioiodine and
    hormonal ablation with surgery, and made findings and tests named by it treatments."""
    assert vocabulary_category(name) is None


def test_an_unknown_name_keeps_the_models_category() -> None:
    assert vocabulary_category("prednisolone") is None  # steroids depend on why they were given
    assert vocabulary_category("kidney transplant") is None  # an organ transplant is not an SCT
    record = empty_case_report()
    record.treatments = [_t("prednisolone", "immunotherapy"), _t("UCBT", "surgery")]
    apply_rules(record, ("category_vocabulary",))
    assert [t.category for t in record.treatments] == ["immunotherapy", "stem_cell_transplant"]


def test_tests_leave_the_treatments_and_are_kept_as_dropped() -> None:
    assert is_test("bone marrow biopsy") and is_test("PET/CT") and is_test("biopsy")
    assert not is_test("CT-guided drainage") and not is_test("CAR-T cell therapy")
    record = empty_case_report()
    record.treatments = [_t("CAR-T cell therapy"), _t("biopsy"), _t("UCBT")]
    dropped = apply_rules(record, ("tests_not_treatments",))
    assert [t.name for t in record.treatments] == ["CAR-T cell therapy", "UCBT"]
    assert [(d.path, d.fact["name"]) for d in dropped] == [("treatments[1]", "biopsy")]
    assert dropped[0].note and "test" in dropped[0].note


def test_organs_leave_the_findings() -> None:
    assert is_bare_site("multiple lymph nodes") and is_bare_site("Breast")
    assert is_bare_site("kidney")
    assert not is_bare_site("breast mass") and not is_bare_site("kidney failure")
    record = empty_case_report()
    record.findings = [_f("multiple lymph nodes"), _f("fever"), _f("pancreas")]
    dropped = apply_rules(record, ("findings_not_sites",))
    assert [f.name for f in record.findings] == ["fever"]
    assert [d.path for d in dropped] == ["findings[0]", "findings[2]"]


def test_a_transplant_is_not_a_diagnosis_but_a_transplant_complication_is() -> None:
    record = empty_case_report()
    record.diagnoses = [
        _d("B-ALL", "principal"),
        _d("unrelated cord blood transplantation"),
        _d("graft-versus-host disease after stem cell transplantation"),
        _d("chemotherapy-induced neutropenia"),
    ]
    dropped = apply_rules(record, ("diagnoses_not_treatments",))
    assert [d.name for d in record.diagnoses] == [
        "B-ALL",
        "graft-versus-host disease after stem cell transplantation",
        "chemotherapy-induced neutropenia",
    ]
    assert [d.fact["name"] for d in dropped] == ["unrelated cord blood transplantation"]


def test_exactly_one_principal() -> None:
    record = empty_case_report()
    record.diagnoses = [
        _d("a1", "ruled_out"),
        _d("b1"),
        _d("c1", "principal"),
        _d("d1", "principal"),
    ]
    apply_rules(record, ("one_principal",))
    statuses = [d.status for d in record.diagnoses]
    assert statuses == ["ruled_out", "secondary", "principal", "secondary"]
    none_marked = empty_case_report()
    none_marked.diagnoses = [_d("a1", "ruled_out"), _d("b1"), _d("c1")]
    apply_rules(none_marked, ("one_principal",))
    assert [d.status for d in none_marked.diagnoses] == ["ruled_out", "principal", "secondary"]


def test_no_rules_named_changes_nothing() -> None:
    record = empty_case_report()
    record.treatments = [_t("biopsy"), _t("UCBT", "surgery")]
    before = record.model_dump()
    assert apply_rules(record, ()) == [] and record.model_dump() == before


def test_an_unknown_rule_is_refused() -> None:
    with pytest.raises(ValidationError, match="unknown rules"):
        PromptSettings(rules=("guess_everything",))


def test_a_sections_pass_can_bound_its_lists() -> None:
    spec = PassSpec(name="t", sections=("treatments", "findings"), instructions="x", max_items=7)
    schema = llm_schema(spec, evidence_first=False)
    arrays = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if node.get("type") == "array":
                arrays.append(node.get("maxItems"))
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(schema)
    assert arrays and all(n == 7 for n in arrays)  # treatments, findings and body_sites-like lists
    unbounded = llm_schema(spec.model_copy(update={"max_items": None}), evidence_first=False)
    assert "maxItems" not in str(unbounded)


def test_words_for_nothing_are_null() -> None:
    record = empty_case_report()
    record.diagnoses = [_d("B-ALL", "principal")]
    record.diagnoses[0].details = "none"
    record.treatments = [_t("UCBT")]
    record.treatments[0].dose = "Not stated."
    record.treatments[0].time = "day 30"
    apply_rules(record, ("null_words",))
    assert record.diagnoses[0].details is None and record.treatments[0].dose is None
    assert record.treatments[0].time == "day 30" and record.treatments[0].name == "UCBT"


def test_a_sourced_word_for_nothing_is_no_fact() -> None:
    """Found on the core suite: the source pass wrote the string "null" for a DOI and an author
    the header does not print; grounding counted each as a fact with no quote."""
    from abstraction.core.schema import Evidence, SourceMetadata, TextFact

    def fact(value: str) -> TextFact:
        return TextFact(value=value, evidence=Evidence(quote=value))

    record = empty_case_report()
    record.source = SourceMetadata(
        title=fact("Spinal tuberculosis"),
        journal=fact("N/A"),
        year=None,
        doi=fact("null"),
        authors=[fact("null"), fact("J Smith"), fact("Na")],  # Na: a surname
        keywords=[],
    )
    dropped = apply_rules(record, ("null_words",))
    assert record.source.journal is None and record.source.doi is None
    assert [a.value for a in record.source.authors] == ["J Smith", "Na"]
    assert [d.path for d in dropped] == ["source.journal", "source.doi", "source.authors[0]"]
    assert record.source.title is not None and record.source.title.value == "Spinal tuberculosis"


_PAD = " The course is described below in the words of the report, as a paragraph of prose."


def test_sex_from_the_words_of_the_case_text() -> None:
    text = (
        "Relapse in a Woman: A Case Report\n"  # a title: not case text
        "Here we report a patient with leukaemia. After treatment she went into remission, and "
        "her counts recovered. Then she relapsed at the sixth month after transplantation."
        + _PAD
        + "\n"
    )
    record = empty_case_report()
    apply_rules(record, ("sex_from_text",), text)
    assert record.patient.sex is not None and record.patient.sex.value == "female"
    assert (
        record.patient.sex.evidence.quote
        == "After treatment she went into remission, and her counts recovered."
    )


def test_sex_stays_null_when_the_text_names_both_or_too_little() -> None:
    both = (
        "A 3-year-old boy was brought in by his mother, who said she had noticed his fever; he "
        "was admitted and she stayed with him on the ward for the whole of the stay." + _PAD
    )
    little = "The patient was admitted with a fever and she was treated with antibiotics." + _PAD
    for text in (both, little):
        record = empty_case_report()
        apply_rules(record, ("sex_from_text",), text)
        assert record.patient.sex is None


def test_outcome_and_cause_of_death_from_the_case_text() -> None:
    text = (
        "This patient achieved remission after subsequent interferon treatment for two weeks but "
        "she eventually died of severe pneumonia. Mortality in the literature is high." + _PAD
    )
    record = empty_case_report()
    apply_rules(record, ("outcome_from_text",), text)
    assert record.outcome.status is not None and record.outcome.status.value == "died"
    assert record.outcome.cause_of_death is not None
    assert record.outcome.cause_of_death.value == "severe pneumonia"
    general = "Patients with this disease often died of infection in older series." + _PAD
    untouched = empty_case_report()
    apply_rules(untouched, ("outcome_from_text",), general)
    assert untouched.outcome.status is None and untouched.outcome.cause_of_death is None


def test_a_sections_pass_can_require_fields() -> None:
    spec = PassSpec(
        name="s",
        sections=("source", "patient"),
        instructions="x",
        fill=("source.title", "source.authors", "patient.sex"),
    )
    schema = llm_schema(spec, evidence_first=False)
    src = schema["$defs"]["SourceMetadata"]["properties"]
    sex = schema["$defs"]["Patient"]["properties"]["sex"]
    assert "anyOf" not in src["title"] and src["authors"]["minItems"] == 1
    assert "anyOf" not in sex and "anyOf" in src["journal"]  # only the named fields
    with pytest.raises(ValidationError, match="fill names"):
        PassSpec(name="s", sections=("source",), instructions="x", fill=("patient.sex",))


def test_a_value_found_word_for_word_becomes_its_quote() -> None:
    text = "Front. Oncol.\nVolume 15 - 2025\n" + "She received UCBT." + _PAD
    record = empty_case_report()
    record.source.journal = TextFact(value="Front. Oncol.", evidence=Evidence(quote="null"))
    record.source.year = YearFact(value=2025, evidence=Evidence(quote="null"))
    record.source.doi = TextFact(value="10.1000/made.up", evidence=Evidence(quote="null"))
    record.treatments = [_t("UCBT")]
    record.treatments[0].evidence = Evidence(quote="she was given a transplant")
    apply_rules(record, ("quote_from_value",), text)
    assert (
        record.source.journal is not None
        and record.source.journal.evidence.quote == "Front. Oncol."
    )
    assert record.source.year is not None and record.source.year.evidence.quote == "2025"
    assert (
        record.source.doi is not None and record.source.doi.evidence.quote == "null"
    )  # not in text
    assert record.treatments[0].evidence.quote == "UCBT"


def test_death_said_of_this_patient_far_from_the_subject() -> None:
    text = (
        "This patient achieved remission after subsequent interferon-α treatment for two weeks "
        "but eventually died of severe pneumonia." + _PAD
    )
    record = empty_case_report()
    apply_rules(record, ("outcome_from_text",), text)
    assert record.outcome.cause_of_death is not None
    assert record.outcome.cause_of_death.value == "severe pneumonia"


def test_transplant_donor_and_graft_from_its_words() -> None:
    text = "She subsequently received unrelated cord blood transplantation (UCBT)." + _PAD
    record = empty_case_report()
    record.treatments = [_t("UCBT", "stem_cell_transplant"), _t("autologous stem cell transplant")]
    record.treatments[0].donor_type = "related"  # the model's misreading of "unrelated"
    record.treatments[1].graft_source = "cord_blood"  # not stated anywhere
    apply_rules(record, ("category_vocabulary", "transplant_attributes"), text)
    first, second = record.treatments
    assert (first.donor_type, first.graft_source) == ("unrelated", "cord_blood")
    assert (second.donor_type, second.graft_source) == ("autologous", None)


def test_relapse_is_an_event_not_a_finding_and_the_cause_of_death_a_diagnosis() -> None:
    record = empty_case_report()
    record.findings = [_f("extramedullary relapse"), _f("fever"), _f("complete remission")]
    record.diagnoses = [_d("B-ALL", "principal")]
    record.outcome.cause_of_death = TextFact(
        value="severe pneumonia", evidence=Evidence(quote="died of severe pneumonia")
    )
    dropped = apply_rules(record, ("findings_not_events", "cause_of_death_diagnosis"))
    assert [f.name for f in record.findings] == ["fever"] and len(dropped) == 2
    assert [(d.name, d.status) for d in record.diagnoses] == [
        ("B-ALL", "principal"),
        ("severe pneumonia", "secondary"),
    ]
    apply_rules(record, ("cause_of_death_diagnosis",))  # already there: not added twice
    assert len(record.diagnoses) == 2


def test_a_field_a_named_rule_fills_is_extracted() -> None:
    from abstraction.core.prompts import PromptSpec

    spec = PassSpec(name="p", sections=("patient", "outcome"), instructions="x")
    bare = PromptSpec(version="t", description="", system="", passes=(spec,))
    assert "timeline" in bare.not_extracted()
    with_rule = bare.model_copy(
        update={"settings": PromptSettings(rules=("timeline_from_record",))}
    )
    assert "timeline" not in with_rule.not_extracted()


def test_the_timeline_is_the_record_s_course_in_text_order() -> None:
    text = (
        "She received CAR-T cell therapy. She subsequently received UCBT and relapsed at the "
        "6th month after UCBT. She eventually died of severe pneumonia." + _PAD
    )
    record = empty_case_report()
    record.treatments = [_t("UCBT"), _t("CAR-T cell therapy")]
    record.treatments[0].evidence = Evidence(quote="She subsequently received UCBT")
    record.treatments[1].evidence = Evidence(quote="She received CAR-T cell therapy")
    apply_rules(record, ("outcome_from_text", "timeline_from_record"), text)
    events = [e.event for e in record.timeline]
    assert events == ["CAR-T cell therapy", "UCBT", "died of severe pneumonia"]
    # each item has its own evidence object: grounding one never marks another
    assert record.timeline[0].evidence is not record.treatments[1].evidence
    assert record.outcome.status is not None
    assert record.timeline[2].evidence is not record.outcome.status.evidence


def test_a_bare_quote_is_placed_where_the_case_account_tells_it() -> None:
    # nineteenth session's new case report: the death's bare quote "died" was placed at the
    # abstract's "died", so the death came first in the timeline
    text = (
        "Endocarditis: a case report\n\nAbstract\nHe underwent valve replacement and died.\n\n"
        "Case presentation\nA 72-year-old man was admitted. He was given amoxicillin. He "
        "underwent valve replacement on day 12. Septic shock developed, and he died." + _PAD
    )
    record = empty_case_report()
    record.treatments = [_t("amoxicillin"), _t("valve replacement")]
    record.treatments[0].evidence = Evidence(quote="amoxicillin")
    record.treatments[1].evidence = Evidence(quote="valve replacement")
    record.outcome.status = OutcomeStatusFact(value="died", evidence=Evidence(quote="died"))
    apply_rules(record, ("timeline_from_record",), text)
    assert [e.event for e in record.timeline] == ["amoxicillin", "valve replacement", "died"]
    # the case account tells the death in other words: it is placed there, not in the abstract
    told = text.replace("and he died.", "which led to his death.")
    record.outcome.status = OutcomeStatusFact(value="died", evidence=Evidence(quote="died"))
    apply_rules(record, ("timeline_from_record",), told)
    assert [e.event for e in record.timeline] == ["amoxicillin", "valve replacement", "died"]


def test_age_from_the_first_age_the_case_text_states() -> None:
    text = "A 45-year-old woman was admitted.\nShe had been unwell for 3 weeks.\n"
    record = empty_case_report()
    apply_rules(record, ("age_from_text", "sex_from_text"), text)
    assert record.patient.age is not None
    assert (record.patient.age.value, record.patient.age.unit) == (45, "years")
    assert record.patient.age.evidence.quote == "A 45-year-old woman was admitted."
    assert record.patient.sex is None  # one word for a person is not enough
    durations = empty_case_report()
    apply_rules(durations, ("age_from_text",), "She had been unwell for 3 weeks.\n")
    assert durations.patient.age is None


@pytest.mark.parametrize(
    ("age", "unit", "group"),
    [
        (20, "days", "neonate"),
        (14, "months", "infant"),  # MeSH: infant 1-23 months
        (30, "months", "child"),
        (12, "years", "child"),
        (13, "years", "adolescent"),
        (18, "years", "adolescent"),
        (19, "years", "adult"),
        (64, "years", "adult"),
        (65, "years", "older_adult"),
    ],
)
def test_age_group_from_the_stated_age(age: int, unit: str, group: str) -> None:
    record = empty_case_report()
    phrase = f"{age}-{unit[:-1]}-old"
    record.patient.age = AgeFact(value=age, unit=unit, evidence=Evidence(quote=phrase))
    apply_rules(record, ("age_group_from_age",), "")
    assert record.patient.age_group is not None
    assert record.patient.age_group.value == group
    assert record.patient.age_group.evidence.quote == phrase


def test_age_group_from_a_word_for_the_patient_never_from_a_sex_word() -> None:
    def group(text: str) -> str | None:
        record = empty_case_report()
        apply_rules(record, ("age_group_from_age",), text)
        return record.patient.age_group.value if record.patient.age_group else None

    assert group("A middle-aged man was admitted with back pain.") == "adult"
    assert group("An elderly woman presented with syncope.") == "older_adult"
    assert group("The infant was born at 38 weeks.") == "infant"
    assert group("The adult literature is sparse. A woman presented.") is None
    # found by an audit: another person's age group, or a word against the stated age
    assert group("A 7-year-old boy received cells from an adult male donor, his father.") == "child"
    assert group("A 29-year-old woman delivered a newborn girl. The newborn was admitted.") == (
        "adult"
    )
    assert group("An adult patient was reported by Smith et al. A woman presented.") is None
    assert group("In the elderly patient population it is rare. A woman presented.") is None
    assert group("The child, aged 18 months, was admitted with fever.") == "infant"
    assert group("A woman presented with fever. The girl's mother was well.") is None
    # an age group the model gave stays (grounding checks its quote)
    kept = empty_case_report()
    kept.patient.age_group = AgeGroupFact(value="adult", evidence=Evidence(quote="adult"))
    apply_rules(kept, ("age_group_from_age",), "An elderly woman presented.")
    assert kept.patient.age_group.value == "adult"


def test_a_cellular_therapy_s_donor_type_comes_from_its_own_words() -> None:
    text = (
        "She received axicabtagene ciloleucel, an autologous anti-CD19 CAR T-cell product. "
        "Tocilizumab was given for CRS. She later received an unrelated donor transplant." + _PAD
    )
    record = empty_case_report()
    record.treatments = [_t("axicabtagene ciloleucel"), _t("tocilizumab"), _t("DLI")]
    record.treatments[0].category = "cellular_therapy"
    record.treatments[0].evidence = Evidence(
        quote="She received axicabtagene ciloleucel, an autologous anti-CD19 CAR T-cell product."
    )
    record.treatments[1].category = "immunotherapy"
    record.treatments[1].evidence = Evidence(quote="Tocilizumab was given for CRS.")
    record.treatments[2].category = "cellular_therapy"
    record.treatments[2].evidence = Evidence(quote="She later received DLI.")
    apply_rules(record, ("cell_donor_from_words",), text)
    assert [t.donor_type for t in record.treatments] == ["autologous", None, None]


def _cell(name: str, quote: str) -> Treatment:
    """A cellular therapy with this quote."""
    t = _t(name, "cellular_therapy")
    t.evidence = Evidence(quote=quote)
    return t


@pytest.mark.parametrize(
    ("name", "quote", "given", "expected"),
    [
        # the word written with this product, not another treatment's in the same sentence
        ("CAR-T cells", "He relapsed after haploidentical HSCT and received autologous CD19 "
         "CAR-T cells.", None, "autologous"),
        ("CAR-T cells", "She received allogeneic donor-derived CAR-T cells after a prior "
         "autologous stem cell transplant.", None, None),
        ("CAR-T cells", "He received non-autologous CAR-T cells.", None, None),
        ("CAR-T cells", "The CAR-T cells were not autologous but came from a healthy "
         "third-party bank.", None, None),
        ("tisagenlecleucel", "After tisagenlecleucel he developed CAR-T-related neurotoxicity.",
         None, None),
        ("tisagenlecleucel", "He received tisagenlecleucel as a bridge to unrelated donor "
         "transplantation.", None, None),
        ("axicabtagene ciloleucel", "Axicabtagene ciloleucel was infused while his sister, a "
         "nurse, stayed with him.", None, None),
        ("DLI", "She received DLI from her HLA-identical sibling.", None, "related"),
        ("CAR-T cells", "Donor cells were typed for the HLA haplotype before the CAR-T cells.",
         None, None),
        # a donor type already given is kept
        ("CAR-T cells", "He relapsed after haploidentical HSCT and received CAR-T cells.",
         "autologous", "autologous"),
    ],
)  # fmt: skip
def test_a_cellular_therapy_s_donor_type_is_the_word_written_with_it(
    name: str, quote: str, given: str | None, expected: str | None
) -> None:
    record = empty_case_report()
    record.treatments = [_cell(name, quote)]
    record.treatments[0].donor_type = given  # type: ignore[assignment]
    apply_rules(record, ("cell_donor_from_words",), quote + _PAD)
    assert record.treatments[0].donor_type == expected


def test_a_spelled_out_abbreviation_is_read_in_its_own_sentence_only() -> None:
    text = (
        "Her sister had an autologous transplant. Chimeric antigen receptor T cells (CART) "
        "were given. Later, autologous chimeric antigen receptor NK cells (CARNK) followed." + _PAD
    )
    record = empty_case_report()
    record.treatments = [_cell("CART", "CART were given."), _cell("CARNK", "CARNK followed.")]
    apply_rules(record, ("cell_donor_from_words",), text)
    assert [t.donor_type for t in record.treatments] == [None, "autologous"]


def test_a_donor_word_in_another_sentence_naming_the_product_gives_it_and_the_quote() -> None:
    background = (
        "Two such CAR-T products, idecabtagene vicleucel and ciltacabtagene autoleucel, exist."
    )
    case = "On day 0 he received ciltacabtagene autoleucel, an autologous BCMA-directed product."
    record = empty_case_report()
    record.treatments = [_cell("ciltacabtagene autoleucel", background)]
    apply_rules(record, ("cell_donor_from_words",), f"{background} {case}" + _PAD)
    assert record.treatments[0].donor_type == "autologous"
    assert record.treatments[0].evidence.quote == case


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Conditioning was fludarabine and busulfan; donor chimerism was 98%.",
            "stem_cell_transplant",
        ),
        (
            "She received peripheral blood stem cells from her brother on day 0.",
            "stem_cell_transplant",
        ),
        ("He had end-stage kidney disease and underwent a renal transplantation.", "surgery"),
        ("A liver graft was placed; acute GVHD followed.", "other"),  # both: not told
        ("She was well.", "other"),  # neither
    ],
)
def test_a_transplant_named_without_its_graft_takes_the_kind_the_text_speaks_of(
    text: str, expected: str
) -> None:
    record = empty_case_report()
    record.treatments = [_t("allogeneic transplantation"), _t("kidney transplantation", "other")]
    apply_rules(record, ("transplant_attributes",), text + _PAD)
    assert record.treatments[0].category == expected
    assert record.treatments[1].category == "other"  # names its graft: not this rule's


def test_a_bare_transplant_s_donor_from_another_sentence_naming_it() -> None:
    first = "She was referred for transplantation after conditioning."
    second = "On day 0 she underwent transplantation from her HLA-identical sister."
    third = "After transplantation her brother gave lymphocytes."
    record = empty_case_report()
    record.treatments = [_t("transplantation", "stem_cell_transplant")]
    record.treatments[0].evidence = Evidence(quote=first)
    apply_rules(record, ("transplant_attributes",), f"{first} {third} {second}" + _PAD)
    assert record.treatments[0].donor_type == "related"
    assert record.treatments[0].evidence.quote == second


@pytest.mark.parametrize(
    ("name", "other", "donor"),
    [
        (
            "SCT",
            "She had stem cell transplantation (SCT) from a matched unrelated donor.",
            "unrelated",
        ),
        ("transplantation", "She left 30 days after transplantation with her sister.", None),
    ],
)
def test_a_lone_transplant_s_donor_is_read_after_from_only(
    name: str, other: str, donor: str | None
) -> None:
    quote = "She developed skin GVHD later."
    record = empty_case_report()
    record.treatments = [_t(name, "stem_cell_transplant")]
    record.treatments[0].evidence = Evidence(quote=quote)
    apply_rules(record, ("transplant_attributes",), f"{quote} {other}" + _PAD)
    assert record.treatments[0].donor_type == donor


def test_a_negated_donor_word_in_a_transplant_s_own_quote_states_no_donor() -> None:
    quote = (
        "She received allogeneic stem cell transplantation from her brother; no unrelated "
        "donor was sought."
    )
    record = empty_case_report()
    record.treatments = [_t("allogeneic stem cell transplantation", "stem_cell_transplant")]
    record.treatments[0].evidence = Evidence(quote=quote)
    apply_rules(record, ("transplant_attributes",), quote + _PAD)
    assert record.treatments[0].donor_type == "related"


def test_two_transplants_read_no_other_sentence() -> None:
    text = "After the transplantation from an unrelated donor she was well." + _PAD
    record = empty_case_report()
    record.treatments = [
        _t("transplantation", "stem_cell_transplant"),
        _t("autologous stem cell transplantation", "stem_cell_transplant"),
    ]
    apply_rules(record, ("transplant_attributes",), text)
    assert record.treatments[0].donor_type is None
    assert record.treatments[0].evidence.quote == "transplantation"


def test_a_cell_therapy_named_in_the_singular_finds_its_plural_in_the_quote() -> None:
    quote = "She received donor lymphocyte infusions from her brother in month 15."
    record = empty_case_report()
    record.treatments = [_cell("donor lymphocyte infusion", quote)]
    apply_rules(record, ("cell_donor_from_words",), quote + _PAD)
    assert record.treatments[0].donor_type == "related"


def test_a_transplant_s_haplotype_typing_is_not_a_haploidentical_donor() -> None:
    quote = "HLA haplotype typing preceded the sibling allogeneic stem cell transplantation."
    record = empty_case_report()
    record.treatments = [_t("allogeneic stem cell transplantation", "stem_cell_transplant")]
    record.treatments[0].evidence = Evidence(quote=quote)
    apply_rules(record, ("transplant_attributes",), quote + _PAD)
    assert record.treatments[0].donor_type == "related"


def _f(name: str) -> Finding:
    return Finding(name=name, assertion="present", body_site=None, evidence=Evidence(quote=name))


def test_values_as_written_restores_the_text_s_accents() -> None:
    text = (
        "Helena Virtanen, Tomás Ferreira, Tomás Ibáñez-Ruiz\n"
        "She had primary Sjögren syndrome." + _PAD
    )
    record = empty_case_report()
    record.source.authors = [
        TextFact(value="Tomas Ferreira", evidence=Evidence(quote="")),
        TextFact(value="Tomas Ibáñez-Ruiz", evidence=Evidence(quote="Tomas Ibáñez-Ruiz")),
        TextFact(value="Helena Virtanen", evidence=Evidence(quote="Helena Virtanen")),
    ]
    record.findings = [_f("pain"), _f("Sjogren syndrome")]
    dropped = apply_rules(record, ("values_as_written", "quote_from_value"), text)
    authors = [(a.value, a.evidence.quote) for a in record.source.authors]
    assert authors == [
        ("Tomás Ferreira", "Tomás Ferreira"),
        ("Tomás Ibáñez-Ruiz", "Tomás Ibáñez-Ruiz"),
        ("Helena Virtanen", "Helena Virtanen"),
    ]
    assert [d.path for d in dropped] == [
        "source.authors[0].value",
        "source.authors[1].value",
        "findings[1].name",
    ]
    assert dropped[0].fact["value"] == "Tomas Ferreira"
    assert [f.name for f in record.findings] == ["pain", "Sjögren syndrome"]


def test_values_as_written_never_finishes_or_changes_a_word() -> None:
    text = "On arrival she was pulseless; painless jaundice; hypothermia; CD34+ cells; avó." + _PAD
    record = empty_case_report()
    record.findings = [_f("pulse"), _f("pain"), _f("hypo"), _f("CD3"), _f("avô")]
    assert apply_rules(record, ("values_as_written",), text) == []
    assert [f.name for f in record.findings] == ["pulse", "pain", "hypo", "CD3", "avô"]


@pytest.mark.parametrize(
    ("sentence", "status", "cause"),
    [
        ("Sadly, he succumbed to septic shock on day 12.", "died", "septic shock"),
        ("Despite maximal support, the patient did not survive.", "died", None),
        ("The patient failed to survive the postoperative period.", "died", None),
        ("He nearly succumbed to the infection but recovered fully.", None, None),
        ("She almost died of haemorrhage on day 3.", None, None),
        ("The transplanted kidney did not survive, and he returned to dialysis.", None, None),
    ],
)
def test_deaths_written_without_died(sentence: str, status: str | None, cause: str | None) -> None:
    record = empty_case_report()
    apply_rules(
        record, ("outcome_from_text",), "A 60-year-old man was admitted. " + sentence + _PAD
    )
    got = record.outcome.status.value if record.outcome.status else None
    assert got == status
    assert (record.outcome.cause_of_death.value if record.outcome.cause_of_death else None) == cause


def _outcome(text: str, *rules: str) -> tuple[str | None, ...]:
    record = empty_case_report()
    apply_rules(record, rules or ("outcome_from_text",), "A 60-year-old man was admitted. " + text)
    o = record.outcome
    return tuple(f.value if f else None for f in (o.status, o.cause_of_death, o.follow_up))


@pytest.mark.parametrize(
    ("text", "status", "cause"),
    [
        # the cause after the death's time or place (eighteenth session)
        (
            "Despite these measures he died on day 9 of multiorgan failure.",
            "died",
            "multiorgan failure",
        ),
        ("He died 2 weeks later at home of pneumonia.", "died", "pneumonia"),
        ("He died in March 2019 of progressive disease.", "died", "progressive disease"),
        # a time's own "of", an age: no cause
        ("He died on day 9 of admission.", "died", None),
        ("He died at the age of 45.", "died", None),
        # the cause in a sentence of its own, up to the clause's end
        (
            "Care was redirected to comfort measures on day 38, and he died on day 39. The cause "
            "of death was respiratory failure due to progressive invasive pulmonary "
            "aspergillosis, with refractory AML as the underlying disease.",
            "died",
            "respiratory failure due to progressive invasive pulmonary aspergillosis",
        ),
        (
            "He died two days later. His death was attributed to septic shock.",
            "died",
            "septic shock",
        ),
        # a relative's death is passed over, the patient's is read
        (
            "He had delayed seeking help because his brother had died of a myocardial infarction. "
            "Treatment was withdrawn on day 5, and he died 3 hours later. The cause of death was "
            "refractory cardiogenic shock.",
            "died",
            "refractory cardiogenic shock",
        ),
        (
            "He died on day 9 of his hospitalisation from a massive gastrointestinal bleed.",
            "died",
            "a massive gastrointestinal bleed",
        ),
        (
            "He died on day 2. The cause of death was listed as cardiac arrest on the death "
            "certificate.",
            "died",
            "cardiac arrest",
        ),
        (
            "He died on day 3. The cause of death was septic shock, acute kidney injury and "
            "multiorgan failure.",
            "died",
            "septic shock, acute kidney injury and multiorgan failure",
        ),
        # what follows a time after another event, or a time's own words: no cause (the audit)
        ("He died 2 weeks after discharge from the hospital.", "died", None),
        ("Despite this, he subsequently died 13 months after the initial diagnosis.", "died", None),
        ("He died on day 12 of chemotherapy.", "died", None),
        ("He died 4 days after the onset of symptoms.", "died", None),
        # a cause cut at either end, or running into a time: none
        # ... the whole of it (twentieth session: "of" no longer ends a cause)
        ("He died of complications of the surgery.", "died", "complications of the surgery"),
        # ... read whole since the twentieth session ("to" no longer ends it)
        (
            "He died of septic shock secondary to the perforation.",
            "died",
            "septic shock secondary to the perforation",
        ),
        # ... but a time in words ends it (twentieth session)
        ("He died of pneumonia three years later.", "died", "pneumonia"),
        ("He succumbed to temptation and resumed drinking.", None, None),  # not a death
        # the second audit (out/audit-s18b): a cause right after "died of" is the text's word
        # for one; it ends at a clause; "unknown causes" and another patient's death are not
        ("On the ninth hospital day he died of a massive stroke.", "died", "a massive stroke"),
        ("He died of complications of pneumonia.", "died", "complications of pneumonia"),
        ("He died of cardiac arrest during induction of anaesthesia.", "died", "cardiac arrest"),
        ("He died of undetermined causes.", "died", None),
        ("Another patient treated with the same regimen died of hepatotoxicity.", None, None),
        # the third audit (out/audit-s18c): a death only supposed, a cause's end, a death told
        # only by its cause; not a relative's cause in the next sentence
        ("Without surgery he would likely have died of respiratory failure.", None, None),
        ("He died of his injuries shortly after arrival.", "died", "his injuries"),
        (
            "The cause of death was massive pulmonary embolism.",
            "died",
            "massive pulmonary embolism",
        ),
        ("Death was due to septic shock.", "died", "septic shock"),
        ("His father died at 50. The cause of death was myocardial infarction.", None, None),
        # a list of causes after "died of" is read whole when each item names one
        # (nineteenth session: cut at the first comma)
        (
            "He died of septic shock, acute kidney injury and multiorgan failure.",
            "died",
            "septic shock, acute kidney injury and multiorgan failure",
        ),
        ("He died of septic shock, AKI and DIC on day 12.", "died", "septic shock, AKI and DIC"),
        ("He died of septic shock, and his family declined an autopsy.", "died", "septic shock"),
        ("He died of sepsis, and pneumonia was found at autopsy.", "died", "sepsis"),
        ("He died of pneumonia, despite antibiotics.", "died", "pneumonia"),
        # a cause written before the death (nineteenth session, the second audit's misses):
        # read only when it names what a patient dies of; not a supposed death, another's
        ("Sepsis led to his death on day 21.", "died", "Sepsis"),
        (
            "Progressive liver failure eventually caused his death.",
            "died",
            "Progressive liver failure",
        ),
        ("He developed septic shock, which led to his death on day 5.", "died", "septic shock"),
        ("A delay in diagnosis led to his death.", "died", None),
        ("This led to his death.", "died", None),
        ("Untreated, the infection would have led to his death.", None, None),
        # the audit of the first version (out/audit-s19b): a near death, a general statement,
        # someone else named in the sentence before, an unsure cause, a list, a time first
        ("Anaphylaxis nearly caused his death, but he recovered.", None, None),
        ("In the pre-antibiotic era, this complication always led to death.", None, None),
        ("His son was diagnosed with heart disease. Heart failure led to his death.", None, None),
        ("In the case described by Smith, sepsis caused his death.", None, None),
        ("Sepsis probably led to his death.", "died", None),
        ("Neither the tumour nor its treatment caused his death.", "died", None),
        (
            "Sepsis, acute kidney injury and gastrointestinal bleeding led to his death.",
            "died",
            "Sepsis, acute kidney injury and gastrointestinal bleeding",
        ),
        ("Two days later sepsis led to his death.", "died", "sepsis"),
        ("In May 2020 recurrent lymphoma led to his death.", "died", "recurrent lymphoma"),
        (
            "He had undergone a mastectomy and developed sepsis, which led to his death.",
            "died",
            "sepsis",
        ),
        (
            "He died on day 3. Sepsis led to his death. The cause of death was septic shock.",
            "died",
            "septic shock",
        ),
        ("He succumbed to disseminated candidiasis.", "died", "disseminated candidiasis"),
        # the second audit (out/audit-s19c): a relative or a case described over the sentences
        # before; a child delivered; a list item that describes the cause before it
        (
            "His younger brother had also injected drugs. He was admitted elsewhere with fever. "
            "Tricuspid valve endocarditis led to his death a few weeks later.",
            None,
            None,
        ),
        ("In that case, massive haemoptysis caused the patient's death.", None, None),
        (
            "A boy weighing 1200 g was delivered. He was transferred to the neonatal unit. "
            "Necrotising enterocolitis led to his death on day 9.",
            None,
            None,
        ),
        (
            "He died of septic shock, a complication of neutropenia and mucositis.",
            "died",
            "septic shock",
        ),
        ("He died of pneumonia, probably aspiration pneumonia or Legionella.", "died", "pneumonia"),
        ("A possible pulmonary embolism led to his death.", "died", None),
        # the third audit (out/audit-s19e): someone else brought in by other words, a hedge
        # before "that", a case from elsewhere
        ("His climbing companion developed cerebral oedema, which led to his death.", None, None),
        (
            "In a 2012 case from Japan, fulminant myocarditis led to the patient's death.",
            None,
            None,
        ),
        ("We speculate that a ventricular arrhythmia led to his death.", "died", None),
        # the fourth audit (out/audit-s19g): not a disease's name, a failing, a clause
        ("He developed complications, which led to his death.", "died", None),
        ("Delayed recognition of the bowel ischaemia led to his death.", "died", "bowel ischaemia"),
        # a failing alone is no cause; the disease it failed to see is (twentieth session)
        ("A delay in diagnosis led to his death.", "died", None),
        ("Failure to recognize the tamponade resulted in his death.", "died", "tamponade"),
        # deaths told otherwise, and causes told otherwise (twentieth session, from the last
        # outcome audit's misses, out/audit-s19i)
        ("He was pronounced dead on day 3.", "died", None),
        (
            "He was discharged on day 10. Two weeks later he was found unresponsive at home and "
            "could not be resuscitated.",
            "died",
            None,
        ),
        ("He was declared brain dead on day 4.", "died", None),
        ("He committed suicide two weeks later.", "died", "suicide"),
        ("Resuscitation was attempted, but he could not be resuscitated.", "died", None),
        ("The outcome was fatal.", "died", None),
        (
            "The cause of death was determined at autopsy to be massive pulmonary embolism.",
            "died",
            "massive pulmonary embolism",
        ),
        ("His death resulted from septic shock.", "died", "septic shock"),
        ("The pathologist attributed his death to myocarditis.", "died", "myocarditis"),
        ("Unfortunately, the patient passed away two weeks after admission.", "died", None),
        ("He succumbed to his disease 14 months after diagnosis.", "died", None),
        ("He died of disease 1 year after diagnosis.", "died", None),
        (
            "The patient expired on the fifth postoperative day due to massive pulmonary embolism.",
            "died",
            "massive pulmonary embolism",
        ),
        (
            "He died on the 7th day of hospitalization due to acute respiratory distress syndrome.",
            "died",
            "acute respiratory distress syndrome",
        ),
        (
            "The patient died of respiratory failure secondary to Pneumocystis pneumonia.",
            "died",
            "respiratory failure secondary to Pneumocystis pneumonia",
        ),
        (
            "The patient died of a ruptured cerebral aneurysm before surgery could be performed.",
            "died",
            "a ruptured cerebral aneurysm",
        ),
        (
            "Autopsy revealed extensive myocardial infarction as the cause of death.",
            "died",
            "extensive myocardial infarction",
        ),
        ("Postmortem examination revealed disseminated aspergillosis.", "died", None),
        ("He developed a fatal pulmonary embolism on day 6.", "died", "pulmonary embolism"),
        ("He developed a potentially fatal arrhythmia.", None, None),
        (
            "Ten days after surgery he developed massive hemorrhage and died.",
            "died",
            "massive hemorrhage",
        ),
        ("He developed a rash and died.", "died", None),
        # another person near, of the other sex than the death's pronoun
        (
            "His wife found him unresponsive at home. Despite resuscitation, anoxic brain injury "
            "led to his death on day 3.",
            "died",
            "anoxic brain injury",
        ),
        ("His brother had a stroke. Cerebral oedema led to his death.", None, None),
        ("His brother was pronounced dead at the scene.", None, None),
        # the twentieth session's second outcome audit (out/audit-s20c)
        (
            "He died at home. The most likely cause of death was a ventricular arrhythmia.",
            "died",
            None,
        ),
        ("He died of pneumonia and was buried before an autopsy.", "died", "pneumonia"),
        (
            "Death occurred on the 20th postoperative day from massive pulmonary embolism.",
            "died",
            "massive pulmonary embolism",
        ),
        (
            "Rupture of the pseudoaneurysm was the cause of his death.",
            "died",
            "Rupture of the pseudoaneurysm",
        ),
        (
            "His death, 4 days after admission, was caused by a massive subarachnoid hemorrhage.",
            "died",
            "a massive subarachnoid hemorrhage",
        ),
        (
            "A massive pulmonary embolism killed him on day 4.",
            "died",
            "A massive pulmonary embolism",
        ),
        ("He committed suicide by hanging 2 months after discharge.", "died", "suicide"),
        ("He took his own life four months after the diagnosis.", "died", None),
        (
            "He died of acute respiratory failure caused by Pneumocystis jirovecii pneumonia.",
            "died",
            "acute respiratory failure caused by Pneumocystis jirovecii pneumonia",
        ),
        (
            "He died at the age of 64 of complications of pneumonia.",
            "died",
            "complications of pneumonia",
        ),
        ("He died of multiple complications.", "died", None),
        # the twentieth session's third outcome audit (out/audit-s20e)
        ("He died of a myocardial infarction a year later.", "died", "a myocardial infarction"),
        # the twentieth session's last outcome audit (out/audit-s20h)
        ("Without prompt intervention, the patient would almost certainly have died.", None, None),
        (
            "The patient had a fatal outcome due to fulminant myocarditis.",
            "died",
            "fulminant myocarditis",
        ),
        (
            "He went on to die of recurrent variceal bleeding one year later.",
            "died",
            "recurrent variceal bleeding",
        ),
        ("The patient is now deceased.", "died", None),
        ("He lost his battle with the disease.", "died", None),
        (
            "The patient's death on day 30 was attributed to invasive pulmonary aspergillosis.",
            "died",
            "invasive pulmonary aspergillosis",
        ),
        (
            "Death was thought to be due to an arrhythmia, although this could not be confirmed.",
            "died",
            None,
        ),
        ("He died of complications of the disease two years later.", "died", None),
        # the twentieth session's final outcome audit (out/audit-s20j)
        (
            "In the original description, the patient died of renal failure. Our patient was well.",
            None,
            None,
        ),
        ("He worked in a palliative care unit where many patients died of cancer.", None, None),
        ("He died of acute on chronic liver failure.", "died", "acute on chronic liver failure"),
        (
            "He died of a self-inflicted gunshot wound to the head.",
            "died",
            "a self-inflicted gunshot wound to the head",
        ),
        ("He died due to a failure to recognize the severity of his condition.", "died", None),
        # the twentieth session's last outcome audit (out/audit-s20l)
        (
            "Similar cases have been reported, and in one of them the patient died of rupture.",
            None,
            None,
        ),
        ("The first described patient died of hepatic rupture in 1987.", None, None),
        ("He died peacefully surrounded by his family.", "died", None),
        (
            "He died of an overdose of insulin administered by his caregiver.",
            "died",
            "an overdose of insulin administered by his caregiver",
        ),
        (
            "He died of multiple injuries sustained in the fall.",
            "died",
            "multiple injuries sustained in the fall",
        ),
        ("He died as a result of inadequate monitoring after surgery.", "died", None),
        ("He died of sepsis in the ICU.", "died", "sepsis"),
        # the twentieth session's final outcome audit (out/audit-s20n): "could not survive"
        # supposes nothing, "not" before the death makes no guess of its cause
        (
            "Patient could not survive and died of acute respiratory failure in ICU.",
            "died",
            "acute respiratory failure",
        ),
        (
            "He died of acute-on-chronic liver failure precipitated by alcoholic hepatitis.",
            "died",
            "acute-on-chronic liver failure precipitated by alcoholic hepatitis",
        ),
        ("Cause of death: septic shock.", "died", "septic shock"),
        ("Resuscitation attempts were unsuccessful.", "died", None),
        ("The patient succumbed on the third day.", "died", None),
        (
            "He had a fatal intracranial hemorrhage while on anticoagulation.",
            "died",
            "intracranial hemorrhage",
        ),
        (
            "He died in the operating room from uncontrollable hemorrhage.",
            "died",
            "uncontrollable hemorrhage",
        ),
        (
            "He died of septic shock due to perforation of the sigmoid colon.",
            "died",
            "septic shock due to perforation of the sigmoid colon",
        ),
        (
            "He died due to massive hemorrhage from the tumor bed.",
            "died",
            "massive hemorrhage from the tumor bed",
        ),
        # the twentieth session's first outcome audit (out/audit-s20a): another report's
        # patient, a failing or a guess as the cause, more ways to tell a death and its cause
        ("A previous patient treated with the same regimen died of liver failure.", None, None),
        ("In the case described by Smith et al., the patient died of hepatic failure.", None, None),
        ("In our case, the patient died of sepsis.", "died", "sepsis"),
        ("He died due to a delay in diagnosis.", "died", None),
        ("He died because of poor adherence to treatment.", "died", None),
        ("He died of septic shock due to a delay in diagnosis.", "died", "septic shock"),
        ("We speculate that he died of a fatal arrhythmia.", "died", None),
        ("He probably died of sepsis, although no cultures were obtained.", "died", None),
        ("He died of presumed sepsis.", "died", None),
        ("He died of sepsis or pulmonary embolism.", "died", None),
        (
            "He died 3 days after admission from fulminant hepatic failure.",
            "died",
            "fulminant hepatic failure",
        ),
        ("Brain death was confirmed on day 4.", "died", None),
        ("He was killed in a road traffic accident.", "died", None),
        ("He was found dead at home.", "died", None),
        ("Death resulted from acute hyperkalemia.", "died", "acute hyperkalemia"),
        ("Death from pneumonia occurred on day 9.", "died", "pneumonia"),
        ("He died owing to massive hemorrhage.", "died", "massive hemorrhage"),
        ("He developed fatal intracranial hemorrhage on day 3.", "died", "intracranial hemorrhage"),
        ("Brain death was excluded.", None, None),
        ("His brother had the same disease. The outcome was fatal.", None, None),
        ("If untreated, the outcome was fatal in most.", None, None),
        ("The tumour infiltrated the brainstem, which led to his death.", "died", None),
        (
            "The pathologist concluded that myocarditis led to his death.",
            "died",
            "myocarditis",
        ),
        ("His father had a stroke, which led to his death.", None, None),
        ("In such patients, sepsis led to their death.", None, None),
        # not known, or the usual cause: no cause
        ("He died on day 4. The cause of death was not determined.", "died", None),
        ("He died on day 4. The most common cause of death was infection.", "died", None),
    ],
)
def test_the_cause_of_death_where_the_text_names_it(
    text: str, status: str | None, cause: str | None
) -> None:
    assert _outcome(text)[:2] == (status, cause)


@pytest.mark.parametrize(
    "text",
    [
        # "alive" is not read by the rule (tried in the eighteenth session; its audit found it
        # read history and other senses, and a death told without a death word)
        "He was discharged from the army in 2001.",
        "At 12 months he remains in complete remission.",
        # a death only supposed, another's, or not a person's
        "Without the tracheostomy he could have died of airway obstruction.",
        "He had shared a room with a man who died of tuberculosis; his roommate died of it too.",
        "He had used eye drops that had expired.",
    ],
)
def test_no_status_the_text_does_not_state(text: str) -> None:
    assert _outcome(text)[:2] == (None, None)


@pytest.mark.parametrize(
    ("opening", "text", "status", "cause"),
    [
        # a child's death told by a word for a child (nineteenth session); in an adult's case
        # report (a mother's) the same words tell another person's death
        ("A 3-day-old boy was admitted.", "The infant died on day 5 of sepsis.", "died", "sepsis"),
        (
            "A 6-year-old girl was admitted.",
            "The child died of septic shock.",
            "died",
            "septic shock",
        ),
        ("A 31-year-old pregnant woman was admitted.", "The baby died of sepsis.", None, None),
        (
            "A newborn boy was admitted.",
            "The infant developed necrotizing enterocolitis, which led to his death.",
            "died",
            "necrotizing enterocolitis",
        ),
        (
            "A 31-year-old pregnant woman was admitted.",
            "The infant developed necrotizing enterocolitis, which led to his death.",
            None,
            None,
        ),
        (
            "A 31-year-old pregnant woman was admitted.",
            "Maternal death occurred due to eclampsia.",
            "died",
            "eclampsia",
        ),
        ("A 3-day-old boy was admitted.", "Maternal death occurred due to eclampsia.", None, None),
        (
            "A 6-year-old girl was admitted.",
            "One child in the cohort died of liver failure.",
            None,
            None,
        ),
        ("A 6-year-old boy was admitted.", "The boy's classmate died of meningitis.", None, None),
        (
            "A 6-year-old girl was admitted.",
            "Her sister had the same disease. The girl died of sepsis at 4.",
            None,
            None,
        ),
        ("A newborn boy was admitted.", "The infant died of sepsis on day 3.", "died", "sepsis"),
        ("A 6-year-old girl was admitted.", "Her brother had died of leukaemia.", None, None),
        # "died by suicide"; "by" and a time is no cause
        ("A 45-year-old man was admitted.", "He died by suicide.", "died", "suicide"),
        ("A 45-year-old man was admitted.", "He died by day 5.", "died", None),
    ],
)
def test_a_child_s_death_and_death_by_suicide(
    opening: str, text: str, status: str | None, cause: str | None
) -> None:
    record = empty_case_report()
    apply_rules(record, ("outcome_from_text",), f"{opening} {text}")
    o = record.outcome
    assert (o.status and o.status.value, o.cause_of_death and o.cause_of_death.value) == (
        status,
        cause,
    )


def test_a_death_said_with_the_other_sex_s_pronoun_is_another_s() -> None:
    text = (
        "A 60-year-old woman was admitted. Her husband was admitted the same week, and he died "
        "of pneumonia. She recovered." + _PAD
    )
    record = empty_case_report()
    record.patient.sex = SexFact(value="female", evidence=Evidence(quote="woman"))
    apply_rules(record, ("outcome_from_text",), text)
    assert record.outcome.status is None and record.outcome.cause_of_death is None
    he = empty_case_report()
    apply_rules(he, ("outcome_from_text",), "A 60-year-old man was admitted. He died of sepsis.")
    assert he.outcome.cause_of_death is not None and he.outcome.cause_of_death.value == "sepsis"


@pytest.mark.parametrize(
    ("text", "follow_up"),
    [
        ("At the 18-month follow-up he had fully recovered.", "18-month"),
        (
            "At the latest review, 18 months after transplantation, he has no signs of HLH.",
            "18 months after transplantation",
        ),
        (
            "Fourteen months after infusion, the patient remains in stringent complete response.",
            "Fourteen months after infusion",
        ),
        # the second audit's misses (out/audit-s18b), now read
        ("After 6 months of follow-up, there has been no recurrence.", "6 months"),
        ("During a follow-up period of 24 months, no recurrence was observed.", "24 months"),
        ("He was followed for 5 years.", "5 years"),
        ("He has remained seizure-free for 4 years.", "4 years"),
        ("He has been observed for 5 years and remains in remission.", "5 years"),
        ("He has not been admitted for 3 years and remains well.", "3 years"),
        ("He has now been dialysed for 6 years and remains well.", "6 years"),
        ("He has not needed to be hospitalised for over 2 years and remains well.", "2 years"),
        ("Three years later, he is still in remission.", "Three years"),
        (
            "Over the following 18 months he had four further cycles of chemotherapy, and at the "
            "time of writing, 26 months after the original diagnosis, he remains independent.",
            "26 months after the original",
        ),
    ],
)
def test_follow_up_cues(text: str, follow_up: str) -> None:
    assert _outcome(text, "follow_up_from_text")[2] == follow_up


@pytest.mark.parametrize(
    "text",
    [
        "He will be followed up for 5 years.",
        "He was well until 3 days before admission, when he developed fever.",
        "His last visit to the clinic was 2 years before this admission.",
        "He remained in remission at 9 months, but relapsed at 14 months and died 2 months later.",
        "His type 2 diabetes has been well controlled on metformin for 10 years.",
        "He had been followed for 10 years for ulcerative colitis before the current presentation.",
        "Long-term follow-up of 10 years or more is advised after such a resection.",
        "At 18 months of age he was well.",
        "He has been alcohol-free for 3 years.",
        "He was well for 8 months, until the disease progressed.",
        "After completing 6 months of chemotherapy he remained in remission.",
        "Follow-up of at least 5 years is recommended after such a resection.",
        "In the series of Smith et al., patients were followed for a median of 24 months.",
        # a stay's length (nineteenth session; a treatment's length may tell the follow-up too:
        # "maintained on imatinib for 4 years and in remission", the audit out/audit-s19b)
        "He was kept on mechanical ventilation for 12 days and has since remained well.",
        "He was hospitalised for 3 weeks and is now doing well.",
        "He was ventilated in the ICU for 9 days and has since remained well.",
        # ... but "observed for", "monitored for", "has not been admitted for" are follow-up
    ],
)
def test_no_follow_up_from_a_plan_a_time_before_or_a_death(text: str) -> None:
    assert _outcome(text, "follow_up_from_text")[2] is None


@pytest.mark.parametrize(
    "name",
    ["chest computed tomography", "urinalysis", "ANCA", "antinuclear antibodies were negative"],
)
def test_tests_named_as_treatments_leave(name: str) -> None:
    # a new case report of the eighteenth session: each was filed as a treatment
    assert is_test(name)


@pytest.mark.parametrize(
    "name", ["rituximab", "anti-CD20 monoclonal antibody", "plasma exchange", "haemodialysis"]
)
def test_treatments_are_not_tests(name: str) -> None:
    assert not is_test(name)


def test_the_death_and_its_cause_do_not_share_one_evidence() -> None:
    # twentieth session: the status and the cause read from one sentence shared one Evidence
    # object, so grounding's verdict on the cause ("the quote does not state 'suicide'") was
    # written on the status too, and the death was refused with it
    for text in ("He died of sepsis on day 4.", "The cause of death was septic shock."):
        record = empty_case_report()
        apply_rules(record, ("outcome_from_text",), "A 60-year-old man was admitted. " + text)
        status, cause = record.outcome.status, record.outcome.cause_of_death
        assert status is not None and cause is not None
        assert status.evidence is not cause.evidence
        assert status.evidence.quote == cause.evidence.quote


@pytest.mark.parametrize(
    ("text", "follow_up"),
    [
        # the twentieth session's final outcome audit (out/audit-s20j)
        ("At 14 months of follow-up, he had no evidence of disease.", "14 months"),
        ("Follow-up CT at 3 months showed resolution, and he remained well at 1 year.", "1 year"),
        ("His total follow-up was 30 months.", "30 months"),
        ("He has been followed for 2.5 years and remains in remission.", "2.5 years"),
        ("Follow-up MRI at 12 months showed no residual tumour.", "12 months"),
        # the twenty-first session, from the last audit's leftovers
        ("Follow-up over 18 months showed no recurrence.", "18 months"),
        ("Follow-up lasting 2 years was uneventful.", "2 years"),
        ("Follow-up extending over 3 years showed no relapse.", "3 years"),
        ("Twenty months into follow-up, he remains well.", "Twenty months"),
        # the last outcome audit (out/audit-s21i): the patient's own report is no other
        # person's; "by the"; a lasting state with no word of follow-up
        ("At the 9-month follow-up visit he reported no dysphagia.", "9-month"),
        ("He had returned to school by the 6-month follow-up.", "6-month"),
        ("There was no recurrence at 1 year.", "1 year"),
        ("Thyroglobulin remained undetectable at 5 years.", "5 years"),
        # a time before the diagnosis beside the follow-up (the last outcome audit,
        # out/audit-s21l: a regression of 4a55319's "before" read without its determiner)
        (
            "Although he had had symptoms for 5 years before diagnosis, he has been symptom-free "
            "for 1 year after surgery.",
            "1 year after surgery",
        ),
    ],
)
def test_follow_up_told_in_more_shapes(text: str, follow_up: str) -> None:
    assert _outcome(text, "follow_up_from_text")[2] == follow_up


@pytest.mark.parametrize(
    ("text", "status", "cause"),
    [
        # the twentieth session's last outcome audit's leftovers (out/audit-s20n)
        ("The outcome was death due to septic shock.", "died", "septic shock"),
        ("His outcome was death.", "died", None),
        ("He died not of the lymphoma but of pneumonia.", "died", "pneumonia"),
        ("He died not of the lymphoma, but of pneumonia, on day 5.", "died", "pneumonia"),
        ("Unfortunately, we lost the patient to multiorgan failure.", "died", "multiorgan failure"),
        ("We lost him on day 3 despite resuscitation.", "died", None),
        # lost to follow-up is no death
        ("We lost him to follow-up.", None, None),
        ("We lost the patient to follow-up after 2 years.", None, None),
        ("The patient was lost to follow-up.", None, None),
        ("Outcome: death due to septic shock.", "died", "septic shock"),
        ("Outcome: death.", "died", None),
        ("Outcome: discharged home.", None, None),
        # the second outcome audit of the twenty-first session (out/audit-s21f)
        (
            "We lost him to overwhelming sepsis 2 days after admission.",
            "died",
            "overwhelming sepsis",
        ),
        ("He lost his battle with pancreatic cancer.", "died", "pancreatic cancer"),
        ("He lost his fight against leukemia.", "died", "leukemia"),
        (
            "Death was due not to the primary tumor but to neutropenic sepsis.",
            "died",
            "neutropenic sepsis",
        ),
        ("He died with pneumonia.", "died", None),
        # the last outcome audit's misses (out/audit-s21i): deaths told without "died"
        ("He was dead on arrival at the emergency department.", "died", None),
        ("The pulmonary embolism proved fatal.", "died", "pulmonary embolism"),
        ("Massive haemorrhage ultimately claimed his life.", "died", "Massive haemorrhage"),
        ("His course proved fatal on day 5.", "died", None),
        ("On day 3 the pulmonary embolism proved fatal.", "died", "pulmonary embolism"),
        ("His father's cancer proved fatal.", None, None),
        ("Untreated, this infection is usually fatal.", None, None),
        # another person's death told so
        ("His mother died not of cancer but of a stroke.", None, None),
    ],
)
def test_a_death_told_as_the_outcome_or_a_loss(
    text: str, status: str | None, cause: str | None
) -> None:
    assert _outcome(text)[:2] == (status, cause)


@pytest.mark.parametrize(
    "text",
    [
        # a follow-up before this admission (the first outcome audit of the twenty-first
        # session, out/audit-s21c: "follow-up for" read it as the patient's follow-up)
        "He had undergone follow-up for 5 years for a thyroid nodule before presenting with "
        "dyspnea.",
        "Before admission, he had undergone follow-up for 5 years for a nodule.",
        "He was followed for 2 years for Crohn disease prior to this admission.",
        "Follow-up for 5 years is recommended.",
        "Similar cases have been reported with a 2-year follow-up.",
        "There was no relapse after 2 weeks of steroids, and he was discharged.",
    ],
)
def test_no_follow_up_before_this_admission(text: str) -> None:
    assert _outcome(text, "follow_up_from_text")[2] is None


@pytest.mark.parametrize(
    ("opening", "text", "status"),
    [
        # the last outcome audit's false deaths (out/audit-s21l; OLD made them too)
        ("A 60-year-old man was admitted.", "The family asked whether he had died during the "
         "procedure; he had only been sedated.", None),
        ("A 60-year-old man was admitted.", "A local newspaper erroneously reported that he had "
         "died; in fact he was discharged home on day 8.", None),
        ("A 60-year-old woman was admitted.", "Both she and her husband were poisoned by the "
         "mushrooms; he died on day 3, while she recovered.", None),
        ("A 31-year-old pregnant woman was admitted.", "She underwent a cesarean section, but the "
         "neonate died of hypoxic-ischemic encephalopathy on day 2. The mother recovered.", None),
        # told deaths stay deaths
        ("A 60-year-old man was admitted.", "It was reported that he died of sepsis on day 5.",
         "died"),
        ("A 60-year-old woman was admitted.", "Her husband visited daily. She died of sepsis on "
         "day 5.", "died"),
    ],
)  # fmt: skip
def test_a_death_asked_wrongly_told_or_another_s_is_none(
    opening: str, text: str, status: str | None
) -> None:
    record = empty_case_report()
    apply_rules(record, ("sex_from_text", "outcome_from_text"), f"{opening} {text}")
    assert (record.outcome.status.value if record.outcome.status else None) == status
