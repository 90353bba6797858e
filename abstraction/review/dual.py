"""Dual review (duplicate extraction): named reviewers, each blind to the others until they submit.

A run folder becomes a dual review when ``reviews/protocol.json`` names its reviewers
(`assign`).  Each reviewer's edits live in their own sidecars, ``reviews/by/<name>/`` (a
`RunStore` opened with ``reviewer=``), over the same model output: nobody's edits overwrite
anybody else's.  A reviewer *submits* a document by marking it reviewed; from then on their
review of it is final (the store refuses further edits), and only then may they see the other
reviewers' submitted reviews of it.  In-progress reviews are never shown to anyone else.

Agreement between each pair of reviewers, over the documents both submitted, is the scorer's
agreement mode (`abstraction.evaluation.agreement`: F1 per field, Cohen's kappa for categorical
fields), with the first reviewer of the pair in the place of gold.  The reconciliation of a
document (disagreements, the adjudicator's decisions) is in `abstraction.review.reconcile`.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from abstraction.core.errors import UserError
from abstraction.core.schema import Strict
from abstraction.evaluation.agreement import FieldAgreement, agreement
from abstraction.evaluation.plan import scoring_schema
from abstraction.evaluation.results import build_report
from abstraction.evaluation.scorer import score_document
from abstraction.extraction.output import atomic_write_text
from abstraction.review.store import PROTOCOL_FILE, REVIEWER_NAME, REVIEWS_DIR, RunStore


class Protocol(Strict):
    """``reviews/protocol.json``: who reviews this run in duplicate."""

    kind: Literal["review_protocol"] = "review_protocol"
    format_version: Literal["1"] = "1"
    reviewers: list[str] = Field(min_length=2)


@dataclass(frozen=True)
class Identity:
    """Who a served app acts for: one of the reviewers, or an adjudicator."""

    name: str
    role: Literal["reviewer", "adjudicator"]


def _check_name(name: str) -> str:
    if not REVIEWER_NAME.match(name):
        raise UserError(f"{name!r}: a name of letters, digits, '.', '_' or '-' (at most 40)")
    return name


def protocol_path(run: Path) -> Path:
    return run / REVIEWS_DIR / PROTOCOL_FILE


def read_protocol(run: Path) -> Protocol | None:
    """The run's protocol, or None for a single-reviewer run."""
    path = protocol_path(run)
    if path.is_symlink() or not path.is_file():
        return None
    try:
        return Protocol.model_validate_json(path.read_bytes())
    except ValidationError as exc:
        raise UserError(f"{path}: not a valid review protocol: {exc}") from exc


def assign(run: Path, reviewers: list[str]) -> Protocol:
    """Name the reviewers of `run` (two or more); a name already assigned stays (and keeps its
    reviews): assigning again can only add reviewers."""
    names = [_check_name(n) for n in reviewers]
    current = read_protocol(run)
    merged = list(current.reviewers) if current else []
    merged += [n for n in names if n not in merged]
    if len(merged) < 2:
        raise UserError("a dual review needs at least two reviewers")
    protocol = Protocol(reviewers=merged)
    path = protocol_path(run)
    path.parent.mkdir(exist_ok=True)
    atomic_write_text(path, protocol.model_dump_json(indent=2) + "\n")
    return protocol


def identity(run: Path, name: str, *, adjudicate: bool) -> Identity:
    """Check `name` against the run's protocol: a reviewer must be assigned, an adjudicator must
    not be (the third person settles what the two reviewers disagree on)."""
    protocol = read_protocol(run)
    if protocol is None:
        raise UserError(f"{run}: no reviewers assigned; run `abstraction review assign` first")
    _check_name(name)
    if adjudicate:
        if name in protocol.reviewers:
            raise UserError(f"{name} is a reviewer of this run and cannot adjudicate it")
        return Identity(name, "adjudicator")
    if name not in protocol.reviewers:
        raise UserError(f"{name} is not assigned to this run ({', '.join(protocol.reviewers)})")
    return Identity(name, "reviewer")


def reviewer_store(store: RunStore, name: str) -> RunStore:
    """The same run folder, seen through `name`'s own review files."""
    return RunStore(store.root, sources=store.sources, gold=store.gold_dir, reviewer=name)


def submitted(store: RunStore, doc_id: str, names: list[str]) -> list[str]:
    """The reviewers among `names` who have submitted `doc_id` (marked it reviewed)."""
    return [n for n in names if reviewer_store(store, n).state(doc_id)[1].doc_status == "reviewed"]


def may_see_others(store: RunStore, doc_id: str, who: Identity) -> bool:
    """Blindness: an adjudicator may see submitted reviews; a reviewer only after submitting."""
    return who.role == "adjudicator" or bool(submitted(store, doc_id, [who.name]))


class PairAgreement(BaseModel):
    model_config = ConfigDict(extra="forbid")

    first: str
    second: str
    documents: list[str]
    """The documents both submitted (the ones compared)."""
    fields: list[FieldAgreement]


def corrected(store: RunStore, name: str, doc_id: str) -> dict[str, Any]:
    return reviewer_store(store, name).state(doc_id)[1].corrected


def pair_agreement(store: RunStore, first: str, second: str, doc_ids: list[str]) -> PairAgreement:
    """Per-field F1 and kappa of `second`'s submitted records against `first`'s."""
    both = [d for d in doc_ids if len(submitted(store, d, [first, second])) == 2]
    a = [corrected(store, first, d) for d in both]
    b = [corrected(store, second, d) for d in both]
    with scoring_schema(store.record_schema.model):  # compared in the run's schema
        results = [
            score_document(d, x, y, details=True, polar=False)
            for d, x, y in zip(both, a, b, strict=True)
        ]
        rows = agreement(build_report(results), a, b, results) if results else []
    return PairAgreement(first=first, second=second, documents=both, fields=rows)


def run_agreement(store: RunStore, *, doc_ids: list[str] | None = None) -> list[PairAgreement]:
    """Agreement for every pair of the run's reviewers (documents both of them submitted)."""
    protocol = read_protocol(store.root)
    if protocol is None:
        raise UserError(f"{store.root}: no reviewers assigned (`abstraction review assign`)")
    ids = doc_ids if doc_ids is not None else reviewable_ids(store)
    return [
        pair_agreement(store, a, b, ids) for a, b in itertools.combinations(protocol.reviewers, 2)
    ]


def reviewable_ids(store: RunStore) -> list[str]:
    return [e.id for e in store.entries() if e.extraction and e.extraction.record]
