"""eval/peers.py without a model: mapping peer outputs to our schema, leakage, re-scoring.

The case is the invented brat report of the importer's tests (tests/evaluation/data/brat); its
gold comes from the importer, so a mapping that puts a fact in another field path than the
importer does cannot score 1.0.  The peer outputs below are written by hand from the text.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from abstraction.core.documents import Document
from abstraction.core.records import GoldRecord
from abstraction.evaluation.brat import convert_document
from abstraction.evaluation.brat_ann import read_brat_document
from abstraction.evaluation.files import prediction_from_extraction, score_prediction
from abstraction.evaluation.results import build_report

ROOT = Path(__file__).resolve().parents[2]
CASE = ROOT / "tests" / "evaluation" / "data" / "brat" / "case_knee.txt"


def _load_script() -> Any:
    spec = importlib.util.spec_from_file_location("peers_script", ROOT / "eval" / "peers.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["peers_script"] = module  # dataclasses look their module up while defining
    spec.loader.exec_module(module)
    return module


peers = _load_script()


@pytest.fixture(scope="module")
def text() -> str:
    return Document.from_path(CASE).text


@pytest.fixture(scope="module")
def gold() -> GoldRecord:
    return convert_document(read_brat_document(CASE), annotator="test").gold


def _lx(
    text: str, cls: str, words: str, occurrence: int = 0, at: str | None = None, **attrs: str
) -> dict[str, Any]:
    """One LangExtract extraction as ``annotated_document_to_dict`` writes it, aligned to the
    `occurrence`-th place of `at` (default: the words themselves) in the text."""
    span = at or words
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(span, start + 1)
    return {
        "extraction_class": cls,
        "extraction_text": words,
        "char_interval": {"start_pos": start, "end_pos": start + len(span)},
        "alignment_status": "match_exact",
        "extraction_index": None,
        "group_index": None,
        "description": None,
        "attributes": attrs or None,
    }


def _lx_output(text: str) -> dict[str, Any]:
    """What a perfect LangExtract run on the case would return (read from the text)."""
    ex = [
        _lx(text, "age", "47-year-old"),
        _lx(text, "sex", "woman"),
        _lx(text, "sign_symptom", "fever", assertion="present"),
        _lx(text, "sign_symptom", "painful swelling", at="painful, warm swelling"),
        _lx(text, "sign_symptom", "chest pain", assertion="absent"),
        _lx(text, "disease", "Septic arthritis", assertion="uncertain"),
        _lx(text, "disease", "gout", assertion="absent"),
        _lx(text, "diagnostic_procedure", "Aspiration"),
        _lx(text, "diagnostic_procedure", "leukocyte count"),
        _lx(text, "sign_symptom", "rash", assertion="uncertain"),
        _lx(text, "sign_symptom", "fever", occurrence=1, assertion="present"),
        _lx(text, "medication", "cefazolin", dose="2 g every 8 hours"),
        _lx(text, "therapeutic_procedure", "arthroscopic lavage"),
        _lx(text, "diagnostic_procedure", "Blood cultures"),
        _lx(text, "disease", "septic arthritis", assertion="present"),
        _lx(text, "diagnostic_procedure", "CT"),
        _lx(text, "sign_symptom", "abscess", assertion="absent"),
        _lx(text, "sign_symptom", "effusion", assertion="present"),
        _lx(text, "outcome", "died", cause_of_death="septic shock"),
        _lx(text, "disease", "septic shock", assertion="present"),
    ]
    return {"extractions": ex, "document_id": "case_knee"}


def _score(gold: GoldRecord, ext: Any, fields: tuple[str, ...]) -> Any:
    return build_report([score_prediction(gold, prediction_from_extraction(ext), fields=fields)])


def _raw(system: str, output: Any, doc: Document, status: str = "ok") -> dict[str, Any]:
    return {
        "system": system,
        "document_id": doc.id,
        "document_sha256": doc.sha256,
        "model": "m",
        "endpoint": "local",
        "started_at": "",
        "finished_at": "",
        "seconds": 2.5,
        "calls": 3,
        "discarded_calls": 1,
        "status": status,
        "error": None if status == "ok" else "HTTP 500",
        "settings": {},
        "prompt_sha256": "0",
        "structured_output": "json_object",
        "usage": None,
        "call_log": [],
        "output": output,
    }


# ----------------------------------------------------------------------------- LangExtract


def test_langextract_output_maps_to_the_gold_field_paths(text: str, gold: GoldRecord) -> None:
    mapped = peers.lx_to_record(_lx_output(text), text)
    ext = peers._peer_extraction(_raw("langextract", {}, _doc()), _doc(), mapped, None)
    report = _score(gold, ext, peers.CORE_FIELDS)
    assert report.overall.f1 == 1.0, [(d.errors) for d in report.documents]
    for path in (
        "patient.age.value",
        "findings.assertion",
        "treatments.dose",
        "outcome.status.value",
    ):
        assert report.fields[path].tp >= 1, path


def test_langextract_rules_follow_the_importer(text: str) -> None:
    rec = peers.lx_to_record(_lx_output(text), text).record
    assert [d.name for d in rec.diagnoses] == ["gout", "septic arthritis", "septic shock"]
    assert rec.diagnoses[0].status == "ruled_out"  # negated; the uncertain one is left out
    names = [f.name for f in rec.findings]
    assert names.count("fever") == 1  # the repeated mention adds nothing
    assert {f.name: f.assertion for f in rec.findings}["chest pain"] == "absent"
    assert [(t.name, t.dose) for t in rec.treatments] == [
        ("cefazolin", "2 g every 8 hours"),
        ("arthroscopic lavage", None),
    ]
    assert rec.treatments[1].category == "other"
    assert [a.method for a in rec.assessments][:2] == ["Aspiration", "leukocyte count"]
    assert rec.outcome.status is not None and rec.outcome.status.value == "died"
    assert rec.outcome.cause_of_death is not None
    assert rec.outcome.cause_of_death.value == "septic shock"


def test_langextract_offsets_become_evidence(text: str) -> None:
    out = _lx_output(text)
    unaligned = dict(out["extractions"][0], extraction_text="ceftriaxone", char_interval=None)
    unaligned.update(extraction_class="medication", alignment_status=None)
    rec = peers.lx_to_record({"extractions": [*out["extractions"], unaligned]}, text).record
    age = rec.patient.age
    assert age is not None and (age.value, age.unit) == (47.0, "years")
    assert (age.evidence.start, age.evidence.end) == (2, 13)
    assert age.evidence.quote == text[2:13] and age.evidence.status == "exact"
    cef = rec.treatments[-1]
    assert cef.name == "ceftriaxone" and cef.evidence.start is None
    assert cef.evidence.status == "unsupported"


def test_a_wrong_negation_is_scored_as_wrong(text: str, gold: GoldRecord) -> None:
    out = _lx_output(text)
    for e in out["extractions"]:
        if e["extraction_text"] == "chest pain":
            e["attributes"] = {"assertion": "present"}
    rec = peers.lx_to_record(out, text)
    ext = peers._peer_extraction(_raw("langextract", out, _doc()), _doc(), rec, None)
    f = _score(gold, ext, peers.CORE_FIELDS).fields["findings.assertion"]
    assert (f.wrong, f.fp, f.fn) == (1, 1, 1)


def test_unknown_classes_are_counted_not_mapped(text: str) -> None:
    out = {"extractions": [_lx(text, "lab_value", "52,000/µL"), _lx(text, "Sign/Symptom", "rash")]}
    mapped = peers.lx_to_record(out, text)
    assert [f.name for f in mapped.record.findings] == ["rash"]
    assert mapped.notes == {"unmapped class 'lab_value'": 1}


# ----------------------------------------------------------------------------- instructor

PEER_RECORD = {
    "age": 47,
    "age_unit": "years",
    "sex": "female",
    "diagnoses": ["gout", "septic arthritis", "septic shock", "septic arthritis"],
    "signs_symptoms": [
        {"name": "fever", "negated": False},
        {"name": "painful swelling", "negated": False},
        {"name": "chest pain", "negated": True},
        {"name": "rash", "negated": False},
        {"name": "abscess", "negated": True},
        {"name": "effusion", "negated": False},
    ],
    "medications": [{"name": "cefazolin", "dose": "2 g every 8 hours"}],
    "diagnostic_procedures": ["Aspiration", "leukocyte count", "Blood cultures", "CT"],
    "therapeutic_procedures": ["arthroscopic lavage"],
    "outcome": "died",
    "cause_of_death": "septic shock",
}


def test_instructor_output_maps_to_the_gold_field_paths(gold: GoldRecord) -> None:
    mapped = peers.instructor_to_record(PEER_RECORD)
    rec = mapped.record
    assert [d.name for d in rec.diagnoses] == ["gout", "septic arthritis", "septic shock"]
    assert rec.treatments[0].dose == "2 g every 8 hours"
    assert rec.findings[2].assertion == "absent" and rec.findings[2].evidence.start is None
    ext = peers._peer_extraction(_raw("instructor", PEER_RECORD, _doc()), _doc(), mapped, None)
    report = _score(gold, ext, peers.CORE_FIELDS)
    # The one miss: the gold has the rash as uncertain, the peer model cannot say so.
    assert report.fields["findings.assertion"].wrong == 1
    assert report.fields["findings.name"].f1 == 1.0
    assert report.fields["treatments.dose"].f1 == 1.0
    assert report.fields["outcome.cause_of_death.value"].f1 == 1.0


# ----------------------------------------------------------------------------- leakage


def test_langextract_examples_are_aligned_in_their_own_text() -> None:
    for ex in peers.LX_EXAMPLES:
        for _, words, attrs in ex["extractions"]:
            assert words in ex["text"]
            for key in peers.LX_FREE_TEXT_ATTRIBUTES:
                assert attrs.get(key, "") in ex["text"]


def test_leakage_flags_an_example_value_absent_from_the_document(text: str) -> None:
    out = _lx_output(text)
    copied = dict(out["extractions"][0], extraction_class="medication", char_interval=None)
    copied.update(extraction_text="ceftriaxone", attributes={"dose": "2 g daily"})
    out["extractions"].append(copied)
    doc = _doc()
    leaks = peers.leaks_of(_raw("langextract", out, doc), None, doc, {})
    # "fever" and "woman" are example values too, but the document says them.
    assert leaks == ["2 g daily", "ceftriaxone"]
    assert peers.leaks_of(_raw("langextract", _lx_output(text), doc), None, doc, {}) == []
    assert peers.leaks_of(_raw("instructor", PEER_RECORD, doc), None, doc, {}) is None


# ----------------------------------------------------------------------------- re-scoring


def _doc() -> Document:
    return Document.from_path(CASE)


def test_rescore_reads_raw_outputs_and_builds_the_table(
    tmp_path: Path, text: str, gold: GoldRecord
) -> None:
    doc = _doc()
    for system, output in (("langextract", _lx_output(text)), ("instructor", PEER_RECORD)):
        (tmp_path / system).mkdir()
        raw = _raw(system, output, doc)
        (tmp_path / system / f"{doc.id}.raw.json").write_text(json.dumps(raw), "utf-8")
    failed = tmp_path / "langextract-schema"
    failed.mkdir()
    (failed / f"{doc.id}.raw.json").write_text(json.dumps(_raw(failed.name, None, doc, "x")))
    golds = {doc.id: gold}
    results = [
        peers.score_system(name, [doc], golds, tmp_path, {}, peers.CORE_FIELDS)
        for name in ("langextract", "instructor", "langextract-schema")
    ]
    header, rows = peers.table_rows(results)
    table = {row[0]: row[2:] for row in rows}
    assert header[2:] == ["langextract", "instructor", "langextract-schema"]
    assert table["overall micro F1"][0] == "1.000"
    assert table["overall micro F1"][2] == "0.000"
    assert table["failed documents"] == ["0/1", "0/1", "1/1"]
    assert table["seconds / document"] == ["2.5", "2.5", "2.5"]
    assert table["documents with leaked examples"] == ["0/1", "n/a (no examples)", "0/1"]
    # one document: the bootstrap has one thing to resample, so each interval is its point
    assert table["overall micro F1, 95% CI"] == [
        "1.000 [1.000, 1.000]",
        table["overall micro F1"][1]
        + " ["
        + table["overall micro F1"][1]
        + ", "
        + table["overall micro F1"][1]
        + "]",
        "0.000 [0.000, 0.000]",
    ]
    # no system of ours: margins are over the first system, and say so in their label
    assert table["langextract minus system, 95% CI"][0] == ""
    assert table["langextract minus system, 95% CI"][2] == "+1.000 [+1.000, +1.000]"
    # with a system of ours, its margin over each of the others (ours minus peer)
    results[2].name = "ours-x"
    table = {row[0]: row[2:] for row in peers.table_rows(results)[1]}
    assert table["ours-x minus system, 95% CI"] == [
        "-1.000 [-1.000, -1.000]",
        f"-{table['overall micro F1'][1]} [-{table['overall micro F1'][1]}, "
        f"-{table['overall micro F1'][1]}]",
        "",
    ]
    written = json.loads((tmp_path / "langextract" / f"{doc.id}.json").read_text("utf-8"))
    assert written["kind"] == "extraction" and written["status"] == "ok"
    assert (tmp_path / "langextract" / "score.json").is_file()


def test_docs_are_ids_or_a_count(tmp_path: Path) -> None:
    for i in ("3", "1", "2"):
        (tmp_path / f"{i}0.txt").write_text(f"case {i}", "utf-8")
    assert [d.id for d in peers.choose_docs(tmp_path, ["2"])] == ["10", "20"]
    assert [d.id for d in peers.choose_docs(tmp_path, None)] == ["10", "20", "30"]
    assert [d.id for d in peers.choose_docs(tmp_path, ["30", "10"])] == ["30", "10"]
    with pytest.raises(Exception, match="not in"):
        peers.choose_docs(tmp_path, ["99", "10"])


# ----------------------------------------------------------------------------- langextract itself


def test_a_real_langextract_document_maps(text: str) -> None:
    lx = pytest.importorskip("langextract")
    from langextract import data_lib

    start = text.index("cefazolin")
    adoc = lx.data.AnnotatedDocument(
        text=text,
        extractions=[
            lx.data.Extraction(
                extraction_class="medication",
                extraction_text="cefazolin",
                char_interval=lx.data.CharInterval(start_pos=start, end_pos=start + 9),
                alignment_status=lx.data.AlignmentStatus.MATCH_FUZZY,
                attributes={"dose": "2 g"},
            )
        ],
    )
    rec = peers.lx_to_record(data_lib.annotated_document_to_dict(adoc), text).record
    ev = rec.treatments[0].evidence
    assert (ev.start, ev.end, ev.status) == (start, start + 9, "fuzzy")
    assert rec.treatments[0].dose == "2 g"
    assert len(peers.lx_examples()) == len(peers.LX_EXAMPLES)
