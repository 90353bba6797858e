"""Benchmark the job runner against the loopback fault server (a script, not a test).

    python bench/jobs.py                 # 1,000 documents, concurrency 32, 200 ms latency
    python bench/jobs.py --docs 200 --modes lean
    python bench/jobs.py --client-overhead   # where the model client spends its CPU

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
from typing import Any

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


def _client_overhead(base_url: str, calls: int = 60) -> list[tuple[str, float]]:
    """CPU milliseconds per call, sequentially, for each layer of the real client's path."""
    import httpx

    from abstraction.client import ModelClient, ModelConfig
    from abstraction.client.openai_client import _CallLog
    from abstraction.core.documents import Document
    from abstraction.core.prompts import load_prompt
    from abstraction.extraction import DocumentRun, aextract_document
    from tests.jobs.conftest import fictional_case

    config = ModelConfig(model="fault-model", base_url=base_url, api_key="bench", http_retries=0)
    client = ModelClient(config, base_url=base_url, api_key="bench", model_name="fault-model")
    prompt = load_prompt("v1", ROOT / "prompts")
    doc = Document("bench", fictional_case(1))
    request = DocumentRun(doc, prompt, client).request(prompt.passes[0])
    kwargs = client._request(**request, log=_CallLog())
    body = {"model": "fault-model", "messages": kwargs["messages"], **kwargs["extra_body"]}

    async def measure() -> list[tuple[str, float]]:
        out = []
        async with httpx.AsyncClient(base_url=base_url) as http:

            def sdk() -> Any:
                return client._async.chat.completions.create(
                    model="fault-model",
                    messages=kwargs["messages"],
                    extra_body=kwargs["extra_body"],
                )

            layers = [
                ("httpx POST + JSON parse", lambda: http.post("/chat/completions", json=body)),
                ("openai SDK chat.completions.create", sdk),
                ("ModelClient.acomplete", lambda: client.acomplete(**request)),
                (
                    "aextract_document (+ grounding)",
                    lambda: aextract_document(doc, prompt=prompt, client=client),
                ),
            ]
            for name, call in layers:
                await call()
                c0 = time.process_time()
                for _ in range(calls):
                    await call()
                out.append((name, (time.process_time() - c0) / calls * 1000))
        return out

    return asyncio.run(measure())


def _cpu_seconds_of(pid: int) -> float | None:
    """User + system CPU seconds of another process (Linux /proc), or None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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
    ap.add_argument(
        "--client-overhead", action="store_true", help="CPU per call of each client layer"
    )
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
    if args.client_overhead:
        server, base_url = _start_server(0.0)
        try:
            for name, ms in _client_overhead(base_url):
                print(f"{name:38s} {ms:6.1f} ms CPU per call")
        finally:
            server.terminate()
        return
    server, base_url = _start_server(args.latency)
    # each worker takes whole documents: some worker does ceil(docs / concurrency) of them
    rounds = -(-args.docs // args.concurrency)
    best = args.docs / (rounds * args.latency) / ideal
    print(
        f"{args.docs} documents, concurrency {args.concurrency}, latency "
        f"{args.latency * 1000:.0f} ms: ideal {ideal:.0f} docs/s (at best {best:.1%} of it: "
        f"{rounds} rounds of whole documents); {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    # One folder for every mode, deleted at the end: deleting a mode's thousands of files
    # before the next mode runs would slow that mode's file creation (ext4 scans past
    # recently freed inodes when it allocates one), measuring our clean-up, not the runner.
    scratch = tempfile.TemporaryDirectory()
    try:
        for mode in args.modes.split(","):
            server_cpu0 = _cpu_seconds_of(server.pid)
            work = Path(scratch.name) / mode
            work.mkdir()
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
                    str(work),
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
            server_cpu1 = _cpu_seconds_of(server.pid)
            server_ms = ""
            if server_cpu0 is not None and server_cpu1 is not None and f["calls"]:
                per_call = (server_cpu1 - server_cpu0) / f["calls"] * 1000
                server_ms = f"; fault server CPU {per_call:.1f} ms/call"
            print(
                f"{mode:5s} {f['done']}/{args.docs} done in {f['seconds']:.1f} s = "
                f"{rate:.1f} docs/s = {rate / ideal:.1%} of ideal; process CPU {cpu_ms:.1f} ms/doc"
                f"{server_ms}; peak RSS {f['peak_rss_mb']:.0f} MB; cached re-run "
                f"{f['rerun_seconds']:.2f} s ({f['rerun_calls']} model calls, "
                f"{f['rerun_done']} done)"
            )
    finally:
        server.terminate()
        server.wait(timeout=10)
        scratch.cleanup()


if __name__ == "__main__":
    main()
