"""A field-by-field diff of two records, for the diff view (model vs corrected, vs gold).

Lists are aligned with `difflib` on the items' canonical JSON, so dropping one item from the
middle shows as one removal rather than every later item "changed".
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from typing import Any, Literal

from abstraction.review import pointer as jp

DiffKind = Literal["changed", "added", "removed"]


@dataclass(frozen=True)
class DiffRow:
    pointer: str
    kind: DiffKind
    left: Any
    right: Any


def _key(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def diff_values(left: Any, right: Any, pointer: str = "") -> list[DiffRow]:
    """Rows where `left` and `right` differ; pointers are into `left` (the model side), except
    for added items, which only `right` has."""
    if left == right:
        return []
    if isinstance(left, dict) and isinstance(right, dict):
        rows: list[DiffRow] = []
        for key in [*left, *(k for k in right if k not in left)]:
            sub = pointer + jp.join([key])
            if key not in right:
                rows.append(DiffRow(sub, "removed", left[key], None))
            elif key not in left:
                rows.append(DiffRow(sub, "added", None, right[key]))
            else:
                rows.extend(diff_values(left[key], right[key], sub))
        return rows
    if isinstance(left, list) and isinstance(right, list):
        return _diff_lists(left, right, pointer)
    return [DiffRow(pointer or "/", "changed", left, right)]


def _similarity(a: Any, b: Any) -> float:
    """Share of equal fields (evidence ignored) between two list items; 1.0 for equal scalars."""
    if isinstance(a, dict) and isinstance(b, dict):
        keys = [k for k in {*a, *b} if k != "evidence"]
        return sum(a.get(k) == b.get(k) for k in keys) / len(keys) if keys else 0.0
    return 1.0 if a == b else 0.0


def _pair(left: list[Any], right: list[Any]) -> list[tuple[int | None, int | None]]:
    """Pair the items of a replaced block by similarity (greedy, at least half the fields)."""
    scores = sorted(
        ((_similarity(a, b), i, j) for i, a in enumerate(left) for j, b in enumerate(right)),
        key=lambda t: (-t[0], t[1], t[2]),
    )
    used_l: set[int] = set()
    used_r: set[int] = set()
    pairs: list[tuple[int | None, int | None]] = []
    for score, i, j in scores:
        if score >= 0.5 and i not in used_l and j not in used_r:
            used_l.add(i)
            used_r.add(j)
            pairs.append((i, j))
    pairs += [(i, None) for i in range(len(left)) if i not in used_l]
    pairs += [(None, j) for j in range(len(right)) if j not in used_r]
    return sorted(pairs, key=lambda p: (p[1] if p[1] is not None else p[0] or 0, p[1] is None))


def _diff_lists(left: list[Any], right: list[Any], pointer: str) -> list[DiffRow]:
    rows: list[DiffRow] = []
    matcher = difflib.SequenceMatcher(a=[_key(x) for x in left], b=[_key(x) for x in right])
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        for i, j in _pair(left[i1:i2], right[j1:j2]):
            if i is not None and j is not None:
                rows.extend(diff_values(left[i1 + i], right[j1 + j], f"{pointer}/{i1 + i}"))
            elif i is not None:
                rows.append(DiffRow(f"{pointer}/{i1 + i}", "removed", left[i1 + i], None))
            elif j is not None:
                rows.append(DiffRow(f"{pointer}/{j1 + j}", "added", None, right[j1 + j]))
    return rows
