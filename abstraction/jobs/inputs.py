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
can be given a `page` or `section` after extraction.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import itertools
import json
import os
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Literal

from abstraction.core.documents import TEXT_SUFFIXES, Document, TextRange, safe_id
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


# ---------------------------------------------------------------------------------------------
# PDF


def _load_pdf(source: Source) -> Document:
    """Text per page with pypdf; each page is a `TextRange`, split further at headings."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(source.path))
        if reader.is_encrypted and not reader.decrypt(""):
            raise InputError(f"{source.path}: the PDF is encrypted", kind="pdf")
        pages = [page.extract_text() or "" for page in reader.pages]
    except InputError:
        raise
    except (PdfReadError, ValueError, KeyError, OSError) as exc:
        raise InputError(f"{source.path}: not a readable PDF: {exc}", kind="pdf") from exc
    except Exception as exc:  # pypdf on hostile input: NotImplementedError, LimitReachedError,
        # DependencyError, RecursionError...: that file's problem, never the job's
        raise InputError(
            f"{source.path}: not a readable PDF ({type(exc).__name__}: {exc})", kind="pdf"
        ) from exc
    if not any(p.strip() for p in pages):
        raise InputError(
            f"{source.path}: the PDF has no text layer (a scanned image?); run OCR first",
            kind="empty",
        )
    parts: list[str] = []
    page_ranges: list[TextRange] = []
    pos = 0
    for number, page_text in enumerate(pages, start=1):
        if parts:
            parts.append("\n\n")
            pos += 2
        parts.append(page_text)
        page_ranges.append(TextRange(pos, pos + len(page_text), page=number))
        pos += len(page_text)
    text = "".join(parts)
    from abstraction.extraction.chunking import find_headings

    ranges = split_ranges_at_headings(page_ranges, find_headings(text), len(text))
    return Document(id=source.id, text=text, path=str(source.path), format="pdf", ranges=ranges)


def split_ranges_at_headings(
    pages: list[TextRange], headings: list[tuple[int, str]], length: int
) -> tuple[TextRange, ...]:
    """Cut page ranges at heading offsets so each range has one page and one section."""
    cuts = sorted(
        {0, length, *(h for h, _ in headings), *(r.start for r in pages), *(r.end for r in pages)}
    )
    out: list[TextRange] = []
    h_i, section = 0, None
    for a, b in itertools.pairwise(cuts):
        while h_i < len(headings) and headings[h_i][0] <= a:
            section = headings[h_i][1]
            h_i += 1
        page = next((r.page for r in pages if r.start <= a < r.end), None)
        if page is None:  # the blank joint between two pages
            continue
        if out and out[-1].page == page and out[-1].section == section and out[-1].end == a:
            out[-1] = TextRange(out[-1].start, b, page, section)
        else:
            out.append(TextRange(a, b, page, section))
    return tuple(out)


# ---------------------------------------------------------------------------------------------
# JATS


@dataclass
class _Builder:
    """Accumulates paragraphs and the section each one belongs to."""

    parts: list[str] = field(default_factory=list)
    ranges: list[TextRange] = field(default_factory=list)
    pos: int = 0

    def add(self, text: str, section: str | None) -> None:
        text = " ".join(text.split())
        if not text:
            return
        if self.parts:
            self.parts.append("\n\n")
            self.pos += 2
        start = self.pos
        self.parts.append(text)
        self.pos += len(text)
        last = self.ranges[-1] if self.ranges else None
        if last and last.section == section:
            self.ranges[-1] = TextRange(last.start, self.pos, section=section)
        else:
            self.ranges.append(TextRange(start, self.pos, section=section))


def _local(tag: object) -> str:
    return str(tag).rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _text(el: ET.Element | None) -> str:
    return "" if el is None else " ".join("".join(el.itertext()).split())


def _child(el: ET.Element, name: str) -> ET.Element | None:
    return next((c for c in el.iter() if _local(c.tag) == name), None)


def _load_jats(source: Source) -> Document:
    """PMC JATS XML: title, journal line, abstract, body sections, back matter (no references).

    The reference list is left out of the text (it is not case content and would cost tokens);
    the document's metadata records how many references were omitted.
    """
    raw = _read(source.path)
    try:
        root = ET.fromstring(raw)
    except ET.ParseError as exc:
        raise InputError(f"{source.path}: not well-formed XML: {exc}", kind="xml") from exc
    article = root if _local(root.tag) == "article" else _child(root, "article")
    if article is None:
        raise InputError(
            f"{source.path}: not JATS XML (root element <{_local(root.tag)}>, no <article>)",
            kind="xml",
        )
    b = _Builder()
    meta: dict[str, str] = {}
    front = _child(article, "front")
    if front is not None:
        _front(front, b, meta)
    depth = _depth(article)
    if depth > MAX_XML_DEPTH:
        raise InputError(
            f"{source.path}: elements nested {depth} deep (more than {MAX_XML_DEPTH}); "
            "not an article this reader can take",
            kind="xml",
        )
    body = _child(article, "body")
    if body is not None:
        _section(body, b, [])
    back = _child(article, "back")
    if back is not None:
        refs = [r for r in back.iter() if _local(r.tag) == "ref"]
        if refs:
            meta["omitted"] = f"reference list ({len(refs)} references)"
        for child in back:
            if _local(child.tag) != "ref-list":
                _section(child, b, _untitled(child, []))
    return Document(
        id=source.id,
        text="".join(b.parts),
        path=str(source.path),
        format="jats",
        metadata=meta,
        ranges=tuple(b.ranges),
    )


MAX_XML_DEPTH = 200
"""Deeper nesting is refused: the section walk recurses (a 5,000-deep ``<sec>`` chain raised
RecursionError), and real articles stay under 20 levels."""


def _depth(root: ET.Element) -> int:
    """The deepest nesting under `root`, without recursion, stopping once past the limit."""
    deepest, stack = 0, [(root, 1)]
    while stack:
        el, level = stack.pop()
        deepest = max(deepest, level)
        if deepest > MAX_XML_DEPTH:
            break
        stack.extend((child, level + 1) for child in el)
    return deepest


def _front(front: ET.Element, b: _Builder, meta: dict[str, str]) -> None:
    title = _child(front, "article-title")
    b.add(_text(title), "Title")
    for el in front.iter():
        if _local(el.tag) == "article-id" and el.get("pub-id-type"):
            meta[str(el.get("pub-id-type"))] = _text(el)
    journal = _text(_child(front, "journal-title"))
    pub_date = _child(front, "pub-date")
    year = _text(_child(pub_date if pub_date is not None else front, "year"))
    doi = meta.get("doi", "")
    line = " ".join(x for x in (journal, year, f"doi: {doi}" if doi else "") if x)
    b.add(line, "Front matter")
    names = []
    for name in (e for e in front.iter() if _local(e.tag) == "name"):
        given, surname = _text(_child(name, "given-names")), _text(_child(name, "surname"))
        names.append(" ".join(x for x in (given, surname) if x))
    b.add(", ".join(names), "Front matter")
    kwds = [_text(k) for k in front.iter() if _local(k.tag) == "kwd"]
    if kwds:
        b.add("Keywords: " + "; ".join(kwds), "Front matter")
    for abstract in (e for e in front.iter() if _local(e.tag) == "abstract"):
        _section(abstract, b, ["Abstract"])


_PART_NAMES = {
    "ack": "Acknowledgements",
    "app": "Appendix",
    "app-group": "Appendix",
    "notes": "Notes",
    "fn-group": "Footnotes",
    "glossary": "Glossary",
    "bio": "Biography",
}


def _untitled(el: ET.Element, path: list[str]) -> list[str]:
    """The path for a part with no <title> of its own: named after its tag (ack...)."""
    has_title = any(_local(c.tag) == "title" and _text(c) for c in el)
    name = _PART_NAMES.get(_local(el.tag))
    return path if has_title or name is None else [*path, name]


_BLOCKS = frozenset({"p", "disp-quote", "def-list", "statement", "boxed-text", "speech"})


def _section(el: ET.Element, b: _Builder, path: list[str]) -> None:
    """Walk a <sec> (or body/abstract): headings become section names, blocks paragraphs."""
    title = next((c for c in el if _local(c.tag) == "title"), None)
    here = [*path, _text(title)] if title is not None and _text(title) else path
    name = " > ".join(here) or None
    if title is not None and _text(title):
        b.add(_text(title), name)
    for child in el:
        tag = _local(child.tag)
        if tag in ("title", "label"):
            continue
        if tag == "sec" or tag in _PART_NAMES:
            _section(child, b, _untitled(child, here))
        elif tag == "list":
            for item in (i for i in child if _local(i.tag) == "list-item"):
                b.add("- " + _text(item), name)
        elif tag == "table-wrap":
            _table(child, b, name)
        elif tag == "fig":
            b.add(f"{_text(_child(child, 'label'))} {_text(_child(child, 'caption'))}", name)
        elif tag in _BLOCKS or _text(child):
            b.add(_text(child), name)


def _table(el: ET.Element, b: _Builder, section: str | None) -> None:
    b.add(f"{_text(_child(el, 'label'))} {_text(_child(el, 'caption'))}", section)
    for row in (r for r in el.iter() if _local(r.tag) == "tr"):
        cells = [_text(c) for c in row if _local(c.tag) in ("td", "th")]
        b.add(" | ".join(cells), section)
    foot = _child(el, "table-wrap-foot")
    if foot is not None:
        b.add(_text(foot), section)
