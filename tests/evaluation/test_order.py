"""Timeline order from a partial gold order (issue 15): MACCROBAT's BEFORE / AFTER imported as
pairs of gold items, and scored as pairwise order agreement over the pairs the gold orders.

The little case below is our own; the expected timeline and pairs were worked out by hand from
its annotation before running the importer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from abstraction.evaluation.brat import convert_document
from abstraction.evaluation.brat_ann import BratDocument, parse_ann
from abstraction.evaluation.brat_time import precedence
from abstraction.evaluation.compare import VersionInput, compare
from abstraction.evaluation.counts import ORD_OK, ORD_PAIRS, TP
from abstraction.evaluation.files import Prediction, score_prediction
from abstraction.evaluation.results import build_report
from abstraction.evaluation.scorer import score_document
from tests.evaluation.helpers import ev, gold_record, record

TEXT = (
    "After chemotherapy she developed fever. Vancomycin was started, and a CT on day 9 showed "
    "an abscess. Surgery followed the CT. Later, she had a rash."
)


def _span(tid: str, type_: str, phrase: str) -> str:
    start = TEXT.index(phrase)
    return f"{tid}\t{type_} {start} {start + len(phrase)}\t{phrase}"


ANN = "\n".join(
    [
        _span("T1", "Medication", "chemotherapy"),
        _span("T2", "Sign_symptom", "fever"),
        _span("T3", "Medication", "Vancomycin"),
        _span("T4", "Diagnostic_procedure", "CT"),
        _span("T5", "Date", "day 9"),
        _span("T6", "Disease_disorder", "abscess"),
        _span("T7", "Therapeutic_procedure", "Surgery"),
        _span("T8", "Sign_symptom", "rash"),
        "R1\tBEFORE Arg1:T1 Arg2:T2",  # chemotherapy, then fever
        "R2\tAFTER Arg1:T3 Arg2:T2",  # vancomycin after the fever
        "R3\tAFTER Arg1:T7 Arg2:T4",  # surgery after the CT
        "R4\tBEFORE Arg1:T8 Arg2:T7",  # rash before surgery ...
        "R5\tBEFORE Arg1:T7 Arg2:T8",  # ... and after it: a conflict, left out
        "R6\tMODIFY Arg1:T6 Arg2:T4",
        "*\tOVERLAP T4 T5",
    ]
)


def _gold() -> Any:
    return convert_document(BratDocument("x", TEXT, parse_ann(ANN + "\n")), annotator="t").gold


def test_before_after_become_the_timeline_and_its_partial_order() -> None:
    gold = _gold()
    # events with a time (CT) or ordered against another event, in text order; the abscess has
    # neither, the rash only conflicting pairs
    assert [(e.event, e.time) for e in gold.record.timeline] == [
        ("chemotherapy", None),
        ("fever", None),
        ("Vancomycin", None),
        ("CT", "day 9"),
        ("Surgery", None),
    ]
    # chemo < fever < vancomycin (and chemo < vancomycin by the chain); CT < surgery
    assert gold.order["timeline"] == [(0, 1), (0, 2), (1, 2), (3, 4)]
    assert [t.name for t in gold.record.treatments] == ["chemotherapy", "Vancomycin", "Surgery"]
    assert gold.order["treatments"] == [(0, 1)]


def test_precedence_chains_through_dates_and_drops_cycles() -> None:
    rels = [("BEFORE", "a", "d"), ("BEFORE", "d", "b"), ("AFTER", "c", "b"), ("BEFORE", "x", "y")]
    rels += [("BEFORE", "y", "x"), ("OVERLAP", "a", "z")]
    before = precedence(rels, lambda m: m)
    assert ("a", "b") in before and ("a", "c") in before and ("d", "c") in before
    assert not {("x", "y"), ("y", "x"), ("a", "z"), ("z", "a")} & before
    assert ("b", "a") not in before


def _timeline(*names: str) -> list[dict[str, Any]]:
    return [{"event": n, "time": None, "evidence": ev(n)} for n in names]


def test_only_the_gold_ordered_pairs_are_judged() -> None:
    gold = record(timeline=_timeline("fever", "rash", "stroke"))
    backwards = record(timeline=_timeline("stroke", "rash", "fever"))
    total = score_document("d", gold, backwards).counts["timeline"]
    assert (total[ORD_OK], total[ORD_PAIRS]) == (0, 3)  # a hand gold: every pair
    partial = score_document("d", gold, backwards, order={"timeline": [(0, 2)]})
    row = partial.counts["timeline"]
    assert (row[ORD_OK], row[ORD_PAIRS]) == (0, 1)  # only fever before stroke is known
    without_rash = record(timeline=_timeline("fever", "stroke"))
    row = score_document("d", gold, without_rash, order={"timeline": [(0, 2)]}).counts["timeline"]
    assert (row[ORD_OK], row[ORD_PAIRS]) == (1, 1)
    row = score_document("d", gold, without_rash, order={"timeline": [(0, 1)]}).counts
    assert "timeline" not in row or row["timeline"][ORD_PAIRS] == 0  # rash not found: unjudged


def test_order_is_scored_when_only_the_list_key_is_in_scope() -> None:
    """MACCROBAT lists `timeline.event?`, not `timeline`: the items are paired on their event,
    so their order is scored, while the list's own row (item counts) is not."""
    rec = record(timeline=_timeline("fever", "rash", "stroke"))
    gold = gold_record("d", rec, ["timeline.event"])
    gold.order = {"timeline": [(0, 1), (1, 2)]}
    pred = Prediction("ok", record(timeline=_timeline("rash", "fever", "stroke")))
    res = score_prediction(gold, pred)
    row = res.counts["timeline"]
    assert (row[ORD_OK], row[ORD_PAIRS]) == (1, 2) and row[TP] == 0
    report_one = build_report([res])
    assert "timeline" not in report_one.fields  # no F1 row (it would read 1.0 from no counts)
    assert report_one.order["timeline"].pairs == 2 and report_one.order["timeline"].share == 0.5
    # a gold without a partial order: no order where the list's row is not scored (as before)
    plain = gold_record("d", rec, ["timeline.event"])
    assert "timeline" not in score_prediction(plain, pred).counts
    report = compare("s", [VersionInput("v", "0" * 64, [res])])
    assert "timeline" not in [f.path for f in report.fields]  # no F1 row for an order-only row
    (order,) = report.order
    assert order.path == "timeline" and order.pairs == [2]
    assert order.share[0] is not None and order.share[0].estimate == 0.5


def test_gold_order_must_name_items_of_a_list() -> None:
    rec = record(timeline=_timeline("fever", "rash"))
    gold = gold_record("d", rec)
    with pytest.raises(ValidationError, match="not two distinct items"):
        type(gold).model_validate({**gold.model_dump(), "order": {"timeline": [[0, 2]]}})
    with pytest.raises(ValidationError, match="not an ordered list"):
        type(gold).model_validate({**gold.model_dump(), "order": {"patient": [[0, 1]]}})
    with pytest.raises(ValidationError, match="not an ordered list"):  # findings: no order
        type(gold).model_validate({**gold.model_dump(), "order": {"findings": []}})
    with pytest.raises(ValidationError, match="given twice"):
        type(gold).model_validate({**gold.model_dump(), "order": {"timeline": [[0, 1], [0, 1]]}})
    three = gold_record("d", record(timeline=_timeline("fever", "rash", "stroke")))
    with pytest.raises(ValidationError, match="ordered both ways"):
        type(gold).model_validate({**gold.model_dump(), "order": {"timeline": [[0, 1], [1, 0]]}})
    with pytest.raises(ValidationError, match=r"items \[0, 1, 2\] are ordered both ways"):
        type(three).model_validate(
            {**three.model_dump(), "order": {"timeline": [[0, 1], [1, 2], [2, 0]]}}
        )
    ok = {**three.model_dump(), "order": {"timeline": [[0, 1], [1, 2], [0, 2]]}}
    assert type(three).model_validate(ok).order == {"timeline": [(0, 1), (1, 2), (0, 2)]}
    with pytest.raises(ValidationError, match="not two distinct items"):
        type(gold).model_validate({**gold.model_dump(), "order": {"timeline": [[1, 1]]}})


def test_abstraction_score_prints_the_order_of_an_order_only_list(tmp_path: Path) -> None:
    """`abstraction score` on a partial gold that scores only the timeline's events: the order
    line says what was judged, in both one process and two."""
    from typer.testing import CliRunner

    from abstraction.cli.main import app
    from tests.evaluation.helpers import extraction

    gold_dir, pred_dir = tmp_path / "gold", tmp_path / "pred"
    gold_dir.mkdir()
    pred_dir.mkdir()
    rec = record(timeline=_timeline("fever", "rash", "stroke"))
    gold = gold_record("d", rec, ["timeline.event"])
    gold.order = {"timeline": [(0, 1), (1, 2)]}
    (gold_dir / "d.json").write_text(gold.model_dump_json(), encoding="utf-8")
    pred = extraction("d", record(timeline=_timeline("rash", "fever", "stroke")))
    (pred_dir / "d.json").write_text(pred.model_dump_json(), encoding="utf-8")
    for workers in ("1", "2"):
        res = CliRunner().invoke(app, ["score", str(pred_dir), str(gold_dir), "--workers", workers])
        assert res.exit_code == 0, res.output
        assert "timeline order: 0.500 (1 of 2 judged gold-ordered pairs" in res.output
