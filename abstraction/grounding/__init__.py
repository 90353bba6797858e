"""Grounding: align quoted evidence to character offsets and judge whether it supports facts."""

from abstraction.grounding.align import Aligner, Alignment, Span, normalize
from abstraction.grounding.boilerplate import boilerplate_spans, content_spans, strip_boilerplate
from abstraction.grounding.drop import drop_unsupported
from abstraction.grounding.ground import Grounded, ground, ground_record, locate_quotes, summarize

__all__ = [
    "Aligner",
    "Alignment",
    "Grounded",
    "Span",
    "boilerplate_spans",
    "content_spans",
    "drop_unsupported",
    "ground",
    "ground_record",
    "locate_quotes",
    "normalize",
    "strip_boilerplate",
    "summarize",
]
