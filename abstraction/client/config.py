"""Model configuration, resolved once at the edge (flag, then environment, then defaults).

Follows the openai SDK's conventions: `OPENAI_API_KEY` and `OPENAI_BASE_URL`.  With neither a
base URL nor a non-local model name, the embedded model is used.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, get_args

from abstraction.client.engine import DEFAULT_ENGINE, ENGINES, Engine
from abstraction.core.errors import ConfigError, UserError

StructuredMode = Literal[
    "auto", "json_schema", "json_object_schema", "json_object", "gbnf", "llguidance"
]
STRUCTURED_MODES: tuple[str, ...] = get_args(StructuredMode)
RecordingMode = Literal["off", "record", "replay"]

LOCAL_MODEL_NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m"
NO_API_KEY = "not-needed"
"""The key sent when none was given (the OpenAI SDK requires one): a local or in-cluster
server takes any; credentials in the base URL are sent instead (`abstraction.jobs.transport`)."""


@dataclass(frozen=True)
class ModelConfig:
    """Where and how to call a model.

    model: ``local`` (the embedded GGUF, served by llama.cpp) or a model name at `base_url`.
    structured: how the answer is constrained: ``json_schema`` (OpenAI strict structured
      outputs, also vLLM), ``json_object_schema`` (llama.cpp: ``{"type": "json_object",
      "schema": ...}``), ``json_object`` (plain JSON mode; the schema goes in the prompt),
      ``gbnf`` (llama.cpp's own server, i.e. xllamacpp or llama-server: ``{"grammar": ...}``,
      the schema turned into a GBNF grammar by llama-cpp-python's converter, vendored: the very
      grammar llama_cpp.server builds for ``json_object_schema``, at most one space between
      JSON tokens; llama.cpp's own converter allows newlines and 20-space indents, and the 1.5B
      model fills them: 1.75x the tokens on the same four cases), ``llguidance`` (llama.cpp
      built with LLGuidance, as xllamacpp is: ``{"grammar": "%llguidance ..."}``, one line with
      ", " and ": " between tokens; measured worse than ``gbnf`` with prompt v1, see
      docs/engine.md).  ``auto`` picks ``gbnf`` for the embedded model, except
      ``json_object_schema`` on llama-cpp-python's server; ``json_schema`` for any other
      endpoint.
    engine: what serves the embedded model: ``xllamacpp`` (default: a prebuilt, portable
      wheel), ``llama-cpp-python`` or ``llama-server`` (see `abstraction.client.engine`);
      environment ABSTRACTION_ENGINE.
    n_threads: llama.cpp threads of the embedded server (None: every usable CPU; environment
      ABSTRACTION_THREADS).  On a machine shared with other work, fewer threads than CPUs keeps
      llama.cpp's threads from waiting on each other at every step.
    recording_dir / recording_mode: record every HTTP exchange, or replay them offline (a
      request with no recording fails instead of calling a model).
    http_transport: an httpx transport to send requests through (tests, fault injection, logging).
    llama_server / slots: serve the embedded model with llama.cpp's ``llama-server`` binary at
      this path (engine ``llama-server``); `slots` parallel slots, each with `n_ctx` tokens of
      context, on xllamacpp or llama-server (llama-cpp-python's server has one).
    """

    model: str = "local"
    base_url: str | None = None
    api_key: str | None = field(default=None, repr=False)
    structured: StructuredMode = "auto"
    timeout: float = 600.0
    http_retries: int = 2
    gguf_path: Path | None = None
    n_ctx: int = 8192
    n_threads: int | None = None
    recording_dir: Path | None = None
    recording_mode: RecordingMode = "off"
    http_transport: Any = None
    llama_server: Path | None = None
    slots: int = 1
    engine: Engine = DEFAULT_ENGINE

    @property
    def is_local(self) -> bool:
        return self.base_url is None and self.model == "local"

    def resolved_structured(self) -> StructuredMode:
        if self.structured != "auto":
            return self.structured
        if not self.is_local:
            return "json_schema"
        engine = "llama-server" if self.llama_server is not None else self.engine
        return "json_object_schema" if engine == "llama-cpp-python" else "gbnf"

    def with_overrides(self, **changes: Any) -> ModelConfig:
        return replace(self, **changes)


def resolve_config(
    *,
    model: str | None = None,
    base_url: str | None = None,
    api_key: str | None = None,
    structured: str | None = None,
    gguf_path: Path | None = None,
    llama_server: Path | None = None,
    slots: int | None = None,
    engine: str | None = None,
    env: dict[str, str] | None = None,
    **rest: Any,
) -> ModelConfig:
    """Flag, then environment, then defaults.  A base URL without a model name is an error."""
    env = dict(os.environ) if env is None else env
    base_url = base_url or env.get("OPENAI_BASE_URL") or None
    api_key = api_key or env.get("OPENAI_API_KEY") or None
    model = model or env.get("ABSTRACTION_MODEL") or "local"
    if gguf_path is None and env.get("ABSTRACTION_GGUF"):
        gguf_path = Path(env["ABSTRACTION_GGUF"])
    if "n_threads" not in rest and env.get("ABSTRACTION_THREADS"):
        try:
            rest["n_threads"] = int(env["ABSTRACTION_THREADS"])
        except ValueError:
            raise ConfigError(
                f"ABSTRACTION_THREADS must be a whole number, not {env['ABSTRACTION_THREADS']!r}"
            ) from None
    if llama_server is None and env.get("ABSTRACTION_LLAMA_SERVER"):
        llama_server = Path(env["ABSTRACTION_LLAMA_SERVER"]).expanduser()
    engine = engine or env.get("ABSTRACTION_ENGINE") or None
    if llama_server is not None:
        engine = "llama-server"
    engine = engine or DEFAULT_ENGINE
    if engine not in ENGINES:
        raise ConfigError(f"unknown engine {engine!r}: choose one of {', '.join(ENGINES)}")
    if engine == "llama-server" and llama_server is None:
        raise ConfigError(
            "engine llama-server needs its binary: pass --llama-server PATH or set "
            "ABSTRACTION_LLAMA_SERVER (scripts/build_llama_server.sh builds it)"
        )
    slots = 1 if slots is None else slots
    if slots < 1:
        raise ConfigError(f"--slots must be at least 1, not {slots}")
    if slots > 1 and engine == "llama-cpp-python":
        raise ConfigError(
            f"--slots {slots} needs llama.cpp's own server (llama-cpp-python's server has one "
            "slot): use the default engine xllamacpp, or --llama-server PATH"
        )
    if model == "local" and base_url and rest.get("recording_mode", "off") != "replay":
        raise ConfigError(
            f"a base URL is set ({base_url}) but no model name: pass --model NAME, "
            "or unset OPENAI_BASE_URL to use the embedded model"
        )
    if structured and structured not in STRUCTURED_MODES:
        raise ConfigError(f"unknown structured-output mode {structured!r}")
    return ModelConfig(
        model=model,
        base_url=base_url if model != "local" else None,
        api_key=api_key,
        structured=(structured or "auto"),  # type: ignore[arg-type]
        gguf_path=gguf_path,
        llama_server=llama_server,
        slots=slots,
        engine=engine,
        **rest,
    )


PATTERN_NEEDS_GRAMMAR = (
    "this prompt limits phrases to the document's own words (a pass with copy_words: a "
    "JSON-schema pattern per document), which --structured json_object cannot enforce: the "
    "schema, its pattern of the whole text's words with it, would only be written into the "
    "prompt.  For live extraction use a mode that constrains the answer: --structured gbnf, "
    "json_object_schema or llguidance (llama.cpp servers), or json_schema (OpenAI, vLLM); "
    "for a batch, json_schema; or a prompt without copy_words (the default has none)"
)
"""Why a ``copy_words`` prompt is refused with ``--structured json_object``."""


def refuse_unenforced_patterns(
    mode: str | None, prompt_name: str, pattern_passes: list[str]
) -> None:
    """Raise `UserError` before any request when `mode` is ``json_object`` and a pass of the
    prompt (`pattern_passes`: those with ``copy_words``) would need a pattern enforced: the
    whole prompt is refused at once, not pass by pass after the others were paid for."""
    if mode == "json_object" and pattern_passes:
        where = f"prompt {prompt_name}, pass {', '.join(pattern_passes)}: "
        raise UserError(where + PATTERN_NEEDS_GRAMMAR)
