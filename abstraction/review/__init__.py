"""Review and correct extraction records against their sources (a local web app).

`edits` holds the sidecar format and the pure functions (apply, re-apply, plan); `store` the
run folder on disk; `app` the Starlette app; `export` corrected files and promotion to gold.
"""

from abstraction.review.edits import (
    Applied,
    Change,
    Conflict,
    Edit,
    EditRejected,
    ReviewFile,
    apply_edits,
    reapply_report,
    record_hash,
)
from abstraction.review.export import corrected_extraction, export_run, gold_from_review, promote
from abstraction.review.store import DocumentNotFound, RunStore, VersionConflict

__all__ = [
    "Applied",
    "Change",
    "Conflict",
    "DocumentNotFound",
    "Edit",
    "EditRejected",
    "ReviewFile",
    "RunStore",
    "VersionConflict",
    "apply_edits",
    "corrected_extraction",
    "export_run",
    "gold_from_review",
    "promote",
    "reapply_report",
    "record_hash",
]
