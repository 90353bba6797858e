"""The first lines each embedded server's child process runs (see `LocalServer._spawn`).

Python source given to ``python -c``: each makes the kernel kill the child when its parent
dies, clears the environment variables the server would obey over our flags, then becomes the
server (llama-cpp-python's module, a ``llama-server`` binary by ``execv``, or xllamacpp's
in-process server).
"""

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
BOOTSTRAP = (
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
EXEC_BOOTSTRAP = (
    _PDEATHSIG
    + """\
for key in [k for k in os.environ if k.startswith("LLAMA_ARG_") or k == "LLAMA_API_KEY"]:
    del os.environ[key]
os.execv(sys.argv[1], sys.argv[1:])
"""
)

# xllamacpp runs llama.cpp's C++ server inside the child's Python process: the settings come
# as one JSON argument (`ServerOptions.xllamacpp_settings`); the process then only waits (the
# server's threads answer) until it is signalled.  llama.cpp's LLAMA_ARG_* variables are
# removed as for llama-server.
XLLAMACPP_BOOTSTRAP = (
    _PDEATHSIG
    + """\
import json, threading
for key in [k for k in os.environ if k.startswith("LLAMA_ARG_") or k == "LLAMA_API_KEY"]:
    del os.environ[key]
cfg = json.loads(sys.argv[1])
import xllamacpp as xlc
p = xlc.CommonParams()
p.model.path = cfg["model"]
p.model_alias = {cfg["alias"]}
p.hostnames = ["127.0.0.1"]
p.port = cfg["port"]
p.n_ctx, p.n_parallel = cfg["n_ctx"], cfg["parallel"]
p.n_batch, p.n_ubatch = cfg["n_batch"], cfg["n_ubatch"]
p.cpuparams.n_threads = p.cpuparams_batch.n_threads = cfg["threads"]
p.flash_attn_type = xlc.llama_flash_attn_type(1 if cfg["flash_attn"] else 0)
mode = 2 if cfg["use_mlock"] else 1
p.load_mode = xlc.llama_load_mode((mode | 1) if cfg["use_mmap"] else (mode & 2))
p.sampling.penalty_repeat = cfg["repeat_penalty"]
p.sampling.penalty_last_n = cfg["repeat_last_n"]
if cfg["chat_template"]:
    p.chat_template = cfg["chat_template"]
if cfg.get("cache_ram_mib") is not None:
    p.cache_ram_mib = cfg["cache_ram_mib"]
if cfg.get("speculative"):
    name = "COMMON_SPECULATIVE_TYPE_" + cfg["speculative"].upper().replace("-", "_")
    p.speculative.types = [getattr(xlc.common_speculative_type, name)]
    for ngram in (p.speculative.ngram_simple, p.speculative.ngram_map_k):
        ngram.size_n, ngram.size_m = cfg["spec_n"], cfg["spec_m"]
server = xlc.Server(p)
print("abstraction: xllamacpp serving at", server.listening_address, flush=True)
threading.Event().wait()
"""
)
