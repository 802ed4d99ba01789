"""Q&A per talk, for organisers: the forum a server opens a question thread per talk in,
and turning it off. What /qa does, without Discord: the adapter checks its permissions in
the forum and wakes the schedulers, which open the threads from what is kept here."""

from __future__ import annotations

from datetime import datetime

from bot.store.qa_store import QAStore

# Why Q&A threads are off when an organiser turned them off (shown by /status).
TURNED_OFF = "turned off with /qa off"


class QAService:
    def __init__(self, store: QAStore) -> None:
        self.store = store

    async def forum(
        self, guild_id: int, conference: str, forum_id: int, minutes_before: int, now: datetime
    ) -> None:
        """Open each of the conference's talks a thread in the forum `minutes_before` it
        starts (one forum per server); on again if it was off."""
        await self.store.save_forum(guild_id, conference, forum_id, minutes_before,
                                    int(now.timestamp()))  # fmt: skip

    async def off(self, guild_id: int, now: datetime) -> bool:
        """Stop opening threads in a server; False when they were not on."""
        return await self.store.disable(guild_id, TURNED_OFF, int(now.timestamp()))

    async def is_thread(self, channel_id: int) -> bool:
        """Whether a channel is a talk's Q&A thread the bot opened (/ask, /questions)."""
        return await self.store.thread(channel_id) is not None
