import json

import httpx
import pytest

from abstraction.client.recording import RecordingTransport, ReplayMiss, request_key

BODY = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}


def _upstream(calls):
    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(json.loads(request.content))
        return httpx.Response(
            200,
            json={"choices": [{"message": {"content": "{}"}}]},
            headers={"set-cookie": "session=secret", "openai-organization": "org-123"},
        )

    return httpx.MockTransport(handler)


def test_record_then_replay_offline_returns_the_same_answer(tmp_path):
    calls = []
    rec = httpx.Client(
        transport=RecordingTransport(tmp_path, mode="record", inner=_upstream(calls))
    )
    first = rec.post(
        "http://127.0.0.1:5555/v1/chat/completions",
        json=BODY,
        headers={"Authorization": "Bearer sk-secret"},
    )
    play = httpx.Client(transport=RecordingTransport(tmp_path, mode="replay"))
    again = play.post("http://other-host:1/v1/chat/completions", json=BODY)
    assert again.json() == first.json() and len(calls) == 1


def test_recordings_hold_no_credentials_or_account_headers(tmp_path):
    rec = httpx.Client(transport=RecordingTransport(tmp_path, mode="record", inner=_upstream([])))
    rec.post(
        "http://h/v1/chat/completions", json=BODY, headers={"Authorization": "Bearer sk-secret"}
    )
    stored = "".join(p.read_text() for p in tmp_path.rglob("*.json"))
    for secret in ("sk-secret", "Bearer", "session=secret", "org-123"):
        assert secret not in stored


def test_a_changed_request_body_never_replays_an_old_answer(tmp_path):
    rec = httpx.Client(transport=RecordingTransport(tmp_path, mode="record", inner=_upstream([])))
    rec.post("http://h/v1/chat/completions", json=BODY)
    play = httpx.Client(transport=RecordingTransport(tmp_path, mode="replay"))
    changed = {**BODY, "messages": [{"role": "user", "content": "hi!"}]}
    with pytest.raises(ReplayMiss, match="no recording"):
        play.post("http://h/v1/chat/completions", json=changed)


def test_key_ignores_json_key_order_but_not_content():
    a = json.dumps({"a": 1, "b": 2}).encode()
    b = json.dumps({"b": 2, "a": 1}).encode()
    c = json.dumps({"a": 1, "b": 3}).encode()
    assert request_key("POST", "/chat/completions", a) == request_key(
        "POST", "/chat/completions", b
    )
    assert request_key("POST", "/chat/completions", a) != request_key(
        "POST", "/chat/completions", c
    )


def test_record_mode_reuses_an_identical_recorded_request(tmp_path):
    calls = []
    transport = RecordingTransport(tmp_path, mode="record", inner=_upstream(calls))
    rec = httpx.Client(transport=transport)
    rec.post("http://h/v1/chat/completions", json=BODY)
    rec.post("http://h/v1/chat/completions", json=BODY)
    rec.post("http://h/v1/chat/completions", json={**BODY, "model": "other"})
    assert len(calls) == 2
