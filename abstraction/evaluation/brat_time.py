"""Times, durations and the timeline from a brat annotation (MACCROBAT's temporal layer).

MACCROBAT annotates ``Date``, ``Time``, ``Duration`` and ``Frequency`` spans and links them to
events with ``OVERLAP`` (relations and ``*`` equivalence lines), ``MODIFY``, ``BEFORE`` and
``AFTER``.  What is imported, and from which links:

- an item's *time* (treatments, assessments): the first ``Date`` or ``Time`` span, in text
  order, that OVERLAPs or MODIFYs a mention of the item;
- a treatment's *duration*: the first ``Duration`` span linked the same way;
- the *timeline*: one event per asserted event mention (sign, disease, procedure, medication,
  clinical event, outcome) that OVERLAPs or is MODIFIED by a ``Date`` or ``Time``, named by
  its cluster's head, with that span as its time, in text order.

``BEFORE`` / ``AFTER`` give a partial order between some events (``A BEFORE B``: A happened
first; ``A AFTER B``: B did).  They are imported as the gold's partial order
(`GoldRecord.order`) of the timeline and of the treatments: the pairs of items whose head
mentions the corpus orders (coreferent mentions are not merged for this), directly or through a
chain (A before B, B before C: A before C, through dates and activities
too), and nothing else; links inside a cycle (A before B and B before A) are annotation
conflicts, dropped before chains are followed.  An asserted event that takes part in such a pair
joins the timeline even without a time (its ``time`` is then null, and not scored).
``Frequency`` has no schema field and is not imported.  The corpus does not link every time, so
these fields are listed as "scored where the gold states them" (``treatments.time?``): a
predicted time the gold lacks is not counted against the model.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Protocol

TIME_TYPES = frozenset({"Date", "Time"})
DURATION_TYPES = frozenset({"Duration"})
EVENT_TYPES = frozenset(
    {
        "Sign_symptom",
        "Disease_disorder",
        "Therapeutic_procedure",
        "Medication",
        "Diagnostic_procedure",
        "Clinical_event",
        "Outcome",
    }
)
LINKS = frozenset({"OVERLAP", "MODIFY"})
ORDER_RELATIONS = frozenset({"BEFORE", "AFTER"})


class Span(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def type(self) -> str: ...

    @property
    def text(self) -> str: ...

    @property
    def start(self) -> int: ...

    @property
    def end(self) -> int: ...


def time_links(
    relations: Iterable[tuple[str, str, str]], overlap_groups: Iterable[Sequence[str]]
) -> dict[str, set[str]]:
    """Entity id -> the entity ids it OVERLAPs or MODIFIES / is MODIFIED by (undirected)."""
    links: dict[str, set[str]] = {}

    def add(a: str, b: str) -> None:
        links.setdefault(a, set()).add(b)
        links.setdefault(b, set()).add(a)

    for type_, a, b in relations:
        if type_ in LINKS:
            add(a, b)
    for group in overlap_groups:
        for i, a in enumerate(group):
            for b in group[i + 1 :]:
                add(a, b)
    return links


def linked_span(
    member_ids: Iterable[str],
    links: Mapping[str, set[str]],
    entities: Mapping[str, Span],
    types: frozenset[str],
) -> Span | None:
    """The first span (text order) of `types` linked to any of the mentions."""
    found = [
        entities[x]
        for m in member_ids
        for x in links.get(m, ())
        if x in entities and entities[x].type in types
    ]
    return min(found, key=lambda t: (t.start, t.end)) if found else None


def precedence(
    relations: Iterable[tuple[str, str, str]], node_of: Callable[[str], str]
) -> set[tuple[str, str]]:
    """(u, v) for every node u annotated before node v, directly or through a chain of BEFORE /
    AFTER links; `node_of` maps a mention id to its node (its coreference cluster's head).
    Links inside a cycle (nodes the annotation orders both ways) are conflicts: they are dropped
    before the chains are followed, so nothing is derived through them."""
    succ: dict[str, set[str]] = {}
    for type_, a, b in relations:
        if type_ not in ORDER_RELATIONS:
            continue
        u, v = node_of(a), node_of(b)
        if type_ == "AFTER":
            u, v = v, u
        if u != v:
            succ.setdefault(u, set()).add(v)
    reach = _closure(succ)
    kept = {u: {v for v in vs if (v, u) not in reach} for u, vs in succ.items()}
    return _closure(kept)


def _closure(succ: Mapping[str, set[str]]) -> set[tuple[str, str]]:
    """Every (u, v) with a path from u to v (u != v)."""
    closure: set[tuple[str, str]] = set()
    for start, nexts in succ.items():
        seen: set[str] = set()
        stack = list(nexts)
        while stack:
            x = stack.pop()
            if x not in seen:
                seen.add(x)
                stack.extend(succ.get(x, ()))
        closure.update((start, x) for x in seen if x != start)
    return closure


def order_pairs(heads: Sequence[str], before: set[tuple[str, str]]) -> list[tuple[int, int]]:
    """The gold order of a list whose i-th item is the node `heads[i]`: index pairs [i, j] with
    item i before item j, sorted."""
    index = {h: i for i, h in enumerate(heads)}
    return sorted((index[u], index[v]) for u, v in before if u in index and v in index and u != v)
