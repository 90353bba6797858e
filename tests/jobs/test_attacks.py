"""Issue 17: attacks and faults against the job runner, the recordings and the run store.

Each test reproduces one failure of the audit (its number in the name) and states what must
hold instead: a bad input, a crash, a full disk or a local user never stops a job, loses work
or reads what it should not.
"""

from __future__ import annotations

import asyncio
import errno
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from abstraction.client.config import ModelConfig
from abstraction.client.recording import RecordingTransport
from abstraction.core.errors import ConfigError
from abstraction.core.prompts import load_prompt
from abstraction.core.records import Extraction
from abstraction.extraction import output as output_module
from abstraction.jobs.job import Extractor
from abstraction.jobs.prices import Price, PriceTable
from abstraction.jobs.runner import JobOptions, JobSummary, arun_documents, arun_job
from abstraction.jobs.store import RunStore
from abstraction.jobs.transport import CallMeter, RetryPolicy

from .attack_inputs import decompression_bomb_pdf, nested_jats, unsupported_filter_pdf
from .conftest import ROOT, fictional_case, wait_for, write_jsonl
from .stand_in import IDENTITY, offline_extractor

PRICES = PriceTable({"fault-model": Price(input=1.0, output=2.0)}, source="test")
FAST_RETRY = RetryPolicy(max_attempts=2, backoff_base=0.01, backoff_max=0.02)
PROMPT = load_prompt("v1", ROOT / "prompts")


def job(
    inputs: list[Path],
    out: Path,
    *,
    concurrency: int = 2,
    extract: Extractor | None = None,
    options: JobOptions | None = None,
) -> JobSummary:
    """A job with the offline stand-in extractor and a run store beside `out`."""

    async def go() -> JobSummary:
        with RunStore(out.parent / f"{out.name}.runs.db") as store:
            return await arun_documents(
                [str(i) for i in inputs],
                extract=extract or offline_extractor(),
                identity=IDENTITY,
                out_dir=out,
                store=store,
                concurrency=concurrency,
                options=options or JobOptions(prices=PRICES, retry=FAST_RETRY),
            )

    return asyncio.run(go())


def cases(folder: Path, n: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (folder / f"case{i}.txt").write_text(fictional_case(i), encoding="utf-8")
    return folder


def outputs(out: Path) -> dict[str, Extraction]:
    return {p.stem: Extraction.model_validate_json(p.read_bytes()) for p in out.glob("*.json")}


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``abstraction ARGS`` in a child process, as a user runs it (no debug re-raising)."""
    base = {
        k: v for k, v in os.environ.items() if k not in ("ABSTRACTION_DEBUG", "ABSTRACTION_RUNS_DB")
    }
    return subprocess.run(
        [sys.executable, "-m", "abstraction", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**base, "PYTHONPATH": str(ROOT), "COLUMNS": "200", **(env or {})},
    )


# -- 1. one bad input never stops the job ----------------------------------------------------


def test_1_deeply_nested_jats_fails_alone_and_resume_goes_past_it(tmp_path: Path) -> None:
    src = cases(tmp_path / "in", 6)
    (src / "deep.xml").write_bytes(nested_jats(5000))
    out = tmp_path / "out"
    summary = job([src], out, concurrency=3)
    by_id = {o.id: o for o in summary.outcomes}
    assert len(by_id) == 7 and by_id["deep"].status == "failed"
    assert by_id["deep"].error_kind == "input:xml" and "nested" in (by_id["deep"].error or "")
    assert all(by_id[f"case{i}"].status == "ok" for i in range(6))
    again = job([src], out, concurrency=3)
    assert (again.count("cached"), again.count("failed")) == (6, 1)


def test_1_pdf_library_errors_are_per_document_failures(tmp_path: Path) -> None:
    src = cases(tmp_path / "in", 4)
    (src / "filter.pdf").write_bytes(unsupported_filter_pdf())  # NotImplementedError
    (src / "bomb.pdf").write_bytes(decompression_bomb_pdf())  # LimitReachedError
    summary = job([src], tmp_path / "out", concurrency=2)
    by_id = {o.id: o for o in summary.outcomes}
    assert len(by_id) == 6
    for bad in ("filter", "bomb"):
        assert (by_id[bad].status, by_id[bad].error_kind) == ("failed", "input:pdf"), by_id[bad]
    assert summary.count("ok") == 4


def test_1_an_overlong_jsonl_id_gets_a_short_distinct_file_name(tmp_path: Path) -> None:
    long_a, long_b = "a" * 300, "a" * 299 + "b"
    rows = [{"id": long_a, "text": fictional_case(1)}, {"id": long_b, "text": fictional_case(2)}]
    rows += [{"id": f"d{i}", "text": fictional_case(10 + i)} for i in range(4)]
    out = tmp_path / "out"
    summary = job([write_jsonl(tmp_path / "docs.jsonl", rows)], out, concurrency=3)
    assert summary.count("ok") == 6, [(o.id, o.error) for o in summary.failures]
    names = [p.name for p in out.glob("*.json")]
    assert len(names) == 6 and all(len(n.encode()) <= 255 for n in names)
    long_ids = {o.id for o in summary.outcomes if o.id.startswith("aaa")}
    assert len(long_ids) == 2, "two long ids that share a prefix stay two documents"


def test_1_any_crash_while_loading_is_that_documents_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from abstraction.jobs import job as job_module

    real_load = job_module.load

    def load(source: Any, **kw: Any) -> Any:
        if source.id == "case3":
            raise MemoryError("simulated: the parser ran out of memory")
        return real_load(source, **kw)

    monkeypatch.setattr(job_module, "load", load)
    calls: list[str] = []
    summary = job([cases(tmp_path / "in", 8)], tmp_path / "out", extract=offline_extractor(calls))
    by_id = {o.id: o for o in summary.outcomes}
    assert by_id["case3"].status == "failed" and "MemoryError" in (by_id["case3"].error or "")
    assert summary.count("ok") == 7 and len(calls) == 7, "every paid call has its output"
    assert set(outputs(tmp_path / "out")) >= {f"case{i}" for i in range(8) if i != 3}


# -- 2. siblings with the same stem ---------------------------------------------------------


def _siblings(folder: Path) -> Path:
    cases(folder, 6)
    (folder / "note1.txt").write_text(fictional_case(99), encoding="utf-8")
    (folder / "note1.txt~").write_text("editor backup", encoding="utf-8")
    (folder / "note1.xlsx").write_bytes(b"PK\x03\x04 not a spreadsheet")
    (folder / "note1.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    return folder


@pytest.mark.parametrize("concurrency", [1, 2, 4])
def test_2_same_stem_siblings_never_break_the_job_or_overwrite(
    tmp_path: Path, concurrency: int
) -> None:
    out = tmp_path / "out"
    summary = job([_siblings(tmp_path / "in")], out, concurrency=concurrency)
    assert len(summary.outcomes) == 10
    assert summary.count("ok") == 7 and summary.count("failed") == 3
    files = outputs(out)
    assert files["note1"].status == "ok", "the good note1.txt keeps note1.json"
    assert "99" in files["note1"].document.path or files["note1"].document.path.endswith(
        "note1.txt"
    )
    written = [o.output for o in summary.outcomes if o.output]
    assert len(written) == len(set(written)), "no two inputs write the same file"
    assert len(files) == len(written)


def test_2_call_meters_are_told_apart_by_identity() -> None:
    a, b = CallMeter("note1"), CallMeter("note1")
    inflight = [a, b]
    inflight.remove(b)
    assert inflight[0] is a


# -- 5. recordings hold only successful answers -----------------------------------------------


def _limited(calls: list[int]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(429, json={"error": {"message": "rate limited"}})

    return httpx.MockTransport(handler)


def test_5_record_mode_never_stores_or_replays_a_failure(tmp_path: Path) -> None:
    calls: list[int] = []
    body = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
    for _ in range(2):
        client = httpx.Client(
            transport=RecordingTransport(tmp_path, mode="record", inner=_limited(calls))
        )
        assert client.post("http://h/v1/chat/completions", json=body).status_code == 429
    assert calls == [1, 1], "the second run asked the model again"
    assert not list(tmp_path.rglob("*.json")), "no failure was recorded"


def test_5_a_failure_recorded_by_an_old_version_is_not_replayed(tmp_path: Path) -> None:
    calls: list[int] = []
    body = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
    rec = RecordingTransport(tmp_path, mode="record", inner=_limited(calls))
    request = httpx.Request("POST", "http://h/v1/chat/completions", json=body)
    key = rec._key(request)
    rec.store.save(
        key,
        {
            "request": {},
            "response": {"status": 429, "body": {}, "content_type": "application/json"},
        },
    )
    httpx.Client(transport=rec).post("http://h/v1/chat/completions", json=body)
    assert calls == [1]


# -- 6, 7, 14: the CLI ends with a summary or a clear error, never a traceback ----------------


def test_6_a_single_rejected_input_ends_with_the_summary(tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_bytes(b"")
    model = ["--model", "fault-model", "--base-url", "http://127.0.0.1:9/v1", "--api-key", "t"]
    done = cli("extract", str(tmp_path / "empty.txt"), "--out", str(tmp_path / "out"), *model)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr and "failed" in done.stdout
    assert "empty document" in done.stdout


def test_7_an_unwritable_out_is_refused_before_any_model_call(
    tmp_path: Path, fault_server_factory: Any
) -> None:
    server = fault_server_factory()
    (tmp_path / "a.txt").write_text(fictional_case(1), encoding="utf-8")
    (tmp_path / "file").write_text("a file, not a folder", encoding="utf-8")
    model = ["--model", "fault-model", "--base-url", server.base_url, "--api-key", "t"]
    store = tmp_path / "runs.db"
    done = cli(
        "extract", str(tmp_path / "a.txt"), "--out", str(tmp_path / "file" / "out"),
        "--store", str(store), *model,
    )  # fmt: skip
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr and "--out" in done.stderr
    assert server.stats().get("requests", 0) == 0
    if store.exists():
        rows = sqlite3.connect(store).execute("select status from runs").fetchall()
        assert ("running",) not in rows


class _FullDisk:
    """Stands in for the `os` module of abstraction.extraction.output: fsync fails ENOSPC."""

    def __getattr__(self, name: str) -> Any:
        return getattr(os, name)

    @staticmethod
    def fsync(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_7_a_full_disk_stops_the_job_with_a_clear_reason_and_a_failed_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import gc

    caplog.set_level("ERROR", logger="asyncio")
    monkeypatch.setattr(output_module, "os", _FullDisk())
    calls: list[str] = []
    out = tmp_path / "out"
    summary = job(
        [cases(tmp_path / "in", 12)], out, concurrency=1, extract=offline_extractor(calls)
    )
    gc.collect()
    assert summary.stopped == "failed"
    assert summary.error and "No space left" in summary.error and str(out) in summary.error
    assert len(calls) <= 2, "no more model calls once the disk is known to be full"
    # twelfth session's audit: the write's error was left unread in an asyncio future,
    # which printed "Future exception was never retrieved" and a traceback
    assert not [r for r in caplog.records if "never retrieved" in r.getMessage()]
    assert summary.count("ok") == 0
    assert summary.count("failed") + summary.count("skipped") == 12
    db = sqlite3.connect(tmp_path / "out.runs.db")
    [(status, note)] = db.execute("select status, note from runs").fetchall()
    assert status == "failed" and "No space left" in note


# -- 8. a full disk during re-extraction keeps the current output ------------------------------


def test_8_a_full_disk_during_reextraction_keeps_the_current_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src, out = cases(tmp_path / "in", 1), tmp_path / "out"
    job([src], out)
    before = (out / "case0.json").read_bytes()
    monkeypatch.setattr(output_module, "os", _FullDisk())
    options = JobOptions(prices=PRICES, use_cache=False)
    job([src], out, extract=offline_extractor(word="changed"), options=options)
    assert (out / "case0.json").read_bytes() == before, "the current output is still there"


# -- 9. symlink loops ----------------------------------------------------------------------


def test_9_symlink_loops_under_a_double_star_glob_are_not_followed(tmp_path: Path) -> None:
    src = cases(tmp_path / "in", 2)
    (src / "loop1").symlink_to(src, target_is_directory=True)
    (src / "loop2").symlink_to(src, target_is_directory=True)
    code = (
        "import sys; from abstraction.jobs.inputs import discover; "
        "print(sorted(s.id for s in discover([sys.argv[1]])))"
    )
    try:
        done = subprocess.run(
            [sys.executable, "-c", code, f"{src}/**/*.txt"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=20,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("discovery followed the symlink loops for 20 s")
    assert done.stdout.strip() == "['case0', 'case1']", done.stderr


# -- 10. the run store: under --out, no document text unless asked ---------------------------


def _real_job(
    inputs: list[Path], out: Path, base_url: str, options: JobOptions, store: Path | None = None
) -> JobSummary:
    config = ModelConfig(model="fault-model", base_url=base_url, api_key="sk-test", timeout=5)
    return asyncio.run(
        arun_job(
            [str(i) for i in inputs],
            out_dir=out,
            prompt=PROMPT,
            model_config=config,
            concurrency=2,
            store_path=store,
            options=options,
        )
    )


def _dump(db_path: Path) -> str:
    db = sqlite3.connect(db_path)
    try:
        return "\n".join(db.iterdump())
    finally:
        db.close()


def test_10_the_run_store_lives_under_out_and_holds_no_text_unless_asked(
    tmp_path: Path, fault_server_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ABSTRACTION_RUNS_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    server = fault_server_factory()
    secret = "Zyxwvutsrq private history of the patient"
    doc = tmp_path / "a.txt"
    doc.write_text(fictional_case(3) + " " + secret, encoding="utf-8")
    out = tmp_path / "out"
    summary = _real_job([doc], out, server.base_url, JobOptions(prices=PRICES, retry=FAST_RETRY))
    assert summary.count("ok") == 1 and summary.store_path == out / "runs.db"
    assert not (tmp_path / "xdg").exists() and not (tmp_path / "home").exists()
    assert "Zyxwvutsrq" not in _dump(out / "runs.db")
    logged = JobOptions(prices=PRICES, retry=FAST_RETRY, log_bodies=True, use_cache=False)
    _real_job([doc], tmp_path / "out2", server.base_url, logged)
    assert "Zyxwvutsrq" in _dump(tmp_path / "out2" / "runs.db"), "stored when asked"


def test_10_extract_help_describes_the_store_and_the_flag() -> None:
    done = cli("extract", "--help")
    text = " ".join(done.stdout.split())
    assert "--log-bodies" in text
    assert "--out" in text and "runs.db" in text


# -- 11. a killed run keeps its log ---------------------------------------------------------


def _child(inputs: Path, out: Path, endpoint: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.jobs.job_child", str(inputs), str(out), endpoint, "4"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def _recorded(out: Path) -> set[str]:
    db = sqlite3.connect(out / "runs.db")
    try:
        return {r[0] for r in db.execute("select doc_id from documents")}
    finally:
        db.close()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["term", "kill9"])
def test_11_a_killed_run_keeps_the_log_of_what_it_wrote(
    tmp_path: Path, fault_server_factory: Any, sig: signal.Signals
) -> None:
    server = fault_server_factory("--latency", "0.05")
    rows = [{"id": f"d{i:03d}", "text": fictional_case(i)} for i in range(98)]
    inputs = write_jsonl(tmp_path / "docs.jsonl", rows)
    out = tmp_path / "out"
    child = _child(inputs, out, server.base_url)
    assert wait_for(lambda: len(list(out.glob("d*.json"))) >= 20, timeout=60), child.stderr
    child.send_signal(sig)
    child.communicate(timeout=30)
    written = {p.stem for p in out.glob("d*.json")}
    missing = written - _recorded(out)
    if sig == signal.SIGTERM:
        assert not missing, f"{len(missing)} of {len(written)} written documents not recorded"
        status = sqlite3.connect(out / "runs.db").execute("select status from runs").fetchall()
        assert status == [("interrupted",)]
    else:  # at most the documents whose writes were under way when the kill came
        assert len(missing) <= 4, f"{len(missing)} of {len(written)} written not recorded"


# -- 12. credentials in --base-url -----------------------------------------------------------


def test_12_base_url_credentials_are_written_nowhere(
    tmp_path: Path, fault_server_factory: Any
) -> None:
    server = fault_server_factory()
    url = server.base_url.replace("http://", "http://alice:hunter2secret@")
    doc = tmp_path / "a.txt"
    doc.write_text(fictional_case(5), encoding="utf-8")
    (tmp_path / "empty.txt").write_bytes(b"")
    out = tmp_path / "out"
    options = JobOptions(prices=PRICES, retry=FAST_RETRY, log_bodies=True)
    summary = _real_job([doc, tmp_path / "empty.txt"], out, url, options)
    assert summary.count("ok") == 1
    written = "".join(p.read_text("utf-8") for p in out.glob("*.json"))
    assert "127.0.0.1" in written and "hunter2secret" not in written
    assert "alice" not in written
    assert "hunter2secret" not in _dump(out / "runs.db")


# -- 14. bad option values -----------------------------------------------------------------


def test_14_negative_retries_are_refused_before_the_job(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(fictional_case(1), encoding="utf-8")
    model = ["--model", "fault-model", "--base-url", "http://127.0.0.1:9/v1", "--api-key", "t"]
    for flag, value in (("--retries", "-1"), ("--max-cost", "-1"), ("--overlap", "-5")):
        done = cli("extract", str(tmp_path / "a.txt"), "--out", str(tmp_path / "o"), *model,
                   flag, value)  # fmt: skip
        assert done.returncode == 2, (flag, done.stdout, done.stderr)
        assert flag in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "o").exists()
    with pytest.raises(ConfigError, match="at least 1"):
        RetryPolicy(max_attempts=0)
