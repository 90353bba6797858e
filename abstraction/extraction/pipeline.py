"""One document in, one `Extraction` out: the path every command takes.

``abstraction extract`` (through the job runner, which adds the cache and the run log),
``abstraction eval``, ``batch collect`` and the library's `abstraction.extract` all go through
`aextract_parts` (sync callers through `extract`, a wrapper over the same async core):

1. the document is cut into parts that fit the model's context (`chunk_settings`,
   `plan_parts`); a short document is one part, the document itself;
2. each part is extracted by a *part extractor*: the prompt's passes against a model client
   (`aextract_document`), a cache lookup in front of it (the job runner), or answers read from
   a batch file (``batch collect``);
3. the parts' extractions are joined into the document's (`join_parts`): one part keeps its
   extraction, evidence located in the document's pages and sections; several are merged.

So a suite measured by ``eval`` is split, extracted and merged exactly as ``extract`` ships it.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Sequence

from abstraction.client import ModelConfig
from abstraction.core.documents import Document
from abstraction.core.prompts import PromptSpec
from abstraction.core.records import Extraction
from abstraction.extraction.chunking import (
    ChunkSettings,
    Part,
    part_budget,
    part_document,
    plan_parts,
)
from abstraction.extraction.extractor import Blocking, Completer, aextract_document, run_sync
from abstraction.extraction.merge import document_info, locate_evidence, merge_extractions

PartExtractor = Callable[[Document], Awaitable[Extraction]]
"""Extracts one part (a `Document` of its own, see `part_document`)."""

DEFAULT_OVERLAP = 1_000


def chunk_settings(
    prompt: PromptSpec,
    model: ModelConfig | None = None,
    *,
    max_part_chars: int | None = None,
    overlap: int = DEFAULT_OVERLAP,
) -> ChunkSettings:
    """How long documents are split for `prompt` on `model`: `max_part_chars`, else the
    embedded model's context minus the prompt's answer budget, else the hosted default."""
    local = model is not None and model.is_local
    budget = max_part_chars or part_budget(
        n_ctx=model.n_ctx if model is not None and local else None,
        max_tokens=prompt.settings.max_tokens,
    )
    return ChunkSettings(max_chars=budget, overlap=min(overlap, budget // 2 - 1))


def join_parts(doc: Document, parts: Sequence[Part], results: list[Extraction]) -> Extraction:
    """The document's extraction from its parts' (same order).  One part: its extraction,
    which is ours to change (a fresh one or parsed from a cache), said to be of the whole
    document with its evidence located; several: merged (`merge_extractions`)."""
    if len(parts) == 1:
        final = results[0]
        final.document = document_info(doc)
        if final.record is not None:
            locate_evidence(final.record, doc)
        return final
    return merge_extractions(doc, list(parts), results)


async def aextract_parts(
    doc: Document, parts: Sequence[Part], extract_part: PartExtractor
) -> Extraction:
    """Extract each of `doc`'s `parts` (one after another) with `extract_part`, then join."""
    results = [await extract_part(part_document(doc, p, len(parts))) for p in parts]
    return join_parts(doc, parts, results)


async def aextract(
    doc: Document,
    *,
    prompt: PromptSpec,
    client: Completer,
    chunking: ChunkSettings | None = None,
) -> Extraction:
    """Split `doc` (by default as for a hosted model: `chunk_settings`), run every pass of
    `prompt` on each part, join."""
    parts = plan_parts(doc, chunking or chunk_settings(prompt))
    one = functools.partial(aextract_document, prompt=prompt, client=client)
    return await aextract_parts(doc, parts, one)


def extract(
    doc: Document,
    *,
    prompt: PromptSpec,
    client: Completer,
    chunking: ChunkSettings | None = None,
) -> Extraction:
    """`aextract` with the client's sync calls (``complete``)."""
    return run_sync(aextract(doc, prompt=prompt, client=Blocking(client), chunking=chunking))


def extractor_for(
    model: ModelConfig | None, *, max_part_chars: int | None = None
) -> Callable[..., Extraction]:
    """``fn(doc, *, prompt, client)``: `extract` with the parts ``abstraction extract`` would
    cut for that prompt on `model` (the evaluation runner's extraction function)."""

    def run(doc: Document, *, prompt: PromptSpec, client: Completer) -> Extraction:
        chunking = chunk_settings(prompt, model, max_part_chars=max_part_chars)
        return extract(doc, prompt=prompt, client=client, chunking=chunking)

    return run
