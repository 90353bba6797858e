"""Import brat-annotated case reports (MACCROBAT style) as partial gold records.

A brat document is ``ID.txt`` (the text) and ``ID.ann`` (standoff annotations), read and
checked by `abstraction.evaluation.brat_ann`, which also reduces it to coreference clusters.  This
module maps the clusters to the schema.

Mapping rules (MACCROBAT vocabulary; "asserted" means no polarity attribute, or POS):

- Events (``E`` lines) are reduced to their trigger entity; attributes and relations on an event
  apply to its trigger.  Roles of events are not used (MACCROBAT events have none).
- Coreference: entities linked by ``IDENTICAL`` relations (or a ``*  Equiv`` set) form one
  cluster.  Its head is the earliest mention that is not of type ``Coreference``; the head gives
  the type, the name, the assertion and the evidence ("first mention"), and the cluster pools the
  modifiers (body sites, dosages, results, causes) of all its mentions.  MACCROBAT's own ``*``
  lines are ``OVERLAP`` (temporal), not coreference, and are ignored.
- Assertion: POLARITY NEG -> ``absent``; POLARITY UNCERTAIN / MAYBE_NEG / MAYBE_POS, or any
  Modality attribute -> ``uncertain``; otherwise ``present``.  TREND attributes are ignored.
- ``patient.age``: the first ``Age`` entity, parsed as number + unit ("19-year-old", "aged 31
  years", "33 - year old"); an age without a number ("newborn") is left out.
- ``patient.sex``: the first ``Sex`` entity (woman/female/girl -> female, man/male/boy -> male).
  ``age_group`` is never filled: the corpus does not annotate it and the schema gives no cut-offs.
- ``diagnoses``: ``Disease_disorder`` clusters.  Negated -> status ``ruled_out``; uncertain ones
  (differentials, "suggestive of") are skipped; the others get status ``secondary`` as a
  placeholder, because the corpus does not say which diagnosis is principal: the status is
  listed as ``diagnoses.status=ruled_out`` (scored as ruled out or not).  ``details`` is null.
- ``findings``: ``Sign_symptom`` clusters with their assertion; ``body_site`` is the
  ``Biological_structure`` entities that MODIFY a mention, in text order, joined by ", ".
- ``treatments``: asserted ``Medication`` and ``Therapeutic_procedure`` clusters, in text order
  (not necessarily chronological).  Negated (not given, stopped, failed) and uncertain (planned,
  suggested) ones are skipped, and so is a ``Therapeutic_procedure`` that is a SUB_PROCEDURE of a
  kept ``Therapeutic_procedure`` (a surgical step such as "incision" inside "surgery"); a
  medication under a regimen ("carboplatin" under "chemotherapy") is kept.  ``dose`` is the
  ``Dosage`` entities that MODIFY it, joined by "; ".  ``category`` comes from a keyword rule
  (`treatment_category`), not from the annotation.  A SUB_PROCEDURE parent named only by generic
  words ("treatment", "surgery") is dropped instead, its sub-procedures kept ("fresh frozen
  plasma", "prostatectomy").  ``time`` and ``duration`` come from linked Date / Time /
  Duration spans (`abstraction.evaluation.brat_time`), and so do assessment times and the
  timeline (events linked to a date, or ordered by BEFORE / AFTER).
- order: BEFORE / AFTER (and their chains) become the gold's partial order of the treatments
  and the timeline (`GoldRecord.order`); the text order of these lists is not a gold order
  (a case report tells its course out of order), so only the pairs the corpus orders are
  judged.
- ``assessments``: asserted ``Diagnostic_procedure`` clusters; ``result`` is the ``Lab_value``,
  ``Sign_symptom`` and ``Disease_disorder`` mentions that MODIFY it ("biopsy" -> "myocarditis"),
  in text order, joined by "; ".  A negated or uncertain modifier ("no abscess") is left out of
  a result or a body site rather than reworded.
- ``outcome``: an ``Outcome`` mention saying died / death / lethal / fatal / deceased / expired
  -> ``died`` (alive / survived -> ``alive``); the cause of death is the first mention with a
  CAUSE relation to it.  Other outcomes ("resolution") set nothing and are listed in the notes.
- Repeated mentions the annotators did not link are merged: an item with the same name (or
  method) as an earlier item, whose other filled values all equal the earlier item's (compared
  case- and space-insensitively), adds nothing and is dropped ("erlotinib" after "erlotinib",
  daily dosing).  An item that differs ("pain" absent after "pain" present, another dose) stays.
- Evidence: quote, start and end of the mention's span; a discontinuous span (``a b;c d``) is
  replaced by the span covering its fragments (the name keeps brat's text, the fragments joined
  by a space) and the evidence note says so.

`annotated_fields` lists exactly what the importer fills, with sub-field paths for lists:
``diagnoses.name`` means the diagnoses are matched and their names scored; markers
``=value`` and ``?`` are read by `abstraction.evaluation.counts.make_scope`.  See `covers` for
how a path is read.  ``patient.age``, ``patient.sex`` and ``outcome.cause_of_death`` are listed
only in documents where they were found, since the corpus does not annotate them exhaustively
(e.g. sex left to "He"); ``outcome.status.value=died`` is listed in every document (deaths
are annotated; "alive" is not measured).

Not imported: ``History`` and ``Family_history`` spans (mixed content: "medical history", "a year
ago", "stroke"), frequencies, routes (``Administration``), severity.
Mentions about other people (a cited patient) are not filtered: MACCROBAT's ``Subject`` links
are not reliable for that ("donor" modifies this patient's transplant).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from pydantic import BaseModel

from abstraction.core.documents import sha256_text
from abstraction.core.records import GoldRecord
from abstraction.core.schema import (
    AgeFact,
    Assessment,
    CaseReport,
    Diagnosis,
    Evidence,
    Finding,
    OutcomeStatusFact,
    SexFact,
    TextFact,
    TimelineEvent,
    Treatment,
    empty_case_report,
)
from abstraction.core.vocab import (
    outcome_status,
    parse_age,
    parse_sex,
    treatment_item,
)
from abstraction.evaluation.brat_ann import (
    BratDocument,
    Cluster,
    TextBound,
    _build_graph,
    _Graph,
)
from abstraction.evaluation.brat_time import (
    DURATION_TYPES,
    EVENT_TYPES,
    TIME_TYPES,
    linked_span,
    order_pairs,
    precedence,
)

Item = TypeVar("Item", bound=BaseModel)

SOURCE_NOTE = (
    "Annotations: MACCROBAT2020 (Caufield, figshare, doi:10.6084/m9.figshare.9764942.v2, "
    "CC BY 4.0), converted by `abstraction import-brat` (rules: abstraction/evaluation/brat.py)."
)
LIST_SUBFIELDS: dict[str, tuple[str, ...]] = {
    "diagnoses": ("name", "status=ruled_out"),
    "findings": ("name", "assertion", "body_site"),
    "treatments": ("name", "dose", "time?", "duration?"),
    "assessments": ("method", "result", "time?"),
    "timeline": ("event?", "time?"),
}
"""The sub-fields of each list that the importer fills from the annotation (always listed).
``status=ruled_out``: the status is scored as "ruled out or not" (the corpus does not say which
diagnosis is principal); a trailing ``?``: scored where the gold states a value (the corpus does
not link every time), so the figure is a recall."""
GENERIC_TREATMENT_WORDS = frozenset(
    {"treatment", "treatments", "therapy", "therapies", "surgery", "surgical", "operation"}
    | {"procedure", "procedures", "management", "intervention", "treated", "operated", "care"}
)
"""A therapeutic procedure named only by these words ("treatment", "surgical intervention")
says nothing of its own when it has sub-procedures: the sub-procedures are the treatments."""


# ----------------------------------------------------------------------------- parsing
def _modifier_text(graph: _Graph, cluster: Cluster, types: set[str], sep: str) -> str | None:
    """Texts of the asserted mentions of `types` that MODIFY a mention of `cluster`, in text
    order; a negated or uncertain one ("showed no abscess") is not a result or a site."""
    mentions = [m for t in cluster.members for m in graph.modifiers.get(t.id, [])]
    found = {m.id: m for m in mentions if m.type in types and graph.assertions[m.id] == "present"}
    texts: list[str] = []
    for m in sorted(found.values(), key=lambda t: (t.start, t.end)):
        if _norm(m.text) not in {_norm(x) for x in texts}:
            texts.append(m.text)
    return sep.join(texts) or None


# ----------------------------------------------------------------------------- conversion


@dataclass(frozen=True)
class Conversion:
    """One converted document: the gold, what was left out and why, and what to look at."""

    gold: GoldRecord
    skipped: dict[str, int]
    warnings: tuple[str, ...]


@dataclass
class _Log:
    skipped: Counter[str] = field(default_factory=Counter)
    warnings: list[str] = field(default_factory=list)


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


def _evidence(graph: _Graph, tb: TextBound, log: _Log) -> Evidence:
    note = f"brat {tb.id}"
    if tb.discontinuous:
        frags = ";".join(f"{a}-{b}" for a, b in tb.fragments)
        note += f"; discontinuous span {frags}: the quote covers the fragments and the gap"
        log.warnings.append(f"{tb.id} ({tb.type}) is discontinuous: covering span used")
    return Evidence(quote=graph.text[tb.start : tb.end], start=tb.start, end=tb.end, note=note)


def _values(item: BaseModel) -> dict[str, object]:
    return {
        k: _norm(v) if isinstance(v, str) else v
        for k, v in item.model_dump(exclude={"evidence"}).items()
    }


def _adds_nothing(later: dict[str, object], earlier: dict[str, object], key: str) -> bool:
    """Same name, and every other filled value equals the earlier one."""
    if later[key] != earlier[key]:
        return False
    return all(v is None or v == earlier[k] for k, v in later.items())


def _dedupe(items: Sequence[Item], log: _Log, label: str, *, key: str = "name") -> list[Item]:
    """Drop an item that adds nothing to an earlier one with the same `key` (a re-mention)."""
    kept: list[Item] = []
    kept_values: list[dict[str, object]] = []
    for item in items:
        values = _values(item)
        if any(_adds_nothing(values, earlier, key) for earlier in kept_values):
            log.skipped[f"{label}: repeated mention"] += 1
            continue
        kept.append(item)
        kept_values.append(values)
    return kept


def _of_type(graph: _Graph, log: _Log, label: str, *types: str) -> list[Cluster]:
    """The clusters headed by `types`, in text order; coreferent mentions are counted."""
    chosen = [c for c in graph.clusters if c.head.type in types]
    merged = sum(len(c.members) - 1 for c in chosen)
    if merged:
        log.skipped[f"{label}: coreferent mention"] += merged
    return chosen


def _diagnoses(graph: _Graph, log: _Log) -> list[Diagnosis]:
    items = []
    for c in _of_type(graph, log, "diagnoses", "Disease_disorder"):
        if c.assertion == "uncertain":
            log.skipped["diagnoses: uncertain (differential or suspected)"] += 1
            continue
        status = "ruled_out" if c.assertion == "absent" else "secondary"
        ev = _evidence(graph, c.head, log)
        items.append(Diagnosis(name=c.head.text, status=status, details=None, evidence=ev))
    return _dedupe(items, log, "diagnoses")


def _findings(graph: _Graph, log: _Log) -> list[Finding]:
    items = []
    for c in _of_type(graph, log, "findings", "Sign_symptom"):
        site = _modifier_text(graph, c, {"Biological_structure"}, ", ")
        ev = _evidence(graph, c.head, log)
        items.append(Finding(name=c.head.text, assertion=c.assertion, body_site=site, evidence=ev))
    return _dedupe(items, log, "findings")


def _generic(name: str) -> bool:
    words = re.findall(r"[a-z]+", name.lower())
    return bool(words) and all(w in GENERIC_TREATMENT_WORDS for w in words)


def _sub_steps(graph: _Graph, kept: set[str]) -> tuple[set[str], set[str]]:
    """SUB_PROCEDURE links between kept treatments: (steps to drop, generic parents to drop).

    Under a generic parent ("treatment", "surgery") the sub-procedures are the treatments (fresh
    frozen plasma, a transfusion, a prostatectomy) and the parent is dropped.  Under a specific
    procedure, a therapeutic procedure is a surgical step ("incision" in "exposure") and is
    dropped; a medication is kept ("carboplatin" under "chemotherapy").
    """
    steps: set[str] = set()
    parents: set[str] = set()
    for type_, child, parent in graph.relations:
        c, p = graph.cluster_of.get(child), graph.cluster_of.get(parent)
        if type_ != "SUB_PROCEDURE" or not c or not p or c is p:
            continue
        if p.head.id not in kept or c.head.id not in kept:
            continue
        if _generic(p.head.text):
            parents.add(p.head.id)
        elif c.head.type == p.head.type == "Therapeutic_procedure":
            steps.add(c.head.id)
    return steps - parents, parents


def _when(graph: _Graph, cluster: Cluster, types: frozenset[str]) -> str | None:
    span = linked_span((t.id for t in cluster.members), graph.links, graph.entities, types)
    return span.text if span is not None else None


def _treatments(graph: _Graph, log: _Log) -> tuple[list[Treatment], list[str]]:
    """The treatments, and the cluster head of each (for their gold order)."""
    candidates = []
    for c in _of_type(graph, log, "treatments", "Medication", "Therapeutic_procedure"):
        if c.assertion != "present":
            log.skipped[f"treatments: {c.assertion} (not given, stopped or planned)"] += 1
        else:
            candidates.append(c)
    steps, generic = _sub_steps(graph, {c.head.id for c in candidates})
    items = []
    heads: dict[int, str] = {}
    for c in candidates:
        if c.head.id in steps:
            log.skipped["treatments: step of a therapeutic procedure"] += 1
            continue
        if c.head.id in generic:
            log.skipped["treatments: generic parent of named sub-procedures"] += 1
            continue
        dose = _modifier_text(graph, c, {"Dosage"}, "; ")
        item = treatment_item(c.head.text, dose, _evidence(graph, c.head, log))
        item.time = _when(graph, c, TIME_TYPES)
        item.duration = _when(graph, c, DURATION_TYPES)
        items.append(item)
        heads[id(item)] = c.head.id
    kept = _dedupe(items, log, "treatments")
    return kept, [heads[id(item)] for item in kept]


def _assessments(graph: _Graph, log: _Log) -> list[Assessment]:
    result_types = {"Lab_value", "Sign_symptom", "Disease_disorder"}
    items = []
    for c in _of_type(graph, log, "assessments", "Diagnostic_procedure"):
        if c.assertion != "present":
            log.skipped[f"assessments: {c.assertion} (not done or planned)"] += 1
            continue
        result = _modifier_text(graph, c, result_types, "; ")
        ev = _evidence(graph, c.head, log)
        time = _when(graph, c, TIME_TYPES)
        items.append(Assessment(method=c.head.text, result=result, time=time, evidence=ev))
    return _dedupe(items, log, "assessments", key="method")


def _precedence(graph: _Graph) -> set[tuple[str, str]]:
    """Mentions (u, v), u annotated before v (BEFORE / AFTER and their chains).

    Mentions are not merged into their coreference clusters here: a later mention can stand for
    a later state of the same thing ("her disease" responding, coreferent with the NSCLC
    diagnosed first), and merging it would order the first mention after what followed it
    (20146086: erlotinib before the NSCLC, and so before the carboplatin given first).  An item
    is ordered by the links of its head mention (and chains through any mention)."""
    return precedence(graph.relations, lambda mention: mention)


def _timeline(
    graph: _Graph, log: _Log, before: set[tuple[str, str]]
) -> tuple[list[TimelineEvent], list[str]]:
    """Asserted events linked to a Date or Time, or ordered against another asserted event,
    named by their cluster head, in text order; and the head of each (for their gold order)."""
    events = {
        c.head.id for c in graph.clusters if c.head.type in EVENT_TYPES and c.assertion == "present"
    }
    ordered = {x for u, v in before if u in events and v in events for x in (u, v)}
    items: list[TimelineEvent] = []
    heads: list[str] = []
    for c in graph.clusters:
        if c.head.id not in events:
            continue
        time = _when(graph, c, TIME_TYPES)
        if time is None and c.head.id not in ordered:
            continue
        ev = _evidence(graph, c.head, log)
        items.append(TimelineEvent(event=c.head.text, time=time, evidence=ev))
        heads.append(c.head.id)
    return items, heads


def _age(graph: _Graph, log: _Log) -> AgeFact | None:
    ages = [c.head for c in _of_type(graph, log, "patient.age", "Age")]
    if not ages:
        return None
    if len({parse_age(tb.text) for tb in ages}) > 1:
        log.warnings.append("several different Age mentions: the first is used")
    parsed = parse_age(ages[0].text)
    if parsed is None:
        log.warnings.append(f"{ages[0].id} age {ages[0].text!r} has no number: left out")
        return None
    value, unit = parsed
    return AgeFact(value=value, unit=unit, evidence=_evidence(graph, ages[0], log))


def _sex(graph: _Graph, log: _Log) -> SexFact | None:
    sexes = [c.head for c in _of_type(graph, log, "patient.sex", "Sex")]
    if not sexes:
        return None
    value = parse_sex(sexes[0].text)
    if value is None:
        log.warnings.append(f"{sexes[0].id} sex {sexes[0].text!r} not understood: left out")
        return None
    return SexFact(value=value, evidence=_evidence(graph, sexes[0], log))


def _outcome(graph: _Graph, log: _Log) -> tuple[OutcomeStatusFact | None, TextFact | None]:
    """Died wins over alive (nobody is alive after dying); the first such mention is evidence."""
    stated = [(c, outcome_status(c.head.text)) for c in _of_type(graph, log, "outcome", "Outcome")]
    for c, s in stated:
        if s is None:
            log.warnings.append(f"{c.head.id} outcome {c.head.text!r} states no status: not used")
    for wanted in ("died", "alive"):
        chosen = [c for c, s in stated if s == wanted]
        if chosen:
            status = OutcomeStatusFact(value=wanted, evidence=_evidence(graph, chosen[0].head, log))
            return status, _cause_of_death(graph, chosen, log) if wanted == "died" else None
    return None, None


def _cause_of_death(graph: _Graph, outcomes: list[Cluster], log: _Log) -> TextFact | None:
    ids = {t.id for c in outcomes for t in c.members}
    causes = [graph.entities[a] for t, a, b in graph.relations if t == "CAUSE" and b in ids]
    if not causes:
        return None
    first = min(causes, key=lambda t: (t.start, t.end))
    return TextFact(value=first.text, evidence=_evidence(graph, first, log))


def convert_document(doc: BratDocument, *, annotator: str) -> Conversion:
    """Turn one brat document into a partial `GoldRecord` (see the module docstring)."""
    graph = _build_graph(doc)
    log = _Log()
    record = empty_case_report()
    record.patient.age, record.patient.sex = _age(graph, log), _sex(graph, log)
    record.diagnoses = _diagnoses(graph, log)
    record.findings = _findings(graph, log)
    before = _precedence(graph)
    record.treatments, treatment_heads = _treatments(graph, log)
    record.assessments = _assessments(graph, log)
    record.outcome.status, record.outcome.cause_of_death = _outcome(graph, log)
    record.timeline, timeline_heads = _timeline(graph, log, before)
    order = {
        "treatments": order_pairs(treatment_heads, before),
        "timeline": order_pairs(timeline_heads, before),
    }
    gold = GoldRecord(
        document_id=doc.id,
        document_sha256=sha256_text(doc.text),
        annotator=annotator,
        annotated_fields=annotated_fields(record),
        notes=_notes(log),
        record=CaseReport.model_validate(record.model_dump()),
        order=order,
    )
    return Conversion(gold=gold, skipped=dict(log.skipped), warnings=tuple(log.warnings))


def annotated_fields(record: CaseReport) -> list[str]:
    """The paths the importer filled: list sub-fields always, the scalars where found."""
    patient = {"patient.age": record.patient.age, "patient.sex": record.patient.sex}
    lists = [f"{name}.{sub}" for name, subs in LIST_SUBFIELDS.items() for sub in subs]
    # Deaths are annotated (an Outcome mention), so "died" is scored in every document: a
    # predicted death where none is annotated is a hallucination.  "alive" is not measured.
    outcome = ["outcome.status.value=died"]
    if record.outcome.cause_of_death is not None:
        outcome.append("outcome.cause_of_death")
    return [path for path, value in patient.items() if value is not None] + lists + outcome


def _notes(log: _Log) -> str:
    lines = [
        SOURCE_NOTE,
        "Not annotated: principal vs secondary diagnosis (placeholder 'secondary'; scored as "
        "ruled out or not) and details, treatment category (keyword guess), alive (only deaths "
        "are scored).  Lists are in text order; their gold order is `order` (BEFORE / AFTER "
        "pairs only).",
    ]
    if log.warnings:
        lines.append("Warnings: " + " | ".join(log.warnings))
    return "\n".join(lines)


def covers(annotated: Sequence[str] | None, path: str) -> bool:
    """Whether a gold with these `annotated_fields` scores the field at `path`.

    Paths name fields without list indices (``findings.assertion``, not ``findings[0]...``).
    None covers everything.  A path is covered when it or an ancestor is listed (``patient``
    covers ``patient.age``), or when a descendant is: ``findings.name`` makes ``findings``
    covered, so its items are matched and counted, while ``findings.body_site`` is scored only
    if listed too.
    """
    if annotated is None:
        return True
    annotated = [a.split("=", 1)[0].removesuffix("?") for a in annotated]
    return any(a == path or path.startswith(a + ".") or a.startswith(path + ".") for a in annotated)


# ----------------------------------------------------------------------------- statistics


@dataclass(frozen=True)
class ImportStats:
    documents: int
    facts: dict[str, int]
    documents_with: dict[str, int]
    skipped: dict[str, int]
    warnings: int


def import_stats(conversions: Sequence[Conversion]) -> ImportStats:
    """Counts over converted documents: facts per field, and what was left out."""
    facts: Counter[str] = Counter()
    with_field: Counter[str] = Counter()
    skipped: Counter[str] = Counter()
    for conv in conversions:
        skipped.update(conv.skipped)
        counts = fact_counts(conv.gold.record)
        for path, pairs in (conv.gold.order or {}).items():
            counts[f"{path} (ordered pairs)"] = len(pairs)
        for path, count in counts.items():
            facts[path] += count
            with_field[path] += count > 0
    return ImportStats(
        documents=len(conversions),
        facts=dict(facts),
        documents_with=dict(with_field),
        skipped=dict(sorted(skipped.items())),
        warnings=sum(len(c.warnings) for c in conversions),
    )


def fact_counts(record: CaseReport) -> dict[str, int]:
    """Facts per annotated field path, with the filled optional sub-fields counted apart."""
    return {
        "patient.age": int(record.patient.age is not None),
        "patient.sex": int(record.patient.sex is not None),
        "diagnoses": len(record.diagnoses),
        "diagnoses (ruled_out)": sum(d.status == "ruled_out" for d in record.diagnoses),
        "findings": len(record.findings),
        "findings (absent)": sum(f.assertion == "absent" for f in record.findings),
        "findings (uncertain)": sum(f.assertion == "uncertain" for f in record.findings),
        "findings.body_site": sum(f.body_site is not None for f in record.findings),
        "treatments": len(record.treatments),
        "treatments.dose": sum(t.dose is not None for t in record.treatments),
        "assessments": len(record.assessments),
        "assessments.result": sum(a.result is not None for a in record.assessments),
        "treatments.time": sum(t.time is not None for t in record.treatments),
        "treatments.duration": sum(t.duration is not None for t in record.treatments),
        "assessments.time": sum(a.time is not None for a in record.assessments),
        "timeline": len(record.timeline),
        "timeline (with a time)": sum(t.time is not None for t in record.timeline),
        "outcome.status": int(record.outcome.status is not None),
        "outcome.cause_of_death": int(record.outcome.cause_of_death is not None),
    }
