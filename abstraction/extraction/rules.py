"""Fixed rules that a prompt can ask to run on its merged record, before grounding.

A small model is good at copying what the text says and poor at classifying it: it lists an
organ as a finding, a biopsy as a treatment, a transplant as a diagnosis, and picks categories
at random.  These rules settle such things from vocabularies (`abstraction/data/rules.toml`,
written from clinical knowledge), not from the model.  A prompt names the rules it wants in
``settings.rules``; the default for a prompt file is none, so older versions are unchanged.

Each rule changes the record in place and returns what it took out, as `DroppedFact`s with a
note: nothing the model said is lost, it moves to the extraction's ``dropped`` list.

- ``category_vocabulary``: a treatment's category from its name, when the vocabulary knows it.
- ``tests_not_treatments``: a "treatment" that is a test (biopsy, scan...) leaves the treatments.
- ``findings_not_sites``: a "finding" that is only a body part ("kidney") leaves the findings.
- ``diagnoses_not_treatments``: a "diagnosis" that names a treatment (a transplant) leaves.
- ``null_words``: an optional attribute written as a word for nothing ("none", "N/A", "not
  stated") is null, as the schema says "not reported" is.
- ``sex_from_text``: when no sex was extracted, the words the case text uses for a person
  (she/her/woman... or he/his/man...), if at least three and all of one sex.
- ``age_from_text``: when no age was extracted, the first age the case text states
  ("a 45-year-old woman"), with its sentence.
- ``outcome_from_text``: when no outcome was extracted, a case-text sentence saying the
  patient died, and of what ("she eventually died of severe pneumonia").
- ``quote_from_value``: a fact whose quote is not in the text but whose value is, word for
  word, gets its value as its quote (metadata is the usual case: the model writes "null").
- ``transplant_attributes``: a stem-cell transplant's donor type and graft source from the
  words of its name and quote (and the spelled-out form of an abbreviation): set when stated,
  null when not, whatever the model said.
- ``timeline_from_record``: the timeline is the record's treatments, disease events and death
  in the order their quotes come in the text (the model's own timeline goes to ``dropped``).
- ``findings_not_events``: a "finding" named as a relapse, remission or progression leaves the
  findings (a disease event, with its own section).
- ``cause_of_death_diagnosis``: the cause of death is also a secondary diagnosis.
- ``one_principal``: exactly one principal diagnosis: the first one the model marked (the
  prompts that use this rule ask for the main disease first), others become secondary; when
  none is marked, the first diagnosis that is not ruled out.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from functools import lru_cache
from importlib import resources
from typing import Any, Literal, get_args

from pydantic import BaseModel

from abstraction.core.prompts import RULE_NAMES
from abstraction.core.records import DroppedFact
from abstraction.core.schema import (
    AgeFact,
    CaseReport,
    Diagnosis,
    Evidence,
    OutcomeStatusFact,
    SexFact,
    TextFact,
    TimelineEvent,
    TreatmentCategory,
)
from abstraction.core.vocab import first_age_statement, parse_age
from abstraction.grounding.boilerplate import header_span


@lru_cache(maxsize=1)
def _vocab() -> dict[str, Any]:
    raw = resources.files("abstraction").joinpath("data/rules.toml").read_text("utf-8")
    return tomllib.loads(raw)


@lru_cache(maxsize=1)
def _categories() -> tuple[tuple[TreatmentCategory, re.Pattern[str]], ...]:
    return tuple(
        (row["category"], re.compile(row["pattern"], re.IGNORECASE))
        for row in _vocab()["treatment_categories"]
    )


def vocabulary_category(name: str) -> TreatmentCategory | None:
    """The category the vocabulary gives a treatment name, or None when no pattern matches."""
    for category, pattern in _categories():
        if pattern.search(name):
            return category
    return None


@lru_cache(maxsize=1)
def _test_pattern() -> re.Pattern[str]:
    return re.compile(_vocab()["tests"]["pattern"], re.IGNORECASE)


@lru_cache(maxsize=1)
def _disease_pattern() -> re.Pattern[str]:
    return re.compile(_vocab()["diagnosis_words"]["pattern"], re.IGNORECASE)


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


@lru_cache(maxsize=1)
def _sites() -> tuple[frozenset[str], frozenset[str]]:
    sites = _vocab()["sites"]
    return frozenset(" ".join(_words(w)) for w in sites["words"]), frozenset(sites["qualifiers"])


def is_bare_site(name: str) -> bool:
    """True when `name` is only a body part, perhaps with "multiple", "left"... before it."""
    sites, qualifiers = _sites()
    words = _words(name)
    while words and words[0] in qualifiers:
        words = words[1:]
    return bool(words) and " ".join(words) in sites


def is_test(name: str) -> bool:
    return bool(_test_pattern().search(name.strip()))


def _drop(path: str, fact: Any, note: str) -> DroppedFact:
    return DroppedFact(path=path, fact=fact.model_dump(mode="json"), note=note)


def category_vocabulary(record: CaseReport) -> list[DroppedFact]:
    for t in record.treatments:
        category = vocabulary_category(t.name)
        if category is not None:
            t.category = category
    return []


def tests_not_treatments(record: CaseReport) -> list[DroppedFact]:
    out, kept = [], []
    for i, t in enumerate(record.treatments):
        if is_test(t.name):
            out.append(_drop(f"treatments[{i}]", t, "a test, not a treatment (rule)"))
        else:
            kept.append(t)
    record.treatments = kept
    return out


def findings_not_sites(record: CaseReport) -> list[DroppedFact]:
    out, kept = [], []
    for i, f in enumerate(record.findings):
        if is_bare_site(f.name):
            out.append(_drop(f"findings[{i}]", f, "a body site, not a finding (rule)"))
        else:
            kept.append(f)
    record.findings = kept
    return out


def diagnoses_not_treatments(record: CaseReport) -> list[DroppedFact]:
    out, kept = [], []
    for i, d in enumerate(record.diagnoses):
        category = vocabulary_category(d.name)
        names_treatment = category in ("stem_cell_transplant", "cellular_therapy", "chemotherapy")
        if names_treatment and not _disease_pattern().search(d.name):
            out.append(_drop(f"diagnoses[{i}]", d, "names a treatment, not a diagnosis (rule)"))
        else:
            kept.append(d)
    record.diagnoses = kept
    return out


_NULL_WORDS = frozenset(
    {
        "",
        "-",
        "none",
        "null",
        "nil",
        "n/a",
        "na",
        "not stated",
        "not reported",
        "not mentioned",
        "not specified",
        "unknown",
        "not available",
        "not applicable",
    }
)


def _is_null_word(value: str) -> bool:
    return value.strip().strip(".").lower() in _NULL_WORDS


def _clear_null_words(model: BaseModel) -> None:
    for name, info in type(model).model_fields.items():
        value = getattr(model, name)
        if isinstance(value, Evidence):
            continue
        if isinstance(value, BaseModel):
            _clear_null_words(value)
        elif isinstance(value, str) and _is_null_word(value) and _optional(info.annotation):
            setattr(model, name, None)
        elif isinstance(value, list):
            if value and all(isinstance(v, str) for v in value):
                setattr(model, name, [v for v in value if not _is_null_word(v)])
            for item in value:
                if isinstance(item, BaseModel):
                    _clear_null_words(item)


def _optional(annotation: Any) -> bool:
    return type(None) in get_args(annotation)


def null_words(record: CaseReport) -> list[DroppedFact]:
    _clear_null_words(record)
    return []


_SENTENCE = re.compile(r"[^.!?\n]+[.!?]?")
_SHE = re.compile(r"\b(she|her|hers|herself|woman|female|girl|lady)\b", re.IGNORECASE)
_HE = re.compile(r"\b(he|his|him|himself|man|male|boy|gentleman)\b", re.IGNORECASE)
_DIED = re.compile(
    r"\b(?:patient|she|he)\b[^.;]{0,120}?\b(died|passed away|succumbed|expired)\b"
    r"(?:\s+(?:of|from|due to|because of)\s+(?P<cause>[^.,;]{3,60}?))?"
    r"(?=\s+(?:on|at|in|after|within|\d)\b|[.,;]|$)",
    re.IGNORECASE,
)


def _prose_sentences(text: str) -> list[tuple[int, str]]:
    """(offset, sentence) for the sentences of the case text: after the article's front matter
    (title, journal line, authors: grounding's `header_span`), whatever the line lengths (a
    corpus may put one sentence per line)."""
    header = header_span(text)
    start = header.end if header is not None else 0
    return [(start + m.start(), m.group()) for m in _SENTENCE.finditer(text[start:])]


def sex_from_text(record: CaseReport, text: str) -> list[DroppedFact]:
    """When no sex was extracted: the words the case text uses for a person, if they all (at
    least three, none of the other sex) name one sex.  The evidence is the first sentence with
    such a word.  A text with words of both sexes (a child and a parent) stays null."""
    if record.patient.sex is not None:
        return []
    sentences = _prose_sentences(text)
    she = sum(len(_SHE.findall(s)) for _, s in sentences)
    he = sum(len(_HE.findall(s)) for _, s in sentences)
    if (she >= 3 and he == 0) or (he >= 3 and she == 0):
        cue = _SHE if she else _HE
        quote = next(s.strip() for _, s in sentences if cue.search(s))
        value = "female" if she else "male"
        record.patient.sex = SexFact(value=value, evidence=Evidence(quote=quote))
    return []


def age_from_text(record: CaseReport, text: str) -> list[DroppedFact]:
    """When no age was extracted: the first age the case text states ("a 45-year-old woman",
    "aged 45"; not a duration), with its sentence as the evidence."""
    if record.patient.age is not None:
        return []
    for _, sentence in _prose_sentences(text):
        phrase = first_age_statement(sentence)
        parsed = parse_age(phrase) if phrase else None
        if parsed is not None:
            value, unit = parsed
            evidence = Evidence(quote=sentence.strip())
            record.patient.age = AgeFact(value=value, unit=unit, evidence=evidence)
            break
    return []


def outcome_from_text(record: CaseReport, text: str) -> list[DroppedFact]:
    """When no outcome status (or cause of death) was extracted: a sentence of the case text
    saying the patient (or she/he) died, and what of ("died of severe pneumonia")."""
    for _, sentence in _prose_sentences(text):
        m = _DIED.search(sentence)
        if m is None:
            continue
        evidence = Evidence(quote=sentence.strip())
        if record.outcome.status is None:
            record.outcome.status = OutcomeStatusFact(value="died", evidence=evidence)
        cause = (m.group("cause") or "").strip()
        if record.outcome.cause_of_death is None and cause:
            record.outcome.cause_of_death = TextFact(value=cause, evidence=evidence)
        break
    return []


def _squash(text: str) -> str:
    return " ".join(text.lower().split())


_KEYS = {
    "TextFact": "value",
    "YearFact": "value",
    "Diagnosis": "name",
    "Finding": "name",
    "Treatment": "name",
    "Assessment": "method",
    "TimelineEvent": "event",
}


def _facts(model: BaseModel) -> list[BaseModel]:
    out: list[BaseModel] = []
    for name in type(model).model_fields:
        value = getattr(model, name)
        items = value if isinstance(value, list) else [value]
        for item in items:
            if isinstance(item, BaseModel) and not isinstance(item, Evidence):
                if "evidence" in type(item).model_fields:
                    out.append(item)
                out += _facts(item)
    return out


def quote_from_value(record: CaseReport, text: str) -> list[DroppedFact]:
    """A fact whose quote is not in the text (a small model writes "null", or paraphrases)
    but whose own value is, word for word: the value's words become the quote.  The quote
    then states the value by construction; grounding still locates and checks it."""
    haystack = _squash(text)
    for fact in _facts(record):
        key = _KEYS.get(type(fact).__name__)
        evidence = getattr(fact, "evidence", None)
        if key is None or not isinstance(evidence, Evidence):
            continue
        value = str(getattr(fact, key))
        quote = _squash(evidence.quote)
        missing = not quote or quote not in haystack
        if missing and len(value.strip()) >= 2 and _squash(value) in haystack:
            evidence.quote = value
    return []


DonorType = Literal["autologous", "related", "unrelated", "haploidentical", "syngeneic"]
GraftSource = Literal["bone_marrow", "peripheral_blood", "cord_blood"]

_DONOR: tuple[tuple[DonorType, re.Pattern[str]], ...] = (
    ("haploidentical", re.compile(r"\bhaplo", re.I)),
    ("unrelated", re.compile(r"\bunrelated\b|\bMUD\b|\bURD\b|\bUCB", re.I)),
    ("autologous", re.compile(r"\bautologous\b|\bauto-?(?:SCT|HSCT|PBSCT)\b|\bASCT\b", re.I)),
    ("syngeneic", re.compile(r"\bsyngeneic\b|\bidentical twin\b", re.I)),
    ("related", re.compile(r"(?<!un)\brelated\b|\bsibling\b|\bbrother\b|\bsister\b", re.I)),
)
_GRAFT: tuple[tuple[GraftSource, re.Pattern[str]], ...] = (
    ("cord_blood", re.compile(r"\bcord[- ]blood\b|\bUCB", re.I)),
    ("bone_marrow", re.compile(r"\bbone marrow transplant|\bmarrow graft|\bBMT\b", re.I)),
    ("peripheral_blood", re.compile(r"\bperipheral blood\b|\bPBSC", re.I)),
)


def _spelled_out(name: str, text: str) -> str:
    """The words before "(NAME)" in the text, when `name` is an abbreviation defined there."""
    if not re.fullmatch(r"[A-Za-z-]{2,10}", name.strip()):
        return ""
    m = re.search(r"([^()\n]{0,80})\(\s*" + re.escape(name.strip()) + r"\s*\)", text)
    return m.group(1) if m else ""


def transplant_attributes(record: CaseReport, text: str) -> list[DroppedFact]:
    """A stem-cell transplant's donor type and graft source from the words of its name, its
    quote and, for an abbreviation, the words the text spells it out with ("unrelated cord
    blood transplantation (UCBT)"): set when those words state them, cleared to null when the
    model gave one they do not state."""
    for t in record.treatments:
        if t.category != "stem_cell_transplant":
            continue
        words = " ".join((t.name, t.evidence.quote, _spelled_out(t.name, text)))
        t.donor_type = next((v for v, p in _DONOR if p.search(words)), None)
        t.graft_source = next((v for v, p in _GRAFT if p.search(words)), None)
    return []


def _position(quote: str, text: str) -> int | None:
    at = _squash(text).find(_squash(quote)) if quote.strip() else -1
    return at if at >= 0 else None


_EVENT_CUES = {
    "relapse": re.compile(r"\b(relapse[sd]?|recurrence|recurred)\b", re.IGNORECASE),
    "remission": re.compile(r"\bremission\b", re.IGNORECASE),
    "progression": re.compile(r"\b(progression|progressed|progressive disease)\b", re.IGNORECASE),
    "stable_disease": re.compile(r"\bstable disease\b", re.IGNORECASE),
}

_DEATH_WORDS = re.compile(
    r"\b(died|death|passed away|succumbed|expired)\b(?:\s+(?:of|from|due to)\s+[^.,;]{3,60})?",
    re.IGNORECASE,
)


def timeline_from_record(record: CaseReport, text: str) -> list[DroppedFact]:
    """The timeline as the record's own course: each treatment, disease event and the death,
    each named in the words of its quote ("relapsed", "died of severe pneumonia"), in the
    order their quotes come in the text (a case report tells its course in order), each
    with its time as extracted.  The model's timeline (a second, unanchored account of the
    same events) goes to ``dropped``.  Items whose quote is not in the text are left out."""
    items: list[tuple[int, TimelineEvent]] = []
    for t in record.treatments:
        at = _position(t.evidence.quote, text)
        if at is not None:
            evidence = t.evidence.model_copy()
            items.append((at, TimelineEvent(event=t.name, time=t.time, evidence=evidence)))
    for e in record.disease_events:
        at = _position(e.evidence.quote, text)
        said = _EVENT_CUES[e.event].search(e.evidence.quote)
        if at is not None and said is not None:  # the event in the quote's own word
            name = f"{e.type} {said.group()}" if e.type else said.group()
            evidence = e.evidence.model_copy()
            items.append((at, TimelineEvent(event=name, time=e.time, evidence=evidence)))
    death = record.outcome.status
    if death is not None and death.value == "died":
        at = _position(death.evidence.quote, text)
        words = _DEATH_WORDS.search(death.evidence.quote)
        if at is not None and words is not None:  # the event in the quote's own words
            evidence = death.evidence.model_copy()
            name = words.group().strip()
            items.append((at, TimelineEvent(event=name, time=None, evidence=evidence)))
    dropped = [
        _drop(f"timeline[{i}]", ev, "replaced by the record's own course (rule)")
        for i, ev in enumerate(record.timeline)
    ]
    record.timeline = [ev for _, ev in sorted(items, key=lambda pair: pair[0])]
    return dropped


_EVENT_WORDS = re.compile(
    r"\b(relapse[sd]?|recurrence|remission|progression|progressive disease|stable disease)\b",
    re.IGNORECASE,
)


def findings_not_events(record: CaseReport) -> list[DroppedFact]:
    """A "finding" named as a relapse, remission or progression is a disease event (its own
    section), not a sign or symptom."""
    out, kept = [], []
    for i, f in enumerate(record.findings):
        if _EVENT_WORDS.search(f.name):
            out.append(_drop(f"findings[{i}]", f, "a disease event, not a finding (rule)"))
        else:
            kept.append(f)
    record.findings = kept
    return out


def cause_of_death_diagnosis(record: CaseReport) -> list[DroppedFact]:
    """What the patient died of is a condition the patient had: a secondary diagnosis, with
    the cause's own quote, unless a diagnosis already names it (same words)."""
    cause = record.outcome.cause_of_death
    if cause is None or len(cause.value.strip()) < 2:
        return []
    if any(_squash(d.name) == _squash(cause.value) for d in record.diagnoses):
        return []
    record.diagnoses.append(
        Diagnosis(
            name=cause.value,
            status="secondary",
            details=None,
            evidence=cause.evidence.model_copy(),
        )
    )
    return []


def one_principal(record: CaseReport) -> list[DroppedFact]:
    principal = next((d for d in record.diagnoses if d.status == "principal"), None)
    if principal is None:
        principal = next((d for d in record.diagnoses if d.status != "ruled_out"), None)
        if principal is not None:
            principal.status = "principal"
    for d in record.diagnoses:
        if d.status == "principal" and d is not principal:
            d.status = "secondary"
    return []


Rule = Callable[[CaseReport], list[DroppedFact]]
TextRule = Callable[[CaseReport, str], list[DroppedFact]]

TEXT_RULES: dict[str, TextRule] = {
    "age_from_text": age_from_text,
    "timeline_from_record": timeline_from_record,
    "transplant_attributes": transplant_attributes,
    "quote_from_value": quote_from_value,
    "sex_from_text": sex_from_text,
    "outcome_from_text": outcome_from_text,
}
"""Rules that read the document text as well as the record."""

RULES: dict[str, Rule] = {
    "null_words": null_words,
    "findings_not_events": findings_not_events,
    "cause_of_death_diagnosis": cause_of_death_diagnosis,
    "category_vocabulary": category_vocabulary,
    "tests_not_treatments": tests_not_treatments,
    "findings_not_sites": findings_not_sites,
    "diagnoses_not_treatments": diagnoses_not_treatments,
    "one_principal": one_principal,
}
"""Every rule a prompt may name, in the order they run (tests leave the treatments before the
categories are set, and a transplant leaves the diagnoses before the principal is chosen)."""

ORDER = RULE_NAMES
assert set(ORDER) == set(RULES) | set(TEXT_RULES)


def apply_rules(record: CaseReport, names: tuple[str, ...], text: str = "") -> list[DroppedFact]:
    """Run the named rules on `record` (in place, in `ORDER`) for the document `text`; return
    what they took out."""
    out: list[DroppedFact] = []
    for name in ORDER:
        if name in TEXT_RULES and name in names:
            out += TEXT_RULES[name](record, text)
        elif name in names:
            out += RULES[name](record)
    return out
