"""The engine: what it is, whether its code runs on any AVX2 CPU, and what a user sees when it
dies (SIGILL, SIGKILL) instead of "connection error"."""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict

from abstraction.client import ModelClient, ModelConfig
from abstraction.client.engine import (
    cpu_info,
    describe_exit,
    engine_info,
    scan_library,
    scan_portability,
)
from abstraction.client.local import SPECULATIVE_TYPES, LocalServer, ServerOptions
from abstraction.core.errors import ConfigError, EndpointError
from abstraction.core.prompts import PromptSettings

REPO = Path(__file__).resolve().parents[2]


def test_exit_statuses_say_what_happened_and_sigill_says_the_fix():
    ill = describe_exit(-int(signal.SIGILL))
    assert "SIGILL" in ill and "CPU instructions this machine does not support" in ill
    assert "pip install --force-reinstall 'abstraction[local]'" in ill
    assert "GGML_NATIVE=OFF" in ill
    assert "SIGKILL" in describe_exit(-int(signal.SIGKILL))
    assert "out-of-memory" in describe_exit(-int(signal.SIGKILL))
    assert describe_exit(3) == "exited with code 3"
    assert "SIGSEGV" in describe_exit(-int(signal.SIGSEGV))


def test_cpu_flags_are_read_from_cpuinfo(tmp_path: Path):
    fake = tmp_path / "cpuinfo"
    fake.write_text(
        "processor\t: 0\nmodel name\t: Test CPU\nflags\t\t: fpu sse4_2 avx avx2 fma "
        "avx512f amx_tile amx_int8\n\nprocessor\t: 1\nmodel name\t: Test CPU\n"
    )
    info = cpu_info(fake)
    assert info.model == "Test CPU"
    if info.arch in ("x86_64", "amd64"):
        assert info.flags == ("sse4_2", "avx", "avx2", "fma", "avx512f", "amx_tile", "amx_int8")
        assert info.has_avx2


# --------------------------------------------------------------------------- portability scan

_SOURCES = {
    "plain": "int f(int x) { return x * 3; }\n",
    "avx512": (
        "#include <immintrin.h>\n"
        "void f(float *a) { __m512 v = _mm512_loadu_ps(a); "
        "_mm512_storeu_ps(a, _mm512_add_ps(v, v)); }\n"
    ),
    "amx": 'void f(void) { __asm__ volatile ("tilerelease"); }\n',
}


def _compile(tmp_path: Path, name: str, flags: list[str]) -> Path:
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None or shutil.which("objdump") is None:
        pytest.skip("needs a C compiler and objdump (binutils) to build sample libraries")
    src = tmp_path / f"{name}.c"
    src.write_text(_SOURCES[name])
    lib = tmp_path / f"lib{name}.so"
    done = subprocess.run(
        [cc, "-O2", "-shared", "-fPIC", *flags, str(src), "-o", str(lib)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"the compiler cannot build the {name} sample: {done.stderr[-300:]}")
    return lib


def test_the_scan_finds_avx512_and_amx_code_and_passes_plain_code(tmp_path: Path):
    plain = _compile(tmp_path, "plain", [])
    avx512 = _compile(tmp_path, "avx512", ["-mavx512f"])
    amx = _compile(tmp_path, "amx", ["-mamx-tile"])
    assert scan_library(plain).unguarded == 0
    assert scan_library(avx512).avx512 > 0
    assert scan_library(amx).amx > 0
    assert scan_portability((plain,)).portable
    assert not scan_portability((plain, avx512)).portable
    assert not scan_portability((amx,)).portable


def test_a_llama_cpp_cpu_variant_library_counts_as_dispatched(tmp_path: Path):
    """llama.cpp's loader picks libggml-cpu-<variant>.so only on a CPU that has it."""
    avx512 = _compile(tmp_path, "avx512", ["-mavx512f"])
    variant = avx512.rename(tmp_path / "libggml-cpu-skylakex.so")
    scan = scan_library(variant)
    assert scan.avx512 > 0 and scan.dispatched and scan.unguarded == 0


@pytest.mark.skipif(importlib.util.find_spec("xllamacpp") is None, reason="xllamacpp not installed")
def test_the_installed_default_engine_runs_on_any_avx2_cpu():
    """The portability check CI runs: the engine's code has no unguarded AVX-512 or AMX."""
    info = engine_info("xllamacpp")
    assert info.installed and info.libraries
    report = scan_portability(info.libraries)
    assert report.portable, report


# --------------------------------------------------------------------------- a dead engine


class _Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    answer: str | None


def _ask(client: ModelClient) -> None:
    client.complete(
        messages=[{"role": "user", "content": "hello"}],
        response_model=_Answer,
        json_schema=_Answer.model_json_schema(),
        settings=PromptSettings(max_tokens=20, max_retries=0),
    )


@pytest.fixture
def stand_in_server(tmp_path: Path):
    """The lifecycle of the embedded server around a stand-in engine (the fault server, a
    real HTTP server) so that it can be killed like llama.cpp is."""
    model = tmp_path / "model.gguf"
    model.write_bytes(b"GGUF")
    command = (sys.executable, str(REPO / "tests" / "jobs" / "fault_server.py"))
    options = ServerOptions(command=(*command, "--port", "{port}", "--max-seconds", "120"))
    with LocalServer(model_path=model, cache_dir=tmp_path, options=options) as server:
        yield server


@pytest.mark.parametrize(
    ("sig", "words"),
    [
        (signal.SIGILL, ["SIGILL", "CPU instructions this machine does not support"]),
        (signal.SIGKILL, ["SIGKILL"]),
    ],
)
def test_a_killed_engine_is_reported_with_its_signal_and_log(
    stand_in_server: LocalServer, sig: signal.Signals, words: list[str]
):
    client = ModelClient(
        ModelConfig(http_retries=0, structured="json_object_schema"),
        base_url=stand_in_server.base_url,
        api_key="sk-local",
        model_name="m",
        health=stand_in_server.death,
    )
    _ask(client)  # alive: answers
    assert stand_in_server.pid is not None
    os.kill(stand_in_server.pid, sig)
    with pytest.raises(EndpointError) as err:
        _ask(client)
    message = str(err.value)
    assert err.value.kind == "engine_died"
    assert "connection error" not in message.lower()
    for word in words:
        assert word in message
    assert str(stand_in_server.log_path) in message
    assert "last lines of the log" in message or "the log is empty" in message
    client.close()


def test_an_unreachable_endpoint_names_its_url_and_is_not_a_model_error():
    client = ModelClient(
        ModelConfig(model="m", base_url="http://127.0.0.1:9/v1", http_retries=0),
        base_url="http://127.0.0.1:9/v1",
        api_key="sk-test",
        model_name="m",
    )
    t0 = time.monotonic()
    with pytest.raises(EndpointError) as err:
        _ask(client)
    assert err.value.kind == "unreachable"
    assert "http://127.0.0.1:9/v1" in str(err.value) and "--base-url" in str(err.value)
    assert time.monotonic() - t0 < 10
    client.close()


def test_speculative_decoding_is_checked_before_any_server_starts():
    with pytest.raises(ConfigError, match="only for the xllamacpp engine"):
        ServerOptions(engine="llama-cpp-python", speculative="ngram-simple")
    with pytest.raises(ConfigError, match="not one of"):
        ServerOptions(speculative="draft-simple")  # needs a draft model we do not have
    settings = ServerOptions(speculative="ngram-simple", spec_n=3, spec_m=16).xllamacpp_settings(
        model=Path("m.gguf"), port=1, alias="m"
    )
    assert '"speculative": "ngram-simple", "spec_n": 3, "spec_m": 16' in settings


@pytest.mark.skipif(importlib.util.find_spec("xllamacpp") is None, reason="xllamacpp not installed")
def test_every_speculative_type_we_accept_is_one_the_engine_has():
    import xllamacpp

    members = xllamacpp.common_speculative_type.__members__
    for name in SPECULATIVE_TYPES:
        assert "COMMON_SPECULATIVE_TYPE_" + name.upper().replace("-", "_") in members


def test_the_ram_prompt_cache_setting_reaches_both_llama_cpp_servers():
    off = ServerOptions(cache_ram_mib=0)
    assert '"cache_ram_mib": 0' in off.xllamacpp_settings(model=Path("m.gguf"), port=1, alias="m")
    default = ServerOptions().xllamacpp_settings(model=Path("m.gguf"), port=1, alias="m")
    assert '"cache_ram_mib": null' in default  # the engine's own default is kept
    flags = ServerOptions(engine="llama-server", llama_server=Path("/bin/true"), cache_ram_mib=0)
    args = flags.llama_server_args(model=Path("m.gguf"), port=1, alias="m")
    assert args[args.index("--cache-ram") + 1] == "0"
    with pytest.raises(ConfigError, match="prompt cache"):
        ServerOptions(engine="llama-cpp-python", cache_ram_mib=0)


@pytest.mark.skipif(importlib.util.find_spec("xllamacpp") is None, reason="xllamacpp not installed")
def test_the_engine_has_the_ram_prompt_cache_setting_we_set():
    import xllamacpp

    assert hasattr(xllamacpp.CommonParams(), "cache_ram_mib")
