"""The hostile audit of issue 17, replayed: each attack that once worked against the review app.

3. a run's extraction file names any file as its source (absolute path, ``../``), and any local
   user can reach the loopback port: reading or writing now needs the session token, and a
   source is shown only when its text hashes to the extraction's ``document.sha256``;
4. every request rescanned the folder (quadratic list); SIGTERM waited for requests forever;
13. a 100 MB body was read before the 413, deep JSON gave a 500, names and values had no
    length limit, and a symlinked ``reviews/.lock`` created a file outside the run.
"""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from starlette.testclient import TestClient

from abstraction.review.app import create_app
from abstraction.review.store import RunStore
from tests.review.browser import serving
from tests.review.conftest import BASE, TOKEN, WRITE, save
from tests.review.seed_run import SEED_ID

ROOT = Path(__file__).resolve().parents[2]
SECRET = "TOP SECRET: the reviewer's private notes\n"


def hostile_source(run: Path, tmp_path: Path, recorded: str) -> None:
    """Point the seed extraction's `document.path` at `recorded` (a file that is not its text)."""
    (tmp_path / "secret.txt").write_text(SECRET, "utf-8")
    path = run / f"{SEED_ID}.json"
    raw = json.loads(path.read_text("utf-8"))
    raw["document"]["path"] = recorded
    path.write_text(json.dumps(raw), "utf-8")


# ---- 3. reads only inside the run, and only with the session token -----------------------


@pytest.mark.parametrize("recorded", ["ABSOLUTE", "../secret.txt", "../run/../secret.txt"])
def test_a_source_path_naming_another_file_is_refused_not_served(client, run, tmp_path, recorded):
    hostile_source(
        run, tmp_path, str(tmp_path / "secret.txt") if recorded == "ABSOLUTE" else recorded
    )
    res = client.get(f"/api/docs/{SEED_ID}")
    assert res.status_code == 200
    assert "TOP SECRET" not in res.text
    source = res.json()["source"]
    assert source["text"] is None and "not the text that was extracted" in source["warning"]


def test_a_source_symlinked_into_the_sources_folder_is_refused(run, tmp_path):
    (tmp_path / "secret.txt").write_text(SECRET, "utf-8")
    shelf = tmp_path / "shelf"
    shelf.mkdir()
    (shelf / f"{SEED_ID}.txt").symlink_to(tmp_path / "secret.txt")
    store = RunStore(run, sources=shelf)
    source = store.source(SEED_ID)
    assert source.text is None and "TOP SECRET" not in (source.warning or "")


def test_a_huge_or_special_source_file_is_not_read(run, tmp_path):
    """A recorded path to /dev/zero or a file far longer than the extracted text is refused
    without reading it (the extraction records the text's length)."""
    hostile_source(run, tmp_path, "/dev/zero")
    source = RunStore(run).source(SEED_ID)
    assert source.text is None
    big = tmp_path / "big.txt"
    with big.open("wb") as fh:
        fh.write(b"A" * 10_000)
        fh.truncate(200_000_000)  # sparse: costs no disk
    hostile_source(run, tmp_path, str(big))
    source = RunStore(run).source(SEED_ID)
    assert source.text is None and "longer than" in (source.warning or "")


NO_TOKEN_PATHS = [
    "/",
    f"/doc/{SEED_ID}",
    f"/diff/{SEED_ID}",
    "/static/doc.js",
    "/api/config",
    "/api/schema",
    "/api/docs",
    f"/api/docs/{SEED_ID}",
    f"/api/docs/{SEED_ID}/diff",
]


@pytest.mark.parametrize("path", NO_TOKEN_PATHS)
@pytest.mark.parametrize("prefix", ["", "/wrong-token", f"/{TOKEN[:-1]}"])
def test_every_page_and_api_call_needs_the_session_token(store, path, prefix):
    anon = TestClient(create_app(store, token=TOKEN), base_url=BASE)
    res = anon.get(prefix + path)
    assert res.status_code == 403
    assert "Your new experience" not in res.text and "hand-built" not in res.text


def test_another_local_user_cannot_save_edits(store, run):
    anon = TestClient(create_app(store, token=TOKEN), base_url=BASE)
    for prefix in ("", "/wrong-token"):
        res = anon.post(
            f"{prefix}/api/docs/{SEED_ID}/edits",
            json={"reviewer": "someone else", "changes": [{"op": "accept_all"}]},
            headers={**WRITE, "If-Match": '"0"'},
        )
        assert res.status_code == 403
    assert not (run / "reviews" / f"{SEED_ID}.review.json").exists()


def test_the_token_is_compared_in_constant_time(client, monkeypatch):
    import hmac

    from abstraction.review import app as app_module

    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(app_module.hmac, "compare_digest", spy)
    assert client.get("/api/config").status_code == 200
    assert calls and all(TOKEN.encode() in pair for pair in calls)


# ---- 4. review at job scale --------------------------------------------------------------


def copies(run: Path, n: int) -> None:
    raw = json.loads((run / f"{SEED_ID}.json").read_text("utf-8"))
    for i in range(n):
        raw["document"]["id"] = f"copy{i:03d}"
        (run / f"copy{i:03d}.json").write_text(json.dumps(raw), "utf-8")


def count_listings(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every folder listing (pathlib's glob and iterdir go through os.scandir or os.listdir)."""
    seen: list[str] = []
    real_scandir, real_listdir = os.scandir, os.listdir

    def scandir(path=".", *args):
        seen.append(str(path))
        return real_scandir(path, *args)

    def listdir(path="."):
        seen.append(str(path))
        return real_listdir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    monkeypatch.setattr(os, "listdir", listdir)
    return seen


def test_the_list_scans_the_folder_once_not_once_per_document(client, run, monkeypatch):
    copies(run, 40)
    listings = count_listings(monkeypatch)
    rows = client.get("/api/docs").json()
    assert len(rows) == 42
    assert len(listings) <= 2, listings  # the run folder and reviews/, not 42 times


def test_opening_one_document_does_not_scan_the_folder(client, run, monkeypatch):
    copies(run, 40)
    listings = count_listings(monkeypatch)
    for path in (f"/doc/{SEED_ID}", f"/api/docs/{SEED_ID}", f"/api/docs/{SEED_ID}/diff"):
        assert client.get(path).status_code == 200
    assert save(client, SEED_ID, 0, {"op": "accept", "pointer": "/treatments/0"}).status_code == 200
    assert listings == []


def test_the_list_reads_only_the_files_that_changed(client, run, monkeypatch):
    copies(run, 10)
    client.get("/api/docs")
    from abstraction.core.records import Extraction

    parsed: list[str] = []
    real = Extraction.model_validate.__func__  # type: ignore[attr-defined]

    def counting(cls, obj, *args, **kwargs):
        parsed.append(obj.get("document", {}).get("id") if isinstance(obj, dict) else "?")
        return real(cls, obj, *args, **kwargs)

    monkeypatch.setattr(Extraction, "model_validate", classmethod(counting))
    assert len(client.get("/api/docs").json()) == 12
    assert parsed == []
    assert save(client, SEED_ID, 0, {"op": "accept", "pointer": "/treatments/0"}).status_code == 200
    parsed.clear()
    rows = client.get("/api/docs").json()
    assert next(r for r in rows if r["id"] == SEED_ID)["doc_status"] == "in_progress"
    assert set(parsed) <= {SEED_ID}


def start_cli(run: Path) -> tuple[subprocess.Popen[str], str]:
    env = {k: v for k, v in os.environ.items() if k != "ABSTRACTION_DEBUG"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "abstraction", "review", str(run), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stdout.readline() if proc.stdout else ""
        if line.startswith("Open http://127.0.0.1:"):
            return proc, line.split()[1]
        if not line and proc.poll() is not None:
            break
    proc.kill()
    raise AssertionError(proc.stderr.read() if proc.stderr else "no address printed")


def test_the_printed_address_carries_the_token_and_the_bare_one_is_refused(run):
    proc, address = start_cli(run)
    try:
        url = urlsplit(address)
        assert len(url.path.strip("/")) >= 32  # the token: the path's first segment
        assert httpx.get(address, timeout=10).status_code == 200
        assert len(httpx.get(address + "api/docs", timeout=10).json()) == 2
        bare = f"{url.scheme}://{url.netloc}/"
        assert httpx.get(bare, timeout=10).status_code == 403
        assert httpx.get(bare + "api/docs", timeout=10).status_code == 403
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_sigterm_stops_the_server_promptly_with_a_request_in_flight(run):
    """A client that sends half a request body holds its request open; SIGTERM used to wait for
    it forever."""
    proc, address = start_cli(run)
    url = urlsplit(address)
    sock = socket.create_connection((url.hostname, url.port), timeout=10)
    try:
        head = (
            f"POST {url.path}api/docs/{SEED_ID}/edits HTTP/1.1\r\n"
            f'Host: 127.0.0.1:{url.port}\r\nX-Review-Client: 1\r\nIf-Match: "0"\r\n'
            "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
        )
        sock.sendall(head.encode() + b'{"reviewer": ')
        time.sleep(1.0)
        assert proc.poll() is None
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise AssertionError("SIGTERM did not stop the server within 15 s") from None
        assert time.monotonic() - started < 15
    finally:
        sock.close()
        if proc.poll() is None:
            proc.kill()
            proc.wait()


# ---- 13. request size, JSON depth, field lengths, the lock file ---------------------------


def post_streaming(base: str, *, total: int, chunked: bool) -> tuple[int, int]:
    """POST `total` bytes of body to the save endpoint a chunk at a time; return the HTTP status
    and how many body bytes had been sent when the server answered (or stopped reading)."""
    url = urlsplit(base)
    sock = socket.create_connection((url.hostname, url.port), timeout=10)
    head = (
        f"POST {url.path}/api/docs/{SEED_ID}/edits HTTP/1.1\r\n"
        f'Host: 127.0.0.1:{url.port}\r\nX-Review-Client: 1\r\nIf-Match: "0"\r\n'
        "Content-Type: application/json\r\n"
        + ("Transfer-Encoding: chunked\r\n" if chunked else f"Content-Length: {total}\r\n")
        + "\r\n"
    )
    block = b" " * 65536
    sent = 0
    try:
        sock.sendall(head.encode())
        sock.settimeout(2)
        while sent < total:
            if select.select([sock], [], [], 0)[0]:
                break  # the server answered
            data = b"%x\r\n%s\r\n" % (len(block), block) if chunked else block
            try:
                sock.sendall(data)
            except (TimeoutError, BrokenPipeError, ConnectionResetError):
                break  # the server stopped reading
            sent += len(block)
        sock.settimeout(10)
        reply = b""
        try:
            while b"\r\n" not in reply:
                part = sock.recv(4096)
                if not part:
                    break
                reply += part
        except ConnectionResetError:
            pass
    finally:
        sock.close()
    status = int(reply.split()[1]) if reply.startswith(b"HTTP/1.1") else 0
    return status, sent


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_100_mb_body_is_refused_before_it_is_read(store, run, chunked):
    with serving(store) as base:
        status, sent = post_streaming(base, total=100_000_000, chunked=chunked)
    assert status == 413
    assert sent <= 8_000_000, f"{sent} bytes were taken in before the 413"
    assert not (run / "reviews").exists()


def raw_save(client: TestClient, body: bytes):
    return client.post(
        f"/api/docs/{SEED_ID}/edits",
        content=body,
        headers={**WRITE, "If-Match": '"0"', "Content-Type": "application/json"},
    )


@pytest.mark.parametrize("depth", [100_000, 40])
def test_deeply_nested_json_is_a_400_not_a_500(store, run, depth):
    client = TestClient(
        create_app(store, token=TOKEN), base_url=f"{BASE}/{TOKEN}", raise_server_exceptions=False
    )
    value = b"[" * depth + b"]" * depth
    body = (
        b'{"reviewer": "ann", "changes": [{"op": "set", "pointer": "/treatments/3/duration", '
        b'"value": ' + value + b"}]}"
    )
    res = raw_save(client, body)
    assert res.status_code == 400, res.text[:200]
    assert "nest" in res.json()["error"]
    assert not (run / "reviews" / f"{SEED_ID}.review.json").exists()


LONG_TREATMENT = {
    **{k: None for k in ("target", "donor_type", "graft_source", "dose", "duration", "intent")},
    "time": None,
    "name": "y" * 200_000,
    "category": "other",
    "evidence": {"quote": "After treatment with CAR-T cell therapy"},
}


@pytest.mark.parametrize(
    "body",
    [
        {"reviewer": "a" * 5000, "changes": [{"op": "accept", "pointer": "/treatments/0"}]},
        {
            "reviewer": "ann",
            "reason": "r" * 50_000,
            "changes": [{"op": "accept", "pointer": "/treatments/0"}],
        },
        {
            "reviewer": "ann",
            "changes": [
                {"op": "set", "pointer": "/treatments/3", "value": {"duration": "x" * 500_000}}
            ],
        },
        {
            "reviewer": "ann",
            "changes": [{"op": "add", "pointer": "/treatments", "value": LONG_TREATMENT}],
        },
    ],
    ids=["reviewer", "reason", "value", "added item"],
)
def test_names_reasons_and_values_have_length_limits(client, run, body):
    res = raw_save(client, json.dumps(body).encode())
    assert res.status_code == 422, res.text[:200]
    assert "too long" in res.text
    assert not (run / "reviews" / f"{SEED_ID}.review.json").exists()


def test_a_symlinked_lock_file_creates_nothing_outside_the_run(client, run, tmp_path):
    (run / "reviews").mkdir()
    target = tmp_path / "outside" / "planted"
    target.parent.mkdir()
    (run / "reviews" / ".lock").symlink_to(target)
    res = save(client, SEED_ID, 0, {"op": "accept", "pointer": "/treatments/0"})
    assert res.status_code == 400 and ".lock" in res.json()["error"]
    assert not target.exists()
    assert list(target.parent.iterdir()) == []


# -- the review app's third hostile audit (eleventh session; out/audit-s11d, not committed) ----


@pytest.mark.parametrize("version", [b'"' + b"9" * 5000 + b'"'])
def test_an_if_match_int_cannot_read_is_a_428_not_a_500(client, version):
    """A 5,000-digit If-Match made int() raise (a 500).  (The check also wants ASCII digits:
    `str.isdigit` takes "²" for one, which this client does not send as such.)"""
    res = client.post(
        f"/api/docs/{SEED_ID}/edits",
        json={"reviewer": "ann", "changes": [{"op": "accept", "pointer": "/treatments/0"}]},
        headers={**WRITE, "If-Match": version},
    )
    assert res.status_code == 428, res.text[:200]


@pytest.mark.parametrize("where", ["reason", "value"])
def test_a_lone_surrogate_is_refused_not_a_500(client, run, where):
    """JSON's "\\ud800" is no text: writing it failed with a 500 after every check passed."""
    change = {"op": "accept", "pointer": "/treatments/0"}
    if where == "value":
        change = {"op": "set", "pointer": "/treatments/3", "value": {"duration": "x\ud800"}}
    body = {
        "reviewer": "ann",
        "reason": "r\ud800" if where == "reason" else "r",
        "changes": [change],
    }
    res = raw_save(client, json.dumps(body).encode())
    assert res.status_code == 422 and "surrogate" in res.text, res.text[:200]
    assert not (run / "reviews" / f"{SEED_ID}.review.json").exists()


def test_a_review_path_that_cannot_be_read_is_that_document_s_error(client, run):
    """A folder (or an unreadable file) where the review file goes gave a 500 for the document
    and for the whole list."""
    (run / "reviews" / f"{SEED_ID}.review.json").mkdir(parents=True)
    listed = client.get("/api/docs")
    assert listed.status_code == 200
    row = next(r for r in listed.json() if r["id"] == SEED_ID)
    assert "cannot read the review file" in row["error"]
    assert client.get(f"/api/docs/{SEED_ID}").status_code == 400
    res = save(client, SEED_ID, 0, {"op": "accept", "pointer": "/treatments/0"})
    assert res.status_code == 400 and "cannot read the review file" in res.text


def test_evidence_set_by_a_plain_set_is_cut_from_the_text(client, run, store):
    """A plain ``set`` of a fact's evidence stored any quote with ``status: "exact"`` (the
    selection route checked it against the text, this one did not); JSON true/false passed
    for offsets."""
    text = store.source(SEED_ID).text
    assert text is not None
    model_ev = store.state(SEED_ID)[1].working["treatments"][2]["evidence"]
    forged = {**model_ev, "quote": "rituximab was given and worked", "start": 0, "end": 30}
    res = save(
        client, SEED_ID, 0, {"op": "set", "pointer": "/treatments/2/evidence", "value": forged}
    )
    assert res.status_code == 422 and "do not match the selected text" in res.text
    bools = {"start": False, "end": True}
    res = save(
        client, SEED_ID, 0, {"op": "set_evidence", "pointer": "/treatments/2", "value": bools}
    )
    assert res.status_code == 422
    at = text.index("interferon")
    chosen = {"quote": text[at : at + 10], "start": at, "end": at + 10}
    res = save(
        client, SEED_ID, 0, {"op": "set", "pointer": "/treatments/2/evidence", "value": chosen}
    )
    assert res.status_code == 200, res.text[:300]
    stored = store.state(SEED_ID)[1].working["treatments"][2]["evidence"]
    assert stored["quote"] == text[at : at + 10] and stored["status"] == "exact"
    back = save(
        client, SEED_ID, 1, {"op": "set", "pointer": "/treatments/2/evidence", "value": model_ev}
    )
    assert back.status_code == 200, "the model's own evidence again is a revert, not a selection"
    assert store.state(SEED_ID)[1].working["treatments"][2]["evidence"] == model_ev
