"""The ``mentions`` pass shape: the model lists verbatim phrases, rules build the sections.

A small model writes one fact of the ``sections`` shape as an object (name, assertion, category,
dose, time, quote...), about 25 tokens, and stops early on long reports.  In this shape it
writes each fact as the phrase of the text that names it (``"fever"``), about 4 tokens, sorted
into lists by kind (signs present, signs absent, medications...).  Each phrase is also the fact's
quote: grounding finds it in the text, and flags it ``unsupported`` when it is not there.

What the rules derive, and nothing else (`abstraction.core.vocab`): age number and unit from the
age phrase; sex from the sex word; the outcome status from the outcome phrase (died/alive words);
a treatment's category from keywords in its name (``other`` when none applies).  Everything a
phrase list cannot say stays null: diagnosis details, body sites, doses, times, results,
transplant donor and graft, intents.  So a mentions pass trades those fields for recall of names.
Several mentions passes over one document can each ask for some kinds (`PassSpec.lists`); their
sections are pooled (`pool_sections`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache
from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints, create_model

from abstraction.core.prompts import MENTION_LISTS, MENTION_SECTIONS
from abstraction.core.records import DroppedFact
from abstraction.core.schema import (
    AgeFact,
    Assessment,
    Diagnosis,
    Evidence,
    Finding,
    Outcome,
    OutcomeStatusFact,
    Patient,
    SexFact,
    Strict,
)
from abstraction.core.terms import (
    Term,
    defined_abbreviations,
    document_abbreviations,
    vocabulary,
)
from abstraction.core.vocab import (
    age_statement,
    function_words,
    outcome_status,
    parse_age,
    parse_sex,
    treatment_item,
)
from abstraction.grounding.align import NormalizedText, joined

# Unbounded by default; a pass can bound them (`mentions_model`).  Repeats are removed below.
Phrase = str
Phrases = list[str]


class Mentions(Strict):
    """What the model fills: phrases copied from the text, grouped by kind."""

    age: Phrase | None
    sex: Phrase | None
    main_diagnosis: Phrase | None
    other_diagnoses: Phrases
    signs_symptoms: Phrases
    absent_signs_symptoms: Phrases
    medications: Phrases
    procedures: Phrases
    tests: Phrases
    outcome: Phrase | None


assert tuple(Mentions.model_fields) == MENTION_LISTS


def phrase_pattern(max_words: int) -> str:
    """Words of non-blank characters joined by single spaces, at most `max_words` of them (no
    quote, backslash or newline: a phrase that needs none of JSON's escapes)."""
    word = '[^ "\\\\\\n]+'
    return f"^{word}( {word}){{0,{max_words - 1}}}$"


@lru_cache(maxsize=16)
def mentions_model(
    max_words: int | None = None,
    max_items: int | None = None,
    lists: tuple[str, ...] = (),
    max_chars: int | None = None,
    copy_lists: bool = False,
) -> type[BaseModel]:
    """`Mentions`, or with each phrase limited to `max_words` words or `max_chars` characters
    and each list to `max_items` phrases: the limits go into the JSON schema (a pattern,
    maxLength, maxItems), which llama.cpp's grammar enforces while the model writes.  With
    `lists`, only those kinds (in `Mentions`' order); `full_mentions` fills in the others as
    not asked.  With `copy_lists` (a ``copy_words`` pass), `max_chars` limits the single
    phrases only: a list's phrases are bounded by each document's pattern instead
    (`copy_pattern`, put into the schema per document)."""
    if lists:
        base = mentions_model(max_words, max_items, max_chars=max_chars, copy_lists=copy_lists)
        keep: dict[str, Any] = {
            name: (field.annotation, field)
            for name, field in base.model_fields.items()
            if name in lists
        }
        return create_model(f"{base.__name__}_{'_'.join(keep)}", __base__=Strict, **keep)
    if max_words is None and max_items is None and max_chars is None and not copy_lists:
        return Mentions
    if any(v is not None and v < 1 for v in (max_words, max_items, max_chars)):
        raise ValueError("max_words, max_items and max_chars must be at least 1")
    phrase: Any = (
        Annotated[
            str,
            StringConstraints(
                pattern=phrase_pattern(max_words) if max_words is not None else None,
                max_length=max_chars,
            ),
        ]
        if max_words is not None or max_chars is not None
        else str
    )
    phrases: Any = (
        Annotated[list[phrase], Field(max_length=max_items)]
        if max_items is not None
        else list[phrase]
    )
    if copy_lists:
        phrases = (
            Annotated[list[str], Field(max_length=max_items)]
            if max_items is not None
            else list[str]
        )
    fields: dict[str, Any] = {
        name: (phrases if field.annotation == list[str] else phrase | None, ...)
        for name, field in Mentions.model_fields.items()
    }
    name = f"Mentions_{max_words or 'any'}w_{max_items or 'any'}n"
    if max_chars is not None:
        name += f"_{max_chars}c"
    if copy_lists:
        name += "_copied"
    return create_model(name, __base__=Mentions, **fields)


def full_mentions(value: BaseModel) -> Mentions:
    """An answer of a `mentions_model` with some `lists` as a `Mentions`: the kinds it was not
    asked for are empty (null, no phrases)."""
    if isinstance(value, Mentions):
        return value
    empty: dict[str, list[str] | None] = {
        name: None if field.annotation != list[str] else []
        for name, field in Mentions.model_fields.items()
    }
    return Mentions.model_validate({**empty, **value.model_dump()})


_POOL_VOCABULARY = {
    "diagnoses": ("name", "diagnoses"),
    "findings": ("name", "findings"),
    "treatments": ("name", "treatments"),
    "assessments": ("method", "methods"),
}


def pool_sections(
    earlier: dict[str, Any],
    new: dict[str, Any],
    *,
    text: str = "",
    skipped: list[tuple[str, Any]] | None = None,
) -> dict[str, Any]:
    """The sections of two passes over one document as one: each list keeps the earlier
    passes' items and adds the new pass's items whose name it does not have yet (equal as the
    scorer's clinical term matching reads them, the document's own abbreviations included:
    "Fevers" is "fever", "hypotension" is not "hypertension"); age, sex and outcome status come
    from the earlier passes when they have them.  A second main diagnosis is kept as a
    secondary one.  (A ``sections`` pass after another pass: `pool_later_sections`.)"""
    defined = _defined(text)
    out = dict(earlier)
    for section in _POOL_VOCABULARY:
        if section not in new:
            continue
        canonical = _name_key(section, defined)
        had = earlier.get(section) or []
        seen = {canonical(item) for item in had}
        added = []
        principal = any(item.get("status") == "principal" for item in had)
        for item in new.get(section) or []:
            name = canonical(item)
            if name in seen:
                if skipped is not None:
                    skipped.append((section, item))
                continue
            seen.add(name)
            if principal and item.get("status") == "principal":
                item = {**item, "status": "secondary"}
            added.append(item)
        out[section] = [*had, *added]
    for section in ("patient", "outcome"):  # a field the earlier pass left null is filled
        if section not in new:
            continue
        had = earlier.get(section) or {}
        taken = {
            k: v
            for k, v in (new.get(section) or {}).items()
            if v is not None
            and (had.get(k) is None or (text and _quoted(v, text) and not _quoted(had[k], text)))
        }
        if skipped is not None:
            skipped += [(f"{section}.{k}", had[k]) for k in taken if had.get(k) is not None]
            skipped += [
                (f"{section}.{k}", v)
                for k, v in (new.get(section) or {}).items()
                if v is not None and k not in taken
            ]
        out[section] = {**had, **taken}
    return out


def _defined(text: str) -> dict[str, Term]:
    """The document's own abbreviations ("UCBT" spelled out), for comparing names."""
    return document_abbreviations(vocabulary(None), defined_abbreviations(text)) if text else {}


def _name_key(section: str, defined: dict[str, Term]) -> Callable[[dict[str, Any]], str]:
    """How two items of a pooled list are one: their names' clinical term, with the
    document's abbreviations ("Fevers" is "fever", "hypotension" is not "hypertension")."""
    key, vocab_name = _POOL_VOCABULARY[section]
    vocab = vocabulary(vocab_name)

    def canonical(item: dict[str, Any]) -> str:
        name = str(item.get(key) or "")
        return vocab.expand(vocab.term(name), defined).key or name.casefold()

    return canonical


KEPT_EARLIER = "an earlier pass's answer of the same name is kept for this"
KEPT_LATER = "a later pass's fuller answer of the same name took this one's place"
KEPT_SECTION = "an earlier pass's answer is kept for this section"


def pool_later_sections(
    earlier: dict[str, Any],
    new: dict[str, Any],
    *,
    text: str = "",
    case_report: bool = True,
) -> tuple[dict[str, Any], list[tuple[str, Any, str]]]:
    """The sections of a ``sections`` pass pooled with those earlier passes filled, and what
    was not kept (section, item, why): nothing either pass answered is lost without a trace.

    - A `CaseReport` list (diagnoses, findings, treatments, assessments): every item of the new
      pass is added, its own repeats too (methotrexate at induction and again at
      maintenance), except one that names an earlier item's term (as `pool_sections` compares
      names) and agrees with it (the same assertion; both ruled out or both not): that one
      takes the earlier item's place if it states more fields (a diagnosis with its details
      and quote over a mentions pass's bare phrase), else it is left out.  The earlier pass's
      principal diagnosis stays the only principal one.
    - Patient and outcome: a field the earlier passes left null is filled.
    - Any other section, and every section of another schema: the earlier passes' answer
      unless it was empty."""
    pooled = dict(earlier)
    left: list[tuple[str, Any, str]] = []
    lists = _POOL_VOCABULARY if case_report else {}
    defined = _defined(text)
    for section, value in new.items():
        if section in lists:
            pooled[section] = _pool_list(
                section, earlier.get(section) or [], value or [], defined, left
            )
        elif case_report and section in ("patient", "outcome"):
            had = earlier.get(section) or {}
            pooled[section] = {
                **had,
                **{k: v for k, v in (value or {}).items() if had.get(k) is None},
            }
            left += [
                (f"{section}.{k}", v, KEPT_EARLIER)
                for k, v in (value or {}).items()
                if v is not None and had.get(k) is not None
            ]
        elif _empty(earlier.get(section)):
            pooled[section] = value
        elif not _empty(value):
            left += [
                (section, item, KEPT_SECTION)
                for item in (value if isinstance(value, list) else [value])
            ]
    return pooled, left


def _pool_list(
    section: str,
    had: list[dict[str, Any]],
    new: list[dict[str, Any]],
    defined: dict[str, Term],
    left: list[tuple[str, Any, str]],
) -> list[dict[str, Any]]:
    canonical = _name_key(section, defined)
    keys = [canonical(item) for item in had]
    out = list(had)
    untouched = set(range(len(had)))  # earlier items no item of this pass has replaced
    principal = any(item.get("status") == "principal" for item in had)
    for item in new:
        name = canonical(item)
        at = next((i for i in sorted(untouched) if keys[i] == name and _agree(had[i], item)), None)
        if at is None:
            if principal and item.get("status") == "principal":
                item = {**item, "status": "secondary"}
            out.append(item)
        elif _stated(item) > _stated(had[at]):
            untouched.discard(at)
            left.append((section, had[at], KEPT_LATER))
            out[at] = _in_place_of(item, had[at], principal)
        else:
            left.append((section, item, KEPT_EARLIER))
    return out


def _agree(earlier: dict[str, Any], item: dict[str, Any]) -> bool:
    """Two items of one name that say the same of it: a finding present in one and absent in
    the other, or a diagnosis ruled out in one only, are two facts."""
    if earlier.get("assertion") != item.get("assertion"):
        return False
    return (earlier.get("status") == "ruled_out") == (item.get("status") == "ruled_out")


def _empty(value: Any) -> bool:
    """No answer: null, blank, an empty list, or an object whose every field is empty."""
    if isinstance(value, dict):
        return all(_empty(v) for v in value.values())
    if isinstance(value, str):
        return not value.strip()
    return value is None or value == []


def _stated(item: dict[str, Any]) -> int:
    """How many of a list item's fields (its quote aside) have a value."""
    return sum(not _empty(v) for k, v in item.items() if k != "evidence")


def _in_place_of(item: dict[str, Any], earlier: dict[str, Any], principal: bool) -> dict[str, Any]:
    """`item` taking `earlier`'s place: the earlier principal diagnosis stays the principal
    one, and no other becomes principal beside it."""
    if "status" not in item:
        return item
    if earlier.get("status") == "principal":
        return {**item, "status": "principal"}
    if principal and item.get("status") == "principal":
        return {**item, "status": "secondary"}
    return item


def _quoted(fact: Any, text: str) -> bool:
    """Whether a fact's quote is words of the text (else grounding cannot place it)."""
    quote = ((fact or {}).get("evidence") or {}).get("quote") if isinstance(fact, dict) else None
    return isinstance(quote, str) and bool(quote) and quote.casefold() in text.casefold()


_SPLIT = re.compile(r"\s*(?:(?<!\d),|,(?!\d)|[;()]|\band\b)\s*")
"""Commas, semicolons, parentheses and "and" join names; a comma inside a number does not: a
thousands separator ("5,000 IU") or a decimal comma ("cardiac index 1,6 L/min/m2", split
before the eighteenth session into "cardiac index 1" and "6 L/min/m2", two tests)."""


def split_phrase(phrase: str) -> list[str]:
    """The names a phrase joins with commas, semicolons, "and" or parentheses, each a piece of
    the phrase as written ("heart failure (CHF)" -> "heart failure", "CHF")."""
    return [p for p in _SPLIT.split(phrase) if len(p.strip()) > 1]


def _ev(phrase: str) -> Evidence:
    return Evidence(quote=phrase)


def _unique(phrases: list[str], seen: set[str] | None = None) -> list[str]:
    """Phrases in order without blanks and repeats (case-insensitive; `seen` shared across
    lists that fill the same section)."""
    seen = set() if seen is None else seen
    out = []
    for p in phrases:
        text = p.strip()
        key = text.casefold()
        if text and key not in seen:
            seen.add(key)
            out.append(text)
    return out


def _patient(m: Mentions, text: str) -> Patient:
    age = sex = None
    said = m.age.strip() if m.age else None
    if said and parse_age(said) is None:
        said = age_statement(text, said) or said  # "71" -> "71-year" when the text says so
    if said and (parsed := parse_age(said)):
        age = AgeFact(value=parsed[0], unit=parsed[1], evidence=_ev(said))
    if m.sex and (word := parse_sex(m.sex)):
        sex = SexFact(value=word, evidence=_ev(m.sex.strip()))
    return Patient(age=age, age_group=None, sex=sex)


_CLAUSE = re.compile(r"\s+(with|without)\s+")
_ARTICLE = re.compile(r"^(?:a|an|the)\s+", re.IGNORECASE)


def _cut_clauses(
    name: str,
    phrases: list[str],
    max_words: int,
    update: dict[str, Any],
    dropped: list[DroppedFact],
) -> list[str]:
    """Phrases longer than `max_words` cut at "with"/"without": "distension with a hypoactive
    bowel" -> "distension", "hypoactive bowel"; "dilation without obstruction" -> "dilation",
    and "obstruction" becomes an absent sign (left out of other lists).  A leading article is
    trimmed from every phrase (the rest is still words of the text)."""
    out: list[str] = []
    for p in phrases:
        if len(p.split()) <= max_words:
            out.append(_ARTICLE.sub("", p))
            continue
        parts = _CLAUSE.split(p)
        out.append(_ARTICLE.sub("", parts[0]))
        for sep, part in zip(parts[1::2], parts[2::2], strict=True):
            part = _ARTICLE.sub("", part)
            if sep.lower() == "with":
                out.append(part)
            elif name == "signs_symptoms":
                update.setdefault("absent_signs_symptoms", []).append(part)
            else:
                dropped.append(
                    DroppedFact(path=name, fact={"phrase": part}, note="named after 'without'")
                )
    return [p for p in out if p]


def finish_cut(phrase: str, text: str, cut_at: int, norm: NormalizedText | None = None) -> str:
    """`phrase` as the text goes on with it when the phrase is `cut_at` characters long (the
    grammar's cap closed it) and ends inside a word of the text: that word finished when it
    ends the name there (a function word, punctuation or the end follows: "with 89% neutro" ->
    "with 89% neutrophils"), else taken off with the function words before it ("lobes with
    pleu" -> "lobes", the text going on "pleural effusion").  Unchanged when it is shorter,
    ends a word, ends in a digit, is not in the text, or the text goes on differently at
    different places.  `norm`: the text's `NormalizedText`, when the caller has it."""
    if len(phrase) < cut_at or not phrase[-1:].isalpha():
        return phrase
    norm = norm or NormalizedText(text)
    needle = NormalizedText(phrase).text.strip()
    hay = norm.text
    tails: set[str] = set()
    ends_name: set[bool] = set()
    i = hay.find(needle)
    while i != -1:
        j = i + len(needle)
        if not (i > 0 and joined(hay[i - 1], needle[0])):
            if j >= len(hay) or not hay[j].isalpha():
                return phrase  # the text has the phrase as it is somewhere
            k = j
            while k < len(hay) and joined(hay[k - 1], hay[k]):
                k += 1
            tails.add(hay[j:k])
            ends_name.add(_ends_name(hay[k : k + 40]))
            span = norm.to_source(j, k)
            tail = text[span.start : span.end]
        i = hay.find(needle, i + 1)
    if len(tails) != 1 or len(ends_name) != 1:
        return phrase
    if ends_name.pop():
        return phrase + tail
    words = phrase.split()[:-1]
    while words and words[-1].casefold() in function_words():
        words.pop()  # "lobes with pleu" -> "lobes"; "the occluder was impl" -> "the occluder"
    return " ".join(words)


def _ends_name(rest: str) -> bool:
    """The text after a word ends a name: nothing, punctuation or a function word follows."""
    rest = rest.lstrip()
    return not rest or not rest[0].isalnum() or rest.split(maxsplit=1)[0] in function_words()


def _finished(m: Mentions, text: str, cut_at: int, lists: bool = True) -> Mentions:
    norm = NormalizedText(text)  # once per answer, not per phrase
    update: dict[str, Any] = {}
    for name, value in m:
        if isinstance(value, str):
            update[name] = finish_cut(value, text, cut_at, norm)
        elif isinstance(value, list) and lists:
            update[name] = [finish_cut(p, text, cut_at, norm) for p in value]
    return m.model_copy(update=update)


def mention_sections(
    m: Mentions,
    text: str,
    *,
    split: bool = False,
    name_max_words: int | None = None,
    split_clauses: bool = False,
    cut_at: int | None = None,
    cut_lists: bool = True,
) -> tuple[dict[str, Any], list[DroppedFact]]:
    """The `MENTION_SECTIONS` of a `CaseReport` (as plain data) built from the phrases of the
    answer `m` about `text` (read only to find the unit of an age given as a bare number), and
    the phrases left out.  With `split`, each list phrase that joins several names is split
    (`split_phrase`); with `name_max_words`, a longer phrase (a clause) is left out, after
    `split_clauses` cut it at "with" and "without" (what follows "without" is an absent sign,
    or, in other lists, left out).  With `cut_at` (the pass's ``max_chars``), a phrase that
    long whose last word the cap cut is mended first (`finish_cut`); only a single phrase
    without `cut_lists` (a ``copy_words`` pass, whose lists the cap does not close)."""
    dropped: list[DroppedFact] = []
    if cut_at is not None:
        m = _finished(m, text, cut_at, cut_lists)
    if split or name_max_words is not None:
        update: dict[str, Any] = {}
        for name, value in m:
            if name in ("age", "sex", "outcome") or value is None:
                continue
            phrases = [value] if isinstance(value, str) else value
            if split:
                phrases = [piece for p in phrases for piece in split_phrase(p)]
            if split_clauses and name_max_words is not None:
                phrases = _cut_clauses(name, phrases, name_max_words, update, dropped)
            if name_max_words is not None:
                for p in phrases:
                    if len(p.split()) > name_max_words:
                        note = f"{len(p.split())} words: a clause, not a name"
                        dropped.append(DroppedFact(path=name, fact={"phrase": p}, note=note))
                phrases = [p for p in phrases if len(p.split()) <= name_max_words]
            if isinstance(value, str):  # the main diagnosis: its first name stays the main
                update[name] = phrases[0] if phrases else None
                update["other_diagnoses"] = phrases[1:]
            else:
                update[name] = [*update.get(name, []), *phrases]
        m = m.model_copy(update=update)
    seen: set[str] = set()
    main = _unique([m.main_diagnosis] if m.main_diagnosis else [], seen)
    diagnoses = [
        Diagnosis(name=n, status="principal", details=None, evidence=_ev(n)) for n in main
    ] + [
        Diagnosis(name=n, status="secondary", details=None, evidence=_ev(n))
        for n in _unique(m.other_diagnoses, seen)
    ]
    seen = set()
    findings = [
        Finding(name=n, assertion="present", body_site=None, evidence=_ev(n))
        for n in _unique(m.signs_symptoms, seen)
    ] + [
        Finding(name=n, assertion="absent", body_site=None, evidence=_ev(n))
        for n in _unique(m.absent_signs_symptoms, seen)
    ]
    seen = set()
    treatments = [
        treatment_item(n, None, _ev(n)) for n in _unique([*m.medications, *m.procedures], seen)
    ]
    assessments = [
        Assessment(method=n, result=None, time=None, evidence=_ev(n)) for n in _unique(m.tests)
    ]
    status = None
    if m.outcome and (value := outcome_status(m.outcome)):
        status = OutcomeStatusFact(value=value, evidence=_ev(m.outcome.strip()))
    out: dict[str, BaseModel | list[Any]] = {
        "patient": _patient(m, text),
        "diagnoses": diagnoses,
        "findings": findings,
        "treatments": treatments,
        "assessments": assessments,
        "outcome": Outcome(status=status, cause_of_death=None, follow_up=None),
    }
    assert tuple(out) == MENTION_SECTIONS
    sections = {
        k: v.model_dump() if isinstance(v, BaseModel) else [x.model_dump() for x in v]
        for k, v in out.items()
    }
    return sections, dropped


_TEXT_TOKEN = re.compile(r"\w+|[^\w\s]")
_WORD_START = re.compile(r"\w")
# Marks a phrase never holds: those JSON escapes, and "^", which a grammar's character class
# cannot hold as written; control characters too (JSON strings cannot hold them raw).
_UNCOPIED = frozenset('"\\^')
# Above this many distinct words, a word that may follow a mark is written as a group repeated
# {0,1} times rather than an optional one: llama.cpp counts every rule inside an optional group
# against a limit (2000), which the trie of about 2,700 words or more exceeds (a text of some
# 40,000 characters).  Below it the pattern keeps the shorter form its recordings were made with.
_LARGE_VOCABULARY = 1500


def _copiable(token: str) -> bool:
    return not _UNCOPIED & set(token) and not any(unicodedata.category(c) == "Cc" for c in token)


def text_tokens(text: str) -> list[str]:
    """The distinct words (runs of letters and digits) and punctuation marks of `text`, in
    sorted order: what a ``copy_words`` phrase is made of."""
    return sorted({t for t in _TEXT_TOKEN.findall(text) if _copiable(t)})


def _trie_regex(tokens: list[str]) -> str:
    """One regular expression that matches exactly `tokens`, written as a trie (alternatives
    share their first letters, so a grammar built from it follows few branches at a time);
    only plain groups, alternation and one-character classes, which llama.cpp's schema
    converter reads."""
    trie: dict[str, Any] = {}
    for token in tokens:
        node = trie
        for char in token:
            node = node.setdefault(char, {})
        node[""] = {}

    def char_regex(char: str) -> str:
        if char.isalnum() or char == "_":
            return char
        return f"[\\{char}]" if char in "[]" else f"[{char}]"

    def walk(node: dict[str, Any]) -> str:
        branches = [char_regex(c) + walk(rest) for c, rest in sorted(node.items()) if c]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(" + "|".join(branches) + ")"
        if "" in node:  # a token ends here and longer ones go on
            return f"({body})?"
        return body

    return walk(trie)


def copy_pattern(text: str, max_tokens: int) -> str:
    """A phrase made of `text`'s own words and punctuation marks (`text_tokens`): at most
    `max_tokens` steps, each a word after a space, or a mark (after a space or not) with a word
    joined to it or not ("IL-6", "39.4", "(LDH)"): two words are never joined without a space,
    so the model cannot glue pieces of words into one the text lacks.  It writes only what the
    text has, word for word (not necessarily in the text's order, which grounding checks)."""
    tokens = text_tokens(text)
    words = [t for t in tokens if _WORD_START.match(t)]
    marks = [t for t in tokens if not _WORD_START.match(t)]
    more = f"{{0,{max_tokens - 1}}}"
    if not words:  # marks only: a phrase of marks, if any (none: only the empty phrase)
        mark = _trie_regex(marks) if marks else ""
        return f"^({mark})( ?({mark})){more}$" if marks else "^$"
    word = _trie_regex(words)
    if not marks:
        return f"^({word})( ({word})){more}$"
    mark = _trie_regex(marks)
    joined = f"({word}){{0,1}}" if len(words) > _LARGE_VOCABULARY else f"({word})?"
    first = f"(({word})|({mark}){joined})"
    step = f"( ({word})| ?({mark}){joined})"
    return f"^{first}{step}{more}$"
