"""Every committed gold file must be valid and point exactly into its source text.

Gold is the measure every score is taken against, so a gold quote that is not in the text, an
offset that is off by one or a stale hash would silently make every score wrong.  These checks
run over all ``gold/<id>.json`` files that have a matching ``seeds/<id>.txt``, whoever wrote them.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from abstraction.core.documents import Document, sha256_text
from abstraction.core.records import GoldRecord
from abstraction.core.schema import iter_evidence

ROOT = Path(__file__).resolve().parent.parent
GOLD_DIR = ROOT / "gold"
SEEDS_DIR = ROOT / "seeds"
_CASE_NUMBER = re.compile(r"^(case\d+)_")


def _pairs() -> list[tuple[Path, Path]]:
    """(gold file, seed text) for every gold file whose seed text is committed."""
    pairs = []
    for gold in sorted(GOLD_DIR.glob("*.json")):
        seed = SEEDS_DIR / f"{gold.stem}.txt"
        if seed.is_file():
            pairs.append((gold, seed))
    return pairs


PAIRS = _pairs()
IDS = [g.stem for g, _ in PAIRS]


def _load(gold: Path) -> GoldRecord:
    return GoldRecord.model_validate(json.loads(gold.read_text("utf-8")))


@pytest.mark.parametrize(("gold", "seed"), PAIRS, ids=IDS)
def test_gold_matches_its_text(gold: Path, seed: Path) -> None:
    record = _load(gold)
    doc = Document.from_path(seed)
    assert record.document_id == doc.id == gold.stem
    assert record.document_sha256 == sha256_text(doc.text), "stale document_sha256"
    bad = []
    for path, ev in iter_evidence(record.record):
        if ev.start is None or ev.end is None:
            bad.append(f"{path}: no offsets for {ev.quote!r}")
        elif doc.text[ev.start : ev.end] != ev.quote:
            got = doc.text[ev.start : ev.end]
            bad.append(f"{path}: [{ev.start}:{ev.end}] is {got!r}, quote is {ev.quote!r}")
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize(("gold", "seed"), PAIRS, ids=IDS)
def test_gold_has_grounded_facts(gold: Path, seed: Path) -> None:
    """A gold file with no evidence at all would score nothing: it is a mistake, not a gold."""
    record = _load(gold)
    assert any(True for _ in iter_evidence(record.record))


def test_gold_ids_are_unique() -> None:
    records = [_load(g) for g in sorted(GOLD_DIR.glob("*.json"))]
    counts = Counter(r.document_id for r in records)
    assert not [i for i, n in counts.items() if n > 1], counts
    # Case numbers are handed out to different authors; two files sharing one is a clash.
    numbers = Counter(
        m.group(1) for p in SEEDS_DIR.glob("*.txt") if (m := _CASE_NUMBER.match(p.stem))
    )
    assert not [n for n, c in numbers.items() if c > 1], numbers
