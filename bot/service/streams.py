"""Live streams, for organisers: the address a server sets for a room, which talks in it
show as "Watch live" while they run. What /stream does, without Discord (the adapter
checks the address is one Discord takes as a link)."""

from __future__ import annotations

from datetime import datetime

from bot.store.streams_store import StreamStore


class StreamsService:
    def __init__(self, store: StreamStore) -> None:
        self.store = store

    async def set(self, guild_id: int, conference: str, room: str, url: str, now: datetime) -> None:
        """The room's stream (the room as the program names it: ProgramService.room_named)."""
        await self.store.save(guild_id, conference, room, url, int(now.timestamp()))

    async def clear(self, guild_id: int, conference: str, room: str) -> bool:
        """Remove the room's stream; False when it had none."""
        return await self.store.clear(guild_id, conference, room)
