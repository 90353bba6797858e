"""The rule ``keywords_from_text``: an article's keywords are the terms of its keywords line."""

from __future__ import annotations

from abstraction.core.schema import Evidence, TextFact, empty_case_report
from abstraction.extraction.rules import apply_rules

TEXT = (
    "Rare presentations of a common disease\n"
    "Ana Ruiz, Ben Okoro\n"
    "Keywords: acute myeloid leukaemia; post-transplant cyclophosphamide; PET/CT.\n\n"
    "Case presentation\nA 45-year-old woman presented with fever."
)


def _with(keywords: list[str]):  # type: ignore[no-untyped-def]
    record = empty_case_report()
    record.source.keywords = [TextFact(value=k, evidence=Evidence(quote=k)) for k in keywords]
    return record


def test_the_line_s_terms_replace_the_model_s_and_a_wrong_one_is_kept_in_dropped() -> None:
    record = _with(["fever", "acute myeloid leukaemia"])
    dropped = apply_rules(record, ("keywords_from_text",), TEXT)
    assert [k.value for k in record.source.keywords] == [
        "acute myeloid leukaemia",
        "post-transplant cyclophosphamide",
        "PET/CT",
    ]
    assert [d.fact["value"] for d in dropped] == ["fever"]
    for k in record.source.keywords:
        assert k.evidence.quote == k.value and k.value in TEXT


def test_commas_split_when_there_is_no_semicolon_and_other_spellings_are_read() -> None:
    text = "Title\nKey words - CAR-T, CD19, cytokine release syndrome\n\nCase\nShe was well."
    record = _with([])
    apply_rules(record, ("keywords_from_text",), text)
    assert [k.value for k in record.source.keywords] == [
        "CAR-T",
        "CD19",
        "cytokine release syndrome",
    ]


def test_a_text_without_a_keywords_line_keeps_the_model_s() -> None:
    record = _with(["leukaemia"])
    text = "Title\n\nCase\nThe keywords of her history were: none."  # not a keywords line
    assert apply_rules(record, ("keywords_from_text",), text) == []
    assert [k.value for k in record.source.keywords] == ["leukaemia"]
