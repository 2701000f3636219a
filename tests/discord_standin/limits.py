"""Discord's documented message limits, checked the way the real API rejects a payload (400)."""

from __future__ import annotations

from typing import Any

MAX_CONTENT = 2000
MAX_EMBEDS = 10
MAX_TITLE = 256
MAX_DESCRIPTION = 4096
MAX_FIELDS = 25
MAX_FIELD_NAME = 256
MAX_FIELD_VALUE = 1024
MAX_FOOTER = 2048
MAX_AUTHOR = 256
MAX_EMBED_TOTAL = 6000


def embed_total(embed: dict[str, Any]) -> int:
    """Characters counted toward the 6000 limit: title, description, fields, footer, author."""
    total = len(embed.get("title") or "") + len(embed.get("description") or "")
    total += len((embed.get("footer") or {}).get("text") or "")
    total += len((embed.get("author") or {}).get("name") or "")
    for item in embed.get("fields") or []:
        total += len(item.get("name") or "") + len(item.get("value") or "")
    return total


def _embed_problems(index: int, embed: dict[str, Any]) -> list[str]:
    where = f"embeds.{index}"
    problems = []
    if len(embed.get("title") or "") > MAX_TITLE:
        problems.append(f"{where}.title longer than {MAX_TITLE}")
    if len(embed.get("description") or "") > MAX_DESCRIPTION:
        problems.append(f"{where}.description longer than {MAX_DESCRIPTION}")
    if len((embed.get("footer") or {}).get("text") or "") > MAX_FOOTER:
        problems.append(f"{where}.footer.text longer than {MAX_FOOTER}")
    if len((embed.get("author") or {}).get("name") or "") > MAX_AUTHOR:
        problems.append(f"{where}.author.name longer than {MAX_AUTHOR}")
    fields = embed.get("fields") or []
    if len(fields) > MAX_FIELDS:
        problems.append(f"{where}.fields more than {MAX_FIELDS}")
    for n, item in enumerate(fields):
        name, value = item.get("name") or "", item.get("value") or ""
        if not name.strip() or len(name) > MAX_FIELD_NAME:
            problems.append(f"{where}.fields.{n}.name empty or longer than {MAX_FIELD_NAME}")
        if not value.strip() or len(value) > MAX_FIELD_VALUE:
            problems.append(f"{where}.fields.{n}.value empty or longer than {MAX_FIELD_VALUE}")
    return problems


def message_problems(payload: dict[str, Any], *, has_files: bool = False) -> list[str]:
    """Why Discord would refuse this message create/edit payload; empty when it is valid."""
    problems = []
    content = payload.get("content") or ""
    embeds = payload.get("embeds") or []
    if len(content) > MAX_CONTENT:
        problems.append(f"content longer than {MAX_CONTENT}")
    if len(embeds) > MAX_EMBEDS:
        problems.append(f"more than {MAX_EMBEDS} embeds")
    for index, embed in enumerate(embeds):
        problems.extend(_embed_problems(index, embed))
    # The 6000 characters are shared by all the embeds of one message.
    if sum(embed_total(e) for e in embeds) > MAX_EMBED_TOTAL:
        problems.append(f"embeds longer than {MAX_EMBED_TOTAL} in total")
    return problems


def is_empty(payload: dict[str, Any], *, has_files: bool = False) -> bool:
    return not (
        payload.get("content")
        or payload.get("embeds")
        or has_files
        or payload.get("components")
        or payload.get("poll")
    )
