"""Documents per minute of the embedded model with 1 and 2 llama-server slots (not a test).

    python bench/slots.py                 # 4 shortest seeds/case*.txt, configs a b c
    python bench/slots.py -k 6 --configs a b
    python bench/slots.py --llama-server ~/.cache/abstraction/bin/llama-server

Configs, each a real extraction job (`abstraction.jobs.run_job`, the default prompt, no cache)
over the same K documents, each with its own freshly started server:
  a  llama-server --parallel 1, job concurrency 1
  b  llama-server --parallel 2, job concurrency 2
  c  llama-cpp-python's llama_cpp.server (the default; one slot), job concurrency 1

For each it prints: documents per minute over the job's wall time (server start excluded, and
shown apart), completion tokens generated per second over the same wall time, per-document
latency, the load average before and after, and any other model server seen running meanwhile
(the figures are only clean when there was none).  Each config holds the model lock
(``flock`` on /tmp/model.lock, as ``flock /tmp/model.lock CMD`` does), so it waits for, and
never overlaps, other model runs that take the lock; ``--lock ''`` runs without it.
The llama-server binary: --llama-server, else $ABSTRACTION_LLAMA_SERVER, else where
scripts/build_llama_server.sh installs it.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

# Run as a file (python bench/X.py): the repository's package, not an installed one.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from abstraction.cli.jobs import job_options
from abstraction.client import ModelConfig
from abstraction.client.local import installed_llama_server, usable_cpus
from abstraction.client.weights import ensure_model
from abstraction.core.prompts import DEFAULT_PROMPT, default_prompts_dir, load_prompt
from abstraction.jobs import ProgressUpdate, run_job

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Config:
    label: str
    slots: int
    concurrency: int
    llama_server: bool


CONFIGS = {
    "a": Config("llama-server --parallel 1, concurrency 1", 1, 1, True),
    "b": Config("llama-server --parallel 2, concurrency 2", 2, 2, True),
    "c": Config("llama_cpp.server (default), concurrency 1", 1, 1, False),
}


def shortest_cases(k: int) -> list[Path]:
    """The K shortest fictional case reports: short enough to run three configs in minutes."""
    cases = sorted(ROOT.glob("seeds/case*.txt"), key=lambda p: (p.stat().st_size, p.name))
    if len(cases) < k:
        sys.exit(f"only {len(cases)} seeds/case*.txt files, asked for {k}")
    return cases[:k]


@contextlib.contextmanager
def model_lock(path: str) -> Iterator[float]:
    """Hold flock(2) on `path` (what flock(1) takes); yields the seconds spent waiting."""
    if not path:
        yield 0.0
        return
    t = time.monotonic()
    with open(path, "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield time.monotonic() - t
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


class OtherServers:
    """Samples /proc every second for model servers that are not ours (our server is our
    child).  The lock only keeps out those who take it; this says when someone did not."""

    def __init__(self) -> None:
        self.seen: dict[int, int] = {}  # pid -> seconds seen
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> OtherServers:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        me = os.getpid()
        while not self._stop.wait(1.0):
            for proc in Path("/proc").iterdir():
                if not proc.name.isdigit():
                    continue
                try:
                    cmd = (proc / "cmdline").read_bytes()
                    ppid = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
                except (OSError, ValueError, IndexError):
                    continue
                if (b"llama-server" in cmd or b"llama_cpp.server" in cmd) and ppid != me:
                    pid = int(proc.name)
                    self.seen[pid] = self.seen.get(pid, 0) + 1

    def report(self) -> str:
        if not self.seen:
            return "none"
        return ", ".join(f"pid {p} for ~{s} s" for p, s in sorted(self.seen.items()))


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _progress(t0: float) -> Callable[[ProgressUpdate], None]:
    def report(u: ProgressUpdate) -> None:
        print(
            f"    {time.monotonic() - t0:7.1f} s  {u.done}/{u.total} {u.last_id}: {u.last_status}",
            file=sys.stderr,
            flush=True,
        )

    return report


def run_config(
    key: str, *, docs: list[Path], binary: Path | None, lock: str, structured: str
) -> None:
    cfg = CONFIGS[key]
    if cfg.llama_server and binary is None:
        print(f"[{key}] {cfg.label}: skipped, no llama-server binary", flush=True)
        return
    model_config = ModelConfig(
        llama_server=binary if cfg.llama_server else None,
        slots=cfg.slots,
        structured=structured,  # type: ignore[arg-type]
    )
    prompt = load_prompt(DEFAULT_PROMPT, default_prompts_dir())
    with (
        model_lock(lock) as waited,
        tempfile.TemporaryDirectory(prefix="bench-slots-") as tmp,
        OtherServers() as others,
    ):
        before = _load()
        t0 = time.monotonic()
        summary = run_job(
            [str(d) for d in docs],
            out_dir=Path(tmp) / "out",
            prompt=prompt,
            model_config=model_config,
            concurrency=cfg.concurrency,
            store_path=Path(tmp) / "runs.db",
            progress=_progress(t0),
            # What `abstraction extract --no-cache` runs with (part budget from the context).
            options=job_options(
                model_config=model_config,
                prompt=prompt,
                cache_dir=Path(tmp) / "cache",
                use_cache=False,
            ),
        )
        total = time.monotonic() - t0
        after = _load()
    wall = summary.seconds
    lat = [o.seconds for o in summary.outcomes]
    n = len(summary.outcomes)
    print(
        f"[{key}] {cfg.label}, structured output {model_config.resolved_structured()}\n"
        f"    documents {n} (ok {summary.count('ok')}, failed {summary.count('failed')}), "
        f"model calls {summary.calls}, tokens in/out "
        f"{summary.prompt_tokens}/{summary.completion_tokens}\n"
        f"    job wall {wall:.1f} s (+ server start and model load {total - wall:.1f} s; "
        f"waited {waited:.0f} s for the lock)\n"
        f"    documents per minute {n / wall * 60:.2f} | generated tokens per second "
        f"{summary.completion_tokens / wall:.2f}\n"
        f"    per-document latency s: mean {statistics.mean(lat):.1f}, "
        f"min {min(lat):.1f}, max {max(lat):.1f} "
        f"({', '.join(f'{o.id} {o.seconds:.1f}' for o in summary.outcomes)})\n"
        f"    load average before {before}, after {after}\n"
        f"    other model servers running meanwhile (they share the CPUs): {others.report()}",
        flush=True,
    )
    for o in summary.failures:
        print(f"    failed {o.id}: {o.error_kind}: {(o.error or '')[:200]}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-k", type=int, default=4, help="documents (shortest seeds/case*.txt)")
    parser.add_argument("--configs", nargs="+", choices=sorted(CONFIGS), default=["a", "b", "c"])
    parser.add_argument("--llama-server", type=Path, default=None)
    parser.add_argument("--lock", default="/tmp/model.lock", help="'' to run without the lock")
    parser.add_argument(
        "--structured",
        default="auto",
        choices=["auto", "json_object_schema", "gbnf"],
        help="auto: json_object_schema on llama_cpp.server, gbnf on llama-server",
    )
    args = parser.parse_args()
    env = os.environ.get("ABSTRACTION_LLAMA_SERVER")
    binary = args.llama_server or (Path(env).expanduser() if env else installed_llama_server())
    binary = binary if binary.is_file() else None
    docs = shortest_cases(args.k)
    ensure_model()
    print(
        f"usable CPUs {usable_cpus()}, load average {_load()}, prompt {DEFAULT_PROMPT}, "
        f"llama-server {binary}\n"
        f"documents: {', '.join(f'{d.name} ({d.stat().st_size} B)' for d in docs)}",
        flush=True,
    )
    for key in args.configs:
        run_config(key, docs=docs, binary=binary, lock=args.lock, structured=args.structured)


if __name__ == "__main__":
    main()
