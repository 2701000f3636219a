"""What was asked and answered in each thread or DM, so follow-up questions keep their context."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

from bot.followup import Turn

from .scopes import Scope


@dataclass
class Conversation:
    scope: Scope
    turns: list[Turn] = field(default_factory=list)


class Conversations:
    """The most recent conversations by channel (thread or DM) id; older ones are forgotten."""

    def __init__(self, max_conversations: int = 2000, max_turns: int = 6) -> None:
        self.max_conversations = max_conversations
        self.max_turns = max_turns
        self._items: OrderedDict[int, Conversation] = OrderedDict()

    def get(self, channel_id: int) -> Conversation | None:
        conversation = self._items.get(channel_id)
        if conversation is not None:
            self._items.move_to_end(channel_id)
        return conversation

    def get_or_start(self, channel_id: int, scope: Scope) -> Conversation:
        conversation = self.get(channel_id)
        if conversation is None:
            conversation = self._items[channel_id] = Conversation(scope)
            while len(self._items) > self.max_conversations:
                self._items.popitem(last=False)
        return conversation

    def add_turn(self, channel_id: int, scope: Scope, question: str, answer: str) -> None:
        conversation = self.get_or_start(channel_id, scope)
        conversation.turns.append(Turn(question, answer))
        del conversation.turns[: -self.max_turns]
