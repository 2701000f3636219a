"""A local HTTP server on 127.0.0.1 that redirects, stalls, drips and sends huge bodies."""

from __future__ import annotations

import contextlib
import functools
import gzip
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# Stalling handlers give up by themselves: a test that failed must not leave threads behind.
STALL_S = 20.0
GOOD_PAGE = (
    "<html><head><title>Harbour crane arrives</title></head><body><article>"
    "<h1>Harbour crane arrives</h1>"
    "<p>The giant harbour crane for Port Ellery arrived by barge on Sunday morning.</p>"
    "<p>It lifted its first container at 14:20, the port authority said.</p>"
    "</article></body></html>"
)
GOOD_TEXT = "Ferry strike ends\nThe ferry strike in Marlow Sound ended after nine days of talks.\n"


@dataclass
class HostileServer:
    base: str
    requests: list[str] = field(default_factory=list)

    def url(self, path: str) -> str:
        return f"{self.base}{path}"


def _redirects() -> dict[str, str]:
    return {
        "/to-file": "file:///etc/passwd",
        "/to-ftp": "ftp://127.0.0.1/x.txt",
        "/to-gopher": "gopher://127.0.0.1:70/_x",
        "/to-javascript": "javascript:alert(1)",
        "/to-metadata": "http://169.254.169.254/latest/meta-data/",
        "/to-metadata-v6": "http://[fd00:ec2::254]/latest/",
        "/to-private-10": "http://10.0.0.7/admin",
        "/to-private-192": "http://192.168.1.1/",
        "/to-private-172": "http://172.16.5.4:8080/",
        "/to-cgnat": "http://100.64.0.1/",
        "/to-link-local": "http://169.254.1.1/",
        "/to-unspecified": "http://0.0.0.0:80/",
        "/to-v6-unique-local": "http://[fd12:3456::1]/",
        "/to-v4-mapped": "http://[::ffff:10.0.0.1]/",
        "/loop": "/loop",
        "/empty-location": "",
    }


@functools.cache
def _gzip_bomb() -> bytes:
    """50 MB of zeros in 50 kB; made once, before the timed requests."""
    return gzip.compress(b"\0" * 50_000_000, compresslevel=9)


class _Handler(BaseHTTPRequestHandler):
    server_state: HostileServer

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _send(self, status: int, content_type: str, body: bytes, **headers: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        with contextlib.suppress(OSError):  # the client may stop reading, as it should
            self.wfile.write(body)

    def _stream(self, chunk: bytes, total: int, pause_s: float = 0.0) -> None:
        sent = 0
        started = time.monotonic()
        try:
            while sent < total and time.monotonic() - started < STALL_S:
                self.wfile.write(chunk)
                sent += len(chunk)
                if pause_s:
                    self.wfile.flush()
                    time.sleep(pause_s)
        except OSError:
            pass  # the client stopped reading, as it should

    def do_GET(self) -> None:
        self.server_state.requests.append(self.path)
        redirects = _redirects()
        if self.path in redirects:
            self.send_response(302)
            if redirects[self.path]:
                self.send_header("Location", redirects[self.path])
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif self.path == "/good.html":
            self._send(200, "text/html; charset=utf-8", GOOD_PAGE.encode())
        elif self.path == "/good.txt":
            self._send(200, "text/plain; charset=utf-8", GOOD_TEXT.encode())
        elif self.path == "/redirect-to-good":
            self.send_response(301)
            self.send_header("Location", "/good.html")
            self.end_headers()
        elif self.path == "/huge-declared":
            # Claims 50 MB: refused from the header, before any of the body is read.
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(50_000_000))
            self.end_headers()
            self._stream(b"x" * 65536, 50_000_000)
        elif self.path == "/huge-chunked":
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()  # no length: the reader must count and stop by itself
            self._stream(b"word " * 13107, 50_000_000)
        elif self.path == "/gzip-bomb":
            self._send(200, "text/plain", _gzip_bomb(), Content_Encoding="gzip")
        elif self.path == "/stall-headers":
            time.sleep(STALL_S)
        elif self.path == "/stall-body":
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b"The start of a body that never ends")
            self.wfile.flush()
            time.sleep(STALL_S)
        elif self.path == "/drip":
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self._stream(b"x", 10_000, pause_s=0.05)
        elif self.path == "/binary-as-html":
            self._send(200, "text/html", bytes(range(256)) * 40)
        elif self.path == "/octet-stream":
            self._send(200, "application/octet-stream", b"PK\x03\x04" + b"\0" * 100)
        elif self.path == "/scripts-only":
            self._send(200, "text/html", b"<html><body><script>alert(1)</script></body></html>")
        elif self.path == "/error-500":
            self._send(500, "text/plain", b"boom")
        else:
            self._send(404, "text/plain", b"not here")


@contextmanager
def hostile_server() -> Iterator[HostileServer]:
    _gzip_bomb()
    state = HostileServer("")
    handler = type("Handler", (_Handler,), {"server_state": state})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    state.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
