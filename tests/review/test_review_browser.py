"""Browser tests: Debian's headless Chromium driven by Playwright (skipped when absent).

CI installs what they need with ``apt-get install -y chromium`` and ``pip install playwright``
(no ``playwright install``: the Debian browser is used).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from abstraction.core.jsonschema_export import validate_file
from abstraction.core.records import Extraction, PassRecord, Usage
from abstraction.review.export import export_run
from abstraction.review.store import RunStore
from tests.review.browser import (
    REMISSION_QUOTE,
    browser_missing,
    card,
    correct_seed,
    doc_ready_ms,
    select_text,
    serving,
    wait_saved,
)
from tests.review.seed_run import HOSTILE_TEXT, SEED_ID

pytestmark = pytest.mark.skipif(browser_missing() is not None, reason=str(browser_missing()))


@pytest.fixture
def served(run: Path):
    store = RunStore(run)
    with serving(store) as base:
        yield base, store


def doc_url(base: str, doc_id: str) -> str:
    return f"{base}/doc/{doc_id}"


def test_open_a_run_correct_fields_reload_and_export(served, page, tmp_path):
    base, store = served
    acts, load_ms = correct_seed(page, base, SEED_ID, reviewer="Ann Reviewer")
    print(f"\ndocument view ready after {load_ms:.0f} ms; {len(acts.log)} reviewer actions:")
    for line in acts.log:
        print("  -", line)
    assert load_ms > 0

    page.reload()
    doc_ready_ms(page)
    assert page.text_content("#doc-status") == "reviewed"
    interferon = page.locator(card("/treatments/3"))
    assert "two weeks" in interferon.inner_text()
    assert "edited" in interferon.locator(".badge").all_inner_texts()
    assert "rejected" in page.locator(card("/treatments/2")).inner_text()
    remission = page.locator(card("/disease_events/1"))
    assert REMISSION_QUOTE in remission.inner_text()

    _review, state = store.state(SEED_ID)
    text = store.source(SEED_ID).text
    ev = state.corrected["disease_events"][1]["evidence"]
    assert (ev["start"], ev["end"]) == (
        text.index(REMISSION_QUOTE),
        text.index(REMISSION_QUOTE) + len(REMISSION_QUOTE),
    )
    assert state.doc_status == "reviewed"
    assert {e.reviewer for e in store.review(SEED_ID).edits} == {"Ann Reviewer"}

    export_run(store, tmp_path / "export")
    assert validate_file(tmp_path / "export" / f"{SEED_ID}.json") == []  # the JSON Schema
    exported = Extraction.model_validate_json(
        (tmp_path / "export" / f"{SEED_ID}.json").read_bytes()
    )
    assert [t.name for t in exported.record.treatments] == [
        "CAR-T cell therapy",
        "unrelated cord blood transplantation",
        "interferon-α",
    ]
    assert exported.record.treatments[2].duration == "two weeks"
    assert exported.record.disease_events[1].evidence.status == "exact"

    page.goto(f"{base}/diff/{SEED_ID}")
    page.wait_for_selector('body[data-ready="1"]')
    rows = page.locator("#model-corrected tbody tr").all_inner_texts()
    assert any("/treatments/3/duration" in r and "two weeks" in r for r in rows)
    assert any("/treatments/2" in r and "removed" in r for r in rows)


def test_selection_offsets_are_code_points_even_after_astral_characters(served, page):
    base, store = served
    page.goto(doc_url(base, "hostile"))
    doc_ready_ms(page)
    page.fill("#reviewer", "Ann")
    select_text(page, "thalassaemia")  # after "🧬" and "𝛂": 2 UTF-16 units more than code points
    page.click(f"{card('/diagnoses/0')} button.use-selection")
    wait_saved(page, after=0)
    ev = store.state("hostile")[1].corrected["diagnoses"][0]["evidence"]
    start = HOSTILE_TEXT.index("thalassaemia")
    assert (ev["start"], ev["end"], ev["quote"]) == (start, start + 12, "thalassaemia")
    mark = page.locator("#source .ev.s-edited")
    assert mark.all_inner_texts() == ["thalassaemia"]


def test_clicking_a_field_scrolls_to_and_highlights_its_quote(served, page):
    base, _store = served
    page.goto(doc_url(base, SEED_ID))
    doc_ready_ms(page)
    page.click(f"{card('/outcome/status')} .fact-title")
    focus = page.locator("#source .ev.focus")
    assert "".join(focus.all_inner_texts()) == "eventually died of severe pneumonia"
    assert focus.first.is_visible()
    box = focus.first.bounding_box()
    pane = page.locator("#source").bounding_box()
    assert pane["y"] <= box["y"] <= pane["y"] + pane["height"]
    assert "selected" in page.get_attribute(card("/outcome/status"), "class")


def test_schema_inputs_enum_select_list_and_not_reported(served, page):
    base, store = served
    page.goto(doc_url(base, SEED_ID))
    doc_ready_ms(page)
    page.fill("#reviewer", "Ann")
    c = card("/disease_events/0")
    page.click(f"{c} button.edit")
    options = page.locator(f'{c} [data-field="event"] option').all_inner_texts()
    assert options == ["relapse", "progression", "remission", "stable_disease"]
    page.select_option(f'{c} [data-field="event"] select', "progression")
    page.click(f'{c} [data-field="body_sites"] li:nth-child(5) button')  # remove "pancreas"
    page.click(f'{c} [data-field="body_sites"] button:has-text("+ add")')
    page.fill(f'{c} [data-field="body_sites"] li:last-child input', "multiple lymph nodes")
    page.check(f'{c} [data-field="type"] input.not-reported')
    page.click(f'{c} button[type="submit"]')
    wait_saved(page, after=0)
    event = store.state(SEED_ID)[1].corrected["disease_events"][0]
    assert event["event"] == "progression" and event["type"] is None
    assert event["body_sites"] == [
        "lymph nodes",
        "breast",
        "kidney",
        "uterus",
        "multiple lymph nodes",
    ]


def test_invalid_input_is_refused_with_a_message(served, page, run):
    base, _store = served
    page.goto(doc_url(base, SEED_ID))
    doc_ready_ms(page)
    page.fill("#reviewer", "Ann")
    c = card("/source/year")
    page.click(f"{c} button.edit")
    page.fill(f'{c} [data-field="value"] input', "1066")
    page.click(f'{c} button[type="submit"]')
    page.wait_for_selector("#message.error")
    assert "/source/year/value" in page.text_content("#message")
    assert not (run / "reviews" / f"{SEED_ID}.review.json").exists()


def test_a_conflicting_save_from_a_second_tab_is_detected_and_nothing_is_lost(served, browser):
    base, store = served
    context = browser.new_context()
    first, second = context.new_page(), context.new_page()
    for p in (first, second):
        p.goto(doc_url(base, SEED_ID))
        doc_ready_ms(p)
        p.fill("#reviewer", "Ann")
    first.click(f"{card('/treatments/2')} button.reject")
    wait_saved(first, after=0)

    c = card("/treatments/3")
    second.click(f"{c} button.edit")
    second.fill(f'{c} [data-field="duration"] input', "two weeks")
    second.click(f'{c} button[type="submit"]')
    second.wait_for_selector("#message.error")
    assert "saved elsewhere" in second.text_content("#message")
    assert second.locator("#unsaved").is_visible()
    assert "two weeks" in second.text_content("#unsaved")
    assert "rejected" in second.locator(card("/treatments/2")).inner_text()  # reloaded
    assert store.review(SEED_ID).version == 1

    second.reload()  # the refused edit survives a reload too
    doc_ready_ms(second)
    second.click("#unsaved button.reapply")
    wait_saved(second, after=1)
    assert not second.locator("#unsaved").is_visible()
    review = store.review(SEED_ID)
    assert review.version == 2
    assert [(e.op, e.pointer) for e in review.edits] == [
        ("reject", "/treatments/2"),
        ("set", "/treatments/3/duration"),
    ]
    context.close()


def test_document_text_is_escaped(served, page):
    base, _store = served
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(base + "/")
    page.wait_for_selector('body[data-ready="1"]')
    assert "<script>alert(1)</script>" in page.inner_text("#docs")
    page.goto(doc_url(base, "hostile"))
    doc_ready_ms(page)
    assert page.locator("#source script, #source img, #fields script, #fields img").count() == 0
    assert page.inner_text("#source").replace("\n", "") == HOSTILE_TEXT.replace("\n", "")
    assert '<img src=x onerror="alert(2)">' in page.inner_text("#fields")
    page.click(f"{card('/findings/0')} .fact-title")
    page.wait_for_timeout(200)
    assert dialogs == []


def test_fields_the_prompt_did_not_extract_say_so(run, page):
    """An empty section or a null field that the prompt never asked for reads "not extracted",
    not "not reported"; fields it asked for still read "not reported"."""
    path = run / f"{SEED_ID}.json"
    ext = Extraction.model_validate_json(path.read_text())
    ext.not_extracted = ["patient.age", "findings", "treatments.dose", "treatments.time"]
    common = {"sections": [], "seconds": 1.0, "usage": Usage()}
    ext.provenance.passes = [
        PassRecord(name="names", status="ok", retried="truncated: cut off", **common),
        PassRecord(name="course", status="failed", error="cut off at max_tokens", **common),
        PassRecord(name="source", status="skipped", error="the text has no header", **common),
    ]
    path.write_text(ext.model_dump_json(indent=2))
    with serving(RunStore(run)) as base:
        page.goto(doc_url(base, SEED_ID))
        doc_ready_ms(page)
        age = page.locator(card("/patient/age")).inner_text()
        assert "not extracted by this prompt" in age and "not reported" not in age
        follow_up = page.locator(card("/outcome/follow_up")).inner_text()
        assert "not reported" in follow_up and "not extracted" not in follow_up
        notes = page.locator(".not-extracted").all_inner_texts()
        assert "findings: not extracted by this prompt" in notes
        assert "treatments: not extracted by this prompt: dose, time" in notes
        assert len(notes) == 2  # one per slot with fields left out; age is said on its card
        provenance = page.text_content("#provenance")
        assert "names (asked again after truncated: cut off)" in provenance
        assert "course FAILED: cut off at max_tokens" in provenance
        assert "source not asked: the text has no header" in provenance
        assert "source FAILED" not in provenance


def test_a_long_list_shows_the_first_500_and_the_rest_on_request(served, page):
    import json

    base, store = served
    raw = json.loads((store.root / f"{SEED_ID}.json").read_text("utf-8"))
    for i in range(510):
        raw["document"]["id"] = f"copy{i:03d}"
        (store.root / f"copy{i:03d}.json").write_text(json.dumps(raw), "utf-8")
    page.goto(base + "/")
    page.wait_for_selector('body[data-ready="1"]')
    assert page.locator("#docs tbody tr").count() == 500
    assert page.text_content("#message") == "Showing the first 500 of 512 documents."
    page.click("#more")
    page.wait_for_function("() => document.querySelectorAll('#docs tbody tr').length === 512")
    assert page.is_hidden("#more") and page.text_content("#message") == ""


def test_a_new_item_starts_empty_and_nothing_is_saved_that_nobody_chose(served, page):
    base, store = served
    page.goto(doc_url(base, SEED_ID))
    doc_ready_ms(page)
    page.fill("#reviewer", "Ann")
    slot = '.add-slot[data-slot="/treatments"]'
    page.click(f"{slot} button.add")
    assert page.input_value(f'{slot} [data-field="category"] select') == ""
    for field in ("target", "donor_type", "graft_source", "dose", "duration", "intent", "time"):
        assert page.is_checked(f'{slot} [data-field="{field}"] input.not-reported'), field
    page.click(f'{slot} button[type="submit"]')
    page.wait_for_selector("#message.error")
    assert "name: fill this in" in page.text_content("#message")
    page.fill(f'{slot} [data-field="name"] input', "hydroxyurea")
    page.click(f'{slot} button[type="submit"]')
    assert "category: fill this in" in page.text_content("#message")
    page.select_option(f'{slot} [data-field="category"] select', "chemotherapy")
    page.uncheck(f'{slot} [data-field="dose"] input.not-reported')  # ticked off, left empty
    page.click(f'{slot} button[type="submit"]')
    wait_saved(page, after=0)
    added = store.state(SEED_ID)[1].corrected["treatments"][-1]
    assert added["name"] == "hydroxyurea" and added["category"] == "chemotherapy"
    assert all(added[k] is None for k in ("intent", "dose", "duration", "time", "target"))


def test_list_items_move_up_and_down(served, page):
    base, store = served
    page.goto(doc_url(base, SEED_ID))
    doc_ready_ms(page)
    page.fill("#reviewer", "Ann")
    names = [t["name"] for t in store.state(SEED_ID)[1].corrected["treatments"]]
    assert page.is_disabled(f"{card('/treatments/0')} button.move-up")
    page.click(f"{card('/treatments/0')} button.move-down")
    wait_saved(page, after=0)
    moved = [t["name"] for t in store.state(SEED_ID)[1].corrected["treatments"]]
    assert moved == [names[1], names[0], *names[2:]]
    pointers = page.eval_on_selector_all(
        'article.fact[data-pointer^="/treatments/"]', "cs => cs.map(c => c.dataset.pointer)"
    )
    assert pointers[:2] == ["/treatments/1", "/treatments/0"]
    assert "#1" in page.text_content(f"{card('/treatments/1')} .fact-title")
    page.click(f"{card('/treatments/0')} button.move-up")
    wait_saved(page, after=1)
    assert [t["name"] for t in store.state(SEED_ID)[1].corrected["treatments"]] == names


def test_keyboard_accept_reject_and_next_field(served, page):
    base, store = served
    page.goto(doc_url(base, SEED_ID))
    doc_ready_ms(page)
    page.fill("#reviewer", "Ann")
    page.click("#source")  # focus out of the inputs: letters are shortcuts again
    page.keyboard.press("j")
    first = page.get_attribute("article.fact.selected", "data-pointer")
    assert first == "/source/title"
    page.keyboard.press("j")
    page.keyboard.press("k")
    assert page.get_attribute("article.fact.selected", "data-pointer") == first
    page.keyboard.press("a")
    wait_saved(page, after=0)
    assert page.get_attribute("article.fact.selected", "data-pointer") == "/source/journal"
    page.keyboard.press("r")
    wait_saved(page, after=1)
    state = store.state(SEED_ID)[1]
    assert state.fact("/source/title").status == "accepted"
    assert state.fact("/source/journal").status == "rejected"
    assert page.get_attribute("article.fact.selected", "data-pointer") == "/source/year"
    page.keyboard.press("e")
    assert page.locator(f"{card('/source/year')} form.fact-form").count() == 1


def test_next_and_previous_document_follow_the_list(served, page):
    base, _store = served
    page.goto(base + "/")
    page.wait_for_selector('body[data-ready="1"]')
    order = page.eval_on_selector_all("#docs tbody tr", "rs => rs.map(r => r.dataset.id)")
    assert sorted(order) == sorted([SEED_ID, "hostile"])
    page.click(f'a[href$="/doc/{order[0]}"]')
    doc_ready_ms(page)
    assert page.is_hidden("#prev-doc") and page.is_visible("#next-doc")
    page.click("#next-doc")
    page.wait_for_url(f"**/doc/{order[1]}")
    doc_ready_ms(page)
    assert page.is_hidden("#next-doc")
    page.click("#source")
    page.keyboard.press("p")
    page.wait_for_url(f"**/doc/{order[0]}")
    doc_ready_ms(page)
    page.click("#source")
    page.keyboard.press("n")
    page.wait_for_url(f"**/doc/{order[1]}")


def test_titles_in_the_list_and_the_least_supported_fields_first(served, page):
    base, _store = served
    page.goto(base + "/")
    page.wait_for_selector('body[data-ready="1"]')
    seed_row = page.inner_text(f'#docs tr[data-id="{SEED_ID}"]')
    assert "Extramedullary Relapse of Acute Lymphoblastic Leukemia" in seed_row
    page.goto(doc_url(base, SEED_ID))
    doc_ready_ms(page)
    assert "Extramedullary Relapse" in page.text_content("#doc-title")
    page.check("#triage")
    pointers = page.eval_on_selector_all("article.fact", "cs => cs.map(c => c.dataset.pointer)")
    badges = [
        page.locator(card(p)).locator(".badge.g-unsupported, .badge.g-fuzzy, .badge.g-exact")
        for p in pointers[:3]
    ]
    kinds = [b.first.inner_text() if b.count() else "" for b in badges]
    assert kinds == ["unsupported"] * 3 and "/treatments/2" in pointers[:3]
    # the planted wrong duration: its quote says "two weeks"; the card says why it is flagged
    assert "/treatments/3" in pointers[:3]
    note = page.locator(card("/treatments/3")).locator(".grounding-note").inner_text()
    assert note == "unsupported: the quote does not state the duration 'two months'"
    assert "fuzzy" in page.locator(card(pointers[3])).locator(".badge").all_inner_texts()
    page.reload()
    doc_ready_ms(page)
    assert page.is_checked("#triage")  # remembered
