"""``batch collect`` as one call: read a batch's answers, re-ask the unusable ones live, write
the outputs and record the run (`collect_batch` does the work; this resolves its inputs)."""

from __future__ import annotations

import asyncio
import functools
from pathlib import Path
from typing import Any

from abstraction.client import ChatResult, ModelConfig, open_client, resolve_config
from abstraction.core.prompts import default_prompts_dir, load_prompt
from abstraction.jobs.batch import collect_batch, load_manifest, unusable_items
from abstraction.jobs.batch_prepare import manifest_path_for
from abstraction.jobs.job import check_out_dir
from abstraction.jobs.outcomes import JobSummary
from abstraction.jobs.prices import load_prices
from abstraction.jobs.runner import with_transport
from abstraction.jobs.store import STORE_NAME, RunStore, default_store_path
from abstraction.jobs.transport import JobTransport


def run_collect(
    output: Path,
    *,
    requests: Path,
    out_dir: Path,
    prompt: str | None = None,
    prompts_dir: Path | None = None,
    model_config: ModelConfig | None = None,
    reask: bool = True,
    store_path: Path | None = None,
    prices: Path | None = None,
) -> JobSummary:
    """Collect the batch `output` prepared as `requests` into `out_dir`.  The prompt and the
    model (`model_config`, for live re-asks) default to the batch's own (`batch_model`); a
    model is opened only when some answer must be re-asked live (`reask`)."""
    check_out_dir(out_dir)  # writable, and no gold records to take the place of
    manifest_path = manifest_path_for(requests)
    manifest = load_manifest(manifest_path)
    spec = load_prompt(prompt or manifest["prompt_version"], prompts_dir or default_prompts_dir())
    live = reask and unusable_items(output, manifest_path, spec) > 0
    transport = JobTransport(log_bodies=False)  # no document text in the run store
    config = model_config or resolve_config(model=manifest["model"])

    async def go() -> JobSummary:
        with RunStore(store_path or default_store_path(out_dir) or out_dir / STORE_NAME) as db:
            collect = functools.partial(
                collect_batch,
                output,
                manifest_path=manifest_path,
                prompt=spec,
                out_dir=out_dir,
                store=db,
                prices=load_prices(prices),
            )
            if not live:
                return await collect(reask=None)
            with open_client(with_transport(config, transport)) as client:

                async def ask(request: dict[str, Any]) -> ChatResult:
                    return await client.acomplete(**request)

                try:
                    return await collect(reask=ask, transport=transport)
                finally:
                    await client.aclose()

    return asyncio.run(go())


def batch_model(requests: Path) -> str:
    """The model a batch was prepared for (its manifest says)."""
    return str(load_manifest(manifest_path_for(requests))["model"])
