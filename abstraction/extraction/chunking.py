"""Split a document that is longer than the model's context into overlapping parts.

Cuts prefer, in order: a section start, a paragraph start, a sentence start, a space; a cut
falls in the second half of the part, so parts are never tiny.  Each part after the first
starts `overlap` characters before the previous cut (moved forward to a sentence start), so a
fact stated across a cut is whole in at least one part.  Every character of the text is in at
least one part: nothing is dropped here.  Parts are plain slices of the text, so an offset in a
part plus the part's `start` is an offset in the document.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from abstraction.core.documents import Document
from abstraction.core.errors import UserError

_KNOWN_HEADINGS = (
    r"abstract|summary|introduction|background|case\s+(?:presentation|report|description|"
    r"history|summary|details)s?|case\s+\d+|patient\s+(?:presentation|history)|"
    r"(?:materials\s+and\s+)?methods?|results|discussion|conclusions?|"
    r"(?:discussion\s+and\s+)?conclusions?|references|bibliography|acknowledge?ments?|"
    r"funding|conflicts?\s+of\s+interest|ethics(?:\s+statement)?|author\s+contributions|"
    r"consent|data\s+availability(?:\s+statement)?|keywords|learning\s+points|"
    r"investigations?|treatment|outcome\s+and\s+follow[- ]up|follow[- ]up|differential\s+diagnosis"
)
_HEADING = re.compile(
    r"^[ \t]*(?:"
    r"#{1,6}[ \t]+(?P<md>[^\n]{1,100})"
    rf"|(?P<known>(?:\d+(?:\.\d+)*\.?[ \t]+)?(?:{_KNOWN_HEADINGS}))[ \t]*:?"
    r"|(?P<caps>[A-Z][A-Z0-9 ,&/()-]{2,60})"
    r")[ \t]*$",
    re.MULTILINE | re.IGNORECASE,
)
_CAPS = re.compile(r"^[A-Z][A-Z0-9 ,&/()-]{2,60}$")
_PARAGRAPH = re.compile(r"\n[ \t]*\n\s*")
_SENTENCE = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=\S)")
_SPACE = re.compile(r"\s+")


def find_headings(text: str) -> list[tuple[int, str]]:
    """Offsets and names of lines that look like section headings (stand-alone short lines)."""
    found: list[tuple[int, str]] = []
    for m in _HEADING.finditer(text):
        if m.group("caps") is not None and not _CAPS.match(m.group("caps").strip()):
            continue  # IGNORECASE let a lower-case line through the ALL-CAPS branch
        name = next(g for g in (m.group("md"), m.group("known"), m.group("caps")) if g)
        start = m.start() + (len(m.group(0)) - len(m.group(0).lstrip()))
        found.append((start, " ".join(name.split())))
    return found


@dataclass(frozen=True)
class ChunkSettings:
    """`max_chars` is the text budget of one model call (the context minus prompt and answer).

    The default, 24,000 characters (about 6,000 tokens), suits an 8k-token context; set it from
    the model's context length when it is larger.
    """

    max_chars: int = 24_000
    overlap: int = 1_000

    def __post_init__(self) -> None:
        if self.max_chars < 200:
            raise UserError(f"max_chars must be at least 200, got {self.max_chars}")
        if not 0 <= self.overlap < self.max_chars // 2:
            raise UserError(f"overlap must be in [0, max_chars/2), got {self.overlap}")


CHARS_PER_TOKEN = 3.0
"""Conservative for English clinical prose (about 4 for plain English; numbers, units and
abbreviations tokenise worse), so a part planned from it fits."""
PROMPT_OVERHEAD_TOKENS = 1_500
REMOTE_PART_CHARS = 48_000


def part_budget(*, n_ctx: int | None, max_tokens: int) -> int:
    """Characters of document per call: the context minus the answer and the prompt around
    the document.  `n_ctx` None means a hosted model with a large context: parts are then kept
    to `REMOTE_PART_CHARS` so one answer does not have to hold a whole book."""
    if n_ctx is None:
        return REMOTE_PART_CHARS
    tokens = n_ctx - max_tokens - PROMPT_OVERHEAD_TOKENS
    if tokens < 500:
        raise UserError(
            f"a context of {n_ctx} tokens leaves no room for a document after {max_tokens} "
            f"answer tokens and ~{PROMPT_OVERHEAD_TOKENS} prompt tokens: raise n_ctx"
        )
    return int(tokens * CHARS_PER_TOKEN)


@dataclass(frozen=True)
class Part:
    index: int
    start: int
    end: int
    section: str | None


def section_starts(doc: Document) -> list[tuple[int, str]]:
    """Where sections begin: from the document's ranges when it has named sections
    (JATS, PDF), else from heading-like lines in the text."""
    named = [(r.start, r.section) for r in doc.ranges if r.section]
    if named:
        out: list[tuple[int, str]] = []
        for start, name in named:
            if not out or out[-1][1] != name:
                out.append((start, name))
        return out
    return find_headings(doc.text)


def _last_match(pattern: re.Pattern[str], text: str, lo: int, hi: int) -> int | None:
    best = None
    for m in pattern.finditer(text, lo, hi):
        if lo < m.end() <= hi:
            best = m.end()
    return best


def _cut(text: str, lo: int, hi: int, sections: list[int]) -> int:
    in_window = [s for s in sections if lo < s <= hi]
    if in_window:
        return in_window[-1]
    for pattern in (_PARAGRAPH, _SENTENCE, _SPACE):
        found = _last_match(pattern, text, lo, hi)
        if found is not None:
            return found
    return hi


def _overlap_start(text: str, cut: int, overlap: int) -> int:
    """The first sentence (or word) start at or after ``cut - overlap``."""
    if overlap == 0:
        return cut
    lo = cut - overlap
    for pattern in (_SENTENCE, _SPACE):
        m = pattern.search(text, lo, cut)
        if m is not None and m.end() < cut:
            return m.end()
    return lo


def plan_parts(doc: Document, settings: ChunkSettings) -> list[Part]:
    """One part for a short document; else overlapping parts covering every character."""
    text, n = doc.text, len(doc.text)
    sections = section_starts(doc)
    starts = [s for s, _ in sections]

    def section_at(offset: int) -> str | None:
        name = None
        for s, title in sections:
            if s > offset:
                break
            name = title
        return name

    spans: list[tuple[int, int]] = []
    start = 0
    while n - start > settings.max_chars:
        cut = _cut(text, start + settings.max_chars // 2, start + settings.max_chars, starts)
        spans.append((start, cut))
        start = max(_overlap_start(text, cut, settings.overlap), start + 1)
    spans.append((start, n))
    return [Part(i, a, b, section_at(a)) for i, (a, b) in enumerate(spans)]


def part_document(doc: Document, part: Part, count: int) -> Document:
    """The part as a document of its own: same path and format, id ``<id>.partN``."""
    if count == 1:
        return doc
    ranges = tuple(
        replace(
            r, start=max(r.start, part.start) - part.start, end=min(r.end, part.end) - part.start
        )
        for r in doc.ranges
        if r.end > part.start and r.start < part.end
    )
    return Document(
        id=f"{doc.id}.part{part.index + 1}",
        text=doc.text[part.start : part.end],
        path=doc.path,
        format=doc.format,
        metadata={**doc.metadata, "part": f"{part.index + 1}/{count}"},
        ranges=ranges,
    )
