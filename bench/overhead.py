"""Toolkit overhead over one bare llama.cpp call that generates the same tokens.

For each pass of the prompt, the exact request body the toolkit sends is replayed with plain
httpx against the same embedded server ("bare"), and the toolkit's `extract_document` is timed
on the same document ("toolkit").  A short unrelated request is sent before every timed run so
neither side profits from llama.cpp's cached prompt prefix of the other.  Both are repeated and
the medians are printed, with the model's own start time.

    python bench/overhead.py [--prompt v1] [--doc seeds/000_8682481a1554b25b.txt] [--repeat 2]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import httpx

# Run as a file (python bench/X.py): the repository's package, not an installed one.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from abstraction.client import ModelConfig, open_client
from abstraction.core.documents import Document
from abstraction.core.prompts import default_prompts_dir, load_prompt
from abstraction.extraction import (
    DocumentRun,  # the exact requests the toolkit builds
    extract_document,
)
from abstraction.extraction.passes import llm_schema

ROOT = Path(__file__).resolve().parents[1]


def _flush(base_url: str) -> None:
    body = {"model": "x", "messages": [{"role": "user", "content": "Say OK."}], "max_tokens": 2}
    httpx.post(f"{base_url}/chat/completions", json=body, timeout=600, trust_env=False)


def _bare_bodies(doc: Document, prompt: Any, client: Any) -> list[dict[str, Any]]:
    run = DocumentRun(doc, prompt, client)
    bodies = []
    for spec in prompt.passes:
        req = run.request(spec)
        s = prompt.settings
        bodies.append(
            {
                "model": client.model_name,
                "messages": req["messages"],
                "temperature": s.temperature,
                "max_tokens": s.max_tokens,
                "seed": s.seed,
                "response_format": {
                    "type": "json_object",
                    "schema": llm_schema(spec, evidence_first=s.evidence_first),
                },
            }
        )
    return bodies


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--prompt", default="v1")
    ap.add_argument("--doc", default=str(ROOT / "seeds" / "000_8682481a1554b25b.txt"))
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    prompt = load_prompt(args.prompt, default_prompts_dir())
    doc = Document.from_path(Path(args.doc))
    t0 = time.perf_counter()
    with open_client(ModelConfig()) as client:
        started = time.perf_counter() - t0
        server_s = client.describe().get("server_startup_seconds")
        base = client.base_url
        bodies = _bare_bodies(doc, prompt, client)
        bare, tool, bare_tokens, tool_tokens = [], [], [], []
        for _ in range(args.repeat):
            _flush(base)
            t = time.perf_counter()
            out = 0
            for body in bodies:
                r = httpx.post(f"{base}/chat/completions", json=body, timeout=3600, trust_env=False)
                out += r.json()["usage"]["completion_tokens"]
            bare.append(time.perf_counter() - t)
            bare_tokens.append(out)
            _flush(base)
            t = time.perf_counter()
            ext = extract_document(doc, prompt=prompt, client=client)
            tool.append(time.perf_counter() - t)
            tool_tokens.append(ext.provenance.usage.completion_tokens)
    b, k = statistics.median(bare), statistics.median(tool)
    print(
        json.dumps(
            {
                "prompt": prompt.identity,
                "document": doc.id,
                "model_start_s": round(server_s or 0, 2),
                "open_client_s": round(started, 2),
                "bare_s": [round(x, 2) for x in bare],
                "toolkit_s": [round(x, 2) for x in tool],
                "bare_completion_tokens": bare_tokens,
                "toolkit_completion_tokens": tool_tokens,
                "toolkit_calls": ext.provenance.usage.calls,
                "overhead_pct": round(100 * (k - b) / b, 1),
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
