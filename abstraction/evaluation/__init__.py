"""Evaluation: score extractions against gold per field, and compare prompt versions.

- `scorer`: one document, driven by the schema's `Score` annotations (definitions there);
- `results`: the report models and how figures derive from counts;
- `files`: reading prediction and gold folders (`score_dirs`);
- `suite`, `runner`, `compare`, `baseline`, `report`: the `abstraction eval` harness.
"""

from abstraction.evaluation.files import read_gold_dir, read_prediction, score_dirs
from abstraction.evaluation.results import ScoreReport, build_report
from abstraction.evaluation.scorer import DocResult, score_document

__all__ = [
    "DocResult",
    "ScoreReport",
    "build_report",
    "read_gold_dir",
    "read_prediction",
    "score_dirs",
    "score_document",
]
