"""Where the facts are in a `CaseReport`: the slots a reviewer decides on.

A *fact* is any object with an ``evidence`` key.  Every fact lives either in an optional slot
(``/patient/age``: a fact or null) or in a list slot (``/treatments``: zero or more facts), so
"reject" always has a meaning: null the optional slot, or drop the list item.  The slots are read
from the pydantic models, so a new schema field needs no change here.

The record schema is `CaseReport` unless a caller reviews records of another schema
(`abstraction.core.schemas`): `review_schema` sets it for everything inside it (the review app
sets it per request, from its run; `export_run` and `build_tables` for their run).
"""

from __future__ import annotations

import types
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel

from abstraction.core.schema import CaseReport
from abstraction.review import pointer as jp


@dataclass(frozen=True)
class Slot:
    pointer: str
    """Pointer of the optional field, or of the list for a list slot."""
    many: bool
    model: type[BaseModel]
    label: str

    @property
    def section(self) -> str:
        return jp.split(self.pointer)[0]

    @property
    def definition(self) -> str:
        """The fact model's name under ``$defs`` in the JSON schema."""
        return self.model.__name__


def _is_fact(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel) and "evidence" in tp.model_fields


def _strip_optional(tp: Any) -> tuple[Any, bool]:
    if get_origin(tp) in (Union, types.UnionType):
        args = [a for a in get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return tp, False


def _walk(model: type[BaseModel], tokens: list[str]) -> list[Slot]:
    slots: list[Slot] = []
    for name, info in model.model_fields.items():
        tp, _nullable = _strip_optional(info.annotation)
        here = [*tokens, name]
        label = " › ".join(t.replace("_", " ") for t in here)
        if get_origin(tp) is list and _is_fact(get_args(tp)[0]):
            slots.append(Slot(jp.join(list(here)), True, get_args(tp)[0], label))
        elif _is_fact(tp):
            slots.append(Slot(jp.join(list(here)), False, tp, label))
        elif isinstance(tp, type) and issubclass(tp, BaseModel):
            slots.extend(_walk(tp, here))
    return slots


_MODEL: ContextVar[type[BaseModel]] = ContextVar("abstraction_review_schema", default=CaseReport)


@contextmanager
def review_schema(model: type[BaseModel]) -> Iterator[None]:
    """Review records of `model` inside this block."""
    token = _MODEL.set(model)
    try:
        yield
    finally:
        _MODEL.reset(token)


def record_model() -> type[BaseModel]:
    """The record schema being reviewed (`review_schema`; `CaseReport` by default)."""
    return _MODEL.get()


def slots() -> tuple[Slot, ...]:
    """Every fact slot of the record schema (`record_model`), in schema order."""
    return _slots(_MODEL.get())


@lru_cache(maxsize=8)
def _slots(model: type[BaseModel]) -> tuple[Slot, ...]:
    return tuple(_walk(model, []))


def slot_of(pointer: str) -> tuple[Slot, str] | None:
    """The slot holding `pointer` and the pointer of the fact itself, or None.

    ``/treatments/2/dose`` -> (treatments slot, ``/treatments/2``);
    ``/patient/age/value`` -> (patient › age slot, ``/patient/age``).
    """
    for slot in slots():
        if not jp.is_within(pointer, slot.pointer):
            continue
        if not slot.many:
            return slot, slot.pointer
        rest = jp.split(pointer)[len(jp.split(slot.pointer)) :]
        if not rest:
            return None
        return slot, jp.join([*jp.split(slot.pointer), rest[0]])
    return None
