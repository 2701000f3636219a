"""Attachments for /ingest: checked before download, size-limited, named per server."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

import discord

from bot.errors import UserError
from retrieval.fetching import human_size

ALLOWED_SUFFIXES = (".txt", ".md", ".html", ".jsonl")
_UNSAFE = re.compile(r"[^\w.\- ]+")


class UploadError(UserError):
    """An attachment that cannot be ingested; the message says why and what to do."""


def safe_filename(filename: str) -> str:
    """The attachment's base name, reduced to characters safe in a path and a source name."""
    name = PurePosixPath(filename.replace("\\", "/")).name
    name = _UNSAFE.sub("_", name).strip(" .") or "upload"
    stem, dot, suffix = name.rpartition(".")
    if dot and len(name) > 100:
        name = f"{stem[: 99 - len(suffix)]}.{suffix}"
    return name[:100]


def upload_source(guild_id: int, filename: str) -> str:
    """The stored source name of an uploaded file: stable, so a re-upload replaces it."""
    return f"discord:{guild_id}/{safe_filename(filename)}"


def check_attachment(filename: str, size: int, max_bytes: int) -> None:
    """Refuse, before downloading, a file of the wrong type, an empty one or a too large one."""
    suffix = PurePosixPath(filename).suffix.lower()
    if suffix not in ALLOWED_SUFFIXES:
        raise UploadError(
            f"`{safe_filename(filename)}` is not a supported file type. "
            f"Attach a {', '.join(ALLOWED_SUFFIXES)} file."
        )
    if size <= 0:
        raise UploadError(f"`{safe_filename(filename)}` is empty.")
    if size > max_bytes:
        raise UploadError(
            f"`{safe_filename(filename)}` is {human_size(size)}; the limit is "
            f"{human_size(max_bytes)}. Split it into smaller files."
        )


async def download(attachment: discord.Attachment, max_bytes: int) -> bytes:
    check_attachment(attachment.filename, attachment.size, max_bytes)
    try:
        data = await attachment.read()
    except discord.HTTPException as exc:
        raise UploadError("The attachment could not be downloaded; try again.") from exc
    # The declared size was checked already; this guards against a CDN that disagrees.
    if len(data) > max_bytes:
        check_attachment(attachment.filename, len(data), max_bytes)
    return data
