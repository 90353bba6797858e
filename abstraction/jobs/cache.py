"""Content-addressed extraction cache.

A cache key is the sha256 of everything that decides an extraction's result: the text's
sha256, the prompt file's sha256, the schema version, the model identity and the settings.
Only successful extractions are cached, so a re-run retries failures and nothing else.  The
same text under another id or path hits the same entry (the `document` block is rewritten).

Every file is written with `atomic_write_bytes` (a temporary file in the same folder renamed
over the target): a reader, or a run resumed after ``kill -9``, sees the old file or the new
one, never half of one; `remove_stale_temps` clears the temporary files a kill leaves.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from abstraction.core.errors import UserError
from abstraction.core.records import Extraction
from abstraction.core.schema import SCHEMA_VERSION
from abstraction.core.schemas import load_extraction
from abstraction.extraction.output import atomic_write_bytes, dump_extraction

CACHE_FORMAT = "1"


def cache_key(
    *, document_sha256: str, prompt_sha256: str, model: str, settings: dict[str, Any]
) -> str:
    """sha256 over a canonical JSON of the inputs that decide the result."""
    payload = {
        "cache_format": CACHE_FORMAT,
        "document_sha256": document_sha256,
        "prompt_sha256": prompt_sha256,
        "schema_version": SCHEMA_VERSION,
        "model": model,
        "settings": settings,
    }
    blob = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def remove_stale_temps(folder: Path) -> int:
    """Delete temporary files a killed run left behind; returns how many."""
    removed = 0
    if folder.is_dir():
        for tmp in folder.glob(".*.tmp"):
            with contextlib.suppress(OSError):
                tmp.unlink()
                removed += 1
    return removed


class Cache:
    """Successful extractions under ``<root>/<key[:2]>/<key>.json``.

    The keys present are listed once (one directory scan) and kept in memory, so a miss costs
    no system call: on some filesystems a failed ``open`` is the slowest step of a new job.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self._keys: set[str] | None = None

    def path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def _index(self) -> set[str]:
        if self._keys is None:
            keys: set[str] = set()
            if self.root.is_dir():
                for sub in os.scandir(self.root):
                    if sub.is_dir() and len(sub.name) == 2:
                        keys.update(
                            e.name[:-5] for e in os.scandir(sub.path) if e.name.endswith(".json")
                        )
            self._keys = keys
        return self._keys

    def get(self, key: str) -> Extraction | None:
        """The cached extraction, or None (a missing or unreadable entry is a miss)."""
        if key not in self._index():
            return None
        try:
            data = self.path(key).read_bytes()
        except OSError:
            return None
        try:
            return load_extraction(data)
        except (ValidationError, UserError, ValueError):
            return None

    def put(self, key: str, extraction: Extraction) -> None:
        if extraction.status == "ok":
            self.put_bytes(key, dump_extraction(extraction))

    def put_bytes(self, key: str, data: bytes) -> None:
        """Store an already serialised successful extraction."""
        atomic_write_bytes(self.path(key), data, durable=False)
        self._index().add(key)
