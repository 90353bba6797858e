"""sha256 over some of the package's own files: what a record or a score was made with.

`files_sha256` hashes the named files and folders of the installed ``abstraction`` package
(sources and data: .py, .toml, .txt and .json), in path order, so that a change to any of them
changes the digest.  Extraction provenance (`Provenance.code_sha256`) and evaluation tallies
(`abstraction.evaluation.tally`, the scorer's digest) both use it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from importlib import resources
from typing import Any

_HASHED = (".py", ".toml", ".txt", ".json")


def files_sha256(names: Sequence[str]) -> str:
    """sha256 over `names` (paths inside the package; a folder means every file in it)."""
    root = resources.files("abstraction")
    digest = hashlib.sha256()

    def add(node: Any, name: str) -> None:
        if node.is_dir():
            for child in sorted(node.iterdir(), key=lambda c: c.name):
                if child.name != "__pycache__":
                    add(child, f"{name}/{child.name}")
        elif name.endswith(_HASHED):
            digest.update(name.encode() + b"\0" + node.read_bytes() + b"\0")

    for name in names:
        add(root.joinpath(name), name)
    return digest.hexdigest()
