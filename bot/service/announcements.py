"""Announcements for organisers: where a server's posts of the program go (a channel per
conference, a channel per room) and turning them off. What /announce does, without
Discord: the adapter checks it may post in the channel and wakes the schedulers, which
plan the posts from what is kept here.
"""

from __future__ import annotations

from datetime import datetime

from bot.store.announcements_store import AnnouncementStore

# Why announcements are off when an organiser turned them off (shown by /status).
TURNED_OFF = "turned off with /announce off"


class AnnouncementsService:
    def __init__(self, store: AnnouncementStore) -> None:
        self.store = store

    async def channel(
        self, guild_id: int, conference: str, channel_id: int, minutes_before: int,
        per_talk: bool, now: datetime,
    ) -> None:  # fmt: skip
        """Post each of the conference's sessions in the channel `minutes_before` it
        starts (and a line per talk as it starts, if `per_talk`); on again if it was off."""
        await self.store.save(guild_id, conference, channel_id, minutes_before, per_talk,
                              int(now.timestamp()))  # fmt: skip

    async def room_on(
        self, guild_id: int, conference: str, room: str, channel_id: int, now: datetime
    ) -> None:
        """Post each talk of a room (as the program names it: ProgramService.room_named)
        in its own channel as it starts; on again if it was off."""
        await self.store.save_room(guild_id, conference, room, channel_id, int(now.timestamp()))

    async def room_off(self, guild_id: int, conference: str, room: str) -> bool:
        """Stop posting a room's talks; False when it had no channel."""
        return await self.store.remove_room(guild_id, conference, room)

    async def room_of(self, guild_id: int, conference: str, channel_id: int) -> str | None:
        """The room a channel is for (/announce room), so that /next asked there shows
        that room first of all; None for any other channel."""
        return await self.store.room_of_channel(guild_id, conference, channel_id)

    async def off(self, guild_id: int, now: datetime, conference: str | None = None) -> bool:
        """Stop one conference's announcements in a server, or every conference's (None);
        False when none were on."""
        return await self.store.disable(guild_id, TURNED_OFF, int(now.timestamp()), conference)
