"""The run folder on disk: extraction files (read only), their sources, and review sidecars.

Safety rules kept here, in one place:
- a document is addressed by id only, and ids come from scanning the run folder (never from a
  request path), so a request cannot name a file; files that are symlinks pointing outside the
  run folder are ignored;
- a source text is shown only when it hashes to the sha256 the extraction recorded (`sources`),
  so a hostile ``document.path`` cannot make the app read out another file;
- the only files written are ``<run>/reviews/<id>.review.json`` (refused if ``reviews`` or the
  file is a symlink), written atomically (temp file, fsync, rename) under a lock, with a version
  check so a stale writer is refused instead of overwriting someone else's edits;
- the model's extraction file is never written.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import stat
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from pydantic import ValidationError

from abstraction.core.errors import UserError
from abstraction.core.records import Extraction, GoldRecord
from abstraction.core.schemas import RecordSchema, load_extraction, load_gold, schema_of
from abstraction.extraction.output import atomic_write_text, write_all
from abstraction.review.edits import (
    Applied,
    Change,
    EditRejected,
    ReviewFile,
    apply_edits,
    validate_record,
)
from abstraction.review.layout import review_schema
from abstraction.review.plan import plan, stamp
from abstraction.review.sources import Source, find_source

try:  # POSIX: also lock against a second server process on the same run folder
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

REVIEWS_DIR = "reviews"
REVIEW_SUFFIX = ".review.json"
CACHED_FILES = 256
"""Parsed extraction files kept in memory (the list keeps its own small rows)."""
MAX_EXTRACTION_BYTES = 64_000_000
MAX_REVIEWER = 100
MAX_REASON = 2_000
MAX_VALUE = 20_000
"""Characters of any one string in a saved value (a quote of a long paragraph fits)."""
MAX_CHANGES = 500
Stamp = tuple[int, int, int]
"""(mtime_ns, size, inode) of a file: a changed stamp means the file changed."""
_SAFE_ID = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]*$")
"""A document id as `abstraction.core.documents.safe_id` makes them ("-7" from a JSONL id
"-7" included; not a hidden file)."""
REVIEWER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")
"""A reviewer's name in a dual review: also the name of their folder under ``reviews/by/``."""
BY_REVIEWER = "by"
PROTOCOL_FILE = "protocol.json"
"""``reviews/protocol.json``: who reviews a dual-review run (`abstraction.review.dual`)."""
ADJUDICATION_DIR = "adjudication"
"""``reviews/adjudication/<id>.json``: the adjudicator's decisions (`review.reconcile`)."""


class DocumentNotFound(UserError):
    """No reviewable document with this id in the run folder."""


class VersionConflict(UserError):
    """The review file changed since the client read it (another tab or reviewer saved)."""

    def __init__(self, *, expected: int, current: int) -> None:
        super().__init__(
            f"the document was saved elsewhere (you had version {expected}, it is now "
            f"{current}): reload, check, and re-apply your edit"
        )
        self.expected = expected
        self.current = current


@dataclass(frozen=True)
class Entry:
    id: str
    path: Path
    extraction: Extraction | None
    error: str | None


@dataclass(frozen=True)
class SaveResult:
    review: ReviewFile
    state: Applied
    added: int


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def new_id() -> str:
    return uuid.uuid4().hex[:12]


def _inside(path: Path, root: Path) -> bool:
    return path.resolve().is_relative_to(root.resolve())


def _read_review(path: Path, doc_id: str) -> ReviewFile:
    """The review file at `path`, which must belong to `doc_id`; `UserError` when it cannot
    be read (a folder, no permission: that document's error, not a 500) or is not one."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UserError(f"{path}: cannot read the review file ({exc.strerror})") from exc
    try:
        review = ReviewFile.model_validate_json(data)
    except ValidationError as exc:
        raise UserError(f"{path}: not a valid review file: {exc}") from exc
    if review.document_id != doc_id:
        raise UserError(f"{path}: belongs to document {review.document_id!r}")
    return review


def _open_lock(path: Path) -> BinaryIO:
    """The lock file, opened without following a symlink (one planted as ``reviews/.lock``
    would otherwise create or touch a file outside the run folder)."""
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags, 0o600)
    except OSError as exc:
        raise UserError(
            f"{path}: cannot open the lock file ({exc.strerror}); it must be a plain file "
            "inside the run folder, not a symlink"
        ) from exc
    fh = os.fdopen(fd, "r+b")
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        fh.close()
        raise UserError(f"{path}: the lock file must be a plain file")
    return fh


_SURROGATE = re.compile("[\ud800-\udfff]")
"""Half of a UTF-16 pair, which JSON's ``\\ud800`` lets through and no file can hold."""


def size_problems(*, reviewer: str, reason: str | None, changes: list[Change]) -> list[str]:
    """Why a save cannot be kept: a name, reason or value longer than its limit, or text
    with a lone surrogate (writing it failed with a 500, after the check)."""
    problems = []
    texts = [reviewer, reason or "", *(c.pointer or "" for c in changes)]
    if any(_SURROGATE.search(t) for t in texts):
        problems.append("reviewer, reason or pointer: holds a lone surrogate, which is not text")
    if len(reviewer) > MAX_REVIEWER:
        problems.append(f"reviewer: too long (at most {MAX_REVIEWER} characters)")
    if reason is not None and len(reason) > MAX_REASON:
        problems.append(f"reason: too long (at most {MAX_REASON} characters)")
    if len(changes) > MAX_CHANGES:
        problems.append(f"too many changes in one save (at most {MAX_CHANGES})")
    for change in changes:
        stack = [change.value]
        while stack:
            value = stack.pop()
            if isinstance(value, dict):
                stack.extend(value.values())
                stack.extend(value.keys())
            elif isinstance(value, list):
                stack.extend(value)
            elif isinstance(value, str) and len(value) > MAX_VALUE:
                problems.append(
                    f"{change.pointer or change.op}: a value is too long "
                    f"({len(value)} characters; at most {MAX_VALUE})"
                )
                break
            elif isinstance(value, str) and _SURROGATE.search(value):
                problems.append(f"{change.pointer or change.op}: a value holds a lone surrogate")
                break
    return problems


def stamp_of(st: os.stat_result) -> Stamp:
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def _parse(doc_id: str, path: Path, stamp: Stamp) -> Entry | None:
    if stamp[1] > MAX_EXTRACTION_BYTES:
        return Entry(doc_id, path, None, f"larger than {MAX_EXTRACTION_BYTES} bytes; not read")
    try:
        data = path.read_bytes()
    except OSError as exc:
        return Entry(doc_id, path, None, f"cannot read the file: {exc.strerror or exc}")
    try:
        raw = json.loads(data)
    except (ValueError, RecursionError) as exc:  # an output cut short (a full disk, a killed
        # copy) is listed with why, not left out; no other file of a run folder is broken JSON
        return Entry(doc_id, path, None, f"not valid JSON (cut short?): {str(exc)[:200]}")
    if not isinstance(raw, dict) or raw.get("kind") != "extraction":
        return None  # some other file (gold, review, run manifest)
    extraction, error = _read_extraction(raw)
    return Entry(doc_id, path, extraction, error)


def _read_extraction(raw: dict[str, Any]) -> tuple[Extraction | None, str | None]:
    try:
        return load_extraction(raw), None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = "/".join(str(t) for t in first["loc"])
        return (
            None,
            f"not a valid extraction file ({exc.error_count()} problems; {where}: {first['msg']})",
        )


class RunStore:
    """A run folder opened for review.  Thread-safe; one instance per served folder.

    Opening one document touches its own files only (no folder scan); listing scans the folder
    once.  Parsed extraction files are kept in a small cache keyed by the file's stamp, so memory
    stays flat at 10,000 documents.
    """

    def __init__(
        self,
        root: Path,
        *,
        sources: Path | None = None,
        gold: Path | None = None,
        only: frozenset[str] | None = None,
        reviewer: str | None = None,
    ) -> None:
        if not root.is_dir():
            raise UserError(f"{root}: not a folder")
        if reviewer is not None and not REVIEWER_NAME.match(reviewer):
            raise UserError(
                f"reviewer {reviewer!r}: use letters, digits, '.', '_' or '-' (at most 40)"
            )
        self.root = root
        self.reviewer = reviewer
        """Set in a dual review: this reviewer's sidecars live in ``reviews/by/<reviewer>/``,
        apart from everyone else's, and a submitted document takes no more edits."""
        self.sources = sources
        self.gold_dir = gold
        self.only = only
        self._cache: OrderedDict[str, tuple[Stamp, Entry | None]] = OrderedDict()
        self._lock = threading.Lock()
        """Held while saving (with the file lock), so two saves never interleave."""
        self._cache_lock = threading.Lock()

    # ---- reading -------------------------------------------------------------------------

    def _wanted(self, doc_id: str) -> bool:
        return bool(_SAFE_ID.match(doc_id)) and (not self.only or doc_id in self.only)

    def _json_entries(self) -> Iterator[tuple[str, os.DirEntry[str]]]:
        """Each ``<id>.json`` entry of the run folder with a wanted id: one folder listing."""
        with os.scandir(self.root) as it:
            for item in it:
                doc_id, dot, suffix = item.name.rpartition(".")
                if dot and suffix == "json" and self._wanted(doc_id):
                    yield doc_id, item

    def scan(self) -> list[tuple[str, Stamp]]:
        """The ids of the candidate extraction files with their stamps: one folder listing.

        Symlinks that lead outside the run folder are left out (`left_out` says which).
        """
        found = []
        for doc_id, item in self._json_entries():
            try:
                if item.is_file() and not self._outside(item):
                    found.append((doc_id, stamp_of(item.stat())))
            except OSError:
                continue
        return sorted(found)

    def left_out(self) -> list[tuple[str, str]]:
        """The ``<id>.json`` entries `scan` leaves out, with why: a symlink that leads outside
        the run folder, or nowhere (twelfth session's audit: `abstraction export` left them
        out of every table without a word)."""
        out = []
        for doc_id, item in self._json_entries():
            try:
                if not item.is_file():
                    if item.is_symlink():
                        out.append((doc_id, "a symlink that leads to no file: not read"))
                elif self._outside(item):
                    out.append((doc_id, "a symlink to a file outside the run folder: not read"))
            except OSError as exc:
                out.append((doc_id, f"cannot be read: {exc.strerror or exc}"))
        return sorted(out)

    def _outside(self, item: os.DirEntry[str]) -> bool:
        return item.is_symlink() and not _inside(Path(item.path), self.root)

    @property
    def reviews_root(self) -> Path:
        """``<run>/reviews``, or ``<run>/reviews/by/<reviewer>`` for one reviewer of several."""
        d = self.root / REVIEWS_DIR
        return d if self.reviewer is None else d / BY_REVIEWER / self.reviewer

    def review_stamps(self) -> dict[str, Stamp]:
        """The stamp of each review file, by document id: one listing of ``reviews/``."""
        d = self.reviews_root
        if d.is_symlink() or not d.is_dir():
            return {}
        stamps = {}
        with os.scandir(d) as it:
            for item in it:
                if item.name.endswith(REVIEW_SUFFIX) and not item.is_symlink():
                    with contextlib.suppress(OSError):
                        stamps[item.name[: -len(REVIEW_SUFFIX)]] = stamp_of(item.stat())
        return stamps

    def orphan_review(self, doc_id: str) -> ReviewFile:
        """A review file whose extraction file is gone (`review_stamps` lists it, `entries`
        does not): still someone's work, read for the record of it."""
        path = self.reviews_root / f"{doc_id}{REVIEW_SUFFIX}"
        if path.is_symlink():
            raise UserError(f"{path}: is a symlink; refusing to read or write it")
        return _read_review(path, doc_id)

    def load(self, doc_id: str, stamp: Stamp) -> Entry | None:
        """The parsed file (None when it is some other JSON file), from the cache if unchanged."""
        with self._cache_lock:
            cached = self._cache.get(doc_id)
            if cached and cached[0] == stamp:
                self._cache.move_to_end(doc_id)
                return cached[1]
        entry = _parse(doc_id, self.root / f"{doc_id}.json", stamp)
        with self._cache_lock:
            self._cache[doc_id] = (stamp, entry)
            self._cache.move_to_end(doc_id)
            while len(self._cache) > CACHED_FILES:
                self._cache.popitem(last=False)
        return entry

    def entries(self) -> Iterator[Entry]:
        """Every extraction file in the run folder, by id (other JSON files are skipped)."""
        for doc_id, st in self.scan():
            entry = self.load(doc_id, st)
            if entry is not None:
                yield entry

    def entry(self, doc_id: str) -> Entry:
        """The document `doc_id`, read from ``<run>/<doc_id>.json`` alone."""
        path = self.root / f"{doc_id}.json"
        entry = None
        if self._wanted(doc_id):
            with contextlib.suppress(OSError):
                st = os.lstat(path)
                if stat.S_ISLNK(st.st_mode):  # followed only when it stays in the run folder
                    st = os.stat(path) if _inside(path, self.root) else st
                if stat.S_ISREG(st.st_mode):
                    entry = self.load(doc_id, stamp_of(st))
        if entry is None:
            raise DocumentNotFound(f"no document {doc_id!r} in {self.root}")
        return entry

    @functools.cached_property
    def record_schema(self) -> RecordSchema:
        """The schema of the run's records (`abstraction.core.schemas`): its first readable
        extraction's (a run is one prompt's output, so one schema); CaseReport when none."""
        for entry in self.entries():
            if entry.extraction is not None:
                return schema_of(entry.extraction)
        return schema_of(None)

    def extraction(self, doc_id: str) -> Extraction:
        """The model's extraction, which must have a record to review."""
        entry = self.entry(doc_id)
        if entry.extraction is None:
            raise UserError(f"{entry.path}: {entry.error}")
        if entry.extraction.record is None:
            raise UserError(f"{doc_id}: the extraction failed, there is no record to review")
        return entry.extraction

    def source(self, doc_id: str) -> Source:
        """The source text, verified against the extraction's sha256 (see `sources`)."""
        ext = self.extraction(doc_id)
        return find_source(ext.document, run=self.root, sources=self.sources)

    def gold(self, doc_id: str) -> tuple[GoldRecord | None, str | None]:
        """The gold record for `doc_id` if the gold folder has one, and a warning if unreadable."""
        if self.gold_dir is None:
            return None, None
        path = self.gold_dir / f"{self.entry(doc_id).id}.json"
        if not path.is_file():
            return None, None
        try:
            return load_gold(path.read_bytes()), None
        except (ValidationError, OSError) as exc:
            return None, f"{path}: not a valid gold record ({type(exc).__name__})"

    # ---- reviews ---------------------------------------------------------------------------

    def _reviews_dir(self, *, create: bool) -> Path:
        d = self.reviews_root
        for part in (self.root / REVIEWS_DIR, d.parent, d):
            if part.is_symlink() or (part.exists() and not part.is_dir()):
                raise UserError(f"{part}: must be a real folder inside the run folder")
        if create:
            d.mkdir(parents=True, exist_ok=True)
        return d

    def review_path(self, doc_id: str) -> Path:
        path = self._reviews_dir(create=False) / f"{self.entry(doc_id).id}{REVIEW_SUFFIX}"
        if path.is_symlink():
            raise UserError(f"{path}: is a symlink; refusing to read or write it")
        return path

    def review(self, doc_id: str) -> ReviewFile:
        path = self.review_path(doc_id)
        if not path.exists():
            return ReviewFile(document_id=doc_id)
        return _read_review(path, doc_id)

    def state(self, doc_id: str) -> tuple[ReviewFile, Applied]:
        ext = self.extraction(doc_id)
        review = self.review(doc_id)
        assert ext.record is not None
        with review_schema(self.record_schema.model):
            return review, apply_edits(ext.record.model_dump(mode="json"), review.edits)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        with self._lock:
            if fcntl is None:
                yield
                return
            with _open_lock(self._reviews_dir(create=True) / ".lock") as fh:
                fcntl.flock(fh, fcntl.LOCK_EX)
                try:
                    yield
                finally:
                    fcntl.flock(fh, fcntl.LOCK_UN)

    def locked(self) -> contextlib.AbstractContextManager[None]:
        """Held by every write to this store's review folder (thread and process lock)."""
        return self._locked()

    def save(
        self,
        doc_id: str,
        *,
        expected_version: int,
        reviewer: str,
        reason: str | None,
        changes: list[Change],
        clock: Callable[[], str] = utc_now,
    ) -> SaveResult:
        """Append the edits for `changes` if nobody saved since `expected_version`.

        Raises `VersionConflict` for a stale version and `EditRejected` when a change does not
        fit or the corrected record would be invalid; in both cases nothing is written.
        """
        reviewer = reviewer.strip()
        if not reviewer:
            raise EditRejected(["enter your name as reviewer before saving"])
        problems = size_problems(reviewer=reviewer, reason=reason, changes=changes)
        if problems:
            raise EditRejected(problems)
        with self._locked(), review_schema(self.record_schema.model):
            review, state = self.state(doc_id)
            if expected_version != review.version:
                raise VersionConflict(expected=expected_version, current=review.version)
            if self.reviewer is not None and state.doc_status == "reviewed":
                raise EditRejected(
                    [
                        f"{self.reviewer} has submitted {doc_id}; a submitted review is final "
                        "(the adjudicator settles what the reviewers disagree on)"
                    ]
                )
            drafts = plan(changes, state=state, text=self.source(doc_id).text, new_id=new_id)
            if not drafts:
                return SaveResult(review, state, 0)
            version = review.version + 1
            edits = stamp(
                drafts,
                reviewer=reviewer,
                reason=(reason or "").strip() or None,
                at=clock(),
                base=state.base,
                version=version,
                new_id=new_id,
            )
            updated = review.model_copy(update={"version": version, "edits": review.edits + edits})
            ext = self.extraction(doc_id)
            assert ext.record is not None
            new_state = apply_edits(ext.record.model_dump(mode="json"), updated.edits)
            mine = {e.id for e in edits}
            problems = [
                f"{c.edit.pointer}: {c.reason}" for c in new_state.conflicts if c.edit.id in mine
            ]
            problems += validate_record(new_state.corrected)
            if problems:
                raise EditRejected(problems)
            path = self._reviews_dir(create=True) / f"{doc_id}{REVIEW_SUFFIX}"
            if path.is_symlink():
                raise UserError(f"{path}: is a symlink; refusing to write it")
            atomic_write_text(path, updated.model_dump_json(indent=2) + "\n")
            return SaveResult(updated, new_state, len(edits))


def carry_reviews(
    old: RunStore, new: RunStore, *, force: bool
) -> tuple[list[tuple[str, int, int, int]], list[Path]]:
    """Copy `old`'s reviews to `new` (a re-extraction of the same documents) and re-apply
    them: (document, edits, re-applied, conflicts) per carried review file, a dual reviewer's
    shown as ``<doc> (by <name>)``.  The run's own review files, each dual reviewer's
    (``reviews/by/<name>/``), the reviewer protocol and the adjudicator's decisions are all
    carried (the dual ones were left behind without a word until the eleventh session).
    Every destination is checked before anything is written: a file `new` already has raises
    `UserError` unless `force`, and then nothing was copied.  With `force`, each file replaced
    is kept in a ``history/`` beside it (the second list; twelfth session: a reviewer's own
    review of the new run was thrown away without a word), and the files are written all or
    none (`write_all`)."""
    new_ids = {e.id for e in new.entries() if e.extraction and e.extraction.record}
    readers = [old, *dual_readers(old)]
    plan: list[tuple[RunStore, str, Path]] = []
    for entry in old.entries():
        if entry.id not in new_ids:
            continue
        for reader in readers:
            src = reader.review_path(entry.id)
            if src.exists():
                plan.append((reader, entry.id, new.root / src.relative_to(old.root)))
    extras = [old.root / REVIEWS_DIR / PROTOCOL_FILE]
    adjudication = old.root / REVIEWS_DIR / ADJUDICATION_DIR
    if adjudication.is_dir() and not adjudication.is_symlink():
        extras += sorted(p for p in adjudication.iterdir() if p.stem in new_ids)
    copies = [(p, new.root / p.relative_to(old.root)) for p in extras if _plain_file(p)]
    for dest in [d for *_, d in plan] + [d for _, d in copies]:
        if dest.exists() and not force:
            raise UserError(f"{dest} exists; pass --force to replace it (nothing was copied)")
    rows = []
    reviews = []
    for reader, doc_id, dest in plan:
        review = reader.review(doc_id)
        record = new.extraction(doc_id).record
        assert record is not None
        with review_schema(new.record_schema.model):
            result = apply_edits(record.model_dump(mode="json"), review.edits)
        reviews.append((dest, review))
        changes = [e for e in review.edits if e.op not in ("status", "dismiss")]
        applied = [e for e in result.applied if e.op not in ("status", "dismiss")]
        label = doc_id if reader is old else f"{doc_id} (by {reader.reviewer})"
        rows.append((label, len(changes), len(applied), len(result.conflicts)))
    # every file read and checked: now write them all or none, what --force replaces kept
    files = [(d, (r.model_dump_json(indent=2) + "\n").encode("utf-8")) for d, r in reviews]
    files += [(dest, src.read_bytes()) for src, dest in copies]
    for dest, _ in files:
        dest.parent.mkdir(parents=True, exist_ok=True)
    kept = [k for _, k in write_all(files) if k is not None]
    return rows, kept


def dual_readers(store: RunStore) -> list[RunStore]:
    """`store` seen through each dual reviewer's own review files (``reviews/by/<name>/``);
    none when `store` is already one reviewer's view."""
    if store.reviewer is not None:
        return []
    by = store.root / REVIEWS_DIR / BY_REVIEWER
    if by.is_symlink() or not by.is_dir():
        return []
    names = sorted(
        d.name
        for d in by.iterdir()
        if d.is_dir() and not d.is_symlink() and REVIEWER_NAME.match(d.name)
    )
    return [RunStore(store.root, sources=store.sources, reviewer=n) for n in names]


def _plain_file(path: Path) -> bool:
    return path.is_file() and not path.is_symlink()
