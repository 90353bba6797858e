"""The document list at job scale: one small row per document, rebuilt only when its files change.

A row needs the document's record with its edits applied (status, counts, conflicts), which
costs a fraction of a millisecond per document; 10,000 documents cannot be recomputed on every
visit.  `RunIndex` lists the run folder and ``reviews/`` once per request and keeps each row
with the stamps (mtime, size, inode) of the two files it came from: an unchanged document costs a
dictionary look-up, a saved one is recomputed alone.  Only the rows are kept, not the records.
"""

from __future__ import annotations

import threading
from typing import Any

from abstraction.core.errors import UserError
from abstraction.review.edits import FactState, apply_edits, model_facts
from abstraction.review.layout import review_schema
from abstraction.review.store import REVIEW_SUFFIX, RunStore, Stamp

_GROUNDING = ("exact", "fuzzy", "unsupported")
_DECISIONS = ("unreviewed", "accepted", "edited", "rejected")
Row = dict[str, Any]


def evidence_of(value: Any) -> dict[str, Any] | None:
    ev = value.get("evidence") if isinstance(value, dict) else None
    return ev if isinstance(ev, dict) else None


def model_counts(facts: list[FactState]) -> dict[str, int]:
    """Grounding of the model's own facts (what triage sorts on)."""
    counts = dict.fromkeys(_GROUNDING, 0)
    for f in facts:
        ev = evidence_of(f.original)
        if ev is not None:
            counts[ev.get("status") or "unsupported"] += 1
    return {"facts": sum(counts.values()), **counts}


def decision_counts(facts: list[FactState]) -> dict[str, int]:
    counts = dict.fromkeys(_DECISIONS, 0)
    for f in facts:
        if f.value is not None or f.added:
            counts[f.status] += 1
    return counts


def title_of(record: dict[str, Any]) -> str | None:
    """The article title of a record (the reviewed one where there is a review), else None."""
    title = (record.get("source") or {}).get("title")
    value = title.get("value") if isinstance(title, dict) else None
    return value if isinstance(value, str) and value.strip() else None


def triage_key(row: Row) -> tuple[Any, ...]:
    """Reviewed and failed documents last; otherwise the least supported first."""
    facts = row.get("facts") or 0
    supported = (row.get("exact", 0) / facts) if facts else 0.0
    return (
        row["doc_status"] == "reviewed",
        row["doc_status"] == "failed",
        supported,
        -row.get("unsupported", 0),
        row["id"],
    )


def document_row(store: RunStore, doc_id: str) -> Row | None:
    """The list row of one document (None: the file is not an extraction file)."""
    try:
        entry = store.entry(doc_id)
    except UserError:
        return None
    ext = entry.extraction
    if ext is None or ext.record is None:
        error = entry.error or (ext.error.message if ext and ext.error else "no record")
        return {"id": doc_id, "doc_status": "failed", "error": error}
    try:
        review = store.review(doc_id)
        record = ext.record.model_dump(mode="json")
        with review_schema(store.record_schema.model):
            if review.edits:
                state = apply_edits(record, review.edits)
                facts, status, conflicts = state.facts, state.doc_status, len(state.conflicts)
                record = state.corrected
            else:
                facts, status, conflicts = model_facts(record), None, 0
    except UserError as exc:
        return {"id": doc_id, "doc_status": "failed", "error": str(exc)}
    return {
        "id": doc_id,
        "title": title_of(record),
        "doc_status": status or "unreviewed",
        "version": review.version,
        "edits": len(review.edits),
        "conflicts": conflicts,
        "model": ext.provenance.model,
        "prompt": ext.provenance.prompt_version,
        **model_counts(facts),
        "decisions": decision_counts(facts),
    }


class RunIndex:
    """The rows of one served run folder, each kept until one of its two files changes."""

    def __init__(self, store: RunStore) -> None:
        self.store = store
        self._rows: dict[str, tuple[tuple[Stamp, Stamp | None], Row | None]] = {}
        self._lock = threading.Lock()

    def rows(self) -> list[Row]:
        """Every document's row, in triage order."""
        reviews = self.store.review_stamps()
        fresh: dict[str, tuple[tuple[Stamp, Stamp | None], Row | None]] = {}
        for doc_id, stamp in self.store.scan():
            key = (stamp, reviews.get(doc_id))
            cached = self._rows.get(doc_id)
            if cached is None or cached[0] != key:
                # The stamps were taken before the files are read: a save in between leaves a
                # stale key, so the next visit reads the document again (never the reverse).
                cached = (key, document_row(self.store, doc_id))
            fresh[doc_id] = cached
        with self._lock:
            self._rows = fresh
        rows = [row for _key, row in fresh.values() if row is not None]
        rows += [orphan_row(self.store, doc_id) for doc_id in sorted(set(reviews) - set(fresh))]
        return sorted(rows, key=triage_key)


def orphan_row(store: RunStore, doc_id: str) -> Row:
    """The row of a review file whose extraction file is gone: listed (as failed, so no
    navigation leads to it) so that nobody's corrections vanish from the list unseen."""
    where = (store.reviews_root / f"{doc_id}{REVIEW_SUFFIX}").relative_to(store.root)
    try:
        edits = len(store.orphan_review(doc_id).edits)
    except UserError as exc:
        return {"id": doc_id, "doc_status": "failed", "error": str(exc)}
    return {
        "id": doc_id,
        "doc_status": "failed",
        "error": f"the extraction file {doc_id}.json is gone; its review ({edits} edits) is kept "
        f"in {where}",
    }
