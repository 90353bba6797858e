"""The llama-server backend of the embedded model: flags, configuration, lifecycle.

Most tests run a stand-in ``llama-server`` (a small Python HTTP server) so the launcher's
guarantees are checked without a build.  Tests of the real binary skip when it is absent
(``scripts/build_llama_server.sh`` installs it; ``$ABSTRACTION_LLAMA_SERVER`` points to another);
those marked `model` also need the embedded model.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import textwrap
from pathlib import Path
from typing import Literal

import httpx
import pytest
from pydantic import BaseModel

from abstraction.client import ModelConfig, open_client, resolve_config
from abstraction.client.local import LocalServer, ServerOptions, installed_llama_server
from abstraction.client.openai_client import response_format
from abstraction.client.weights import ensure_model
from abstraction.core.errors import ConfigError, ModelSetupError
from abstraction.core.prompts import PromptSettings
from tests.client.fake_server import recording_client
from tests.client.processes import gone, start_parent, wait_gone

# --------------------------------------------------------------------------- flags, config


def test_llama_server_args_give_each_slot_the_whole_context():
    opts = ServerOptions(
        llama_server=Path("/bin/llama-server"), parallel=2, n_ctx=4096, n_threads=3
    )
    args = opts.cli_args(model=Path("/m.gguf"), port=1234, alias="local")

    def value(flag: str) -> str:
        return args[args.index(flag) + 1]

    assert (value("--model"), value("--alias"), value("--port")) == ("/m.gguf", "local", "1234")
    assert value("--host") == "127.0.0.1"
    assert (value("--ctx-size"), value("--parallel")) == ("8192", "2")
    assert (value("--threads"), value("--threads-batch")) == ("3", "3")
    assert value("--flash-attn") == "off"
    # llama_cpp.server's request defaults; llama-server's own is no penalty.
    assert (value("--repeat-penalty"), value("--repeat-last-n")) == ("1.1", "64")
    assert "--model_alias" not in args  # not llama_cpp.server's flags
    assert opts.backend == "llama-server"
    legacy = ServerOptions(engine="llama-cpp-python")
    assert legacy.backend == "llama_cpp.server"
    assert "--model_alias" in legacy.cli_args(model=Path("/m"), port=1, alias="a")
    assert ServerOptions().backend == "xllamacpp"


def test_parallel_slots_need_llama_cpps_own_server():
    """xllamacpp and llama-server are llama.cpp's C++ server (slots); llama-cpp-python's is not."""
    with pytest.raises(ConfigError, match="one request at a time"):
        ServerOptions(parallel=2, engine="llama-cpp-python")
    assert ServerOptions(parallel=2).engine == "xllamacpp"
    with pytest.raises(ConfigError, match="at least 1"):
        ServerOptions(llama_server=Path("/x"), parallel=0)
    with pytest.raises(ConfigError, match="one slot"):
        resolve_config(slots=2, engine="llama-cpp-python", env={})
    assert resolve_config(slots=2, env={}).slots == 2
    with pytest.raises(ConfigError, match="at least 1"):
        resolve_config(slots=0, env={"ABSTRACTION_LLAMA_SERVER": "/x"})


def test_llama_server_comes_from_the_flag_then_the_environment():
    env = {"ABSTRACTION_LLAMA_SERVER": "/env/llama-server"}
    assert resolve_config(env=env).llama_server == Path("/env/llama-server")
    assert resolve_config(env=env, slots=2).slots == 2
    flag = resolve_config(env=env, llama_server=Path("/flag/llama-server"))
    assert flag.llama_server == Path("/flag/llama-server")
    default = resolve_config(env={})
    assert (default.llama_server, default.slots) == (None, 1)


def test_each_engine_gets_the_constraint_it_needs():
    assert ModelConfig().resolved_structured() == "gbnf"
    assert ModelConfig(engine="llama-cpp-python").resolved_structured() == "json_object_schema"
    assert ModelConfig(llama_server=Path("/x")).resolved_structured() == "gbnf"
    on_endpoint = ModelConfig(model="m", base_url="http://h/v1", llama_server=Path("/x"))
    assert on_endpoint.resolved_structured() == "json_schema"
    assert resolve_config(structured="gbnf", env={}).structured == "gbnf"


def test_gbnf_requests_carry_llama_cpp_pythons_grammar_and_no_response_format():
    """The grammar is the one llama_cpp.server builds for the same schema (properties in the
    schema's order, at most one space between tokens), sent as llama-server's ``grammar``."""
    grammar = pytest.importorskip("llama_cpp.llama_grammar")
    seen: list[dict] = []
    client = recording_client(seen, '{"answer": "zebra-42"}')
    schema = {
        "type": "object",
        "properties": {"zeta": {"type": "string"}, "answer": {"type": "string"}},
        "required": ["zeta", "answer"],
    }
    client.complete(
        messages=[{"role": "user", "content": "u"}],
        response_model=_Answer,
        json_schema=schema,
        settings=PromptSettings(max_retries=0),
    )
    (body,) = seen
    assert body["response_format"] is None  # cancels instructor's
    assert body["grammar"] == grammar.json_schema_to_gbnf(json.dumps(schema))
    root = next(line for line in body["grammar"].splitlines() if line.startswith("root ::="))
    assert root.index("zeta") < root.index("answer")  # the schema's order, not sorted
    assert 'space ::= " "?' in body["grammar"]


def test_missing_binary_is_a_setup_error_naming_the_build_script(tmp_path: Path):
    model = tmp_path / "m.gguf"
    model.write_bytes(b"GGUF")
    options = ServerOptions(llama_server=tmp_path / "nowhere" / "llama-server")
    server = LocalServer(model_path=model, cache_dir=tmp_path, options=options)
    with pytest.raises(ModelSetupError, match=r"build_llama_server\.sh"):
        server.start()
    assert server.pid is None and server.log_path is None  # nothing was spawned


# --------------------------------------------------------------------------- a stand-in binary

# Answers GET /v1/models like llama-server once "loaded"; records its argv, environment and
# parent; with a "fail-bind" file beside it, fails once the way llama-server does when the
# port is taken.
_FAKE = """\
#!{python}
import json, os, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
here = Path(sys.argv[0]).parent
args = sys.argv[1:]
port = int(args[args.index("--port") + 1])
alias = args[args.index("--alias") + 1]
fail = here / "fail-bind"
if fail.exists():
    fail.unlink()
    print(f"srv    start: couldn't bind HTTP server socket, hostname: 127.0.0.1, port: {{port}}")
    sys.exit(1)
record = {{"argv": sys.argv, "pid": os.getpid(), "ppid": os.getppid(),
          "env": sorted(k for k in os.environ if k.startswith("LLAMA"))}}
(here / f"record-{{os.getpid()}}.json").write_text(json.dumps(record))

class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({{"data": [{{"id": alias}}]}}).encode()
        self.send_response(200 if self.path == "/v1/models" else 404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass

ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
"""


@pytest.fixture
def fake_binary(tmp_path: Path) -> Path:
    path = tmp_path / "bin" / "llama-server"
    path.parent.mkdir()
    path.write_text(_FAKE.format(python=sys.executable))
    path.chmod(0o755)
    return path


@pytest.fixture
def model_file(tmp_path: Path) -> Path:
    path = tmp_path / "m.gguf"
    path.write_bytes(b"GGUF")
    return path


def _records(binary: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted(binary.parent.glob("record-*.json"))]


def test_binary_gets_our_flags_and_none_of_the_environments_llama_settings(
    fake_binary: Path, model_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("LLAMA_ARG_PORT", "9")  # would move the server off our port
    monkeypatch.setenv("LLAMA_API_KEY", "secret")  # would make our requests fail with 401
    options = ServerOptions(llama_server=fake_binary, parallel=2, model_alias="local")
    with LocalServer(model_path=model_file, cache_dir=tmp_path, options=options) as server:
        pid, port = server.pid, server.port
        assert pid is not None and port is not None
        r = httpx.get(f"{server.base_url}/models", trust_env=False)
        assert [m["id"] for m in r.json()["data"]] == ["local"]
        (record,) = _records(fake_binary)
    # The bootstrap exec'd the binary in place: same process, our flags, a clean environment.
    assert record["pid"] == pid
    assert record["ppid"] == os.getpid()
    expected = options.cli_args(model=model_file, port=port, alias="local")
    assert record["argv"] == [str(fake_binary), *expected]
    assert record["env"] == []
    assert gone(pid)


def test_a_port_taken_at_bind_is_retried(fake_binary: Path, model_file: Path, tmp_path: Path):
    (fake_binary.parent / "fail-bind").touch()
    options = ServerOptions(llama_server=fake_binary)
    with LocalServer(model_path=model_file, cache_dir=tmp_path, options=options) as server:
        assert httpx.get(f"{server.base_url}/models", trust_env=False).status_code == 200
    assert not (fake_binary.parent / "fail-bind").exists()  # the first start did fail
    assert len(_records(fake_binary)) == 1


_PARENT = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from abstraction.client.local import LocalServer, ServerOptions
    options = ServerOptions(llama_server=Path(sys.argv[3]))
    with LocalServer(model_path=Path(sys.argv[1]), cache_dir=Path(sys.argv[2]),
                     options=options) as s:
        print(s.pid, flush=True)
        time.sleep(600)
    """
)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux-only")
def test_binary_dies_when_its_parent_is_killed_9(
    fake_binary: Path, model_file: Path, tmp_path: Path
):
    """The death signal set before exec must survive it."""
    parent, server_pid = start_parent(_PARENT, model_file, tmp_path, fake_binary)
    try:
        assert not gone(server_pid)
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        assert wait_gone(server_pid, 5.0)
    finally:
        if not gone(server_pid):
            os.kill(server_pid, signal.SIGKILL)


# --------------------------------------------------------------------------- the real binary


@pytest.fixture(scope="module")
def llama_server() -> Path:
    env = os.environ.get("ABSTRACTION_LLAMA_SERVER")
    path = Path(env).expanduser() if env else installed_llama_server()
    if not (path.is_file() and os.access(path, os.X_OK)):
        pytest.skip(f"no llama-server at {path} (scripts/build_llama_server.sh builds it)")
    return path


def test_real_binary_accepts_our_flags_and_reports_a_broken_model(
    llama_server: Path, tmp_path: Path
):
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"this is not a GGUF file")
    options = ServerOptions(llama_server=llama_server, parallel=2)
    server = LocalServer(model_path=broken, cache_dir=tmp_path, options=options)
    with pytest.raises(ModelSetupError, match="exited with code") as err:
        server.start()
    message = str(err.value)
    assert "broken.gguf" in message  # it parsed every flag and got as far as loading
    assert "invalid argument" not in message
    assert server.pid is None


@pytest.fixture(scope="module")
def model_path() -> Path:
    try:
        return ensure_model()
    except ModelSetupError as e:
        pytest.skip(str(e))


class _Answer(BaseModel):
    answer: Literal["zebra-42"]


@pytest.mark.model
def test_real_server_has_two_slots_and_obeys_the_clients_schema(
    llama_server: Path, model_path: Path
):
    """Both requests constrain llama-server's output, the client's (a GBNF grammar) and the
    one it sends llama_cpp.server (``response_format: {type: json_object, schema}``): the only
    answer the schema allows is one no model would give to this question unprompted."""
    pytest.importorskip("llama_cpp.llama_grammar", reason="gbnf uses llama-cpp-python's converter")
    config = ModelConfig(llama_server=llama_server, slots=2)
    with open_client(config) as client:
        info = client.describe()
        assert (info["server"], info["slots"], info["structured"]) == ("llama-server", 2, "gbnf")
        root = client.base_url.removesuffix("/v1")
        props = httpx.get(f"{root}/props", trust_env=False).json()
        assert props["total_slots"] == 2
        assert props["default_generation_settings"]["n_ctx"] == config.n_ctx  # per slot
        result = client.complete(
            messages=[{"role": "user", "content": "What is 2 + 2? Answer in JSON."}],
            response_model=_Answer,
            json_schema=_Answer.model_json_schema(),
            settings=PromptSettings(max_tokens=32, max_retries=0),
        )
        assert result.value.model_dump() == {"answer": "zebra-42"}
        assert result.attempts == 1 and result.usage.completion_tokens > 0
        raw = httpx.post(
            f"{client.base_url}/chat/completions",
            json={
                "messages": [{"role": "user", "content": "What is 2 + 2?"}],
                "max_tokens": 32,
                "response_format": response_format(
                    "json_object_schema", "_Answer", _Answer.model_json_schema()
                ),
            },
            trust_env=False,
            timeout=120,
        ).json()
        assert json.loads(raw["choices"][0]["message"]["content"]) == {"answer": "zebra-42"}
    with pytest.raises(httpx.ConnectError):  # stopped with the client
        httpx.get(f"{root}/health", trust_env=False)
