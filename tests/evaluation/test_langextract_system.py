"""The LangExtract system: its mapping rules, and one recorded run on the embedded model replayed.

The recording (tests/evaluation/data/langextract/recordings) was made by one live run of

    nice -n 19 abstraction eval tests/evaluation/data/langextract/one.toml --system langextract \\
        --record --report out/lx-one

on the smallest smoke-suite document (a fictional case, committed).  The replay test checks the
mapped record against what the recorded answers say, not against expectations of quality.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from abstraction.cli.main import app
from abstraction.core.schema import (
    CaseReport,
    Evidence,
    Finding,
    empty_case_report,
    iter_evidence,
)

pytest.importorskip("langextract")

from abstraction.client.langextract_peer import Found, envelope_model, envelope_schema
from abstraction.evaluation.langextract_system import mentions_of, place_evidence

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "evaluation" / "data" / "langextract"
DOC = ROOT / "seeds" / "case05_takotsubo_echo.txt"
KINDS = ("age", "sex", "main_diagnosis", "signs_symptoms", "medications")


def test_the_envelope_schema_and_model_accept_the_same_answers() -> None:
    schema = envelope_schema(KINDS)
    items = schema["properties"]["extractions"]["items"]["anyOf"]
    assert [next(iter(i["properties"])) for i in items] == list(KINDS)
    model = envelope_model(KINDS)
    model.model_validate({"extractions": [{"age": "54-year-old"}, {"medications": "aspirin"}]})
    with pytest.raises(ValueError):
        model.model_validate({"extractions": [{"tests": "ECG"}]})  # not a kind it was given
    with pytest.raises(ValueError):
        model.model_validate({"extractions": [{"age": "54", "sex": "woman"}]})  # two in one


def test_mentions_keep_langextract_order_and_one_of_each_single_kind() -> None:
    found = [
        Found("main_diagnosis", "takotsubo", 0, 9, "match_exact"),
        Found("main_diagnosis", "heart failure", 10, 23, "match_exact"),
        Found("sex", "woman", 24, 29, "match_exact"),
        Found("sex", "female", 30, 36, "match_exact"),
        Found("signs_symptoms", "chest pain", 37, 47, "match_exact"),
        Found("signs_symptoms", "dyspnoea", 48, 56, "match_exact"),
        Found("tests", "ECG", 57, 60, "match_exact"),
    ]
    mentions, dropped = mentions_of(found, KINDS)
    assert mentions.main_diagnosis == "takotsubo"
    assert mentions.other_diagnoses == ["heart failure"]
    assert mentions.sex == "woman"
    assert mentions.signs_symptoms == ["chest pain", "dyspnoea"]
    assert {(d.path, d.note) for d in dropped} == {
        ("sex", "a second one"),
        ("tests", "not a kind it was given"),
    }


def test_evidence_comes_from_langextract_intervals() -> None:
    text = "She had Chest Pain and a mild fever; no cough. A 71-year-old woman."
    record = empty_case_report()
    record.findings = [
        Finding(name=n, assertion="present", body_site=None, evidence=Evidence(quote=n))
        for n in ("Chest Pain", "fever", "cough", "rash", "71-year")
    ]
    found = [
        Found("signs_symptoms", "Chest Pain", 8, 18, "match_exact"),
        Found("signs_symptoms", "mild fevers", 25, 35, "match_fuzzy"),
        Found("signs_symptoms", "cough", None, None, None),  # LangExtract could not align it
        Found("age", "71", 49, 51, "match_exact"),  # a rule completed it to "71-year"
    ]
    summary = place_evidence(record, found, text)
    ev = {f.name: f.evidence for f in record.findings}
    assert (ev["71-year"].start, ev["71-year"].end, ev["71-year"].status) == (49, 56, "fuzzy")
    assert (ev["Chest Pain"].start, ev["Chest Pain"].end, ev["Chest Pain"].status) == (
        8,
        18,
        "exact",
    )
    assert text[ev["fever"].start : ev["fever"].end] == "fever"
    assert ev["fever"].status == "fuzzy"  # inside a fuzzy alignment
    assert ev["cough"].status == ev["rash"].status == "unsupported"
    assert (summary.facts, summary.exact, summary.fuzzy, summary.unsupported) == (5, 1, 2, 2)


def _recorded() -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in sorted((DATA / "recordings").rglob("*.json"))]


def _answers(entries: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(kind, phrase) of every recorded answer, in the order LangExtract sent the chunks."""
    out = []
    for e in entries:
        content = e["response"]["body"]["choices"][0]["message"]["content"]
        for item in json.loads(content)["extractions"]:
            ((kind, phrase),) = item.items()
            out.append((kind, phrase))
    return out


def test_the_recorded_run_replays_offline_into_a_mapped_record(tmp_path: Path) -> None:
    out = tmp_path / "r"
    args = ["eval", str(DATA / "one.toml"), "--system", "langextract", "--replay"]
    args += ["--prompts-dir", str(ROOT / "prompts"), "--report", str(out)]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    report = json.loads((out / "report.json").read_text())
    (version,) = report["versions"]
    assert version["prompt_version"] == "langextract-v18"
    ext = json.loads((out / "extractions" / "langextract-v18" / f"{DOC.stem}.json").read_text())
    assert ext["status"] == "ok", ext["error"]

    entries = _recorded()
    # every recorded exchange was asked for exactly once: one per LangExtract chunk
    assert ext["provenance"]["usage"]["calls"] == len(entries)
    bodies = [e["request"]["body"] for e in entries]
    assert all(b["messages"][0]["content"].startswith("You abstract") for b in bodies)
    assert all("grammar" in b for b in bodies)  # the embedded model's GBNF mode
    assert len(DOC.read_text(encoding="utf-8")) // 1000 <= len(entries)

    # the record's names are the recorded phrases (after the prompt's split rules), and every
    # located quote is the document's own words at LangExtract's offsets
    text = DOC.read_text(encoding="utf-8")
    phrases = [p.casefold() for _, p in _answers(entries)]
    record = ext["record"]
    names = [d["name"] for d in record["diagnoses"]] + [f["name"] for f in record["findings"]]
    names += [t["name"] for t in record["treatments"]]
    names += [a["method"] for a in record["assessments"]]
    assert names, "the recorded answers named nothing"
    for name in names:
        assert any(name.casefold() in p for p in phrases), name
    located = 0
    for _, ev in iter_evidence(CaseReport.model_validate(record)):
        if ev.start is not None:
            located += 1
            assert text[ev.start : ev.end] == ev.quote
            assert ev.note and ev.note.startswith("langextract: match_")
    g = ext["grounding"]
    assert located == g["exact"] + g["fuzzy"] > 0
    kept_out = [d for d in ext["dropped"] if d.get("note") and "langextract" in d["note"]]
    assert g["unsupported"] == len(kept_out)  # unsupported = "drop": out of the record


def test_a_chunk_cut_off_at_max_tokens_is_asked_again_with_a_bounded_list() -> None:
    """The retry policy ours has (issue 15): a chunk's answer cut off at max_tokens is asked
    once more with the envelope's list bounded (maxItems), and both attempts are counted."""
    from abstraction.client.langextract_peer import run_langextract
    from abstraction.client.openai_client import ChatResult
    from abstraction.core.errors import ModelError
    from abstraction.core.prompts import PromptSettings
    from abstraction.core.records import Usage

    class Client:
        def __init__(self) -> None:
            self.schemas: list[dict[str, Any]] = []

        def complete(self, **request: Any) -> ChatResult:
            self.schemas.append(request["json_schema"])
            if len(self.schemas) == 1:
                spent = {"prompt_tokens": 50, "completion_tokens": 700, "total_tokens": 750}
                raise ModelError("cut off", kind="truncated", usage={**spent, "calls": 1})
            raw = json.dumps({"extractions": [{"signs_symptoms": "chest pain"}]})
            value = request["response_model"].model_validate_json(raw)
            usage = Usage(prompt_tokens=50, completion_tokens=12, total_tokens=62, calls=1)
            return ChatResult(value=value, raw_text=raw, usage=usage, attempts=1, seconds=0.5)

    text = "A 54-year-old woman had chest pain after an argument."
    client = Client()
    answer = run_langextract(
        text, client=client, system="s", description="List.", kinds=KINDS,
        settings=PromptSettings(), bounded_items=7,
    )  # fmt: skip
    first, second = (s["properties"]["extractions"] for s in client.schemas)
    assert "maxItems" not in first and second["maxItems"] == 7
    assert [f.text for f in answer.found] == ["chest pain"]
    assert answer.usage.calls == 2 and answer.usage.completion_tokens == 712

    unbounded = Client()
    with pytest.raises(ModelError, match="cut off") as failed:
        run_langextract(
            text, client=unbounded, system="s", description="List.", kinds=KINDS,
            settings=PromptSettings(),
        )  # fmt: skip
    assert failed.value.usage["completion_tokens"] == 700 and failed.value.attempts == 1

    class TwiceCutOff(Client):
        def complete(self, **request: Any) -> ChatResult:
            self.schemas.append(request["json_schema"])
            spent = {"prompt_tokens": 50, "completion_tokens": 700, "total_tokens": 750}
            raise ModelError("cut off", kind="truncated", usage={**spent, "calls": 1})

    with pytest.raises(ModelError, match="cut off") as failed:
        run_langextract(
            text, client=TwiceCutOff(), system="s", description="List.", kinds=KINDS,
            settings=PromptSettings(), bounded_items=7,
        )  # fmt: skip
    # both cut-off answers are counted, not only the last
    assert failed.value.usage["completion_tokens"] == 1400 and failed.value.attempts == 2
