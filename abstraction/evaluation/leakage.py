"""Prompt leakage: words of a prompt that turn up in an output although the document lacks them.

Two checks:
- few-shot values (`leaked_values`): a value counts as leaked when it appears in the output,
  appears in an example answer, and does not occur in the document itself (so "PET/CT" in both
  the example and the case is not a leak);
- instruction words (`prompt_leaks`): a word of the prompt's own text (system message, every
  pass's instructions, its examples) inside an output value, when the document has no form of
  that word ("fever" from "for 'no fever', write 'fever'" on a case without fever).  English
  function words (`data/stopwords.txt`) and the schema's field names are not counted, nor are
  fixed-vocabulary fields (a category "radiotherapy" is the schema's word; a treatment *named*
  "radiotherapy" on a case without it is a leak).  The output is the record and the
  extraction's ``dropped`` list: grounding drops most such values, but the model still wrote
  them, and a check of the prompt must see them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from functools import cache
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel

from abstraction.core.denials import findings_denied_in
from abstraction.core.normalize import _basic
from abstraction.core.prompts import PromptSpec
from abstraction.core.records import Extraction
from abstraction.core.schema import CaseReport
from abstraction.core.vocab import function_words
from abstraction.grounding import normalize
from abstraction.grounding.support import word_forms


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


_WORD = re.compile(r"[a-z][a-z']{2,}")


def _words(text: str) -> set[str]:
    """Lower-case words of 3+ letters (after Unicode and punctuation normalisation)."""
    return set(_WORD.findall(_basic(text, {})))


def _args(annotation: Any) -> list[Any]:
    """`annotation` and, recursively, its type arguments."""
    out, stack = [], [annotation]
    while stack:
        ann = stack.pop()
        out.append(ann)
        if get_origin(ann) is not Literal:
            stack.extend(get_args(ann))
    return out


def _model_in(annotation: Any) -> type[BaseModel] | None:
    for ann in _args(annotation):
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            return ann
    return None


def _is_enum(annotation: Any) -> bool:
    return any(get_origin(a) is Literal for a in _args(annotation))


def _field_names(model: type[BaseModel], seen: set[type[BaseModel]]) -> Iterator[str]:
    if model in seen:
        return
    seen.add(model)
    for name, info in model.model_fields.items():
        yield from name.split("_")
        inner = _model_in(info.annotation)
        if inner is not None:
            yield from _field_names(inner, seen)


@cache
def schema_words() -> frozenset[str]:
    """Words of the schema's field names ("body", "site", "cause", "death"): a prompt names
    them to ask for them, and a value may well use them."""
    return frozenset(_field_names(CaseReport, set()))


def instruction_words(prompt: PromptSpec) -> frozenset[str]:
    """The words of `prompt`'s own text (system, instructions, examples) that could leak:
    not function words, not the schema's field names."""
    texts = [prompt.system]
    for spec in prompt.passes:
        texts.append(spec.instructions)
        texts.extend(t for ex in spec.examples for t in (ex.text, ex.answer))
    words = set().union(*(_words(t) for t in texts))
    return frozenset(words - function_words() - schema_words())


def _free_text(model: type[BaseModel] | None, data: Any) -> Iterator[str]:
    """The free-text strings of `data` (a dumped `model`): fixed-vocabulary fields (sex,
    category, status...) hold the schema's own words, not the model's, and are skipped."""
    if isinstance(data, list):
        for item in data:
            yield from _free_text(model, item)
    elif isinstance(data, dict):
        for key, value in data.items():
            info = model.model_fields.get(key) if model is not None else None
            if key in ("evidence", "quote") or (info is not None and _is_enum(info.annotation)):
                continue
            yield from _free_text(_model_in(info.annotation) if info else None, value)
    elif isinstance(data, str):
        yield data


def _model_at(path: str) -> type[BaseModel]:
    """The model a dropped item's dict holds, from its path ("treatments[2]", "patient.sex",
    "part1:treatments[2].dose" -> Treatment); a phrase a pass left out ("m:medications")
    gives `CaseReport`, whose fields its keys are not: all its strings count."""
    model: type[BaseModel] = CaseReport
    for part in path.split(":")[-1].split("."):
        info = model.model_fields.get(part.split("[")[0])
        inner = _model_in(info.annotation) if info is not None else None
        if inner is None:
            break
        model = inner
    return model


def output_strings(extraction: Extraction) -> list[str]:
    """Every free-text value the model gave (evidence, quotes and fixed-vocabulary fields
    excluded): the record's, and those of the facts and phrases in ``dropped``."""
    out: list[str] = []
    if extraction.record is not None:
        out.extend(_free_text(CaseReport, extraction.record.model_dump(mode="json")))
    for d in extraction.dropped:
        out.extend(_free_text(_model_at(d.path), d.fact))
    return out


def prompt_leaks(extraction: Extraction, prompt: PromptSpec, text: str) -> list[str]:
    """The instruction words of `prompt` in `extraction`'s free-text values that `text` has
    no form of (any inflection: "transfusions" in the text covers "transfusion"), sorted.  A
    finding the text denies in one word is a word of it ("afebrile" states "fever", absent:
    `abstraction.core.denials`), as the hand gold writes it."""
    candidates = instruction_words(prompt)
    found = {w for s in output_strings(extraction) for w in _words(s) if w in candidates}
    if not found:
        return []
    said = _words(text) | {w for name in findings_denied_in(text) for w in _words(name)}
    doc = set().union(*(word_forms(w) for w in said))
    return sorted(w for w in found if not word_forms(w) & doc)


def prompt_leaks_by_document(
    extractions: dict[str, Extraction], prompt: PromptSpec, texts: dict[str, str]
) -> dict[str, list[str]]:
    """`prompt_leaks` of each document (by id) that has any: empty means no leaks, which is
    what a default prompt must give (``assert not prompt_leaks_by_document(...)``)."""
    out = {}
    for doc_id, ext in extractions.items():
        leaked = prompt_leaks(ext, prompt, texts[doc_id])
        if leaked:
            out[doc_id] = leaked
    return out
