"""The README's two commands are the ones CI runs, word for word."""

import re


def _readme_command(readme: str, marker: str) -> str:
    m = re.search(rf"<!-- {marker} -->\s*```bash\n(.+?)\n```", readme, re.S)
    assert m, f"README has no {marker} block"
    return m.group(1).strip()


def _ci_command(ci: str, marker: str) -> str:
    m = re.search(rf"# --8<-- {marker}.*?\n(.+?)\n# --8<--", ci, re.S)
    assert m, f".ci/run has no {marker} block"
    return m.group(1).strip()


def test_ci_runs_the_readme_commands_as_written(root):
    readme = (root / "README.md").read_text("utf-8")
    ci = (root / ".ci" / "run").read_text("utf-8")
    for marker in ("test-command", "main-command"):
        assert _readme_command(readme, marker) == _ci_command(ci, marker), marker
