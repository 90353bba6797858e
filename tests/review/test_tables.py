"""`abstraction export`: every format read back and compared with the JSON records."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from abstraction.cli.main import app as main_app
from abstraction.core.errors import UserError
from abstraction.review import table_files
from abstraction.review.export import export_run
from abstraction.review.store import RunStore
from abstraction.review.table_files import write_tables
from abstraction.review.tables import LIST_TABLES, TABLE_NAMES, build_tables
from tests.review.seed_run import SEED_ID
from tests.review.test_review_export import correct_and_review

runner = CliRunner()
LISTS = {name: pointer[1:] for pointer, name in LIST_TABLES.items()}


def read_back(out: Path, fmt: str) -> dict[str, list[dict[str, Any]]]:
    """Each table as a list of row dicts, read with the format's own reader."""
    if fmt == "csv":
        return {
            n: [
                {k: (v if v != "" else None) for k, v in r.items()}
                for r in csv.DictReader((out / f"{n}.csv").open(encoding="utf-8"))
            ]
            for n in TABLE_NAMES
        }
    if fmt == "jsonl":
        lines = {
            n: (out / f"{n}.jsonl").read_text(encoding="utf-8").splitlines() for n in TABLE_NAMES
        }
        return {n: [json.loads(line) for line in ls] for n, ls in lines.items()}
    if fmt == "parquet":
        import pyarrow.parquet as pq

        return {n: pq.read_table(out / f"{n}.parquet").to_pylist() for n in TABLE_NAMES}
    import openpyxl

    book = openpyxl.load_workbook(out / "tables.xlsx")
    tables = {}
    for n in TABLE_NAMES:
        header, *rows = book[n].iter_rows(values_only=True)
        tables[n] = [dict(zip(header, row, strict=True)) for row in rows]
    return tables


def cells(fact: dict[str, Any] | None, *, prefix: str = "", suffix: str = "") -> dict[str, Any]:
    """What the tables should hold for `fact` (a JSON fact), per docs/export.md."""
    fact = fact or {}
    ev = fact.get("evidence") or {}
    out: dict[str, Any] = {}
    for key, value in fact.items():
        if key == "evidence":
            continue
        name = prefix if key == "value" and prefix else f"{prefix}_{key}" if prefix else key
        out[name + suffix] = ("; ".join(value) or None) if isinstance(value, list) else value
    for column, key in {
        "grounding": "status",
        "quote": "quote",
        "start": "start",
        "end": "end",
    }.items():
        out[(f"{prefix}_{column}" if prefix else column) + suffix] = ev.get(key)
    return out


def same(got: Any, want: Any, fmt: str) -> bool:
    if fmt == "csv":  # text only: null is an empty cell
        return got == (None if want is None else str(want))
    return got == want


def assert_cells(row: dict[str, Any], want: dict[str, Any], fmt: str, where: str) -> None:
    for key, value in want.items():
        assert same(row[key], value, fmt), f"{where} {key}: {row[key]!r} != {value!r}"


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet", "xlsx"])
def test_export_round_trips_against_the_json(store, run, tmp_path, fmt):
    correct_and_review(store)
    export_run(store, tmp_path / "json")
    corrected = json.loads((tmp_path / "json" / f"{SEED_ID}.json").read_text())["record"]
    model = json.loads((run / f"{SEED_ID}.json").read_text())["record"]
    write_tables(list(build_tables(store).values()), tmp_path / fmt, fmt=fmt)
    tables = read_back(tmp_path / fmt, fmt)

    doc = next(r for r in tables["documents"] if r["document_id"] == SEED_ID)
    assert same(doc["review_status"], "reviewed", fmt)
    for section, name in [("source", "title"), ("source", "year"), ("patient", "sex")]:
        prefix = f"{section}_{name}"
        assert_cells(doc, cells(corrected[section][name], prefix=prefix), fmt, prefix)
        assert_cells(doc, cells(model[section][name], prefix=prefix, suffix="_model"), fmt, prefix)
    authors = "; ".join(a["value"] for a in corrected["source"]["authors"])
    assert same(doc["source_authors"], authors, fmt)

    for name, key in LISTS.items():
        rows = [r for r in tables[name] if r["document_id"] == SEED_ID]
        kept = sorted((r for r in rows if r["item"] is not None), key=lambda r: int(r["item"]))
        assert len(kept) == len(corrected[key]), name
        for i, (row, item) in enumerate(zip(kept, corrected[key], strict=True)):
            assert same(row["item"], i, fmt)
            assert_cells(row, cells(item), fmt, f"{name}[{i}]")
        for row in rows:
            original = model[key][int(row["item_model"])]
            assert_cells(row, cells(original, suffix="_model"), fmt, name)

    treatments = [r for r in tables["treatments"] if r["document_id"] == SEED_ID]
    rejected = [r for r in treatments if r["review"] == "rejected"]
    assert [r["name_model"] for r in rejected] == ["rituximab"] and rejected[0]["name"] is None
    edited = next(r for r in treatments if r["review"] == "edited")
    assert same(edited["duration"], "two weeks", fmt) and edited["duration_model"] != "two weeks"


def test_failed_documents_keep_a_row_and_reviewed_only_filters(store):
    tables = build_tables(store)
    ids = {r["document_id"]: r for r in tables["documents"].rows}
    assert SEED_ID in ids and "hostile" in ids
    assert build_tables(store, reviewed_only=True)["documents"].rows == []
    correct_and_review(store)
    reviewed = build_tables(store, reviewed_only=True)
    assert [r["document_id"] for r in reviewed["documents"].rows] == [SEED_ID]
    assert {r["document_id"] for r in reviewed["treatments"].rows} == {SEED_ID}


def test_empty_run_still_has_every_column(tmp_path):
    tables = build_tables(RunStore(tmp_path))
    assert list(tables) == list(TABLE_NAMES)
    assert all(t.rows == [] for t in tables.values())
    assert {"name", "name_model", "quote", "start", "end", "grounding"} <= set(
        tables["treatments"].columns
    )
    paths = write_tables(list(tables.values()), tmp_path / "out", fmt="parquet")
    assert len(paths) == len(TABLE_NAMES)


def test_xlsx_never_writes_a_formula(tmp_path):
    import openpyxl

    from abstraction.review.tables import Table

    write_tables([Table("documents", ["a"], [{"a": "=HYPERLINK(1)"}])], tmp_path, fmt="xlsx")
    cell = openpyxl.load_workbook(tmp_path / "tables.xlsx")["documents"]["A2"]
    assert cell.value == "=HYPERLINK(1)" and cell.data_type == "s"


def test_a_missing_library_names_the_extra(monkeypatch, tmp_path):
    real_import = __import__

    def no_pyarrow(name, *args, **kwargs):
        if name == "pyarrow":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr("builtins.__import__", no_pyarrow)
    with pytest.raises(UserError, match=r"abstraction\[export\]"):
        table_files.write_tables([], tmp_path / "out", fmt="parquet")
    assert not (tmp_path / "out").exists()
    with pytest.raises(UserError, match="unknown format"):
        table_files.write_tables([], tmp_path / "out", fmt="sav")


def test_cli_export_writes_tables(run, tmp_path, monkeypatch):
    monkeypatch.setenv("ABSTRACTION_DEBUG", "1")
    result = runner.invoke(
        main_app, ["export", str(run), "--format", "jsonl", "--out", str(tmp_path / "t")]
    )
    assert result.exit_code == 0, result.output
    assert "treatments" in result.output
    assert sorted(p.name for p in (tmp_path / "t").iterdir()) == sorted(
        f"{n}.jsonl" for n in TABLE_NAMES
    )


def test_a_reordered_list_is_exported_in_the_reviewed_order(store):
    from abstraction.review.edits import Change

    model = [f.pointer for f in store.state(SEED_ID)[1].facts if f.slot.pointer == "/treatments"]
    store.save(
        SEED_ID,
        expected_version=0,
        reviewer="ann",
        reason="chronological",
        changes=[Change(op="order", pointer="/treatments", value=model[::-1])],
    )
    rows = [r for r in build_tables(store)["treatments"].rows if r["document_id"] == SEED_ID]
    assert [r["item"] for r in rows] == list(range(len(model)))
    assert [r["item_model"] for r in rows] == list(range(len(model)))[::-1]


def test_a_cut_short_output_and_an_id_that_starts_with_a_dash_keep_their_rows(store, run):
    """A hostile audit (eleventh session): a truncated ``<id>.json`` (a full disk, a killed
    copy) had no row and no message, and a document whose id starts with "-" (a file
    "-case.txt", accepted by extract) was left out of every table and of the review list."""
    seed = (run / f"{SEED_ID}.json").read_bytes()
    (run / "cut.json").write_bytes(seed[: len(seed) // 2])
    data = json.loads(seed)
    data["document"]["id"] = "-7"
    (run / "-7.json").write_text(json.dumps(data))
    fresh = RunStore(run)
    rows = {r["document_id"]: r for r in build_tables(fresh)["documents"].rows}
    assert rows["cut"]["status"] == "unreadable" and "not valid JSON" in rows["cut"]["error"]
    assert rows["-7"]["status"] == "ok"
    assert "-7" in {r["document_id"] for r in build_tables(fresh)["treatments"].rows}
    assert {"cut", "-7"} <= {e.id for e in fresh.entries()}


def test_xlsx_holds_control_characters_and_says_when_it_cuts_a_value(tmp_path):
    """A form feed (a PDF's page break in a quote) made the xlsx export crash with openpyxl's
    IllegalCharacterError, and a value over Excel's 32,767 characters was cut without a word.
    The csv keeps both as they are."""
    import openpyxl

    from abstraction.review.tables import Table

    long = "x" * 40_000
    rows = [{"a": "page 1\x0cpage 2\ttab\nline\ufffe\uffff", "b": long}]
    write_tables([Table("documents", ["a", "b"], rows)], tmp_path, fmt="xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "tables.xlsx")["documents"]
    # U+FFFE and U+FFFF: openpyxl writes them into a workbook nothing reads back (an audit)
    assert sheet["A2"].value == "page 1\ufffdpage 2\ttab\nline\ufffd\ufffd"
    cut = sheet["B2"].value
    assert len(cut) == 32_767 and cut.endswith(
        "[cut: 40000 characters; the csv, jsonl and parquet tables hold them all]"
    )
    write_tables([Table("documents", ["a", "b"], rows)], tmp_path, fmt="csv")
    with (tmp_path / "documents.csv").open(encoding="utf-8", newline="") as fh:
        (row,) = csv.DictReader(fh)
    assert row == rows[0]


def test_the_edits_table_says_who_changed_what_why_and_when(store, run):
    """Every stored edit is a row (the audit found no table said who made a correction, why
    or when), and the edits of a document whose output no longer has a record (re-extracted
    and failed) are still listed, as not applied, with their count in ``documents``."""
    correct_and_review(store)
    tables = build_tables(store)
    edits = [r for r in tables["review_edits"].rows if r["document_id"] == SEED_ID]
    by_op = {r["op"]: r for r in edits}
    duration = next(r for r in edits if r["pointer"] == "/treatments/3/duration")
    assert duration["new"] == "two weeks" and duration["reviewer"] == "ann"
    assert duration["reason"] == "two weeks in the text" and duration["state"] == "applied"
    assert duration["at"] and duration["version"] == 1
    assert by_op["reject"]["pointer"] == "/treatments/2" and by_op["reject"]["reviewer"] == "ann"
    assert all(r["state"] == "applied" for r in edits)
    assert {r["reviewer"] for r in edits} == {"ann", "bob"}
    documents = {r["document_id"]: r for r in tables["documents"].rows}
    assert documents[SEED_ID]["edits"] == len(edits)
    # the output fails on a later run; the review file stays, and so do its rows
    data = json.loads((run / f"{SEED_ID}.json").read_text())
    data["status"], data["record"] = "failed", None
    data["error"] = {"kind": "connection", "message": "x", "attempts": 1}
    (run / f"{SEED_ID}.json").write_text(json.dumps(data))
    later = build_tables(RunStore(run))
    kept = [r for r in later["review_edits"].rows if r["document_id"] == SEED_ID]
    assert [r["edit_id"] for r in kept] == [r["edit_id"] for r in edits]
    assert {r["state"] for r in kept} == {"not applied"}
    row = next(r for r in later["documents"].rows if r["document_id"] == SEED_ID)
    assert row["status"] == "failed" and row["edits"] == len(edits)


def test_a_review_whose_extraction_file_is_gone_keeps_its_rows(store, run):
    """A hostile audit (eleventh session): with the extraction file deleted, its review file
    (someone's corrections) was in no table and no list."""
    correct_and_review(store)
    stored = store.review(SEED_ID).edits
    (run / f"{SEED_ID}.json").unlink()
    tables = build_tables(RunStore(run))
    row = next(r for r in tables["documents"].rows if r["document_id"] == SEED_ID)
    assert row["status"] == "missing" and row["edits"] == len(stored)
    edits = [r for r in tables["review_edits"].rows if r["document_id"] == SEED_ID]
    assert [r["edit_id"] for r in edits] == [e.id for e in stored]
    assert {r["state"] for r in edits} == {"not applied"}
    assert {r["review_file"] for r in edits} == {f"reviews/{SEED_ID}.review.json"}


def test_an_output_symlink_the_run_does_not_read_gets_a_row_that_says_so(run, tmp_path):
    """Twelfth session's audit: `<id>.json` symlinks that lead outside the run folder, or to
    nothing, were left out of every table without a word."""
    outside = tmp_path / "elsewhere.json"
    outside.write_text((run / f"{SEED_ID}.json").read_text())
    (run / "linked-out.json").symlink_to(outside)
    (run / "dangling.json").symlink_to(tmp_path / "nothing-here.json")
    rows = {r["document_id"]: r for r in build_tables(RunStore(run))["documents"].rows}
    assert rows["linked-out"]["status"] == "left out"
    assert "outside the run folder" in rows["linked-out"]["error"]
    assert rows["dangling"]["status"] == "left out" and "no file" in rows["dangling"]["error"]
    assert rows[SEED_ID]["status"] == "ok"


def test_a_dangling_output_with_a_review_has_one_row(store, run, tmp_path):
    """The second audit: a dangling `<id>.json` symlink whose review file is kept gave two
    rows ("missing" and "left out") for one document."""
    correct_and_review(store)
    (run / f"{SEED_ID}.json").unlink()
    (run / f"{SEED_ID}.json").symlink_to(tmp_path / "nothing-here.json")
    rows = [r for r in build_tables(RunStore(run))["documents"].rows if r["document_id"] == SEED_ID]
    assert len(rows) == 1 and rows[0]["status"] == "missing"
    assert "leads to no file" in rows[0]["error"]
