"""The HTTP API through Starlette's TestClient: reads, writes, versions, and the defences."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from abstraction.core.records import Extraction, GoldRecord
from abstraction.review.app import create_app
from abstraction.review.store import RunStore
from tests.review.conftest import BASE, TOKEN, WRITE, save
from tests.review.seed_run import SEED_ID


def files_under(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()}


def test_list_is_in_triage_order(client, run):
    shutil.copy(run / "hostile.json", run / "aaa_supported.json")
    raw = json.loads((run / "aaa_supported.json").read_text())
    raw["document"]["id"] = "aaa_supported"
    (run / "aaa_supported.json").write_text(json.dumps(raw))
    rows = client.get("/api/docs").json()
    assert [r["id"] for r in rows] == [SEED_ID, "aaa_supported", "hostile"]
    seed = rows[0]
    # unsupported: the treatment the text never mentions, the planted wrong duration (its quote
    # says "two weeks") and the relapse whose quote lists only its sites (the support check)
    assert (seed["facts"], seed["exact"], seed["fuzzy"], seed["unsupported"]) == (19, 15, 1, 3)
    assert seed["doc_status"] == "unreviewed"
    assert save(client, SEED_ID, 0, {"op": "accept_all"}).status_code == 200
    rows = client.get("/api/docs").json()
    assert rows[-1]["id"] == SEED_ID and rows[-1]["doc_status"] == "reviewed"


def test_document_view_and_etag(client):
    res = client.get(f"/api/docs/{SEED_ID}")
    assert res.status_code == 200 and res.headers["etag"] == '"0"'
    view = res.json()
    assert view["source"]["text"].startswith("Your new experience awaits")
    fact = next(f for f in view["facts"] if f["pointer"] == "/treatments/3")
    ev = fact["evidence"]
    assert view["source"]["text"][ev["start"] : ev["end"]] == ev["quote"]
    assert next(f for f in view["facts"] if f["pointer"] == "/patient/age")["value"] is None


def test_save_then_read_back(client):
    res = save(
        client,
        SEED_ID,
        0,
        {"op": "set", "pointer": "/treatments/3", "value": {"duration": "two weeks"}},
    )
    assert res.status_code == 200, res.text
    assert res.headers["etag"] == '"1"' and res.json()["saved"] == 1
    view = client.get(f"/api/docs/{SEED_ID}").json()
    fact = next(f for f in view["facts"] if f["pointer"] == "/treatments/3")
    assert (fact["value"]["duration"], fact["status"]) == ("two weeks", "edited")
    assert view["doc_status"] == "in_progress" and view["edits"][0]["reason"] == "test"


def test_stale_version_gets_409_and_nothing_is_lost_on_the_server(client, run):
    assert save(client, SEED_ID, 0, {"op": "reject", "pointer": "/treatments/2"}).status_code == 200
    before = (run / "reviews" / f"{SEED_ID}.review.json").read_bytes()
    res = save(client, SEED_ID, 0, {"op": "accept", "pointer": "/treatments/0"}, reviewer="bob")
    assert res.status_code == 409
    assert res.json()["current"] == 1 and "re-apply" in res.json()["error"]
    assert (run / "reviews" / f"{SEED_ID}.review.json").read_bytes() == before
    again = save(client, SEED_ID, 1, {"op": "accept", "pointer": "/treatments/0"}, reviewer="bob")
    assert again.status_code == 200
    assert [e["reviewer"] for e in again.json()["doc"]["edits"]] == ["ann", "bob"]


def test_invalid_edit_gets_422_with_problems_and_writes_nothing(client, run):
    res = save(
        client, SEED_ID, 0, {"op": "set", "pointer": "/patient/sex", "value": {"value": "unknown"}}
    )
    assert res.status_code == 422
    assert res.json()["problems"][0].startswith("/patient/sex/value: Input should be")
    assert not (run / "reviews" / f"{SEED_ID}.review.json").exists()
    bad = client.post(
        f"/api/docs/{SEED_ID}/edits",
        content=b"{not json",
        headers={**WRITE, "If-Match": '"0"', "Content-Type": "application/json"},
    )
    assert bad.status_code == 422


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"If-Match": '"0"'}, 403),  # no client header: a plain cross-site form cannot write
        ({**WRITE, "If-Match": '"0"', "Origin": "http://evil.example"}, 403),
        ({**WRITE, "If-Match": '"0"', "Sec-Fetch-Site": "cross-site"}, 403),
        ({**WRITE}, 428),
    ],
)
def test_writes_need_same_origin_and_a_version(client, run, headers, status):
    body = {"reviewer": "ann", "changes": [{"op": "accept", "pointer": "/treatments/0"}]}
    res = client.post(f"/api/docs/{SEED_ID}/edits", json=body, headers=headers)
    assert res.status_code == status
    assert not (run / "reviews").exists() or not any((run / "reviews").glob("*.json"))


def test_form_posts_are_refused(client):
    res = client.post(
        f"/api/docs/{SEED_ID}/edits", data={"reviewer": "x"}, headers={**WRITE, "If-Match": '"0"'}
    )
    assert res.status_code == 415


def test_same_origin_write_is_allowed(client):
    res = save(client, SEED_ID, 0, {"op": "accept", "pointer": "/treatments/0"})
    assert res.status_code == 200
    res = client.post(
        f"/api/docs/{SEED_ID}/edits",
        json={"reviewer": "a", "changes": [{"op": "accept", "pointer": "/treatments/1"}]},
        headers={**WRITE, "If-Match": '"1"', "Origin": BASE},
    )
    assert res.status_code == 200


def test_foreign_host_header_is_refused(store):
    evil = TestClient(create_app(store, token=TOKEN), base_url=f"http://evil.example/{TOKEN}")
    assert evil.get("/api/docs").status_code == 400


@pytest.mark.parametrize(
    "path",
    [
        "/api/docs/..%2f..%2fetc%2fpasswd",
        "/api/docs/..%2F..%2Fetc/passwd",
        "/api/docs/%2Fetc%2Fpasswd",
        "/api/docs/..",
        "/api/docs/linked",
        "/api/docs/manifest",
        "/doc/..%2f..%2fetc%2fpasswd",
        "/doc/linked",
        "/diff/..%2f..%2fetc%2fpasswd",
        "/static/..%2f..%2fpyproject.toml",
        "/static/..%2fapp.py",
        "/static/%2Fetc%2Fpasswd",
        "/api/docs/..%2f..%2fetc%2fpasswd/diff",
    ],
)
def test_paths_outside_the_run_are_not_served(client, run, tmp_path, path):
    secret = tmp_path / "secret.json"
    secret.write_bytes((run / f"{SEED_ID}.json").read_bytes())
    (run / "linked.json").symlink_to(secret)
    res = client.get(path)
    assert res.status_code == 404
    assert "root:" not in res.text and "Your new experience" not in res.text


@pytest.mark.parametrize("doc", ["..%2f..%2foutside", "%2Ftmp%2Fx", "linked", "..", "x%00y"])
def test_no_request_writes_outside_the_run_folder(client, run, tmp_path, doc):
    (run / "linked.json").symlink_to(tmp_path / "nowhere.json")
    before = files_under(tmp_path)
    res = client.post(
        f"/api/docs/{doc}/edits",
        json={"reviewer": "a", "changes": [{"op": "accept_all"}]},
        headers={**WRITE, "If-Match": '"0"'},
    )
    assert res.status_code == 404
    assert files_under(tmp_path) == before


def test_pages_carry_no_document_text_and_forbid_inline_script(client):
    for path in ("/", "/doc/hostile", "/diff/hostile"):
        res = client.get(path)
        assert res.status_code == 200
        assert "alert(" not in res.text
        csp = res.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert res.headers["x-content-type-options"] == "nosniff"
    api = client.get("/api/docs/hostile")
    assert api.headers["content-type"] == "application/json"
    assert "<script>alert(1)</script>" in api.json()["source"]["text"]  # kept verbatim, as data


def test_diff_against_corrected_and_gold(run, tmp_path):
    gold_dir = tmp_path / "gold"
    gold_dir.mkdir()
    record = Extraction.model_validate_json((run / f"{SEED_ID}.json").read_bytes()).record
    gold = GoldRecord(
        document_id=SEED_ID,
        document_sha256=None,
        annotator="reader",
        annotated_fields=None,
        notes=None,
        record=record,
    )
    gold.record.treatments[3].duration = "two weeks"
    (gold_dir / f"{SEED_ID}.json").write_text(gold.model_dump_json())
    client = TestClient(
        create_app(RunStore(run, gold=gold_dir), token=TOKEN), base_url=f"{BASE}/{TOKEN}"
    )
    before = client.get(f"/api/docs/{SEED_ID}/diff").json()
    assert before["model_vs_corrected"] == []
    assert [r["pointer"] for r in before["gold"]["corrected_vs_gold"]] == ["/treatments/3/duration"]
    save(
        client,
        SEED_ID,
        0,
        {"op": "set", "pointer": "/treatments/3", "value": {"duration": "two weeks"}},
    )
    after = client.get(f"/api/docs/{SEED_ID}/diff").json()
    assert after["model_vs_corrected"] == [
        {
            "pointer": "/treatments/3/duration",
            "kind": "changed",
            "left": "two months",
            "right": "two weeks",
        }
    ]
    assert after["gold"]["corrected_vs_gold"] == []
    assert client.get("/api/docs/hostile/diff").json()["gold"] is None


def test_re_extraction_in_place_shows_conflicts_in_list_and_document(client, run):
    save(
        client,
        SEED_ID,
        0,
        {"op": "set", "pointer": "/treatments/3", "value": {"duration": "two weeks"}},
        {"op": "reject", "pointer": "/treatments/2"},
    )
    path = run / f"{SEED_ID}.json"
    raw = json.loads(path.read_text())
    raw["record"]["treatments"][3]["duration"] = "one month"  # a new prompt's answer
    raw["provenance"]["prompt_version"] = "fixture-2"
    path.write_text(json.dumps(raw))
    row = next(r for r in client.get("/api/docs").json() if r["id"] == SEED_ID)
    assert (row["conflicts"], row["prompt"]) == (1, "fixture-2")
    view = client.get(f"/api/docs/{SEED_ID}").json()
    [conflict] = view["conflicts"]
    assert conflict["edit"]["pointer"] == "/treatments/3/duration"
    assert (conflict["edit"]["old"], conflict["edit"]["new"], conflict["model_now"]) == (
        "two months",
        "two weeks",
        "one month",
    )
    assert next(f for f in view["facts"] if f["pointer"] == "/treatments/2")["status"] == "rejected"
    res = save(
        client,
        SEED_ID,
        1,
        {"op": "set", "pointer": "/treatments/3/duration", "value": "two weeks"},
        {"op": "dismiss", "value": conflict["edit"]["id"]},
    )
    assert res.status_code == 200 and res.json()["doc"]["conflicts"] == []


def test_a_full_record_renders_and_its_gold_diff_is_empty(tmp_path):
    """The committed seed gold, wrapped as an extraction, exercises every section of the view."""
    from abstraction.core.documents import Document
    from tests.review.seed_run import REPO, SEED, extraction_for, write_extraction

    gold = GoldRecord.model_validate_json((REPO / "gold" / f"{SEED_ID}.json").read_bytes())
    run = tmp_path / "run"
    ext = extraction_for(Document.from_path(SEED), gold.record.model_dump(mode="json"))
    write_extraction(run, ext)
    client = TestClient(
        create_app(RunStore(run, gold=REPO / "gold"), token=TOKEN), base_url=f"{BASE}/{TOKEN}"
    )
    view = client.get(f"/api/docs/{SEED_ID}").json()
    sections = {f["slot"].split("/")[1] for f in view["facts"] if f["value"] is not None}
    assert {
        "source",
        "patient",
        "diagnoses",
        "disease_events",
        "treatments",
        "timeline",
    } <= sections
    diff = client.get(f"/api/docs/{SEED_ID}/diff").json()
    # grounding of the wrapped copy may differ from gold's stored evidence; the facts do not
    assert all(
        r["pointer"].split("/")[-2] == "evidence" or "/evidence/" in r["pointer"]
        for r in diff["gold"]["model_vs_gold"]
    )
    assert save(client, SEED_ID, 0, {"op": "accept_all"}).json()["doc"]["doc_status"] == "reviewed"


def test_the_list_can_be_limited_to_its_first_rows(client):
    full = client.get("/api/docs")
    assert full.headers["x-total-count"] == "2" and len(full.json()) == 2
    first = client.get("/api/docs?limit=1")
    assert first.headers["x-total-count"] == "2" and first.json() == full.json()[:1]
    for bad in ("0", "-1", "x", "1e3"):
        assert client.get(f"/api/docs?limit={bad}").status_code == 400


def test_around_names_the_neighbours_in_triage_order_and_titles_are_reviewed(client):
    rows = client.get("/api/docs").json()
    ids = [r["id"] for r in rows]
    first = client.get(f"/api/docs/{ids[0]}/around").json()
    assert first == {"previous": None, "next": ids[1], "position": 1, "total": 2}
    assert client.get(f"/api/docs/{ids[1]}/around").json()["previous"] == ids[0]
    assert client.get("/api/docs/nope/around").status_code == 404
    change = {"op": "set", "pointer": "/source/title", "value": {"value": "A better title"}}
    assert save(client, SEED_ID, 0, change).status_code == 200
    row = next(r for r in client.get("/api/docs").json() if r["id"] == SEED_ID)
    assert row["title"] == "A better title"
    assert client.get(f"/api/docs/{SEED_ID}").json()["title"] == "A better title"


def test_an_order_change_is_saved_and_shown(client):
    view = client.get(f"/api/docs/{SEED_ID}").json()
    pointers = [f["pointer"] for f in view["facts"] if f["slot"] == "/treatments"]
    res = save(
        client, SEED_ID, 0, {"op": "order", "pointer": "/treatments", "value": pointers[::-1]}
    )
    assert res.status_code == 200, res.text
    shown = [f["pointer"] for f in res.json()["doc"]["facts"] if f["slot"] == "/treatments"]
    assert shown == pointers[::-1]
    bad = save(client, SEED_ID, 1, {"op": "order", "pointer": "/treatments", "value": pointers[:1]})
    assert bad.status_code == 422


def test_an_edit_inside_a_list_item_is_a_conflict_when_another_item_takes_its_place(client, run):
    """A hostile audit (eleventh session): the reviewer set the fourth treatment's dose (null
    -> "3 MIU", interferon); the next extraction dropped the first treatment and appended
    prednisone, also with no dose, so the edit's pointer and old value still matched and
    prednisone got 3 MIU.  The edit keeps the item's other fields; another item there is a
    conflict.  The same item with new evidence is still the same item."""
    res = save(client, SEED_ID, 0, {"op": "set", "pointer": "/treatments/3/dose", "value": "3 MIU"})
    assert res.status_code == 200
    path = run / f"{SEED_ID}.json"
    original = json.loads(path.read_text())
    moved = json.loads(path.read_text())
    items = moved["record"]["treatments"]
    assert len(items) == 4 and items[3]["dose"] is None
    moved["record"]["treatments"] = [*items[1:], {**items[2], "name": "prednisone", "dose": None}]
    path.write_text(json.dumps(moved))
    view = client.get(f"/api/docs/{SEED_ID}").json()
    [conflict] = view["conflicts"]
    assert conflict["edit"]["pointer"] == "/treatments/3/dose"
    assert "another item" in conflict["reason"]
    corrected = RunStore(run).state(SEED_ID)[1].corrected
    assert "3 MIU" not in [t["dose"] for t in corrected["treatments"]]
    # the same item again, its quote moved: the edit applies
    original["record"]["treatments"][3]["evidence"]["quote"] += " "
    path.write_text(json.dumps(original))
    view = client.get(f"/api/docs/{SEED_ID}").json()
    assert view["conflicts"] == []
    assert RunStore(run).state(SEED_ID)[1].corrected["treatments"][3]["dose"] == "3 MIU"


def test_a_review_whose_extraction_file_is_gone_is_still_listed(client, run):
    """A reviewer's corrections do not vanish from the list when the extraction file is moved
    away: the list shows a row saying where the review is kept (twelfth session's leftover)."""
    assert save(client, SEED_ID, 0, {"op": "accept_all"}).status_code == 200
    (run / f"{SEED_ID}.json").rename(run.parent / "moved-away.json")
    rows = client.get("/api/docs").json()
    row = next(r for r in rows if r["id"] == SEED_ID)
    assert row["doc_status"] == "failed"
    assert f"reviews/{SEED_ID}.review.json" in row["error"] and "gone" in row["error"]
    assert "edits" in row["error"] and " 0 edits" not in row["error"]
