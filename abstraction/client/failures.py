"""What a failed model call raises: an `EndpointError` when no call can succeed (a dead engine,
an endpoint that refuses connections, a rejected or missing API key), which stops a job with
the reason; else a `ModelError` whose `kind` says what went wrong with this call."""

from __future__ import annotations

import errno
import json
import socket
import ssl
from collections.abc import Callable
from typing import Any

import httpx
import openai
from instructor.core.exceptions import IncompleteOutputException, InstructorRetryException
from pydantic import ValidationError

from abstraction.client.recording import ReplayMiss
from abstraction.core.errors import EndpointError, ModelError


def translate(
    exc: Exception,
    *,
    where: str,
    api_key_given: bool,
    health: Callable[[], str | None] | None,
    attempts: int,
    usage: dict[str, int],
    last_output: str | None,
) -> Exception:
    """A dead server is the cause of whatever failed at the transport level: say so, and stop
    (`health` says why it died).  `where` names the endpoint in messages."""
    cause = _root_cause(exc)
    transport_failed = isinstance(cause, openai.APIConnectionError) or (
        isinstance(cause, openai.APIStatusError) and cause.status_code >= 500
    )
    death = health() if health is not None and transport_failed else None
    if death is not None:
        return EndpointError(death, kind="engine_died")
    if isinstance(cause, openai.APIConnectionError) and _refused(cause):
        return EndpointError(
            f"cannot reach the model endpoint {where}: {cause.__cause__ or cause}. Check "
            "--base-url (or OPENAI_BASE_URL) and that the server is running",
            kind="unreachable",
        )
    if isinstance(cause, openai.APIStatusError) and cause.status_code in (401, 403):
        given = "the API key" if api_key_given else "no API key was given"
        return EndpointError(
            f"the model endpoint {where} refused the call (HTTP {cause.status_code}: "
            f"{cause.message}): {given}. Set OPENAI_API_KEY or pass --api-key",
            kind="auth",
        )
    common = {"attempts": attempts, "usage": usage, "last_output": last_output}
    return _model_error(exc, common)


_UNREACHABLE = frozenset(
    {errno.ECONNREFUSED, errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EHOSTDOWN}
)
"""Errors of a connection that was never made: refused, no route to the host or network
(not EADDRNOTAVAIL, which a busy client's exhausted local ports give for a while)."""


def _refused(exc: BaseException) -> bool:
    """Whether nothing answers at the address: a refused connection, no route to the host or
    its network, a name that does not resolve, or a TLS handshake that fails (an https URL to
    a plain-http port, a certificate not trusted), anywhere in the chain of causes.  httpx's
    own transport raises `ConnectError`; the job's transport (aiohttp under httpx) reports the
    same refusal as a ``ConnectTimeout`` over aiohttp's ``ClientConnectorError`` over the
    ``OSError``, passed up as a dropped connection (`abstraction.jobs.transport`), so the
    chain is walked to its end.
    A connection that was made and then lost is not a refusal."""
    seen: BaseException | None = exc
    for _ in range(12):  # a chain of causes is short; a cycle must not loop
        if seen is None:
            return False
        if isinstance(seen, (httpx.ConnectError, socket.gaierror, ssl.SSLError)):
            return True  # a TLS handshake that fails (https to an http port) fails every call
        if isinstance(seen, OSError) and seen.errno in _UNREACHABLE:
            return True
        if seen.__cause__ is not None:
            seen = seen.__cause__
        else:
            seen = None if seen.__suppress_context__ else seen.__context__
    return False


def _root_cause(exc: BaseException) -> BaseException:
    seen = exc
    while isinstance(seen, InstructorRetryException) and seen.__cause__ is not None:
        seen = seen.__cause__
    return seen


def _model_error(exc: Exception, common: dict[str, Any]) -> ModelError:
    cause = _root_cause(exc)
    attempts = common["attempts"]
    if isinstance(cause, IncompleteOutputException) or isinstance(exc, IncompleteOutputException):
        return ModelError(
            "the answer was cut off at max_tokens (truncated): raise max_tokens or shorten "
            "the prompt",
            kind="truncated",
            **common,
        )
    if isinstance(cause, ReplayMiss) or isinstance(getattr(cause, "__cause__", None), ReplayMiss):
        return ModelError(str(cause.__cause__ or cause), kind="replay_miss", **common)
    if isinstance(cause, openai.APITimeoutError):
        return ModelError(f"the model endpoint timed out: {cause}", kind="timeout", **common)
    if isinstance(cause, openai.APIConnectionError):
        inner = cause.__cause__
        if isinstance(inner, ReplayMiss):
            return ModelError(str(inner), kind="replay_miss", **common)
        return ModelError(f"cannot reach the model endpoint: {cause}", kind="connection", **common)
    if isinstance(cause, openai.APIStatusError):
        return ModelError(
            f"the model endpoint answered HTTP {cause.status_code}: {cause.message}",
            kind="http",
            details={"status": cause.status_code},
            **common,
        )
    if isinstance(cause, json.JSONDecodeError) or (
        isinstance(cause, ValidationError) and "json_invalid" in str(cause)
    ):
        return ModelError(f"the answer is not valid JSON: {cause}", kind="unparseable", **common)
    if isinstance(cause, ValidationError):
        return ModelError(
            f"the answer failed schema validation after {attempts} attempt(s): "
            f"{cause.error_count()} error(s), first: {cause.errors()[0]['loc']} "
            f"{cause.errors()[0]['msg']}",
            kind="invalid",
            **common,
        )
    return ModelError(f"model call failed: {type(cause).__name__}: {cause}", kind="error", **common)
