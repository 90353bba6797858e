"""Batch files: prepare, answer them as a batch endpoint would (loopback), collect."""

from __future__ import annotations

import asyncio
import json
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


async def _collect_with(output, requests, out, server, prompt):  # type: ignore[no-untyped-def]
    transport = JobTransport(policy=RetryPolicy(backoff_base=0.01))
    config = ModelConfig(model="fault-model", base_url=server.base_url, api_key="t")
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
        prepare_batch([src], out=requests, prompt=PROMPT, model="m", structured=mode)
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
