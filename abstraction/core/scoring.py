"""How each schema field is scored, declared once next to the schema.

The schema attaches a `Score` to a field with `typing.Annotated`; the evaluation layer reads it
from the pydantic field metadata.  Keeping the declaration here (plain data, no scoring code)
means a new field cannot be added without saying how it is compared.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ScoreKind = Literal["exact", "number", "text", "time", "records", "ignore"]


@dataclass(frozen=True)
class Score:
    """A field's comparison rule.

    kind: ``exact`` (enums, booleans), ``number`` (with `tolerance`, relative), ``text``
    (normalised then fuzzy, with the synonym list named by `synonyms`), ``time`` (normalised
    time expressions), ``records`` (a list of objects matched one-to-one on `key` fields, with
    `ordered` saying whether the order itself is scored), ``ignore``.
    """

    kind: ScoreKind
    synonyms: str | None = None
    tolerance: float = 0.0
    key: tuple[str, ...] = field(default_factory=tuple)
    ordered: bool = False

    @classmethod
    def exact(cls) -> Score:
        return cls("exact")

    @classmethod
    def number(cls, tolerance: float = 0.0) -> Score:
        return cls("number", tolerance=tolerance)

    @classmethod
    def text(cls, synonyms: str | None = None) -> Score:
        return cls("text", synonyms=synonyms)

    @classmethod
    def time(cls) -> Score:
        return cls("time")

    @classmethod
    def records(cls, *key: str, ordered: bool = False) -> Score:
        return cls("records", key=key, ordered=ordered)

    @classmethod
    def ignore(cls) -> Score:
        return cls("ignore")
