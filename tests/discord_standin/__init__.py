"""A local stand-in for Discord's REST API and gateway, to test with the real discord.py client."""

from .harness import LoopLag, connected, pointed_at, running_standin
from .server import Heartbeat, RecordedRequest, StandinDiscord
from .world import Attachment, GuildState, InteractionRecord

__all__ = [
    "Attachment",
    "GuildState",
    "Heartbeat",
    "InteractionRecord",
    "LoopLag",
    "RecordedRequest",
    "StandinDiscord",
    "connected",
    "pointed_at",
    "running_standin",
]
