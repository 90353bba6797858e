"""`PromptSettings.no_cjk`: the gbnf grammar keeps CJK characters out of every JSON string."""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import BaseModel

from abstraction.client._vendor.gbnf import json_schema_to_gbnf
from abstraction.client.openai_client import without_cjk
from abstraction.core.frozen import freeze
from abstraction.core.prompts import PromptSettings, default_prompts_dir, load_prompt
from abstraction.extraction.passes import shared_llm_schema
from tests.client.fake_server import recording_client


class _Answer(BaseModel):
    answer: str


def _char_rule(grammar: str) -> str:
    return next(line for line in grammar.splitlines() if line.startswith("char ::="))


def test_every_prompt_grammar_loses_cjk_in_its_one_string_rule_and_nothing_else() -> None:
    prompt = load_prompt("v42", default_prompts_dir())
    assert prompt.settings.no_cjk
    for spec in prompt.passes:
        schema = shared_llm_schema(spec, evidence_first=False, quotes=prompt.settings.quotes)
        grammar = json_schema_to_gbnf(json.dumps(schema))
        restricted = without_cjk(grammar)
        changed = set(restricted.splitlines()) - set(grammar.splitlines())
        assert len(changed) == 1, spec.name  # only the char rule
        rule = _char_rule(restricted)
        assert rule.startswith('char ::= [^"\\\\\\u3000-\\u30FF\\u3400-\\u4DBF\\u4E00-\\u9FFF')
        assert '"u" [0-2] [0-9a-fA-F] [0-9a-fA-F] [0-9a-fA-F]' in rule  # no \u4e00 escapes
        # every string of the grammar is made of that rule: no other class admits any char
        assert re.findall(r"\[\^[^\]]*\]", restricted) == [re.search(r"\[\^[^\]]*\]", rule)[0]]


def test_the_setting_reaches_the_request_and_one_schema_serves_both_settings() -> None:
    seen: list[dict[str, Any]] = []
    client = recording_client(seen, '{"answer": "heart"}')
    schema = freeze(_Answer.model_json_schema())  # shared and read-only: its text is cached
    for flag in (True, False, True):
        client.complete(
            messages=[{"role": "user", "content": "u"}],
            response_model=_Answer,
            json_schema=schema,
            settings=PromptSettings(max_retries=0, no_cjk=flag),
        )
    plain = json_schema_to_gbnf(json.dumps(_Answer.model_json_schema()))
    assert [b["grammar"] for b in seen] == [without_cjk(plain), plain, without_cjk(plain)]
