from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from abstraction.core.documents import Document, TextRange
from abstraction.core.errors import UserError
from abstraction.core.records import Extraction, Failure, Provenance, Usage
from abstraction.core.schema import (
    AgeFact,
    Evidence,
    Finding,
    OutcomeStatusFact,
    TimelineEvent,
    Treatment,
    empty_case_report,
    iter_evidence,
)
from abstraction.extraction.chunking import ChunkSettings, find_headings, part_document, plan_parts
from abstraction.extraction.merge import document_info, merge_extractions
from abstraction.grounding.ground import ground_record

DATA = Path(__file__).parent / "data"
LONG = (DATA / "long_fictional_report.txt").read_text(encoding="utf-8")
SETTINGS = ChunkSettings(max_chars=2500, overlap=300)

# What a reader of each part would report: (kind, quote).  A part "reports" a fact when the quote
# is in its text, so a fact in an overlap is reported twice and must be merged once.
FACTS = [
    ("treatment", "intrathecal triple therapy with methotrexate, cytarabine and hydrocortisone"),
    ("treatment", "high-dose methotrexate was then given for two cycles"),
    ("treatment", "she received an infusion of 1 x 10^6 CAR-T cells per kilogram"),
    ("treatment", "she underwent a second allogeneic haematopoietic stem cell transplantation"),
    ("finding", "a right sixth cranial nerve palsy"),
    ("finding", "Chimerism analysis of peripheral blood showed 100% donor cells"),
    ("timeline", "Neutrophil engraftment occurred on day 17"),
    ("timeline", "Lumbar punctures at three, six and twelve months showed no blasts"),
]


def test_headings_in_plain_text() -> None:
    names = [name for _, name in find_headings(LONG)]
    assert names == [
        "Abstract",
        "Introduction",
        "Case presentation",
        "Investigations",
        "Treatment",
        "Outcome and follow-up",
        "Discussion",
        "References",
    ]
    assert find_headings("# Case\n\nText.\n\nRESULTS\n\nMore.\nshort line\n") == [
        (0, "Case"),
        (15, "RESULTS"),
    ]


def test_parts_cover_every_character_with_overlap() -> None:
    doc = Document("long", LONG)
    parts = plan_parts(doc, SETTINGS)
    assert len(parts) >= 3
    assert parts[0].start == 0 and parts[-1].end == len(LONG)
    for a, b in itertools.pairwise(parts):
        assert b.start < a.end, "consecutive parts overlap"
        assert a.end - b.start <= SETTINGS.overlap
        assert b.start > a.start
    assert all(p.end - p.start <= SETTINGS.max_chars for p in parts)
    heading_offsets = {o for o, _ in find_headings(LONG)}
    assert all(p.end in heading_offsets for p in parts[:-1]), "cuts fall on section starts here"


def test_short_document_is_one_part_and_is_itself() -> None:
    doc = Document("short", "A short case.")
    [part] = plan_parts(doc, SETTINGS)
    assert part_document(doc, part, 1) is doc


def test_a_text_without_structure_is_still_cut_safely() -> None:
    text = ("word " * 3000).strip()  # no sentences, no headings
    parts = plan_parts(Document("flat", text), ChunkSettings(max_chars=1000, overlap=100))
    covered = set()
    for p in parts:
        covered.update(range(p.start, p.end))
        assert text[p.start] != " " or p.start == 0
    assert covered == set(range(len(text)))


def test_bad_settings() -> None:
    with pytest.raises(UserError):
        ChunkSettings(max_chars=1000, overlap=600)


def _part_extraction(unit: Document, *, fail: bool = False) -> Extraction:
    """A record of the facts whose quotes occur in the part, grounded against the part."""
    record = empty_case_report()
    for kind, quote in FACTS:
        if quote not in unit.text:
            continue
        ev = Evidence(quote=quote)
        if kind == "treatment":
            record.treatments.append(
                Treatment(
                    name=" ".join(
                        quote.split(" with ")[0].split()[-5:]
                    ),  # whole words: a name the quote states
                    category="other",
                    target=None,
                    donor_type=None,
                    graft_source=None,
                    dose=None,
                    duration=None,
                    intent=None,
                    time=None,
                    evidence=ev,
                )
            )
        elif kind == "finding":
            record.findings.append(
                # not the quote itself: a quote that is the name alone is widened to its
                # sentence by grounding (thirteenth session)
                Finding(
                    name=quote.split(" ", 1)[1], assertion="present", body_site=None, evidence=ev
                )
            )
        else:
            record.timeline.append(
                TimelineEvent(event=quote.split(" ", 1)[1], time=None, evidence=ev)
            )
    if "34-year-old woman" in unit.text:
        record.patient.age = AgeFact(
            value=34, unit="years", evidence=Evidence(quote="a 34-year-old woman")
        )
    if "remains in complete remission" in unit.text:
        record.outcome.status = OutcomeStatusFact(
            value="alive", evidence=Evidence(quote="she remains in complete remission")
        )
    grounded, summary = ground_record(record, unit.text)
    error = Failure(kind="timeout", message="injected") if fail else None
    return Extraction(
        document=document_info(unit),
        status="failed" if fail else "ok",
        record=None if fail else grounded,
        error=error,
        grounding=None if fail else summary,
        provenance=Provenance(
            toolkit_version="test",
            prompt_version="p",
            prompt_sha256="0" * 64,
            model="m",
            endpoint="local",
            structured_output="json_schema",
            settings={},
            document_sha256=unit.sha256,
            started_at="2024-01-01T00:00:00+00:00",
            finished_at="2024-01-01T00:00:01+00:00",
            timings={"total": 1.0},
            usage=Usage(prompt_tokens=10, completion_tokens=5, total_tokens=15, calls=1),
            passes=[],
        ),
    )


def test_merge_maps_offsets_dedupes_overlaps_and_keeps_order() -> None:
    sections = [(o, n) for o, n in find_headings(LONG)]
    starts = [0, *(o for o, _ in sections)]
    names = [None, *(n for _, n in sections)]
    ranges = tuple(
        TextRange(a, b, section=n)
        for a, b, n in zip(starts, [*starts[1:], len(LONG)], names, strict=True)
    )
    doc = Document("long", LONG, ranges=ranges)
    parts = plan_parts(doc, SETTINGS)
    units = [part_document(doc, p, len(parts)) for p in parts]
    results = [_part_extraction(u) for u in units]
    reported = sum(
        len(r.record.treatments) + len(r.record.findings) + len(r.record.timeline) for r in results
    )
    merged = merge_extractions(doc, parts, results)

    assert merged.status == "ok" and merged.error is None
    record = merged.record
    assert reported > len(FACTS), "some fact sat in an overlap and was reported twice"
    got = [
        (ev.quote) for _, ev in iter_evidence(record) if ev.quote in dict((q, k) for k, q in FACTS)
    ]
    assert sorted(got) == sorted(q for _, q in FACTS), "each fact exactly once"
    for _, ev in iter_evidence(record):
        assert ev.status == "exact"
        assert LONG[ev.start : ev.end].casefold() == ev.quote.casefold(), (
            "offsets index the full text"
        )
        assert ev.section == doc.locate(ev.start).section
    treatment_starts = [t.evidence.start for t in record.treatments]
    assert treatment_starts == sorted(treatment_starts)
    assert record.treatments[1].evidence.section == "Treatment"
    assert record.patient.age.value == 34
    assert record.outcome.status.value == "alive"
    assert merged.grounding.facts == merged.grounding.exact == len(FACTS) + 2
    prov = merged.provenance
    assert [p.index for p in prov.parts] == list(range(len(parts)))
    assert prov.usage.calls == len(parts) and prov.document_sha256 == doc.sha256
    assert merged.document.id == "long" and merged.document.chars == len(LONG)


def test_a_failed_part_is_recorded_never_silently_dropped() -> None:
    doc = Document("long", LONG)
    parts = plan_parts(doc, SETTINGS)
    results = [
        _part_extraction(part_document(doc, p, len(parts)), fail=(p.index == 1)) for p in parts
    ]
    merged = merge_extractions(doc, parts, results)
    assert merged.status == "failed"
    assert merged.error.kind == "partial"
    assert f"part 2 (chars {parts[1].start}-{parts[1].end})" in merged.error.message
    assert merged.record is not None and merged.record.treatments, "the other parts are kept"
    assert [p.status for p in merged.provenance.parts] == [
        "ok",
        "failed",
        *["ok"] * (len(parts) - 2),
    ]
    assert merged.provenance.parts[1].error == "timeout: injected"


def test_all_parts_failed() -> None:
    doc = Document("long", LONG)
    parts = plan_parts(doc, SETTINGS)
    results = [_part_extraction(part_document(doc, p, len(parts)), fail=True) for p in parts]
    merged = merge_extractions(doc, parts, results)
    assert merged.status == "failed" and merged.record is None and merged.error.kind == "timeout"


def test_part_budget_and_the_long_suite_case() -> None:
    from abstraction.extraction.chunking import part_budget

    budget = part_budget(n_ctx=8192, max_tokens=3000)
    assert budget == (8192 - 3000 - 1500) * 3
    with pytest.raises(UserError):
        part_budget(n_ctx=4096, max_tokens=3000)
    seed = Path(__file__).resolve().parents[2] / "seeds" / "case11_myeloma_long.txt"
    if not seed.is_file():
        pytest.skip("the long suite case is not in this checkout")
    text = seed.read_text(encoding="utf-8")
    parts = plan_parts(Document("case11", text), ChunkSettings(max_chars=budget))
    assert len(parts) == 2, "17 kB does not fit an 8k context with a 3k answer"
    # no section starts in the second half of the budget here, so the cut is at a paragraph
    assert text[: parts[0].end].endswith("\n") and parts[1].start < parts[0].end
    assert parts[1].section == "Case presentation"
