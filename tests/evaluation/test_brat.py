"""The brat importer, on a small fictional case written for these tests, and on MACCROBAT.

`data/brat/case_knee.{txt,ann}` is our own invented report; the expected facts below were worked
out by reading it and its annotations, not by running the importer.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from abstraction.cli.brat import app, default_maccrobat_dir
from abstraction.core.errors import UserError
from abstraction.core.records import GoldRecord
from abstraction.core.schema import iter_evidence
from abstraction.core.vocab import outcome_status, parse_age, parse_sex, treatment_category
from abstraction.evaluation.brat import Conversion, convert_document, covers
from abstraction.evaluation.brat_ann import (
    BratDocument,
    find_brat_documents,
    parse_ann,
    read_brat_document,
)

DATA = Path(__file__).parent / "data" / "brat"
CASE = DATA / "case_knee.txt"


def _convert(path: Path = CASE) -> Conversion:
    return convert_document(read_brat_document(path), annotator="test")


@pytest.fixture(scope="module")
def conv() -> Conversion:
    return _convert()


def _quotes_match(doc_text: str, gold: GoldRecord) -> None:
    for path, ev in iter_evidence(gold.record):
        assert ev.start is not None and ev.end is not None, path
        assert doc_text[ev.start : ev.end] == ev.quote, path


# ----------------------------------------------------------------------------- parsing


def test_parse_reads_every_kind_of_line() -> None:
    ann = parse_ann((DATA / "case_knee.ann").read_text(encoding="utf-8"))
    assert len(ann.entities) == 32
    assert len(ann.events) == 22
    assert len(ann.relations) == 14
    assert len(ann.attributes) == 6
    assert [e.type for e in ann.equivalences] == ["Equiv", "OVERLAP"]
    dosage = ann.entities["T16"]
    assert dosage.fragments == ((300, 303), (318, 331))
    assert dosage.text == "2 g every 8 hours"
    assert ann.events["E10"].trigger == "T15"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("T1\tAge 2\t47", "bad offsets"),
        ("T1\tAge 9 2\tx", "not ordered"),
        ("R1\tMODIFY Arg1:T1", "relation line"),
        ("X1\tsomething", "unknown annotation line"),
    ],
)
def test_malformed_lines_name_the_line(line: str, message: str) -> None:
    with pytest.raises(UserError, match=rf"case\.ann:2: .*{message}"):
        parse_ann("T9\tSex 14 19\twoman\n" + line, source="case.ann")


def test_offsets_that_do_not_index_the_text_reject_the_document(tmp_path: Path) -> None:
    text = CASE.read_text(encoding="utf-8").replace("fever", "fevor", 1)
    (tmp_path / "x.txt").write_text(text, encoding="utf-8")
    (tmp_path / "x.ann").write_bytes((DATA / "case_knee.ann").read_bytes())
    with pytest.raises(UserError, match=r"T3 offsets select 'fevor'"):
        read_brat_document(tmp_path / "x.txt")


def _shift_ann(ann_text: str, shift: Callable[[int], int]) -> str:
    """Rewrite the offsets of every T line with `shift(offset) -> new offset`."""

    def fix(match: re.Match[str]) -> str:
        spans = ";".join(
            " ".join(str(shift(int(x))) for x in frag.split()) for frag in match.group(2).split(";")
        )
        return f"{match.group(1)}{spans}\t"

    return re.sub(r"^(T\d+\t\S+ )([\d ;]+)\t", fix, ann_text, flags=re.M)


def test_crlf_text_offsets_count_the_carriage_returns(tmp_path: Path) -> None:
    text = CASE.read_text(encoding="utf-8")
    ann = (DATA / "case_knee.ann").read_text(encoding="utf-8")
    crlf_ann = _shift_ann(ann, lambda o: o + text.count("\n", 0, o))
    (tmp_path / "x.txt").write_bytes(text.replace("\n", "\r\n").encode("utf-8"))
    (tmp_path / "x.ann").write_bytes(crlf_ann.replace("\n", "\r\n").encode("utf-8"))
    doc = read_brat_document(tmp_path / "x.txt")
    assert "\r\n" in doc.text
    crlf = convert_document(doc, annotator="test").gold
    _quotes_match(doc.text, crlf)
    plain = _convert().gold.record
    assert [f.name for f in crlf.record.findings] == [f.name for f in plain.findings]
    died, plain_died = crlf.record.outcome.status, plain.outcome.status
    assert died is not None and plain_died is not None
    assert plain_died.evidence.start is not None
    assert died.evidence.start == plain_died.evidence.start + 6  # six CRs before line 7


def test_bom_is_dropped_and_offsets_follow(tmp_path: Path) -> None:
    ann = (DATA / "case_knee.ann").read_text(encoding="utf-8")
    (tmp_path / "x.txt").write_bytes(b"\xef\xbb\xbf" + CASE.read_bytes())
    (tmp_path / "x.ann").write_text(_shift_ann(ann, lambda o: o + 1), encoding="utf-8")
    doc = read_brat_document(tmp_path / "x.txt")
    assert doc.text == CASE.read_text(encoding="utf-8")
    assert convert_document(doc, annotator="test").gold.record == _convert().gold.record


# ----------------------------------------------------------------------------- conversion


def test_patient(conv: Conversion) -> None:
    p = conv.gold.record.patient
    assert p.age is not None and (p.age.value, p.age.unit) == (47, "years")
    ev = p.age.evidence
    assert (ev.quote, ev.start, ev.end) == ("47-year-old", 2, 13)
    assert p.sex is not None and p.sex.value == "female"
    assert p.age_group is None


def test_diagnoses_negated_ruled_out_uncertain_skipped(conv: Conversion) -> None:
    got = [(d.name, d.status, d.evidence.start) for d in conv.gold.record.diagnoses]
    # "Septic arthritis was suspected" (111) is uncertain: the confirmed mention (522) is kept.
    assert got == [
        ("gout", "ruled_out", 147),
        ("septic arthritis", "secondary", 522),
        ("septic shock", "secondary", 672),
    ]
    assert conv.skipped["diagnoses: uncertain (differential or suspected)"] == 1


def test_findings_assertions_sites_and_dedup(conv: Conversion) -> None:
    got = [(f.name, f.assertion, f.body_site) for f in conv.gold.record.findings]
    assert got == [
        ("fever", "present", None),
        ("painful swelling", "present", "left knee"),  # OVERLAP with fever does not merge them
        ("chest pain", "absent", None),
        ("rash", "uncertain", None),  # Modality attribute
        ("abscess", "absent", None),
        ("effusion", "present", "pleural"),
    ]
    fever = conv.gold.record.findings[0]
    assert fever.evidence.start == 35  # the first of the two unlinked mentions
    assert conv.skipped["findings: repeated mention"] == 1


def test_discontinuous_span_evidence_covers_the_fragments(conv: Conversion) -> None:
    swelling = conv.gold.record.findings[1].evidence
    assert (swelling.quote, swelling.start, swelling.end) == ("painful, warm swelling", 47, 69)
    assert swelling.note is not None and "discontinuous span 47-54;61-69" in swelling.note
    assert any("T4" in w and "discontinuous" in w for w in conv.warnings)


def test_treatments_dosage_coreference_negation_and_steps(conv: Conversion) -> None:
    got = [(t.name, t.dose, t.evidence.start) for t in conv.gold.record.treatments]
    # "The antibiotic" is the same cefazolin; Vancomycin was not given; the incision is a step.
    assert got == [("cefazolin", "2 g every 8 hours", 290), ("arthroscopic lavage", None, 346)]
    assert conv.skipped == conv.skipped | {
        "treatments: coreferent mention": 1,
        "treatments: absent (not given, stopped or planned)": 1,
        "treatments: step of a therapeutic procedure": 1,
    }


def test_assessments_results_pool_coreferent_mentions(conv: Conversion) -> None:
    got = [(a.method, a.result) for a in conv.gold.record.assessments]
    # "the scan" is the CT (Equiv set): its effusion is the CT's result; "no abscess" is left out.
    assert got == [
        ("Aspiration", None),
        ("leukocyte count", "52,000/µL"),
        ("Blood cultures", "Staphylococcus aureus"),
        ("CT", "effusion"),
    ]


def test_outcome_died_with_cause(conv: Conversion) -> None:
    out = conv.gold.record.outcome
    assert out.status is not None and out.status.value == "died"
    assert (out.status.evidence.start, out.status.evidence.end) == (655, 659)
    assert out.cause_of_death is not None and out.cause_of_death.value == "septic shock"


def test_annotated_fields_list_exactly_what_was_filled(conv: Conversion) -> None:
    assert conv.gold.annotated_fields == [
        "patient.age",
        "patient.sex",
        "diagnoses.name",
        "diagnoses.status=ruled_out",
        "findings.name",
        "findings.assertion",
        "findings.body_site",
        "treatments.name",
        "treatments.dose",
        "treatments.time?",
        "treatments.duration?",
        "assessments.method",
        "assessments.result",
        "assessments.time?",
        "timeline.event?",
        "timeline.time?",
        "outcome.status.value=died",
        "outcome.cause_of_death",
    ]


def test_scalars_not_found_are_not_annotated() -> None:
    doc = BratDocument("d", "A newborn boy.", parse_ann("T1\tAge 2 9\tnewborn\n"))
    gold = convert_document(doc, annotator="test").gold
    assert gold.record.patient.age is None
    assert "patient.age" not in (gold.annotated_fields or [])
    assert "patient.sex" not in (gold.annotated_fields or [])
    assert "diagnoses.name" in (gold.annotated_fields or [])


def test_gold_validates_and_quotes_index_the_text(conv: Conversion) -> None:
    text = CASE.read_text(encoding="utf-8")
    again = GoldRecord.model_validate_json(conv.gold.model_dump_json())
    assert again == conv.gold
    assert again.document_id == "case_knee"
    _quotes_match(text, again)


# ----------------------------------------------------------------------------- value rules


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("19-year-old", (19, "years")),
        ("aged 31 years", (31, "years")),
        ("33 - year old", (33, "years")),
        ("54 year-old", (54, "years")),
        ("18-month-old", (18, "months")),
        ("newborn", None),
    ],
)
def test_parse_age(text: str, expected: tuple[float, str] | None) -> None:
    assert parse_age(text) == expected


def test_value_rules() -> None:
    assert [parse_sex(w) for w in ("Woman", "boy", "patient")] == ["female", "male", None]
    assert [outcome_status(w) for w in ("died", "Death", "lethal", "resolution")] == [
        "died",
        "died",
        "died",
        None,
    ]
    assert treatment_category("right hemicolectomy") == "surgery"
    assert treatment_category("chemoradiotherapy") == "chemotherapy"
    assert treatment_category("brachytherapy") == "radiotherapy"
    assert treatment_category("furosemide") == "other"


def test_covers_reads_sub_field_paths() -> None:
    fields = ["patient.age", "findings.name", "findings.assertion"]
    assert covers(fields, "findings")  # items are matched
    assert covers(fields, "findings.assertion")
    assert not covers(fields, "findings.body_site")
    assert covers(fields, "patient") and covers(fields, "patient.age")
    assert not covers(fields, "patient.sex")
    assert not covers(fields, "treatments")
    assert covers(["outcome"], "outcome.status")
    assert covers(None, "anything")


# ----------------------------------------------------------------------------- command


def test_cli_writes_one_gold_file_per_document(tmp_path: Path) -> None:
    out = tmp_path / "gold"
    result = CliRunner().invoke(app, [str(DATA), "--out", str(out), "--annotator", "test"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["case_knee.json"]
    gold = GoldRecord.model_validate_json((out / "case_knee.json").read_text(encoding="utf-8"))
    assert gold == _convert().gold
    assert "Wrote 1 gold files" in " ".join(result.output.split())


def test_cli_keeps_a_gold_file_corrected_since_the_last_import(tmp_path: Path) -> None:
    """Twelfth session's audit: importing again replaced a gold corrected by hand with a
    plain write, and `--out` a run folder replaced a reviewed model output."""
    out = tmp_path / "gold"
    args = [str(DATA), "--out", str(out), "--annotator", "test"]
    assert CliRunner().invoke(app, args).exit_code == 0
    corrected = (out / "case_knee.json").read_text().replace('"test"', '"test, corrected"')
    (out / "case_knee.json").write_text(corrected)
    again = CliRunner().invoke(app, args)
    assert again.exit_code == 0, again.output
    [kept] = (out / "history").iterdir()
    assert kept.read_text() == corrected
    assert "kept in" in " ".join(again.output.split())
    run = tmp_path / "run"
    run.mkdir()
    (run / "runs.db").write_bytes(b"")
    (run / "case_knee.json").write_text("a reviewed model output")
    refused = CliRunner().invoke(app, [str(DATA), "--out", str(run)])
    assert refused.exit_code == 2 and "is a run folder" in " ".join(refused.output.split())
    assert (run / "case_knee.json").read_text() == "a reviewed model output"


def test_cli_missing_folder_is_a_user_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, [str(tmp_path / "nope"), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "no such folder" in " ".join(result.output.split())


# ----------------------------------------------------------------------------- MACCROBAT

MACCROBAT = default_maccrobat_dir()


@pytest.mark.skipif(
    not MACCROBAT.is_dir(),
    reason=f"MACCROBAT dev folder not found at {MACCROBAT} (set ABSTRACTION_MACCROBAT_DIR)",
)
def test_maccrobat_dev_converts_completely() -> None:
    paths = find_brat_documents(MACCROBAT)
    assert len(paths) == 40
    for path in paths:
        doc = read_brat_document(path)  # raises if any entity text != text[offsets]
        gold = convert_document(doc, annotator="test").gold
        again = GoldRecord.model_validate_json(gold.model_dump_json())
        _quotes_match(doc.text, again)
        assert again.record.findings or again.record.assessments, path.name
