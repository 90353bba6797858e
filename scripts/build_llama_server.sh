#!/usr/bin/env bash
# Build llama.cpp's own `llama-server` (parallel slots, continuous batching) from the llama.cpp
# sources vendored in the llama-cpp-python sdist, so it is the same llama.cpp the project
# already runs through llama_cpp.server.  Installs <cache>/bin/llama-server, where <cache> is
# $ABSTRACTION_CACHE_DIR or ~/.cache/abstraction.  Idempotent: a binary built from the same
# version is kept (pass --force to rebuild); the build tree is kept for incremental rebuilds.
#
#   scripts/build_llama_server.sh [--force]
#   env: LLAMA_CPP_PYTHON_VERSION (default: the installed llama-cpp-python, else 0.3.36)
#        JOBS (default 2), PYTHON (default python3), ABSTRACTION_CACHE_DIR
#
# Needs cmake, a C++17 compiler and pip (PyPI, or pip's cache, for the sdist).  No other
# network: the web UI is not downloaded (LLAMA_USE_PREBUILT_UI=OFF) and HTTPS is off.
# The binary is linked statically (BUILD_SHARED_LIBS=OFF) so it can be copied alone, and
# portable (GGML_NATIVE=OFF): on x86-64 it uses AVX2/FMA/F16C and nothing newer, whatever the
# build machine has, so it runs on any x86-64 CPU with AVX2 (a native build dies with SIGILL
# on a CPU that lacks, or traps, what the build machine had).  GGML_CPU_FLAGS overrides the
# flags (e.g. add -DGGML_AVX512=ON for AVX-512 machines only); `abstraction doctor
# --llama-server PATH` checks the result.
set -euo pipefail

force=0
[[ "${1:-}" == "--force" ]] && force=1

python=${PYTHON:-python3}
version=${LLAMA_CPP_PYTHON_VERSION:-$("$python" -c \
    'import importlib.metadata as m; print(m.version("llama-cpp-python"))' 2>/dev/null || echo 0.3.36)}
cache=${ABSTRACTION_CACHE_DIR:-$HOME/.cache/abstraction}
bin="$cache/bin/llama-server"
stamp="$bin.version"
work="$cache/build/llama-cpp-python-$version"
jobs=${JOBS:-2}

if [[ $force == 0 && -x "$bin" && "$(cat "$stamp" 2>/dev/null)" == "llama-cpp-python $version" ]]; then
    echo "llama-server from llama-cpp-python $version is already installed: $bin"
    exit 0
fi

mkdir -p "$work" "$cache/bin"
sdist="$work/llama_cpp_python-$version.tar.gz"
if [[ ! -f "$sdist" ]]; then
    "$python" -m pip download "llama-cpp-python==$version" --no-binary :all: --no-deps \
        -d "$work.dl" >&2
    mv "$work.dl/llama_cpp_python-$version.tar.gz" "$sdist"
    rm -rf "$work.dl"
fi
src="$work/llama_cpp_python-$version/vendor/llama.cpp"
if [[ ! -f "$src/CMakeLists.txt" ]]; then
    tar -xzf "$sdist" -C "$work"
fi

if [[ -z "${GGML_CPU_FLAGS:-}" ]]; then
    case "$(uname -m)" in
        x86_64|amd64) GGML_CPU_FLAGS="-DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON -DGGML_AVX512=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF" ;;
        *) GGML_CPU_FLAGS="" ;;
    esac
fi
# shellcheck disable=SC2086  # the flags are words
cmake -S "$src" -B "$work/build" -G "Unix Makefiles" $GGML_CPU_FLAGS \
    -DCMAKE_BUILD_TYPE=Release \
    -DGGML_NATIVE=OFF \
    -DBUILD_SHARED_LIBS=OFF \
    -DLLAMA_BUILD_SERVER=ON \
    -DLLAMA_BUILD_TESTS=OFF \
    -DLLAMA_BUILD_EXAMPLES=OFF \
    -DLLAMA_BUILD_UI=OFF \
    -DLLAMA_USE_PREBUILT_UI=OFF \
    -DLLAMA_OPENSSL=OFF \
    -DLLAMA_CURL=OFF >&2
nice -n 19 cmake --build "$work/build" --target llama-server -j "$jobs" >&2

# Copy then rename, so a reader never runs a half-written binary.
cp "$work/build/bin/llama-server" "$bin.tmp.$$"
chmod 0755 "$bin.tmp.$$"
"$bin.tmp.$$" --version >&2
mv -f "$bin.tmp.$$" "$bin"
echo "llama-cpp-python $version" > "$stamp"
echo "$bin"
