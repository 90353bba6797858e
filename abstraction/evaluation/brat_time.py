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

``BEFORE`` / ``AFTER`` give a partial order between some events; the schema's timeline is a
list whose order is scored against a total gold order, so they are not imported (see
docs/evaluation.md).  ``Frequency`` has no schema field and is not imported either.  The corpus
does not link every time, so these fields are listed as "scored where the gold states them"
(``treatments.time?``): a predicted time the gold lacks is not counted against the model.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
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
