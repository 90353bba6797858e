"""A `ModelClient` whose llama-server is an in-process fake: it answers every chat request with
one fixed message and keeps each request body, so a test can read what was sent."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from abstraction.client import ModelClient, ModelConfig


def recording_client(seen: list[dict[str, Any]], content: str) -> ModelClient:
    """A client in gbnf mode (a llama-server) whose every answer is `content`; each request's
    JSON body is appended to `seen`."""

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(json.loads(request.content))
        message = {"role": "assistant", "content": content}
        return httpx.Response(
            200,
            json={
                "id": "x",
                "object": "chat.completion",
                "created": 0,
                "model": "m",
                "choices": [{"index": 0, "finish_reason": "stop", "message": message}],
                "usage": {"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12},
            },
        )

    config = ModelConfig(
        llama_server=Path("/x"), http_transport=httpx.MockTransport(handler), http_retries=0
    )
    return ModelClient(config, base_url="http://127.0.0.1:9/v1", api_key="k", model_name="m")
