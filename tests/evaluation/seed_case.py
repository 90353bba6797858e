"""The seed's hand-labelled gold record (gold/000_8682481a1554b25b.json), for scorer tests.

Loaded from the committed gold file rather than labelled a second time here: one label of the
seed, made by reading the text (scripts/make_seed_gold.py computes its offsets).
"""

from __future__ import annotations

from pathlib import Path

from abstraction.core.records import GoldRecord

SEED_ID = "000_8682481a1554b25b"
GOLD = Path(__file__).resolve().parents[2] / "gold" / f"{SEED_ID}.json"


def seed_gold() -> GoldRecord:
    return GoldRecord.model_validate_json(GOLD.read_bytes())
