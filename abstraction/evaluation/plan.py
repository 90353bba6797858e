"""Compile the schema's `Score` annotations into a plan the scorer walks.

The plan is built once per schema model from pydantic's field metadata: every field either
carries a `Score` or is a nested model (which is then walked).  A field with neither is a
programming error, raised here, so a new schema field cannot slip by unscored.  The scorer then
works on plain dicts (``model_dump()``) guided by the plan, which keeps pydantic out of the hot
loop.

Paths are the schema paths of fields with list indices dropped: ``patient.age.value``,
``treatments.dose``; a list of records is itself a path (``treatments``) whose row counts the
items.  A *fact* is a model with an `Evidence` field; its path (``patient.age``,
``treatments``) carries the grounding figures.

The schema is `CaseReport` unless a caller scores records of another schema
(`abstraction.core.schemas`): `scoring_schema` sets it for everything scored and reported
inside it (every `compile_plan()` without a model), so the report code needs no schema argument.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Union

from pydantic import BaseModel

from abstraction.core.normalize import Lexicon, lexicon
from abstraction.core.schema import CaseReport, Evidence
from abstraction.core.scoring import Score
from abstraction.core.terms import Vocabulary, vocabulary

DEFAULT_THRESHOLDS = {"text": 85.0, "time": 90.0, "records": 50.0}
"""Per-kind defaults when a `Score` gives no threshold (rapidfuzz 0-100 scale).  Only the
bibliographic text fields (``source.*``: titles, journals, authors) are compared fuzzily; every
clinical text field is compared by `abstraction.core.terms` (no threshold), time
expressions by their canonical words, and list items pair only on matching keys."""

FUZZY_SECTIONS = ("source",)
"""Top-level sections whose text is bibliographic: compared with the fuzzy threshold."""


@dataclass(frozen=True, slots=True, eq=False)
class LeafPlan:
    """A scored value: `many` for a list of plain values (e.g. body sites).

    Plan nodes compare and hash by identity (eq=False): they are built once and used as keys."""

    name: str
    path: str
    kind: str
    score: Score
    many: bool
    threshold: float
    lexicon: Lexicon | None
    fact: str | None
    vocab: Vocabulary | None = None
    """Clinical text: compared as terms (`abstraction.core.terms`), not fuzzily."""
    in_name: str | None = None
    """The sibling field whose words may state this one: a finding's body site written in its
    name ("gum bleeding"), when the name's `Score` names this field as its qualifiers."""


@dataclass(frozen=True, slots=True, eq=False)
class RecordsPlan:
    """A list of records, matched one-to-one on `key` leaves of `item`."""

    name: str
    path: str
    item: ModelPlan
    key: tuple[LeafPlan, ...]
    ordered: bool
    threshold: float
    polarity: LeafPlan | None = None
    """The item field whose opposite values never pair (`Score.polarity`)."""


@dataclass(frozen=True, slots=True, eq=False)
class ModelPlan:
    """A model: its fields in schema order, and the name of its evidence field if it is a fact."""

    path: str
    fields: tuple[tuple[str, LeafPlan | ModelPlan | RecordsPlan], ...]
    evidence: str | None
    flat: tuple[LeafPlan, ...] | None = None
    """The leaves, when every field is a leaf (list items): scored without recursion."""

    def walk(self) -> typing.Iterator[LeafPlan | ModelPlan | RecordsPlan]:
        """Every plan node below this one (this one first), depth first."""
        yield self
        for _, node in self.fields:
            if isinstance(node, ModelPlan):
                yield from node.walk()
            elif isinstance(node, RecordsPlan):
                yield node
                yield from node.item.walk()
            else:
                yield node


def _strip_optional(annotation: Any) -> tuple[Any, bool]:
    origin = typing.get_origin(annotation)
    if origin in (Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return annotation, False


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _child_path(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _compile_model(model: type[BaseModel], path: str, fact: str | None) -> ModelPlan:
    evidence = next(
        (n for n, f in model.model_fields.items() if _strip_optional(f.annotation)[0] is Evidence),
        None,
    )
    own_fact = path if evidence else fact
    fields: list[tuple[str, LeafPlan | ModelPlan | RecordsPlan]] = []
    named_in = {
        m.qualifiers: name
        for name, info in model.model_fields.items()
        for m in info.metadata
        if isinstance(m, Score) and m.qualifiers
    }
    for name, info in model.model_fields.items():
        here = _child_path(path, name)
        scores = [m for m in info.metadata if isinstance(m, Score)]
        inner, _ = _strip_optional(info.annotation)
        if scores and scores[0].kind == "ignore":
            continue
        if not scores:
            if not _is_model(inner):
                raise TypeError(f"{model.__name__}.{name} has no Score annotation")
            fields.append((name, _compile_model(inner, here, own_fact)))
            continue
        score = scores[0]
        if score.kind == "records":
            fields.append((name, _compile_records(name, here, inner, score)))
        else:
            leaf = _compile_leaf(name, here, inner, score, own_fact)
            if name in named_in:
                leaf = dataclasses.replace(leaf, in_name=named_in[name])
            fields.append((name, leaf))
    _check_units(model, fields)
    leaves = tuple(n for _, n in fields if isinstance(n, LeafPlan))
    flat = leaves if len(leaves) == len(fields) else None
    return ModelPlan(path=path, fields=tuple(fields), evidence=evidence, flat=flat)


def _compile_leaf(name: str, path: str, inner: Any, score: Score, fact: str | None) -> LeafPlan:
    many = typing.get_origin(inner) is list
    threshold = (
        score.threshold if score.threshold is not None else DEFAULT_THRESHOLDS.get(score.kind, 0.0)
    )
    lex = lexicon(score.synonyms) if score.kind == "text" else None
    clinical = score.kind == "text" and path.split(".")[0] not in FUZZY_SECTIONS
    vocab = vocabulary(score.synonyms) if clinical else None
    return LeafPlan(name, path, score.kind, score, many, threshold, lex, fact, vocab)


def _compile_records(name: str, path: str, inner: Any, score: Score) -> RecordsPlan:
    args = typing.get_args(inner)
    if typing.get_origin(inner) is not list or not args or not _is_model(args[0]):
        raise TypeError(f"{path}: Score.records() needs a list of models, got {inner!r}")
    item = _compile_model(args[0], path, None)
    leaves = {n: node for n, node in item.fields if isinstance(node, LeafPlan)}
    missing = [k for k in score.key if k not in leaves]
    if not score.key or missing:
        raise TypeError(f"{path}: record keys {missing or '(none)'} are not scored fields")
    threshold = score.threshold if score.threshold is not None else DEFAULT_THRESHOLDS["records"]
    if score.polarity is not None and score.polarity not in leaves:
        raise TypeError(f"{path}: polarity field {score.polarity!r} is not a scored field")
    keys = tuple(leaves[k] for k in score.key)
    polarity = leaves[score.polarity] if score.polarity is not None else None
    return RecordsPlan(name, path, item, keys, score.ordered, threshold, polarity)


def _check_units(model: type[BaseModel], fields: list[tuple[str, Any]]) -> None:
    for _, node in fields:
        if isinstance(node, LeafPlan) and node.score.unit:
            unit = node.score.unit
            if unit not in model.model_fields or any(n == unit for n, _ in fields):
                raise TypeError(
                    f"{node.path}: unit field {unit!r} must exist and be marked Score.ignore()"
                )


_SCHEMA: ContextVar[type[BaseModel]] = ContextVar("abstraction_scoring_schema", default=CaseReport)


@contextmanager
def scoring_schema(model: type[BaseModel] | None) -> Iterator[None]:
    """Score and report records of `model` inside this block (None: leave it as it is)."""
    if model is None:
        yield
        return
    token = _SCHEMA.set(model)
    try:
        yield
    finally:
        _SCHEMA.reset(token)


def current_schema() -> type[BaseModel]:
    """The schema model `scoring_schema` set (`CaseReport` by default)."""
    return _SCHEMA.get()


def compile_plan(model: type[BaseModel] | None = None) -> ModelPlan:
    """The scoring plan of a schema model (default: the current one, `scoring_schema`)."""
    return _compile_plan(model or _SCHEMA.get())


@lru_cache(maxsize=8)
def _compile_plan(model: type[BaseModel]) -> ModelPlan:
    """Cached: a schema does not change at run time."""
    return _compile_model(model, "", None)


def leaf_paths(plan: ModelPlan) -> list[str]:
    return [n.path for n in plan.walk() if isinstance(n, LeafPlan)]


def all_paths(plan: ModelPlan) -> set[str]:
    """Every path a gold file may name in `annotated_fields`."""
    return {n.path for n in plan.walk() if n.path}
