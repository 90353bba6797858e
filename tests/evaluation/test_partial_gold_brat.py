"""Partial gold from the brat importer, scored by the scorer (MACCROBAT read at run time).

Skipped when the corpus is absent; nothing from it is stored.
"""

from __future__ import annotations

import pytest

from abstraction.cli.brat import default_maccrobat_dir
from abstraction.core.schema import empty_case_report
from abstraction.evaluation.brat import convert_document
from abstraction.evaluation.brat_ann import find_brat_documents, read_brat_document
from abstraction.evaluation.counts import unknown_paths
from abstraction.evaluation.results import build_report
from abstraction.evaluation.scorer import score_document

MACCROBAT = default_maccrobat_dir()
pytestmark = pytest.mark.skipif(not MACCROBAT.is_dir(), reason=f"no MACCROBAT at {MACCROBAT}")


def _golds() -> list:
    return [
        convert_document(read_brat_document(p), annotator="test").gold
        for p in find_brat_documents(MACCROBAT)
    ]


def test_imported_gold_is_perfect_against_itself_and_scores_only_its_fields() -> None:
    self_results, empty_results = [], []
    empty = empty_case_report().model_dump()
    for gold in _golds():
        assert gold.annotated_fields is not None
        assert unknown_paths(gold.annotated_fields) == []
        rec = gold.record.model_dump()
        annotated = tuple(gold.annotated_fields)
        self_results.append(score_document(gold.document_id, rec, rec, annotated=annotated))
        empty_results.append(score_document(gold.document_id, rec, empty, annotated=annotated))
    perfect = build_report(self_results)
    assert perfect.overall.f1 == 1.0 and all(f.f1 == 1.0 for f in perfect.fields.values())
    scored = set(perfect.fields)
    assert "source.title.value" not in scored and "treatments.intent" not in scored
    nothing = build_report(empty_results)
    # An empty prediction finds nothing and invents nothing: recall 0, no false positives.
    assert nothing.overall.tp == 0 and nothing.overall.fp == 0 and nothing.overall.fn > 0
