"""`newsbot eval`: answer quality on a QA set, side by side with a LangChain baseline."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

console = Console()
errors = Console(stderr=True)


def eval_command(
    questions: Annotated[
        list[Path],
        typer.Option(
            "--questions",
            help="Questions JSONL: id, question, answers, context_id; repeat to ask several "
            "files (e.g. eval/news/questions.en.jsonl and questions.fr-de.jsonl) together.",
        ),
    ],
    contexts: Annotated[
        list[Path],
        typer.Option(
            "--contexts",
            help="Contexts JSONL (context_id, title, text, lang); repeat to pool several "
            "languages in one store. Gold passages are scored per file.",
        ),
    ],
    unanswerable: Annotated[
        Path | None,
        typer.Option("--unanswerable", help="Questions JSONL the contexts cannot answer."),
    ] = None,
    make_unanswerable: Annotated[
        bool,
        typer.Option(
            "--make-unanswerable",
            help="Also ask every question against the contexts of other titles only "
            "(titles split into 4 folds), where it should abstain.",
        ),
    ] = False,
    answers_from: Annotated[
        list[Path] | None,
        typer.Option(
            "--answers-from",
            help="Gold answers in a contexts file's language (same ids), paired by name: "
            "de.jsonl for de.contexts.jsonl. Default: such a file beside the contexts file.",
        ),
    ] = None,
    baseline: Annotated[
        str | None, typer.Option("--baseline", help="Also run a baseline: langchain.")
    ] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", min=1, help="Only the first N questions.")
    ] = None,
    mode: Annotated[
        str, typer.Option("--mode", help="extractive, or generate (needs an LLM).")
    ] = "extractive",
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir", help="Where the store lives (env NEWSBOT_DATA_DIR).", show_default=False
        ),
    ] = None,
) -> None:
    """Measure retrieval, answers, citations, abstention and latency on a QA set."""
    from bot.errors import UserError
    from bot.evaluation import load_eval_set, run_eval
    from bot.service import NewsService
    from bot.settings import get_settings
    from retrieval.embedders import EmbedderError
    from retrieval.vector_index import StoreError

    if mode not in ("extractive", "generate"):
        errors.print(f"[bold red]Error:[/] --mode must be extractive or generate, not {mode!r}")
        raise typer.Exit(2)
    settings = get_settings()
    if data_dir is not None:
        settings = settings.model_copy(update={"data_dir": data_dir})
    service = NewsService(settings)
    try:
        eval_set = load_eval_set(
            questions,
            contexts,
            unanswerable=unanswerable,
            answers_from=answers_from,
            limit=limit,
        )
        with _RichProgress(errors) as progress:
            report = run_eval(
                service,
                eval_set,
                make_unanswerable=make_unanswerable,
                baseline=baseline,
                mode=mode,
                progress=progress,
            )
    except (UserError, StoreError, EmbedderError) as error:
        errors.print(f"[bold red]Error:[/] {error}", highlight=False)
        raise typer.Exit(2) from None
    finally:
        service.close()
    if as_json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        render_report(console, report, baseline)


class _RichProgress:
    """A progress bar per stage (ingesting, asking), on stderr so --json output stays clean."""

    def __init__(self, console: Console) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

        self._progress = Progress(
            "{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=True,
        )
        self._task: Any = None

    def __enter__(self) -> _RichProgress:
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()

    def start(self, description: str, total: int | None) -> None:
        if self._task is not None:
            self._progress.remove_task(self._task)
        self._task = self._progress.add_task(description, total=total)

    def advance(self) -> None:
        self._progress.advance(self._task)


def _cell(value: float | None, percent: bool = True) -> str:
    if value is None:
        return "–"
    if percent:
        return f"{value:.3f}"
    return f"{value:.1f}" if abs(value) < 10 else f"{value:.0f}"


def _mean_first_quote_chars(block: dict[str, Any]) -> float | None:
    lengths = [
        len(q["first_quote"])
        for q in block["questions"]
        if q["kind"] == "answerable" and q["first_quote"] is not None
    ]
    return sum(lengths) / len(lengths) if lengths else None


def render_report(console: Console, report: dict[str, Any], baseline: str | None) -> None:
    from rich.table import Table

    blocks = [("newsbot", report)]
    if "baseline" in report:
        blocks.append((baseline or "baseline", report["baseline"]))
    table = Table(title="Answer quality")
    table.add_column("metric")
    for name, _ in blocks:
        table.add_column(name, justify="right")

    def row(label: str, pick: Any, percent: bool = True) -> None:
        table.add_row(label, *(_cell(pick(block), percent) for _, block in blocks))

    names = list(report["retrieval"]["by_contexts"])
    for name in names:
        for key in ("recall@1", "recall@5", "recall@10", "mrr"):
            label = f"{key} · {name}" if len(names) > 1 else key
            row(label, lambda b, n=name, k=key: b["retrieval"]["by_contexts"][n][k])
    for key, label in (
        ("answer_in_answer", "answer in answer"),
        ("answer_in_first_quote", "answer in first quote"),
        ("answer_in_first_key", "answer in first quote's marked sentences"),
        ("citation_offsets_valid", "citation offsets valid"),
    ):
        row(label, lambda b, k=key: b["answers"][k])
    # Longer quotes hold the answer more often; their length keeps the comparison fair.
    row("first quote chars (mean)", _mean_first_quote_chars, percent=False)
    row("abstains · answerable", lambda b: b["abstention"]["answerable"])
    row("abstains · unanswerable", lambda b: b["abstention"]["unanswerable"])
    row("latency p50 (ms)", lambda b: b["latency_ms"]["p50"], percent=False)
    row("latency p95 (ms)", lambda b: b["latency_ms"]["p95"], percent=False)
    row("answer choice p95 (ms)", lambda b: b["latency_ms"].get("answer_p95"), percent=False)
    console.print(table)
    if "written" in report:
        render_written(console, report["written"])
    kinds = [q["kind"] for q in report["questions"]]
    console.print(
        f"{kinds.count('answerable')} answerable and {kinds.count('unanswerable')} "
        "unanswerable questions; fractions in 0..1."
    )


def render_written(console: Console, written: dict[str, Any]) -> None:
    """The reader's block of `eval --mode generate`."""
    from rich.table import Table

    table = Table(title="Written answers (reader)")
    table.add_column("metric")
    table.add_column("newsbot", justify="right")
    rows = [
        ("gold answer in written answer · answerable", written["answer_in_written"], True),
        ("written by the reader · answerable", written["written_share"], True),
        ("sentences verified", written["sentences"]["verified"], True),
        ("sentences re-attributed", written["sentences"]["reattributed"], True),
        ("sentences dropped", written["sentences"]["dropped"], True),
        ("fallbacks to quotes (count)", written["fallbacks"], False),
        ("refusals · answerable", written["refusals"]["answerable"], True),
        ("refusals · unanswerable", written["refusals"]["unanswerable"], True),
        ("written answer p50 (ms)", written["latency_written_ms"]["p50"], False),
        ("written answer p95 (ms)", written["latency_written_ms"]["p95"], False),
        ("first visible output p50 (ms)", written["latency_first_output_ms"]["p50"], False),
        ("first visible output p95 (ms)", written["latency_first_output_ms"]["p95"], False),
    ]
    for label, value, percent in rows:
        table.add_row(label, _cell(value, percent))
    console.print(table)
