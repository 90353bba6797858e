"""`abstraction score`: document hash check and dual extraction (two annotators' gold)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from abstraction.core.errors import UserError
from abstraction.evaluation.agreement import agreement_dirs, cohen_kappa
from abstraction.evaluation.files import score_dirs
from tests.evaluation.helpers import extraction, fact, gold_record, record


def _finding(name: str, assertion: str) -> dict[str, Any]:
    return {"name": name, "assertion": assertion, "body_site": None, "evidence": {"quote": name}}


def test_a_prediction_from_another_text_is_refused_or_warned(tmp_path: Path) -> None:
    gold_dir, pred_dir = tmp_path / "gold", tmp_path / "pred"
    gold_dir.mkdir(), pred_dir.mkdir()
    rec = record(patient__sex=fact("male"))
    gold = gold_record("a", rec).model_copy(update={"document_sha256": "1" * 64})
    (gold_dir / "a.json").write_text(gold.model_dump_json(), encoding="utf-8")
    (pred_dir / "a.json").write_text(extraction("a", rec).model_dump_json(), encoding="utf-8")
    with pytest.raises(UserError, match="another text"):
        score_dirs(pred_dir, gold_dir)
    rep = score_dirs(pred_dir, gold_dir, allow_hash_mismatch=True)
    assert rep.warnings and rep.warnings[0].startswith("a: gold 111111111111")


def test_cohen_kappa() -> None:
    assert cohen_kappa([("a", "a"), ("b", "b")]) == 1.0
    # p_o = 0.5, p_e = 0.5 -> 0
    assert cohen_kappa([("a", "a"), ("a", "b"), ("b", "a"), ("b", "b")]) == 0.0
    assert cohen_kappa([("a", "a"), ("a", "a")]) is None  # one category: nothing to correct
    assert cohen_kappa([]) is None


def test_two_annotators_gold_give_f1_and_kappa(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir(), second.mkdir()
    a = record(
        patient__sex=fact("male"),
        findings=[_finding("fever", "present"), _finding("cough", "absent")],
    )
    b = record(
        patient__sex=fact("male"),
        findings=[_finding("pyrexia", "present"), _finding("cough", "present")],
    )
    (first / "d.json").write_text(gold_record("d", a).model_dump_json(), encoding="utf-8")
    (second / "d.json").write_text(gold_record("d", b).model_dump_json(), encoding="utf-8")
    rows = {r.path: r for r in agreement_dirs(second, first) or []}
    assert rows["findings.name"].f1 == 1.0
    assert rows["findings.assertion"].pairs == 2
    assert rows["findings.assertion"].f1 == 0.5
    # present/present and absent/present: p_o 0.5, p_e = (1/2 * 2/2) = 0.5 -> kappa 0
    assert rows["findings.assertion"].kappa == 0.0
    assert rows["patient.sex.value"].kappa is None  # one category on both sides
    rep = score_dirs(second, first)  # two annotators: pair by name, as the agreement table
    assert rep.fields["findings.name"].f1 == 1.0


def test_a_second_annotator_s_gold_with_sorted_keys_is_read_as_gold(tmp_path: Path) -> None:
    """Twelfth session's audit: a gold written with `json.dump(..., sort_keys=True)` (which
    `validate` accepts) was read as a broken extraction, since "kind" was looked for in its
    first 200 bytes only, and scored F1 0.000 with exit 0; the same content scored 1.000."""
    import json

    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir(), second.mkdir()
    a = record(patient__sex=fact("male"), findings=[_finding("fever", "present")])
    gold = gold_record("d", a)
    (first / "d.json").write_text(gold.model_dump_json(), encoding="utf-8")
    data = json.loads(gold.model_dump_json())
    data["annotator"] = "second annotator, " * 12  # "kind" past the first 200 bytes
    (second / "d.json").write_text(json.dumps(data, indent=2, sort_keys=True), encoding="utf-8")
    assert '"kind"' not in (second / "d.json").read_text()[:200]
    rep = score_dirs(second, first)
    assert rep.fields["findings.name"].f1 == 1.0


def test_predictions_that_mix_gold_records_with_extractions_are_warned_of(
    tmp_path: Path,
) -> None:
    """Twelfth session's audit: a gold copied into a folder of extractions raised micro F1
    from 0.092 to 0.520, and the report said nothing."""
    from abstraction.core.documents import Document
    from tests.jobs.stand_in import _extraction

    gold_dir, pred_dir = tmp_path / "gold", tmp_path / "pred"
    gold_dir.mkdir(), pred_dir.mkdir()
    for d in ("d1", "d2"):
        gold = gold_record(d, record(patient__sex=fact("male")))
        (gold_dir / f"{d}.json").write_text(gold.model_dump_json(), encoding="utf-8")
    (pred_dir / "d1.json").write_text((gold_dir / "d1.json").read_text(), encoding="utf-8")
    ext = _extraction(
        Document("d2", "text"), "2024-01-01T00:00:00+00:00", "ok", None, None, None, 1
    )
    (pred_dir / "d2.json").write_text(ext.model_dump_json(), encoding="utf-8")
    rep = score_dirs(pred_dir, gold_dir, allow_hash_mismatch=True)
    assert any("1 of 2 predictions are gold records" in w for w in rep.warnings)
