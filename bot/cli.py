"""The command line: ingest, ask, chat, sources, forget, feeds, watch, discord; it only renders."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from bot.errors import UserError
from bot.settings import Settings, get_settings

app = typer.Typer(
    help="Ask questions about news articles; answers quote and cite the exact sentences.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
errors = Console(stderr=True)

DataDir = Annotated[
    Path | None,
    typer.Option(
        "--data-dir", help="Where the store lives (env NEWSBOT_DATA_DIR).", show_default=False
    ),
]
Collection = Annotated[
    str | None,
    typer.Option(
        "--collection", "-c", help="Collection name (env NEWSBOT_COLLECTION).", show_default=False
    ),
]


def _settings(data_dir: Path | None, collection: str | None) -> Settings:
    updates: dict[str, object] = {}
    if data_dir is not None:
        updates["data_dir"] = data_dir
    if collection is not None:
        updates["collection"] = collection
    return get_settings().model_copy(update=updates)


def _service(settings: Settings):  # -> NewsService; imported late to keep --help fast
    from bot.service import NewsService

    return NewsService(settings)


def _fail(message: str, code: int = 2) -> typer.Exit:
    errors.print(f"[bold red]Error:[/] {message}", highlight=False)
    return typer.Exit(code)


@contextmanager
def _exit_on_user_error() -> Iterator[None]:
    """A mistake the user can fix ends the command with its message and exit code 2."""
    from retrieval.embedders import EmbedderError
    from retrieval.vector_index import StoreError

    try:
        yield
    except (UserError, StoreError, EmbedderError) as error:
        raise _fail(str(error)) from None


@app.command()
def ingest(
    inputs: Annotated[
        list[str] | None, typer.Argument(help="Files, directories or http(s) URLs.")
    ] = None,
    feed: Annotated[
        list[str] | None,
        typer.Option(
            "--feed",
            metavar="URL",
            help="An RSS or Atom feed URL: its new entries' articles are fetched (repeatable).",
            show_default=False,
        ),
    ] = None,
    data_dir: DataDir = None,
    collection: Collection = None,
    allow_private: Annotated[
        bool, typer.Option("--allow-private", help="Allow URLs on private or local addresses.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Add articles to the store; unchanged ones are skipped, changed ones replaced."""
    from bot.render_cli import render_ingest_summary, track_ingest
    from bot.service import IngestReport
    from retrieval.input_count import count_items

    if not inputs and not feed:
        raise _fail("give files, directories or URLs to ingest, or --feed URL")
    settings = _settings(data_dir, collection)
    allow = allow_private or None
    items = []
    with _exit_on_user_error():
        service = _service(settings)
        # Counted up front (cheap: lines of JSONL, files of directories) for the bar's ETA.
        total = None if feed or as_json else count_items(inputs or [])
        with track_ingest(errors, enabled=not as_json, total=total) as on_item:
            if inputs:
                items += service.ingest(inputs, on_item=on_item, allow_private_urls=allow).items
            for url in feed or []:
                items += service.ingest_feed(url, on_item=on_item, allow_private_urls=allow).items
    report = IngestReport(items)
    if as_json:
        print(json.dumps([item.__dict__ for item in report.items], ensure_ascii=False, indent=2))
    else:
        render_ingest_summary(console, report)
    raise typer.Exit(report.exit_code)


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question, in any language.")],
    data_dir: DataDir = None,
    collection: Collection = None,
    source: Annotated[str | None, typer.Option(help="Only this source.")] = None,
    lang: Annotated[
        str | None, typer.Option(help="Only articles in this language (e.g. fr).")
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="Only articles dated on or after (YYYY-MM-DD).")
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="Only articles dated on or before (YYYY-MM-DD).")
    ] = None,
    mode: Annotated[
        str | None,
        typer.Option(
            help="extractive (quotes only) or generate (an LLM writes, citations checked)."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer as JSON.")] = False,
) -> None:
    """Answer one question from the stored articles, with quoted, cited sentences."""
    from bot.render_cli import render_answer, render_quote
    from retrieval.catalog import SearchFilters

    settings = _settings(data_dir, collection)
    filters = SearchFilters(source=source, lang=lang, date_from=since, date_to=until)
    if mode not in (None, "extractive", "generate"):
        raise _fail(f"--mode must be extractive or generate, not {mode!r}")
    streamed: list[str] = []

    def on_token(token: str) -> None:
        if not as_json:
            streamed.append(token)
            console.print(token, end="", markup=False, highlight=False)

    quoted: list[object] = []

    def on_quote(draft: object) -> None:
        # The quote shows at once; the reader's written answer streams below it.
        if not as_json:
            quoted.append(draft)
            render_quote(console, draft)  # type: ignore[arg-type]

    with _exit_on_user_error():
        answer = _service(settings).ask(
            question,
            filters=filters,
            mode=mode,
            on_token=on_token,  # type: ignore[arg-type]
            on_quote=on_quote,  # type: ignore[arg-type]
        )
    if streamed or quoted:
        console.print()
    if as_json:
        print(json.dumps(answer.to_json_dict(), ensure_ascii=False, indent=2))
    elif quoted:
        render_answer(console, answer, streamed="".join(streamed))
    else:
        render_answer(console, answer)


@app.command()
def chat(data_dir: DataDir = None, collection: Collection = None) -> None:
    """An interactive session: follow-up questions keep the conversation's subject."""
    from bot.chat_session import run_chat

    settings = _settings(data_dir, collection)
    with _exit_on_user_error():
        code = run_chat(_service(settings), console)
    raise typer.Exit(code)


@app.command()
def sources(
    data_dir: DataDir = None,
    collection: Collection = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """List what is in the store."""
    from bot.render_cli import render_sources

    settings = _settings(data_dir, collection)
    with _exit_on_user_error():
        infos = _service(settings).sources()
    if as_json:
        print(json.dumps([asdict(info) for info in infos], ensure_ascii=False, indent=2))
    else:
        render_sources(console, infos, settings.collection)


@app.command()
def forget(
    source: Annotated[str, typer.Argument(help="The source as `newsbot sources` lists it.")],
    data_dir: DataDir = None,
    collection: Collection = None,
) -> None:
    """Remove an article (all its chunks, vectors and index entries) from the store."""
    settings = _settings(data_dir, collection)
    with _exit_on_user_error():
        removed = _service(settings).forget(_normalize_source(source))
    if not removed:
        raise _fail(f"no article from {source!r} is stored; see `newsbot sources`.", code=1)
    console.print(f"Forgot {removed} article(s) from {source}.")


def _normalize_source(source: str) -> str:
    # Files are stored by absolute path; accept the relative path the user ingested with.
    path = Path(source.split("#", 1)[0])
    if "://" not in source and path.exists():
        rest = source[len(source.split("#", 1)[0]) :]
        return str(path.resolve()) + rest
    return source


@app.command()
def rebuild(data_dir: DataDir = None, collection: Collection = None) -> None:
    """Re-embed every stored article with the configured embedding model."""
    settings = _settings(data_dir, collection)
    with console.status("Re-embedding the stored articles..."), _exit_on_user_error():
        count = _service(settings).rebuild()
    console.print(f"Rebuilt {settings.collection!r}: {count} article(s) re-embedded.")


@app.command()
def sync(data_dir: DataDir = None, collection: Collection = None) -> None:
    """With a shared Chroma server: take in what other hosts ingested or forgot."""
    settings = _settings(data_dir, collection)
    with console.status("Reading the Chroma server..."), _exit_on_user_error():
        report = _service(settings).sync_catalog()
    console.print(
        f"Synced {settings.collection!r}: {report.added} article(s) added, "
        f"{report.removed} removed"
        + (f", {report.skipped} chunk(s) skipped (no offsets recorded)" if report.skipped else "")
        + "."
    )


@app.command()
def discord() -> None:
    """Run the Discord bot (token from DISCORD_TOKEN)."""
    from bot.discord_bot.app import run_discord

    raise typer.Exit(run_discord(get_settings()))


feeds_app = typer.Typer(
    help="Feed subscriptions: add, list, remove; `newsbot watch` polls them.",
    no_args_is_help=True,
)
app.add_typer(feeds_app, name="feeds")


def _feed_service(settings: Settings):  # -> FeedService
    from bot.feed_service import FeedService

    return FeedService(_service(settings))


@feeds_app.command("add")
def feeds_add(
    url: Annotated[str, typer.Argument(help="The RSS or Atom feed's address.")],
    every: Annotated[
        str | None,
        typer.Option(
            "--every",
            help="How often to poll: 15m, 2h, 1d (default 15m; a longer <ttl> in the feed wins).",
            show_default=False,
        ),
    ] = None,
    data_dir: DataDir = None,
    collection: Collection = None,
) -> None:
    """Subscribe to a feed; `newsbot watch` polls it from now on."""
    from bot.feed_schedule import format_every, parse_every

    settings = _settings(data_dir, collection)
    try:
        every_s = parse_every(every) if every is not None else None
    except ValueError as error:
        raise _fail(f"--every: {error}") from None
    with _exit_on_user_error():
        feeds = _feed_service(settings)
        try:
            sub, created = feeds.add(url, every_s=every_s)
        finally:
            feeds.close()
    verb = "Subscribed" if created else "Updated the subscription of"
    console.print(
        f"{verb} {sub.collection!r} to {sub.url}, polled every {format_every(sub.every_s)}. "
        "Run `newsbot watch` to poll.",
        highlight=False,
    )


@feeds_app.command("list")
def feeds_list(
    data_dir: DataDir = None,
    collection: Collection = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the list as JSON.")] = False,
) -> None:
    """List subscriptions: last poll, last result or error, last new article, next poll."""
    from bot.render_feeds import render_subscriptions, subscription_json

    settings = _settings(data_dir, collection)
    with _exit_on_user_error():
        feeds = _feed_service(settings)
        try:
            only = [collection] if collection else None
            subs, now = feeds.list(collections=only), feeds.clock()
        finally:
            feeds.close()
    if as_json:
        rows = [subscription_json(sub, now) for sub in subs]
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        render_subscriptions(console, subs, now)


@feeds_app.command("remove")
def feeds_remove(
    url: Annotated[str, typer.Argument(help="The feed's address, as `feeds list` shows it.")],
    data_dir: DataDir = None,
    collection: Collection = None,
) -> None:
    """Unsubscribe; articles already stored stay (remove them with `newsbot forget`)."""
    settings = _settings(data_dir, collection)
    with _exit_on_user_error():
        feeds = _feed_service(settings)
        try:
            removed = feeds.remove(url)
        finally:
            feeds.close()
    if not removed:
        raise _fail(
            f"{settings.collection!r} has no subscription to {url}; see `newsbot feeds list`.",
            code=1,
        )
    console.print(f"Unsubscribed {settings.collection!r} from {url}.", highlight=False)


@app.command()
def watch(
    once: Annotated[
        bool, typer.Option("--once", help="Poll the due feeds once, then exit (for cron).")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Poll every feed now, due or not.")
    ] = False,
    data_dir: DataDir = None,
    allow_private: Annotated[
        bool, typer.Option("--allow-private", help="Allow feeds on private or local addresses.")
    ] = False,
) -> None:
    """Poll the feed subscriptions until stopped (Ctrl-C or SIGTERM; nothing is lost)."""
    import threading

    from bot.feed_watch import stop_on_signals
    from bot.feed_watch import watch as run_watch
    from bot.render_feeds import render_cycle, render_feed_result

    settings = _settings(data_dir, None)
    if allow_private:
        settings = settings.model_copy(update={"allow_private_urls": True})
    stop = threading.Event()
    with _exit_on_user_error():
        feeds = _feed_service(settings)
        try:
            if not feeds.list(owner="cli"):
                raise _fail("no feed subscriptions to poll; add one with `newsbot feeds add URL`")
            with stop_on_signals(stop):
                reports = run_watch(
                    feeds,
                    stop=stop,
                    once=once,
                    force=force,
                    on_feed=lambda result: render_feed_result(console, result),
                    on_cycle=lambda report: render_cycle(console, report),
                    on_error=lambda error: errors.print(
                        f"[bold red]Polling failed, retrying in a minute:[/] {error}",
                        highlight=False,
                    ),
                )
        finally:
            feeds.close()
            feeds.news.close()
    failed = any(r.status == "error" or r.failed for c in reports for r in c.feeds)
    raise typer.Exit(1 if failed else 0)


# Registered after the core commands so that `newsbot --help` lists them first.
from bot.eval_command import eval_command  # noqa: E402

app.command("eval")(eval_command)


def main() -> None:  # pragma: no cover - the console script calls `app`
    app(prog_name="newsbot")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
