"""Append-only, named schema migrations for the run store (after simonw/llm's migrations.py).

Never edit or reorder a migration that has shipped: add a new function at the end.  Each one
runs once, inside a transaction, and is recorded in `_migrations` by name.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime

Migration = Callable[[sqlite3.Connection], None]
MIGRATIONS: list[Migration] = []


def migration(fn: Migration) -> Migration:
    MIGRATIONS.append(fn)
    return fn


def migrate(db: sqlite3.Connection) -> list[str]:
    """Apply the migrations not yet applied; returns their names.

    `db` must be in autocommit mode (``isolation_level=None``): each migration runs in its own
    ``BEGIN IMMEDIATE`` transaction, so two processes opening a new store cannot both apply it.
    """
    db.execute(
        "CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
    )
    applied = []
    for fn in MIGRATIONS:
        db.execute("BEGIN IMMEDIATE")
        try:
            done = db.execute("SELECT 1 FROM _migrations WHERE name = ?", (fn.__name__,)).fetchone()
            if not done:
                fn(db)
                db.execute(
                    "INSERT INTO _migrations (name, applied_at) VALUES (?, ?)",
                    (fn.__name__, datetime.now(UTC).isoformat(timespec="seconds")),
                )
                applied.append(fn.__name__)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
    return applied


@migration
def m001_initial(db: sqlite3.Connection) -> None:
    db.execute(
        """CREATE TABLE runs (
            id TEXT PRIMARY KEY,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            status TEXT NOT NULL,            -- running, done, interrupted, budget, failed
            pid INTEGER,
            command TEXT,
            out_dir TEXT,
            prompt_version TEXT,
            prompt_sha256 TEXT,
            schema_version TEXT,
            model TEXT,
            endpoint TEXT,
            settings TEXT,                   -- JSON
            concurrency INTEGER,
            max_cost REAL,
            documents INTEGER NOT NULL DEFAULT 0,
            note TEXT
        )"""
    )
    db.execute(
        """CREATE TABLE documents (
            run_id TEXT NOT NULL REFERENCES runs(id),
            doc_id TEXT NOT NULL,            -- the document id, or the origin for id-less items
            origin TEXT NOT NULL,            -- path, or path:line for JSONL
            sha256 TEXT,
            chars INTEGER,
            status TEXT NOT NULL,            -- ok, cached, failed, skipped
            error_kind TEXT,
            error TEXT,
            cache_key TEXT,
            output TEXT,                     -- path of the written <id>.json, if any
            parts INTEGER,
            calls INTEGER NOT NULL DEFAULT 0,
            prompt_tokens INTEGER NOT NULL DEFAULT 0,
            completion_tokens INTEGER NOT NULL DEFAULT 0,
            cost REAL,
            seconds REAL,
            finished_at TEXT,
            PRIMARY KEY (run_id, doc_id)
        )"""
    )
    db.execute(
        """CREATE TABLE model_calls (
            id INTEGER PRIMARY KEY,
            run_id TEXT,
            doc_id TEXT,
            attempt INTEGER NOT NULL,        -- 1 for the first try of a request, 2.. for retries
            started_at TEXT NOT NULL,
            latency REAL NOT NULL,           -- seconds
            method TEXT,
            url TEXT,
            http_status INTEGER,
            status TEXT NOT NULL,  -- ok, http_error, rate_limited, timeout, connection, malformed
            error TEXT,
            model TEXT,
            prompt_tokens INTEGER,
            completion_tokens INTEGER,
            request TEXT,                    -- request body (JSON text)
            response TEXT                    -- response body, as received
        )"""
    )
    db.execute("CREATE INDEX model_calls_run_doc ON model_calls (run_id, doc_id)")
    db.execute("CREATE INDEX documents_status ON documents (run_id, status)")
