"""Benchmark the scorer: score N synthetic prediction/gold pairs and print the time it takes.

Pairs are made by perturbing real hand-labelled records (every ``gold/*.json``; the seed's test
record when there is none) the way model output differs from gold: omitted and hallucinated
values, wrong enums, dropped, added and reordered list items, synonyms, case and British
spellings, ages in months, shifted or missing evidence offsets, and a few failed documents.
The perturbation is seeded, so every run scores the same pairs.

    python bench/score.py            # 10,000 pairs, details on (as `abstraction score`)
    python bench/score.py --n 2000 --no-details

Only the scoring is timed (per-document scoring plus building the report); generating the
pairs is not.  The target is 10,000 pairs in <= 20 s on the project's 2-core machine;
`abstraction score` scores in as many processes as there are usable CPUs, which is
``--workers 2`` here.
"""

from __future__ import annotations

import argparse
import copy
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from abstraction.core.normalize import lexicon  # noqa: E402
from abstraction.core.records import GoldRecord  # noqa: E402
from abstraction.evaluation.plan import LeafPlan, compile_plan  # noqa: E402
from abstraction.evaluation.results import build_report  # noqa: E402
from abstraction.evaluation.scorer import ScoreTask, score_many  # noqa: E402

SCALAR_FACTS = [
    ("source", "title"),
    ("source", "journal"),
    ("source", "doi"),
    ("patient", "age_group"),
    ("patient", "sex"),
    ("outcome", "status"),
    ("outcome", "cause_of_death"),
    ("outcome", "follow_up"),
]
LISTS = ["diagnoses", "findings", "disease_events", "treatments", "assessments", "timeline"]
TEXT_FIELDS = {
    n.path for n in compile_plan().walk() if isinstance(n, LeafPlan) and n.kind == "text"
}
"""Free-text fields (the only ones whose wording varies; enums stay valid)."""
SPELLING_BACK = {"leukemia": "leukaemia", "tumor": "tumour", "hematologic": "haematological"}


def load_records() -> list[dict[str, Any]]:
    records = [
        GoldRecord.model_validate_json(p.read_bytes()).record.model_dump()
        for p in sorted((ROOT / "gold").glob("*.json"))
    ]
    return records


def _variants() -> dict[str, list[str]]:
    """Canonical form -> its written variants, from every synonym list."""
    out: dict[str, list[str]] = {}
    for name in ["diagnoses", "treatments", "findings", "methods", "events", "anatomy"]:
        lex = lexicon(name)
        for variant, canon in lex.canon.items():
            out.setdefault(canon, []).append(variant)
    return out


VARIANTS: dict[str, list[str]] = {}


def vary_text(s: str | None, rng: random.Random) -> str | None:
    if s is None or rng.random() > 0.3:
        return s
    roll = rng.random()
    if roll < 0.25:
        return s.upper() if rng.random() < 0.5 else s.lower()
    if roll < 0.5:
        for us, uk in SPELLING_BACK.items():
            s = s.replace(us, uk)
        return s
    if roll < 0.75:
        canon = lexicon("treatments").text(s).text
        options = VARIANTS.get(canon)
        return rng.choice(options) if options else s + " therapy"
    return s + " " + rng.choice(["(confirmed)", "noted", "again", "on imaging"])


def vary_evidence(ev: dict[str, Any], rng: random.Random) -> None:
    roll = rng.random()
    if roll < 0.1 and ev.get("start") is not None:
        shift = rng.randint(-30, 30)
        ev["start"] = max(0, ev["start"] + shift)
        ev["end"] = max(ev["start"] + 1, ev["end"] + shift)
    elif roll < 0.15:
        ev.update(start=None, end=None, status="unsupported")


def perturb(gold: dict[str, Any], pool: list[dict[str, Any]], rng: random.Random) -> Any:
    if rng.random() < 0.02:
        return None  # a failed extraction
    pred = copy.deepcopy(gold)
    for section, name in SCALAR_FACTS:
        fact = pred[section][name]
        if fact is not None and rng.random() < 0.1:
            pred[section][name] = None
        elif fact is None and rng.random() < 0.05:
            donor = rng.choice(pool)[section][name]
            pred[section][name] = copy.deepcopy(donor)
        elif (
            fact is not None
            and isinstance(fact["value"], str)
            and name in ("title", "cause_of_death")
        ):
            fact["value"] = vary_text(fact["value"], rng)
    age = pred["patient"]["age"]
    if age is not None and age["unit"] == "years" and rng.random() < 0.3 and age["value"] <= 12:
        age.update(value=age["value"] * 12, unit="months")
    for name in LISTS:
        items = pred[name]
        if items and rng.random() < 0.2:
            items.pop(rng.randrange(len(items)))
        if rng.random() < 0.2:
            donor = rng.choice(pool)[name]
            if donor:
                items.insert(rng.randrange(len(items) + 1), copy.deepcopy(rng.choice(donor)))
        if len(items) > 1 and rng.random() < 0.3:
            i, j = rng.sample(range(len(items)), 2)
            items[i], items[j] = items[j], items[i]
        for item in items:
            for key, value in item.items():
                if key == "evidence":
                    vary_evidence(value, rng)
                elif isinstance(value, str) and f"{name}.{key}" in TEXT_FIELDS:
                    item[key] = vary_text(value, rng)
            if "assertion" in item and rng.random() < 0.05:
                item["assertion"] = rng.choice(["present", "absent", "uncertain"])
    return pred


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the scoring workers)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000, help="document pairs to score")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-details", action="store_true", help="skip matched pairs / error lists")
    ap.add_argument("--workers", type=int, default=1, help="scoring processes (fork)")
    args = ap.parse_args()

    VARIANTS.update(_variants())
    records = load_records()
    rng = random.Random(args.seed)
    pairs = []
    for i in range(args.n):
        gold = records[i % len(records)]
        pairs.append((f"doc{i:05d}", gold, perturb(gold, records, rng)))

    details = not args.no_details
    c0, t0 = cpu_seconds(), time.perf_counter()
    tasks = [
        ScoreTask(doc_id, gold, pred, status="ok" if pred is not None else "failed")
        for doc_id, gold, pred in pairs
    ]
    results = score_many(tasks, details=details, workers=args.workers)
    c1, t1 = cpu_seconds(), time.perf_counter()
    report = build_report(results, details=details)
    c2, t2 = cpu_seconds(), time.perf_counter()

    wall, cpu = t2 - t0, c2 - c0
    print(
        f"records perturbed: {len(records)} real record(s); pairs: {args.n}; "
        f"details: {details}; workers: {args.workers}"
    )
    print(f"scoring:  {t1 - t0:6.2f} s wall, {c1 - c0:6.2f} s CPU")
    print(f"report:   {t2 - t1:6.2f} s wall, {c2 - c1:6.2f} s CPU")
    print(f"total:    {wall:6.2f} s wall, {cpu:6.2f} s CPU")
    print(f"{args.n / wall:,.0f} pairs/s (wall), {args.n / cpu:,.0f} pairs/s (CPU)")
    print(
        f"(sanity) micro F1 {report.overall.f1:.3f}, macro F1 {report.overall.macro_f1:.3f}, "
        f"failed documents {sum(d.status != 'ok' for d in report.documents)}"
    )


if __name__ == "__main__":
    main()
