"""How long a reviewer needs to open and correct the seed record, measured in a real browser.

Builds a run folder with the hand-built seed record (tests/review/seed_run.py: NOT model
output; it carries three planted errors), serves it on loopback, and drives Debian's headless
Chromium through the correction a reviewer makes: reject the unsupported treatment, fix a
duration, re-select the evidence of a fuzzily grounded fact, accept the rest.  Prints the
number of reviewer actions and the document view's load time (navigation start to the view
rendered, from the browser's own clock), over several loads.

    python bench/review.py [--loads 10] [--screenshot docs/review-seed.png]

With ``--scale 100,1000,10000`` it measures the review app at job scale instead: for each size
a run folder of that many documents (copies of the seed record under other ids, one in ten with
a review file), served on loopback, and prints (median of ``--loads``) the time to index the
folder (what `abstraction review` does before it prints the address), the list (GET /api/docs),
the list after one document was saved, the document view (GET /api/docs/<id>), and, in
Chromium, the list page and the document page from navigation start to rendered.  See
review_scale.py.

Needs `apt-get install -y chromium` and `pip install playwright` (no `playwright install`).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from abstraction.review.store import RunStore
from bench.review_scale import run_scale
from tests.review.browser import (
    browser_missing,
    card,
    chromium,
    correct_seed,
    doc_ready_ms,
    serving,
    wait_saved,
)
from tests.review.seed_run import SEED_ID, make_seed_run


def screenshot(browser, base: str, path: Path) -> None:
    """The document view mid-review: one fact rejected, one edited, one selected."""
    page = browser.new_page(viewport={"width": 1280, "height": 760})
    page.goto(f"{base}/doc/{SEED_ID}")
    doc_ready_ms(page)
    page.fill("#reviewer", "A. Reviewer")
    page.click(f"{card('/treatments/2')} button.reject")
    wait_saved(page, after=0)
    page.click(f"{card('/treatments/3')} button.edit")
    page.fill(f'{card("/treatments/3")} [data-field="duration"] input', "two weeks")
    page.click(f'{card("/treatments/3")} button[type="submit"]')
    wait_saved(page, after=1)
    page.click(f"{card('/treatments/3')} .fact-title")
    page.locator(card("/treatments/1")).scroll_into_view_if_needed()
    page.evaluate("document.getElementById('message').textContent = ''")
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path))
    page.close()
    try:  # optional: a palette PNG is a third of the size and reads the same
        from PIL import Image
    except ImportError:
        return
    with Image.open(path) as img:
        img.convert("RGB").quantize(colors=96).save(path, optimize=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loads", type=int, default=10, help="document view loads to time")
    parser.add_argument("--screenshot", type=Path, help="also save a PNG of the document view")
    parser.add_argument(
        "--scale", help="measure list and document load at these sizes, e.g. 100,1000,10000"
    )
    parser.add_argument("--no-browser", action="store_true", help="with --scale: HTTP only")
    args = parser.parse_args()
    if args.scale:
        sizes = [int(n) for n in args.scale.split(",")]
        return run_scale(sizes, loads=args.loads, browser=not args.no_browser)
    missing = browser_missing()
    if missing:
        print(f"cannot run: {missing}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp, chromium() as browser:
        run = make_seed_run(Path(tmp), hostile=False)
        store = RunStore(run)
        with serving(store) as base:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            actions, first_ms = correct_seed(page, base, SEED_ID, reviewer="A. Reviewer")
            assert store.state(SEED_ID)[1].doc_status == "reviewed"
            loads = []
            for _ in range(args.loads):
                page.goto(f"{base}/doc/{SEED_ID}")
                loads.append(doc_ready_ms(page))
            page.close()
        if args.screenshot:
            fresh = make_seed_run(Path(tmp) / "shot", hostile=False)
            with serving(RunStore(fresh)) as base:
                screenshot(browser, base, args.screenshot)
    print(f"Reviewer actions to open the run and correct the seed record: {len(actions.log)}")
    for i, line in enumerate(actions.log, 1):
        print(f"  {i:2d}. {line}")
    print(f"Document view load (navigation start -> view rendered), first visit: {first_ms:.0f} ms")
    print(
        f"Document view load over {len(loads)} reloads: median {statistics.median(loads):.0f} ms, "
        f"min {min(loads):.0f} ms, max {max(loads):.0f} ms"
    )
    if args.screenshot:
        print(f"Screenshot: {args.screenshot}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
