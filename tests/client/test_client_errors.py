"""The client's contract with a misbehaving endpoint, using an in-process fake endpoint.

These fakes are test doubles for transport behaviour (bad JSON, truncation, HTTP errors), not
recorded model answers: real answers are covered by the recorded-extraction tests.
"""

import json

import httpx
import pytest

from abstraction.client import ModelClient, ModelConfig
from abstraction.core.errors import ModelError
from abstraction.core.prompts import PassSpec, PromptSettings
from abstraction.extraction import llm_schema, pass_model

SPEC = PassSpec(name="p", sections=("patient",), instructions="x")
MODEL = pass_model(SPEC.sections)
GOOD = {"patient": {"age": None, "age_group": None, "sex": {"value": "female", "evidence": "she"}}}
BAD = {"patient": {"age": None, "age_group": None, "sex": {"value": "F", "evidence": "she"}}}


def _completion(content: str, finish: str = "stop", tokens=(100, 20)) -> dict:
    return {
        "id": "x",
        "object": "chat.completion",
        "created": 0,
        "model": "m",
        "choices": [
            {
                "index": 0,
                "finish_reason": finish,
                "message": {"role": "assistant", "content": content},
            }
        ],
        "usage": {
            "prompt_tokens": tokens[0],
            "completion_tokens": tokens[1],
            "total_tokens": sum(tokens),
        },
    }


def _client(answers, seen=None):
    answers = list(answers)

    def handler(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(json.loads(request.content))
        status, body = answers.pop(0)
        return httpx.Response(status, json=body)

    cfg = ModelConfig(
        model="m",
        base_url="http://fake/v1",
        structured="json_object_schema",
        http_transport=httpx.MockTransport(handler),
        http_retries=0,
    )
    return ModelClient(cfg, base_url="http://fake/v1", api_key="k", model_name="m")


def _call(client, retries=2):
    return client.complete(
        messages=[{"role": "system", "content": "s"}, {"role": "user", "content": "u"}],
        response_model=MODEL,
        json_schema=llm_schema(SPEC, evidence_first=False),
        settings=PromptSettings(max_retries=retries),
    )


def test_invalid_answer_is_re_asked_with_the_error_and_usage_is_summed():
    seen = []
    client = _client(
        [(200, _completion(json.dumps(BAD))), (200, _completion(json.dumps(GOOD)))], seen
    )
    res = _call(client)
    assert res.value.patient.sex.value == "female"
    assert res.attempts == 2 and res.usage.calls == 2 and res.usage.retries == 1
    assert res.usage.prompt_tokens == 200 and res.usage.completion_tokens == 40
    reask = seen[1]["messages"]
    assert len(reask) > len(seen[0]["messages"]) and "sex" in json.dumps(reask[-1])
    # the schema constrains the output, passed the llama.cpp way
    assert seen[0]["response_format"]["type"] == "json_object"
    assert seen[0]["response_format"]["schema"]["properties"]["patient"]


def test_still_invalid_after_the_allowed_re_asks_is_a_model_error_with_attempts():
    client = _client([(200, _completion(json.dumps(BAD)))] * 3)
    with pytest.raises(ModelError) as info:
        _call(client, retries=2)
    err = info.value
    assert err.kind == "invalid" and err.attempts == 3
    assert err.usage["prompt_tokens"] == 300 and err.last_output == json.dumps(BAD)


def test_truncated_answer_is_a_failure_not_an_empty_record():
    client = _client([(200, _completion('{"patient": {"age": nu', finish="length"))])
    with pytest.raises(ModelError) as info:
        _call(client)
    assert info.value.kind == "truncated"


def test_unparseable_answer_is_reported_as_such():
    client = _client([(200, _completion("I cannot help with that."))] * 3)
    with pytest.raises(ModelError) as info:
        _call(client)
    assert info.value.kind == "unparseable" and info.value.attempts == 3


def test_http_error_keeps_the_status():
    client = _client([(500, {"error": {"message": "boom"}})] * 3)
    with pytest.raises(ModelError) as info:
        _call(client, retries=0)
    assert info.value.kind == "http" and info.value.details["status"] == 500


def test_openai_strict_mode_request_shape():
    seen = []
    cfg = ModelConfig(
        model="gpt-x",
        base_url="http://fake/v1",
        http_transport=httpx.MockTransport(
            lambda r: (
                seen.append(json.loads(r.content)),
                httpx.Response(200, json=_completion(json.dumps(GOOD))),
            )[1]
        ),
    )
    client = ModelClient(cfg, base_url="http://fake/v1", api_key="k", model_name="gpt-x")
    _call(client)
    rf = seen[0]["response_format"]
    assert rf["type"] == "json_schema" and rf["json_schema"]["strict"] is True
    assert "As a genius expert" not in json.dumps(seen[0]["messages"])  # no schema pasted in


def _ask_once(client: ModelClient) -> None:
    client.complete(
        messages=[{"role": "user", "content": "x"}],
        response_model=MODEL,
        json_schema=llm_schema(SPEC, evidence_first=False),
        settings=PromptSettings(max_retries=0),
    )


@pytest.mark.parametrize("status", [401, 403])
def test_a_rejected_api_key_stops_everything_and_says_so(status: int) -> None:
    """Every later call would be refused too: an EndpointError (the job stops), not a
    per-document model error."""
    from abstraction.core.errors import EndpointError

    client = _client([(status, {"error": {"message": "Incorrect API key provided"}})])
    with pytest.raises(EndpointError) as err:
        _ask_once(client)
    assert err.value.kind == "auth"
    assert f"HTTP {status}" in str(err.value) and "--api-key" in str(err.value)
    assert "http://fake/v1" in str(err.value)


def test_an_unreachable_endpoints_credentials_are_not_in_the_message() -> None:
    from abstraction.core.errors import EndpointError

    url = "http://user:secret@127.0.0.1:9/v1"
    cfg = ModelConfig(model="m", base_url=url, http_retries=0)
    client = ModelClient(cfg, base_url=url, api_key="k", model_name="m")
    with pytest.raises(EndpointError) as err:
        _ask_once(client)
    assert err.value.kind == "unreachable"
    assert "secret" not in str(err.value) and "127.0.0.1:9" in str(err.value)
