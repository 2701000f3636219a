"""URL ingestion against hostile local servers, through NewsService.ingest and the CLI.

Every server here listens on 127.0.0.1. Redirects point at private and metadata addresses,
but a guard on the connection layer fails the test before any packet could leave for an
address other than 127.0.0.1, should the refusal ever regress.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpcore
import pytest

from bot.service import NewsService
from bot.settings import Settings
from retrieval import fetching
from tests.helpers.hostile_server import HostileServer, _redirects, hostile_server

NEWSBOT = Path(sys.executable).with_name("newsbot")
TIMEOUT_S = 1.0
MAX_BYTES = 1_000_000


@pytest.fixture(scope="module")
def server() -> Iterator[HostileServer]:
    with hostile_server() as running:
        yield running


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Connections to anything but 127.0.0.1 fail the test instead of being attempted."""
    attempted: list[str] = []
    real = httpcore.SyncBackend.connect_tcp

    def guarded(self: httpcore.SyncBackend, host: str, port: int, *args, **kwargs):  # type: ignore[no-untyped-def]
        attempted.append(host)
        if host != "127.0.0.1":
            raise AssertionError(f"the fetcher tried to connect to {host}:{port}")
        return real(self, host, port, *args, **kwargs)

    monkeypatch.setattr(httpcore.SyncBackend, "connect_tcp", guarded)
    yield attempted


def _service(tmp_path: Path, **settings: object) -> NewsService:
    return NewsService(
        Settings(
            data_dir=tmp_path / "data",
            url_timeout_s=TIMEOUT_S,
            max_download_bytes=MAX_BYTES,
            **settings,
        )
    )


def _outcomes(report) -> dict[str, tuple[str, str]]:  # type: ignore[no-untyped-def]
    return {item.source: (item.status, item.reason) for item in report.items}


def test_loopback_is_refused_by_default_in_every_spelling(
    server: HostileServer, tmp_path: Path
) -> None:
    port = server.base.rsplit(":", 1)[1]
    spellings = [
        server.url("/good.html"),
        f"http://localhost:{port}/good.html",
        f"http://127.1:{port}/good.html",
        f"http://2130706433:{port}/good.html",  # 127.0.0.1 as one decimal number
        f"http://0x7f000001:{port}/good.html",
        f"http://[::1]:{port}/good.html",
        f"http://[::ffff:127.0.0.1]:{port}/good.html",
        f"http://127.0.0.1.:{port}/good.html",
        f"HTTP://127.0.0.1:{port}/good.html",
        f"http://user:pass@127.0.0.1:{port}/good.html",
    ]
    before = len(server.requests)
    service = _service(tmp_path)
    report = service.ingest(spellings)
    assert len(report.items) == len(spellings)
    for item in report.items:
        assert item.status == "failed", item
        assert "refused" in item.reason or "cannot resolve" in item.reason, item
    refused = [i for i in report.items if "loopback" in i.reason]
    assert len(refused) >= 8  # the rest do not resolve at all here
    assert len(server.requests) == before, "a refused URL was still requested"
    service.close()


def test_redirects_to_private_addresses_and_other_schemes_are_refused(
    server: HostileServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The test server's 127.0.0.1 passes as public here, so that only the redirect is judged.
    real = fetching.address_refusal
    monkeypatch.setattr(
        fetching, "address_refusal", lambda a: None if str(a) == "127.0.0.1" else real(a)
    )
    paths = [p for p in _redirects() if p != "/loop"]
    service = _service(tmp_path)
    report = service.ingest([server.url(p) for p in paths])
    outcomes = _outcomes(report)
    for path in paths:
        status, reason = outcomes[server.url(path)]
        assert status == "failed", (path, reason)
        if path == "/empty-location":
            assert "without a Location" in reason
        elif path == "/to-javascript":
            assert "redirected to an invalid URL" in reason, reason
        elif path in ("/to-file", "/to-ftp", "/to-gopher"):
            assert "only http and https" in reason, (path, reason)
        else:
            assert reason.startswith("redirected to http"), (path, reason)
            assert "refused: resolves to a" in reason, (path, reason)
    service.close()


def test_metadata_address_is_refused_even_with_private_allowed(
    server: HostileServer, tmp_path: Path
) -> None:
    service = _service(tmp_path, allow_private_urls=True)
    report = service.ingest(
        [server.url("/to-metadata"), server.url("/to-metadata-v6"), "http://169.254.169.254/"]
    )
    assert [i.status for i in report.items] == ["failed"] * 3
    assert all("cloud metadata address" in i.reason for i in report.items), report.items
    service.close()


def test_hostile_urls_fail_alone_and_good_ones_are_answerable(
    server: HostileServer, tmp_path: Path
) -> None:
    hostile = {
        "/huge-declared": "body larger than 1 MB (50 MB declared)",
        "/huge-chunked": "body larger than 1 MB",
        "/gzip-bomb": "body larger than 1 MB",
        "/stall-headers": f"timed out after {TIMEOUT_S:g} s",
        "/stall-body": f"timed out after {TIMEOUT_S:g} s",
        "/drip": f"timed out after {TIMEOUT_S:g} s",
        "/loop": "too many redirects",
        "/binary-as-html": "binary or undecodable page",
        "/octet-stream": "unsupported content type application/octet-stream",
        "/scripts-only": "no article text found",
        "/error-500": "HTTP 500",
        "/missing": "HTTP 404",
    }
    good = ["/good.html", "/redirect-to-good", "/good.txt"]
    inputs = [server.url(p) for p in good[:1] + list(hostile) + good[1:]]
    service = _service(tmp_path, allow_private_urls=True)
    started = time.monotonic()
    report = service.ingest(inputs)
    elapsed = time.monotonic() - started
    outcomes = _outcomes(report)
    for path, reason in hostile.items():
        status, actual = outcomes[server.url(path)]
        assert status == "failed" and reason in actual, (path, actual)
    for path in good:
        assert outcomes[server.url(path)][0] == "added", (path, outcomes[server.url(path)])
    # Each stalling URL costs at most the time limit: nothing waited for the 20 s stalls.
    assert elapsed < 3 * TIMEOUT_S + 30
    crane = service.ask("When did the crane lift its first container?")
    assert not crane.abstained and "14:20" in crane.citations[0].quote
    ferry = service.ask("How long did the ferry strike in Marlow Sound last?")
    assert not ferry.abstained and "nine days" in ferry.citations[0].quote
    assert service.store().check_consistency().consistent
    service.close()


def _cli(*args: str, env: dict[str, str] | None = None) -> tuple[int, list[dict], str]:
    run = subprocess.run(
        [str(NEWSBOT), "ingest", *args, "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )
    items = json.loads(run.stdout) if run.stdout.strip() else []
    return run.returncode, items, run.stderr


def test_cli_refuses_loopback_unless_allow_private(server: HostileServer, tmp_path: Path) -> None:
    env = {"NEWSBOT_URL_TIMEOUT_S": str(TIMEOUT_S), "NEWSBOT_MAX_DOWNLOAD_BYTES": str(MAX_BYTES)}
    data = ["--data-dir", str(tmp_path / "data")]
    before = len(server.requests)
    code, items, _ = _cli(server.url("/good.txt"), *data, env=env)
    assert code == 1
    assert items[0]["status"] == "failed"
    assert "loopback address 127.0.0.1" in items[0]["reason"]
    assert "NEWSBOT_ALLOW_PRIVATE_URLS=true" in items[0]["reason"]
    assert len(server.requests) == before

    urls = [server.url(p) for p in ("/good.txt", "/huge-chunked", "/stall-body", "/to-file")]
    urls.append("file:///etc/passwd")
    code, items, _ = _cli(*urls, *data, "--allow-private", env=env)
    assert code == 1  # some failed
    statuses = {item["source"]: (item["status"], item["reason"]) for item in items}
    assert statuses[urls[0]][0] == "added"
    assert "body larger than 1 MB" in statuses[urls[1]][1]
    assert "timed out" in statuses[urls[2]][1]
    assert "only http and https" in statuses[urls[3]][1]
    assert "only http and https" in statuses[urls[4]][1]
