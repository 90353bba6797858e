"""Dual review: separate reviewers' files, blindness over HTTP, reconciliation, agreement, gold."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from starlette.testclient import TestClient
from typer.testing import CliRunner

from abstraction.cli.main import app as cli
from abstraction.core.errors import UserError
from abstraction.core.records import GoldRecord
from abstraction.review.app import create_app
from abstraction.review.dual import assign, identity, read_protocol, run_agreement
from abstraction.review.edits import Change, EditRejected
from abstraction.review.reconcile import promote_reconciled, reconcile
from abstraction.review.store import RunStore
from tests.review.conftest import BASE, TOKEN, WRITE
from tests.review.seed_run import SEED_ID

ALICE_EDITS = [
    Change(op="reject", pointer="/treatments/2"),  # the rituximab the text never mentions
    Change(op="set", pointer="/treatments/3/duration", value="two weeks"),
]
BOB_EDITS = [
    Change(op="reject", pointer="/patient/age_group"),
    Change(op="set", pointer="/treatments/0/name", value="CAR T-cell therapy"),
]


def review(run: Path, name: str, changes: list[Change], *, submit: bool = True) -> RunStore:
    store = RunStore(run, reviewer=name)
    if changes:
        store.save(SEED_ID, expected_version=0, reviewer=name, reason="t", changes=changes)
    if submit:
        store.save(
            SEED_ID,
            expected_version=store.review(SEED_ID).version,
            reviewer=name,
            reason=None,
            changes=[Change(op="accept_all")],
        )
    return store


@pytest.fixture
def dual_run(run: Path) -> Path:
    assign(run, ["alice", "bob"])
    return run


def app_for(run: Path, name: str, *, adjudicate: bool = False, gold: Path | None = None):
    who = identity(run, name, adjudicate=adjudicate)
    web = create_app(RunStore(run, gold=gold), token=TOKEN, who=who)
    return TestClient(web, base_url=f"{BASE}/{TOKEN}")


def save(client: TestClient, version: int, *changes: dict):
    return client.post(
        f"/api/docs/{SEED_ID}/edits",
        json={"reviewer": "someone else", "changes": list(changes)},
        headers={**WRITE, "If-Match": f'"{version}"'},
    )


def settle(client: TestClient, version: int, key: str, choice: str, **more):
    return client.post(
        f"/api/docs/{SEED_ID}/decisions",
        json={"key": key, "choice": choice, **more},
        headers={**WRITE, "If-Match": f'"{version}"'},
    )


# ---- store -------------------------------------------------------------------------------------


def test_each_reviewer_has_own_files_and_a_submitted_review_is_final(dual_run):
    review(dual_run, "alice", ALICE_EDITS)
    review(dual_run, "bob", BOB_EDITS, submit=False)
    files = sorted(p.relative_to(dual_run).as_posix() for p in dual_run.rglob("*.review.json"))
    assert files == [
        f"reviews/by/alice/{SEED_ID}.review.json",
        f"reviews/by/bob/{SEED_ID}.review.json",
    ]
    alice, bob = RunStore(dual_run, reviewer="alice"), RunStore(dual_run, reviewer="bob")
    assert {e.reviewer for e in alice.review(SEED_ID).edits} == {"alice"}
    assert [e.pointer for e in bob.review(SEED_ID).edits] == [
        "/patient/age_group",
        "/treatments/0/name",
    ]
    # the single-reviewer store sees neither
    assert RunStore(dual_run).review(SEED_ID).edits == []
    with pytest.raises(EditRejected, match="submitted"):
        alice.save(SEED_ID, expected_version=2, reviewer="alice", reason=None,
                   changes=[Change(op="status", value="in_progress")])  # fmt: skip
    assert alice.review(SEED_ID).version == 2


def test_identity_follows_the_protocol(dual_run):
    assert identity(dual_run, "alice", adjudicate=False).role == "reviewer"
    assert identity(dual_run, "carol", adjudicate=True).role == "adjudicator"
    with pytest.raises(UserError, match="not assigned"):
        identity(dual_run, "carol", adjudicate=False)
    with pytest.raises(UserError, match="cannot adjudicate"):
        identity(dual_run, "bob", adjudicate=True)
    with pytest.raises(UserError):
        RunStore(dual_run, reviewer="../etc")


# ---- blindness over HTTP -----------------------------------------------------------------------


def test_a_reviewer_is_blind_to_the_others_until_submitting(dual_run):
    alice, bob = app_for(dual_run, "alice"), app_for(dual_run, "bob")
    assert bob.get("/api/config").json()["who"] == "bob"
    r = save(bob, 0, {"op": "reject", "pointer": "/patient/age_group"})
    assert r.status_code == 200
    # recorded under bob's name, whatever the request said
    assert RunStore(dual_run, reviewer="bob").review(SEED_ID).edits[0].reviewer == "bob"
    view = alice.get(f"/api/docs/{SEED_ID}").json()
    assert view["edits"] == [] and view["version"] == 0
    assert alice.get(f"/api/docs/{SEED_ID}/reconcile").status_code == 403
    assert alice.get("/api/agreement").status_code == 403

    assert save(alice, 0, {"op": "accept_all"}).status_code == 200  # alice submits
    r = alice.get(f"/api/docs/{SEED_ID}/reconcile")
    assert r.status_code == 400 and "1 so far" in r.json()["error"]  # bob has not submitted
    assert bob.get(f"/api/docs/{SEED_ID}/reconcile").status_code == 403

    assert save(bob, 1, {"op": "accept_all"}).status_code == 200  # bob submits
    r = alice.get(f"/api/docs/{SEED_ID}/reconcile")
    assert r.status_code == 200
    assert r.json()["can_settle"] is False
    assert [u["key"] for u in r.json()["units"]] == ["/patient/age_group"]
    assert settle(alice, 0, "/patient/age_group", "a").status_code == 403
    # a submitted review takes no more edits
    assert save(bob, 2, {"op": "accept", "pointer": "/patient/sex"}).status_code == 422
    # a gold record (perhaps the reconciled one) is not shown in a reviewer's app
    gold = dual_run.parent / "gold"
    gold.mkdir()
    record = RunStore(dual_run).extraction(SEED_ID).record
    kept = GoldRecord(document_id=SEED_ID, document_sha256=None, annotator="x",
                      annotated_fields=None, notes=None, record=record)  # fmt: skip
    (gold / f"{SEED_ID}.json").write_text(kept.model_dump_json())
    for who, shown in ((None, True), (identity(dual_run, "bob", adjudicate=False), False)):
        web = create_app(RunStore(dual_run, gold=gold), token=TOKEN, who=who)
        diff = TestClient(web, base_url=f"{BASE}/{TOKEN}").get(f"/api/docs/{SEED_ID}/diff")
        assert (diff.json()["gold"] is not None) is shown
    rows = alice.get("/api/docs").json()
    assert next(r for r in rows if r["id"] == SEED_ID)["submitted"] == ["alice", "bob"]


# ---- reconciliation ------------------------------------------------------------------------------


def test_disagreements_are_paired_by_key_not_position(dual_run):
    review(dual_run, "alice", ALICE_EDITS)
    review(dual_run, "bob", BOB_EDITS)
    rec = reconcile(RunStore(dual_run), SEED_ID, "alice", "bob")
    units = {u.key: u for u in rec.units}
    # alice dropped rituximab, so her interferon is item 2 and bob's item 3: paired by name.
    # bob's "CAR T-cell therapy" is the same term as "CAR-T cell therapy": no disagreement.
    assert sorted(units) == ["/patient/age_group", "/treatments/a2-b3", "/treatments/b2"]
    duration = units["/treatments/a2-b3"].fields
    assert [(f.field, f.kind, f.a, f.b) for f in duration] == [
        ("duration", "differ", "two weeks", "two months")
    ]
    assert units["/treatments/b2"].b["name"] == "rituximab"
    assert units["/treatments/b2"].a is None
    assert units["/patient/age_group"].fields[0].kind == "only A"
    assert units["/treatments/a2-b3"].model["duration"] == "two months"


def test_adjudication_over_http_and_promotion_to_gold(dual_run, tmp_path):
    review(dual_run, "alice", ALICE_EDITS)
    review(dual_run, "bob", BOB_EDITS)
    gold = tmp_path / "gold"
    carol = app_for(dual_run, "carol", adjudicate=True, gold=gold)
    view = carol.get(f"/api/docs/{SEED_ID}/reconcile").json()
    assert view["can_settle"] and view["version"] == 0 and not view["settled"]
    assert view["units"][0]["evidence"]["a"]["quote"]
    assert carol.post(f"/api/docs/{SEED_ID}/promote", json={}, headers=WRITE).status_code == 400

    r = settle(carol, 0, "/treatments/a2-b3", "value", value={"name": "x"})
    assert r.status_code == 422 and "reason" in r.text  # own value needs a reason
    r = settle(carol, 0, "/treatments/a2-b3", "value", value={"name": "x"}, reason="r")
    assert r.status_code == 422  # not a valid treatment: nothing stored
    assert settle(carol, 0, "/treatments/a2-b3", "a").status_code == 200
    assert settle(carol, 0, "/treatments/b2", "a").status_code == 409  # stale version
    assert settle(carol, 1, "/treatments/b2", "a", reason="not in the text").status_code == 200
    age = {**view["units"][0]["a"], "value": "adult"}
    r = settle(carol, 2, "/patient/age_group", "value", value=age, reason="text says adult")
    assert r.status_code == 200 and r.json()["settled"]
    stored = json.loads((dual_run / "reviews" / "adjudication" / f"{SEED_ID}.json").read_text())
    assert [(d["key"], d["adjudicator"]) for d in stored["decisions"]] == [
        ("/treatments/a2-b3", "carol"),
        ("/treatments/b2", "carol"),
        ("/patient/age_group", "carol"),
    ]
    names = [t["name"] for t in stored["settled"]["treatments"]]
    assert "rituximab" not in names and len(names) == 3
    assert stored["settled"]["treatments"][2]["duration"] == "two weeks"

    r = carol.post(f"/api/docs/{SEED_ID}/promote", json={}, headers=WRITE)
    assert r.status_code == 200
    record = GoldRecord.model_validate_json((gold / f"{SEED_ID}.json").read_bytes())
    assert record.annotator == "alice, bob; adjudicated by carol"
    assert "run run" in (record.notes or "") and "carol" in (record.notes or "")
    assert record.record.model_dump(mode="json") == stored["settled"]
    # never overwritten silently
    r = carol.post(f"/api/docs/{SEED_ID}/promote", json={}, headers=WRITE)
    assert r.status_code == 400 and "exists" in r.json()["error"]
    result = CliRunner().invoke(
        cli, ["promote", str(dual_run), SEED_ID, "--gold-dir", str(gold), "--reconciled"]
    )
    assert result.exit_code != 0 and "exists" in str(result.exception)
    result = CliRunner().invoke(
        cli,
        ["promote", str(dual_run), SEED_ID, "--gold-dir", str(gold), "--reconciled", "--force"],
    )
    assert result.exit_code == 0, result.output


def test_promotion_refuses_open_disagreements(dual_run, tmp_path):
    review(dual_run, "alice", ALICE_EDITS)
    review(dual_run, "bob", BOB_EDITS)
    with pytest.raises(UserError, match="not settled"):
        promote_reconciled(RunStore(dual_run), [SEED_ID], tmp_path / "gold")
    assert not (tmp_path / "gold").exists()


def test_the_single_reviewer_app_has_no_dual_routes(client):
    assert client.get(f"/api/docs/{SEED_ID}/reconcile").status_code == 404
    assert client.get("/api/config").json()["mode"] is None


# ---- agreement -------------------------------------------------------------------------------


def test_agreement_figures_on_known_edits(dual_run):
    # Alice keeps all four treatments; Bob changes the category of the cord blood transplant.
    # The items pair by name, so treatments.category compares four pairs (alice, bob):
    #   (cellular_therapy, cellular_therapy), (stem_cell_transplant, cellular_therapy),
    #   (immunotherapy, immunotherapy), (immunotherapy, immunotherapy)
    # p_o = 3/4.  Alice's shares: cellular 1/4, transplant 1/4, immuno 2/4; Bob's: cellular 2/4,
    # immuno 2/4.  p_e = (1*2 + 1*0 + 2*2) / 16 = 6/16 = 0.375.
    # kappa = (0.75 - 0.375) / (1 - 0.375) = 0.375 / 0.625 = 0.6.
    # F1: 4 paired values, 3 equal: TP 3, FP 1, FN 1 -> P = R = 3/4, F1 = 0.75.
    review(dual_run, "alice", [Change(op="accept", pointer="/patient/sex")])
    review(
        dual_run,
        "bob",
        [Change(op="set", pointer="/treatments/1/category", value="cellular_therapy")],
    )
    [pair] = run_agreement(RunStore(dual_run))
    assert (pair.first, pair.second, pair.documents) == ("alice", "bob", [SEED_ID])
    rows = {r.path: r for r in pair.fields}
    assert rows["treatments.category"].pairs == 4
    assert rows["treatments.category"].kappa == pytest.approx(0.6)
    assert rows["treatments.category"].f1 == pytest.approx(0.75)
    assert rows["treatments.name"].f1 == pytest.approx(1.0)

    result = CliRunner().invoke(cli, ["review", "agreement", str(dual_run), "--json"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    category = next(f for f in printed[0]["fields"] if f["path"] == "treatments.category")
    assert category["kappa"] == pytest.approx(0.6)


def test_agreement_counts_only_documents_both_submitted(dual_run):
    review(dual_run, "alice", [])
    review(dual_run, "bob", [Change(op="reject", pointer="/treatments/1")], submit=False)
    [pair] = run_agreement(RunStore(dual_run))
    assert pair.documents == [] and pair.fields == []


def test_assign_and_agreement_commands(run):
    runner = CliRunner()
    result = runner.invoke(cli, ["review", "assign", str(run), "alice", "bob"])
    assert result.exit_code == 0, result.output
    assert read_protocol(run).reviewers == ["alice", "bob"]  # type: ignore[union-attr]
    result = runner.invoke(cli, ["review", "assign", str(run), "cy"])
    assert read_protocol(run).reviewers == ["alice", "bob", "cy"]  # type: ignore[union-attr]
    review(run, "alice", [])
    review(run, "cy", [Change(op="reject", pointer="/patient/sex")])
    result = runner.invoke(cli, ["review", "agreement", str(run)])
    assert result.exit_code == 0, result.output
    assert "alice vs cy: 1 document(s) both submitted" in result.output
    assert "alice vs bob: 0 document(s)" in result.output
    assert "patient.sex.value" in result.output


def test_each_reviewer_s_edits_are_in_the_export_s_edits_table(dual_run):
    """A hostile audit (eleventh session): 40 edits stored under reviews/by/* appeared in no
    export; the edits table read the run's own review file only."""
    from abstraction.review.tables import build_tables

    review(dual_run, "alice", ALICE_EDITS)
    review(dual_run, "bob", BOB_EDITS, submit=False)
    rows = build_tables(RunStore(dual_run))["review_edits"].rows
    by_file: dict[str, list[dict]] = {}
    for r in rows:
        by_file.setdefault(r["review_file"], []).append(r)
    alice = by_file[f"reviews/by/alice/{SEED_ID}.review.json"]
    bob = by_file[f"reviews/by/bob/{SEED_ID}.review.json"]
    assert {r["reviewer"] for r in alice} == {"alice"} and {r["reviewer"] for r in bob} == {"bob"}
    assert [r["pointer"] for r in bob] == ["/patient/age_group", "/treatments/0/name"]
    assert {r["state"] for r in alice + bob} == {"applied"}
    stored = RunStore(dual_run, reviewer="alice").review(SEED_ID).edits
    assert [r["edit_id"] for r in alice] == [e.id for e in stored]


def _copy_run(run: Path, to: Path) -> Path:
    to.mkdir()
    for name in (f"{SEED_ID}.json", "hostile.json"):
        (to / name).write_bytes((run / name).read_bytes())
    return to


def test_carry_takes_each_reviewer_s_files_the_protocol_and_the_decisions(dual_run, tmp_path):
    """`review carry` copied only reviews/<id>.review.json: the dual reviewers' files, the
    protocol and the adjudicator's decisions stayed behind, and it said nothing."""
    from abstraction.review.store import carry_reviews

    review(dual_run, "alice", ALICE_EDITS)
    review(dual_run, "bob", BOB_EDITS)
    decisions = dual_run / "reviews" / "adjudication" / f"{SEED_ID}.json"
    decisions.parent.mkdir()
    decisions.write_text('{"kept": "as it is"}')
    new = _copy_run(dual_run, tmp_path / "new")
    rows, kept = carry_reviews(RunStore(dual_run), RunStore(new), force=False)
    assert kept == []
    assert sorted(r[0] for r in rows) == [f"{SEED_ID} (by alice)", f"{SEED_ID} (by bob)"]
    for rel in (f"by/alice/{SEED_ID}.review.json", f"by/bob/{SEED_ID}.review.json"):
        assert (new / "reviews" / rel).read_text() == (dual_run / "reviews" / rel).read_text()
    assert read_protocol(new) == read_protocol(dual_run)
    assert (
        new / "reviews" / "adjudication" / f"{SEED_ID}.json"
    ).read_text() == '{"kept": "as it is"}'


def test_carry_writes_nothing_when_one_destination_exists(run, tmp_path):
    """It wrote the first document's review, then stopped at the second's, so a second try
    failed on the first."""
    from abstraction.review.store import carry_reviews

    old = RunStore(run)
    for doc in (SEED_ID, "hostile"):
        old.save(doc, expected_version=0, reviewer="ann", reason=None,
                 changes=[Change(op="accept_all")])  # fmt: skip
    new = _copy_run(run, tmp_path / "new")
    (new / "reviews").mkdir()
    (new / "reviews" / "hostile.review.json").write_text("someone's review")
    with pytest.raises(UserError, match="nothing was copied"):
        carry_reviews(old, RunStore(new), force=False)
    assert sorted(p.name for p in (new / "reviews").iterdir()) == ["hostile.review.json"]
    assert (new / "reviews" / "hostile.review.json").read_text() == "someone's review"
    # twelfth session's audit: --force threw the new run's own review away without a word
    _, kept = carry_reviews(old, RunStore(new), force=True)
    assert [p.read_text() for p in kept] == ["someone's review"]
    assert kept[0].parent == new / "reviews" / "history"
    assert RunStore(new).review("hostile").edits  # the carried review is read, not the copy


def test_a_late_reviewer_does_not_lock_the_adjudicator_s_decisions_out(run, tmp_path):
    """Three reviewers: alice and carol submitted, the adjudicator settled every disagreement,
    then bob (second in the protocol) submitted.  The pair became alice and bob, and the
    decisions file ("holds the reconciliation of alice and carol") was refused from then on:
    reconcile and promote failed with 400.  The pair decided on stays."""
    assign(run, ["alice", "bob", "carol"])
    review(run, "alice", ALICE_EDITS)
    review(run, "carol", BOB_EDITS)
    dave = app_for(run, "dave", adjudicate=True, gold=tmp_path / "gold")
    view = dave.get(f"/api/docs/{SEED_ID}/reconcile").json()
    assert view["reviewers"] == ["alice", "carol"]
    for version, unit in enumerate(view["units"]):
        assert settle(dave, version, unit["key"], "a").status_code == 200
    review(run, "bob", [Change(op="reject", pointer="/treatments/2")])
    again = dave.get(f"/api/docs/{SEED_ID}/reconcile")
    assert again.status_code == 200, again.text[:300]
    assert again.json()["reviewers"] == ["alice", "carol"] and again.json()["settled"]
    assert dave.post(f"/api/docs/{SEED_ID}/promote", json={}, headers=WRITE).status_code == 200
