"""The MACCROBAT held-out discipline: dev20 and held20 are disjoint, sorted halves of dev."""

from __future__ import annotations

import tomllib
from pathlib import Path

SUITES = Path(__file__).resolve().parents[2] / "eval" / "suites"


def _ids(name: str) -> list[str]:
    data = tomllib.loads((SUITES / f"{name}.toml").read_text(encoding="utf-8"))
    return [Path(p).stem for p in data["documents"]]


def test_dev20_and_held20_split_the_sorted_dev_set_once() -> None:
    dev, held = _ids("maccrobat-dev20"), _ids("maccrobat-held20")
    assert len(dev) == len(held) == 20
    assert dev == sorted(dev) and held == sorted(held)
    assert max(dev) < min(held)  # the first 20 ids shape prompts, the last 20 are held out
    assert not set(dev) & set(held)
    first8 = _ids("maccrobat-dev8")
    assert set(first8) <= set(dev)  # the quick suite never reaches into the held-out half
