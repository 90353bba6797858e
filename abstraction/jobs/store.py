"""The run store: one SQLite file with runs, documents and every model call.

Plain tables, readable with the ``sqlite3`` CLI, e.g.::

    sqlite3 runs.db "select doc_id, status, error from documents where status='failed'"

A job's store is ``<out>/runs.db`` by default (or ``$ABSTRACTION_RUNS_DB``, or ``--store``):
it holds what the outputs hold and more (file paths, errors, and with ``--log-bodies`` every
request and response body, so every document's text), and it belongs with them, not in a
folder the user never looks at.  WAL mode lets a reader look at a job while it runs; a run
killed with ``kill -9`` is marked ``interrupted`` the next time the store is opened.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import sqlite3
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from abstraction.core.errors import UserError
from abstraction.jobs.migrations import migrate

STORE_ENV = "ABSTRACTION_RUNS_DB"
STORE_NAME = "runs.db"
FLUSH_ROWS = 500
"""The most document rows (with their calls) written in one transaction."""


def default_store_path(out_dir: Path | None = None) -> Path | None:
    """``$ABSTRACTION_RUNS_DB``, else ``<out_dir>/runs.db``; None when neither is known."""
    env = os.environ.get(STORE_ENV)
    if env:
        return Path(env)
    return out_dir / STORE_NAME if out_dir is not None else None


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def new_run_id() -> str:
    """Sortable and unique enough: UTC time plus 4 random hex digits."""
    return datetime.now(UTC).strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(2)


@dataclass
class DocumentRow:
    doc_id: str
    origin: str
    status: str
    sha256: str | None = None
    chars: int | None = None
    error_kind: str | None = None
    error: str | None = None
    cache_key: str | None = None
    output: str | None = None
    parts: int | None = None
    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float | None = None
    seconds: float | None = None
    finished_at: str = field(default_factory=_now)


@dataclass
class CallRow:
    run_id: str | None
    doc_id: str | None
    attempt: int
    started_at: str
    latency: float
    status: str
    method: str | None = None
    url: str | None = None
    http_status: int | None = None
    error: str | None = None
    model: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    request: str | None = None
    response: str | None = None


def _columns(row: DocumentRow | CallRow) -> dict[str, Any]:
    """A row's column values.  Rows hold only flat values, so a shallow copy is enough;
    `dataclasses.asdict` copies recursively, 30 µs a row against 1 µs."""
    return dict(vars(row))


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


_COST = "CASE WHEN sum({t}calls > 0 AND {t}cost IS NULL) > 0 THEN NULL ELSE sum({t}cost) END"
"""A run's cost: unknown when a document that called the model has no known cost (SQL's sum
skips them, so `runs list` printed $0.0000 for a run of an unpriced model; twelfth session)."""


class RunStore:
    """Model calls are queued and written with the documents they belong to; a running job's
    rows are written by a background thread (`record_document`), everything else on the
    caller's thread, which first waits for the background writer."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            # one connection, used by one thread at a time: the background writer's batches
            # and the caller's writes hold `_lock`; the caller reads only after `flush` has
            # waited for every batch in flight
            self.db = sqlite3.connect(
                path, timeout=30, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise UserError(f"{path}: cannot open the run store: {exc}") from exc
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA busy_timeout=30000")
        migrate(self.db)
        self._calls: list[CallRow] = []
        self._docs: list[dict[str, Any]] = []
        self._queue = threading.Lock()  # guards _calls, _docs and _draining
        self._draining = False
        self._lock = threading.RLock()
        self._writer: ThreadPoolExecutor | None = None
        self._in_flight: list[Future[None]] = []
        self._mark_dead_runs()

    def close(self) -> None:
        try:
            self.flush()
        finally:
            if self._writer is not None:
                self._writer.shutdown(wait=True)
            self.db.close()

    @contextlib.contextmanager
    def _tx(self) -> Iterator[None]:
        """One transaction (the connection is in autocommit mode otherwise)."""
        with self._lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _mark_dead_runs(self) -> None:
        rows = self.db.execute("SELECT id, pid FROM runs WHERE status = 'running'").fetchall()
        with self._tx():
            for row in rows:
                if row["pid"] != os.getpid() and not _alive(row["pid"]):
                    self.db.execute(
                        "UPDATE runs SET status = 'interrupted', note = ? WHERE id = ?",
                        ("the process ended without finishing the run (killed?)", row["id"]),
                    )

    # -- writing ---------------------------------------------------------------------------

    def start_run(self, **fields: Any) -> str:
        run_id = new_run_id()
        values = {
            "id": run_id,
            "started_at": _now(),
            "status": "running",
            "pid": os.getpid(),
            **{k: json.dumps(v) if isinstance(v, dict | list) else v for k, v in fields.items()},
        }
        cols = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        with self._tx():
            self.db.execute(f"INSERT INTO runs ({cols}) VALUES ({marks})", tuple(values.values()))
        return run_id

    def finish_run(self, run_id: str, *, status: str, note: str | None = None) -> None:
        self.flush()
        with self._tx():
            self.db.execute(
                "UPDATE runs SET status = ?, finished_at = ?, note = coalesce(?, note),"
                " documents = (SELECT count(*) FROM documents WHERE run_id = ?) WHERE id = ?",
                (status, _now(), note, run_id, run_id),
            )

    def add_call(self, call: CallRow) -> None:
        with self._queue:
            self._calls.append(call)

    def record_document(self, run_id: str, row: DocumentRow) -> None:
        """Queue the document's row (insert or replace) for the background writer, which
        writes whatever is queued, rows and calls together, in one transaction, as soon as it
        is free (a group commit).

        The writer never waits for a timer: a run killed with ``kill -9`` loses at most the
        rows of the last few milliseconds (the documents being written at that moment), not a
        second's worth.  The job's event loop never waits for SQLite: a batch with many calls
        takes milliseconds, and a commit per document on the loop would cost more than the
        rest of the runner at 100+ documents a second."""
        with self._queue:
            self._docs.append({"run_id": run_id, **_columns(row)})
            if self._draining:
                return  # the writer takes it with the rows before
            self._draining = True
        self._reap()
        if self._writer is None:
            self._writer = ThreadPoolExecutor(1, thread_name_prefix="abstraction-runstore")
        self._in_flight.append(self._writer.submit(self._drain))

    def _drain(self) -> None:
        """Write batches until the queue is empty (on the background thread)."""
        try:
            while True:
                with self._queue:
                    calls, docs = self._take()
                    if not calls and not docs:
                        self._draining = False
                        return
                self._write(calls, docs)
        except BaseException:
            with self._queue:
                self._draining = False
            raise

    def flush(self) -> None:
        """Write everything queued, on this thread, after the background writer (whose error,
        if a batch failed, is raised here)."""
        self._wait()
        with self._queue:
            calls, docs = self._calls, self._docs
            self._calls, self._docs = [], []
        self._write(calls, docs)

    def _take(self) -> tuple[list[CallRow], list[dict[str, Any]]]:
        """Up to `FLUSH_ROWS` document rows and the calls queued before them (hold `_queue`)."""
        docs, self._docs = self._docs[:FLUSH_ROWS], self._docs[FLUSH_ROWS:]
        calls, self._calls = self._calls, []
        return calls, docs

    def _reap(self) -> None:
        """Drop finished batches; raise the error of a failed one."""
        done = [f for f in self._in_flight if f.done()]
        self._in_flight = [f for f in self._in_flight if not f.done()]
        for f in done:
            f.result()

    def _wait(self) -> None:
        pending, self._in_flight = self._in_flight, []
        for f in pending:
            f.result()

    def _write(self, calls: list[CallRow], docs: list[dict[str, Any]]) -> None:
        if not calls and not docs:
            return
        with self._tx():
            if calls:
                rows = [_columns(c) for c in calls]
                cols = list(rows[0])
                self.db.executemany(
                    f"INSERT INTO model_calls ({', '.join(cols)})"
                    f" VALUES ({', '.join('?' for _ in cols)})",
                    [tuple(r[c] for c in cols) for r in rows],
                )
            if docs:
                cols = list(docs[0])
                self.db.executemany(
                    f"INSERT OR REPLACE INTO documents ({', '.join(cols)})"
                    f" VALUES ({', '.join('?' for _ in cols)})",
                    [tuple(d[c] for c in cols) for d in docs],
                )

    # -- reading ---------------------------------------------------------------------------

    def list_runs(self, *, limit: int = 20) -> list[dict[str, Any]]:
        self.flush()
        rows = self.db.execute(
            f"""SELECT r.id, r.started_at, r.finished_at, r.status, r.model, r.prompt_version,
                      count(d.doc_id) AS documents,
                      sum(d.status = 'ok') AS ok, sum(d.status = 'cached') AS cached,
                      sum(d.status = 'failed') AS failed, sum(d.status = 'skipped') AS skipped,
                      {_COST.format(t="d.")} AS cost
               FROM runs r LEFT JOIN documents d ON d.run_id = r.id
               GROUP BY r.id ORDER BY r.started_at DESC LIMIT ?""",
            (limit,),
        ).fetchall()
        return [dict(r) for r in rows]

    def resolve(self, run: str) -> str:
        """A full run id from an id, a unique prefix or ``latest``."""
        self.flush()
        if run == "latest":
            row = self.db.execute("SELECT id FROM runs ORDER BY started_at DESC LIMIT 1").fetchone()
            if row is None:
                raise UserError(f"{self.path}: no runs recorded yet")
            return str(row["id"])
        rows = self.db.execute("SELECT id FROM runs WHERE id LIKE ?", (run + "%",)).fetchall()
        if len(rows) != 1:
            what = "no run" if not rows else f"{len(rows)} runs"
            raise UserError(f"{what} matching {run!r} in {self.path}")
        return str(rows[0]["id"])

    def show_run(self, run: str) -> dict[str, Any]:
        """The run's row, its counts by status, totals, calls by status and its failures."""
        run_id = self.resolve(run)
        info = dict(self.db.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone())
        info["by_status"] = {
            r["status"]: r["n"]
            for r in self.db.execute(
                "SELECT status, count(*) AS n FROM documents WHERE run_id = ? GROUP BY status",
                (run_id,),
            )
        }
        totals = self.db.execute(
            f"""SELECT sum(prompt_tokens) AS prompt_tokens,
                      sum(completion_tokens) AS completion_tokens, sum(calls) AS calls,
                      {_COST.format(t="")} AS cost, sum(seconds) AS seconds
               FROM documents WHERE run_id = ?""",
            (run_id,),
        ).fetchone()
        info["totals"] = dict(totals)
        info["calls_by_status"] = {
            r["status"]: r["n"]
            for r in self.db.execute(
                "SELECT status, count(*) AS n FROM model_calls WHERE run_id = ? GROUP BY status",
                (run_id,),
            )
        }
        info["failures"] = [
            dict(r)
            for r in self.db.execute(
                "SELECT doc_id, origin, error_kind, error FROM documents"
                " WHERE run_id = ? AND status = 'failed' ORDER BY doc_id",
                (run_id,),
            )
        ]
        return info

    def documents(self, run: str) -> list[dict[str, Any]]:
        run_id = self.resolve(run)
        rows = self.db.execute(
            "SELECT * FROM documents WHERE run_id = ? ORDER BY doc_id", (run_id,)
        )
        return [dict(r) for r in rows]
