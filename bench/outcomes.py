"""The outcome status of each record, with the quote that supports it, against the gold.

    python bench/outcomes.py --suite core --prompt v40 --engine xllamacpp

Every document of each suite is extracted by replaying its recordings (no model runs).  Per
document it prints the gold's outcome status, the record's, the quote grounding kept (and its
note: a relocated quote says so), and an outcome status that went to ``dropped``, with the
reason.  For reading, not a score: the eval's ``outcome.status`` field scores the value.
"""

from __future__ import annotations

import json
from pathlib import Path

from replayed import parser, replay

from abstraction.core.prompts import default_prompts_dir, load_prompt
from abstraction.evaluation.suite import load_suite


def _gold_status(path: Path) -> str | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    record = data.get("record", data)
    status = (record.get("outcome") or {}).get("status") or {}
    return status.get("value") if isinstance(status, dict) else None


def main() -> None:
    args = parser(__doc__).parse_args()
    for name in args.suite:
        suite = load_suite(name)
        prompts = [load_prompt(v, default_prompts_dir()) for v in args.prompt]
        runs = replay(suite, prompts, args.engine)
        for run in runs:
            for doc_id, ext in run.extractions.items():
                gold = _gold_status(suite.gold_dir / f"{doc_id}.json")
                status = ext.record.outcome.status if ext.record is not None else None
                print(
                    f"{name} {run.label} {doc_id}: gold {gold}, record "
                    f"{status.value if status else None}"
                )
                if status is not None:
                    print(f"    quote: {status.evidence.quote!r}")
                    if status.evidence.note:
                        print(f"    note: {status.evidence.note}")
                for d in ext.dropped:
                    if d.path.startswith("outcome.status"):
                        print(f"    dropped {d.fact.get('value')!r}: {d.note}")


if __name__ == "__main__":
    main()
