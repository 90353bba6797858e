"""The order of a case's course: hand labels, and how well a system's timeline keeps it.

MACCROBAT's BEFORE / AFTER links judge only one to three pairs of a system's timeline per
split (its events are mention spans a timeline rarely names alike).  A *course-order label*
says, for one document, the events of the patient's course a registry's timeline would hold
(treatments and procedures, disease events, the outcome), each a verbatim span of the text
with other names a reader might use, and a *rank*: when it happened (equal ranks: the text
does not tell which came first).  The labels live in a committed file
(``eval/labels/maccrobat-course-order.json``; its header says how they were made); only ids,
hashes, offsets and short names are in it, never the texts.

`measure` scores one document's predicted timeline against its label: each labelled event is
*found* at the first timeline entry that names the same event (`abstraction.core.terms.compare`
with the ``events`` vocabulary and the document's own abbreviations, as the scorer pairs
``timeline.event``); of the pairs of found events the label orders (unequal ranks), a pair is
*concordant* when the timeline lists the earlier one first, *discordant* when later, and not
judged when one entry names both.  It never raises on a malformed record.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from abstraction.core.errors import UserError
from abstraction.core.terms import compare, defined_abbreviations

VOCAB = "events"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CourseEvent(_Model):
    """One event of the course: a verbatim span (``text[start:end] == name``), other names,
    and when it happened (rank 1 first; equal ranks are not ordered)."""

    name: str = Field(min_length=1)
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    also: list[str] = Field(default_factory=list)
    rank: int = Field(ge=1)

    @model_validator(mode="after")
    def _span(self) -> CourseEvent:
        if self.end - self.start != len(self.name):
            raise ValueError(f"span {self.start}-{self.end} does not fit {self.name!r}")
        return self


class CourseLabel(_Model):
    id: str
    split: Literal["dev", "held-out"]
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    events: list[CourseEvent]
    unsure: str = ""


class CourseLabels(_Model):
    kind: Literal["course_order_labels"]
    format_version: Literal["1"]
    corpus: str
    attribution: str
    method: str
    fields: dict[str, str]
    labels: list[CourseLabel]

    @model_validator(mode="after")
    def _unique(self) -> CourseLabels:
        ids = [label.id for label in self.labels]
        if len(set(ids)) != len(ids):
            raise ValueError("a document id is labelled twice")
        return self

    def by_id(self) -> dict[str, CourseLabel]:
        return {label.id: label for label in self.labels}


def read_course_labels(path: Path) -> CourseLabels:
    """Load and validate a course-order labels file (as `principal.read_labels` does; that
    module is part of the scorer's hashed instrument, `tally._SCORER_FILES`, so it is not
    changed to share this)."""
    try:
        return CourseLabels.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except OSError as exc:
        raise UserError(f"{path}: cannot read: {exc.strerror}") from exc
    except (ValueError, ValidationError) as exc:
        raise UserError(f"{path}: not a course-order labels file: {exc}") from exc


def spans_fit(label: CourseLabel, text: str) -> list[str]:
    """The events whose span is not their name in `text` (empty: the label fits the text)."""
    return [e.name for e in label.events if text[e.start : e.end] != e.name]


@dataclass(frozen=True)
class CourseOrder:
    """One document: labelled events, those the timeline names, and the ordered pairs of
    found events the timeline lists in the label's order (concordant) or not (discordant)."""

    labelled: int
    found: int
    concordant: int
    discordant: int
    pairs: int = 0
    """The label's ordered pairs (unequal ranks), found or not."""

    @property
    def judged(self) -> int:
        return self.concordant + self.discordant


def _events(record: Any) -> list[str]:
    """The timeline's event names in order; [] for anything malformed."""
    if isinstance(record, BaseModel):
        record = record.model_dump()
    timeline = record.get("timeline") if isinstance(record, Mapping) else None
    if not isinstance(timeline, list):
        return []
    return [
        e["event"] if isinstance(e, Mapping) and isinstance(e.get("event"), str) else ""
        for e in timeline
    ]


def measure(label: CourseLabel, record: Any, text: str | None = None) -> CourseOrder:
    """How `record`'s timeline keeps the course of `label` (see the module's doc); `text`
    lets the document's own abbreviations count.  A missing or malformed record finds
    nothing."""
    events = _events(record)
    abbr = defined_abbreviations(text) if text else {}
    where: list[int | None] = []
    for e in label.events:
        names = [e.name, *e.also]
        where.append(
            next(
                (
                    i
                    for i, pred in enumerate(events)
                    if pred.strip()
                    and any(compare(n, pred, vocab=VOCAB, abbreviations=abbr) for n in names)
                ),
                None,
            )
        )
    concordant = discordant = 0
    for (a, ia), (b, ib) in combinations(zip(label.events, where, strict=True), 2):
        if ia is None or ib is None or ia == ib or a.rank == b.rank:
            continue
        if (a.rank < b.rank) == (ia < ib):
            concordant += 1
        else:
            discordant += 1
    found = sum(i is not None for i in where)
    pairs = sum(a.rank != b.rank for a, b in combinations(label.events, 2))
    return CourseOrder(len(label.events), found, concordant, discordant, pairs)


@dataclass(frozen=True)
class OrderSummary:
    """A system over a suite: concordant share of judged pairs, its 95 % interval (documents
    resampled), judged pairs, and the share of labelled events found."""

    share: float
    low: float
    high: float
    judged: int
    found: float
    recall: float = float("nan")
    """Concordant pairs over all the labels' ordered pairs: a pair not found counts against."""
    recall_low: float = float("nan")
    recall_high: float = float("nan")
    """The 95 % interval of `recall` (the same resamples as the share's)."""


def _share(c: np.ndarray, d: np.ndarray) -> np.ndarray:
    judged = c + d
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(judged > 0, c / np.maximum(judged, 1), np.nan)


Deltas = dict[tuple[str, str], tuple[float, float, float]]
"""Per pair of systems (a, b): a - b, and its 95 % interval."""


def _interval(boot: np.ndarray) -> tuple[float, float]:
    ok = ~np.isnan(boot)
    if not ok.any():
        return float("nan"), float("nan")
    lo, hi = np.percentile(boot[ok], [2.5, 97.5])
    return float(lo), float(hi)


def summarize(
    per_system: Mapping[str, Sequence[CourseOrder]], *, resamples: int = 2000, seed: int = 0
) -> tuple[dict[str, OrderSummary], Deltas, Deltas]:
    """Per system, the summary; per pair of systems (a, b), the paired difference a - b of
    the shares, then of the recalls, each with its 95 % interval, the same documents
    resampled for both (each system's documents in the same order).  NaN where no pair was
    judged."""
    rng = np.random.default_rng(seed)
    names = list(per_system)
    n = len(next(iter(per_system.values()), []))
    if any(len(orders) != n for orders in per_system.values()):
        raise ValueError("every system needs the same documents, in the same order")
    idx = rng.integers(0, n, size=(resamples, n)) if n else np.zeros((resamples, 0), int)
    c = {s: np.array([o.concordant for o in per_system[s]], float) for s in names}
    d = {s: np.array([o.discordant for o in per_system[s]], float) for s in names}
    boot = {s: _share(c[s][idx].sum(axis=1), d[s][idx].sum(axis=1)) for s in names}
    every = {s: np.array([o.pairs for o in per_system[s]], float) for s in names}
    recall = {s: _share(c[s][idx].sum(axis=1), (every[s] - c[s])[idx].sum(axis=1)) for s in names}
    out: dict[str, OrderSummary] = {}
    for s in names:
        orders = per_system[s]
        labelled = sum(o.labelled for o in orders)
        share = float(_share(np.array(c[s].sum()), np.array(d[s].sum())))
        out[s] = OrderSummary(
            share,
            *_interval(boot[s]),
            int(c[s].sum() + d[s].sum()),
            sum(o.found for o in orders) / labelled if labelled else float("nan"),
            float(c[s].sum() / every[s].sum()) if every[s].sum() else float("nan"),
            *_interval(recall[s]),
        )
    deltas: Deltas = {}
    recall_deltas: Deltas = {}
    for a, b in combinations(names, 2):
        deltas[(a, b)] = (out[a].share - out[b].share, *_interval(boot[a] - boot[b]))
        recall_deltas[(a, b)] = (out[a].recall - out[b].recall, *_interval(recall[a] - recall[b]))
    return out, deltas, recall_deltas


__all__ = [
    "CourseEvent",
    "CourseLabel",
    "CourseLabels",
    "CourseOrder",
    "OrderSummary",
    "measure",
    "read_course_labels",
    "spans_fit",
    "summarize",
]
