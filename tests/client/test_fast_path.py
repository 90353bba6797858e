"""The client's first attempt skips instructor; these tests pin that it changes nothing else.

The reference is instructor alone (`ModelClient._inst`, the patched SDK client the re-asks go
through), called with the same keywords: the requests on the wire must be the same JSON, first
attempt and re-asks alike (recordings are keyed by the canonical request JSON), and so must the
value, the usage of every attempt and the error kinds.  The endpoint is an in-process fake
(`httpx.MockTransport`) that answers with scripted completions: a transport test double, not a
recorded model answer.
"""

import asyncio
import json
from typing import Any

import httpx
import pytest

from abstraction.client import ModelClient, ModelConfig
from abstraction.client.openai_client import _CallLog
from abstraction.client.recording import request_key
from abstraction.core.errors import ModelError
from abstraction.core.frozen import FrozenDict
from abstraction.core.prompts import PassSpec, PromptSettings
from abstraction.extraction import llm_schema, pass_model
from abstraction.extraction.passes import shared_llm_schema

SPEC = PassSpec(name="p", sections=("patient", "findings"), instructions="x")
MODEL = pass_model(SPEC.sections)
GOOD = {
    "patient": {"age": None, "age_group": None, "sex": {"value": "female", "evidence": "she"}},
    "findings": [],
}
BAD = {**GOOD, "patient": {**GOOD["patient"], "sex": {"value": "F", "evidence": "she"}}}
NOT_JSON = "I cannot help with that."
MODES = ["json_schema", "json_object_schema", "json_object"]


def _completion(content: str, *, finish: str = "stop", tokens: tuple[int, int] = (100, 20)):
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


class Script:
    """Answers requests in order from a list of (status, body); keeps every request body."""

    def __init__(self, answers: list[tuple[int, dict[str, Any]]]) -> None:
        self.answers = list(answers)
        self.bodies: list[bytes] = []
        self.content_types: list[str | None] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.bodies.append(request.content)
        self.content_types.append(request.headers.get("content-type"))
        status, body = self.answers.pop(0)
        return httpx.Response(status, json=body)


def _client(script: Script, mode: str) -> ModelClient:
    cfg = ModelConfig(
        model="m",
        base_url="http://fake/v1",
        structured=mode,  # type: ignore[arg-type]
        http_transport=httpx.MockTransport(script),
        http_retries=0,
    )
    return ModelClient(cfg, base_url="http://fake/v1", api_key="k", model_name="m")


def _request(retries: int = 2, seed: int | None = 0, shared: bool = False) -> dict[str, Any]:
    schema = shared_llm_schema if shared else llm_schema
    return {
        "messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "u"}],
        "response_model": MODEL,
        "json_schema": schema(SPEC, evidence_first=False),
        "settings": PromptSettings(max_retries=retries, seed=seed),
    }


def _ours(answers, mode: str, **req: Any):
    script = Script(answers)
    try:
        return _client(script, mode).complete(**_request(**req)), script.bodies
    except ModelError as err:
        return err, script.bodies


def _plain(value: Any) -> Any:
    """As JSON sees it (a frozen schema's lists are tuples)."""
    return json.loads(json.dumps(value))


def _key(body: bytes) -> str:
    return request_key("POST", "/chat/completions", body)


def _instructor_only(answers, mode: str, **req: Any):
    """What the client did before the fast path: every attempt through instructor."""
    script = Script(answers)
    client = _client(script, mode)
    log = _CallLog()
    kwargs = client._request(**_request(**req), log=log)
    try:
        value = client._inst.chat.completions.create(**kwargs)
    except Exception as exc:
        return client._failure(exc, log), script.bodies
    return log.result(value, 0.0), script.bodies


SCENARIOS = {
    "valid": [(200, _completion(json.dumps(GOOD)))],
    "invalid_then_valid": [
        (200, _completion(json.dumps(BAD), tokens=(100, 20))),
        (200, _completion(json.dumps(GOOD), tokens=(130, 25))),
    ],
    "not_json_then_invalid_then_valid": [
        (200, _completion(NOT_JSON, tokens=(100, 5))),
        (200, _completion(json.dumps(BAD), tokens=(110, 20))),
        (200, _completion(json.dumps(GOOD), tokens=(150, 25))),
    ],
    "invalid_three_times": [(200, _completion(json.dumps(BAD)))] * 3,
    "not_json_three_times": [(200, _completion(NOT_JSON))] * 3,
    "truncated": [(200, _completion('{"patient": {"age": nu', finish="length"))],
    "invalid_then_truncated": [
        (200, _completion(json.dumps(BAD))),
        (200, _completion('{"patient": {"age": nu', finish="length")),
    ],
    # not the SDK's ChatCompletion (no id, no created, an unknown finish reason): still read
    "nonstandard_envelope": [
        (
            200,
            {
                "choices": [
                    {
                        "index": 0,
                        "finish_reason": "eos",
                        "message": {"role": "assistant", "content": json.dumps(GOOD)},
                    }
                ],
                "usage": {"prompt_tokens": 7, "completion_tokens": 3, "total_tokens": 10},
                "timings": {"predicted_ms": 1.0},
            },
        )
    ],
    "http_500": [(500, {"error": {"message": "boom"}})],
    "http_400": [(400, {"error": {"message": "bad request"}})],
}


@pytest.mark.parametrize("shared", [False, True], ids=["fresh_schema", "shared_schema"])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_same_requests_and_outcome_as_instructor_alone(
    scenario: str, mode: str, shared: bool
) -> None:
    answers = SCENARIOS[scenario]
    ours, our_bodies = _ours(answers, mode, shared=shared)
    ref, ref_bodies = _instructor_only(answers, mode, shared=shared)
    # the same JSON (key order aside), so the same recording key: recordings replay either way
    assert [json.loads(b) for b in our_bodies] == [json.loads(b) for b in ref_bodies]
    assert [_key(b) for b in our_bodies] == [_key(b) for b in ref_bodies]
    assert type(ours) is type(ref)
    if isinstance(ref, ModelError):
        assert isinstance(ours, ModelError)
        assert (ours.kind, ours.attempts, ours.usage, ours.last_output) == (
            ref.kind,
            ref.attempts,
            ref.usage,
            ref.last_output,
        )
        assert str(ours) == str(ref)
    else:
        assert ours.value.model_dump() == ref.value.model_dump()
        assert (ours.raw_text, ours.usage, ours.attempts) == (ref.raw_text, ref.usage, ref.attempts)


def test_a_valid_first_answer_never_reaches_instructor(monkeypatch: pytest.MonkeyPatch) -> None:
    script = Script(SCENARIOS["valid"])
    client = _client(script, "json_schema")

    def refuse(**kwargs: Any) -> Any:
        raise AssertionError("instructor was called for a valid answer")

    monkeypatch.setattr(client._inst.chat.completions, "create", refuse)
    res = client.complete(**_request())
    assert isinstance(res.value, MODEL) and res.value.patient.sex.value == "female"
    assert res.attempts == 1 and res.usage.calls == 1 and res.usage.retries == 0
    assert len(script.bodies) == 1 and script.content_types == ["application/json"]


@pytest.mark.parametrize("mode", MODES)
def test_the_schema_text_kept_for_a_shared_schema_is_never_stale(mode: str) -> None:
    """The client keeps a frozen schema's JSON text by identity; a different schema, or a
    plain dict (even an equal one), is serialised afresh, so a body always holds its schema."""
    shared = shared_llm_schema(SPEC, evidence_first=False)
    other_spec = PassSpec(name="q", sections=("patient",), instructions="x")
    other = shared_llm_schema(other_spec, evidence_first=True)
    script = Script([(200, _completion(json.dumps(GOOD)))] * 4)
    client = _client(script, mode)
    plain = llm_schema(SPEC, evidence_first=False)
    plain["description"] = "changed"
    for schema in (shared, other, plain, shared):
        client.complete(**{**_request(), "json_schema": schema})
    sent = [json.loads(b) for b in script.bodies]

    def schema_in(body: dict[str, Any]) -> dict[str, Any]:
        fmt = body["response_format"]
        if mode == "json_schema":
            return fmt["json_schema"]["schema"]
        if mode == "json_object_schema":
            return fmt["schema"]
        text = body["messages"][-1]["content"]
        return json.loads(text.split("Answer with JSON matching this schema: ", 1)[1])

    expected = [llm_schema(SPEC, evidence_first=False), llm_schema(other_spec, evidence_first=True)]
    expected += [plain, expected[0]]
    assert [schema_in(b) for b in sent] == expected
    assert _plain(shared) == llm_schema(SPEC, evidence_first=False), "the shared one is unchanged"


def test_a_shared_schema_refuses_changes() -> None:
    shared = shared_llm_schema(SPEC, evidence_first=False)
    assert isinstance(shared, FrozenDict)
    assert _plain(shared) == llm_schema(SPEC, evidence_first=False)
    with pytest.raises(TypeError):
        shared["type"] = "array"
    with pytest.raises(TypeError):
        shared["$defs"]["Evidence"].update(type="integer")
    with pytest.raises(AttributeError):
        shared["required"].append("x")  # lists are tuples
    thawed = dict(shared)
    thawed["type"] = "array"  # a copy is an ordinary dict
    assert shared["type"] == "object"


def test_an_invalid_first_answer_is_re_asked_and_both_attempts_are_counted() -> None:
    script = Script(SCENARIOS["invalid_then_valid"])
    res = _client(script, "json_schema").complete(**_request())
    assert res.value.patient.sex.value == "female"
    assert res.attempts == 2 and res.usage.calls == 2 and res.usage.retries == 1
    assert (res.usage.prompt_tokens, res.usage.completion_tokens) == (230, 45)
    first, second = (json.loads(b) for b in script.bodies)
    assert second["messages"][: len(first["messages"])] == first["messages"]
    assert second["messages"][-2] == {"role": "assistant", "content": json.dumps(BAD)}
    assert "patient.sex.value" in second["messages"][-1]["content"]


def test_no_re_ask_allowed_means_the_first_invalid_answer_fails() -> None:
    err, bodies = _ours(SCENARIOS["invalid_three_times"], "json_schema", retries=0)
    assert isinstance(err, ModelError) and err.kind == "invalid" and err.attempts == 1
    assert len(bodies) == 1 and err.usage["calls"] == 1


def test_async_path_takes_the_same_route() -> None:
    import asyncio

    for scenario in ("valid", "invalid_then_valid", "not_json_three_times"):
        sync, sync_bodies = _ours(SCENARIOS[scenario], "json_schema")
        script = Script(SCENARIOS[scenario])
        client = _client(script, "json_schema")

        async def call(client: ModelClient = client) -> Any:
            try:
                return await client.acomplete(**_request())
            except ModelError as err:
                return err

        res = asyncio.run(call())
        assert script.bodies == sync_bodies
        if isinstance(sync, ModelError):
            assert (res.kind, res.attempts, res.usage) == (sync.kind, sync.attempts, sync.usage)
        else:
            assert res.value.model_dump() == sync.value.model_dump()
            assert (res.usage, res.attempts) == (sync.usage, sync.attempts)


class Capture(Script):
    """A `Script` that also keeps each request's method, URL and headers, in order."""

    def __init__(self, answers: list[tuple[int, dict[str, Any]]]) -> None:
        super().__init__(answers)
        self.wire: list[tuple[str, str, list[tuple[bytes, bytes]], bytes]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.wire.append((request.method, str(request.url), request.headers.raw, request.content))
        return super().__call__(request)


def _direct_or_sdk(transport: httpx.MockTransport, *, direct: bool) -> ModelClient:
    cfg = ModelConfig(
        model="m",
        base_url="http://fake/v1",
        structured="json_schema",
        http_transport=transport,
        http_retries=0,
        timeout=30,
    )
    client = ModelClient(cfg, base_url="http://fake/v1", api_key="k", model_name="m")
    if not direct:  # no template: the SDK sends, as it does when it retries itself
        client.__dict__["_sync_template"] = client.__dict__["_async_template"] = None
    return client


def _call(client: ModelClient, *, asynchronous: bool) -> Any:
    try:
        if asynchronous:
            return asyncio.run(client.acomplete(**_request(shared=True)))
        return client.complete(**_request(shared=True))
    except ModelError as err:
        return err


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize("scenario", ["valid", "invalid_then_valid", "http_500", "http_400"])
def test_direct_post_sends_what_the_sdk_sends(scenario: str, asynchronous: bool) -> None:
    """With the SDK's retries off the first attempt skips the SDK (`_Template`): the same
    method, URL, headers (names, values and order) and body, and the same outcome."""
    results, wires = [], []
    for direct in (True, False):
        script = Capture(SCENARIOS[scenario])
        client = _direct_or_sdk(httpx.MockTransport(script), direct=direct)
        results.append(_call(client, asynchronous=asynchronous))
        wires.append(script.wire)
    (ours, ref), (ours_wire, ref_wire) = results, wires
    assert ours_wire == ref_wire
    assert type(ours) is type(ref)
    if isinstance(ref, ModelError):
        assert (ours.kind, ours.attempts, str(ours), ours.details) == (
            ref.kind,
            ref.attempts,
            str(ref),
            ref.details,
        )
    else:
        assert ours.value.model_dump() == ref.value.model_dump()
        assert (ours.raw_text, ours.usage, ours.attempts) == (ref.raw_text, ref.usage, ref.attempts)


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize(
    "fault, kind",
    [(httpx.ReadTimeout("slow"), "timeout"), (httpx.RemoteProtocolError("gone"), "connection")],
)
def test_direct_post_reports_transport_faults_as_the_sdk_does(
    fault: Exception, kind: str, asynchronous: bool
) -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise fault

    errors = []
    for direct in (True, False):
        client = _direct_or_sdk(httpx.MockTransport(fail), direct=direct)
        err = _call(client, asynchronous=asynchronous)
        assert isinstance(err, ModelError)
        errors.append((err.kind, str(err), type(err.__cause__)))
    assert errors[0] == errors[1]
    assert errors[0][0] == kind


def _with_pattern(node: Any) -> bool:
    """Put a pattern on the first string of a (plain) schema, as copy_words does."""
    if isinstance(node, dict):
        if node.get("type") == "string":
            node["pattern"] = "^(She|had|fever)( (She|had|fever))*$"
            return True
        return any(_with_pattern(v) for v in node.values())
    if isinstance(node, list):
        return any(_with_pattern(v) for v in node)
    return False


def test_a_pattern_is_refused_where_only_the_prompt_could_carry_it() -> None:
    """A copy_words pass's schema holds a per-document pattern of the text's words: with
    --structured json_object it would be written into the prompt, unenforced (the ninth
    session's note left this unguarded).  No request is sent; other modes send it."""
    from abstraction.core.errors import UserError

    req = _request()
    schema = _plain(req["json_schema"])
    assert _with_pattern(schema)
    req["json_schema"] = schema
    script = Script([(200, _completion(json.dumps(GOOD)))])
    with pytest.raises(UserError, match="json_object"):
        _client(script, "json_object").complete(**req)
    assert script.bodies == []
    for mode in ("json_object_schema", "json_schema"):
        script = Script([(200, _completion(json.dumps(GOOD)))])
        _client(script, mode).complete(**req)
        assert b"pattern" in script.bodies[0]
    script = Script([(200, _completion(json.dumps(GOOD)))])
    _client(script, "json_object").complete(**_request())  # no pattern: sent as before
    assert len(script.bodies) == 1


def test_a_copy_words_prompt_is_refused_before_its_first_pass_with_json_object() -> None:
    """A helper's audit: the client refused only the copy_words pass, after the passes before
    it had been sent (and paid for); the pipeline now refuses the prompt before any request."""
    from abstraction.core.documents import Document
    from abstraction.core.errors import UserError
    from abstraction.core.prompts import default_prompts_dir, load_prompt
    from abstraction.extraction import extract_document

    prompt = load_prompt("v50", default_prompts_dir())
    script = Script([(200, _completion(json.dumps(GOOD)))] * 10)
    doc = Document(id="d", text="A 40-year-old woman had fever.")
    with pytest.raises(UserError, match="prompt v50, pass conditions, care"):
        extract_document(doc, prompt=prompt, client=_client(script, "json_object"))
    assert script.bodies == []
