"""Writing extraction files without ever losing one.

Writes are atomic (temp file, fsync, rename), so a crash leaves the old file or the new one,
never half of either.  A different earlier extraction of the same document is moved to
``<out>/history/`` first: re-running with a new prompt never destroys the previous output.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from abstraction.core.records import Extraction


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; outputs are ordinary files
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def extraction_path(out_dir: Path, document_id: str) -> Path:
    return out_dir / f"{document_id}.json"


def _keep_previous(path: Path, new_text: str) -> Path | None:
    if not path.exists():
        return None
    old = path.read_text("utf-8")
    if old == new_text:
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


def write_extraction(out_dir: Path, extraction: Extraction) -> Path:
    """Write `<out_dir>/<document-id>.json`; an earlier different version goes to history/."""
    path = extraction_path(out_dir, extraction.document.id)
    text = extraction.model_dump_json(indent=2) + "\n"
    _keep_previous(path, text)
    atomic_write_text(path, text)
    return path
