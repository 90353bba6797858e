"""Writing extraction files: atomic, one serialisation, earlier different versions kept."""

import json
from pathlib import Path

import pytest

from abstraction.core.documents import Document
from abstraction.core.records import Extraction
from abstraction.extraction.output import dump_extraction, write_extraction
from tests.jobs.stand_in import _extraction


def _ext(text: str, finished: str) -> Extraction:
    ext = _extraction(
        Document("case-1", text), "2024-01-01T00:00:00+00:00", "ok", None, None, None, 1
    )
    ext.provenance.finished_at = finished
    return ext


def test_rewriting_the_same_bytes_keeps_no_history(tmp_path: Path) -> None:
    ext = _ext("A 45-year-old woman.", "2024-01-01T00:00:01+00:00")
    path = write_extraction(tmp_path, ext)
    assert path == tmp_path / "case-1.json" and path.read_bytes() == dump_extraction(ext)
    write_extraction(tmp_path, ext, data=dump_extraction(ext))
    assert not (tmp_path / "history").exists()
    assert json.loads(path.read_bytes())["document"]["id"] == "case-1"


def test_a_different_earlier_version_moves_to_history(tmp_path: Path) -> None:
    first = _ext("A 45-year-old woman.", "2024-01-01T00:00:01+00:00")
    second = _ext("A 46-year-old woman.", "2024-01-02T00:00:01+00:00")
    write_extraction(tmp_path, first)
    write_extraction(tmp_path, second, data=dump_extraction(second))
    kept = list((tmp_path / "history").iterdir())
    assert len(kept) == 1 and kept[0].read_bytes() == dump_extraction(first)
    assert kept[0].name.startswith("case-1.20240101T000001")
    assert (tmp_path / "case-1.json").read_bytes() == dump_extraction(second)
    assert not list(tmp_path.glob(".*.tmp")), "no temporary file left behind"


def test_write_all_writes_every_file_or_puts_every_one_back(tmp_path, monkeypatch):
    """Twelfth session (`promote --force` on two documents, the second gold immutable): the
    first gold was replaced and kept nowhere.  A failure at the second file now restores the
    first, removes the new one's history link and every temp file."""
    import os

    from abstraction.extraction.output import write_all

    a, b, c = (tmp_path / n for n in ("a.json", "b.json", "c.json"))
    a.write_text("old a")
    b.write_text("old b")
    real_replace = os.replace

    def refuse(src, dst):
        if str(dst) == str(b):
            raise PermissionError(1, "Operation not permitted", str(dst))
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(PermissionError):
        write_all([(c, b"new c"), (a, b"new a"), (b, b"new b")])
    monkeypatch.setattr(os, "replace", real_replace)
    assert (a.read_text(), b.read_text(), c.exists()) == ("old a", "old b", False)
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == ["a.json", "b.json"]
    assert not (tmp_path / "history").exists(), "the history/ made for the failed write is gone"

    done = write_all([(c, b"new c"), (a, b"new a"), (b, b"old b")])
    assert [(p.name, k is not None) for p, k in done] == [
        ("c.json", False),
        ("a.json", True),
        ("b.json", False),  # the same bytes: nothing to keep
    ]
    assert done[1][1].read_text() == "old a" and a.read_text() == "new a"


def test_the_history_copy_of_a_symlinked_output_is_its_content(tmp_path: Path) -> None:
    """Twelfth session's audit: the copy kept of an output that was a relative symlink was a
    hard link to the symlink, which from history/ led nowhere."""
    from abstraction.extraction.output import write_all

    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "a.json").write_text("my own output")
    out = tmp_path / "out"
    out.mkdir()
    (out / "a.json").symlink_to(Path("..") / "mine" / "a.json")
    [(_, kept)] = write_all([(out / "a.json", b"new")])
    assert kept is not None and not kept.is_symlink() and kept.read_text() == "my own output"
    assert (mine / "a.json").read_text() == "my own output"
