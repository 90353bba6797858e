"""The review web app: a Starlette app over one `RunStore`, served on loopback only.

Defences, each cheap and each tested:
- the server binds 127.x only, and the Host header must name loopback (DNS rebinding);
- every page, file and API call lives under ``/<token>/``, a random per-session token the
  command prints in its address (compared in constant time), so another local user, who can
  reach the loopback port too, can neither read nor write;
- writes need ``X-Review-Client: 1`` and JSON, and a cross-origin ``Origin`` is refused, so a
  page on another site cannot post edits through the reviewer's browser;
- a request body is refused (413) past `MAX_BODY` bytes, by Content-Length before reading and
  by count while streaming; JSON nested past `MAX_DEPTH` is a 400; the store bounds the length
  of names, reasons and values;
- a strict Content-Security-Policy (no inline script) backs up the escaping in the pages;
- documents are addressed by id only (see `store`), static files from a fixed list.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import secrets
import socket
from importlib import resources
from typing import Any, TypeVar

from pydantic import BaseModel, Field, ValidationError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from abstraction.core.errors import UserError
from abstraction.core.schema import Strict
from abstraction.review.dual import Identity
from abstraction.review.dual_app import dual_routes, submissions
from abstraction.review.edits import Change, EditRejected
from abstraction.review.index import RunIndex
from abstraction.review.layout import review_schema
from abstraction.review.store import DocumentNotFound, RunStore, VersionConflict
from abstraction.review.views import diff_view, doc_view

WRITE_HEADER = "x-review-client"
MAX_BODY = 1_000_000
"""Bytes of a request body; larger ones get a 413, by Content-Length or while streaming."""
MAX_DEPTH = 16
"""Nesting of a request's JSON (a save of a whole fact with its evidence needs 5 or 6)."""
STATIC: dict[str, str] = {
    "app.css": "text/css; charset=utf-8",
    "common.js": "text/javascript; charset=utf-8",
    "list.js": "text/javascript; charset=utf-8",
    "doc.js": "text/javascript; charset=utf-8",
    "form.js": "text/javascript; charset=utf-8",
    "diff.js": "text/javascript; charset=utf-8",
    "reconcile.js": "text/javascript; charset=utf-8",
}
PAGES = ("index.html", "doc.html", "diff.html", "reconcile.html")
M = TypeVar("M", bound=BaseModel)
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


class SaveRequest(Strict):
    reviewer: str
    reason: str | None = None
    changes: list[Change] = Field(min_length=1)


def check_loopback(host: str) -> str:
    """The address to bind: `host` if it is an IPv4 loopback address (or 'localhost')."""
    if host == "localhost":
        return "127.0.0.1"
    try:
        address = ipaddress.ip_address(host)
    except ValueError as exc:
        raise UserError(f"--host {host!r}: give a loopback address such as 127.0.0.1") from exc
    if address.version != 4 or not address.is_loopback:
        raise UserError(f"--host {host}: the review app only binds to IPv4 loopback (127.x.x.x)")
    return host


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on loopback (port 0 picks a free port)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((check_loopback(host), port))
    except OSError as exc:
        sock.close()
        raise UserError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    sock.listen(64)
    return sock


def new_token() -> str:
    """A fresh session token (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)


class TokenGate:
    """Only requests under ``/<token>/`` pass; the prefix becomes the app's root path.

    The token is the first path segment rather than a cookie: a cookie for 127.0.0.1 would be
    sent to every port on the machine, and a path needs nothing from the browser but the address.
    """

    def __init__(self, app: ASGIApp, *, token: str) -> None:
        if len(token) < 16:
            raise ValueError("the session token must have at least 16 characters")
        self.app = app
        self.token = token.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        first, slash, _rest = scope["path"][1:].partition("/")
        if not hmac.compare_digest(first.encode("utf-8", "replace"), self.token):
            refused = PlainTextResponse(
                "403: this address needs the session token; open the address that "
                "`abstraction review` printed.\n",
                status_code=403,
            )
            await refused(scope, receive, send)
            return
        if not slash:
            await RedirectResponse(f"/{first}/")(scope, receive, send)
            return
        root = scope.get("root_path", "") + "/" + first
        await self.app({**scope, "root_path": root}, receive, send)


def _static_text(name: str) -> bytes:
    return resources.files("abstraction.review").joinpath("static", name).read_bytes()


class SchemaScope:
    """Every request reviews records of the run's schema (`abstraction.review.layout`)."""

    def __init__(self, app: ASGIApp, *, model: type[BaseModel]) -> None:
        self.app, self.model = app, model

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        with review_schema(self.model):  # threadpool calls copy this context
            await self.app(scope, receive, send)


class Guard:
    """Security headers on every response; same-origin JSON writes with the client header."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        problem = self._write_problem(request)
        if problem:
            await JSONResponse({"error": problem[1]}, status_code=problem[0])(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.setdefault("headers", [])
                headers += [
                    (b"content-security-policy", CSP.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"x-frame-options", b"DENY"),
                    (b"cache-control", b"no-store"),
                ]
            await send(message)

        await self.app(scope, receive, send_with_headers)

    @staticmethod
    def _write_problem(request: Request) -> tuple[int, str] | None:
        if request.method in ("GET", "HEAD"):
            return None
        if request.headers.get(WRITE_HEADER) != "1":
            return 403, f"writes need the {WRITE_HEADER} header (same-origin page only)"
        origin = request.headers.get("origin")
        if origin is not None and origin != f"{request.url.scheme}://{request.headers.get('host')}":
            return 403, "cross-origin write refused"
        if request.headers.get("sec-fetch-site") not in (None, "same-origin", "none"):
            return 403, "cross-site write refused"
        if not request.headers.get("content-type", "").startswith("application/json"):
            return 415, "send JSON"
        return None


def nesting(value: Any, *, limit: int) -> int:
    """How deeply lists and objects nest in `value` (1 for a flat list), counted without
    recursion and only up to `limit` + 1, so a hostile payload cannot exhaust the stack."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            if depth > limit:
                break
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return deepest


def _error(status: int, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": message, **extra}, status_code=status)


async def read_json(request: Request, model: type[M]) -> M | JSONResponse:
    """The request's JSON body as `model`, or the error response (400 too deep, 422 malformed).
    Starlette's max_body_size stops the body at MAX_BODY bytes."""
    body = await request.body()
    try:
        raw = json.loads(body)
    except RecursionError:
        raw = None
    except ValueError as exc:
        return _error(422, "malformed request", problems=[str(exc)[:500]])
    if raw is None or nesting(raw, limit=MAX_DEPTH) > MAX_DEPTH:
        return _error(400, f"JSON nested deeper than {MAX_DEPTH} levels")
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        return _error(422, "malformed request", problems=[str(exc)[:500]])


def create_app(
    store: RunStore,
    *,
    token: str,
    hosts: tuple[str, ...] = ("127.0.0.1", "localhost"),
    default_reviewer: str | None = None,
    index: RunIndex | None = None,
    who: Identity | None = None,
) -> Starlette:
    """The app for one run folder, served under ``/<token>/`` (see `new_token`).

    `hosts` are the Host header values accepted; `index` is the store's list index, when the
    caller has already built it (the CLI does, before it prints the address).  `who` makes it
    the app of one reviewer or the adjudicator of a dual review (`abstraction.review.dual`):
    a reviewer's app reads and writes that reviewer's review files only.
    """
    model = store.record_schema.model
    schema = model.model_json_schema()
    run_store = store
    if who is not None and who.role == "reviewer":
        # no gold in a reviewer's app: it may be the reconciled record, others' values in it
        store = RunStore(store.root, sources=store.sources, reviewer=who.name)
        default_reviewer = who.name
    run_index = index if index is not None and index.store is store else RunIndex(store)

    def page(name: str) -> Response:
        return Response(_static_text(name), media_type="text/html; charset=utf-8")

    def list_page(request: Request) -> Response:
        return page("index.html")

    def doc_page(request: Request) -> Response:
        store.extraction(request.path_params["doc_id"])
        return page("doc.html")

    def diff_page(request: Request) -> Response:
        store.extraction(request.path_params["doc_id"])
        return page("diff.html")

    def static(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in STATIC:
            return _error(404, "not found")
        return Response(_static_text(name), media_type=STATIC[name])

    def config(request: Request) -> JSONResponse:
        return JSONResponse(
            {
                "run": store.root.name,
                "default_reviewer": default_reviewer,
                "mode": who.role if who else None,
                "who": who.name if who else None,
            }
        )

    def api_schema(request: Request) -> JSONResponse:
        return JSONResponse(schema)

    def api_docs(request: Request) -> JSONResponse:
        """The rows in triage order; ``?limit=N`` the first N (X-Total-Count: how many)."""
        limit = request.query_params.get("limit", "")
        if limit and not (limit.isdigit() and 0 < int(limit) <= 1_000_000):
            return _error(400, "limit: give a whole number of rows")
        rows = run_index.rows()
        shown = rows[: int(limit)] if limit else rows
        if who is not None:
            shown = submissions(run_store, shown)
        return JSONResponse(shown, headers={"X-Total-Count": str(len(rows))})

    def api_doc(request: Request) -> JSONResponse:
        view = doc_view(store, request.path_params["doc_id"])
        return JSONResponse(view, headers={"ETag": f'"{view["version"]}"'})

    def api_around(request: Request) -> JSONResponse:
        """The documents before and after this one in triage order (failed ones skipped)."""
        doc_id = request.path_params["doc_id"]
        store.entry(doc_id)
        ids = [r["id"] for r in run_index.rows() if r["doc_status"] != "failed"]
        at = ids.index(doc_id) if doc_id in ids else -1
        return JSONResponse(
            {
                "previous": ids[at - 1] if at > 0 else None,
                "next": ids[at + 1] if 0 <= at < len(ids) - 1 else None,
                "position": at + 1 if at >= 0 else None,
                "total": len(ids),
            }
        )

    def api_diff(request: Request) -> JSONResponse:
        return JSONResponse(diff_view(store, request.path_params["doc_id"]))

    async def api_save(request: Request) -> JSONResponse:
        doc_id = request.path_params["doc_id"]
        store.entry(doc_id)
        match = request.headers.get("if-match", "").strip().strip('"')
        if not (match.isascii() and match.isdigit() and len(match) <= 18):  # int(): "²", 4300+
            return _error(428, "send If-Match with the document version you edited")
        req = await read_json(request, SaveRequest)
        if isinstance(req, JSONResponse):
            return req
        if who is not None and who.role == "adjudicator":
            return _error(403, "the adjudicator settles disagreements on the reconcile page")

        def save() -> JSONResponse:
            result = store.save(
                doc_id,
                expected_version=int(match),
                reviewer=who.name if who is not None else req.reviewer,
                reason=req.reason,
                changes=req.changes,
            )
            view = doc_view(store, doc_id, state=(result.review, result.state))
            return JSONResponse(
                {"saved": result.added, "doc": view}, headers={"ETag": f'"{result.review.version}"'}
            )

        return await run_in_threadpool(save)

    async def not_found(request: Request, exc: Exception) -> JSONResponse:
        return _error(404, str(exc))

    async def conflict(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, VersionConflict)
        return _error(409, str(exc), expected=exc.expected, current=exc.current)

    async def rejected(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, EditRejected)
        return _error(422, "not saved: the change does not fit the record", problems=exc.problems)

    async def user_error(request: Request, exc: Exception) -> JSONResponse:
        return _error(400, str(exc))

    def favicon(request: Request) -> Response:
        return Response(status_code=204)

    routes = [
        Route("/", list_page),
        Route("/favicon.ico", favicon),
        Route("/doc/{doc_id}", doc_page),
        Route("/diff/{doc_id}", diff_page),
        Route("/static/{name}", static),
        Route("/api/config", config),
        Route("/api/schema", api_schema),
        Route("/api/docs", api_docs),
        Route("/api/docs/{doc_id}", api_doc),
        Route("/api/docs/{doc_id}/diff", api_diff),
        Route("/api/docs/{doc_id}/around", api_around),
        Route("/api/docs/{doc_id}/edits", api_save, methods=["POST"]),
    ]
    if who is not None:
        routes += dual_routes(run_store, who, page, read_json)
    return Starlette(
        routes=routes,
        max_body_size=MAX_BODY,
        middleware=[
            Middleware(TrustedHostMiddleware, allowed_hosts=list(hosts)),
            Middleware(TokenGate, token=token),
            Middleware(Guard),
            Middleware(SchemaScope, model=model),
        ],
        exception_handlers={
            DocumentNotFound: not_found,
            VersionConflict: conflict,
            EditRejected: rejected,
            UserError: user_error,
        },
    )


SHUTDOWN_GRACE = 2
"""Seconds a SIGTERM or Ctrl-C waits for requests in flight before cancelling them."""


def serve(app: Starlette, sock: socket.socket) -> None:
    """Run `app` on an already bound socket until interrupted (SIGINT or SIGTERM).

    Requests still running after `SHUTDOWN_GRACE` seconds are cancelled: a client that never
    finishes sending its request cannot keep the server alive.
    """
    import uvicorn

    config = uvicorn.Config(
        app, log_level="warning", access_log=False, timeout_graceful_shutdown=SHUTDOWN_GRACE
    )
    uvicorn.Server(config).run(sockets=[sock])
