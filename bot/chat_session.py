"""The interactive `newsbot chat` loop: readline editing, history, follow-ups in context."""

from __future__ import annotations

import contextlib
from collections import deque

from rich.console import Console

from bot.answering.answer import Answer
from bot.answering.followup import Turn
from bot.errors import UserError
from bot.render_cli import render_answer, render_quote
from bot.service import NewsService

MAX_TURNS = 6
EXIT_WORDS = frozenset({"exit", "quit", ":q", "/exit", "/quit"})


def run_chat(service: NewsService, console: Console) -> int:
    with contextlib.suppress(ImportError):
        import readline  # noqa: F401  (line editing and history for input())
    history: deque[Turn] = deque(maxlen=MAX_TURNS)
    console.print("Ask about the articles. Empty line or 'exit' to leave, '/new' to start over.")
    streamed: list[str] = []
    quoted: list[Answer] = []

    def on_token(token: str) -> None:
        # Generated answers print as they arrive; the verified version follows.
        streamed.append(token)
        console.print(token, end="", markup=False, highlight=False)

    def on_quote(draft: Answer) -> None:
        # With the local reader the quote shows at once and the written answer streams below.
        quoted.append(draft)
        render_quote(console, draft)

    while True:
        try:
            question = input("you> ").strip()
        except (EOFError, KeyboardInterrupt):
            console.print()
            return 0
        if not question or question.lower() in EXIT_WORDS:
            return 0
        if question == "/new":
            history.clear()
            console.print("[dim]New conversation.[/]")
            continue
        streamed.clear()
        quoted.clear()
        try:
            answer = service.ask(
                question, history=list(history), on_token=on_token, on_quote=on_quote
            )
        except UserError as error:
            console.print(f"[red]{error}[/]")
            continue
        if streamed or quoted:
            console.print()
        if answer.search_query:
            console.print(f"[dim](searched for: {answer.search_query})[/]")
        render_answer(console, answer, streamed="".join(streamed) if quoted else None)
        history.append(Turn(question, answer.answer))
