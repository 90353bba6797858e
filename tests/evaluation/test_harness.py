"""The eval harness: runner, paired comparison, reports, baselines and the CLI.

Model calls are replaced by a test double of the extraction function (never stored as a
recording): v1 returns the gold itself, v2 drops a treatment, invents a sex and fails one
document, so every number below is known in advance.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from abstraction.cli import evaluate as cli
from abstraction.client import ModelConfig
from abstraction.core.documents import Document
from abstraction.core.errors import UserError
from abstraction.core.prompts import PromptSpec, load_prompt
from abstraction.core.records import Extraction
from abstraction.evaluation import runner as runner_mod
from abstraction.evaluation import systems as systems_mod
from abstraction.evaluation.compare import EvalReport, compare
from abstraction.evaluation.report import render_html, render_json, render_markdown
from abstraction.evaluation.runner import run_suite, version_input
from abstraction.evaluation.suite import load_suite
from tests.evaluation.helpers import extraction, fact, gold_record, record, treatment

PROMPT = """version = "{v}"
description = "test prompt {v}"
system = "Extract the case."
[[passes]]
name = "all"
sections = ["patient", "treatments"]
instructions = "Extract."
"""

SUITE = """description = "three tiny fictional cases"
documents = ["../../seeds/*.txt"]
gold = "../../gold"
fields = ["patient", "treatments"]
"""


def _gold_records() -> dict[str, dict[str, Any]]:
    return {
        "case_a": record(
            patient__sex=fact("female"),
            treatments=[treatment("cytarabine"), treatment("daunorubicin")],
        ),
        "case_b": record(
            patient__age=fact(7, unit="years"),
            treatments=[treatment("imatinib", "targeted_therapy")],
        ),
        "case_c": record(
            patient__sex=fact("male"), treatments=[treatment("aspirin", "supportive")]
        ),
    }


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    golds = _gold_records()
    for d in ["seeds", "gold", "eval/suites", "prompts"]:
        (tmp_path / d).mkdir(parents=True)
    for doc_id, rec in golds.items():
        (tmp_path / "seeds" / f"{doc_id}.txt").write_text(f"Fictional case {doc_id}.\n")
        (tmp_path / "gold" / f"{doc_id}.json").write_text(
            gold_record(doc_id, rec).model_dump_json()
        )
    (tmp_path / "eval/suites/mini.toml").write_text(SUITE)
    for v in ["v1", "v2"]:
        (tmp_path / "prompts" / f"{v}.toml").write_text(PROMPT.format(v=v))
    return tmp_path


def fake_extract(doc: Document, *, prompt: PromptSpec, client: Any) -> Extraction:
    """v1: the gold itself; v2: case_a loses daunorubicin, case_b gains a sex, case_c fails."""
    assert client == "fake-client"
    rec = _gold_records()[doc.id]
    if prompt.version == "v2":
        if doc.id == "case_a":
            rec = record(patient__sex=fact("female"), treatments=[treatment("cytarabine")])
        elif doc.id == "case_b":
            rec = record(
                patient__age=fact(7, unit="years"),
                patient__sex=fact("male"),
                treatments=[treatment("imatinib", "targeted_therapy")],
            )
        else:
            return extraction(doc.id, None, version="v2", tokens=50)
    return extraction(doc.id, rec, version=prompt.version, tokens=100)


def _report(repo: Path) -> EvalReport:
    suite = load_suite(str(repo / "eval/suites/mini.toml"))
    prompts = [load_prompt(v, repo / "prompts") for v in ["v1", "v2"]]
    runs = run_suite(suite, prompts, client="fake-client", extract=fake_extract)
    return compare(suite.name, [version_input(r) for r in runs], fields_in_scope=suite.fields)


def test_runner_and_comparison_numbers(repo: Path) -> None:
    rep = _report(repo)
    v1, v2 = rep.versions
    assert (v1.documents, v1.failures, v1.total_tokens) == (3, 0, 300)
    assert (v2.failures, v2.failed_documents, v2.total_tokens) == (1, ["case_c"], 250)
    assert v1.f1.estimate == 1.0
    # v2 value fields: case_a sex TP, cytarabine name+category TP 2, daunorubicin omitted FN 2;
    # case_b age TP, sex hallucinated FP, imatinib TP 2; case_c failed: sex, name, category FN 3.
    # TP 6, FP 1, FN 5 -> P 6/7, R 6/11, F1 = 12/18 = 2/3.
    assert v2.report.overall.tp == 6 and v2.report.overall.fp == 1 and v2.report.overall.fn == 5
    assert v2.f1.estimate == pytest.approx(2 / 3)
    assert rep.overall.delta[1] is not None
    assert rep.overall.delta[1].estimate == pytest.approx(2 / 3 - 1)
    for row in [rep.overall, *rep.fields]:
        for iv in row.f1:
            assert iv.low - 1e-9 <= iv.estimate <= iv.high + 1e-9
    docs = {d.id: d for d in rep.documents}
    assert docs["case_c"].status == ["ok", "failed"] and docs["case_c"].f1 == [1.0, 0.0]
    worse_docs = {w.name for w in rep.worse if w.kind == "document"}
    assert worse_docs == {"case_a", "case_b", "case_c"}
    worse_fields = {w.name for w in rep.worse if w.kind == "field"}
    assert {"patient.sex.value", "treatments", "treatments.name"} <= worse_fields
    assert "diagnoses" not in {f.path for f in rep.fields}  # out of the suite's scope


def test_comparison_is_reproducible(repo: Path) -> None:
    """Same inputs, same report to the last digit (bar the measured wall seconds)."""

    def scores(rep: EvalReport) -> dict[str, Any]:
        data = json.loads(render_json(rep))
        for v in data["versions"]:
            assert v.pop("seconds_total") >= 0 and v.pop("seconds_per_document") >= 0
            assert v.pop("wall_seconds_per_document") >= 0
        return data

    assert scores(_report(repo)) == scores(_report(repo))


def test_html_is_well_formed_and_has_a_chart_per_field(repo: Path) -> None:
    rep = _report(repo)
    page = render_html(rep)
    assert page.startswith("<!DOCTYPE html>")
    assert "http://" not in page.replace("http://www.w3.org/2000/svg", "")  # self-contained
    assert "<script" not in page
    root = ET.fromstring(page.split("\n", 1)[1])  # XHTML-clean: parses as XML
    ns = "{http://www.w3.org/2000/svg}"
    charts = {svg.get("data-field"): svg for svg in root.iter(f"{ns}svg")}
    expected = {"overall (micro)", "document mean", *(f.path for f in rep.fields)}
    assert set(charts) == expected
    for svg in charts.values():
        bars = [r for r in svg.iter(f"{ns}rect") if r.get("class") == "bar"]
        whiskers = [g for g in svg.iter(f"{ns}g") if g.get("class") == "whisker"]
        assert len(bars) == len(whiskers) == 2
    overall_bars = [r for r in charts["overall (micro)"].iter(f"{ns}rect")]
    assert float(overall_bars[0].get("width")) > float(overall_bars[1].get("width"))


def test_json_round_trips_and_markdown_has_the_tables(repo: Path) -> None:
    rep = _report(repo)
    assert EvalReport.model_validate_json(render_json(rep)) == rep
    md = render_markdown(rep)
    assert "| treatments.name | text |" in md
    assert "## Got worse" in md and "case_c" in md


# --- CLI ------------------------------------------------------------------------------------


@pytest.fixture
def app(repo: Path, monkeypatch: pytest.MonkeyPatch) -> typer.Typer:
    @contextmanager
    def fake_open(config: Any) -> Any:
        assert (config.model, config.recording_mode) == ("local", "replay")
        yield "fake-client"

    monkeypatch.chdir(repo)
    monkeypatch.setattr(
        cli,
        "_model_config",
        lambda model, url, mode, suite, **_: ModelConfig(
            model=model or "local", recording_mode=mode
        ),
    )
    monkeypatch.setattr(cli, "_open_client", fake_open)
    monkeypatch.setattr(runner_mod, "_default_extract", lambda model: fake_extract)

    async def fake_system_extract(self: systems_mod.OurSystem, doc: Document) -> Extraction:
        return fake_extract(doc, prompt=self.prompt, client=self.client)

    monkeypatch.setattr(systems_mod.OurSystem, "extract", fake_system_extract)
    application = typer.Typer()
    cli.register(application)
    return application


def test_cli_eval_reports_and_baseline_gate(app: typer.Typer, repo: Path) -> None:
    runner = CliRunner()
    args = [
        "eval",
        "mini",
        "--prompt",
        "v1",
        "--prompt",
        "v2",
        "--replay",
        "--prompts-dir",
        str(repo / "prompts"),
    ]
    res = runner.invoke(app, [*args, "--report", "out", "--update-baseline"])
    assert res.exit_code == 0, res.output
    for name in ["report.md", "report.html", "report.json"]:
        assert (repo / "out" / name).is_file()
    assert (repo / "out/extractions/v2/case_c.json").is_file()
    baseline = repo / "eval/baselines/mini/v2.json"
    assert json.loads(baseline.read_text())["f1"]["overall (micro)"] == pytest.approx(2 / 3)

    res = runner.invoke(app, [*args, "--check-baseline"])
    assert res.exit_code == 0 and "baseline check passed" in res.output

    data = json.loads(baseline.read_text())
    data["f1"]["treatments.name"] += 0.05  # the run is now 0.05 below its baseline
    baseline.write_text(json.dumps(data))
    res = runner.invoke(app, [*args, "--check-baseline", "--tolerance", "0.02"])
    assert res.exit_code == 1
    assert "regression" in res.output and "treatments.name" in res.output
    res = runner.invoke(app, [*args, "--check-baseline", "--tolerance", "0.1"])
    assert res.exit_code == 0


def test_cli_eval_user_errors(app: typer.Typer) -> None:
    """Errors reach the main app's handler (message, exit 2) as `UserError`s."""
    runner = CliRunner()
    res = runner.invoke(app, ["eval", "nope", "--prompt", "v1", "--replay"])
    assert isinstance(res.exception, UserError) and "no suite 'nope'" in str(res.exception)
    res = runner.invoke(app, ["eval", "mini", "--prompt", "v1", "--replay", "--record"])
    assert isinstance(res.exception, UserError)
    args = ["eval", "mini", "--prompt", "v1", "--prompt", "v1", "--replay"]
    res = runner.invoke(app, [*args, "--prompts-dir", "prompts"])
    assert isinstance(res.exception, UserError) and "once" in str(res.exception)


def test_cli_score(app: typer.Typer, repo: Path, tmp_path: Path) -> None:
    pred = tmp_path / "pred"
    pred.mkdir()
    for doc_id, rec in _gold_records().items():
        (pred / f"{doc_id}.json").write_text(extraction(doc_id, rec).model_dump_json())
    out = tmp_path / "score.json"
    res = CliRunner().invoke(app, ["score", str(pred), str(repo / "gold"), "--json", str(out)])
    assert res.exit_code == 0, res.output
    data = json.loads(out.read_text())
    assert data["overall"]["f1"] == 1.0 and len(data["documents"]) == 3
    assert set(data) >= {"overall", "fields", "documents"}
    res = CliRunner().invoke(app, ["score", str(pred), str(tmp_path / "nowhere")])
    assert isinstance(res.exception, UserError)


class _MeteredClient:
    """Stands in for a recording/replaying ModelClient: each extraction adds the latency
    its recordings carry (None: a recording that predates stored latency)."""

    def __init__(self, per_doc: dict[str, float | None]) -> None:
        self.per_doc = per_doc
        self.seconds, self.calls, self.unknown = 0.0, 0, 0

    def recorded_latency(self) -> tuple[float, int, int]:
        return self.seconds, self.calls, self.unknown

    def extract(self, doc: Any, *, prompt: Any, client: Any) -> Any:
        latency = self.per_doc[doc.id]
        self.calls += 1
        if latency is None:
            self.unknown += 1
        else:
            self.seconds += latency
        return fake_extract(doc, prompt=prompt, client="fake-client")


def test_recorded_latency_replaces_wall_seconds_and_skips_unknown_documents(
    repo: Path,
) -> None:
    suite = load_suite(str(repo / "eval/suites/mini.toml"))
    prompt = load_prompt("v1", repo / "prompts")
    client = _MeteredClient({"case_a": 12.5, "case_b": None, "case_c": 7.5})
    (run,) = run_suite(suite, [prompt], client=client, extract=client.extract)
    assert run.latency_source == "recorded"
    assert run.seconds == {"case_a": 12.5, "case_c": 7.5}
    rep = compare(suite.name, [version_input(run)], fields_in_scope=suite.fields)
    (v,) = rep.versions
    assert (v.seconds_total, v.seconds_documents, v.seconds_per_document) == (20.0, 2, 10.0)
    assert "10.00 (rec.) (2/3 docs)" in render_markdown(rep)


# --- tallies: a system's scores kept as numbers, combined with later runs -------------------


def _eval_args(repo: Path, *extra: str) -> list[str]:
    return ["eval", "mini", "--replay", "--prompts-dir", str(repo / "prompts"), *extra]


def test_a_tally_gives_the_same_report_as_the_run_it_came_from(
    app: typer.Typer, repo: Path
) -> None:
    runner = CliRunner()
    res = runner.invoke(
        app, _eval_args(repo, "-p", "v1", "-p", "v2", "--report", "full", "--tally", "tallies")
    )
    assert res.exit_code == 0, res.output
    v2_file = repo / "tallies/mini/v2.json"
    tally = json.loads(v2_file.read_text())
    assert [d["id"] for d in tally["documents"]] == ["case_a", "case_b", "case_c"]
    assert tally["documents"][2]["status"] == "failed"
    # numbers and hashes only: no value of the gold or of the prediction
    for word in ("cytarabine", "daunorubicin", "imatinib", "aspirin", "female", "Fictional"):
        assert word not in v2_file.read_text()

    res = runner.invoke(
        app, _eval_args(repo, "-p", "v1", "--from-tally", str(v2_file), "--report", "mixed")
    )
    assert res.exit_code == 0, res.output
    full = EvalReport.model_validate_json((repo / "full/report.json").read_text())
    mixed = EvalReport.model_validate_json((repo / "mixed/report.json").read_text())
    assert mixed.overall == full.overall  # the same point estimates, intervals and margins
    assert mixed.fields == full.fields
    assert mixed.document_mean == full.document_mean
    assert [d.f1 for d in mixed.documents] == [d.f1 for d in full.documents]
    assert mixed.versions[1].failed_documents == ["case_c"]

    res = runner.invoke(
        app,
        _eval_args(
            repo,
            "--from-tally",
            str(repo / "tallies/mini/v1.json"),
            "--from-tally",
            str(v2_file),
            "--report",
            "tallies-only",
        ),
    )
    assert res.exit_code == 0, res.output
    only = EvalReport.model_validate_json((repo / "tallies-only/report.json").read_text())
    assert only.overall == full.overall


def _refusal(app: typer.Typer, repo: Path, tally: Path) -> str:
    res = CliRunner().invoke(app, _eval_args(repo, "-p", "v1", "--from-tally", str(tally)))
    assert isinstance(res.exception, UserError), res.output
    return str(res.exception)


def test_a_tally_is_refused_when_the_instrument_or_the_gold_changed(
    app: typer.Typer, repo: Path
) -> None:
    res = CliRunner().invoke(app, _eval_args(repo, "-p", "v2", "--tally", "tallies"))
    assert res.exit_code == 0, res.output
    path = repo / "tallies/mini/v2.json"
    original = path.read_text()

    data = json.loads(original)
    data["scorer_sha256"] = "0" * 64
    path.write_text(json.dumps(data))
    assert "another scorer" in _refusal(app, repo, path)

    data = json.loads(original)
    data["documents"].reverse()
    path.write_text(json.dumps(data))
    assert "not the suite's" in _refusal(app, repo, path)

    path.write_text(original)
    gold = repo / "gold/case_b.json"
    g = json.loads(gold.read_text())
    g["record"]["treatments"][0]["name"] = "dasatinib"
    gold.write_text(json.dumps(g))
    assert "case_b: scored against another gold record" in _refusal(app, repo, path)

    (repo / "seeds/case_a.txt").write_text("Another fictional text.\n")
    assert "case_a: made from another text" in _refusal(app, repo, path)
