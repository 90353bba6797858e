"""The review app at job scale: list and document load at 100, 1,000 and 10,000 documents.

Run through ``python bench/review.py --scale 100,1000,10000`` (see its docstring).  Each
run folder holds copies of the hand-built seed record (tests/review/seed_run.py, not model
output) under other ids; one document in ten has a review file with one edit, so the list
mixes unreviewed and in-progress documents.  Times are wall-clock on this machine, from an
HTTP client on loopback (server and client share the CPU), and, in Chromium, from the page's
own clock (navigation start to the page rendered).
"""

from __future__ import annotations

import json
import resource
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from abstraction.review.edits import Change
from abstraction.review.index import RunIndex
from abstraction.review.store import RunStore
from tests.review.browser import browser_missing, chromium, doc_ready_ms, serving
from tests.review.seed_run import SEED_ID, make_seed_run


def make_run(root: Path, docs: int) -> tuple[Path, str]:
    """A run folder of `docs` documents; returns it and the id of one in the middle."""
    run = make_seed_run(root, hostile=False)
    store = RunStore(run)
    store.save(
        SEED_ID,
        expected_version=0,
        reviewer="bench",
        reason=None,
        changes=[Change(op="set", pointer="/treatments/3", value={"duration": "two weeks"})],
    )
    extraction = json.loads((run / f"{SEED_ID}.json").read_text("utf-8"))
    review = json.loads((run / "reviews" / f"{SEED_ID}.review.json").read_text("utf-8"))
    for i in range(1, docs):
        doc_id = f"doc{i:05d}"
        extraction["document"]["id"] = doc_id
        (run / f"{doc_id}.json").write_text(json.dumps(extraction), "utf-8")
        if i % 10 == 0:
            review["document_id"] = doc_id
            (run / "reviews" / f"{doc_id}.review.json").write_text(json.dumps(review), "utf-8")
    return run, f"doc{docs // 2:05d}" if docs > 1 else SEED_ID


def timed(fn: Callable[[], Any], loads: int) -> float:
    """Median seconds of `loads` calls."""
    times = []
    for _ in range(loads):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def get_ok(http: httpx.Client, url: str) -> httpx.Response:
    res = http.get(url)
    res.raise_for_status()
    return res


def measure(docs: int, *, loads: int, browser: Any) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        run, middle = make_run(Path(tmp), docs)
        store = RunStore(run)
        index = RunIndex(store)
        start = time.perf_counter()
        count = len(index.rows())
        out: dict[str, Any] = {"docs": count, "index_s": time.perf_counter() - start}
        with serving(store, index=index) as base, httpx.Client(timeout=300) as http:
            out["list_s"] = timed(lambda: get_ok(http, f"{base}/api/docs"), loads)
            out["first_s"] = timed(lambda: get_ok(http, f"{base}/api/docs?limit=500"), loads)
            out["list_bytes"] = len(get_ok(http, f"{base}/api/docs").content)
            out["doc_s"] = timed(lambda: get_ok(http, f"{base}/api/docs/{middle}"), loads)
            store.save(
                middle,
                expected_version=store.review(middle).version,
                reviewer="bench",
                reason=None,
                changes=[Change(op="accept", pointer="/treatments/0")],
            )
            out["list_after_save_s"] = timed(lambda: get_ok(http, f"{base}/api/docs"), 1)
            if browser is not None:
                page = browser.new_page()
                out["list_page_ms"] = statistics.median(
                    page_ms(page, f"{base}/") for _ in range(min(loads, 3))
                )
                out["doc_page_ms"] = statistics.median(
                    page_ms(page, f"{base}/doc/{middle}") for _ in range(loads)
                )
                page.close()
    return out


def page_ms(page: Any, url: str) -> float:
    page.goto(url)
    return doc_ready_ms(page)


def run_scale(sizes: list[int], *, loads: int, browser: bool) -> int:
    missing = browser_missing() if browser else "not asked for (--no-browser)"
    rows = []
    if missing is None:
        with chromium() as b:
            rows = [measure(n, loads=loads, browser=b) for n in sizes]
    else:
        rows = [measure(n, loads=loads, browser=None) for n in sizes]
    print(f"Review app at scale (median of {loads} loads; server and client on one machine)")
    head = (
        f"{'documents':>9}  {'index':>8}  {'list':>8}  {'first 500':>9}  {'list, 1 saved':>13}"
        f"  {'document':>8}  {'list page':>9}  {'doc page':>8}  {'list JSON':>9}"
    )
    print(head)
    for r in rows:
        print(
            f"{r['docs']:>9,}  {r['index_s']:>7.2f}s  {r['list_s']:>7.3f}s  {r['first_s']:>8.3f}s  "
            f"{r['list_after_save_s']:>12.3f}s  {r['doc_s']:>7.3f}s  "
            f"{_ms(r.get('list_page_ms')):>9}  {_ms(r.get('doc_page_ms')):>8}  "
            f"{r['list_bytes'] / 1e6:>7.2f}MB"
        )
    if missing:
        print(f"(no browser figures: {missing})")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"Peak memory of this process (server, client and browser driver): {peak:.0f} MB")
    print(
        "index: building the list rows from cold, as `abstraction review` does before it "
        "prints the address; list: GET /api/docs (every row); first 500: GET "
        "/api/docs?limit=500, what the list page asks for; list, 1 saved: the first full list "
        "after one document was saved; document: GET /api/docs/<id>; pages: Chromium, "
        "navigation start to rendered (the list page shows the first 500 rows)."
    )
    return 0


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}ms"
