"""What taking quotes from the text (prompt setting ``quotes = "text"``) does to a record,
apart from what the model writes: a prompt's recorded answers with every quote removed,
then the rest of the pipeline as it runs for ``quotes = "text"`` (quotes located in the text,
the rules, grounding), scored beside the same answers with their quotes.

    python bench/quotes_ablation.py core --prompt v24

Offline: it replays the suite's recordings of the prompt (``--recordings`` to read others,
e.g. MACCROBAT's in out/).  This is not v25: a model asked for values only writes other
values too (greedy decoding follows its own earlier tokens); `abstraction eval SUITE -p v25`
measures that.  What it isolates is the quotes' part in the score.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from abstraction.cli.options import model_config_from_options
from abstraction.client import ChatResult, open_client
from abstraction.core.prompts import default_prompts_dir, load_prompt
from abstraction.evaluation.compare import compare
from abstraction.evaluation.runner import load_suite_gold, run_systems, version_input
from abstraction.evaluation.suite import load_suite
from abstraction.evaluation.systems import OurSystem


def _unquoted(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _unquoted(v) for k, v in value.items() if k != "evidence"}
    if isinstance(value, list):
        return [_unquoted(v) for v in value]
    return value


class WithoutQuotes:
    """Answers each request of the text-quotes prompt with the recorded answer to the same
    request of the original prompt, its quotes removed."""

    def __init__(self, inner: Any, original: Any) -> None:
        self.inner, self.original = inner, original

    def describe(self) -> dict[str, Any]:
        return self.inner.describe()

    def complete(self, **kw: Any) -> Any:
        from abstraction.extraction.passes import answer_model, shared_llm_schema

        tail = kw["messages"][-1]["content"]
        spec = next(
            p
            for p in self.original.passes
            if tail.endswith(p.instructions.strip()) or p.instructions.strip() in tail
        )
        settings = self.original.settings
        asked = {
            **kw,
            "messages": [
                {"role": "system", "content": self.original.system.strip()},
                *kw["messages"][1:],
            ]
            if spec.system is None
            else kw["messages"],
            "response_model": answer_model(spec),
            "json_schema": shared_llm_schema(spec, evidence_first=settings.evidence_first),
        }
        got: ChatResult = self.inner.complete(**asked)
        plain = _unquoted(json.loads(got.value.model_dump_json()))
        value = kw["response_model"].model_validate(plain)
        return ChatResult(value, got.raw_text, got.usage, got.attempts, got.seconds)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("suite")
    ap.add_argument("--prompt", default="v24")
    ap.add_argument("--recordings", type=Path, default=None)
    args = ap.parse_args()
    spec = load_suite(args.suite)
    original = load_prompt(args.prompt, default_prompts_dir())
    settings = original.settings.model_copy(update={"quotes": "text"})
    textq = original.model_copy(
        update={"settings": settings, "version": f"{original.version}-text-quotes"}
    )
    config = model_config_from_options(
        model=None, base_url=None, api_key=None, structured=None, gguf=None,
        replay=True, recordings=args.recordings or spec.recordings_dir,
    )  # fmt: skip
    documents = load_suite_gold(spec)
    with open_client(config) as client:
        systems = [
            OurSystem(original, client=client, model=config),
            OurSystem(textq, client=WithoutQuotes(client, original), model=config),
        ]
        runs = run_systems(spec, systems, client=client, documents=documents)
    report = compare(spec.name, [version_input(r) for r in runs], fields_in_scope=spec.fields)
    for r in [report.overall, *report.fields]:
        cells = " ".join(f"{iv.estimate:.3f}" for iv in r.f1)
        delta = r.delta[1]
        d = f"{delta.estimate:+.3f} [{delta.low:+.3f}, {delta.high:+.3f}]" if delta else ""
        print(f"{r.path:32s} {cells}  {d}")
    for run in runs:
        kept = sum(e.grounding.facts for e in run.extractions.values() if e.grounding)
        unsupported = sum(e.grounding.unsupported for e in run.extractions.values() if e.grounding)
        dropped = sum(len(e.dropped) for e in run.extractions.values())
        print(f"{run.name}: facts kept {kept}, unsupported {unsupported}, dropped {dropped}")


if __name__ == "__main__":
    main()
