"""The one path to a model: the openai SDK for transport, instructor for validate-and-re-ask.

Every endpoint (the embedded llama.cpp server, OpenAI, Azure OpenAI, vLLM, Ollama) is spoken to
with the same OpenAI chat-completions request.  Only the `response_format` differs, chosen by
`ModelConfig.structured`; it is passed in `extra_body` so that instructor does not paste an
indented schema into the prompt (thousands of tokens that a small model pays for on every call).

The first attempt goes straight through the SDK and its answer is validated with the pass
model's `model_validate_json`, exactly as instructor's JSON_SCHEMA handler parses it.  Only an
answer that fails validation goes to instructor, which re-asks with the validation error, up to
the prompt's `max_retries`.  instructor rebuilds the response model and its JSON Schema on every
call (about 30 ms of CPU per call, more than the rest of a job's per-document work together),
and that schema is then discarded, because `extra_body` replaces its `response_format`; so the
request on the wire is the same either way, and recordings replay (tests/client checks both the
first request and the re-ask byte for byte against instructor's own).  The usage of every
attempt is counted.
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import instructor
import openai
from instructor.core.exceptions import IncompleteOutputException
from instructor.core.hooks import Hooks
from instructor.v2.core.registry import mode_registry
from openai._models import FinalRequestOptions
from openai.types.chat import ChatCompletion
from pydantic import BaseModel, ValidationError

from abstraction.client._vendor.gbnf import json_schema_to_gbnf
from abstraction.client.config import PATTERN_NEEDS_GRAMMAR, ModelConfig
from abstraction.client.failures import translate
from abstraction.client.recording import RecordingTransport
from abstraction.core.errors import UserError
from abstraction.core.frozen import FrozenDict
from abstraction.core.prompts import PromptSettings
from abstraction.core.records import Usage
from abstraction.core.redact import redact_url


@dataclass(frozen=True)
class ChatResult:
    value: BaseModel
    raw_text: str
    usage: Usage
    attempts: int
    seconds: float


def _usage_of(obj: Any) -> Usage:
    if obj is None:
        return Usage()
    get = (lambda k: obj.get(k, 0)) if isinstance(obj, dict) else (lambda k: getattr(obj, k, 0))
    return Usage(
        prompt_tokens=get("prompt_tokens") or 0,
        completion_tokens=get("completion_tokens") or 0,
        total_tokens=get("total_tokens") or 0,
    )


class _CallLog:
    """Per-call instructor hooks: count attempts and keep the last raw answer."""

    def __init__(self) -> None:
        self.hooks = Hooks()
        self.responses: list[Any] = []
        self._usages: list[Usage] = []
        self.hooks.on("completion:response", self.seen)

    def seen(self, response: Any) -> None:
        # Snapshot now: instructor later folds every attempt's usage into one shared object.
        self.responses.append(response)
        self._usages.append(_usage_of(getattr(response, "usage", None)))

    @property
    def last_text(self) -> str | None:
        if not self.responses:
            return None
        try:
            return self.responses[-1].choices[0].message.content
        except (AttributeError, IndexError, TypeError):  # "choices": null from a proxy
            return None

    def result(self, value: BaseModel, seconds: float) -> ChatResult:
        return ChatResult(value, self.last_text or "", self.usage(), len(self.responses), seconds)

    def usage(self) -> Usage:
        total = Usage()
        for u in self._usages:
            total = total + u
        n = len(self.responses)
        return total.model_copy(update={"calls": n, "retries": max(n - 1, 0)})


# Keywords that only instructor reads; the rest is the body of the chat-completions request.
_INSTRUCTOR_ONLY = frozenset({"response_model", "max_retries", "strict", "hooks"})


def _dumps(value: Any) -> str:
    """Compact JSON as the SDK writes a request body."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def _request_body(kwargs: dict[str, Any], tail_text: str) -> bytes:
    """The JSON body `chat.completions.create(**kwargs)` would send: its parameters, then
    `extra_body`'s members (given as JSON text without braces, see `ModelClient._first_body`).

    Posted as bytes (`client.post(content=...)`, the SDK's way to send a body it need not
    check): `create` first walks every message through its type-directed transform, which
    costs more CPU than the HTTP exchange and changes nothing in plain JSON like ours.  The
    answer comes back as the raw HTTP response: see `_completion`."""
    rest = {k: v for k, v in kwargs.items() if k not in _INSTRUCTOR_ONLY and k != "extra_body"}
    return f"{_dumps(rest)[:-1]},{tail_text}}}".encode()


def _completion(response: Any) -> Any:
    """The SDK's `ChatCompletion` for a raw HTTP response, checked by pydantic's compiled
    validator (0.02 ms; the SDK's lenient pure-Python `construct` takes 0.3 ms).  An answer
    that is not a standard chat completion (a server's own variant) gets `construct`, which is
    what `chat.completions.create` returns."""
    try:
        return ChatCompletion.model_validate_json(response.content)
    except ValidationError:
        pass
    data = response.json()
    if not isinstance(data, dict):
        raise ValueError(f"the endpoint answered {type(data).__name__}, not a chat completion")
    return ChatCompletion.construct(**data)


class _ReAsk(Exception):
    """The first answer failed validation and a re-ask is allowed: instructor takes over."""

    def __init__(self, completion: Any, error: Exception) -> None:
        super().__init__(str(error))
        self.completion = completion
        self.error = error


def _first_answer(completion: Any, kwargs: dict[str, Any], log: _CallLog) -> BaseModel:
    """Validate the first completion as instructor's JSON_SCHEMA handler would.

    Raises what instructor would raise without retrying (a cut-off answer; an invalid one
    when no re-ask is allowed) or `_ReAsk` when instructor should re-ask.
    """
    log.seen(completion)
    choices = getattr(completion, "choices", None)
    if not choices:
        raise ValueError("the completion has no choices")
    if choices[0].finish_reason == "length":
        raise IncompleteOutputException(last_completion=completion)
    model: type[BaseModel] = kwargs["response_model"]
    try:
        return model.model_validate_json(choices[0].message.content or "", strict=False)
    except ValidationError as exc:
        if kwargs["max_retries"] < 1:
            raise
        raise _ReAsk(completion, exc) from exc


def _reask_kwargs(kwargs: dict[str, Any], reask: _ReAsk) -> dict[str, Any]:
    """instructor's own re-ask request (its JSON_SCHEMA re-ask handler, the assistant's answer
    and the validation error appended), with one attempt fewer left."""
    handlers = mode_registry.get_handlers(instructor.Provider.OPENAI, instructor.Mode.JSON_SCHEMA)
    asked = handlers.reask_handler(
        kwargs={"messages": list(kwargs["messages"])},
        response=reask.completion,
        exception=reask.error,
    )
    return {**kwargs, "messages": asked["messages"], "max_retries": kwargs["max_retries"] - 1}


def _has_pattern(node: Any) -> bool:
    """Whether a JSON schema constrains any string with a ``pattern``."""
    if isinstance(node, dict):  # a FrozenDict too
        return isinstance(node.get("pattern"), str) or any(_has_pattern(v) for v in node.values())
    if isinstance(node, list | tuple):
        return any(_has_pattern(v) for v in node)
    return False


def refuse_unenforced_pattern(mode: str, schema: dict[str, Any]) -> None:
    """Raise `UserError` when `mode` would only write `schema` into the prompt
    (``json_object``) and the schema holds a pattern (a ``copy_words`` pass): live and batch
    requests alike."""
    if mode == "json_object" and _has_pattern(schema):
        raise UserError(PATTERN_NEEDS_GRAMMAR)


def response_format(mode: str, name: str, schema: dict[str, Any]) -> dict[str, Any] | None:
    if mode == "json_schema":
        return {
            "type": "json_schema",
            "json_schema": {"name": name[:64], "schema": schema, "strict": True},
        }
    if mode == "json_object_schema":
        return {"type": "json_object", "schema": schema}
    return {"type": "json_object"}


@functools.lru_cache(maxsize=16)
def gbnf_grammar(schema_json: str) -> str:
    """The GBNF grammar llama-cpp-python's server builds for this JSON schema (its converter,
    vendored): at most one space between tokens, where llama.cpp's own converter allows
    newlines and indents."""
    return json_schema_to_gbnf(schema_json)


_CHAR = '[^"\\\\]'
_CJK = "\\u3000-\\u30FF\\u3400-\\u4DBF\\u4E00-\\u9FFF\\uAC00-\\uD7AF\\uFF00-\\uFFEF"
_ESCAPE = '"u" [0-9a-fA-F] [0-9a-fA-F]'


def without_cjk(grammar: str) -> str:
    """`grammar` with CJK characters (CJK symbols, kana, ideographs, Hangul, fullwidth forms)
    out of every JSON string, and ``\\u`` escapes only below U+3000 (`PromptSettings.no_cjk`).
    Every string of the vendored converter's grammar is made of its one ``char`` rule."""
    if _CHAR not in grammar or _ESCAPE not in grammar:
        raise ValueError("the grammar has no JSON string character rule to restrict")
    grammar = grammar.replace(_CHAR, f'[^"\\\\{_CJK}]')
    return grammar.replace(_ESCAPE, '"u" [0-2] [0-9a-fA-F]')


# LLGuidance's JSON options for structured mode ``llguidance``: one line, ", " and ": " between
# tokens.  LLGuidance cannot express "at most one space" (a whitespace pattern is repeated by its
# lexer) and its default allows any whitespace; measured worse than ``gbnf`` (docs/engine.md).
_LLG_OPTIONS = {"whitespace_flexible": False, "item_separator": ", ", "key_separator": ": "}


def llguidance_grammar(schema: dict[str, Any]) -> str:
    """The grammar a llama.cpp built with LLGuidance (xllamacpp) takes in ``grammar``: the JSON
    schema itself, with options that keep the answer on one line."""
    return "%llguidance {}\nstart: %json " + _dumps({**schema, "x-guidance": _LLG_OPTIONS})


Health = Callable[[], str | None]
"""Says why the model's server is dead (None while it runs): the embedded server's `death`."""


class ModelClient:
    """A configured connection to one model endpoint.  Use `open_client` to get one.

    `health`, when given, is asked whenever a call fails: a dead server stops everything with
    an `EndpointError` that says why, instead of each document failing with "connection
    error"."""

    def __init__(
        self,
        config: ModelConfig,
        *,
        base_url: str,
        api_key: str,
        model_name: str,
        health: Health | None = None,
        **info: Any,
    ) -> None:
        self.config = config
        self._health = health
        self.model_name = model_name
        self.base_url = base_url
        self.info = info
        self.structured = config.resolved_structured()
        sync_t, async_t = self._transports()
        self._recording = [t for t in (sync_t, async_t) if isinstance(t, RecordingTransport)]
        common: dict[str, Any] = {
            "base_url": base_url,
            "api_key": api_key,
            "max_retries": config.http_retries,
        }
        # Loopback must never go through a proxy from the environment.
        http: dict[str, Any] = {
            "timeout": config.timeout,
            "trust_env": not base_url.startswith("http://127."),
        }
        # openai's stubs name a vendored httpx; an httpx client is what it accepts at run time.
        sync_http: Any = httpx.Client(transport=sync_t, **http)
        async_http: Any = httpx.AsyncClient(transport=async_t, **http)
        self._sync = openai.OpenAI(**common, http_client=sync_http)
        self._async = openai.AsyncOpenAI(**common, http_client=async_http)
        self._texts: dict[tuple[str, int], tuple[dict[str, Any], str]] = {}

    # instructor's patched clients are made on the first re-ask: patching reads the SDK's
    # `chat` resource, whose first use imports every resource module of the SDK (a second or
    # more of CPU at the start of each job), and the first attempts never need them.
    @functools.cached_property
    def _inst(self) -> Any:
        return instructor.from_openai(self._sync, mode=instructor.Mode.JSON_SCHEMA)

    @functools.cached_property
    def _ainst(self) -> Any:
        return instructor.from_openai(self._async, mode=instructor.Mode.JSON_SCHEMA)

    def _transports(self) -> tuple[Any, Any]:
        cfg = self.config
        if cfg.recording_mode == "off" or cfg.recording_dir is None:
            return cfg.http_transport, cfg.http_transport
        return (
            RecordingTransport(
                cfg.recording_dir, mode=cfg.recording_mode, inner=cfg.http_transport
            ),
            RecordingTransport(
                cfg.recording_dir, mode=cfg.recording_mode, inner=cfg.http_transport
            ),
        )

    def recorded_latency(self) -> tuple[float, int, int] | None:
        """(model seconds, calls, calls without a stored latency) of every exchange so far
        when recording or replaying, else None: a replayed evaluation reports the latency the
        live calls had."""
        if not self._recording:
            return None
        meters = [t.latency for t in self._recording]
        return (
            sum(m.seconds for m in meters),
            sum(m.calls for m in meters),
            sum(m.unknown for m in meters),
        )

    def describe(self) -> dict[str, Any]:
        """What the provenance of an output needs to say about the model."""
        endpoint = "local" if self.config.is_local else redact_url(self.base_url)
        return {
            "model": self.model_name,
            "endpoint": endpoint,
            "structured": self.structured,
            **self.info,
        }

    def _request(
        self,
        *,
        messages: list[dict[str, Any]],
        response_model: type[BaseModel],
        json_schema: dict[str, Any],
        settings: PromptSettings,
        log: _CallLog,
    ) -> dict[str, Any]:
        if self.structured == "json_object":
            refuse_unenforced_pattern(self.structured, json_schema)
            schema_text = self._text("schema", json_schema, lambda: json_schema)
            last = dict(messages[-1])
            last["content"] = (
                f"{last['content']}\n\nAnswer with JSON matching this schema: {schema_text}"
            )
            messages = [*messages[:-1], last]
        # gbnf: null cancels the response_format instructor adds; llama-server would turn
        # that schema into its own grammar and refuse to have two.
        body = self._constraint(response_model.__name__, json_schema, no_cjk=settings.no_cjk)
        kwargs: dict[str, Any] = {
            "model": self.model_name,
            "messages": messages,
            "response_model": response_model,
            "max_retries": settings.max_retries,
            "strict": False,
            "hooks": log.hooks,
            "temperature": settings.temperature,
            "max_tokens": settings.max_tokens,
            "extra_body": body,
        }
        if settings.seed is not None:
            kwargs["seed"] = settings.seed
        return kwargs

    def _text(self, kind: str, json_schema: dict[str, Any], build: Callable[[], Any]) -> str:
        """`build()` as JSON text, kept for a shared read-only schema (a `FrozenDict`, which
        cannot change, so identity is a safe key): the schema is most of every request body,
        and the same for every document of a job."""
        key = (kind, id(json_schema))
        hit = self._texts.get(key)
        if hit is not None and hit[0] is json_schema:
            return hit[1]
        text = _dumps(build())
        if isinstance(json_schema, FrozenDict):
            if len(self._texts) >= 64:
                self._texts.clear()
            self._texts[key] = (json_schema, text)
        return text

    def _constraint(
        self, name: str, schema: dict[str, Any], *, no_cjk: bool = False
    ) -> dict[str, Any]:
        """The members of the request body that constrain the answer.  A grammar comes with
        ``response_format: null``, which cancels the one instructor adds: llama.cpp would turn
        that schema into a second grammar and refuse to have two.  `no_cjk`: see
        `PromptSettings.no_cjk` (the gbnf grammar only)."""
        if self.structured == "gbnf":
            grammar = gbnf_grammar(json.dumps(schema))
            return {
                "grammar": without_cjk(grammar) if no_cjk else grammar,
                "response_format": None,
            }
        if self.structured == "llguidance":
            return {"grammar": llguidance_grammar(schema), "response_format": None}
        return {"response_format": response_format(self.structured, name, schema)}

    def _first_body(self, request: dict[str, Any], kwargs: dict[str, Any]) -> bytes:
        name, schema = request["response_model"].__name__, request["json_schema"]
        kind = f"{self.structured}:{name}:{'no_cjk' if request['settings'].no_cjk else ''}"
        extra = self._text(kind, schema, lambda: kwargs["extra_body"])
        return _request_body(kwargs, extra[1:-1])

    # The first attempt's POST.  With the SDK's own retries off (a job's transport retries),
    # the SDK adds nothing to a request it need not check but CPU: it rebuilds the same headers,
    # options and URL on every call (1 ms, as much as the HTTP exchange).  The request it would
    # build is made once (`_template`) and each call copies it with its own body, straight to
    # the transport the SDK's httpx client would pick; errors become the SDK's own exceptions.
    # tests/client/test_fast_path.py checks the two paths send the same method, URL, headers
    # and body.

    @functools.cached_property
    def _sync_template(self) -> _Template | None:
        return _Template.of(self._sync) if self.config.http_retries == 0 else None

    @functools.cached_property
    def _async_template(self) -> _Template | None:
        return _Template.of(self._async) if self.config.http_retries == 0 else None

    def _post(self, body: bytes) -> httpx.Response:
        tmpl = self._sync_template
        if tmpl is None:
            return self._sync.post("/chat/completions", content=body, cast_to=httpx.Response)
        request = tmpl.request(body)
        try:
            response = tmpl.transport.handle_request(request)
            response.read()
        except Exception as exc:
            raise _sdk_error(exc, request) from exc
        return tmpl.checked(self._sync, request, response)

    async def _apost(self, body: bytes) -> httpx.Response:
        tmpl = self._async_template
        if tmpl is None:
            return await self._async.post("/chat/completions", content=body, cast_to=httpx.Response)
        request = tmpl.request(body)
        try:
            response = await tmpl.transport.handle_async_request(request)
            await response.aread()
        except Exception as exc:
            raise _sdk_error(exc, request) from exc
        return tmpl.checked(self._async, request, response)

    def complete(self, **request: Any) -> ChatResult:
        """One structured call (with re-asks).  Raises `ModelError` with the reason on failure.

        Keywords: messages, response_model, json_schema, settings (see `_request`).
        """
        log = _CallLog()
        kwargs = self._request(**request, log=log)
        t0 = time.perf_counter()
        try:
            try:
                body = self._first_body(request, kwargs)
                raw = self._post(body)
                value = _first_answer(_completion(raw), kwargs, log)
            except _ReAsk as reask:
                value = self._inst.chat.completions.create(**_reask_kwargs(kwargs, reask))
        except Exception as exc:  # translated, cause kept
            raise self._failure(exc, log) from exc
        return log.result(value, time.perf_counter() - t0)

    async def acomplete(self, **request: Any) -> ChatResult:
        """The async twin of `complete`."""
        log = _CallLog()
        kwargs = self._request(**request, log=log)
        t0 = time.perf_counter()
        try:
            try:
                body = self._first_body(request, kwargs)
                raw = await self._apost(body)
                value = _first_answer(_completion(raw), kwargs, log)
            except _ReAsk as reask:
                value = await self._ainst.chat.completions.create(**_reask_kwargs(kwargs, reask))
        except Exception as exc:
            raise self._failure(exc, log) from exc
        return log.result(value, time.perf_counter() - t0)

    def _failure(self, exc: Exception, log: _CallLog) -> Exception:
        """What a failed call raises: `failures.translate` with what this client knows."""
        where = "the embedded model server" if self.config.is_local else redact_url(self.base_url)
        return translate(
            exc,
            where=where,
            api_key_given=bool(self.config.api_key),
            health=self._health,
            attempts=max(len(log.responses), 1),
            usage=log.usage().model_dump(),
            last_output=log.last_text,
        )

    def close(self) -> None:
        self._sync.close()

    async def aclose(self) -> None:
        await self._async.close()


_AUTO_HEADERS = frozenset({b"host", b"content-length"})


@dataclass(frozen=True)
class _Template:
    """What the SDK's ``post("/chat/completions", content=...)`` sends, minus the body."""

    url: httpx.URL
    headers: list[tuple[bytes, bytes]]
    extensions: dict[str, Any]
    transport: Any

    @classmethod
    def of(cls, sdk: Any) -> _Template:
        # the SDK's own request builder, as `request()` calls it for a first try
        options = FinalRequestOptions.construct(method="post", url="/chat/completions", content=b"")
        built = sdk._build_request(options, retries_taken=0)
        return cls(
            url=built.url,
            # httpx puts Host and Content-Length first again for the new body
            headers=[(k, v) for k, v in built.headers.raw if k.lower() not in _AUTO_HEADERS],
            extensions=built.extensions,
            transport=sdk._client._transport_for_url(built.url),
        )

    def request(self, body: bytes) -> httpx.Request:
        return httpx.Request(
            "POST", self.url, headers=self.headers, content=body, extensions=self.extensions
        )

    @staticmethod
    def checked(sdk: Any, request: httpx.Request, response: httpx.Response) -> httpx.Response:
        """The response, or the SDK's status error for it (as ``raise_for_status`` decides)."""
        response.request = request
        if not response.is_success:
            raise sdk._make_status_error_from_response(response)
        return response


def _sdk_error(exc: Exception, request: httpx.Request) -> Exception:
    """What the SDK raises when sending fails: its timeout or connection error (the cause
    is chained by the caller), or its own error unchanged."""
    if isinstance(exc, openai.OpenAIError):
        return exc
    sdk_request: Any = request  # openai's stubs name a vendored httpx; this is the same class
    if isinstance(exc, httpx.TimeoutException):
        return openai.APITimeoutError(request=sdk_request)
    return openai.APIConnectionError(request=sdk_request)
