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
- ``outcome_from_text``: when no outcome was extracted, a case-text sentence saying the
  patient died, and of what ("she eventually died of severe pneumonia").
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
from typing import Any, get_args

from pydantic import BaseModel

from abstraction.core.prompts import RULE_NAMES
from abstraction.core.records import DroppedFact
from abstraction.core.schema import (
    CaseReport,
    Evidence,
    OutcomeStatusFact,
    SexFact,
    TextFact,
    TreatmentCategory,
)


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


_PROSE_MIN_CHARS = 150  # as grounding's prose_spans: a paragraph, not a title or byline
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]?")
_SHE = re.compile(r"\b(she|her|hers|herself|woman|female|girl|lady)\b", re.IGNORECASE)
_HE = re.compile(r"\b(he|his|him|himself|man|male|boy|gentleman)\b", re.IGNORECASE)
_DIED = re.compile(
    r"\b(?:the patient|she|he)\b[^.;]{0,40}?\b(died|passed away|succumbed|expired)\b"
    r"(?:\s+(?:of|from|due to|because of)\s+(?P<cause>[^.,;]{3,60}?))?"
    r"(?=\s+(?:on|at|in|after|within|\d)\b|[.,;]|$)",
    re.IGNORECASE,
)


def _prose_sentences(text: str) -> list[tuple[int, str]]:
    """(offset, sentence) for the sentences of the text's paragraphs (long lines)."""
    out: list[tuple[int, str]] = []
    pos = 0
    for line in text.splitlines(keepends=True):
        if len(line.strip()) >= _PROSE_MIN_CHARS:
            out += [(pos + m.start(), m.group()) for m in _SENTENCE.finditer(line)]
        pos += len(line)
    return out


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
    "sex_from_text": sex_from_text,
    "outcome_from_text": outcome_from_text,
}
"""Rules that read the document text as well as the record."""

RULES: dict[str, Rule] = {
    "null_words": null_words,
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
