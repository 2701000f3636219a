"""The bot's own words: help, refusals, errors, ingest reports and source lists."""

from __future__ import annotations

from collections.abc import Sequence

from bot.service import IngestItem, SourceInfo

from .render import MESSAGE_LIMIT, render_text_messages, shorten
from .scopes import Scope

HELP = """**newsbot** answers questions about news articles with the sentences that answer them, \
quoting each in its passage (the answering part in bold).

• `/ask question:` answers here for everyone; add `private: True` to see the answer alone.
• Mention me with a question: I answer in a thread; ask follow-ups there, I remember the context.
• `/sources` lists the articles I can quote here.
• `/ingest url:` or `/ingest file:` (.txt, .md, .html, .jsonl) adds articles to this server; \
`/forget source:` removes one. Both need Manage Server{role}.
• `/feed add url:` follows an RSS or Atom feed: its new articles are added as they appear \
(and announced in `channel:` if given); `/feed list`, `/feed remove`. Manage Server{role} too.

Each server has its own articles{shared}. What one server adds is never shown elsewhere."""

GENERIC_ERROR = "Sorry, something went wrong on my side. Please try again in a moment."
NO_QUESTION = "Ask me a question after the mention, e.g. “@newsbot how many troops were sent?”"
DM_NO_ARTICLES = (
    "There are no shared articles to search in direct messages. "
    "Ask in a server where I am, with `/ask`."
)
DM_NO_CHANGES = "Articles can only be added or removed in a server, not in direct messages."
EMPTY_HERE = (
    "No articles have been added here yet. Someone with Manage Server can add some with "
    "`/ingest url:` or `/ingest file:`."
)
INGEST_ONE_INPUT = "Give either `url:` or `file:` (one of them) to `/ingest`."
URL_SCHEME = "Only http:// and https:// links can be ingested."

_STATUS_MARK = {
    "added": "✅ added",
    "updated": "🔄 updated",
    "unchanged": "➖ unchanged",
    "duplicate": "🔁 same story as a stored article",
    "failed": "❌ failed",
}


def help_text(admin_role: str | None, shared_collection: str | None) -> str:
    role = f" or the `{admin_role}` role" if admin_role else ""
    shared = ", and everyone also searches the shared news feed" if shared_collection else ""
    return HELP.format(role=role, shared=shared)


def cooldown_text(seconds_left: float) -> str:
    return f"One question at a time, please: try again in {max(1, round(seconds_left))} s."


def not_allowed_text(admin_role: str | None) -> str:
    role = f" or the `{admin_role}` role" if admin_role else ""
    return f"Sorry, adding or removing articles needs the Manage Server permission{role}."


def ingest_report(items: Sequence[IngestItem]) -> list[str]:
    """One line per article or failure, cut into messages within Discord's limit."""
    if not items:
        return ["Nothing was found to ingest."]
    counts = {s: sum(1 for i in items if i.status == s) for s in _STATUS_MARK}
    summary = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
    lines = [f"**Ingest:** {summary}."]
    for item in items:
        label = shorten(item.title or item.source, 120)
        mark = _STATUS_MARK.get(item.status, item.status)
        line = f"{mark}: {label} (`{shorten(item.source, 150)}`)"
        if item.status in ("failed", "duplicate"):
            line += f" — {shorten(item.reason, 400)}"
        elif item.chunks:
            line += f" — {item.chunks} passage{'s' if item.chunks != 1 else ''}"
        lines.append(line)
    return render_text_messages("\n".join(lines))


def sources_list(
    sources: Sequence[SourceInfo], scope: Scope, *, max_messages: int = 5
) -> list[str]:
    """The articles searchable here, one line each, within a few messages."""
    if not sources:
        return [EMPTY_HERE if scope.guild_id is not None else DM_NO_ARTICLES]
    lines = [f"**{len(sources)} article{'s' if len(sources) != 1 else ''} searchable here:**"]
    for info in sources:
        where = "this server" if info.collection == scope.own_collection else "shared"
        title = shorten(info.title or info.source, 100)
        details = " · ".join(x for x in (info.date, info.lang, where) if x)
        line = f"• {title} — `{shorten(info.source, 150)}` · {details}"
        linked = line.replace(f"• {title}", f"• [{title}](<{info.url}>)", 1) if info.url else line
        if info.also_in:
            others = ", ".join(shorten(c.url or c.source, 100) for c in info.also_in[:3])
            more = f" +{len(info.also_in) - 3} more" if len(info.also_in) > 3 else ""
            line += f" · also in: {others}{more}"
            linked += f" · also in: {others}{more}"
        lines.append(linked if len(linked) <= 1000 else shorten(line, 1000))
    return _pack_lines(lines, max_messages)


def _pack_lines(lines: list[str], max_messages: int) -> list[str]:
    """Whole lines into messages; what does not fit in `max_messages` is counted, not shown."""
    # Room for the closing "…and N more." line.
    limit = MESSAGE_LIMIT - 40
    messages: list[str] = []
    current: list[str] = []
    size = 0
    for shown, line in enumerate(lines):
        if current and size + len(line) + 1 > limit:
            if len(messages) + 1 == max_messages:
                current.append(f"…and {len(lines) - shown} more.")
                break
            messages.append("\n".join(current))
            current, size = [], 0
        current.append(line)
        size += len(line) + 1
    messages.append("\n".join(current))
    return messages


def forget_text(removed: int, source: str) -> str:
    if removed:
        return f"Removed {removed} article{'s' if removed != 1 else ''} with source `{source}`."
    return f"No article with source `{source}` in this server. `/sources` lists the names."
