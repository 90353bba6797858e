"""Writing extraction files without ever losing one.

Writes are atomic (temp file, fsync, rename), so a crash leaves the old file or the new one,
never half of either.  A different earlier extraction of the same document is moved to
``<out>/history/`` first: re-running with a new prompt never destroys the previous output.
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
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            os.chmod(tmp, _FILE_MODE)  # mkstemp makes 0600; outputs are ordinary files
            fh.write(data)
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
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


def extraction_path(out_dir: Path, document_id: str) -> Path:
    return out_dir / f"{document_id}.json"


def _keep_previous(path: Path, new_data: bytes) -> Path | None:
    if not path.exists():
        return None
    old = path.read_bytes()
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
    os.replace(path, dest)
    return dest


def dump_extraction(extraction: Extraction) -> bytes:
    """The bytes of an extraction file (indented JSON, one trailing newline)."""
    return (extraction.model_dump_json(indent=2) + "\n").encode("utf-8")


def write_extraction(out_dir: Path, extraction: Extraction, *, data: bytes | None = None) -> Path:
    """Write `<out_dir>/<document-id>.json`; an earlier different version goes to history/.

    `data`, when the caller has it already, is `dump_extraction(extraction)`."""
    path = extraction_path(out_dir, extraction.document.id)
    data = dump_extraction(extraction) if data is None else data
    _keep_previous(path, data)
    atomic_write_bytes(path, data)
    return path
