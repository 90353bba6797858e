"""The scorer's vocabulary: the count slots of a row, the result types, and the scope.

A row is one plain list of ints per field path and document (`COUNT_NAMES` names its slots);
`DocResult` holds a document's rows and details; `Scope` is what `make_scope` builds from a
gold's annotated fields and a suite's field list.  How rows are filled is in
`abstraction.evaluation.scorer`; the figures derived from them in `abstraction.evaluation.results`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal, NotRequired

from pydantic import BaseModel
from typing_extensions import TypedDict

from abstraction.evaluation.plan import (
    RecordsPlan,
    all_paths,
    compile_plan,
    current_schema,
    leaf_paths,
)

# Count slots of a row (one list of ints per path and document; plain lists keep this fast).
TP, FP, FN, TN, WRONG, HALLUC, OMIT, PRED_N, GOLD_N, G_HIT, G_PRED, G_GOLD, ORD_OK, ORD_PAIRS = (
    range(14)
)
COUNT_NAMES = (
    "tp",
    "fp",
    "fn",
    "tn",
    "wrong",
    "hallucinations",
    "omissions",
    "predicted",
    "gold",
    "grounding_overlaps",
    "grounding_predicted",
    "grounding_gold",
    "order_concordant",
    "order_pairs",
)
NCOUNTS = len(COUNT_NAMES)


@dataclass(frozen=True, slots=True)
class Scope:
    """Paths to score, and model/list paths to walk because something under them is scored."""

    score: frozenset[str]
    visit: frozenset[str]
    binary: dict[str, str] = field(default_factory=dict)
    """Paths scored as the detection of one value (``diagnoses.status=ruled_out``)."""
    stated: frozenset[str] = frozenset()
    """Paths scored only where the gold states a value (``treatments.time?``): recall."""
    order: frozenset[str] = frozenset()
    """Ordered lists whose order is scored: those whose first key is scored (their items are
    paired), even when the list's own row (item counts) is not."""


DocStatus = Literal["ok", "failed", "invalid", "missing", "scorer_error"]


class MatchedPair(TypedDict):
    """Two list items paired by the assignment (indices into the gold and predicted lists).

    Details are TypedDicts rather than models: a large run holds hundreds of thousands of them,
    and plain dicts are several times cheaper to build and validate; the JSON is the same.
    """

    path: str
    gold_index: int
    pred_index: int
    similarity: float
    gold_key: str
    pred_key: str


class FieldError(TypedDict):
    """One wrong, hallucinated or omitted value (or unpaired list item)."""

    path: str
    kind: Literal["wrong", "hallucination", "omission"]
    gold: Any
    pred: Any
    note: NotRequired[str]


@dataclass
class DocResult:
    """One document's counts and details, before they become report models."""

    id: str
    status: DocStatus
    error: str | None = None
    counts: dict[str, list[int]] = field(default_factory=dict)
    matches: list[MatchedPair] = field(default_factory=list)
    errors: list[FieldError] = field(default_factory=list)


def _covered(path: str, selection: tuple[str, ...]) -> bool:
    return any(path == a or path.startswith(a + ".") for a in selection)


def make_scope(
    annotated: tuple[str, ...] | None, fields: tuple[str, ...] | None = None
) -> Scope | None:
    """The scope for a gold's annotated fields and a suite's field list (None: everything),
    in the current schema (`scoring_schema`)."""
    if annotated is None and fields is None:
        return None
    return _make_scope(annotated, fields, current_schema())


@lru_cache(maxsize=256)
def _make_scope(
    annotated: tuple[str, ...] | None, fields: tuple[str, ...] | None, model: type[BaseModel]
) -> Scope | None:
    binary: dict[str, str] = {}
    stated: set[str] = set()
    if annotated is not None:
        stated = {a[:-1] for a in annotated if a.endswith("?")}
        annotated = tuple(a.removesuffix("?") for a in annotated)
        binary = dict(a.split("=", 1) for a in annotated if "=" in a)
        annotated = tuple(a.split("=", 1)[0] for a in annotated)
    paths = all_paths(compile_plan(model))
    score = {
        p
        for p in paths
        if (annotated is None or _covered(p, annotated)) and (fields is None or _covered(p, fields))
    }
    visit = set(score)
    for p in score:
        parts = p.split(".")
        visit.update(".".join(parts[:i]) for i in range(1, len(parts)))
    leaf_set = set(leaf_paths(compile_plan(model)))

    def leaf(k: str) -> str:  # "outcome.status" names its value leaf
        return k if k in leaf_set else f"{k}.value"

    binary = {leaf(k): v for k, v in binary.items() if leaf(k) in score}
    stated = {leaf(k) for k in stated if leaf(k) in score}
    order = {
        n.path
        for n in compile_plan(model).walk()
        if isinstance(n, RecordsPlan) and n.ordered and n.key and n.key[0].path in score
    }
    return Scope(frozenset(score), frozenset(visit), binary, frozenset(stated), frozenset(order))


def unknown_paths(selection: Iterable[str]) -> list[str]:
    """Listed paths the schema does not have (for validating gold files and suites).

    A path may name one value of an enum field (``diagnoses.status=ruled_out``): that field is
    then scored as the detection of that value; a trailing ``?`` (``treatments.time?``) scores
    a field only where the gold states a value (see `docs/evaluation.md`)."""
    known = all_paths(compile_plan())
    return [p for p in selection if p.split("=", 1)[0].removesuffix("?") not in known]
