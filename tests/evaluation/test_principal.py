"""Principal diagnosis: the committed MACCROBAT labels, the import that applies them, and the
measure.

The import is tried on the fictional brat case in ``data/brat`` with labels written here for
it; the measure on crafted predictions whose verdicts are known in advance (right, synonym,
document abbreviation, wrong, none, several principals, malformed, failed).
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from abstraction.cli.brat import app as brat_app
from abstraction.cli.brat import default_maccrobat_dir
from abstraction.core.documents import Document, sha256_text
from abstraction.core.errors import UserError
from abstraction.core.prompts import load_prompt
from abstraction.core.records import GoldRecord
from abstraction.core.schema import CaseReport
from abstraction.evaluation.brat import convert_document
from abstraction.evaluation.brat_ann import read_brat_document
from abstraction.evaluation.compare import EvalReport, compare
from abstraction.evaluation.principal import (
    PrincipalLabel,
    PrincipalLabels,
    Target,
    apply_label,
    judge,
    measure,
    measure_dirs,
    principal_of,
    read_labels,
    targets_from_gold,
)
from abstraction.evaluation.report import render_markdown
from abstraction.evaluation.runner import run_suite, version_input
from abstraction.evaluation.suite import load_suite
from tests.evaluation.helpers import diagnosis, extraction, gold_record, record

ROOT = Path(__file__).resolve().parents[2]
LABELS = ROOT / "eval" / "labels" / "maccrobat-principal.json"
CASE = Path(__file__).parent / "data" / "brat" / "case_knee.txt"
MACCROBAT = default_maccrobat_dir()


# ----------------------------------------------------------------------------- the labels file


def _suite_ids(name: str) -> list[str]:
    spec = tomllib.loads((ROOT / "eval" / "suites" / f"{name}.toml").read_text("utf-8"))
    return [Path(p).stem for p in spec["documents"]]


def test_labels_cover_both_splits_as_the_suites_define_them() -> None:
    labels = read_labels(LABELS)
    split = {lab.id: lab.split for lab in labels.labels}
    assert len(split) == 40
    assert {i: split[i] for i in _suite_ids("maccrobat-dev20")} == dict.fromkeys(
        _suite_ids("maccrobat-dev20"), "dev"
    )
    assert {i: split[i] for i in _suite_ids("maccrobat-held20")} == dict.fromkeys(
        _suite_ids("maccrobat-held20"), "held-out"
    )
    assert "CC BY 4.0" in labels.attribution and "9764942" in labels.attribution


def test_labels_hold_short_names_not_sentences() -> None:
    """The texts are CC BY and never committed: names are labels (a few words), not text."""
    for lab in read_labels(LABELS).labels:
        names = [lab.name, *(a.name for a in lab.alternatives), *lab.also_accepted]
        names += lab.other_names
        for name in names:
            assert len(name.split()) <= 10 and "." not in name, (lab.id, name)
        assert lab.rationale.strip() and lab.end > lab.start


@pytest.mark.skipif(not MACCROBAT.is_dir(), reason=f"MACCROBAT not found at {MACCROBAT}")
def test_every_label_matches_its_text_hash_and_offsets() -> None:
    for lab in read_labels(LABELS).labels:
        doc = Document.from_path(MACCROBAT / f"{lab.id}.txt")
        lab.check_text(doc.text)  # raises on another text or a span that misses its name


# ----------------------------------------------------------------------------- the import

TEXT = CASE.read_text(encoding="utf-8")


def _label(name: str, start: int, end: int, **kw: Any) -> PrincipalLabel:
    fields: dict[str, Any] = {"id": "case_knee", "split": "dev", "sha256": sha256_text(TEXT)}
    fields |= {"name": name, "start": start, "end": end, "rationale": "test"}
    return PrincipalLabel.model_validate(fields | kw)


def _gold() -> GoldRecord:
    return convert_document(read_brat_document(CASE), annotator="test").gold


def _statuses(gold: GoldRecord) -> list[tuple[str, str]]:
    return [(d.name, d.status) for d in gold.record.diagnoses]


def test_the_case_imports_without_a_principal() -> None:
    assert _statuses(_gold()) == [
        ("gout", "ruled_out"),
        ("septic arthritis", "secondary"),
        ("septic shock", "secondary"),
    ]


def test_label_matched_by_offsets_becomes_principal_others_unchanged() -> None:
    start = TEXT.index("septic shock")
    gold, note = apply_label(_gold(), _label("septic shock", start, start + 12), TEXT)
    assert _statuses(gold) == [
        ("gout", "ruled_out"),
        ("septic arthritis", "secondary"),
        ("septic shock", "principal"),
    ]
    assert "matched" in note and note in (gold.notes or "")
    assert gold.annotated_fields == _gold().annotated_fields


def test_label_on_an_unimported_mention_matches_by_term() -> None:
    """The suspected mention (skipped by the import) names the confirmed one."""
    start = TEXT.index("Septic arthritis was suspected")
    gold, _ = apply_label(_gold(), _label("Septic arthritis", start, start + 16), TEXT)
    assert ("septic arthritis", "principal") in _statuses(gold)
    assert sum(d.status == "principal" for d in gold.record.diagnoses) == 1


def test_label_the_import_lacks_is_added_with_its_offsets() -> None:
    start = TEXT.index("Staphylococcus aureus")
    label = _label("Staphylococcus aureus", start, start + 21, also_accepted=["S. aureus"])
    gold, note = apply_label(_gold(), label, TEXT)
    first = gold.record.diagnoses[0]
    assert (first.name, first.status, first.evidence.start) == (
        "Staphylococcus aureus",
        "principal",
        start,
    )
    assert TEXT[first.evidence.start : first.evidence.end] == first.evidence.quote
    assert "added" in note and len(gold.record.diagnoses) == 4
    GoldRecord.model_validate_json(gold.model_dump_json())


def test_a_mismatching_text_or_span_is_refused() -> None:
    start = TEXT.index("septic shock")
    with pytest.raises(UserError, match="sha256"):
        apply_label(_gold(), _label("septic shock", start, start + 12), TEXT + " ")
    with pytest.raises(UserError, match="span"):
        apply_label(_gold(), _label("septic shock", start + 1, start + 13), TEXT)
    other = _gold().model_copy(update={"document_sha256": "0" * 64})
    with pytest.raises(UserError, match="another text"):
        apply_label(other, _label("septic shock", start, start + 12), TEXT)


def _labels_file(tmp_path: Path, label: PrincipalLabel) -> Path:
    doc = PrincipalLabels(corpus="test", attribution="test", method="test", labels=[label])
    path = tmp_path / "labels.json"
    path.write_text(doc.model_dump_json(), encoding="utf-8")
    return path


def test_cli_import_with_principal_and_refusal(tmp_path: Path) -> None:
    start = TEXT.index("septic shock")
    good = _labels_file(tmp_path, _label("septic shock", start, start + 12))
    args = [str(CASE.parent), "--out", str(tmp_path / "g"), "--annotator", "test"]
    result = CliRunner().invoke(brat_app, [*args, "--principal", str(good)])
    assert result.exit_code == 0, result.output
    gold = GoldRecord.model_validate_json((tmp_path / "g" / "case_knee.json").read_bytes())
    assert principal_of(gold.record) == "septic shock"
    bad = _labels_file(tmp_path, _label("septic shock", start, start + 12, sha256="a" * 64))
    result = CliRunner().invoke(brat_app, [*args, "--principal", str(bad)])
    assert result.exit_code == 1 and "sha256" in " ".join(result.output.split())


# ----------------------------------------------------------------------------- the measure

TARGET = Target(
    ("diffuse large B-cell lymphoma", "primary chest wall lymphoma"),
    ("chest wall tumor",),
)


def _rec(*diagnoses: dict[str, Any]) -> dict[str, Any]:
    return record(diagnoses=list(diagnoses))


@pytest.mark.parametrize(
    ("rec", "right", "other"),
    [
        (_rec(diagnosis("diffuse large B-cell lymphoma")), True, False),  # the label
        (_rec(diagnosis("DLBCL")), True, False),  # a synonym from the diagnoses list
        (_rec(diagnosis("Primary chest-wall lymphomas")), True, False),  # an accepted name
        (_rec(diagnosis("follicular lymphoma")), False, False),  # wrong
        (_rec(diagnosis("chest wall tumour")), False, True),  # the other reading: still wrong
        (_rec(diagnosis("DLBCL", "secondary")), False, False),  # right name, no principal
        (_rec(), False, False),  # no diagnosis at all
        (None, False, False),  # failed or missing prediction
    ],
)
def test_judge(rec: dict[str, Any] | None, right: bool, other: bool) -> None:
    v = judge("doc", TARGET, rec)
    assert (v.right, v.other_reading) == (right, other), v.reason


def test_several_principals_the_first_counts() -> None:
    first_right = _rec(diagnosis("DLBCL"), diagnosis("pleural effusion"))
    first_wrong = _rec(diagnosis("pleural effusion"), diagnosis("DLBCL"))
    assert (
        judge("doc", TARGET, first_right).right
        and judge("doc", TARGET, first_right).principals == 2
    )
    assert not judge("doc", TARGET, first_wrong).right
    assert judge("doc", TARGET, first_wrong).predicted == "pleural effusion"


def test_the_document_s_own_abbreviation_counts() -> None:
    target = Target(("arrhythmogenic right ventricular cardiomyopathy",))
    pred = _rec(diagnosis("ARVC"))
    assert not judge("doc", target, pred).right
    text = "criteria for arrhythmogenic right ventricular cardiomyopathy (ARVC) were met"
    assert judge("doc", target, pred, text).right


@pytest.mark.parametrize(
    "bad",
    [
        {"diagnoses": "DLBCL"},
        {"diagnoses": [None, 3, {"status": "principal"}]},
        {"diagnoses": [{"name": 7, "status": "principal"}]},
        {"diagnoses": [{"name": "   ", "status": "principal"}]},
        {},
        "not a record",
    ],
)
def test_malformed_predictions_are_wrong_never_raise(bad: Any) -> None:
    v = judge("doc", TARGET, bad)
    assert not v.right and v.predicted is None


def test_measure_counts_labelled_documents_only() -> None:
    targets = {"a": TARGET, "b": Target(("gout",)), "c": Target(("gout",))}
    records: dict[str, Any] = {
        "a": CaseReport.model_validate(_rec(diagnosis("DLBCL"))),
        "b": _rec(diagnosis("pseudogout")),
        "c": None,
        "unlabelled": _rec(diagnosis("gout")),
    }
    score = measure(targets, records, source="test")
    assert (score.right, score.documents, score.share) == (1, 3, pytest.approx(1 / 3))
    assert [v.id for v in score.verdicts] == ["a", "b", "c"]
    empty = measure(targets, {})
    assert (empty.right, empty.documents, empty.share) == (0, 0, None)


def test_measure_dirs_from_labels_or_from_the_gold(tmp_path: Path) -> None:
    gold_dir, pred_dir = tmp_path / "gold", tmp_path / "pred"
    gold_dir.mkdir()
    pred_dir.mkdir()
    gold = gold_record("case_knee", _rec(diagnosis("septic arthritis")))
    (gold_dir / "case_knee.json").write_text(gold.model_dump_json(), encoding="utf-8")
    pred = extraction("case_knee", _rec(diagnosis("septic shock")))
    (pred_dir / "case_knee.json").write_text(pred.model_dump_json(), encoding="utf-8")
    from_gold = measure_dirs(pred_dir, gold_dir)
    assert (from_gold.right, from_gold.documents) == (0, 1)
    start = TEXT.index("septic shock")
    labels = _labels_file(tmp_path, _label("septic shock", start, start + 12))
    from_file = measure_dirs(pred_dir, gold_dir, labels)
    assert (from_file.right, from_file.documents) == (1, 1)
    (pred_dir / "case_knee.json").write_text("{not json", encoding="utf-8")
    assert measure_dirs(pred_dir, gold_dir, labels).right == 0


def test_targets_from_gold_take_the_first_principal() -> None:
    golds = [
        gold_record("x", _rec(diagnosis("AML", "secondary"), diagnosis("aspergillosis"))),
        gold_record("y", _rec(diagnosis("gout", "secondary"))),
    ]
    assert targets_from_gold(golds) == {"x": Target(("aspergillosis",))}


def test_the_gold_diagnosis_s_own_details_may_be_written_into_the_name() -> None:
    gold = gold_record("m", _rec(diagnosis("multiple myeloma", details="IgG kappa; stage III")))
    target = targets_from_gold([gold])["m"]
    assert target == Target(("multiple myeloma",), qualifiers="IgG kappa; stage III")
    assert judge("m", target, _rec(diagnosis("IgG kappa multiple myeloma"))).right
    assert not judge("m", target, _rec(diagnosis("IgA kappa multiple myeloma"))).right
    assert not judge("m", target, _rec(diagnosis("stage II multiple myeloma"))).right
    bare = Target(("multiple myeloma",))
    assert not judge("m", bare, _rec(diagnosis("IgG kappa multiple myeloma"))).right


def test_a_labels_file_that_is_not_one_is_a_user_error(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text(json.dumps({"labels": [{"id": "a"}]}), encoding="utf-8")
    with pytest.raises(UserError, match="not a principal-labels file"):
        read_labels(path)


# ----------------------------------------------------------------------------- in `eval`


def _suite_repo(tmp_path: Path, *, with_labels: bool) -> Path:
    """Two fictional documents: `a` labelled 'septic shock' by file (or gold), `b` 'gout'."""
    texts = {"a": "She died of septic shock (SS).\n", "b": "Acute gout of the toe.\n"}
    names = {"a": "septic shock", "b": "gout"}
    for d in ["seeds", "gold", "suites"]:
        (tmp_path / d).mkdir()
    labels = []
    for doc_id, text in texts.items():
        (tmp_path / "seeds" / f"{doc_id}.txt").write_text(text, encoding="utf-8")
        gold_dx = "sepsis" if with_labels and doc_id == "a" else names[doc_id]
        gold = gold_record(doc_id, _rec(diagnosis(gold_dx)))
        (tmp_path / "gold" / f"{doc_id}.json").write_text(gold.model_dump_json(), "utf-8")
        start = text.index(names[doc_id])
        fields = {"id": doc_id, "split": "dev", "sha256": sha256_text(text)}
        fields |= {"name": names[doc_id], "start": start, "end": start + len(names[doc_id])}
        labels.append(PrincipalLabel.model_validate(fields | {"rationale": "test"}))
    suite = 'documents = ["../seeds/*.txt"]\ngold = "../gold"\n'
    if with_labels:
        doc = PrincipalLabels(corpus="t", attribution="t", method="t", labels=labels)
        (tmp_path / "labels.json").write_text(doc.model_dump_json(), encoding="utf-8")
        suite += 'principal = "../labels.json"\n'
    (tmp_path / "suites" / "mini.toml").write_text(suite, encoding="utf-8")
    return tmp_path


def _eval(repo: Path, predicted: dict[str, str | None]) -> EvalReport:
    def fake(doc: Document, *, prompt: Any, client: Any) -> Any:
        name = predicted[doc.id]
        return extraction(doc.id, None if name is None else _rec(diagnosis(name)))

    suite = load_suite(str(repo / "suites" / "mini.toml"))
    prompt = load_prompt("v1", ROOT / "prompts")
    runs = run_suite(suite, [prompt], client=None, extract=fake)
    return compare(suite.name, [version_input(r) for r in runs])


def test_eval_reports_principal_from_the_suite_s_labels(tmp_path: Path) -> None:
    repo = _suite_repo(tmp_path, with_labels=True)
    report = _eval(repo, {"a": "SS", "b": None})  # "SS": the document defines it
    p = report.versions[0].principal
    assert (p.right, p.documents, p.source) == (1, 2, "labels.json")
    assert [v.reason for v in p.verdicts][1] == "no prediction (missing or failed)"
    md = render_markdown(report)
    assert "principal dx" in md and "1/2 (0.50)" in md and "b (none" in md


def test_eval_reports_principal_from_the_gold_without_labels(tmp_path: Path) -> None:
    repo = _suite_repo(tmp_path, with_labels=False)
    p = _eval(repo, {"a": "septic shock", "b": "gout"}).versions[0].principal
    assert (p.right, p.documents) == (2, 2)


def test_eval_refuses_labels_made_from_another_text(tmp_path: Path) -> None:
    repo = _suite_repo(tmp_path, with_labels=True)
    (repo / "seeds" / "b.txt").write_text("Acute gout of the knee.\n", encoding="utf-8")
    with pytest.raises(UserError, match="sha256"):
        _eval(repo, {"a": "SS", "b": "gout"})
