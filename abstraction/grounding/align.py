"""Align a model's quote to character offsets in the source.

Three steps, first hit wins: the verbatim quote; the quote after normalising Unicode (NFKC),
case, dashes, quotes and whitespace on both sides (offsets mapped back to the original text);
then a fuzzy partial alignment (rapidfuzz) above a similarity threshold.  Offsets are Python
string indices into the original text, so non-ASCII characters ("α") count as one.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cached_property

from rapidfuzz import fuzz

FUZZY_THRESHOLD = 85.0
"""Minimum rapidfuzz partial-ratio (0-100) for a fuzzy match; below it a quote is unsupported."""

MIN_FUZZY_CHARS = 12
"""Shorter quotes must match verbatim or normalised: fuzzy matching of a few letters is noise."""

_TRANSLATE = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2212": "-",
        "\u00a0": " ",
    }
)
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Span:
    start: int
    end: int


@dataclass(frozen=True)
class Alignment:
    start: int
    end: int
    method: str  # verbatim | normalized | fuzzy
    similarity: float
    occurrences: int = 1


class NormalizedText:
    """A normalised view of a text that remembers, per character, where it came from.  With
    `accents=False` accents are taken off as well ("Tomás" reads "tomas"; "ø" stays)."""

    def __init__(self, text: str, *, accents: bool = True) -> None:
        chars: list[str] = []
        origin: list[int] = []
        prev_space = True
        for i, ch in enumerate(text):
            norm = unicodedata.normalize("NFKC", ch).translate(_TRANSLATE).casefold()
            if not accents:
                norm = "".join(
                    c for c in unicodedata.normalize("NFKD", norm) if not unicodedata.combining(c)
                )
            for c in norm:
                if c.isspace():
                    if prev_space:
                        continue
                    c = " "
                    prev_space = True
                else:
                    prev_space = False
                chars.append(c)
                origin.append(i)
        self.text = "".join(chars)
        self.origin = origin
        self.source_len = len(text)

    def to_source(self, start: int, end: int) -> Span:
        """Map a half-open span of the normalised text back to the source text."""
        if start >= end:
            return Span(self.origin[start], self.origin[start])
        return Span(self.origin[start], self.origin[end - 1] + 1)


def normalize(text: str) -> str:
    return NormalizedText(text).text.strip()


class Aligner:
    """Aligns quotes against one source text; build once per document."""

    def __init__(self, text: str, *, threshold: float = FUZZY_THRESHOLD) -> None:
        self.text = text
        self.threshold = threshold

    @cached_property
    def _norm(self) -> NormalizedText:
        return NormalizedText(self.text)

    def candidates(self, quote: str) -> list[Alignment]:
        """Every exact or normalised occurrence of `quote`, in text order (may be empty)."""
        if not quote.strip():
            return []
        spans = [(m, "verbatim") for m in word_occurrences(self.text, quote)]
        if spans:
            return [Alignment(s, s + len(quote), "verbatim", 100.0, len(spans)) for s, _ in spans]
        needle = normalize(quote)
        hits = word_occurrences(self._norm.text, needle) if needle else []
        out = []
        for s in hits:
            span = self._norm.to_source(s, s + len(needle))
            out.append(Alignment(span.start, span.end, "normalized", 100.0, len(hits)))
        return out

    def fuzzy(self, quote: str) -> Alignment | None:
        needle = normalize(quote)
        if len(needle) < MIN_FUZZY_CHARS or not self._norm.text:
            return None
        res = fuzz.partial_ratio_alignment(needle, self._norm.text, score_cutoff=self.threshold)
        if res is None or res.dest_end <= res.dest_start:
            return None
        span = self._norm.to_source(res.dest_start, res.dest_end)
        return Alignment(span.start, span.end, "fuzzy", round(res.score, 1))

    def align(
        self,
        quote: str,
        *,
        allowed: list[Span] | None = None,
        preferred: list[Span] | None = None,
    ) -> Alignment | None:
        """Best alignment of `quote`: inside `allowed` spans if possible, then `preferred` ones.

        With several identical occurrences the first allowed (and preferred) one is taken and
        `occurrences` says how many there were.
        """
        found = self.candidates(quote)
        if found:
            inside = [a for a in found if _within(a, allowed)] or found
            liked = [a for a in inside if _within(a, preferred)] if preferred is not None else []
            return (liked or inside)[0]
        return self.fuzzy(quote)


def joined(a: str, b: str) -> bool:
    """Whether characters `a` then `b` are inside one word: two digits, or two letters unless a
    lowercase letter meets a capital (names run together in extracted text: "LiHuibo")."""
    if a.isdigit() and b.isdigit():
        return True
    return a.isalpha() and b.isalpha() and not (a.islower() and b.isupper())


def word_occurrences(haystack: str, needle: str) -> list[int]:
    """Starts of `needle` in `haystack` that do not cut a word: "man" is not found in
    "management" (a quote that begins or ends with a letter or digit must not continue one)."""
    out, i = [], haystack.find(needle)
    while i != -1:
        j = i + len(needle)
        cut_before = i > 0 and joined(haystack[i - 1], needle[0])
        cut_after = j < len(haystack) and joined(needle[-1], haystack[j])
        if not cut_before and not cut_after:
            out.append(i)
        i = haystack.find(needle, i + 1)
    return out


def _within(a: Alignment, spans: list[Span] | None) -> bool:
    if spans is None:
        return True
    return any(s.start <= a.start and a.end <= s.end for s in spans)
