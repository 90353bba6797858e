"""The README's Python API example runs as written, against a stand-in model server.

The stand-in (tests/jobs/fault_server.py, no faults) answers every request with the smallest
valid instance of the schema it asks for, so the figures are not a model's; what is tested is
that the documented calls work, return what the README says, and take the commands' path.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import abstraction
from abstraction.core.errors import UserError
from abstraction.core.records import Extraction, GoldRecord
from abstraction.evaluation.compare import EvalReport
from tests.jobs.conftest import RunningServer

ROOT = Path(__file__).resolve().parents[1]


def readme_example() -> str:
    readme = (ROOT / "README.md").read_text("utf-8")
    m = re.search(r"<!-- python-api -->\s*```python\n(.+?)\n```", readme, re.S)
    assert m, "README has no python-api block"
    return m.group(1)


def test_the_readme_example_runs(
    stand_in: RunningServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(ROOT)
    scope: dict[str, object] = {}
    exec(compile(readme_example(), "README.md", "exec"), scope)
    assert isinstance(scope["extraction"], Extraction)
    assert scope["extraction"].status == "ok"  # type: ignore[attr-defined]
    assert isinstance(scope["gold"], GoldRecord)
    assert isinstance(scope["report"], EvalReport)
    assert stand_in.stats()["ok"] > 0
    assert capsys.readouterr().out.startswith("ok v18")


def test_extract_takes_text_or_a_path(stand_in: RunningServer) -> None:
    text = (ROOT / "seeds" / "case05_takotsubo_echo.txt").read_text("utf-8")
    from_text = abstraction.extract(text, prompt="v1", prompts_dir=ROOT / "prompts")
    from_path = abstraction.extract(
        ROOT / "seeds" / "case05_takotsubo_echo.txt", prompt="v1", prompts_dir=ROOT / "prompts"
    )
    assert from_text.document.id == "text"
    assert from_path.document.id == "case05_takotsubo_echo"
    assert from_text.document.sha256 == from_path.document.sha256
    with pytest.raises(UserError):
        abstraction.extract(ROOT / "no-such-file.txt")


def test_load_gold_reads_a_file_or_a_folder() -> None:
    one = abstraction.load_gold(ROOT / "gold" / "case05_takotsubo_echo.json")
    every = abstraction.load_gold(ROOT / "gold")
    assert isinstance(one, GoldRecord) and isinstance(every, dict)
    assert every["case05_takotsubo_echo"] == one
