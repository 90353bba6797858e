"""Where the prompts and the small evaluation suites are when no folder is given.

A built package carries copies in ``abstraction/bundled/`` (see setup.py), laid out as in the
source checkout (``prompts/``, ``eval/suites/``, ``seeds/``, ``gold/``...); a source checkout
(an editable install) reads its own files in place.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]


def data_root() -> Path:
    """The folder holding ``prompts/`` and ``eval/suites/``: the installed package's bundle,
    else the source checkout the package was imported from."""
    bundled = PACKAGE / "bundled"
    if (bundled / "prompts").is_dir():
        return bundled
    return PACKAGE.parent
