"""A document's source text for the review app, and the refusal of any file that is not it.

An extraction file says where its text came from (`document.path`), how long it was
(`document.chars`) and what it hashed to (`document.sha256`: sha256 of the text as read, UTF-8,
without a leading BOM; see `abstraction.core.documents`).  A run folder may come from anyone, so
the recorded path is a hint, never a permission: a candidate is read only when it is a regular
file no longer than the recorded text can be in UTF-8, and shown only when its text hashes to the
recorded sha256.  A file that fails either check is refused with the reason, never served: a
hostile ``"path": "/home/me/.ssh/id_rsa"`` or ``"../../secret"`` yields a message, not the file.

Where a text is looked for, first match wins:
1. ``<run>/sources/<id>.<txt|md|…>``: a copy the run folder keeps (must resolve inside the run);
2. with ``--sources DIR``: ``DIR/<recorded file name>``, ``DIR/<id>.<suffix>`` (inside DIR);
3. without it: the recorded path (absolute, or relative to the run folder).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from abstraction.core.documents import TEXT_SUFFIXES, sha256_text
from abstraction.core.records import DocumentInfo

KEPT_SOURCES = "sources"
"""The run's own copies of its source texts: ``<run>/sources/<id>.txt``."""


@dataclass(frozen=True)
class Source:
    text: str | None
    path: str | None
    warning: str | None


class Refused(Exception):
    """A candidate file that is not (or may not be) the extracted text; the message says why."""


def _max_bytes(info: DocumentInfo) -> int:
    return max(info.chars, 1) * 4 + 3  # 4 bytes per code point at most, and a BOM


def read_verified(path: Path, info: DocumentInfo) -> str:
    """The text of `path` if it is the text `info` describes; raises `Refused` otherwise.

    Reads at most the bytes the recorded text can take, from a regular file only (not a FIFO,
    a device such as /dev/zero, or a folder).
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise Refused(f"{path}: cannot read: {exc.strerror}") from exc
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fh.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise Refused(f"{path}: not a regular file; not read")
        limit = _max_bytes(info)
        if st.st_size > limit:
            raise Refused(
                f"{path}: longer than the extracted text can be ({st.st_size} bytes for "
                f"{info.chars} characters), so it is not that text; not read"
            )
        raw = fh.read(limit + 1)
    try:
        text = raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError:
        text = None
    if text is None or len(raw) > limit or sha256_text(text) != info.sha256:
        raise Refused(
            f"{path}: not the text that was extracted (its sha256 differs from the one the "
            "extraction recorded), so it is not shown; restore that text or pass --sources DIR"
        )
    return text


def _inside(path: Path, root: Path) -> bool:
    return path.resolve().is_relative_to(root.resolve())


def candidates(info: DocumentInfo, *, run: Path, sources: Path | None) -> Iterator[Path]:
    """Where to look for the text, in order (see the module docstring)."""
    recorded = Path(info.path) if info.path else None
    kept = run / KEPT_SOURCES
    for suffix in sorted(TEXT_SUFFIXES):
        yield kept / f"{info.id}{suffix}"
    if sources is not None:
        if recorded is not None and recorded.name not in ("", ".", ".."):
            yield sources / recorded.name
        for suffix in sorted(TEXT_SUFFIXES):
            yield sources / f"{info.id}{suffix}"
        return
    if recorded is not None:
        yield recorded if recorded.is_absolute() else run / recorded


def find_source(info: DocumentInfo, *, run: Path, sources: Path | None) -> Source:
    """The verified source text of the document `info` describes, or why there is none."""
    refusals: list[str] = []
    for candidate in candidates(info, run=run, sources=sources):
        if not os.path.lexists(candidate):
            continue
        for root in (run / KEPT_SOURCES, sources):
            if root is not None and candidate.parent == root and not _inside(candidate, root):
                refusals.append(f"{candidate}: links outside {root}; not read")
                break
        else:
            try:
                return Source(read_verified(candidate, info), str(candidate), None)
            except Refused as exc:
                refusals.append(str(exc))
    if refusals:
        message = refusals[0]
    else:
        where = info.path or f"{info.id}.txt"
        message = f"source text not found: {where}" + ("" if sources else " (pass --sources DIR)")
    if info.format != "text":
        message += (
            f"; the text of a {info.format} document is shown from a copy kept as "
            f"{KEPT_SOURCES}/{info.id}.txt in the run folder or in --sources"
        )
    return Source(None, None, message)
