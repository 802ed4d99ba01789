"""JSON shapes of Discord objects, as few fields as discord.py needs to parse them."""

from __future__ import annotations

import itertools
import time
from datetime import UTC, datetime
from typing import Any

DISCORD_EPOCH_MS = 1420070400000
_counter = itertools.count(1)


def snowflake() -> int:
    """Unique, increasing ids that also decode to 'now', like Discord's."""
    millis = int(time.time() * 1000) - DISCORD_EPOCH_MS
    return (millis << 22) | (next(_counter) % (1 << 22))


def on_shard(snowflake: int, shard: int, shard_count: int) -> int:
    """A server id near `snowflake` that Discord puts on `shard` of `shard_count`
    ((id >> 22) % count: the id's timestamp decides, so only that part moves)."""
    moment = snowflake >> 22
    return (moment - moment % shard_count + shard) << 22 | snowflake & ((1 << 22) - 1)


def user(user_id: int, name: str, bot: bool = False) -> dict[str, Any]:
    return {
        "id": str(user_id),
        "username": name,
        "discriminator": "0",
        "global_name": name,
        "avatar": None,
        "bot": bot,
        "public_flags": 0,
    }


def member(user_data: dict[str, Any], permissions: int) -> dict[str, Any]:
    return {
        "user": user_data,
        "roles": [],
        "joined_at": "2024-07-01T00:00:00+00:00",
        "deaf": False,
        "mute": False,
        "flags": 0,
        "permissions": str(permissions),
        "nick": None,
        "avatar": None,
    }


def text_channel(channel_id: int, guild_id: int | None, name: str = "general") -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": str(channel_id),
        "type": 0,
        "name": name,
        "position": 0,
        "permission_overwrites": [],
        "nsfw": False,
        "parent_id": None,
    }
    if guild_id is not None:
        data["guild_id"] = str(guild_id)
    return data


def forum_channel(
    channel_id: int, guild_id: int, tags: list[tuple[int, str]], name: str = "talk-qa"
) -> dict[str, Any]:
    return {
        **text_channel(channel_id, guild_id, name),
        "type": 15,
        "available_tags": [
            {"id": str(tag_id), "name": tag, "moderated": False, "emoji_id": None,
             "emoji_name": None}
            for tag_id, tag in tags
        ],
        "default_reaction_emoji": None,
        "default_thread_rate_limit_per_user": 0,
        "default_sort_order": None,
        "default_forum_layout": 0,
        "flags": 0,
        "topic": None,
        "rate_limit_per_user": 0,
    }  # fmt: skip


def thread_channel(
    thread_id: int,
    guild_id: int,
    parent_id: int,
    owner_id: int,
    name: str,
    applied_tags: list[str],
    archived: bool = False,
    locked: bool = False,
) -> dict[str, Any]:
    return {
        "id": str(thread_id), "type": 11, "guild_id": str(guild_id),
        "parent_id": str(parent_id), "owner_id": str(owner_id), "name": name,
        "last_message_id": None, "rate_limit_per_user": 0, "message_count": 0,
        "member_count": 1, "total_message_sent": 0, "flags": 0,
        "applied_tags": applied_tags,
        "thread_metadata": {"archived": archived, "auto_archive_duration": 1440,
                            "archive_timestamp": datetime.now(UTC).isoformat(),
                            "locked": locked},
    }  # fmt: skip


def dm_channel(channel_id: int, recipient: dict[str, Any]) -> dict[str, Any]:
    return {"id": str(channel_id), "type": 1, "recipients": [recipient], "last_message_id": None}


# View channel, send messages, embed links, attach files, add reactions, manage and send
# messages in threads (what Q&A threads need).
EVERYONE_PERMISSIONS = 0xCC00 | 1 << 6 | 1 << 34 | 1 << 38


def guild(
    guild_id: int,
    channels: list[dict[str, Any]],
    bot_member: dict[str, Any],
    everyone_permissions: int = EVERYONE_PERMISSIONS,
    roles: list[dict[str, Any]] | None = None,
    owner_id: int = 1,
    preferred_locale: str = "en-US",
) -> dict[str, Any]:
    """`roles`: the server's roles besides @everyone (whose id is the server's);
    `preferred_locale`: the server's language (Discord's locale string)."""
    everyone = {
        "id": str(guild_id),
        "name": "@everyone",
        "permissions": str(everyone_permissions),
        "position": 0,
        "color": 0,
        "hoist": False,
        "managed": False,
        "mentionable": False,
        "flags": 0,
    }
    return {
        "id": str(guild_id),
        "name": "OSDI '24 attendees",
        "icon": None,
        "owner_id": str(owner_id),
        "roles": [everyone, *(roles or [])],
        "channels": channels,
        "members": [bot_member],
        "emojis": [],
        "stickers": [],
        "features": [],
        "member_count": 2,
        "large": False,
        "threads": [],
        "voice_states": [],
        "presences": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "soundboard_sounds": [],
        "premium_tier": 0,
        "preferred_locale": preferred_locale,
        "system_channel_flags": 0,
        "verification_level": 0,
        "explicit_content_filter": 0,
        "default_message_notifications": 0,
        "mfa_level": 0,
        "nsfw_level": 0,
        "afk_timeout": 300,
        "unavailable": False,
        "joined_at": "2024-07-01T00:00:00+00:00",
    }


def message(
    message_id: int,
    channel_id: int,
    author: dict[str, Any],
    body: dict[str, Any],
    *,
    application_id: int | None = None,
    flags: int = 0,
) -> dict[str, Any]:
    data = {
        "id": str(message_id),
        "channel_id": str(channel_id),
        "author": author,
        "content": body.get("content") or "",
        "timestamp": datetime.now(UTC).isoformat(),
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": False,
        "mentions": [],
        "mention_roles": [],
        "attachments": [
            {
                "id": str(snowflake()),
                "filename": a.get("filename", "file"),
                "size": 0,
                "url": "http://127.0.0.1/attachment",
                "proxy_url": "http://127.0.0.1/attachment",
            }
            for a in body.get("attachments") or []
        ],
        "embeds": body.get("embeds") or [],
        "components": body.get("components") or [],
        "pinned": False,
        "type": 0,
        "flags": flags | int(body.get("flags") or 0),
    }
    if application_id is not None:
        data["application_id"] = str(application_id)
        data["webhook_id"] = str(application_id)
    return data
