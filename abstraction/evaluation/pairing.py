"""Pair the items of two lists of records one-to-one, on the scored key only.

Two items may pair only when their first key *matches* (clinical terms by
`abstraction.core.terms`, enums exactly, times by their canonical words): a similar name
is never enough, so "headache" never pairs with "backache" and the dependent fields (assertion,
status, category, dose, result, body site) are scored only on a pair whose key matches.  Nor
do two items whose polarity is opposite (`Score.polarity`: "fever, absent" and "fever,
present"; a diagnosis ruled out and one made): they state opposite facts.  Further
keys that are in scope add weight, so among several candidates the one that also agrees on them
wins; a key the gold does not annotate (out of scope) takes no part.  Among the candidate pairs
the assignment (`scipy.optimize.linear_sum_assignment`) keeps the largest total weight.

`similarity` of a pair is the share (0-100) of its in-scope keys that match.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import numpy as np
from scipy.optimize import linear_sum_assignment

from abstraction.core.scoring import POLARITY
from abstraction.core.terms import Term, Vocabulary, routes_agree, term_equal
from abstraction.evaluation.plan import LeafPlan, RecordsPlan


class TermSource(Protocol):
    """What the pairing needs from the scorer's per-document state."""

    score: frozenset[str] | None
    polar: bool

    def term(self, vocab: Vocabulary, value: Any) -> Term: ...

    def qualifiers(self, leaf: LeafPlan, parent: dict[str, Any]) -> Term | None: ...


Equal = Callable[[Any, LeafPlan, Any, Any, dict[str, Any], dict[str, Any]], bool]


def scored_keys(rp: RecordsPlan, score: frozenset[str] | None) -> tuple[LeafPlan, ...]:
    """The list's keys that are in scope; the first key always (it names the item)."""
    if score is None:
        return rp.key
    rest = tuple(k for k in rp.key[1:] if k.path in score)
    return (rp.key[0], *rest)


def match_items(
    acc: TermSource,
    rp: RecordsPlan,
    gl: list[dict[str, Any]],
    pl: list[dict[str, Any]],
    equal: Equal,
) -> list[tuple[int, int, float]]:
    """One-to-one pairs (gold index, pred index, similarity) of items whose first key matches."""
    keys = scored_keys(rp, acc.score)
    first = keys[0]
    ok = _first_key(acc, first, gl, pl, equal) & _not_opposite(acc, rp, gl, pl)
    square = len(keys) == 1 and len(gl) == len(pl)
    if square and bool(np.all(np.diag(ok))) and int(ok.sum()) == len(gl):
        return [(i, i, 100.0) for i in range(len(gl))]  # each item matches its counterpart only
    weight = ok.astype(np.float64) * 100.0
    ii, jj = np.nonzero(ok)
    il, jl = ii.tolist(), jj.tolist()
    for leaf in keys[1:]:
        if il:
            weight[ii, jj] += [
                100.0 if _same(acc, leaf, gl[i], pl[j], equal) else 0.0
                for i, j in zip(il, jl, strict=True)
            ]
    weight /= len(keys)
    if len(set(il)) == len(il) and len(set(jl)) == len(jl):
        # No item has two candidates: the candidates are the only assignment.
        return list(zip(il, jl, weight[ii, jj].tolist(), strict=True))
    # Ties (two gold items named alike) go to the pair that agrees on more of the item's other
    # scored values (the methotrexate whose dose is the gold's dosed methotrexate; a stated
    # value weighs 3, a label such as the category 1), then to the same name written alike
    # ("acyclovir" before "oral acyclovir", rule 9), then to the nearer list position: a
    # concave reward of the displacement (1 - d^2), so interchangeable items keep their order
    # (1 / (1 + d) is convex: it bought two exact positions with one far crossing).
    span = float(max(len(gl), len(pl)))
    dist = (np.arange(len(gl))[:, None] - np.arange(len(pl))[None, :]) / span
    tie = 1.0 - dist * dist + 2.0 * _alike(acc, first, gl, pl, ok)
    tie += _agreeing(acc, rp, keys, gl, pl, ok, equal)
    rows, cols = linear_sum_assignment(np.where(ok, weight + tie, 0.0), True)
    return [
        (i, j, float(weight[i, j]))
        for i, j in zip(rows.tolist(), cols.tolist(), strict=True)
        if ok[i, j]
    ]


def _not_opposite(
    acc: TermSource, rp: RecordsPlan, gl: list[dict[str, Any]], pl: list[dict[str, Any]]
) -> np.ndarray:
    """False where the two items' polarity values are opposite ("present" / "absent"): such
    items state opposite facts and never pair.  True everywhere when the list has no polarity
    field or the gold does not annotate it (out of scope)."""
    leaf = rp.polarity
    if leaf is None or not acc.polar or (acc.score is not None and leaf.path not in acc.score):
        return np.ones((len(gl), len(pl)), dtype=bool)
    g = np.array([_polarity(x.get(leaf.name)) for x in gl], dtype=np.int8)
    p = np.array([_polarity(x.get(leaf.name)) for x in pl], dtype=np.int8)
    return (g[:, None] * p[None, :]) >= 0


def _polarity(value: Any) -> int:
    """1, -1 or 0 (`POLARITY`), the value read as the schema writes it ("Absent", "ruled out"
    in output that was never validated are "absent", "ruled_out")."""
    return POLARITY.get(str(value).strip().lower().replace(" ", "_").replace("-", "_"), 0)


def opposite_items(
    acc: TermSource,
    rp: RecordsPlan,
    gl: list[dict[str, Any]],
    pl: list[dict[str, Any]],
    equal: Equal,
    used_g: set[int],
    used_p: set[int],
) -> list[tuple[int, int]]:
    """Unpaired gold and predicted items whose first keys match but whose polarity is
    opposite ("fever, absent" / "fever, present"), one to one in list order: for the error
    list, which names them as opposite facts."""
    if rp.polarity is None or not acc.polar:
        return []
    keys = scored_keys(rp, acc.score)
    same = _first_key(acc, keys[0], gl, pl, equal) & ~_not_opposite(acc, rp, gl, pl)
    out, taken = [], set(used_p)
    for gi in range(len(gl)):
        if gi in used_g:
            continue
        pj = next((j for j in range(len(pl)) if same[gi, j] and j not in taken), None)
        if pj is not None:
            taken.add(pj)
            out.append((gi, pj))
    return out


def _alike(
    acc: TermSource, leaf: LeafPlan, gl: list[dict[str, Any]], pl: list[dict[str, Any]], ok: Any
) -> np.ndarray:
    """1 where a candidate pair's first keys are the same term, routes and all (not only
    equal by rule 9), else 0."""
    out = np.zeros(ok.shape)
    vocab = leaf.vocab
    if vocab is None or leaf.many:
        return out
    for i, j in zip(*np.nonzero(ok), strict=True):
        g = acc.term(vocab, gl[i].get(leaf.name) or "")
        p = acc.term(vocab, pl[j].get(leaf.name) or "")
        out[i, j] = float(g.key == p.key)
    return out


def _agreeing(
    acc: TermSource,
    rp: RecordsPlan,
    keys: tuple[LeafPlan, ...],
    gl: list[dict[str, Any]],
    pl: list[dict[str, Any]],
    ok: Any,
    equal: Equal,
) -> np.ndarray:
    """For each candidate pair, the weight of the item's other scored values both sides state
    alike: 3 for a stated value (dose, time, site), 1 for a label (category, intent), and 1
    for a stated value both give differently (the same slot).  A value both leave null is no
    evidence of the same item (helper audit of 4 December 2026: with every field weighing the
    same, two inferred labels outvoted a stated dose)."""
    out = np.zeros(ok.shape)
    leaves = [
        lf
        for lf in (rp.item.flat or ())
        if lf not in keys and not lf.many and (acc.score is None or lf.path in acc.score)
    ]
    if not leaves:
        return out
    for i, j in zip(*np.nonzero(ok), strict=True):
        g, p = gl[i], pl[j]
        total = 0.0
        for lf in leaves:
            if _null(g.get(lf.name)) or _null(p.get(lf.name)):
                continue
            stated = lf.kind != "exact"  # a stated dose / time / site, not a label
            if _same(acc, lf, g, p, equal):
                total += 3.0 if stated else 1.0
            elif stated:
                total += 1.0  # both state one: the same slot, a wrong value
        out[i, j] = total
    return out


def _null(v: Any) -> bool:
    return v is None or (type(v) is str and not v.strip())


def _same(
    acc: TermSource, leaf: LeafPlan, g: dict[str, Any], p: dict[str, Any], equal: Equal
) -> bool:
    a, b = g.get(leaf.name), p.get(leaf.name)
    if _null(a) or _null(b):
        return _null(a) and _null(b)
    return bool(a == b) or equal(acc, leaf, a, b, g, p)


def _first_key(
    acc: TermSource,
    leaf: LeafPlan,
    gl: list[dict[str, Any]],
    pl: list[dict[str, Any]],
    equal: Equal,
) -> np.ndarray:
    """Which gold/pred pairs match on the first key (a boolean matrix)."""
    name = leaf.name
    vocab = leaf.vocab
    if vocab is not None and not leaf.many:
        gt = [acc.term(vocab, x.get(name) or "") for x in gl]
        pt = [acc.term(vocab, x.get(name) or "") for x in pl]
        qs = [acc.qualifiers(leaf, x) for x in gl]
        by_key: dict[str, list[int]] = {}
        for j, t in enumerate(pt):
            by_key.setdefault(t.bare, []).append(j)  # bare is the key but for a route (rule 9)
        m = len(pl)
        rows = []
        for g, q in zip(gt, qs, strict=True):
            row = [False] * m
            for j in by_key.get(g.bare, ()):
                row[j] = g.directions == pt[j].directions and routes_agree(g, pt[j])
            if q is not None:  # the head word plus the gold's own modifiers
                for j, p in enumerate(pt):
                    if not row[j] and term_equal(g, p, q):
                        row[j] = True
            rows.append(row)
        return np.array(rows, dtype=bool).reshape(len(gl), m)
    return np.array([[_same(acc, leaf, g, p, equal) for p in pl] for g in gl], dtype=bool).reshape(
        len(gl), len(pl)
    )
