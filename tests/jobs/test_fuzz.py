"""Fuzz: generated malformed inputs (text, JSONL, JATS, PDF, odd names) through the job runner.

Each example is a folder of 20-30 generated files run as one job with the offline stand-in
extractor; whatever the files hold, the job must end normally, with one outcome per document,
a reason for every failure, and no two documents writing the same file.  At least 1,000 files
go through per run (printed with ``-s``).
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import zlib
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from abstraction.core.records import Extraction
from abstraction.jobs.prices import Price, PriceTable
from abstraction.jobs.runner import JobOptions, JobSummary, arun_documents
from abstraction.jobs.store import RunStore

from .attack_inputs import TEXT_OPS, good_pdf, nested_jats, pdf_with_stream
from .conftest import fictional_case
from .stand_in import IDENTITY, offline_extractor

EXAMPLES = 50
FILES_PER_EXAMPLE = (20, 30)
PRICES = PriceTable({"fault-model": Price(input=1.0, output=2.0)}, source="test")
SEEN = {"files": 0, "documents": 0, "jobs": 0, "crashes": 0}

# -- generated file contents -----------------------------------------------------------------

texts = st.one_of(
    st.binary(max_size=400),
    st.text(max_size=400).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.sampled_from([b"", b"   \n\t", b"\xef\xbb\xbf", b"\x00" * 64, "caf\xe9".encode("cp1252")]),
    st.integers(0, 40).map(lambda i: fictional_case(i).encode()),
)

json_ids = st.one_of(
    st.text(max_size=400),
    st.integers(),
    st.floats(allow_nan=True),
    st.none(),
    st.lists(st.integers(), max_size=3),
    st.sampled_from(["a" * 300, "../../etc/passwd", "CON", ".", "..", "x/y", "Note1", "note1"]),
)
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=40)),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=10,
)


@st.composite
def jsonl_line(draw: st.DrawFn) -> bytes:
    shape = draw(st.integers(0, 5))
    if shape == 0:
        return draw(st.binary(max_size=80))
    if shape == 1:
        depth = draw(st.integers(1, 5000))
        return b"[" * depth + b"]" * draw(st.integers(0, depth))
    if shape == 2:
        return json.dumps(draw(json_values)).encode()
    obj: dict[str, object] = {"id": draw(json_ids)}
    obj["text"] = draw(st.one_of(st.text(max_size=200), json_values, st.just(fictional_case(3))))
    if draw(st.booleans()):
        obj["metadata"] = draw(json_values)
    if shape == 5:
        obj[draw(st.text(max_size=6))] = draw(json_values)
    return json.dumps(obj).encode()


@st.composite
def jsonl_file(draw: st.DrawFn) -> bytes:
    lines = draw(st.lists(jsonl_line(), max_size=6))
    sep = draw(st.sampled_from([b"\n", b"\r\n", b"\n\n"]))
    return sep.join(lines) + draw(st.sampled_from([b"", b"\n"]))


JATS_TAGS = [
    *("sec", "p", "title", "body", "front", "back", "abstract", "list", "list-item"),
    *("table-wrap", "tr", "td", "fig", "caption", "ref-list", "ref", "kwd", "ack", "x"),
]


@st.composite
def jats_file(draw: st.DrawFn) -> bytes:
    shape = draw(st.integers(0, 4))
    if shape == 0:
        return nested_jats(draw(st.integers(0, 3000)))
    if shape == 1:
        return draw(st.binary(max_size=300))
    if shape == 2:  # entity expansion, DOCTYPE, declared encodings
        return draw(
            st.sampled_from(
                [
                    b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "xxxxxxxxxx">'
                    b'<!ENTITY y "&x;&x;&x;&x;&x;&x;&x;&x;&x;&x;">'
                    b'<!ENTITY z "&y;&y;&y;&y;&y;&y;&y;&y;&y;&y;">]>'
                    b"<article><body><p>&z;&z;&z;</p></body></article>",
                    b'<?xml version="1.0" encoding="latin-1"?><article><body><p>caf\xe9'
                    b"</p></body></article>",
                    b'<!DOCTYPE a SYSTEM "http://127.0.0.1:9/x.dtd"><article/>',
                    b"<article><body><p>unclosed",
                ]
            )
        )
    tags = draw(st.lists(st.sampled_from(JATS_TAGS), min_size=1, max_size=40))
    body = b"".join(b"<%s>%s" % (t.encode(), draw(st.text(max_size=20)).encode()) for t in tags)
    closing = b"".join(b"</%s>" % t.encode() for t in reversed(tags))
    xml = b"<article>" + body + closing[: draw(st.integers(0, len(closing)))] + b"</article>"
    return xml[: draw(st.integers(0, len(xml)))] if shape == 3 else xml


FILTERS = ["/FlateDecode", "/Foo", "/LZWDecode", "/ASCII85Decode", "/RunLengthEncode"]
FILTERS += ["[/FlateDecode /Foo]", "/JBIG2Decode"]


@st.composite
def pdf_file(draw: st.DrawFn) -> bytes:
    shape = draw(st.integers(0, 3))
    if shape == 0:  # a good PDF with bytes changed
        data = bytearray(good_pdf())
        for _ in range(draw(st.integers(1, 20))):
            data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
        return bytes(data)
    if shape == 1:  # cut short
        data = good_pdf()
        return data[: draw(st.integers(0, len(data)))]
    if shape == 2:  # odd filters and stream contents
        name = draw(st.sampled_from(FILTERS))
        content = draw(st.one_of(st.binary(max_size=200), st.just(zlib.compress(TEXT_OPS))))
        return pdf_with_stream(content, name)
    return b"%PDF-1.4\n" + draw(st.binary(max_size=300))


SUFFIXES = {
    ".txt": texts,
    ".md": texts,
    ".jsonl": jsonl_file(),
    ".xml": jats_file(),
    ".nxml": jats_file(),
    ".pdf": pdf_file(),
    ".xlsx": st.binary(max_size=50),
    ".txt~": texts,
    "": texts,
}
stems = st.one_of(
    st.sampled_from(["note1", "Note1", "a", "case", "x" * 200, "-", "_", "é", "a b"]),
    st.text(st.characters(codec="utf-8", exclude_characters="/\x00"), min_size=1, max_size=60),
)


@st.composite
def input_folder(draw: st.DrawFn) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for _ in range(draw(st.integers(*FILES_PER_EXAMPLE))):
        suffix = draw(st.sampled_from(sorted(SUFFIXES)))
        name = draw(stems) + suffix
        if name in (".", "..") or len(name.encode()) > 250 or name.startswith("."):
            name = f"f{len(files)}{suffix}"
        while name in files:
            name = f"{len(files)}-{name}"[:250]
        files[name] = draw(SUFFIXES[suffix])
    return files


# -- the property -----------------------------------------------------------------------------


def _run(folder: Path, out: Path) -> JobSummary:
    async def go() -> JobSummary:
        with RunStore(folder.parent / "runs.db") as store:
            return await arun_documents(
                [str(folder)],
                extract=offline_extractor(),
                identity=IDENTITY,
                out_dir=out,
                store=store,
                concurrency=4,
                options=JobOptions(prices=PRICES),
            )

    return asyncio.run(go())


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,  # nothing written into the repository
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(files=input_folder())
def _job_survives(files: dict[str, bytes]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder, out = Path(tmp) / "in", Path(tmp) / "out"
        folder.mkdir()
        for name, data in files.items():
            (folder / name).write_bytes(data)
        try:
            summary = _run(folder, out)
        except BaseException:
            SEEN["crashes"] += 1
            raise
        SEEN["jobs"] += 1
        SEEN["files"] += len(files)
        SEEN["documents"] += len(summary.outcomes)
        assert summary.stopped is None
        assert len(summary.outcomes) == summary.total
        assert {o.status for o in summary.outcomes} <= {"ok", "cached", "failed"}
        assert all(o.error_kind and o.error for o in summary.failures)
        written = [o.output for o in summary.outcomes if o.output]
        assert len(written) == len(set(written)), "two documents wrote the same file"
        on_disk = list(out.glob("*.json"))
        assert len(on_disk) == len(written)
        for path in on_disk:
            Extraction.model_validate_json(path.read_bytes())


def test_fuzz_1000_malformed_inputs_never_crash_the_job() -> None:
    _job_survives()
    print(f"\nfuzz: {SEEN}")
    assert SEEN["crashes"] == 0
    assert SEEN["files"] >= 1000, SEEN
