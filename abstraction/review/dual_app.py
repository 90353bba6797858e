"""The review app's dual-review routes: reconciliation, adjudication, agreement and promotion.

Blindness is enforced here, on the server: the reconciliation of a document (which shows the
other reviewer's values) is a 403 for a reviewer who has not submitted that document; the
agreement figures and every write (decisions, promotion) are for the adjudicator only.  A
reviewer's own app serves their own review files only (`RunStore` with ``reviewer=``), so no
other route can show another reviewer's edits.  The app acts for the one identity it was
started with (``abstraction review RUN --as NAME``); see `abstraction.review.dual`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from abstraction.core.schema import Strict
from abstraction.review.dual import (
    Identity,
    may_see_others,
    read_protocol,
    run_agreement,
    submitted,
)
from abstraction.review.reconcile import (
    decide,
    default_pair,
    promote_reconciled,
    reconcile,
    reconciliation_view,
)
from abstraction.review.store import RunStore


class DecisionRequest(Strict):
    key: str
    choice: Literal["a", "b", "model", "value"]
    value: Any = None
    reason: str | None = None


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def submissions(store: RunStore, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The list rows with who has submitted each document (names only, never their edits)."""
    protocol = read_protocol(store.root)
    names = protocol.reviewers if protocol else []
    return [
        {**r, "submitted": submitted(store, r["id"], names)} if r["doc_status"] != "failed" else r
        for r in rows
    ]


def dual_routes(
    store: RunStore, who: Identity, page: Callable[[str], Response], body: Callable[..., Any]
) -> list[Route]:
    """The routes added to `create_app` when it acts for `who`.  `store` is the plain run
    store (not a reviewer's); `page` serves a static page, `body` reads a bounded JSON body."""
    adjudicator = who.role == "adjudicator"

    def reconcile_page(request: Request) -> Response:
        store.extraction(request.path_params["doc_id"])
        return page("reconcile.html")

    def api_reconcile(request: Request) -> JSONResponse:
        doc_id = request.path_params["doc_id"]
        store.entry(doc_id)
        if not may_see_others(store, doc_id, who):
            return _error(403, f"submit your own review of {doc_id} to see the others'")
        rec = reconcile(store, doc_id, *default_pair(store, doc_id))
        view = reconciliation_view(store, rec)
        return JSONResponse({**view, "can_settle": adjudicator, "me": who.name})

    async def api_decide(request: Request) -> JSONResponse:
        doc_id = request.path_params["doc_id"]
        store.entry(doc_id)
        if not adjudicator:
            return _error(403, "only the adjudicator settles disagreements")
        match = request.headers.get("if-match", "").strip().strip('"')
        if not (match.isascii() and match.isdigit() and len(match) <= 18):  # int(): "²", 4300+
            return _error(428, "send If-Match with the reconciliation version you saw")
        req = await body(request, DecisionRequest)
        if isinstance(req, JSONResponse):
            return req

        def save() -> JSONResponse:
            rec = reconcile(store, doc_id, *default_pair(store, doc_id))
            decide(
                store,
                rec,
                key=req.key,
                choice=req.choice,
                value=req.value,
                reason=req.reason,
                adjudicator=who.name,
                expected_version=int(match),
            )
            view = reconciliation_view(store, rec)
            return JSONResponse({**view, "can_settle": True, "me": who.name})

        return await run_in_threadpool(save)

    def api_promote(request: Request) -> JSONResponse:
        doc_id = request.path_params["doc_id"]
        store.entry(doc_id)
        if not adjudicator:
            return _error(403, "only the adjudicator promotes a reconciled record")
        if store.gold_dir is None:
            return _error(400, "no gold folder: start the app with --gold DIR")
        path = promote_reconciled(store, [doc_id], store.gold_dir)[0][0]
        return JSONResponse({"wrote": str(path)})

    def api_agreement(request: Request) -> JSONResponse:
        if not adjudicator:
            return _error(403, "agreement is shown to the adjudicator (reviewers stay blind)")
        rows = run_agreement(store)
        return JSONResponse([r.model_dump(mode="json") for r in rows])

    return [
        Route("/reconcile/{doc_id}", reconcile_page),
        Route("/api/docs/{doc_id}/reconcile", api_reconcile),
        Route("/api/docs/{doc_id}/decisions", api_decide, methods=["POST"]),
        Route("/api/docs/{doc_id}/promote", api_promote, methods=["POST"]),
        Route("/api/agreement", api_agreement),
    ]
