"""What a user of `abstraction extract` sees when the embedded engine dies mid-job: the signal,
what it means, the log's path and last lines; never "connection error".  Runs the real
engine (marked `model`; skipped unless `pip install -e '.[local]'`)."""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.jobs.test_kill import _children

REPO = Path(__file__).resolve().parents[2]
SEED = REPO / "seeds" / "case05_takotsubo_echo.txt"


def _model_ready() -> None:
    if importlib.util.find_spec("xllamacpp") is None:
        pytest.skip("the engine xllamacpp is not installed (pip install -e '.[local]')")
    from abstraction.client.weights import ensure_model
    from abstraction.core.errors import ModelSetupError

    try:
        ensure_model()
    except ModelSetupError as exc:
        pytest.skip(str(exc))


def _server_port(pid: int) -> int | None:
    """The port in the xllamacpp child's settings argument (its command line)."""
    args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    for arg in args:
        if arg.startswith(b"{"):
            return int(json.loads(arg)["port"])
    return None


@pytest.mark.model
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("sig", [signal.SIGILL, signal.SIGKILL], ids=["SIGILL", "SIGKILL"])
def test_extract_reports_a_killed_engine_with_its_cause_and_log(
    tmp_path: Path, sig: signal.Signals
) -> None:
    _model_ready()
    job = subprocess.Popen(
        [sys.executable, "-m", "abstraction", "extract", str(SEED),
         "--out", str(tmp_path / "out"), "--no-cache"],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "ABSTRACTION_DEBUG": "", "COLUMNS": "200"},
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        server = port = None
        while time.monotonic() < deadline and job.poll() is None:
            kids = _children(job.pid)
            if kids:
                server = next(iter(kids))
                port = _server_port(server)
                if port is not None:
                    try:
                        if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).is_success:
                            break
                    except httpx.HTTPError:
                        pass
            time.sleep(0.2)
        assert server is not None and job.poll() is None, job.stderr and job.stderr.read()
        time.sleep(1.0)  # the first request is on its way
        os.kill(server, sig)
        out, err = job.communicate(timeout=120)
    finally:
        if job.poll() is None:
            job.kill()
    said = " ".join((out + err).split())
    assert job.returncode == 2, said
    assert sig.name in said
    if sig == signal.SIGILL:
        assert "CPU instructions this machine does not support" in said
    assert "Its log:" in said and ".log" in said
    assert "connection error" not in said.lower()
