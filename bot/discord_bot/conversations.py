"""What was asked and answered in each thread or DM, so follow-up questions keep their context.

With a file, the conversations survive a restart of the bot: a follow-up in a thread the
bot answered yesterday still knows what "they" refers to.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

from bot.answering.followup import Turn
from retrieval.sqlite_files import connect_sqlite

from .scopes import Scope

_SCHEMA = """
CREATE TABLE IF NOT EXISTS turns (
    channel_id INTEGER NOT NULL,
    at REAL NOT NULL,
    guild_id INTEGER,
    shared_collection TEXT,
    question TEXT NOT NULL,
    answer TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS turns_channel ON turns (channel_id, at);
"""


@dataclass
class Conversation:
    scope: Scope
    turns: list[Turn] = field(default_factory=list)


class Conversations:
    """The most recent conversations by channel (thread or DM) id; older ones are forgotten.

    Kept in memory, and in a SQLite file when `path` is given. The file holds the same bounds:
    `max_turns` per conversation and `max_conversations` conversations, the least recent
    dropped first.
    """

    def __init__(
        self, path: Path | None = None, max_conversations: int = 2000, max_turns: int = 6
    ) -> None:
        self.max_conversations = max_conversations
        self.max_turns = max_turns
        self._items: OrderedDict[int, Conversation] = OrderedDict()
        self._lock = threading.Lock()
        self._db = connect_sqlite(path) if path is not None else None
        if self._db is not None:
            self._db.executescript(_SCHEMA)

    def get(self, channel_id: int) -> Conversation | None:
        conversation = self._items.get(channel_id)
        if conversation is None:
            conversation = self._load(channel_id)
            if conversation is not None:
                self._remember(channel_id, conversation)
        else:
            self._items.move_to_end(channel_id)
        return conversation

    def get_or_start(self, channel_id: int, scope: Scope) -> Conversation:
        conversation = self.get(channel_id)
        if conversation is None:
            conversation = Conversation(scope)
            self._remember(channel_id, conversation)
        return conversation

    def add_turn(self, channel_id: int, scope: Scope, question: str, answer: str) -> None:
        """Remember the turn and keep it in the file."""
        at = self.remember_turn(channel_id, scope, question, answer)
        self.save_turn(channel_id, scope, question, answer, at)

    def remember_turn(self, channel_id: int, scope: Scope, question: str, answer: str) -> float:
        """Remember the turn in memory only; returns its time, for `save_turn`."""
        conversation = self.get_or_start(channel_id, scope)
        conversation.turns.append(Turn(question, answer))
        del conversation.turns[: -self.max_turns]
        return time.time()

    def _remember(self, channel_id: int, conversation: Conversation) -> None:
        self._items[channel_id] = conversation
        while len(self._items) > self.max_conversations:
            self._items.popitem(last=False)

    def _load(self, channel_id: int) -> Conversation | None:
        if self._db is None:
            return None
        with self._lock:
            rows = self._db.execute(
                "SELECT guild_id, shared_collection, question, answer FROM turns"
                " WHERE channel_id = ? ORDER BY at DESC, rowid DESC LIMIT ?",
                (channel_id, self.max_turns),
            ).fetchall()
        if not rows:
            return None
        guild_id, shared, _, _ = rows[0]
        return Conversation(Scope(guild_id, shared), [Turn(q, a) for _, _, q, a in reversed(rows)])

    def save_turn(
        self, channel_id: int, scope: Scope, question: str, answer: str, at: float
    ) -> None:
        """Write a remembered turn to the file and prune it. Thread-safe, so the bot runs it off
        the event loop; `at` keeps turns in the order they were remembered."""
        if self._db is None:
            return
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute(
                    "INSERT INTO turns VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        channel_id,
                        at,
                        scope.guild_id,
                        scope.shared_collection,
                        question,
                        answer,
                    ),
                )
                self._db.execute(
                    "DELETE FROM turns WHERE channel_id = ? AND rowid NOT IN (SELECT rowid FROM"
                    " turns WHERE channel_id = ? ORDER BY at DESC, rowid DESC LIMIT ?)",
                    (channel_id, channel_id, self.max_turns),
                )
                self._db.execute(
                    "DELETE FROM turns WHERE channel_id NOT IN (SELECT channel_id FROM turns"
                    " GROUP BY channel_id ORDER BY MAX(at) DESC LIMIT ?)",
                    (self.max_conversations,),
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
