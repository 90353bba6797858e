"""Batch files: prepare, answer them as a batch endpoint would (loopback), collect."""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import sqlite3
from pathlib import Path

import httpx

from abstraction.client import open_client
from abstraction.client.config import ModelConfig
from abstraction.core.prompts import load_prompt
from abstraction.core.records import Extraction
from abstraction.extraction.chunking import ChunkSettings
from abstraction.jobs.batch import collect_batch, unusable_items
from abstraction.jobs.batch_prepare import manifest_path_for, prepare_batch
from abstraction.jobs.prices import Price, PriceTable
from abstraction.jobs.runner import JobOptions, arun_job, with_transport
from abstraction.jobs.store import RunStore
from abstraction.jobs.transport import JobTransport, RetryPolicy

from .conftest import ROOT, RunningServer, fictional_case, write_jsonl

PROMPT = load_prompt("v1", ROOT / "prompts")
PRICES = PriceTable({"fault-model": Price(input=1.0, output=2.0)}, batch_discount=0.5, source="t")
CHUNKS = ChunkSettings(max_chars=2500, overlap=300)


def _inputs(tmp_path: Path) -> Path:
    src = tmp_path / "in"
    src.mkdir()
    write_jsonl(src / "docs.jsonl", [{"id": f"d{i}", "text": fictional_case(i)} for i in range(4)])
    long = (Path(__file__).parent / "data" / "long_fictional_report.txt").read_text()
    (src / "long.txt").write_text(long, encoding="utf-8")
    (src / "empty.txt").write_text("", encoding="utf-8")
    return src


def _answer_batch(requests: Path, server: RunningServer) -> list[dict]:
    """What OpenAI's Batch API or `vllm run-batch` do: send each body, write an output line."""
    out = []
    with httpx.Client(base_url=server.base_url.removesuffix("/v1"), timeout=10) as http:
        for raw in requests.read_text().splitlines():
            line = json.loads(raw)
            assert set(line) == {"custom_id", "method", "url", "body"}
            assert line["method"] == "POST" and line["url"] == "/v1/chat/completions"
            r = http.post(line["url"], json=line["body"])
            out.append(
                {
                    "id": f"batch_req_{len(out)}",
                    "custom_id": line["custom_id"],
                    "response": {"status_code": r.status_code, "request_id": "r", "body": r.json()},
                    "error": None,
                }
            )
    return out


def test_prepare_collect_reask_and_cache(tmp_path: Path, fault_server_factory) -> None:
    server = fault_server_factory()
    src = _inputs(tmp_path)
    requests = tmp_path / "batch" / "requests.jsonl"
    prepared = prepare_batch(
        [src], out=requests, prompt=PROMPT, model="fault-model", chunking=CHUNKS
    )
    assert prepared.documents == 5 and len(prepared.problems) == 1  # empty.txt
    lines = [json.loads(x) for x in requests.read_text().splitlines()]
    assert len(lines) == prepared.lines > 5, "the long report is split into parts"
    assert len({x["custom_id"] for x in lines}) == len(lines)
    body = lines[0]["body"]
    assert body["model"] == "fault-model" and body["response_format"]["type"] == "json_schema"
    assert "<document>" in body["messages"][-1]["content"]

    results = _answer_batch(requests, server)
    results[0]["response"]["body"]["choices"][0]["message"]["content"] = "not json"
    results[1] = {
        **results[1],
        "response": {"status_code": 500, "body": {}},
        "error": {"code": "x"},
    }
    del results[2]
    output = tmp_path / "batch" / "results.jsonl"
    output.write_text("".join(json.dumps(r) + "\n" for r in results) + "{garbage\n")
    assert unusable_items(output, manifest_path_for(requests), PROMPT) == 3
    served = server.stats()["requests"]

    out = tmp_path / "out"
    summary = asyncio.run(_collect(output, requests, out, server))
    assert server.stats()["requests"] - served == 3, "exactly the bad items were re-asked live"
    assert sorted(o.status for o in summary.outcomes) == ["ok"] * 5
    files = {p.stem: Extraction.model_validate_json(p.read_bytes()) for p in out.glob("*.json")}
    assert set(files) == {"d0", "d1", "d2", "d3", "long"}
    assert files["long"].provenance.parts and len(files["long"].provenance.parts) > 1
    assert files["d0"].provenance.endpoint == "batch"
    db = sqlite3.connect(out / "runs.db")
    batch_rows = "select status, count(*) from model_calls where method = 'BATCH' group by 1"
    assert dict(db.execute(batch_rows).fetchall()) == {
        "ok": len(results) - 2,
        "unparseable": 1,
        "http": 1,
        "missing": 1,
    }
    live_rows = "select status, count(*) from model_calls where method = 'POST' group by 1"
    assert dict(db.execute(live_rows).fetchall()) == {"ok": 3}
    costs = [o.cost for o in summary.outcomes]
    assert all(c is not None and c > 0 for c in costs)

    # the collected results fill the cache: a live job over the same inputs makes no calls
    served = server.stats()["requests"]
    live = asyncio.run(
        arun_job(
            [src],
            out_dir=out,
            prompt=PROMPT,
            model_config=ModelConfig(model="fault-model", base_url=server.base_url, api_key="t"),
            store_path=out / "runs.db",
            options=JobOptions(chunking=CHUNKS, prices=PRICES),
        )
    )
    assert live.count("cached") == 5 and live.calls == 0
    assert server.stats()["requests"] == served


async def _collect(output: Path, requests: Path, out: Path, server: RunningServer):  # type: ignore[no-untyped-def]
    return await _collect_with(output, requests, out, server, PROMPT)


async def _collect_with(output, requests, out, server, prompt, *, base_url=None):  # type: ignore[no-untyped-def]
    """Collect with live re-asks to `server` (or to `base_url`, the fault server's or not)."""
    transport = JobTransport(policy=RetryPolicy(backoff_base=0.01))
    url = base_url or server.base_url
    config = ModelConfig(model="fault-model", base_url=url, api_key="t")
    with (
        RunStore(out / "runs.db") as store,
        open_client(with_transport(config, transport)) as client,
    ):

        async def ask(request):  # type: ignore[no-untyped-def]
            return await client.acomplete(**request)

        try:
            return await collect_batch(
                output,
                manifest_path=manifest_path_for(requests),
                prompt=prompt,
                out_dir=out,
                store=store,
                reask=ask,
                prices=PRICES,
                transport=transport,
            )
        finally:
            await client.aclose()


def test_a_header_only_pass_is_not_in_the_batch_for_a_text_without_a_header(
    tmp_path: Path, fault_server_factory
) -> None:
    """`only_with_header` holds for batch files as for live runs: no request line for a text
    that opens with running text, the pass recorded as skipped when collected, nothing to
    re-ask for it."""
    server = fault_server_factory()
    (all_pass,) = PROMPT.passes
    source = all_pass.model_copy(
        update={"name": "source", "sections": ("source",), "only_with_header": True}
    )
    prompt = PROMPT.model_copy(update={"passes": (all_pass, source)})
    src = tmp_path / "in"
    src.mkdir()
    # a title line over the case (a "Case 0" heading alone is no header since 3 December 2026)
    headed = "Relapse after transplantation in a fictional patient\n\n" + fictional_case(0)
    bare = fictional_case(0).split("\n\n", 1)[1]  # opens with running text
    write_jsonl(
        src / "docs.jsonl", [{"id": "headed", "text": headed}, {"id": "bare", "text": bare}]
    )
    requests = tmp_path / "batch" / "requests.jsonl"
    prepare_batch([src], out=requests, prompt=prompt, model="fault-model", chunking=CHUNKS)
    ids = sorted(json.loads(x)["custom_id"] for x in requests.read_text().splitlines())
    assert [i for i in ids if "source" in i] == [i for i in ids if "headed" in i and "source" in i]
    assert len(ids) == 3
    output = tmp_path / "batch" / "results.jsonl"
    answered = _answer_batch(requests, server)
    # an asked source pass missing from the output is re-asked; the one never asked is not
    output.write_text(
        "".join(json.dumps(r) + "\n" for r in answered if "source" not in r["custom_id"])
    )
    assert unusable_items(output, manifest_path_for(requests), prompt) == 1
    output.write_text("".join(json.dumps(r) + "\n" for r in answered))
    assert unusable_items(output, manifest_path_for(requests), prompt) == 0
    out = tmp_path / "out"
    summary = asyncio.run(_collect_with(output, requests, out, server, prompt))
    assert sorted(o.status for o in summary.outcomes) == ["ok", "ok"]
    files = {p.stem: Extraction.model_validate_json(p.read_bytes()) for p in out.glob("*.json")}
    statuses = {k: [p.status for p in f.provenance.passes] for k, f in files.items()}
    assert statuses == {"headed": ["ok", "ok"], "bare": ["ok", "skipped"]}
    db = sqlite3.connect(out / "runs.db")
    missing = "select count(*) from model_calls where status = 'missing'"
    assert db.execute(missing).fetchone() == (0,)  # no log row for a pass never asked


def test_a_batch_in_a_mode_that_carries_no_schema_is_refused_before_anything_is_written(
    tmp_path: Path,
) -> None:
    """gbnf, llguidance and json_object_schema constrain a local llama.cpp server's answer; a
    batch request in them would carry no schema at all (a bare json_object).  They are refused
    before the request file is written, and a file already there is left as it was."""
    import pytest

    from abstraction.core.errors import UserError

    src = _inputs(tmp_path)
    requests = tmp_path / "batch" / "requests.jsonl"
    requests.parent.mkdir()
    requests.write_text("earlier requests\n")
    for mode in ("gbnf", "llguidance", "json_object_schema", "auto", "jsonschema"):
        with pytest.raises(UserError, match=f"--structured '{mode}' cannot be used for a batch"):
            prepare_batch([src], out=requests, prompt=PROMPT, model="m", structured=mode)
        assert requests.read_text() == "earlier requests\n"
        assert not manifest_path_for(requests).exists()
    for mode in ("json_schema", "json_object"):
        prepare_batch(
            [src], out=requests, prompt=PROMPT, model="m", structured=mode, overwrite=True
        )
        bodies = [json.loads(x)["body"] for x in requests.read_text().splitlines()]
        if mode == "json_schema":
            assert all(b["response_format"]["type"] == "json_schema" for b in bodies)
        else:  # the schema goes into the prompt
            assert all("Answer with JSON matching this schema" in str(b) for b in bodies)


def test_a_copy_words_prompt_in_json_object_mode_writes_no_batch(tmp_path: Path) -> None:
    """The copy_words pattern cannot be enforced by json_object: the prompt is refused as a
    whole, before any request line is written (not pass by pass)."""
    import pytest

    from abstraction.core.errors import UserError

    src = _inputs(tmp_path)
    requests = tmp_path / "batch" / "requests.jsonl"
    v50 = load_prompt("v50", ROOT / "prompts")
    assert v50.pattern_passes  # the two mentions passes
    with pytest.raises(UserError, match="prompt v50, pass "):
        prepare_batch([src], out=requests, prompt=v50, model="m", structured="json_object")
    assert not requests.exists() and not manifest_path_for(requests).exists()
    prepare_batch([src], out=requests, prompt=v50, model="m", structured="json_schema")
    assert "pattern" in requests.read_text()


# -- a hostile audit of batch collect (eleventh session; out/audit-s11, not committed) ----------


def _prepared(tmp_path: Path, server: RunningServer) -> tuple[Path, Path, list[dict]]:
    """Three short documents prepared and answered (one part, one pass each)."""
    src = tmp_path / "in"
    src.mkdir()
    for i in range(3):
        (src / f"d{i}.txt").write_text(fictional_case(i), encoding="utf-8")
    requests = tmp_path / "batch" / "requests.jsonl"
    prepare_batch([src], out=requests, prompt=PROMPT, model="fault-model", chunking=CHUNKS)
    return src, requests, _answer_batch(requests, server)


def _write(path: Path, lines: list) -> Path:  # type: ignore[type-arg]
    path.write_text("".join((x if isinstance(x, str) else json.dumps(x)) + "\n" for x in lines))
    return path


def _collect_offline(output: Path, requests: Path, out: Path):  # type: ignore[no-untyped-def]
    async def go():  # type: ignore[no-untyped-def]
        with RunStore(out / "runs.db") as store:
            return await collect_batch(
                output,
                manifest_path=manifest_path_for(requests),
                prompt=PROMPT,
                out_dir=out,
                store=store,
                reask=None,
                prices=PRICES,
            )

    return asyncio.run(go())


def test_a_line_of_any_shape_fails_its_own_document_only(
    tmp_path: Path, fault_server_factory
) -> None:
    """One provider line with a string for its response, a list for its body, a string for its
    usage or an object for its content stopped the whole collect with a traceback, and no
    output was written even for the good lines."""
    _, requests, answered = _prepared(tmp_path, fault_server_factory())
    by_doc = {a["custom_id"].split("|")[0]: a for a in answered}
    odd = [
        {**by_doc["d0"], "response": "internal error"},
        {**by_doc["d1"], "response": {"status_code": 200, "body": ["not", "an", "object"]}},
    ]
    usage_text = json.loads(json.dumps(by_doc["d2"]))
    usage_text["response"]["body"]["usage"] = "many"  # the answer itself is good
    out = tmp_path / "out"
    output = _write(tmp_path / "r.jsonl", [*odd, usage_text, {"custom_id": ["d0"]}, "[1, 2]"])
    summary = _collect_offline(output, requests, out)
    status = {o.id: (o.status, o.error_kind) for o in summary.outcomes}
    assert status["d2"] == ("ok", None)
    assert status["d0"][0] == status["d1"][0] == "failed"
    assert sorted(p.stem for p in out.glob("*.json")) == ["d0", "d1", "d2"]
    assert len(summary.problems) == 2 and all("no custom_id" in p for p in summary.problems)
    content_object = json.loads(json.dumps(by_doc["d0"]))
    content_object["response"]["body"]["choices"][0]["message"]["content"] = {"a": 1}
    summary = _collect_offline(_write(tmp_path / "r2.jsonl", [content_object]), requests, out)
    assert {o.id: o.status for o in summary.outcomes}["d0"] == "failed"


def test_the_problems_of_a_results_file_are_reported_and_kept_in_the_run_store(
    tmp_path: Path, fault_server_factory
) -> None:
    """Garbage lines, duplicates and answers to no request of the batch are in the summary
    and stay in the run's note (finishing the run wrote NULL over it)."""
    _, requests, answered = _prepared(tmp_path, fault_server_factory())
    stray = {**answered[0], "custom_id": "other|0|all"}
    output = _write(tmp_path / "r.jsonl", [*answered, answered[0], stray, "{garbage"])
    out = tmp_path / "out"
    summary = _collect_offline(output, requests, out)
    assert sorted(o.status for o in summary.outcomes) == ["ok"] * 3
    text = " ".join(summary.problems)
    assert "duplicate custom_id" in text and "no custom_id" in text
    assert "1 line(s) answer no request of this batch" in text and "'other|0|all'" in text
    (note,) = sqlite3.connect(out / "runs.db").execute("select note from runs").fetchone()
    assert "duplicate custom_id" in note and "answer no request" in note


def test_another_batch_s_results_are_refused_before_anything_is_asked_or_written(
    tmp_path: Path, fault_server_factory
) -> None:
    """A results file none of whose answers is for this batch was collected as 3 "missing"
    documents, each re-asked live at full price."""
    import pytest

    from abstraction.core.errors import UserError

    _, requests, answered = _prepared(tmp_path, fault_server_factory())
    foreign = [{**a, "custom_id": a["custom_id"].replace("|all", "|diagnoses")} for a in answered]
    output = _write(tmp_path / "r.jsonl", foreign)
    with pytest.raises(UserError, match="another batch's results"):
        unusable_items(output, manifest_path_for(requests), PROMPT)
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(UserError, match="Nothing was re-asked or written"):
        _collect_offline(output, requests, out)
    assert list(out.glob("*.json")) == []


def test_an_endpoint_that_refuses_re_asks_stops_the_collect_and_keeps_good_outputs(
    tmp_path: Path, fault_server_factory
) -> None:
    """Every document was re-asked, failed as "connection" and written over its good output
    (moved to history/); now the collect stops at the first refused re-ask, as a job does."""
    server = fault_server_factory()
    _, requests, answered = _prepared(tmp_path, server)
    out = tmp_path / "out"
    good = _collect_offline(_write(tmp_path / "good.jsonl", answered), requests, out)
    assert sorted(o.status for o in good.outcomes) == ["ok"] * 3
    before = {p.name: p.read_bytes() for p in out.glob("*.json")}
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}/v1"
    bad = [{**a, "response": {"status_code": 500, "body": {}}} for a in answered]
    output = _write(tmp_path / "bad.jsonl", bad)
    shutil.rmtree(out / ".cache")  # no cached answer: each document must be re-asked
    summary = asyncio.run(_collect_with(output, requests, out, None, PROMPT, base_url=closed))
    assert summary.stopped == "failed" and closed in (summary.error or "")
    assert [o.status for o in summary.outcomes] == ["skipped"] * 3
    assert {p.name: p.read_bytes() for p in out.glob("*.json")} == before
    assert not (out / "history").exists()


def test_collecting_again_serves_the_collected_answers_and_rewrites_nothing(
    tmp_path: Path, fault_server_factory
) -> None:
    """A second collect (the same results, or worse ones) wrote every output again with a new
    time, one history/ copy per document each time, and a bad answer replaced a good (and
    reviewed) output with a failure.  The collected answers are in the cache, as after a live
    job: they are served, and the files stay as they were."""
    _, requests, answered = _prepared(tmp_path, fault_server_factory())
    out = tmp_path / "out"
    _collect_offline(_write(tmp_path / "r.jsonl", answered), requests, out)
    before = {p.name: p.read_bytes() for p in out.glob("*.json")}
    again = _collect_offline(_write(tmp_path / "r.jsonl", answered), requests, out)
    assert [o.status for o in again.outcomes] == ["cached"] * 3
    worse = [{**a, "response": {"status_code": 500, "body": {}}} for a in answered]
    worse_summary = _collect_offline(_write(tmp_path / "worse.jsonl", worse), requests, out)
    assert [o.status for o in worse_summary.outcomes] == ["cached"] * 3
    assert {p.name: p.read_bytes() for p in out.glob("*.json")} == before
    assert not (out / "history").exists()


def test_a_batch_is_collected_from_any_folder(
    tmp_path: Path, fault_server_factory, monkeypatch
) -> None:
    """The manifest kept the input paths as typed ("in/d0.txt"), so a collect run from another
    folder, hours later, failed every document as unreadable."""
    server = fault_server_factory()
    monkeypatch.chdir(tmp_path)
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "d0.txt").write_text(fictional_case(0), encoding="utf-8")
    requests = Path("batch") / "requests.jsonl"
    prepare_batch([Path("in")], out=requests, prompt=PROMPT, model="fault-model")
    output = _write(tmp_path / "r.jsonl", _answer_batch(requests, server))
    monkeypatch.chdir(tmp_path / "batch")
    summary = _collect_offline(output, tmp_path / requests, tmp_path / "out")
    assert [o.status for o in summary.outcomes] == ["ok"]


def test_a_broken_manifest_or_results_path_is_a_user_error(
    tmp_path: Path, fault_server_factory
) -> None:
    import pytest

    from abstraction.core.errors import UserError
    from abstraction.jobs.batch import load_manifest

    _, requests, _ = _prepared(tmp_path, fault_server_factory())
    manifest = manifest_path_for(requests)
    with pytest.raises(UserError, match="cannot read the batch results"):
        _collect_offline(tmp_path / "nowhere.jsonl", requests, tmp_path / "out")
    with pytest.raises(UserError, match="cannot read the batch results"):
        _collect_offline(tmp_path, requests, tmp_path / "out")
    data = json.loads(manifest.read_text())
    del data["documents"][1]["sha256"]
    manifest.write_text(json.dumps(data))
    with pytest.raises(UserError, match=r"lacks documents\[1\]\.sha256"):
        load_manifest(manifest)
    del data["documents"]
    manifest.write_text(json.dumps(data))
    with pytest.raises(UserError, match="lacks documents"):
        load_manifest(manifest)


def test_prepare_does_not_replace_a_batch_prepared_before(tmp_path: Path) -> None:
    """A batch may still be running: its request file and manifest are what its results are
    collected with.  They were replaced silently."""
    import pytest

    from abstraction.core.errors import UserError

    src = tmp_path / "in"
    src.mkdir()
    (src / "d0.txt").write_text(fictional_case(0), encoding="utf-8")
    requests = tmp_path / "batch" / "requests.jsonl"
    prepare_batch([src], out=requests, prompt=PROMPT, model="first")
    first = (requests.read_bytes(), manifest_path_for(requests).read_bytes())
    with pytest.raises(UserError, match="--overwrite"):
        prepare_batch([src], out=requests, prompt=PROMPT, model="second")
    assert (requests.read_bytes(), manifest_path_for(requests).read_bytes()) == first
    prepare_batch([src], out=requests, prompt=PROMPT, model="second", overwrite=True)
    assert json.loads(manifest_path_for(requests).read_text())["model"] == "second"


def test_an_answer_from_another_model_is_reported_and_logged_as_its_own(
    tmp_path: Path, fault_server_factory
) -> None:
    """The audit's answers from "Llama-3.1-70B" for a batch prepared for "fault-model" were
    recorded as fault-model's, without a word.  A dated snapshot is the same model (no
    problem line), and is recorded as it answered."""
    _, requests, answered = _prepared(tmp_path, fault_server_factory())
    answered = json.loads(json.dumps(answered))
    answered[0]["response"]["body"]["model"] = "Llama-3.1-70B"
    answered[1]["response"]["body"]["model"] = "fault-model-2024-07-18"
    out = tmp_path / "out"
    summary = _collect_offline(_write(tmp_path / "r.jsonl", answered), requests, out)
    (problem,) = summary.problems
    assert "1 answer(s) came from model 'Llama-3.1-70B', not 'fault-model'" in problem
    db = sqlite3.connect(out / "runs.db")
    models = {m for (m,) in db.execute("select model from model_calls")}
    assert "Llama-3.1-70B" in models and "fault-model-2024-07-18" in models
    # each output's provenance names the model that answered it
    recorded = {
        p.stem: Extraction.model_validate_json(p.read_bytes()).provenance.model
        for p in out.glob("*.json")
    }
    assert recorded == {
        "d0": "Llama-3.1-70B",
        "d1": "fault-model-2024-07-18",
        "d2": "fault-model",
    }
