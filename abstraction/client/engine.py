"""What runs the embedded model, whether it can run on this CPU, and why it died.

Three llama.cpp engines can serve the embedded model (`LocalServer` starts them):

- ``xllamacpp`` (the default): a prebuilt PyPI wheel with llama.cpp's own C++ server inside.
  Its Linux x86-64 wheel is compiled for an AVX2 baseline with no AVX-512 and no AMX code, so
  it runs on any x86-64 machine with AVX2, whatever the machine that built it had; its aarch64
  wheel targets plain armv8-a.  Nothing is compiled at install time.
- ``llama-cpp-python``: llama-cpp-python's Python server.  pip builds it from source, and its
  default build is tuned to the build machine's CPU (``GGML_NATIVE``): on a machine that
  advertises AMX or AVX-512 but traps it (some virtual machines), or on any other CPU class,
  it dies with SIGILL at its first request.  Kept for comparison and old recordings.
- ``llama-server``: a llama.cpp ``llama-server`` binary the user built
  (``scripts/build_llama_server.sh`` builds a portable one).

`scan_portability` disassembles an engine's shared libraries (binutils ``objdump``) and counts
instructions that an AVX2-only x86-64 CPU cannot run: AVX-512 (``zmm`` registers, ``k`` mask
registers, the upper 16 vector registers) and AMX tiles.  llama.cpp's portable builds keep such
code only in per-CPU variant libraries (``libggml-cpu-<variant>.so``) that its loader picks at
run time after checking the CPU, so those files are listed but not counted against the build.
`describe_exit` turns a dead server's exit status into the sentence a user needs.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import platform
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

Engine = Literal["xllamacpp", "llama-cpp-python", "llama-server"]
ENGINES: tuple[Engine, ...] = ("xllamacpp", "llama-cpp-python", "llama-server")
DEFAULT_ENGINE: Engine = "xllamacpp"

# The distribution and import name of each Python engine.
_PACKAGES: dict[str, tuple[str, str]] = {
    "xllamacpp": ("xllamacpp", "xllamacpp"),
    "llama-cpp-python": ("llama-cpp-python", "llama_cpp"),
}

PORTABLE_FIX = (
    "reinstall the portable engine: pip install --force-reinstall 'abstraction[local]' "
    "(the prebuilt xllamacpp wheel, AVX2 baseline, nothing compiled); a llama.cpp you build "
    "yourself needs -DGGML_NATIVE=OFF with explicit flags (scripts/build_llama_server.sh). "
    "`abstraction doctor` checks the engine"
)

# CPU flags worth reporting (Linux /proc/cpuinfo names).
_X86_FLAGS = (
    "sse4_2", "avx", "avx2", "fma", "f16c", "avx_vnni", "avx512f", "avx512bw", "avx512vl",
    "avx512_vnni", "avx512_bf16", "amx_tile", "amx_int8", "amx_bf16",
)  # fmt: skip
_ARM_FLAGS = ("asimd", "asimddp", "i8mm", "sve", "sve2", "bf16")


@dataclass(frozen=True)
class CpuInfo:
    arch: str
    model: str
    flags: tuple[str, ...]
    """The reported flags among those that matter to llama.cpp."""

    @property
    def has_avx2(self) -> bool:
        return "avx2" in self.flags


def cpu_info(cpuinfo: Path = Path("/proc/cpuinfo")) -> CpuInfo:
    """The CPU's architecture, model and the instruction-set flags it advertises.

    Advertised is not usable: a virtual machine can advertise AMX and trap it, which is why
    the engine must not depend on the flags of the machine it was built on."""
    arch = platform.machine() or "unknown"
    model, flags = "", set[str]()
    try:
        text = cpuinfo.read_text(encoding="utf-8", errors="replace")
    except OSError:
        text = ""
    for line in text.splitlines():
        key, _, value = line.partition(":")
        key = key.strip().lower()
        if key in ("model name", "cpu model") and not model:
            model = value.strip()
        elif key in ("flags", "features"):
            flags.update(value.split())
    wanted = _ARM_FLAGS if arch in ("aarch64", "arm64") else _X86_FLAGS
    model = model or platform.processor() or "unknown"
    return CpuInfo(arch=arch, model=model, flags=tuple(f for f in wanted if f in flags))


@dataclass(frozen=True)
class EngineInfo:
    engine: Engine
    installed: bool
    version: str | None
    libraries: tuple[Path, ...]
    """The engine's native code: the shared libraries (or binary) that run the model."""


def engine_info(engine: Engine, *, llama_server: Path | None = None) -> EngineInfo:
    """Is `engine` installed, which version, and where is its native code."""
    if engine == "llama-server":
        if llama_server is None or not llama_server.is_file():
            return EngineInfo(engine, False, None, ())
        libs = _distinct([llama_server, *llama_server.parent.glob("lib*.so*")])
        return EngineInfo(engine, True, None, libs)
    dist, module = _PACKAGES[engine]
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        return EngineInfo(engine, False, None, ())
    root = Path(next(iter(spec.submodule_search_locations)))
    try:
        version: str | None = importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        version = None
    return EngineInfo(engine, True, version, _distinct(root.rglob("*.so*")))


def _distinct(paths: Iterable[Path]) -> tuple[Path, ...]:
    """Each library once: libx.so, libx.so.0 and libx.so.0.1 are one file, as links or (in a
    wheel, which keeps no links) as identical copies."""
    seen: dict[tuple[int, str], Path] = {}
    for path in sorted(p for p in paths if p.is_file()):
        data = path.read_bytes()
        seen.setdefault((len(data), hashlib.blake2b(data, digest_size=16).hexdigest()), path)
    return tuple(sorted(seen.values()))


_PROBES = {
    "xllamacpp": (
        "import json, xllamacpp as x; "
        "print(json.dumps({'system_info': x.get_system_info(), 'build': x.BUILD_INFO}))"
    ),
    "llama-cpp-python": (
        "import json, llama_cpp as l; "
        "print(json.dumps({'system_info': l.llama_print_system_info().decode()}))"
    ),
}


def build_flags(engine: Engine, *, python: str = sys.executable, timeout: float = 60.0) -> dict:
    """llama.cpp's own report of the CPU features it was compiled to use (``AVX2 = 1 | ...``),
    read in a child process so that an engine that crashes on import is reported, not fatal."""
    code = _PROBES.get(engine)
    if code is None:
        return {}
    try:
        done = subprocess.run(
            [python, "-c", code], capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        return {"error": f"the probe did not finish in {timeout:.0f} s"}
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        return {"error": f"{describe_exit(done.returncode)}: {' / '.join(tail)}"}
    lines = done.stdout.strip().splitlines()
    try:
        data = json.loads(lines[-1]) if lines else {}
    except json.JSONDecodeError:
        return {"error": f"unexpected probe output: {done.stdout[-200:]!r}"}
    return data if isinstance(data, dict) else {}


# --------------------------------------------------------------------------- portability

# AT&T syntax as objdump prints it.  AVX-512: zmm registers, opmask registers %k0-%k7, and the
# upper vector registers xmm16-31/ymm16-31 (EVEX-only).  AMX: the tile instructions.
_AVX512 = re.compile(r"%zmm\d|%k[0-7]\b|%[xy]mm(?:1[6-9]|2\d|3[01])\b")
_AMX = re.compile(r"\btile(?:zero|loadd|loaddt1|stored|release|cfg)\b|\btdp\w*\b|\bldtilecfg\b")
_VARIANT = re.compile(r"libggml-cpu-[\w.-]+\.so")


@dataclass(frozen=True)
class LibraryScan:
    path: Path
    avx512: int
    amx: int
    dispatched: bool
    """A llama.cpp per-CPU variant library: loaded only on a CPU that has its features."""

    @property
    def unguarded(self) -> int:
        return 0 if self.dispatched else self.avx512 + self.amx


@dataclass(frozen=True)
class PortabilityReport:
    scanned: tuple[LibraryScan, ...] = ()
    problems: tuple[str, ...] = field(default=())

    @property
    def portable(self) -> bool:
        return not self.problems and all(s.unguarded == 0 for s in self.scanned)


def scan_library(path: Path, *, objdump: str = "objdump") -> LibraryScan:
    """Count AVX-512 and AMX instructions in one shared library's code."""
    avx512 = amx = 0
    with subprocess.Popen(
        [objdump, "-d", "--no-show-raw-insn", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        errors="replace",
    ) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            if "%" not in line and "tile" not in line and "tdp" not in line:
                continue
            if _AVX512.search(line):
                avx512 += 1
            elif _AMX.search(line):
                amx += 1
    return LibraryScan(path, avx512, amx, dispatched=bool(_VARIANT.fullmatch(path.name)))


def scan_portability(libraries: tuple[Path, ...]) -> PortabilityReport:
    """Would this engine crash on an x86-64 CPU with AVX2 but no AVX-512 or AMX?

    Only x86-64 code is scanned (an aarch64 build is checked by its wheel's baseline)."""
    if not libraries:
        return PortabilityReport(problems=("the engine has no native libraries to scan",))
    objdump = shutil.which("objdump")
    if objdump is None:
        return PortabilityReport(
            problems=("objdump (binutils) is not installed: cannot scan the engine's code",)
        )
    return PortabilityReport(tuple(scan_library(p, objdump=objdump) for p in libraries))


# --------------------------------------------------------------------------- dead servers


def describe_exit(returncode: int) -> str:
    """What a child's exit status means, in the words a user needs (with the fix for SIGILL)."""
    if returncode >= 0:
        return f"exited with code {returncode}"
    try:
        sig = signal.Signals(-returncode)
    except ValueError:
        return f"was killed by signal {-returncode}"
    if sig == signal.SIGILL:
        return (
            "was killed by SIGILL (illegal instruction): this llama.cpp build uses CPU "
            f"instructions this machine does not support. Fix: {PORTABLE_FIX}"
        )
    if sig == signal.SIGKILL:
        return (
            "was killed by SIGKILL (by the kernel's out-of-memory killer, see `dmesg`, or by "
            "kill -9)"
        )
    if sig in (signal.SIGSEGV, signal.SIGBUS, signal.SIGABRT, signal.SIGFPE):
        return f"crashed with {sig.name}"
    return f"was stopped by {sig.name}"
