"""`abstraction doctor`: can the embedded model run here, and if not, why.

Each check returns a `Check` (library code prints nothing): the CPU's instruction sets, the
engine (installed, version, the CPU features llama.cpp was compiled for), whether the engine's
code would run on any x86-64 CPU with AVX2 (`engine.scan_portability`), the model file (size
and a full sha256, not the cached verification), and a one-token call to a freshly started
server, timed.  A check that fails says what to do.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from abstraction.client.engine import (
    PORTABLE_FIX,
    Engine,
    build_flags,
    cpu_info,
    engine_info,
    scan_portability,
)
from abstraction.client.weights import MODEL_SHA256, MODEL_SIZE, ensure_model, sha256_file
from abstraction.core.errors import AbstractionError


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def check_cpu() -> Check:
    info = cpu_info()
    detail = f"{info.arch}, {info.model}; flags: {' '.join(info.flags) or 'none reported'}"
    if info.arch in ("x86_64", "amd64") and not info.has_avx2:
        return Check("cpu", False, f"{detail}. The prebuilt engine needs AVX2")
    return Check("cpu", True, detail)


def check_engine(engine: Engine, llama_server: Path | None = None) -> Check:
    info = engine_info(engine, llama_server=llama_server)
    if not info.installed:
        return Check(
            "engine", False, f"{engine} is not installed: pip install 'abstraction[local]'"
        )
    flags = build_flags(engine)
    if "error" in flags:
        return Check("engine", False, f"{engine} {info.version or ''}: {flags['error']}")
    system = str(flags.get("system_info", "")).strip().rstrip("|").strip()
    build = flags.get("build")
    detail = f"{engine} {info.version or '(version unknown)'}; compiled for: {system or '?'}"
    if build:
        detail += f"; build: {build}"
    return Check("engine", True, detail)


def check_portability(engine: Engine, llama_server: Path | None = None) -> Check:
    info = engine_info(engine, llama_server=llama_server)
    report = scan_portability(info.libraries)
    if report.problems:
        return Check("portability", False, "; ".join(report.problems))
    parts = []
    for scan in report.scanned:
        if scan.avx512 or scan.amx:
            what = f"{scan.path.name}: {scan.avx512} AVX-512, {scan.amx} AMX instructions"
            parts.append(what + (" (a variant picked at run time)" if scan.dispatched else ""))
    clean = sum(1 for scan in report.scanned if not (scan.avx512 or scan.amx))
    parts.append(f"no AVX-512 or AMX instructions in {clean} of {len(report.scanned)} libraries")
    detail = "; ".join(parts)
    if not report.portable:
        return Check(
            "portability",
            False,
            f"{detail}. This build would crash (SIGILL) on a CPU without those instructions: "
            f"{PORTABLE_FIX}",
        )
    return Check("portability", True, f"{detail}: runs on any x86-64 CPU with AVX2")


def check_model(path: Path | None = None) -> Check:
    """The model file, hashed in full (a `--gguf` file has no expected hash: shown only)."""
    expected_sha = MODEL_SHA256 if path is None else None
    if path is None:
        try:
            path = ensure_model()  # joins the installed parts if that was not done yet
        except AbstractionError as exc:
            return Check("model", False, str(exc))
    if not path.is_file():
        return Check("model", False, f"{path} does not exist")
    size = path.stat().st_size
    t0 = time.perf_counter()
    digest = sha256_file(path)
    took = time.perf_counter() - t0
    detail = f"{path}, {size:,} bytes, sha256 {digest} ({took:.1f} s)"
    if expected_sha is not None and (digest != expected_sha or size != MODEL_SIZE):
        return Check("model", False, f"{detail}; expected {expected_sha}: delete it to rebuild")
    return Check("model", True, detail + (": verified" if expected_sha else ""))


def check_smoke(
    engine: Engine, *, model: Path | None = None, llama_server: Path | None = None
) -> Check:
    """Start the server, ask for one token, stop it; the time of each step."""
    from abstraction.client.local import LocalServer, ServerOptions

    try:
        path = model or ensure_model()
        options = ServerOptions(engine=engine, llama_server=llama_server, n_ctx=2048)
        with LocalServer(model_path=path, options=options) as server:
            t0 = time.perf_counter()
            body = {
                "model": server.model_alias,
                "messages": [{"role": "user", "content": "Say OK."}],
                "max_tokens": 1,
                "temperature": 0,
            }
            try:
                with httpx.Client(trust_env=False, timeout=300) as http:
                    answer = http.post(f"{server.base_url}/chat/completions", json=body)
            except httpx.HTTPError as exc:
                death = server.death()
                return Check("smoke call", False, death or f"the call failed: {exc!r}")
            took = time.perf_counter() - t0
            if answer.status_code != 200:
                return Check("smoke call", False, f"HTTP {answer.status_code}: {answer.text[:300]}")
            return Check(
                "smoke call",
                True,
                f"server ready in {server.startup_seconds or 0:.1f} s, one token in {took:.2f} s "
                f"({engine}; log {server.log_path})",
            )
    except AbstractionError as exc:
        return Check("smoke call", False, str(exc))


def run_checks(
    engine: Engine,
    *,
    llama_server: Path | None = None,
    gguf: Path | None = None,
    scan: bool = True,
    smoke: bool = True,
) -> list[Check]:
    """Every check, in order; the smoke call runs only if the engine and model look sound."""
    checks = [check_cpu(), check_engine(engine, llama_server)]
    if scan:
        checks.append(check_portability(engine, llama_server))
    checks.append(check_model(gguf))
    if smoke:
        if all(c.ok for c in checks[1:]):
            checks.append(check_smoke(engine, model=gguf, llama_server=llama_server))
        else:
            checks.append(Check("smoke call", False, "not run: fix the problems above first"))
    return checks
