"""Readers for PDF and PMC JATS XML files, each turned into one `Document` with `TextRange`s.

PDF: the text of each page (pypdf, imported when a PDF is read), pages joined by a blank line;
each page is a range, split further at headings.  JATS: title, journal line, abstract, body
sections and back matter, without the reference list; each section is a range.  Discovery, size
limits and the dispatch by file kind are in `abstraction.jobs.inputs` (`load`).
"""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from abstraction.core.documents import Document, TextRange
from abstraction.jobs.inputs import InputError, Source, _read

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
