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

    threshold: for ``text`` and ``time``, the least rapidfuzz similarity (0-100) at which two
    normalised values count as equal; for ``records``, the least key similarity (0-100) at
    which two items may be paired.  ``None`` takes the evaluation layer's default for the kind.
    unit: for ``number``, the name of a sibling field holding the value's unit; both sides are
    converted to a common base unit before comparing (45 years equals 540 months).  The unit
    field itself is then marked ``ignore`` so it is not counted twice.
    qualifiers: for a ``text`` key, a sibling field holding the gold's modifiers (a finding's
    body site): a prediction that adds only those words to the gold's head word ("vaginal
    bleeding" for "bleeding" at the vagina) is the same term.
    polarity: for ``records``, an item field that says whether the item holds or not (a
    finding's assertion, a diagnosis's status): two items whose values are opposite in
    `POLARITY` ("present" / "absent", "principal" / "ruled_out") are opposite facts and never
    pair, whatever their names ("fever, absent" is not "fever, present").
    """

    kind: ScoreKind
    synonyms: str | None = None
    tolerance: float = 0.0
    key: tuple[str, ...] = field(default_factory=tuple)
    ordered: bool = False
    threshold: float | None = None
    unit: str | None = None
    qualifiers: str | None = None
    polarity: str | None = None

    @classmethod
    def exact(cls) -> Score:
        return cls("exact")

    @classmethod
    def number(cls, tolerance: float = 0.0, *, unit: str | None = None) -> Score:
        return cls("number", tolerance=tolerance, unit=unit)

    @classmethod
    def text(
        cls,
        synonyms: str | None = None,
        *,
        threshold: float | None = None,
        qualifiers: str | None = None,
    ) -> Score:
        return cls("text", synonyms=synonyms, threshold=threshold, qualifiers=qualifiers)

    @classmethod
    def time(cls, *, threshold: float | None = None) -> Score:
        return cls("time", threshold=threshold)

    @classmethod
    def records(
        cls,
        *key: str,
        ordered: bool = False,
        threshold: float | None = None,
        polarity: str | None = None,
    ) -> Score:
        return cls("records", key=key, ordered=ordered, threshold=threshold, polarity=polarity)

    @classmethod
    def ignore(cls) -> Score:
        return cls("ignore")


POLARITY: dict[str, int] = {
    "present": 1,
    "absent": -1,
    "principal": 1,
    "secondary": 1,
    "ruled_out": -1,
}
"""Whether a polarity value says the item holds (1) or does not (-1); a value not listed
("uncertain") is opposite to nothing."""
