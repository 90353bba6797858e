"""Bundles the prompts, the small evaluation suites and what they need into the package.

The files stay where the project keeps them (``prompts/``, ``eval/suites``, ``seeds/``,
``gold/``, ``eval/baselines``, ``eval/recordings``: their bytes, so the prompt hashes in
``prompts/lock.json``, are unchanged); building copies them to ``abstraction/bundled/`` with the
same relative layout, so a suite's ``../../seeds`` still resolves inside the wheel.  A source
checkout reads them in place (`abstraction.core.bundled`).  Everything else is in pyproject.toml.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
BUNDLED = [
    "prompts/*.toml",
    "prompts/lock.json",
    "eval/suites/smoke.toml",
    "eval/suites/core.toml",
    "eval/baselines/smoke/*.json",
    "eval/recordings/**/*.json",
    "seeds/*.txt",
    "gold/*.json",
]


class BuildWithBundle(build_py):
    def run(self) -> None:
        super().run()
        target = Path(self.build_lib) / "abstraction" / "bundled"
        for pattern in BUNDLED:
            for src in sorted(ROOT.glob(pattern)):
                dest = target / src.relative_to(ROOT)
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src, dest)


setup(cmdclass={"build_py": BuildWithBundle})
