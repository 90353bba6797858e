"""Check hand-labelled gold files against their source texts.

Usage, from the repo root: python -m scripts.check_gold [GOLD_FILE ...]
(default: every gold/*.json that has a seeds/<id>.txt)

For each file it checks what a labeller can get wrong without noticing: the record validates as a
`GoldRecord`; `document_sha256` is the text's hash; every evidence span satisfies
``text[start:end] == quote``; patient facts do not sit in page boilerplate; and the time
expressions that the schema says are "as written" occur verbatim in the text.  It prints one line
per problem and exits non-zero if there is any.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from abstraction.core.documents import sha256_text
from abstraction.core.records import GoldRecord
from abstraction.core.schema import METADATA_SECTIONS, iter_evidence
from abstraction.grounding.boilerplate import content_spans

ROOT = Path(__file__).resolve().parent.parent
TIME_KEYS = ("time", "duration")


def _times(node: object, path: str = "record") -> list[tuple[str, str]]:
    """Every ``time``/``duration`` string in a dumped record, with its JSON path."""
    found: list[tuple[str, str]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in TIME_KEYS and isinstance(value, str):
                found.append((f"{path}.{key}", value))
            found.extend(_times(value, f"{path}.{key}"))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found.extend(_times(value, f"{path}[{i}]"))
    return found


def check_file(gold_path: Path) -> list[str]:
    """Problems found in one gold file (empty when it is sound)."""
    raw = json.loads(gold_path.read_text(encoding="utf-8"))
    gold = GoldRecord.model_validate(raw)
    text_path = ROOT / "seeds" / f"{gold.document_id}.txt"
    if not text_path.is_file():
        return [f"{gold_path.name}: no source text {text_path.relative_to(ROOT)}"]
    text = text_path.read_text(encoding="utf-8").removeprefix("\ufeff")
    problems: list[str] = []
    if gold.document_sha256 != sha256_text(text):
        problems.append(f"{gold_path.name}: document_sha256 does not match the text")
    spans = content_spans(text)
    for path, ev in iter_evidence(gold.record):
        where = f"{gold_path.name}: {path}"
        if ev.start is None or ev.end is None:
            problems.append(f"{where}: evidence without offsets")
            continue
        if text[ev.start : ev.end] != ev.quote:
            problems.append(f"{where}: text[{ev.start}:{ev.end}] != quote {ev.quote!r}")
        if path.split(".")[0].split("[")[0] not in METADATA_SECTIONS and not any(
            s.start <= ev.start and ev.end <= s.end for s in spans
        ):
            problems.append(f"{where}: patient fact quoted from boilerplate {ev.quote!r}")
    for path, value in _times(gold.record.model_dump(mode="json")):
        if value not in text:
            problems.append(f"{gold_path.name}: {path} is not written in the text: {value!r}")
    return problems


def main(argv: list[str]) -> int:
    files = [Path(a) for a in argv] or sorted(
        p for p in (ROOT / "gold").glob("*.json") if (ROOT / "seeds" / f"{p.stem}.txt").is_file()
    )
    problems = [msg for f in files for msg in check_file(f)]
    for msg in problems:
        print(msg)
    print(f"{len(files)} gold file(s) checked, {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
