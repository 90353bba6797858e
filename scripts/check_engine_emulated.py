"""Run the installed engine's one-token call on an emulated CPU without AVX-512 or AMX.

    python scripts/check_engine_emulated.py [--engine xllamacpp] [--cpu Haswell]

The engine is loaded in a Python process run by ``qemu-x86_64 -cpu Haswell`` (Debian's
qemu-user): an AVX2 CPU with no AVX-512 and no AMX, whatever the host has.  A build that uses
instructions the emulated CPU lacks dies with SIGILL here, as it would on a user's machine.
Prints what happened and exits 1 if the call did not answer.  Slow by nature (the model is
emulated instruction by instruction: about 2 minutes for 32 prompt tokens here); CI runs it
once beside `abstraction doctor`'s static scan.  x86-64 Linux only.
"""

from __future__ import annotations

import argparse
import platform
import shutil
import subprocess
import sys
import time

from abstraction.client.engine import describe_exit
from abstraction.client.weights import ensure_model

_CALLS = {
    "xllamacpp": """
import sys, xllamacpp as xlc
p = xlc.CommonParams()
p.model.path = sys.argv[1]
p.n_ctx = 256
p.cpuparams.n_threads = p.cpuparams_batch.n_threads = 1
p.warmup = False
p.port = 0
r = xlc.Server(p).handle_chat_completions(
    {"messages": [{"role": "user", "content": "Say OK."}], "max_tokens": 1, "temperature": 0})
print("answer:", repr(r["choices"][0]["message"]["content"]), flush=True)
""",
    "llama-cpp-python": """
import sys, llama_cpp
llm = llama_cpp.Llama(model_path=sys.argv[1], n_ctx=256, n_threads=1, verbose=False)
print("answer:", repr(llm("Say OK.", max_tokens=1)["choices"][0]["text"]), flush=True)
""",
}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--engine", choices=sorted(_CALLS), default="xllamacpp")
    ap.add_argument("--cpu", default="Haswell")
    ap.add_argument("--timeout", type=float, default=900)
    args = ap.parse_args()
    qemu = shutil.which("qemu-x86_64")
    if platform.machine() not in ("x86_64", "amd64") or qemu is None:
        print("needs x86-64 Linux and qemu-x86_64 (apt-get install qemu-user)")
        return 1
    model = ensure_model()
    t0 = time.perf_counter()
    done = subprocess.run(
        [qemu, "-cpu", args.cpu, sys.executable, "-c", _CALLS[args.engine], str(model)],
        capture_output=True,
        text=True,
        timeout=args.timeout,
        check=False,
    )
    took = time.perf_counter() - t0
    answer = [line for line in done.stdout.splitlines() if line.startswith("answer:")]
    if done.returncode == 0 and answer:
        print(f"{args.engine} on an emulated {args.cpu}: {answer[0]} in {took:.0f} s")
        return 0
    print(f"{args.engine} on an emulated {args.cpu}: the engine {describe_exit(done.returncode)}")
    tail = [ln for ln in done.stderr.splitlines() if not ln.startswith("qemu-x86_64: warning")]
    print("\n".join(tail[-10:]))
    return 1


if __name__ == "__main__":
    sys.exit(main())
