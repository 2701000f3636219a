"""JSON builders for the Discord objects the stand-in serves: users, guilds, messages."""

from __future__ import annotations

import itertools
import time
from datetime import UTC, datetime
from typing import Any

Json = dict[str, Any]

# Discord's epoch; real-looking snowflakes keep discord.py's created_at arithmetic sane.
_DISCORD_EPOCH_MS = 1_420_070_400_000
_counter = itertools.count(1)

MANAGE_GUILD = 1 << 5
ADMINISTRATOR = 1 << 3
# What @everyone may do in a typical server: view, send, read history, use application commands.
EVERYONE_PERMISSIONS = (1 << 10) | (1 << 11) | (1 << 16) | (1 << 31) | (1 << 38)

TEXT_CHANNEL = 0
DM_CHANNEL = 1
PUBLIC_THREAD = 11


def snowflake() -> int:
    ms = int(time.time() * 1000) - _DISCORD_EPOCH_MS
    return (ms << 22) | (next(_counter) % (1 << 22))


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


def user(user_id: int, name: str, *, bot: bool = False) -> Json:
    return {
        "id": str(user_id),
        "username": name,
        "global_name": name,
        "discriminator": "0",
        "avatar": None,
        "bot": bot,
        "public_flags": 0,
    }


def role(role_id: int, name: str, permissions: int, position: int = 1) -> Json:
    return {
        "id": str(role_id),
        "name": name,
        "color": 0,
        "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
        "hoist": False,
        "icon": None,
        "unicode_emoji": None,
        "position": position,
        "permissions": str(permissions),
        "managed": False,
        "mentionable": True,
        "flags": 0,
    }


def member(user_json: Json, role_ids: list[int], *, permissions: int | None = None) -> Json:
    data: Json = {
        "user": user_json,
        "nick": None,
        "avatar": None,
        "roles": [str(r) for r in role_ids],
        "joined_at": now_iso(),
        "premium_since": None,
        "deaf": False,
        "mute": False,
        "pending": False,
        "flags": 0,
    }
    if permissions is not None:
        # Only interaction payloads carry the member's computed permissions in the channel.
        data["permissions"] = str(permissions)
    return data


def text_channel(channel_id: int, guild_id: int, name: str, position: int = 0) -> Json:
    return {
        "id": str(channel_id),
        "type": TEXT_CHANNEL,
        "guild_id": str(guild_id),
        "name": name,
        "position": position,
        "permission_overwrites": [],
        "topic": None,
        "nsfw": False,
        "parent_id": None,
        "last_message_id": None,
        "rate_limit_per_user": 0,
        "flags": 0,
    }


def dm_channel(channel_id: int, recipient: Json) -> Json:
    return {
        "id": str(channel_id),
        "type": DM_CHANNEL,
        "last_message_id": None,
        "recipients": [recipient],
        "flags": 0,
    }


def thread_channel(
    thread_id: int, guild_id: int, parent_id: int, owner_id: int, name: str, *, auto_archive: int
) -> Json:
    return {
        "id": str(thread_id),
        "type": PUBLIC_THREAD,
        "guild_id": str(guild_id),
        "parent_id": str(parent_id),
        "owner_id": str(owner_id),
        "name": name,
        "last_message_id": None,
        "rate_limit_per_user": 0,
        "message_count": 0,
        "member_count": 1,
        "total_message_sent": 0,
        "flags": 0,
        "thread_metadata": {
            "archived": False,
            "auto_archive_duration": auto_archive,
            "archive_timestamp": now_iso(),
            "locked": False,
            "invitable": True,
            "create_timestamp": now_iso(),
        },
    }


def guild(
    guild_id: int,
    name: str,
    owner_id: int,
    *,
    roles: list[Json],
    channels: list[Json],
    members: list[Json],
    threads: list[Json] | None = None,
) -> Json:
    return {
        "id": str(guild_id),
        "name": name,
        "icon": None,
        "splash": None,
        "discovery_splash": None,
        "owner_id": str(owner_id),
        "afk_channel_id": None,
        "afk_timeout": 300,
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "mfa_level": 0,
        "features": [],
        "roles": roles,
        "emojis": [],
        "stickers": [],
        "channels": channels,
        "threads": threads or [],
        "members": members,
        "member_count": len(members),
        "large": False,
        "unavailable": False,
        "joined_at": now_iso(),
        "voice_states": [],
        "presences": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "soundboard_sounds": [],
        "system_channel_id": None,
        "system_channel_flags": 0,
        "rules_channel_id": None,
        "public_updates_channel_id": None,
        "safety_alerts_channel_id": None,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "preferred_locale": "en-US",
        "nsfw_level": 0,
        "premium_progress_bar_enabled": False,
        "application_id": None,
        "vanity_url_code": None,
        "description": None,
        "banner": None,
        "max_members": 500000,
        "max_video_channel_users": 25,
    }


def message(
    message_id: int,
    channel_id: int,
    author: Json,
    content: str,
    *,
    guild_id: int | None = None,
    member_json: Json | None = None,
    mentions: list[Json] | None = None,
    mention_roles: list[int] | None = None,
    embeds: list[Json] | None = None,
    attachments: list[Json] | None = None,
    flags: int = 0,
    message_type: int = 0,
    interaction_metadata: Json | None = None,
    webhook_id: int | None = None,
) -> Json:
    data: Json = {
        "id": str(message_id),
        "channel_id": str(channel_id),
        "author": author,
        "content": content,
        "timestamp": now_iso(),
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": False,
        "mentions": mentions or [],
        "mention_roles": [str(r) for r in mention_roles or []],
        "attachments": attachments or [],
        "embeds": embeds or [],
        "pinned": False,
        "type": message_type,
        "flags": flags,
        "components": [],
    }
    if guild_id is not None:
        data["guild_id"] = str(guild_id)
    if member_json is not None:
        # MESSAGE_CREATE carries a partial member without the user object.
        data["member"] = {k: v for k, v in member_json.items() if k not in ("user", "permissions")}
    if interaction_metadata is not None:
        data["interaction_metadata"] = interaction_metadata
    if webhook_id is not None:
        data["webhook_id"] = str(webhook_id)
    return data


def attachment(
    attachment_id: int, filename: str, size: int, url: str, content_type: str | None
) -> Json:
    data: Json = {
        "id": str(attachment_id),
        "filename": filename,
        "size": size,
        "url": url,
        "proxy_url": url,
    }
    if content_type is not None:
        data["content_type"] = content_type
    return data


def application(app_id: int, owner: Json, name: str) -> Json:
    return {
        "id": str(app_id),
        "name": name,
        "description": "",
        "icon": None,
        "rpc_origins": [],
        "bot_public": True,
        "bot_require_code_grant": False,
        "owner": owner,
        "summary": "",
        "verify_key": "0" * 64,
        "team": None,
        "flags": 0,
        "interactions_endpoint_url": None,
        "tags": [],
    }
