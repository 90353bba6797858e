"""How often the finding support check's negation reading disagrees with a reviewer's, on 226
crafted sentences, and how often NegEx (negspacy) does on the same sentences.

    python bench/negation_audit.py                      # our check: counts and disagreements
    /tmp/negvenv/bin/python bench/negation_audit.py --negspacy
        # NegEx, with spaCy and negspacy installed in a venv of their own
        # (python3 -m venv /tmp/negvenv && /tmp/negvenv/bin/pip install negspacy)

Both are read the same way: a finding said absent is stated when its quote negates it where it
is named; one said present, when the quote names it and does not negate it.  NegEx runs with
negspacy's ``en_clinical`` termset on a blank English pipeline (sentencizer, an entity ruler
that matches the finding's name in lower case, then ``negex``).  Nothing here is a test.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from negation_audit_cases import CASES


def ours() -> Callable[[str, str, str], bool]:
    from abstraction.core.schema import Evidence, Finding
    from abstraction.grounding.support import SupportCheck

    check = SupportCheck("any")

    def stated(name: str, assertion: str, quote: str) -> bool:
        fact = Finding(
            name=name, assertion=assertion, body_site=None, evidence=Evidence(quote=quote)
        )
        return not any(u.key for u in check.check(fact, quote))

    return stated


def negex() -> Callable[[str, str, str], bool]:
    import spacy
    from negspacy.negation import Negex  # noqa: F401  (registers the "negex" factory)
    from negspacy.termsets import termset

    patterns = termset("en_clinical").get_patterns()

    def stated(name: str, assertion: str, quote: str) -> bool:
        nlp = spacy.blank("en")
        nlp.add_pipe("sentencizer")
        ruler = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "LOWER"})
        ruler.add_patterns([{"label": "FINDING", "pattern": name}])
        nlp.add_pipe("negex", config={"ent_types": ["FINDING"], "neg_termset": patterns})
        named = [e for e in nlp(quote).ents if e.label_ == "FINDING"]
        if not named:
            return False
        if assertion == "absent":
            return any(e._.negex for e in named)
        return not all(e._.negex for e in named)

    return stated


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--negspacy", action="store_true", help="score NegEx instead of our check")
    args = ap.parse_args()
    stated = negex() if args.negspacy else ours()
    counts = {"absent false supports": 0, "absent false rejections": 0}
    counts |= {"present false denials": 0, "present missed denials": 0}
    for name, assertion, quote, expected in CASES:
        got = stated(name, assertion, quote)
        if got == expected:
            continue
        print(f"{name} | {assertion} | {quote} | expected={expected} | got={got}")
        if assertion == "absent":
            counts["absent false supports" if got else "absent false rejections"] += 1
        else:
            counts["present false denials" if not got else "present missed denials"] += 1
    print(
        f"\n{'NegEx (negspacy)' if args.negspacy else 'our check'}: {len(CASES)} cases, "
        f"{sum(counts.values())} disagreements"
    )
    for key, value in counts.items():
        print(f"  {key}: {value}")


if __name__ == "__main__":
    main()
