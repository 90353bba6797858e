"""Shared helpers for the job tests: a fault server in a subprocess, small document sets."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]


class RunningServer:
    def __init__(self, proc: subprocess.Popen[str], port: int) -> None:
        self.proc, self.port = proc, port
        self.base_url = f"http://127.0.0.1:{port}/v1"

    def stats(self) -> dict[str, int]:
        return httpx.get(f"{self.base_url}/stats", timeout=5).json()

    def settled_stats(self, deadline: float = 15.0) -> dict[str, int]:
        """The counts once no client connection is open, so that every request a finished job
        sent has been read and counted.  A job's last attempt may time out on its side before
        the server (busy, on a loaded machine) has read it: the request is in flight, not lost,
        and `stats()` taken at once would miss it.  Call after the job's client is closed."""
        end = time.monotonic() + deadline
        while True:
            stats = self.stats()
            if stats["open_connections"] == 0 or time.monotonic() > end:
                return stats
            time.sleep(0.05)


def start_server(*args: str) -> RunningServer:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.jobs.fault_server", "--max-seconds", "120", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith("PORT "):
        proc.kill()
        raise RuntimeError(f"fault server did not start: {line!r}")
    return RunningServer(proc, int(line.split()[1]))


@pytest.fixture
def fault_server_factory() -> Iterator:
    started: list[RunningServer] = []

    def factory(*args: str) -> RunningServer:
        server = start_server(*args)
        started.append(server)
        return server

    yield factory
    for server in started:
        server.proc.terminate()
        try:
            server.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            server.proc.kill()


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


SENTENCES = [
    "A {age}-year-old woman presented with fever and night sweats for two weeks.",
    "Bone marrow aspiration showed 80% lymphoblasts positive for CD19 and CD10.",
    "She received induction chemotherapy with vincristine and prednisone.",
    "Complete remission was achieved after the first cycle.",
    "At the {age}th month of follow-up she remained well.",
]


def fictional_case(i: int) -> str:
    """A short fictional case report, different for each i."""
    age = 20 + i % 60
    return (
        f"Case {i}\n\n" + " ".join(s.format(age=age) for s in SENTENCES) + f" Patient number {i}."
    )


def wait_for(predicate, timeout: float = 20.0, step: float = 0.05) -> bool:  # type: ignore[no-untyped-def]
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(step)
    return False
