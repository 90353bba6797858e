"""The options every command that calls a model shares, with one meaning everywhere.

Model: ``--model --base-url --api-key --structured --gguf --llama-server --engine``, resolved
once here (flag, then environment, then defaults; `abstraction.client.resolve_config`).
Recordings: ``--record`` and ``--replay`` are switches (keep every successful model exchange, or
answer from the kept ones only, offline); ``--recordings DIR`` is where they are kept.  ``eval``
defaults that folder to its suite's; the other commands need it.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from abstraction.client import ModelConfig, resolve_config
from abstraction.core.errors import UserError

R = TypeVar("R")

STRUCTURED_HELP = (
    "auto, json_schema (OpenAI/vLLM), json_object_schema (llama.cpp), json_object (plain JSON), "
    "gbnf (llama.cpp's own server: the default for the embedded model), llguidance."
)
ENGINE_HELP = (
    "What serves the embedded model: xllamacpp (default, prebuilt and portable), "
    "llama-cpp-python, llama-server (with --llama-server). Default: $ABSTRACTION_ENGINE."
)

ModelOption = Annotated[
    str | None,
    typer.Option(
        help="'local' (the embedded model) or a model name at --base-url. "
        "Default: $ABSTRACTION_MODEL, else local."
    ),
]
BaseUrlOption = Annotated[
    str | None, typer.Option(help="OpenAI-compatible endpoint (default: $OPENAI_BASE_URL).")
]
ApiKeyOption = Annotated[str | None, typer.Option(help="Default: $OPENAI_API_KEY.")]
StructuredOption = Annotated[str | None, typer.Option(help=STRUCTURED_HELP)]
GgufOption = Annotated[
    Path | None, typer.Option(help="Serve this GGUF instead of the default (embedded model).")
]
LlamaServerOption = Annotated[
    Path | None,
    typer.Option(help="Serve the embedded model with this llama.cpp llama-server binary."),
]
EngineOption = Annotated[str | None, typer.Option(help=ENGINE_HELP)]
RecordOption = Annotated[
    bool,
    typer.Option(help="Call the model and keep every successful exchange in --recordings."),
]
ReplayOption = Annotated[
    bool,
    typer.Option(help="Answer from --recordings only (offline; a request never kept fails)."),
]


RecordingsOption = Annotated[
    Path | None,
    typer.Option(
        help="Folder where --record keeps and --replay reads model exchanges "
        "(eval: default the suite's, eval/recordings)."
    ),
]


TimeoutOption = Annotated[
    float | None,
    typer.Option(
        help="Seconds to wait for one answer before the attempt counts as a timeout "
        "(default 600; a server that accepts and never answers costs this per attempt)."
    ),
]


@dataclass(frozen=True)
class ModelOptions:
    """The shared options as given on the command line (None: not given)."""

    model: str | None = None
    base_url: str | None = None
    api_key: str | None = None
    structured: str | None = None
    gguf: Path | None = None
    llama_server: Path | None = None
    engine: str | None = None
    record: bool = False
    replay: bool = False
    recordings: Path | None = None
    timeout: float | None = None

    @property
    def mode(self) -> str:
        return "record" if self.record else "replay" if self.replay else "off"

    def config(
        self,
        *,
        model: str | None = None,
        recordings: Path | None = None,
        slots: int | None = None,
    ) -> ModelConfig:
        """The `ModelConfig` these options describe; `model` and `recordings` are the
        command's own defaults (a batch's model, a suite's recordings)."""
        return model_config_from_options(
            model=self.model or model,
            base_url=self.base_url,
            api_key=self.api_key,
            structured=self.structured,
            gguf=self.gguf,
            llama_server=self.llama_server,
            engine=self.engine,
            record=self.record,
            replay=self.replay,
            recordings=self.recordings or recordings,
            slots=slots,
            timeout=self.timeout,
        )


def _shared(
    *,
    model: ModelOption = None,
    base_url: BaseUrlOption = None,
    api_key: ApiKeyOption = None,
    structured: StructuredOption = None,
    gguf: GgufOption = None,
    llama_server: LlamaServerOption = None,
    engine: EngineOption = None,
    record: RecordOption = False,
    replay: ReplayOption = False,
    recordings: RecordingsOption = None,
    timeout: TimeoutOption = None,
) -> None:
    """The shared options' declarations (typer reads a command's parameters)."""


_SHARED = inspect.signature(_shared, eval_str=True).parameters


def with_model_options(command: Callable[..., R]) -> Callable[..., R]:
    """`command` with the shared options added to its parameters; it receives them as
    ``models: ModelOptions``, so every command declares them once, here."""
    signature = inspect.signature(command, eval_str=True)
    own = [p for name, p in signature.parameters.items() if name != "models"]

    @functools.wraps(command)
    def with_options(*args: Any, **kwargs: Any) -> R:
        given = {name: kwargs.pop(name) for name in _SHARED if name in kwargs}
        return command(*args, models=ModelOptions(**given), **kwargs)

    parameters = [*own, *_SHARED.values()]
    with_options.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    with_options.__annotations__ = {p.name: p.annotation for p in parameters}
    return with_options


def model_config_from_options(
    *,
    model: str | None,
    base_url: str | None,
    api_key: str | None,
    structured: str | None,
    gguf: Path | None,
    llama_server: Path | None = None,
    engine: str | None = None,
    record: bool = False,
    replay: bool = False,
    recordings: Path | None = None,
    slots: int | None = None,
    timeout: float | None = None,
) -> ModelConfig:
    """The `ModelConfig` the shared options describe."""
    if timeout is not None and not timeout > 0:
        raise UserError(f"--timeout must be more than 0 seconds, not {timeout}")
    if record and replay:
        raise UserError("--record and --replay exclude each other")
    if (record or replay) and recordings is None:
        flag = "--record" if record else "--replay"
        raise UserError(f"{flag} needs --recordings DIR: the folder of recorded exchanges")
    mode = "record" if record else "replay" if replay else "off"
    rest: dict[str, Any] = {} if timeout is None else {"timeout": timeout}
    return resolve_config(
        model=model,
        base_url=base_url,
        api_key=api_key,
        structured=structured,
        gguf_path=gguf,
        llama_server=llama_server,
        slots=slots,
        engine=engine,
        recording_dir=recordings if mode != "off" else None,
        recording_mode=mode,
        **rest,
    )
