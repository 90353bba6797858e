"""The runner end to end: the real model client, against the loopback fault server."""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from abstraction.client.config import ModelConfig
from abstraction.core.prompts import load_prompt
from abstraction.core.records import Extraction
from abstraction.core.schema import iter_evidence
from abstraction.extraction.chunking import ChunkSettings
from abstraction.jobs.prices import Price, PriceTable
from abstraction.jobs.runner import JobOptions, JobSummary, ProgressUpdate, arun_documents, arun_job
from abstraction.jobs.store import RunStore
from abstraction.jobs.transport import JobTransport, RetryPolicy

from .conftest import ROOT, RunningServer, fictional_case, write_jsonl
from .stand_in import IDENTITY, make_extractor

FAST_RETRY = RetryPolicy(max_attempts=4, backoff_base=0.01, backoff_max=0.05)
PRICES = PriceTable({"fault-model": Price(input=1.0, output=2.0)}, source="test")
PROMPT = load_prompt("v1", ROOT / "prompts")


def run(
    inputs: list[Path],
    out: Path,
    server: RunningServer,
    *,
    concurrency: int = 8,
    max_cost: float | None = None,
    timeout: float = 0.5,
    options: JobOptions | None = None,
    cancel_after: int | None = None,
    lean: bool = False,
) -> JobSummary:
    """`arun_job` with the real model client pointed at the fault server; with `lean`, the
    stand-in extractor instead (the instructor-based client spends ~35 ms of CPU per call,
    which would make the 500-document test take minutes on two shared cores)."""
    options = options or JobOptions(retry=FAST_RETRY, prices=PRICES)

    async def go() -> JobSummary:
        progress: list[ProgressUpdate] = []
        if lean:
            transport = JobTransport(policy=options.retry)
            extract, http = make_extractor(server.base_url, transport, timeout=timeout)
            store = RunStore(out / "runs.db")
            job = arun_documents(
                inputs,
                extract=extract,
                identity=IDENTITY,
                out_dir=out,
                store=store,
                transport=transport,
                concurrency=concurrency,
                max_cost=max_cost,
                progress=progress.append,
                options=options,
            )
        else:
            config = ModelConfig(
                model="fault-model", base_url=server.base_url, api_key="test", timeout=timeout
            )
            job = arun_job(
                inputs,
                out_dir=out,
                prompt=PROMPT,
                model_config=config,
                concurrency=concurrency,
                max_cost=max_cost,
                store_path=out / "runs.db",
                progress=progress.append,
                options=options,
            )
        task = asyncio.create_task(job)
        try:
            if cancel_after is None:
                return await task
            while len(progress) < cancel_after and not task.done():
                await asyncio.sleep(0.01)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            return JobSummary("", out / "runs.db", out, total=0)
        finally:
            if lean:
                await http.aclose()
                store.close()

    return asyncio.run(go())


def outputs(out: Path) -> dict[str, Extraction]:
    return {p.stem: Extraction.model_validate_json(p.read_bytes()) for p in out.glob("*.json")}


def test_settled_stats_count_a_request_the_server_reads_after_its_client_gave_up(
    fault_server_factory,
) -> None:
    """The race behind a once-flaky count: an attempt whose client timed out before the server
    read it.  Here the request is still unsent when the counts are asked for; `stats()` misses
    it, `settled_stats()` waits for the connection to close and counts it."""
    server = fault_server_factory("--seed", "1")
    body = json.dumps({"model": "fault-model", "messages": [{"role": "user", "content": "x"}]})
    raw = (
        f"POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\n\r\n{body}"
    ).encode()
    sock = socket.create_connection(("127.0.0.1", server.port))
    time.sleep(0.2)  # the server has accepted the connection
    assert server.stats()["open_connections"] == 1
    assert server.stats().get("requests", 0) == 0

    def send_late() -> None:
        time.sleep(0.5)
        sock.sendall(raw)
        sock.close()  # the client gives up without reading the answer

    threading.Thread(target=send_late).start()
    settled = server.settled_stats()
    assert settled["open_connections"] == 0
    assert settled["requests"] == 1


def test_500_documents_with_20_percent_faults_none_lost_or_duplicated(
    tmp_path: Path, fault_server_factory
) -> None:
    server = fault_server_factory("--faults", "0.2", "--hang", "2", "--seed", "7")
    rows = [{"id": f"doc{i:03d}", "text": fictional_case(i)} for i in range(500)]
    rows[10]["text"] += " FAULT-ALWAYS-server_error"
    rows[20]["text"] += " FAULT-ALWAYS-malformed"
    rows[30]["text"] += " FAULT-ALWAYS-drop"
    inputs = write_jsonl(tmp_path / "docs.jsonl", rows)
    out = tmp_path / "out"

    summary = run([inputs], out, server, concurrency=32, lean=True)

    ids = [o.id for o in summary.outcomes]
    assert len(ids) == 500 and set(ids) == {r["id"] for r in rows}, "none lost, none duplicated"
    assert {o.status for o in summary.outcomes} <= {"ok", "failed"}
    failed = {o.id: o for o in summary.failures}
    assert all(o.error_kind and o.error for o in failed.values()), "every failure has a reason"
    assert failed["doc010"].error_kind == "http"
    assert failed["doc020"].error_kind == "invalid"
    assert failed["doc030"].error_kind == "connection"
    files = outputs(out)
    assert set(files) == set(ids), "exactly one output per document"
    assert {k: v.status for k, v in files.items()} == {o.id: o.status for o in summary.outcomes}
    assert not list(out.glob(".*.tmp"))
    stats = server.settled_stats()
    injected = stats["requests"] - stats.get("ok", 0)
    assert injected / stats["requests"] > 0.12, stats
    assert summary.count("ok") > 480, "retries absorb most faults"
    db = sqlite3.connect(out / "runs.db")
    assert db.execute("select count(*) from documents").fetchone()[0] == 500
    assert (
        db.execute("select count(*) from model_calls").fetchone()[0]
        == summary.calls
        == stats["requests"]
    )
    assert (
        db.execute(
            "select count(*) from documents where status='failed' and error is null"
        ).fetchone()[0]
        == 0
    )
    cost = db.execute("select sum(cost) from documents").fetchone()[0]
    assert cost == pytest.approx(summary.cost) and cost > 0

    again = run([inputs], out, server, concurrency=32, lean=True)
    after = server.settled_stats()
    retried = {o.id for o in again.outcomes if o.calls}
    assert retried <= set(failed), "a re-run only calls the model for earlier failures"
    assert after["requests"] - stats["requests"] == again.calls
    assert again.count("cached") == summary.count("ok")


def test_real_client_through_faults_records_reasons_retries_and_costs(
    tmp_path: Path, fault_server_factory
) -> None:
    server = fault_server_factory("--faults", "0.2", "--hang", "2", "--seed", "3")
    rows = [{"id": f"doc{i:02d}", "text": fictional_case(i)} for i in range(60)]
    forced = {"doc01": "server_error", "doc02": "malformed", "doc03": "truncated", "doc04": "drop"}
    for doc_id, kind in forced.items():
        rows[int(doc_id[3:])]["text"] += f" FAULT-ALWAYS-{kind}"
    inputs = write_jsonl(tmp_path / "docs.jsonl", rows)
    out = tmp_path / "out"
    summary = run([inputs], out, server, concurrency=16)

    assert sorted(o.id for o in summary.outcomes) == [r["id"] for r in rows]
    kinds = {o.id: o.error_kind for o in summary.failures}
    assert {k: kinds.get(k) for k in forced} == {
        "doc01": "http",
        "doc02": "unparseable",
        "doc03": "truncated",
        "doc04": "connection",
    }
    assert summary.count("ok") >= 50
    files = outputs(out)
    assert files["doc02"].error.attempts == 3, "instructor re-asked twice"
    db = sqlite3.connect(out / "runs.db")
    for o in summary.outcomes:  # per-document tokens are the sum over every call, retries included
        calls, prompt = db.execute(
            "select count(*), coalesce(sum(prompt_tokens), 0) from model_calls where doc_id = ?",
            (o.id,),
        ).fetchone()
        assert (calls, prompt) == (o.calls, o.prompt_tokens)
    assert db.execute("select count(*) from model_calls where doc_id='doc01'").fetchone()[0] == 4
    assert summary.cost == pytest.approx(
        sum(o.prompt_tokens * 1.0 + o.completion_tokens * 2.0 for o in summary.outcomes) / 1e6
    )
    ok = next(f for f in files.values() if f.status == "ok")
    assert ok.provenance.model == "fault-model" and ok.provenance.structured_output == "json_schema"


def test_rerun_of_a_finished_job_makes_zero_model_calls(
    tmp_path: Path, fault_server_factory
) -> None:
    server = fault_server_factory()
    inputs = write_jsonl(
        tmp_path / "docs.jsonl", [{"id": f"d{i}", "text": fictional_case(i)} for i in range(40)]
    )
    out = tmp_path / "out"
    first = run([inputs], out, server)
    assert first.count("ok") == 40 and first.calls == 40
    mtimes = {p.name: p.stat().st_mtime_ns for p in out.glob("*.json")}
    second = run([inputs], out, server)
    assert second.count("cached") == 40 and second.calls == 0
    assert server.settled_stats()["requests"] == 40
    assert {p.name: p.stat().st_mtime_ns for p in out.glob("*.json")} == mtimes, (
        "unchanged files not rewritten"
    )
    # the same text under a new id is a cache hit too (content-addressed)
    write_jsonl(tmp_path / "renamed.jsonl", [{"id": "renamed", "text": fictional_case(3)}])
    third = run([tmp_path / "renamed.jsonl"], out, server)
    assert third.outcomes[0].status == "cached"
    assert outputs(out)["renamed"].document.id == "renamed"
    assert outputs(out)["renamed"].not_extracted == []  # v1 asks for every field
    # cache entries written before extractions said what they left out get the prompt's
    for entry in (out / ".cache").glob("*/*.json"):
        old = Extraction.model_validate_json(entry.read_bytes())
        entry.write_text(old.model_copy(update={"not_extracted": None}).model_dump_json())
    options = JobOptions(retry=FAST_RETRY, prices=PRICES, cache_dir=out / ".cache")
    fourth = run([tmp_path / "renamed.jsonl"], tmp_path / "out2", server, options=options)
    assert fourth.outcomes[0].status == "cached"
    assert outputs(tmp_path / "out2")["renamed"].not_extracted == []


def test_max_cost_stops_cleanly_and_a_rerun_finishes(tmp_path: Path, fault_server_factory) -> None:
    server = fault_server_factory()
    rows = [{"id": f"d{i:02d}", "text": fictional_case(i)} for i in range(30)]
    inputs = write_jsonl(tmp_path / "docs.jsonl", rows)
    out = tmp_path / "out"
    probe = run([write_jsonl(tmp_path / "one.jsonl", rows[:1])], tmp_path / "probe", server)
    per_doc = probe.cost
    budget = per_doc * 5.5
    summary = run([inputs], out, server, concurrency=2, max_cost=budget)
    assert summary.stopped == "budget"
    done = summary.count("ok")
    assert 5 <= done < 30
    assert summary.count("skipped") == 30 - done
    assert summary.cost <= budget + 2 * per_doc * 1.2, (
        "overshoot bounded by the documents in flight"
    )
    skipped = [o for o in summary.outcomes if o.status == "skipped"]
    assert all("budget reached" in o.error for o in skipped)
    assert len(list(out.glob("d*.json"))) == done
    with RunStore(out / "runs.db") as store:
        assert store.show_run("latest")["status"] == "budget"
    rest = run([inputs], out, server)
    assert rest.count("cached") == done and rest.count("ok") == 30 - done


def test_max_cost_needs_a_known_price(tmp_path: Path, fault_server_factory) -> None:
    from abstraction.core.errors import ConfigError

    server = fault_server_factory()
    inputs = write_jsonl(tmp_path / "docs.jsonl", [{"id": "a", "text": "text"}])
    with pytest.raises(ConfigError, match="price"):
        run(
            [inputs],
            tmp_path / "out",
            server,
            max_cost=1.0,
            options=JobOptions(retry=FAST_RETRY, prices=PriceTable({})),
        )


def test_bad_inputs_fail_alone_and_the_job_goes_on(tmp_path: Path, fault_server_factory) -> None:
    server = fault_server_factory()
    src = tmp_path / "in"
    src.mkdir()
    (src / "good.txt").write_text(fictional_case(1), encoding="utf-8")
    (src / "empty.txt").write_bytes(b"")
    (src / "binary.txt").write_bytes(bytes(range(256)) * 4)
    (src / "latin.txt").write_bytes("âgé de 45 ans".encode("latin-1"))
    (src / "huge.txt").write_bytes(b"a" * 5_000_000)
    (src / "image.png").write_bytes(b"\x89PNG")
    write_jsonl(
        src / "more.jsonl",
        [{"id": "j1", "text": fictional_case(2)}, {"id": "good", "text": "dup id"}],
    )
    with (src / "more.jsonl").open("a") as fh:
        fh.write("{broken\n")
    out = tmp_path / "out"
    summary = run([src], out, server)
    by_origin = {o.origin.replace(f"{src}/", ""): o for o in summary.outcomes}
    kinds = {k: (o.status, o.error_kind) for k, o in by_origin.items()}
    assert kinds == {
        "binary.txt": ("failed", "input:binary"),
        "empty.txt": ("failed", "input:empty"),
        "good.txt": ("ok", None),
        "huge.txt": ("failed", "input:too_large"),
        "image.png": ("failed", "input:unsupported"),
        "latin.txt": ("failed", "input:encoding"),
        "more.jsonl:1": ("ok", None),
        "more.jsonl:2": ("failed", "input:duplicate_id"),
        "more.jsonl:3": ("failed", "input:broken_line"),
    }
    files = outputs(out)
    assert files["good"].status == "ok" and files["j1"].status == "ok"
    assert files["empty"].status == "failed" and files["empty"].error.kind == "input"
    assert files["good"].document.path.endswith("good.txt"), (
        "a duplicate id never overwrites the first"
    )


def test_long_document_is_split_extracted_per_part_and_merged(
    tmp_path: Path, fault_server_factory
) -> None:
    server = fault_server_factory()
    src = tmp_path / "long.txt"
    src.write_text(
        (Path(__file__).parent / "data" / "long_fictional_report.txt").read_text(), encoding="utf-8"
    )
    options = JobOptions(
        retry=FAST_RETRY, prices=PRICES, chunking=ChunkSettings(max_chars=2500, overlap=300)
    )
    out = tmp_path / "out"
    summary = run([src], out, server, options=options)
    [outcome] = summary.outcomes
    assert outcome.status == "ok" and outcome.parts >= 3 and outcome.calls == outcome.parts
    ext = outputs(out)["long"]
    text = src.read_text()
    assert [(p.start, p.end) for p in ext.provenance.parts][-1][1] == len(text)
    assert ext.record is not None
    for fact in ext.record.diagnoses:  # the stand-in quotes one line of each part
        ev = fact.evidence
        assert ev.start is not None and text[ev.start : ev.end] == ev.quote
    again = run([src], out, server, options=options)
    assert again.outcomes[0].status == "cached" and again.calls == 0


def test_cancel_mid_run_then_resume(tmp_path: Path, fault_server_factory) -> None:
    server = fault_server_factory("--latency", "0.02")
    rows = [{"id": f"d{i:03d}", "text": fictional_case(i)} for i in range(120)]
    inputs = write_jsonl(tmp_path / "docs.jsonl", rows)
    out = tmp_path / "out"
    run([inputs], out, server, concurrency=4, cancel_after=20, lean=True)
    partial = outputs(out)  # every file present parses: nothing half-written
    # twelfth session's audit: documents stopped while extracting were counted nowhere, with
    # their calls; now each is a failure "interrupted" with the calls it made
    # twelfth session's audit: documents stopped while extracting were counted nowhere, nor
    # their calls ("model calls 0, cost $0.0000" with three answered); each is now a failure
    # "interrupted", every request sent is counted, and the cost is unknown
    with RunStore(out / "runs.db") as store:
        shown = store.show_run("latest")
    assert shown["by_status"].get("ok", 0) == len(partial)
    assert shown["totals"]["calls"] == server.stats()["requests"]
    if shown["by_status"].get("failed"):
        assert {f["error_kind"] for f in shown["failures"]} == {"interrupted"}
        assert shown["totals"]["cost"] is None
    assert 20 <= len(partial) < 120
    with RunStore(out / "runs.db") as store:
        assert store.show_run("latest")["status"] == "interrupted"
    rest = run([inputs], out, server, concurrency=8, lean=True)
    assert rest.count("cached") == len(partial)
    assert rest.count("ok") == 120 - len(partial)
    assert set(outputs(out)) == {r["id"] for r in rows}


def test_jats_and_pdf_evidence_gets_section_and_page(tmp_path: Path, fault_server_factory) -> None:
    fpdf = pytest.importorskip("fpdf")
    server = fault_server_factory()
    src = tmp_path / "in"
    src.mkdir()
    (src / "article.nxml").write_bytes(
        (Path(__file__).parent / "data" / "fictional_case.nxml").read_bytes()
    )
    pdf = fpdf.FPDF()
    pdf.set_font("helvetica", size=11)
    for text in (
        "A short first page.",
        "Treatment\n\nHe received rituximab weekly for four weeks, with no adverse events at all.",
    ):
        pdf.add_page()
        pdf.multi_cell(0, 6, text)
    pdf.output(str(src / "report.pdf"))
    out = tmp_path / "out"
    summary = run([src], out, server)
    assert summary.count("ok") == 2, [(o.id, o.error) for o in summary.outcomes]
    files = outputs(out)
    # the fault server quotes the longest line of the document: grounded, then located
    jats_ev = [ev for _, ev in iter_evidence(files["article"].record) if ev.start is not None]
    assert jats_ev and all(ev.section for ev in jats_ev)

    pdf_ev = [ev for _, ev in iter_evidence(files["report"].record) if ev.start is not None]
    assert pdf_ev and all(ev.page == 2 for ev in pdf_ev)
    assert files["report"].document.format == "pdf"


def test_unset_not_extracted_gets_the_prompts_list_and_a_rerun_changes_nothing(
    tmp_path: Path, fault_server_factory
) -> None:
    """A fresh output and the same document served from the cache are the same bytes, so a
    re-run neither rewrites outputs nor fills history/ (the stand-in says nothing about
    fields its prompt left out; a cache hit would get the prompt's list)."""
    import dataclasses

    server = fault_server_factory()
    inputs = write_jsonl(
        tmp_path / "docs.jsonl", [{"id": f"d{i}", "text": fictional_case(i)} for i in range(4)]
    )
    out = tmp_path / "out"
    identity = dataclasses.replace(IDENTITY, not_extracted=("outcome.cause_of_death",))

    async def go() -> JobSummary:
        transport = JobTransport(policy=FAST_RETRY)
        extract, http = make_extractor(server.base_url, transport)
        try:
            with RunStore(out / "runs.db") as store:
                return await arun_documents(
                    [inputs],
                    extract=extract,
                    identity=identity,
                    out_dir=out,
                    store=store,
                    transport=transport,
                    options=JobOptions(retry=FAST_RETRY, prices=PRICES),
                )
        finally:
            await http.aclose()

    assert asyncio.run(go()).count("ok") == 4
    first = {p.name: p.read_bytes() for p in out.glob("*.json")}
    assert all(
        Extraction.model_validate_json(b).not_extracted == ["outcome.cause_of_death"]
        for b in first.values()
    )
    assert asyncio.run(go()).count("cached") == 4
    assert {p.name: p.read_bytes() for p in out.glob("*.json")} == first
    assert not (out / "history").exists()


def test_a_prompt_the_structured_mode_cannot_serve_stops_the_job_before_any_call(
    tmp_path: Path, fault_server_factory
) -> None:
    """A helper's audit: v50 (copy_words) with json_object sent each document's other passes,
    then failed it, document after document.  The job now refuses before any call."""
    from abstraction.core.errors import UserError
    from abstraction.jobs.runner import run_job

    server = fault_server_factory("--seed", "1")
    rows = [{"id": f"d{i}", "text": fictional_case(i)} for i in range(2)]
    inputs = write_jsonl(tmp_path / "docs.jsonl", rows)
    config = ModelConfig(
        model="fault-model", base_url=server.base_url, api_key="test", structured="json_object"
    )
    with pytest.raises(UserError, match="copy_words"):
        run_job(
            [inputs],
            out_dir=tmp_path / "out",
            prompt=load_prompt("v50", ROOT / "prompts"),
            model_config=config,
            store_path=tmp_path / "runs.db",
        )
    assert server.stats().get("requests", 0) == 0


def test_an_out_folder_that_holds_gold_records_is_refused_before_any_call(
    tmp_path: Path, fault_server_factory
) -> None:
    """Twelfth session's audit: ``--out gold/`` moved each hand-labelled gold file to
    history/ and put an extraction in its place, without a word.  A gold record is known by
    its parsed "kind", wherever the key stands."""
    from abstraction.core.errors import UserError
    from abstraction.jobs.runner import run_job

    server = fault_server_factory("--seed", "1")
    inputs = write_jsonl(tmp_path / "docs.jsonl", [{"id": "d0", "text": fictional_case(0)}])
    gold_dir = tmp_path / "gold"
    gold_dir.mkdir()
    hand = json.dumps({"record": {}, "kind": "gold", "annotator": "x" * 300}, sort_keys=True)
    (gold_dir / "d0.json").write_text(hand)
    config = ModelConfig(model="fault-model", base_url=server.base_url, api_key="test")
    with pytest.raises(UserError, match="holds gold records"):
        run_job(
            [inputs],
            out_dir=gold_dir,
            prompt=load_prompt("v1", ROOT / "prompts"),
            model_config=config,
            store_path=tmp_path / "runs.db",
        )
    assert server.stats().get("requests", 0) == 0
    assert (gold_dir / "d0.json").read_text() == hand and not (gold_dir / "history").exists()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_job_against_an_endpoint_that_refuses_connections_stops_and_writes_nothing(
    tmp_path: Path,
) -> None:
    """README: "the job stops at the first call that cannot connect, naming the URL".  The
    job's transport (aiohttp under httpx) reports a refused connection as a timeout, which the
    client read as a per-document "connection" failure until the eleventh session: every
    document was written as failed, over any earlier output."""
    src = tmp_path / "in"
    src.mkdir()
    for i in range(3):
        (src / f"d{i}.txt").write_text(fictional_case(i), encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    (out / "d0.json").write_text('{"earlier": "output"}')
    url = f"http://127.0.0.1:{_closed_port()}/v1"
    config = ModelConfig(model="fault-model", base_url=url, api_key="test", timeout=2)
    job = arun_job(
        [src],
        out_dir=out,
        prompt=PROMPT,
        model_config=config,
        concurrency=2,
        store_path=out / "runs.db",
        options=JobOptions(retry=FAST_RETRY, prices=PRICES),
    )
    summary = asyncio.run(job)
    assert summary.stopped == "failed"
    assert url in (summary.error or "") and "--base-url" in (summary.error or "")
    assert (out / "d0.json").read_text() == '{"earlier": "output"}'
    assert sorted(p.name for p in out.glob("*.json")) == ["d0.json"]
    assert {o.status for o in summary.outcomes} <= {"skipped"}


# -- a second hostile audit, of the endpoint's failure modes through the job's transport -------
# (eleventh session; out/audit-s11b, not committed: 31 cases, 25 agreed)


class _Odd:
    """A tiny OpenAI-compatible server in a thread: good answers, each bent by `mode`
    (``nochoices``: ``"choices": null``; ``bigusage``: 1e400 prompt tokens; ``auth``: 401,
    with every Authorization header it was sent kept in `seen`)."""

    def __init__(self, mode: str) -> None:
        import http.server

        from .fault_server import _schema_of, answer_for, completion, pick_quote

        odd = self
        self.seen: list[str | None] = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["content-length"])))
                odd.seen.append(self.headers.get("authorization"))
                schema, tool = _schema_of(body)
                content = json.dumps(answer_for(schema, pick_quote(body)))
                reply = completion(body, content=content, model="m", tool=tool)
                status = 200
                if mode == "nochoices":
                    reply["choices"] = None
                if mode == "bigusage":
                    reply["usage"]["prompt_tokens"] = 10**400  # JSON has no infinity
                if mode == "auth":
                    status, reply = 401, {"error": {"message": "Basic credentials needed"}}
                data = json.dumps(reply).encode().replace(b"1" + b"0" * 400, b"1e400")
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _job(tmp_path: Path, url: str, api_key: str | None = "test") -> tuple[JobSummary, Path]:
    src = tmp_path / "in"
    src.mkdir(parents=True, exist_ok=True)
    (src / "d0.txt").write_text(fictional_case(0), encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    (out / "d0.json").write_text('{"earlier": "output"}')
    config = ModelConfig(model="fault-model", base_url=url, api_key=api_key, timeout=5)
    job = arun_job(
        [src],
        out_dir=out,
        prompt=PROMPT,
        model_config=config,
        store_path=out / "runs.db",
        options=JobOptions(retry=FAST_RETRY, prices=PRICES),
    )
    return asyncio.run(job), out


def test_no_route_to_the_host_and_a_failed_tls_handshake_stop_the_job() -> None:
    """ "No route to host", "Network is unreachable" and an https URL to a plain-http port
    failed every document as "connection" (through the job's transport) and replaced good
    outputs; like a refused connection, no call can succeed, so the job stops."""
    import errno as errno_
    import ssl

    import httpx

    from abstraction.client.failures import _refused

    def chain(*excs: BaseException) -> BaseException:
        for outer, inner in itertools.pairwise(excs):
            outer.__cause__ = inner
        return excs[0]

    for inner in (
        OSError(errno_.EHOSTUNREACH, "No route to host"),
        OSError(errno_.ENETUNREACH, "Network is unreachable"),
        ConnectionRefusedError(errno_.ECONNREFUSED, "refused"),
        ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number"),
    ):
        assert _refused(chain(httpx.RemoteProtocolError("x"), httpx.ConnectTimeout("x"), inner))
    for inner in (
        ConnectionResetError(errno_.ECONNRESET, "reset by peer"),  # made, then lost
        TimeoutError("timed out"),
        OSError(errno_.EADDRNOTAVAIL, "Cannot assign requested address"),  # a busy client
    ):
        assert not _refused(chain(httpx.RemoteProtocolError("x"), inner))


def test_https_to_a_plain_http_port_stops_the_job(tmp_path: Path) -> None:
    server = _Odd("ok")  # a plain-http server answers a TLS hello with 400 and closes
    try:
        url = f"https://127.0.0.1:{server.port}/v1"
        summary, out = _job(tmp_path, url)
    finally:
        server.close()
    assert summary.stopped == "failed" and url in (summary.error or "")
    assert (out / "d0.json").read_text() == '{"earlier": "output"}'


def test_credentials_in_the_url_are_sent_when_no_key_is_given(tmp_path: Path) -> None:
    """With no API key the client sends a placeholder key, so the URL's credentials were never
    sent (docs/jobs.md says they go as a Basic header unless a key is given)."""
    import base64

    server = _Odd("auth")
    try:
        url = f"http://audit:s3cret@127.0.0.1:{server.port}/v1"
        summary, _ = _job(tmp_path, url, api_key=None)
        basic = "Basic " + base64.b64encode(b"audit:s3cret").decode()
        assert server.seen and set(server.seen) == {basic}
        assert summary.stopped == "failed" and "s3cret" not in (summary.error or "")
        server.seen.clear()
        _job(tmp_path / "keyed", url, api_key="sk-given")
        assert set(server.seen) == {"Bearer sk-given"}  # a key given is sent, not the URL's
    finally:
        server.close()


def test_an_answer_without_choices_or_with_absurd_usage_is_read_for_what_it_is(
    tmp_path: Path,
) -> None:
    """ "choices": null failed each document as "TypeError: 'NoneType' object is not
    subscriptable", and an answer whose usage overflowed int() as "cannot reach the model
    endpoint" (the transport's token count raised).  Each is now the document's failure, with
    its own reason."""
    for mode in ("nochoices", "bigusage"):
        server = _Odd(mode)
        try:
            summary, _ = _job(tmp_path / mode, f"http://127.0.0.1:{server.port}/v1")
        finally:
            server.close()
        (outcome,) = summary.outcomes
        if mode == "nochoices":
            assert outcome.status == "failed" and "NoneType" not in (outcome.error or "")
            assert outcome.error_kind != "connection"
        else:  # the SDK refuses the usage: the document fails, saying why, the job goes on
            assert summary.stopped is None and outcome.error_kind != "connection"
            assert "prompt_tokens" in (outcome.error or ""), outcome.error
