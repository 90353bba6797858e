"""Driving the review app in Debian's headless Chromium with Playwright (tests and benchmark).

No browser is downloaded: Playwright launches ``/usr/bin/chromium``.  Install with::

    apt-get install -y chromium
    pip install playwright        # never `playwright install`
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from abstraction.review.app import bind, create_app, new_token
from abstraction.review.dual import Identity
from abstraction.review.index import RunIndex
from abstraction.review.store import RunStore

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def browser_missing() -> str | None:
    """Why browser tests cannot run here, or None."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install playwright)"
    if not CHROMIUM.exists():
        return "/usr/bin/chromium is missing (apt-get install -y chromium)"
    return None


@contextlib.contextmanager
def serving(
    store: RunStore,
    *,
    reviewer: str | None = None,
    index: RunIndex | None = None,
    who: Identity | None = None,
) -> Iterator[str]:
    """Serve `store` with uvicorn in a thread on a free loopback port; yields the base URL
    (``http://127.0.0.1:<port>/<session token>``: append ``/doc/<id>`` and so on).  `who`
    serves one reviewer's (or the adjudicator's) app of a dual review."""
    import uvicorn

    sock = bind("127.0.0.1", 0)
    port = sock.getsockname()[1]
    token = new_token()
    config = uvicorn.Config(
        create_app(store, token=token, default_reviewer=reviewer, index=index, who=who),
        log_level="warning",
        access_log=False,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}/{token}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Actions:
    """Counts what a reviewer does: each click, typed field, text selection or navigation."""

    page: Any
    log: list[str] = field(default_factory=list)

    def goto(self, url: str, what: str) -> None:
        self.log.append(f"open {what}")
        self.page.goto(url)

    def click(self, selector: str, what: str) -> None:
        self.log.append(f"click {what}")
        self.page.click(selector)

    def fill(self, selector: str, text: str, what: str) -> None:
        self.log.append(f"type {what}")
        self.page.fill(selector, text)

    def select_text(self, quote: str, what: str) -> None:
        self.log.append(f"select {what}")
        select_text(self.page, quote)


_FIND_QUOTE = """
(quote) => {
  const source = document.getElementById('source');
  const walker = document.createTreeWalker(source, NodeFilter.SHOW_TEXT);
  const nodes = [];
  let all = '';
  while (walker.nextNode()) {
    nodes.push([walker.currentNode, all.length]);
    all += walker.currentNode.data;
  }
  const at = all.indexOf(quote);
  if (at < 0) return null;
  const locate = (i) => {
    for (let k = nodes.length - 1; k >= 0; k--) {
      if (nodes[k][1] <= i) return [nodes[k][0], i - nodes[k][1]];
    }
  };
  const rectOf = (i) => {
    const [n, o] = locate(i);
    const r = document.createRange();
    r.setStart(n, o);
    r.setEnd(n, o + 1);
    return r.getBoundingClientRect();
  };
  locate(at)[0].parentElement.scrollIntoView({block: 'center'});
  const first = rectOf(at);
  const last = rectOf(at + quote.length - 1);
  return {x1: first.left + 1, y1: first.top + first.height / 2,
          x2: last.right - 1, y2: last.top + last.height / 2};
}
"""


def select_text(page: Any, quote: str) -> None:
    """Select `quote` in the source pane with a real mouse drag (first occurrence)."""
    box = page.evaluate(_FIND_QUOTE, quote)
    if box is None:
        raise AssertionError(f"{quote!r} is not in the source pane")
    page.mouse.move(box["x1"], box["y1"])
    page.mouse.down()
    page.mouse.move((box["x1"] + box["x2"]) / 2, (box["y1"] + box["y2"]) / 2, steps=4)
    page.mouse.move(box["x2"], box["y2"], steps=4)
    page.mouse.up()


def card(pointer: str) -> str:
    return f'article.fact[data-pointer="{pointer}"]'


def version(page: Any) -> int:
    return int(page.get_attribute("body", "data-version") or -1)


def wait_saved(page: Any, *, after: int) -> None:
    """Wait until the page shows a version newer than `after`; fail with the page's message."""
    try:
        page.wait_for_function(
            "(v) => Number(document.body.dataset.version) > v", arg=after, timeout=10_000
        )
    except Exception as exc:
        raise AssertionError(f"not saved: {page.text_content('#message')!r}") from exc


def doc_ready_ms(page: Any) -> float:
    """Milliseconds from the start of navigation to the document view being rendered."""
    page.wait_for_selector('body[data-ready="1"]', timeout=15_000)
    return float(page.evaluate("window.reviewReadyAt"))


REMISSION_QUOTE = (
    "PET/CT) revealed that she went into remission, with an almost undetectable tumor mass"
)


def correct_seed(page: Any, base: str, doc_id: str, *, reviewer: str) -> tuple[Actions, float]:
    """Open the run and correct the seed's planted errors the way a reviewer would.

    Returns the counted actions and the document view's load time (ms).
    """
    acts = Actions(page)
    acts.goto(base + "/", "the run (document list)")
    page.wait_for_selector('body[data-ready="1"]')
    acts.click(f'a[href$="/doc/{doc_id}"]', "the document in the list")
    load_ms = doc_ready_ms(page)
    if page.input_value("#reviewer") != reviewer:
        acts.fill("#reviewer", reviewer, "reviewer name")
    v = version(page)
    acts.click(f"{card('/treatments/2')} button.reject", "Reject on the unsupported rituximab")
    wait_saved(page, after=v)
    acts.click(f"{card('/treatments/3')} button.edit", "Edit on interferon-α")
    acts.fill(f'{card("/treatments/3")} [data-field="duration"] input', "two weeks", "duration")
    acts.click(f'{card("/treatments/3")} button[type="submit"]', "Save")
    wait_saved(page, after=v + 1)
    acts.select_text(REMISSION_QUOTE, "the remission sentence in the source")
    acts.click(f"{card('/disease_events/1')} button.use-selection", "Use selection on remission")
    wait_saved(page, after=v + 2)
    acts.click("#accept-all", "Accept all & mark reviewed")
    wait_saved(page, after=v + 3)
    return acts, load_ms


def unit(key: str) -> str:
    return f'article.unit[data-key="{key}"]'


def submit_dual_reviews(page: Any, alice: str, bob: str, doc_id: str) -> None:
    """Two reviewers, each in their own app, review the seed blind and submit: alice corrects
    the planted errors (`correct_seed`); bob only rejects the age group."""
    correct_seed(page, alice, doc_id, reviewer="alice")
    page.goto(f"{bob}/doc/{doc_id}")
    doc_ready_ms(page)
    v = version(page)
    if "rejected" not in page.locator(card("/patient/age_group")).inner_text():
        page.click(f"{card('/patient/age_group')} button.reject")
        wait_saved(page, after=v)
        v += 1
    page.click("#accept-all")
    wait_saved(page, after=v)


def settle_unit(
    page: Any, key: str, choice: str, *, value: str | None = None, reason: str = ""
) -> None:
    """Settle one disagreement on the reconciliation page and wait for the save."""
    v = version(page)
    page.check(f'{unit(key)} input[name="choice"][value="{choice}"]')
    if value is not None:
        page.fill(f"{unit(key)} textarea", value)
    if reason:
        page.fill(f'{unit(key)} input[name="reason"]', reason)
    page.click(f'{unit(key)} button[type="submit"]')
    wait_saved(page, after=v)
