"""abstraction: grounded extraction of clinical case reports into a validated schema.

The library's front door (`abstraction.api`): ``abstraction.extract(text_or_path)``,
``abstraction.evaluate(suite, prompts=[...])`` and ``abstraction.load_gold(path)``.  They are
imported on first use, so ``import abstraction`` stays cheap for the modules below.
"""

from __future__ import annotations

from typing import Any

from abstraction.core.version import __version__

__all__ = ["__version__", "evaluate", "extract", "load_gold"]


def __getattr__(name: str) -> Any:
    if name in ("evaluate", "extract", "load_gold"):
        from abstraction import api

        return getattr(api, name)
    raise AttributeError(f"module 'abstraction' has no attribute {name!r}")
