"""Measure the embedded model's setup and serving costs; prints every figure it measures.

    python bench/local_model.py join            # ensure_model: first join, then cached
    python bench/local_model.py start -n 5      # server spawn-to-ready, default options
    python bench/local_model.py options         # start time + prompt latency per option set
    python bench/local_model.py breakdown       # imports vs model load, in a child
    python bench/local_model.py speed           # prompt/generation tok/s per option set

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
import sys
import tempfile
import time
from pathlib import Path

import httpx

# Run as a file (python bench/X.py): the repository's package, not an installed one.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from abstraction.client.local import LocalServer, ServerOptions
from abstraction.client.weights import ensure_model

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


def bench_variant(options: ServerOptions, label: str, *, calls: bool) -> None:
    """Start a server with `options`; with `calls`, time two prompts sharing a long prefix."""
    with (
        LocalServer(options=options) as server,
        httpx.Client(trust_env=False, timeout=600) as http,
    ):
        assert server.pid is not None and server.log_path is not None
        figures = f"{label:<24} start {server.startup_seconds or 0.0:5.2f} s"
        if calls:
            first, usage = _ask(http, server.base_url, "What was the patient's diagnosis?")
            second, _ = _ask(http, server.base_url, "Which treatments were given?")
            log = server.log_path.read_text(errors="replace")
            evals = re.findall(r"prompt eval time =\s+([\d.]+) ms /\s+(\d+) tokens", log)
            hits = re.findall(r"(\d+) prefix-match hit", log)
            figures += (
                f" | call1 {first:6.2f} s ({usage['prompt_tokens']} prompt tokens, "
                f"{usage['completion_tokens']} out) | call2 {second:6.2f} s | prompt eval "
                f"{', '.join(f'{float(ms) / 1000:.1f} s/{tok} tok' for ms, tok in evals)}"
                f" | prefix reused {', '.join(hits) or 'none'}"
            )
        rss, hwm = _rss_mb(server.pid)
    print(f"{figures} | RSS {rss:.0f} MB (peak {hwm:.0f})", flush=True)


# label -> (options, time prompts too?).  Options that only change loading are started only.
VARIANTS: dict[str, tuple[ServerOptions, bool]] = {
    "default": (ServerOptions(), True),
    "flash_attn": (ServerOptions(flash_attn=True), True),
    "n_threads=1": (ServerOptions(n_threads=1), True),
    "n_batch=n_ubatch=256": (ServerOptions(n_batch=256, n_ubatch=256), True),
    "n_batch=n_ubatch=1024": (ServerOptions(n_batch=1024, n_ubatch=1024), True),
    "use_mmap=False": (ServerOptions(use_mmap=False), False),
    "use_mlock=True": (ServerOptions(use_mlock=True), False),
    "n_ctx=4096": (ServerOptions(n_ctx=4096), False),
    "n_ctx=16384": (ServerOptions(n_ctx=16384), False),
    "n_ctx=32768": (ServerOptions(n_ctx=32768), False),
}


def bench_prompt_speed(labels: list[str], *, chars: int, reps: int) -> None:
    """Prompt-processing speed: `reps` prompts per server, each made unique by its first line
    so the prefix cache cannot serve it; reports llama.cpp's own prompt-eval timings."""
    text = SEED.read_text(encoding="utf-8")[:chars]
    for label in labels:
        options, _ = VARIANTS[label]
        with (
            LocalServer(options=options) as server,
            httpx.Client(trust_env=False, timeout=600) as http,
        ):
            for rep in range(reps):
                messages = [{"role": "user", "content": f"Run {rep}: {label}.\n{text}\nSummarise."}]
                body = {"messages": messages, "max_tokens": 8, "temperature": 0}
                http.post(f"{server.base_url}/chat/completions", json=body).raise_for_status()
            assert server.log_path is not None
            log = server.log_path.read_text(errors="replace")
        evals = re.findall(r"prompt eval time =\s+([\d.]+) ms /\s+(\d+) tokens", log)
        gens = re.findall(r"\beval time =\s+([\d.]+) ms /\s+(\d+) runs", log)
        pp = [int(tok) / (float(ms) / 1000) for ms, tok in evals]
        tg = [int(n) / (float(ms) / 1000) for ms, n in gens if int(n) > 0]
        print(
            f"{label:<24} prompt {evals[0][1]} tok: {statistics.median(pp):5.1f} tok/s "
            f"(runs {', '.join(f'{x:.1f}' for x in pp)}) | generation "
            f"{statistics.median(tg):4.1f} tok/s | load avg {os.getloadavg()[0]:.1f}",
            flush=True,
        )


_BREAKDOWN = """
import sys, time
t0 = time.perf_counter()
import llama_cpp.server.app
t1 = time.perf_counter()
llama = llama_cpp.Llama(model_path=sys.argv[1], n_ctx=8192, n_threads=2, n_threads_batch=2,
                        use_mlock=False, logits_all=False, verbose=False)
t2 = time.perf_counter()
print(f"{t1 - t0:.2f} {t2 - t1:.2f}")
"""


def bench_breakdown(n: int) -> None:
    """Where start-up time goes: interpreter + server imports, then llama.cpp model load."""
    model = ensure_model()
    for _ in range(n):
        t = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-c", _BREAKDOWN, str(model)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        total = time.perf_counter() - t
        print(
            f"python + imports {float(out[0]):.2f} s | model load (n_ctx 8192) "
            f"{float(out[1]):.2f} s | whole child {total:.2f} s",
            flush=True,
        )


def bench_options(only: list[str]) -> None:
    for label, (options, calls) in VARIANTS.items():
        if not only or label in only:
            bench_variant(options, label, calls=calls)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="what", required=True)
    join = sub.add_parser("join")
    join.add_argument("--drop-caches", action="store_true")
    start = sub.add_parser("start")
    start.add_argument("-n", type=int, default=5)
    breakdown = sub.add_parser("breakdown")
    breakdown.add_argument("-n", type=int, default=3)
    speed = sub.add_parser("speed")
    speed.add_argument("labels", nargs="*", default=["default", "n_threads=1", "flash_attn"])
    speed.add_argument("--chars", type=int, default=1200)
    speed.add_argument("--reps", type=int, default=3)
    opts = sub.add_parser("options")
    opts.add_argument("only", nargs="*", help=f"variants to run, of: {', '.join(VARIANTS)}")
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
    elif args.what == "breakdown":
        bench_breakdown(args.n)
    elif args.what == "speed":
        ensure_model()
        bench_prompt_speed(args.labels, chars=args.chars, reps=args.reps)
    else:
        ensure_model()
        bench_options(args.only)


if __name__ == "__main__":
    main()
