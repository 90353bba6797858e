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


def _slow_upstream(delay: float):
    import time

    def handler(request: httpx.Request) -> httpx.Response:
        time.sleep(delay)
        return httpx.Response(200, json={"choices": [{"message": {"content": "{}"}}]})

    return httpx.MockTransport(handler)


def test_live_latency_is_stored_and_reported_again_on_replay(tmp_path):
    rec_t = RecordingTransport(tmp_path, mode="record", inner=_slow_upstream(0.05))
    httpx.Client(transport=rec_t).post("http://h/v1/chat/completions", json=BODY)
    assert rec_t.latency.calls == 1 and rec_t.latency.unknown == 0
    assert rec_t.latency.seconds >= 0.05
    (stored,) = [json.loads(p.read_text()) for p in tmp_path.rglob("*.json")]
    assert stored["elapsed_s"] == round(rec_t.latency.seconds, 3)

    play_t = RecordingTransport(tmp_path, mode="replay")
    resp = httpx.Client(transport=play_t).post("http://h/v1/chat/completions", json=BODY)
    assert resp.headers["x-abstraction-recorded-seconds"] == str(stored["elapsed_s"])
    assert play_t.latency.seconds == stored["elapsed_s"] and play_t.latency.unknown == 0
    assert play_t.latency.seconds == rec_t.latency.seconds  # live and replay sum the same


def test_a_recording_without_latency_counts_as_unknown_not_zero(tmp_path):
    httpx.Client(transport=RecordingTransport(tmp_path, mode="record", inner=_upstream([]))).post(
        "http://h/v1/chat/completions", json=BODY
    )
    (path,) = tmp_path.rglob("*.json")
    entry = json.loads(path.read_text())
    del entry["elapsed_s"]  # what a recording made before latency was stored looks like
    path.write_text(json.dumps(entry))
    play_t = RecordingTransport(tmp_path, mode="replay")
    httpx.Client(transport=play_t).post("http://h/v1/chat/completions", json=BODY)
    assert (play_t.latency.calls, play_t.latency.unknown, play_t.latency.seconds) == (1, 1, 0.0)
