"""Evaluation: score extractions against gold, and import gold from annotated corpora."""
