"""What one prompt pass asks the model for: a response model and its JSON Schema.

A pass extracts some top-level sections of `CaseReport` (or of the schema its prompt names).
Its response model is a pydantic model with just those sections (so validation and re-asks use
the real schema), and its JSON Schema is the model's schema with each `Evidence` object replaced
by a plain quote string: the model supplies words from the text, never offsets, which grounding
computes.  Every property is required and extra keys are forbidden, which is what OpenAI
strict mode and llama.cpp's grammar both need; a field the pass omits (`PassSpec.omit`) is not
in the schema at all.  With `evidence_first`, each fact's quote is generated before its value.
With ``quotes="text"`` (prompt setting `quotes`) the schema has no quotes at all: the model writes
values only, and the response model fills each fact's missing quote with an empty one, for the
rules and grounding to take from the text.
"""

from __future__ import annotations

import copy
import json
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, create_model, model_validator

from abstraction.core.frozen import FrozenDict, freeze
from abstraction.core.prompts import PassSpec, Quotes
from abstraction.core.records import DroppedFact
from abstraction.core.schema import CaseReport, Strict
from abstraction.core.schemas import DEFAULT_SCHEMA_REF, resolve_schema
from abstraction.extraction.mentions import (
    copy_pattern,
    full_mentions,
    mention_sections,
    mentions_model,
)

QUOTE_SCHEMA = {
    "type": "string",
    "description": "Exact words copied from the document that state this fact.",
}


@lru_cache(maxsize=64)
def pass_model(sections: tuple[str, ...], model: type[BaseModel] = CaseReport) -> type[BaseModel]:
    """A model holding only `sections` of `model`, with the same field definitions."""
    fields: dict[str, Any] = {
        s: (model.model_fields[s].annotation, model.model_fields[s]) for s in sections
    }
    name = "Extract_" + "_".join(sections)
    return create_model(name, __base__=Strict, **fields)


def _clean(
    node: Any, *, evidence_first: bool, max_items: int | None = None, quotes: Quotes = "model"
) -> Any:
    """Drop schema titles and defaults; require every property; forbid extra keys; bound every
    array to `max_items` items when given; with ``quotes="text"``, no fact has a quote."""
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for k, v in node.items():
            if k in ("title", "default"):
                continue
            if k in ("properties", "$defs"):  # names here are fields, not schema keywords
                out[k] = {
                    n: _clean(s, evidence_first=evidence_first, max_items=max_items, quotes=quotes)
                    for n, s in v.items()
                }
                continue
            out[k] = _clean(v, evidence_first=evidence_first, max_items=max_items, quotes=quotes)
        if max_items is not None and out.get("type") == "array":
            out["maxItems"] = min(max_items, out.get("maxItems", max_items))
        if out.get("type") == "object" and "properties" in out:
            props = out["properties"]
            if quotes == "text" and "evidence" in props:
                props = {k: v for k, v in props.items() if k != "evidence"}
                out["properties"] = props
            if evidence_first and "evidence" in props:
                props = {
                    "evidence": props["evidence"],
                    **{k: v for k, v in props.items() if k != "evidence"},
                }
                out["properties"] = props
            out["required"] = list(props)
            out["additionalProperties"] = False
        return out
    if isinstance(node, list):
        return [
            _clean(v, evidence_first=evidence_first, max_items=max_items, quotes=quotes)
            for v in node
        ]
    return node


def _with_empty_quotes(data: Any, model: type[BaseModel]) -> Any:
    """`data` (an answer for `model`) with an empty quote for every fact that has none; a copy,
    walked along the model's own fields so that only facts (models with ``evidence``) get one."""
    if not isinstance(data, dict):
        return data
    out = dict(data)
    for name, info in model.model_fields.items():
        if name not in out:
            if name == "evidence":
                out[name] = ""
            continue
        inner = _models_in(info.annotation)
        if not inner:
            continue
        value = out[name]
        if isinstance(value, list):
            out[name] = [_fill_one(v, inner) for v in value]
        else:
            out[name] = _fill_one(value, inner)
    return out


def _fill_one(value: Any, models: list[type[BaseModel]]) -> Any:
    if not isinstance(value, dict):
        return value
    for m in models:  # the first model whose fields cover the keys (unions: one object kind)
        if set(value) <= set(m.model_fields):
            return _with_empty_quotes(value, m)
    return value


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """The pydantic models an annotation holds (through Optional, list, Annotated, unions)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    out: list[type[BaseModel]] = []
    for arg in getattr(annotation, "__args__", ()) or ():
        out += _models_in(arg)
    origin = getattr(annotation, "__origin__", None)
    if origin is not None and hasattr(annotation, "__metadata__"):  # Annotated[X, ...]
        out += _models_in(origin)
    return out


def _before(model: type[BaseModel], name: str, fill: Any) -> type[BaseModel]:
    """A subclass of `model` whose answers pass through ``fill(data)`` before validation."""
    validator: Any = model_validator(mode="before")(classmethod(lambda cls, data: fill(data)))  # type: ignore[arg-type]
    made: type[BaseModel] = create_model(
        model.__name__, __base__=model, __validators__={name: validator}
    )
    return made


@lru_cache(maxsize=64)
def _quoteless(model: type[BaseModel]) -> type[BaseModel]:
    """`model` that accepts facts without quotes (each gets an empty one, for the text)."""
    return _before(model, "_empty_quotes", lambda data: _with_empty_quotes(data, model))


def answer_model(spec: PassSpec, quotes: Quotes = "model") -> type[BaseModel]:
    """The response model of a pass: its sections, or `Mentions` for a ``mentions`` pass; with
    ``quotes="text"``, one that takes answers without quotes."""
    if spec.shape == "mentions":
        return mentions_model(
            spec.max_words,
            spec.max_items,
            tuple(spec.lists),
            spec.max_chars,
            spec.copy_words is not None,
        )
    model = pass_model(tuple(spec.sections), resolve_schema(spec.schema_ref).model)
    if spec.omit:
        model = _omitting(model, tuple(spec.omit))
    return _quoteless(model) if quotes == "text" else model


def _with_omitted(data: Any, omit: tuple[str, ...]) -> Any:
    """`data` (an answer) with each omitted ``section.field`` null where the answer has none;
    a copy (the section's object, or each item of its list)."""
    if not isinstance(data, dict):
        return data
    out = dict(data)
    for path in omit:
        section, field = path.split(".", 1)
        value = out.get(section)
        if isinstance(value, list):
            out[section] = [{field: None, **v} if isinstance(v, dict) else v for v in value]
        elif isinstance(value, dict):
            out[section] = {field: None, **value}
    return out


@lru_cache(maxsize=64)
def _omitting(model: type[BaseModel], omit: tuple[str, ...]) -> type[BaseModel]:
    """`model` that accepts answers without the `omit` fields (`PassSpec.omit`): null."""
    return _before(model, "_omitted", lambda data: _with_omitted(data, omit))


def answer_sections(
    spec: PassSpec, value: BaseModel, text: str
) -> tuple[dict[str, Any], list[DroppedFact]]:
    """The `CaseReport` sections (plain data) a validated answer of this pass on `text` fills,
    and what the pass's rules left out of them."""
    if spec.shape == "mentions":
        return mention_sections(
            full_mentions(value),
            text,
            split=spec.split,
            name_max_words=spec.name_max_words,
            split_clauses=spec.split_clauses,
            cut_at=spec.max_chars if spec.finish_cut else None,
            cut_lists=spec.copy_words is None,
        )
    return value.model_dump(), []


def _key(spec: PassSpec) -> tuple[str, ...]:
    if spec.schema_ref != DEFAULT_SCHEMA_REF:  # another schema's sections (never mentions)
        fill = ",".join(spec.fill) + ("|" + ",".join(spec.omit) if spec.omit else "")
        return ("<schema>", spec.schema_ref, str(spec.max_items or ""), fill, *spec.sections)
    if spec.shape == "mentions":
        limits = (spec.max_words, spec.max_items, spec.max_chars)
        kind = "<mentions>" if spec.copy_words is None else "<mentions-copied>"
        return (kind, *(str(v or "") for v in limits), *spec.lists)
    if spec.max_items is not None or spec.fill or spec.omit:
        fill = ",".join(spec.fill)
        if spec.omit:  # only then, so that other prompts' keys (and schemas) stay as they were
            fill += "|" + ",".join(spec.omit)
        return ("<sections>", str(spec.max_items or ""), fill, *spec.sections)
    return tuple(spec.sections)


def _omit(schema: dict[str, Any], paths: tuple[str, ...]) -> None:
    """Take each ``section.field`` of `paths` out of the schema (of the section's object, or
    of its list's items), in place."""
    defs = schema.get("$defs", {})

    def holder(node: dict[str, Any]) -> dict[str, Any]:
        node = node.get("items", node)
        if "anyOf" in node:  # an optional section object
            node = next(a for a in node["anyOf"] if a.get("type") != "null")
        ref = node.get("$ref")
        return defs[ref.split("/")[-1]] if isinstance(ref, str) else node

    for path in paths:
        section, field = path.split(".", 1)
        target = holder(schema["properties"][section])
        del target["properties"][field]
        if field in target.get("required", ()):
            target["required"] = [r for r in target["required"] if r != field]


def _fill(schema: dict[str, Any], paths: tuple[str, ...]) -> None:
    """Make each ``section.field`` of `paths` non-null (a list: at least one item), in place."""
    defs = schema.get("$defs", {})

    def resolve(node: dict[str, Any]) -> dict[str, Any]:
        ref = node.get("$ref")
        return defs[ref.split("/")[-1]] if isinstance(ref, str) else node

    for path in paths:
        section, field = path.split(".", 1)
        holder = resolve(schema["properties"][section])
        prop = holder["properties"][field]
        if "anyOf" in prop:
            kept = [a for a in prop["anyOf"] if a.get("type") != "null"]
            rest = {k: v for k, v in prop.items() if k != "anyOf"}
            prop = {**rest, **kept[0]} if len(kept) == 1 else {**rest, "anyOf": kept}
        if prop.get("type") == "array":
            prop = {**prop, "minItems": 1}
        holder["properties"][field] = prop


@lru_cache(maxsize=64)
def _llm_schema_json(sections: tuple[str, ...], evidence_first: bool, quotes: Quotes) -> str:
    model: type[BaseModel]
    bound: int | None = None
    fill = ""
    if sections[0] in ("<mentions>", "<mentions-copied>"):
        words, items, chars = (int(v) if v else None for v in sections[1:4])
        copied = sections[0] == "<mentions-copied>"
        model = mentions_model(words, items, tuple(sections[4:]), chars, copied)
    elif sections[0] == "<sections>":
        model = pass_model(sections[3:])
        bound, fill = int(sections[1]) if sections[1] else None, sections[2]
    elif sections[0] == "<schema>":
        model = pass_model(sections[4:], resolve_schema(sections[1]).model)
        bound, fill = int(sections[2]) if sections[2] else None, sections[3]
    else:
        model = pass_model(sections)
    schema = copy.deepcopy(model.model_json_schema())
    defs = schema.get("$defs", {})
    if "Evidence" in defs:
        defs["Evidence"] = dict(QUOTE_SCHEMA)
    fill, _, omit = fill.partition("|")
    if fill:
        _fill(schema, tuple(fill.split(",")))
    if omit:
        _omit(schema, tuple(omit.split(",")))
    cleaned = _clean(schema, evidence_first=evidence_first, max_items=bound, quotes=quotes)
    if quotes == "text" and "Evidence" in cleaned.get("$defs", {}):
        del cleaned["$defs"]["Evidence"]  # nothing refers to it
    return json.dumps(cleaned, ensure_ascii=False)


def llm_schema(spec: PassSpec, *, evidence_first: bool, quotes: Quotes = "model") -> dict[str, Any]:
    """The JSON Schema the model is constrained to for this pass (a fresh copy)."""
    loaded: dict[str, Any] = json.loads(_llm_schema_json(_key(spec), evidence_first, quotes))
    return loaded


@lru_cache(maxsize=64)
def _shared_llm_schema(
    sections: tuple[str, ...], evidence_first: bool, quotes: Quotes
) -> FrozenDict:
    frozen: FrozenDict = freeze(json.loads(_llm_schema_json(sections, evidence_first, quotes)))
    return frozen


def shared_llm_schema(
    spec: PassSpec, *, evidence_first: bool, quotes: Quotes = "model"
) -> FrozenDict:
    """`llm_schema`, as one read-only object shared by every call: what extraction sends with
    every document, with no per-document copy, and that the client serialises only once."""
    return _shared_llm_schema(_key(spec), evidence_first, quotes)


def _pattern_lists(node: Any, pattern: str) -> None:
    """Give every string that is a list's item in a schema `pattern` (in place)."""
    if isinstance(node, dict):
        items = node.get("items")
        if (
            node.get("type") == "array"
            and isinstance(items, dict)
            and items.get("type") == "string"
        ):
            items["pattern"] = pattern
        for value in node.values():
            _pattern_lists(value, pattern)
    elif isinstance(node, list):
        for value in node:
            _pattern_lists(value, pattern)


def with_text_pattern(schema: dict[str, Any], spec: PassSpec, text: str) -> dict[str, Any]:
    """`schema` (this pass's, a fresh copy) for `text`: for a pass with ``copy_words``, every
    phrase of a list gets the pattern of this text's own words (`copy_pattern`), in place;
    else as it is."""
    if spec.copy_words is not None:
        _pattern_lists(schema, copy_pattern(text, spec.copy_words))
    return schema


def document_llm_schema(
    spec: PassSpec, text: str, *, evidence_first: bool, quotes: Quotes = "model"
) -> FrozenDict:
    """The schema sent with this pass for `text`: `shared_llm_schema`, or for a pass with
    ``copy_words`` its own copy with this text's pattern (`with_text_pattern`)."""
    if spec.copy_words is None:
        return shared_llm_schema(spec, evidence_first=evidence_first, quotes=quotes)
    schema = llm_schema(spec, evidence_first=evidence_first, quotes=quotes)
    frozen: FrozenDict = freeze(with_text_pattern(schema, spec, text))
    return frozen
