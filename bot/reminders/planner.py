"""What should be delivered, and when: a pure function of the program and the settings.

The scheduler syncs this plan into the ledger. Reminders are planned until they are
delivered; announcements cover every slot that had not started when they were switched
on. Planning does not look at the clock, so what falls due while the bot is down is
still in the ledger at the next start: sent late if its item is still on, else skipped.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.service import TALK_REF, ProgramService
from bot.store.announcements_store import RoomChannel
from bot.store.ledger_store import DeliveryKind, Planned

SLOT_REF = "slot:"


def plan(service: ProgramService, room_channels: Iterable[RoomChannel]) -> list[Planned]:
    """The room channels' posts (every other kind plans in its module, bot/delivery/kinds)."""
    return _room_posts(service, room_channels)


def _room_posts(service: ProgramService, channels: Iterable[RoomChannel]) -> list[Planned]:
    """Each talk, as it starts, in its room's channel (from when the channel was set)."""
    wanted = [c for c in channels if c.enabled]
    if not wanted:
        return []
    by_room: dict[str, list[RoomChannel]] = {}
    for channel in wanted:
        by_room.setdefault(channel.room, []).append(channel)
    planned = []
    for talk in service.talks.values():
        for channel in by_room.get(talk.slot.room or "", ()):
            start = int(talk.slot.start.timestamp())
            if start > channel.updated_ts:
                planned.append(Planned(DeliveryKind.ROOM, channel.guild_id, TALK_REF + talk.key,
                                       channel.channel_id, start))  # fmt: skip
    return planned
