"""Do the facts the default outputs have quotes that state them? A hand audit of a random sample.

    python bench/output_audit.py sample --out eval/audits/output-facts   # once: the sample
    python bench/output_audit.py sample --out eval/audits/output-facts-2 --seed 20261206
    python bench/output_audit.py score eval/audits/output-facts          # the shares

`bench/support.py` counts what the support check says of every fact, before it drops any.
This asks a reader instead. `sample` replays the default prompt (or --prompt) over the suites `core`
and `fresh` (our own and the seed's texts, whose recordings are committed; no model runs),
and draws, with a fixed seed, facts the output keeps and facts grounding dropped, shuffled
together. It writes

- ``items.json``: what the reader sees: each fact's section, its values (no evidence, no
  grounding status), its quote and the document file with the quote's offsets;
- ``key.json``: which items the output kept, the grounding status and note.

The reader, who has not seen `key.json` or the support check's code, writes
``verdicts-*.json``: per item (where two readers judged an item, the first file's verdict
counts and their agreement is printed), ``value`` (true when the quote states the fact's main
claim as this patient's: the name with its assertion, present or absent, had or ruled out; or
the patient attribute's value), ``all`` (true when it also states every other value the fact
gives: body site, dose, time, result, target, donor, graft...; vocabulary classes are not
judged: a treatment's category, a diagnosis's principal or secondary status, the intent) and
a short ``why`` for each false. The reader's instructions: ``INSTRUCTIONS.md`` beside them.

`score` prints, for the kept facts (what a user gets) and the dropped ones, the share the
reader found stated, with a 95 % Wilson interval, and lists each item where the reader and
grounding disagree. Nothing here is a test: it reports what it measures.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
from pathlib import Path
from typing import Any

from replayed import replay

from abstraction.core.prompts import DEFAULT_PROMPT, default_prompts_dir, load_prompt
from abstraction.core.schema import iter_facts
from abstraction.evaluation.suite import load_suite

SUITES = ("core", "fresh")
PROMPT = DEFAULT_PROMPT  # samples 1 to 6: v48, the default then
SEED = 20261205
KEPT = 160
DROPPED = 40
# not judged: vocabulary classes the toolkit or the model assigns, not values a quote states
NOT_JUDGED = {"category", "intent"}


def _values(fact: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in fact.items():
        if k == "evidence" or k in NOT_JUDGED or v in (None, "", [], {}):
            continue
        if k == "status" and v in ("principal", "secondary"):
            continue
        out[k] = _values(v) if isinstance(v, dict) else v
    return out


def collect(version: str = PROMPT) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every kept fact and every fact grounding dropped, of `version`'s output on the suites."""
    kept: list[dict[str, Any]] = []
    dropped: list[dict[str, Any]] = []
    prompt = load_prompt(version, default_prompts_dir())
    for name in SUITES:
        suite = load_suite(name)
        files = {p.stem: p for p in suite.documents}
        for run in replay(suite, [prompt], "xllamacpp"):
            for doc, ext in sorted(run.extractions.items()):
                if ext.record is None:
                    continue
                where = str(Path(files[doc]).resolve().relative_to(Path.cwd().resolve()))
                for path, fact, ev in iter_facts(ext.record):
                    kept.append(
                        {
                            "document": where,
                            "path": path,
                            "values": _values(fact.model_dump(mode="json")),
                            "quote": ev.quote,
                            "start": ev.start,
                            "end": ev.end,
                            "_status": ev.status,
                            "_note": ev.note,
                        }
                    )
                for d in ext.dropped:
                    if ":" in d.path:  # a pass's rule left a phrase out: not a grounded fact
                        continue
                    ev = d.fact.get("evidence") or {}
                    if not ev.get("quote"):
                        continue
                    dropped.append(
                        {
                            "document": where,
                            "path": d.path,
                            "values": _values(d.fact),
                            "quote": ev.get("quote"),
                            "start": ev.get("start"),
                            "end": ev.get("end"),
                            "_status": "dropped",
                            "_note": d.note,
                        }
                    )
    return kept, dropped


def sample(out: Path, seed: int = SEED, version: str = PROMPT) -> None:
    kept, dropped = collect(version)
    rng = random.Random(seed)
    items = rng.sample(kept, KEPT) + rng.sample(dropped, min(DROPPED, len(dropped)))
    rng.shuffle(items)
    out.mkdir(parents=True, exist_ok=True)
    shown, key = [], []
    for i, it in enumerate(items, 1):
        shown.append({"item": i, **{k: v for k, v in it.items() if not k.startswith("_")}})
        key.append(
            {
                "item": i,
                "kept": it["_status"] != "dropped",
                "status": it["_status"],
                "note": it["_note"],
            }
        )
    meta = {
        "prompt": version,
        "suites": list(SUITES),
        "seed": seed,
        "population": {"kept": len(kept), "dropped": len(dropped)},
    }
    (out / "items.json").write_text(
        json.dumps({**meta, "items": shown}, indent=1, ensure_ascii=False) + "\n"
    )
    (out / "key.json").write_text(
        json.dumps({**meta, "key": key}, indent=1, ensure_ascii=False) + "\n"
    )
    print(
        f"{len(shown)} items ({KEPT} kept of {len(kept)}, "
        f"{len(items) - KEPT} dropped of {len(dropped)}) -> {out}"
    )


def wilson(k: int, n: int) -> tuple[float, float]:
    if n == 0:
        return (math.nan, math.nan)
    z = 1.959964
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (centre - half, centre + half)


def _stated(v: dict[str, Any]) -> bool:
    return bool(v["value"]) and bool(v["all"])


def _share(k: int, n: int) -> str:
    lo, hi = wilson(k, n)
    return f"{k}/{n} = {100 * k / n:.1f} % [{100 * lo:.1f}, {100 * hi:.1f}]" if n else "-"


def score(folder: Path, verdicts_name: str) -> tuple[int, int, int]:
    items = {i["item"]: i for i in json.loads((folder / "items.json").read_text())["items"]}
    key = {k["item"]: k for k in json.loads((folder / "key.json").read_text())["key"]}
    verdicts: dict[int, dict[str, Any]] = {}
    second: dict[int, dict[str, Any]] = {}  # items two readers judged: the first file's counts
    for f in sorted(folder.glob(verdicts_name)):
        for v in json.loads(f.read_text())["verdicts"]:
            (second if v["item"] in verdicts else verdicts)[v["item"]] = v
    if second:
        agree = sum(_stated(verdicts[i]) == _stated(v) for i, v in second.items())
        print(f"two readers on {len(second)} items: they agree on {agree} (stated or not)")
    missing = sorted(set(items) - set(verdicts))
    if missing:
        print(f"no verdict for {len(missing)} items: {missing[:10]}")
    counts = (0, 0, 0)
    for kept in (True, False):
        ids = [i for i in sorted(verdicts) if key[i]["kept"] is kept]
        value = sum(bool(verdicts[i]["value"]) for i in ids)
        full = sum(bool(verdicts[i]["value"]) and bool(verdicts[i]["all"]) for i in ids)
        border = sum(
            bool(verdicts[i].get("borderline"))
            and not (bool(verdicts[i]["value"]) and bool(verdicts[i]["all"]))
            for i in ids
        )
        if kept:
            counts = (len(ids), value, full)
        label = "kept (the output)" if kept else "dropped by grounding"
        print(
            f"{label}: {len(ids)} facts; main claim stated {_share(value, len(ids))}; "
            f"every value stated {_share(full, len(ids))} ({border} of the rest borderline)"
        )
    print("\ndisagreements (reader vs grounding):")
    for i in sorted(verdicts):
        v, k, it = verdicts[i], key[i], items[i]
        reader = bool(v["value"]) and bool(v["all"])
        if reader != k["kept"]:
            print(
                f"  #{i} {it['document']} {it['path']} "
                f"{json.dumps(it['values'], ensure_ascii=False)}"
            )
            print(f"      quote: {it['quote']!r}")
            mark = ", borderline" if v.get("borderline") else ""
            print(
                f"      reader: {'stated' if reader else 'not stated'}{mark} "
                f"({v.get('why') or ''}); "
                f"grounding: {k['status']} ({k['note'] or ''})"
            )
    return counts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("sample")
    s.add_argument("--out", type=Path, required=True)
    s.add_argument("--seed", type=int, default=SEED, help="a new seed draws a new sample")
    s.add_argument("--prompt", default=PROMPT, help="the version whose output is read")
    c = sub.add_parser("score")
    c.add_argument(
        "folder", type=Path, nargs="+", help="one sample, or several: then their kept facts pooled"
    )
    c.add_argument("--verdicts", default="verdicts-*.json", help="file name pattern")
    args = ap.parse_args()
    if args.cmd == "sample":
        sample(args.out, args.seed, args.prompt)
    else:
        totals = [0, 0, 0]
        for folder in args.folder:
            if len(args.folder) > 1:
                print(f"== {folder}")
            for j, n in enumerate(score(folder, args.verdicts)):
                totals[j] += n
            print()
        if len(args.folder) > 1:
            n, value, full = totals
            print(
                f"pooled, {len(args.folder)} samples: kept {n} facts; main claim stated "
                f"{_share(value, n)}; every value stated {_share(full, n)}"
            )
    sys.exit(0)


if __name__ == "__main__":
    main()
