"""A fault-injecting OpenAI-compatible chat server on loopback, for the job runner's tests.

This is a test double for the runner, not a model: a successful answer is the minimal instance
of the JSON schema the request asks for (every nullable field null, every list empty), plus one
fact whose evidence quote is copied from the request's own text, generated here by code.

Faults, drawn per request with the configured probabilities:
  latency          every answer leaves `latency` seconds (plus up to `jitter`) after its
                   request arrived (the answer is made during the wait, not after it)
  rate_limit       429 with Retry-After (and retry-after-ms)
  server_error     500 with a JSON error body
  timeout          waits `hang` seconds before answering (longer than the client's timeout)
  drop             closes the connection without answering
  truncated_body   sends half of a 200 body, then closes
  malformed        200, well-formed envelope, content that is not JSON
  truncated        200, content cut mid-JSON, finish_reason "length"
A request whose text contains ``FAULT-ALWAYS-<kind>`` always gets that fault.

Run: ``python -m tests.jobs.fault_server --faults 0.2 --latency 0.2`` prints ``PORT <n>`` once
listening on 127.0.0.1.  It exits after `--max-seconds`, or when its parent process goes away.
GET /stats returns counts of requests by outcome, and the connections open.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import math
import os
import random
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

FAULT_KINDS = (
    "rate_limit",
    "server_error",
    "timeout",
    "drop",
    "truncated_body",
    "malformed",
    "truncated",
)
_ALWAYS = re.compile(r"FAULT-ALWAYS-([a-z_]+)")


@dataclass
class FaultConfig:
    latency: float = 0.0
    jitter: float = 0.0
    rates: dict[str, float] = field(default_factory=dict)
    retry_after: float = 0.1
    hang: float = 3.0
    seed: int = 0
    model: str = "fault-model"

    @classmethod
    def spread(cls, total: float, **kw: Any) -> FaultConfig:
        """`total` fault probability split evenly over every kind."""
        return cls(rates={k: total / len(FAULT_KINDS) for k in FAULT_KINDS}, **kw)


# ---------------------------------------------------------------------------------------------
# Answers: a minimal instance of the requested schema


def _resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        ref = schema["$ref"]
        node: Any = root
        for part in ref.lstrip("#/").split("/"):
            node = node[part]
        schema = {**node, **{k: v for k, v in schema.items() if k != "$ref"}}
    return schema


def _nullable(schema: dict[str, Any], root: dict[str, Any]) -> bool:
    options = schema.get("anyOf") or schema.get("oneOf") or []
    types = schema.get("type")
    return (
        any(_resolve(o, root).get("type") == "null" for o in options)
        or types == "null"
        or (isinstance(types, list) and "null" in types)
    )


def minimal(schema: dict[str, Any], root: dict[str, Any], word: str) -> Any:
    """The smallest value the schema accepts: null where allowed, empty lists, first enum."""
    schema = _resolve(schema, root)
    if "const" in schema:
        return schema["const"]
    if _nullable(schema, root):
        return None
    if "enum" in schema:
        return schema["enum"][0]
    options = schema.get("anyOf") or schema.get("oneOf")
    if options:
        return minimal(options[0], root, word)
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        required = schema.get("required", list(props))
        return {name: minimal(props[name], root, word) for name in required}
    if kind == "array":
        return []
    if kind in ("integer", "number"):
        low = schema.get("minimum", schema.get("exclusiveMinimum", 0))
        return math.ceil(low) + (1 if "exclusiveMinimum" in schema else 0)
    if kind == "boolean":
        return False
    return word


def _fact(item_schema: dict[str, Any], root: dict[str, Any], quote: str) -> dict[str, Any]:
    """One list item whose evidence quotes the request's text."""
    item = _resolve(item_schema, root)
    out = minimal(item, root, quote.split()[0] if quote.split() else "x")
    props = item.get("properties", {})
    for name in ("name", "event", "method", "value"):
        if (
            name in props
            and isinstance(out.get(name), str)
            and "enum" not in _resolve(props[name], root)
        ):
            out[name] = quote
    ev_schema = _resolve(props["evidence"], root)
    evidence = minimal(ev_schema, root, quote)
    out["evidence"] = {**evidence, "quote": quote} if isinstance(evidence, dict) else quote
    return out


def answer_for(schema: dict[str, Any], quote: str) -> dict[str, Any]:
    """Minimal instance plus, in the first list of evidence-bearing items, one quoted fact."""
    root = schema
    value = minimal(schema, root, quote)
    props = _resolve(schema, root).get("properties", {})
    for name, prop in props.items():
        prop = _resolve(prop, root)
        if prop.get("type") != "array" or not quote:
            continue
        items = _resolve(prop.get("items", {}), root)
        if "evidence" in items.get("properties", {}):
            value[name] = [_fact(items, root, quote)]
            break
    return value


def _request_text(body: dict[str, Any]) -> str:
    parts: list[str] = []
    for message in body.get("messages", []):
        content = message.get("content")
        if isinstance(content, str):
            parts.append(content)
        elif isinstance(content, list):
            parts.extend(str(c.get("text", "")) for c in content if isinstance(c, dict))
    return "\n".join(parts)


def pick_quote(body: dict[str, Any]) -> str:
    """A verbatim stretch of the last user message (of its <document> when marked): its
    longest line, cut to ~12 words."""
    users = [m for m in body.get("messages", []) if m.get("role") == "user"]
    text = _request_text({"messages": users[-1:]}) if users else ""
    inside = re.search(r"<document>\n?(.*?)</document>", text, re.DOTALL)
    if inside:
        text = inside.group(1)
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if not lines:
        return ""
    longest = max(lines, key=len)
    return " ".join(longest.split(" ")[:12]).strip()


def _schema_of(body: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """(schema, tool name) from response_format or tools; CaseReport's schema otherwise."""
    tools = body.get("tools") or []
    if tools:
        fn = tools[0].get("function", {})
        return fn.get("parameters", {}), fn.get("name", "answer")
    fmt = body.get("response_format") or {}
    if fmt.get("type") == "json_schema":
        return fmt["json_schema"].get("schema", {}), None
    if fmt.get("type") == "json_object" and isinstance(fmt.get("schema"), dict):
        return fmt["schema"], None  # llama.cpp's form
    return _case_report_schema(), None


@functools.cache
def _case_report_schema() -> dict[str, Any]:
    from abstraction.core.schema import CaseReport

    return CaseReport.model_json_schema()


def completion(
    body: dict[str, Any], *, content: str, model: str, finish: str = "stop", tool: str | None = None
) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if tool is not None:
        message = {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_0",
                    "type": "function",
                    "function": {"name": tool, "arguments": content},
                }
            ],
        }
        finish = "tool_calls" if finish == "stop" else finish
    prompt_tokens = max(1, len(json.dumps(body)) // 4)
    completion_tokens = max(1, len(content) // 4)
    return {
        "id": f"chatcmpl-{random.getrandbits(48):012x}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model") or model,
        "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


# ---------------------------------------------------------------------------------------------
# The HTTP server (HTTP/1.1, keep-alive, Content-Length bodies: what httpx sends)


class FaultServer:
    def __init__(self, config: FaultConfig) -> None:
        self.config = config
        self.rng = random.Random(config.seed)
        self.stats: Counter[str] = Counter()
        self.server: asyncio.AbstractServer | None = None
        self.writers: set[asyncio.StreamWriter] = set()

    async def start(self, port: int = 0) -> int:
        self.server = await asyncio.start_server(self._connection, "127.0.0.1", port, backlog=1024)
        return int(self.server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            for w in list(self.writers):
                w.close()
            await self.server.wait_closed()

    def _fault(self, body: dict[str, Any]) -> str | None:
        forced = _ALWAYS.search(_request_text(body))
        if forced:
            return forced.group(1)
        roll, acc = self.rng.random(), 0.0
        for kind in FAULT_KINDS:
            acc += self.config.rates.get(kind, 0.0)
            if roll < acc:
                return kind
        return None

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.writers.add(writer)
        try:
            while True:
                request = await _read_request(reader)
                if request is None:
                    break
                # the latency counts from the request's arrival, not from after our own work
                keep = await self._handle(*request, writer, time.monotonic())
                if not keep:
                    break
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self.writers.discard(writer)
            writer.close()

    async def _handle(
        self, method: str, path: str, raw: bytes, writer: asyncio.StreamWriter, arrived: float
    ) -> bool:
        if method == "GET" and path.endswith("/stats"):
            # open_connections: the others than this one.  A request a client has sent but
            # this server has not read yet (its client timed out and moved on) is only counted
            # once read; with no other connection open, every request sent has been counted.
            data = {**self.stats, "open_connections": len(self.writers) - 1}
            return await _send(writer, 200, json.dumps(data).encode())
        if method == "GET" and path.endswith("/models"):
            data = {"object": "list", "data": [{"id": self.config.model, "object": "model"}]}
            return await _send(writer, 200, json.dumps(data).encode())
        if method == "GET" and path.endswith("/health"):
            return await _send(writer, 200, b'{"status":"ok"}')
        if not (method == "POST" and path.endswith("/chat/completions")):
            return await _send(writer, 404, b'{"error":{"message":"not found"}}')
        try:
            body = json.loads(raw)
        except ValueError:
            return await _send(writer, 400, b'{"error":{"message":"bad JSON"}}')
        fault = self._fault(body)
        self.stats["requests"] += 1
        self.stats[fault or "ok"] += 1
        delay = self.config.latency + self.rng.uniform(0, self.config.jitter)
        if fault == "timeout":
            delay = self.config.hang
        # the answer is made first, so the reply leaves `delay` seconds after the request came
        reply = self._reply(body, fault)
        wait = arrived + delay - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        if reply is None:  # a dropped connection
            return False
        status, data, headers, cut = reply
        return await _send(writer, status, data, headers, cut=cut)

    def _reply(
        self, body: dict[str, Any], fault: str | None
    ) -> tuple[int, bytes, dict[str, str] | None, int | None] | None:
        """(status, body, headers, bytes to send before closing) for the request, or None to
        close the connection without an answer."""
        cfg = self.config
        if fault == "drop":
            return None
        if fault == "rate_limit":
            headers = {
                "retry-after": str(max(1, math.ceil(cfg.retry_after))),
                "retry-after-ms": str(int(cfg.retry_after * 1000)),
            }
            error = b'{"error":{"message":"rate limited","type":"rate_limit_exceeded"}}'
            return 429, error, headers, None
        if fault == "server_error":
            return 500, b'{"error":{"message":"injected server error"}}', None, None
        schema, tool = _schema_of(body)
        content = json.dumps(answer_for(schema, pick_quote(body)))
        finish = "stop"
        if fault == "malformed":
            content = "Sure! Here is the record: {" + content[: len(content) // 3]
        elif fault == "truncated":
            content, finish = content[: len(content) // 2], "length"
        data = json.dumps(
            completion(body, content=content, model=cfg.model, finish=finish, tool=tool)
        ).encode()
        if fault == "truncated_body":
            return 200, data, None, len(data) // 2
        return 200, data, None, None


async def _read_request(reader: asyncio.StreamReader) -> tuple[str, str, bytes] | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
        return None
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = lines[0].split(" ", 2)
    headers = {
        k.strip().lower(): v.strip() for k, v in (ln.split(":", 1) for ln in lines[1:] if ":" in ln)
    }
    length = int(headers.get("content-length", "0"))
    raw = await reader.readexactly(length) if length else b""
    return method, path, raw


_REASONS = {
    200: "OK",
    400: "Bad Request",
    404: "Not Found",
    429: "Too Many Requests",
    500: "Internal Server Error",
}


async def _send(
    writer: asyncio.StreamWriter,
    status: int,
    body: bytes,
    headers: dict[str, str] | None = None,
    *,
    cut: int | None = None,
) -> bool:
    lines = [
        f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}",
        "content-type: application/json",
        f"content-length: {len(body)}",
        *(f"{k}: {v}" for k, v in (headers or {}).items()),
    ]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
    writer.write(body if cut is None else body[:cut])
    await writer.drain()
    return cut is None


# ---------------------------------------------------------------------------------------------
# Command line


async def _serve(config: FaultConfig, port: int, max_seconds: float) -> None:
    server = FaultServer(config)
    bound = await server.start(port)
    print(f"PORT {bound}", flush=True)
    parent = os.getppid()
    deadline = time.monotonic() + max_seconds
    while time.monotonic() < deadline and os.getppid() == parent:
        await asyncio.sleep(0.25)
    await server.stop()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--latency", type=float, default=0.0)
    ap.add_argument("--jitter", type=float, default=0.0)
    ap.add_argument(
        "--faults", type=float, default=0.0, help="total fault probability, split evenly"
    )
    ap.add_argument(
        "--fault", action="append", default=[], metavar="KIND=P", help="one kind's probability"
    )
    ap.add_argument("--retry-after", type=float, default=0.1)
    ap.add_argument("--hang", type=float, default=3.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--max-seconds", type=float, default=300.0)
    args = ap.parse_args(argv)
    config = FaultConfig.spread(
        args.faults,
        latency=args.latency,
        jitter=args.jitter,
        retry_after=args.retry_after,
        hang=args.hang,
        seed=args.seed,
    )
    for item in args.fault:
        kind, _, p = item.partition("=")
        if kind not in FAULT_KINDS:
            sys.exit(f"unknown fault {kind!r}; known: {', '.join(FAULT_KINDS)}")
        config.rates[kind] = float(p)
    asyncio.run(_serve(config, args.port, args.max_seconds))


if __name__ == "__main__":
    main()
