"""Export of corrected records, promotion to gold, carrying reviews, and the CLI commands."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from abstraction.cli import review as cli
from abstraction.cli.main import app as main_app
from abstraction.core.errors import UserError
from abstraction.core.jsonschema_export import validate_file
from abstraction.core.records import Extraction, GoldRecord
from abstraction.review.edits import Change
from abstraction.review.export import export_run, promote
from abstraction.review.store import RunStore
from tests.review.seed_run import REPO as ROOT
from tests.review.seed_run import SEED_ID

runner = CliRunner()


def correct_and_review(store: RunStore) -> None:
    store.save(
        SEED_ID,
        expected_version=0,
        reviewer="ann",
        reason="two weeks in the text",
        changes=[
            Change(op="set", pointer="/treatments/3", value={"duration": "two weeks"}),
            Change(op="reject", pointer="/treatments/2"),
        ],
    )
    store.save(
        SEED_ID, expected_version=1, reviewer="bob", reason=None, changes=[Change(op="accept_all")]
    )


def test_export_writes_valid_corrected_extractions_and_keeps_originals(store, run, tmp_path):
    correct_and_review(store)
    original = (run / f"{SEED_ID}.json").read_bytes()
    written, skipped = export_run(store, tmp_path / "out")
    assert {w.doc_id for w in written} == {SEED_ID, "hostile"} and skipped == []
    exported = Extraction.model_validate_json((tmp_path / "out" / f"{SEED_ID}.json").read_bytes())
    names = [t.name for t in exported.record.treatments]
    assert "rituximab" not in names and exported.record.treatments[2].duration == "two weeks"
    # still unsupported: the relapse, whose quote lists only its sites, and the corrected
    # treatment, whose grounding (of the model's "two months") a review edit does not redo
    assert exported.grounding.unsupported == 2 and exported.grounding.facts == 18
    assert exported.grounding.not_stated == 2
    assert (run / f"{SEED_ID}.json").read_bytes() == original
    assert validate_file(tmp_path / "out" / f"{SEED_ID}.json") == []
    log = json.loads((tmp_path / "out" / f"{SEED_ID}.review.json").read_text())
    assert len(log["edits"]) == len(store.review(SEED_ID).edits)
    written, skipped = export_run(store, tmp_path / "out2", reviewed_only=True)
    assert [w.doc_id for w in written] == [SEED_ID] and skipped == ["hostile: unreviewed"]
    with pytest.raises(UserError, match="must not be the run folder"):
        export_run(store, run)
    # twelfth session's audit: another run's folder had its model outputs replaced, with no
    # copy; a gold folder likewise.  Both are refused; an earlier export is kept in history/
    other = tmp_path / "other-run"
    other.mkdir()
    (other / "runs.db").write_bytes(b"")
    (other / f"{SEED_ID}.json").write_text("another run's output")
    with pytest.raises(UserError, match="is a run folder"):
        export_run(store, other)
    gold = tmp_path / "gold"
    gold.mkdir()
    (gold / "x.json").write_text('{"kind": "gold", "record": {}}')
    with pytest.raises(UserError, match="holds gold records"):
        export_run(store, gold)
    assert (other / f"{SEED_ID}.json").read_text() == "another run's output"
    before = (tmp_path / "out2" / f"{SEED_ID}.json").read_bytes()
    (tmp_path / "out2" / f"{SEED_ID}.json").write_text("edited by hand after the export")
    export_run(store, tmp_path / "out2", reviewed_only=True)
    assert (tmp_path / "out2" / f"{SEED_ID}.json").read_bytes() == before
    [kept] = (tmp_path / "out2" / "history").glob(f"{SEED_ID}.*.json")
    assert kept.read_text() == "edited by hand after the export"


def test_promote_only_reviewed_documents_and_never_overwrites_without_force(store, tmp_path):
    gold_dir = tmp_path / "gold"
    with pytest.raises(UserError, match="unreviewed; only reviewed"):
        promote(store, [SEED_ID], gold_dir)
    correct_and_review(store)
    with pytest.raises(UserError, match="nothing promoted"):
        promote(store, [SEED_ID, "hostile"], gold_dir)  # all or nothing
    assert not gold_dir.exists()
    [(path, kept)] = promote(store, [SEED_ID], gold_dir)
    assert kept is None
    gold = GoldRecord.model_validate_json(path.read_bytes())
    assert validate_file(path) == []
    assert gold.annotator == "ann, bob" and gold.document_id == SEED_ID
    assert "1 edited, 1 rejected" in gold.notes and "hand-built-test-record" in gold.notes
    assert [t.name for t in gold.record.treatments][2] == "interferon-α"
    hand = '{"kind": "gold", "annotator": "a hand-labelled gold"}'
    path.write_text(hand)
    with pytest.raises(UserError, match="exists; pass --force"):
        promote(store, [SEED_ID], gold_dir)
    assert path.read_text() == hand
    [(_, kept)] = promote(store, [SEED_ID], gold_dir, force=True)
    assert (
        GoldRecord.model_validate_json(path.read_bytes()).record.treatments[2].duration
        == "two weeks"
    )
    # twelfth session: the gold --force replaced is kept, beside the gold folder's files
    assert kept is not None and kept.parent == gold_dir / "history" and kept.read_text() == hand
    # a file there that is not a gold record (a run's output) is not replaced, even forced
    path.write_text('{"kind": "extraction"}')
    with pytest.raises(UserError, match="not a gold record"):
        promote(store, [SEED_ID], gold_dir, force=True)
    (gold_dir / "runs.db").write_bytes(b"")
    with pytest.raises(UserError, match="is a run folder"):
        promote(store, [SEED_ID], gold_dir, force=True)


def test_promote_force_is_all_or_nothing_when_a_write_fails(store, tmp_path, monkeypatch):
    """A write that fails half-way (a gold file that cannot be replaced) puts back the gold
    already replaced and writes nothing: before, case01's hand gold was replaced, then a
    traceback stopped the command at the next."""
    import os

    correct_and_review(store)
    gold_dir = tmp_path / "gold"
    gold_dir.mkdir()
    target = gold_dir / f"{SEED_ID}.json"
    target.write_text('{"kind": "gold", "annotator": "hand gold"}')
    real_replace = os.replace

    def refuse(src, dst):  # the rename over the gold file fails (an immutable file)
        if str(dst) == str(target):
            raise PermissionError(1, "Operation not permitted", str(dst))
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(UserError, match="nothing promoted: cannot write"):
        promote(store, [SEED_ID], gold_dir, force=True)
    monkeypatch.setattr(os, "replace", real_replace)
    assert target.read_text() == '{"kind": "gold", "annotator": "hand gold"}'
    assert sorted(p.name for p in gold_dir.iterdir() if p.is_file()) == [f"{SEED_ID}.json"]


def test_cli_export_promote_and_carry(store, run, tmp_path):
    correct_and_review(store)
    out = tmp_path / "out"
    res = runner.invoke(main_app, ["review", "export", str(run), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "Wrote 2 corrected file(s)" in res.output
    Extraction.model_validate_json((out / f"{SEED_ID}.json").read_bytes())

    gold_dir = tmp_path / "gold"
    args = ["promote", str(run), SEED_ID, "hostile", "--gold-dir", str(gold_dir)]
    res = runner.invoke(main_app, args)
    assert isinstance(res.exception, UserError) and "hostile: unreviewed" in str(res.exception)
    res = runner.invoke(main_app, ["promote", str(run), SEED_ID, "--gold-dir", str(gold_dir)])
    assert res.exit_code == 0 and (gold_dir / f"{SEED_ID}.json").exists()

    new_run = tmp_path / "run2"
    new_run.mkdir()
    raw = json.loads((run / f"{SEED_ID}.json").read_text())
    raw["record"]["treatments"][3]["duration"] = "one month"  # the new extraction differs here
    (new_run / f"{SEED_ID}.json").write_text(json.dumps(raw))
    res = runner.invoke(main_app, ["review", "carry", str(run), str(new_run)])
    assert res.exit_code == 0, res.output
    state = RunStore(new_run).state(SEED_ID)[1]
    assert [c.edit.pointer for c in state.conflicts] == ["/treatments/3/duration"]
    assert state.doc_status == "in_progress"
    res = runner.invoke(main_app, ["review", "carry", str(run), str(new_run)])
    assert isinstance(res.exception, UserError) and "--force" in str(res.exception)


def test_serve_binds_loopback_prints_the_address_and_refuses_other_hosts(run):
    env = {k: v for k, v in os.environ.items() if k != "ABSTRACTION_DEBUG"}
    cmd = [sys.executable, "-m", "abstraction", "review", str(run)]
    bad = subprocess.run(
        [*cmd, "--host", "0.0.0.0"], capture_output=True, text=True, timeout=60, env=env, cwd=ROOT
    )
    assert bad.returncode == 2 and "loopback" in bad.stderr
    proc = subprocess.Popen(
        [*cmd, "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    try:
        address = None
        deadline = time.monotonic() + 30
        while address is None and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if line.startswith("Open http://127.0.0.1:"):
                address = line.split()[1]
        assert address, proc.stderr.read() if proc.poll() is not None else "no address printed"
        rows = httpx.get(address + "api/docs", timeout=10).json()
        assert {r["id"] for r in rows} == {SEED_ID, "hostile"}
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_a_single_extraction_file_can_be_reviewed(run):
    store = cli.open_store(run / "hostile.json", sources=None, gold=None)
    assert [e.id for e in store.entries()] == ["hostile"]
    with pytest.raises(UserError):
        cli.open_store(Path("/nonexistent/run"), sources=None, gold=None)


def test_promoting_a_record_of_a_prompt_that_left_fields_out_annotates_only_the_rest(
    store, run, tmp_path
):
    """A gold promoted from a v18-like extraction does not claim that the timeline it never
    asked for is empty: those fields are left out of `annotated_fields`, and the scorer leaves
    them alone."""
    from abstraction.core.prompts import load_prompt
    from abstraction.evaluation.brat import covers

    path = run / f"{SEED_ID}.json"
    ext = Extraction.model_validate_json(path.read_text())
    ext.not_extracted = load_prompt("v18", ROOT / "prompts").not_extracted()
    path.write_text(ext.model_dump_json(indent=2))
    store = RunStore(run)
    correct_and_review(store)
    [(gold_path, _)] = promote(store, [SEED_ID], tmp_path / "gold")
    gold = GoldRecord.model_validate_json(gold_path.read_bytes())
    assert validate_file(gold_path) == []
    annotated = gold.annotated_fields
    assert annotated is not None and "The prompt did not ask for source" in gold.notes
    for asked in ("patient.age", "diagnoses.name", "treatments.name", "outcome.status"):
        assert covers(annotated, asked)
    for left_out in ("timeline.event", "disease_events.time", "treatments.dose", "source.title"):
        assert not covers(annotated, left_out)


def test_an_export_refused_for_one_document_writes_nothing(store, run, tmp_path):
    """A hostile audit (eleventh session): a review file edited by hand into an invalid record
    stopped the export at that document, after the documents before it were written."""
    correct_and_review(store)
    change = Change(op="set", pointer="/findings/1/assertion", value="absent")
    store.save("hostile", expected_version=0, reviewer="ann", reason="t", changes=[change])
    path = run / "reviews" / "hostile.review.json"
    review = json.loads(path.read_text())
    review["edits"][0]["new"] = "maybe"  # not an assertion: the record cannot validate
    path.write_text(json.dumps(review))
    out = tmp_path / "out"
    with pytest.raises(UserError, match="hostile"):
        export_run(store, out)
    assert not out.exists() or list(out.iterdir()) == []
