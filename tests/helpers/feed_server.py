"""A local feed server on 127.0.0.1: feeds and article pages, ETags and 304s, failures on demand.

Used by the feed tests and by bench/bench_feeds.py; every request is counted.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape

RSS_TYPE = "application/rss+xml"
HTML_TYPE = "text/html; charset=utf-8"


@dataclass
class Route:
    body: bytes = b""
    content_type: str = HTML_TYPE
    status: int = 200
    location: str | None = None  # for redirects
    delay_s: float = 0.0  # answer this late (a slow or hanging feed)
    etag: bool = True  # send an ETag and honour If-None-Match


@dataclass
class FeedServer:
    base: str = ""
    routes: dict[str, Route] = field(default_factory=dict)
    requests: list[tuple[str, int]] = field(default_factory=list)  # (path, status answered)
    # Called with the path before a request is answered (a test stops the watcher there).
    hooks: dict[str, Callable[[str], None]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, prefix: str = "", status: int | None = None) -> int:
        with self.lock:
            return sum(
                1
                for path, code in self.requests
                if path.startswith(prefix) and (status is None or code == status)
            )

    def statuses(self) -> Counter[int]:
        with self.lock:
            return Counter(code for _, code in self.requests)

    def paths(self, prefix: str = "") -> list[str]:
        with self.lock:
            return [path for path, _ in self.requests if path.startswith(prefix)]

    def clear(self) -> None:
        with self.lock:
            self.requests.clear()


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:16] + '"'


@contextmanager
def feed_server() -> Iterator[FeedServer]:
    state = FeedServer()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            hook = state.hooks.get(self.path)
            if hook:
                hook(self.path)
            route = state.routes.get(self.path)
            status = route.status if route else 404
            tag = etag_of(route.body) if route and route.etag else None
            if route and status == 200 and tag and self.headers.get("If-None-Match") == tag:
                status = 304
            # Counted on arrival: a client that times out was still a request made.
            with state.lock:
                state.requests.append((self.path, status))
            if route and route.delay_s:
                time.sleep(route.delay_s)
            # The client may have given up (a timeout test): then there is nobody to answer.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self._answer(route, status, tag)

        def _answer(self, route: Route | None, status: int, tag: str | None) -> None:
            body = route.body if route and status == 200 else b""
            if status == 404:
                body = b"not found"
            self.send_response(status)
            if route and route.location:
                self.send_header("Location", route.location)
            if tag:
                self.send_header("ETag", tag)
            if status != 304:
                content_type = route.content_type if route and status == 200 else "text/plain"
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if status != 304:
                self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@dataclass(frozen=True)
class Item:
    title: str
    link: str
    guid: str | None = None
    date: str | None = "Tue, 06 Jun 2023 10:00:00 GMT"  # RFC 822, as RSS has it
    summary: str = ""


def rss(items: Sequence[Item], *, title: str = "News", ttl_minutes: int | None = None) -> bytes:
    parts = []
    for item in items:
        guid = f"<guid>{escape(item.guid)}</guid>" if item.guid else ""
        date = f"<pubDate>{escape(item.date)}</pubDate>" if item.date else ""
        link = f"<link>{escape(item.link)}</link>" if item.link else ""
        summary = f"<description>{escape(item.summary)}</description>" if item.summary else ""
        parts.append(f"<item><title>{escape(item.title)}</title>{link}{guid}{date}{summary}</item>")
    ttl = f"<ttl>{ttl_minutes}</ttl>" if ttl_minutes else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>{escape(title)}</title><link>http://example.com/</link>"
        f"<description>d</description>{ttl}{''.join(parts)}</channel></rss>"
    ).encode()


def article_page(title: str, text: str, *, date: str | None = None) -> bytes:
    meta = f'<meta property="article:published_time" content="{date}">' if date else ""
    return (
        f"<!doctype html><html><head><title>{escape(title)}</title>{meta}</head>"
        f"<body><article><h1>{escape(title)}</h1><p>{escape(text)}</p></article></body></html>"
    ).encode()
