"""Rules that turn a stated word or phrase into a schema value: an age mention into number and
unit, a sex word into female/male, an outcome phrase into a status, a treatment name into a
category.  Shared by the brat importer (gold) and by extraction passes that ask the model for
verbatim phrases (`abstraction.extraction.mentions`): a value is derived only from words that
are in the text, and a phrase the rules do not cover gives None (or ``other``), never a guess.
"""

from __future__ import annotations

import re
import tomllib
from functools import cache
from importlib import resources
from typing import Any, Literal

from abstraction.core.schema import Evidence, Treatment, TreatmentCategory

_AGE = re.compile(
    r"(\d+(?:\.\d+)?)\s*-?\s*(?:years?|yrs?|months?|weeks?|days?)"
    r"|(?:aged?)\s+(?:of\s+)?(\d+(?:\.\d+)?)(?:[\s-]*(?:years?|yrs?|months?|weeks?|days?)\b)?",
    re.IGNORECASE,
)  # "aged 18 months" is 18 months, not 18 years: a unit written after the number counts
_AGE_STATEMENT = re.compile(  # an age, not a duration: "71-year-old", "aged 71", "age of 71"
    r"\b(\d+(?:\.\d+)?)[\s-]*(?:years?|yrs?|months?|weeks?|days?)[\s-]*(?:old|of\s+age)\b"
    r"|\baged?\s+(?:of\s+)?(\d+(?:\.\d+)?)(?:[\s-]*(?:years?|yrs?|months?|weeks?|days?)\b)?",
    re.IGNORECASE,
)
_AGE_UNIT = re.compile(r"(year|yr|month|week|day)", re.IGNORECASE)
_UNITS: dict[str, Literal["years", "months", "weeks", "days"]] = {
    "year": "years",
    "yr": "years",
    "month": "months",
    "week": "weeks",
    "day": "days",
}
_FEMALE = frozenset({"woman", "female", "girl", "lady", "women", "females", "she", "her"})
_MALE = frozenset({"man", "male", "boy", "gentleman", "men", "males", "he", "his", "him"})
_DIED = re.compile(
    r"\b(died|dies|death|dead|deceased|lethal|fatal|passed away|expired|demise)\b", re.I
)
_ALIVE = re.compile(r"\b(alive|survived|survives|surviving)\b", re.I)
_CATEGORY_RULES: tuple[tuple[TreatmentCategory, re.Pattern[str]], ...] = (
    ("chemotherapy", re.compile(r"chemo", re.I)),
    ("radiotherapy", re.compile(r"radiothera|radiation|brachythera|irradiat", re.I)),
    ("stem_cell_transplant", re.compile(r"(stem cell|bone marrow|HSC)\w* transpl|HSCT", re.I)),
    (
        "surgery",
        re.compile(
            r"ectomy|otomy|ostomy|plasty|rrhaphy|pexy|surg|resect|excis|repair|replacement"
            r"|transplant|amputat|anastomos|caesar|cesar",
            re.I,
        ),
    ),
)


def parse_age(text: str) -> tuple[float, Literal["years", "months", "weeks", "days"]] | None:
    """Number and unit of an age mention; None when it states no number ("newborn")."""
    match = _AGE.search(text)
    if not match:
        return None
    number = float(match.group(1) or match.group(2))
    unit = _AGE_UNIT.search(match.group(0))
    return number, _UNITS[unit.group(1).lower()] if unit else "years"


def age_statement(text: str, phrase: str) -> str | None:
    """For an age given as a bare number ("71"), the first words of `text` that state an age
    with that number and a unit ("71-year"), else None: the unit is read from the text, never
    assumed."""
    try:
        number = float(phrase.strip())
    except ValueError:
        return None
    for match in _AGE_STATEMENT.finditer(text):
        if float(next(g for g in match.groups() if g)) == number:
            return match.group(0)
    return None


def first_age_statement(text: str) -> str | None:
    """The first words of `text` that state an age ("71-year-old", "aged 71"), else None."""
    match = _AGE_STATEMENT.search(text)
    return match.group(0) if match else None


def parse_sex(text: str) -> Literal["female", "male"] | None:
    word = text.strip().lower()
    return "female" if word in _FEMALE else "male" if word in _MALE else None


def outcome_status(text: str) -> Literal["died", "alive"] | None:
    """Status only when the outcome's own words say it; else None."""
    return "died" if _DIED.search(text) else "alive" if _ALIVE.search(text) else None


def treatment_category(name: str) -> TreatmentCategory:
    """A keyword guess for display only: the corpus does not annotate categories."""
    for category, pattern in _CATEGORY_RULES:
        if pattern.search(name):
            return category
    return "other"


def treatment_item(name: str, dose: str | None, evidence: Evidence) -> Treatment:
    """A treatment known by its name only (an annotation, a listed phrase): the category from
    `treatment_category`, the dose if given, the rest unknown."""
    return Treatment(
        name=name,
        category=treatment_category(name),
        target=None,
        donor_type=None,
        graft_source=None,
        dose=dose,
        duration=None,
        intent=None,
        time=None,
        evidence=evidence,
    )


@cache
def function_words() -> frozenset[str]:
    """English function words ("of", "with", "was"; `data/stopwords.txt`, one list for the
    prompt-leakage check and the rules)."""
    raw = resources.files("abstraction").joinpath("data/stopwords.txt").read_text("utf-8")
    lines = (ln for ln in raw.splitlines() if ln.strip() and not ln.startswith("#"))
    return frozenset(w for ln in lines for w in ln.split())


@cache
def rules_vocabulary() -> dict[str, Any]:
    """The fixed rules' vocabularies (`data/rules.toml`): treatment categories, test names,
    body sites and anatomy, disease words. The extraction rules apply them; the support check
    reads a fact's kind from the same lists."""
    raw = resources.files("abstraction").joinpath("data/rules.toml").read_text("utf-8")
    return tomllib.loads(raw)
