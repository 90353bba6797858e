"""Offline batches, first half: the request file for the OpenAI Batch API / ``vllm run-batch``.

`prepare_batch` writes one request line per (document part, prompt pass)::

    {"custom_id": "<doc>|<part>|<pass>", "method": "POST", "url": "/v1/chat/completions",
     "body": {"model": ..., "messages": [...], "response_format": {...}, ...}}

which is the input format of both the OpenAI Batch API and vLLM's ``run-batch``; the body is
the request the live client would send.  Next to it goes ``<file>.manifest.json``: the prompt,
model, chunking and where each document came from, so collecting needs nothing else.
Collecting the provider's answers is `abstraction.jobs.batch`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from abstraction.client.config import refuse_unenforced_patterns
from abstraction.client.openai_client import refuse_unenforced_pattern, response_format
from abstraction.core.documents import Document
from abstraction.core.errors import UserError
from abstraction.core.prompts import PassSpec, PromptSpec
from abstraction.core.schema import SCHEMA_VERSION
from abstraction.extraction import (
    answer_model,
    applies,
    build_messages,
    llm_schema,
    with_text_pattern,
)
from abstraction.extraction.chunking import ChunkSettings, part_document, plan_parts
from abstraction.extraction.output import atomic_write_bytes
from abstraction.grounding import strip_boilerplate
from abstraction.jobs.inputs import InputError, InputLimits, Source, discover, load

MANIFEST_FORMAT = "abstraction-batch/1"
URL = "/v1/chat/completions"
BATCH_MODES = ("json_schema", "json_object")
"""The structured-output modes a batch request can carry: the schema in ``response_format``
(OpenAI, vLLM), or written into the prompt with ``json_object``.  The llama.cpp modes (gbnf,
llguidance, json_object_schema) constrain a local server's answer; a batch endpoint has no
such field, so a request in them would carry no schema at all."""


def refuse_batch_mode(structured: str) -> None:
    """Raise `UserError` for a mode a batch request cannot carry (before anything is written)."""
    if structured not in BATCH_MODES:
        raise UserError(
            f"--structured {structured!r} cannot be used for a batch: a batch request carries "
            f"its schema only as {' or '.join(BATCH_MODES)} (json_schema for OpenAI and vLLM; "
            "gbnf, llguidance and json_object_schema are for a local llama.cpp server, live)"
        )


def custom_id(doc_id: str, part: int, pass_name: str) -> str:
    return f"{doc_id}|{part}|{pass_name}"


def request_body(
    unit: Document, prompt: PromptSpec, spec: PassSpec, *, model: str, structured: str
) -> dict[str, Any]:
    """The chat-completions body the live client sends for this pass of this text."""
    refuse_batch_mode(structured)
    settings = prompt.settings
    text = strip_boilerplate(unit.text)
    schema = with_text_pattern(
        llm_schema(spec, evidence_first=settings.evidence_first, quotes=settings.quotes),
        spec,
        text,
    )
    name = answer_model(spec, settings.quotes).__name__
    messages = build_messages(text, prompt, spec)
    refuse_unenforced_pattern(structured, schema)
    if structured == "json_object":
        schema_text = json.dumps(schema, separators=(",", ":"), ensure_ascii=False)
        last = {**messages[-1]}
        last["content"] += f"\n\nAnswer with JSON matching this schema: {schema_text}"
        messages = [*messages[:-1], last]
    body: dict[str, Any] = {
        "model": model,
        "messages": messages,
        "temperature": prompt.settings.temperature,
        "max_tokens": prompt.pass_settings(spec).max_tokens,
        "response_format": response_format(structured, name, schema),
    }
    if prompt.settings.seed is not None:
        body["seed"] = prompt.settings.seed
    return body


@dataclass
class PrepareSummary:
    requests: Path
    manifest: Path
    documents: int
    lines: int
    problems: list[tuple[str, str]] = field(default_factory=list)


def _source_json(s: Source) -> dict[str, Any]:
    return {
        "id": s.id,
        "origin": s.origin,
        "kind": s.kind,
        "path": str(s.path.resolve()),  # a batch is collected hours later, maybe elsewhere
        "line": s.line,
        "offset": s.offset,
        "size": s.size,
    }


def prepare_batch(
    inputs: list[str | Path],
    *,
    out: Path,
    prompt: PromptSpec,
    model: str,
    structured: str = "json_schema",
    chunking: ChunkSettings | None = None,
    limits: InputLimits | None = None,
    overwrite: bool = False,
) -> PrepareSummary:
    """Write the request JSONL and its manifest; bad inputs are listed, not fatal.  A mode a
    batch cannot carry is refused first (`refuse_batch_mode`), and so is a ``copy_words``
    prompt with ``json_object`` (its pattern would only be written into the prompt).  An
    existing request file or manifest is replaced only with `overwrite`."""
    refuse_batch_mode(structured)
    manifest_path = manifest_path_for(out)
    if not overwrite and (there := [p for p in (out, manifest_path) if p.exists()]):
        raise UserError(
            f"{there[0]} exists (a batch prepared before, maybe still running: its results "
            "are collected with this file and its manifest); choose another --out, or pass "
            "--overwrite to replace it"
        )
    refuse_unenforced_patterns(structured, prompt.version, prompt.pattern_passes)
    chunking = chunking or ChunkSettings()
    lines: list[str] = []
    docs: list[dict[str, Any]] = []
    problems: list[tuple[str, str]] = []
    for source in discover(inputs, exclude=[out, manifest_path_for(out)]):
        try:
            doc = load(source, limits=limits or InputLimits())
        except InputError as exc:
            problems.append((source.origin, str(exc)))
            continue
        parts = plan_parts(doc, chunking)
        skipped: list[list[Any]] = []
        for part in parts:
            unit = part_document(doc, part, len(parts))
            for spec in prompt.passes:
                if not applies(spec, unit):  # recorded as skipped when collected
                    skipped.append([part.index, spec.name])
                    continue
                body = request_body(unit, prompt, spec, model=model, structured=structured)
                line = {
                    "custom_id": custom_id(doc.id, part.index, spec.name),
                    "method": "POST",
                    "url": URL,
                    "body": body,
                }
                lines.append(json.dumps(line, ensure_ascii=False))
        docs.append(
            {
                "source": _source_json(source),
                "sha256": doc.sha256,
                "parts": [[p.start, p.end, p.section] for p in parts],
                **({"skipped": skipped} if skipped else {}),
            }
        )
    manifest = {
        "format": MANIFEST_FORMAT,
        "requests": out.name,
        "prompt_version": prompt.version,
        "prompt_sha256": prompt.sha256,
        "schema_version": SCHEMA_VERSION,
        "model": model,
        "structured": structured,
        "chunking": {"max_chars": chunking.max_chars, "overlap": chunking.overlap},
        "documents": docs,
    }
    atomic_write_bytes(out, ("\n".join(lines) + "\n" if lines else "").encode("utf-8"))
    atomic_write_bytes(manifest_path, json.dumps(manifest, indent=1).encode("utf-8"))
    return PrepareSummary(out, manifest_path, len(docs), len(lines), problems)


def manifest_path_for(requests: Path) -> Path:
    return requests.with_name(requests.name + ".manifest.json")
