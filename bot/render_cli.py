"""Terminal rendering with rich: answers with their quoted sources, ingest progress and summary."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from bot.answering.answer import Answer, Citation
from bot.service import IngestReport, SourceInfo
from retrieval.ingest import IngestItem

_STATUS_STYLE = {
    "added": "green",
    "updated": "cyan",
    "unchanged": "dim",
    "duplicate": "magenta",
    "failed": "red",
}


def render_answer(
    console: Console, answer: Answer, *, title: str = "Answer", streamed: str | None = None
) -> None:
    """The answer, its notes and its cited passages.

    When `streamed` (the written answer already printed as it came) is the final text, the
    text is not printed again.
    """
    style = "yellow" if answer.abstained else "bold"
    if streamed is None or streamed.strip() != answer.answer.strip():
        console.print(Panel(escape(answer.answer), title=title, title_align="left", style=style))
    for note in answer.notes:
        console.print(f"[dim]{escape(note)}[/]")
    for citation in answer.citations:
        heading = escape(citation.title or citation.source)
        where = escape(citation.url or citation.source)
        dated = f" · {citation.date}" if citation.date else ""
        also = (
            "\n    [dim]also in: " + escape(", ".join(_also_in_names(citation))) + "[/]"
            if citation.also_in
            else ""
        )
        console.print(
            f"[bold][{citation.n}][/] {heading}\n"
            f"    [dim]{where}{dated} · characters {citation.start}-{citation.end}"
            f" · score {citation.score:.3f}[/]"
            f"{also}\n"
            f"    “{_marked_quote(citation)}”"
        )


def _also_in_names(citation: Citation) -> list[str]:
    """The other copies of the cited story: their link, or their source when they have none."""
    return [
        (copy.url or copy.source) + (f" ({copy.date})" if copy.date else "")
        for copy in citation.also_in
    ]


def render_quote(console: Console, draft: Answer) -> None:
    """The quoted answer shown at once, before the written answer streams below it."""
    render_answer(console, draft, title="Quoted from the articles")
    console.print("[bold]Written answer:[/] ", end="")


def _marked_quote(citation: Citation) -> str:
    """The passage with the sentences that answer in bold, so the eye finds them first."""
    parts = citation.around_key()
    if parts is None:
        return escape(citation.quote)
    before, key, after = parts
    return f"{escape(before)}[bold]{escape(key)}[/bold]{escape(after)}"


@contextmanager
def track_ingest(
    console: Console, enabled: bool = True, total: int | None = None
) -> Iterator[Callable[[IngestItem], None] | None]:
    """A live bar: items done of `total` (when counted), articles per second and an ETA."""
    if not enabled:
        yield None
        return
    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(bar_width=24),
        MofNCompleteColumn(),
        TextColumn("[green]{task.fields[added]} added[/] · {task.fields[other]} other"),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console,
        transient=True,
        # The rate is over the last 5 minutes: a long ingest's ETA follows its current pace.
        speed_estimate_period=300,
    )
    task = progress.add_task("Ingesting", total=total, added=0, other=0, rate="")
    counts = {"added": 0, "other": 0}

    def on_item(item: IngestItem) -> None:
        key = "added" if item.status in ("added", "updated") else "other"
        counts[key] += 1
        progress.advance(task)
        speed = progress.tasks[0].speed
        rate = f"{speed:.2f} articles/s" if speed else ""
        progress.update(task, description=f"Ingesting {item.source[-40:]}", rate=rate, **counts)

    with progress:
        yield on_item


def render_ingest_summary(console: Console, report: IngestReport) -> None:
    table = Table(title="Ingest summary", show_lines=False)
    table.add_column("status")
    table.add_column("source", overflow="fold")
    table.add_column("chunks", justify="right")
    table.add_column("detail", overflow="fold")
    for item in report.items:
        style = _STATUS_STYLE[item.status]
        table.add_row(
            f"[{style}]{item.status}[/]",
            escape(item.source),
            str(item.chunks or ""),
            escape(item.reason or item.title),
        )
    console.print(table)
    console.print(
        f"{report.count('added')} added, {report.count('updated')} updated, "
        f"{report.count('unchanged')} unchanged, {report.count('failed')} failed"
    )


def render_sources(console: Console, infos: Sequence[SourceInfo], collection: str) -> None:
    if not infos:
        console.print(
            f"The collection {collection!r} is empty. "
            "Add articles with `newsbot ingest PATH_OR_URL`."
        )
        return
    table = Table(title=f"Sources in {collection}")
    columns = ["source", "title", "date", "lang", "chunks"]
    copies = any(info.also_in for info in infos)
    for column in columns + (["also in"] if copies else []):
        table.add_column(column, overflow="fold")
    for info in infos:
        row = [
            escape(info.source),
            escape(info.title),
            info.date or "",
            info.lang,
            str(info.chunks),
        ]
        if copies:
            row.append(escape("\n".join(c.url or c.source for c in info.also_in)))
        table.add_row(*row)
    console.print(table)
