"""Per-slot scoring: one gold value against one predicted value, and lists of plain values.

`_Acc` holds one document's rows and details while `abstraction.evaluation.scorer` walks the
record; `_leaf` counts one slot by its field's kind (exact, clinical text, time, number), or as
the detection of one value, or, for lists of plain values, by one-to-one matching on equality.
The counting rules are in the scorer's docstring.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
from scipy.optimize import linear_sum_assignment

from abstraction.core.normalize import numbers_equal, text_equal, time_text, unit_factors
from abstraction.core.terms import (
    Term,
    Vocabulary,
    document_abbreviations,
    explain,
    redefined_abbreviations,
    term_equal,
)
from abstraction.evaluation.counts import (
    FN,
    FP,
    GOLD_N,
    HALLUC,
    NCOUNTS,
    OMIT,
    PRED_N,
    TN,
    TP,
    WRONG,
    FieldError,
    MatchedPair,
    Scope,
)
from abstraction.evaluation.plan import LeafPlan

_EMPTY: dict[str, Any] = {}
_ZEROS = [0] * NCOUNTS
_NO_BINARY: dict[str, str] = {}


class _Acc:
    """Accumulates one document's counts and, when asked, its details."""

    __slots__ = (
        "abbr",
        "abbr_terms",
        "binary",
        "counts",
        "details",
        "errors",
        "matches",
        "order",
        "order_scope",
        "polar",
        "score",
        "stated",
        "visit",
    )

    def __init__(
        self,
        scope: Scope | None,
        details: bool,
        abbr: dict[str, str] | None = None,
        order: Mapping[str, Sequence[Sequence[int]]] | None = None,
        polar: bool = True,
    ) -> None:
        self.polar = polar  # opposite facts never pair (`Score.polarity`); off for agreement
        self.abbr = abbr or {}
        self.order = order or {}
        self.order_scope = scope.order if scope else None
        self.abbr_terms: dict[int, tuple[dict[str, Term], dict[str, tuple[str, ...]]]] = {}
        self.binary = scope.binary if scope else _NO_BINARY
        self.stated = scope.stated if scope else frozenset()
        self.counts: dict[str, list[int]] = {}
        self.score = scope.score if scope else None
        self.visit = scope.visit if scope else None
        self.details = details
        self.errors: list[FieldError] = []
        self.matches: list[MatchedPair] = []

    def term(self, vocab: Vocabulary, value: Any) -> Term:
        """A clinical term, with the document's own abbreviations expanded (those it defines
        otherwise than the lists read first: `redefined_abbreviations`)."""
        text = value if type(value) is str else str(value)
        if not self.abbr:
            return vocab.term(text)
        known = self.abbr_terms.get(id(vocab))
        if known is None:
            known = self.abbr_terms[id(vocab)] = (
                document_abbreviations(vocab, self.abbr, agreeing=True),
                redefined_abbreviations(vocab, self.abbr),
            )
        terms, redefined = known
        t = vocab.term(text, redefined)
        return vocab.expand(t, terms) if terms else t

    def qualifiers(self, leaf: LeafPlan, parent: dict[str, Any]) -> Term | None:
        name = leaf.score.qualifiers
        q = parent.get(name) if name else None
        if not name or _null(q) or leaf.vocab is None:
            return None
        return self.term(leaf.vocab, q)

    def row(self, path: str) -> list[int]:
        r = self.counts.get(path)
        if r is None:
            r = self.counts[path] = _ZEROS.copy()
        return r

    def error(
        self,
        path: str,
        kind: Literal["wrong", "hallucination", "omission"],
        gold: Any,
        pred: Any,
        note: str | None = None,
    ) -> None:
        item: FieldError = {"path": path, "kind": kind, "gold": gold, "pred": pred}
        if note:
            item["note"] = note
        self.errors.append(item)


def _null(v: Any) -> bool:
    return v is None or v == "" or (type(v) is str and v.isspace())


def _as_text(v: Any) -> str:
    return v if isinstance(v, str) else str(v)


def _quantity(v: Any, parent: dict[str, Any], leaf: LeafPlan) -> tuple[float, str | None] | None:
    try:
        x = float(v)
    except (TypeError, ValueError):
        return None
    if not leaf.score.unit:
        return x, None
    unit = parent.get(leaf.score.unit)
    factor = unit_factors().get(unit) if isinstance(unit, str) else None
    return (x * factor, None) if factor is not None else (x, str(unit))


def _equal(
    acc: _Acc, leaf: LeafPlan, gv: Any, pv: Any, g: dict[str, Any], p: dict[str, Any]
) -> bool:
    kind = leaf.kind
    if kind == "exact":
        return bool(gv == pv)
    if kind == "text":
        vocab = leaf.vocab
        if vocab is not None:  # clinical text: terms, never a similarity threshold
            return term_equal(acc.term(vocab, gv), acc.term(vocab, pv), acc.qualifiers(leaf, g))
        lex = leaf.lexicon
        assert lex is not None
        return text_equal(lex.text(_as_text(gv)), lex.text(_as_text(pv)), leaf.threshold)
    if kind == "time":  # the same canonical words ("2 days before" is not "2 days after")
        return time_text(_as_text(gv)).sorted == time_text(_as_text(pv)).sorted
    if kind == "number":
        a, b = _quantity(gv, g, leaf), _quantity(pv, p, leaf)
        if a is None or b is None or a[1] != b[1]:
            return False  # not a number, or units that cannot be converted and differ
        return numbers_equal(a[0], b[0], leaf.score.tolerance)
    return False


def _leaf(
    acc: _Acc,
    leaf: LeafPlan,
    r: list[int],
    gv: Any,
    pv: Any,
    g: dict[str, Any],
    p: dict[str, Any],
    loc: str,
) -> None:
    """Count one slot into row `r` (the hot path: nulls and identical values short-cut)."""
    if leaf.many:
        _many(acc, leaf, r, gv, pv, loc)
        return
    if acc.binary and leaf.path in acc.binary:
        _detect(acc, leaf, r, gv, pv, loc)
        return
    g_null = gv is None or gv == "" or (type(gv) is str and gv.isspace())
    if g_null and acc.stated and leaf.path in acc.stated:
        return  # scored only where the gold states a value
    p_null = pv is None or pv == "" or (type(pv) is str and pv.isspace())
    if leaf.in_name is not None and g_null != p_null and _in_name(acc, leaf, g, p, gv, pv):
        r[TN] += 1  # the other side writes this site into its name: stated, not an error
        return
    if g_null:
        if p_null:
            r[TN] += 1
        else:
            _bump(r, 1, gold=False)
            if acc.details:
                acc.error(f"{loc}{leaf.name}", "hallucination", None, pv)
    elif p_null:
        _bump(r, 1, gold=True)
        if acc.details:
            acc.error(f"{loc}{leaf.name}", "omission", gv, None)
    else:
        r[PRED_N] += 1
        r[GOLD_N] += 1
        # Identical values are equal under every kind (a unit sibling may still differ).
        if (gv == pv and leaf.score.unit is None) or _equal(acc, leaf, gv, pv, g, p):
            r[TP] += 1
        else:
            r[FP] += 1
            r[FN] += 1
            r[WRONG] += 1
            if acc.details:
                acc.error(f"{loc}{leaf.name}", "wrong", gv, pv, _why(acc, leaf, gv, pv, g))


def _in_name(
    acc: _Acc, leaf: LeafPlan, g: dict[str, Any], p: dict[str, Any], gv: Any, pv: Any
) -> bool:
    """Whether the side that leaves this field empty writes its value into its name: a body
    site of "bleeding" given as "gum" where the other side's finding is "gum bleeding"."""
    vocab, key = leaf.vocab, leaf.in_name
    assert key is not None
    value, name = (pv, g.get(key)) if _null(gv) else (gv, p.get(key))
    if vocab is None or _null(name) or _null(value):
        return False
    words = set(acc.term(vocab, value).words)
    return bool(words) and words <= set(acc.term(vocab, name).words)


def _detect(acc: _Acc, leaf: LeafPlan, r: list[int], gv: Any, pv: Any, loc: str) -> None:
    """A field scored as the detection of one value: that value on both sides is TP, on
    neither side TN (whatever else each says); otherwise FN (gold only) or FP (pred only)."""
    value = acc.binary[leaf.path]
    g_pos, p_pos = gv == value, pv == value
    if g_pos == p_pos:
        r[TP if g_pos else TN] += 1
        if g_pos:
            r[PRED_N] += 1
            r[GOLD_N] += 1
        return
    kind: Literal["wrong", "hallucination", "omission"]
    if g_pos:
        r[FN] += 1
        r[GOLD_N] += 1
        kind = "omission" if _null(pv) else "wrong"
        r[OMIT if kind == "omission" else WRONG] += 1
    else:
        r[FP] += 1
        r[PRED_N] += 1
        kind = "hallucination" if _null(gv) else "wrong"
        r[HALLUC if kind == "hallucination" else WRONG] += 1
    if acc.details:
        acc.error(f"{loc}{leaf.name}", kind, gv, pv, f"scored as detecting {value!r}")


def _why(acc: _Acc, leaf: LeafPlan, gv: Any, pv: Any, g: dict[str, Any]) -> str | None:
    """Why two clinical terms differ (the matcher's reason), for the error list."""
    if leaf.vocab is None:
        return None
    q = acc.qualifiers(leaf, g)
    return explain(acc.term(leaf.vocab, gv), acc.term(leaf.vocab, pv), q).reason


def _many(acc: _Acc, leaf: LeafPlan, r: list[int], gv: Any, pv: Any, loc: str) -> None:
    gl = [x for x in (gv or []) if not _null(x)] if isinstance(gv, list) or gv is None else [gv]
    pl = [x for x in (pv or []) if not _null(x)] if isinstance(pv, list) or pv is None else [pv]
    if not gl and not pl:
        r[TN] += 1
        return
    tp = 0
    used_g: set[int] = set()
    used_p: set[int] = set()
    if gl and pl:
        eq = np.array(
            [[_equal(acc, leaf, a, b, _EMPTY, _EMPTY) for b in pl] for a in gl], dtype=float
        )
        rows, cols = linear_sum_assignment(eq, maximize=True)
        for i, j in zip(rows, cols, strict=True):
            if eq[i, j]:
                tp += 1
                used_g.add(int(i))
                used_p.add(int(j))
    _tally(r, tp, len(pl), len(gl))
    if acc.details:
        for i, x in enumerate(gl):
            if i not in used_g:
                acc.error(f"{loc}{leaf.name}", "omission", x, None)
        for j, x in enumerate(pl):
            if j not in used_p:
                acc.error(f"{loc}{leaf.name}", "hallucination", None, x)


def _tally(r: list[int], matched: int, pred: int, gold: int) -> None:
    """Count a one-to-one matching: `matched` pairs of `pred` predicted and `gold` gold items."""
    r[TP] += matched
    r[FP] += pred - matched
    r[HALLUC] += pred - matched
    r[FN] += gold - matched
    r[OMIT] += gold - matched
    r[PRED_N] += pred
    r[GOLD_N] += gold


def _bump(r: list[int], n: int, *, gold: bool) -> None:
    """Count `n` values found on one side only: omissions (gold) or hallucinations (pred)."""
    if gold:
        r[FN] += n
        r[OMIT] += n
        r[GOLD_N] += n
    else:
        r[FP] += n
        r[HALLUC] += n
        r[PRED_N] += n
