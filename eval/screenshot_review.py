"""Screenshot the review app's document view on a real run folder (e.g. the seed's output).

    python eval/screenshot_review.py out/seed 000_8682481a1554b25b docs/review-seed-model.png

Needs `apt-get install -y chromium` and `pip install playwright` (no `playwright install`).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from abstraction.review.store import RunStore
from tests.review.browser import card, chromium, doc_ready_ms, serving


def main() -> None:
    run, doc_id, out = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
    with serving(RunStore(run)) as base, chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 760})
        page.goto(f"{base}/doc/{doc_id}")
        ms = doc_ready_ms(page)
        page.click(f"{card('/treatments/0')} .fact-title")
        out.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(out))
        print(f"document view ready in {ms:.0f} ms; wrote {out}")


if __name__ == "__main__":
    main()
