"""Course-order labels and the measure of a timeline's order (`abstraction.evaluation.
course_order`): crafted texts and timelines, so each case would fail if the order, the ties
or the matching were wrong."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from abstraction.evaluation.course_order import (
    CourseEvent,
    CourseLabel,
    measure,
    spans_fit,
    summarize,
)

TEXT = (
    "A 60-year-old man had a radical nephrectomy in 2010. In 2015 he relapsed in the lung "
    "and received sunitinib. He then underwent stereotactic radiotherapy (SBRT). He died in "
    "2018."
)


def _event(name: str, rank: int, also: list[str] | None = None) -> CourseEvent:
    start = TEXT.index(name)
    return CourseEvent(name=name, start=start, end=start + len(name), also=also or [], rank=rank)


LABEL = CourseLabel(
    id="x",
    split="dev",
    sha256="0" * 64,
    events=[
        _event("radical nephrectomy", 1),
        _event("relapsed", 2),
        _event("sunitinib", 3),
        _event("stereotactic radiotherapy", 4, ["SBRT"]),
        _event("died", 5),
    ],
)


def _record(*events: str) -> dict[str, Any]:
    return {"timeline": [{"event": e, "time": None, "evidence": {"quote": e}} for e in events]}


def test_a_timeline_in_the_course_s_order_is_all_concordant() -> None:
    got = measure(
        LABEL, _record("radical nephrectomy", "relapse", "sunitinib", "SBRT", "death"), TEXT
    )
    assert (got.found, got.concordant, got.discordant) == (5, 10, 0)


def test_a_reversed_timeline_is_all_discordant() -> None:
    got = measure(
        LABEL, _record("death", "SBRT", "sunitinib", "relapse", "radical nephrectomy"), TEXT
    )
    assert (got.found, got.concordant, got.discordant) == (5, 0, 10)


def test_unfound_events_and_one_swap() -> None:
    got = measure(LABEL, _record("sunitinib", "radical nephrectomy", "chemotherapy"), TEXT)
    assert (got.found, got.concordant, got.discordant) == (2, 0, 1)


def test_equal_ranks_are_not_judged() -> None:
    tied = LABEL.model_copy(
        update={
            "events": [_event("sunitinib", 3), _event("stereotactic radiotherapy", 3, ["SBRT"])]
        }
    )
    got = measure(tied, _record("SBRT", "sunitinib"), TEXT)
    assert (got.found, got.judged) == (2, 0)


@pytest.mark.parametrize("record", [None, {}, {"timeline": "x"}, {"timeline": [{"e": 1}]}, 3])
def test_a_missing_or_malformed_record_finds_nothing(record: Any) -> None:
    got = measure(LABEL, record, TEXT)
    assert (got.labelled, got.found, got.judged) == (5, 0, 0)


def test_a_span_must_fit_its_name() -> None:
    with pytest.raises(ValidationError):
        CourseEvent(name="sunitinib", start=0, end=3, rank=1)
    assert spans_fit(LABEL, TEXT) == []
    assert spans_fit(LABEL, TEXT.replace("sunitinib", "pazopanib")) == ["sunitinib"]


def test_summary_and_paired_difference() -> None:
    good = [measure(LABEL, _record("radical nephrectomy", "relapse", "sunitinib"), TEXT)] * 4
    bad = [measure(LABEL, _record("sunitinib", "relapse", "radical nephrectomy"), TEXT)] * 4
    out, deltas, _ = summarize({"good": good, "bad": bad}, resamples=200)
    assert out["good"].share == 1.0 and out["bad"].share == 0.0
    assert out["good"].judged == 12 and out["good"].found == pytest.approx(12 / 20)
    point, lo, hi = deltas[("good", "bad")]
    assert point == 1.0 and lo == 1.0 and hi == 1.0


def test_pairs_not_found_count_against_the_recall() -> None:
    one = measure(LABEL, _record("radical nephrectomy", "relapse"), TEXT)
    assert (one.pairs, one.concordant) == (10, 1)
    out, _, _ = summarize({"a": [one]}, resamples=50)
    assert out["a"].share == 1.0 and out["a"].recall == pytest.approx(0.1)


def test_the_recall_has_an_interval_and_a_paired_difference() -> None:
    """Documents that differ give an interval that spans them; a system that finds more
    pairs in order is ahead on recall even where both keep every pair they find in order."""
    few = measure(LABEL, _record("radical nephrectomy", "relapse"), TEXT)  # 1 of 10
    many = measure(LABEL, _record("radical nephrectomy", "relapse", "sunitinib"), TEXT)
    out, deltas, recall_deltas = summarize(
        {"many": [many, few, many, few], "few": [few] * 4}, resamples=500
    )
    assert out["many"].share == out["few"].share == 1.0
    assert deltas[("many", "few")][0] == 0.0
    assert out["many"].recall_low < out["many"].recall < out["many"].recall_high
    assert out["few"].recall_low == out["few"].recall_high == pytest.approx(0.1)
    point, lo, hi = recall_deltas[("many", "few")]
    assert point == pytest.approx(out["many"].recall - 0.1) and 0 <= lo < point < hi


def test_a_pair_out_of_order_counts_against_the_recall() -> None:
    """Recall is concordant pairs over all the label's ordered pairs: a discordant pair is
    not counted as in order, nor taken out of the denominator."""
    mixed = measure(LABEL, _record("radical nephrectomy", "sunitinib", "relapse"), TEXT)
    assert (mixed.pairs, mixed.concordant, mixed.discordant) == (10, 2, 1)
    out, _, _ = summarize({"a": [mixed, mixed]}, resamples=50)
    assert out["a"].recall == pytest.approx(0.2)
    assert out["a"].recall_low == out["a"].recall_high == pytest.approx(0.2)


def test_systems_with_different_documents_are_refused() -> None:
    one = measure(LABEL, _record("relapse"), TEXT)
    with pytest.raises(ValueError):
        summarize({"a": [one, one], "b": [one]})
