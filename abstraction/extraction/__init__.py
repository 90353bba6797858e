"""Extraction: prompt passes over a document, merged and grounded into an `Extraction`."""

from abstraction.extraction.extractor import aextract_document, build_messages, extract_document
from abstraction.extraction.passes import llm_schema, pass_model

__all__ = ["aextract_document", "build_messages", "extract_document", "llm_schema", "pass_model"]
