"""Clinical term matching: two terms are equal only when a clinician would sign them as equal.

A term is reduced to a *canonical form*, and two terms are equal when their canonical forms are
the same multiset of words.  There is no fuzzy threshold: a near spelling is never enough,
because in medicine it is often the whole difference (hypotension / hypertension, ilium /
ileum, dysphagia / dysphasia, amoxicillin / ampicillin, hepatitis B / C).  What *may* differ
is listed, rule by rule (docs/evaluation.md has the same list):

1. Case, Unicode (NFKC, accents, Greek letters spelled out) and punctuation; a ``+`` or ``-``
   that ends a marker ("HER2+", "CD20-") is read as "positive" / "negative" first, so it is
   not lost with the punctuation; a number written against its unit ("1000mg/m2") is read as
   the number and the unit ("1000 mg/m2"); an eponym's possessive is the eponym ("Crohn's
   disease" is "Crohn disease").
2. British / American spelling: the curated word list (`synonyms/spelling.txt`) and three
   rules on words of 5+ letters: ``ae``/``oe`` -> ``e`` (haemoglobin, oedema, foetal), a final
   ``our`` -> ``or`` on 6+ letters (tumour, colour), ``-ise/-ised/-ising/-isation`` -> ``-iz``
   on 7+ letters (hospitalised).
3. Plurals and other inflections of nouns: each word becomes its lemma (lemminflect, noun
   reading: masses -> mass, metastases -> metastasis, bronchi -> bronchus); words of 3 letters
   or fewer and a short list of abbreviation-like words (AIDS) are kept as they are.
4. Roman numerals after a classifier word (stage, grade, type, class, phase, ...) become arabic
   ("stage IIIA" = "stage 3a"); elsewhere "IV" stays (intravenous).
5. Abbreviations and synonyms: phrase groups in `synonyms/*.txt` (`common.txt` plus the list
   the field names), longest phrase first; and abbreviations the document itself defines,
   "unrelated cord blood transplantation (UCBT)" (see `defined_abbreviations`).
6. A parenthesis that abbreviates what precedes it ("electrocardiogram (ECG)", "minimal
   residual disease (MRD)") is left out; any other parenthesis ("ALL (B-cell)") stays.  In the
   treatment list, a dose written into the name ("aspirin 300 mg", "ramipril 2.5 mg daily":
   a number with a dose unit, and dosing frequency words) is not part of the name, nor is a
   generic last word "treatment", "therapy" or "regimen" after a named treatment
   ("interferon-α treatment" is "interferon-α", "CAR-T cell therapy" is "CAR-T cell").  A word
   said twice counts once.
7. Word order and the words "of", "the", "a", "an", "in", "on", "at", "for" do not count
   ("MRI of the brain" = "brain MRI"), except that direction words keep their order ("left to
   right shunt" is not "right to left shunt").
8. Head word and modified form ("bleeding" / "vaginal bleeding"): equal only when every extra
   word of the prediction is one of the gold's own modifiers (a finding's body site, a
   diagnosis's details: "IgG kappa multiple myeloma" for "multiple myeloma" whose details say
   "IgG kappa"; given as `qualifiers`) and none is meaning-bearing (see below).
9. A drug's systemic route of administration (oral / PO, intravenous / IV, subcutaneous /
   SC, intramuscular / IM) is a detail of how it was given, not which treatment it was: "oral
   acyclovir" is "acyclovir" when one side states no route; two different routes differ
   ("oral acyclovir" is not "intravenous acyclovir").  Only where the rest names a drug (a
   word with a drug-name ending: "oral surgery" is not "surgery", "IV fluids" not "fluids"),
   and never for a local route (topical, inhaled, intrathecal, intravitreal, ...: another
   product or indication).  A name that is only a route stays itself.  Treatment names and
   doses ("10 mg/kg IV" is the dose "10 mg/kg"); `key` keeps the route words.  A dose's
   numbers keep their order ("20 mg for 5 days" is not "5 mg for 20 days").  Oral
   vancomycin is another treatment (not absorbed: C. difficile colitis), so for it "oral"
   is part of the name.
10. A dose in one unit and in digits: a mass in mg ("1 g" = "1000 mg", "500 µg" = "0.5
   mg"), "/day" and "per day" as "daily", IU / U / units alike, number words as digits.

Rule 3 keeps Greek nouns in -oma / -ema as they are (lemminflect reads "hematoma" as a Latin
plural).  Rule 5 reads letters a document defines otherwise than the lists ("pleural effusion
(PE)") as the document's long form, before the lists (`redefined_abbreviations`).

Everything else differs, and the reason says which kind of difference it is: opposite
prefixes (hypo/hyper, brady/tachy, ...), opposite qualifiers (positive/negative, left/right,
up/down, ...), a negating prefix or word (non-, anti-, un-, no), letters or numbers (types,
stages, grades, serotypes, isotypes, cell lineages), different drugs, or other different words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache, lru_cache

from abstraction.core.normalize import (
    _CARDINALS,
    _GLUED_UNIT,
    _ORDINAL_DIGITS,
    _ORDINALS,
    _TENS,
    _basic,
    _read_groups,
    _spelling,
    synonym_files,
)

_SIGN = re.compile(r"(?<=[A-Za-z0-9])(\+|-|−)(?=$|[\s,;:/)\]])")
_POSSESSIVE = re.compile(r"(?<=[A-Za-z])['’]s\b")
"""An eponym's possessive ("Crohn's disease", "Pott's disease") is the eponym (rule 1)."""
_STOP = frozenset({"of", "the", "a", "an", "in", "on", "at", "for"})
_KEEP = frozenset({"aids", "sars", "mers", "ards", "ms", "pcos", "pots", "tias", "hus"})
"""Words lemminflect would singularise wrongly (AIDS is not the plural of "aid")."""
_LEMMA_FIX = {
    "stenoses": "stenosis",
    "ascites": "ascites",
    "feces": "feces",
    "diabetes": "diabetes",
}
_GREEK_NOUNS = ("oma", "ema")
_GREEK_PLURALS = ("omas", "emas", "omata", "emata")
"""Greek nouns in -oma / -ema and their plurals -omas / -omata: lemminflect makes "hematoma"
"hematomum" but "hematomas" "hematoma", so the singular and the plural differed."""
_CLASSIFIERS = frozenset(
    {"stage", "grade", "type", "class", "phase", "cycle", "factor", "level", "tier", "nyha"}
    | {"figo", "cin", "lane", "cranial", "nerve", "degree", "gleason", "subtype", "group"}
)
_ROMAN = re.compile(r"^(x{0,2})(ix|iv|v?i{0,3})([abc]?)$")
_ROMAN_VALUE = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "vii": 7, "viii": 8}
_ROMAN_VALUE |= {"ix": 9, "": 0}
_DIRECTIONS = frozenset({"left", "right", "up", "down", "upper", "lower", "anterior", "posterior"})
_OPPOSITE_PREFIXES = (
    ("hypo", "hyper"),
    ("brady", "tachy"),
    ("micro", "macro"),
    ("intra", "extra"),
    ("pre", "post"),
    ("endo", "exo"),
    ("hypo", "normo"),
    ("hyper", "normo"),
    ("oligo", "poly"),
    ("hypo", "hyper"),
    ("ab", "ad"),
    ("in", "ex"),
    ("infra", "supra"),
    ("sub", "supra"),
    ("uni", "bi"),
    ("mono", "poly"),
)
_OPPOSITE_WORDS = {
    frozenset(p)
    for p in [
        ("positive", "negative"),
        ("left", "right"),
        ("up", "down"),
        ("upper", "lower"),
        ("high", "low"),
        ("increased", "decreased"),
        ("elevated", "decreased"),
        ("elevated", "low"),
        ("acute", "chronic"),
        ("benign", "malignant"),
        ("primary", "secondary"),
        ("anterior", "posterior"),
        ("proximal", "distal"),
        ("medial", "lateral"),
        ("superior", "inferior"),
        ("unilateral", "bilateral"),
        ("ipsilateral", "contralateral"),
        ("active", "inactive"),
        ("sensitive", "resistant"),
        ("reactive", "nonreactive"),
        ("present", "absent"),
        ("before", "after"),
        ("systolic", "diastolic"),
        ("arterial", "venous"),
        ("inspiratory", "expiratory"),
    ]
}
_NEGATORS = frozenset({"non", "no", "not", "without", "anti", "un", "de", "dis", "negative"})
_NEGATING_PREFIXES = ("non", "anti", "un", "dis", "de", "a", "an", "in", "im")
_DRUG_SUFFIXES = (
    "cillin", "mycin", "micin", "cycline", "floxacin", "azole", "conazole", "vir", "mab",
    "nib", "tinib", "platin", "taxel", "rubicin", "statin", "pril", "sartan", "olol", "dipine",
    "parin", "xaban", "gatran", "sporine", "limus", "phamide", "fosfamide", "mustine", "tide",
    "semide", "thiazide", "prazole", "tidine", "setron", "triptan", "zepam", "zolam", "barbital",
    "profen", "fenac", "coxib", "sone", "solone", "olone", "cort", "asone", "trexate", "citabine",
    "uracil", "purine", "lukast", "terol", "tropium", "dronate", "glitazone", "gliptin",
    "gliflozin", "formin", "caine", "oxacin", "penem", "cef", "kacin", "vudine", "navir",
    "relin", "orelin", "ridone", "peridol", "pine", "tyline", "pramine", "oxetine", "faxine",
    "triptyline", "amide", "azepam", "idine", "amine", "dronate", "ine",
)  # fmt: skip
"""Word endings of drug names (INN stems): two different such words are different drugs."""

_SYSTEMIC_ROUTES = {
    **dict.fromkeys(("oral", "orally", "po"), "oral"),
    **dict.fromkeys(("intravenous", "intravenously", "iv"), "intravenous"),
    **dict.fromkeys(("subcutaneous", "subcutaneously", "sc"), "subcutaneous"),
    **dict.fromkeys(("intramuscular", "intramuscularly", "im"), "intramuscular"),
}
"""Rule 9: the routes that give a drug to the whole body, by their canonical route.  A local
route (topical, inhaled, intrathecal, intravitreal, intravesical, rectal, ...) often names
another product or indication (topical vs systemic steroids, intrathecal vs systemic
methotrexate), so its word stays part of the name."""
_ORAL_IS_ANOTHER_DRUG = frozenset({"vancomycin"})
"""Drugs whose oral form is not absorbed and treats something else (oral vancomycin acts in
the gut, for Clostridioides difficile colitis; given intravenously it treats systemic
infections): for these "oral" is part of the name, while another systemic route stated on
one side only still agrees ("IV vancomycin" is "vancomycin")."""
_ORAL = "oral route"
"""The oral route as a word of such a drug's name (one word, that no text yields)."""
_ROUTED = frozenset({"treatments", "doses"})
"""The vocabularies rule 9 reads routes in: a treatment's name and its dose."""
_DOSES = "doses"


@dataclass(frozen=True, slots=True)
class Term:
    """A canonical term: its words sorted (`key` joins them) and its direction words in order.

    For a treatment that names a drug, and for a dose, `routes` are its systemic
    route-of-administration words (canonical: "oral", "intravenous", ...) and `bare` its key
    without them; for any other term `bare` is `key` and there are no routes (rule 9).  A
    dose's `directions` also hold its numbers, in order.
    """

    words: tuple[str, ...]
    key: str
    directions: tuple[str, ...]
    bare: str
    routes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TermMatch:
    """A verdict with its reason, so that every score can be audited."""

    equal: bool
    reason: str

    def __bool__(self) -> bool:
        return self.equal


def _british(word: str) -> str:
    n = len(word)
    if n >= 5 and ("ae" in word or "oe" in word):
        word = word.replace("ae", "e").replace("oe", "e")
    if n >= 6 and word.endswith(("our", "ours")):
        word = word.replace("our", "or")
    if n >= 7:
        for brit, us in (("isation", "ization"), ("ised", "ized"), ("ising", "izing")):
            if word.endswith(brit):
                return word[: -len(brit)] + us
        if word.endswith("ise") and not word.endswith(("wise", "cise", "mise", "rise")):
            return word[:-3] + "ize"
    return word


@lru_cache(maxsize=65536)
def _lemma(word: str) -> str:
    if len(word) <= 3 or word in _KEEP or not word.isalpha():
        return word
    fixed = _LEMMA_FIX.get(word)
    if fixed:
        return fixed
    if word.endswith(_GREEK_NOUNS):  # hematoma, empyema: lemminflect reads "hematomum"
        return word
    if word.endswith(_GREEK_PLURALS):  # hematomas, hematomata
        return word[: -1 if word.endswith("s") else -2]
    from lemminflect import getLemma  # loaded on first use: its tables take ~0.1 s

    lemmas = getLemma(word, upos="NOUN")
    return lemmas[0] if lemmas and lemmas[0] else word


def _roman(words: list[str]) -> list[str]:
    out = list(words)
    for i in range(1, len(out)):
        if out[i - 1] in _CLASSIFIERS:
            m = _ROMAN.match(out[i])
            if m and (m.group(1) or m.group(2)):
                out[i] = f"{10 * len(m.group(1)) + _ROMAN_VALUE[m.group(2)]}{m.group(3)}"
    return out


def words_of(text: str) -> list[str]:
    """Rules 1-4: normalised words, in order (no synonyms yet)."""
    text = _SIGN.sub(lambda m: " positive" if m.group(1) == "+" else " negative", text)
    text = _POSSESSIVE.sub("", _GLUED_UNIT.sub(r"\1 \2", text))
    spelling = _spelling()
    words = [_british(_lemma(spelling.get(w, w))) for w in _basic(text, {}).split()]
    return _roman([spelling.get(w, w) for w in words])


class Vocabulary:
    """Synonym groups (common plus one named list), indexed by normalised phrase."""

    def __init__(self, name: str | None) -> None:
        self.name = name
        canon: dict[tuple[str, ...], str] = {}
        for f in synonym_files(name):
            for group in _read_groups(f):
                target = " ".join(words_of(group[0]))
                for variant in group:
                    canon[tuple(words_of(variant))] = target  # a field's own list wins
        self.index: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        for phrase, target in sorted(canon.items(), key=lambda kv: (-len(kv[0]), kv[0])):
            if phrase:
                self.index.setdefault(phrase[0], []).append((phrase, target))
        self.cache: dict[str, Term] = {}
        self.own = {
            tuple(words_of(v)) for f in synonym_files(name)[1:] for g in _read_groups(f) for v in g
        }
        """The variants of the field's own list (not common.txt): the letters a document may
        redefine (`redefined_abbreviations`)."""

    def term(self, value: str, redefined: Mapping[str, tuple[str, ...]] | None = None) -> Term:
        """The canonical form of `value` (cached per string).

        `redefined`: abbreviations the document defines otherwise than these lists
        (`redefined_abbreviations`), read as the document's long form before the lists are.
        """
        if redefined:
            words = self._words(value)
            if any(w in redefined for w in words):
                return self._canonical(self._splice(words, redefined))
        hit = self.cache.get(value)
        if hit is None:
            hit = self.cache[value] = self._canonical(self._words(value))
        return hit

    def _words(self, value: str) -> list[str]:
        if self.name == _DOSES:
            return _dose_words(words_of(_dose_text(value)))
        return words_of(_strip(value, doses=self.name == "treatments"))

    def _canonical(self, words: list[str]) -> Term:
        for _ in range(3):  # "computed tomography scan" -> "ct scan" -> "ct"
            replaced = self.replace(words)
            if replaced == words:
                break
            words = replaced
        return _term(words, routed=self.name if self.name in _ROUTED else None)

    def _splice(self, words: list[str], redefined: Mapping[str, tuple[str, ...]]) -> list[str]:
        """`words` with each redefined abbreviation replaced by the document's long form,
        except inside a listed phrase ("spinal TB", "PET-CT", "BM biopsy" stay whole)."""
        out: list[str] = []
        i = 0
        while i < len(words):
            k = next(
                (
                    len(p)
                    for p, _ in self.index.get(words[i], ())
                    if len(p) > 1 and tuple(words[i : i + len(p)]) == p
                ),
                0,
            )
            if k:
                out.extend(words[i : i + k])
                i += k
            else:
                out.extend(redefined.get(words[i], (words[i],)))
                i += 1
        return out

    def replace(self, words: list[str]) -> list[str]:
        """Rule 5: each synonym phrase becomes its group's canonical form, longest first."""
        out: list[str] = []
        i, n = 0, len(words)
        while i < n:
            for phrase, target in self.index.get(words[i], ()):
                k = len(phrase)
                if tuple(words[i : i + k]) == phrase:
                    out.extend(target.split())
                    i += k
                    break
            else:
                out.append(words[i])
                i += 1
        return out

    def expand(self, term: Term, abbreviations: Mapping[str, Term]) -> Term:
        """A term with the document's own abbreviations replaced by their long forms."""
        if not abbreviations or not any(w in abbreviations for w in term.words):
            return term
        words: list[str] = []
        for w in term.words:
            words.extend(abbreviations[w].words if w in abbreviations else (w,))
        return _term(words, routed=self.name if self.name in _ROUTED else None)


def _term(words: Iterable[str], *, routed: str | None = None) -> Term:
    """`routed`: the vocabulary's name when rule 9 reads routes in it (treatments, doses)."""
    listed = [w for w in words if w not in _STOP]
    kept = list(dict.fromkeys(listed))  # a word said twice counts once
    key = " ".join(sorted(kept))
    directions = tuple(w for w in kept if w in _DIRECTIONS)
    if routed == _DOSES:  # a dose's numbers keep their order: "20 mg for 5 days" is not "5 ... 20"
        directions += tuple(w for w in listed if w[:1].isdigit())
    if routed and any(w in _ORAL_IS_ANOTHER_DRUG for w in kept) and sum(map(_is_drug, kept)) == 1:
        # only when vancomycin is the one drug named: "oral metronidazole and IV vancomycin"
        # "oral vancomycin" is another treatment: the oral route is part of its name.
        kept = list(dict.fromkeys(_ORAL if _routes().get(w) == "oral" else w for w in kept))
        key = " ".join(sorted(kept))
    routes = tuple(sorted({r for w in kept if (r := _routes().get(w)) and w != _ORAL}))
    routes = routes if routed else ()
    bare = " ".join(sorted(w for w in kept if w not in _routes() or w == _ORAL)) if routes else ""
    if not bare or (routed != _DOSES and not any(_is_drug(w) for w in bare.split())):
        # No route, a name that is only a route ("IV"), or no drug named: the name as it is
        # ("oral surgery" is not "surgery", "IV fluids" not "fluids").
        return Term(tuple(sorted(kept)), key, directions, key)
    return Term(tuple(sorted(kept)), key, directions, bare, routes)


@cache
def _routes() -> dict[str, str]:
    """The route words as `words_of` reads them ("subcutaneous" is lemmatised on the way)."""
    return {w: r for word, r in _SYSTEMIC_ROUTES.items() for w in words_of(word)}


_THOUSANDS = re.compile(r"(?<![\d.,])[1-9]\d{0,2}(?:,\d{3})+(?![\d,]|\.\d)")
_DECIMAL_COMMA = re.compile(r"(?<=\d),(?=\d)")
_BARE_POINT = re.compile(r"(?<![\d.])\.(?=\d)")
_RANGE = re.compile(
    r"(\d+(?:\.\d+)?)\s*(?:-|–|to)\s*(\d+(?:\.\d+)?)\s*"
    r"(mg|g|gm|mcg|µg|μg|ug|ng|grams?|milligrams?|micrograms?|ml|l)\b",
    re.IGNORECASE,
)
_PER = (
    (re.compile(r"\s*/\s*(?:day|d)\b|\b(?<!for )(?:per|a|every)\s+day\b", re.I), " daily"),
    (re.compile(r"\s*/\s*(?:week|wk)\b|\b(?<!for )(?:per|a|every)\s+week\b", re.I), " weekly"),
    (re.compile(r"\bq\s*(\d+)\s*h(?:rs?|ours?)?\b", re.I), r" every \1 hours"),
)
_SPACED_THOUSANDS = re.compile(
    r"(?<![\d.,])[1-9]\d{0,2}(?:[ \u00a0\u2009\u202f]\d{3})+"
    r"(?=\s*(?:mg|g|mcg|µg|μg|ug|ng|ml|l|iu|u|units?)\b)",
    re.IGNORECASE,
)
_GAUGE = re.compile(r"(?<=\d)\s*G\b(?!-)")
"""A capital G after a number is a needle's gauge ("18 G"), never grams (g)."""
_MILLION_UNITS = re.compile(r"(?<=\d)\s*M(?:IU|U)\b|\bM(?:IU|U)\b")
_MILLI_UNITS = re.compile(r"(?<=\d)\s*mI?U\b|\bmI?U\b")
_SCALE = {"g": ("mg", "1000"), "gram": ("mg", "1000"), "gm": ("mg", "1000")}
_SCALE |= {"mg": ("mg", "1"), "milligram": ("mg", "1"), "mcg": ("mg", "0.001")}
_SCALE |= {"ug": ("mg", "0.001"), "microgram": ("mg", "0.001"), "ng": ("mg", "0.000001")}
_SCALE |= {"nanogram": ("mg", "0.000001"), "l": ("ml", "1000"), "liter": ("ml", "1000")}
_SCALE |= {"ml": ("ml", "1"), "milliliter": ("ml", "1"), "cc": ("ml", "1")}
_UNITS_WORDS = frozenset({"u", "iu", "unit"})
_DOSE_WORDS = {"twice": ("2", "time"), "thrice": ("3", "time"), "h": ("hour",)}
_DOSE_WORDS |= {"hr": ("hour",), "hrs": ("hour",)}


def _dose_text(value: str) -> str:
    """A dose's text before its words are read: "1,000 mg" and "1 000 mg" are "1000 mg",
    "0,5 g" is "0.5 g", ".5 g" is "0.5 g", "1-2 g" is "1 g - 2 g", "60 mg/day" and "60 mg a
    day" are "60 mg daily", "/week" is "weekly", "q12h" is "every 12 hours", "3 MIU" is 3
    million units (not 3 mIU, milli-units: the case is read before it is lost), "18 G" is a
    needle's gauge (not 18 g)."""
    value = _THOUSANDS.sub(lambda m: m.group().replace(",", ""), value)
    value = _SPACED_THOUSANDS.sub(lambda m: re.sub(r"\D", "", m.group()), value)
    value = _GAUGE.sub(" gauge", value)
    value = _BARE_POINT.sub("0.", _DECIMAL_COMMA.sub(".", value))
    value = _MILLI_UNITS.sub(" milliunits", _MILLION_UNITS.sub(" million units", value))
    value = _RANGE.sub(r"\1 \3 - \2 \3", value)
    for pattern, repl in _PER:
        value = pattern.sub(repl, value)
    return value


def _dose_words(words: list[str]) -> list[str]:
    """A dose's words in one unit and in digits: a mass in mg ("1 g" = "1000 mg", "500 µg" =
    "0.5 mg"), a volume in mL ("1 L" = "1000 mL"), units as "unit" ("5000 IU" = "5000
    units"), number words and ordinals as digits ("five" = "5", "one hundred" = "100",
    "first" = "1st"), "twice" as "2 times", "h" as "hour"."""
    out: list[str] = []
    i = 0
    while i < len(words):
        w = words[i]
        if w in _CARDINALS:
            n = _CARDINALS[w]
            if out and out[-1].isdigit() and i and words[i - 1] in _TENS and 0 < n < 10:
                out[-1] = str(int(out[-1]) + n)
            else:
                out.append(str(n))
        elif w in _TENS:
            out.append(str(_TENS[w]))
        elif w == "hundred" and out and out[-1].isdigit():
            out[-1] = str(int(out[-1]) * 100)
        elif w in _ORDINALS:
            out.append(f"{_ORDINALS[w]}th")  # "first dose" is "1st dose", not "1 dose"
        elif _ORDINAL_DIGITS.match(w):
            out.append(f"{w[:-2]}th")
        elif w == "international" and words[i + 1 : i + 2] in (["unit"], ["u"], ["iu"]):
            i += 1
            continue  # "5000 international units" is "5000 IU"
        elif w in _UNITS_WORDS:
            out.append("unit")
        elif w == "micro" and i + 1 < len(words) and words[i + 1] in ("g", "gram"):
            out.append("mcg")  # "µg": the micro sign is spelled out as a Greek letter
            i += 1  # and its "g" read with it
        else:
            out.extend(_DOSE_WORDS.get(w, (w,)))
        i += 1
        unit = out[-1] if out else ""
        if unit in _SCALE and len(out) >= 2 and _is_number(out[-2]):
            out[-1], factor = _SCALE[unit]
            out[-2] = _plain(Decimal(out[-2]) * Decimal(factor))
    return out


def _is_number(word: str) -> bool:
    try:
        Decimal(word)
    except InvalidOperation:
        return False
    return word[:1].isdigit()


def _plain(value: Decimal) -> str:
    """A number as plain digits, no exponent and no trailing zeros: 1000, 0.5, 1.25."""
    text = format(value.normalize(), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _is_drug(word: str) -> bool:
    """A drug's name, by its INN stem (cephalosporins by their first letters)."""
    return len(word) >= 6 and (word.endswith(_DRUG_SUFFIXES) or word.startswith(("cef", "ceph")))


@cache
def vocabulary(name: str | None) -> Vocabulary:
    return Vocabulary(name)


def term_equal(gold: Term, pred: Term, qualifiers: Term | None = None) -> bool:
    """Rules 6-9 on canonical terms (the scorer's fast path; `explain` gives the reason)."""
    if gold.key == pred.key:
        return gold.directions == pred.directions
    if gold.bare == pred.bare:
        return gold.directions == pred.directions and routes_agree(gold, pred)
    if qualifiers is None or len(pred.words) <= len(gold.words):
        return False
    return _qualified(gold, pred, qualifiers)


def routes_agree(gold: Term, pred: Term) -> bool:
    """Rule 9: a route one side states and the other leaves unsaid agrees; two different
    routes do not ("oral acyclovir" is "acyclovir", never "intravenous acyclovir")."""
    return not gold.routes or not pred.routes or gold.routes == pred.routes


def _qualified(gold: Term, pred: Term, qualifiers: Term) -> bool:
    """The prediction is the gold's head word plus some of the gold's own modifiers: none
    meaning-bearing, except direction words that come with the rest of a one-place gold site,
    in its order ("petechiae on both lower limbs" for "petechiae" at "both lower limbs"; not
    for a site "right knee and left hip" or "right upper and left lower lobes", where a side
    could move to the other place, nor a bare "left")."""
    extra = list(pred.words)
    for w in gold.words:
        if w not in extra:
            return False
        extra.remove(w)
    allowed = set(qualifiers.words)
    if not all(_among(w, allowed) for w in extra):
        return False
    meaningful = [w for w in extra if _meaningful(w)]
    if not meaningful:
        return True
    if any(w not in _DIRECTIONS for w in meaningful) or len(meaningful) == len(extra):
        return False
    if not _one_site(qualifiers):
        return False
    directions = list(pred.directions)
    for d in gold.directions:
        if d in directions:
            directions.remove(d)
    return _run(directions, list(qualifiers.directions))


def _one_site(site: Term) -> bool:
    """One place, on one side and at one level: no "and" and no pair of opposite directions
    ("right knee and left hip", "right arm, left arm spared", "right upper and left lower
    lobes" are several, where a side could move to the other structure)."""
    if "and" in site.words:
        return False
    sides = set(site.directions)
    return not any(p <= sides for p in _OPPOSITE_WORDS if p <= _DIRECTIONS)


def _run(part: list[str], whole: list[str]) -> bool:
    """`part` is a contiguous run of `whole`, in order."""
    n = len(part)
    return any(whole[i : i + n] == part for i in range(len(whole) - n + 1))


def _among(word: str, allowed: set[str]) -> bool:
    """The word, or its noun / adjective twin (vagina / vaginal, abdomen / abdominal: the
    first five letters alike, the lengths within three)."""
    if word in allowed:
        return True
    return any(
        len(word) >= 5 and len(q) >= 5 and word[:5] == q[:5] and abs(len(word) - len(q)) <= 3
        for q in allowed
    )


def _meaningful(word: str) -> bool:
    return word in _NEGATORS or word in _DIRECTIONS or any(word in p for p in _OPPOSITE_WORDS)


def explain(gold: Term, pred: Term, qualifiers: Term | None = None) -> TermMatch:
    """The verdict of `term_equal` and why."""
    if gold.key == pred.key:
        if gold.directions != pred.directions:
            return TermMatch(False, "direction words (or a dose's numbers) in another order")
        return TermMatch(True, "same canonical form")
    if gold.bare == pred.bare and gold.directions == pred.directions:
        if routes_agree(gold, pred):
            return TermMatch(True, "the same, a route stated on one side only")
        return TermMatch(
            False, f"different routes: {' '.join(gold.routes)} / {' '.join(pred.routes)}"
        )
    long_ = qualifiers is not None and len(pred.words) > len(gold.words)
    if long_ and qualifiers is not None and _qualified(gold, pred, qualifiers):
        return TermMatch(True, "prediction adds only the gold's own modifiers")
    g_only = [w for w in gold.words if w not in pred.words]
    p_only = [w for w in pred.words if w not in gold.words]
    return TermMatch(False, difference(g_only, p_only))


def difference(g_only: list[str], p_only: list[str]) -> str:
    """The kind of difference between the words only one side has."""
    for a in g_only:
        for b in p_only:
            kind = _pair_kind(a, b)
            if kind:
                return f"{kind}: {a} / {b}"
    one_sided = [w for w in g_only + p_only if w in _NEGATORS]
    if one_sided:
        return f"negating word on one side: {one_sided[0]}"
    marks = [w for w in g_only + p_only if len(w) == 1 or any(c.isdigit() for c in w)]
    if marks:
        return f"letters or numbers differ: {' '.join(g_only) or '-'} / {' '.join(p_only) or '-'}"
    return f"different words: {' '.join(g_only) or '-'} / {' '.join(p_only) or '-'}"


def _pair_kind(a: str, b: str) -> str | None:
    if frozenset((a, b)) in _OPPOSITE_WORDS:
        return "opposite qualifiers"
    for x, y in _OPPOSITE_PREFIXES:
        for p, q in ((x, y), (y, x)):
            if a.startswith(p) and b.startswith(q) and a[len(p) :] == b[len(q) :]:
                return f"opposite prefixes {p}-/{q}-"
    for p in _NEGATING_PREFIXES:
        if a == p + b or b == p + a:
            return f"negating prefix {p}-"
    if len(a) <= 2 or len(b) <= 2 or any(c.isdigit() for c in a + b):
        return "letters or numbers differ"
    if len(a) == len(b) <= 5 and a[:-1] == b[:-1]:
        return "letters differ (type, isotype or lineage)"
    if a.endswith(_DRUG_SUFFIXES) and b.endswith(_DRUG_SUFFIXES):
        return "different drug names"
    return None


_DOSE = re.compile(
    r"\b\d+(?:[.,]\d+)*\s*(?:mg|g|mcg|µg|ug|ng|iu|u|units?|ml|l|mmol|meq)"
    r"(?:\s*/\s*(?:kg|m2|m²|day|d|h|hr|dose))*\b"
    r"|\b(?:once|twice|three times|four times)\s+(?:a\s+)?daily\b|\b(?:daily|bid|tid|qid|qd|od)\b",
    re.IGNORECASE,
)


def _strip(value: str, *, doses: bool) -> str:
    """Rule 6: parentheses that abbreviate the text before them and, for treatments, doses."""
    if "(" in value:
        m = _DEFINITION.search(value)
        if m and not value[m.end() :].strip() and _abbreviates(m.group(1), value[: m.start()]):
            value = value[: m.start()]
    if doses:
        bare = _DOSE.sub(" ", value)
        if bare.strip():
            value = bare
        bare = _GENERIC_TAIL.sub("", value)
        if bare.strip():
            value = bare
    return value


_GENERIC_TAIL = re.compile(r"[\s-]+(?:treatment|therapy|regimen)s?\s*$", re.IGNORECASE)
"""A generic word after a named treatment: "interferon-α treatment" is "interferon-α"."""


_DEFINITION = re.compile(r"\(\s*([A-Za-z][A-Za-z0-9\-]{1,9})\s*\)")


def defined_abbreviations(text: str) -> dict[str, str]:
    """Abbreviations a text defines as "long form (ABBR)" (after Schwartz and Hearst, 2003).

    The long form is the shortest run of words before the parenthesis whose first letters
    spell the abbreviation's letters in order, the first word starting with the first letter;
    at most len(ABBR) + 5 words back.  Returns lower-cased abbreviation -> long form.
    """
    found: dict[str, str] = {}
    for m in _DEFINITION.finditer(text):
        abbr = m.group(1)
        letters = [c.lower() for c in abbr if c.isalpha()]
        if len(letters) < 2 or not any(c.isupper() for c in abbr):
            continue
        before = re.findall(r"[A-Za-z0-9]+", text[max(0, m.start() - 200) : m.start()])
        for k in range(1, min(len(before), len(letters) + 5) + 1):
            words = before[-k:]
            if words[0][0].lower() == letters[0] and _spells(letters, words):
                found.setdefault(abbr.lower().replace("-", " ").split()[0], " ".join(words))
                break
    return found


def _abbreviates(abbr: str, before: str) -> bool:
    letters = [c.lower() for c in abbr if c.isalpha()]
    words = re.findall(r"[A-Za-z0-9]+", before)
    if len(letters) < 2:
        return False
    return any(
        _spells(letters, words[-k:]) for k in range(1, min(len(words), len(letters) + 5) + 1)
    )


def _spells(letters: list[str], words: list[str]) -> bool:
    """Each letter found, in order, at the start of a word or inside the words after it."""
    text = " ".join(w.lower() for w in words)
    pos = 0
    for i, c in enumerate(letters):
        nxt = text.find(c, pos) if i else 0
        if nxt < 0:
            return False
        pos = nxt + 1
    return text.split()[0][0] == letters[0]


def document_abbreviations(
    vocab: Vocabulary, defined: Mapping[str, str], *, agreeing: bool = False
) -> dict[str, Term]:
    """The document's definitions as canonical terms, for `Vocabulary.expand`.  An abbreviation
    whose long form is itself one word, or holds the abbreviation, is left out; with
    `agreeing`, so is one the lists give another meaning (`redefined_abbreviations`)."""
    out: dict[str, Term] = {}
    redefined = redefined_abbreviations(vocab, defined) if agreeing else {}
    for abbr, long_form in defined.items():
        term = vocab.term(long_form)
        if abbr and len(term.words) > 1 and abbr not in term.words and abbr not in redefined:
            out[abbr] = term
    return out


def redefined_abbreviations(
    vocab: Vocabulary, defined: Mapping[str, str]
) -> dict[str, tuple[str, ...]]:
    """Abbreviations the document defines otherwise than the lists do, each with the words of
    the document's long form: "pleural effusion (PE)" where the lists read PE as pulmonary
    embolism, "cold agglutinin disease (CAD)" where they read coronary artery disease.

    In such a document the letters mean what the document says ("PE" is the pleural
    effusion), and the lists' own long form keeps its meaning ("pulmonary embolism" is not
    the pleural effusion), so these are read before the lists (`Vocabulary.term`), never
    expanded after them.  Only a long form whose words' initials are the letters ("acute
    myeloid leukemia with myelodysplasia-related changes (AML-MRC)" is not a redefinition of
    AML) and that is not a variant of the listed one ("pulmonary emboli (PE)")."""
    out: dict[str, tuple[str, ...]] = {}
    for abbr, long_form in defined.items():
        words = tuple(words_of(long_form))
        # Only letters of the field's own list: common.txt's (CT, HR, CR, US...) keep the
        # lists' reading, as before (a text with "cycle threshold (Ct)" still has chest CTs).
        if not abbr or len(words) < 2 or abbr in words or (abbr,) not in vocab.own:
            continue
        content = [w for w in words if w not in _STOP]
        if "".join(w[0] for w in content) != abbr:  # "pulmonary thromboembolism (PE)"
            continue
        target = " ".join(vocab.replace([abbr]))
        forms = [p for ps in vocab.index.values() for p, t in ps if t == target and len(p) > 1]
        if any(
            len(f) == len(content) and all(a[:5] == b[:5] for a, b in zip(content, f, strict=True))
            for f in forms
        ):  # "pulmonary emboli (PE)", "myocardial infarct (MI)"
            continue
        if vocab.term(abbr).key != vocab.term(long_form).key:
            out[abbr] = words
    return out


def compare(
    gold: str,
    pred: str,
    *,
    vocab: str | None = None,
    qualifiers: str | None = None,
    abbreviations: Mapping[str, str] | None = None,
) -> TermMatch:
    """Compare two terms with the named synonym list; the verdict carries its reason."""
    v = vocabulary(vocab)
    abbr = document_abbreviations(v, abbreviations or {}, agreeing=True)
    redefined = redefined_abbreviations(v, abbreviations or {})
    g = v.expand(v.term(gold, redefined), abbr)
    p = v.expand(v.term(pred, redefined), abbr)
    q = v.expand(v.term(qualifiers, redefined), abbr) if qualifiers else None
    return explain(g, p, q)


__all__ = [
    "Term",
    "TermMatch",
    "Vocabulary",
    "compare",
    "defined_abbreviations",
    "document_abbreviations",
    "explain",
    "redefined_abbreviations",
    "routes_agree",
    "term_equal",
    "vocabulary",
    "words_of",
]
