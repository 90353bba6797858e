"""Side-by-side speed of the embedded model's engines on this machine; prints every figure.

    python bench/engines.py --engine xllamacpp --engine llama-cpp-python --rounds 2

Each round starts every engine's server in turn (so a machine whose speed drifts slows all
alike) and measures, on a fresh server:
- start-up: spawn to ready;
- prompt tokens/s: the seed case report as the prompt, one token asked (first call, no cache);
- generation tokens/s: the same short prompt with 1 and with 129 tokens asked; 128 tokens over
  the difference of the two times (the prompt's cost cancels out);
- the seed's extraction with the default prompt, through the toolkit's pipeline: model
  seconds, calls, tokens in/out, and facts (exact/unsupported).
Engines must be installed in this environment (llama-cpp-python: `pip install
'abstraction[llama-cpp-python]'`).  Nothing here is a test: it reports what it measures.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import httpx

# Run as a file (python bench/X.py): the repository's package, not an installed one.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from abstraction.client import ModelClient, ModelConfig
from abstraction.client.local import LocalServer, ServerOptions
from abstraction.client.weights import ensure_model
from abstraction.core.documents import Document
from abstraction.core.prompts import DEFAULT_PROMPT, default_prompts_dir, load_prompt
from abstraction.extraction import extract_document

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "seeds" / "000_8682481a1554b25b.txt"
COUNT = "Write the numbers from 1 to 300, separated by commas, and nothing else."


def _chat(base: str, alias: str, content: str, max_tokens: int) -> tuple[float, dict]:
    body = {
        "model": alias,
        "messages": [{"role": "user", "content": content}],
        "max_tokens": max_tokens,
        "temperature": 0,
    }
    t0 = time.perf_counter()
    with httpx.Client(trust_env=False, timeout=900) as http:
        answer = http.post(f"{base}/chat/completions", json=body)
    answer.raise_for_status()
    return time.perf_counter() - t0, answer.json()["usage"]


def measure(engine: str, model: Path, threads: int | None) -> dict[str, float]:
    options = ServerOptions(engine=engine, n_threads=threads)  # type: ignore[arg-type]
    with LocalServer(model_path=model, options=options) as server:
        alias = server.model_alias
        seconds, usage = _chat(server.base_url, alias, SEED.read_text("utf-8"), 1)
        prompt_tps = usage["prompt_tokens"] / seconds
        t1, _ = _chat(server.base_url, alias, COUNT, 1)
        t129, usage129 = _chat(server.base_url, alias, COUNT, 129)
        generated = usage129["completion_tokens"] - 1
        gen_tps = generated / (t129 - t1)
        config = ModelConfig(engine=engine, http_retries=0)  # type: ignore[arg-type]
        client = ModelClient(
            config, base_url=server.base_url, api_key="sk-local", model_name=alias,
            health=server.death,
        )  # fmt: skip
        prompt = load_prompt(DEFAULT_PROMPT, default_prompts_dir())
        t0 = time.perf_counter()
        ext = extract_document(Document.from_path(SEED), prompt=prompt, client=client)
        seed_s = time.perf_counter() - t0
        client.close()
        g, u = ext.grounding, ext.provenance.usage
        return {
            "startup_s": server.startup_seconds or 0.0,
            "prompt_tok_s": prompt_tps,
            "gen_tok_s": gen_tps,
            "seed_s": seed_s,
            "seed_calls": u.calls,
            "seed_tokens_in": u.prompt_tokens,
            "seed_tokens_out": u.completion_tokens,
            "seed_ok": float(ext.status == "ok"),
            "seed_facts": float(g.facts if g else 0),
            "seed_exact": float(g.exact if g else 0),
            "seed_unsupported": float(g.unsupported if g else 0),
        }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--engine", action="append", required=True)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--threads", type=int, default=None)
    args = ap.parse_args()
    print(f"usable CPUs {len(os.sched_getaffinity(0))}, load average {os.getloadavg()}")
    print(f"python {sys.version.split()[0]}, prompt {DEFAULT_PROMPT}")
    model = ensure_model()
    runs: dict[str, list[dict[str, float]]] = {e: [] for e in args.engine}
    for r in range(1, args.rounds + 1):
        for engine in args.engine:
            row = measure(engine, model, args.threads)
            runs[engine].append(row)
            shown = ", ".join(f"{k} {v:.2f}" for k, v in row.items())
            print(f"round {r} {engine}: {shown}", flush=True)
    print("\nmedian over rounds")
    keys = list(next(iter(runs.values()))[0])
    print("| engine | " + " | ".join(keys) + " |")
    print("|---" * (len(keys) + 1) + "|")
    for engine, rows in runs.items():
        cells = [f"{statistics.median(r[k] for r in rows):.2f}" for k in keys]
        print(f"| {engine} | " + " | ".join(cells) + " |")
    print(f"load average at the end {os.getloadavg()}")


if __name__ == "__main__":
    main()
