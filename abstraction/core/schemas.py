"""Record schemas: the built-in `CaseReport`, or a user's model built from the same blocks.

A schema is named by its import path, ``package.module:ClassName`` (a prompt file's ``schema``
key, a gold file's ``schema`` key, an extraction's ``provenance.schema_ref``).  `resolve_schema`
imports it, checks it is built from the toolkit's building blocks, and returns a `RecordSchema`:
the model plus what every layer derives from it (its sections, its field paths, the empty
record a merge starts from, and an identity, the import path plus a hash of its JSON Schema).

The rules a schema must follow (docs/schemas.md):
- the record and every model in it derive from `Strict` (no extra keys);
- a *fact* is a model with an ``evidence: Evidence`` field; every other field of a fact
  carries a `Score` annotation (how it is compared with gold);
- a model without evidence is a *group* (like ``patient``): its fields are facts, optional
  facts, lists of facts or groups, never bare values (a value must have its quote);
- a list of facts declares ``Score.records(key, ...)``, the fields its items are paired on.

A module that cannot be imported from ``sys.path`` is looked up from the working directory too
(as ``python -m`` does), so ``examples.id_registry.schema:IdRegistry`` works from a checkout.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import sys
import types
import typing
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Union

from pydantic import BaseModel, create_model

from abstraction.core.errors import UserError
from abstraction.core.records import Extraction, GoldRecord
from abstraction.core.schema import (
    FIELD_PATHS,
    METADATA_SECTIONS,
    SECTIONS,
    CaseReport,
    Evidence,
    Strict,
    _field_paths,
)
from abstraction.core.scoring import Score

DEFAULT_SCHEMA_REF = "abstraction.core.schema:CaseReport"
"""The built-in case-report schema: what a prompt, gold or extraction without a schema fills."""


@dataclass(frozen=True)
class RecordSchema:
    """A resolved schema and what the layers derive from it."""

    ref: str
    model: type[BaseModel]
    sha256: str
    sections: tuple[str, ...]
    field_paths: tuple[str, ...]
    metadata_sections: frozenset[str]

    @property
    def builtin(self) -> bool:
        return self.model is CaseReport

    @property
    def identity(self) -> str:
        return f"{self.ref}@{self.sha256[:12]}"

    def collapse(self, paths: Iterable[str]) -> list[str]:
        """`paths` in schema order, a section named alone when all its fields are there."""
        given = set(paths)
        out: list[str] = []
        for section in self.sections:
            under = [p for p in self.field_paths if p.split(".")[0] == section]
            if all(p in given for p in under):
                out.append(section)
            else:
                out.extend(p for p in under if p in given)
        return out

    def empty(self) -> dict[str, Any]:
        """The record with every section present and nothing reported, as plain data."""
        return _empty(self.model)


def _strip_optional(annotation: Any) -> tuple[Any, bool]:
    if typing.get_origin(annotation) in (Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return annotation, False


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _is_fact(tp: Any) -> bool:
    return _is_model(tp) and "evidence" in tp.model_fields


def _empty(model: type[BaseModel]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        inner, optional = _strip_optional(info.annotation)
        if typing.get_origin(inner) is list:
            out[name] = []
        elif _is_model(inner) and not _is_fact(inner) and not optional:
            out[name] = _empty(inner)
        else:
            out[name] = None
    return out


def _scores(info: Any) -> list[Score]:
    return [m for m in info.metadata if isinstance(m, Score)]


def schema_problems(model: type[BaseModel]) -> list[str]:
    """Why `model` is not built from the building blocks (empty: it is)."""
    if not (_is_model(model) and issubclass(model, Strict)):
        return [f"{getattr(model, '__name__', model)!r} is not a model derived from Strict"]
    if _is_fact(model):
        return [f"{model.__name__} is a fact (it has evidence); the record must group facts"]
    return list(_group_problems(model, model.__name__))


def _group_problems(model: type[BaseModel], where: str) -> Iterator[str]:
    for name, info in model.model_fields.items():
        here = f"{where}.{name}"
        inner, _ = _strip_optional(info.annotation)
        if typing.get_origin(inner) is list:
            yield from _list_problems(inner, info, here)
        elif _is_fact(inner):
            yield from _fact_problems(inner, here)
        elif _is_model(inner):
            if not issubclass(inner, Strict):
                yield f"{here}: {inner.__name__} must derive from Strict"
            elif _holds_values(inner):
                yield (
                    f"{here}: {inner.__name__} holds values but has no `evidence: Evidence` "
                    "field; every fact needs the quote that states it"
                )
            else:
                yield from _group_problems(inner, here)
        else:
            yield (
                f"{here}: a bare value outside a fact has no evidence; make it a fact (a Strict "
                "model with the value and `evidence: Evidence`)"
            )


def _holds_values(model: type[BaseModel]) -> bool:
    """A model with a field that is neither a model nor a list of models: meant as a fact."""
    for info in model.model_fields.values():
        inner, _ = _strip_optional(info.annotation)
        args = typing.get_args(inner) if typing.get_origin(inner) is list else (inner,)
        if not any(_is_model(a) for a in args):
            return True
    return False


def _list_problems(annotation: Any, info: Any, here: str) -> Iterator[str]:
    args = typing.get_args(annotation)
    item: Any = args[0] if args else None
    if not _is_fact(item):
        name = getattr(item, "__name__", item)
        yield f"{here}: a list must hold facts (models with `evidence: Evidence`), not {name}"
        return
    scores = _scores(info)
    if not scores or scores[0].kind != "records" or not scores[0].key:
        yield f"{here}: a list of facts needs Score.records(key, ...) naming the fields to pair on"
    else:
        missing = [k for k in scores[0].key if k not in item.model_fields]
        if missing:
            yield f"{here}: Score.records keys {missing} are not fields of {item.__name__}"
    yield from _fact_problems(item, here)


def _fact_problems(fact: type[BaseModel], here: str) -> Iterator[str]:
    if not issubclass(fact, Strict):
        yield f"{here}: {fact.__name__} must derive from Strict"
    for name, info in fact.model_fields.items():
        if name == "evidence":
            if _strip_optional(info.annotation)[0] is not Evidence:
                yield f"{here}: {fact.__name__}.evidence must be of type Evidence"
            continue
        if not _scores(info):
            yield (
                f"{here}: {fact.__name__}.{name} has no Score annotation (say how it is "
                "compared: Annotated[..., Score.text()], Score.exact(), ...)"
            )
        inner, _ = _strip_optional(info.annotation)
        if _is_model(inner):
            yield f"{here}: {fact.__name__}.{name}: a fact holds values, not models"


def schema_sha256(model: type[BaseModel]) -> str:
    """The hash of the model's JSON Schema (key order fixed): its identity with its import path."""
    text = json.dumps(model.model_json_schema(), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _import(module: str) -> types.ModuleType:
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        cwd = str(Path.cwd())
        if cwd in sys.path or not (exc.name and module.startswith(exc.name)):
            raise
        sys.path.insert(0, cwd)  # like `python -m`: a checkout's own modules are importable
        return importlib.import_module(module)


@lru_cache(maxsize=32)
def resolve_schema(ref: str | None = None) -> RecordSchema:
    """The schema named ``package.module:ClassName`` (None: the built-in `CaseReport`).

    Raises `UserError` when it cannot be imported or is not built from the building blocks."""
    if ref is None or ref == DEFAULT_SCHEMA_REF:
        return _builtin()
    module, _, name = ref.partition(":")
    if not module or not name:
        raise UserError(f"schema {ref!r}: write it as 'package.module:ClassName'")
    try:
        found = _import(module)
    except ImportError as exc:
        raise UserError(f"schema {ref!r}: cannot import {module!r}: {exc}") from exc
    model = getattr(found, name, None)
    if model is None:
        raise UserError(f"schema {ref!r}: module {module!r} has no {name!r}")
    return schema_of_model(model, ref=ref)


def schema_of_model(model: Any, *, ref: str | None = None) -> RecordSchema:
    """The `RecordSchema` of a model class (`ref` defaults to its import path)."""
    if model is CaseReport:
        return _builtin()
    ref = ref or f"{getattr(model, '__module__', '?')}:{getattr(model, '__qualname__', '?')}"
    problems = schema_problems(model)
    if problems:
        raise UserError(
            f"schema {ref!r} is not built from the toolkit's building blocks:\n- "
            + "\n- ".join(problems)
        )
    sections = tuple(model.model_fields)
    return RecordSchema(
        ref=ref,
        model=model,
        sha256=schema_sha256(model),
        sections=sections,
        field_paths=tuple(_field_paths(model, "")),
        metadata_sections=frozenset(s for s in sections if s in METADATA_SECTIONS),
    )


@lru_cache(maxsize=1)
def _builtin() -> RecordSchema:
    return RecordSchema(
        ref=DEFAULT_SCHEMA_REF,
        model=CaseReport,
        sha256=schema_sha256(CaseReport),
        sections=SECTIONS,
        field_paths=FIELD_PATHS,
        metadata_sections=METADATA_SECTIONS,
    )


# --- the files, typed by their schema ---------------------------------------------------------


@lru_cache(maxsize=32)
def extraction_type(schema: RecordSchema) -> type[Extraction]:
    """`Extraction` with `record` of this schema (the class itself for `CaseReport`)."""
    if schema.builtin:
        return Extraction
    field: Any = (schema.model | None, Extraction.model_fields["record"])
    return create_model(f"Extraction_{schema.model.__name__}", __base__=Extraction, record=field)


@lru_cache(maxsize=32)
def gold_type(schema: RecordSchema) -> type[GoldRecord]:
    """`GoldRecord` with `record` of this schema (the class itself for `CaseReport`)."""
    if schema.builtin:
        return GoldRecord
    field = (schema.model, GoldRecord.model_fields["record"])
    return create_model(f"GoldRecord_{schema.model.__name__}", __base__=GoldRecord, record=field)


def _named(data: bytes | str | dict[str, Any], marker: str, get: Any) -> str | None:
    """The schema ref a file names (None: the built-in), reading JSON only when it may name one."""
    if isinstance(data, dict):
        return get(data)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if f'"{marker}"'.encode() not in raw:
        return None
    loaded = json.loads(raw)
    return get(loaded) if isinstance(loaded, dict) else None


def _extraction_ref(data: dict[str, Any]) -> str | None:
    prov = data.get("provenance")
    ref = prov.get("schema_ref") if isinstance(prov, dict) else None
    return ref if isinstance(ref, str) else None


def _gold_ref(data: dict[str, Any]) -> str | None:
    ref = data.get("schema", data.get("schema_ref"))
    return ref if isinstance(ref, str) else None


def load_extraction(data: bytes | str | dict[str, Any]) -> Extraction:
    """Validate an extraction file (bytes, text or parsed) against the schema it names.

    Raises pydantic's `ValidationError` for an invalid file, `UserError` for an unknown schema."""
    model = extraction_type(resolve_schema(_named(data, "schema_ref", _extraction_ref)))
    if isinstance(data, dict):
        return model.model_validate(data)
    return model.model_validate_json(data)


def is_gold_json(raw: bytes) -> bool:
    """Whether a file's bytes are a gold record (``"kind": "gold"`` at its top level, wherever
    the key stands; a gold written with sorted keys was read as a broken extraction until the
    twelfth session, when only its first 200 bytes were searched)."""
    if b'"gold"' not in raw:
        return False
    try:
        data = json.loads(raw)
    except ValueError:
        return False
    return isinstance(data, dict) and data.get("kind") == "gold"


def load_gold(data: bytes | str | dict[str, Any]) -> GoldRecord:
    """Validate a gold file (bytes, text or parsed) against the schema it names (``schema``)."""
    model = gold_type(resolve_schema(_named(data, "schema", _gold_ref)))
    if isinstance(data, dict):
        return model.model_validate(data)
    return model.model_validate_json(data)


def schema_of(record: Extraction | GoldRecord | BaseModel | None) -> RecordSchema:
    """The schema of an extraction, a gold record or a record model (None: the built-in)."""
    if isinstance(record, Extraction):
        return resolve_schema(record.provenance.schema_ref)
    if isinstance(record, GoldRecord):
        return resolve_schema(record.schema_ref)
    if record is None or isinstance(record, CaseReport):
        return _builtin()
    return schema_of_model(type(record))
