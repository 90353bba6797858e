"""Measure the embedded model's setup and serving costs; prints every figure it measures.

    python -m scripts.bench_local_model join            # ensure_model: first join, then cached
    python -m scripts.bench_local_model start -n 5      # server spawn-to-ready, default options
    python -m scripts.bench_local_model options         # start time + prompt latency per option set

`join` joins into a fresh temporary cache dir (the page cache may already hold the parts; pass
--drop-caches as root to measure a cold read).  `options` sends the seed case report (~900
tokens) twice with different final questions, so the second call shows the prefix reuse.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import httpx

from abstraction.client.local import LocalServer, ServerOptions, ensure_model

SEED = Path(__file__).resolve().parents[1] / "seeds" / "000_8682481a1554b25b.txt"


def _drop_caches() -> None:
    subprocess.run(["sync"], check=True)
    Path("/proc/sys/vm/drop_caches").write_text("3\n")


def bench_join(drop_caches: bool) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-join-") as tmp:
        if drop_caches:
            _drop_caches()
        t = time.perf_counter()
        ensure_model(cache_dir=Path(tmp))
        first = time.perf_counter() - t
        t = time.perf_counter()
        ensure_model(cache_dir=Path(tmp))
        cached = time.perf_counter() - t
    print(f"ensure_model first run (join + sha256 + fsync): {first:.2f} s")
    print(f"ensure_model cached run: {cached * 1000:.2f} ms")


def _rss_mb(pid: int) -> tuple[float, float]:
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    return (int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024)


def bench_start(n: int, options: ServerOptions) -> list[float]:
    times = []
    for _ in range(n):
        with LocalServer(options=options) as server:
            assert server.startup_seconds is not None
            times.append(server.startup_seconds)
    return times


def _ask(http: httpx.Client, base_url: str, question: str) -> tuple[float, dict[str, int]]:
    messages = [
        {"role": "system", "content": "You read clinical case reports and answer briefly."},
        {"role": "user", "content": SEED.read_text(encoding="utf-8") + "\n\n" + question},
    ]
    t = time.perf_counter()
    r = http.post(
        f"{base_url}/chat/completions",
        json={"messages": messages, "max_tokens": 16, "temperature": 0},
    )
    r.raise_for_status()
    return time.perf_counter() - t, r.json()["usage"]


def bench_latency(options: ServerOptions, label: str) -> None:
    with (
        LocalServer(options=options) as server,
        httpx.Client(trust_env=False, timeout=600) as http,
    ):
        first, usage = _ask(http, server.base_url, "What was the patient's diagnosis?")
        second, _ = _ask(http, server.base_url, "Which treatments were given?")
        assert server.pid is not None and server.log_path is not None
        rss, hwm = _rss_mb(server.pid)
        log = server.log_path.read_text(errors="replace")
        startup = server.startup_seconds or 0.0
    evals = re.findall(r"prompt eval time =\s+([\d.]+) ms /\s+(\d+) tokens", log)
    hits = re.findall(r"(\d+) prefix-match hit", log)
    print(
        f"{label:<28} start {startup:5.2f} s | call1 {first:6.2f} s "
        f"({usage['prompt_tokens']} prompt tok) | call2 {second:6.2f} s | "
        f"prompt eval {[f'{float(ms):.0f}ms/{tok}tok' for ms, tok in evals]} | "
        f"prefix reused {hits} | RSS {rss:.0f} MB (peak {hwm:.0f})"
    )


def bench_options() -> None:
    base = ServerOptions()
    variants = {
        "default": base,
        "flash_attn": replace(base, flash_attn=True),
        "n_threads=1": replace(base, n_threads=1),
        "n_batch=n_ubatch=256": replace(base, n_batch=256, n_ubatch=256),
        "n_batch=n_ubatch=1024": replace(base, n_batch=1024, n_ubatch=1024),
        "use_mmap=False": replace(base, use_mmap=False),
        "use_mlock=True": replace(base, use_mlock=True),
        "n_ctx=32768": replace(base, n_ctx=32768),
    }
    for label, options in variants.items():
        bench_latency(options, label)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="what", required=True)
    join = sub.add_parser("join")
    join.add_argument("--drop-caches", action="store_true")
    start = sub.add_parser("start")
    start.add_argument("-n", type=int, default=5)
    sub.add_parser("options")
    args = parser.parse_args()
    print(f"usable CPUs: {len(os.sched_getaffinity(0))}, load average: {os.getloadavg()}")
    if args.what == "join":
        bench_join(args.drop_caches)
    elif args.what == "start":
        ensure_model()
        times = bench_start(args.n, ServerOptions())
        print(
            f"server spawn-to-ready over {len(times)} starts: median "
            f"{statistics.median(times):.2f} s, min {min(times):.2f} s, max {max(times):.2f} s"
        )
    else:
        ensure_model()
        bench_options()


if __name__ == "__main__":
    main()
