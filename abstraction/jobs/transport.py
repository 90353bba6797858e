"""An httpx transport that retries transient HTTP faults and reports every call.

The job runner hands this to the model client (``ModelConfig(http_transport=...)``), so the
client stays unaware of jobs while every HTTP exchange, retries included, reaches the run store
and the cost meter.  It sits below the SDK: whatever the client does on top (re-asking on an
invalid answer) shows up here as further calls.

Retried: 429 (after ``Retry-After``/``retry-after-ms``, and every other request waits too),
408 and 5xx, timeouts, dropped connections, and a 200 whose body is not JSON (a proxy cut it
short).  Backoff is exponential with full jitter, bounded in attempts and in seconds.  When the
attempts are spent the last response is returned (or the last exception raised), so the client
reports the failure in its own terms.

The document a call belongs to comes from a context variable (`CURRENT_METER`) that the runner
sets in each document's task; asyncio copies it into everything the task awaits.
"""

from __future__ import annotations

import asyncio
import contextvars
import email.utils
import json
import random
import ssl
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from abstraction.client.config import NO_API_KEY
from abstraction.core.errors import ConfigError
from abstraction.core.redact import redact_url

RETRY_STATUS = frozenset({408, 429, 500, 502, 503, 504, 520, 522, 524})


@dataclass(frozen=True)
class RetryPolicy:
    """`max_attempts` counts the first try; waits are capped by `backoff_max` and
    `max_retry_after` (a longer ``Retry-After`` is not waited for: the 429 is returned)."""

    max_attempts: int = 5
    backoff_base: float = 0.5
    backoff_max: float = 20.0
    max_retry_after: float = 120.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ConfigError(
                f"retries must be 0 or more (max_attempts at least 1), got {self.max_attempts - 1}"
            )
        if min(self.backoff_base, self.backoff_max, self.max_retry_after) < 0:
            raise ConfigError("retry waits must not be negative")

    def backoff(self, attempt: int, rng: random.Random) -> float:
        return rng.uniform(0, min(self.backoff_max, self.backoff_base * 2 ** (attempt - 1)))


@dataclass(eq=False)
class CallMeter:
    """What one document's calls cost so far; the runner reads it when the document ends.

    Compared by identity (``eq=False``): two documents' meters with equal counts (two inputs
    with the same id, both before their first call) are still two meters."""

    doc_id: str
    calls: int = 0
    failed_calls: int = 0
    cancelled_calls: int = 0
    """Calls cut short by Ctrl-C after the request was sent: their tokens, so their cost, are
    unknown."""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    model: str | None = None
    models: dict[str, list[int]] = field(default_factory=dict)

    def add(self, model: str | None, prompt: int, completion: int) -> None:
        self.prompt_tokens += prompt
        self.completion_tokens += completion
        if model:
            self.model = model
            tally = self.models.setdefault(model, [0, 0])
            tally[0] += prompt
            tally[1] += completion


CURRENT_METER: contextvars.ContextVar[CallMeter | None] = contextvars.ContextVar(
    "abstraction_call_meter", default=None
)

OnCall = Callable[[dict[str, Any]], None]


def parse_retry_after(headers: httpx.Headers, *, now: float | None = None) -> float | None:
    """Seconds to wait from ``retry-after-ms``, or ``Retry-After`` (seconds or an HTTP date)."""
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - (now if now is not None else time.time()))


def _usage(body: Any) -> tuple[str | None, int, int]:
    if not isinstance(body, dict):
        return None, 0, 0
    usage = body.get("usage") or {}
    model = body.get("model") if isinstance(body.get("model"), str) else None
    try:
        return model, int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)
    except (TypeError, ValueError, AttributeError, OverflowError):  # 1e400 tokens: int(inf)
        return model, 0, 0


def _without_query(url: httpx.URL) -> str:
    # copy_with re-parses the whole URL (half of `_report`'s CPU); only a query needs it.
    text = str(url.copy_with(query=None)) if url.query else str(url)
    return redact_url(text) if "@" in text else text


def _without_userinfo(request: httpx.Request) -> httpx.Request:
    """Credentials in the URL (``http://user:pass@host``) become a Basic ``Authorization``
    header, unless the request has one already (an API key given: not the placeholder
    `NO_API_KEY` the client sends when none was), and leave the URL: aiohttp
    refuses a request with both, and a URL is logged where a header is not."""
    url = request.url
    if not (url.username or url.password):
        return request
    if request.headers.get("authorization") in (None, f"Bearer {NO_API_KEY}"):
        auth = httpx.BasicAuth(url.username, url.password)
        request = next(auth.auth_flow(request))
    request.url = url.copy_with(username=None, password=None)
    return request


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


def default_async_transport(*, tls: bool = True) -> httpx.AsyncBaseTransport:
    """aiohttp under httpx when `httpx-aiohttp` is installed, else httpx's own.

    At 30+ concurrent requests httpcore's connection pool costs more CPU than the rest of
    the job (it re-checks every pooled connection on every request); the aiohttp transport
    halves the CPU per document and doubles throughput in `bench/jobs.py`.

    ``tls=False`` is for an ``http://`` endpoint (a local or in-cluster server): loading the
    CA certificates (50 ms at every job's start) is skipped, and the transport gets a TLS
    context that trusts no certificate, so an ``https://`` URL reached anyway (a redirect)
    fails verification instead of going unchecked."""
    verify: ssl.SSLContext | bool = True if tls else ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    try:
        from httpx_aiohttp import AiohttpTransport
    except ImportError:
        return httpx.AsyncHTTPTransport(verify=verify)
    return AiohttpTransport(verify=verify)


def failure_kind(exc: httpx.TransportError) -> str:
    """``timeout`` or ``connection``.  httpx-aiohttp reports a dropped connection as
    ``ConnectTimeout``; its cause (an aiohttp error that is not a timeout) tells them apart."""
    cause = exc.__cause__
    from_aiohttp = type(cause).__module__.startswith("aiohttp")
    if isinstance(exc, httpx.TimeoutException) and not (
        from_aiohttp and not isinstance(cause, TimeoutError)
    ):
        return "timeout"
    return "connection"


def _as_reported(exc: httpx.TransportError) -> httpx.TransportError:
    """The exception to pass up: a dropped connection must not look like a timeout."""
    if isinstance(exc, httpx.TimeoutException) and failure_kind(exc) == "connection":
        err = httpx.RemoteProtocolError(str(exc) or "connection lost")
        err.__cause__ = exc
        return err
    return exc


class JobTransport(httpx.AsyncBaseTransport, httpx.BaseTransport):
    """Retrying, reporting wrapper around another transport (see the module docstring).

    One object serves both an ``httpx.AsyncClient`` and an ``httpx.Client`` (the model client
    builds one of each from the same config); each direction has its own inner transport.
    """

    def __init__(
        self,
        *,
        inner: httpx.AsyncBaseTransport | None = None,
        sync_inner: httpx.BaseTransport | None = None,
        policy: RetryPolicy = RetryPolicy(),
        on_call: OnCall | None = None,
        log_bodies: bool = True,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        seed: int | None = None,
    ) -> None:
        self.inner = inner  # None: the default, made for the scheme of the first request
        self._sync_inner = sync_inner
        self.policy = policy
        self.on_call = on_call
        self.log_bodies = log_bodies
        self._sleep = sleep
        self._rng = random.Random(seed)
        self._not_before = 0.0

    async def aclose(self) -> None:
        if self.inner is not None:
            await self.inner.aclose()

    def _async_inner(self, url: httpx.URL) -> httpx.AsyncBaseTransport:
        if self.inner is None:
            self.inner = default_async_transport(tls=url.scheme != "http")
        return self.inner

    @property
    def sync_inner(self) -> httpx.BaseTransport:
        """Made on first use: a job only sends asynchronously, and an httpx transport loads
        the system's CA certificates when it is made (tens of ms at every job's start)."""
        if self._sync_inner is None:
            self._sync_inner = httpx.HTTPTransport()
        return self._sync_inner

    def close(self) -> None:
        if self._sync_inner is not None:
            self._sync_inner.close()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """The blocking twin of `handle_async_request` (same retries, same reports)."""
        request = _without_userinfo(request)
        last_exc: Exception | None = None
        response: httpx.Response | None = None
        for attempt in range(1, self.policy.max_attempts + 1):
            delay = self._not_before - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            started, t0 = datetime.now(UTC), time.monotonic()
            try:
                response = self.sync_inner.handle_request(request)
                body = response.read()
            except httpx.TimeoutException as exc:
                last_exc, response = exc, None
                self._report(request, attempt, started, t0, status="timeout", error=repr(exc))
                wait = self.policy.backoff(attempt, self._rng)
            except (httpx.NetworkError, httpx.RemoteProtocolError) as exc:
                last_exc, response = exc, None
                self._report(request, attempt, started, t0, status="connection", error=repr(exc))
                wait = self.policy.backoff(attempt, self._rng)
            else:
                judged = self._judge(request, response, body, attempt, started, t0)
                if judged is None:
                    return response
                wait = judged
            if attempt < self.policy.max_attempts:
                time.sleep(wait)
        if response is not None:
            return response
        assert last_exc is not None
        raise last_exc

    async def _wait_for_gate(self) -> None:
        delay = self._not_before - time.monotonic()
        if delay > 0:
            await self._sleep(delay)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        request = _without_userinfo(request)
        last_exc: httpx.TransportError | None = None
        response: httpx.Response | None = None
        for attempt in range(1, self.policy.max_attempts + 1):
            await self._wait_for_gate()
            started, t0 = datetime.now(UTC), time.monotonic()
            try:
                response = await self._async_inner(request.url).handle_async_request(request)
                body = await response.aread()
            except asyncio.CancelledError:
                # Ctrl-C with the request sent: the server may have answered (and billed); the
                # call is counted, its tokens unknown (twelfth session's audit)
                self._report(request, attempt, started, t0, status="cancelled", error="cancelled")
                raise
            except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as exc:
                last_exc, response = exc, None
                kind = failure_kind(exc)
                self._report(request, attempt, started, t0, status=kind, error=repr(exc))
                wait = self.policy.backoff(attempt, self._rng)
            else:
                last_exc = None
                judged = self._judge(request, response, body, attempt, started, t0)
                if judged is None:
                    return response
                wait = judged
            if attempt < self.policy.max_attempts:
                await self._sleep(wait)
        if response is not None:
            return response
        assert last_exc is not None
        raise _as_reported(last_exc)

    def _judge(
        self,
        request: httpx.Request,
        response: httpx.Response,
        body: bytes,
        attempt: int,
        started: datetime,
        t0: float,
    ) -> float | None:
        """Report the call; return None to accept the response, else seconds to wait."""
        code = response.status_code
        parsed: Any = None
        if code < 300:
            try:
                parsed = json.loads(body)
            except ValueError:
                error = "the response body is not JSON (cut short?)"
                self._report(
                    request,
                    attempt,
                    started,
                    t0,
                    status="malformed",
                    code=code,
                    body=body,
                    error=error,
                )
                return self.policy.backoff(attempt, self._rng)
            self._report(
                request, attempt, started, t0, status="ok", code=code, body=body, parsed=parsed
            )
            return None
        if code == 429:
            after = parse_retry_after(response.headers)
            error = f"429, Retry-After {after}"
            self._report(
                request,
                attempt,
                started,
                t0,
                status="rate_limited",
                code=code,
                body=body,
                error=error,
            )
            if after is not None and after > self.policy.max_retry_after:
                return None
            wait = after if after is not None else self.policy.backoff(attempt, self._rng)
            self._not_before = max(self._not_before, time.monotonic() + wait)
            return wait
        self._report(
            request,
            attempt,
            started,
            t0,
            status="http_error",
            code=code,
            body=body,
            error=f"HTTP {code}",
        )
        if code in RETRY_STATUS or code >= 500:
            return self.policy.backoff(attempt, self._rng)
        return None

    def _report(
        self,
        request: httpx.Request,
        attempt: int,
        started: datetime,
        t0: float,
        *,
        status: str,
        code: int | None = None,
        body: bytes | None = None,
        parsed: Any = None,
        error: str | None = None,
    ) -> None:
        model, prompt, completion = _usage(parsed)
        meter = CURRENT_METER.get()
        if meter is not None:
            meter.calls += 1
            meter.failed_calls += status != "ok"
            meter.cancelled_calls += status == "cancelled"
            meter.add(model, prompt, completion)
        if self.on_call is None:
            return
        self.on_call(
            {
                "doc_id": meter.doc_id if meter else None,
                "attempt": attempt,
                "started_at": started.isoformat(timespec="milliseconds"),
                "latency": round(time.monotonic() - t0, 4),
                "method": request.method,
                "url": _without_query(request.url),
                "http_status": code,
                "status": status,
                "error": error,
                "model": model,
                "prompt_tokens": prompt if parsed is not None else None,
                "completion_tokens": completion if parsed is not None else None,
                "request": _text(request.content) if self.log_bodies else None,
                "response": _text(body) if self.log_bodies and body is not None else None,
            }
        )
