"""Few-shot leakage: values from a prompt's fictional examples that turn up in an output.

A value counts as leaked when it appears in the output, appears in an example answer, and does
not occur in the document itself (so "PET/CT" in both the example and the case is not a leak).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from abstraction.core.prompts import PromptSpec
from abstraction.core.records import Extraction
from abstraction.grounding import normalize


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for k, v in node.items():
            if k not in ("evidence", "quote"):
                yield from _strings(v)
    elif isinstance(node, list):
        for v in node:
            yield from _strings(v)
    elif isinstance(node, str | int | float) and not isinstance(node, bool):
        yield str(node)


def example_values(prompt: PromptSpec) -> set[str]:
    """Normalised leaf values of every example answer in `prompt` (evidence excluded)."""
    values: set[str] = set()
    for spec in prompt.passes:
        for ex in spec.examples:
            values.update(normalize(s) for s in _strings(json.loads(ex.answer)))
    return {v for v in values if len(v) >= 3}


def leaked_values(extraction: Extraction, prompt: PromptSpec, text: str) -> list[str]:
    """Example values present in the output but absent from the document text."""
    if extraction.record is None:
        return []
    return leaked_strings(
        example_values(prompt), _strings(extraction.record.model_dump(mode="json")), text
    )


def leaked_strings(examples: set[str], values: Iterable[str], text: str) -> list[str]:
    """The normalised `examples` among `values` that the document `text` does not contain.

    Shared by `leaked_values` and `leaks_by_document`, so every system in the harness is held
    to the same rule.
    """
    doc = normalize(text)
    out = {normalize(s) for s in values}
    return sorted(v for v in examples & out if v not in doc)


def leaks_by_document(
    extractions: dict[str, Extraction], prompt: PromptSpec, texts: dict[str, str]
) -> dict[str, list[str]]:
    """The leakage evaluator over one system's outputs: `leaked_values` of each document
    (by id) that leaks any, against `prompt`'s examples.  A system that was not shown the
    examples is held to the same rule: what it "leaks" is the rate of chance agreement."""
    examples = example_values(prompt)
    out = {}
    for doc_id, ext in extractions.items():
        if ext.record is None:
            continue
        values = _strings(ext.record.model_dump(mode="json"))
        leaked = leaked_strings(examples, values, texts[doc_id])
        if leaked:
            out[doc_id] = leaked
    return out
