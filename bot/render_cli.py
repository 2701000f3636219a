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

from bot.answer_types import Answer, Citation
from bot.service import IngestReport, SourceInfo
from retrieval.ingest import IngestItem

_STATUS_STYLE = {"added": "green", "updated": "cyan", "unchanged": "dim", "failed": "red"}


def render_answer(console: Console, answer: Answer) -> None:
    style = "yellow" if answer.abstained else "bold"
    console.print(Panel(escape(answer.answer), title="Answer", title_align="left", style=style))
    for note in answer.notes:
        console.print(f"[dim]{escape(note)}[/]")
    for citation in answer.citations:
        heading = escape(citation.title or citation.source)
        where = escape(citation.url or citation.source)
        console.print(
            f"[bold][{citation.n}][/] {heading}\n"
            f"    [dim]{where} · characters {citation.start}-{citation.end}"
            f" · score {citation.score:.3f}[/]\n"
            f"    “{_marked_quote(citation)}”"
        )


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
    for column in ("source", "title", "date", "lang", "chunks"):
        table.add_column(column, overflow="fold")
    for info in infos:
        table.add_row(
            escape(info.source), escape(info.title), info.date or "", info.lang, str(info.chunks)
        )
    console.print(table)
