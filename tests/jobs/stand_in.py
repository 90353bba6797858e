"""A stand-in extractor for runner tests: one chat call per document through a given transport.

It is the smallest thing that exercises the runner the way the real client does (HTTP through
`JobTransport`, validation, one re-ask, grounding, an `Extraction` either way); the tests that
need the real client use `abstraction.client` instead.
"""

from __future__ import annotations

import json
from datetime import datetime

import httpx
from pydantic import ValidationError

from abstraction.core.documents import Document
from abstraction.core.records import Extraction, Failure, Provenance, Usage
from abstraction.core.schema import CaseReport
from abstraction.extraction.merge import document_info
from abstraction.grounding.ground import ground_record
from abstraction.jobs.job import Extractor
from abstraction.jobs.runner import JobIdentity

IDENTITY = JobIdentity(
    prompt_version="stand-in",
    prompt_sha256="0" * 64,
    model="fault-model",
    endpoint="loopback",
    structured_output="json_schema",
    settings={"temperature": 0.0},
)
SCHEMA = CaseReport.model_json_schema()


def make_extractor(
    base_url: str, transport: httpx.AsyncBaseTransport, *, timeout: float = 1.0, reasks: int = 1
) -> tuple[Extractor, httpx.AsyncClient]:
    client = httpx.AsyncClient(base_url=base_url, transport=transport, timeout=timeout)

    async def extract(doc: Document) -> Extraction:
        started = datetime.now().astimezone().isoformat()
        body = {
            "model": "fault-model",
            "messages": [
                {"role": "system", "content": "Extract the case report as JSON."},
                {"role": "user", "content": doc.text},
            ],
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": "CaseReport", "schema": SCHEMA},
            },
        }
        failure: Failure | None = None
        calls = 0
        for _ in range(reasks + 1):
            calls += 1
            try:
                response = await client.post("/chat/completions", json=body)
            except httpx.TimeoutException as exc:
                failure = Failure(kind="timeout", message=repr(exc), attempts=calls)
                break
            except httpx.TransportError as exc:
                failure = Failure(kind="connection", message=repr(exc), attempts=calls)
                break
            if response.status_code != 200:
                failure = Failure(
                    kind="http", message=f"HTTP {response.status_code}", attempts=calls
                )
                break
            try:
                content = response.json()["choices"][0]["message"]["content"]
                record = CaseReport.model_validate_json(content)
            except (ValueError, KeyError, ValidationError) as exc:
                failure = Failure(
                    kind="invalid", message=str(exc)[:200], attempts=calls, last_output=content
                )
                continue
            grounded, summary = ground_record(record, doc.text)
            return _extraction(doc, started, "ok", grounded, None, summary, calls)
        return _extraction(doc, started, "failed", None, failure, None, calls)

    return extract, client


def _extraction(doc, started, status, record, error, grounding, calls) -> Extraction:  # type: ignore[no-untyped-def]
    return Extraction(
        document=document_info(doc),
        status=status,
        record=record,
        error=error,
        grounding=grounding,
        provenance=Provenance(
            toolkit_version="test",
            prompt_version=IDENTITY.prompt_version,
            prompt_sha256=IDENTITY.prompt_sha256,
            model=IDENTITY.model,
            endpoint=IDENTITY.endpoint,
            structured_output=IDENTITY.structured_output,
            settings=IDENTITY.settings,
            document_sha256=doc.sha256,
            started_at=started,
            finished_at=datetime.now().astimezone().isoformat(),
            timings={},
            usage=Usage(calls=calls),
            passes=[],
        ),
    )


def dumps(obj: object) -> str:
    return json.dumps(obj)


def offline_extractor(calls: list[str] | None = None, *, word: str = "") -> Extractor:
    """No HTTP at all: a minimal valid record for every document, at once (attack and fuzz
    tests).  Each document counts as one model call of 10 + 5 tokens on its meter, as a real
    call through `JobTransport` would; `word` changes the record (a "new prompt")."""
    from abstraction.jobs.transport import CURRENT_METER

    from .fault_server import answer_for

    async def extract(doc: Document) -> Extraction:
        if calls is not None:
            calls.append(doc.id)
        meter = CURRENT_METER.get()
        if meter is not None:
            meter.calls += 1
            meter.add("fault-model", 10, 5)
        started = datetime.now().astimezone().isoformat()
        record = CaseReport.model_validate(answer_for(SCHEMA, word))
        grounded, summary = ground_record(record, doc.text)
        return _extraction(doc, started, "ok", grounded, None, summary, 1)

    return extract
