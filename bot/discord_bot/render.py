"""Answers as Discord embeds that respect every Discord limit, split at sentence boundaries."""

from __future__ import annotations

import re
from dataclasses import dataclass

import discord

from bot.answering.answer import Answer, Citation
from retrieval.sentences import sentence_spans

MESSAGE_LIMIT = 2000
TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FIELDS_PER_EMBED = 25
FOOTER_LIMIT = 2048
EMBED_TOTAL_LIMIT = 6000

_MARKER = re.compile(r"\[(\d+)\]")
# Stands for a bold marker while a quote is cut into fields; becomes "**" once it is balanced.
_BOLD = "\x00"
_ELLIPSIS = "…"
# Link lines name the article; long titles are shortened there (the field name has it in full).
_LINK_TITLE_CHARS = 80
# The other copies of a story named under a citation: a few, each shortened, so that the link
# line keeps most of the field for the quote.
_ALSO_IN_SHOWN = 3
_ALSO_IN_CHARS = 60
_ALSO_IN_LINE_CHARS = 400

Rendered = tuple[str | None, discord.Embed]


def split_text(text: str, limit: int) -> list[str]:
    """Cut `text` into pieces of at most `limit` characters.

    Pieces end at a paragraph or sentence end when one fits, else at a space; a word is cut only
    when it alone is longer than `limit`. Whitespace at the cuts is dropped, nothing else.
    """
    if limit < 1:
        raise ValueError("limit must be positive")
    text = text.strip()
    if len(text) <= limit:
        return [text] if text else []
    # Sentence ends, including paragraph ends, are the preferred places to cut.
    breaks = sorted({end for _, end in sentence_spans(text)})
    pieces: list[str] = []
    start = 0
    while start < len(text):
        while start < len(text) and text[start].isspace():
            start += 1
        if len(text) - start <= limit:
            pieces.append(text[start:].rstrip())
            break
        window_end = start + limit
        cut = _last_break(breaks, start, window_end)
        if cut is None:
            space = _last_space(text, start, window_end)
            # A single word longer than the limit has to be cut somewhere.
            cut = space if space is not None else window_end
        piece = text[start:cut].rstrip()
        if piece:
            pieces.append(piece)
        start = cut
    return [piece for piece in pieces if piece]


def _last_break(breaks: list[int], start: int, end: int) -> int | None:
    best = None
    for position in breaks:
        if position > end:
            break
        if position > start:
            best = position
    return best


def _last_space(text: str, start: int, end: int) -> int | None:
    # text[end] being a space means the window ends exactly at a word end.
    if end < len(text) and text[end].isspace():
        return end
    for index in range(end - 1, start, -1):
        if text[index].isspace():
            return index
    return None


def shorten(text: str, limit: int) -> str:
    """`text` on one line, cut at a word end with an ellipsis if longer than `limit`."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    head = text[: limit - len(_ELLIPSIS)]
    space = head.rfind(" ")
    if space > limit // 2:
        head = head[:space]
    return head.rstrip(" ,;:.") + _ELLIPSIS


def cited_numbers(text: str) -> list[int]:
    """The [n] markers in `text`, in order of first appearance."""
    seen: dict[int, None] = {}
    for match in _MARKER.finditer(text):
        seen.setdefault(int(match.group(1)), None)
    return list(seen)


def _escape(text: str) -> str:
    # Article text must show as written: no accidental bold, strikes, spoilers or code.
    return discord.utils.escape_markdown(text, ignore_links=False)


def _markdown_link(title: str, url: str | None) -> str:
    """`title` linked to `url` when it is a web link (escaped title), else the title alone."""
    if url and url.startswith(("http://", "https://")):
        # Parentheses would end the markdown link early.
        url = url.replace("(", "%28").replace(")", "%29")
        return f"[{title.replace('[', '(').replace(']', ')')}]({url})"
    return title


def _also_in_line(citation: Citation) -> str:
    if not citation.also_in:
        return ""
    more = len(citation.also_in) - _ALSO_IN_SHOWN
    tail = f" and {more} more" if more > 0 else ""
    line = ""
    for linked in (True, False):
        names = [
            (_markdown_link(name, c.url) if linked else name) + (f" ({c.date})" if c.date else "")
            for c in citation.also_in[:_ALSO_IN_SHOWN]
            for name in [_escape(shorten(c.title or c.source, _ALSO_IN_CHARS))]
        ]
        line = "\nalso in: " + ", ".join(names) + tail
        if len(line) <= _ALSO_IN_LINE_CHARS:
            break  # very long links leave the quote too little room: names alone then
    return line


def _link_line(citation: Citation) -> str:
    title = _escape(shorten(citation.title or citation.source, _LINK_TITLE_CHARS))
    position = f"characters {citation.start}–{citation.end}"
    dated = f" · {citation.date}" if citation.date else ""
    return f"{_markdown_link(title, citation.url)}{dated} · {position}{_also_in_line(citation)}"


def _quote_markdown(citation: Citation) -> str:
    """The passage on one line, escaped, with `_BOLD` around the sentences that answer."""
    parts = citation.around_key()
    if parts is None:
        return _escape(" ".join(citation.quote.replace(_BOLD, " ").split()))
    before, key, after = (_escape(" ".join(part.replace(_BOLD, " ").split())) for part in parts)
    if (len(key) - len(key.rstrip("\\"))) % 2:
        key += "\\"  # a lone backslash at the end would escape the closing marker
    return " ".join(part for part in (before, f"{_BOLD}{key}{_BOLD}" if key else "", after) if part)


def _balance_bold(pieces: list[str]) -> list[str]:
    """Bold closed at the end of a piece and reopened in the next when a cut falls inside it."""
    balanced: list[str] = []
    inside = False  # whether bold is open where this piece starts
    for piece in pieces:
        if inside and piece.startswith(_BOLD):
            piece, inside = piece[1:].lstrip(), False  # the cut fell just before the closing marker
        ends_inside = inside ^ (piece.count(_BOLD) % 2 == 1)
        if inside:
            piece = _BOLD + piece
        if ends_inside and piece.endswith(_BOLD):
            piece = piece[:-1].rstrip()  # the cut fell just after the opening marker
        elif ends_inside:
            piece += _BOLD
        inside = ends_inside
        if piece.replace(_BOLD, "").strip():
            balanced.append(piece.replace(_BOLD, "**"))
    return balanced


def citation_fields(citation: Citation) -> list[tuple[str, str]]:
    """One (name, value) field for a citation, or several when the quote is longer than a field."""
    name = shorten(f"[{citation.n}] {citation.title or citation.source}", FIELD_NAME_LIMIT)
    link = _link_line(citation)
    quote = _quote_markdown(citation)
    # Every piece keeps room for "> ", two bold markers (each one character longer once written)
    # and, on the last one, the link line.
    room = FIELD_VALUE_LIMIT - len(link) - 3 - 4
    pieces = _balance_bold(split_text(quote, room)) or [_ELLIPSIS]
    fields = []
    for index, piece in enumerate(pieces):
        value = f"> {piece}"
        if index == len(pieces) - 1:
            value += f"\n{link}"
        fields.append((name if index == 0 else f"[{citation.n}] (continued)", value))
    return fields


@dataclass
class _Block:
    """A description piece or a field, placed into embeds in reading order."""

    text: str
    name: str | None = None  # set for fields

    @property
    def size(self) -> int:
        return len(self.text) + len(self.name or "")


def _blocks(answer: Answer) -> list[_Block]:
    """Description pieces, each followed by the citations it is first to refer to."""
    by_number = {c.n: c for c in answer.citations}
    placed: set[int] = set()
    blocks: list[_Block] = []
    text = _escape(answer.answer.strip()) or _ELLIPSIS
    for piece in split_text(text, DESCRIPTION_LIMIT):
        blocks.append(_Block(piece))
        for number in cited_numbers(piece):
            if number in by_number and number not in placed:
                placed.add(number)
                blocks.extend(_Block(v, n) for n, v in citation_fields(by_number[number]))
    # Citations the text does not mark still name the sources used; they go last.
    for citation in answer.citations:
        if citation.n not in placed:
            placed.add(citation.n)
            blocks.extend(_Block(v, n) for n, v in citation_fields(citation))
    return blocks


def _footer(answer: Answer) -> str:
    parts = []
    if answer.abstained:
        parts.append("No passage answers this closely enough")
    else:
        count = len(answer.citations)
        parts.append(f"{count} quoted passage{'s' if count != 1 else ''}")
    if answer.mode != "extractive":
        parts.append(f"mode: {answer.mode}")
    if answer.search_query:
        parts.append(f"searched for: {answer.search_query}")
    return shorten(" · ".join(parts), 300)


def render_answer_messages(answer: Answer) -> list[Rendered]:
    """The answer as messages of one embed each: text with [n] markers, then citation fields.

    Every embed is within Discord's limits; no citation is dropped, and a citation appears in
    the same embed as, or after, the first text that refers to it.
    """
    title = shorten(answer.question, TITLE_LIMIT)
    footer = _footer(answer)
    color = discord.Color.light_grey() if answer.abstained else discord.Color.blurple()
    embeds: list[discord.Embed] = []
    current: discord.Embed | None = None
    used = 0

    def start_embed() -> discord.Embed:
        nonlocal current, used
        current = discord.Embed(color=color)
        if not embeds:
            current.title = title
        embeds.append(current)
        # The footer goes on the last embed; which one that is is known only at the end.
        used = len(current.title or "") + len(footer)
        return current

    for block in _blocks(answer):
        embed = current if current is not None else start_embed()
        if block.name is None:
            # One description per embed: a further piece of text opens the next embed.
            if embed.description or embed.fields:
                embed = start_embed()
            embed.description = block.text
        else:
            full = len(embed.fields) >= FIELDS_PER_EMBED
            if full or used + block.size > EMBED_TOTAL_LIMIT:
                embed = start_embed()
            embed.add_field(name=block.name, value=block.text, inline=False)
        used += block.size
    if not embeds:
        start_embed()
    embeds[-1].set_footer(text=footer)
    return [(None, embed) for embed in embeds]


def render_text_messages(text: str) -> list[str]:
    """Plain text cut into messages within the 2000-character limit."""
    return split_text(text, MESSAGE_LIMIT) or [_ELLIPSIS]
