"""Systems in the harness: ours and the one-call instructor peer, end to end.

Both run through ``abstraction eval --system`` against the stand-in model server
(tests/jobs/fault_server.py, no faults: the smallest valid answer to each request's schema), so
the figures are not a model's; what is tested is that each system asks what it says it asks,
is scored and timed alike, and is listed in the one report.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Annotated

import pytest
from typer.testing import CliRunner

from abstraction.cli.main import app
from abstraction.core.errors import UserError
from abstraction.core.prompts import PassSpec, load_prompt
from abstraction.core.schema import Diagnosis, Strict
from abstraction.core.scoring import Score
from abstraction.evaluation.systems import _one_pass, choose_system, one_call_prompt, parse_system
from abstraction.extraction.extractor import build_messages
from abstraction.extraction.passes import llm_schema
from tests.jobs.conftest import RunningServer

ROOT = Path(__file__).resolve().parents[2]
DOCS = ("case05_takotsubo_echo", "case07_kawasaki_child")


def _suite(tmp_path: Path) -> Path:
    docs = ", ".join(f'"{(ROOT / "seeds" / f"{d}.txt").as_posix()}"' for d in DOCS)
    suite = tmp_path / "tiny.toml"
    suite.write_text(
        f'documents = [{docs}]\ngold = "{(ROOT / "gold").as_posix()}"\n', encoding="utf-8"
    )
    return suite


def test_ours_and_instructor_run_end_to_end_and_share_one_report(
    stand_in: RunningServer, tmp_path: Path
) -> None:
    args = ["eval", str(_suite(tmp_path)), "--prompts-dir", str(ROOT / "prompts")]
    args += ["--system", "ours:v18", "--system", "instructor", "--report", str(tmp_path / "r")]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    assert "Systems: what each was given" in res.output

    report = json.loads((tmp_path / "r" / "report.json").read_text())
    versions = {v["prompt_version"]: v for v in report["versions"]}
    assert list(versions) == ["v18", "instructor-v18"]
    ours, peer = versions["v18"], versions["instructor-v18"]
    for v in (ours, peer):
        assert v["documents"] == len(DOCS) and v["failures"] == 0
        assert v["wall_seconds_per_document"] > 0
        assert v["leaks"] == {}
    assert ours["system"]["system"] == "ours" and ours["system"]["examples"] >= 0
    assert peer["system"]["system"] == "instructor" and peer["system"]["examples"] == 0
    assert peer["system"]["max_retries"] == ours["system"]["max_retries"]
    # v18 has two passes: two calls per document for ours, one for instructor
    assert stand_in.stats()["ok"] == 3 * len(DOCS)
    assert (tmp_path / "r" / "extractions" / "instructor-v18" / f"{DOCS[0]}.json").is_file()
    md = (tmp_path / "r" / "report.md").read_text()
    assert "## Systems" in md and "instructor-v18" in md


def test_the_instructor_peer_is_given_our_text_and_kinds_in_one_call() -> None:
    v18 = load_prompt("v18", ROOT / "prompts")
    one = one_call_prompt(v18)
    (spec,) = one.passes
    assert one.system == v18.system and one.settings == v18.settings
    assert spec.lists == tuple(k for p in v18.passes for k in p.lists)
    assert spec.examples == ()
    # Ours re-asks a cut-off pass with bounded lists; so does the one call (issue 15: the
    # same retry policy), never more tightly bounded than any of our passes.
    assert spec.truncated_max_items == max(p.truncated_max_items or 0 for p in v18.passes)
    user = build_messages("TEXT", one, spec)[-1]["content"]
    for p in v18.passes:
        assert p.instructions.strip() in user
    assert "Worked example" not in user
    assert one.sha256 and one.sha256 != v18.sha256


def test_system_names() -> None:
    assert parse_system("v18") == ("ours", "v18")
    assert parse_system("ours:v14") == ("ours", "v14")
    assert parse_system("instructor") == ("instructor", None)
    assert parse_system("instructor:v11") == ("instructor", "v11")
    with pytest.raises(UserError):
        parse_system("nosuch:v1")
    with pytest.raises(UserError, match="mixes"):  # v13: a sections and a mentions pass
        choose_system("instructor:v13", ROOT / "prompts")


@pytest.mark.skipif(
    importlib.util.find_spec("langextract") is None,
    reason="needs the 'peers' extra (pip install '.[peers]')",
)
def test_langextract_runs_end_to_end_in_the_same_report(
    stand_in: RunningServer, tmp_path: Path
) -> None:
    args = ["eval", str(_suite(tmp_path)), "--prompts-dir", str(ROOT / "prompts")]
    args += ["--system", "instructor", "--system", "langextract", "--report", str(tmp_path / "r")]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    versions = {v["prompt_version"]: v for v in report["versions"]}
    assert list(versions) == ["instructor-v18", "langextract-v18"]
    lx, peer = versions["langextract-v18"], versions["instructor-v18"]
    assert lx["documents"] == len(DOCS) and lx["failures"] == 0
    assert lx["system"]["system"] == "langextract" and lx["system"]["examples"] == 0
    assert lx["system"]["kinds"] == peer["system"]["kinds"]
    assert lx["system"]["max_retries"] == peer["system"]["max_retries"]
    assert lx["wall_seconds_per_document"] > 0
    ext = json.loads(
        (tmp_path / "r" / "extractions" / "langextract-v18" / f"{DOCS[0]}.json").read_text()
    )
    assert ext["provenance"]["settings"]["langextract"]["max_char_buffer"] == 1000
    # one call per LangExtract chunk of about 1,000 characters
    chars = len((ROOT / "seeds" / f"{DOCS[0]}.txt").read_text(encoding="utf-8"))
    assert ext["provenance"]["usage"]["calls"] >= chars // 1000


def test_langextract_without_the_extra_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "langextract" else real(name)
    )
    with pytest.raises(UserError, match="peers"):
        choose_system("langextract", ROOT / "prompts")


def test_the_instructor_peer_answers_with_the_passes_budget_summed() -> None:
    """One call answers what seven passes answered: v20's 700-token default would cut most
    whole-case answers off (12 of 20 MACCROBAT documents), so its limit is the passes' sum."""
    prompt = load_prompt("v20", ROOT / "prompts")
    from abstraction.evaluation.systems import InstructorSystem

    system = InstructorSystem(prompt, client=None)  # type: ignore[arg-type]
    (spec,) = system.prompt.passes
    assert spec.max_tokens == sum(p.max_tokens or prompt.settings.max_tokens for p in prompt.passes)
    assert spec.max_tokens == 4800


def test_the_one_call_keeps_what_each_pass_leaves_out_requires_and_bounds() -> None:
    """v28's treatments pass leaves donor type, graft source, intent, duration and time to the
    rules (`omit`) and its source pass requires the header fields (`fill`): the folded call
    asks the same, with lists bounded at the loosest of the passes' bounds (12, not the
    diagnoses pass's 6 and not unbounded)."""
    v28 = load_prompt("v28", ROOT / "prompts")
    (spec,) = one_call_prompt(v28).passes
    by_name = {p.name: p for p in v28.passes}
    assert spec.omit == by_name["treatments"].omit
    assert spec.fill == by_name["source"].fill
    assert spec.max_items == 12 and spec.truncated_max_items == 6
    schema = json.dumps(llm_schema(spec, evidence_first=False, quotes="text"))
    assert "donor_type" not in schema and '"maxItems": 12' in schema


def test_the_one_call_asks_a_field_that_another_pass_on_its_section_asks() -> None:
    """Left by the last audit: the fold united `omit`, so a field one pass leaves out and
    another pass on the same section asks for was not asked at all.  Now a field is left out
    only when every pass on its section leaves it out."""
    v28 = load_prompt("v28", ROOT / "prompts")
    treatments = next(p for p in v28.passes if p.name == "treatments")
    second = treatments.model_copy(update={"name": "course", "omit": ("treatments.time",)})
    prompt = v28.model_copy(update={"passes": (*v28.passes, second)})
    (spec,) = one_call_prompt(prompt).passes
    assert "treatments.donor_type" in treatments.omit  # left out by one pass, asked by the other
    assert spec.omit == ("treatments.time",)  # left out by both
    assert one_call_prompt(v28).passes[0].omit == treatments.omit  # one pass: as before


class SharedDiagnoses(Strict):
    """A custom schema whose two sections share one model (the audit's reproducer)."""

    diagnoses: Annotated[list[Diagnosis], Score.records("name")]
    ruled_out: Annotated[list[Diagnosis], Score.records("name")]


def test_the_one_call_never_leaves_out_a_field_of_a_model_two_sections_share() -> None:
    """Found by an audit: folding a pass that leaves out `diagnoses.details` with one on
    `ruled_out` (the same `Diagnosis` model) took `details` from both sections' schema, and
    a fold where both left it out raised KeyError.  The one call asks the field."""
    ref = "tests.evaluation.test_systems:SharedDiagnoses"
    a = PassSpec(
        name="a",
        sections=("diagnoses",),
        omit=("diagnoses.details",),
        instructions="A",
        schema_ref=ref,
    )
    b = PassSpec(name="b", sections=("ruled_out",), instructions="B", schema_ref=ref)
    b2 = b.model_copy(update={"omit": ("ruled_out.details",)})
    for second in (b, b2):
        folded = _one_pass((a, second))
        assert folded.omit == ()
        assert "details" in json.dumps(llm_schema(folded, evidence_first=False, quotes="text"))


def test_an_eval_whose_every_document_failed_says_why_and_exits_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Twelfth session's audit: every extraction failed (HTTP 500), and eval printed a table
    of zeros, no reason, and exit 0."""
    from tests.jobs.conftest import start_server

    server = start_server("--fault", "server_error=1.0")
    try:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "stand-in")
        monkeypatch.setenv("ABSTRACTION_MODEL", "fault-model")
        args = ["eval", str(_suite(tmp_path)), "--prompts-dir", str(ROOT / "prompts")]
        res = CliRunner().invoke(app, [*args, "-p", "v1"])
    finally:
        server.proc.terminate()
        server.proc.wait(timeout=5)
    said = " ".join(res.output.split())
    assert res.exit_code == 1, res.output
    assert f"v1: {len(DOCS)} of {len(DOCS)} documents failed" in said
    assert "every document failed for v1" in said
