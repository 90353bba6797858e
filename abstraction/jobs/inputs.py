"""Job inputs: folders, globs, JSONL, PDF and PMC JATS XML, turned into `Document`s.

Discovery (`discover`) is cheap and happens once, before any model call: it expands the
inputs, classifies each file by suffix, indexes JSONL lines and gives every item a document id.
Problems found there (an unsupported file type, a broken JSONL line, a duplicate id) are kept
on the item, not raised, so one bad input never stops the job.  Loading (`load`) reads one item
and raises `InputError` with a short `kind` and a message that says what to do.

Size policy: a text above `InputLimits.max_text_bytes` (1 MB of UTF-8 by default, about
250k tokens) is refused rather than chunked.  A case report, even a full article, is rarely
above 200 kB; a 5 MB "document" is almost always a concatenation or a dump, and chunking it
would silently spend dozens of model calls.  Raise the limit to process such texts anyway:
anything under it that exceeds the model context is split (see `chunking`).

PDF pages and JATS sections are kept as `TextRange`s on the document, so evidence offsets
can be given a `page` or `section` after extraction; the PDF and JATS readers are in
`abstraction.jobs.readers` (imported by `load`, which they import from).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal

from abstraction.core.documents import TEXT_SUFFIXES, Document, safe_id
from abstraction.core.errors import UserError

SourceKind = Literal["text", "pdf", "jats", "jsonl", "unsupported"]
PDF_SUFFIXES = frozenset({".pdf"})
JATS_SUFFIXES = frozenset({".xml", ".nxml"})
JSONL_SUFFIXES = frozenset({".jsonl"})
_GLOB_CHARS = frozenset("*?[")


class InputError(UserError):
    """One input cannot be used; `kind` is short and machine-readable."""

    def __init__(self, message: str, *, kind: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class InputLimits:
    """Refusal thresholds: extracted text in UTF-8 bytes, and raw PDF/XML file size."""

    max_text_bytes: int = 1_000_000
    max_file_bytes: int = 50_000_000


@dataclass(frozen=True)
class Source:
    """One document to be: a file, or one line of a JSONL file.

    `problem`/`problem_kind` are set when discovery already knows the item is unusable.
    `id` is empty only for items that cannot have one (a JSONL line with no readable id).
    """

    id: str
    origin: str
    kind: SourceKind
    path: Path
    line: int | None = None
    offset: int | None = None
    problem: str | None = None
    problem_kind: str | None = None
    size: int | None = None


def _kind_of(path: Path) -> SourceKind:
    suffix = path.suffix.lower()
    if suffix in TEXT_SUFFIXES:
        return "text"
    if suffix in PDF_SUFFIXES:
        return "pdf"
    if suffix in JATS_SUFFIXES:
        return "jats"
    if suffix in JSONL_SUFFIXES:
        return "jsonl"
    return "unsupported"


def _expand(inputs: Iterable[str | Path], exclude: Iterable[Path]) -> list[Path]:
    """Files named by paths, folders (recursive, hidden entries skipped) and glob patterns."""
    files: list[Path] = []
    for raw in inputs:
        text = str(raw)
        if any(c in _GLOB_CHARS for c in text) and not Path(text).exists():
            matches = sorted(_glob(text))
            if not matches:
                raise UserError(f"{text}: the pattern matches no file")
            candidates = [m for m in matches if m.is_file()]
        else:
            p = Path(text)
            if p.is_dir():
                candidates = sorted(
                    f
                    for f in p.rglob("*")
                    if f.is_file()
                    and not any(part.startswith(".") for part in f.relative_to(p).parts)
                )
            elif p.is_file():
                candidates = [p]
            else:
                raise UserError(f"{p}: no such file or folder")
        files.extend(candidates)
    excluded = [e.resolve() for e in exclude]
    seen: set[Path] = set()
    unique: list[Path] = []
    for f in files:
        key = f.resolve()
        if key in seen or any(key.is_relative_to(e) for e in excluded):
            continue
        seen.add(key)
        unique.append(f)
    return unique


def _glob(pattern: str) -> list[Path]:
    """The files and folders a glob pattern names, like ``glob.glob(pattern, recursive=True)``
    (hidden entries skipped unless the pattern names them) but with pathlib's ``**``, which
    does not descend into symlinked folders: ``glob.glob`` follows them, and two links back to
    a parent folder make it walk for minutes and hundreds of MB before any document is read."""
    parts = Path(pattern).parts
    fixed = next(i for i, part in enumerate(parts) if any(c in _GLOB_CHARS for c in part))
    base = Path(*parts[:fixed]) if fixed else Path(".")
    rest = "/".join(parts[fixed:])
    hidden_ok = any(part.startswith(".") for part in parts[fixed:])
    found = []
    for match in base.glob(rest):
        relative = match.relative_to(base).parts
        if hidden_ok or not any(part.startswith(".") for part in relative):
            found.append(match)
    return found


MAX_ID_CHARS = 100
"""Longer ids are cut and given a hash of the whole: ``<id>.json``, its history copies
``<id>.<time>.<n>.json`` and temporary files must stay under the 255-byte file-name limit."""


def file_id(raw: str) -> str:
    """A document id usable as a file name (`safe_id`), at most `MAX_ID_CHARS` long: a longer
    one keeps its first 80 characters and gets 12 hex digits of the full id's sha256, so two
    long ids that share a prefix stay two ids."""
    cleaned = safe_id(raw)
    if len(cleaned) <= MAX_ID_CHARS:
        return cleaned
    digest = hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    return f"{cleaned[:80].rstrip('._')}-{digest}"


def _jsonl_sources(path: Path) -> Iterator[Source]:
    """Index a JSONL file: one source per non-blank line; broken lines become problems."""
    offset = 0
    with path.open("rb") as fh:
        for n, raw in enumerate(fh, start=1):
            here, offset = offset, offset + len(raw)
            origin = f"{path}:{n}"
            if not raw.strip():
                continue
            try:
                obj = json.loads(raw)
            except (ValueError, RecursionError) as exc:  # not JSON, not UTF-8, too deep
                yield Source(
                    "",
                    origin,
                    "jsonl",
                    path,
                    n,
                    here,
                    f"line {n} is not JSON: {exc}",
                    "broken_line",
                )
                continue
            problem = _jsonl_problem(obj)
            doc_id = ""
            if isinstance(obj, dict) and isinstance(obj.get("id"), str | int):
                try:
                    doc_id = file_id(str(obj["id"]))
                except UserError as exc:
                    problem = problem or str(exc)
            kind = "broken_line" if problem else None
            yield Source(
                doc_id,
                origin,
                "jsonl",
                path,
                n,
                here,
                problem and f"line {n}: {problem}",
                kind,
                size=len(raw),
            )


def _jsonl_problem(obj: object) -> str | None:
    if not isinstance(obj, dict):
        return "a line must be a JSON object with 'id' and 'text'"
    if not isinstance(obj.get("id"), str | int) or str(obj.get("id")).strip() == "":
        return "missing or empty 'id' (a string or integer)"
    if not isinstance(obj.get("text"), str):
        return "missing 'text' (a string)"
    meta = obj.get("metadata")
    if meta is not None and not isinstance(meta, dict):
        return "'metadata' must be an object"
    unknown = set(obj) - {"id", "text", "metadata"}
    if unknown:
        return f"unknown keys {sorted(unknown)} (allowed: id, text, metadata)"
    return None


def discover(
    inputs: Iterable[str | Path], *, exclude: Path | Iterable[Path] | None = None
) -> list[Source]:
    """Every document the inputs name, in a stable order, each with a unique id or a problem.

    Raises `UserError` only when an input names nothing (a typo the user must fix first).
    Ids are unique (compared without case: ``Note1.json`` and ``note1.json`` are one file on
    some filesystems), so no two items ever write the same output.  Usable items claim their
    id first, in order: the first wins, later ones get a ``duplicate_id`` problem naming it.
    An item already known to be unusable (``note1.xlsx`` beside ``note1.txt``) never takes a
    usable item's id; it gets a distinct one (its file name, then ``-2``, ``-3``...).
    """
    sources: list[Source] = []
    skip = [exclude] if isinstance(exclude, Path) else list(exclude or [])
    for path in _expand(inputs, skip):
        kind = _kind_of(path)
        if kind == "jsonl":
            sources.extend(_jsonl_sources(path))
            continue
        problem = problem_kind = None
        if kind == "unsupported":
            problem_kind = "unsupported"
            problem = (
                f"unsupported file type {path.suffix or '(no suffix)'!r}: expected text "
                f"({', '.join(sorted(TEXT_SUFFIXES))}), .pdf, .xml/.nxml (JATS) or .jsonl"
            )
        try:
            doc_id = file_id(path.stem)
        except UserError as exc:
            doc_id, problem, problem_kind = "", str(exc), "bad_id"
        sources.append(
            Source(doc_id, str(path), kind, path, problem=problem, problem_kind=problem_kind)
        )
    return _assign_ids(sources)


def _assign_ids(sources: list[Source]) -> list[Source]:
    taken: dict[str, str] = {}
    out = list(sources)
    for i, s in enumerate(out):  # usable items first
        if not s.id or s.problem is not None:
            continue
        if s.id.casefold() in taken:
            first = taken[s.id.casefold()]
            out[i] = dataclasses.replace(
                s,
                problem=f"duplicate document id {s.id!r}: already used by {first}",
                problem_kind="duplicate_id",
            )
        else:
            taken[s.id.casefold()] = s.origin
    for i, s in enumerate(out):  # then the unusable ones that would write a failure record
        if not s.id or s.problem_kind == "duplicate_id" or s.problem is None:
            continue
        if s.id.casefold() in taken:
            out[i] = dataclasses.replace(s, id=_distinct_id(s, taken))
        taken[out[i].id.casefold()] = s.origin
    return out


def _distinct_id(source: Source, taken: dict[str, str]) -> str:
    """An id for an item whose own id is taken: its file name with the suffix, else numbered."""
    try:
        base = file_id(source.path.name)
    except UserError:
        base = source.id
    candidate, n = base, 1
    while candidate.casefold() in taken:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


# ---------------------------------------------------------------------------------------------
# Loading


def load(source: Source, *, limits: InputLimits = InputLimits()) -> Document:
    """Read one source into a `Document`, or raise `InputError` saying what is wrong."""
    if source.problem:
        raise InputError(source.problem, kind=source.problem_kind or "input")
    if source.kind == "jsonl":
        return _load_jsonl_line(source, limits)
    try:
        size = source.path.stat().st_size
    except OSError as exc:
        raise InputError(f"{source.path}: cannot read: {exc.strerror}", kind="unreadable") from exc
    if source.kind == "text":
        if size > limits.max_text_bytes:
            raise _too_large(size, limits)
        raw = _read(source.path)
        text = decode_text(raw, where=str(source.path))
        return Document(id=source.id, text=text, path=str(source.path), format="text")
    if size > limits.max_file_bytes:
        raise InputError(
            f"file is {size / 1e6:.1f} MB, above the {limits.max_file_bytes / 1e6:.0f} MB limit",
            kind="too_large",
        )
    from abstraction.jobs.readers import _load_jats, _load_pdf  # inputs <- readers

    loader = _load_pdf if source.kind == "pdf" else _load_jats
    doc = loader(source)
    if not doc.text.strip():
        raise InputError(
            f"{source.path}: no text found in the {source.kind.upper()} file", kind="empty"
        )
    if len(doc.text.encode("utf-8")) > limits.max_text_bytes:
        raise _too_large(len(doc.text.encode("utf-8")), limits)
    return doc


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}", kind="unreadable") from exc


def _too_large(size: int, limits: InputLimits) -> InputError:
    return InputError(
        f"text is {size / 1e6:.1f} MB, above the {limits.max_text_bytes / 1e6:.1f} MB limit; "
        "a case report is rarely over 0.2 MB: check it is one document, or raise the limit",
        kind="too_large",
    )


def decode_text(raw: bytes, *, where: str) -> str:
    """Strict UTF-8 with clear refusals for empty, binary and other-encoding inputs."""
    if not raw.strip():
        raise InputError(f"{where}: empty document", kind="empty")
    head = raw[:8192]
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13))
    if b"\x00" in head or controls > len(head) // 10:
        raise InputError(f"{where}: looks binary, not a text file", kind="binary")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{where}: not UTF-8 (invalid byte 0x{raw[exc.start]:02x} at offset {exc.start}); "
            "convert it first, e.g. iconv -f cp1252 -t utf-8",
            kind="encoding",
        ) from exc
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise InputError(f"{where}: empty document", kind="empty")
    return text


@functools.lru_cache(maxsize=8)
def _open_jsonl(path: Path) -> BinaryIO:
    """JSONL files stay open while a job reads their lines (one open, not one per line)."""
    return path.open("rb")


def _read_line(source: Source) -> bytes:
    if source.size is None:
        with source.path.open("rb") as fh:
            fh.seek(source.offset or 0)
            return fh.readline()
    return os.pread(_open_jsonl(source.path).fileno(), source.size, source.offset or 0)


def _load_jsonl_line(source: Source, limits: InputLimits) -> Document:
    obj = json.loads(_read_line(source))
    text: str = obj["text"]
    size = len(text.encode("utf-8"))
    if size > limits.max_text_bytes:
        raise _too_large(size, limits)
    if not text.strip():
        raise InputError(f"{source.origin}: empty 'text'", kind="empty")
    text = text.removeprefix("\ufeff")
    meta = {
        str(k): v if isinstance(v, str) else json.dumps(v)
        for k, v in (obj.get("metadata") or {}).items()
    }
    meta.setdefault("source_id", str(obj["id"]))
    return Document(id=source.id, text=text, path=source.origin, format="jsonl", metadata=meta)
