"""Normalise values before they are compared: free text, time expressions and quantities.

Every normaliser is a pure function of its input and of data files under `abstraction/data/`
(synonym lists and unit factors), so what counts as "the same" can be read and extended without
touching code.  Results are cached per string: gold texts repeat across runs and documents, and
the benchmark scores thousands of documents that share most of their strings.

Text: Unicode NFKC, case-folded, accents dropped, Greek letters spelled out (IFN-α ->
"ifn alpha"), punctuation turned into spaces (a decimal point between digits is kept), British
spellings mapped to American ones word by word (`spelling.txt`), then whole phrases replaced by
the canonical form of their synonym group, longest phrase first (`common.txt` plus the list the
field names).  Two texts are equal when their canonical forms are equal, or when the numbers in
them are the same and rapidfuzz's token-sort ratio reaches the field's threshold.

Time: the text steps with the common list, then number words and ordinals become digits
("sixth"/"6th" -> "6"), units are singular ("months"/"mo" -> "month"), "post"/"following" become
"after", filler words ("the", "at", "approximately") go, month names become numbers and
complete dates become ISO ("12 March 2019" -> "2019-03-12"), and a bare duration is expressed in
days or months ("two weeks" -> "14 day", "1.5 years" -> "18 month").
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

from rapidfuzz import fuzz

DATA_DIR = Path(__file__).resolve().parents[1] / "data"
SYNONYMS_DIR = DATA_DIR / "synonyms"
UNITS_FILE = DATA_DIR / "units.json"

_GREEK = {
    "α": " alpha ",
    "β": " beta ",
    "γ": " gamma ",
    "δ": " delta ",
    "ε": " epsilon ",
    "κ": " kappa ",
    "λ": " lambda ",
    "μ": " micro ",
    "τ": " tau ",
    "ω": " omega ",
}
_GREEK_TABLE = str.maketrans(_GREEK)
_TOKEN = re.compile(r"\d+(?:\.\d+)+|[^\W_]+")
"""A token: a decimal number (the point kept) or a run of letters and digits."""
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_GLUED_UNIT = re.compile(
    r"(?<![A-Za-z\d.,])(\d+(?:[.,]\d+)?)"
    r"(mg|mcg|µg|ug|ng|g|kg|ml|l|dl|cm|mm|iu|u|units?|mmol|meq|mmhg|gy|cgy|h|hrs?|min)\b",
    re.IGNORECASE,
)
"""A number written against its unit ("1000mg/m2"): clinical terms read it as "1000 mg/m2"."""


@dataclass(frozen=True, slots=True)
class Canonical:
    """A normalised value: its canonical text, the numbers in it (which must agree), and its
    tokens sorted (so token-sort similarity is a plain ratio, computed without re-sorting)."""

    text: str
    numbers: tuple[str, ...]
    sorted: str


_DOI_RESOLVER = re.compile(r"^\s*(?:https?://(?:dx\.)?doi\.org/|doi:\s*)(?=10\.)", re.I)
"""A DOI written as a link or with its "doi:" label is the DOI ("https://doi.org/10.1/x" is
"10.1/x"): a bibliographic value is compared without its resolver."""


def _canonical(text: str) -> Canonical:
    return Canonical(text, tuple(sorted(_NUMBER.findall(text))), " ".join(sorted(text.split())))


def _read_groups(path: Path) -> list[list[str]]:
    groups = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        variants = [v.strip() for v in line.split(" = ") if v.strip()]
        if len(variants) > 1:
            groups.append(variants)
    return groups


@lru_cache(maxsize=1)
def _spelling() -> dict[str, str]:
    table: dict[str, str] = {}
    for group in _read_groups(SYNONYMS_DIR / "spelling.txt"):
        canonical = _basic(group[0], {})
        for variant in group[1:]:
            table[_basic(variant, {})] = canonical
    return table


def _basic(text: str, spelling: dict[str, str]) -> str:
    """Case, Unicode, accents, Greek letters, punctuation and spelling; no synonyms."""
    if text.isascii():
        text = text.lower()  # NFKC and casefold are the identity / lower() on ASCII
    else:
        text = unicodedata.normalize("NFKC", text).casefold().translate(_GREEK_TABLE)
        if not text.isascii():
            decomposed = unicodedata.normalize("NFKD", text)
            text = "".join(c for c in decomposed if not unicodedata.combining(c))
    tokens = _TOKEN.findall(text)
    if spelling:
        tokens = [spelling.get(t, t) for t in tokens]
    return " ".join(tokens)


def synonym_files(name: str | None) -> list[Path]:
    """The common synonym list, then the one a field names (its groups win over common's)."""
    files = [SYNONYMS_DIR / "common.txt"]
    if name:
        path = SYNONYMS_DIR / f"{name}.txt"
        if not path.is_file():
            raise FileNotFoundError(f"no synonym list {path} (named by the schema)")
        files.append(path)
    return files


class Lexicon:
    """A synonym list (common words plus one named list), indexed for phrase replacement."""

    def __init__(self, name: str | None) -> None:
        self.name = name
        self.spelling = _spelling()
        self.canon: dict[str, str] = {}
        for f in synonym_files(name):
            for group in _read_groups(f):
                target = _basic(group[0], self.spelling)
                for variant in group:
                    # A field's own list wins over the common one (later files overwrite).
                    self.canon[_basic(variant, self.spelling)] = target
        # Phrases indexed by their first token, longest first: replacing is one pass over the
        # tokens with a dict lookup each (a regex of hundreds of alternatives was 5x slower).
        self.index: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        for phrase, target in sorted(self.canon.items(), key=lambda kv: (-len(kv[0]), kv[0])):
            toks = tuple(phrase.split())
            if toks:
                self.index.setdefault(toks[0], []).append((toks, target))
        self.cache: dict[str, Canonical] = {}

    def text(self, value: str) -> Canonical:
        """The canonical form of a free-text value (cached)."""
        hit = self.cache.get(value)
        if hit is None:
            hit = self.cache[value] = self._text(value)
        return hit

    def _text(self, value: str) -> Canonical:
        value = _DOI_RESOLVER.sub("", value)
        return _canonical(self.replace(_basic(value, self.spelling)))

    def replace(self, basic: str) -> str:
        """Replace each synonym phrase by its canonical form (longest phrase first)."""
        tokens = basic.split()
        index = self.index
        out: list[str] = []
        i, n = 0, len(tokens)
        while i < n:
            for toks, target in index.get(tokens[i], ()):
                k = len(toks)
                if k == 1 or tuple(tokens[i : i + k]) == toks:
                    out.append(target)
                    i += k
                    break
            else:
                out.append(tokens[i])
                i += 1
        return " ".join(out)


@cache
def lexicon(name: str | None) -> Lexicon:
    return Lexicon(name)


def text_equal(a: Canonical, b: Canonical, threshold: float) -> bool:
    """Equal canonical forms, or the same numbers and a token-sort ratio >= threshold.

    (rapidfuzz's token-sort ratio is the plain ratio of the token-sorted strings.)"""
    if a.text == b.text:
        return True
    if a.numbers != b.numbers:
        return False
    return fuzz.ratio(a.sorted, b.sorted, score_cutoff=threshold) > 0.0


# --- time expressions -------------------------------------------------------------------------

_UNITS = {
    "day": "day",
    "days": "day",
    "week": "week",
    "weeks": "week",
    "wk": "week",
    "wks": "week",
    "month": "month",
    "months": "month",
    "mo": "month",
    "mos": "month",
    "mth": "month",
    "mths": "month",
    "year": "year",
    "years": "year",
    "yr": "year",
    "yrs": "year",
    "hour": "hour",
    "hours": "hour",
    "hr": "hour",
    "hrs": "hour",
    "h": "hour",
    "minute": "minute",
    "minutes": "minute",
    "min": "minute",
    "mins": "minute",
}
_CARDINALS = {
    w: i
    for i, w in enumerate(
        [
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
            "thirteen",
            "fourteen",
            "fifteen",
            "sixteen",
            "seventeen",
            "eighteen",
            "nineteen",
        ]
    )
}
_TENS = {
    w: 10 * i
    for i, w in enumerate(
        ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
    )
    if w != "_"
}
_ORDINALS = {
    w: i
    for i, w in enumerate(
        [
            "zeroth",
            "first",
            "second",
            "third",
            "fourth",
            "fifth",
            "sixth",
            "seventh",
            "eighth",
            "ninth",
            "tenth",
            "eleventh",
            "twelfth",
            "thirteenth",
            "fourteenth",
            "fifteenth",
            "sixteenth",
            "seventeenth",
            "eighteenth",
            "nineteenth",
        ]
    )
}
_ORDINAL_TENS = {"twentieth": 20, "thirtieth": 30, "fortieth": 40, "fiftieth": 50}
_CONNECTORS = {
    "post": "after",
    "following": "after",
    "after": "after",
    "subsequent": "after",
    "prior": "before",
    "preceding": "before",
    "before": "before",
    "pre": "before",
}
_FILLER = frozenset(
    [
        "the",
        "at",
        "on",
        "in",
        "of",
        "to",
        "approximately",
        "approx",
        "about",
        "around",
        "roughly",
        "nearly",
        "almost",
        "some",
        "by",
    ]
)
_MONTHS = {
    name: i
    for i, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_ORDINAL_DIGITS = re.compile(r"^(\d+)(?:st|nd|rd|th)$")
_DURATION_DAYS = {"day": 1, "week": 7}
_DURATION_MONTHS = {"month": 1, "year": 12}


def _numberish(tokens: list[str]) -> list[str]:
    """Number words and ordinals to digits; 'a week' to '1 week'."""
    out: list[str] = []
    for i, t in enumerate(tokens):
        nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
        m = _ORDINAL_DIGITS.match(t)
        if m:
            out.append(m.group(1))
        elif t in _ORDINALS:
            out.append(str(_ORDINALS[t]))
        elif t in _ORDINAL_TENS:
            out.append(str(_ORDINAL_TENS[t]))
        elif t in _CARDINALS:
            if out and out[-1].isdigit() and _last_was_tens(tokens, i):
                out[-1] = str(int(out[-1]) + _CARDINALS[t])
            else:
                out.append(str(_CARDINALS[t]))
        elif t in _TENS:
            out.append(str(_TENS[t]))
        elif t in ("a", "an") and nxt in _UNITS:
            out.append("1")
        else:
            out.append(t)
    return out


def _last_was_tens(tokens: list[str], i: int) -> bool:
    return i > 0 and tokens[i - 1] in _TENS and 0 < _CARDINALS[tokens[i]] < 10


def _dates(tokens: list[str]) -> list[str]:
    """Month names to numbers, and day-month-year, month-day-year, month-year or ISO to ISO."""
    toks = [f"m{_MONTHS[t]:02d}" if t in _MONTHS and len(tokens) > 1 else t for t in tokens]
    out: list[str] = []
    i = 0
    while i < len(toks):
        window = toks[i : i + 3]
        iso, used = _date_at(window)
        if iso:
            out.append(iso)
            i += used
        else:
            out.append(toks[i])
            i += 1
    return out


def _is_month(t: str) -> bool:
    return len(t) == 3 and t[0] == "m" and t[1:].isdigit()


def _is_year(t: str) -> bool:
    return len(t) == 4 and t.isdigit() and 1800 <= int(t) <= 2100


def _is_day(t: str) -> bool:
    return t.isdigit() and 1 <= int(t) <= 31


def _date_at(w: list[str]) -> tuple[str | None, int]:
    if len(w) == 3:
        a, b, c = w
        if _is_day(a) and _is_month(b) and _is_year(c):
            return f"{c}-{b[1:]}-{int(a):02d}", 3
        if _is_month(a) and _is_day(b) and _is_year(c):
            return f"{c}-{a[1:]}-{int(b):02d}", 3
        if _is_year(a) and b.isdigit() and 1 <= int(b) <= 12 and _is_day(c) and len(b) == 2:
            return f"{a}-{b}-{int(c):02d}", 3
    if len(w) >= 2:
        a, b = w[0], w[1]
        if _is_month(a) and _is_year(b):
            return f"{b}-{a[1:]}", 2
        if _is_year(a) and len(b) == 2 and b.isdigit() and 1 <= int(b) <= 12:
            return f"{a}-{b}", 2
    return None, 0


def _duration(tokens: list[str]) -> list[str]:
    """A bare 'N unit' becomes days (days, weeks) or months (months, years)."""
    if len(tokens) != 2 or not _NUMBER.fullmatch(tokens[0]):
        return tokens
    n, unit = float(tokens[0]), tokens[1]
    if unit in _DURATION_DAYS:
        return [_fmt(n * _DURATION_DAYS[unit]), "day"]
    if unit in _DURATION_MONTHS:
        return [_fmt(n * _DURATION_MONTHS[unit]), "month"]
    return tokens


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


time_cache: dict[str, Canonical] = {}


def time_text(value: str) -> Canonical:
    """The canonical form of a time expression (cached)."""
    hit = time_cache.get(value)
    if hit is None:
        hit = time_cache[value] = _time(value)
    return hit


def _time(value: str) -> Canonical:
    lex = lexicon(None)
    # Hyphens join number words ("twenty-one"); split them before the number pass.
    tokens = _basic(value, lex.spelling).split()
    tokens = _numberish(tokens)
    tokens = [_UNITS.get(t, t) for t in tokens]
    tokens = [_CONNECTORS.get(t, t) for t in tokens if t not in _FILLER]
    if tokens[:1] == ["for"]:  # "for 5 days" is the duration "5 days"
        tokens = tokens[1:]
    tokens = _dates(tokens)
    tokens = _duration(tokens)
    return _canonical(lex.replace(" ".join(tokens)))


# --- quantities -------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def unit_factors() -> dict[str, float]:
    """Unit name -> factor to its dimension's base unit, from `data/units.json`."""
    data = json.loads(UNITS_FILE.read_text(encoding="utf-8"))
    factors: dict[str, float] = {}
    for key, dim in data.items():
        if key.startswith("_"):
            continue
        factors.update({u: float(f) for u, f in dim["factors"].items()})
    return factors


def numbers_equal(a: float, b: float, tolerance: float) -> bool:
    """Relative tolerance: |a - b| <= tolerance * max(|a|, |b|) (plus float rounding)."""
    return abs(a - b) <= tolerance * max(abs(a), abs(b)) + 1e-9
