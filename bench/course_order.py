"""Does a system's timeline keep the order of the case's course?  Hand labels against the
extractions `abstraction eval --report DIR` wrote (one folder per system under
DIR/extractions), offline:

    abstraction eval maccrobat-dev20 -p v53 -s instructor:v44 --replay --report out/r
    python bench/course_order.py --suite maccrobat-dev20 --extractions out/r/extractions

Per system it prints the share of labelled events its timeline names (found), the ordered
pairs of found events it judges, the share it lists in the course's order with a 95 %
interval (documents resampled), and each system's paired difference from the first one named
(`--system`, default: every folder, sorted).  A system with no timeline finds nothing.  The
labels (`eval/labels/maccrobat-course-order.json`, docs/evaluation.md "Course order") must fit
the suite's texts (their hashes and spans are checked).  Nothing here is a test: it reports
what it measures.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from abstraction.core.documents import sha256_text
from abstraction.evaluation.course_order import (
    CourseOrder,
    measure,
    read_course_labels,
    spans_fit,
    summarize,
)
from abstraction.evaluation.suite import load_suite

LABELS = Path(__file__).resolve().parents[1] / "eval/labels/maccrobat-course-order.json"


def _record(path: Path) -> object:
    try:
        return json.loads(path.read_text(encoding="utf-8")).get("record")
    except (OSError, ValueError, AttributeError):
        return None


def _pct(x: float) -> str:
    return "-" if x != x else f"{100 * x:.1f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--suite", required=True)
    ap.add_argument("--extractions", type=Path, required=True, help="DIR/extractions of a report")
    ap.add_argument("--system", action="append", help="a folder under --extractions (repeatable)")
    ap.add_argument("--labels", type=Path, default=LABELS)
    args = ap.parse_args()
    labels = read_course_labels(args.labels).by_id()
    suite = load_suite(args.suite)
    systems = args.system or sorted(p.name for p in args.extractions.iterdir() if p.is_dir())
    if not systems:
        sys.exit(f"{args.extractions}: no system's extractions there")
    per: dict[str, list[CourseOrder]] = {s: [] for s in systems}
    for doc in suite.documents:
        label = labels.get(doc.stem)
        if label is None:
            continue
        text = doc.read_text(encoding="utf-8").removeprefix("\ufeff")
        if sha256_text(text) != label.sha256 or spans_fit(label, text):
            sys.exit(f"{doc}: the labels do not fit this text (hash or spans)")
        for s in systems:
            per[s].append(measure(label, _record(args.extractions / s / f"{doc.stem}.json"), text))
    n = len(next(iter(per.values()), []))
    events = sum(o.labelled for o in next(iter(per.values()), []))
    print(f"{args.suite}: {n} labelled documents, {events} events ({args.labels.name})")
    out, deltas, recall_deltas = summarize(per)
    print(
        f"{'system':<18} {'found %':>8} {'judged':>7}  in the course's order % [95% CI]  "
        "(of all ordered pairs % [95% CI])"
    )
    for s in systems:
        o = out[s]
        print(
            f"{s:<18} {_pct(o.found):>8} {o.judged:>7}  "
            f"{_pct(o.share)} [{_pct(o.low)}, {_pct(o.high)}]  "
            f"({_pct(o.recall)} [{_pct(o.recall_low)}, {_pct(o.recall_high)}])"
        )
    first = systems[0]
    for s in systems[1:]:
        point, lo, hi = deltas[(first, s)]
        r, rlo, rhi = recall_deltas[(first, s)]
        print(
            f"{first} - {s}: {point:+.3f} [{lo:+.3f}, {hi:+.3f}]"
            f"  (of all ordered pairs: {r:+.3f} [{rlo:+.3f}, {rhi:+.3f}])"
        )


if __name__ == "__main__":
    main()
