"""Tallies under attack: a report from tallies must say what the run said, leak no text, and
refuse what was not measured by the same instrument on the same documents, gold and labels.

Fixtures and the test double come from `tests.evaluation.test_harness` (three fictional
cases; v1 returns the gold, v2 drops a treatment, invents a sex and fails case_c).
"""

# ruff: noqa: F811 (the fixtures `app` and `repo` are imported from test_harness)

from __future__ import annotations

import ast
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import pytest
import typer
from pydantic import ValidationError
from typer.testing import CliRunner

from abstraction.cli import evaluate as cli
from abstraction.core.documents import Document
from abstraction.core.errors import UserError
from abstraction.core.prompts import PromptSpec, load_prompt
from abstraction.core.records import Extraction, Failure
from abstraction.core.schema import EvidenceField, Strict
from abstraction.core.scoring import Score
from abstraction.evaluation import tally as tally_mod
from abstraction.evaluation.compare import compare
from abstraction.evaluation.plan import scoring_schema
from abstraction.evaluation.runner import load_suite_gold, run_suite, version_input
from abstraction.evaluation.suite import load_suite
from abstraction.evaluation.tally import (
    Tally,
    TallyDocument,
    error_kind,
    scorer_sha256,
    tally_of,
    version_from_tally,
)
from tests.evaluation import test_harness as harness
from tests.evaluation.helpers import diagnosis, extraction, fact, record, treatment
from tests.evaluation.test_harness import _eval_args, app, repo  # noqa: F401

PACKAGE = Path(tally_mod.__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _fresh_scorer_digest() -> Iterator[None]:
    """The scorer digest is pinned once per process: each test pins its own."""
    tally_mod._pinned.cache_clear()
    yield
    tally_mod._pinned.cache_clear()


def _labels(repo: Path, also_accepted: list[str] | None = None) -> Path:
    """A principal-labels file for the three fictional cases, named by the suite."""
    labels = []
    for doc_id in ("case_a", "case_b", "case_c"):
        text = Document.from_path(repo / "seeds" / f"{doc_id}.txt")
        label: dict[str, Any] = {
            "id": doc_id,
            "split": "dev",
            "sha256": text.sha256,
            "name": "acute myeloid leukemia",
            "start": 0,
            "end": 9,
            "stated": False,
            "also_accepted": list(also_accepted or []),
            "rationale": "fictional",
        }
        if doc_id == "case_b":  # "case" at 10-14 of "Fictional case case_b."
            label["other_reading"] = {
                "name": "case",
                "start": 10,
                "end": 14,
                "also_accepted": ["chronic myeloid leukemia"],
            }
        labels.append(label)
    path = repo / "eval/labels/principal.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps({"corpus": "test", "attribution": "test", "method": "test", "labels": labels})
    )
    suite = repo / "eval/suites/mini.toml"
    if "principal" not in suite.read_text():
        suite.write_text(suite.read_text() + 'principal = "../labels/principal.json"\n')
    return path


# --- 1. the same report, to the last digit ----------------------------------------------------


class _Metered:
    """Recorded latency per document (None: unknown), and records with a principal diagnosis."""

    def __init__(self) -> None:
        self.seconds, self.calls, self.unknown = 0.0, 0, 0

    def recorded_latency(self) -> tuple[float, int, int]:
        return self.seconds, self.calls, self.unknown

    def extract(self, doc: Document, *, prompt: PromptSpec, client: Any) -> Extraction:
        latency = {"case_a": 12.25, "case_b": None, "case_c": 0.1 + 0.2}[doc.id]
        self.calls += 1
        if latency is None:
            self.unknown += 1
        else:
            self.seconds += latency
        if prompt.version == "v2" and doc.id == "case_c":
            return extraction(doc.id, None, version="v2", tokens=37)
        name = {"case_a": "acute myeloid leukemia", "case_b": "chronic myeloid leukemia"}
        rec = record(
            patient__sex=fact("female"),
            treatments=[treatment("cytarabine")] if prompt.version == "v2" else [],
            diagnoses=[diagnosis(name.get(doc.id, "aml")), diagnosis("anemia", "principal")],
        )
        return extraction(doc.id, rec, version=prompt.version, tokens=101)


def _without_text_details(report: dict[str, Any]) -> dict[str, Any]:
    """What a tally does not keep by design: match details, failure messages (their kind is
    kept), the predicted principal name and the reason that names it, and the tally's own note
    in `system`."""
    for v in report["versions"]:
        v["system"].pop("tally", None)
        for d in v["report"]["documents"]:
            d["errors"], d["matches"], d["error"] = [], [], error_kind(d["error"])
        for verdict in (v["principal"] or {}).get("verdicts", []):
            verdict["predicted"] = verdict["reason"] = None
    return report


def _runs_tally_and_report(repo: Path) -> tuple[Any, Any, Any, Tally, Any]:
    """The mini suite run with v1 and v2 (principal labels on), v2's tally, and the live
    report: (suite, v1's run, v2's run, v2's tally, the report of both runs)."""
    _labels(repo)
    suite = load_suite(str(repo / "eval/suites/mini.toml"))
    prompts = [load_prompt(v, repo / "prompts") for v in ["v1", "v2"]]
    client = _Metered()
    ref, run = run_suite(suite, prompts, client=client, extract=client.extract)
    documents = load_suite_gold(suite)
    made = tally_of(run, suite.name, documents, suite.fields, labels=suite.principal_labels)
    live = compare(
        suite.name, [version_input(ref), version_input(run)], fields_in_scope=suite.fields
    )
    return suite, ref, run, made, live


def test_a_report_from_a_tally_equals_the_runs_in_every_figure(repo: Path) -> None:
    suite, ref, run, made, live = _runs_tally_and_report(repo)
    assert run.latency_source == "recorded" and run.principal is not None
    assert run.principal.other_reading == 1  # case_b names the other reading

    kept = Tally.model_validate_json(made.model_dump_json())  # through its file format
    mixed = compare(
        suite.name, [version_input(ref), version_from_tally(kept)], fields_in_scope=suite.fields
    )
    assert _without_text_details(mixed.model_dump()) == _without_text_details(live.model_dump())
    # how many diagnoses the prediction marked principal is a number: kept, not made up
    tallied = mixed.versions[1].principal
    assert tallied is not None and [v.principals for v in tallied.verdicts] == [2, 2, 0]


# --- 2. no text ---------------------------------------------------------------------------------


def test_a_tally_keeps_no_failure_message(
    app: typer.Typer, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failure's message may quote the model's answer (pydantic's ``input_value=...``), and
    with it the text: a tally keeps only the kind of failure."""
    original = harness.fake_extract

    def quoting(doc: Document, *, prompt: PromptSpec, client: Any) -> Extraction:
        ext = original(doc, prompt=prompt, client=client)
        if ext.status == "failed":
            message = f'the answer is not valid JSON: input_value=\'{{"quote": "{doc.text}"\''
            ext = ext.model_copy(update={"error": Failure(kind="unparseable", message=message)})
        return ext

    monkeypatch.setattr(harness, "fake_extract", quoting)
    res = CliRunner().invoke(app, _eval_args(repo, "-p", "v2", "--tally", "t"))
    assert res.exit_code == 0, res.output
    text = (repo / "t/mini/v2.json").read_text()
    assert "Fictional" not in text and "input_value" not in text
    case_c = Tally.model_validate_json(text).documents[2]
    assert (case_c.status, case_c.error) == ("failed", "unparseable")
    with pytest.raises(ValidationError):  # nor can a tally be made with one
        TallyDocument(
            id="x",
            document_sha256="0" * 64,
            gold_sha256="0" * 64,
            status="scorer_error",
            error="ValueError: could not convert 'Fictional case' to float",
            counts={},
        )


# --- 3. the instrument ----------------------------------------------------------------------------


class _Site(Strict):
    value: Annotated[str, Score.text("anatomy")]
    evidence: EvidenceField


class _SiteExact(Strict):
    value: Annotated[str, Score.exact()]
    evidence: EvidenceField


class _RegistryText(Strict):
    site: _Site | None


class _RegistryExact(Strict):
    site: _SiteExact | None


def test_the_scorer_digest_covers_the_schemas_scoring_rules() -> None:
    """A schema of one's own (docs/schemas.md) lives outside the package: its `Score`
    annotations decide the counts as much as the scorer's code does."""
    with scoring_schema(_RegistryText):
        text_rules = scorer_sha256()
    with scoring_schema(_RegistryExact):
        exact_rules = scorer_sha256()
    assert text_rules != exact_rules
    assert scorer_sha256() not in (text_rules, exact_rules)  # CaseReport


def test_the_scorer_digest_covers_the_libraries_that_decide_matches(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Lemmas (lemminflect), similarities (rapidfuzz), assignments (scipy) and Unicode case
    folding change which values are the same term: no lock file pins them."""
    scorer_sha256()
    assert not tally_mod.scorer_changed()
    versions = tally_mod.metadata.version
    monkeypatch.setattr(
        tally_mod.metadata, "version", lambda n: "0.0" if n == "lemminflect" else versions(n)
    )
    assert tally_mod.scorer_changed()


def _imports(path: Path) -> set[str]:
    """The package modules `path` imports (anywhere in it, TYPE_CHECKING blocks aside)."""
    out = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = {
        id(n)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for n in ast.walk(node)
    }
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("abstraction."):
            base = (node.module or "").removeprefix("abstraction.").replace(".", "/")
            for alias in node.names:
                sub = f"{base}/{alias.name}.py"
                out.add(sub if (PACKAGE / sub).is_file() else f"{base}.py")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("abstraction."):
                    out.add(alias.name.removeprefix("abstraction.").replace(".", "/") + ".py")
    return {m for m in out if (PACKAGE / m).is_file()}


def test_the_scorer_files_are_what_the_scorer_imports() -> None:
    """Every module that turns a prediction and gold into counts or a principal verdict is
    hashed (a missing one lets changed counts pass), and nothing else is (an extraction rule
    hashed with the scorer refuses every tally, an hour of model time each, for nothing)."""
    roots = ["evaluation/files.py", "evaluation/scorer.py", "evaluation/principal.py"]
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        module = todo.pop()
        if module not in seen:
            seen.add(module)
            todo.extend(_imports(PACKAGE / module))
    harmless = {"core/errors.py", "core/documents.py"}  # messages; texts are hashed per document
    hashed = {f for f in tally_mod._SCORER_FILES if f.endswith(".py")}
    assert sorted(seen - harmless - hashed) == []
    assert sorted(hashed - seen) == []
    data = {f for f in tally_mod._SCORER_FILES if f.startswith("data/")}
    # what core/normalize.py and core/denials.py read
    assert data == {"data/synonyms", "data/units.json", "data/denying_names.txt"}


def test_a_scorer_changed_during_the_run_gives_no_tally(
    app: typer.Typer, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The scorer's modules are loaded when the run starts; a tally hashed from the files after
    an hour's run would name a scorer that did not make its counts."""
    digests = iter(["a" * 64] + ["b" * 64] * 10)
    monkeypatch.setattr(tally_mod, "files_sha256", lambda names: next(digests))
    res = CliRunner().invoke(app, _eval_args(repo, "-p", "v2", "--tally", "t", "--report", "r"))
    assert isinstance(res.exception, UserError), res.output
    assert "scorer changed" in str(res.exception)
    assert not (repo / "t/mini/v2.json").exists()
    assert (repo / "r/report.json").is_file()  # the run's report is still written


# --- 4. what is combined --------------------------------------------------------------------------


def _refused(app: typer.Typer, repo: Path, *extra: str) -> str:
    res = CliRunner().invoke(app, _eval_args(repo, *extra))
    assert isinstance(res.exception, UserError), res.output
    return str(res.exception)


def test_a_tally_judged_against_other_principal_labels_is_refused(
    app: typer.Typer, repo: Path
) -> None:
    _labels(repo)
    res = CliRunner().invoke(app, _eval_args(repo, "-p", "v2", "--tally", "t"))
    assert res.exit_code == 0, res.output
    tally = str(repo / "t/mini/v2.json")
    res = CliRunner().invoke(app, _eval_args(repo, "-p", "v1", "--from-tally", tally))
    assert res.exit_code == 0, res.output

    _labels(repo, also_accepted=["acute leukemia"])  # a label corrected since
    message = _refused(app, repo, "-p", "v1", "--from-tally", tally)
    assert "case_a: its principal diagnosis was judged against another label" in message

    suite = repo / "eval/suites/mini.toml"  # the suite no longer names the labels
    suite.write_text(suite.read_text().replace('principal = "../labels/principal.json"\n', ""))
    assert "another label" in _refused(app, repo, "-p", "v1", "--from-tally", tally)


def test_tampered_counts_are_refused(app: typer.Typer, repo: Path) -> None:
    res = CliRunner().invoke(app, _eval_args(repo, "-p", "v2", "--tally", "t"))
    assert res.exit_code == 0, res.output
    path = repo / "t/mini/v2.json"
    original = json.loads(path.read_text())

    data = json.loads(json.dumps(original))  # a field the suite does not score
    data["documents"][0]["counts"]["diagnoses.name"] = [5, 0, 0, 0, 0, 0, 0, 5, 5, 0, 0, 0, 0, 0]
    path.write_text(json.dumps(data))
    message = _refused(app, repo, "-p", "v1", "--from-tally", str(path))
    assert "case_a: counts for paths this suite does not score (diagnoses.name)" in message

    data = json.loads(json.dumps(original))  # a row of another shape
    data["documents"][0]["counts"]["treatments.name"] = [1, 0, 1]
    path.write_text(json.dumps(data))
    assert "not a readable tally" in _refused(app, repo, "-p", "v1", "--from-tally", str(path))

    data = json.loads(json.dumps(original))
    data["documents"][0]["counts"]["treatments.name"][0] = -1
    path.write_text(json.dumps(data))
    assert "not a readable tally" in _refused(app, repo, "-p", "v1", "--from-tally", str(path))


def test_a_name_given_twice_is_refused_before_any_model_time(
    app: typer.Typer, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    res = CliRunner().invoke(app, _eval_args(repo, "-p", "v2", "--tally", "t"))
    assert res.exit_code == 0, res.output

    def no_model_time(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the systems ran before the names were checked")

    monkeypatch.setattr(cli, "run_systems", no_model_time)
    tally = str(repo / "t/mini/v2.json")
    assert "once" in _refused(app, repo, "-p", "v2", "--from-tally", tally)
    assert "once" in _refused(app, repo, "--from-tally", tally, "--from-tally", tally)


def test_a_gold_changed_during_the_run_is_not_what_the_tally_names(
    app: typer.Typer, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The run scores the gold it read when it started; its tally must name that gold, so that
    a gold edited during the run (another session, an import) refuses it later."""
    original = harness.fake_extract
    gold = repo / "gold/case_b.json"

    def editing(doc: Document, *, prompt: PromptSpec, client: Any) -> Extraction:
        if doc.id == "case_a":  # mid-run: the gold of case_b is corrected
            g = json.loads(gold.read_text())
            g["record"]["treatments"][0]["name"] = "dasatinib"
            gold.write_text(json.dumps(g))
        return original(doc, prompt=prompt, client=client)

    monkeypatch.setattr(harness, "fake_extract", editing)
    res = CliRunner().invoke(app, _eval_args(repo, "-p", "v2", "--tally", "t"))
    assert res.exit_code == 0, res.output
    monkeypatch.setattr(harness, "fake_extract", original)
    message = _refused(app, repo, "-p", "v1", "--from-tally", str(repo / "t/mini/v2.json"))
    assert "case_b: scored against another gold record" in message


# --- what a report from tallies says about what it does not have ------------------------------


def test_a_tallied_wrong_principal_says_the_name_is_not_kept_not_none(repo: Path) -> None:
    from abstraction.evaluation.report import principal_notes

    suite, ref, _run, made, live = _runs_tally_and_report(repo)
    mixed = compare(
        suite.name, [version_input(ref), version_from_tally(made)], fields_in_scope=suite.fields
    )
    live_line, tally_line = principal_notes(live)[1], principal_notes(mixed)[1]
    assert "case_c (none: " in live_line  # the run had no record for case_c: "none" is true
    assert "(none" not in tally_line  # a tally keeps no name: it must not say "none"
    assert "wrong: case_b; case_c (wrong ones" in tally_line
    assert tally_line.endswith(
        "(wrong ones from a tally: the tally keeps right or wrong, not the name)"
    )


def test_update_baseline_writes_no_baseline_for_a_tallied_system(
    app: typer.Typer, repo: Path
) -> None:
    runner = CliRunner()
    args = _eval_args(repo)
    tallies = repo / "tallies"
    res = runner.invoke(app, [*args, "-p", "v2", "--tally", str(tallies)])
    assert res.exit_code == 0, res.output
    baselines = repo / "eval/baselines/mini"
    before = {p.name: p.read_text() for p in baselines.glob("*.json")} if baselines.is_dir() else {}
    res = runner.invoke(
        app,
        [*args, "-p", "v1", "--from-tally", str(tallies / "mini" / "v2.json"), "--update-baseline"],
    )
    assert res.exit_code == 0, res.output
    after = {p.name: p.read_text() for p in baselines.glob("*.json")}
    assert "v1.json" in after
    assert after.get("v2.json") == before.get("v2.json")  # untouched (or still absent)


def test_a_declared_equivalent_scorer_combines_and_nothing_else_does() -> None:
    """`SAME_SCORER` bridges an old scorer hash to the one it was checked to equal (and chains);
    any other hash is still another scorer."""
    from abstraction.evaluation.tally import SAME_SCORER, same_scorer, scorer_sha256

    old, (new, why) = next(iter(SAME_SCORER.items()))
    assert same_scorer(old, new) and same_scorer(new, new) and "Checked" in why
    assert not same_scorer(new, old)  # one way: an old tally into a new scorer's run
    assert not same_scorer("0" * 64, new) and not same_scorer("0" * 64, scorer_sha256())
    # the committed tallies (eval/tallies/<suite>/, and eval/tallies-amd/<suite>/ for the runs
    # recorded on another CPU; older ones are kept under archive/) were
    # made by this scorer, or one declared the same: a scorer change re-makes them from
    # recordings, or declares the bridge after checking it
    root = Path(__file__).resolve().parents[2] / "eval"
    committed = sorted(root.glob("tallies/*/*.json")) + sorted(root.glob("tallies-amd/*/*.json"))
    assert committed
    stale = [
        str(p)
        for p in committed
        if not same_scorer(json.loads(p.read_text())["scorer_sha256"], scorer_sha256())
    ]
    assert not stale, "the scorer changed again: re-make these tallies or declare the bridge"
