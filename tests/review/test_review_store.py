"""The run folder on disk: sidecar storage, versions, validation, atomic writes, sources."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from abstraction.core.errors import UserError
from abstraction.review.edits import Change, EditRejected
from abstraction.review.store import RunStore, VersionConflict
from tests.review.seed_run import SEED_ID

SET_DURATION = Change(op="set", pointer="/treatments/3", value={"duration": "two weeks"})


def review_file(run: Path) -> Path:
    return run / "reviews" / f"{SEED_ID}.review.json"


def test_save_appends_edits_in_a_sidecar_and_never_touches_the_extraction(store, run):
    original = (run / f"{SEED_ID}.json").read_bytes()
    result = store.save(
        SEED_ID,
        expected_version=0,
        reviewer=" ann ",
        reason="text says two weeks",
        changes=[SET_DURATION],
    )
    assert result.added == 1 and result.review.version == 1
    edit = result.review.edits[0]
    assert (edit.reviewer, edit.reason, edit.version) == ("ann", "text says two weeks", 1)
    assert edit.at.endswith("+00:00")
    assert (run / f"{SEED_ID}.json").read_bytes() == original
    assert RunStore(run).review(SEED_ID).edits == result.review.edits
    assert [p.name for p in (run / "reviews").iterdir() if not p.name.startswith(".lock")] == [
        f"{SEED_ID}.review.json"
    ]


def test_a_stale_version_is_refused_and_nothing_is_written(store, run):
    store.save(SEED_ID, expected_version=0, reviewer="ann", reason=None, changes=[SET_DURATION])
    before = review_file(run).read_bytes()
    with pytest.raises(VersionConflict) as info:
        store.save(
            SEED_ID,
            expected_version=0,
            reviewer="bob",
            reason=None,
            changes=[Change(op="reject", pointer="/treatments/2")],
        )
    assert (info.value.expected, info.value.current) == (0, 1)
    assert review_file(run).read_bytes() == before


def test_an_invalid_correction_is_refused_with_a_clear_message_and_nothing_written(store, run):
    bad = Change(op="set", pointer="/treatments/3", value={"category": "magic"})
    with pytest.raises(EditRejected) as info:
        store.save(SEED_ID, expected_version=0, reviewer="ann", reason=None, changes=[bad])
    assert info.value.problems[0].startswith("/treatments/3/category: Input should be")
    assert not review_file(run).exists()
    with pytest.raises(EditRejected, match="reviewer"):
        store.save(SEED_ID, expected_version=0, reviewer="  ", reason=None, changes=[SET_DURATION])


def test_a_failed_write_leaves_the_old_file_and_no_temp_files(store, run, monkeypatch):
    store.save(SEED_ID, expected_version=0, reviewer="ann", reason=None, changes=[SET_DURATION])
    before = review_file(run).read_bytes()

    def boom(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        store.save(
            SEED_ID,
            expected_version=1,
            reviewer="ann",
            reason=None,
            changes=[Change(op="reject", pointer="/treatments/2")],
        )
    assert review_file(run).read_bytes() == before
    assert [p for p in (run / "reviews").iterdir() if p.suffix == ".tmp"] == []


def test_symlinked_reviews_or_review_files_are_refused(store, run, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (run / "reviews").symlink_to(outside)
    with pytest.raises(UserError, match="real folder"):
        store.save(SEED_ID, expected_version=0, reviewer="ann", reason=None, changes=[SET_DURATION])
    (run / "reviews").unlink()
    (run / "reviews").mkdir()
    target = outside / "x.json"
    review_file(run).symlink_to(target)
    with pytest.raises(UserError, match="symlink"):
        store.save(SEED_ID, expected_version=0, reviewer="ann", reason=None, changes=[SET_DURATION])
    assert list(outside.iterdir()) == []


def test_only_extraction_files_inside_the_run_are_documents(run, tmp_path):
    outside = tmp_path / "elsewhere.json"
    outside.write_bytes((run / f"{SEED_ID}.json").read_bytes())
    (run / "linked.json").symlink_to(outside)
    (run / "broken.json").write_text('{"kind": "extraction", "status": "ok"}')
    entries = {e.id: e for e in RunStore(run).entries()}
    assert set(entries) == {SEED_ID, "hostile", "broken"}  # manifest.json and the link skipped
    assert (
        entries["broken"].extraction is None and "not a valid extraction" in entries["broken"].error
    )


def test_sources_are_found_and_checked(run, tmp_path):
    """A text that does not hash to the extraction's sha256 is refused, not shown with a
    warning: the recorded path comes from the run folder, which may come from anyone."""
    store = RunStore(run)
    assert store.source(SEED_ID).warning is None
    src = tmp_path / "sources" / f"{SEED_ID}.txt"
    original = src.read_text("utf-8")
    src.write_text(original.replace("pneumonia", "pneumonitis"), "utf-8")
    changed = store.source(SEED_ID)
    assert changed.text is None and "not the text that was extracted" in changed.warning
    other = tmp_path / "other"
    other.mkdir()
    missing = RunStore(run, sources=other).source(SEED_ID)
    assert missing.text is None and "not found" in missing.warning
    (other / f"{SEED_ID}.txt").write_text("Different text.", "utf-8")
    found = RunStore(run, sources=other).source(SEED_ID)
    assert found.text is None and "not the text that was extracted" in found.warning
    (other / f"{SEED_ID}.txt").write_text(original, "utf-8")
    moved = RunStore(run, sources=other).source(SEED_ID)
    assert moved.text == original and moved.warning is None
    src.unlink()
    gone = store.source(SEED_ID)
    assert gone.text is None and "pass --sources DIR" in gone.warning


def test_a_copy_kept_in_the_run_folder_is_used_first(run, tmp_path):
    src = tmp_path / "sources" / f"{SEED_ID}.txt"
    (run / "sources").mkdir()
    (run / "sources" / f"{SEED_ID}.txt").write_bytes(src.read_bytes())
    src.unlink()
    found = RunStore(run).source(SEED_ID)
    assert found.warning is None and found.path == str(run / "sources" / f"{SEED_ID}.txt")
