"""The model client: the only package that imports openai, instructor or a llama.cpp engine."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from abstraction.client.config import (
    LOCAL_MODEL_NAME,
    NO_API_KEY,
    ModelConfig,
    RecordingMode,
    StructuredMode,
    resolve_config,
)
from abstraction.client.openai_client import ChatResult, ModelClient, gbnf_grammar

__all__ = [
    "LOCAL_MODEL_NAME",
    "ChatResult",
    "ModelClient",
    "ModelConfig",
    "RecordingMode",
    "StructuredMode",
    "gbnf_grammar",
    "open_client",
    "resolve_config",
]

REPLAY_BASE_URL = "http://127.0.0.1:9/v1"
"""Never contacted: in replay mode every request is answered from recordings."""


@contextmanager
def open_client(config: ModelConfig) -> Iterator[ModelClient]:
    """A client for `config`; for the embedded model, starts llama.cpp and always stops it.

    In replay mode nothing is started: answers come from recordings, keyed by request body.
    """
    if config.recording_mode == "replay":
        name = LOCAL_MODEL_NAME if config.is_local else config.model
        client = ModelClient(
            config, base_url=config.base_url or REPLAY_BASE_URL, api_key="replay", model_name=name
        )
        try:
            yield client
        finally:
            client.close()
        return
    if not config.is_local:
        client = ModelClient(
            config,
            base_url=config.base_url or "https://api.openai.com/v1",
            api_key=config.api_key or NO_API_KEY,
            model_name=config.model,
        )
        try:
            yield client
        finally:
            client.close()
        return
    from abstraction.client.engine import engine_info
    from abstraction.client.local import LocalServer, ServerOptions
    from abstraction.client.weights import ensure_model, model_provenance

    path = config.gguf_path or ensure_model()
    name = LOCAL_MODEL_NAME if config.gguf_path is None else path.stem
    options = ServerOptions(
        n_ctx=config.n_ctx,
        n_threads=config.n_threads,
        model_alias=name,
        engine=config.engine,
        llama_server=config.llama_server,
        parallel=config.slots,
    )
    with LocalServer(model_path=path, options=options) as server:
        sha = model_provenance().get("sha256") if config.gguf_path is None else None
        client = ModelClient(
            config,
            base_url=server.base_url,
            api_key="sk-local",
            model_name=name,
            model_sha256=sha,
            health=server.death,
            server_startup_seconds=round(server.startup_seconds or 0.0, 3),
            server=options.backend,
            engine_version=engine_info(options.engine).version,
            slots=options.parallel,
        )
        try:
            yield client
        finally:
            client.close()
