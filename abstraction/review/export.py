"""Leaving the review app: corrected extraction files, and promotion of reviewed records to gold.

The corrected record is validated by the same models as everything else; a document whose
corrected record does not validate is refused, never written half-right.  Promotion writes a
`GoldRecord` whose annotator is the reviewers and whose notes say how much of it the reviewers
changed versus accepted as extracted, so a reader of gold can tell the two apart.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from abstraction.core.errors import UserError
from abstraction.core.jsonschema_export import validate_data
from abstraction.core.records import Extraction, GoldRecord
from abstraction.core.schema import CaseReport
from abstraction.core.schemas import extraction_type, gold_type, is_gold_json, schema_of_model
from abstraction.extraction.output import run_folder_mark, write_all
from abstraction.grounding import summarize
from abstraction.review.edits import Applied, validate_record
from abstraction.review.layout import record_model, review_schema
from abstraction.review.store import RunStore


@dataclass(frozen=True)
class Exported:
    doc_id: str
    path: Path
    doc_status: str
    edits: int
    conflicts: int


def corrected_record(doc_id: str, state: Applied) -> CaseReport:
    """The corrected record, validated by the schema under review (`review_schema`)."""
    problems = validate_record(state.corrected)
    if problems:
        raise UserError(f"{doc_id}: corrected record is invalid: " + "; ".join(problems[:5]))
    return record_model().model_validate(state.corrected)  # type: ignore[return-value]


def check_schema(model: Extraction | GoldRecord, doc_id: str) -> None:
    """Validate what is about to be written against the exported JSON Schema too."""
    problems = validate_data(model.model_dump(mode="json"), file=doc_id)
    if problems:
        shown = "; ".join(f"{p.json_path}: {p.message}" for p in problems[:5])
        raise UserError(f"{doc_id}: does not validate against the JSON Schema: {shown}")


def corrected_extraction(extraction: Extraction, state: Applied) -> Extraction:
    """The extraction with its record replaced by the corrected one (provenance kept)."""
    record = corrected_record(extraction.document.id, state)
    updated = extraction.model_copy(update={"record": record, "grounding": summarize(record)})
    checked = extraction_type(schema_of_model(record_model())).model_validate(
        updated.model_dump(mode="json")
    )
    check_schema(checked, extraction.document.id)
    return checked


def export_run(
    store: RunStore, out: Path, *, reviewed_only: bool = False
) -> tuple[list[Exported], list[str]]:
    """Write ``<out>/<id>.json`` (corrected extraction) and ``<id>.review.json`` (its edits).

    Returns what was written and, per skipped document, why.  Every corrected record is
    checked before the first file is written: one that does not validate raises `UserError`
    and nothing is written (the files of the documents before it were left until the
    eleventh session's audit).
    """
    with review_schema(store.record_schema.model):
        return _export_run(store, out, reviewed_only=reviewed_only)


def _export_run(
    store: RunStore, out: Path, *, reviewed_only: bool
) -> tuple[list[Exported], list[str]]:
    if out.resolve() == store.root.resolve():
        raise UserError("the export folder must not be the run folder (originals are kept)")
    skipped: list[str] = []
    chosen = []
    for entry in store.entries():
        if entry.extraction is None or entry.extraction.record is None:
            skipped.append(f"{entry.id}: {entry.error or 'extraction failed, no record'}")
            continue
        review, state = store.state(entry.id)
        if reviewed_only and state.doc_status != "reviewed":
            skipped.append(f"{entry.id}: {state.doc_status.replace('_', ' ')}")
            continue
        corrected_extraction(entry.extraction, state)  # every record checked before any write:
        chosen.append(entry.id)  # one that does not validate leaves no half export behind
    _refuse_foreign_folder(out)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Exported] = []
    files: list[tuple[Path, bytes]] = []
    for doc_id in chosen:
        entry = store.entry(doc_id)
        assert entry.extraction is not None
        review, state = store.state(doc_id)
        corrected = corrected_extraction(entry.extraction, state)
        path = out / f"{doc_id}.json"
        files.append((path, (corrected.model_dump_json(indent=2) + "\n").encode("utf-8")))
        review_bytes = (review.model_dump_json(indent=2) + "\n").encode("utf-8")
        files.append((out / f"{doc_id}.review.json", review_bytes))
        written.append(
            Exported(doc_id, path, state.doc_status, len(review.edits), len(state.conflicts))
        )
    write_all(files)  # all or none; a file it replaces is kept in out/history/
    return written, skipped


def _is_gold_file(path: Path) -> bool:
    try:
        return is_gold_json(path.read_bytes())
    except OSError:
        return False


def _refuse_foreign_folder(out: Path) -> None:
    """An export folder must not be another run's folder (its model outputs would be
    replaced: twelfth session's audit) nor a gold folder."""
    mark = run_folder_mark(out)
    if mark is not None:
        raise UserError(
            f"--out {out} is a run folder (it has {mark}); its outputs would be replaced: "
            "choose another folder"
        )
    for path in sorted(out.glob("*.json")) if out.is_dir() else []:
        with contextlib.suppress(OSError):
            if path.is_file() and is_gold_json(path.read_bytes()):
                raise UserError(
                    f"--out {out} holds gold records ({path.name}); choose another folder"
                )


def _reviewers(state: Applied) -> list[str]:
    names: list[str] = []
    for e in state.applied:
        if e.reviewer not in names:
            names.append(e.reviewer)
    return names


def reviewed_fields(not_extracted: list[str] | None) -> list[str] | None:
    """The `GoldRecord.annotated_fields` of a reviewed extraction: every field the prompt asked
    for (None: all of them).  A reviewer checks what the model extracted; a field it was never
    asked for was not checked, and its null or empty value is no gold "not reported"."""
    if not not_extracted:
        return None
    left_out = set(not_extracted)
    paths = schema_of_model(record_model()).field_paths
    return [p for p in paths if p not in left_out and p.split(".")[0] not in left_out]


def gold_from_review(store: RunStore, doc_id: str) -> GoldRecord:
    """A gold record from a reviewed document; refuses anything not marked reviewed."""
    with review_schema(store.record_schema.model):
        return _gold_from_review(store, doc_id)


def _gold_from_review(store: RunStore, doc_id: str) -> GoldRecord:
    extraction = store.extraction(doc_id)
    _review, state = store.state(doc_id)
    if state.doc_status != "reviewed":
        status = state.doc_status.replace("_", " ")
        raise UserError(f"{doc_id}: {status}; only reviewed documents can be promoted to gold")
    counts = {
        s: sum(f.status == s for f in state.facts if f.value is not None)
        for s in ("accepted", "edited", "rejected")
    }
    added = sum(f.added for f in state.facts)
    prov = extraction.provenance
    notes = (
        f"Promoted from a review of {prov.model} output "
        f"(prompt {prov.prompt_version}@{prov.prompt_sha256[:12]}): "
        f"{counts['accepted']} facts accepted as extracted, {counts['edited']} edited, "
        f"{counts['rejected']} rejected, {added} added by reviewers; "
        f"{len(state.applied)} edits in reviews/{doc_id}.review.json."
    )
    annotated = reviewed_fields(extraction.not_extracted)
    if annotated is not None:
        notes += (
            f" The prompt did not ask for {', '.join(extraction.not_extracted or [])}: those "
            "fields are not among this gold's annotated fields (an empty one there was never "
            "looked at, so it does not say 'not reported')."
        )
    schema = schema_of_model(record_model())
    gold = gold_type(schema)(
        schema_ref=None if schema.builtin else schema.ref,
        document_id=extraction.document.id,
        document_sha256=extraction.document.sha256,
        annotator=", ".join(_reviewers(state)),
        annotated_fields=annotated,
        notes=notes,
        record=corrected_record(doc_id, state),
    )
    check_schema(gold, doc_id)
    return gold


def promote(
    store: RunStore, doc_ids: list[str], gold_dir: Path, *, force: bool = False
) -> list[tuple[Path, Path | None]]:
    """Write ``<gold_dir>/<id>.json`` for each reviewed document; all-or-nothing.

    Every document is checked (reviewed, valid, no existing gold unless `force`) before any
    file is written.
    """
    return write_gold(store, doc_ids, gold_dir, gold_from_review, force=force)


def write_gold(
    store: RunStore,
    doc_ids: list[str],
    gold_dir: Path,
    build: Callable[[RunStore, str], GoldRecord],
    *,
    force: bool = False,
) -> list[tuple[Path, Path | None]]:
    """Build each document's gold with `build` and write ``<gold_dir>/<id>.json``; all or
    nothing: every document is checked (buildable, no existing gold unless `force`) before any
    file is written, and a failure while writing puts every file back (`write_all`).  Returns
    each path written with the ``history/`` copy of the gold it replaced (None if new)."""
    records: list[tuple[Path, GoldRecord]] = []
    problems: list[str] = []
    for doc_id in doc_ids:
        try:
            gold = build(store, doc_id)
        except UserError as exc:
            problems.append(str(exc))
            continue
        path = gold_dir / f"{store.entry(doc_id).id}.json"
        if path.exists() and not force:
            problems.append(f"{path} exists; pass --force to replace it")
            continue
        if path.exists() and not _is_gold_file(path):
            problems.append(f"{path} is not a gold record; not replacing it, even with --force")
            continue
        records.append((path, gold))
    if (mark := run_folder_mark(gold_dir)) is not None:
        problems.insert(0, f"{gold_dir} is a run folder (it has {mark}), not a gold folder")
    if problems:
        raise UserError("nothing promoted: " + "; ".join(problems))
    files = [
        (path, (gold.model_dump_json(indent=2) + "\n").encode("utf-8")) for path, gold in records
    ]
    try:
        gold_dir.mkdir(parents=True, exist_ok=True)
        return write_all(files)
    except OSError as exc:
        where = exc.filename or gold_dir
        raise UserError(
            f"nothing promoted: cannot write in {gold_dir} ({where}: {exc.strerror or exc}); "
            "the gold folder is as it was"
        ) from exc
