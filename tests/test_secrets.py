"""The Discord token and API keys never appear in CLI output, errors, logs or --json output.

Each CLI run below has all four secrets in its environment and fails on purpose against a
local server that rejects every request and echoes the credentials it was sent back in its
error message (the worst a misbehaving server can do), or against a closed port.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

NEWSBOT = Path(sys.executable).with_name("newsbot")
SECRETS = {
    "DISCORD_TOKEN": "MTk4NjIyNDgzNDcxOTI1MjQ4.Gdiscord.secret-token-value-1",
    "NEWSBOT_LLM_API_KEY": "sk-llm-secret-key-value-2",
    "NEWSBOT_EMBEDDING_API_KEY": "sk-embedding-secret-key-value-3",
    "NEWSBOT_CHROMA_TOKEN": "chroma-secret-token-value-4",
}


class _Echo(BaseHTTPRequestHandler):
    """401 for everything, repeating the Authorization header (and any token header) back."""

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _reject(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        sent = " ".join(
            f"{name}={value}"
            for name, value in self.headers.items()
            if name.lower() in ("authorization", "x-chroma-token", "x-api-key")
        )
        body = json.dumps(
            {"error": {"message": f"Incorrect API key provided: {sent}", "type": "auth"}}
        ).encode()
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _reject


@pytest.fixture(scope="module")
def echo_url() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def closed_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"  # nothing listens there any more


def _run(*args: str, **env: str) -> tuple[int, str]:
    """Run the CLI with every secret set; returns (exit code, stdout + stderr)."""
    run = subprocess.run(
        [str(NEWSBOT), *args],
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, **SECRETS, "NEWSBOT_URL_TIMEOUT_S": "2", **env},
    )
    return run.returncode, run.stdout + run.stderr


def _assert_no_secret(output: str) -> None:
    for name, value in SECRETS.items():
        # Also a distinctive part, in case a message cut or masked the rest.
        assert value not in output, f"{name} leaked:\n{output}"
        assert value[-12:] not in output, f"part of {name} leaked:\n{output}"


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory, sample_article: Path) -> Path:
    """A data directory holding one article, for the commands that need one to fail later."""
    data = tmp_path_factory.mktemp("secrets") / "data"
    code, output = _run("ingest", str(sample_article), "--data-dir", str(data), "--json")
    assert code == 0, output
    _assert_no_secret(output)
    return data


@pytest.fixture(scope="module")
def sample_article(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("article") / "bridge.txt"
    path.write_text(
        "Bridge reopens\nThe Lanthorne bridge reopened on Monday after 14 months of repairs.\n",
        encoding="utf-8",
    )
    return path


def test_unreachable_or_rejecting_chroma_server_with_a_token(
    tmp_path: Path, sample_article: Path, echo_url: str, closed_url: str
) -> None:
    for url in (echo_url, closed_url):
        code, output = _run(
            "ingest", str(sample_article), "--data-dir", str(tmp_path), "--json",
            NEWSBOT_CHROMA_URL=url,
        )  # fmt: skip
        assert code == 2, output
        assert "Chroma server" in output
        _assert_no_secret(output)


def test_rejecting_or_unreachable_embedding_server_with_a_key(
    tmp_path: Path, sample_article: Path, echo_url: str, closed_url: str
) -> None:
    for url in (echo_url, closed_url):
        code, output = _run(
            "ingest", str(sample_article), "--data-dir", str(tmp_path), "--json",
            NEWSBOT_EMBEDDER="openai", NEWSBOT_EMBEDDING_URL=f"{url}/v1",
        )  # fmt: skip
        assert code != 0, output
        _assert_no_secret(output)


@pytest.mark.parametrize(
    "server",
    ["closed", "echo"],
)
def test_rejecting_or_unreachable_llm_with_a_key(
    stored: Path, echo_url: str, closed_url: str, server: str
) -> None:
    url = echo_url if server == "echo" else closed_url
    for json_flag in ("--json", ""):
        args = ["ask", "When did the bridge reopen?", "--data-dir", str(stored)]
        _, output = _run(
            *args, "--mode", "generate", *([json_flag] if json_flag else []),
            NEWSBOT_LLM_BACKEND="openai", NEWSBOT_LLM_BASE_URL=f"{url}/v1",
            NEWSBOT_LLM_MODEL="any",
        )  # fmt: skip
        _assert_no_secret(output)
        # The extractive answer still comes, with a note on what failed.
        assert "Monday" in output, output


def test_other_failures_and_listings(stored: Path, tmp_path: Path) -> None:
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("x")
    runs = [
        ("sources", "--data-dir", str(stored), "--json"),
        ("ask", "anything?", "--data-dir", str(tmp_path / "empty"), "--json"),
        ("ingest", str(tmp_path / "missing.txt"), "--data-dir", str(stored), "--json"),
        # An unexpected failure with a traceback: the data directory is a file.
        ("ingest", str(tmp_path / "missing.txt"), "--data-dir", str(not_a_dir)),
    ]
    for args in runs:
        _, output = _run(*args)
        _assert_no_secret(output)
