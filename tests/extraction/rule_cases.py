"""Builders shared by the tests of the fixed rules: a case text with a title line and a
paragraph of prose around the sentences under test, and a treatment with a quote."""

from __future__ import annotations

from typing import Any

from abstraction.core.schema import Evidence, Treatment

PAD = " The course is described below in the words of the report, as a paragraph of prose."


def case(text: str) -> str:
    """`text` as the case text of a report (after a title line, with prose after it)."""
    return "A Case Report\n\n" + text + PAD


def treatment(name: str, quote: str | None = None, **kw: Any) -> Treatment:
    """A treatment of category other, its quote `quote` (default: its name), other fields
    null unless given."""
    base: dict[str, Any] = dict(
        target=None, donor_type=None, graft_source=None, dose=None, duration=None,
        intent=None, time=None,
    )  # fmt: skip
    base.update(kw)
    return Treatment(name=name, category="other", evidence=Evidence(quote=quote or name), **base)
