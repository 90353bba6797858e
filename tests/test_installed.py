"""A non-editable install works away from the source checkout: the wheel carries the prompts
and the smoke and core suites (with their documents, gold, baselines and recordings).

The wheel is built once (pip, with build isolation) and installed with ``--no-deps`` into a
fresh virtual environment that borrows this environment's dependencies; every command runs
from an empty folder.  The replayed smoke figures must equal the checkout's.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from collections.abc import Iterator
from pathlib import Path

import pytest

from abstraction.core.prompts import DEFAULT_PROMPT
from tests.jobs.conftest import RunningServer, start_server

ROOT = Path(__file__).resolve().parents[1]
SMOKE = ["eval", "smoke", "--replay", "--engine", "llama-cpp-python", "-p", "v1", "-p", "v18"]

pytestmark = pytest.mark.slow


def _run(args: list[str], *, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        args, cwd=cwd, capture_output=True, text=True, timeout=600, env=env or _clean_env()
    )
    assert done.returncode == 0, f"{args}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _clean_env(**extra: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("ABSTRACTION_", "OPENAI_"))}
    keep.pop("PYTHONPATH", None)
    return {**keep, "COLUMNS": "150", **extra}


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The `bin` folder of a fresh venv with the wheel installed."""
    tmp = tmp_path_factory.mktemp("installed")
    wheels = tmp / "wheels"
    _run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w", str(wheels)],
        cwd=tmp,
    )
    venv = tmp / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], cwd=tmp)
    bin_dir = venv / "bin"
    [wheel] = wheels.glob("abstraction-*.whl")
    _run([str(bin_dir / "python"), "-m", "pip", "install", "-q", "--no-deps", str(wheel)], cwd=tmp)
    site = Path(
        _run(
            [
                str(bin_dir / "python"),
                "-c",
                "import sysconfig; print(sysconfig.get_path('purelib'))",
            ],
            cwd=tmp,
        ).strip()
    )
    # the dependencies come from this environment (appended to sys.path: the wheel wins)
    (site / "borrowed-deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    yield bin_dir


def test_the_installed_package_is_not_the_checkout(installed: Path, tmp_path: Path) -> None:
    where = _run(
        [str(installed / "python"), "-c", "import abstraction.api as a; print(a.__file__)"],
        cwd=tmp_path,
    )
    assert not Path(where.strip()).is_relative_to(ROOT)


def test_installed_eval_replays_the_shipped_smoke_suite_as_the_checkout_does(
    installed: Path, tmp_path: Path
) -> None:
    shipped = _run([str(installed / "abstraction"), *SMOKE], cwd=tmp_path)
    checkout = _run(
        [sys.executable, "-c", "from abstraction.cli.main import run; run()", *SMOKE],
        cwd=ROOT,
        env=_clean_env(PYTHONPATH=str(ROOT)),
    )
    assert "micro F1" in shipped
    table = [line for line in shipped.splitlines() if line.startswith("│ v")]
    assert len(table) == 2
    assert table == [line for line in checkout.splitlines() if line.startswith("│ v")]


@pytest.fixture
def stand_in() -> Iterator[RunningServer]:
    server = start_server()
    yield server
    server.proc.terminate()
    server.proc.wait(timeout=5)


def test_installed_extract_uses_the_shipped_default_prompt(
    installed: Path, tmp_path: Path, stand_in: RunningServer
) -> None:
    doc = tmp_path / "case.txt"
    doc.write_text((ROOT / "seeds" / "case05_takotsubo_echo.txt").read_text("utf-8"), "utf-8")
    env = _clean_env(
        OPENAI_BASE_URL=stand_in.base_url, OPENAI_API_KEY="t", ABSTRACTION_MODEL="fault-model"
    )
    out = _run(
        [str(installed / "abstraction"), "extract", "case.txt", "--out", "out"],
        cwd=tmp_path,
        env=env,
    )
    assert f"prompt {DEFAULT_PROMPT}@" in out
    assert (tmp_path / "out" / "case.json").is_file()
    api = _run(
        [
            str(installed / "python"),
            "-c",
            "import abstraction; e = abstraction.extract('case.txt'); "
            "print(e.status, e.provenance.prompt_version)",
        ],
        cwd=tmp_path,
        env=env,
    )
    assert api.split() == ["ok", DEFAULT_PROMPT]
