"""The stand-in's model of Discord: users, guilds, channels, messages, commands, interactions."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from . import payloads as p

Json = dict[str, Any]


@dataclass
class GuildState:
    id: int
    name: str
    owner_id: int
    roles: dict[int, Json] = field(default_factory=dict)
    channels: dict[int, Json] = field(default_factory=dict)
    members: dict[int, Json] = field(default_factory=dict)
    threads: dict[int, Json] = field(default_factory=dict)

    @property
    def everyone_role_id(self) -> int:
        # Discord gives @everyone the guild's own id.
        return self.id

    @property
    def default_channel_id(self) -> int:
        return next(iter(self.channels))

    def to_json(self) -> Json:
        return p.guild(
            self.id,
            self.name,
            self.owner_id,
            roles=list(self.roles.values()),
            channels=list(self.channels.values()),
            members=list(self.members.values()),
            threads=list(self.threads.values()),
        )

    def permissions_of(self, user_id: int) -> int:
        """The member's guild-level permissions (channel overwrites are not modelled)."""
        if user_id == self.owner_id:
            return (1 << 53) - 1
        member = self.members[user_id]
        value = int(self.roles[self.everyone_role_id]["permissions"])
        for role_id in member["roles"]:
            value |= int(self.roles[int(role_id)]["permissions"])
        return (1 << 53) - 1 if value & p.ADMINISTRATOR else value


@dataclass
class InteractionRecord:
    """One interaction the stand-in dispatched, and what the bot answered to it."""

    id: int
    token: str
    name: str
    user_id: int
    guild_id: int | None
    channel_id: int
    dispatched_at: float
    callback_type: int | None = None
    callback_at: float | None = None
    ephemeral: bool = False
    original: Json | None = None
    # The original loading message is replaced by the first follow-up after a deferral.
    original_edited: bool = False
    followups: list[Json] = field(default_factory=list)

    @property
    def responded_in_s(self) -> float | None:
        return None if self.callback_at is None else self.callback_at - self.dispatched_at

    @property
    def messages(self) -> list[Json]:
        """Every message visible for this interaction: original (if sent) then follow-ups."""
        shown = [self.original] if self.original is not None and self.original_edited else []
        return shown + self.followups


@dataclass
class Attachment:
    id: int
    filename: str
    data: bytes
    content_type: str | None


class World:
    """Mutable state shared by the REST and gateway handlers; every access holds `lock`."""

    def __init__(self, token: str) -> None:
        self.lock = threading.RLock()
        self.token = token
        self.app_id = p.snowflake()
        self.bot_user = p.user(self.app_id, "newsbot", bot=True)
        self.owner_user = p.user(p.snowflake(), "owner")
        self.users: dict[int, Json] = {
            self.app_id: self.bot_user,
            int(self.owner_user["id"]): self.owner_user,
        }
        self.guilds: dict[int, GuildState] = {}
        self.dm_channels: dict[int, Json] = {}
        self.messages: dict[int, Json] = {}
        self.global_commands: list[Json] = []
        self.guild_commands: dict[int, list[Json]] = {}
        self.attachments: dict[int, Attachment] = {}
        self.interactions: dict[str, InteractionRecord] = {}

    # Setup helpers used by tests before or while the client runs.

    def add_user(self, name: str) -> Json:
        with self.lock:
            data = p.user(p.snowflake(), name)
            self.users[int(data["id"])] = data
            return data

    def add_guild(self, name: str, *, channels: tuple[str, ...] = ("general",)) -> GuildState:
        with self.lock:
            guild_id = p.snowflake()
            state = GuildState(guild_id, name, int(self.owner_user["id"]))
            state.roles[guild_id] = p.role(guild_id, "@everyone", p.EVERYONE_PERMISSIONS, 0)
            for position, channel_name in enumerate(channels):
                channel_id = p.snowflake()
                state.channels[channel_id] = p.text_channel(
                    channel_id, guild_id, channel_name, position
                )
            state.members[self.app_id] = p.member(self.bot_user, [])
            state.members[int(self.owner_user["id"])] = p.member(self.owner_user, [])
            self.guilds[guild_id] = state
            return state

    def add_role(self, guild_id: int, name: str, permissions: int = 0) -> int:
        with self.lock:
            role_id = p.snowflake()
            guild = self.guilds[guild_id]
            guild.roles[role_id] = p.role(role_id, name, permissions, len(guild.roles))
            return role_id

    def add_member(self, guild_id: int, name: str, *, roles: tuple[int, ...] = ()) -> Json:
        with self.lock:
            data = self.add_user(name)
            self.guilds[guild_id].members[int(data["id"])] = p.member(data, list(roles))
            return data

    def add_attachment(self, filename: str, data: bytes, content_type: str | None) -> Attachment:
        with self.lock:
            item = Attachment(p.snowflake(), filename, data, content_type)
            self.attachments[item.id] = item
            return item

    # Lookups.

    def guild_of_channel(self, channel_id: int) -> GuildState | None:
        with self.lock:
            for guild in self.guilds.values():
                if channel_id in guild.channels or channel_id in guild.threads:
                    return guild
            return None

    def channel(self, channel_id: int) -> Json | None:
        with self.lock:
            guild = self.guild_of_channel(channel_id)
            if guild is not None:
                return guild.channels.get(channel_id) or guild.threads.get(channel_id)
            return self.dm_channels.get(channel_id)

    def dm_channel_for(self, user_id: int) -> Json:
        with self.lock:
            for channel in self.dm_channels.values():
                if int(channel["recipients"][0]["id"]) == user_id:
                    return channel
            channel_id = p.snowflake()
            channel = p.dm_channel(channel_id, self.users[user_id])
            self.dm_channels[channel_id] = channel
            return channel

    def registered_command(self, name: str, guild_id: int | None) -> Json | None:
        """The command Discord would route to: the guild's registration first, then global."""
        with self.lock:
            if guild_id is not None:
                for command in self.guild_commands.get(guild_id, []):
                    if command["name"] == name:
                        return command
            for command in self.global_commands:
                if command["name"] == name:
                    return command
            return None

    def store_commands(self, payload: list[Json], guild_id: int | None) -> list[Json]:
        with self.lock:
            stored = []
            for item in payload:
                command = {
                    "id": str(p.snowflake()),
                    "application_id": str(self.app_id),
                    "type": item.get("type", 1),
                    "name": item["name"],
                    "description": item.get("description", ""),
                    "options": item.get("options", []),
                    "default_member_permissions": item.get("default_member_permissions"),
                    "dm_permission": item.get("dm_permission", True),
                    "contexts": item.get("contexts"),
                    "integration_types": item.get("integration_types", [0]),
                    "nsfw": item.get("nsfw", False),
                    "version": str(p.snowflake()),
                }
                if guild_id is not None:
                    command["guild_id"] = str(guild_id)
                stored.append(command)
            if guild_id is None:
                self.global_commands = stored
            else:
                self.guild_commands[guild_id] = stored
            return stored

    def new_interaction(
        self, name: str, user_id: int, guild_id: int | None, channel_id: int
    ) -> InteractionRecord:
        with self.lock:
            record = InteractionRecord(
                id=p.snowflake(),
                token=f"itoken-{p.snowflake()}",
                name=name,
                user_id=user_id,
                guild_id=guild_id,
                channel_id=channel_id,
                dispatched_at=time.monotonic(),
            )
            self.interactions[record.token] = record
            return record
