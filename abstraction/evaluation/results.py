"""The score report: figures per field, per document and overall, derived from counts.

Definitions (counts as in `abstraction.evaluation.scorer`):

- precision = TP / (TP + FP), recall = TP / (TP + FN), F1 = 2PR / (P + R).  True negatives (a
  correct "not reported") do not enter these ratios; they are reported, and they decide the one
  case a ratio is empty: a field with no TP, FP or FN at all (only TNs) has P = R = F1 = 1, and
  an empty denominator with errors on the other side gives 0.
- accuracy = (TP + TN) / slots, where a slot is one comparison (a wrong value is one slot).
- hallucination rate = hallucinations / predicted values (the share of values the model gave
  where the gold has nothing); omission rate = omissions / gold values (the share of gold
  values the model left out).  None when the denominator is 0.
- overall micro figures sum the counts of every *value field* (leaf paths such as
  ``treatments.dose``); list rows (``treatments``, counting items) and fact rows are reported
  but not summed, so one missing treatment costs its facts once.
- macro F1 = the unweighted mean of the per-field F1 over the value fields that have gold
  values (TP + FN > 0): a field empty in the gold is not averaged in, so a field "correctly
  empty" on both sides (F1 1 by the rule above) cannot lift it; such fields show in the table.
- per document: the same micro figures over that document's value fields; a failed, invalid or
  missing prediction has F1 = 0 and stays in every denominator.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from abstraction.core.schema import SCHEMA_VERSION
from abstraction.evaluation.counts import (
    COUNT_NAMES,
    FN,
    FP,
    G_GOLD,
    G_HIT,
    G_PRED,
    GOLD_N,
    HALLUC,
    NCOUNTS,
    OMIT,
    ORD_OK,
    ORD_PAIRS,
    PRED_N,
    TN,
    TP,
    WRONG,
    DocResult,
    DocStatus,
    FieldError,
    MatchedPair,
)
from abstraction.evaluation.plan import LeafPlan, ModelPlan, RecordsPlan, compile_plan

REPORT_FORMAT_VERSION: Literal["1"] = "1"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    """Precision, recall and F1 with the empty-denominator rule of the module docstring."""
    p = tp / (tp + fp) if tp + fp else (1.0 if fn == 0 else 0.0)
    r = tp / (tp + fn) if tp + fn else (1.0 if fp == 0 else 0.0)
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


class Figures(_Model):
    """Counts and the figures derived from them."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    wrong: int = 0
    hallucinations: int = 0
    omissions: int = 0
    predicted: int = Field(0, description="Non-null predicted values (or items).")
    gold: int = Field(0, description="Non-null gold values (or items).")
    precision: float = 1.0
    recall: float = 1.0
    f1: float = 1.0
    accuracy: float | None = None
    hallucination_rate: float | None = None
    omission_rate: float | None = None

    @classmethod
    def from_counts(cls, c: list[int]) -> Figures:
        return cls(**figures_dict(c))


def figures_dict(c: list[int]) -> dict[str, Any]:
    """The `Figures` of a count row, as a plain dict (no model in the per-document loop)."""
    p, r, f = prf(c[TP], c[FP], c[FN])
    slots = c[TP] + c[TN] + c[WRONG] + c[HALLUC] + c[OMIT]
    return {
        "tp": c[TP],
        "fp": c[FP],
        "fn": c[FN],
        "tn": c[TN],
        "wrong": c[WRONG],
        "hallucinations": c[HALLUC],
        "omissions": c[OMIT],
        "predicted": c[PRED_N],
        "gold": c[GOLD_N],
        "precision": p,
        "recall": r,
        "f1": f,
        "accuracy": _ratio(c[TP] + c[TN], slots),
        "hallucination_rate": _ratio(c[HALLUC], c[PRED_N]),
        "omission_rate": _ratio(c[OMIT], c[GOLD_N]),
    }


class Grounding(_Model):
    """Evidence overlap for one fact path (or overall)."""

    predicted: int
    gold: int
    overlapping: int
    precision: float | None
    recall: float | None

    @classmethod
    def from_counts(cls, c: list[int]) -> Grounding:
        return cls(
            predicted=c[G_PRED],
            gold=c[G_GOLD],
            overlapping=c[G_HIT],
            precision=_ratio(c[G_HIT], c[G_PRED]),
            recall=_ratio(c[G_HIT], c[G_GOLD]),
        )


class FieldScore(Figures):
    path: str
    kind: str = Field(description="exact, number, text, time (value fields) or records (lists).")
    fact: str | None = Field(None, description="The fact path whose grounding is shown.")
    grounding_precision: float | None = None
    grounding_recall: float | None = None
    order_score: float | None = Field(
        None, description="Ordered lists: share of paired items in the gold order."
    )
    order_pairs: int = 0


class Overall(Figures):
    macro_f1: float = 1.0
    macro_fields: int = Field(0, description="Value fields averaged in macro F1.")
    grounding_precision: float | None = None
    grounding_recall: float | None = None


class DocumentScore(Figures):
    id: str
    status: DocStatus
    error: str | None = None
    counts: dict[str, list[int]] = Field(
        default_factory=dict,
        description="Raw counts per path, in the order of `count_names` (for re-aggregation).",
    )
    matches: list[MatchedPair] = Field(default_factory=list)
    errors: list[FieldError] = Field(default_factory=list)


class OrderScore(_Model):
    """An ordered list's order: judged pairs of gold items (both found) in the gold's order."""

    concordant: int
    pairs: int
    share: float = Field(description="concordant / pairs.")


def order_scores(counts: dict[str, list[int]]) -> dict[str, OrderScore]:
    """Per ordered list with judged pairs (its items in scope, or a gold's partial order)."""
    _, lists, _ = _path_kinds(compile_plan())
    return {
        p: OrderScore(concordant=c[ORD_OK], pairs=c[ORD_PAIRS], share=c[ORD_OK] / c[ORD_PAIRS])
        for p, c in counts.items()
        if p in lists and lists[p].ordered and c[ORD_PAIRS]
    }


class ScoreReport(_Model):
    kind: Literal["score_report"] = "score_report"
    format_version: Literal["1"] = REPORT_FORMAT_VERSION
    schema_version: str = SCHEMA_VERSION
    count_names: list[str] = Field(default_factory=lambda: list(COUNT_NAMES))
    overall: Overall
    fields: dict[str, FieldScore]
    grounding: dict[str, Grounding]
    order: dict[str, OrderScore] = Field(
        default_factory=dict,
        description="Ordered lists: pairwise order agreement over the judged gold pairs.",
    )
    documents: list[DocumentScore]
    unmatched_predictions: list[str] = Field(
        default_factory=list, description="Prediction files with no gold (not scored)."
    )
    warnings: list[str] = Field(
        default_factory=list,
        description="Documents scored although the prediction names another text (sha256).",
    )


@lru_cache(maxsize=8)
def _path_kinds(
    plan: ModelPlan,
) -> tuple[dict[str, LeafPlan], dict[str, RecordsPlan], frozenset[str]]:
    leaves: dict[str, LeafPlan] = {}
    lists: dict[str, RecordsPlan] = {}
    facts: set[str] = set()
    for node in plan.walk():
        if isinstance(node, LeafPlan):
            leaves[node.path] = node
        elif isinstance(node, RecordsPlan):
            lists[node.path] = node
        elif node.evidence:
            facts.add(node.path)
    return leaves, lists, frozenset(facts)


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many small acyclic objects.

    A report holds hundreds of thousands of small lists and models; the collector's full passes
    rescan all of them as they accumulate, which made building a 10,000-document report several
    times slower.  Reference counting still frees everything; the collector resumes after.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def sum_counts(results: Iterable[dict[str, list[int]]]) -> dict[str, list[int]]:
    """Add up count rows per path (grouped, then summed column-wise by numpy)."""
    rows: dict[str, list[list[int]]] = {}
    for counts in results:
        for path, c in counts.items():
            group = rows.get(path)
            if group is None:
                rows[path] = [c]
            else:
                group.append(c)
    return {
        path: np.asarray(group, dtype=np.int64).sum(axis=0).tolist() for path, group in rows.items()
    }


def _micro(counts: dict[str, list[int]], leaves: dict[str, LeafPlan]) -> list[int]:
    rows = [c for path, c in counts.items() if path in leaves]
    return [sum(col) for col in zip(*rows, strict=True)] if rows else [0] * NCOUNTS


def _grounding_total(counts: dict[str, list[int]], facts: frozenset[str]) -> list[int]:
    out = [0] * NCOUNTS
    for path, c in counts.items():
        if path in facts:
            out[G_HIT] += c[G_HIT]
            out[G_PRED] += c[G_PRED]
            out[G_GOLD] += c[G_GOLD]
    return out


def field_scores(counts: dict[str, list[int]]) -> dict[str, FieldScore]:
    """Per-path figures, in schema order, for value fields and lists present in `counts`."""
    plan = compile_plan()
    out: dict[str, FieldScore] = {}
    for node in plan.walk():
        if not isinstance(node, (LeafPlan, RecordsPlan)) or node.path not in counts:
            continue
        if isinstance(node, RecordsPlan) and node.path in out:
            continue
        c = counts[node.path]
        if isinstance(node, RecordsPlan) and not any(c[i] for i in (TP, FP, FN, TN)):
            continue  # only its order is scored (a partial gold order): see `order_scores`
        fact = node.fact if isinstance(node, LeafPlan) else node.path
        g = counts.get(fact) if fact else None
        base = figures_dict(c)
        out[node.path] = FieldScore(
            **base,
            path=node.path,
            kind=node.kind if isinstance(node, LeafPlan) else "records",
            fact=fact,
            grounding_precision=_ratio(g[G_HIT], g[G_PRED]) if g else None,
            grounding_recall=_ratio(g[G_HIT], g[G_GOLD]) if g else None,
            order_score=_ratio(c[ORD_OK], c[ORD_PAIRS])
            if isinstance(node, RecordsPlan) and node.ordered
            else None,
            order_pairs=c[ORD_PAIRS],
        )
    return out


def overall_figures(counts: dict[str, list[int]], fields: dict[str, FieldScore]) -> Overall:
    leaves, _, facts = _path_kinds(compile_plan())
    micro = _micro(counts, leaves)
    value_f1 = [f.f1 for p, f in fields.items() if p in leaves and f.tp + f.fn > 0]
    g = _grounding_total(counts, facts)
    return Overall(
        **figures_dict(micro),
        macro_f1=sum(value_f1) / len(value_f1) if value_f1 else 0.0,
        macro_fields=len(value_f1),
        grounding_precision=_ratio(g[G_HIT], g[G_PRED]),
        grounding_recall=_ratio(g[G_HIT], g[G_GOLD]),
    )


def document_score(res: DocResult, *, details: bool = True) -> DocumentScore:
    leaves, _, _ = _path_kinds(compile_plan())
    figures = figures_dict(_micro(res.counts, leaves))
    if res.status != "ok":
        figures.update(precision=0.0, recall=0.0, f1=0.0)
    # Built without re-validation: every value comes from the scorer (ints, floats, the
    # TypedDict details), and validating 10,000 documents' details took longer than scoring
    # them.  The JSON output is validated on the way back in (`ScoreReport.model_validate_json`).
    return DocumentScore.model_construct(
        **figures,
        id=res.id,
        status=res.status,
        error=res.error,
        counts=res.counts,
        matches=res.matches if details else [],
        errors=res.errors if details else [],
    )


def build_report(
    results: list[DocResult], *, details: bool = True, unmatched: list[str] | None = None
) -> ScoreReport:
    """Aggregate per-document results into the report (micro over every document)."""
    with paused_gc():
        return _build_report(results, details=details, unmatched=unmatched)


def _build_report(
    results: list[DocResult], *, details: bool, unmatched: list[str] | None
) -> ScoreReport:
    counts = sum_counts(r.counts for r in results)
    fields = field_scores(counts)
    _, _, facts = _path_kinds(compile_plan())
    return ScoreReport(
        overall=overall_figures(counts, fields),
        fields=fields,
        grounding={p: Grounding.from_counts(c) for p, c in counts.items() if p in facts},
        order=order_scores(counts),
        documents=[document_score(r, details=details) for r in results],
        unmatched_predictions=unmatched or [],
    )
