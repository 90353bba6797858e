from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from abstraction.core.errors import UserError
from abstraction.jobs.inputs import InputError, InputLimits, discover, load

from .conftest import write_jsonl

DATA = Path(__file__).parent / "data"


def _load_all(sources, limits=None):
    limits = limits or InputLimits()
    out = {}
    for s in sources:
        try:
            out[s.origin] = load(s, limits=limits)
        except InputError as exc:
            out[s.origin] = exc
    return out


def test_folder_with_mixed_files_gives_one_result_per_file(tmp_path: Path) -> None:
    (tmp_path / "good.txt").write_text("A 45-year-old woman had fever.", encoding="utf-8")
    (tmp_path / "notes.md").write_text("# Case\n\nA boy had a rash.", encoding="utf-8")
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "blank.txt").write_text("  \n\n ", encoding="utf-8")
    (tmp_path / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    (tmp_path / "latin1.txt").write_bytes("Le patient âgé de 45 ans.".encode("latin-1"))
    (tmp_path / "photo.png").write_bytes(b"\x89PNG")
    (tmp_path / "big.txt").write_bytes(b"fever " * 900_000)  # 5.4 MB
    (tmp_path / ".hidden.txt").write_text("ignored", encoding="utf-8")
    sources = discover([tmp_path])
    names = "big.txt blank.txt empty.txt good.txt image.txt latin1.txt notes.md photo.png"
    assert [s.path.name for s in sources] == names.split()
    results = _load_all(sources)
    by_name = {Path(k).name: v for k, v in results.items()}
    assert by_name["good.txt"].text == "A 45-year-old woman had fever."
    assert by_name["notes.md"].id == "notes"
    kinds = {name: getattr(v, "kind", "ok") for name, v in by_name.items()}
    assert kinds == {
        "big.txt": "too_large",
        "blank.txt": "empty",
        "empty.txt": "empty",
        "good.txt": "ok",
        "image.txt": "binary",
        "latin1.txt": "encoding",
        "notes.md": "ok",
        "photo.png": "unsupported",
    }
    assert "5.4 MB" in str(by_name["big.txt"]) and "limit" in str(by_name["big.txt"])
    assert "iconv" in str(by_name["latin1.txt"])


def test_size_limit_is_configurable(tmp_path: Path) -> None:
    (tmp_path / "big.txt").write_bytes(b"fever " * 900_000)
    [source] = discover([tmp_path / "big.txt"])
    doc = load(source, limits=InputLimits(max_text_bytes=6_000_000))
    assert len(doc.text) == 5_400_000


def test_jsonl_broken_lines_and_duplicate_ids(tmp_path: Path) -> None:
    path = tmp_path / "docs.jsonl"
    write_jsonl(
        path,
        [
            {"id": "a", "text": "first", "metadata": {"pmid": 1}},
            {"id": "b", "text": "second"},
            {"id": "a", "text": "again"},
            {"text": "no id"},
            {"id": "c"},
            {"id": "d", "text": "x", "extra": 1},
            {"id": "e", "text": ""},
        ],
    )
    with path.open("a", encoding="utf-8") as fh:
        fh.write('{"id": "f", "text": "cut sho\n\n[1, 2]\n{"id": 7, "text": "integer id"}\n')
    sources = discover([path])
    results = _load_all(sources)
    summary = [(s.id, getattr(results[s.origin], "kind", "ok")) for s in sources]
    assert summary == [
        ("a", "ok"),
        ("b", "ok"),
        ("a", "duplicate_id"),
        ("", "broken_line"),
        ("c", "broken_line"),
        ("d", "broken_line"),
        ("e", "empty"),
        ("", "broken_line"),
        ("", "broken_line"),
        ("7", "ok"),
    ]
    assert results[f"{path}:1"].metadata == {"pmid": "1", "source_id": "a"}
    assert results[f"{path}:3"].args[0].endswith(f"already used by {path}:1")
    assert "line 8 is not JSON" in str(results[f"{path}:8"])
    assert results[f"{path}:11"].text == "integer id"


def test_duplicate_stems_across_folders(tmp_path: Path) -> None:
    for sub in ("x", "y"):
        (tmp_path / sub).mkdir()
        (tmp_path / sub / "case.txt").write_text(f"text {sub}", encoding="utf-8")
    sources = discover([tmp_path])
    assert [s.problem_kind for s in sources] == [None, "duplicate_id"]


def test_globs_and_missing_inputs(tmp_path: Path) -> None:
    for name in ("a.txt", "b.txt", "c.md"):
        (tmp_path / name).write_text("text", encoding="utf-8")
    assert [s.id for s in discover([str(tmp_path / "*.txt")])] == ["a", "b"]
    with pytest.raises(UserError, match="matches no file"):
        discover([str(tmp_path / "*.pdf")])
    with pytest.raises(UserError, match="no such file"):
        discover([tmp_path / "nope.txt"])


def test_output_folder_inside_the_input_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("text", encoding="utf-8")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "a.json").write_text("{}", encoding="utf-8")
    assert [s.path.name for s in discover([tmp_path], exclude=tmp_path / "out")] == ["a.txt"]


def test_jats_keeps_sections_and_leaves_out_references() -> None:
    [source] = discover([DATA / "fictional_case.nxml"])
    doc = load(source)
    assert doc.format == "jats"
    assert doc.text.startswith(
        "Isolated testicular relapse of B-cell acute lymphoblastic leukaemia"
    )
    assert "Journal of Invented Haematology 2024 doi: 10.0000/jih.2024.001" in doc.text
    assert "Jane Doe, Richard Roe" in doc.text
    assert "Invented A." not in doc.text
    assert doc.metadata["omitted"] == "reference list (2 references)"
    assert doc.metadata["pmcid"] == "PMC0000001"

    def section_of(phrase: str) -> str | None:
        where = doc.locate(doc.text.index(phrase))
        return where.section if where else None

    assert section_of("A 19-year-old man") == "Case presentation"
    assert section_of("CD19-positive lymphoblasts") == "Case presentation > Investigations"
    assert section_of("WBC | 5.2") == "Case presentation > Investigations"
    assert section_of("tisagenlecleucel") == "Case presentation > Treatment"
    assert section_of("We describe an invented patient") == "Abstract"
    assert section_of("We thank nobody") == "Acknowledgements"
    # ranges are sorted, non-overlapping and inside the text
    ends = [(r.start, r.end) for r in doc.ranges]
    assert all(a < b <= c for (a, b), (c, _) in itertools.pairwise(ends))
    assert ends[-1][1] <= len(doc.text)


def test_broken_xml_is_a_per_document_error(tmp_path: Path) -> None:
    (tmp_path / "bad.xml").write_text("<article><body><p>unclosed</body>", encoding="utf-8")
    (tmp_path / "other.xml").write_text("<html><p>hi</p></html>", encoding="utf-8")
    results = _load_all(discover([tmp_path]))
    assert {Path(k).name: v.kind for k, v in results.items()} == {
        "bad.xml": "xml",
        "other.xml": "xml",
    }


def _make_pdf(path: Path, pages: list[str]) -> None:
    fpdf = pytest.importorskip("fpdf")
    pdf = fpdf.FPDF()
    pdf.set_font("helvetica", size=11)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 6, text)
    pdf.output(str(path))


def test_pdf_keeps_page_numbers(tmp_path: Path) -> None:
    _make_pdf(
        tmp_path / "report.pdf",
        [
            "A fictional case\n\nCase presentation\n\nA 52-year-old man presented with fatigue.",
            "Treatment\n\nHe received rituximab weekly for four weeks.",
            "Discussion\n\nThis invented case shows nothing new.",
        ],
    )
    [source] = discover([tmp_path])
    doc = load(source)
    assert doc.format == "pdf"

    def where(phrase: str):  # type: ignore[no-untyped-def]
        return doc.locate(doc.text.index(phrase))

    assert where("52-year-old").page == 1
    assert where("rituximab").page == 2
    assert where("rituximab").section == "Treatment"
    assert where("invented case").page == 3
    assert where("invented case").section == "Discussion"


def test_bad_pdfs(tmp_path: Path) -> None:
    (tmp_path / "fake.pdf").write_bytes(b"%PDF-1.4 this is not really a pdf")
    _make_pdf(tmp_path / "blank.pdf", [""])
    results = {Path(k).name: v for k, v in _load_all(discover([tmp_path])).items()}
    assert results["fake.pdf"].kind == "pdf"
    assert results["blank.pdf"].kind == "empty"
    assert "OCR" in str(results["blank.pdf"])
