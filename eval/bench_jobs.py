"""Benchmark the job runner against the loopback fault server (a script, not a test).

    python eval/bench_jobs.py                 # 1,000 documents, concurrency 32, 200 ms latency
    python eval/bench_jobs.py --docs 200 --modes lean

Prints, for each client mode:
- throughput as a share of the ideal (concurrency / latency: 32 / 0.2 s = 160 docs/s);
- peak memory (max RSS of the process that ran the job, from getrusage);
- the wall time of a fully cached re-run of the same documents (zero model calls).

Modes, each in a fresh process:
- ``sleep``: the extractor only waits `--latency` and returns a fixed record: the runner alone
  (inputs, cache, atomic writes, run store, progress), no HTTP;
- ``lean``: the tests' stand-in extractor through the runner's `JobTransport`: one HTTP call to
  the server, pydantic validation, grounding;
- ``real``: the toolkit's model client (openai SDK + instructor, re-asks) as ``abstraction
  extract`` runs it.
The server answers every request after exactly `--latency` seconds, with no faults.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _child(
    mode: str, base_url: str, docs: int, concurrency: int, latency: float, work: Path
) -> dict:
    from abstraction.jobs.prices import Price, PriceTable
    from abstraction.jobs.runner import JobOptions, arun_documents, arun_job
    from abstraction.jobs.store import RunStore
    from abstraction.jobs.transport import JobTransport
    from tests.jobs.conftest import fictional_case, write_jsonl

    inputs = write_jsonl(
        work / "docs.jsonl", [{"id": f"doc{i:05d}", "text": fictional_case(i)} for i in range(docs)]
    )
    out = work / "out"
    options = JobOptions(prices=PriceTable({"fault-model": Price(0.15, 0.6)}, source="bench"))

    async def once() -> tuple[float, int, int]:
        t0 = time.perf_counter()
        if mode == "real":
            from abstraction.client.config import ModelConfig
            from abstraction.core.prompts import load_prompt

            summary = await arun_job(
                [inputs],
                out_dir=out,
                prompt=load_prompt("v1", ROOT / "prompts"),
                model_config=ModelConfig(
                    model="fault-model", base_url=base_url, api_key="bench", timeout=30
                ),
                concurrency=concurrency,
                store_path=work / "runs.db",
                options=options,
            )
        elif mode == "sleep":
            from abstraction.core.schema import empty_case_report
            from tests.jobs.stand_in import IDENTITY, _extraction

            async def extract(doc):  # type: ignore[no-untyped-def]
                await asyncio.sleep(latency)
                return _extraction(
                    doc, "2024-01-01T00:00:00+00:00", "ok", empty_case_report(), None, None, 1
                )

            with RunStore(work / "runs.db") as store:
                summary = await arun_documents(
                    [inputs],
                    extract=extract,
                    identity=IDENTITY,
                    out_dir=out,
                    store=store,
                    concurrency=concurrency,
                    options=options,
                )
        else:
            from tests.jobs.stand_in import IDENTITY, make_extractor

            transport = JobTransport(policy=options.retry)
            extract, http = make_extractor(base_url, transport, timeout=30)
            with RunStore(work / "runs.db") as store:
                summary = await arun_documents(
                    [inputs],
                    extract=extract,
                    identity=IDENTITY,
                    out_dir=out,
                    store=store,
                    transport=transport,
                    concurrency=concurrency,
                    options=options,
                )
            await http.aclose()
        seconds = time.perf_counter() - t0
        return seconds, summary.count("ok") + summary.count("cached"), summary.calls

    cpu0 = time.process_time()
    first, done, calls = asyncio.run(once())
    cpu = time.process_time() - cpu0
    rss_first = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    rerun, done_again, calls_again = asyncio.run(once())
    return {
        "mode": mode,
        "seconds": first,
        "done": done,
        "calls": calls,
        "cpu_seconds": cpu,
        "peak_rss_mb": rss_first / 1024,
        "rerun_seconds": rerun,
        "rerun_done": done_again,
        "rerun_calls": calls_again,
    }


def _start_server(latency: float) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.jobs.fault_server",
            "--latency",
            str(latency),
            "--max-seconds",
            "1800",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    return proc, f"http://127.0.0.1:{int(line.split()[1])}/v1"


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--docs", type=int, default=1000)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--latency", type=float, default=0.2)
    ap.add_argument("--modes", default="sleep,lean,real")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--base-url", help=argparse.SUPPRESS)
    ap.add_argument("--work", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        figures = _child(
            args.child, args.base_url, args.docs, args.concurrency, args.latency, Path(args.work)
        )
        print(json.dumps(figures))
        return
    ideal = args.concurrency / args.latency
    server, base_url = _start_server(args.latency)
    print(
        f"{args.docs} documents, concurrency {args.concurrency}, latency "
        f"{args.latency * 1000:.0f} ms: ideal {ideal:.0f} docs/s; {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    try:
        for mode in args.modes.split(","):
            with tempfile.TemporaryDirectory() as work:
                run = subprocess.run(
                    [
                        sys.executable,
                        __file__,
                        "--child",
                        mode,
                        "--base-url",
                        base_url,
                        "--docs",
                        str(args.docs),
                        "--concurrency",
                        str(args.concurrency),
                        "--latency",
                        str(args.latency),
                        "--work",
                        work,
                    ],
                    cwd=ROOT,
                    capture_output=True,
                    text=True,
                    check=False,
                )
            if run.returncode != 0:
                print(f"{mode}: failed\n{run.stderr[-3000:]}")
                continue
            f = json.loads(run.stdout.strip().splitlines()[-1])
            rate = f["done"] / f["seconds"]
            cpu_ms = f["cpu_seconds"] / max(f["done"], 1) * 1000
            print(
                f"{mode:5s} {f['done']}/{args.docs} done in {f['seconds']:.1f} s = "
                f"{rate:.1f} docs/s = {rate / ideal:.0%} of ideal; process CPU {cpu_ms:.1f} ms/doc;"
                f" peak RSS {f['peak_rss_mb']:.0f} MB; cached re-run {f['rerun_seconds']:.2f} s "
                f"({f['rerun_calls']} model calls, {f['rerun_done']} done)"
            )
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
