"""What a job is told and what it reports: identity, options, outcomes, summary.

Plain data shared by the live runner (`runner`) and `batch collect`; no I/O here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from abstraction.core.records import DocumentInfo, Extraction, Usage
from abstraction.extraction.chunking import ChunkSettings
from abstraction.extraction.provenance import failed_extraction
from abstraction.jobs.cache import cache_key
from abstraction.jobs.inputs import InputLimits
from abstraction.jobs.prices import PriceTable
from abstraction.jobs.store import DocumentRow
from abstraction.jobs.transport import CallMeter, RetryPolicy

DocStatus = Literal["ok", "cached", "failed", "skipped"]
Stopped = Literal["budget", "interrupted", "failed"]


@dataclass(frozen=True)
class JobIdentity:
    """What decides an extraction's result besides the text: the cache key's other half."""

    prompt_version: str
    prompt_sha256: str
    model: str
    endpoint: str
    structured_output: str
    settings: dict[str, Any]
    not_extracted: tuple[str, ...] = ()
    """`PromptSpec.not_extracted`: given to cache entries written before extractions said it
    (the prompt's hash is in the key, so it is the same prompt's answer), and to a fresh
    extraction whose extractor does not say, so that both write the same bytes."""

    def key(self, document_sha256: str) -> str:
        return cache_key(
            document_sha256=document_sha256,
            prompt_sha256=self.prompt_sha256,
            model=self.model,
            settings={"structured_output": self.structured_output, **self.settings},
        )


@dataclass(frozen=True)
class JobOptions:
    """Everything else a job can be told; the defaults suit a local or hosted model."""

    cache_dir: Path | None = None
    limits: InputLimits = field(default_factory=InputLimits)
    chunking: ChunkSettings = field(default_factory=ChunkSettings)
    prices: PriceTable | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    log_bodies: bool = False
    """Store every request and response body (so every document's text) in the run store."""
    use_cache: bool = True


@dataclass(frozen=True)
class ProgressUpdate:
    total: int
    done: int
    ok: int
    cached: int
    failed: int
    skipped: int
    cost: float | None
    last_id: str
    last_status: DocStatus


ProgressCallback = Callable[[ProgressUpdate], None]


@dataclass
class DocumentOutcome:
    id: str
    origin: str
    status: DocStatus
    error_kind: str | None = None
    error: str | None = None
    output: str | None = None
    parts: int = 0
    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float | None = 0.0
    seconds: float = 0.0
    sha256: str | None = None
    chars: int | None = None
    cache_key: str | None = None

    def row(self) -> DocumentRow:
        """The run store's row for this outcome (shared by live jobs and `batch collect`)."""
        return DocumentRow(
            doc_id=self.id,
            origin=self.origin,
            status=self.status,
            error_kind=self.error_kind,
            error=self.error,
            output=self.output,
            parts=self.parts or None,
            calls=self.calls,
            prompt_tokens=self.prompt_tokens,
            completion_tokens=self.completion_tokens,
            cost=self.cost,
            seconds=round(self.seconds, 4),
            sha256=self.sha256,
            chars=self.chars,
            cache_key=self.cache_key,
        )


@dataclass
class JobSummary:
    run_id: str
    store_path: Path
    out_dir: Path
    total: int
    outcomes: list[DocumentOutcome] = field(default_factory=list)
    seconds: float = 0.0
    stopped: Stopped | None = None
    error: str | None = None
    """Why the job stopped early when ``stopped == "failed"`` (a full disk, an unwritable
    output folder or run store); the documents it did not reach are ``skipped``."""
    problems: list[str] = field(default_factory=list)
    """What was wrong with the inputs as a whole and left out (``batch collect``: lines of the
    results file that are no batch output, duplicates, answers to no request of the batch)."""

    def count(self, status: DocStatus) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def failures(self) -> list[DocumentOutcome]:
        return [o for o in self.outcomes if o.status == "failed"]

    @property
    def calls(self) -> int:
        return sum(o.calls for o in self.outcomes)

    @property
    def prompt_tokens(self) -> int:
        return sum(o.prompt_tokens for o in self.outcomes)

    @property
    def completion_tokens(self) -> int:
        return sum(o.completion_tokens for o in self.outcomes)

    @property
    def cost(self) -> float | None:
        """Dollars spent, or None when a model used had no price in the table."""
        costs = [o.cost for o in self.outcomes]
        return None if any(c is None for c in costs) else sum(c for c in costs if c is not None)


def meter_cost(meter: CallMeter, prices: PriceTable, fallback_model: str) -> float | None:
    if meter.cancelled_calls:
        return None  # a call cut short by Ctrl-C may have been answered and billed
    if not meter.models:
        if meter.prompt_tokens == meter.completion_tokens == 0:
            return 0.0
        return prices.cost(fallback_model, meter.prompt_tokens, meter.completion_tokens)
    total = 0.0
    for model, (prompt, completion) in meter.models.items():
        cost = prices.cost(model, prompt, completion)
        if cost is None:
            cost = prices.cost(fallback_model, prompt, completion)
        if cost is None:
            return None
        total += cost
    return total


def failure_extraction(
    info: DocumentInfo,
    identity: JobIdentity,
    *,
    kind: str,
    message: str,
    usage: Usage | None = None,
) -> Extraction:
    """`failed_extraction` with the job's identity."""
    return failed_extraction(
        info,
        prompt_version=identity.prompt_version,
        prompt_sha256=identity.prompt_sha256,
        settings=identity.settings,
        described={
            "model": identity.model,
            "endpoint": identity.endpoint,
            "structured": identity.structured_output,
        },
        kind=kind,
        message=message,
        usage=usage,
    )
