"""Seconds per document of prompt versions on the same embedded server; prints every figure.

    python bench/prompt_cost.py --prompt v18 --prompt v20 seeds/000_8682481a1554b25b.txt \
        seeds/case04_spinal_tb_negated.txt seeds/case05_takotsubo_echo.txt

One server (the default engine, every usable CPU unless --threads) serves every prompt.  For
each document the versions take turns (v18, v20, v18, v20... with --rounds), each extraction
live (no recordings, no cache), through the toolkit's pipeline, so a machine whose speed drifts
slows both alike.  A version's first call on a document pays for the document's prompt tokens;
later passes reuse llama.cpp's prefix cache, which is part of what a multi-pass prompt costs,
so before each extraction the cache is emptied with an unrelated request, and llama.cpp's
host-memory prompt cache (which would restore the document read in an earlier round) is off
unless --ram-cache (until 3 December 2026 it was on: rounds after the first were warm).
Prints, per version and document: wall seconds, model seconds, calls, tokens in/out; then the
mean per version and the ratio of each version's mean to the first one's.  Nothing here is a test.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import httpx

from abstraction.client import ModelClient, ModelConfig
from abstraction.client.local import LocalServer, ServerOptions
from abstraction.client.weights import ensure_model
from abstraction.core.documents import Document
from abstraction.core.prompts import default_prompts_dir, load_prompt
from abstraction.extraction import extract_document

FLUSH = "Write the numbers from 1 to 20, separated by commas, and nothing else."


def _flush(base: str, alias: str) -> None:
    body = {"model": alias, "messages": [{"role": "user", "content": FLUSH}], "max_tokens": 1}
    with httpx.Client(trust_env=False, timeout=600) as http:
        http.post(f"{base}/chat/completions", json=body).raise_for_status()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("documents", nargs="+", type=Path)
    parser.add_argument("--prompt", action="append", required=True)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--prompts-dir", type=Path, default=None)
    parser.add_argument("--speculative", default=None, help="e.g. ngram-simple (docs/engine.md)")
    parser.add_argument("--spec-n", type=int, default=12)
    parser.add_argument("--spec-m", type=int, default=48)
    parser.add_argument("--save", type=Path, default=None, help="write each record here")
    parser.add_argument(
        "--ram-cache", action="store_true", help="keep llama.cpp's host-memory prompt cache"
    )
    args = parser.parse_args()

    prompts_dir = args.prompts_dir or default_prompts_dir()
    prompts = [load_prompt(v, prompts_dir) for v in args.prompt]
    model = ensure_model()
    seconds: dict[str, list[float]] = {p.version: [] for p in prompts}
    options = ServerOptions(
        n_threads=args.threads, speculative=args.speculative, spec_n=args.spec_n,
        spec_m=args.spec_m, cache_ram_mib=None if args.ram_cache else 0,
    )  # fmt: skip
    with LocalServer(model_path=model, options=options) as server:
        client = ModelClient(
            ModelConfig(http_retries=0), base_url=server.base_url, api_key="sk-local",
            model_name=server.model_alias, health=server.death,
        )  # fmt: skip
        spec = f"{args.speculative} n={args.spec_n} m={args.spec_m}" if args.speculative else "off"
        ram = "engine default" if args.ram_cache else "off"
        print(
            f"server: {server.base_url} threads={args.threads or 'all usable'} "
            f"speculative={spec} ram prompt cache={ram}"
        )
        for path in args.documents:
            doc = Document.from_path(path)
            for _ in range(args.rounds):
                for prompt in prompts:
                    _flush(server.base_url, server.model_alias)
                    t0 = time.perf_counter()
                    out = extract_document(doc, prompt=prompt, client=client)
                    wall = time.perf_counter() - t0
                    seconds[prompt.version].append(wall)
                    if args.save is not None:
                        saved = args.save / prompt.version / f"{doc.id}.json"
                        saved.parent.mkdir(parents=True, exist_ok=True)
                        saved.write_text(out.model_dump_json(indent=1), encoding="utf-8")
                    prov = out.provenance
                    usage = prov.usage
                    print(
                        f"{prompt.version:>5} {doc.id:<32} wall {wall:7.1f} s  "
                        f"model {prov.timings.get('model', 0):7.1f} s  calls {usage.calls:2d}  "
                        f"tokens in {usage.prompt_tokens:6d} out {usage.completion_tokens:5d}  "
                        f"status {out.status}"
                    )
        client.close()
    first = statistics.mean(seconds[prompts[0].version])
    for version, values in seconds.items():
        mean = statistics.mean(values)
        print(f"{version}: mean {mean:.1f} s/doc over {len(values)} ({mean / first:.2f}x)")


if __name__ == "__main__":
    main()
