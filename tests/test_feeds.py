"""Feeds: RSS and Atom from local servers, only new entries fetched, bad feeds refused clearly."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.errors import UserError
from bot.service import NewsService
from retrieval.feeds import MAX_ATTEMPTS, FeedError, FeedLog, read_feed
from retrieval.loading import LoadOptions
from tests.conftest import make_service
from tests.local_servers import static_http

HTML = "text/html; charset=utf-8"
ARTICLES = {
    "/news/dam.html": (
        "Barrage de Kakhovka",
        "Le barrage de Kakhovka a cédé le 6 juin. Plus de 40 000 habitants ont été évacués.",
    ),
    "/news/vote.html": (
        "Vote au Parlement",
        "Le Parlement a voté la loi sur l'énergie mardi soir par 312 voix contre 201.",
    ),
    "/news/fire.html": (
        "Incendie à Marseille",
        "Un incendie a détruit 250 hectares de garrigue près de Marseille dimanche.",
    ),
}


def page(title: str, text: str) -> bytes:
    return (
        f"<!doctype html><html><head><title>{title}</title></head>"
        f"<body><article><h1>{title}</h1><p>{text}</p></article></body></html>"
    ).encode()


def rss(base: str, paths: list[str]) -> bytes:
    items = "".join(
        f"<item><title>{ARTICLES[p][0]}</title><link>{base}{p}</link><guid>{p}</guid>"
        f"<pubDate>Tue, 06 Jun 2023 10:00:00 GMT</pubDate></item>"
        for p in paths
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>Actu</title><link>{base}/</link><description>d</description>{items}"
        "</channel></rss>"
    ).encode()


def atom(paths: list[str], updated: str = "2023-06-07T08:00:00Z") -> bytes:
    # Relative links, resolved against the feed's address.
    entries = "".join(
        f'<entry><title>{ARTICLES[p][0]}</title><link href="{p}"/><id>urn:{p}</id>'
        f"<updated>{updated}</updated></entry>"
        for p in paths
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>Atom actu</title><id>urn:feed</id><updated>{updated}</updated>{entries}</feed>"
    ).encode()


@pytest.fixture
def site() -> Iterator[tuple[str, dict[str, tuple[str, bytes]], list[str]]]:
    routes: dict[str, tuple[str, bytes]] = {p: (HTML, page(*a)) for p, a in ARTICLES.items()}
    hits: list[str] = []
    with static_http(routes, hits) as base:
        yield base, routes, hits


@pytest.fixture
def service(tmp_path: Path) -> Iterator[NewsService]:
    svc = make_service(tmp_path / "data", allow_private_urls=True)
    yield svc
    svc.close()


def articles_fetched(hits: list[str]) -> list[str]:
    return [h for h in hits if h.startswith("/news/")]


def test_rss_new_entries_only_are_fetched(site, service: NewsService) -> None:
    base, routes, hits = site
    routes["/rss.xml"] = ("application/rss+xml", rss(base, ["/news/dam.html", "/news/vote.html"]))
    report = service.ingest_feed(f"{base}/rss.xml")
    assert [(i.status, i.source) for i in report.items] == [
        ("added", f"{base}/news/dam.html"),
        ("added", f"{base}/news/vote.html"),
    ]
    # The feed's date reaches the article, so date filters work.
    assert {s.date for s in service.sources()} == {"2023-06-06"}
    answer = service.ask("How many people were evacuated?")
    assert "40 000" in answer.citations[0].quote
    # Polling again fetches the feed only.
    hits.clear()
    assert service.ingest_feed(f"{base}/rss.xml").items == []
    assert hits == ["/rss.xml"]
    # A new entry: only its article is fetched.
    routes["/rss.xml"] = (
        "application/rss+xml",
        rss(base, ["/news/fire.html", "/news/dam.html", "/news/vote.html"]),
    )
    report = service.ingest_feed(f"{base}/rss.xml")
    assert [i.status for i in report.items] == ["added"]
    assert articles_fetched(hits) == ["/news/fire.html"]
    assert service.store().check_consistency().consistent


def test_atom_relative_links_and_revised_entries(site, service: NewsService) -> None:
    base, routes, _ = site
    routes["/atom.xml"] = ("application/atom+xml", atom(["/news/dam.html"]))
    assert [i.status for i in service.ingest_feed(f"{base}/atom.xml").items] == ["added"]
    # The publisher revises the article and the entry's <updated>.
    routes["/news/dam.html"] = (HTML, page("Barrage de Kakhovka", ARTICLES["/news/vote.html"][1]))
    routes["/atom.xml"] = ("application/atom+xml", atom(["/news/dam.html"], "2023-06-08T09:00:00Z"))
    report = service.ingest_feed(f"{base}/atom.xml")
    assert [i.status for i in report.items] == ["updated"]
    assert len(service.sources()) == 1


def test_a_failing_entry_is_retried_then_given_up(site, service: NewsService) -> None:
    base, routes, hits = site
    routes["/rss.xml"] = ("application/rss+xml", rss(base, ["/news/fire.html"]))
    del routes["/news/fire.html"]
    for _ in range(MAX_ATTEMPTS):
        report = service.ingest_feed(f"{base}/rss.xml")
        assert [i.status for i in report.items] == ["failed"]
        assert "404" in report.items[0].reason
    hits.clear()
    assert service.ingest_feed(f"{base}/rss.xml").items == []
    assert articles_fetched(hits) == []


def test_a_page_that_is_not_a_feed_names_its_feed(site) -> None:
    base, routes, _ = site
    routes["/index.html"] = (
        HTML,
        b'<html><head><link rel="alternate" type="application/rss+xml" href="/rss.xml">'
        b"</head><body><p>Accueil</p></body></html>",
    )
    options = LoadOptions(allow_private_urls=True)
    with pytest.raises(FeedError, match=rf"not an RSS or Atom feed.*--feed {base}/rss.xml"):
        read_feed(f"{base}/index.html", options)
    with pytest.raises(FeedError, match="not an RSS or Atom feed; give the feed's own address"):
        read_feed(f"{base}/news/dam.html", options)
    with pytest.raises(FeedError, match="HTTP 404"):
        read_feed(f"{base}/missing.xml", options)


def test_local_feeds_need_allow_private(site, tmp_path: Path) -> None:
    base, routes, _ = site
    routes["/rss.xml"] = ("application/rss+xml", rss(base, ["/news/dam.html"]))
    service = make_service(tmp_path / "data")
    with pytest.raises(UserError, match="NEWSBOT_ALLOW_PRIVATE_URLS"):
        service.ingest_feed(f"{base}/rss.xml")


def test_cli_ingest_feed(site, tmp_path: Path) -> None:
    base, routes, _ = site
    routes["/rss.xml"] = ("application/rss+xml", rss(base, ["/news/vote.html"]))
    args = ["ingest", "--feed", f"{base}/rss.xml", "--data-dir", str(tmp_path / "d"), "--json"]
    runner = CliRunner()
    first = runner.invoke(app, [*args, "--allow-private"])
    assert first.exit_code == 0, first.output
    assert '"status": "added"' in first.stdout
    again = runner.invoke(app, [*args, "--allow-private"])
    assert again.exit_code == 0 and again.stdout.strip() == "[]"
    refused = runner.invoke(app, ["ingest", "--feed", f"{base}/news/vote.html", "--allow-private"])
    assert refused.exit_code == 2
    assert "not an RSS or Atom feed" in refused.stderr
    assert runner.invoke(app, ["ingest"]).exit_code == 2


# The feed log as written before entries had fingerprints.
_LOG_BEFORE_FINGERPRINTS = """
CREATE TABLE entries (
    feed_url TEXT NOT NULL, key TEXT NOT NULL, link TEXT NOT NULL, updated TEXT NOT NULL,
    state TEXT NOT NULL, attempts INTEGER NOT NULL, reason TEXT NOT NULL,
    seen_at TEXT NOT NULL, PRIMARY KEY (feed_url, key)
);
INSERT INTO entries VALUES ('u', 'k', 'l', 'x', 'done', 1, '', '2024-01-01');
"""


def _open_at_once(path: Path, pollers: int) -> tuple[list[FeedLog], list[Exception]]:
    start = threading.Barrier(pollers)
    logs: list[FeedLog] = []
    errors: list[Exception] = []

    def open_log() -> None:
        start.wait()
        try:
            logs.append(FeedLog(path))
        except Exception as error:
            errors.append(error)

    threads = [threading.Thread(target=open_log) for _ in range(pollers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return logs, errors


def test_a_feed_log_from_before_fingerprints_is_upgraded_once_by_concurrent_pollers(
    tmp_path: Path,
) -> None:
    # Two feeds of one collection polled at once open the same log; an old file gains its
    # fingerprint column once, and no poller fails on another's upgrade.
    for attempt in range(10):
        path = tmp_path / f"feeds-{attempt}.sqlite"
        with sqlite3.connect(path) as db:
            # Written by newsbot, so in WAL mode as every store file.
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(_LOG_BEFORE_FINGERPRINTS)
        logs, errors = _open_at_once(path, 4)
        assert errors == [] and len(logs) == 4
        for log in logs:
            log.close()
        with sqlite3.connect(path) as db:
            columns = [row[1] for row in db.execute("PRAGMA table_info(entries)")]
            assert columns.count("fingerprint") == 1
            assert db.execute("SELECT key, fingerprint FROM entries").fetchall() == [("k", "")]


def test_a_new_feed_log_opened_by_concurrent_pollers(tmp_path: Path) -> None:
    # Two feeds of one collection polled at once create the same log file.
    for attempt in range(10):
        path = tmp_path / f"new-{attempt}.sqlite"
        logs, errors = _open_at_once(path, 4)
        assert errors == [] and len(logs) == 4
        for log in logs:
            log.close()
