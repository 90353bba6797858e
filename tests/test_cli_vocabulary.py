"""One vocabulary for the commands that call a model: the same model options on each, and
``--record``/``--replay`` (switches) with ``--recordings DIR`` meaning the same everywhere."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from abstraction.cli.main import app
from abstraction.core.errors import UserError
from tests.jobs.conftest import start_server

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "seeds" / "case05_takotsubo_echo.txt"
SHARED = [
    "--model",
    "--base-url",
    "--api-key",
    "--structured",
    "--gguf",
    "--llama-server",
    "--engine",
    "--record",
    "--replay",
    "--recordings",
]
runner = CliRunner()


@pytest.mark.parametrize("command", [["extract"], ["eval"], ["batch", "collect"]])
def test_every_command_that_calls_a_model_has_the_shared_options(command: list[str]) -> None:
    shown = runner.invoke(app, [*command, "--help"], env={"COLUMNS": "200"})
    assert shown.exit_code == 0, shown.output
    missing = [o for o in SHARED if o not in shown.output]
    assert not missing, f"{' '.join(command)} lacks {missing}"


def test_replay_needs_a_recordings_folder_outside_eval(tmp_path: Path) -> None:
    result = runner.invoke(app, ["extract", str(DOC), "--out", str(tmp_path), "--replay"])
    assert isinstance(result.exception, UserError)
    assert "--recordings" in str(result.exception)


def test_what_extract_records_eval_replays(tmp_path: Path) -> None:
    """The same folder, the same switches, the same requests: eval replays, offline, what
    extract recorded from a (stand-in) model."""
    recordings = tmp_path / "recordings"
    server = start_server()
    model = ["--model", "fault-model", "--base-url", server.base_url, "--api-key", "t"]
    try:
        live = runner.invoke(
            app,
            [
                "extract",
                str(DOC),
                "--out",
                str(tmp_path / "live"),
                "--prompt",
                "v1",
                *model,
                "--record",
                "--recordings",
                str(recordings),
            ],
        )
    finally:
        server.proc.terminate()
        server.proc.wait(timeout=5)
    assert live.exit_code == 0, live.output
    assert any(recordings.rglob("*.json"))

    replayed = runner.invoke(
        app,
        [
            "extract",
            str(DOC),
            "--out",
            str(tmp_path / "again"),
            "--prompt",
            "v1",
            *model,
            "--replay",
            "--recordings",
            str(recordings),
        ],
    )
    assert replayed.exit_code == 0, replayed.output
    first = json.loads((tmp_path / "live" / f"{DOC.stem}.json").read_text())
    again = json.loads((tmp_path / "again" / f"{DOC.stem}.json").read_text())
    assert first["record"] == again["record"]

    suite = tmp_path / "one.toml"
    suite.write_text(
        f'documents = ["{DOC.as_posix()}"]\ngold = "{(ROOT / "gold").as_posix()}"\n', "utf-8"
    )
    evaluated = runner.invoke(
        app,
        [
            "eval",
            str(suite),
            "--prompt",
            "v1",
            *model,
            "--replay",
            "--recordings",
            str(recordings),
            "--report",
            str(tmp_path / "report"),
        ],
    )
    assert evaluated.exit_code == 0, evaluated.output
    scored = json.loads(
        (tmp_path / "report" / "extractions" / "v1" / f"{DOC.stem}.json").read_text()
    )
    assert scored["status"] == "ok", "every request eval sent was one extract recorded"
    assert scored["record"] == first["record"]
