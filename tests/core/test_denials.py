"""Finding names that deny a finding themselves ("afebrile" is "fever", absent)."""

from __future__ import annotations

import pytest

from abstraction.core.denials import (
    denied_finding,
    denying_words,
    findings_denied_in,
    read_denied,
)


@pytest.mark.parametrize(
    ("name", "finding"),
    [
        ("afebrile", "fever"),
        ("Afebrile", "fever"),
        ("apyrexial", "fever"),
        ("Apyrexia", "fever"),  # the noun: MACCROBAT annotates it as a sign, present
        ("non-tender", "tenderness"),
        ("Non tender", "tenderness"),
        ("anicteric", "jaundice"),
        ("no fever", "fever"),
        ("No signs of sepsis", "sepsis"),
        ("no evidence of metastasis", "metastasis"),
        ("without chest pain", "chest pain"),
        ("negative for malignancy", "malignancy"),
        ("seizure-free", "seizure"),
        ("pain free", "pain"),
    ],
)
def test_a_name_that_denies_a_finding_names_it(name: str, finding: str) -> None:
    assert denied_finding(name) == finding


@pytest.mark.parametrize(
    "name",
    [
        "fever",
        "febrile neutropenia",
        "non-caseating granuloma",
        "non-small cell lung cancer",
        "free fluid",
        "free T4",
        "pain-free interval of three days",
        "no",
        "free",
        "no afebrile",  # a denial of a denial is not read
        "painless jaundice",
        "No. 7 lymph node metastasis",  # a station number (a helper's audit)
        "Testosterone, free",  # a list entry
        "no longer afebrile",
        "no-reflow",
    ],
)
def test_other_names_deny_nothing(name: str) -> None:
    assert denied_finding(name) is None


def test_a_denying_name_reads_as_the_finding_absent_and_a_double_denial_is_left() -> None:
    """ "no fever", absent is the rules' "fever, absent" (`extraction.rules`), never "fever,
    present" (a helper's audit: that had paired it with the gold's opposite fact); a listed
    word said to be absent ("afebrile", absent) is ambiguous and left as written."""
    assert read_denied("afebrile", "present") == ("fever", "absent")
    assert read_denied("no fever", "present") == ("fever", "absent")
    assert read_denied("no fever", "absent") == ("fever", "absent")
    assert read_denied("afebrile", "absent") is None
    assert read_denied("afebrile", "uncertain") is None
    assert read_denied("fever", "absent") is None
    assert read_denied(None, "present") is None
    assert read_denied("afebrile", None) is None


def test_the_words_that_deny_a_finding_and_the_findings_a_text_denies() -> None:
    assert set(denying_words("fever")) >= {"afebrile", "apyrexial"}
    assert denying_words("cough") == ()
    assert findings_denied_in("She was afebrile and anicteric.") == {"fever", "jaundice"}
    assert findings_denied_in("She was febrile.") == frozenset()
