"""Recorded-response fixtures (pytest-recording / vcrpy) for extraction against a real model.

Replaying (the default, `--record-mode=none`) is offline: the client points at an address that
is never contacted and every request must match a recorded one by method, path and BODY, so a
changed prompt, schema, document or setting cannot replay an old answer: the test fails with
"no match".  A test that leaves recorded interactions unplayed fails too.

Re-record (needs `pip install -e '.[local]'`; starts the embedded llama.cpp server):

    python -m pytest tests/extraction -m model --record-mode=rewrite

Credentials and account headers are scrubbed in both directions before anything is written.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from abstraction.client import LOCAL_MODEL_NAME, ModelClient, ModelConfig, open_client

SCRUB_HEADERS = (
    "authorization",
    "api-key",
    "x-api-key",
    "openai-organization",
    "openai-project",
    "cookie",
    "set-cookie",
    "x-request-id",
    "openai-processing-ms",
    "user-agent",
    "x-stainless-arch",
    "x-stainless-os",
    "x-stainless-runtime-version",
    "x-stainless-package-version",
    "x-stainless-runtime",
    "x-stainless-lang",
)
UNREACHABLE = "http://127.0.0.1:9/v1"


def _scrub_response(response: dict) -> dict:
    headers = response.get("headers", {})
    for name in list(headers):
        if name.lower() in SCRUB_HEADERS:
            del headers[name]
    return response


def _only_model_calls(request):  # type: ignore[no-untyped-def]
    # The embedded server's readiness polls (GET /v1/models) happen only when recording.
    return None if request.path.endswith("/models") else request


@pytest.fixture(scope="module")
def vcr_config() -> dict:
    return {
        "match_on": ["method", "path", "body"],
        "filter_headers": [(h, None) for h in SCRUB_HEADERS],
        "before_record_request": _only_model_calls,
        "before_record_response": _scrub_response,
        "decode_compressed_response": True,
        "ignore_localhost": False,
        "allow_playback_repeats": False,
    }


@pytest.fixture(autouse=True)
def _every_recording_is_played(request: pytest.FixtureRequest) -> Iterator[None]:
    if request.node.get_closest_marker("vcr") is None:
        yield
        return
    cassette = request.getfixturevalue("vcr")
    yield
    if request.config.getoption("--record-mode") == "none":
        unplayed = len(cassette.data) - cassette.play_count
        assert cassette.all_played, f"{unplayed} recorded interaction(s) were never played"


@pytest.fixture
def local_client(record_mode: str) -> Iterator[ModelClient]:
    """The embedded model when recording; an unreachable endpoint when replaying."""
    if record_mode == "none":
        client = ModelClient(
            ModelConfig(http_retries=0),
            base_url=UNREACHABLE,
            api_key="sk-replay",
            model_name=LOCAL_MODEL_NAME,
        )
        yield client
        client.close()
        return
    with open_client(ModelConfig()) as client:
        yield client
