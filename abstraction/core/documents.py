"""Source documents: the text every offset points into.

A document's text is kept exactly as read (only a leading BOM is dropped), so that character
offsets stored in records index the same string a reader gets from the file with Python.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from abstraction.core.errors import UserError

TEXT_SUFFIXES = frozenset({".txt", ".md", ".markdown", ".text"})
_ID_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def safe_id(raw: str) -> str:
    """A document id usable as a file name: unsafe characters become '_'."""
    cleaned = _ID_UNSAFE.sub("_", raw).strip("._")
    if not cleaned:
        raise UserError(f"cannot make a document id from {raw!r}")
    return cleaned


@dataclass(frozen=True)
class TextRange:
    """Where a stretch of the text came from: a PDF page and/or an article section.

    `start`/`end` are character offsets into `Document.text` (end exclusive), like evidence.
    """

    start: int
    end: int
    page: int | None = None
    section: str | None = None


@dataclass(frozen=True)
class Document:
    """A source text; `ranges` (sorted, non-overlapping) locate pages or sections when known."""

    id: str
    text: str
    path: str | None = None
    format: str = "text"
    metadata: dict[str, str] = field(default_factory=dict)
    ranges: tuple[TextRange, ...] = ()

    def locate(self, offset: int) -> TextRange | None:
        """The range holding character `offset`, or None (binary search: ranges are sorted)."""
        lo, hi = 0, len(self.ranges)
        while lo < hi:
            mid = (lo + hi) // 2
            r = self.ranges[mid]
            if offset < r.start:
                hi = mid
            elif offset >= r.end:
                lo = mid + 1
            else:
                return r
        return None

    @property
    def sha256(self) -> str:
        return sha256_text(self.text)

    @classmethod
    def from_path(cls, path: Path) -> Document:
        """Read a UTF-8 text or Markdown file; the id is the file name without its suffix."""
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise UserError(f"{path}: cannot read: {exc.strerror}") from exc
        if b"\x00" in raw[:8192]:
            raise UserError(f"{path}: looks binary (NUL bytes), not a text file")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise UserError(f"{path}: not UTF-8 text (byte {exc.start}): convert it first") from exc
        text = text.removeprefix("\ufeff")
        if not text.strip():
            raise UserError(f"{path}: empty document")
        return cls(id=safe_id(path.stem), text=text, path=str(path), format="text")
