"""How many facts have quotes that state them: the support check over a suite, offline.

    python bench/support.py --suite core --prompt v1 --prompt v18 --engine xllamacpp

Every document of each suite is extracted by replaying its recordings (no model runs), with
each prompt's settings except that unsupported facts and unstated attributes are flagged, not
dropped (so the record holds every grounded fact as the model gave it; the request is
unchanged), and, with ``--evidence-scope``, that scope.  Per prompt it prints:

- facts: every fact grounding saw (each with its own evidence: a diagnosis, a treatment, the
  sex...).  Phrases a mentions pass's own rules left out (the ``dropped`` list before
  grounding) are not facts and are not counted;
- stated: facts whose quote states them, i.e. grounded ``exact`` or ``fuzzy``: the quote is in
  the case text (for a patient fact: not boilerplate, not the title or header; source metadata
  may quote the header) and states the fact's key value and every attribute it gives
  (docs/grounding.md), the age's number, and a target named in the text;
- found: facts whose quote was found in the text (in any part), whatever it states;
- the unsupported facts by their first reason (the grounding note, values masked).

Nothing here is a test: it reports what it measures.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from replayed import parser, replay

from abstraction.core.prompts import PromptSpec, default_prompts_dir, load_prompt
from abstraction.core.records import Extraction
from abstraction.core.schema import iter_evidence
from abstraction.evaluation.suite import load_suite

_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
_NOT_FOUND = ("quote not found in the source", "no quote given")


@dataclass
class Tally:
    documents: int = 0
    failed: int = 0
    facts: int = 0
    stated: int = 0
    found: int = 0
    reasons: Counter[str] = field(default_factory=Counter)

    def add(self, ext: Extraction) -> None:
        self.documents += 1
        if ext.record is None:
            self.failed += 1
            return
        for _, ev in iter_evidence(ext.record):
            self.facts += 1
            self.found += ev.start is not None
            if ev.status in ("exact", "fuzzy"):
                self.stated += 1
            else:
                self.reasons[reason(ev.note)] += 1


def reason(note: str | None) -> str:
    """The first reason of a grounding note, its values masked ("the dose '...'")."""
    first = (note or "no note").split("; ")[0]
    if first.startswith("relocated:") and "; " in (note or ""):
        first = (note or "").split("; ")[1]
    return _QUOTED.sub("'...'", first)


def flagging(prompt: PromptSpec, scope: str | None = None) -> PromptSpec:
    """`prompt` with unsupported facts kept in the record (the request is unchanged), and
    attributes read in `scope` if given (``evidence_scope``)."""
    update: dict[str, str] = {"unsupported": "flag", "unstated": "flag"}
    if scope:
        update["evidence_scope"] = scope
    settings = prompt.settings.model_copy(update=update)
    return prompt.model_copy(update={"settings": settings})


def measure(
    suite_name: str, versions: list[str], engine: str | None, scope: str | None = None
) -> dict[str, Tally]:
    prompts = [flagging(load_prompt(v, default_prompts_dir()), scope) for v in versions]
    runs = replay(load_suite(suite_name), prompts, engine)
    out: dict[str, Tally] = {}
    for run in runs:
        tally = out[run.label] = Tally()
        for ext in run.extractions.values():
            tally.add(ext)
    return out


def _pct(n: int, d: int) -> str:
    return f"{100 * n / d:.1f}%" if d else "-"


def main() -> None:
    ap = parser(__doc__)
    ap.add_argument(
        "--evidence-scope",
        choices=["quote", "sentence"],
        default=None,
        help="where attributes must be stated (default: each prompt's own setting)",
    )
    args = ap.parse_args()
    for suite in args.suite:
        for version, t in measure(suite, args.prompt, args.engine, args.evidence_scope).items():
            print(
                f"{suite} {version}: {t.documents} documents ({t.failed} failed), "
                f"{t.facts} facts, stated {t.stated} ({_pct(t.stated, t.facts)}), "
                f"found {t.found} ({_pct(t.found, t.facts)})"
            )
            for why, n in t.reasons.most_common():
                print(f"    {n:4d}  {why}")


if __name__ == "__main__":
    main()
