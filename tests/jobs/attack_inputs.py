"""Hostile inputs for the attack and fuzz tests, built by code (nothing binary is committed)."""

from __future__ import annotations

import io
import zlib

TEXT_OPS = b"BT /F1 12 Tf 10 10 Td (A 40-year-old man had fever.) Tj ET"


def pdf_with_stream(content: bytes, filters: str = "/FlateDecode") -> bytes:
    """A one-page PDF whose page content stream is `content` under `filters` (not encoded
    here: the caller passes bytes already encoded, or wrong on purpose)."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d /Filter %s >>\nstream\n" % (len(content), filters.encode())
        + content
        + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\n" % (len(objects) + 1))
    out.write(b"startxref\n%d\n%%%%EOF\n" % xref)
    return out.getvalue()


def good_pdf() -> bytes:
    return pdf_with_stream(zlib.compress(TEXT_OPS))


def unsupported_filter_pdf() -> bytes:
    """pypdf raises NotImplementedError ("Unsupported filter /Foo") on its text."""
    return pdf_with_stream(TEXT_OPS, "/Foo")


def decompression_bomb_pdf(megabytes: int = 100) -> bytes:
    """pypdf raises LimitReachedError: the stream inflates past its decompression limit."""
    return pdf_with_stream(zlib.compress(TEXT_OPS + b" " * (megabytes * 1_000_000), 9))


def nested_jats(depth: int) -> bytes:
    """A JATS article whose body is `depth` nested <sec> elements (RecursionError bait)."""
    return (
        b'<?xml version="1.0"?><article><front><article-meta><title-group><article-title>'
        b"Nested</article-title></title-group></article-meta></front><body>"
        + b"<sec><title>S</title><p>A 40-year-old man had fever.</p>" * depth
        + b"</sec>" * depth
        + b"</body></article>"
    )
