"""A live preview of a generated answer: one message edited as tokens arrive, within rate limits.

Discord allows about five edits per five seconds on one message, so the preview is edited at most
once per `EDIT_INTERVAL_S`; the final (verified) version is sent by the caller after `finish()`,
which also waits out the interval so that it never comes sooner than the previews did.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

import discord
from discord.utils import escape_markdown

from bot.answering.answer import Answer

from .render import MESSAGE_LIMIT

log = logging.getLogger(__name__)

EDIT_INTERVAL_S = 1.2
_ELLIPSIS = "…"


class EditThrottle:
    """When the next edit of one message may go out: at most one edit per `interval_s`."""

    def __init__(self, interval_s: float = EDIT_INTERVAL_S) -> None:
        self.interval_s = interval_s
        self.last_edit_at: float | None = None

    def wait_s(self, now: float) -> float:
        """Seconds from `now` until an edit is allowed (0 when it is allowed now)."""
        if self.last_edit_at is None:
            return 0.0
        return max(0.0, self.last_edit_at + self.interval_s - now)

    def edited(self, now: float) -> None:
        self.last_edit_at = now


def preview_text(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """The streamed text so far as message content: its beginning, within the message limit."""
    text = text.strip()
    if len(text) <= limit:
        return text
    return text[: limit - len(_ELLIPSIS)].rstrip() + _ELLIPSIS


Edit = Callable[[str], Awaitable[None]]
WRITTEN_HEADING = "**Written answer:** "


def quote_preview(draft: Answer) -> str:
    """The quoted answer as the first text of a message, the written answer to follow."""
    sources = ", ".join(dict.fromkeys(c.title or c.source for c in draft.citations))
    quote = escape_markdown(draft.answer.strip())
    where = f"\n— {escape_markdown(sources)}" if sources else ""
    return f"**Quoted:** {quote}{where}\n\n{WRITTEN_HEADING}"


class LivePreview:
    """Collects tokens from a worker thread and edits a message with them, throttled.

    `on_token` may be called from any thread; `edit(text)` runs on the event loop. After the
    answer is done, `await finish()` stops the previews and returns whether one was shown.
    """

    def __init__(
        self,
        edit: Edit,
        *,
        interval_s: float = EDIT_INTERVAL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._edit = edit
        self._clock = clock
        self.throttle = EditThrottle(interval_s)
        self._loop = asyncio.get_running_loop()
        self._text: list[str] = []
        # Shown above the streamed text: the quote found at once, with the local reader.
        self._head = ""
        self._grew = asyncio.Event()
        self._editing = False
        self._closed = False
        self._shown = ""
        self.edits = 0
        self._task = self._loop.create_task(self._run())

    def on_token(self, token: str) -> None:
        """Called synchronously by the answering service on its worker thread."""
        self._loop.call_soon_threadsafe(self._add, token)

    def on_head(self, text: str) -> None:
        """Set the text shown above the tokens (any thread); it shows at the next edit."""
        self._loop.call_soon_threadsafe(self._set_head, text)

    def _set_head(self, text: str) -> None:
        if self._closed:
            return
        self._head = text
        self._grew.set()

    def _add(self, token: str) -> None:
        if self._closed:
            return
        self._text.append(token)
        self._grew.set()

    async def _run(self) -> None:
        while not self._closed:
            await self._grew.wait()
            await asyncio.sleep(self.throttle.wait_s(self._clock()))
            self._grew.clear()
            text = preview_text(self._head + "".join(self._text))
            if not text or text == self._shown:
                continue
            self._editing = True
            try:
                await self._edit(text)
            except discord.HTTPException as exc:
                # A failed preview is not worth failing the answer for; stop previewing.
                log.warning("streaming preview edit failed (%s); no more previews", exc.status)
                self._closed = True
            except Exception:
                log.exception("streaming preview edit failed; no more previews")
                self._closed = True
            else:
                self._shown = text
                self.edits += 1
            finally:
                self._editing = False
                self.throttle.edited(self._clock())

    async def finish(self) -> bool:
        """Stop previewing; wait for an edit in flight and out the interval. True if shown."""
        self._closed = True
        if not self._editing:
            self._task.cancel()
        # An edit in flight completes first, so it cannot overtake the final version.
        await asyncio.wait([self._task])
        if self.edits:
            await asyncio.sleep(self.throttle.wait_s(self._clock()))
        return self.edits > 0
