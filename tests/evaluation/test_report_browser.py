"""The HTML evaluation report opens in a real browser (Debian's headless Chromium) and shows a
bar with an interval whisker per field and version.  Skips where Chromium or Playwright is
missing (see tests/review/browser.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from abstraction.evaluation.report import render_html
from tests.evaluation.test_harness import _report, repo  # noqa: F401 (fixture)
from tests.review.browser import CHROMIUM, CHROMIUM_ARGS, browser_missing

pytestmark = pytest.mark.skipif(browser_missing() is not None, reason=str(browser_missing()))


def test_report_renders_bars_and_whiskers_in_chromium(
    repo: Path,  # noqa: F811 (the imported fixture)
    tmp_path: Path,
) -> None:
    from playwright.sync_api import sync_playwright

    rep = _report(repo)
    page_file = tmp_path / "report.html"
    page_file.write_text(render_html(rep), encoding="utf-8")
    versions = len(rep.versions)
    charts = 1 + len(rep.fields)  # overall + one per field

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(page_file.as_uri())
            bars = page.locator("svg rect.bar")
            whiskers = page.locator("svg g.whisker")
            assert bars.count() >= charts * versions - versions  # every field chart has bars
            assert whiskers.count() == bars.count()
            # Rendered, not just present: the first bar has a real box on screen.
            box = bars.first.bounding_box()
            assert box is not None and box["height"] > 0
            # v1 is the gold itself in this fixture: its overall bar is the full width.
            widths = [bars.nth(i).bounding_box()["width"] for i in range(versions)]
            assert widths[0] > widths[1] > 0
            assert not errors
        finally:
            browser.close()
