"""Small builders for scorer tests: valid records written as dicts, and extraction files."""

from __future__ import annotations

from typing import Any

from abstraction.core.records import (
    DocumentInfo,
    Extraction,
    Failure,
    GoldRecord,
    Provenance,
    Usage,
)
from abstraction.core.schema import CaseReport, empty_case_report


def ev(quote: str, start: int | None = None, end: int | None = None, **kw: Any) -> dict[str, Any]:
    return {"quote": quote, "start": start, "end": end, **kw}


def fact(value: Any, quote: str | None = None, **kw: Any) -> dict[str, Any]:
    return {"value": value, **kw, "evidence": ev(quote or str(value))}


def treatment(name: str, category: str = "chemotherapy", **kw: Any) -> dict[str, Any]:
    item = {
        "name": name,
        "category": category,
        "target": None,
        "donor_type": None,
        "graft_source": None,
        "dose": None,
        "duration": None,
        "intent": None,
        "time": None,
        "evidence": ev(name),
    }
    item.update(kw)
    return item


def diagnosis(name: str, status: str = "principal", **kw: Any) -> dict[str, Any]:
    return {"name": name, "status": status, "details": None, "evidence": ev(name), **kw}


def event(kind: str, type_: str | None = None, **kw: Any) -> dict[str, Any]:
    item = {"event": kind, "type": type_, "body_sites": [], "time": None, "evidence": ev(kind)}
    item.update(kw)
    return item


def assessment(method: str, result: str | None = None, **kw: Any) -> dict[str, Any]:
    return {"method": method, "result": result, "time": None, "evidence": ev(method), **kw}


def record(**changes: Any) -> dict[str, Any]:
    """A valid CaseReport dict: the empty record with sections (or 'section.key') replaced."""
    data = empty_case_report().model_dump()
    for key, value in changes.items():
        if "__" in key:
            section, name = key.split("__")
            data[section][name] = value
        else:
            data[key] = value
    return CaseReport.model_validate(data).model_dump()


def gold_record(doc_id: str, rec: dict[str, Any], annotated: list[str] | None = None) -> GoldRecord:
    return GoldRecord(
        document_id=doc_id,
        document_sha256=None,
        annotator="test",
        annotated_fields=annotated,
        notes=None,
        record=CaseReport.model_validate(rec),
    )


def extraction(
    doc_id: str, rec: dict[str, Any] | None, *, version: str = "v1", tokens: int = 100
) -> Extraction:
    failed = rec is None
    return Extraction(
        document=DocumentInfo(id=doc_id, path=None, sha256="0" * 64, chars=10),
        status="failed" if failed else "ok",
        record=None if failed else CaseReport.model_validate(rec),
        error=Failure(kind="invalid", message="test failure", attempts=3) if failed else None,
        grounding=None,
        provenance=Provenance(
            toolkit_version="test",
            prompt_version=version,
            prompt_sha256="f" * 64,
            model="test-double",
            endpoint="local",
            structured_output="json_schema",
            settings={},
            document_sha256="0" * 64,
            started_at="2025-01-01T00:00:00Z",
            finished_at="2025-01-01T00:00:01Z",
            timings={"total": 1.0},
            usage=Usage(
                prompt_tokens=tokens - 10, completion_tokens=10, total_tokens=tokens, calls=1
            ),
            passes=[],
        ),
    )
