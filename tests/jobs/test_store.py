from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path

import pytest

from abstraction.core.errors import UserError
from abstraction.jobs.migrations import MIGRATIONS, migrate
from abstraction.jobs.store import CallRow, DocumentRow, RunStore


def test_migrations_are_named_and_applied_once(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    RunStore(path).close()
    db = sqlite3.connect(path, isolation_level=None)
    names = [r[0] for r in db.execute("SELECT name FROM _migrations ORDER BY rowid")]
    assert names == [m.__name__ for m in MIGRATIONS]
    assert migrate(db) == []  # nothing left to apply
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"runs", "documents", "model_calls", "_migrations"} <= tables


def test_runs_documents_and_calls_round_trip(tmp_path: Path) -> None:
    with RunStore(tmp_path / "runs.db") as store:
        run = store.start_run(model="m", prompt_version="v1", settings={"temperature": 0})
        store.add_call(
            CallRow(run, "a", 1, "2024-01-01T00:00:00", 0.2, "rate_limited", http_status=429)
        )
        store.add_call(
            CallRow(
                run,
                "a",
                2,
                "2024-01-01T00:00:01",
                0.3,
                "ok",
                http_status=200,
                prompt_tokens=100,
                completion_tokens=20,
            )
        )
        store.record_document(
            run,
            DocumentRow(
                "a", "a.txt", "ok", calls=2, prompt_tokens=100, completion_tokens=20, cost=0.001
            ),
        )
        store.record_document(
            run, DocumentRow("b", "b.txt", "failed", error_kind="input:empty", error="empty")
        )
        store.finish_run(run, status="done")
        [row] = store.list_runs()
        assert (row["documents"], row["ok"], row["failed"], row["cost"]) == (2, 1, 1, 0.001)
        shown = store.show_run(run[:10])
        assert shown["status"] == "done" and shown["documents"] == 2
        assert shown["calls_by_status"] == {"ok": 1, "rate_limited": 1}
        assert shown["failures"][0]["error_kind"] == "input:empty"
        assert store.resolve("latest") == run
        with pytest.raises(UserError, match="no run matching"):
            store.resolve("nope")
    # readable with the standard sqlite3 tool
    out = subprocess.run(
        ["sqlite3", str(tmp_path / "runs.db"), "select doc_id, status from documents order by 1"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.split() == ["a|ok", "b|failed"]


def test_a_run_with_a_call_of_unknown_cost_has_an_unknown_cost(tmp_path: Path) -> None:
    """Twelfth session's audit: `runs list` and `runs show` printed $0.0000 for a resumed run
    of an unpriced model (SQL's sum skipped the unknown costs); its own summary said
    unknown.  A cached document (no call) costs nothing known or unknown."""
    with RunStore(tmp_path / "runs.db") as store:
        run = store.start_run(model="m", prompt_version="v1", settings={})
        store.record_document(run, DocumentRow("a", "a.txt", "cached", calls=0, cost=0.0))
        store.record_document(run, DocumentRow("b", "b.txt", "ok", calls=3, cost=None))
        store.finish_run(run, status="done")
        [row] = store.list_runs()
        assert row["cost"] is None
        assert store.show_run(run)["totals"]["cost"] is None
        priced = store.start_run(model="m", prompt_version="v1", settings={})
        store.record_document(priced, DocumentRow("a", "a.txt", "cached", calls=0, cost=None))
        store.record_document(priced, DocumentRow("b", "b.txt", "ok", calls=3, cost=0.002))
        store.finish_run(priced, status="done")
        assert store.show_run(priced)["totals"]["cost"] == 0.002


def test_a_run_whose_process_died_is_marked_interrupted(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    with RunStore(path) as store:
        run = store.start_run(model="m")
    db = sqlite3.connect(path)
    with db:  # a pid above any pid_max: no such process
        db.execute("UPDATE runs SET pid = ? WHERE id = ?", (999_999_999, run))
    with RunStore(path) as store:
        assert store.show_run(run)["status"] == "interrupted"


def test_batches_written_in_the_background_are_all_there_after_flush(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import abstraction.jobs.store as store_module

    monkeypatch.setattr(store_module, "FLUSH_ROWS", 7)  # many background batches
    with RunStore(tmp_path / "runs.db") as store:
        run = store.start_run(model="m")
        for i in range(100):
            store.add_call(CallRow(run, f"d{i:03d}", 1, "2024-01-01T00:00:00", 0.1, "ok"))
            store.record_document(run, DocumentRow(f"d{i:03d}", f"d{i:03d}.txt", "ok", calls=1))
        assert store._in_flight, "no batch went to the background writer"
        store.flush()
        docs = store.documents(run)
    assert [d["doc_id"] for d in docs] == [f"d{i:03d}" for i in range(100)]
    db = sqlite3.connect(tmp_path / "runs.db")
    assert db.execute("select count(distinct doc_id) from model_calls").fetchone()[0] == 100


def test_a_failed_background_batch_is_raised_not_lost_silently(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import abstraction.jobs.store as store_module

    monkeypatch.setattr(store_module, "FLUSH_ROWS", 1)
    store = RunStore(tmp_path / "runs.db")
    run = store.start_run(model="m")
    store.db.execute("DROP TABLE documents")  # every later write of a document row fails
    store.record_document(run, DocumentRow("a", "a.txt", "ok"))
    with pytest.raises(sqlite3.OperationalError, match="documents"):
        store.flush()
    store.db.close()
