"""Dual review in the real browser (Debian's headless Chromium, Playwright; skipped when absent):
two reviewers editing blind, submitting, the reconciliation showing their disagreements, an
adjudicator settling them and promoting the settled record to gold."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from abstraction.core.records import GoldRecord
from abstraction.review.dual import assign, identity
from abstraction.review.store import RunStore
from tests.review.browser import (
    browser_missing,
    card,
    doc_ready_ms,
    serving,
    settle_unit,
    submit_dual_reviews,
    unit,
)
from tests.review.seed_run import SEED_ID

pytestmark = pytest.mark.skipif(browser_missing() is not None, reason=str(browser_missing()))


def ready(page) -> None:
    page.wait_for_selector('body[data-ready="1"]', timeout=15_000)


def test_two_reviewers_blind_then_reconciled_adjudicated_and_promoted(run: Path, tmp_path, page):
    assign(run, ["alice", "bob"])
    gold = tmp_path / "gold"
    store = RunStore(run, gold=gold)
    who = {n: identity(run, n, adjudicate=False) for n in ("alice", "bob")}
    with (
        serving(store, who=who["alice"]) as alice,
        serving(store, who=who["bob"]) as bob,
        serving(store, who=identity(run, "carol", adjudicate=True)) as carol,
    ):
        # bob starts: one rejection, not submitted yet
        page.goto(f"{bob}/doc/{SEED_ID}")
        doc_ready_ms(page)
        assert page.input_value("#reviewer") == "bob" and page.is_disabled("#reviewer")
        assert page.text_content("#accept-all") == "Accept all & submit"
        page.click(f"{card('/patient/age_group')} button.reject")
        page.wait_for_function("() => Number(document.body.dataset.version) === 1")
        # bob cannot open the reconciliation before submitting
        page.goto(f"{bob}/reconcile/{SEED_ID}")
        ready(page)
        assert "submit your own review" in page.text_content("#message")

        # alice sees nothing of bob's work: her document is untouched
        page.goto(f"{alice}/doc/{SEED_ID}")
        doc_ready_ms(page)
        assert page.get_attribute("body", "data-version") == "0"
        assert "rejected" not in page.locator(card("/patient/age_group")).inner_text()

        submit_dual_reviews(page, alice, bob, SEED_ID)
        assert page.is_hidden("#reopen")  # a submitted review is final
        page.click("#reconcile-link")
        ready(page)
        assert "read only" in page.text_content("#me")
        assert page.locator("form.settle").count() == 0

        # the adjudicator: the list links to the reconciliation and shows agreement
        page.goto(f"{carol}/")
        ready(page)
        page.wait_for_selector("#agreement:not([hidden])")
        row = page.locator('#agreement tr[data-path="treatments.duration"]').inner_text()
        assert "0.000" in row  # the one paired duration differs
        assert "submitted by alice, bob" in page.locator(f'tr[data-id="{SEED_ID}"]').inner_text()
        page.click(f'tr[data-id="{SEED_ID}"] a.reconcile')
        ready(page)
        keys = page.eval_on_selector_all("article.unit", "ns => ns.map(n => n.dataset.key)")
        assert sorted(keys) == ["/patient/age_group", "/treatments/a2-b3", "/treatments/b2"]
        duration = page.locator(unit("/treatments/a2-b3")).inner_text()
        assert "two weeks" in duration and "two months" in duration
        page.click(f"{unit('/treatments/a2-b3')} .fact-title")
        assert page.locator("#source span.ev.focus").count() >= 1
        assert "interferon-α treatment" in page.locator("#source span.ev.focus").first.inner_text()

        settle_unit(page, "/treatments/b2", "a", reason="not in the text")
        settle_unit(page, "/patient/age_group", "a")
        own = page.input_value(f"{unit('/treatments/a2-b3')} textarea")
        edited = json.dumps({**json.loads(own), "duration": "2 weeks"})
        settle_unit(page, "/treatments/a2-b3", "value", value=edited, reason="as the text words it")
        assert page.text_content("#settled") == "settled"
        assert page.locator("#history li").count() == 3
        page.click("#promote")
        page.wait_for_function(
            "() => document.getElementById('message').textContent.includes('Promoted')"
        )

    record = GoldRecord.model_validate_json((gold / f"{SEED_ID}.json").read_bytes())
    durations = [t.duration for t in record.record.treatments]
    assert "2 weeks" in durations and "rituximab" not in [t.name for t in record.record.treatments]
    assert record.annotator == "alice, bob; adjudicated by carol"
