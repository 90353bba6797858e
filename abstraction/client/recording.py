"""Record model HTTP exchanges, or replay them offline, keyed by the request body.

A recording is one JSON file per exchange, named by the sha256 of (method, path, canonical JSON
body): a changed prompt, document, schema, model or setting is a different key, so an old answer
can never be replayed for a new request.  Only the body, the path and the response status,
content type and body are stored: no headers that could hold credentials or account ids, and no
host (a recording made against one port replays against any).

Only successful answers (2xx) are recorded.  A 429, a 400 or a 500 says something about that
moment (a quota, an overloaded server, a bad key), not about the request: recorded, it would be
replayed forever, with no model call, until someone deleted the file.  An entry holding a
failure (written by an older version) is treated as absent.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx


class ReplayMiss(httpx.TransportError):
    """No recording matches this request (replay mode never calls a model)."""


def request_key(method: str, path: str, body: bytes) -> str:
    try:
        canonical = json.dumps(json.loads(body or b"null"), sort_keys=True, ensure_ascii=False)
    except json.JSONDecodeError:
        canonical = body.decode("utf-8", "replace")
    material = f"{method.upper()} {path}\n{canonical}".encode()
    return hashlib.sha256(material).hexdigest()


def _path_of(request: httpx.Request) -> str:
    # Keep only the API route ('/v1/chat/completions' -> '/chat/completions') so that a
    # recording does not depend on where the server was mounted.
    path = request.url.path
    return path[path.find("/chat/") :] if "/chat/" in path else path


class RecordingStore:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def path_for(self, key: str) -> Path:
        return self.directory / f"{key[:2]}" / f"{key}.json"

    def load(self, key: str) -> dict[str, Any] | None:
        """The recorded successful exchange, or None (none recorded, or a recorded failure)."""
        p = self.path_for(key)
        if not p.is_file():
            return None
        entry: dict[str, Any] = json.loads(p.read_text("utf-8"))
        return entry if _succeeded(entry.get("response", {}).get("status")) else None

    def save(self, key: str, entry: dict[str, Any]) -> None:
        p = self.path_for(key)
        p.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=p.parent, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(entry, f, ensure_ascii=False, indent=1, sort_keys=True)
            f.write("\n")
        os.replace(tmp, p)


def _succeeded(status: object) -> bool:
    return isinstance(status, int) and 200 <= status < 300


RECORDED_SECONDS_HEADER = "x-abstraction-recorded-seconds"


def _entry(
    request: httpx.Request, response: httpx.Response, body: bytes, seconds: float
) -> dict[str, Any]:
    req_body = request.content
    try:
        req_json: Any = json.loads(req_body)
    except json.JSONDecodeError:
        req_json = req_body.decode("utf-8", "replace")
    try:
        resp_json: Any = json.loads(body)
    except json.JSONDecodeError:
        resp_json = body.decode("utf-8", "replace")
    return {
        "request": {"method": request.method, "path": _path_of(request), "body": req_json},
        "response": {
            "status": response.status_code,
            "content_type": response.headers.get("content-type", "application/json"),
            "body": resp_json,
        },
        # How long the live call took (request sent to body read), so a replayed evaluation
        # can report the latency the model really had instead of the replay's milliseconds.
        "elapsed_s": round(seconds, 3),
    }


def _replayed(request: httpx.Request, entry: dict[str, Any]) -> httpx.Response:
    resp = entry["response"]
    body = resp["body"]
    raw = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    headers = {"content-type": resp["content_type"], "x-abstraction-replay": "1"}
    if entry.get("elapsed_s") is not None:
        headers[RECORDED_SECONDS_HEADER] = str(entry["elapsed_s"])
    return httpx.Response(
        resp["status"],
        headers=headers,
        content=raw,
        request=request,
    )


def _passthrough(request: httpx.Request, response: httpx.Response, body: bytes) -> httpx.Response:
    # The body is already decoded: drop the headers that describe the wire encoding.
    headers = [
        (k, v)
        for k, v in response.headers.multi_items()
        if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")
    ]
    return httpx.Response(response.status_code, headers=headers, content=body, request=request)


class LatencyMeter:
    """Model seconds of the exchanges that went through a recording transport: measured for
    live calls, read back from the recording for answered-from-disk ones.  Recordings made
    before latency was stored count in ``unknown``, never as zero seconds."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.calls = 0
        self.unknown = 0

    def add(self, seconds: float | None) -> None:
        self.calls += 1
        if seconds is None:
            self.unknown += 1
        else:
            self.seconds += seconds

    def add_entry(self, entry: dict[str, Any]) -> None:
        self.add(entry.get("elapsed_s"))


class RecordingTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Wraps a real transport: ``record`` passes through and saves; ``replay`` never sends."""

    def __init__(self, directory: Path, *, mode: str, inner: Any = None) -> None:
        if mode not in ("record", "replay"):
            raise ValueError(mode)
        self.store = RecordingStore(directory)
        self.mode = mode
        self.inner = inner
        self.replayed: list[str] = []
        self.latency = LatencyMeter()

    def _key(self, request: httpx.Request) -> str:
        return request_key(request.method, _path_of(request), request.content)

    def _replay(self, request: httpx.Request) -> httpx.Response:
        key = self._key(request)
        entry = self.store.load(key)
        if entry is None:
            raise ReplayMiss(
                f"no recording for this request (key {key[:16]}) in {self.store.directory}: "
                "re-record with --record against a live model",
                request=request,
            )
        self.replayed.append(key)
        self.latency.add_entry(entry)
        return _replayed(request, entry)

    def _known(self, request: httpx.Request) -> httpx.Response | None:
        """In record mode an identical request already recorded is answered from disk: the
        model is deterministic here (temperature 0, fixed seed), and a suite can be extended
        without paying again for what it already has.  Delete a recording to re-record it."""
        entry = self.store.load(self._key(request))
        if entry is None:
            return None
        self.latency.add_entry(entry)
        return _replayed(request, entry)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self.mode == "replay":
            return self._replay(request)
        known = self._known(request)
        if known is not None:
            return known
        inner = self.inner or httpx.HTTPTransport()
        t0 = time.perf_counter()
        response = inner.handle_request(request)
        body = response.read()
        seconds = time.perf_counter() - t0
        self.latency.add(round(seconds, 3))  # as stored, so a replay sums the same figures
        if _succeeded(response.status_code):
            self.store.save(self._key(request), _entry(request, response, body, seconds))
        return _passthrough(request, response, body)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.mode == "replay":
            return self._replay(request)
        known = self._known(request)
        if known is not None:
            return known
        inner = self.inner or httpx.AsyncHTTPTransport()
        t0 = time.perf_counter()
        response = await inner.handle_async_request(request)
        body = await response.aread()
        seconds = time.perf_counter() - t0
        self.latency.add(round(seconds, 3))  # as stored, so a replay sums the same figures
        if _succeeded(response.status_code):
            self.store.save(self._key(request), _entry(request, response, body, seconds))
        return _passthrough(request, response, body)
