"""Process helpers for the server-lifecycle tests: a parent process that starts a server and
prints its pid, and checks that a pid is gone."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def start_parent(script: str, *args: Path) -> tuple[subprocess.Popen[str], int]:
    """Run `script` (which starts a server and prints its pid) in a child Python; return the
    child and the server's pid."""
    parent = subprocess.Popen(
        [sys.executable, "-c", script, *map(str, args)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert parent.stdout is not None
    line = parent.stdout.readline()
    if not line:
        parent.kill()
        pytest.fail("the parent process did not start a server")
    return parent, int(line)


def gone(pid: int) -> bool:
    """Exited (a zombie waiting for init to reap it counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return True
    return state in {"Z", "X"}


def wait_gone(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not gone(pid):
        time.sleep(0.05)
    return gone(pid)
