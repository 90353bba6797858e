"""Writing extraction files without ever losing one.

Writes are atomic (temp file, fsync, rename), so a crash leaves the old file or the new one,
never half of either.  A different earlier extraction of the same document is copied to
``<out>/history/`` (a hard link) once its successor is durable, and is then replaced by a
rename: re-running with a new prompt never destroys the previous output, and a full disk or a
crash at any step leaves the current output in place.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path

from abstraction.core.records import Extraction


def _read_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# Read once, at import: the umask is process-wide, so reading it (which means setting it to 0
# for a moment) while job or review-server threads create files would expose theirs.
_FILE_MODE = 0o666 & ~_read_umask()


def atomic_write_bytes(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Write `data` to `path` so that no reader ever sees a partial file: a temp file in the
    same folder (``.<name>.*.tmp``), renamed over the target with `os.replace`.

    The rename alone is enough against a killed process; `durable` adds the fsyncs (file, then
    folder) that also survive a power cut.  Cache entries skip them: a lost entry is a miss, and
    a torn one fails validation and is a miss too.  Locking, where writers compete, is the
    caller's (the review store holds its lock around this).
    """
    tmp = _write_temp(path, data, durable=durable)
    _replace(tmp, path, durable=durable)


def _write_temp(path: Path, data: bytes, *, durable: bool) -> str:
    """A temporary file beside `path` holding `data` (fsynced when `durable`); on any error,
    including a full disk, it is removed and the error raised."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            os.chmod(tmp, _FILE_MODE)  # mkstemp makes 0600; outputs are ordinary files
            fh.write(data)
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return tmp


def _replace(tmp: str, path: Path, *, durable: bool) -> None:
    try:
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    if durable:
        _fsync_dir(path.parent)


def atomic_write_text(path: Path, text: str, *, durable: bool = True) -> None:
    """`atomic_write_bytes` for UTF-8 text."""
    atomic_write_bytes(path, text.encode("utf-8"), durable=durable)


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable (POSIX); ignored where folders cannot be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


RUN_FOLDER_MARKS = ("runs.db", ".cache", "reviews")
"""What an extraction run's folder holds besides its outputs: its run store, its cache, its
reviews (each may live elsewhere, but a folder with one of them is a run's)."""


def run_folder_mark(folder: Path) -> str | None:
    """The first of `RUN_FOLDER_MARKS` that `folder` holds, or None: a gold or export folder
    must not be a run's, whose outputs (and their reviews) would be replaced (twelfth
    session's audits)."""
    return next((m for m in RUN_FOLDER_MARKS if (folder / m).exists()), None)


def extraction_path(out_dir: Path, document_id: str) -> Path:
    return out_dir / f"{document_id}.json"


def _keep_previous(path: Path, new_data: bytes) -> Path | None:
    """Put a copy of the current file, if it differs from `new_data`, in ``history/``.

    The current file stays where it is: it is replaced only afterwards, by the rename of its
    already durable successor, so a full disk or a crash at any point leaves a readable output.
    The copy is a hard link (no bytes written) where the filesystem allows, else a durable copy.
    """
    try:
        old = path.read_bytes()
    except FileNotFoundError:
        return None
    if old == new_data:
        return None
    try:
        stamp = json.loads(old)["provenance"]["finished_at"].replace(":", "").replace("-", "")
    except (ValueError, KeyError, TypeError):
        stamp = str(int(path.stat().st_mtime))
    dest = path.parent / "history" / f"{path.stem}.{stamp}.json"
    n = 1
    while dest.exists():
        dest = dest.with_name(f"{path.stem}.{stamp}.{n}.json")
        n += 1
    dest.parent.mkdir(exist_ok=True)
    if path.is_symlink():  # a hard link would be of the symlink, whose relative target then
        atomic_write_bytes(dest, old)  # leads nowhere from history/ (twelfth session's audit)
        return dest
    try:
        os.link(path, dest)
    except OSError:
        atomic_write_bytes(dest, old)
    else:
        _fsync_dir(dest.parent)
    return dest


def dump_extraction(extraction: Extraction) -> bytes:
    """The bytes of an extraction file (indented JSON, one trailing newline)."""
    return (extraction.model_dump_json(indent=2) + "\n").encode("utf-8")


def write_extraction(out_dir: Path, extraction: Extraction, *, data: bytes | None = None) -> Path:
    """Write `<out_dir>/<document-id>.json`; an earlier different version goes to history/.

    `data`, when the caller has it already, is `dump_extraction(extraction)`."""
    path = extraction_path(out_dir, extraction.document.id)
    data = dump_extraction(extraction) if data is None else data
    tmp = _write_temp(path, data, durable=True)  # durable before anything is moved
    try:
        _keep_previous(path, data)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _replace(tmp, path, durable=True)
    return path


def write_all(files: list[tuple[Path, bytes]]) -> list[tuple[Path, Path | None]]:
    """Write every file of `files` or none (twelfth session: `promote --force` replaced one
    gold file, then stopped with a traceback at the next, and kept no earlier gold).

    Each new file is first written beside its target (durable); only then are the targets
    replaced, an earlier different version of each first linked into ``history/``
    (`_keep_previous`).  If any step fails, the targets already replaced get their earlier
    version back, new ones are removed, and the error is raised: the folder is as it was.
    Returns each path with the ``history/`` copy of what it replaced (None when it was new or
    the same)."""
    staged: list[tuple[Path, str, bytes]] = []
    done: list[tuple[Path, Path | None, bool]] = []
    new_history = {h for h in {p.parent / "history" for p, _ in files} if not h.exists()}
    try:
        for path, data in files:
            staged.append((path, _write_temp(path, data, durable=True), data))
        for path, tmp, data in staged:
            existed = path.exists()
            kept = _keep_previous(path, data)
            try:
                os.replace(tmp, path)
            except BaseException:
                if kept is not None:
                    kept.unlink(missing_ok=True)
                raise
            done.append((path, kept, existed))
        for folder in {p.parent for p, _ in files}:
            _fsync_dir(folder)
    except BaseException:
        for path, kept, existed in reversed(done):
            with contextlib.suppress(OSError):
                if kept is not None:
                    atomic_write_bytes(path, kept.read_bytes())
                    kept.unlink()
                elif not existed:
                    path.unlink()
        for _, tmp, _ in staged:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        for folder in new_history:  # made for this write, and empty again: not left behind
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise
    return [(path, kept) for path, kept, _ in done]
