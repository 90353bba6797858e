from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SEED_ID = "000_8682481a1554b25b"

os.environ.setdefault("ABSTRACTION_DEBUG", "1")


@pytest.fixture
def seed_text() -> str:
    return (ROOT / "seeds" / f"{SEED_ID}.txt").read_text("utf-8")


@pytest.fixture
def root() -> Path:
    return ROOT
