"""Extraction: prompt passes over a document, merged and grounded into an `Extraction`."""

from abstraction.extraction.extractor import (
    DocumentRun,
    aextract_document,
    applies,
    build_messages,
    extract_document,
)
from abstraction.extraction.passes import (
    answer_model,
    answer_sections,
    llm_schema,
    pass_model,
    with_text_pattern,
)

__all__ = [
    "DocumentRun",
    "aextract_document",
    "answer_model",
    "answer_sections",
    "applies",
    "build_messages",
    "extract_document",
    "llm_schema",
    "pass_model",
    "with_text_pattern",
]
