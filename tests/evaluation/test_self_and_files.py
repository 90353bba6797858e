"""Gold scored against itself is perfect; prediction folders with bad files score zero."""

from __future__ import annotations

from pathlib import Path

import pytest

from abstraction.core.errors import UserError
from abstraction.core.records import GoldRecord
from abstraction.evaluation.files import score_dirs
from abstraction.evaluation.results import build_report
from abstraction.evaluation.scorer import score_document
from tests.evaluation.helpers import extraction, fact, gold_record, record, treatment
from tests.evaluation.seed_case import seed_gold

REPO = Path(__file__).resolve().parents[2]
GOLD_FILES = sorted((REPO / "gold").glob("*.json"))


def _golds() -> list[GoldRecord]:
    return [GoldRecord.model_validate_json(p.read_bytes()) for p in GOLD_FILES]


@pytest.mark.parametrize("gold", _golds(), ids=lambda g: g.document_id)
def test_gold_against_itself_is_perfect_everywhere(gold: GoldRecord) -> None:
    rec = gold.record.model_dump()
    annotated = tuple(gold.annotated_fields) if gold.annotated_fields is not None else None
    rep = build_report([score_document(gold.document_id, rec, rec, annotated=annotated)])
    assert rep.fields, "nothing was scored"
    for path, f in rep.fields.items():
        assert (f.precision, f.recall, f.f1) == (1.0, 1.0, 1.0), path
        assert f.fp == f.fn == 0, path
        assert f.hallucination_rate in (None, 0.0) and f.omission_rate in (None, 0.0), path
        assert f.grounding_precision in (None, 1.0) and f.grounding_recall in (None, 1.0), path
        assert f.order_score in (None, 1.0), path
    assert rep.overall.f1 == rep.overall.macro_f1 == 1.0
    assert rep.overall.grounding_precision in (None, 1.0)


def test_the_seed_record_exercises_every_kind() -> None:
    rec = seed_gold().record.model_dump()
    rep = build_report([score_document("seed", rec, rec)])
    assert {f.kind for f in rep.fields.values()} == {"exact", "text", "time", "records", "number"}
    assert rep.overall.tp > 50


def _write(folder: Path, name: str, text: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")


def test_score_dirs_missing_invalid_and_failed_predictions(tmp_path: Path) -> None:
    gold_dir, pred_dir = tmp_path / "gold", tmp_path / "pred"
    rec = record(patient__sex=fact("male"), treatments=[treatment("imatinib")])
    for doc_id in ["a", "b", "c", "d", "e"]:
        _write(gold_dir, f"{doc_id}.json", gold_record(doc_id, rec).model_dump_json())
    _write(pred_dir, "a.json", extraction("a", rec).model_dump_json())  # perfect
    _write(pred_dir, "b.json", extraction("b", None).model_dump_json())  # status failed
    _write(pred_dir, "c.json", '{"kind": "extraction", "record": 3}')  # schema-invalid
    _write(pred_dir, "d.json", "{not json")  # unreadable
    # e.json missing; z.json has no gold
    _write(pred_dir, "z.json", extraction("z", rec).model_dump_json())
    rep = score_dirs(pred_dir, gold_dir)
    status = {d.id: d.status for d in rep.documents}
    assert status == {"a": "ok", "b": "failed", "c": "invalid", "d": "invalid", "e": "missing"}
    assert rep.unmatched_predictions == ["z"]
    assert all(d.f1 == 0.0 for d in rep.documents if d.id != "a")
    # Each document has 3 gold values (sex, name, category): "a" finds 3, the other four
    # documents omit 3 each -> TP 3, FN 12: R = 3/15 = 0.2, P = 1, F1 = 2(0.2)/(1.2) = 1/3.
    assert (rep.overall.tp, rep.overall.fn) == (3, 12)
    assert rep.overall.recall == pytest.approx(0.2)
    assert rep.overall.f1 == pytest.approx(1 / 3)
    assert "failed" in (rep.documents[1].error or "") or "test failure" in (
        rep.documents[1].error or ""
    )


def test_gold_errors_are_user_errors(tmp_path: Path) -> None:
    gold_dir, pred_dir = tmp_path / "gold", tmp_path / "pred"
    pred_dir.mkdir()
    _write(gold_dir, "a.json", "{}")
    with pytest.raises(UserError, match="invalid gold"):
        score_dirs(pred_dir, gold_dir)
    bad = gold_record("a", record(), annotated=["patient.height"])
    _write(gold_dir, "a.json", bad.model_dump_json())
    with pytest.raises(UserError, match="unknown paths"):
        score_dirs(pred_dir, gold_dir)
    _write(gold_dir, "a.json", gold_record("b", record()).model_dump_json())
    with pytest.raises(UserError, match="does not match"):
        score_dirs(pred_dir, gold_dir)


def test_score_many_in_workers_matches_one_process() -> None:
    from abstraction.evaluation.scorer import ScoreTask, score_many

    gold = seed_gold().record.model_dump()
    pred = record(patient__sex=fact("female"), treatments=[treatment("CAR-T", "cellular_therapy")])
    tasks = [ScoreTask(f"d{i}", gold, pred if i % 3 else gold) for i in range(40)]
    one = score_many(tasks, workers=1)
    two = score_many(tasks, workers=2)
    assert [(r.id, r.counts, r.errors, r.matches) for r in one] == [
        (r.id, r.counts, r.errors, r.matches) for r in two
    ]


def test_score_dirs_in_workers_matches_one_process(tmp_path: Path) -> None:
    """`abstraction score` scores a folder in forked workers: the same report as one process,
    failed, missing and partial-gold documents (with a partial order) included."""
    gold_dir, pred_dir = tmp_path / "gold", tmp_path / "pred"
    full = seed_gold().record.model_dump()
    pred = record(patient__sex=fact("female"), treatments=[treatment("CAR-T", "cellular_therapy")])
    for i in range(24):
        doc = f"d{i:02d}"
        gold = gold_record(doc, full, annotated=["treatments.name"] if i % 4 == 0 else None)
        if i % 4 == 0:
            gold.order = {"treatments": [(0, 1)]} if len(full["treatments"]) > 1 else None
        _write(gold_dir, f"{doc}.json", gold.model_dump_json())
        if i % 5:
            _write(
                pred_dir, f"{doc}.json", extraction(doc, pred if i % 3 else full).model_dump_json()
            )
    one = score_dirs(pred_dir, gold_dir, workers=1)
    two = score_dirs(pred_dir, gold_dir, workers=2)
    assert one.model_dump() == two.model_dump()
    assert {d.status for d in one.documents} == {"ok", "missing"}
