"""How often the scorer's term verdicts disagree with a clinician's, on crafted pairs.

    python bench/term_audit.py            # the disagreements, by group
    python bench/term_audit.py --all      # every pair with its verdict and reason

The pairs (`term_audit_cases.py`, 241 of them) were written by a helper attacking the scorer's
dose, abbreviation, Greek-plural and route rules, each with a clinician's verdict decided
before running.  Every pair is compared both ways (`abstraction.core.terms.compare`); a
verdict that differs by direction is reported too.  To measure an older scorer, run this file
from a checkout of that commit (e.g. ``git worktree add /tmp/old 521a901`` and
``PYTHONPATH=/tmp/old python bench/term_audit.py``).  Nothing here is a test.
"""

from __future__ import annotations

import argparse
from collections import Counter

from term_audit_cases import CASES

from abstraction.core.terms import compare, defined_abbreviations


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--all", action="store_true", help="print every pair, not only misses")
    args = ap.parse_args()
    wrong: Counter[str] = Counter()
    one_way = 0
    for group, vocab, gold, pred, abbr, verdict in CASES:
        defined = defined_abbreviations(abbr) if isinstance(abbr, str) else abbr
        got = compare(gold, pred, vocab=vocab, abbreviations=defined)
        back = compare(pred, gold, vocab=vocab, abbreviations=defined)
        miss = got.equal != verdict
        one_way += got.equal != back.equal
        wrong[group] += miss
        if miss or args.all:
            mark = "MISS" if miss else "ok  "
            said = "same" if verdict else "different"
            print(f"{mark} [{group}] {vocab}: {gold!r} / {pred!r} ({said}): {got.reason}")
    total = sum(wrong.values())
    print(f"{len(CASES)} pairs: {total} differ from the clinician; {one_way} by direction")
    for group, n in sorted(wrong.items()):
        if n:
            print(f"    {n:3d}  {group}")


if __name__ == "__main__":
    main()
