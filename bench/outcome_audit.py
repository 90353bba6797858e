"""How often the support check's outcome verdicts disagree with a reviewer's, on crafted
sentences: does the quote state that this patient is alive (at the last known point), or that
this patient died?

    python bench/outcome_audit.py          # counts and every disagreement
    python bench/outcome_audit.py --all    # every sentence with both verdicts

The sentences (`outcome_audit_cases.py`, 264) attack negation, other people (donors,
relatives, babies), groups of patients, clause edges, other senses of "discharged" and deaths
that are not the patient's.  To measure an older check, run this file from a checkout of that
commit with ``PYTHONPATH`` (as `term_audit.py`).  Nothing here is a test.
"""

from __future__ import annotations

import argparse

from outcome_audit_cases import CASES, EXTRA, FRESH, SEVENTH

from abstraction.core.schema import OutcomeStatusFact
from abstraction.grounding.support import SupportCheck


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--all", action="store_true", help="print every sentence")
    args = ap.parse_args()
    check = SupportCheck("any document text")
    counts = {("alive", "false support"): 0, ("alive", "false rejection"): 0}
    counts |= {("died", "false support"): 0, ("died", "false rejection"): 0}
    judged = {"alive": 0, "died": 0}
    for group, quote, *wanted in CASES + EXTRA + FRESH + SEVENTH:
        marks = []
        for value, want in zip(("alive", "died"), wanted, strict=True):
            got = check.value_stated(OutcomeStatusFact, "value", value, quote)
            if want is None:
                continue
            judged[value] += 1
            if got != want:
                counts[(value, "false support" if got else "false rejection")] += 1
                marks.append(f"{value}: {'stated' if got else 'not stated'}, wanted the other")
        if marks or args.all:
            print(f"[{group}] {quote!r}: {'; '.join(marks) or 'ok'}")
    for value in ("alive", "died"):
        fs, fr = counts[(value, "false support")], counts[(value, "false rejection")]
        print(f"{value}: {judged[value]} judged, {fs} false support, {fr} false rejections")


if __name__ == "__main__":
    main()
