"""What produced an extraction, and the record of one that failed: built here and nowhere else.

The extractor (`DocumentRun.finish`), the job runner (a document whose input was rejected or
whose extraction crashed) and ``batch collect`` all describe their model the same way, as the
open client's `describe()` does: ``model``, ``model_sha256`` (the embedded model's file),
``endpoint`` and ``structured``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import cache
from typing import Any

from abstraction.core.hashing import files_sha256
from abstraction.core.prompts import PromptSpec
from abstraction.core.records import (
    DocumentInfo,
    Extraction,
    Failure,
    PassRecord,
    Provenance,
    Usage,
)
from abstraction.core.version import __version__

_POSTPROCESSING = (
    "extraction/rules.py",
    "extraction/text_rules.py",
    "extraction/mentions.py",
    "extraction/merge.py",
    "grounding",
    "core/terms.py",
    "core/denials.py",
    "core/normalize.py",
    "core/vocab.py",
    "data",
)
"""What turns a model's answers into a record, besides the prompt (the package's own files)."""


@cache
def code_sha256() -> str:
    """sha256 over `_POSTPROCESSING`'s files, in path order (`Provenance.code_sha256`)."""
    return files_sha256(_POSTPROCESSING)


def now_iso() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")


def provenance(
    *,
    prompt_version: str,
    prompt_sha256: str,
    settings: dict[str, Any],
    described: Mapping[str, Any],
    document_sha256: str,
    started_at: str,
    finished_at: str,
    timings: dict[str, float] | None = None,
    usage: Usage | None = None,
    passes: Sequence[PassRecord] = (),
    schema_ref: str | None = None,
    schema_sha256: str | None = None,
) -> Provenance:
    """The provenance of one extraction by the model `described` (a client's `describe()`).

    `schema_ref` and `schema_sha256` name a record schema other than the built-in one."""
    return Provenance(
        toolkit_version=__version__,
        schema_ref=schema_ref,
        schema_sha256=schema_sha256,
        prompt_version=prompt_version,
        prompt_sha256=prompt_sha256,
        code_sha256=code_sha256(),
        model=described["model"],
        model_sha256=described.get("model_sha256"),
        endpoint=described["endpoint"],
        structured_output=described["structured"],
        settings=settings,
        document_sha256=document_sha256,
        started_at=started_at,
        finished_at=finished_at,
        timings=timings or {},
        usage=usage or Usage(),
        passes=list(passes),
    )


def prompt_provenance(
    prompt: PromptSpec, described: Mapping[str, Any], **fields: Any
) -> Provenance:
    """`provenance` for an extraction with `prompt` (and the schema it fills, unless built in)."""
    schema = prompt.record_schema
    if not schema.builtin:
        fields = {"schema_ref": schema.ref, "schema_sha256": schema.sha256, **fields}
    return provenance(
        prompt_version=prompt.version,
        prompt_sha256=prompt.sha256,
        settings=prompt.settings_dict(),
        described=described,
        **fields,
    )


def failed_extraction(
    info: DocumentInfo, *, kind: str, message: str, usage: Usage | None = None, **made_by: Any
) -> Extraction:
    """A failed record, no record in it, for a document that never reached (or crashed
    outside) the extractor; `made_by` is what `provenance` takes to say what would have made
    it (prompt version, hash and settings, the `described` model)."""
    now = now_iso()
    return Extraction(
        document=info,
        status="failed",
        record=None,
        error=Failure(kind=kind, message=message, attempts=usage.calls if usage else 0),
        grounding=None,
        provenance=provenance(
            **made_by,
            document_sha256=info.sha256,
            started_at=now,
            finished_at=now,
            usage=usage,
        ),
    )
