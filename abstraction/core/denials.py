"""Finding names that deny a finding themselves: "afebrile" is "fever" said to be absent.

A case report writes a finding's absence in one word ("afebrile", "non-tender", "anicteric") or
as a phrase with the finding's name ("no fever", "seizure-free").  A record may hold either
form: "afebrile", present (MACCROBAT's annotation of the word as written), or "fever", absent
(a hand-labelled gold, the model).  The two state the same fact, so the scorer reads both as the
second (`read_denied`), and the support check takes "she was afebrile" as stating "fever,
absent" (`denying_words`).  The words are listed in `data/denying_names.txt`; the phrases are
"no X", "without X", "absence of X", "no evidence / sign(s) / symptoms of X", "negative for X"
and "X-free" ("seizure-free", "pain-free"), X a name of one to four words.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

from abstraction.core.normalize import _basic

_PHRASE = re.compile(
    r"^(?:no (?:evidence|signs?|symptoms?|features) of|no|without|absence of|negative for)"
    r"\s+(?!longer\b|more\b|\d)(?P<name>.+)$"
)
"""A name that is a word of negation and then the finding ("no fever", "no signs of sepsis");
not "no longer febrile", "no more pain", nor a number ("No. 7 lymph node": a station)."""
_FREE = re.compile(r"^(?P<name>[^\W\d][^,;()]*?)[- ]free$", re.IGNORECASE)
"""A name that is the finding and "free" ("seizure-free"); not a list entry ("testosterone,
free")."""
_MAX_WORDS = 4


@cache
def _table() -> dict[str, str]:
    """Normalised denying word -> normalised finding name (`data/denying_names.txt`)."""
    raw = resources.files("abstraction").joinpath("data/denying_names.txt").read_text("utf-8")
    out: dict[str, str] = {}
    for line in raw.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        word, _, finding = line.partition(" = ")
        out[_basic(word, {})] = _basic(finding, {})
    return out


def denied_finding(name: str) -> str | None:
    """The finding a name denies by itself, normalised ("afebrile" -> "fever", "No fever" ->
    "fever", "seizure-free" -> "seizure", "non-tender" -> "tenderness"); None for any other
    name ("fever", "non-caseating granuloma", "fever-free interval of 3 days")."""
    hit = _denial(name)
    return None if hit is None else hit[0]


def denied_by_word(name: str) -> str | None:
    """The finding a listed word denies ("afebrile" -> "fever", "Non-tender" -> "tenderness");
    None for any other name, a phrase ("no fever") included."""
    hit = _denial(name)
    return hit[0] if hit is not None and hit[1] else None


def _denial(name: str) -> tuple[str, bool] | None:
    """(the finding, whether the name is a listed word) for a name that denies a finding."""
    text = _basic(name, {})
    if not text:
        return None
    listed = _table().get(text)
    if listed is not None:
        return listed, True
    hit = None if name.strip()[:3].lower() == "no-" else _PHRASE.match(text)  # "no-reflow"
    rest = hit.group("name") if hit is not None else None
    if rest is None:
        free = _FREE.match(name.strip())
        rest = _basic(free.group("name"), {}) if free is not None else None
    if rest and len(rest.split()) <= _MAX_WORDS and _table().get(rest) is None:
        return rest, False
    return None


def read_denied(name: str | None, assertion: str | None) -> tuple[str, str] | None:
    """(finding, "absent") for a finding whose name denies another: "afebrile", present ->
    ("fever", "absent"); "no fever", present or absent -> ("fever", "absent") (the rules'
    reading of a negated name: `extraction.rules`).  None when the name denies nothing, for a
    listed word said to be absent ("afebrile", absent: a double denial, left as written), and
    for an assertion other than present or absent ("uncertain" stays as written)."""
    if not isinstance(name, str) or not isinstance(assertion, str):
        return None
    said = assertion.strip().lower()
    if said not in ("present", "absent"):
        return None
    hit = _denial(name)
    if hit is None:
        return None
    finding, listed = hit
    if listed and said == "absent":
        return None
    return finding, "absent"


def denying_words(finding: str) -> tuple[str, ...]:
    """The listed words that deny `finding` (normalised): "fever" -> ("afebrile", "apyrexial",
    "non febrile", "nonfebrile").  Only the table's own finding names, compared normalised; a
    synonym ("pyrexia") is matched by the caller."""
    key = _basic(finding, {})
    return tuple(word for word, name in _table().items() if name == key)


def listed_findings() -> frozenset[str]:
    """Every finding name the table denies (normalised)."""
    return frozenset(_table().values())


def findings_denied_in(text: str) -> frozenset[str]:
    """The listed findings (normalised) that a word of `text` denies: "She was afebrile and
    anicteric" -> {"fever", "jaundice"}.  The text states these findings, as absent."""
    said = f" {_basic(text, {})} "
    return frozenset(name for word, name in _table().items() if f" {word} " in said)
