"""The worked example of a schema of your own, end to end: extract -> score -> review -> export.

`examples/id_registry` holds an `IdRegistry` schema built from the toolkit's blocks, a prompt
that names it, three fictional case reports with hand-labelled gold, and the recordings of one
live run of the embedded model on them (`--record`).  Here the extraction is replayed from
those recordings, scored by ``eval`` (against the committed baseline) and ``score``, reviewed
over HTTP, and exported as tables that are read back and compared with the JSON records: all
with no change to the package for this schema.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient
from typer.testing import CliRunner

from abstraction.cli.main import app
from abstraction.core.documents import Document
from abstraction.core.schema import iter_evidence
from abstraction.core.schemas import load_extraction, resolve_schema
from abstraction.review.app import create_app
from abstraction.review.dual import assign, run_agreement
from abstraction.review.edits import Change
from abstraction.review.reconcile import decide, promote_reconciled, reconcile
from abstraction.review.store import RunStore
from abstraction.review.table_files import write_tables
from abstraction.review.tables import build_tables

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "id_registry"
REF = "examples.id_registry.schema:IdRegistry"
IDS = ["id01_septic_knee", "id02_liver_abscess", "id03_listeria_meningitis"]
TOKEN = "test-session-token-0123456789abcdef"
BASE = "http://127.0.0.1:8765"
WRITE = {"X-Review-Client": "1"}
runner = CliRunner()

pytestmark = pytest.mark.skipif(
    not any((EXAMPLE / "recordings").rglob("*.json")), reason="no recordings of the example yet"
)


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example extracted by ``abstraction extract``, answered from its recordings."""
    out = tmp_path_factory.mktemp("idreg") / "run"
    result = runner.invoke(
        app,
        [
            "extract",
            str(EXAMPLE / "texts"),
            "--out",
            str(out),
            "--prompt",
            "v1",
            "--prompts-dir",
            str(EXAMPLE / "prompts"),
            "--replay",
            "--recordings",
            str(EXAMPLE / "recordings"),
            "--no-cache",
        ],
    )
    assert result.exit_code == 0, result.output
    return out


def test_extractions_are_records_of_the_schema_with_its_identity(run: Path) -> None:
    schema = resolve_schema(REF)
    for doc_id in IDS:
        ext = load_extraction((run / f"{doc_id}.json").read_bytes())
        assert ext.status == "ok", ext.error
        assert type(ext.record).__name__ == "IdRegistry"
        assert (ext.provenance.schema_ref, ext.provenance.schema_sha256) == (REF, schema.sha256)
        assert ext.not_extracted == []
        text = Document.from_path(EXAMPLE / "texts" / f"{doc_id}.txt").text
        facts = list(iter_evidence(ext.record))
        assert ext.grounding is not None and ext.grounding.facts == len(facts) > 0
        for _path, ev in facts:
            if ev.status == "exact":
                assert text[ev.start : ev.end] == ev.quote or ev.method != "verbatim"


def test_gold_points_exactly_into_the_texts() -> None:
    for doc_id in IDS:
        gold = json.loads((EXAMPLE / "gold" / f"{doc_id}.json").read_text("utf-8"))
        doc = Document.from_path(EXAMPLE / "texts" / f"{doc_id}.txt")
        assert (gold["schema"], gold["document_sha256"]) == (REF, doc.sha256)
        from abstraction.core.schemas import load_gold

        for _path, ev in iter_evidence(load_gold(json.dumps(gold)).record):
            assert doc.text[ev.start : ev.end] == ev.quote


def test_eval_replays_at_its_baseline_and_agrees_with_score(run: Path, tmp_path: Path) -> None:
    report_dir = tmp_path / "report"
    result = runner.invoke(
        app,
        [
            "eval",
            str(EXAMPLE / "suite.toml"),
            "-p",
            "v1",
            "--replay",
            "--check-baseline",
            "--report",
            str(report_dir),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "baseline check passed" in result.output
    report = json.loads((report_dir / "report.json").read_text())
    eval_f1 = {f["path"]: f["f1"][0]["estimate"] for f in report["fields"]}
    assert {"antimicrobials.drug", "pathogens.organism", "infection_site.value"} <= set(eval_f1)
    assert not any(p.startswith(("diagnoses", "treatments")) for p in eval_f1)

    scored = tmp_path / "score.json"
    result = runner.invoke(app, ["score", str(run), str(EXAMPLE / "gold"), "--json", str(scored)])
    assert result.exit_code == 0, result.output
    fields = {p: f["f1"] for p, f in json.loads(scored.read_text())["fields"].items()}
    for path, f1 in eval_f1.items():
        assert fields[path] == pytest.approx(f1), path


def _save(client: TestClient, doc_id: str, version: int, *changes: dict) -> Any:
    return client.post(
        f"/api/docs/{doc_id}/edits",
        json={"reviewer": "ann", "reason": "test", "changes": list(changes)},
        headers={**WRITE, "If-Match": f'"{version}"'},
    )


@pytest.fixture
def reviewed(run: Path, tmp_path: Path) -> Path:
    """A copy of the run, reviewed over HTTP: an item added, an outcome set, one accepted."""
    copy = tmp_path / "run"
    shutil.copytree(run, copy, ignore=shutil.ignore_patterns("runs.db*"))
    client = TestClient(create_app(RunStore(copy), token=TOKEN), base_url=f"{BASE}/{TOKEN}")

    schema = client.get("/api/schema").json()
    assert schema["title"] == "IdRegistry" and "pathogens" in schema["properties"]
    rows = client.get("/api/docs").json()
    assert sorted(r["id"] for r in rows) == IDS

    doc = "id03_listeria_meningitis"
    view = client.get(f"/api/docs/{doc}").json()
    pointers = {f["pointer"] for f in view["facts"]}
    assert pointers and all(p.split("/")[1] in resolve_schema(REF).sections for p in pointers)
    text = view["source"]["text"]
    quote = "She died on day 9 of her admission"
    at = text.index(quote)
    res = _save(
        client,
        doc,
        0,
        {"op": "set", "pointer": "/outcome", "value": {"value": "died"}},
        {"op": "set_evidence", "pointer": "/outcome", "value": {"start": at, "end": at + 34}},
        {
            "op": "add",
            "pointer": "/source_control",
            "value": {"procedure": "lumbar puncture", "time": None, "evidence": {"quote": ""}},
        },
    )
    assert res.status_code == 200, res.text
    bad = _save(client, doc, 1, {"op": "set", "pointer": "/outcome/value", "value": "cured"})
    assert bad.status_code == 422 and bad.json()["problems"][0].startswith("/outcome/value")
    assert _save(client, IDS[0], 0, {"op": "accept_all"}).status_code == 200
    after = client.get(f"/api/docs/{doc}").json()
    outcome = next(f for f in after["facts"] if f["pointer"] == "/outcome")
    assert outcome["value"]["value"] == "died" and outcome["status"] == "edited"
    assert outcome["value"]["evidence"]["quote"] == quote
    return copy


def _read(out: Path, fmt: str, names: list[str]) -> dict[str, list[dict[str, Any]]]:
    if fmt == "csv":
        return {
            n: [
                {k: (v if v != "" else None) for k, v in r.items()}
                for r in csv.DictReader((out / f"{n}.csv").open(encoding="utf-8"))
            ]
            for n in names
        }
    if fmt == "jsonl":
        return {
            n: [json.loads(x) for x in (out / f"{n}.jsonl").read_text("utf-8").splitlines()]
            for n in names
        }
    if fmt == "parquet":
        import pyarrow.parquet as pq

        return {n: pq.read_table(out / f"{n}.parquet").to_pylist() for n in names}
    import openpyxl

    book = openpyxl.load_workbook(out / "tables.xlsx")
    tables = {}
    for n in names:
        header, *rows = book[n].iter_rows(values_only=True)
        tables[n] = [dict(zip(header, row, strict=True)) for row in rows]
    return tables


def _same(cell: Any, value: Any, fmt: str) -> bool:
    if value is None or (value == "" and fmt in ("csv", "xlsx")):  # no empty cell but null
        return cell is None
    if fmt == "csv":
        return cell == str(value)
    return cell == value


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet", "xlsx"])
def test_export_round_trips_the_reviewed_records(reviewed: Path, tmp_path: Path, fmt: str) -> None:
    store = RunStore(reviewed)
    tables = build_tables(store)
    lists = ["pathogens", "antimicrobials", "source_control"]
    assert list(tables) == ["documents", *lists, "review_edits"]
    edits = tables["review_edits"].rows
    assert edits and all(r["reviewer"] and r["at"] and r["state"] for r in edits)
    out = tmp_path / fmt
    write_tables(list(tables.values()), out, fmt=fmt)
    back = _read(out, fmt, list(tables))
    assert sorted(r["document_id"] for r in back["documents"]) == IDS
    for doc_id in IDS:
        corrected = store.state(doc_id)[1].corrected
        row = next(r for r in back["documents"] if r["document_id"] == doc_id)
        outcome = (corrected["outcome"] or {}).get("value")
        assert _same(row["outcome"], outcome, fmt), (doc_id, row["outcome"], outcome)
        assert _same(row["infection_site"], (corrected["infection_site"] or {}).get("value"), fmt)
        for name in lists:
            rows = [r for r in back[name] if r["document_id"] == doc_id and r["item"] is not None]
            rows.sort(key=lambda r: int(r["item"]))
            items = corrected[name]
            assert len(rows) == len(items), (doc_id, name)
            for r, item in zip(rows, items, strict=True):
                for field, value in item.items():
                    if field != "evidence":
                        assert _same(r[field], value, fmt), (doc_id, name, field)
                assert _same(r["quote"], item["evidence"]["quote"], fmt)
    added = [r for r in back["source_control"] if r["procedure"] == "lumbar puncture"]
    assert len(added) == 1 and added[0]["review"] == "edited"


def _submit(run: Path, name: str, doc_id: str, changes: list[Change]) -> None:
    store = RunStore(run, reviewer=name)
    store.save(doc_id, expected_version=0, reviewer=name, reason="t", changes=changes)
    store.save(doc_id, expected_version=1, reviewer=name, reason=None,
               changes=[Change(op="accept_all")])  # fmt: skip


def test_dual_review_reconciles_and_promotes_in_the_schema(run: Path, tmp_path: Path) -> None:
    """Two reviewers disagree on an IdRegistry fact; the reconciliation finds it in the run's
    schema, the adjudicator settles it, and the settled record is promoted to gold of that
    schema (with its ``schema`` key)."""
    copy = tmp_path / "run"
    shutil.copytree(run, copy, ignore=shutil.ignore_patterns("runs.db*"))
    assign(copy, ["alice", "bob"])
    doc = "id03_listeria_meningitis"
    text = RunStore(copy).source(doc).text
    quote = "She died on day 9 of her admission"
    at = text.index(quote)
    where = {"op": "set_evidence", "pointer": "/outcome", "value": {"start": at, "end": at + 34}}
    _submit(copy, "alice", doc, [Change(op="set", pointer="/outcome", value={"value": "died"}),
                                 Change.model_validate(where)])  # fmt: skip
    _submit(copy, "bob", doc, [Change(op="set", pointer="/outcome", value={"value": "alive"}),
                               Change.model_validate(where)])  # fmt: skip

    store = RunStore(copy)
    rec = reconcile(store, doc, "alice", "bob")
    assert [u.key for u in rec.units] == ["/outcome"]
    [unit] = rec.units
    assert (unit.a or {}).get("value") == "died" and (unit.b or {}).get("value") == "alive"
    pairs = run_agreement(store, doc_ids=[doc])
    assert pairs and pairs[0].documents == [doc]
    assert {f.path.split(".")[0] for f in pairs[0].fields} <= set(resolve_schema(REF).sections)

    decide(store, rec, key="/outcome", choice="a", reason=None, adjudicator="carol",
           expected_version=0)  # fmt: skip
    [(path, _)] = promote_reconciled(store, [doc], tmp_path / "gold")
    raw = json.loads(path.read_text())
    assert raw["schema"] == REF
    assert raw["record"]["outcome"]["value"] == "died"
    assert raw["record"]["outcome"]["evidence"]["quote"] == quote


def test_the_review_app_shows_the_schema_in_the_browser(run: Path, tmp_path: Path) -> None:
    """The app's pages, driven by the run's schema, in Debian's Chromium: every fact of the
    example has its card, and the list shows every document (edits: over HTTP, above)."""
    from tests.review.browser import browser_missing, card, chromium, doc_ready_ms, serving

    if browser_missing() is not None:
        pytest.skip(str(browser_missing()))
    copy = tmp_path / "run"
    shutil.copytree(run, copy, ignore=shutil.ignore_patterns("runs.db*"))
    store = RunStore(copy)
    doc = "id01_septic_knee"
    facts = [f for f in store.state(doc)[1].facts if f.value is not None]
    errors: list[str] = []
    with chromium() as browser, serving(store, reviewer="Ann") as base:
        page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"{base}/doc/{doc}")
        doc_ready_ms(page)
        for fact in facts:
            assert page.locator(card(fact.pointer)).count() == 1, fact.pointer
        first = page.locator(card("/antimicrobials/0"))
        assert "cefazolin" in first.inner_text()
        page.goto(f"{base}/")
        page.wait_for_selector('body[data-ready="1"]', timeout=15_000)
        assert all(page.locator(f"text={i}").count() >= 1 for i in IDS)
    assert errors == [], errors
