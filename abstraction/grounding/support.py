"""Does a fact's quote state its values?  The support check, after alignment.

A quote found in the text is not yet evidence: the article title quoted for a relapse time, or
"hypertension" quoted for "hypotension", is found but says nothing of the value.  For every fact
the values it gives are looked for in its quote (the aligned source words):

- free text (a diagnosis name, a dose, a body site, a result...): every word of the value, after
  the scorer's normalisation (`abstraction.core.terms`: case, Unicode, punctuation, British /
  American spelling, plural and other inflections), is a word of the quote; or the same after
  synonyms and abbreviations (`synonyms/*.txt`, and those the document defines: "unrelated cord
  blood transplantation (UCBT)"), so "UCBT" states "unrelated cord blood transplantation" and
  "CXR" states "chest X-ray".  A different word is never close enough: "hypertension" does not
  state "hypotension".
- a time or duration: the same, or its time-normalised words ("6th" = "sixth" = "6", units
  singular, "post" = "after", dates in ISO form): "on day 30" states "day 30";
- a fixed-vocabulary value (sex, outcome status, disease event, donor type, graft source, age
  group): one of its cue words (`data/cues.toml`) in the quote; an age group also by an age in
  the quote that falls in the group;
- a year: its four digits.

A value under 2 characters is never stated.  Classifications (category, status, assertion,
intent) are the model's reading of the facts, not words of the text, and are not checked, but
for one: a finding said to be absent is stated only by a quote with a word of negation ("no",
"denied", "without", "negative"...); else its name is not stated (seventh session).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from itertools import pairwise

from pydantic import BaseModel

from abstraction.core.denials import denying_words, listed_findings
from abstraction.core.normalize import (
    _CONNECTORS,
    _FILLER,
    _UNITS,
    _basic,
    _dates,
    _numberish,
    _read_groups,
    _spelling,
    synonym_files,
)
from abstraction.core.schema import (
    AgeGroupFact,
    Assessment,
    Diagnosis,
    DiseaseEvent,
    Finding,
    OutcomeStatusFact,
    SexFact,
    TextFact,
    TimelineEvent,
    Treatment,
    YearFact,
)
from abstraction.core.scoring import Score
from abstraction.core.terms import (
    defined_abbreviations,
    document_abbreviations,
    vocabulary,
    words_of,
)
from abstraction.core.vocab import function_words, rules_vocabulary

MIN_VALUE_CHARS = 2
"""A value (stripped) shorter than this is never stated: "a" is not a finding."""

KEY_FIELDS: dict[type[BaseModel], str] = {
    Diagnosis: "name",
    Finding: "name",
    Treatment: "name",
    Assessment: "method",
    TimelineEvent: "event",
    DiseaseEvent: "event",
    TextFact: "value",
    SexFact: "value",
    OutcomeStatusFact: "value",
    AgeGroupFact: "value",
    YearFact: "value",
}
"""The field that names each kind of fact: if its quote does not state it, nothing is stated."""

ATTRIBUTES: dict[type[BaseModel], tuple[str, ...]] = {
    Diagnosis: ("details",),
    Finding: ("body_site",),
    DiseaseEvent: ("type", "body_sites", "time"),
    Treatment: ("target", "donor_type", "graft_source", "dose", "duration", "time"),
    Assessment: ("result", "time"),
    TimelineEvent: ("time",),
}
"""The other values a fact's quote must state, when not null."""

CUE_TABLES: dict[tuple[type[BaseModel], str], str] = {
    (SexFact, "value"): "sex",
    (OutcomeStatusFact, "value"): "outcome_status",
    (DiseaseEvent, "event"): "disease_event",
    (Treatment, "donor_type"): "donor_type",
    (Treatment, "graft_source"): "graft_source",
    (AgeGroupFact, "value"): "age_group",
}
"""Fixed-vocabulary fields and their table in `data/cues.toml`."""

_LABELS = {
    SexFact: "sex",
    OutcomeStatusFact: "outcome",
    AgeGroupFact: "age group",
    YearFact: "year",
    DiseaseEvent: "event",
}
_STOP = frozenset({"of", "the", "a", "an", "in", "on", "at", "for", "and", "or", "to", "by"})
_CLAUSE = re.compile(r"[;:,.!?]\s|\b(?:and|but|while|whereas|although)\b", re.IGNORECASE)
"""Where a clause ends, for the "alive" cues (`SupportCheck._alive_stated`)."""
_ALIVE_NEGATIONS = frozenset(
    {"not", "never", "no", "nor", "neither", "without", "unable", "failed", "denied"}
)
"""A negation that governs an "alive" cue: only `_NEGATION_GAP` words between them ("was not
discharged", "no longer alive", "never fully recovered", "has still not been able to be
discharged"); not one that negates a word of its own ("with no complications she was
discharged", "she had not relapsed at the last follow-up")."""
_NEGATION_GAP = frozenset(
    {"be", "been", "being", "was", "were", "is", "are", "has", "have", "had", "did", "does"}
    | {"do", "could", "can", "would", "will", "yet", "still", "ever", "able", "to", "longer"}
)
_OTHER_PEOPLE = frozenset(
    {"donor", "donors", "sibling", "siblings", "brother", "brothers", "sister", "sisters"}
    | {"husband", "wife", "partner", "father", "twin", "relatives", "relative", "family"}
    | {"spouse", "parents", "parent", "cousin", "cousins", "uncle", "aunt", "grandmother"}
    | {"grandfather", "grandparents"}
    | {"coworker", "coworkers", "co-worker", "co-workers", "classmate"}
    | {"classmates", "schoolmate", "schoolmates", "roommate", "roommates", "housemate"}
    | {"housemates", "friend", "friends", "neighbour", "neighbours", "neighbor", "neighbors"}
)
_RELATIVES = frozenset(
    {"mother", "son", "sons", "daughter", "daughters", "baby", "babies", "child", "children"}
    | {"infant", "newborn", "neonate", "fetus"}
)
"""The patient in an obstetric or a paediatric case ("the mother was discharged"), another
person after a possessive ("her baby was discharged", "his son remains well")."""
_POSSESSIVES = frozenset({"her", "his", "their", "s"})  # "the patient's mother": "patient s"
_SERIES = frozenset(
    {"patients", "cohort", "series", "controls", "cases", "subjects", "individuals"}
)
"""A group of patients before an "alive" cue ("in a series of 40 patients, 35 were discharged
alive"), unless the patient is named again after it."""
_PATIENT = frozenset({"he", "she", "patient", "recipient"})
"""The patient as the subject again, after another person or a group ("her husband reported
that she was doing well", "unlike previous patients, she was discharged", "after a series of
plasma exchanges she was discharged")."""
_ALIVE_CLAUSE = re.compile(
    r"[;:,.!?]\s|(?<!\bshe\s)(?<!\bhe\s)(?<!\bpatient\s)(?<!\brecipient\s)"
    r"\b(?:and|but|while|whereas|although)\b",
    re.IGNORECASE,
)
"""`_CLAUSE`, but "she and her baby" is one clause."""
_NOT_A_PERSON_S_DEATH = frozenset(
    {"fetal", "foetal", "intrauterine", "brain", "cell", "cellular", "apoptotic", "programmed"}
)
"""A death that is not the patient's, by the word before it ("fetal death", "brain death was
excluded", "cell death")."""
_NEARLY = frozenset({"nearly", "almost"})
"""A death that did not happen ("he nearly succumbed to the infection")."""
_PREPOSITIONS = frozenset({"of", "to", "with", "for", "from", "by", "about"})
_SUBORDINATORS = frozenset(
    {"because", "since", "as", "whereas", "although", "though", "when", "after", "before", "until"}
)
"""Words that open a clause with its own subject inside a sentence."""


def _last_other(words: list[str]) -> int:
    """Index of the last other person in `words` (-1 if none)."""
    last = -1
    for i, w in enumerate(words):
        if w in _OTHER_PEOPLE or (w in _RELATIVES and i and words[i - 1] in _POSSESSIVES):
            last = i
    return last


def _patient_after(words: list[str], start: int) -> bool:
    """The patient is named as a subject after `words[start]` ("the father of the patient"
    does not count)."""
    for j in range(start + 1, len(words)):
        if words[j] in _PATIENT:
            k = j - 1
            if k >= 0 and words[k] in {"the", "our", "this"}:
                k -= 1
            if k < 0 or words[k] not in _PREPOSITIONS:
                return True
    return False


def _said_of_other(said: list[str]) -> bool:
    """The last person the earlier clauses named is another person, not the patient, and not
    after a preposition: a clause with no subject of its own is said of them ("his brother,
    who was the donor, remains well"; not "after a transplant from his sister, remains well")."""
    earlier = _last_other(said)
    return earlier >= 0 and not _patient_after(said, earlier) and not _object(said, earlier)


def _object(words: list[str], at: int) -> bool:
    """`words[at]` follows a preposition ("transplanted from his sister"): not a subject."""
    k = at - 1
    while k >= 0 and words[k] in _POSSESSIVES | {"the", "a", "an"}:
        k -= 1
    return k >= 0 and words[k] in _PREPOSITIONS


def _co_subject(words: list[str], other: int) -> bool:
    """The patient and another person together ("she and her baby were discharged")."""
    return any(words[i] in _PATIENT and words[i + 1] == "and" for i in range(other - 1))


def _group(words: list[str]) -> int:
    """Index of the last group of patients; "both patients" / "our patients" in a report of
    two or three cases are the patients of the report."""
    return max(
        (
            i
            for i, w in enumerate(words)
            if w in _SERIES and not (i and words[i - 1] in {"both", "our"})
        ),
        default=-1,
    )


_UNITS_NOT_HOME = frozenset(
    {"icu", "intensive", "critical", "hdu", "high", "ccu", "coronary", "recovery", "pacu"}
)
"""Units a patient is discharged from to another ward, not home."""
_DISCHARGING_THINGS = frozenset(
    {"wound", "abscess", "drain", "sinus", "fistula", "cyst", "nipple", "fluid", "pus"}
    | {"ulcer", "lesion", "incision", "tract", "collection", "stoma", "catheter"}
)
"""Things that discharge (pus, fluid): "the wound discharged pus" is not the patient's."""


def _other_discharge(before: list[str], after: list[str]) -> bool:
    """ "discharged from the ICU (to the ward)", "the wound discharged pus": not sent home."""
    head = after[:4]
    neonatal = {"neonatal", "nicu"} & set(head)  # a newborn's discharge from the NICU is home
    if head[:1] == ["from"] and _UNITS_NOT_HOME & set(head) and not neonatal:
        return True
    if "ward" in after[:4] and after[:1] == ["to"]:
        return True
    things = [i for i, w in enumerate(before) if w in _DISCHARGING_THINGS]
    return bool(things) and not _patient_after(before, things[-1])


def _negated(before: list[str]) -> bool:
    """A negation governs the word after `before`: only `_NEGATION_GAP` words between; the
    subject between them after "neither" / "nor" ("neither was she discharged"); or the cue is
    the last of a negated "or" ("she could not be weaned or discharged")."""
    if before and before[-1] in {"or", "nor"} and any(w in _ALIVE_NEGATIONS for w in before):
        return True
    for i in range(len(before) - 1, -1, -1):
        w = before[i]
        if w in _ALIVE_NEGATIONS:
            return True
        if w in _PATIENT and {"neither", "nor"} & set(before[max(0, i - 3) : i]):
            continue
        if w not in _NEGATION_GAP:
            return False
    return False


_UNREAL = frozenset({"due", "about", "planned", "scheduled", "expected", "ready", "fit"})
"""Words before "to be" that make an "alive" cue a plan, not a fact ("she was due to be
discharged when she collapsed")."""
_MODALS = frozenset({"could", "can", "would", "might", "may"})
_BE = frozenset({"was", "were", "is", "are"})


def _unreal(before: list[str]) -> bool:
    """The cue is a plan or a hope: "due / planned / about to be discharged", "before she could
    be discharged" (but "before she was discharged" states it)."""
    tail = before[-4:]
    if tail[-2:] == ["to", "be"] and len(tail) >= 3 and tail[-3] in _UNREAL | _BE:
        return True  # "was to be discharged on day 8, but..."
    if {"if", "unless"} & set(before):
        return True  # "if she survives the next 24 hours, she may be discharged"
    for w in reversed(before):  # "would have been discharged had...", "may be discharged"
        if w in _MODALS - {"could", "can"}:
            return True
        if w not in _NEGATION_GAP:
            break
    if "before" in before:  # the words after the last "before"
        rest = before[len(before) - before[::-1].index("before") :]
        return bool(_MODALS & set(rest)) and len(rest) <= 4
    return False


def _others_death(after: list[str]) -> bool:
    """A death of others or denied, by the words after it ("sudden death in the family was
    denied", "death of her father")."""
    head = after[:5]
    if "denied" in head:
        return True
    return any(
        w in {"in", "of"} and (set(head[i + 1 : i + 3]) & (_OTHER_PEOPLE | _RELATIVES))
        for i, w in enumerate(head)
    )


_TIME_STOP = _STOP | {"from", "since", "starting", "beginning", "during", "within", "over"}
"""Words a time value may carry that its quote need not repeat ("from day 6" is stated by
"started on day 6"); "before" and "after" are kept."""

NOT_STATED = "the quote does not state"
"""Every note of a value the quote does not state starts with this (see `is_not_stated`)."""
UNDER_2 = "value under 2 characters"


@dataclass(frozen=True)
class Unstated:
    """A value of a fact that its quote does not state."""

    field: str  # "dose", or "body_sites" with `index` set
    value: str
    key: bool
    note: str
    index: int | None = None


def is_not_stated(note: str | None) -> bool:
    """Whether a grounding note says a value is not stated by its quote."""
    return bool(note) and (NOT_STATED in note or UNDER_2 in note)  # type: ignore[operator]


def key_value(fact: BaseModel) -> str | None:
    """The text of a fact's key value (its name, method, value...), or None."""
    name = KEY_FIELDS.get(type(fact))
    value = getattr(fact, name) if name else None
    return None if value is None else str(value)


@cache
def _cues() -> dict[str, dict[str, tuple[str, ...]]]:
    raw = resources.files("abstraction").joinpath("data/cues.toml").read_text("utf-8")
    tables = tomllib.loads(raw)
    return {t: {v: tuple(c) for v, c in values.items()} for t, values in tables.items()}


@lru_cache(maxsize=4096)
def _cue_pattern(cue: str) -> re.Pattern[str]:
    prefix = cue.endswith("*")
    words = _basic(cue.rstrip("*"), {})
    tail = r"\S*" if prefix else ""
    return re.compile(r"(?<!\S)" + re.escape(words) + tail + r"(?!\S)")


_DERIVED_PAIRS = (
    ("weakness", "weak"), ("tenderness", "tender"), ("numbness", "numb"),
    ("stiffness", "stiff"), ("dizziness", "dizzy"), ("drowsiness", "drowsy"),
    ("sleepiness", "sleepy"), ("tiredness", "tired"), ("breathlessness", "breathless"),
    ("hoarseness", "hoarse"), ("clumsiness", "clumsy"), ("soreness", "sore"),
    ("paleness", "pale"), ("puffiness", "puffy"), ("painful", "pain"),
)  # fmt: skip
_DERIVED: dict[str, set[str]] = {}
for _noun, _adjective in _DERIVED_PAIRS:
    _DERIVED.setdefault(_noun, set()).add(_adjective)
    _DERIVED.setdefault(_adjective, set()).add(_noun)
"""Clinical nouns in "-ness" (and "painful") and the words they are stated by, both ways: a
list, not a suffix rule ("redness" is not stated by "red blood cells", nor "fullness" by "a
full recovery").  Not a sign and its adjective ("tachycardia", "tachycardic"): tried in the
eighteenth session and withdrawn after a blind audit (out/audit-s18d: 41 made right, 22 made
wrong, every one a false finding: the adjective of a thing, "hypotensive drugs", "deep
hypothermic circulatory arrest", or under a negation the check does not read, "did not become
oliguric", "no longer hypoxic")."""


@lru_cache(maxsize=65536)
def _lemmas(word: str) -> frozenset[str]:
    """A word and its lemmas (noun, verb, adjective): "relapsed" -> relapse; "masses" -> mass."""
    if len(word) <= 3 or not word.isalpha():
        return frozenset({word})
    from lemminflect import getAllLemmas

    forms = {word}
    for lemmas in getAllLemmas(word).values():
        forms.update(lemmas)
    return frozenset(forms)


@lru_cache(maxsize=65536)
def word_forms(word: str) -> frozenset[str]:
    """A word and its lemmas (noun, verb, adjective): "relapsed" -> relapse; "masses" -> mass;
    a clinical noun in "-ness" and its adjective (`_DERIVED`): "weakness" -> weak."""
    # "weakness" is stated by "weak", "painful" by "pain"
    return _lemmas(word) | frozenset(_DERIVED.get(word, ()))


_NOT_OF_PATIENT_AFTER = frozenset(
    {
        "reaction", "reactions", "reactive", "reactivity", "staining", "stain", "stains",
        "stained", "positive", "positivity", "negative", "expression", "expressed", "signal",
        "signals", "band", "bands", "uptake", "enhancement", "enhancing", "immunoreactivity",
        "immunostaining", "intensity", "membranous", "nuclear", "cytoplasmic", "acid", "acids",
        "base", "bases", "correlation", "association", "evidence", "response", "responses",
        "effect", "effects", "affinity", "binding", "agonist", "agonists", "inhibitor",
        "inhibitors", "opioid", "opioids", "d",
    }
)  # fmt: skip
"""Words right after "weak", "pale"... that make it a word about a test or a drug, not the
patient's sign: "a weak reaction", "weak staining", "weak D", "a weak opioid" state no
weakness (the sixteenth session's leftover).  No colours: "a painful red eye" is the
patient's."""
_SORE_BEFORE = frozenset(
    {"pressure", "bed", "cold", "canker", "decubitus", "sacral", "infected", "open", "mouth"}
    | {"oral", "genital", "skin", "heel"}
)
"""Words right before "sore" that make it a noun, a lesion: "a pressure sore" states no
soreness; "sores" is always the noun."""
_ADJACENT = re.compile(r"[^\W_][\w'-]*|[^\w\s]")
"""Words and single marks: two words are adjacent only with no comma between them ("a
tender, red, swollen knee"; "cold, sore and swollen" is no "cold sore")."""


def _quote_forms(quote_words: list[str], quote: str) -> frozenset[str]:
    """Every form of a quote's words (`quote_words`, normalised); the noun in "-ness" of an
    adjective, and of its comparative ("weaker"), only where the adjective is said of the
    patient (`_NOT_OF_PATIENT_AFTER`, `_SORE_BEFORE`), read in `quote` as written.  Not a
    noun in "-ion" by its participle ("intubated"): tried and withdrawn after a blind audit
    (out/audit-s17f: "the tumour was not resected" stated "tumour resection" and its "not"
    went unread, the words being in another order)."""
    have: set[str] = set()
    for word in quote_words:
        have |= _lemmas(word)
    tokens = [t.casefold() for t in _ADJACENT.findall(quote)]
    for i, token in enumerate(tokens):
        derived = set().union(*(_DERIVED.get(f, set()) for f in _lemmas(token)))
        if not derived or token == "sores":
            continue
        after = tokens[i + 1] if i + 1 < len(tokens) else ""
        before = tokens[i - 1] if i else ""
        if after in _NOT_OF_PATIENT_AFTER or ("sore" in _lemmas(token) and before in _SORE_BEFORE):
            continue
        have |= derived
    return frozenset(have)


def _time_words(text: str) -> list[str]:
    """Time-normalised words: number words and ordinals as digits, units singular, "post" =
    "after", filler words left out, complete dates in ISO form."""
    tokens = _numberish(_basic(text, _spelling()).split())
    tokens = [_UNITS.get(t, t) for t in tokens]
    tokens = [_CONNECTORS.get(t, t) for t in tokens if t not in _FILLER]
    return _dates(tokens)


_AGE = re.compile(
    r"(\d+(?:\.\d+)?)[\s-]*(year|yr|month|week|day)s?[\s-]*(?:old|of\s+age)\b"
    r"|\baged?\s+(?:of\s+)?(\d+(?:\.\d+)?)(?:[\s-]*(year|yr|month|week|day)s?\b)?",
    re.IGNORECASE,
)  # "45-year-old", "70 years of age", "aged 45", "aged 18 months", "at the age of 3 months"
# Years per unit of an age phrase ("18-month-old": 18 x 1/12).
YEARS_PER = {"year": 1.0, "yr": 1.0, "month": 1 / 12, "week": 7 / 365.25, "day": 1 / 365.25}
AGE_GROUPS: dict[str, tuple[float, float]] = {
    "neonate": (0.0, 28 / 365.25),
    "infant": (28 / 365.25, 2.0),
    "child": (2.0, 13.0),
    "adolescent": (13.0, 19.0),
    "adult": (19.0, 65.0),
    "older_adult": (65.0, 200.0),
}
"""Age ranges in years, lower bound included (MeSH: infant 1-23 months, child 2-12 years,
adolescent 13-18, adult 19-64, aged 65 and over)."""


def ages_in(quote: str) -> Iterator[float]:
    """The ages a quote states, in years ("a 45-year-old woman": 45.0; "18-month-old": 1.5)."""
    for m in _AGE.finditer(quote):
        if m.group(1):
            yield float(m.group(1)) * YEARS_PER[m.group(2).lower()]
        else:
            yield float(m.group(3)) * YEARS_PER[(m.group(4) or "year").lower()]


def _field_vocabulary(model: type[BaseModel], field: str) -> str | None:
    for meta in model.model_fields[field].metadata:
        if isinstance(meta, Score):
            return meta.synonyms
    return None


def _fused(words: list[str]) -> list[str]:
    """`words` with "non" joined to the word after it: "non-Hodgkin lymphoma" names no
    "Hodgkin lymphoma", nor "non-small cell lung cancer" a "small cell lung cancer" (twelfth
    session; the scorer already kept them apart).  Both the value and the quote are read so,
    and "non Hodgkin" is "non-Hodgkin"."""
    out: list[str] = []
    for word in words:
        if out and out[-1] == "non":
            out[-1] = f"non-{word}"
        else:
            out.append(word)
    return out


class SupportCheck:
    """The support check for one document (its own abbreviations are read once)."""

    def __init__(self, text: str) -> None:
        self.defined = defined_abbreviations(text)
        self._abbr: dict[str | None, dict[str, tuple[str, ...]]] = {}

    def _abbreviations(self, vocab: str | None) -> dict[str, tuple[str, ...]]:
        hit = self._abbr.get(vocab)
        if hit is None:
            terms = document_abbreviations(vocabulary(vocab), self.defined)
            hit = self._abbr[vocab] = {a: t.words for a, t in terms.items()}
        return hit

    def _words(self, text: str, vocab: str | None) -> tuple[list[str], list[str]]:
        """The words of `text` as written (normalised), and after synonyms and the document's
        abbreviations."""
        raw = words_of(text)
        v = vocabulary(vocab)
        canon = raw
        for _ in range(3):
            replaced = v.replace(canon)
            if replaced == canon:
                break
            canon = replaced
        abbr = self._abbreviations(vocab)
        expanded = [x for w in canon for x in abbr.get(w, (w,))]
        return _fused(raw), _fused(expanded) + _fused([x for w in raw for x in abbr.get(w, ())])

    def text_stated(self, value: str, quote: str, *, vocab: str | None = None) -> bool:
        """Every word of `value` is a word of `quote` (as written or canonical, any inflection),
        or the time-normalised words of `value` are among those of `quote`."""
        q_raw, q_canon = self._words(quote, vocab)
        # the quote's words give the derived forms ("weak" -> weakness), the value's only
        # their lemmas, so "a weak reaction" cannot state "weakness" through "weak"
        have = _quote_forms(q_raw + q_canon, quote)
        v_raw, v_canon = self._words(value, vocab)
        for words in (v_raw, v_canon):
            needed = [w for w in words if w not in _STOP] or words
            if needed and all(_lemmas(w) & have for w in needed):
                return True
        t_value = [w for w in _fused(_time_words(value)) if w not in _TIME_STOP]
        if t_value and set(t_value) <= set(_fused(_time_words(quote))):
            return True
        folded = _american(value), _american(quote)
        return folded != (value, quote) and self.text_stated(*folded, vocab=vocab)

    def cue_stated(self, table: str, value: str, quote: str) -> bool:
        """A cue word of `value` (`data/cues.toml`) is in `quote` or in the long form of an
        abbreviation the quote uses; for an age group, also an age in the quote.  An outcome
        "alive" is not stated by a quote that also states "died"."""
        text = _basic(quote, {})
        extra = [self.defined[w] for w in set(text.split()) if w in self.defined]
        text = " ".join([text, *(_basic(e, {}) for e in extra)])
        cues = (*_cues().get(table, {}).get(value, ()), value.replace("_", " "))
        if table == "outcome_status" and value == "alive":
            return self._alive_stated(quote, cues)
        if table == "outcome_status" and value == "died":
            return self._died_stated(quote, cues)
        if any(_cue_pattern(c).search(text) for c in cues):
            # a quote that says the patient died does not say the patient is alive
            # ("discharged to hospice and died 5 days later")
            return not (
                table == "outcome_status"
                and value == "alive"
                and self.cue_stated(table, "died", quote)
            )
        if table == "age_group" and value in AGE_GROUPS:
            low, high = AGE_GROUPS[value]
            return any(low <= age < high for age in ages_in(quote))
        return False

    def _alive_stated(self, quote: str, cues: tuple[str, ...]) -> bool:
        """An "alive" cue said of the patient: not negated, not after another person in its
        clause or a group of patients in the quote unless the patient is named again after
        them; and the quote does not also say the patient died."""
        if self.cue_stated("outcome_status", "died", quote):
            return False
        said: list[str] = []
        for clause in _ALIVE_CLAUSE.split(quote):
            words = [self.defined.get(w, w) for w in _basic(clause, {}).split()]
            text = " ".join(words)
            for c in cues:
                m = _cue_pattern(c).search(text)
                if m is None:
                    continue
                before = text[: m.start()].split()
                if c == "discharged" and _other_discharge(before, text[m.end() :].split()):
                    continue
                other = _last_other(before)
                by_other = (
                    other >= 0
                    and not _patient_after(before, other)
                    and not _co_subject(before, other)
                )
                if other < 0 and not _PATIENT & set(before):
                    # no subject in its clause: the last person named before it ("his
                    # brother, who was the donor, remains well")
                    by_other = _said_of_other(said)
                series = _group(said + before)
                if not (
                    _negated(before)
                    or _unreal(before)
                    or by_other
                    or (series >= 0 and not _patient_after(said + before, series))
                ):
                    return True
            said.extend(text.split())
        return False

    def _died_stated(self, quote: str, cues: tuple[str, ...]) -> bool:
        """A "died" cue said of the patient: not after another person in its clause ("her
        husband died", "the donor died"), not a death that is not a person's ("fetal death",
        "brain death was excluded", "cell death", "the risk of death", "a dead fetus")."""
        said: list[str] = []
        for clause in _CLAUSE.split(quote):
            words = [self.defined.get(w, w) for w in _basic(clause, {}).split()]
            text = " ".join(words)
            for c in cues:
                for m in _cue_pattern(c).finditer(text):
                    before = text[: m.start()].split()
                    after = text[m.end() :].split()
                    other = _last_other(before)
                    if other >= 0 and not _patient_after(before, other):
                        continue
                    if other < 0 and not _PATIENT & set(before) and _said_of_other(said):
                        continue  # "her husband, who had also been infected, died"
                    if (
                        before
                        and before[-1] in _NOT_A_PERSON_S_DEATH | _NEARLY
                        and before[-2:] not in (["declared", "brain"], ["pronounced", "brain"])
                        and not (
                            before[-1] == "brain"
                            and after[:2]
                            in (["was", "confirmed"], ["was", "declared"], ["was", "diagnosed"])
                        )
                    ):
                        continue
                    if "survive" in c and not _PATIENT & {*before, *c.split()}:
                        continue  # "the transplanted kidney did not survive"
                    if before[-2:] in (["risk", "of"], ["fear", "of"], ["threat", "of"]):
                        continue
                    if after and after[0] in {"fetus", "foetus"}:
                        continue
                    if _others_death(after):
                        continue
                    return True
            said.extend(text.split())
        return False

    def _absence_stated(self, fact: BaseModel, name: str, quote: str, sentence: str | None) -> bool:
        """True unless `fact` is a finding said to be absent and no clause of its quote, or of
        the sentence it was found in, names it and denies it where it names it (`_denies`:
        "He had no fever", "Fever was denied", "pain-free"; not "a rash without itching" for
        the rash, "Without treatment, the rash spread").  A clause that names it in other
        words than its name's ("dyspnoea" for "dyspnea") is read as a whole: a word of
        negation anywhere in it.  Seventh session: the model copied the prompt's "no fever"
        into a text without fever, and relocation took "he had an episode of febrile
        neutropenia"; eighth session: the clause-wide reading accepted 8 of a helper's 40
        wrong quotes, the positional one 1."""
        if not isinstance(fact, Finding) or fact.assertion != "absent":
            return True
        for text in (quote, sentence or ""):
            for clause in _NEGATION_CLAUSE.split(text):
                if not (_negates(clause) and self.value_stated(Finding, "name", name, clause)):
                    continue
                as_named = _named_as(name, clause)
                denials = (
                    [] if _negates(name) else _mention_denials(as_named, clause, of_patient=True)
                )
                if not denials or any(denials):
                    return True  # the name itself negated ("no lymphadenopathy"): as a whole
        return False

    def _denied_in_one_word(
        self, fact: BaseModel, name: str, quote: str, sentence: str | None
    ) -> bool:
        """True when `fact` is a finding said to be absent and its quote, or the sentence it
        was found in, has a word that denies it by itself (`abstraction.core.denials`: "she was
        afebrile" for "fever", "non-tender" for "tenderness"; the name in other words too,
        "pyrexia" for "fever"), unless a negation stands up to three words before the word in
        its clause ("not afebrile", "no longer afebrile", "never became afebrile").  Until the
        tenth session "afebrile" and "non-tender" were refused."""
        if not isinstance(fact, Finding) or fact.assertion != "absent":
            return False
        for finding in listed_findings():
            if not (
                self.text_stated(name, finding, vocab="findings")
                and self.text_stated(finding, name, vocab="findings")
            ):
                continue
            words = [w.split() for w in denying_words(finding)]
            # a bare word is read in its sentence ("afebrile" in "She was not afebrile.")
            texts = (sentence,) if sentence and quote in sentence else (quote, sentence or "")
            for text in texts:
                for clause in _NEGATION_CLAUSE.split(text):
                    said = _basic(clause, {}).split()
                    for i in range(len(said)):
                        if (
                            any(said[i : i + len(w)] == w for w in words)
                            and not _UNDENY & set(said[max(0, i - 3) : i])
                            and not _said_of_other(said[:i])  # "her mother was afebrile"
                        ):
                            return True
        return False

    def _not_the_patients(
        self, fact: BaseModel, name: str, quote: str, lead: str, trail: str = ""
    ) -> str | None:
        """Why the quote does not state that the patient had `fact` (a finding said to be
        present, or a diagnosis had: `said_present`), or None.  Every clause of the quote
        (with `lead` and `trail`, the words of its sentence before and after it: a bare
        phrase "hypertension" found in "no history of hypertension") that names the fact, at
        each mention, denies it (``"denies it"``, `_denies`: "denied fever", "no history of
        hypertension", "no fever, cough or rash", "were absent"; not "without treatment, the
        rash spread", "did not improve her dyspnoea", "no fever at admission, fever on day
        4") or says it of another person as the clause's subject (``"says it of another
        person"``, `_of_another`: "Her mother had breast cancer", "a family history of
        diabetes"; eleventh session).  A clause that names the fact by a synonym is read where
        the synonym stands (`_named_as`: "She was not febrile"); in other words still, it
        cannot be read, and says nothing."""
        if isinstance(fact, Diagnosis) and fact.status == "ruled_out":
            return self._ruled_out_of_another(name, lead[-200:] + quote + trail[:200])
        if not said_present(fact):
            return None
        if _negates(name):
            return None  # a name that is itself a negation ("no fever") is not read here
        why = None
        read = _QUERY.sub("query ", lead[-200:] + quote + trail[:200])
        if _only_protected(name, read):
            return "names it only as what the patient was vaccinated or protected against"
        # "suspected but not confirmed" confirms nothing (the last audit of the twentieth session)
        unconfirmed = _NOT_CONFIRMED.sub(" ", read)
        confirmed = bool(_CONFIRMED & set(_basic(unconfirmed, {}).split()))
        # a value that says it is uncertain ("probable invasive aspergillosis") is stated so
        confirmed |= bool(_HEDGE_WORDS & set(_basic(_hedge_text(fact), {}).split()))
        for clause in _NEGATION_CLAUSE.split(read):
            if not self.value_stated(Finding, "name", name, clause):
                continue
            as_named = _named_as(name, clause)
            denials = _mention_denials(as_named, clause)
            others = _mentions_of_another(as_named, clause)
            hedges = _mention_hedges(as_named, clause, confirmed)
            if not denials and _DIFFERENTIAL.search(clause) and not confirmed:
                denials, others, hedges = [False], [False], [True]  # named in other words
            if not denials or not all(
                d or o or h for d, o, h in zip(denials, others, hedges, strict=True)
            ):
                return None
            reasons = [
                "denies it" if any(denials) else None,
                "only suspects or doubts it" if any(hedges) else None,
                "says it of another person" if any(others) else None,
            ]
            found = next(r for r in reasons if r)
            if why is None or _WHY_RANK.index(found) < _WHY_RANK.index(why):
                why = found
        return why

    def _ruled_out_of_another(self, name: str, read: str) -> str | None:
        """A diagnosis said to be ruled out is not stated by a quote whose every clause that
        names it says it of another person ("His mother had systemic lupus erythematosus",
        filed as the patient's, ruled out; eighteenth session)."""
        named = False
        for clause in _NEGATION_CLAUSE.split(read):
            if not self.value_stated(Finding, "name", name, clause):
                continue
            others = _mentions_of_another(name, clause)
            if not others or not all(others):
                return None
            named = True
        return "says it of another person" if named else None

    def value_stated(self, model: type[BaseModel], field: str, value: str, quote: str) -> bool:
        if len(value.strip()) < MIN_VALUE_CHARS:
            return False
        table = CUE_TABLES.get((model, field))
        if table is not None:
            return self.cue_stated(table, value, quote)
        if model is YearFact:
            return re.search(rf"(?<!\d){re.escape(value)}(?!\d)", quote) is not None
        return self.text_stated(value, quote, vocab=_field_vocabulary(model, field))

    def check(
        self,
        fact: BaseModel,
        quote: str,
        *,
        context: str | None = None,
        sentence: str | None = None,
        lead: str = "",
        trail: str = "",
    ) -> list[Unstated]:
        """The values of `fact` that `quote` does not state, the key value first; attributes
        are looked for in `context` when given (the quote's sentence: ``evidence_scope``).  A
        finding said to be absent needs a word of negation in its quote or in `sentence`, the
        sentence the quote was found in ("fever" found in "He had no fever"); one said to be
        present, or a diagnosis the patient had, is not stated by a quote that denies it, read
        with `lead` and `trail`, the words of its sentence before and after the quote ("no
        history of" before "hypertension", "was ruled out" after "Tuberculosis")."""
        model = type(fact)
        out: list[Unstated] = []
        key = KEY_FIELDS.get(model)
        if key is None:
            return out
        # a quote found inside "non-Hodgkin lymphoma" is read with its "non-"
        whole = f"non-{quote}" if _NON_BEFORE.search(lead) else quote
        for field in (key, *ATTRIBUTES.get(model, ())):
            value = getattr(fact, field)
            items = value if isinstance(value, list) else [value]
            for i, item in enumerate(items):
                if item is None:
                    continue
                text = str(item)
                where = whole if field == key else quote if context is None else context
                if field == key and (kind := _not_a_name(fact, text)):
                    out.append(Unstated(field, text, True, f"{NOT_STATED} {text!r}: {kind}", None))
                    continue
                if (
                    field == key
                    and whole != quote
                    and not self.value_stated(model, field, text, whole)
                ) and self.value_stated(model, field, text, quote):
                    note = f"{NOT_STATED} {text!r}: the text says 'non-' before it"
                    out.append(Unstated(field, text, True, note, None))
                    continue
                read_on = where if context is not None else quote + trail  # the sentence
                if field != key and (
                    why := _not_this_attribute(fact, field, text, lead + quote + trail)
                ):
                    index = i if isinstance(value, list) else None
                    out.append(
                        Unstated(
                            field, text, False, f"{NOT_STATED} the {field} {text!r}: {why}", index
                        )
                    )
                    continue
                if field != key and (rest := _cut_short(text, read_on, result=field == "result")):
                    note = f"{NOT_STATED} {text!r}: it is cut short (the text goes on {rest!r})"
                    index = i if isinstance(value, list) else None
                    out.append(Unstated(field, text, False, note, index))
                    continue
                if (
                    field == key
                    and isinstance(fact, (Diagnosis, Finding))
                    and _cut_adjective(text, lead + quote + trail)
                ):
                    kind = "finding" if isinstance(fact, Finding) else "diagnosis"
                    note = f"{NOT_STATED} {text!r}: a word that qualifies a {kind}, not one"
                    out.append(Unstated(field, text, True, note, None))
                    continue
                if (
                    field == key
                    and isinstance(fact, (Diagnosis, Finding))
                    and not _DISEASE_NAMED.search(text)
                    and self.value_stated(model, field, text, whole)
                    and not self.value_stated(model, field, text, _DISEASE_NAMED.sub(" ", whole))
                ):
                    disease = _DISEASE_NAMED.search(whole)
                    named = disease.group() if disease else "another disease"
                    note = f"{NOT_STATED} {text!r}: the text names it only in {named!r}"
                    out.append(Unstated(field, text, True, note, None))
                    continue
                if (
                    field == key
                    and isinstance(fact, (Diagnosis, Finding))
                    and said_present(fact)
                    and (head := _only_a_qualifier(text, lead + quote + trail))
                ):
                    note = f"{NOT_STATED} {text!r}: the text names it only as {head!r}"
                    out.append(Unstated(field, text, True, note, None))
                    continue
                if self.value_stated(model, field, text, where):
                    if (
                        field == key
                        and not self._absence_stated(fact, text, quote, sentence)
                        and not self._denied_in_one_word(fact, text, quote, sentence)
                    ):
                        note = f"{NOT_STATED} that {text!r} was absent: it negates nothing"
                        out.append(Unstated(field, text, True, note, None))
                    elif field == key and (
                        why := self._not_the_patients(fact, text, quote, lead, trail)
                    ):
                        whose = "the patient's" if why == "says it of another person" else "present"
                        note = f"{NOT_STATED} that {text!r} was {whose}: it {why}"
                        out.append(Unstated(field, text, True, note, None))
                    elif (
                        field == key
                        and isinstance(fact, (Treatment, TimelineEvent, Assessment))
                        and (why := _not_given(fact, text, lead[-200:] + quote + trail[:200]))
                    ):
                        done = "given" if isinstance(fact, Treatment) else "done"
                        note = f"{NOT_STATED} that {text!r} was {done}: {why}"
                        out.append(Unstated(field, text, True, note, None))
                    elif field in _OWN_FIELDS and (
                        other := _anothers_value(
                            str(getattr(fact, key)), text, lead + quote + trail
                        )
                    ):
                        note = f"{NOT_STATED} the {field} {text!r}: it is {other}'s"
                        out.append(Unstated(field, text, False, note, None))
                    elif field == "time" and _opens_next_clause(
                        text, lead + quote + trail, str(getattr(fact, key))
                    ):
                        note = f"{NOT_STATED} the time {text!r}: it opens the next clause"
                        out.append(Unstated(field, text, False, note, None))
                    continue
                if field == key and self._denied_in_one_word(fact, text, quote, sentence):
                    continue
                index = i if isinstance(value, list) else None
                out.append(
                    Unstated(field, text, field == key, _note(model, field, text, key), index)
                )
        return out


_TIME_LIKE = re.compile(
    r"\d|\b(?:days?|weeks?|months?|years?|hours?|minutes?|night|morning|evening|afternoon|"
    r"admission|admitted|discharge|arrival|referral|transfer|readmission|later|earlier|after|"
    r"before|since|until|ago|post\w*|pre\w*|"
    r"presentation|birth|age|aged|follow-?up|onset|today|yesterday|tomorrow|initially|then|"
    r"subsequently|previously|prior|during|while|when|time|times|weekly|daily|monthly|once|"
    r"twice|first|second|third|last|next|end|start|beginning|january|february|march|april|may|"
    r"june|july|august|september|october|november|december|spring|summer|autumn|fall|winter|"
    r"childhood|infancy|adolescence|pregnancy|gestation|trimester|cycles?|course|"
    r"diagnosis|surgery|operation|transplant\w*|infusion|treatment|therapy|chemotherapy|"
    r"induction|consolidation|relapse|remission|recovery|death|baseline|intra\w*|peri\w*|"
    r"overnight|recent\w*|autopsy|neonat\w*|concurrent\w*|simultaneous\w*)\b",
    re.IGNORECASE,
)
"""A word or number a time is written with ("day +100", "two weeks later", "at diagnosis",
"after the second cycle"): a time with none ("CT-guided biopsy") states no time."""
_MOVEMENTS = (
    r"abduction|adduction|(?:dorsi|plantar|palmar|plantar\s+)?flexion|extension|rotation|"
    r"pronation|supination|eversion|inversion"
)
"""Movements a muscle's strength is graded by (one list for the site check and the name check)."""
_MOVEMENT = re.compile(
    rf"\b(?:{_MOVEMENTS}|elevation|grip|gaze|movements?|motion)\b"
    r"(?!\s+(?:creases?|folds?|surfaces?|aspects?|contractures?|deformity))",
    re.IGNORECASE,
)
"""A movement a muscle's strength is graded by ("shoulder abduction"): not where a finding is."""
_SINUS_RHYTHM = re.compile(r"\bsinus\s+(?:rhythm|tachycardia|bradycardia|arrhythmia|arrest)", re.I)


_QUALIFIED = re.compile(
    r"(?:\s+(?:(?-i:[A-Z]\d{1,4}[A-Z*])|exon\s+\d+|[pc]\.\S+))*(?:\s+|-)(?:genes?|mutations?|"
    r"mutated|rearrange\w*|fusions?|amplifi\w*|deletions?|translocations?|expression|"
    r"alleles?|polymorphisms?|duplications?|insertions?|ITD|TKD|"
    r"wild-type|(?:likely\s+)?pathogenic\s+variants?)\b"
    r"|\s+(?:stain\w*|immunostain\w*|index)\b|\s+(?-i:[A-Z]\d{1,4}[A-Z])\b"
    r"|(?:\s*(?:,|/|\band\b|\bor\b)\s*[^\W_][\w-]*)+\s+(?:genes|mutations|rearrangements|"
    r"fusions|amplifications|deletions|translocations|alleles|polymorphisms|duplications|"
    r"insertions)\b",
    re.IGNORECASE,
)
"""After a gene's or a marker's symbol: its change, perhaps named ("MYC rearrangement",
"NPM1-mutated", "JAK2 V617F mutation", "EGFR exon 19 deletion", "KRAS G12C", "Ki-67 index",
"CD30 staining"), or a list sharing one plural change ("MYC and BCL2 rearrangements"); not
"AML, NPM1-mutated", "HIV status", "the AMAN variant"."""
_SYMBOL = re.compile(r"[A-Z0-9-]*[a-z]?[A-Z0-9-]*")
"""A gene's or a marker's symbol: capitals and digits, at most one small letter ("MYC",
"RUNX1", "p53", "Ki-67")."""


_CUT_ADJECTIVE = re.compile(r"(?-i:(?![A-Z]+\b))[^\W\d_]{3,}(?:ed|ous|ic|ive|ar)", re.IGNORECASE)
"""After "with", "no"...: an adjective in "-ed", "-ous", "-ic", "-ive", "-ar" too ("with
indurated" of "with indurated, erythematous palms")."""
_THERE_WAS = re.compile(
    r"\bthere\s+(?:was|were|is|are|remained|remains|appeared|appears|seemed|seems)\s+"
    r"(?:\w+ly\s+)?(?:[^\W\d_][\w-]*(?:\s*,\s*|\s+and\s+|\s*,\s*and\s+))*$",
    re.IGNORECASE,
)
_PLACE_THERE = re.compile(
    r"\b(?:found|seen|left|lying|sitting|standing|waiting|living|lived|stayed|staying|arrived|"
    r"went|brought|taken|kept|met|admitted|transferred|born|examined|treated)\s+there\s+\w+\s+"
    r"[^.;:]*$",
    re.IGNORECASE,
)
"""Right after "there was", an adjective says what there was ("There were focal lesions",
"There was focal, patchy enhancement"), not what the patient was; not "there" of a place,
after a verb ("The boy they found there was postictal and incontinent")."""
_PREDICATE = re.compile(
    r"\b(?:was|were|is|are|be|been|being|became|becomes|remained|remains|appeared|appears|"
    r"seemed|seems|looked|looks|felt|feels|presented|stayed)\s+(?:\w+ly\s+|still\s+|not\s+)?"
    r"(?:[^\W\d_][\w-]*(?:\s*,\s*|\s+(?:and|or|but)\s+|\s*,\s*(?:and|or|but)\s+)){0,4}$",
    re.IGNORECASE,
)


def _cut_adjective(name: str, sentence: str) -> bool:
    """Whether `name` is one adjective in "-al" (after "with", "no"...) that `sentence` uses
    only before a noun ("postural" of "a postural and action tremor", "facial" of "with no
    facial weakness"), never as what the patient was ("He was postictal", "The child was
    nonverbal"; "there was" says what there was: `_THERE_WAS`).  False when the sentence does
    not name it."""
    word = _LEADING.sub("", name).strip()
    cut = _LEADING.match(name) is not None  # "with indurated": a phrase cut at both ends
    if (
        not (
            _QUALIFIER.fullmatch(word)
            or _A_QUALITY.fullmatch(word)
            or (cut and _CUT_ADJECTIVE.fullmatch(word))
        )
        or (at := _name_pattern(word)) is None
    ):
        return False
    seen = False
    for h in at.finditer(sentence):
        before = sentence[max(0, h.start() - 160) : h.start()]
        existential = _THERE_WAS.search(before) and not _PLACE_THERE.search(before)
        if _PREDICATE.search(before) and not existential:
            return False  # one mention says what the patient was: stop at the first
        seen = True
    return seen


def _only_a_qualifier(name: str, sentence: str) -> str | None:
    """The phrase of `sentence` that names `name` (one word) only as a gene's or a marker's
    change or expression ("no MYC rearrangement", "with MYC and BCL2 rearrangements", "CD20
    expression"): a diagnosis or a finding "MYC" the sentence does not state ("HIV-positive"
    does state "HIV").  None when one mention stands
    alone or the sentence does not name it."""
    symbol = len(name) >= 2 and re.search(r"[A-Z0-9]", name) and _SYMBOL.fullmatch(name)
    if not symbol or (at := _name_pattern(name)) is None:
        return None
    first = None
    for m in at.finditer(sentence):
        head = _QUALIFIED.match(sentence, m.end())
        if head is None:
            return None  # one mention stands alone: stop at the first
        first = first or sentence[m.start() : head.end()]
    return first


_DISEASE_NAMED = re.compile(
    r"\b(?:(?:acute\s+)?rheumatic|scarlet|yellow|typhoid|paratyphoid|dengue|hay|Q|Lassa|relapsing"
    r"|enteric|rat[- ]bite|(?:Rocky\s+Mountain\s+|Mediterranean\s+)?spotted|glandular|valley"
    r"|cat[- ]scratch|trench|undulant|Pontiac|West\s+Nile|Rift\s+Valley|(?:familial\s+)?"
    r"Mediterranean|h(?:a)?emorrhagic|puerperal|African\s+tick[- ]bite)\s+fevers?\b"
    r"|\bfebrile\s+(?:seizures?|convulsions?|status\s+epilepticus)"
    r"|\bwhooping\s+cough\b|\bcough\s+(?:reflex|test)\b|\bfever\s+blisters?\b"
    r"|\b(?:pulmonary(?:\s+arterial)?|portal|(?:idiopathic\s+|benign\s+)?intracranial|ocular"
    r"|intra-?abdominal|venous|pulmonary\s+venous)\s+hypertension\b|\bdiabetes\s+insipidus\b",
    re.IGNORECASE,
)
"""Diseases named with a word of a sign ("rheumatic fever", "febrile seizures", "whooping
cough", "pulmonary hypertension", "diabetes insipidus"), and signs' other names ("cough
reflex", "fever blisters"): "fever", "cough", "hypertension" or "diabetes" found only there is
not stated (the twentieth session's last audit; the twenty-first session's first)."""
_DOSE_IN = re.compile(
    r"\d[\d.,]*\s*(?:mg|g|µg|μg|mcg|ng|units?|IU|mL|ml|L|mmol|mEq|Gy)(?:/(?:m2|m²|kg|day|d|h))?\b"
)
"""An amount given ("400 mg daily"): not what a treatment acts on ("BCL-2", "CD19")."""


_RELATIVE_PLACE = re.compile(
    r"\b(?:below|above|beneath|under|distal\s+to|proximal\s+to|behind|around)\s+(?:the\s+|both\s+)?$",
    re.IGNORECASE,
)


def _cut_from_its_place(value: str, sentence: str) -> bool:
    """A body site written only after "below" / "above" / "distal to" ... in the sentence: the
    place is the whole phrase ("loss of vibration sense below the knees": not the knees; the
    nineteenth session's reading sample 20)."""
    places = [m.start() for m in re.finditer(rf"\b{re.escape(value)}\b", sentence, re.IGNORECASE)]
    return bool(places) and all(_RELATIVE_PLACE.search(sentence[:at]) for at in places)


def _not_this_attribute(fact: BaseModel, field: str, value: str, sentence: str) -> str | None:
    """Why attribute `value` is not the fact's, whatever its quote says, or None: a time with
    no word or number of a time; a finding's body site "sinus" of a sinus rhythm or
    tachycardia (the heart's pacemaker, not a site); a treatment's target that holds a dose
    ("BCL-2 inhibitor venetoclax 400 mg daily"); a test's result or time written in
    another clause than the test's name ("troponin peaked at 688 ng/L 12 hours later;
    NT-proBNP was 5,840 pg/mL": not NT-proBNP's time)."""
    if field == "time" and not _TIME_LIKE.search(value):
        return "it names no time"
    if field == "body_site" and isinstance(fact, Finding) and _MOVEMENT.search(value):
        return "a movement, not a body site"
    if field == "body_site" and _cut_from_its_place(value, sentence):
        return 'a part of its place\'s words ("below the knees"), not the place'
    sinus = value.strip().casefold() == "sinus"
    if (
        field == "body_site"
        and isinstance(fact, Finding)
        and sinus
        and _SINUS_RHYTHM.search(fact.name)
    ):
        return "the sinus of a sinus rhythm is not a body site"
    if isinstance(fact, Treatment) and field == "target" and _DOSE_IN.search(value):
        return "it holds a dose, not what the treatment acts on"
    if isinstance(fact, Assessment) and field in ("result", "time"):
        own = _name_pattern(fact.method)
        names = [m.span() for m in own.finditer(sentence)] if own else []
        places = [
            (m.start(), m.end()) for m in re.finditer(re.escape(value), sentence, re.IGNORECASE)
        ]
        if names and places and all(_other_clause(sentence, names, at) for at in places):
            return "it is written in another clause than the test"
    return None


_ENDS_CLAUSE = re.compile(r"\s*[;.](?:\s|$)")
_CLAUSE_VERB = re.compile(
    r"\b(?:was|were|is|are|showed|revealed|demonstrated|confirmed|found|detected)\b", re.I
)


_SAME_TEST = re.compile(r"\s*(?:it|this|which|they|these|the\s+(?:level|value|count)s?)\b", re.I)
"""A clause that goes on about the same test ("troponin was 412 ng/L; it peaked at ...")."""


def _other_clause(sentence: str, names: list[tuple[int, int]], at: tuple[int, int]) -> bool:
    """The value at `at` belongs to another clause than every place of the test's name: it
    ends the clause before the name's ("troponin peaked at 688 ng/L 12 hours later;
    NT-proBNP was ..."), or it comes after a ";" that closes the name's own clause, verb and
    all ("CRP was 12 mg/L; ferritin was normal"; not a list of tests that ends "were
    normal", nor a clause about the same test: "; it peaked at 688 ng/L")."""
    start, end = at
    for s, e in names:
        if end <= s:
            if not (_ENDS_CLAUSE.match(sentence, end) and ";" in sentence[end:s]):
                return False
        else:
            between = sentence[e:start]
            cut = between.find(";")
            if (
                cut < 0
                or not _CLAUSE_VERB.search(between[:cut])
                or _SAME_TEST.match(between[cut + 1 :])
            ):
                return False
    return True


_OWN_FIELDS = frozenset({"dose", "duration", "time"})
_PAUSE = re.compile(r"[;:]|,(?!\d)|\b(?:and|then|followed|after|before|while|when)\b", re.I)
_VERB = re.compile(
    r"\b(?:was|were|is|are|been|given|started|initiated|administered|received|begun|began|"
    r"commenced|continued|stopped|added|switched|infused)\b",
    re.IGNORECASE,
)
_LEADS_TO = re.compile(r"\s*(?:of|including|consisting\s+of)\s+", re.IGNORECASE)
"""Words by which a dose, duration or time leads to the treatment it is of ("6 courses of
rituximab"); not "with", which joins another drug ("ciclosporin from day -1 with
methotrexate")."""
_SHARED = re.compile(r"\s*(?:,|and|plus|or|/|&|,\s*and|for|of)\s*", re.IGNORECASE)


def _treatments_named(sentence: str) -> list[tuple[int, int, str]]:
    """The treatments `sentence` names (a drug, or a name of the rules' treatment categories),
    as (start, end, name), in order."""
    spans = set()
    for pattern in (_DRUG, _kinds()["category"]):
        for m in pattern.finditer(sentence):
            start, end = m.start(), m.end()  # the whole words: "chemotherapy", not "chemo"
            while start > 0 and (sentence[start - 1].isalnum() or sentence[start - 1] == "-"):
                start -= 1
            while end < len(sentence) and (sentence[end].isalnum() or sentence[end] == "-"):
                end += 1
            spans.add((start, end, sentence[start:end]))
    return sorted(spans)


_LEADING_AMOUNT = re.compile(r"\d[\d.,]*\s*(?:[^\W\d_][^\s,;()]*)?(?=\s)")
"""A value's first amount and its unit ("25 mg/m2" of "25 mg/m2 on days 1 and 15")."""


def _anothers_value(name: str, value: str, sentence: str) -> str | None:
    """The other treatment whose own words hold a treatment's dose, duration or time, or None:
    where `sentence` has the value right after another treatment with nothing between them but
    its dose and schedule ("paclitaxel 250 mg/m² on day 1, ifosfamide ...": "on day 1" is not
    ifosfamide's; "ciclosporin from day -1 with methotrexate": not methotrexate's; "BEP:
    bleomycin 30,000 IU": not BEP's). Not when the treatment's own name comes between, nor
    when it is listed with the other ("cyclophosphamide and fludarabine on days -5 to -3"),
    nor when a pause (a comma, "and", "then") parts the value from the other.  A value the
    sentence does not write in one piece ("25 mg/m2 on days 1 and 15" of "ABVD (doxorubicin
    25 mg/m2, bleomycin 10 units/m2 ... on days 1 and 15)") is read by its leading amount."""
    own_pattern = _name_pattern(name)
    places = [m.start() for m in re.finditer(re.escape(value), sentence, re.IGNORECASE)]
    if not places and (amount := _LEADING_AMOUNT.match(value)):
        value = amount.group()
        places = [
            m.start()
            for m in re.finditer(
                rf"(?<![\w.,]){re.escape(value)}(?![\w/]|[.,]\d)", sentence, re.IGNORECASE
            )
        ]
    if own_pattern is None or not places:
        return None
    own = [(m.start(), m.end()) for m in own_pattern.finditer(sentence)]
    if not own:
        return None
    others = [
        (s, e, n)
        for s, e, n in _treatments_named(sentence)
        if all(e <= a or b <= s for a, b in own)
    ]
    owners: list[str] = []
    for at in places:
        before = [o for o in others if o[1] <= at]
        if not before:
            return None
        start, end, other = before[-1]
        gap, after = sentence[end:at], sentence[at + len(value) :]
        if _PAUSE.search(gap) or _VERB.search(gap) or any(end <= a and b <= at for a, b in own):
            return None  # "X 2.5 mg and Y 2.5 mg were started on day 2": the clause's
        if any(_LEADS_TO.fullmatch(after[: a - at - len(value)]) for a, _ in own if a > at):
            return None  # "6 courses of rituximab"
        if any(b <= start and _SHARED.fullmatch(sentence[b:start]) for _, b in own):
            return None  # "cyclophosphamide and fludarabine on days -5 to -3": both
        owners.append(other)
    return owners[0] if owners else None


_NEXT_CLAUSE_BEFORE = re.compile(r"[,;]\s*(?:and\s+|then\s+|but\s+)?$")
_NEXT_CLAUSE_AFTER = re.compile(
    r"\s*,?\s*(?:she|he|they|the\s+patient)\s+(?:(?:was|were)\s+(?:given|started|treated)"
    r"|received|underwent|started|began)\b",
    re.IGNORECASE,
)


def _opens_next_clause(value: str, sentence: str, name: str) -> bool:
    """A time that opens the next clause of the sentence, with its own subject and verb, a
    clause that does not name the fact ("... was given on days -5 to -3, and on day 0 she
    received axicabtagene ciloleucel": "on day 0" is not the cyclophosphamide's, but the
    axicabtagene's; the nineteenth session's reading sample)."""
    places = [m.start() for m in re.finditer(re.escape(value), sentence, re.IGNORECASE)]
    own = _name_pattern(name)
    if not places or own is None:
        return False
    for at in places:
        end = at + len(value)
        if not (
            _NEXT_CLAUSE_BEFORE.search(sentence[:at]) and _NEXT_CLAUSE_AFTER.match(sentence, end)
        ):
            return False
        clause = re.split(r"[,;.]|\band\b", sentence[end:], maxsplit=1)[0]
        if own.search(clause):
            return False
    return True


_GOES_ON = re.compile(
    r"(?<=\d)(?:\.\d+|,[XY]+\b|\d+|\s*[–-]\s*\d+(?:[.,]\d+)?|=\d+|\^\d+|[⁰¹²³⁴⁵⁶⁷⁸⁹]+)"
    r"|(?<=[XY]),(?:[a-z]+\(|[+-]\d)"  # 11.2, 46,XX, 35-40, 4+3=7, 10^9; 46,XY,t(9;22)
    r"|(?<=\d)/\d+|(?<=[^\W\d_])/\w+|\*\d+"  # 120/80, 1 mg/kg, HLA-B*58 (not 12,700/µL)
    r"|(?<=[^\W\d_])[^\W\d_]{3,}"  # ejection fraction (not a plural's ending)
    r"|(?<=[^\W\d_])(?:\s*\([^()]{1,20}\))?\s+(?:of|=|:)\s*[<>≤≥]?\d[\d.,]*\S*"  # (LVEF) of 38%
)
_PER_ON = re.compile(
    r"\s+per\s+(?:minute|min|hour|h|\d+\s*h(?:ours?)?|day|night|week|month|year|kg|m2|m²|"
    r"1\.73\s*m[2²]|litre|liter|dl|l|ml|mm3|mm³|µl|ul|microlitre|microliter|second|s|"
    r"high[- ]power[- ]field|hpf)\b",
    re.IGNORECASE,
)
"""A result cut before its rate's "per" ("104 beats" of "104 beats per minute"); not a dose,
whose "per day" is its schedule ("60 mg per day")."""
_SIGN_BEFORE = re.compile(r"(?:^|[\s(])[<>≤≥±−-]$")
_THOUSANDS_ON = re.compile(r"(?<=\d),\d{3}(?!\d)")
"""A value's number whose thousands the text goes on with ("10" of "10,000"), unless the value
has a decimal point ("9.1,8.4" is a list)."""


_AL_NOUNS = (
    r"(?:withdrawal|removal|survival|arrival|denial|refusal|trial|hospital|interval|signal|"
    r"canal|rental|recital|dismissal|reversal|renewal|approval|disposal|proposal|arsenal)"
)
"""Nouns in "-al": not an adjective cut from its noun."""
_A_PHRASE = re.compile(r"(?:a|an)\s", re.IGNORECASE)
_ADJECTIVE_END = re.compile(
    rf"(?!{_AL_NOUNS}$|clinic$)[^\W\d_]{{2,}}(?:[^\W\d_]ed|ous|ic|al|ive)", re.IGNORECASE
)
_VERB_IN = re.compile(
    r"\b(?:was|were|is|are|had|has|have|been|tested|became|developed|received)\b", re.I
)


def _adjective_last(value: str) -> bool:
    """The last word of `value` (its last part after a hyphen: "well-circumscribed") is an
    adjective in "-ed", "-ous", "-ic", "-al", "-ive"; not a noun in "-al" ("interval")."""
    words = value.split()
    return bool(words) and _ADJECTIVE_END.fullmatch(words[-1].rsplit("-", 1)[-1]) is not None


_PHRASE_GOES_ON = re.compile(r"(?:\s*,\s*|\s+(?:and\s+|or\s+)?)[^\W\d_]")
"""A result that opens a noun phrase ("a", "an") and stops at an adjective the text goes on
from ("a 15 x 13 cm well-circumscribed" of "... well-circumscribed, heterogeneous,
hypervascular mass"): the noun is lost."""


def _cut_short(value: str, text: str, *, result: bool = False) -> str | None:
    """What the text goes on with where `value` stops in the middle of a number or a word, at
    each place `text` has it as written ("of 11" in "a mass of 11.2 cm", "46" in "karyotype was
    46,XX", "120" in "120/80 mmHg", "1 mg" in "1 mg/kg", "35" in "35-40%", "t(9" in "t(9;22)"),
    else None. Not a citation after a word ("positive.3"), nor a list with no space after its
    commas ("CK7,TTF-1", "9.1,8.4")."""
    value = value.strip()
    if not value or not value[-1].isalnum():
        return None
    found = [m.end() for m in re.finditer(rf"(?<!\w){re.escape(value)}", text, re.IGNORECASE)]
    if found and value.count("(") > value.count(")"):
        return value[-6:] + text[found[0] : found[0] + 8]  # "t(9" of "t(9;22)"
    starts = [end - len(value) for end in found]
    if value[0].isdigit() and starts and all(_SIGN_BEFORE.search(text[:at]) for at in starts):
        return text[starts[0] - 1] + value[:12]  # "<0.01 ng/mL", "-5 mmol/L": its sign
    if (
        found
        and result
        and _A_PHRASE.match(value)
        and not _VERB_IN.search(value)
        and _adjective_last(value)
        and all(_PHRASE_GOES_ON.match(text, end) for end in found)
    ):
        return value[-6:] + text[found[0] : found[0] + 14]  # "a 15 cm well-circumscribed, ..."
    rests = [
        _GOES_ON.match(text, end)
        or ("." not in value and _THOUSANDS_ON.match(text, end))
        or (result and value[-1].isalpha() and _PER_ON.match(text, end))
        for end in found
    ]
    if not found or not all(rests):
        return None
    return value[-6:] + rests[0].group()[:12]  # type: ignore[union-attr]


_NON_BEFORE = re.compile(r"\bnon[-\s]?$", re.IGNORECASE)
"""A quote right after "non-" ("Hodgkin lymphoma" found in "non-Hodgkin lymphoma")."""
_NEGATIONS = frozenset(
    {"no", "not", "nor", "neither", "without", "never", "none", "denied", "denies", "deny"}
    | {"denying", "negative", "absent", "absence", "free", "ruled", "excluded", "excludes"}
    | {"excluding", "lack", "lacked", "lacking", "lacks", "nil", "unremarkable"}
)
"""Words that say a finding was not there ("no fever", "denied chest pain", "negative for
Kernig's sign", "free of pain", "absence of murmurs")."""
_NEGATION_FORMS = (
    (re.compile(r"n['’]t\b", re.IGNORECASE), " not"),  # "didn't" is "did not"
    (re.compile(r"\bw/o\b", re.IGNORECASE), "without"),
    (re.compile(r"\bneg\b\.?", re.IGNORECASE), "negative"),
    # "Tremor was not observed, nor was rigidity": "nor rigidity"; "At no point did she
    # exhibit signs of heart failure": "not exhibit ..."; "Negative: rash, ...": "negative
    # for rash, ..." (the twentieth session's last support audit, out/audit-s20g)
    (re.compile(r"\bnor\s+(?:was|were|did|had|is|are)\s+(?:there\s+)?", re.IGNORECASE), "nor "),
    (
        re.compile(
            r"\bat\s+no\s+(?:point|time|stage)\b(?:\s+(?:during|in|of)\s+[^,;.]{1,40}?)?\s*,?\s*"
            r"(?:did|was|were|had)\s+(?:he|she|the\s+patient|they|it)\s+",
            re.IGNORECASE,
        ),
        " not ",
    ),
    (re.compile(r"\bnegative\s*:", re.IGNORECASE), "negative for"),
    # "He was not found to have any metastases", "not diagnosed with heart failure"
    (
        re.compile(
            r"\bnot\s+(?:found|diagnosed|known|shown|noted|seen)\s+(?:to\s+(?:have|be)|with)\b",
            re.IGNORECASE,
        ),
        "not have",
    ),
    # "She did not go on to develop diabetes", "did not subsequently develop"
    (
        re.compile(
            r"\b(?:go\s+on\s+to|subsequently|later|ever|thereafter)\s+(?=(?:develop|have|show"
            r"|experience|exhibit)\b)",
            re.IGNORECASE,
        ),
        "",
    ),
    # "MRI failed to show any intracranial lesion" is "did not show" (twentieth session's audit)
    (
        re.compile(
            r"\b(?:failed|fails|fail)\s+to\s+(?=(?:show|demonstrate|reveal|detect)\b)", re.I
        ),
        "did not ",
    ),
)
_NOT_NEGATIONS = re.compile(
    r"\b(?:not\s+only|no\s+(?:longer|change|improvement|doubt|further|\.?\s*\d)|"
    r"(?:could|can|cannot)\s+(?:not\s+)?be\s+(?:excluded|ruled\s+out)|"
    r"did\s+not\s+deny|ruled\s+in|disease[- ]free|free\s+(?:[a-z-]+\s+)?(?:t3|t4|thyroxine"
    r"|triiodothyronine|fluid|air|gas|light|chains?|wall|edge|margin|flap|water|fatty|radicals?)|"
    r"nil\s+by\s+mouth)\b",
    re.IGNORECASE,
)
"""Words of negation that negate no finding ("not only", "no longer", "could not be
excluded", "disease-free", "free T4", "nil by mouth"): taken out before the search."""
_SAME_SUBJECT = r"(?:(?:it|they|then|later|subsequently|eventually|soon|only)\s+){0,2}?"
"""Between "but" and a later verb, no new subject ("but it developed on day 3", "but occurred
on exertion"; not "but a cough developed")."""
_LATER_VERBS = (
    r"(?:developed|appeared|occurred|became|began|emerged|recurred|returned|worsened"
    r"|(?:was|were)\s+(?:present|noted|seen|detected))\b"
)
"""What says a finding denied for a time was there later ("Chest pain was absent at rest but
occurred on exertion"; the twentieth session's last support audit): the clause goes on over
"but", and the denial is limited (`_LIMITED_AFTER`)."""
_NEGATION_CLAUSE = re.compile(
    r";(?![\w.+-]*\))|[!?]|\.\s|(?-i:\.(?=[A-Z]))"
    r"|\bbut\b(?!\s+" + _SAME_SUBJECT + _LATER_VERBS + r")"
    r"|\b(?:although|though|while|whereas)\b|(?<!\bnot,\s)(?<!\bnever,\s)\bhowever\b",
    re.IGNORECASE,
)
"""Where a clause ends for both negation checks (a finding absent, a finding present): "no
fever but severe headache" says nothing of a headache's absence (commas and "and" join negated
lists: "no fever, cough or rash"); not the ";" of a translocation "t(11;14)"."""


_MINUS_MARK = re.compile(r"[^\W_]\s*(?:\(\s*[-−–]\s*\)|\s[-−–]\s*(?=[,.;)]|$))")
"""A table's minus sign after a name ("diabetes (-)", "crackles -,"): a negation without a
word."""


def _negates(clause: str) -> bool:
    """Whether a clause has a word of negation that may negate a finding, or a table's minus
    sign after a name."""
    if _MINUS_MARK.search(clause):
        return True
    for pattern, repl in _NEGATION_FORMS:
        clause = pattern.sub(repl, clause)
    clause = _NOT_NEGATIONS.sub(" ", clause)
    return bool(_NEGATIONS & set(_basic(clause, {}).split()))


_UNDENY = frozenset({"not", "never", "no", "nor", "neither", "without", "longer"})
"""Words that, up to three words before a word that denies a finding ("afebrile"), take its
denial back ("not afebrile", "no longer afebrile")."""
_DENIAL_GAP = frozenset(
    {"the", "a", "an", "her", "his", "their", "its", "this", "that", "these", "those", "which"}
    | {"who", "he", "she", "they", "it", "was", "were", "is", "are", "has", "had"}
    | {"unremarkable", "family"}
)
_NOT_THE_FINDING = frozenset(
    {"new", "recurrent", "recurring", "residual", "further", "additional", "remaining"}
    | {"relapsed", "relapsing", "other"}
)
"""A word right before the name that makes a negation deny only part of it: what is new,
recurrent or left ("no evidence of recurrent melanoma" says the melanoma was there; eleventh
session)."""
_NEEDS_NEXT = {"negative": "for", "absence": "of", "lack": "of", "free": "of"}
"""Words that deny a finding named after them only with their preposition ("negative for")."""
_VERB_NEGATIONS = frozenset({"not", "never"})
_HAVING = frozenset(
    {"have", "has", "had", "having", "show", "shows", "showed", "shown", "reveal", "reveals"}
    | {"revealed"}
    | {"develop", "develops", "developed", "report", "reports", "reported", "experience"}
    | {"experienced", "exhibit", "exhibited", "complain", "complained", "of", "any", "a", "an"}
    | {"been", "become", "becomes", "became", "appear", "appears", "appeared", "seem", "seems"}
    | {"seemed", "look", "looks", "looked", "demonstrate", "demonstrates", "demonstrated"}
)
_FINDING_OF = frozenset(
    {"shortness", "loss", "tightness", "difficulty", "sensation", "feeling", "lack"}
)
"""A finding's own first word before "of" ("shortness of breath", "loss of appetite"): in a
denied list before the name it is an item, not a head ("He denied chest pain, shortness of
breath, nausea and vomiting"; the twenty-first session's last support audit, out/audit-s21h)."""
_GAP_FILLERS = frozenset(
    {"significant", "relevant", "past", "prior", "previous", "medical", "known", "personal"}
    | {"notable", "obvious", "apparent", "overt", "definite", "appreciable", "clinical"}
)
"""Words between a negation and the name that do not count towards its three-word reach ("no
significant past medical history of diabetes"; the twentieth session's last audit)."""
_DENIED_HEADS = frozenset(
    {"history", "evidence", "sign", "signs", "symptom", "symptoms", "complaint", "complaints"}
    | {"episode", "episodes", "feature", "features", "finding", "findings", "suggestion"}
)
"""What may stand between a negation and "of" / "for" before a finding and still deny it
("no history of", "no signs of"): not "no cause for fever", "no source of fever", "no
treatment for rash", which deny the cause, the source, the treatment."""
"""What may stand between "not" / "never" and the finding it denies ("did not develop any
fever"): the negation of a verb of having or showing, not of any verb ("they were not helpful.
Head...", "could not be extracted by bimanual manipulation")."""
_CLAUSE_END = r"\s*(?:[.;]|,(?!\s*(?:until|except|apart|save|only|but\s+only)\b)|$)"
"""The end of a clause: a stop, or a comma not before an exception ("Fever did not develop,
and he was discharged", "Although hypotension did not develop, the patient became oliguric";
not "did not develop, until day 5"; the twentieth session, from the last audit's misses)."""
_NO_EXCEPT = r"(?:(?!\b(?:until|but|before|except|only|later|then)\b)[^.;,])"
"""A word of a phrase after a denial that does not take it back in time or in part ("did not
recur during follow-up"; not "did not occur until day 3", "not a feature at first but
later")."""
_DENIED_AFTER = re.compile(
    r"(?:\b(?:was|were|is|are|had\s+been|has\s+been|having\s+been|did)\s+(?:all\s+|both\s+)?"
    r"|^\s*:\s*|^\s*,\s*which\s+(?:was|were)\s+)"
    r"(?:(?:absent|negative|neg|none|nil|denied|lacking|excluded|ruled\s+out)\b"
    r"|(?:not|never)\s+(?:seen|found|present|detected|observed|identified|noted|shown|demonstrated"
    r"|reported|heard|felt|palpable|visible|appreciated|elicited|documented|recorded|evident"
    r"|apparent|isolated|grown|cultured|confirmed)\b(?!\s+by\b)"
    r"|not\s+(?:a\s+)?(?:feature|finding|complaint)s?"
    r"(?:\s+(?:of|in|on|at|during)\s+(?:the|his|her|this|its)\s+(?:(?:initial|clinical|physical"
    r"|present)\s+)?(?:illness|examination|case|course|condition|lesion|admission|stay)"
    rf"|\s+on\s+examination)?{_CLAUSE_END})"
    r"|\b(?:could|can)\s+not\s+be\s+(?:seen|found|detected|observed|identified|demonstrated"
    r"|visuali[sz]ed|isolated|grown|cultured|palpated|elicited|confirmed|proven|proved|heard"
    r"|auscultated|appreciated|felt)\b",
    re.IGNORECASE,
)
_EXCEPTIONS = (
    r"(?:other\s+than|apart\s+from|except(?:\s+for)?|besides|aside\s+from|save\s+for"
    r"|with\s+the\s+exception\s+of)"
)
_BUT_FOR = re.compile(rf"\b{_EXCEPTIONS}\b")
"""Between a negation and the name, the words that except it from the denial ("no complaints
other than fatigue"; the twentieth session's audit)."""
_LATER_AFTER = re.compile(
    r"[^.;]{0,40}?(?:\s+|,\s*)(?:until\b|but\s+" + _SAME_SUBJECT + _LATER_VERBS + ")"
    r"|[^.;]{0,40}?,\s*only\s+(?:on|with|during|at|after|when|in)\b",
    re.IGNORECASE,
)
_LIMITED_AFTER = re.compile(
    r"[^.;]{0,40}?(?:,\s*|\s+)(?:only\b|until\b|but\s+" + _SAME_SUBJECT + r"(?:developed|appeared"
    r"|occurred|became|present|was|were|began|worsened|seen|noted|emerged|recurred|returned)\b)",
    re.IGNORECASE,
)
"""A denial limited right after it ("The tremor was not evident at rest, only during
movement", "was not seen until day 3"; the twentieth session's audit): it denies nothing
whole."""
_WHERE_GAP = re.compile(
    r"(?!.*\b(?:brothers?|sisters?|mother|father|sons?|daughters?|wife|husband|partner"
    r"|siblings?|parents?|relatives?|family|friends?|colleagues?|child|children|twins?)\b)"
    r"\s*(?:under|in|on|over|at|within|around|behind|above|below|beneath)\s+"
    r"(?:(?:the|his|her|both|each)\s+)?\w+(?:\s+\w+)?\s*",
    re.IGNORECASE,
)
"""A place between the name and its denial ("Free air under the diaphragm was not seen";
the last support audit): the denial is still the name's."""
_DENIED_RIGHT_AFTER = re.compile(
    r"^(?:-free\b|[\s-]+(?:neg|negative)\b|\s*[-−–]\s*(?:[,.;)]|$)"
    r"|\s*\(\s*(?:[-−–]|neg|negative|absent)\s*\)"
    r"|\s*[:,—–-]\s*(?:no|none|absent|negative|nil|denied)\s*(?:[,.;)]|$)"
    r"|\s+nil\s*(?:[,.;)]|$)"
    r"|\s+(?:ruled\s+out|excluded)\b(?!\s+(?:as|that|from)\b))",
    re.IGNORECASE,
)
"""Right after the name: "pain-free", "Kernig sign neg.", "HIV negative", "HIV-negative",
a table's "diabetes (-)", "cough: no;", "Tuberculosis ruled out;" (the twentieth session's
last audit)."""
_TEST_WORDS = re.compile(
    r"\s*(?:\b(?:rapid|diagnostic|antigen|screening|serum|blood|stool|urine|quick)\s+){0,3}"
    r"\b(?:serolog\w*|antibod\w*|antigens?|tests?|testing|PCRs?|cultures?|titres?|titers?"
    r"|staining|stainings|parasites?|organisms?|bacilli"
    r"|levels?|IgM|IgG|screens?|smears?|stains?|swabs?|assays?|panels?|films?)\s*$",
    re.IGNORECASE,
)
"""A test's word between a list of what was tested and its verdict ("HIV, HBV and HCV
serologies were negative")."""
_LISTED = re.compile(r"\s*\)?\s*(?:,|and\b|or\b|nor\b)", re.IGNORECASE)
_DENYING_VERBS = frozenset(
    {"denied", "denies", "deny", "denying", "negative", "excluded", "excludes", "excluding"}
)
"""Words that deny each item of the list after them ("denied fever, chills, and night
sweats"); after "no" or "without" a list is denied only with "or" / "nor" in it ("no fever,
cough or rash"), since "no sign of hemolysis, elevated CRP, low albumin" goes on listing what
was found."""


def said_present(fact: BaseModel) -> bool:
    """A finding said to be present, or a diagnosis the patient had (principal or secondary;
    eleventh session: "no history of hypertension" stated "hypertension", secondary)."""
    if isinstance(fact, Finding):
        return fact.assertion == "present"
    return isinstance(fact, Diagnosis) and fact.status in ("principal", "secondary")


def _denied_after(after: str) -> bool:
    """Whether the words after a finding's name say it was not there: "was absent", "were not
    seen", "was ruled out", right after it or after a list it heads ("fever, night sweats and
    weight loss are absent"; not "fever resolved and the rash was absent")."""
    if _DENIED_RIGHT_AFTER.match(after):
        return True
    after = _ASIDE_BARE.sub(r"\1 ", _ASIDE.sub(r"\1 ", after))
    m = _DENIED_AFTER.search(after[:120])
    if m is None or _LIMITED_AFTER.match(after, m.end()):
        return False
    gap = _TEST_WORDS.sub(" ", _PARENTHESES.sub(" ", after[: m.start()]).lstrip(") "))
    if _WHERE_GAP.fullmatch(gap):
        return True  # "Free air under the diaphragm was not seen"
    if gap.strip() and not _LISTED.match(gap):
        return False
    return not (_DENIAL_GAP & set(_basic(gap, {}).split()))


_GIVEN_GAP = (
    r"(?:\s+(?:further|additional|adjuvant|any|the|a|an|more|other|planned|proposed|"
    r"prophylactic|empirical|empiric|maintenance|consolidation|salvage|allogeneic|autologous|"
    r"haploidentical|ha?ematopoietic|stem[- ]cell|urgent|elective|curative|palliative|"
    r"surgical))*\s*$"
)
_DONE_AFTER = re.compile(
    r"[^.;]{0,80}?(?:,\s*which\s+(?:revealed|showed|demonstrated|confirmed|was|were)|"
    r",?\s*which\s+(?:he|she|they|the\s+patient)\s+(?:received|underwent|had|started|completed)"
    r"|\band\s+(?:underwent|received|had|started|began|commenced|completed)\b"
    r"|\band\s+(?:was|were)\s+(?!(?:discharged|admitted|seen|evaluated|assessed|considered|found"
    r"|noted|referred|lost|deemed|thought|scheduled|planned|listed|placed|transferred|followed"
    r"|monitored|observed|offered)\b)[a-z]+ed\b"
    r"|,\s*where\s+(?:he|she)\s+underwent)",
    re.IGNORECASE,
)
"""After a referral or a schedule, words that say it was done ("referred for urgent coronary
angiography, which revealed ...", "scheduled for cholecystectomy and underwent it", "referred
to us for dialysis and was dialysed", "..., which she received in May"); not "and was
discharged", "and was evaluated"."""
_NOT_GIVEN_BEFORE = re.compile(
    r"\b(?:declined|declines|declining|refused|refuses|refusing|withheld|instead\s+of"
    r"|rather\s+than|in\s+place\s+of|avoided|avoiding|omitted|omitting|contraindicat\w+"
    r"|(?:did|does|do|had|has|have|could|would|was|were)\s+(?:not|never)\s+(?:receive|received"
    r"|undergo|undergone|get|got|given|treated\s+with|consent\s+to|tolerate\s+starting"
    r"|require|required|need|needed)"
    r"|(?:not|never)\s+(?:a\s+)?(?:candidate|eligible|fit)\s+for|(?:ineligible|unfit)\s+for"
    r"|unable\s+to\s+(?:receive|undergo)|(?:referred|referral|listed|evaluated|assessed|"
    r"scheduled|considered|planned|awaiting|wait-listed|waitlisted)\s+(?:for|to\s+receive)"
    # "referred to thoracic surgery for", "referred to our centre to undergo"
    r"|\breferred\s+(?:back\s+)?to\s+(?:(?!(?:for|and|but|where|which|with)\b)[\w'\u2019.-]+\s+)"
    r"{1,5}(?:for|to\s+(?:receive|undergo)))" + _GIVEN_GAP,
    re.IGNORECASE,
)
_NONE_BEFORE = re.compile(r"\b(?:without|no|not|neither|nor)" + _GIVEN_GAP, re.IGNORECASE)
"""For a treatment or an event, not a test ("no FLT3 mutations" is a test's result)."""
_WITHOUT_A = re.compile(r"\bwithout\s+(?:a|an|any)" + _GIVEN_GAP, re.IGNORECASE)
"""A test not done: "the diagnosis was made without a biopsy"."""
_NO_TEST_BEFORE = re.compile(r"\b(?:no|without\s+(?:a|an|any))" + _GIVEN_GAP, re.IGNORECASE)
_A_WORD_BETWEEN = (
    r"[-\s]+(?!(?:and|or|but|was|were|is|are|had|has|which|who|while|because(?!\s+of\b)|so|"
    r"since|that|although|though|whereas|when|if|until)\b)[\w-]+"
)
_WORDS_BETWEEN = (
    r"(?:(?:" + _A_WORD_BETWEEN + r"){0,4}|[-\s]+(?:of|to|for|with|after|from|during|in|on|at|"
    r"as|by|before|without)\b(?:" + _A_WORD_BETWEEN + r"){0,6})\)?"
)
"""Up to four words between a name and what is said of it ("FISH for BCR-ABL1 was not done",
"venetoclax-based regimens) were discussed"), or up to seven opening with a preposition
("radiotherapy of 30 Gy to the scrotum was considered but not given"); none of them "and",
"but", a verb of being or a word that opens another clause ("rituximab every 3 weeks while
radiotherapy was not given": the radiotherapy was not; fifth audit, out/audit-s17e)."""
_NOT_GIVEN_AFTER = re.compile(
    r"^" + _WORDS_BETWEEN + r"[\s,]*(?:\([^()]*\)\s*)?(?:,[^,;]{1,80},\s*)?"
    r"(?:was|were|had\s+been|has\s+been|is|are|could|would)\s+"
    r"(?:therefore\s+|also\s+|ultimately\s+|then\s+|deemed\s+|considered\s+|thought\s+)?"
    r"(?:(?:not|never)\s+(?:be\s+)?(?:given|administered|started|used|received|performed|done|"
    r"possible|indicated|pursued|available|necessary|required|needed|obtained|taken|carried\s+out|"
    r"feasible)(?!\s+until)|withheld|declined|refused|deferred|omitted|contraindicated|avoided|"
    r"unnecessary|offered\s+but|discussed(?!\s+(?:at|in|during)\b)|proposed|recommended|planned|"
    r"suggested|cancell?ed|"
    # "considered" of a plan, not of a judgement ("was considered normal", "... effective")
    r"considered(?=\s*(?:[,.;)]|$|\s(?:but|and|for|in|at|by|unsuitable|inappropriate|"
    r"unnecessary|too)\b)))\b"
    # a plan carried out is a treatment given: "was planned and performed on day 30"
    r"(?!,?\s+and\s+(?:was\s+|were\s+|then\s+|subsequently\s+)?(?:given|performed|started|"
    r"administered|done|carried\s+out|completed|received|initiated|begun))",
    re.IGNORECASE,
)
_NOT_THE_DRUG = re.compile(
    r"^[-\s]*(?:resistance|resistant|sensitivity|susceptib\w+|allergy|allergic|levels?|"
    r"concentrations?|antibod(?:y|ies))\b|^/|^-(?:like|secreting|producing)\b"
    r"|^\s*(?:was|were)\s+(?:below|above|undetectable|[<>≤≥]?\s*\d[\d.,]*\s*[a-zµμ]+/)",
    re.IGNORECASE,
)
_TEST_NOT_DONE = re.compile(
    r"^" + _WORDS_BETWEEN + r"\s*(?:was|were)\s+(?:taken|performed|done|available|obtained|"
    r"carried\s+out|possible)\b",
    re.IGNORECASE,
)


_RELATIVE = (
    r"(?:brother|sister|mother|father|son|daughter|wife|husband|partner|sibling|parents?|"
    r"grandmother|grandfather|uncle|aunt|cousin|twin|relatives?)"
)
"""Another person by kinship, for `_OTHER_NEAR` and `_OTHER_AFTER`."""
_OTHER_NEAR = re.compile(
    rf"\b(?:his|her|their|the|a|patient's)\s+(?:{_RELATIVE}|donor)\b(?:\s+\w+){{0,2}}\s*$",
    re.IGNORECASE,
)
"""Another person right before an event or a treatment ("his brother had died", "her mother
received tamoxifen"), whatever the clause's first words."""


def _not_given(fact: BaseModel, name: str, sentence: str) -> str | None:
    """Why `sentence` does not say that treatment, event or test `name` was given or done, or
    None: at each place it names it, the words right before refuse or replace it ("she
    declined adjuvant radiotherapy", "instead of steroids") or the words
    right after do ("radiotherapy was offered but declined", "surgery was not possible", "an
    autopsy was declined"); for a treatment or an event, also where the name is not the drug
    given ("without rifampicin resistance", "tacrolimus levels": a test's name) or denied ("no
    chemotherapy"; not for a test: "no FLT3 mutations" is its result).  A sentence that names
    it once so and once given ("... declined surgery; surgery was done in May") gives it
    (thirteenth session's reading audit)."""
    at_name = _name_pattern(name)
    hits = list(at_name.finditer(sentence)) if at_name else []
    if not hits:
        return None
    drug = not isinstance(fact, Assessment)
    whose = None
    for h in hits:
        before, after = _past_definition(
            name, sentence[max(0, h.start() - 120) : h.start()], sentence[h.end() : h.end() + 160]
        )
        if _of_another(_basic(sentence[: h.start()], {}).split()) or _OTHER_NEAR.search(before):
            whose = "the text says it of another person"
            continue
        if not (
            (_NOT_GIVEN_BEFORE.search(before) and not _DONE_AFTER.match(after))
            or _NOT_GIVEN_AFTER.search(after)
            or (drug and (_NONE_BEFORE.search(before) or _NOT_THE_DRUG.search(after)))
            or (
                not drug
                and (
                    (_NO_TEST_BEFORE.search(before) and _TEST_NOT_DONE.search(after))
                    or _WITHOUT_A.search(before)
                )
            )
        ):
            return None
    return whose or "the text says it was not, or names it as something else"


_NAMED = (Diagnosis, Finding, Treatment, Assessment, TimelineEvent, DiseaseEvent)
_KARYOTYPE_WORD = re.compile(r"del|inv|dup|der|ins|add|t", re.IGNORECASE)
"""A karyotype's operator alone, cut from its bands ("del" of "del(17p)"; reading sample 20)."""
_KARYOTYPE = re.compile(
    r"\b(?:t|del|inv|dup|der|ins|i|add)\(\w|\b[^\W\d_]{1,2}\d{2,}[^\W\d_]?\b"
    r"|(?<![\w+-])[+-](?:\d{1,2}|X|Y)\b|\b4[5-9],\s?X",
    re.IGNORECASE,
)
"""A change of the karyotype ("t(4;14)", "del(17p)", "+8", "-7", "45,X") or a marker or a
variant ("S100", "p63", "L858R"): named by letters and numbers."""
_MOVEMENT_NAMED = re.compile(
    r"(?:(?:left|right|bilateral)\s+)?(?:shoulder|elbow|wrist|hip|knee|ankle|neck|finger|toe|"
    rf"thumb|hallux|trunk|spine|lumbar|cervical|forearm|arm|leg|foot|hand|jaw|eye|head)s?\s+"
    rf"(?:{_MOVEMENTS})",
    re.IGNORECASE,
)
"""A movement a muscle's strength is graded by ("elbow extension" of "grade 3/5 for shoulder
abduction and elbow extension"), named alone: no finding."""
_LEADING = re.compile(r"^\s*(?:(?:with|without|no|not|of|the|a|an|and|or|on|in|at)\s+)+", re.I)
"""Words a cut phrase may start with ("with no facial" of "with no facial weakness")."""
_RESULT_ONLY = re.compile(
    r"(?:(?:was|were|is|are|came\s+back|returned|tested|test)\s+)*"
    r"(?:(?:mildly|markedly|slightly|moderately|severely|very|significantly|persistently)\s+)?"
    r"(?:negative|positive|normal|abnormal|unremarkable|elevated|raised|increased|decreased|"
    r"reduced|low|high|within\s+normal\s+limits|WNL|(?:not\s+)?detected|undetectable|present|"
    r"absent|mild|moderate|severe|stable|improved|worsened|unchanged|borderline|"
    r"non-?reactive|reactive|clear|benign|inconclusive|equivocal|trace|pending|resolved|"
    r"normali[sz]ed|nil|denies|denied|full|intact|preserved|good|poor)[.;,]?",
    re.IGNORECASE,
)
"""A result alone ("negative" of "a urine toxicology screen was negative"): no finding."""
_QUALIFIER = re.compile(
    rf"(?!{_AL_NOUNS}\b)(?-i:(?![A-Z]+\b))[^\W\d_]{{3,}}al",
    re.IGNORECASE,
)
"""One adjective in "-al" cut from its noun ("postural" of "a postural and action tremor",
"facial" of "no facial weakness"); not a noun in "-al" ("withdrawal").  Not "-ic", "-ous",
"-ar": tried in the seventeenth session and withdrawn after a helper's audit (out/audit-s17:
"a cyanotic infant", "an icteric man", "turned cyanotic" are said of the patient)."""
_A_QUALITY = re.compile(
    r"hard|soft|firm|rubbery|smooth|irregular|mobile|fixed|large|small|multiple|diffuse|mild"
    r"|moderate|severe|bilateral|unilateral|solitary|giant|huge|tiny",
    re.IGNORECASE,
)
"""A word of size, texture, number or degree alone, cut from the noun it qualifies ("hard" of
"a hard, non-tender mass"; reading sample 25)."""
_NEGATION_FIRST = re.compile(
    r"\s*(?:(?:no|none|not|never|without|denie[sd])\b(?![-‐‑]|\s+reflow)|negative\s+(?:for|family|"
    r"medical|past)\b|unremarkable\b|absence\s+of\b|previously\s+(?:healthy|well)\b|"
    r"nothing\s+of\s+note\b|NKDA\b|non-?contributory\b)",
    re.I,
)
"""A diagnosis named by a negation ("no relevant medical history") names none the patient had."""
_DRUG = re.compile(
    r"\b(?:\w+(?:pril|sartan|olol|semide|thiazide|statin|parin|xaban|gatran|prazole|tidine|"
    r"ephrine|butamine|olone|asone|isone|cillin|mycin|micin|floxacin|cycline|penem|conazole|"
    r"fungin|ciclovir|clovir|tinib|rafenib|mab|cept|kinra|sporin|limus|platin|rubicin|taxel|"
    r"abine|fosfamide|phosphamide|mustine)|furosemide|frusemide|warfarin|aspirin|morphine|fentanyl|"
    r"noradrenaline|adrenaline|vasopressin|milrinone|levosimendan|amiodarone|digoxin|"
    r"ticagrelor|clopidogrel|prasugrel|alteplase|tenecteplase|methotrexate|azathioprine|"
    r"mycophenolate|hydroxychloroquine|colchicine|allopurinol|levetiracetam|phenytoin|"
    r"paracetamol|acetaminophen|ibuprofen|ondansetron|filgrastim|pegfilgrastim|"
    r"immunoglobulin|IVIG)\b",
    re.IGNORECASE,
)
"""Names of drugs ("ramipril", "furosemide", "dobutamine", "norepinephrine", "tocilizumab"):
an assessment so named is a drug given, not a test (thirteenth session's reading audit)."""
_TEST_WORD = re.compile(
    r"\b(?:levels?|concentrations?|assays?|tests?|testing|screens?|titres?|titers?|serum|"
    r"plasma|blood|urine|urinary|antibod\w*|antigens?|resistan\w*|sensitiv\w*|susceptib\w*|"
    r"mutations?|rearrangements?|expression|stain\w*|PCR|scan|scintigraph\w*|SPECT|PET|"
    r"challenge|suppression|stimulation|monitoring|trough|chains?)\b",
    re.IGNORECASE,
)


_CONCENTRATION = re.compile(
    r"\d[\d.,]*\s*(?:[a-zµμ]+/(?:d?l|ml|µl|μl|ul|mm3|mm³)|[x×]\s*10\^?\s*\d+\s*/\s*l)(?![\w/])",
    re.IGNORECASE,
)
"""A measured level's value: an amount per volume ("96 mg/L", "13.8 × 10^9/L"), not a rate
("20 mmol/h", "10 mL/kg")."""
_FORMULATION = re.compile(
    r"\b(?:chloride|gluconate|sulph?ate|sulfate|citrate|carbonate|acetate|"
    r"glargine|lispro|aspart|detemir|degludec|isophane|regular|isotonic|hypertonic|solution|"
    r"infusion|drip|bolus|replacement|supplement\w*)\b",
    re.IGNORECASE,
)
"""A drug's or a fluid's strength per volume ("potassium chloride 40 mmol/L", "insulin glargine
100 units/mL"), not a level measured (fifth audit)."""
_NUMBERED_REGIMEN = re.compile(r"\s*(?:7\s*\+\s*3|5\s*\+\s*2|3\s*\+\s*7|2\s*\+\s*5)\s*")
"""A regimen named by its days ("7+3": cytarabine 7 days, an anthracycline 3), a name."""
_CLAUSE_FIRST = re.compile(
    r"(?:[Ww]as|[Ww]ere|[Ii]s|[Aa]re|[Hh]ad|[Hh]as|[Hh]ave|[Bb]een|[Bb]ecame|[Bb]ecomes|"
    r"[Rr]emained|[Rr]emains|[Rr]ecovered|[Ss]howed|[Rr]evealed|[Dd]emonstrated|[Dd]eveloped|"
    r"[Pp]resented|[Cc]omplained|[Ss]uffered|[Ee]xperienced|[Bb]egan|[Tt]ested|[Cc]onsidered|"
    r"[Hh]e|[Ss]he|[Tt]hey|[Ww]e|(?:[Tt]he\s+)?[Pp]atient)\s"
    r"|(?:was|were|had|has|developed|presented|showed|revealed|received|underwent)$"
)
_CLAUSE_IN = re.compile(r"\s(?:was|were|is|are|had|has)\s")
"""A finding or a diagnosis whose name opens with a verb or a subject ("he undergo", the
nineteenth session's new case report), or holds "was", "is", "had"... (in lower case: "WAS
gene" is a name), is a clause cut from the text ("was free of symptoms", "recovered to 55%",
"autopsy was not performed"), not a name."""
_GENERIC_NAME = re.compile(
    r"(?:(?:his|her|the|its|their)\s+)?(?:symptoms?|signs?|complaints?|findings?|problems?"
    r"|laboratory\s+(?:tests?|findings|results|values)|tests?|results?|blood|serum|plasma|urine"
    r"|cerebrospinal\s+fluid|CSF|sputum|stool|specimens?|samples?|intensive\s+care"
    r"(?:\s+unit)?|ICU|emergency\s+(?:department|room)|ward|hospital|clinic|diseases?|illness"
    r"|conditions?|diagnosis)",
    re.IGNORECASE,
)
"""A finding or diagnosis named by a word for any ("symptoms", "laboratory tests"), a
specimen ("blood", "serum", "cerebrospinal fluid": reading sample 22) or a place ("intensive
care unit"; the twentieth session's support audit)."""
_STAGE_ONLY = re.compile(r"(?:stage|grade|class|phase)\s+(?:[0-9]+|[IVX]+)[a-cA-C]?", re.I)
"""A stage or grade alone ("stage 3" of "chronic kidney disease (stage 3)"): a detail of a
disease, not one."""
_RESPONSE = re.compile(
    r"(?:(?:a|an|the)\s+)?(?:(?:very\s+good\s+|near[- ])?(?:complete|partial|overall|major|"
    r"minor|no|good|poor|sustained|durable|stringent)\s+)?(?:(?:metabolic|molecular|cytogenetic|"
    r"ha?ematologic(?:al)?|radiologic(?:al)?|radiographic|clinical|patho(?:logic(?:al)?)?|"
    r"serologic(?:al)?|biochemical|immunologic(?:al)?|virologic(?:al)?|tumou?r)\s+)?"
    r"(?:response|remission|regression)|(?:stable|progressive)\s+disease",
    re.IGNORECASE,
)
"""A response named alone ("complete metabolic response" of "PET/CT showed a complete
metabolic response"): a test's result or a disease event, not a test."""


def _not_a_name(fact: BaseModel, value: str) -> str | None:
    """Why `value` cannot be the name of `fact`, or None: a name with no word but function
    words and numbers ("with t", "was 3", "11", "the", "null"; the mentions passes' cut
    phrases; a word in capitals is an abbreviation: "B-ALL"), or a test named by a drug and
    no word of a test ("ramipril", "intravenous furosemide"; not "tacrolimus levels" nor
    "anti-heparin antibodies")."""
    if not isinstance(fact, _NAMED) or len(value.strip()) < MIN_VALUE_CHARS:
        return None  # under 2 characters has its own note
    words = [w for w in re.findall(r"[^\W\d_]+", value) if len(w) >= 2]
    named = [w for w in words if w.isupper() or w.lower() not in function_words()]
    regimen = isinstance(fact, Treatment) and _NUMBERED_REGIMEN.fullmatch(value)
    if not named and not _KARYOTYPE.search(value) and not regimen:
        return "it names nothing (only function words or numbers)"
    if _KARYOTYPE_WORD.fullmatch(value.strip()):
        return 'a piece of a karyotype ("del" of "del(17p)"), not a name'
    if isinstance(fact, Assessment) and _DRUG.search(value) and not _TEST_WORD.search(value):
        return "a drug given, not a test"
    if isinstance(fact, Assessment) and _kinds()["given"].search(value) and not _a_test(value):
        return "a treatment given, not a test"
    if isinstance(fact, Assessment) and _RESPONSE.fullmatch(value.strip()):
        return "a response, not a test"
    if isinstance(fact, (Finding, Assessment)) and _only_anatomy(_LEADING.sub("", value)):
        return f"a part of the body, not a {'finding' if isinstance(fact, Finding) else 'test'}"
    if isinstance(fact, (Finding, Diagnosis)):
        kind = "finding" if isinstance(fact, Finding) else "diagnosis"
        if _CLAUSE_FIRST.match(value.strip()) or _CLAUSE_IN.search(value):
            return f"a clause, not the name of a {kind}"
        if _RESULT_ONLY.fullmatch(value.strip()):
            return f"a result, not a {kind}"
        if _STAGE_ONLY.fullmatch(value.strip()):
            return f"a stage or grade, not a {kind}"
        if _GENERIC_NAME.fullmatch(value.strip()):
            return f"a word for any {kind} or a place, not a {kind}"
        if _DRUG.fullmatch(_ROUTE.sub("", value).strip()):
            return f"a drug, not a {kind}"
        if _MOVEMENT_NAMED.fullmatch(value.strip()):
            return f"a movement, not a {kind}"
        if _kinds()["level"].fullmatch(value.strip()):
            return f"a test, not a {kind}"
    if isinstance(fact, Diagnosis) and fact.status != "ruled_out" and _NEGATION_FIRST.match(value):
        return "a negation, not a diagnosis the patient had"
    head = _NOT_DISEASE.sub(" ", _FOR.split(value, maxsplit=1)[0])  # "drainage for effusion"
    if isinstance(fact, Assessment) and _DISEASE_OR_SIGN.search(head) and not _a_test(value):
        return "a disease or a sign, not a test"
    if isinstance(fact, Treatment) and not _a_treatment(value):
        if _FOLLOW_UP.fullmatch(value.strip()) or _a_test(value, given=True):
            return "a test or a visit, not a treatment"
        if (
            _kinds()["level"].search(value)
            and _CONCENTRATION.search(value)
            and not _FORMULATION.search(value)
        ):
            return "a test's value, not a treatment"
        if _DISEASE_OR_SIGN.search(head):
            return "a disease or a sign, not a treatment"
    return None


@cache
def _kinds() -> dict[str, re.Pattern[str]]:
    """The rules' vocabularies (`data/rules.toml`), compiled once: body parts and the words
    that qualify them, test names, treatment categories."""
    v = rules_vocabulary()
    parts = {w.casefold() for w in [*v["anatomy"]["words"], *v["sites"]["words"]]} - _NOT_ONLY_PARTS
    alternation = "|".join(re.escape(w) for w in sorted(parts, key=len, reverse=True))
    one = rf"(?>(?:(?:{'|'.join(_SIDES)})\s+)*(?:{alternation}))"  # atomic: no 2^n retries
    categories = "|".join(f"(?:{_word_start(row['pattern'])})" for row in v["treatment_categories"])
    given = "|".join(
        f"(?:{_word_start(row['pattern'])})"
        for row in v["treatment_categories"]
        if row["category"] != "supportive"
    )  # a supportive name may be a test's ("platelets", "oxygen")
    tests = v["tests"]["pattern"].removeprefix("^[\\w\\s-]*").removesuffix("$")
    levels = "|".join(
        re.escape(n)
        for n in sorted(v["measurements"]["names"], key=len, reverse=True)
        if n not in _NOT_ONLY_LEVELS and not _DISEASE_OR_SIGN.search(n)  # "proteinuria"
    )
    return {
        "anatomy": re.compile(rf"{one}(?:(?:\s*,\s*|\s+and\s+|\s*,\s*and\s+){one})*"),
        "level": re.compile(
            rf"(?:(?:serum|plasma|blood|urine|urinary|total|the)\s+)?(?:{levels})", re.IGNORECASE
        ),
        "category": re.compile(categories, re.IGNORECASE),
        "given": re.compile(rf"{given}|{_SUPPORT_GIVEN}", re.IGNORECASE),
        "test": re.compile(tests, re.IGNORECASE),
    }


_SUPPORT_GIVEN = (
    r"ha?emofiltration|\bCVVH\w*|dialysis|ventilation|intubat\w*|transfusion|\bCPR\b|"
    r"resuscitation|"
    r"\w+pressin\b|\w+azinamide\b|isoniazid|ethambutol"
)
"""Supportive treatments and drugs the vocabularies lack that a test is never named by."""
_SIDES: tuple[str, ...] = (
    "the", "his", "her", "left", "right", "bilateral", "both", "multiple", "several", "upper",
    "lower",
)  # fmt: skip
_NOT_ONLY_LEVELS = frozenset({"blasts", "weight", "body weight"})
"""Measured names that may also name a finding ("blasts" in the blood)."""
_NOT_ONLY_PARTS = frozenset({"sinus", "blood", "valve", "bone marrow", "marrow"})
"""Words of the anatomy lists that also name a lesion ("a sinus", "blood" in the urine) or a
specimen a test is named by ("bone marrow" showed 60 % blasts)."""


def _word_start(pattern: str) -> str:
    r"""`pattern` with a word boundary before each alternative that opens with ``\w+``
    ("\w+mab\b" retried at every letter of a long word is quadratic)."""
    return re.sub(r"(^|[|(])\\w\+", r"\1\\b\\w+", pattern)


def _only_anatomy(value: str) -> bool:
    """`value` names only parts of the body ("abdomen", "ribs", "the left elbow", "chest,
    abdomen and pelvis"): entries of the anatomy and site vocabularies, each perhaps with a
    side or a number before it; not one part placed in another ("pelvic kidney", "cervical
    rib": an anomaly) nor a specimen ("bone marrow")."""
    text = value.strip().casefold()
    return bool(text) and _kinds()["anatomy"].fullmatch(text) is not None


_DISEASE_OR_SIGN = re.compile(
    r"\b(?:\w+(?:itis|oma|penia|cytosis|osis|emia|pathy|uria|algia|megaly|rrhoea|rrhea|plegia|"
    r"paresis)|disease|syndrome|disorder|failure|infection|injury|pneumonia|infarction|"
    r"insufficiency|deficiency|cancer|tumou?rs?|toxicity|relapse|\w*o?edema|oedematous|pain|"
    r"fever|pyrexia|rash|cough|murmurs?|tenderness|swelling|weakness|fatigue|jaundice|crackles|"
    r"wheez\w*|dyspn\w*|nausea|vomiting|tachycardia|bradycardia|hypotension|hypertension|"
    r"bleeding|ha?emorrhage|ascites|effusions?|mass|lesions?|fractures?|abscess\w*|embolism|"
    r"fibrillation|headaches?|hypoxi\w*|sepsis|seizures?|ataxia|dysfunction|hernia|anaphylaxis|"
    r"arrest|symptoms?|tachypn\w*|bradypn\w*|intravascular\s+coagulation|"
    r"febrile(?!\s+agglutinin)|letharg\w*|"
    r"confusion|delirium)\b",
    re.IGNORECASE,
)
"""A word of a disease ("-itis", "-oma", "syndrome", "injury") or of a sign or symptom
("polyuria", "peripheral oedema", "pain"): named alone, not a test nor a treatment."""
_ROUTE = re.compile(
    r"^(?:(?:oral|intravenous|iv|subcutaneous|intramuscular|topical|inhaled|the|a|an)\s+)+",
    re.IGNORECASE,
)
_DRUG_HARM = re.compile(
    r"\b(?:toxic\w*|induced|associated|related|allerg\w*|reactions?|resistan\w*|overdose|"
    r"poisoning|intoxication|levels?|withdrawal|dependence|abuse|use|misuse|immunoglobulins?|"
    r"elevated|raised|high|low|increased|decreased|serum|plasma|positive|negative|deposits?)\b|"
    + _DISEASE_OR_SIGN.pattern,
    re.IGNORECASE,
)
"""Words with which a drug's name names a disease or a finding ("methotrexate toxicity",
"vancomycin-resistant enterococcus", "heparin-induced thrombocytopenia")."""
_NOT_DISEASE = re.compile(
    r"\b(?:stoma|diagnosis|prognosis|homeopathy|osteopathy|naturopathy|hypnosis|"
    r"tumou?r\s+necrosis\s+factor|mass\s+spectrometry|bone\s+mass|lean\s+mass|"
    r"(?:minimal|measurable)\s+residual\s+disease)\b",
    re.IGNORECASE,
)
"""Words that end as a disease word does and name none ("stoma", "diagnosis"), or name a
quantity measured ("minimal residual disease", "mass spectrometry")."""
_EXAMINATION_WORDS = (
    r"\w*markers?|\w*scores?|counts?|investigations?|examinations?|assessments?|evaluations?|"
    r"panel|workup|work-up|stud(?:y|ies)|analys[ie]s|screening|serolog\w*"
)
_EXAMINATION = re.compile(rf"\b(?:{_EXAMINATION_WORDS})\b", re.IGNORECASE)
"""Words only a test is named by, never a treatment ("tumour markers", "HScore", "full blood
count", "investigations")."""
_MEASURE = re.compile(
    rf"\b(?:{_EXAMINATION_WORDS}|index|ratio|scales?|grades?|grading|stag(?:e|ing)|size|"
    r"volume|pressures?|rates?|functions?|fractions?|saturation|gradient|exam|auscultation|"
    r"palpation|percussion|profile|signs?|reflex\w*|findings|imaging|sampling|specimens?|"
    r"swabs?|cultures?|fluid|Ig[GMAE]|ELISA|load|DNA|RNA|genotyp\w*|immunophenotyp\w*|burden|"
    r"thickness|output|flow|restaging|sensation|circulating|titre|titer|tissue|virus\w*|viral|"
    r"chains?|margins?|receptors?|\w+gra(?:m|phy)|explor\w*|diagnostic|\w+scope|genetic\w*)\b",
    re.IGNORECASE,
)
"""Words of a measurement or an examination, with which a test may name a disease or a sign
("tumour markers", "pain score", "ascitic fluid", "hepatitis B serology", "Babinski sign");
some ("pressure", "rate", "fluid") also name treatments ("blood pressure control")."""
_MADE_OF = re.compile(
    r"serum|plasma|blood|urine|urinary|antibod\w*|antigens?|stimulation|suppression|challenge",
    re.IGNORECASE,
)
_FOR = re.compile(r"\s+(?:for|of|to|due to|because of|after)\s+", re.IGNORECASE)
_FOLLOW_UP = re.compile(
    r"(?:[\w-]+\s+){0,3}(?:follow[- ]?ups?|visits?|(?:re)?admissions?|hospitali[sz]ations?|"
    r"discharges?)",
    re.IGNORECASE,
)
"""A visit, not a treatment ("follow-up", "clinic visit"; "admission", "hospitalisation",
"discharge": the eighteenth session's reading sample found "admission" kept as a treatment)."""
_TREATMENT_WORD = re.compile(
    r"\b(?:therap\w*|treat\w*|prophyla\w*|regimens?|grafts?|grafting|transplant\w*|"
    r"infusions?|injections?|support|repair|management|care|correction|replacement|"
    r"ablation|embolization|embolisation|stent\w*|exchange|withdrawal|block|vaccin\w*|"
    r"supplement\w*|nutrition|diet|rehabilitation|resuscitation|drainage|evacuation|tubes?|"
    r"catheter\w*|drains?|shunts?|pacemakers?|devices?|\w+centesis|orthos[ie]s|"
    r"prosthes[ie]s|braces?|splints?|casts?|cardioplegia|removal|extraction|ligation|"
    r"dissection|decompression|reduction|ha?emostasis|coiling|neurolysis|cryoablation|banding|"
    r"clipping|closure|occlusion|dilat\w*|lithotripsy|debulking|HIFU|focused\s+ultrasound|"
    r"medications?|medicines?|drugs?|agents?|inhibitors?|antagonists?|agonists?|blockers?|"
    r"suppressants?|relief|control|protocol|bolus|restriction|fluids?|expansion|palliation|"
    r"CPAP|BiPAP|PEEP|sliding\s+scale|lymphocytes|cells|intracoronary|thrombus\s+aspiration|"
    r"anti-\w+)(?!\w)",
    re.IGNORECASE,
)


def _a_test(value: str, *, given: bool = False) -> bool:
    """`value` names a test: a test word of the rules' vocabulary, a word of a measurement or
    of an examination, or of a laboratory test; of something `given`, not a word of what a
    treatment may be made of ("cold blood cardioplegia", "plasma exchange") nor of a
    measurement a treatment may name ("blood pressure control", "fluid bolus", "CPAP")."""
    lab = any(not (given and _MADE_OF.fullmatch(m.group())) for m in _TEST_WORD.finditer(value))
    measure = (_EXAMINATION if given else _MEASURE).search(value)
    return bool(_kinds()["test"].search(value) or lab or measure)


def _a_treatment(value: str) -> bool:
    """`value` names a treatment: a category of the rules' vocabulary, a drug, or a word of
    treatment ("therapy", "prophylaxis", "graft", "infusion")."""
    return bool(
        _kinds()["category"].search(value) or _DRUG.search(value) or _TREATMENT_WORD.search(value)
    )


_FOLDED = re.compile(r"[A-Za-z]{5,}")


def _fold(m: re.Match[str]) -> str:
    """One word in American spelling, lower case (the word check reads lower case: "Oedema"
    folds as "oedema" does)."""
    w = m.group().lower().replace("ae", "e").replace("oe", "e")
    if len(w) >= 6:
        w = re.sub(r"our(?=[a-z]|$)", "or", w)  # "behavioural", "discolouration"
    if len(w) >= 7:
        w = re.sub(r"([iy])s(e|ed|es|ing|ation|ations)$", r"\1z\2", w)  # "paralysed"
    return re.sub(r"^leuc(?=[oa])", "leuk", w)  # "leucocytosis"


def _american(text: str) -> str:
    """`text` with its longer words in American spelling, the word check's second reading
    (`text_stated`): "amenorrhoea" and "amenorrhea" were read as different words (the scorer's
    word reading, hashed into every tally, makes the first a singular "amenorrheum"),
    "behavioural" and "discolouration" kept their "our" (only a final one is read as "or").
    Both value and quote are folded, so a fold that makes two words alike does so on both
    sides; twentieth session, from the last support audit."""
    return _FOLDED.sub(_fold, text)


@lru_cache(maxsize=4096)
def _spelled(word: str) -> str:
    """A pattern for `word` in either spelling, British or American, as the word check reads
    both (`words_of`, `_american`): "tachypnea" finds "tachypnoea", "haemoptysis" finds
    "hemoptysis", "tumor" "tumour", "behavioral" "behavioural", "immunization"
    "immunisation", "paralyzed" "paralysed", "leukocytosis" "leucocytosis".  Short words,
    and words with other characters than letters, as written.  Nineteenth session: "No
    tachypnoea was present" stated "tachypnea" present, since the readers of a denial looked
    for the American spelling only; twentieth session: the same folds as the word check's
    second reading (`_fold`), or a denial of "leucocytosis" went unread while the word check
    found "leukocytosis" in it (the audit, out/audit-s20b)."""
    w = word.lower()
    if len(w) < 5 or not w.isascii() or not w.isalpha():
        return re.escape(word)
    w = _FOLDED.sub(_fold, w)
    pattern = "".join("[ao]?e" if c == "e" else c for c in w)
    pattern = (
        pattern.replace("or", "ou?r") if len(w) >= 6 else re.sub(r"or(s?)$", r"ou?r\1", pattern)
    )
    if len(w) >= 7:
        pattern = pattern.replace("iz", "i[sz]").replace("yz", "y[sz]")
    if pattern.endswith("y"):
        pattern = pattern[:-1] + "(?:y|ie)"  # "abnormality" finds "abnormalities"
    return re.sub(r"^l\[ao\]\?euk", "l[ao]?eu[ck]", pattern)


@lru_cache(maxsize=1024)
def _name_pattern(name: str) -> re.Pattern[str] | None:
    """`name`'s words in order, each maybe with an ending and in either spelling
    (`_spelled`), compiled once per name (a finding is checked against every sentence
    relocation tries)."""
    words = [_spelled(w) for w in re.findall(r"\w+", name)]
    return re.compile(r"\b" + r"\W+".join(words) + r"\w*", re.IGNORECASE) if words else None


_REPORTING = frozenset(
    {"noticed", "notice", "notices", "reported", "report", "reports", "observed", "noted"}
    | {"described", "stated", "said", "mentioned", "found", "brought", "took", "saw"}
    | {"witnessed", "sought", "complained", "worried", "feared"}
)
"""Verbs by which another person tells of the patient's condition ("Her parents noticed
jaundice", "His wife reported that he had fever")."""


def _of_another(words: list[str]) -> bool:
    """The clause's words before a mention make another person its subject: one named within
    its first five words ("her mother had", "the patient's father died of", "her husband was
    treated for"), not followed by the patient ("..., and she herself"), nor a person who
    reports or notices ("her parents noticed"); or a family history."""
    if any(a == "family" and b == "history" for a, b in pairwise(words)):
        return True
    # a clause opened inside the sentence has its own subject: "He had delayed seeking help
    # because his brother had died of ..." (fifteenth session's thirteenth reading sample)
    opened = max((i + 1 for i, w in enumerate(words) if w in _SUBORDINATORS), default=0)
    for part in (words, words[opened:]) if opened else (words,):
        at = _last_other(part[:5])
        if (
            at >= 0
            and not _patient_after(part, at)
            and not _object(part, at)
            and not (_REPORTING & set(part[at + 1 :]))
        ):
            return True
    return False


def said_of_another(name: str, sentence: str) -> bool:
    """Whether `sentence` names `name` only as another person's ("his brother had died of a
    myocardial infarction"): every mention, in its clause (`_mentions_of_another`)."""
    found = [
        m for clause in _NEGATION_CLAUSE.split(sentence) for m in _mentions_of_another(name, clause)
    ]
    return bool(found) and all(found)


@lru_cache(maxsize=4096)
def _scattered(name: str, clause: str) -> tuple[tuple[int, int], ...]:
    """Where `clause` has each word of `name` (3 letters or more, any ending), when it names
    it in another order ("pain in her chest" for "chest pain"): the last word where it first
    stands, each other where it stands nearest that; () when a word is missing.  The word
    check states such a name, so the checks that read around a mention read around these
    (seventeenth session: "She denied pain in her chest" stated "chest pain" present)."""
    words = [w for w in re.findall(r"\w+", name) if len(w) >= 3 and w.lower() not in _STOP]
    places = [
        [m.span() for m in re.finditer(rf"\b{_spelled(w)}\w*", clause, re.IGNORECASE)]
        for w in words
    ]
    if not places or not all(places):
        return ()
    head = places[-1][0]  # the name's last word ("pain" of "back pain"), where it first stands
    # each other word where it stands nearest the head: "no history of back surgery and ...
    # pain in the lower back" reads the second "back" (seventh audit, out/audit-s17g)
    near = [min(p, key=lambda sp: abs(sp[0] - head[0])) for p in places[:-1]]
    return tuple(sorted([*near, head]))


def _mentions_of_another(name: str, clause: str) -> list[bool]:
    """For each place `clause` names `name`, whether it is said of another person
    (`_of_another`), in the order of `_mention_denials`."""
    at_name = _name_pattern(name)
    if at_name is None:
        return []
    spans = [h.span() for h in at_name.finditer(clause)]
    if not spans and (spread := _scattered(name, clause)):
        spans = [(spread[0][0], spread[-1][1])]
    return [
        _of_another(_basic(_UNLIKE.sub(" ", clause[:a]), {}).split())
        or bool(_OTHER_AFTER.match(clause, b))
        or bool(_EXPOSED_TO.search(clause[:a]))
        for a, b in spans
    ]


_UNLIKE = re.compile(
    r"\b(?:unlike|in\s+contrast\s+to|as\s+opposed\s+to)\s+(?:the|our|this)\s+patient\b", re.I
)
"""The patient named only to be set apart ("Her sister, unlike the patient, had developed
diabetes insipidus"; the last support audit): no subject of the clause."""
_EXPOSED_TO = re.compile(
    r"\b(?:exposed\s+to|(?:in\s+)?contact\s+with|caring\s+for|cared\s+for|lived\s+with"
    r"|living\s+with|visited\s+by|visiting)\s+(?:(?:an?|the|his|her|their|several|two|three"
    r"|a\s+few)\s+)?(?:\w+\s+){0,2}?(?:with|who\s+(?:had|has|developed))\s+(?:\w+\s+){0,2}$",
    re.IGNORECASE,
)
"""A person the patient met, with the condition ("exposed to a colleague with active
tuberculosis", "in contact with a child with measles"; the last support audit): theirs."""


_OTHER_AFTER = re.compile(
    r"\s*(?:(?:was|were|had\s+been|has\s+been)\s+(?:also\s+|previously\s+|later\s+)?"
    r"(?:diagnosed|found|reported|present|noted|seen|confirmed)\s+)?in\s+(?:both\s+(?:of\s+)?)?"
    r"(?:his|her|their|"
    rf"the\s+patient's)\s+(?:\w+\s+)?{_RELATIVE}\b",
    re.IGNORECASE,
)
"""Another person named right after the name ("type 2 diabetes was diagnosed in her father",
"breast cancer in her mother"; the seventh audit's leftover)."""


_PARENTHESES = re.compile(r"\([^()]*\)")
"""A parenthesis inside what is listed before a verdict ("cytomegalovirus (CMV) and
Epstein-Barr virus (EBV) were negative")."""


def _past_definition(name: str, before: str, after: str) -> tuple[str, str]:
    """The words around a mention, with an abbreviation the clause defines right there read
    as its long form: "no history of gastro-oesophageal reflux disease (GERD)" is read for
    "GERD" as "no history of" before and what follows ")" after (twelfth session)."""
    if not (before.rstrip().endswith("(") and after.lstrip().startswith(")")):
        return before, after
    long_form = defined_abbreviations(f"{before}{name})").get(name.lower())
    if not long_form:
        return before, after
    k = len(long_form.split())
    trimmed = re.sub(rf"(?:[A-Za-z0-9]+[^A-Za-z0-9(]*){{{k}}}\(\s*$", "", before)
    return trimmed, after.lstrip()[1:]


_PROTECTED_BEFORE = re.compile(
    r"\b(?:vaccinat\w*|immuni[sz]\w*|vaccines?|boosters?|prophyla\w+|protected|protection|"
    r"seroprotected)\s+(?:against|for|from)\s+(?:(?:the|a|an)\s+)?$",
    re.IGNORECASE,
)
"""Words before a disease that name it as what the patient was protected against ("had not
been vaccinated against varicella", "prophylaxis against Pneumocystis"), not had."""


_HAD_BEFORE = re.compile(r"\b(?:secondary|recurrent|recurrence|relapse|further|repeat)\b", re.I)
"""Secondary prophylaxis, or prophylaxis of a recurrence, is given for what the patient had."""


def _only_protected(name: str, text: str) -> bool:
    """Whether `text` names `name` and only right after words of protection against it (not
    "secondary prophylaxis for variceal bleeding", "prophylaxis for recurrent UTIs")."""
    at_name = _name_pattern(name)
    hits = list(at_name.finditer(text)) if at_name else []
    if not hits or _HAD_BEFORE.search(name):
        return False
    for h in hits:
        protected = _PROTECTED_BEFORE.search(text[: h.start()])
        if not protected or _HAD_BEFORE.search(text[max(0, protected.start() - 30) : h.start()]):
            return False
    return True


def _patients(before: str) -> str:
    """The words before a mention, with "neither the patient nor <another person> was" read as
    "not" (`_NEITHER_THE_PATIENT`)."""
    return _NEITHER_THE_PATIENT.sub(" not ", before)


def _mention_denials(name: str, clause: str, *, of_patient: bool = False) -> list[bool]:
    """For each place `clause` names `name` (its words in order, each maybe with an ending:
    "fever" in "fevers"), whether the words around it deny it (`_denies`; a mention's
    negation is looked for after the previous mention only).  Empty when the clause names it
    in other words (`_named_as` reads a synonym's).  With `of_patient`, a denial said of
    another person is none ("Her mother had no fever": `_said_of_other` on the clause's words
    before the mention)."""
    at_name = _name_pattern(name)
    if at_name is None:
        return []
    hits = list(at_name.finditer(clause))
    if not hits and (spread := _scattered(name, clause)):
        # one mention in another order: denied when any of its words is ("She denied pain
        # in her chest", "Her legs showed no weakness")
        return [
            any(
                _denies(clause[:a], clause[b:])
                and not (of_patient and _said_of_other(_basic(_patients(clause[:a]), {}).split()))
                for a, b in spread
            )
        ]
    starts = [0] + [h.end() for h in hits]
    return [
        _denies(*_past_definition(name, clause[lo : h.start()], clause[h.end() :]), name=name)
        and not (of_patient and _said_of_other(_basic(_patients(clause[: h.start()]), {}).split()))
        for lo, h in zip(starts, hits, strict=False)
    ]


@cache
def _synonym_groups() -> dict[str, frozenset[str]]:
    """The findings' synonym groups (`data/synonyms`), each as written, by canonical form:
    read once (they were read from disk for every new name)."""
    v = vocabulary("findings")
    groups: dict[str, set[str]] = {}
    for path in synonym_files("findings"):
        for group in _read_groups(path):
            for g in group:
                groups.setdefault(" ".join(v.replace(words_of(g))), set()).update(
                    w.casefold() for w in group
                )
    return {k: frozenset(g) for k, g in groups.items()}


@cache
def _british() -> dict[str, str]:
    """American word -> British, from the spelling list (`_spelling` maps the other way)."""
    return {american: british for british, american in _spelling().items()}


@lru_cache(maxsize=4096)
def _other_names(name: str) -> tuple[str, ...]:
    """The other words a finding may be named by, as a text writes them: its synonyms
    (`data/synonyms`: "febrile" for fever) with their British spellings, and its derived
    forms (`_DERIVED`: "weak" for weakness)."""
    target = " ".join(vocabulary("findings").replace(words_of(name)))
    out = set(_DERIVED.get(name.casefold(), set())) | _synonym_groups().get(target, frozenset())
    british = _british()
    out |= {" ".join(british.get(w, w) for w in o.split()) for o in {*out, name.casefold()}}
    out.discard(name.casefold())
    return tuple(sorted(out))


def _named_as(name: str, clause: str) -> str:
    """The words `clause` names a finding by: its own name (in order or not), else the first
    of its other names that the clause has ("He was not febrile" names fever "febrile"; "He
    was not weak", weakness).  Eighteenth session: a finding said present and quoted by such
    words under a negation passed unread."""
    at_name = _name_pattern(name)
    if at_name is None or at_name.search(clause) or _scattered(name, clause):
        return name
    for other in _other_names(name):
        found = _name_pattern(other)
        if found is not None and found.search(clause):
            return other
    return name


_WHY_RANK = ("denies it", "only suspects or doubts it", "says it of another person")
"""Which reason a note gives when the clauses of a quote differ."""
_HEDGE_WORDS = frozenset(
    {"suspected", "suspect", "suspicion", "suspicious", "possible", "possibly", "presumed"}
    | {"presumptive", "presumably", "putative", "query", "queried", "questionable"}
    | {"probable", "probably", "likely", "possibility", "provisional", "tentative"}
    | {"equivocal", "indeterminate", "hypothesised", "hypothesized", "entertained"}
)
"""Words that, before a condition's name, only suspect it ("suspected meningitis", "a high
clinical suspicion of CNS metastases", "possible pneumonia"; twelfth session).  Not "working"
alone ("he was working as a teacher when the fever began"): "working diagnosis" is a phrase
of `_HEDGE_CORE`."""
_HEDGE_CORE = (
    r"\b(?:concern(?:ing)?\s+for|worrisome\s+for|suggestive\s+of|(?:to|rule)[\s-]+out"
    r"|r/o|to\s+exclude|may\s+have|might\s+have|could\s+have"
    r"|(?:argu\w+|speaks?|spoke|points?|pointed|weighs?|weighed)\s+against"
    r"|(?:thought|felt|believed|presumed|considered)\s+to\s+(?:be|have)"
    r"|(?:favou?red|preferred|chosen)\s+over|not\s+diagnostic\s+of"
    r"|suspected\s+(?:to\s+have|of\s+having)|risk\s+(?:of|for)|in\s+case\s+of"
    r"|screen(?:ed|ing)?\s+for|monitored\s+(?:closely\s+)?for(?:\s+signs\s+of)?"
    r"|(?<!secondary )prophyla\w+\s+(?:against|for|of)|rather\s+than|instead\s+of"
    r"|(?:may|might|could|can)\s+(?:develop|progress\s+to|lead\s+to|result\s+in)"
    r"|(?:could|can|did)\s+not\s+(?:exclude|rule\s+out)|cannot\s+(?:exclude|rule\s+out)"
    r"|(?:working|provisional|tentative)\s+diagnos[ie]s(?:\s+\w+){0,3}?\s+(?:was|were|is|of)"
    r"|(?:may|might|could|can)\s+(?:also\s+)?(?:represent|reflect|indicate|signify)"
    r"|for\s+fear\s+of|to\s+(?:prevent|avoid|look\s+for|search\s+for)"
    r"|(?:looked|looking|searched|searching)\s+for|prevention\s+of)"
)
_HEDGE_PHRASES = re.compile(
    _HEDGE_CORE + r"(?:\s+(?:a|an|the|any|underlying|possible|concomitant|due\s+to|caused\s+by"
    r"|secondary\s+to|had|been|developed|experienced|early|mild|acute|chronic|occult)){0,2}\s*$",
    re.IGNORECASE,
)
"""Phrases that end the words before a condition and only suspect it ("concerning for CNS
metastases", "to rule out appendicitis", "might have caused tumour rupture")."""
_ANY_HEDGE_PHRASE = re.compile(_HEDGE_CORE, re.IGNORECASE)
"""The same phrases anywhere in a sentence (`doubts`)."""
_DIFFERENTIAL = re.compile(r"\bdifferentials?\b(?:\s+diagnos[ie]s)?|\bdifferential\s+diagnos", re.I)
_HEDGED_AFTER = re.compile(
    r"\b(?:was|were|is|are|had\s+been|has\s+been)\s+(?:(?:initially|first|also|strongly"
    r"|clinically|highly|therefore|thus|no\s+longer)\s+)?(?:suspected|considered|queried|questioned"
    r"|hypothesi[sz]ed|entertained|feared"
    r"|(?:(?:high|higher|first|top|low|lower)\s+(?:up\s+)?)?(?:in|on)\s+the\s+differential"
    r"|a\s+possibility)\b(?!\s+(?:to|as\s+the\s+cause|due|secondary"
    r"|related|responsible))"
    r"|\b(?:could|can|cannot|might|may)\s+(?:not\s+)?(?:be\s+)?(?:excluded|ruled\s+out)\b"
    r"|\b(?:was|were)\s+not\s+(?:excluded|ruled\s+out)\b"
    r"|\bremained\s+(?:a\s+)?(?:possib\w+|likely|(?:in|on)\s+the\s+differential)"
    r"|\b(?:was|were)\s+(?:presumed|likely|possible|probable)\s*(?:[.;,]|$)"
    r"|^\s*(?:may|might|could|can)\s+(?:later\s+)?(?:develop|occur|recur|arise)\b"
    r"|^\s*(?:might|would|could|may)\s+have\s+(?:occurred|developed|ensued|resulted|followed)\b"
    r"|\b(?:was|were|is|are|seemed|seems|appeared|appears)\s+(?:(?:thought|considered|felt"
    r"|deemed)\s+(?:to\s+be\s+)?)?(?:unlikely|improbable|doubtful)\b"
    r"|\b(?:was|were|is|are)\s+(?:thought\s+to\s+be\s+|considered\s+)?(?:the\s+)?"
    r"(?:leading|main|first|most\s+likely|most\s+probable)\s+(?:differential|possibility"
    r"|consideration|diagnosis)"
    r"|\b(?:could|can)\s+not\s+be\s+(?:confirmed|proven|proved)\b"
    r"|\b(?:was|were)\s+(?:not|never)\s+(?:confirmed|proven|proved)\b",
    re.IGNORECASE,
)
"""After a condition's name, or a list it heads: "Guillain-Barre syndrome was suspected",
"tuberculosis could not be excluded", "metastases were in the differential"; not "was
suspected to be due to", which suspects a cause."""
_NOT_CONFIRMED = re.compile(
    r"\b(?:not|never|without|no)\s+(?:(?:been|be|yet|further|formally|histologically)\s+)?"
    r"(?:confirmed|confirmation|proven|proved|verified|established)\b",
    re.IGNORECASE,
)
_CONFIRMED = frozenset(
    {"confirmed", "confirm", "confirms", "confirming", "confirmation", "proven", "proved"}
    | {"verified", "established"}
)
"""A clause that confirms what was suspected states it ("biopsy confirmed the suspected
abscess")."""
_HEDGE_GAP = frozenset({"a", "an", "the", "of", "for", "diagnosis", "having", "underlying"})


_QUERY = re.compile(r"\?(?=[^\W\d])")
"""A question mark glued to a name ("?pneumonia"): a query, read as the word."""


def _hedge_text(fact: BaseModel) -> str:
    """The words of a fact that may say it is uncertain: its name, and a diagnosis's
    details."""
    details = fact.details if isinstance(fact, Diagnosis) else None
    return f"{key_value(fact) or ''} {details or ''}"


def doubts(sentence: str) -> bool:
    """Whether a sentence has a word or phrase of doubt anywhere (`_HEDGE_WORDS`, "suggestive
    of", "could not be excluded"...), unless it confirms something: for choosing, among the
    sentences that state a fact, one that states it for sure."""
    words = set(_basic(sentence, {}).split())
    if _CONFIRMED & words:
        return False
    return bool(
        _HEDGE_WORDS & words
        or _ANY_HEDGE_PHRASE.search(sentence)
        or _HEDGED_AFTER.search(sentence)
        or _DIFFERENTIAL.search(sentence)
    )


def _mention_hedges(name: str, clause: str, confirmed: bool = False) -> list[bool]:
    """For each place `clause` names `name`, whether the clause only suspects it
    (`_hedged`), in the order of `_mention_denials`; all false when what is read confirms
    something (`confirmed`: "Lymphoma was suspected; biopsy confirmed it")."""
    at_name = _name_pattern(name)
    if at_name is None:
        return []
    spans = [h.span() for h in at_name.finditer(clause)]
    if not spans and (spread := _scattered(name, clause)):
        spans = [(spread[0][0], spread[-1][1])]
    if confirmed:
        return [False] * len(spans)
    return [_hedged(clause[:a], clause[b:]) for a, b in spans]


_IF_BEFORE = re.compile(
    r"\b(?:if|unless|should|in\s+case|lest)\s+(?:(?:he|she|they|it|the\s+(?:patient|child"
    r"|infant))\s+)?(?:(?:ever|were\s+to|was\s+to|did|does|do|had|has|have)\s+)?(?:been|become|became|becomes|develop|develops"
    r"|developed|have|has|had|get|gets|got|show|shows|showed|experience|experiences|experienced"
    r"|was|were|is|are)\s+(?:(?:any|a|an|more|further)\s+)?$",
    re.IGNORECASE,
)
"""A condition only supposed: "if he became febrile", "should she develop a rash"; not
"unclear if the rash was drug-related" (no verb of having before the name: the rash was
there), nor "whether" ("When asked whether he had haemoptysis, he reported two episodes")."""
_MAY_BE = re.compile(
    r"\b(?:may|might|could)\s+(?:well\s+)?be\s+(?:becoming|developing|getting)(?:\s+(?:a|an))?"
    r"(?:\s+(?:early|mild|incipient|acute|chronic))?\s*$",
    re.IGNORECASE,
)
"""A condition only supposed, right before its name: "he might be becoming jaundiced"; not
"the confusion may be due to the hyponatraemia", which supposes the cause, nor "there may be
tenderness over the spine, as there was in this patient" (two audits, out/audit-s19 and
-s19d)."""
_ASKED = re.compile(
    r"\b(?:asked|ask|asking|unclear|unknown|uncertain|unsure|clear|determine[ds]?|know|known"
    r"|sure|wonder\w*|see|check\w*|establish\w*|question)\s+(?:\w+\s+)?if\b",
    re.IGNORECASE,
)
"""Words that make "if" "whether" before "the X developed": what is not known is when or why,
not whether it was there ("It remains unclear if the thrombosis developed before admission";
the third audit, out/audit-s19f).  "Asked if she had headache" stays a question: the answer
may be no."""
_SHOULD_BEFORE = re.compile(r"(?:^|[,;:]\s*|\.\s+)(?:should|had)\s+(?:(?:any|a|an|the)\s+)?$", re.I)
_SHOULD_AFTER = re.compile(
    r"\s+(?:occur|develop|recur|arise|appear|been\s+(?:present|there|found|detected|seen"
    r"|diagnosed)\b)",
    re.IGNORECASE,
)
"""A condition put first in the sentence ("Should seizures occur, ...", "Had a rash been
present, ..."; the twentieth session's support audit): only supposed."""
_IF_RIGHT_BEFORE = re.compile(r"\b(?:if|unless)\s+(?:(?:any|a|an|the)\s+)?$", re.I)
_IF_AFTER = re.compile(r"\s+develop(?:s|ed)?\b", re.IGNORECASE)
"""After "if" and a name, a verb that supposes it ("if a rash developed"); not "if the rash
recurred", "if the pain persisted", "if the fever should recur", which take it as there (two
audits, out/audit-s19 and -s19d)."""


def _hedged(before: str, after: str) -> bool:
    """Whether the words around a condition's name in its clause only suspect it: a word of
    suspicion before it ("suspected", "possible", "suspicion of") with at most three words
    between (none of them a verb or a person: "suspected bacterial meningitis", not "a
    possible cause of fever"), or a list after it ("possible tuberculosis, sarcoidosis or
    lymphoma"); "concerning for", "to rule out" right before it; a differential diagnosis
    earlier in the clause ("the differential diagnoses were lymphoma and tuberculosis"); or
    "was suspected" / "could not be excluded" after it (`_HEDGED_AFTER`, as `_denied_after`
    reads a list the name heads)."""
    if _DIFFERENTIAL.search(before) or _HEDGE_PHRASES.search(before):
        return True
    if _MAY_BE.search(before):
        return True
    if _IF_BEFORE.search(before):  # "if he became febrile"; "asked if she had headache"
        return True
    asked = _ASKED.search(before[-80:]) is not None  # "unclear if the rash developed ..."
    if not asked and _IF_RIGHT_BEFORE.search(before) and _IF_AFTER.match(after):
        return True  # "to be repeated if he became febrile", "if fever recurred"
    if _SHOULD_BEFORE.search(before) and _SHOULD_AFTER.match(after):
        return True  # "Should seizures occur", "Had a rash been present"
    m = _HEDGED_AFTER.search(after[:120])
    if m is not None:
        between = after[: m.start()]
        words = set(_basic(between, {}).split())
        if not between.strip() or (
            _LISTED.match(between) and {"and", "or", "nor"} & words and not (_DENIAL_GAP & words)
        ):
            return True  # "tuberculosis, sarcoidosis and lymphoma were considered"
    tail = _basic(before, {}).split()[-21:]
    at = [i for i, word in enumerate(tail) if word in _HEDGE_WORDS]
    if not at:
        return False
    gap = tail[at[-1] + 1 :]
    heads = [w for w, nxt in pairwise(gap) if nxt in ("of", "for")]
    if any(w not in _DENIED_HEADS | {"diagnosis"} for w in heads):
        return False  # "a possible cause of fever": the cause is suspected
    if (_DENIAL_GAP - {"a", "an", "the"} | _HAVING - {"of", "any", "a", "an"}) & set(gap):
        return False  # "a colleague suspected malignancy, showed acute appendicitis"
    hedge = list(re.finditer(rf"\b{re.escape(tail[at[-1]])}\b", before, re.IGNORECASE))
    listed = bool({"or", "and", "nor"} & set(gap))
    if "," in (before[hedge[-1].end() :] if hedge else "") and not listed:
        return False
    if len([w for w in gap if w not in _HEDGE_GAP]) <= 3:
        return True
    return listed and len(gap) <= 20  # "possible tuberculosis, sarcoidosis or lymphoma"


_NEW_PREDICATE = frozenset(
    {"reported", "reports", "presented", "complained", "developed", "noted", "described"}
    | {"showed", "underwent", "received", "experienced", "admitted", "endorsed", "endorses"}
)
"""Verbs that, after "and" in a denied list, open what the patient did have ("She denied
fever and reported pain in both legs": the pain is not denied; seventh audit)."""
_SUCH_AS_LIST = re.compile(
    r"\s*(?:(?:other|obvious|significant|specific|clinical|focal|neurological|further)\s+)*"
    r"(?:signs?|symptoms?|features?|evidence|findings?|complications?|history)\b"
    r"(?:(?!\b(?:and|but|presented|described|noted|occurred|were|was)\b)[^.;,]){0,120}?"
    r",?\s*\b(?:such\s+as|including|like)\s+"
    r"(?P<items>(?:(?!\b(?:apart\s+from|except|until|but|during|while)\b)[^.;]){0,200})$",
    re.IGNORECASE,
)
"""After a denial, a list of examples ("no signs or symptoms commonly associated with
neurological disease, such as headache, vomiting, altered consciousness")."""
_LIST_GOES_ON = re.compile(
    r"\s*(?:resolved|persisted|developed|appeared|occurred|improved|worsened|began|started|"
    r"remained)\b",
    re.IGNORECASE,
)
"""After ", and X", a verb that says X happened: the list ended before it ("no other symptoms
such as fever, and abdominal pain resolved")."""


_DID_NOT_HAPPEN = re.compile(
    r"^\s+(?:(?:did|does)\s+not\s+(?:develop|occur|recur|materiali[sz]e|ensue|arise)"
    r"|(?:had|has)\s+not\s+(?:developed|occurred|recurred|materiali[sz]ed))"
    r"(?:\s+(?:during|after|in|despite|following|throughout|within|over|postoperatively"
    rf"|thereafter|to\s+date|since|so\s+far|thus\s+far|again)\b{_NO_EXCEPT}{{0,60}}?)?{_CLAUSE_END}",
    re.IGNORECASE,
)
"""Right after the name, and ending its clause: "Haemodynamic instability did not develop."
(the third audit); not "did not occur at rest but only on exertion", "did not appear to be
vesicular" (the fourth audit, out/audit-s19h)."""
_PART_OF_BEFORE = re.compile(
    r"\b(?:source|cause|origin|site|focus|a?etiology|reason|explanation|trigger|location"
    r"|mechanism)s?\s+of\s+(?:the\s+|her\s+|his\s+|this\s+)?$",
    re.IGNORECASE,
)
"""What is denied is the name's source or cause, not the name ("The source of the bleeding
was never identified": the bleeding was there; the twentieth session's support audit)."""
_EXCEPT_BEFORE = re.compile(
    rf"\b{_EXCEPTIONS}\s+(?:(?:a|an|the|some|mild|slight|occasional)\s+)?$", re.IGNORECASE
)
"""An exception right before the name: what follows denies the rest, not it ("Except for fever,
review of systems was negative"; the twentieth session's last audit)."""
_OF_BEFORE = re.compile(r"\bof\s+(?:the\s+|her\s+|his\s+)?$", re.IGNORECASE)
"""The name is what something else is of ("Recovery of the hearing loss did not occur")."""
_ASIDE = re.compile(
    r"\b(not|never)\s*,\s*(?:however|though|in\s+fact|clinically|at\s+any\s+(?:stage|time|point)"
    r"(?:\s+(?:of|in|during)\s+[^,;.()]{1,40})?)\s*,",
    re.IGNORECASE,
)
"""An aside between a negation and the name ("She was not, at any stage of the illness,
febrile"): left out, so the negation stands right before the name."""
_ASIDE_BARE = re.compile(r"\b(not|never)\s+at\s+any\s+(?:time|point|stage)\s+", re.IGNORECASE)
"""The same aside without commas ("He did not at any time develop fever", "A rash was not at
any point documented"; the twentieth session)."""
_NEITHER_NOR = re.compile(
    r"\bneither\s+(?:(?!\b(?:nor|was|were|is|are|that|who|which)\b)[^,;.]){1,40}?\s+nor\s+"
    r"(?:(?!\b(?:nor|was|were|is|are|that|who|which)\b)[^,;.]){1,40}?\s+(?:was|were|is|are)\s+$",
    re.IGNORECASE,
)
"""Two people denied together before the name ("Neither the patient nor his wife was
febrile"): read as "not"."""
_NEITHER_THE_PATIENT = re.compile(
    r"\bneither\s+(?:the\s+patient|he|she)\s+nor\s+[^,;.]{1,40}?\s+(?:was|were|is|are)\s+$",
    re.IGNORECASE,
)
"""The patient and another person denied together: the denial is also the patient's, though
another person is named before the name ("Neither the patient nor his wife was febrile")."""


_A_SIGN = re.compile(
    r"\b(?:signs?|tests?|reflex(?:es)?|manoeuvres?|maneuvers?|phenomenon)$", re.IGNORECASE
)
"""A sign or a bedside test by its name: "negative" right before it denies it ("a negative
Romberg sign"; the twenty-first session's support audit), unlike "negative T waves"."""


def _denies(before: str, after: str, name: str = "") -> bool:
    """Whether the words around a finding's name in its clause deny it: "was absent" / "were
    not seen" / "pain-free" after it (`_denied_after`), or a word of negation before it with
    the words between (the gap) saying nothing else:

    - at most three words, none of `_DENIAL_GAP` but "a" / "an" ("no history of
      hypertension", "without a sequestrum"; not "did not improve her dyspnoea");
    - or a list (a comma, "or", "and", "nor" in the gap) of at most twenty words, none of
      `_DENIAL_GAP`, after a word of denial or with "or" / "nor" (`_DENYING_VERBS`: "denied
      night sweats, weight loss, cough or haemoptysis"; not "no fever, the rash spread" nor
      "with no sign of hemolysis, elevated CRP");
    - "not" / "never" only before a verb of having or showing, which is left out of the gap
      ("did not show distant metastases"); "negative" only as "negative
      for"; "no X of / for" only for history, signs, evidence... (`_DENIED_HEADS`)."""
    if _basic(before, {}).split()[-1:] and _basic(before, {}).split()[-1] in _NOT_THE_FINDING:
        return False  # "additional metastases were not found": some were
    if _EXCEPT_BEFORE.search(before):
        return False  # "Except for fever, review of systems was negative": the fever was there
    if (_denied_after(after) and not _PART_OF_BEFORE.search(before)) or (
        _DID_NOT_HAPPEN.match(after) and not _OF_BEFORE.search(before)
    ):
        return True
    for pattern, repl in _NEGATION_FORMS:
        before = pattern.sub(repl, before)
    before = _NOT_NEGATIONS.sub(" ", before)
    before = _NEITHER_NOR.sub(" not ", _ASIDE_BARE.sub(r"\1 ", _ASIDE.sub(r"\1 ", before)))
    tail = _basic(before, {}).split()[-21:]
    at = [i for i, word in enumerate(tail) if word in _NEGATIONS and word != "unremarkable"]
    if not at:
        return False
    if _BUT_FOR.search(" ".join(tail[at[-1] + 1 :])):
        return False  # "She had no complaints other than fatigue": the fatigue was there
    if _LATER_AFTER.match(after):
        return False  # "No fever on admission, but it developed on day 3"
    word, gap = tail[at[-1]], tail[at[-1] + 1 :]
    if word == "negative" and not gap and _A_SIGN.search(name):
        return True  # "a negative Romberg sign", "negative Kernig's sign"
    if word in _NEEDS_NEXT and gap[:1] != [_NEEDS_NEXT[word]]:
        return False  # "negative" of another item ("8 negative), anti-ds DNA"), not "negative for"
    if word in _VERB_NEGATIONS:  # "did not have fever", "did not report any weight loss or
        if gap and gap[0] not in _HAVING:  # anorexia"; not "could not be extracted by"
            return False
        while gap and gap[0] in _HAVING:
            gap = gap[1:]
    heads = [w for w, nxt in pairwise(gap) if nxt in ("of", "for")]
    if any(w not in _DENIED_HEADS | _FINDING_OF for w in heads):
        return False
    if gap and gap[-1] in _NOT_THE_FINDING:
        return False  # "no new lesions", "no evidence of recurrent melanoma": those were there
    last = list(re.finditer(rf"\b{re.escape(word)}\b", before, re.IGNORECASE))
    raw_gap = before[last[-1].end() :] if last else ""
    if (
        (such := _SUCH_AS_LIST.match(raw_gap))
        and len(such.group("items").split()) <= 20
        and not (", and" in such.group("items") and _LIST_GOES_ON.match(after))
    ):
        return True  # "no signs or symptoms ..., such as headache, ..., altered consciousness"
    listed = "," in raw_gap or bool({"or", "and", "nor"} & set(gap))
    rest = _basic(after, {}).split()[:12]  # the list may say "or" after the name
    if listed and word not in _DENYING_VERBS and not ({"or", "nor"} & {*gap, *rest}):
        return False  # "with no sign of hemolysis, elevated CRP, low albumin": a list of findings
    if listed:
        return len(gap) <= 20 and not ((_DENIAL_GAP | _NEW_PREDICATE) & set(gap))
    # a hyphenated compound is one word of the gap: "no immune effector cell-associated
    # neurotoxicity syndrome" (thirteenth session's reading audit)
    words = len(re.findall(r"[^\W_]+(?:[-‐‑–][^\W_]+)*", raw_gap)) if last else len(gap)
    fillers = sum(w in _GAP_FILLERS for w in gap)  # "no significant past medical history of"
    return min(len(gap), words) - fillers <= 3 and not ((_DENIAL_GAP - {"a", "an"}) & set(gap))


def _note(model: type[BaseModel], field: str, value: str, key: str) -> str:
    if field == key and len(value.strip()) < MIN_VALUE_CHARS:
        return UNDER_2
    label = _LABELS.get(model) if field == key else field.replace("_", " ")
    if field == "body_sites":
        label = "body site"
    if len(value.strip()) < MIN_VALUE_CHARS:
        return f"{NOT_STATED} the {label}: {value!r} is {UNDER_2}"
    return f"{NOT_STATED} the {label} {value!r}" if label else f"{NOT_STATED} {value!r}"
