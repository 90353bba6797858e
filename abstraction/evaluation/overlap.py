"""Evidence overlap: whether a predicted fact's evidence overlaps the gold fact's.

Spans overlap when they intersect (half-open); lacking offsets, quotes overlap when their
normalised words share three consecutive words or one holds the other.  A prediction marked
``unsupported`` never overlaps, and a gold fact with neither offsets nor a quote is not judged.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from abstraction.core.normalize import _basic
from abstraction.evaluation.counts import G_GOLD, G_HIT, G_PRED


def _span(ev: dict[str, Any]) -> tuple[int, int] | None:
    s = ev.get("start")
    e = ev.get("end")
    if type(s) is int and type(e) is int and e > s:
        return s, e
    return None


def _gradable(ev: Any) -> bool:
    return isinstance(ev, dict) and (
        _span(ev) is not None or bool(str(ev.get("quote") or "").strip())
    )


def _ground_pair(r: list[int], gev: Any, pev: Any) -> None:
    if type(gev) is not dict:
        return
    gs: Any = gev.get("start")
    ge: Any = gev.get("end")
    g_span = type(gs) is int and type(ge) is int and ge > gs
    if not g_span and not str(gev.get("quote") or "").strip():
        return  # a gold fact with neither offsets nor a quote cannot be judged
    r[G_GOLD] += 1
    r[G_PRED] += 1
    if type(pev) is not dict or pev.get("status") == "unsupported":
        return
    ps: Any = pev.get("start")
    pe: Any = pev.get("end")
    if g_span and type(ps) is int and type(pe) is int and pe > ps:
        hit = gs < pe and ps < ge
    else:
        hit = _quotes_overlap(str(gev.get("quote") or ""), str(pev.get("quote") or ""))
    if hit:
        r[G_HIT] += 1


@lru_cache(maxsize=65536)
def _quote_key(quote: str) -> tuple[str, frozenset[tuple[str, ...]]]:
    tokens = _basic(quote, {}).split()
    grams = frozenset(tuple(tokens[i : i + 3]) for i in range(len(tokens) - 2))
    return " ".join(tokens), grams


def _quotes_overlap(a: str, b: str) -> bool:
    ta, ga = _quote_key(a)
    tb, gb = _quote_key(b)
    if not ta or not tb:
        return False
    short, long_ = (ta, tb) if len(ta) <= len(tb) else (tb, ta)
    return f" {short} " in f" {long_} " or not ga.isdisjoint(gb)
