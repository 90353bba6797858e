"""The embedded model's server: a llama.cpp engine on a free loopback port, always stopped.

`LocalServer` runs an OpenAI-compatible llama.cpp server as a child process (see
`abstraction.client.engine` for the engines: the prebuilt, portable ``xllamacpp`` by default;
llama-cpp-python's server; or a ``llama-server`` binary).  The child must never outlive us: the
context manager stops it on exit, on exceptions and on Ctrl-C, and on Linux the kernel kills it
(``PR_SET_PDEATHSIG``) even when the parent is killed with ``kill -9``.

A server that dies is reported with the reason (`LocalServer.death`): its exit code or signal
(SIGILL: a build that uses CPU instructions this machine lacks, with the fix), the path of its
log and the log's last lines.  The model client asks for that whenever a call fails, so a
crashed engine never reads as a "connection error".
"""

from __future__ import annotations

import atexit
import contextlib
import importlib.util
import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Self

import httpx

from abstraction.client.bootstraps import (
    BOOTSTRAP,
    EXEC_BOOTSTRAP,
    XLLAMACPP_BOOTSTRAP,
)
from abstraction.client.engine import DEFAULT_ENGINE, Engine, describe_exit
from abstraction.client.weights import INSTALL_HINT, cache_root, ensure_model, with_mtime
from abstraction.core.errors import ConfigError, ModelSetupError

LLAMA_SERVER_ENV = "ABSTRACTION_LLAMA_SERVER"
BUILD_HINT = "build it with scripts/build_llama_server.sh"

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


SPECULATIVE_TYPES = ("ngram-simple", "ngram-map-k")
"""llama.cpp's speculative decoding without a draft model (``--spec-type``) whose n-gram sizes
`ServerOptions.spec_n` and `spec_m` set; the others take settings we do not pass."""


@dataclass(frozen=True)
class ServerOptions:
    """llama.cpp settings for the embedded server, the same for every engine.

    Where these differ from the engines' defaults, it is on purpose: `logits_all` is off
    (llama-cpp-python's server turns it on, which allocates n_ctx x vocab floats, ~5 GB at 8192
    tokens with Qwen's 152k vocabulary); `use_mlock` is off (pinning 1.1 GB gains nothing on a
    machine that is not swapping, and an unprivileged RLIMIT_MEMLOCK refuses it); threads
    default to every usable CPU for both generation and prompt processing; the context is 8192
    tokens; and `repeat_penalty`/`repeat_last_n` are llama-cpp-python's defaults for a request
    that names no penalty (ours do not), given to every engine: llama.cpp's own default is no
    penalty, with which greedy decoding (temperature 0) of the 1.5B model loops until
    max_tokens (3 of 4 short cases were cut off at 3,000 tokens).

    `engine`: ``xllamacpp`` (default), ``llama-cpp-python`` or ``llama-server``; naming a
    `llama_server` binary implies ``llama-server``.  `parallel` is the number of slots (not
    llama-cpp-python, which decodes one request at a time).  `n_ctx` stays the context of ONE
    request: the server gets ``n_ctx * parallel`` tokens, split evenly across the slots.
    `command`: run this instead (any OpenAI-compatible server; ``{port}``, ``{model}`` and
    ``{alias}`` are filled in), for tests and for servers we do not know.
    `cache_ram_mib`: llama.cpp's host-memory prompt cache (``--cache-ram``; not
    llama-cpp-python): None keeps the engine's default (8192 MiB in xllamacpp's llama.cpp), which
    keeps earlier prompts' KV in RAM and restores the longest matching one, so a document
    extracted before is read again in a fraction of the time; 0 turns it off (a benchmark that
    wants every extraction cold, bench/prompt_cost.py).
    `speculative`: llama.cpp's self-speculative decoding without a draft model (xllamacpp
    only): ``ngram-simple`` or ``ngram-map-k`` drafts the `spec_m` tokens that followed the
    last earlier occurrence of the latest `spec_n` tokens (in the prompt or the answer), and
    the model checks the draft in one batch.  None (default): off (docs/engine.md).
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
    startup_timeout: float = 120.0
    stop_grace: float = 5.0
    extra_args: tuple[str, ...] = ()
    engine: Engine = DEFAULT_ENGINE
    llama_server: Path | None = None
    parallel: int = 1
    repeat_penalty: float = 1.1
    repeat_last_n: int = 64
    command: tuple[str, ...] | None = None
    speculative: str | None = None
    spec_n: int = 12
    spec_m: int = 48
    cache_ram_mib: int | None = None

    def __post_init__(self) -> None:
        if self.cache_ram_mib is not None and self.engine == "llama-cpp-python":
            raise ConfigError("the host-memory prompt cache is llama.cpp's own server's")
        if self.speculative is not None:
            if self.engine != "xllamacpp":
                raise ConfigError("speculative decoding is set only for the xllamacpp engine")
            if self.speculative not in SPECULATIVE_TYPES:
                raise ConfigError(
                    f"speculative decoding {self.speculative!r} is not one of "
                    f"{', '.join(SPECULATIVE_TYPES)}"
                )
        if self.parallel < 1:
            raise ConfigError(f"parallel slots must be at least 1, not {self.parallel}")
        if self.llama_server is not None and self.engine != "llama-server":
            object.__setattr__(self, "engine", "llama-server")
        if self.engine == "llama-server" and self.llama_server is None and not self.command:
            raise ConfigError(
                f"engine llama-server needs its binary: set ${LLAMA_SERVER_ENV} or pass its "
                f"path; {BUILD_HINT}"
            )
        if self.parallel > 1 and self.engine == "llama-cpp-python":
            raise ConfigError(
                "parallel slots need llama.cpp's own server (engine xllamacpp or llama-server): "
                "llama-cpp-python's server decodes one request at a time"
            )

    @property
    def backend(self) -> str:
        """What serves the model, for provenance."""
        if self.command:
            return "command"
        return "llama_cpp.server" if self.engine == "llama-cpp-python" else self.engine

    def cli_args(self, *, model: Path, port: int, alias: str) -> list[str]:
        """The server's arguments for the configured engine."""
        if self.command:
            fill = {"port": str(port), "model": str(model), "alias": alias}
            return [a.format(**fill) for a in self.command[1:]]
        if self.engine == "llama-server":
            return self.llama_server_args(model=model, port=port, alias=alias)
        if self.engine == "xllamacpp":
            return [self.xllamacpp_settings(model=model, port=port, alias=alias)]
        return self.llama_cpp_server_args(model=model, port=port, alias=alias)

    def xllamacpp_settings(self, *, model: Path, port: int, alias: str) -> str:
        """The settings `XLLAMACPP_BOOTSTRAP` gives xllamacpp's ``CommonParams``, as JSON:
        the same meaning as llama-server's flags below (xllamacpp runs that server in-process)."""
        threads = self.n_threads or usable_cpus()
        return json.dumps(
            {
                "model": str(model), "alias": alias, "port": port,
                "n_ctx": self.n_ctx * self.parallel, "parallel": self.parallel,
                "n_batch": self.n_batch, "n_ubatch": self.n_ubatch, "threads": threads,
                "flash_attn": self.flash_attn, "use_mmap": self.use_mmap,
                "use_mlock": self.use_mlock, "chat_template": self.chat_format,
                "repeat_penalty": self.repeat_penalty, "repeat_last_n": self.repeat_last_n,
                "speculative": self.speculative, "spec_n": self.spec_n, "spec_m": self.spec_m,
                "cache_ram_mib": self.cache_ram_mib,
            }
        )  # fmt: skip

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
        if self.cache_ram_mib is not None:
            args += ["--cache-ram", str(self.cache_ram_mib)]
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


_PORT_RETRIES = 3
_KEEP_LOGS = 10
_PYTHON_ENGINES = {"xllamacpp": "xllamacpp", "llama-cpp-python": "llama_cpp"}


class LocalServer:
    """The embedded OpenAI-compatible server as a child process on a free loopback port, run
    by the engine the options name (xllamacpp by default).

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
        self._check_engine()
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

    def death(self, grace: float = 1.0) -> str | None:
        """None while the server runs (or after `stop`); once it has died on its own, what
        happened: exit code or signal (with the fix for SIGILL), its log's path and last lines.

        Waits up to `grace` seconds: a server that just crashed is reaped by its keeper
        thread a moment after the failed call saw the connection go."""
        proc = self._proc
        if proc is None:
            return None
        try:
            code = proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            return None
        return self._death_message(code, "")

    def _death_message(self, code: int, when: str) -> str:
        tail = self._log_tail(lines=15)
        shown = f"\nlast lines of the log:\n{tail}" if tail else " (the log is empty)"
        return (
            f"the local model server ({self._options.backend}) {describe_exit(code)}{when}. "
            f"Its log: {self.log_path}{shown}"
        )

    # -- internals

    def _check_engine(self) -> None:
        opts = self._options
        if opts.command:
            return
        if opts.engine == "llama-server":
            binary = opts.llama_server
            if binary is None or not (binary.is_file() and os.access(binary, os.X_OK)):
                raise ModelSetupError(
                    f"llama-server binary not found or not executable: {binary}; {BUILD_HINT}"
                )
            return
        module = _PYTHON_ENGINES[opts.engine]
        if importlib.util.find_spec(module) is None:
            hint = INSTALL_HINT if opts.engine == "xllamacpp" else "pip install llama-cpp-python"
            raise ModelSetupError(
                f"the model engine {opts.engine} is not installed ({module} cannot be "
                f"imported). Install it with: {hint}"
            )

    def _spawn(self, model: Path) -> None:
        self.port = free_port()
        self.log_path = _new_log_path(cache_root(self._cache_dir))
        args = self._options.cli_args(model=model, port=self.port, alias=self.model_alias)
        opts, parent = self._options, str(os.getpid())
        if opts.command:
            cmd = [self._python, "-c", EXEC_BOOTSTRAP, parent, opts.command[0], *args]
        elif opts.engine == "llama-server":
            binary = str(opts.llama_server)
            cmd = [self._python, "-c", EXEC_BOOTSTRAP, parent, binary, *args]
        elif opts.engine == "xllamacpp":
            cmd = [self._python, "-c", XLLAMACPP_BOOTSTRAP, parent, *args]
        else:
            cmd = [self._python, "-c", BOOTSTRAP, parent, *args]
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
                        f"{self._options.startup_timeout:.0f} s (log: {self.log_path}).\n"
                        f"{self._log_tail()}"
                    )
                time.sleep(0.05)

    def _raise_died(self, code: int) -> None:
        tail = self._log_tail()
        lowered = tail.lower()
        if "address already in use" in lowered or "couldn't bind http server socket" in lowered:
            raise _PortTaken
        hint = f"\nInstall the server with: {INSTALL_HINT}" if "No module named" in tail else ""
        raise ModelSetupError(self._death_message(code, " while starting") + hint)

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
    old = sorted(with_mtime(logs.glob("llama-server-*.log")))
    for _, stale in old[: max(0, len(old) - (_KEEP_LOGS - 1))]:
        stale.unlink(missing_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return logs / f"llama-server-{stamp}-{os.getpid()}-{threading.get_ident()}.log"


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
