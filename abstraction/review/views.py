"""The JSON the browser reads: plain dicts built from the store, with no HTML in them.

The pages are static files; every document string reaches the page as JSON and is put in the
DOM as text (never as markup), so a case report that contains ``<script>`` stays text.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from abstraction.review.diff import diff_values
from abstraction.review.edits import Applied, Conflict, FactState, ReviewFile
from abstraction.review.index import decision_counts, evidence_of, model_counts, title_of
from abstraction.review.layout import slots
from abstraction.review.store import RunStore


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
        "evidence": evidence_of(f.value),
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
        "title": title_of(applied.corrected),
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
        "counts": {**model_counts(applied.facts), "decisions": decision_counts(applied.facts)},
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
