"""The exported JSON Schemas and validation of files against them (with jsonschema).

The schemas are generated from the pydantic models in serialization mode (so every key the
toolkit writes is required), committed under `schema/`, and checked by a test to be current.
Validation reports each problem with its JSON path, so a person can find it in the file.

A file of another record schema (`abstraction.core.schemas`: an extraction's
``provenance.schema_ref``, a gold file's ``schema``) is validated against that schema's files.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from jsonschema import Draft202012Validator
from pydantic import BaseModel

from abstraction.core.records import Extraction, GoldRecord
from abstraction.core.schema import SCHEMA_VERSION, CaseReport
from abstraction.core.schemas import (
    DEFAULT_SCHEMA_REF,
    extraction_type,
    gold_type,
    resolve_schema,
)

SchemaKind = Literal["extraction", "gold", "record"]
_MODELS: dict[str, type[BaseModel]] = {
    "extraction": Extraction,
    "gold": GoldRecord,
    "record": CaseReport,
}


def _model(kind: str, ref: str) -> type[BaseModel]:
    if ref == DEFAULT_SCHEMA_REF:
        return _MODELS[kind]
    schema = resolve_schema(ref)
    return {"extraction": extraction_type, "gold": gold_type}.get(kind, lambda s: s.model)(schema)


@lru_cache(maxsize=16)
def _schema(kind: str, ref: str = DEFAULT_SCHEMA_REF) -> str:
    schema = _model(kind, ref).model_json_schema(mode="serialization")
    name = SCHEMA_VERSION if ref == DEFAULT_SCHEMA_REF else ref.replace(":", ".")
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://abstraction.local/schema/{kind}-{name}.json",
        "x-schema-version": SCHEMA_VERSION,
        **({} if ref == DEFAULT_SCHEMA_REF else {"x-record-schema": ref}),
        **schema,
    }
    return json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def json_schema(kind: SchemaKind = "extraction", ref: str = DEFAULT_SCHEMA_REF) -> dict[str, Any]:
    """A fresh copy of the JSON Schema for `kind` (of the record schema `ref`)."""
    return json.loads(_schema(kind, ref))


def json_schema_text(kind: SchemaKind = "extraction", ref: str = DEFAULT_SCHEMA_REF) -> str:
    return _schema(kind, ref)


@dataclass(frozen=True)
class Problem:
    file: str
    json_path: str
    message: str


@lru_cache(maxsize=16)
def _validator(kind: str, ref: str = DEFAULT_SCHEMA_REF) -> Draft202012Validator:
    return Draft202012Validator(json_schema(kind, ref))  # type: ignore[arg-type]


def _ref_of(data: dict[str, Any]) -> str:
    prov = data.get("provenance")
    ref = prov.get("schema_ref") if isinstance(prov, dict) else data.get("schema")
    return ref if isinstance(ref, str) else DEFAULT_SCHEMA_REF


def validate_data(data: Any, *, file: str = "<data>") -> list[Problem]:
    """Problems with `data` (empty when valid).  The kind is read from its "kind" key."""
    if not isinstance(data, dict):
        return [Problem(file, "$", "top level must be a JSON object")]
    kind = data.get("kind")
    if kind not in ("extraction", "gold"):
        return [Problem(file, "$.kind", f"must be 'extraction' or 'gold', got {kind!r}")]
    errors = sorted(
        _validator(kind, _ref_of(data)).iter_errors(data), key=lambda e: list(e.absolute_path)
    )
    return [Problem(file, e.json_path, e.message) for e in errors]


def validate_file(path: Path) -> list[Problem]:
    try:
        data = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return [Problem(str(path), "$", "no such file")]
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return [Problem(str(path), "$", f"not valid JSON: {exc}")]
    except OSError as exc:  # a folder, a symlink loop, no permission: that file's problem
        return [Problem(str(path), "$", f"cannot read: {exc.strerror or exc}")]
    return validate_data(data, file=str(path))
