"""The jobs CLI: runs list/show over a real store, batch prepare, and the extract job helper."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from abstraction.cli.jobs import extract_job_summary, job_options
from abstraction.cli.main import app
from abstraction.client.config import ModelConfig
from abstraction.core.errors import ConfigError, ModelSetupError, UserError
from abstraction.core.prompts import DEFAULT_PROMPT, load_prompt
from abstraction.core.records import Extraction

from .conftest import ROOT, fictional_case, write_jsonl

runner = CliRunner()


def test_extract_job_then_runs_list_and_show(tmp_path: Path, fault_server_factory) -> None:
    server = fault_server_factory()
    inputs = write_jsonl(
        tmp_path / "docs.jsonl", [{"id": f"d{i}", "text": fictional_case(i)} for i in range(5)]
    )
    (tmp_path / "bad.txt").write_bytes(b"")
    store = tmp_path / "runs.db"
    prompt = load_prompt("v1", ROOT / "prompts")
    config = ModelConfig(model="gpt-4o-mini", base_url=server.base_url, api_key="t")
    code, _ = extract_job_summary(
        [inputs, tmp_path / "bad.txt"],
        out_dir=tmp_path / "out",
        prompt=prompt,
        model_config=config,
        store=store,
        options=job_options(model_config=config, prompt=prompt),
    )
    assert code == 1, "one input failed"
    table = runner.invoke(app, ["runs", "list", "--store", str(store)])
    assert table.exit_code == 0, table.output
    listed = runner.invoke(app, ["runs", "list", "--store", str(store), "--json"])
    [row] = json.loads(listed.output)
    assert (row["model"], row["status"], row["ok"], row["failed"]) == ("gpt-4o-mini", "done", 5, 1)
    shown = runner.invoke(app, ["runs", "show", "latest", "--store", str(store), "--json"])
    assert shown.exit_code == 0, shown.output
    info = json.loads(shown.output)
    assert info["by_status"] == {"ok": 5, "failed": 1}
    assert info["totals"]["cost"] > 0, "gpt-4o-mini is in the built-in price table"
    missing = runner.invoke(app, ["runs", "show", "nope", "--store", str(store)])
    assert missing.exit_code == 2 and "no run matching" in missing.output


def test_batch_prepare_cli(tmp_path: Path) -> None:
    titled = "Relapse after transplantation in a fictional patient\n\n" + fictional_case(1)
    inputs = write_jsonl(tmp_path / "docs.jsonl", [{"id": "a", "text": titled}])  # a header
    out = tmp_path / "requests.jsonl"
    result = runner.invoke(
        app, ["batch", "prepare", str(inputs), "--out", str(out), "--model", "gpt-4o-mini"]
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    default = load_prompt(DEFAULT_PROMPT, ROOT / "prompts")  # one request per pass
    assert [line["custom_id"] for line in lines] == [f"a|0|{p.name}" for p in default.passes]
    assert {line["body"]["model"] for line in lines} == {"gpt-4o-mini"}
    manifest = json.loads((tmp_path / "requests.jsonl.manifest.json").read_text())
    assert manifest["prompt_version"] == DEFAULT_PROMPT


def test_extract_slots_need_llama_cpps_own_server(tmp_path: Path) -> None:
    inputs = write_jsonl(tmp_path / "docs.jsonl", [{"id": "a", "text": fictional_case(1)}])
    args = ["extract", str(inputs), "--out", str(tmp_path / "out"), "--slots", "2"]
    args += ["--engine", "llama-cpp-python"]
    result = runner.invoke(app, args, env={"ABSTRACTION_LLAMA_SERVER": ""})
    assert isinstance(result.exception, ConfigError), result.output
    assert "one slot" in str(result.exception)
    assert not (tmp_path / "out").exists()


def test_extract_passes_the_llama_server_to_the_launcher(tmp_path: Path) -> None:
    """The binary named on the command line is the one the launcher looks for."""
    inputs = write_jsonl(tmp_path / "docs.jsonl", [{"id": "a", "text": fictional_case(1)}])
    gguf = tmp_path / "m.gguf"
    gguf.write_bytes(b"GGUF")
    missing = tmp_path / "no" / "llama-server"
    args = ["extract", str(inputs), "--out", str(tmp_path / "out"), "--gguf", str(gguf)]
    result = runner.invoke(app, [*args, "--llama-server", str(missing), "--slots", "2"])
    assert isinstance(result.exception, ModelSetupError), result.output
    assert str(missing) in str(result.exception)


def test_batch_collect_uses_the_prompt_the_batch_was_prepared_with(tmp_path: Path) -> None:
    inputs = write_jsonl(tmp_path / "docs.jsonl", [{"id": "a", "text": fictional_case(1)}])
    requests = tmp_path / "requests.jsonl"
    args = ["batch", "prepare", str(inputs), "--out", str(requests), "--model", "m"]
    assert runner.invoke(app, [*args, "--prompt", "v1"]).exit_code == 0
    empty = tmp_path / "results.jsonl"  # a batch that returned nothing
    empty.write_text("")
    out = tmp_path / "out"
    args = ["batch", "collect", str(empty), "--requests", str(requests), "--out", str(out)]
    result = runner.invoke(app, [*args, "--no-reask", "--store", str(tmp_path / "runs.db")])
    assert result.exit_code == 1, result.output  # the document failed: nothing came back
    ext = Extraction.model_validate_json((out / "a.json").read_text())
    assert ext.status == "failed" and ext.provenance.prompt_version == "v1"
    wrong = runner.invoke(app, [*args, "--prompt", "v18", "--store", str(tmp_path / "r2.db")])
    assert wrong.exit_code != 0 and "prepared with prompt v1" in str(wrong.output)


def test_extract_takes_a_timeout_for_a_server_that_never_answers(
    tmp_path: Path, fault_server_factory
) -> None:
    """A server that accepts and does not answer cost the client's 600 s per attempt, and the
    CLI had no way to say less (the endpoint audit, eleventh session)."""
    import time

    server = fault_server_factory("--hang", "30")
    (tmp_path / "d0.txt").write_text("FAULT-ALWAYS-timeout " + fictional_case(0))
    args = ["extract", str(tmp_path / "d0.txt"), "--out", str(tmp_path / "out"),
            "--prompt", "v1", "--model", "m", "--base-url", server.base_url,
            "--api-key", "t", "--retries", "0"]  # fmt: skip
    t0 = time.monotonic()
    result = runner.invoke(app, [*args, "--timeout", "0.5"])
    assert time.monotonic() - t0 < 20, "one 0.5 s attempt per request, not 30 s"
    assert result.exit_code == 1 and "timeout" in result.output, result.output
    refused = runner.invoke(app, [*args, "--timeout", "0"])  # `run` prints it, exit 2
    assert isinstance(refused.exception, UserError)
    assert "--timeout must be more than 0" in str(refused.exception)


def test_an_error_the_system_gives_on_a_file_is_a_message_not_a_traceback(
    monkeypatch, capsys
) -> None:
    """Twelfth session's audit: `export --out` an existing file, promote into a folder that
    cannot be written and `score --json` under a file printed Python tracebacks."""
    import errno
    import os

    from abstraction.cli import main

    def refused() -> None:
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), "/data/gold")

    monkeypatch.setattr(main, "app", refused)
    monkeypatch.delenv("ABSTRACTION_DEBUG", raising=False)
    with pytest.raises(SystemExit) as stop:
        main.run()
    assert stop.value.code == 2
    said = " ".join(capsys.readouterr().err.split())
    assert "error: /data/gold: Permission denied" in said and "Traceback" not in said


def test_the_grounding_table_shows_this_run_s_outcome_not_an_old_file(tmp_path: Path) -> None:
    """Twelfth session's audit: after a write failure the table read the old output back and
    showed it as this run's "ok", with its facts and tokens, under a summary of 1 failed."""
    from rich.console import Console

    from abstraction.cli.extract import _grounding_table
    from abstraction.jobs.outcomes import DocumentOutcome

    (tmp_path / "a.json").write_text("an old output, not this run's")
    failed = DocumentOutcome("a", "a.txt", "failed", error_kind="write", prompt_tokens=7)
    table = _grounding_table(tmp_path, [failed])
    assert table is not None
    console = Console(width=200, record=True)
    console.print(table)
    row = next(line for line in console.export_text().splitlines() if line.startswith("│ a "))
    assert "failed (write)" in row and "7/0" in row and " ok " not in row


def test_an_interrupted_run_s_summary_adds_up(tmp_path: Path, capsys) -> None:
    """Twelfth session's audit: after Ctrl-C the summary said documents 6, ok 1, and no
    other column held the five documents never started."""
    from abstraction.cli.jobs import print_summary
    from abstraction.jobs.outcomes import DocumentOutcome, JobSummary

    summary = JobSummary("run-1", tmp_path / "runs.db", tmp_path, total=6)
    summary.outcomes.append(DocumentOutcome("a", "a.txt", "ok"))
    summary.stopped = "interrupted"
    print_summary(summary)
    said = " ".join(capsys.readouterr().out.split())
    assert "not started │ 5" in said and "interrupted" in said
