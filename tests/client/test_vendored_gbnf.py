"""The vendored JSON-schema-to-GBNF converter gives llama-cpp-python's own grammar, byte for
byte, for every schema our prompts send (so recordings made either way replay)."""

from __future__ import annotations

import json

import pytest

from abstraction.client._vendor.gbnf import json_schema_to_gbnf
from abstraction.core.prompts import default_prompts_dir, load_prompt
from abstraction.extraction.passes import shared_llm_schema


def _schemas() -> list[str]:
    out = []
    for path in sorted(default_prompts_dir().glob("v*.toml")):
        prompt = load_prompt(path.stem, default_prompts_dir())
        for spec in prompt.passes:
            schema = shared_llm_schema(spec, evidence_first=prompt.settings.evidence_first)
            out.append(json.dumps(schema))
    return sorted(set(out))


def test_every_prompt_schema_converts_to_a_one_line_grammar():
    schemas = _schemas()
    assert len(schemas) >= 5
    for text in schemas:
        grammar = json_schema_to_gbnf(text)
        assert "root ::=" in grammar
        assert 'space ::= " "?' in grammar  # never newlines or indents between tokens


def test_the_vendored_converter_equals_llama_cpp_pythons():
    original = pytest.importorskip("llama_cpp.llama_grammar")
    for text in _schemas():
        assert json_schema_to_gbnf(text) == original.json_schema_to_gbnf(text)
