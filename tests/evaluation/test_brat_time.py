"""The importer's SUB_PROCEDURE rule, times, durations and the timeline (issue 15)."""

from __future__ import annotations

from abstraction.evaluation.brat import convert_document
from abstraction.evaluation.brat_ann import BratDocument, parse_ann

TEXT = (
    "She received treatment with fresh frozen plasma and platelets. "
    "On day 3 a prostatectomy was done at surgery; an incision was made. "
    "Erlotinib was given for 2 weeks. MRI on day 5 showed no change."
)


def _ann() -> str:
    def span(tid: str, type_: str, phrase: str, nth: int = 0) -> str:
        start = -1
        for _ in range(nth + 1):
            start = TEXT.index(phrase, start + 1)
        return f"{tid}\t{type_} {start} {start + len(phrase)}\t{phrase}"

    lines = [
        span("T1", "Therapeutic_procedure", "treatment"),
        span("T2", "Medication", "fresh frozen plasma"),
        span("T3", "Medication", "platelets"),
        span("T4", "Date", "day 3"),
        span("T5", "Therapeutic_procedure", "prostatectomy"),
        span("T6", "Therapeutic_procedure", "surgery"),
        span("T7", "Therapeutic_procedure", "incision"),
        span("T8", "Medication", "Erlotinib"),
        span("T9", "Duration", "2 weeks"),
        span("T10", "Diagnostic_procedure", "MRI"),
        span("T11", "Date", "day 5"),
        "R1\tSUB_PROCEDURE Arg1:T2 Arg2:T1",
        "R2\tSUB_PROCEDURE Arg1:T3 Arg2:T1",
        "R3\tSUB_PROCEDURE Arg1:T5 Arg2:T6",
        "R4\tSUB_PROCEDURE Arg1:T7 Arg2:T5",
        "R5\tMODIFY Arg1:T9 Arg2:T8",
        "*\tOVERLAP T4 T5",
        "*\tOVERLAP T10 T11",
    ]
    return "\n".join(lines) + "\n"


def _gold():  # type: ignore[no-untyped-def]
    doc = BratDocument("x", TEXT, parse_ann(_ann()))
    return convert_document(doc, annotator="test").gold


def test_sub_procedures_of_a_generic_parent_are_the_treatments() -> None:
    names = [t.name for t in _gold().record.treatments]
    # "treatment" and "surgery" name nothing of their own: their sub-procedures are kept;
    # the incision is a step of the prostatectomy.
    assert names == ["fresh frozen plasma", "platelets", "prostatectomy", "Erlotinib"]


def test_times_durations_and_timeline_are_imported() -> None:
    rec = _gold().record
    by_name = {t.name: t for t in rec.treatments}
    assert by_name["prostatectomy"].time == "day 3"
    assert by_name["Erlotinib"].duration == "2 weeks"
    assert [(a.method, a.time) for a in rec.assessments] == [("MRI", "day 5")]
    assert [(e.event, e.time) for e in rec.timeline] == [
        ("prostatectomy", "day 3"),
        ("MRI", "day 5"),
    ]
