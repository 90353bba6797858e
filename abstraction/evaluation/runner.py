"""Run prompt versions over a suite: extract every document, then score it against gold.

The runner takes an open model client and an extraction function.  The default is the
pipeline ``abstraction extract`` ships (`abstraction.extraction.pipeline.extractor_for` the
model's configuration): long documents are split for its context and merged alike.  So
replaying recorded responses, calling a live model, or a test double are all the caller's
choice.  Extraction never raises for a model failure (it returns ``status="failed"``); such a
document scores zero and stays in the suite.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from abstraction.client import ModelConfig
from abstraction.core.documents import Document
from abstraction.core.errors import UserError
from abstraction.core.prompts import PromptSpec
from abstraction.core.records import Extraction, GoldRecord
from abstraction.core.schemas import RecordSchema
from abstraction.evaluation.compare import VersionInput
from abstraction.evaluation.counts import DocResult
from abstraction.evaluation.files import (
    gold_schema,
    prediction_from_extraction,
    read_gold,
    score_prediction,
)
from abstraction.evaluation.leakage import leaks_by_document
from abstraction.evaluation.principal import PrincipalScore, measure, read_labels, targets_for
from abstraction.evaluation.suite import Suite
from abstraction.extraction.extractor import Completer, run_sync

if TYPE_CHECKING:
    from abstraction.evaluation.systems import System

DocExtract = Callable[[Document], Extraction]


class ExtractFn(Protocol):
    def __call__(self, doc: Document, *, prompt: PromptSpec, client: Completer) -> Extraction: ...


@dataclass
class VersionRun:
    """One prompt version over the suite: extractions, wall seconds and scores, per document."""

    prompt: PromptSpec
    extractions: dict[str, Extraction] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    results: list[DocResult] = field(default_factory=list)
    latency_source: str = "wall"
    """'wall': seconds measured around each extraction here.  'recorded': the model calls'
    latency as measured when they were recorded (live or replayed, so both print the same);
    documents whose recordings predate stored latency are left out of ``seconds``."""
    name: str = ""
    """The system's name in reports (a prompt version for ours); empty: the prompt version."""
    system: dict[str, Any] = field(default_factory=dict)
    """What the system was given (`System.describe`); empty for a bare prompt version."""
    wall_seconds: dict[str, float] = field(default_factory=dict)
    """Wall-clock seconds around each document's extraction, for every system alike."""
    leaks: dict[str, list[str]] | None = None
    """The leakage evaluator's findings by document (`leaks_by_document`); None: not run."""
    principal: PrincipalScore | None = None
    """The principal-diagnosis measure (`abstraction.evaluation.principal`); None: the suite
    has no labels (neither a labels file nor gold with a principal diagnosis)."""

    @property
    def label(self) -> str:
        return self.name or self.prompt.version


def _recorded(client: Completer | None) -> tuple[float, int, int] | None:
    meter = getattr(client, "recorded_latency", None)
    return meter() if callable(meter) else None


def _default_extract(model: ModelConfig | None) -> ExtractFn:
    """The pipeline ``abstraction extract`` runs, with the parts it cuts for `model`."""
    from abstraction.extraction.pipeline import extractor_for  # the extraction layer, below us

    return extractor_for(model)


def load_suite_gold(suite: Suite) -> list[tuple[Document, GoldRecord]]:
    """Every suite document with its gold; a document without gold is a suite error."""
    pairs = []
    for path in suite.documents:
        doc = Document.from_path(path)
        gold_path = suite.gold_dir / f"{doc.id}.json"
        if not gold_path.is_file():
            raise UserError(f"suite {suite.name}: no gold {gold_path} for {path}")
        pairs.append((doc, read_gold(gold_path)))
    return pairs


def suite_schema(suite: Suite) -> RecordSchema:
    """The schema the suite's gold fills (they must all fill one)."""
    return gold_schema((g for _, g in load_suite_gold(suite)), f"suite {suite.name}")


def _check_schemas(suite: Suite, prompts: Sequence[PromptSpec], schema: RecordSchema) -> None:
    for p in prompts:
        if p.record_schema.ref != schema.ref:
            raise UserError(
                f"prompt {p.version} fills {p.record_schema.ref}, but suite {suite.name}'s gold "
                f"is of {schema.ref}"
            )


def run_suite(
    suite: Suite,
    prompts: list[PromptSpec],
    *,
    client: Completer,
    extract: ExtractFn | None = None,
    model: ModelConfig | None = None,
    details: bool = True,
    progress: Callable[[str, str], None] | None = None,
) -> list[VersionRun]:
    """Extract and score every suite document with every prompt version, in order.

    `model` is the configuration `client` was opened from: long documents are split for its
    context as ``abstraction extract`` splits them (None: the hosted-model part size)."""
    if not prompts:
        raise UserError("give at least one prompt version")
    versions = [p.version for p in prompts]
    if len(set(versions)) != len(versions):
        raise UserError(f"give each prompt version once (got {', '.join(versions)})")
    extract_fn = extract or _default_extract(model)
    plans: list[tuple[VersionRun, DocExtract]] = [
        (VersionRun(prompt=p), functools.partial(extract_fn, prompt=p, client=client))
        for p in prompts
    ]
    documents = load_suite_gold(suite)
    _check_schemas(suite, prompts, gold_schema((g for _, g in documents), suite.name))
    return _run(documents, suite, plans, client=client, details=details, progress=progress)


def run_systems(
    suite: Suite,
    systems: Sequence[System],
    *,
    client: Completer | None = None,
    details: bool = True,
    progress: Callable[[str, str], None] | None = None,
    documents: list[tuple[Document, GoldRecord]] | None = None,
) -> list[VersionRun]:
    """`run_suite` for `System`s (`abstraction.evaluation.systems`): each extracts every
    document in turn, scored alike.  `client` is the one they share, for its latency meter.
    `documents`: the suite's documents and gold as the caller already read them (None: read
    them here), so that what is scored is what the caller's tallies name."""
    names = [s.name for s in systems]
    if not systems or len(set(names)) != len(names):
        raise UserError(f"give at least one system, each once (got {', '.join(names)})")
    plans: list[tuple[VersionRun, DocExtract]] = []
    for system in systems:
        run = VersionRun(prompt=system.prompt, name=system.name, system=system.describe())
        plans.append((run, functools.partial(_sync_extract, system)))
    if documents is None:
        documents = load_suite_gold(suite)
    schema = gold_schema((g for _, g in documents), suite.name)
    _check_schemas(suite, [s.prompt for s in systems], schema)
    runs = _run(documents, suite, plans, client=client, details=details, progress=progress)
    texts = {doc.id: doc.text for doc, _ in documents}
    for run, system in zip(runs, systems, strict=True):
        run.leaks = leaks_by_document(run.extractions, system.given, texts)
    return runs


def _sync_extract(system: System, doc: Document) -> Extraction:
    return run_sync(system.extract(doc))


def _run(
    documents: list[tuple[Document, GoldRecord]],
    suite: Suite,
    plans: list[tuple[VersionRun, DocExtract]],
    *,
    client: Completer | None,
    details: bool,
    progress: Callable[[str, str], None] | None,
) -> list[VersionRun]:
    for run, extract_doc in plans:
        for doc, gold in documents:
            if progress:
                progress(run.label, doc.id)
            t0 = time.perf_counter()
            before = _recorded(client)
            ext = extract_doc(doc)
            wall = time.perf_counter() - t0
            after = _recorded(client)
            run.wall_seconds[doc.id] = wall
            if before is None or after is None:
                run.seconds[doc.id] = wall
            else:
                run.latency_source = "recorded"
                if after[2] == before[2]:  # every call of this document has a stored latency
                    run.seconds[doc.id] = after[0] - before[0]
            run.extractions[doc.id] = ext
            pred = prediction_from_extraction(ext)
            run.results.append(
                score_prediction(gold, pred, fields=suite.fields, details=details, text=doc.text)
            )
    _measure_principal(documents, suite, [run for run, _ in plans])
    return [run for run, _ in plans]


def _measure_principal(
    documents: list[tuple[Document, GoldRecord]], suite: Suite, runs: list[VersionRun]
) -> None:
    """Set each run's principal-diagnosis score, when the suite's documents have labels."""
    labels = read_labels(suite.principal_labels) if suite.principal_labels else None
    if labels is not None:
        by_id = labels.by_id()
        for doc, _ in documents:
            if doc.id in by_id:
                by_id[doc.id].check_text(doc.text)
    targets, source = targets_for({doc.id: gold for doc, gold in documents}, labels)
    if not targets:
        return
    texts = {doc.id: doc.text for doc, _ in documents}
    name = str(suite.principal_labels.name) if suite.principal_labels else source
    for run in runs:
        records = {d: (e.record if e.status == "ok" else None) for d, e in run.extractions.items()}
        run.principal = measure(targets, records, texts=texts, source=name)


def version_input(run: VersionRun) -> VersionInput:
    """What `compare` needs of a version's run: its scores, tokens, seconds and model."""
    usage = [e.provenance.usage for e in run.extractions.values()]
    models = sorted({e.provenance.model for e in run.extractions.values()})
    return VersionInput(
        prompt_version=run.label,
        prompt_sha256=run.prompt.sha256,
        results=run.results,
        model=", ".join(models) or None,
        prompt_tokens=sum(u.prompt_tokens for u in usage),
        completion_tokens=sum(u.completion_tokens for u in usage),
        total_tokens=sum(u.total_tokens for u in usage),
        seconds=sum(run.seconds.values()),
        seconds_documents=len(run.seconds),
        seconds_source=run.latency_source,
        not_extracted=run.prompt.not_extracted(),
        system=run.system,
        wall_seconds_per_document=(
            sum(run.wall_seconds.values()) / len(run.wall_seconds) if run.wall_seconds else None
        ),
        leaks=run.leaks,
        principal=run.principal,
    )
