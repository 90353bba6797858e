from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from abstraction.jobs.transport import (
    CURRENT_METER,
    CallMeter,
    JobTransport,
    RetryPolicy,
    parse_retry_after,
)

OK_BODY = {"model": "m-1", "choices": [], "usage": {"prompt_tokens": 7, "completion_tokens": 3}}


def _script(*steps: object) -> tuple[httpx.MockTransport, list[int]]:
    """A transport answering with each step in turn: a status code, a Response or an exception."""
    seen: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        step = steps[min(len(seen), len(steps) - 1)]
        seen.append(1)
        if isinstance(step, Exception):
            raise step
        if isinstance(step, httpx.Response):
            return step
        if step == 200:
            return httpx.Response(200, json=OK_BODY)
        return httpx.Response(int(step), json={"error": {"message": "x"}})  # type: ignore[call-overload]

    return httpx.MockTransport(handler), seen


def _run(transport: JobTransport, meter: CallMeter | None = None) -> httpx.Response:
    async def go() -> httpx.Response:
        token = CURRENT_METER.set(meter)
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                return await client.post("/v1/chat/completions", json={"messages": []})
        finally:
            CURRENT_METER.reset(token)

    return asyncio.run(go())


def _job(
    inner: httpx.AsyncBaseTransport, sleeps: list[float], calls: list[dict], attempts: int = 4
) -> JobTransport:
    async def fake_sleep(s: float) -> None:
        sleeps.append(s)

    return JobTransport(
        inner=inner,
        policy=RetryPolicy(max_attempts=attempts, backoff_base=0.01),
        on_call=calls.append,
        sleep=fake_sleep,
        seed=1,
    )


def test_429_waits_retry_after_then_succeeds_and_every_call_is_reported() -> None:
    limited = httpx.Response(429, headers={"retry-after-ms": "1500"}, json={"error": {}})
    inner, seen = _script(limited, 200)
    sleeps: list[float] = []
    calls: list[dict] = []
    meter = CallMeter("doc-1")
    response = _run(_job(inner, sleeps, calls), meter)
    assert response.status_code == 200 and response.json() == OK_BODY
    assert len(seen) == 2
    assert sleeps[0] == pytest.approx(1.5)
    assert [c["status"] for c in calls] == ["rate_limited", "ok"]
    assert [c["attempt"] for c in calls] == [1, 2]
    assert (
        calls[1]["prompt_tokens"] == 7
        and calls[1]["model"] == "m-1"
        and calls[0]["doc_id"] == "doc-1"
    )
    assert json.loads(calls[0]["request"]) == {"messages": []}
    assert (meter.calls, meter.failed_calls, meter.prompt_tokens, meter.completion_tokens) == (
        2,
        1,
        7,
        3,
    )


@pytest.mark.parametrize(
    ("fault", "status"),
    [
        (500, "http_error"),
        (503, "http_error"),
        (httpx.ReadTimeout("slow"), "timeout"),
        (httpx.RemoteProtocolError("peer closed"), "connection"),
        (httpx.ConnectError("refused"), "connection"),
        (httpx.Response(200, content=b'{"choices": [{"mess'), "malformed"),
    ],
)
def test_transient_faults_are_retried(fault: object, status: str) -> None:
    inner, _ = _script(fault, fault, 200)
    sleeps: list[float] = []
    calls: list[dict] = []
    assert _run(_job(inner, sleeps, calls)).status_code == 200
    assert [c["status"] for c in calls] == [status, status, "ok"]
    assert len(sleeps) == 2 and all(0 <= s <= 0.02 for s in sleeps), "bounded exponential backoff"


def test_attempts_are_bounded_then_the_failure_is_passed_up() -> None:
    inner, seen = _script(500)
    calls: list[dict] = []
    assert _run(_job(inner, [], calls, attempts=3)).status_code == 500
    assert len(seen) == 3 and len(calls) == 3
    inner, seen = _script(httpx.ReadTimeout("slow"))
    with pytest.raises(httpx.ReadTimeout):
        _run(_job(inner, [], [], attempts=2))
    assert len(seen) == 2


def test_client_errors_are_not_retried() -> None:
    inner, seen = _script(400, 200)
    calls: list[dict] = []
    assert _run(_job(inner, [], calls)).status_code == 400
    assert len(seen) == 1 and calls[0]["status"] == "http_error"


def test_a_very_long_retry_after_is_not_waited_for() -> None:
    inner, seen = _script(httpx.Response(429, headers={"retry-after": "3600"}), 200)
    sleeps: list[float] = []
    assert _run(_job(inner, sleeps, [])).status_code == 429
    assert sleeps == [] and len(seen) == 1


def test_a_429_holds_back_other_requests_too() -> None:
    """After one 429 with Retry-After, a concurrent request waits for the same gate."""
    order: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        order.append(body["id"])
        if body["id"] == "first" and order.count("first") == 1:
            return httpx.Response(429, headers={"retry-after-ms": "300"})
        return httpx.Response(200, json=OK_BODY)

    transport = JobTransport(
        inner=httpx.MockTransport(handler), policy=RetryPolicy(backoff_base=0.01)
    )

    async def go() -> list[float]:
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            loop = asyncio.get_running_loop()
            t0 = loop.time()
            await client.post("/x", json={"id": "first"})  # 429 then ok after 0.3 s
            second_start = loop.time()
            await client.post("/x", json={"id": "second"})
            return [second_start - t0]

    [elapsed] = asyncio.run(go())
    assert elapsed >= 0.29


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after": "2"}, 2.0),
        ({"retry-after": "0.5"}, 0.5),
        ({"retry-after-ms": "250", "retry-after": "9"}, 0.25),
        ({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}, 0.0),
        ({"retry-after": "soon"}, None),
        ({}, None),
    ],
)
def test_parse_retry_after(headers: dict[str, str], expected: float | None) -> None:
    assert parse_retry_after(httpx.Headers(headers)) == expected


def test_an_http_endpoint_gets_a_tls_context_that_trusts_nothing() -> None:
    """No CA certificates are loaded for a plain-HTTP job; should an https URL be reached
    anyway, verification is still required and no certificate can pass it."""
    import ssl

    from httpx_aiohttp import AiohttpTransport  # a dependency: the default transport

    from abstraction.jobs.transport import default_async_transport

    plain = default_async_transport(tls=False)
    verified = default_async_transport(tls=True)
    assert isinstance(plain, AiohttpTransport) and isinstance(verified, AiohttpTransport)
    ctx = plain.ssl_context
    assert ctx.verify_mode == ssl.CERT_REQUIRED and ctx.check_hostname
    assert ctx.cert_store_stats()["x509_ca"] == 0
    assert verified.ssl_context.cert_store_stats()["x509_ca"] > 0


@pytest.mark.parametrize(("base", "tls"), [("http://test", False), ("https://test", True)])
def test_the_default_inner_transport_follows_the_first_requests_scheme(
    monkeypatch: pytest.MonkeyPatch, base: str, tls: bool
) -> None:
    import abstraction.jobs.transport as transport_module

    made: list[bool] = []
    inner, _ = _script(200)

    def fake_default(*, tls: bool = True) -> httpx.AsyncBaseTransport:
        made.append(tls)
        return inner

    monkeypatch.setattr(transport_module, "default_async_transport", fake_default)
    job = JobTransport()

    async def go() -> None:
        async with httpx.AsyncClient(transport=job, base_url=base) as client:
            for _ in range(3):
                assert (await client.post("/v1/chat/completions", json={})).status_code == 200

    asyncio.run(go())
    assert made == [tls]  # made once, for the scheme the job talks to
