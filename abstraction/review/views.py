"""The JSON the browser reads: plain dicts built from the store, with no HTML in them.

The pages are static files; every document string reaches the page as JSON and is put in the
DOM as text (never as markup), so a case report that contains ``<script>`` stays text.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from abstraction.core.errors import UserError
from abstraction.review.diff import diff_values
from abstraction.review.edits import Applied, Conflict, FactState, ReviewFile
from abstraction.review.layout import slots
from abstraction.review.store import RunStore

_GROUNDING = ("exact", "fuzzy", "unsupported")
_DECISIONS = ("unreviewed", "accepted", "edited", "rejected")


def _evidence(value: Any) -> dict[str, Any] | None:
    ev = value.get("evidence") if isinstance(value, dict) else None
    return ev if isinstance(ev, dict) else None


def model_counts(state: Applied) -> dict[str, int]:
    """Grounding of the model's own facts (what triage sorts on)."""
    counts = dict.fromkeys(_GROUNDING, 0)
    for f in state.facts:
        ev = _evidence(f.original)
        if ev is not None:
            counts[ev.get("status") or "unsupported"] += 1
    return {"facts": sum(counts.values()), **counts}


def decision_counts(state: Applied) -> dict[str, int]:
    counts = dict.fromkeys(_DECISIONS, 0)
    for f in state.facts:
        if f.value is not None or f.added:
            counts[f.status] += 1
    return counts


def triage_key(row: dict[str, Any]) -> tuple[Any, ...]:
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


def list_view(store: RunStore) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for entry in store.entries():
        ext = entry.extraction
        if ext is None or ext.record is None:
            error = entry.error or (ext.error.message if ext and ext.error else "no record")
            rows.append({"id": entry.id, "doc_status": "failed", "error": error})
            continue
        try:
            review, state = store.state(entry.id)
        except UserError as exc:
            rows.append({"id": entry.id, "doc_status": "failed", "error": str(exc)})
            continue
        title = (ext.record.source.title.value if ext.record.source.title else None) or None
        rows.append(
            {
                "id": entry.id,
                "title": title,
                "doc_status": state.doc_status,
                "version": review.version,
                "edits": len(review.edits),
                "conflicts": len(state.conflicts),
                "model": ext.provenance.model,
                "prompt": ext.provenance.prompt_version,
                **model_counts(state),
                "decisions": decision_counts(state),
            }
        )
    return sorted(rows, key=triage_key)


def _fact(f: FactState) -> dict[str, Any]:
    return {
        "pointer": f.pointer,
        "slot": f.slot.pointer,
        "label": f.slot.label,
        "many": f.slot.many,
        "definition": f.slot.definition,
        "added": f.added,
        "status": f.status,
        "original": f.original,
        "value": f.value,
        "evidence": _evidence(f.value),
    }


def _conflict(c: Conflict) -> dict[str, Any]:
    return {"edit": c.edit.model_dump(mode="json"), "reason": c.reason, "model_now": c.model_now}


def doc_view(
    store: RunStore, doc_id: str, *, state: tuple[ReviewFile, Applied] | None = None
) -> dict[str, Any]:
    """Everything the document page shows, in one payload (one request per page load)."""
    ext = store.extraction(doc_id)
    review, applied = state or store.state(doc_id)
    source = store.source(doc_id)
    gold, _ = store.gold(doc_id)
    prov = ext.provenance
    return {
        "id": doc_id,
        "version": review.version,
        "doc_status": applied.doc_status,
        "source": {"text": source.text, "path": source.path, "warning": source.warning},
        "provenance": {
            "model": prov.model,
            "prompt": f"{prov.prompt_version}@{prov.prompt_sha256[:12]}",
            "finished_at": prov.finished_at,
            "passes": [
                {"name": p.name, "status": p.status, "error": p.error, "retried": p.retried}
                for p in prov.passes
            ],
        },
        "slots": [
            {"pointer": s.pointer, "many": s.many, "label": s.label, "definition": s.definition}
            for s in slots()
        ],
        "facts": [_fact(f) for f in applied.facts],
        "conflicts": [_conflict(c) for c in applied.conflicts],
        "edits": [e.model_dump(mode="json") for e in review.edits],
        "counts": {**model_counts(applied), "decisions": decision_counts(applied)},
        "has_gold": gold is not None,
        "not_extracted": ext.not_extracted,
    }


def diff_view(store: RunStore, doc_id: str) -> dict[str, Any]:
    ext = store.extraction(doc_id)
    assert ext.record is not None
    _review, state = store.state(doc_id)
    model = ext.record.model_dump(mode="json")
    gold, warning = store.gold(doc_id)
    out: dict[str, Any] = {
        "id": doc_id,
        "doc_status": state.doc_status,
        "model_vs_corrected": [asdict(r) for r in diff_values(model, state.corrected)],
        "gold": None,
        "gold_warning": warning,
    }
    if gold is not None:
        out["gold"] = {
            "annotator": gold.annotator,
            "annotated_fields": gold.annotated_fields,
            "corrected_vs_gold": [
                asdict(r) for r in diff_values(state.corrected, gold.record.model_dump(mode="json"))
            ],
            "model_vs_gold": [
                asdict(r) for r in diff_values(model, gold.record.model_dump(mode="json"))
            ],
        }
    return out
