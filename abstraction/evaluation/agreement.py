"""Agreement between two annotators' gold records (dual extraction).

The second annotator's records are scored as predictions against the first's with the same
scorer, so per-field F1 is the pairwise F1 (symmetric: swapping the annotators swaps P and R
and leaves F1 unchanged).  For categorical fields (``exact`` leaves: assertion, status,
category, sex, ...) Cohen's kappa is added, over the slots both annotators filled or left
empty: single facts in every document (null is a category, "not reported"), and list-item
fields on the items the two annotators' keys paired (by name alone: two annotators who read
one finding as present and as absent disagree on its assertion; `score_document`'s `polar`).
kappa = (p_o - p_e) / (1 - p_e), with p_o the observed agreement and p_e the agreement
expected from each annotator's own category shares; None when p_e is 1 (a single category on
both sides: nothing to correct for).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from abstraction.evaluation.counts import DocResult
from abstraction.evaluation.files import read_gold_dir, read_prediction, score_prediction
from abstraction.evaluation.plan import LeafPlan, ModelPlan, RecordsPlan, compile_plan
from abstraction.evaluation.results import ScoreReport, build_report


class FieldAgreement(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: str
    f1: float | None
    kappa: float | None
    pairs: int
    """Slots compared for kappa (0 for non-categorical fields)."""


def cohen_kappa(pairs: Iterable[tuple[Any, Any]]) -> float | None:
    pairs = list(pairs)
    n = len(pairs)
    if not n:
        return None
    a = Counter(repr(x) for x, _ in pairs)
    b = Counter(repr(y) for _, y in pairs)
    p_o = sum(repr(x) == repr(y) for x, y in pairs) / n
    p_e = sum(a[k] * b.get(k, 0) for k in a) / (n * n)
    return None if p_e >= 1.0 else (p_o - p_e) / (1.0 - p_e)


def categorical_pairs(
    first: list[dict[str, Any]], second: list[dict[str, Any]], results: list[DocResult]
) -> dict[str, list[tuple[Any, Any]]]:
    """(first, second) values of every categorical slot, per path (needs details=True)."""
    out: dict[str, list[tuple[Any, Any]]] = {}
    plan = compile_plan()
    for a, b, res in zip(first, second, results, strict=True):
        _walk(plan, a, b, res, out, "")
    return out


def _walk(
    plan: ModelPlan,
    a: Any,
    b: Any,
    res: DocResult,
    out: dict[str, list[tuple[Any, Any]]],
    loc: str,
) -> None:
    a = a if isinstance(a, dict) else {}
    b = b if isinstance(b, dict) else {}
    for name, node in plan.fields:
        if isinstance(node, LeafPlan):
            if node.kind == "exact" and not node.many:
                out.setdefault(node.path, []).append((a.get(name), b.get(name)))
        elif isinstance(node, ModelPlan):
            _walk(node, a.get(name), b.get(name), res, out, f"{loc}{name}.")
        elif isinstance(node, RecordsPlan):
            _items(node, a.get(name) or [], b.get(name) or [], res, out, f"{loc}{name}")


def _items(
    rp: RecordsPlan,
    al: list[Any],
    bl: list[Any],
    res: DocResult,
    out: dict[str, list[tuple[Any, Any]]],
    loc: str,
) -> None:
    for m in res.matches:
        if m["path"] != loc:
            continue
        _walk(rp.item, al[m["gold_index"]], bl[m["pred_index"]], res, out, "")


def agreement(
    report: ScoreReport,
    first: list[dict[str, Any]],
    second: list[dict[str, Any]],
    results: list[DocResult],
) -> list[FieldAgreement]:
    """Per field: F1 of the second annotator against the first, and kappa where categorical."""
    pairs = categorical_pairs(first, second, results)
    rows = []
    for path, fs in report.fields.items():
        values = pairs.get(path, [])
        rows.append(
            FieldAgreement(path=path, f1=fs.f1, kappa=cohen_kappa(values), pairs=len(values))
        )
    return rows


def agreement_dirs(second_dir: Path, first_dir: Path) -> list[FieldAgreement] | None:
    """Agreement when every file in `second_dir` with a counterpart in `first_dir` is a gold
    record (dual extraction); None when they are extractions."""
    golds = read_gold_dir(first_dir)
    preds = {d: read_prediction(second_dir / f"{d}.json") for d in golds}
    if not preds or any(p.gold is None for p in preds.values()):
        return None
    first = [g.record.model_dump() for g in golds.values()]
    second = [p.record or {} for p in preds.values()]
    results = [score_prediction(g, preds[d], polar=False) for d, g in golds.items()]
    return agreement(build_report(results), first, second, results)
