"""Screenshot the reconciliation view of a dual review on the seed (docs/review-reconcile.png).

    python eval/screenshot_reconcile.py docs/review-reconcile.png

Two reviewers review the hand-built seed record (`tests/review/seed_run.py`, not model output)
blind, each in their own app: alice corrects its planted errors, bob only rejects the age group.
The adjudicator's reconciliation page is then shown with one disagreement settled and the
interferon-α duration selected (its quote highlighted in the source).  Needs
`apt-get install -y chromium` and `pip install playwright` (no `playwright install`).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from abstraction.review.dual import assign, identity
from abstraction.review.store import RunStore
from tests.review.browser import chromium, serving, settle_unit, submit_dual_reviews, unit
from tests.review.seed_run import SEED_ID, make_seed_run


def main() -> None:
    out = Path(sys.argv[1])
    with tempfile.TemporaryDirectory() as tmp:
        run = make_seed_run(Path(tmp), hostile=False)
        assign(run, ["alice", "bob"])
        store = RunStore(run)
        with (
            serving(store, who=identity(run, "alice", adjudicate=False)) as alice,
            serving(store, who=identity(run, "bob", adjudicate=False)) as bob,
            serving(store, who=identity(run, "carol", adjudicate=True)) as carol,
            chromium() as browser,
        ):
            page = browser.new_page(viewport={"width": 1280, "height": 860})
            submit_dual_reviews(page, alice, bob, SEED_ID)
            page.goto(f"{carol}/reconcile/{SEED_ID}")
            page.wait_for_selector('body[data-ready="1"]')
            settle_unit(page, "/treatments/b2", "a", reason="rituximab is not in the text")
            page.click(f"{unit('/treatments/a2-b3')} .fact-title")
            out.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(out))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
