"""Read prediction and gold files for scoring.

Gold is ours: an unreadable or invalid gold file is a `UserError` (fix the file).  Predictions
come from models: a missing, unreadable, schema-invalid or failed prediction is not an error
here, it is a document that scores zero, with the reason kept for the report.

A prediction file may also be a gold record (``"kind": "gold"``): a second annotator's gold
scored against the first one's (dual extraction; `abstraction.evaluation.agreement`).  Each
prediction carries the sha256 of the text it was made from, and `score_dirs` refuses (or, when
asked, warns) when it is not the gold's document.

Gold and extraction files are read against the schema they name (`abstraction.core.schemas`:
a gold file's ``schema`` key, an extraction's ``provenance.schema_ref``; neither: CaseReport),
and a document is scored with its gold's schema.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from abstraction.core.errors import UserError
from abstraction.core.records import Extraction, GoldRecord
from abstraction.core.schemas import (
    RecordSchema,
    is_gold_json,
    load_extraction,
    load_gold,
    schema_of,
)
from abstraction.evaluation.counts import DocResult, DocStatus, unknown_paths
from abstraction.evaluation.plan import scoring_schema
from abstraction.evaluation.results import ScoreReport, build_report
from abstraction.evaluation.scorer import ScoreTask, score_document, score_many


@dataclass(frozen=True)
class Prediction:
    """A prediction as the scorer sees it: a record dict, or a status and the reason it has none."""

    status: DocStatus
    record: dict[str, Any] | None
    error: str | None = None
    extraction: Extraction | None = None
    sha256: str | None = None
    """The sha256 of the text the prediction was made from (None: not known)."""
    gold: GoldRecord | None = None
    """Set when the prediction is another annotator's gold record."""


def _short(exc: ValidationError) -> str:
    first: Any = exc.errors()[0] if exc.errors() else {}
    where = ".".join(str(x) for x in first.get("loc", ()))
    return (
        f"{exc.error_count()} validation error(s); first at {where or '?'}: {first.get('msg', '')}"
    )


def prediction_from_extraction(ext: Extraction) -> Prediction:
    sha = ext.document.sha256
    if ext.status != "ok" or ext.record is None:
        reason = f"{ext.error.kind}: {ext.error.message}" if ext.error else "extraction failed"
        return Prediction("failed", None, reason, ext, sha)
    return Prediction("ok", ext.record.model_dump(), None, ext, sha)


def read_prediction(path: Path) -> Prediction:
    """Read ``<id>.json``; never raises for a bad file (the reason goes in `error`)."""
    if not path.is_file():
        return Prediction("missing", None, f"no prediction file {path.name}")
    try:
        raw = path.read_bytes()
        if is_gold_json(raw):
            gold = load_gold(raw)
            return Prediction(
                "ok", gold.record.model_dump(), sha256=gold.document_sha256, gold=gold
            )
        ext = load_extraction(raw)
    except ValidationError as exc:
        return Prediction("invalid", None, f"schema-invalid: {_short(exc)}")
    except UserError as exc:  # names a schema that cannot be imported
        return Prediction("invalid", None, str(exc))
    except (OSError, ValueError) as exc:
        return Prediction("invalid", None, f"unreadable: {exc}")
    return prediction_from_extraction(ext)


def read_gold(path: Path) -> GoldRecord:
    try:
        gold = load_gold(path.read_bytes())
    except UserError as exc:
        raise UserError(f"{path}: {exc}") from exc
    except ValidationError as exc:
        raise UserError(f"{path}: invalid gold file: {_short(exc)}") from exc
    except OSError as exc:
        raise UserError(f"{path}: cannot read: {exc.strerror}") from exc
    if gold.annotated_fields is not None:
        with scoring_schema(schema_of(gold).model):
            bad = unknown_paths(gold.annotated_fields)
        if bad:
            raise UserError(f"{path}: annotated_fields names unknown paths {bad}")
    return gold


def read_gold_dir(gold_dir: Path) -> dict[str, GoldRecord]:
    """Every ``*.json`` gold file in `gold_dir`, keyed by document id (sorted)."""
    if not gold_dir.is_dir():
        raise UserError(f"{gold_dir}: no such folder")
    golds: dict[str, GoldRecord] = {}
    for path in sorted(gold_dir.glob("*.json")):
        gold = read_gold(path)
        if gold.document_id != path.stem:
            raise UserError(
                f"{path}: document_id {gold.document_id!r} does not match the file name"
            )
        golds[gold.document_id] = gold
    if not golds:
        raise UserError(f"{gold_dir}: no gold files (*.json)")
    return golds


def score_prediction(
    gold: GoldRecord,
    pred: Prediction,
    *,
    fields: tuple[str, ...] | None = None,
    details: bool = True,
    text: str | None = None,
    polar: bool = True,
) -> DocResult:
    annotated = tuple(gold.annotated_fields) if gold.annotated_fields is not None else None
    with scoring_schema(schema_of(gold).model):
        return score_document(
            gold.document_id,
            gold.record.model_dump(),
            pred.record,
            status=pred.status,
            error=pred.error,
            annotated=annotated,
            fields=fields,
            details=details,
            text=text,
            order=gold.order,
            polar=polar,
        )


def gold_schema(golds: Iterable[GoldRecord], where: object) -> RecordSchema:
    """The one schema of `golds` (CaseReport when there are none); a `UserError` naming
    `where` (a folder, a suite) when they fill different schemas."""
    refs = {schema_of(g).ref: schema_of(g) for g in golds}
    if len(refs) > 1:
        raise UserError(f"{where}: gold files of different schemas: {', '.join(sorted(refs))}")
    return next(iter(refs.values()), schema_of(None))


def score_dirs(
    pred_dir: Path,
    gold_dir: Path,
    *,
    fields: tuple[str, ...] | None = None,
    details: bool = True,
    allow_hash_mismatch: bool = False,
    workers: int | None = None,
) -> ScoreReport:
    """Score ``PRED_DIR/<id>.json`` against every ``GOLD_DIR/<id>.json``.

    Every gold document is scored; a prediction with no gold file is listed, not scored.  A
    prediction made from another text than the gold's (document sha256) is refused with a
    `UserError`, or with `allow_hash_mismatch` scored and named in the report's warnings.
    Documents are scored in `workers` forked processes (default: the CPUs this process may
    use; `score_many` stays in this process for a small folder); the counts are the same.
    """
    if not pred_dir.is_dir():
        raise UserError(f"{pred_dir}: no such folder")
    golds = read_gold_dir(gold_dir)
    preds = {doc_id: read_prediction(pred_dir / f"{doc_id}.json") for doc_id in golds}
    warnings = hash_mismatches(golds, preds)
    # Two annotators' gold records (dual extraction): their findings pair by name, as in the
    # agreement table (`abstraction.evaluation.agreement`), so one finding read as present
    # and as absent is one disagreement on its assertion, not two findings.
    dual = bool(preds) and all(p.gold is not None for p in preds.values())
    if warnings and not allow_hash_mismatch:
        raise UserError(
            "predictions made from another text than their gold (document sha256): "
            + "; ".join(warnings)
            + " (pass --allow-hash-mismatch to score them anyway)"
        )
    tasks = [
        ScoreTask(
            doc_id,
            g.record.model_dump(),
            preds[doc_id].record,
            status=preds[doc_id].status,
            error=preds[doc_id].error,
            annotated=tuple(g.annotated_fields) if g.annotated_fields is not None else None,
            fields=fields,
            order=g.order,
            polar=not dual,
        )
        for doc_id, g in golds.items()
    ]
    extra = sorted(p.stem for p in pred_dir.glob("*.json") if p.stem not in golds)
    with scoring_schema(gold_schema(golds.values(), gold_dir).model):
        results = score_many(tasks, details=details, workers=workers or usable_cpus())
        report = build_report(results, details=details, unmatched=extra)
    report.warnings = warnings + _mixed(preds)
    return report


def _mixed(preds: dict[str, Prediction]) -> list[str]:
    """A warning when the predictions mix gold records with extractions (twelfth session's
    audit: a gold file copied into a folder of extractions raised micro F1 from 0.092 to 0.520
    without a word): the report is then partly an agreement of annotators."""
    golds = sorted(d for d, p in preds.items() if p.gold is not None)
    if not golds or len(golds) == len(preds):
        return []
    shown = ", ".join(golds[:5]) + (f" and {len(golds) - 5} more" if len(golds) > 5 else "")
    return [
        f"{len(golds)} of {len(preds)} predictions are gold records, not extractions ({shown}): "
        "they score as a second annotator's"
    ]


def usable_cpus() -> int:
    """CPUs this process may run on (its affinity where the system tells it)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def hash_mismatches(golds: dict[str, GoldRecord], preds: dict[str, Prediction]) -> list[str]:
    """Documents whose prediction and gold name different texts (both hashes known)."""
    out = []
    for doc_id, gold in golds.items():
        pred = preds.get(doc_id)
        theirs = pred.sha256 if pred else None
        if gold.document_sha256 and theirs and theirs != gold.document_sha256:
            out.append(f"{doc_id}: gold {gold.document_sha256[:12]}, prediction {theirs[:12]}")
    return out
