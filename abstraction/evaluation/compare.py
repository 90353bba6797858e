"""Compare prompt versions on one suite, with paired bootstrap intervals.

Every version is scored on the same documents, so versions are compared *paired*: each
bootstrap sample draws documents with replacement (the same draw for every version), re-sums
the counts of the drawn documents, and recomputes each version's micro F1 (overall and per
field) and its difference from the first version.  The 95% interval is the 2.5th-97.5th
percentile of those samples; the point estimate is the figure on the suite itself.  The random
generator has a fixed seed, so a report is reproducible to the last digit.

A document or field "got worse" when its F1 is lower than the first version's; the field list
also says whether the interval of the difference lies wholly below zero, but only for a suite
of at least `MIN_DOCUMENTS_FOR_SIGNIFICANCE` documents.  Below that the flag is not given
(None): a percentile bootstrap over n documents can only draw C(2n-1, n) distinct resamples
(35 for 4 documents, 92,378 for 10) and its 95 % interval of a mean is too narrow for small n
(it ignores the n/(n-1) variance correction and the skew of a few documents' F1), so "the
interval lies below 0" would claim more than a handful of documents can support.  20 is the
usual floor for a percentile bootstrap of a mean and the size of the held-out split.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from abstraction.evaluation.counts import FN, FP, ORD_OK, ORD_PAIRS, TN, TP, DocResult
from abstraction.evaluation.plan import LeafPlan, RecordsPlan, compile_plan, leaf_paths
from abstraction.evaluation.principal import PrincipalScore
from abstraction.evaluation.results import ScoreReport, build_report

EVAL_FORMAT_VERSION: Literal["1"] = "1"
BOOTSTRAP_SAMPLES = 2000
BOOTSTRAP_SEED = 20240601
CONFIDENCE = 0.95
MIN_DOCUMENTS_FOR_SIGNIFICANCE = 20
"""Smallest suite whose bootstrap intervals may mark a field significantly worse."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Interval(_Model):
    estimate: float
    low: float
    high: float


class VersionSummary(_Model):
    prompt_version: str
    prompt_sha256: str
    model: str | None = None
    documents: int
    failures: int
    failed_documents: list[str]
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    seconds_total: float = Field(description="Seconds spent extracting, as measured.")
    seconds_per_document: float = Field(description="seconds_total / seconds_documents.")
    seconds_documents: int = Field(description="Documents whose seconds are known.")
    seconds_source: str = Field(
        description="'wall': measured around each extraction in this run; 'recorded': the "
        "model calls' latency measured when they were recorded (the same live and replayed)."
    )
    f1: Interval
    macro_f1: float
    grounding_precision: float | None
    grounding_recall: float | None
    not_extracted: list[str] = Field(
        default_factory=list,
        description="Fields this prompt version does not ask for: every gold value in them "
        "counts as missed.",
    )
    system: dict[str, Any] = Field(
        default_factory=dict,
        description="What the system was given and how it asks the model "
        "(`System.describe`); empty for a run of bare prompt versions.",
    )
    wall_seconds_per_document: float | None = Field(
        default=None,
        description="Wall-clock seconds around each document's extraction in this run, mean "
        "over documents, for every system alike (replayed: the replay's own time).",
    )
    leaks: dict[str, list[str]] | None = Field(
        default=None,
        description="Few-shot leakage (`abstraction.evaluation.leakage`), by document: values "
        "of the given prompt's examples in the output that the document does not contain. "
        "None: not checked.",
    )
    principal: PrincipalScore | None = Field(
        default=None,
        description="Principal diagnosis right / labelled documents "
        "(`abstraction.evaluation.principal`); None: the suite has no labels.",
    )
    report: ScoreReport


class FieldRow(_Model):
    path: str
    kind: str
    f1: list[Interval] = Field(description="Per version, in order.")
    delta: list[Interval | None] = Field(description="Per version, vs the first (None for it).")


class OrderRow(_Model):
    """An ordered list's order: the share of judged gold-ordered pairs in the gold's order."""

    path: str
    share: list[Interval | None] = Field(
        description="Per version: concordant / judged pairs (pairs of gold items ordered by the "
        "gold whose two items the prediction has); None when it has none."
    )
    pairs: list[int] = Field(description="Per version: judged pairs (summed over documents).")
    delta: list[Interval | None] = Field(
        description="Per version, vs the first (None for it, or when either has no pairs)."
    )


class DocumentRow(_Model):
    id: str
    status: list[str]
    f1: list[float]
    delta: list[float | None]


class Worse(_Model):
    version: str
    kind: Literal["document", "field"]
    name: str
    baseline: float
    value: float
    delta: float
    significant: bool | None = Field(
        description="Fields: the 95% interval of the delta lies wholly below zero (None for "
        "a single document, and for every field of a suite smaller than "
        "MIN_DOCUMENTS_FOR_SIGNIFICANCE documents)."
    )


class BootstrapInfo(_Model):
    samples: int
    seed: int
    confidence: float
    unit: str = "document (paired across versions)"


class EvalReport(_Model):
    kind: Literal["eval_report"] = "eval_report"
    format_version: Literal["1"] = EVAL_FORMAT_VERSION
    suite: str
    description: str = ""
    fields_in_scope: list[str] | None = None
    bootstrap: BootstrapInfo
    versions: list[VersionSummary]
    overall: FieldRow = Field(description="Micro F1 over every value field.")
    document_mean: FieldRow = Field(description="Mean per-document F1 (paired deltas).")
    fields: list[FieldRow]
    order: list[OrderRow] = Field(
        default_factory=list,
        description="Ordered lists (treatments, timeline) with judged pairs in any version.",
    )
    documents: list[DocumentRow]
    worse: list[Worse]


@dataclass
class VersionInput:
    """What `compare` needs from one version's run."""

    prompt_version: str
    prompt_sha256: str
    results: list[DocResult]
    model: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    seconds: float = 0.0
    seconds_documents: int | None = None
    """Documents ``seconds`` covers (None: all of them)."""
    seconds_source: str = "wall"
    not_extracted: list[str] = field(default_factory=list)
    """`PromptSpec.not_extracted`: fields this version never asks for."""
    system: dict[str, Any] = field(default_factory=dict)
    wall_seconds_per_document: float | None = None
    leaks: dict[str, list[str]] | None = None
    principal: PrincipalScore | None = None


def _prf_f1(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> np.ndarray:
    """Vectorised F1 with the empty-denominator rule of `results.prf`."""
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(tp + fp > 0, tp / (tp + fp), np.where(fn == 0, 1.0, 0.0))
        r = np.where(tp + fn > 0, tp / (tp + fn), np.where(fp == 0, 1.0, 0.0))
        return np.where(p + r > 0, 2 * p * r / (p + r), 0.0)


def _scored_paths(versions: list[VersionInput]) -> list[tuple[str, str]]:
    """(path, kind) of value fields and lists scored in any version, in schema order."""
    leaf_set = set(leaf_paths(compile_plan()))
    present = {
        p
        for v in versions
        for r in v.results
        for p, c in r.counts.items()
        if p in leaf_set or any(c[i] for i in (TP, FP, FN, TN))
    }  # a list's row holding only its order (its items are out of scope) is not an F1 row
    out = []
    seen: set[str] = set()
    for node in compile_plan().walk():
        if isinstance(node, (LeafPlan, RecordsPlan)) and node.path in present - seen:
            seen.add(node.path)
            out.append((node.path, node.kind if isinstance(node, LeafPlan) else "records"))
    return out


def _count_array(results: list[DocResult], paths: list[str], leaves: set[str]) -> np.ndarray:
    """(documents, paths + 1, 3) array of tp/fp/fn; the last path slot is the micro total."""
    arr = np.zeros((len(results), len(paths) + 1, 3), dtype=np.float64)
    for d, res in enumerate(results):
        for f, path in enumerate(paths):
            c = res.counts.get(path)
            if c is not None:
                arr[d, f] = (c[TP], c[FP], c[FN])
                if path in leaves:
                    arr[d, -1] += arr[d, f]
    return arr


def _intervals(samples: np.ndarray, estimate: np.ndarray) -> list[Interval]:
    alpha = (1 - CONFIDENCE) / 2
    lo = np.quantile(samples, alpha, axis=0)
    hi = np.quantile(samples, 1 - alpha, axis=0)
    return [
        Interval(estimate=float(e), low=float(a), high=float(b))
        for e, a, b in zip(estimate, lo, hi, strict=True)
    ]


def compare(
    suite: str,
    versions: list[VersionInput],
    *,
    description: str = "",
    fields_in_scope: tuple[str, ...] | None = None,
    samples: int = BOOTSTRAP_SAMPLES,
    seed: int = BOOTSTRAP_SEED,
) -> EvalReport:
    """Side-by-side report of `versions` (the first is the reference), with paired intervals."""
    ids = [r.id for r in versions[0].results]
    for v in versions[1:]:
        if [r.id for r in v.results] != ids:
            raise ValueError("every version must be scored on the same documents, in order")
    reports = [build_report(v.results) for v in versions]
    kinds = _scored_paths(versions)
    paths = [p for p, _ in kinds]
    leaves = {p for p, k in kinds if k != "records"}
    arrays = [_count_array(v.results, paths, leaves) for v in versions]

    rng = np.random.default_rng(seed)
    n = len(ids)
    draws = rng.integers(0, n, size=(samples, n))
    weights = np.zeros((samples, n))
    np.add.at(weights, (np.repeat(np.arange(samples), n), draws.ravel()), 1.0)

    point = [_prf_f1(a.sum(0)[:, 0], a.sum(0)[:, 1], a.sum(0)[:, 2]) for a in arrays]
    boot = []
    for a in arrays:
        s = (weights @ a.reshape(n, -1)).reshape(samples, -1, 3)
        boot.append(_prf_f1(s[..., 0], s[..., 1], s[..., 2]))
    f1_iv = [_intervals(b, p) for b, p in zip(boot, point, strict=True)]
    delta_iv = [None] + [
        _intervals(boot[i] - boot[0], point[i] - point[0]) for i in range(1, len(versions))
    ]

    def row(f: int, path: str, kind: str) -> FieldRow:
        return FieldRow(
            path=path,
            kind=kind,
            f1=[iv[f] for iv in f1_iv],
            delta=[None if d is None else d[f] for d in delta_iv],
        )

    field_rows = [row(f, p, k) for f, (p, k) in enumerate(kinds)]
    overall = row(len(paths), "overall (micro)", "micro")
    order_rows = _order_rows(versions, weights)
    doc_rows = _document_rows(reports)
    doc_f1 = np.array([[d.f1 for d in r.documents] for r in reports])  # (versions, documents)
    doc_boot = (weights @ doc_f1.T) / n  # (samples, versions)
    doc_point = doc_f1.mean(axis=1)
    doc_iv = _intervals(doc_boot, doc_point)
    doc_delta = _intervals(doc_boot - doc_boot[:, :1], doc_point - doc_point[0])
    document_mean = FieldRow(
        path="document mean",
        kind="mean",
        f1=doc_iv,
        delta=[None, *doc_delta[1:]],
    )
    return EvalReport(
        suite=suite,
        description=description,
        fields_in_scope=list(fields_in_scope) if fields_in_scope is not None else None,
        bootstrap=BootstrapInfo(samples=samples, seed=seed, confidence=CONFIDENCE),
        versions=[
            _summary(v, r, f1_iv[i][-1])
            for i, (v, r) in enumerate(zip(versions, reports, strict=True))
        ],
        overall=overall,
        document_mean=document_mean,
        fields=field_rows,
        order=order_rows,
        documents=doc_rows,
        worse=_worse(versions, field_rows, doc_rows),
    )


def _order_rows(versions: list[VersionInput], weights: np.ndarray) -> list[OrderRow]:
    """Pairwise order agreement per ordered list, with paired bootstrap intervals (documents
    resampled with the same draws as the F1 figures; a resample with no judged pairs is left
    out of that version's interval)."""
    rows = []
    for node in compile_plan().walk():
        if not isinstance(node, RecordsPlan) or not node.ordered:
            continue
        counts = np.array(
            [[_order_counts(r.counts.get(node.path)) for r in v.results] for v in versions],
            dtype=np.float64,
        )  # (versions, documents, 2)
        totals = counts.sum(axis=1)
        if not totals[:, 1].any():
            continue
        with np.errstate(divide="ignore", invalid="ignore"):
            point = np.where(totals[:, 1] > 0, totals[:, 0] / totals[:, 1], np.nan)
            ok = weights @ counts[..., 0].T  # (samples, versions)
            judged = weights @ counts[..., 1].T
            boot = np.where(judged > 0, ok / judged, np.nan)
        share = [_nan_interval(boot[:, i], point[i]) for i in range(len(versions))]
        delta = [None] + [
            _nan_interval(boot[:, i] - boot[:, 0], point[i] - point[0])
            for i in range(1, len(versions))
        ]
        rows.append(
            OrderRow(
                path=node.path,
                share=share,
                pairs=[int(t) for t in totals[:, 1]],
                delta=delta,
            )
        )
    return rows


def _order_counts(row: list[int] | None) -> tuple[int, int]:
    return (row[ORD_OK], row[ORD_PAIRS]) if row is not None else (0, 0)


def _nan_interval(samples: np.ndarray, estimate: float) -> Interval | None:
    """The percentile interval of the samples that are defined; None when the estimate is not."""
    kept = samples[~np.isnan(samples)]
    if np.isnan(estimate) or not kept.size:
        return None
    alpha = (1 - CONFIDENCE) / 2
    return Interval(
        estimate=float(estimate),
        low=float(np.quantile(kept, alpha)),
        high=float(np.quantile(kept, 1 - alpha)),
    )


def _timed(v: VersionInput, n: int) -> int:
    return n if v.seconds_documents is None else v.seconds_documents


def _summary(v: VersionInput, report: ScoreReport, f1: Interval) -> VersionSummary:
    failed = [d.id for d in report.documents if d.status != "ok"]
    n = len(report.documents)
    return VersionSummary(
        prompt_version=v.prompt_version,
        prompt_sha256=v.prompt_sha256,
        model=v.model,
        documents=n,
        failures=len(failed),
        failed_documents=failed,
        prompt_tokens=v.prompt_tokens,
        completion_tokens=v.completion_tokens,
        total_tokens=v.total_tokens,
        seconds_total=v.seconds,
        seconds_per_document=v.seconds / timed if (timed := _timed(v, n)) else 0.0,
        seconds_documents=_timed(v, n),
        seconds_source=v.seconds_source,
        f1=f1,
        macro_f1=report.overall.macro_f1,
        grounding_precision=report.overall.grounding_precision,
        grounding_recall=report.overall.grounding_recall,
        not_extracted=list(v.not_extracted),
        system=dict(v.system),
        wall_seconds_per_document=v.wall_seconds_per_document,
        leaks=v.leaks,
        principal=v.principal,
        report=report,
    )


def _document_rows(reports: list[ScoreReport]) -> list[DocumentRow]:
    rows = []
    for i, doc in enumerate(reports[0].documents):
        f1 = [r.documents[i].f1 for r in reports]
        rows.append(
            DocumentRow(
                id=doc.id,
                status=[r.documents[i].status for r in reports],
                f1=f1,
                delta=[None] + [x - f1[0] for x in f1[1:]],
            )
        )
    return rows


def _worse(
    versions: list[VersionInput], fields: list[FieldRow], docs: list[DocumentRow]
) -> list[Worse]:
    out = []
    enough = len(docs) >= MIN_DOCUMENTS_FOR_SIGNIFICANCE
    for i in range(1, len(versions)):
        name = versions[i].prompt_version
        for fr in fields:
            d = fr.delta[i]
            if d is not None and d.estimate < -1e-9:
                out.append(
                    Worse(
                        version=name,
                        kind="field",
                        name=fr.path,
                        baseline=fr.f1[0].estimate,
                        value=fr.f1[i].estimate,
                        delta=d.estimate,
                        significant=(d.high < 0) if enough else None,
                    )
                )
        for dr in docs:
            dd = dr.delta[i]
            if dd is not None and dd < -1e-9:
                out.append(
                    Worse(
                        version=name,
                        kind="document",
                        name=dr.id,
                        baseline=dr.f1[0],
                        value=dr.f1[i],
                        delta=dd,
                        significant=None,
                    )
                )
    return out
