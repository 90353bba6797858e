"""`abstraction doctor`: every check is shown, and any failed check makes it exit 1."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from typer.testing import CliRunner

from abstraction.cli.main import app
from abstraction.client import doctor
from abstraction.client.engine import EngineInfo

runner = CliRunner()


def test_doctor_lists_each_check_and_fails_when_the_engine_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        doctor, "engine_info", lambda engine, **_: EngineInfo(engine, False, None, ())
    )
    gguf = tmp_path / "m.gguf"
    gguf.write_bytes(b"GGUF-not-really")
    result = runner.invoke(app, ["doctor", "--gguf", str(gguf)], env={"COLUMNS": "200"})
    assert result.exit_code == 1, result.output
    text = " ".join(result.output.split())
    assert "cpu:" in text and "flags" in text
    assert "FAIL engine: xllamacpp is not installed" in text
    assert "pip install 'abstraction[local]'" in text
    assert "FAIL portability" in text
    assert f"model: {gguf}" in text and "sha256" in text
    assert "smoke call: not run" in text


def test_a_model_file_with_the_wrong_hash_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wrong = tmp_path / "model.gguf"
    wrong.write_bytes(b"not the model")
    monkeypatch.setattr(doctor, "ensure_model", lambda: wrong)
    check = doctor.check_model()
    assert not check.ok and "expected cc324af0" in check.detail


@pytest.mark.model
@pytest.mark.skipif(importlib.util.find_spec("xllamacpp") is None, reason="needs [local]")
def test_doctor_passes_with_the_installed_engine_and_model() -> None:
    result = runner.invoke(app, ["doctor"], env={"COLUMNS": "200"})
    text = " ".join(result.output.split())
    if "model:" in text and "FAIL model" in text:
        pytest.skip("the model parts are not installed")
    assert result.exit_code == 0, result.output
    assert "runs on any x86-64 CPU with AVX2" in text or "aarch64" in text
    assert "one token in" in text and "no problems found" in text
