"""Find page boilerplate (banners, licences, disclaimers) around an article's text.

The patterns live in `abstraction/data/boilerplate.txt` so they can grow without code changes.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

from abstraction.grounding.align import Span


@lru_cache(maxsize=1)
def _patterns() -> re.Pattern[str]:
    raw = resources.files("abstraction").joinpath("data/boilerplate.txt").read_text("utf-8")
    lines = [ln.strip() for ln in raw.splitlines() if ln.strip() and not ln.startswith("#")]
    return re.compile(r"^\s*(?:" + "|".join(f"(?:{p})" for p in lines) + ")", re.IGNORECASE)


def boilerplate_spans(text: str) -> list[Span]:
    """Spans of whole lines (newline included) that are page boilerplate."""
    pat = _patterns()
    spans: list[Span] = []
    pos = 0
    for line in text.splitlines(keepends=True):
        if pat.match(line):
            spans.append(Span(pos, pos + len(line)))
        pos += len(line)
    return spans


def content_spans(text: str) -> list[Span]:
    """The complement of `boilerplate_spans`: where patient facts may be quoted from."""
    out: list[Span] = []
    pos = 0
    for b in boilerplate_spans(text):
        if b.start > pos:
            out.append(Span(pos, b.start))
        pos = b.end
    if pos < len(text):
        out.append(Span(pos, len(text)))
    return out


def strip_boilerplate(text: str) -> str:
    """The text the model reads: boilerplate lines removed, everything else kept verbatim."""
    return "".join(text[s.start : s.end] for s in content_spans(text))


PROSE_MIN_CHARS = 150
"""A line at least this long is running text (a paragraph), not a title, byline or keyword list."""


def prose_spans(text: str) -> list[Span]:
    """Paragraph lines: where a repeated quote about the patient is best placed."""
    spans: list[Span] = []
    pos = 0
    for line in text.splitlines(keepends=True):
        if len(line.strip()) >= PROSE_MIN_CHARS:
            spans.append(Span(pos, pos + len(line)))
        pos += len(line)
    return spans


_WORD = re.compile(r"[^\W_][\w'’-]*")
_SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*$")
HEADER_MIN_WORDS = 5
"""A line of running text has at least this many words (a journal line "Front. Oncol." has 2)."""


def reads_as_prose(line: str) -> bool:
    """Whether a line is running text: it ends a sentence, has a few words, and most of its
    words start in lower case or with a digit.  A title (no full stop, or Title Case), a byline
    or a journal line does not; "There were no signs of perforation." does."""
    stripped = line.strip()
    words = _WORD.findall(stripped)
    if len(words) < HEADER_MIN_WORDS or not _SENTENCE_END.search(stripped):
        return False
    lower = sum(1 for w in words if not w[0].isupper())
    return 2 * lower >= len(words)


def header_span(text: str) -> Span | None:
    """The article's front matter: every line before the first line of running text
    (`reads_as_prose`; boilerplate lines are skipped), i.e. title, journal line, authors.
    None when the text starts with running text or has none (then nothing is header)."""
    pat = _patterns()
    pos = 0
    for line in text.splitlines(keepends=True):
        if not pat.match(line) and reads_as_prose(line):
            return Span(0, pos) if text[:pos].strip() else None
        pos += len(line)
    return None


_CITED = re.compile(
    r"\bvol(?:ume)?\.?\s*\d|\bissue\s*\d|\bdoi\b|\bpp?\.\s*\d"
    r"|(?<!\d)(?:1[89]|20)\d\d\s*;\s*\d"  # "2025; 3(1)"
    r"|\d\s*\(\d+\)\s*:\s*[a-z]?\d"  # "3(1): 45", "15(3): e36123"
    r"|\((?:1[89]|20)\d\d\)\s*\d"  # "(2022) 6"
    r"|[·•]\s*(?:1[89]|20)\d\d\s*[·•]"  # "· 2023 ·"
    r"|\b\d+\s*:\s*e?\d+(?:\s*[–-]\s*\d+|,\s*(?:1[89]|20)\d\d\b)",  # "100:123-130", "25: 123, 2023"
    re.IGNORECASE,
)
_YEAR_LAST = re.compile(r"\s*(.*?)\s*\((?:1[89]|20)\d\d\)\s*$")
_SEGMENT_END = re.compile(
    r"[,;|·•]|\s(?=\(|\d)|(?<=\.)\s+(?=[A-Z][a-z]+\s)|\s(?=(?:vol|volume|issue)\b)",
    re.IGNORECASE,
)


def line_at(text: str, at: int) -> Span:
    """The line of `text` that holds offset `at` (its newline left out)."""
    start = text.rfind("\n", 0, at) + 1
    end = text.find("\n", at)
    return Span(start, len(text) if end < 0 else end)


def is_citation_line(line: str) -> bool:
    """Whether a line cites the article ("Pediatric Rare Disease Reports 2025; 3(1): 45-51",
    "Clinical Cases in Myeloma, 2024, Vol. 6, Issue 2", "Cureus 15(3): e36123"): a volume, an
    issue, pages or a DOI as citations write them, not running text.  Its words are the
    journal's, not the title ("Case 12-2024: A 45-Year-Old Man ..." is a title)."""
    if reads_as_prose(line):
        return False
    if _CITED.search(line):
        return True
    # "Case Reports in Oncology (2022)": a journal's name and its year; a title that ends
    # with a year ("... a case report (2021)") has a colon or more than eight words
    head = _YEAR_LAST.match(line)
    return head is not None and ":" not in head.group(1) and len(head.group(1).split()) <= 8


def segment_at(text: str, span: Span) -> str:
    """The part of `span`'s line between separators (a comma, a semicolon, a bar, a dot, before
    a number, a "(" or a volume, a full stop before a new name: "Smith et al. Journal of ...")
    that holds `span`: a journal's whole name in its citation line."""
    line = line_at(text, span.start)
    cut = [m.start() for m in _SEGMENT_END.finditer(text, line.start, line.end)]
    ends = [m.end() for m in _SEGMENT_END.finditer(text, line.start, line.end)]
    lo = max([e for e in ends if e <= span.start], default=line.start)
    hi = min([c for c in cut if c >= span.end], default=line.end)
    return text[lo:hi].strip()
