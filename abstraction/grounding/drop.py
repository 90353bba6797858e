"""Take unsupported facts out of a record, keeping each one (with its path) beside it.

Grounding flags a fact ``unsupported`` when its quote is not in the text or does not state the
value (see `ground`).  A prompt can ask for those facts to leave the record (setting
``unsupported = "drop"``): a registry then never receives a value the text does not support.
They are not lost: the extraction lists them under ``dropped``, where a reviewer can see them.
"""

from __future__ import annotations

import types
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel

from abstraction.core.records import DroppedFact
from abstraction.core.schema import Evidence


def _unsupported(value: Any) -> bool:
    ev = getattr(value, "evidence", None)
    return isinstance(ev, Evidence) and ev.status == "unsupported"


def _nullable(model: BaseModel, name: str) -> bool:
    ann = type(model).model_fields[name].annotation
    return get_origin(ann) in (Union, types.UnionType) and type(None) in get_args(ann)


def _walk(model: BaseModel, path: str, out: list[DroppedFact]) -> None:
    for name in type(model).model_fields:
        value = getattr(model, name)
        here = f"{path}.{name}" if path else name
        if isinstance(value, list):
            kept = []
            for i, item in enumerate(value):
                if isinstance(item, BaseModel) and _unsupported(item):
                    out.append(_dropped(f"{here}[{i}]", item))
                    continue
                if isinstance(item, BaseModel):
                    _walk(item, f"{here}[{i}]", out)
                kept.append(item)
            if len(kept) != len(value):
                setattr(model, name, kept)
        elif isinstance(value, BaseModel) and not isinstance(value, Evidence):
            if _unsupported(value) and _nullable(model, name):
                out.append(_dropped(here, value))
                setattr(model, name, None)
            else:
                _walk(value, here, out)


def _dropped(path: str, fact: BaseModel) -> DroppedFact:
    ev = getattr(fact, "evidence", None)
    return DroppedFact(
        path=path, fact=fact.model_dump(mode="json"), note=ev.note if ev is not None else None
    )


def drop_unsupported(record: BaseModel) -> list[DroppedFact]:
    """Remove every ``unsupported`` fact from `record` (in place); return them, with the path
    each had (list indices as in the record before removal).  A fact whose field cannot be
    null stays, flagged (none in the current schema: every single fact is optional)."""
    out: list[DroppedFact] = []
    _walk(record, "", out)
    return out
