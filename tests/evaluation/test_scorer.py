"""Scorer tests with expected numbers worked out by hand (the arithmetic is in the comments)."""

from __future__ import annotations

from typing import Any

import pytest

from abstraction.evaluation.counts import DocResult
from abstraction.evaluation.results import ScoreReport, build_report, prf
from abstraction.evaluation.scorer import score_document
from tests.evaluation.helpers import (
    assessment,
    diagnosis,
    ev,
    event,
    fact,
    record,
    treatment,
)


def score(
    gold: dict[str, Any], pred: dict[str, Any] | None, **kw: Any
) -> tuple[DocResult, ScoreReport]:
    res = score_document("doc", gold, pred, **kw)
    return res, build_report([res])


def test_prf_definitions() -> None:
    assert prf(3, 1, 2) == pytest.approx((3 / 4, 3 / 5, 2 * (3 / 4) * (3 / 5) / (3 / 4 + 3 / 5)))
    assert prf(0, 0, 0) == (1.0, 1.0, 1.0)  # only true negatives: nothing to find, nothing wrong
    assert prf(0, 0, 2) == (0.0, 0.0, 0.0)  # everything omitted
    assert prf(0, 2, 0) == (0.0, 0.0, 0.0)  # everything hallucinated


def test_reordered_list_pairs_every_item_and_scores_the_order() -> None:
    gold = record(
        treatments=[
            treatment("cytarabine"),
            treatment("CAR-T", "cellular_therapy"),
            treatment("interferon-alpha", "immunotherapy"),
        ]
    )
    pred = record(
        treatments=[
            treatment("interferon-alpha", "immunotherapy"),
            treatment("cytarabine"),
            treatment("CAR-T", "cellular_therapy"),
        ]
    )
    res, rep = score(gold, pred)
    items = rep.fields["treatments"]
    # gold 0 -> pred 1, gold 1 -> pred 2, gold 2 -> pred 0: three pairs, nothing left over.
    assert (items.tp, items.fp, items.fn) == (3, 0, 0)
    assert {(m["gold_index"], m["pred_index"]) for m in res.matches} == {(0, 1), (1, 2), (2, 0)}
    # Pred indices in gold order: [1, 2, 0]; item pairs (0,1): 1<2 ok, (0,2): 1<0 no,
    # (1,2): 2<0 no -> 1 concordant of 3.
    assert items.order_pairs == 3
    assert items.order_score == pytest.approx(1 / 3)
    # Values are untouched by the order: 3 names + 3 categories right, 7 null fields x 3 TN.
    assert rep.fields["treatments.name"].f1 == 1.0
    assert rep.overall.tp == 6 and rep.overall.fp == rep.overall.fn == 0
    assert rep.overall.f1 == 1.0


def test_one_extra_and_one_missing_item() -> None:
    gold = record(
        diagnoses=[
            diagnosis("acute myeloid leukemia"),
            diagnosis("type 2 diabetes mellitus", "secondary"),
        ]
    )
    pred = record(diagnoses=[diagnosis("AML"), diagnosis("pulmonary embolism", "secondary")])
    res, rep = score(gold, pred)
    # Items: AML pairs with acute myeloid leukemia (synonym); diabetes and embolism share
    # nothing (similarity below 50) -> TP 1, FP 1 (extra), FN 1 (missing).
    items = rep.fields["diagnoses"]
    assert (items.tp, items.fp, items.fn) == (1, 1, 1)
    assert items.f1 == pytest.approx(0.5)  # P = 1/2, R = 1/2
    # name and status: the pair is right (TP 1); the unpaired gold item's value is an omission
    # (FN 1) and the unpaired prediction's a hallucination (FP 1): P = R = F1 = 1/2.
    for path in ("diagnoses.name", "diagnoses.status"):
        f = rep.fields[path]
        assert (f.tp, f.fp, f.fn, f.tn) == (1, 1, 1, 0)
        assert f.f1 == pytest.approx(0.5)
        assert f.hallucination_rate == pytest.approx(1 / 2)  # 1 hallucinated of 2 predicted
        assert f.omission_rate == pytest.approx(1 / 2)  # 1 omitted of 2 gold values
    # details: null in the pair -> TN 1; the unpaired items' nulls count nothing.
    d = rep.fields["diagnoses.details"]
    assert (d.tp, d.fp, d.fn, d.tn) == (0, 0, 0, 1) and d.f1 == 1.0
    # overall micro over value fields: TP 2, FP 2, FN 2 -> 0.5; the error list names both items.
    assert (rep.overall.tp, rep.overall.fp, rep.overall.fn) == (2, 2, 2)
    assert rep.overall.f1 == pytest.approx(0.5)
    kinds = {(e["path"], e["kind"]) for e in res.errors}
    assert ("diagnoses[gold 1]", "omission") in kinds
    assert ("diagnoses[pred 1]", "hallucination") in kinds


@pytest.mark.parametrize(
    ("gold_name", "pred_name", "section"),
    [
        ("unrelated cord blood transplantation", "UCBT", "treatments"),
        ("cord blood transplant", "UCBT", "treatments"),
        ("chimeric antigen receptor T cell therapy", "CAR-T", "treatments"),
        ("interferon-alpha", "IFN-α", "treatments"),
        ("Interferon alfa", "IFN-α", "treatments"),
        ("B-cell acute lymphoblastic leukemia", "B-ALL", "diagnoses"),
        ("acute lymphoblastic leukaemia (B-cell)", "B-ALL", "diagnoses"),
        ("Acute Lymphoblastic Leukemia", "acute lymphoblastic leukaemia", "diagnoses"),
        ("positron emission tomography/computed tomography", "PET/CT", "assessments"),
        ("minimal residual disease", "MRD", "assessments"),
        ("bone marrow aspiration", "BM aspirate", "assessments"),
    ],
)
def test_synonyms_and_spelling_count_as_equal(gold_name: str, pred_name: str, section: str) -> None:
    build = {"treatments": treatment, "diagnoses": diagnosis, "assessments": assessment}[section]
    key = "method" if section == "assessments" else "name"
    _, rep = score(record(**{section: [build(gold_name)]}), record(**{section: [build(pred_name)]}))
    f = rep.fields[f"{section}.{key}"]
    assert (f.tp, f.fp, f.fn) == (1, 0, 0), (gold_name, pred_name)


@pytest.mark.parametrize(
    ("field", "gold_value", "pred_value"),
    [
        ("target", "CD19", "CD22"),  # numbers differ: never fuzzy-equal
        ("dose", "100 mg/m2", "10 mg/m2"),
        ("name", "cytarabine", "cyclophosphamide"),
    ],
)
def test_different_texts_are_wrong(field: str, gold_value: str, pred_value: str) -> None:
    base = {"name": "cytarabine"}
    g = treatment(**{**base, field: gold_value})
    p = treatment(**{**base, field: pred_value})
    _, rep = score(record(treatments=[g]), record(treatments=[p]))
    if field == "name":  # the only key: the items no longer pair at all
        assert rep.fields["treatments"].fn == 1 and rep.fields["treatments"].fp == 1
    else:
        f = rep.fields[f"treatments.{field}"]
        assert (f.tp, f.fp, f.fn, f.wrong) == (0, 1, 1, 1)


def test_a_route_in_the_name_pairs_the_same_drug_and_never_another_route() -> None:
    # Gold (MACCROBAT-style) names the drug; the prediction writes the route into the name.
    # Each predicted acyclovir pairs with the gold acyclovir of its own dose (the dose is not a
    # key, so which is which is the assignment's choice); an IV prediction never pairs with a
    # gold that says oral.
    gold = record(treatments=[treatment("acyclovir", dose="800 mg 5 times daily")])
    pred = record(treatments=[treatment("oral acyclovir", dose="800 mg 5 times daily")])
    _, rep = score(gold, pred)
    assert (rep.fields["treatments"].tp, rep.fields["treatments.dose"].tp) == (1, 1)
    oral = record(treatments=[treatment("oral acyclovir", dose="800 mg 5 times daily")])
    iv = record(treatments=[treatment("intravenous acyclovir", dose="800 mg 5 times daily")])
    _, rep = score(oral, iv)
    assert (rep.fields["treatments"].tp, rep.fields["treatments"].fp) == (0, 1)
    assert rep.fields["treatments.dose"].tp == 0


def test_the_same_name_written_alike_pairs_before_a_route_only_match() -> None:
    # Both predictions name the gold's drug; the one written as the gold writes it pairs.
    gold = record(treatments=[treatment("acyclovir", dose="800 mg")])
    pred = record(
        treatments=[
            treatment("oral acyclovir", dose="400 mg"),
            treatment("acyclovir", dose="800 mg"),
        ]
    )
    _, rep = score(gold, pred)
    assert (rep.fields["treatments.dose"].tp, rep.fields["treatments.dose"].wrong) == (1, 0)


def test_a_tie_between_two_gold_items_goes_to_the_one_that_agrees() -> None:
    # MACCROBAT lists a drug once per mention: methotrexate (no dose), then methotrexate with
    # its dose.  The record's one dosed methotrexate is the dosed mention (position would pick
    # the first); a dose never makes another drug pair.
    gold = record(
        treatments=[treatment("methotrexate"), treatment("methotrexate", dose="15 mg/m2/weekly")]
    )
    pred = record(treatments=[treatment("methotrexate", dose="15 mg/m2/weekly")])
    _, rep = score(gold, pred)
    dose = rep.fields["treatments.dose"]
    assert (dose.tp, dose.hallucinations, dose.omissions) == (1, 0, 0)
    other = record(treatments=[treatment("cytarabine", dose="15 mg/m2/weekly")])
    _, rep = score(gold, other)
    assert rep.fields["treatments"].tp == 0


def test_a_stated_dose_outweighs_labels_the_model_infers() -> None:
    # A helper's audit cases B1 and B10: the category (always given) and the intent are
    # labels; a stated dose identifies the mention.
    gold = record(
        treatments=[
            treatment("prednisone", "supportive"),
            treatment("prednisone", "chemotherapy", dose="60 mg"),
        ]
    )
    pred = record(treatments=[treatment("prednisone", "supportive", dose="60 mg")])
    _, rep = score(gold, pred)
    assert rep.fields["treatments.dose"].tp == 1
    gold = record(
        treatments=[
            treatment("cyclophosphamide", dose="50 mg/kg"),
            treatment("cyclophosphamide", "supportive", intent="prophylaxis"),
        ]
    )
    pred = record(
        treatments=[
            treatment("cyclophosphamide", "supportive", intent="prophylaxis", dose="50 mg/kg")
        ]
    )
    _, rep = score(gold, pred)
    assert rep.fields["treatments.dose"].tp == 1


def test_interchangeable_items_keep_their_order() -> None:
    # Audit case D4: gold [X, X, A, B, C], pred [A, B, C, X, X]; the two X must not cross
    # (the best pairing orders 4 of the 10 pairs as the gold does).
    names = ["methotrexate", "methotrexate", "cytarabine", "daunorubicin", "etoposide"]
    gold = record(treatments=[treatment(n) for n in names])
    pred = record(treatments=[treatment(n) for n in names[2:] + names[:2]])
    res, rep = score(gold, pred)
    assert {(m["gold_index"], m["pred_index"]) for m in res.matches} >= {(0, 3), (1, 4)}
    assert rep.fields["treatments"].order_pairs == 10
    assert rep.fields["treatments"].order_score == pytest.approx(4 / 10)


@pytest.mark.parametrize(
    ("gold_dose", "pred_dose", "equal"),
    [
        ("1000mg/m2", "1000 mg/m2", True),  # a number written against its unit
        ("10 mg/kg", "10mg/kg", True),
        ("5mg", "50 mg", False),  # the number still decides
        ("5 cm", "5mm", False),  # and the unit
        ("10 mg/kg/month", "10 mg/kg/month IV", True),  # a route on one side only
        ("800 mg IV", "800 mg orally", False),  # two routes
        ("60 mg daily", "60 mg", False),  # a schedule is part of the dose
        ("40 mg SC daily", "40 mg subcutaneously daily", True),
        ("20 mg for 5 days", "5 mg for 20 days", False),  # a dose's numbers keep their order
        ("1-0-1", "1-1-0", False),
        ("50Gy", "50 Gy", True),
        ("1 g q8h", "1g q8h", True),
    ],
)
def test_a_dose_written_against_its_unit(gold_dose: str, pred_dose: str, equal: bool) -> None:
    g = record(treatments=[treatment("gemcitabine", dose=gold_dose)])
    p = record(treatments=[treatment("gemcitabine", dose=pred_dose)])
    _, rep = score(g, p)
    assert rep.fields["treatments.dose"].tp == int(equal)


def test_null_versus_value() -> None:
    gold = record(
        patient__sex=fact("female"),
        patient__age=None,
        outcome__status=fact("died"),
        outcome__cause_of_death=fact("severe pneumonia"),
    )
    pred = record(
        patient__sex=None,
        patient__age=fact(45, "45-year-old", unit="years"),
        outcome__status=fact("alive"),
        outcome__cause_of_death=fact("Severe pneumonia"),
    )
    _, rep = score(gold, pred)
    f = rep.fields
    assert (f["patient.sex.value"].fn, f["patient.sex.value"].omissions) == (1, 1)  # omission
    assert (f["patient.age.value"].fp, f["patient.age.value"].hallucinations) == (1, 1)
    assert f["patient.age.value"].hallucination_rate == 1.0  # 1 hallucinated / 1 predicted
    assert f["patient.sex.value"].omission_rate == 1.0  # 1 omitted / 1 gold value
    st = f["outcome.status.value"]
    assert (st.tp, st.fp, st.fn, st.wrong) == (0, 1, 1, 1)  # wrong value: FP + FN
    assert st.hallucination_rate == 0.0 and st.omission_rate == 0.0  # wrong is neither
    assert f["outcome.cause_of_death.value"].tp == 1
    # No list items on either side: list rows count one TN each, their fields nothing.
    assert "treatments.name" not in f and f["treatments"].tn == 1
    # Both null: title, journal, year, doi, age_group, follow_up -> 6 TN.
    o = rep.overall
    assert (o.tp, o.fp, o.fn, o.tn) == (1, 2, 2, 6)
    assert o.precision == pytest.approx(1 / 3)  # 1 / (1 + 2)
    assert o.recall == pytest.approx(1 / 3)  # 1 / (1 + 2)
    assert o.f1 == pytest.approx(1 / 3)
    # hallucinations 1 / predicted values (cause TP + status wrong + age) 3; omissions 1 / 3.
    assert o.hallucination_rate == pytest.approx(1 / 3)
    assert o.omission_rate == pytest.approx(1 / 3)
    # accuracy (TP + TN) / slots = (1 + 6) / 10
    assert o.accuracy == pytest.approx(0.7)
    # macro over the 3 value fields with gold values: cause (1), sex and status (0) = 1/3; the
    # 6 TN-only fields and age (no gold value, hallucinated) are not averaged in
    assert (o.macro_fields, o.macro_f1) == (3, pytest.approx(1 / 3))


def test_blank_string_counts_as_null() -> None:
    gold = record(treatments=[treatment("cytarabine", dose=None)])
    pred = record(treatments=[treatment("cytarabine", dose="  ")])
    _, rep = score(gold, pred)
    assert rep.fields["treatments.dose"].tn == 1
    same_blank = record(treatments=[treatment("cytarabine", dose=" ")])
    _, rep = score(same_blank, same_blank)
    assert rep.fields["treatments.dose"].tn == 1 and rep.fields["treatments.dose"].tp == 0


def test_partial_gold_scores_only_annotated_fields() -> None:
    gold = record(
        patient__age=fact(45, "45-year-old", unit="years"),
        patient__sex=fact("male"),
        treatments=[treatment("imatinib", "targeted_therapy")],
    )
    pred = record(
        patient__age=fact(45, "45-year-old", unit="years"),
        patient__sex=fact("female"),  # wrong, but not annotated
        diagnoses=[diagnosis("CML")],  # hallucinated, but not annotated
        treatments=[treatment("imatinib", "targeted_therapy")],
    )
    _, rep = score(gold, pred, annotated=("patient.age", "treatments"))
    assert "patient.sex.value" not in rep.fields
    assert not any(p.startswith("diagnoses") for p in rep.fields)
    assert "patient.age.value" in rep.fields and "treatments.name" in rep.fields
    # age TP 1 + name TP 1 + category TP 1; the 7 null treatment fields are TN.
    assert (rep.overall.tp, rep.overall.fp, rep.overall.fn, rep.overall.tn) == (3, 0, 0, 7)
    assert rep.overall.f1 == 1.0
    assert set(rep.grounding) == {"patient.age", "treatments"}


def test_partial_gold_on_a_sub_field_still_pairs_items() -> None:
    gold = record(treatments=[treatment("imatinib", dose="400 mg"), treatment("aspirin")])
    pred = record(
        treatments=[treatment("aspirin", dose="81 mg"), treatment("imatinib", dose="400 mg")]
    )
    _, rep = score(gold, pred, annotated=("treatments.dose",))
    assert set(rep.fields) == {"treatments.dose"}
    # imatinib pairs (400 mg = 400 mg: TP); aspirin pairs (null vs 81 mg: hallucination).
    d = rep.fields["treatments.dose"]
    assert (d.tp, d.fp, d.fn, d.hallucinations) == (1, 1, 0, 1)


def test_failed_documents_score_zero_and_stay_in_the_denominator() -> None:
    good = record(patient__sex=fact("male"))
    bad_gold = record(
        patient__sex=fact("female"),
        patient__age=fact(45, unit="years"),
        treatments=[treatment("cytarabine"), treatment("daunorubicin")],
    )
    ok = score_document("ok", good, good)
    failed = score_document("bad", bad_gold, None, status="failed", error="invalid: truncated")
    rep = build_report([ok, failed])
    doc = {d.id: d for d in rep.documents}
    assert doc["bad"].status == "failed" and doc["bad"].f1 == 0.0
    # Failed: sex 1 + age 1 + 2 names + 2 categories = 6 gold values omitted, no TN credit.
    assert (doc["bad"].fn, doc["bad"].tn, doc["bad"].omissions) == (6, 0, 6)
    assert rep.fields["treatments"].fn == 2
    # Overall: TP 1 (sex in "ok"), FN 6 -> P = 1, R = 1/7, F1 = 2(1)(1/7)/(1 + 1/7) = 1/4.
    assert (rep.overall.tp, rep.overall.fp, rep.overall.fn) == (1, 0, 6)
    assert rep.overall.f1 == pytest.approx(0.25)


def test_failed_document_with_an_empty_gold_still_scores_zero() -> None:
    rep = build_report([score_document("x", record(), None, status="failed")])
    assert rep.documents[0].f1 == 0.0


@pytest.mark.parametrize(
    ("gold", "pred", "equal"),
    [
        ((45, "years"), (540, "months"), True),
        ((4, "years"), (48, "months"), True),
        ((18, "months"), (1.5, "years"), True),
        ((78, "weeks"), (18, "months"), True),  # 546 vs 547.9 days: within 1%
        ((2, "weeks"), (14, "days"), True),
        ((45, "years"), (46, "years"), False),  # 2.2% apart: beyond the 1% tolerance
        ((45, "years"), (45, "months"), False),
    ],
)
def test_ages_compare_as_quantities(
    gold: tuple[float, str], pred: tuple[float, str], equal: bool
) -> None:
    # Built without validation: the schema caps AgeFact.value at 150 whatever the unit, so a
    # valid record cannot say "540 months" (reported to the schema owner); the scorer works on
    # dicts and must compare quantities anyway.
    g = record()
    p = record()
    g["patient"]["age"] = fact(gold[0], unit=gold[1])
    p["patient"]["age"] = fact(pred[0], unit=pred[1])
    _, rep = score(g, p)
    f = rep.fields["patient.age.value"]
    assert (f.tp, f.wrong) == ((1, 0) if equal else (0, 1))


@pytest.mark.parametrize(
    ("gold", "pred", "equal"),
    [
        ("6th month after UCBT", "6 months after UCBT", True),
        ("at the 6th month after UCBT", "sixth month post-UCBT", True),
        ("6 months after unrelated cord blood transplantation", "6 months after UCBT", True),
        ("two weeks", "2 weeks", True),
        ("two weeks", "14 days", True),
        ("1.5 years", "18 months", True),
        ("12 March 2019", "March 12, 2019", True),
        ("March 2019", "2019-03", True),
        ("Day +30", "day 30", True),
        ("6 months after UCBT", "5 months after UCBT", False),
        ("two weeks", "three weeks", False),
        ("after induction", "before induction", False),
        ("for 5 days", "5 days", True),  # a duration's "for"
        ("for 5 days", "for 6 days", False),
    ],
)
def test_time_expressions_are_normalised(gold: str, pred: str, equal: bool) -> None:
    g = record(disease_events=[event("relapse", time=gold)])
    p = record(disease_events=[event("relapse", time=pred)])
    _, rep = score(g, p)
    f = rep.fields["disease_events.time"]
    assert (f.tp, f.wrong) == ((1, 0) if equal else (0, 1)), (gold, pred)


def test_list_of_plain_values_is_matched_as_a_set() -> None:
    g = record(disease_events=[event("relapse", body_sites=["breast", "kidney", "uterus"])])
    p = record(disease_events=[event("relapse", body_sites=["kidneys", "breasts", "liver"])])
    _, rep = score(g, p)
    f = rep.fields["disease_events.body_sites"]
    # kidneys = kidney, breasts = breast (anatomy list): TP 2; liver extra FP 1; uterus FN 1.
    assert (f.tp, f.fp, f.fn) == (2, 1, 1)


def test_record_keys_need_the_first_key_to_agree() -> None:
    g = record(disease_events=[event("relapse", "extramedullary")])
    p = record(disease_events=[event("remission", "extramedullary")])
    _, rep = score(g, p)
    # Mean key similarity (0 + 100) / 2 = 50 reaches the threshold, but the event differs.
    assert (rep.fields["disease_events"].tp, rep.fields["disease_events"].fn) == (0, 1)
    g2 = record(disease_events=[event("relapse", None)])
    p2 = record(disease_events=[event("relapse", "extramedullary")])
    _, rep2 = score(g2, p2)
    # Same event, type null vs value: mean (100 + 0) / 2 = 50 -> paired; type hallucinated.
    assert rep2.fields["disease_events"].tp == 1
    assert rep2.fields["disease_events.type"].hallucinations == 1


def test_grounding_precision_and_recall() -> None:
    gold = record(
        treatments=[
            treatment("cytarabine", evidence=ev("cytarabine 100 mg", 10, 27)),
            treatment("daunorubicin", evidence=ev("daunorubicin", 40, 52)),
        ]
    )
    pred = record(
        treatments=[
            treatment("cytarabine", evidence=ev("cytarabine", 10, 20)),  # overlaps 10-20
            treatment("daunorubicin", evidence=ev("daunorubicin", 60, 72)),  # elsewhere
            treatment("prednisone", evidence=ev("prednisone", 80, 90)),  # unpaired
        ]
    )
    _, rep = score(gold, pred)
    g = rep.grounding["treatments"]
    # 1 overlapping pair; 3 predicted facts; 2 gold facts -> P 1/3, R 1/2.
    assert (g.overlapping, g.predicted, g.gold) == (1, 3, 2)
    assert g.precision == pytest.approx(1 / 3) and g.recall == pytest.approx(1 / 2)
    assert rep.fields["treatments.name"].grounding_precision == pytest.approx(1 / 3)


def test_grounding_without_offsets_uses_the_quotes() -> None:
    gold = record(patient__sex=fact("female", "a 45-year-old woman presented with fever"))
    pred = record(patient__sex=fact("female", "45-year-old woman presented"))
    unsupported = record(
        patient__sex={"value": "female", "evidence": ev("45-year-old woman", status="unsupported")}
    )
    assert build_report([score_document("a", gold, pred)]).grounding["patient.sex"].overlapping == 1
    rep = build_report([score_document("b", gold, unsupported)])
    assert rep.grounding["patient.sex"].overlapping == 0  # an unsupported quote never counts


def test_scorer_never_raises_on_bad_output() -> None:
    gold = record(treatments=[treatment("cytarabine")], patient__sex=fact("female"))
    garbage: dict[str, Any] = {
        "patient": "nonsense",
        "treatments": [1, "x", {"name": 5, "category": None}, {"evidence": 3, "name": ["a"]}],
        "diagnoses": {"not": "a list"},
        "source": None,
    }
    res = score_document("g", gold, garbage)
    rep = build_report([res])
    assert res.status == "ok"  # scored as (bad) output, not crashed
    # The two dict items are predictions (neither pairs with cytarabine); 1 and "x" are not items.
    t = rep.fields["treatments"]
    assert (t.tp, t.fp, t.fn) == (0, 2, 1)
    assert rep.fields["patient.sex.value"].fn == 1


def test_order_of_a_long_list() -> None:
    events = [
        {"event": f"event number {w}", "time": None, "evidence": ev(w)}
        for w in [
            "alpha",
            "bravo",
            "charlie",
            "delta",
            "echo",
            "foxtrot",
            "golf",
            "hotel",
            "india",
            "juliet",
            "kilo",
            "lima",
            "mike",
            "november",
        ]
    ]
    gold = record(timeline=events)
    _, rep = score(gold, record(timeline=events[::-1]))
    t = rep.fields["timeline"]
    # 14 items, all paired; reversed: none of the 14 * 13 / 2 = 91 item pairs keeps its order.
    assert (t.tp, t.order_pairs, t.order_score) == (14, 91, 0.0)
    swapped = events[:]
    swapped[0], swapped[1] = swapped[1], swapped[0]
    _, rep = score(gold, record(timeline=swapped))
    assert rep.fields["timeline"].order_score == pytest.approx(90 / 91)  # one pair inverted


def test_pairing_is_optimal_not_greedy() -> None:
    # Items pair only when their first key matches; further keys in scope add weight.  Both
    # relapses match both relapses on `event`; the types decide: the optimal assignment pairs
    # each with the one of the same type (both keys match: similarity 100), not by position.
    gold = record(disease_events=[event("relapse", "extramedullary"), event("relapse", "CNS")])
    pred = record(
        disease_events=[
            event("relapse", "central nervous system"),
            event("relapse", "extramedullary"),
        ]
    )
    res, rep = score(gold, pred)
    assert {(m["gold_index"], m["pred_index"]) for m in res.matches} == {(0, 1), (1, 0)}
    assert rep.fields["disease_events"].tp == 2
    assert [m["similarity"] for m in res.matches] == [100.0, 100.0]
    assert rep.fields["disease_events.type"].tp == 2


def test_a_document_s_own_meaning_of_letters_the_lists_know() -> None:
    """A text that writes "pleural effusion (PE)": a record's "pulmonary embolism" is not its
    pleural effusion (the lists read PE as pulmonary embolism), and its "PE" is."""
    text = "Chest CT showed a right pleural effusion (PE). The PE was drained."
    gold = record(diagnoses=[diagnosis("pleural effusion")])
    _, wrong = score(gold, record(diagnoses=[diagnosis("pulmonary embolism")]), text=text)
    assert (wrong.fields["diagnoses"].tp, wrong.fields["diagnoses"].fn) == (0, 1)
    _, right = score(gold, record(diagnoses=[diagnosis("PE")]), text=text)
    assert right.fields["diagnoses"].tp == 1
    _, listed = score(
        record(diagnoses=[diagnosis("pulmonary embolism")]), record(diagnoses=[diagnosis("PE")])
    )
    assert listed.fields["diagnoses"].tp == 1  # no definition in the text: the lists' reading


@pytest.mark.parametrize(
    ("pred_doi", "equal"),
    [
        ("https://doi.org/10.5555/jchr.2023.0417", True),
        ("http://dx.doi.org/10.5555/JCHR.2023.0417", True),
        ("doi: 10.5555/jchr.2023.0417", True),
        ("https://doi.org/10.5555/jchr.2023.0418", False),
        ("https://example.org/10.5555/jchr.2023.0417", False),
    ],
)
def test_a_doi_is_the_same_with_or_without_its_resolver(pred_doi: str, equal: bool) -> None:
    gold = record(source__doi=fact("10.5555/jchr.2023.0417"))
    pred = record(source__doi=fact(pred_doi))
    _, rep = score(gold, pred)
    assert (rep.fields["source.doi.value"].tp == 1) is equal


def _finding(name: str, assertion: str) -> dict[str, Any]:
    return {"name": name, "assertion": assertion, "body_site": None, "evidence": ev(name)}


def test_opposite_facts_never_pair() -> None:
    """ "Fever, absent" and "fever, present" are opposite facts, not one finding with a wrong
    assertion: the list counts an omission and a hallucination, as for two names (eighth
    session: removing "jaundice, present" from a record whose text says "no jaundice" had
    lowered its score, the name having been credited).  "Uncertain" is opposite to nothing;
    a diagnosis ruled out is the opposite of one made."""
    gold = record(
        findings=[_finding("fever", "absent"), _finding("rash", "absent")],
        diagnoses=[diagnosis("pneumonia", "ruled_out"), diagnosis("sepsis", "secondary")],
    )
    pred = record(
        findings=[_finding("fever", "present"), _finding("rash", "uncertain")],
        diagnoses=[diagnosis("pneumonia", "secondary"), diagnosis("sepsis", "principal")],
    )
    _, rep = score(gold, pred)
    items = rep.fields["findings"]
    assert (items.tp, items.fp, items.fn) == (1, 1, 1)  # rash pairs; fever does not
    assertion = rep.fields["findings.assertion"]
    assert (assertion.tp, assertion.wrong) == (0, 1)  # the rash: uncertain for absent
    dx = rep.fields["diagnoses"]
    assert (dx.tp, dx.fp, dx.fn) == (1, 1, 1)  # sepsis pairs (principal and secondary hold)


def test_a_name_that_denies_a_finding_is_that_finding_with_the_opposite_assertion() -> None:
    """MACCROBAT annotates "afebrile" as a sign, present; the hand gold writes "fever, absent":
    one fact, read alike on both sides ("no fever", present too).  "Afebrile" is still the
    opposite of "fever, present", and "uncertain" is left as written."""
    gold = record(
        findings=[
            _finding("afebrile", "present"),
            _finding("non-tender", "present"),
            _finding("jaundice", "absent"),
            _finding("cough", "absent"),
        ]
    )
    pred = record(
        findings=[
            _finding("fever", "absent"),
            _finding("tenderness", "present"),
            _finding("anicteric", "present"),
            _finding("no cough", "uncertain"),
        ]
    )
    _, rep = score(gold, pred)
    items = rep.fields["findings"]
    assert (items.tp, items.fp, items.fn) == (2, 2, 2)  # fever and jaundice pair


def test_a_denying_name_is_never_credited_as_the_opposite_fact() -> None:
    """A helper's audit: "no fever", absent had been read as "fever, present" and paired with
    it; and with the assertion out of scope, "afebrile" rewritten to "fever" had paired by
    name with "fever, present"."""
    gold = record(findings=[_finding("fever", "present")])
    pred = record(findings=[_finding("no fever", "absent")])
    _, rep = score(gold, pred)
    assert rep.fields["findings"].tp == 0
    pred = record(findings=[_finding("afebrile", "present")])
    _, rep = score(gold, pred, annotated=("findings.name",))
    assert rep.fields["findings.name"].tp == 0


def test_polarity_out_of_scope_takes_no_part() -> None:
    """A gold that does not annotate the assertion pairs findings by name alone."""
    gold = record(findings=[_finding("fever", "absent")])
    pred = record(findings=[_finding("fever", "present")])
    _, rep = score(gold, pred, annotated=("findings.name",))
    assert rep.fields["findings.name"].tp == 1


def test_opposite_facts_are_named_in_the_error_list_and_read_as_the_schema_writes_them() -> None:
    """An opposite pair is an omission and a hallucination in the counts, and one entry in the
    error list saying so (a helper's audit: under MACCROBAT's scope, where the list row is not
    scored, a flipped finding had left no trace in the errors).  Output never validated
    ("Absent") is read as the schema writes it."""
    gold = record(findings=[_finding("fever", "absent")])
    pred = record(findings=[_finding("fever", "present")])
    pred["findings"][0]["assertion"] = "Present"  # as output that was never validated
    res, rep = score(gold, pred, annotated=("findings.name", "findings.assertion"))
    assert rep.fields["findings.name"].tp == 0
    flips = [e for e in res.errors if "opposite" in e.get("note", "")]
    assert [(e["gold"], e["pred"]) for e in flips] == [("fever: absent", "fever: Present")]
