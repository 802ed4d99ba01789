"""A talk starting, in its room's channel: the same line as the announcement channel's,
for every talk in a room a server gave a channel (from when the channel was set)."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from bot.delivery.kind import ChannelKind, Delivering, Planning, Send
from bot.delivery.kinds.talk import talk_start
from bot.kinds import DeliveryKind
from bot.service import TALK_REF
from bot.store.announcements_store import RoomChannel
from bot.store.ledger_store import Delivery, Planned, Wanted

log = logging.getLogger(__name__)


class RoomChannelKind(ChannelKind):
    """A kind that posts in a room's channel (room, correction): when the channel is
    gone, posting there stops (the main announcements and other rooms go on)."""

    async def gone(self, delivery: Delivery, reason: str, ctx: Delivering) -> bool:
        guild_id, channel_id = delivery.owner, delivery.target
        if await ctx.state.announcements.disable_room(guild_id, channel_id, reason, ctx.now_ts):
            log.warning("room channel %d in guild %d disabled: %s", channel_id, guild_id, reason)
            return True
        return False


async def channels_by_room(planning: Planning) -> dict[str, list[RoomChannel]]:
    """The room channels that post, by the room they are for: what the room and
    correction kinds plan from, read alike so that they cannot disagree."""
    by_room: dict[str, list[RoomChannel]] = {}
    for channel in await planning.state.announcements.rooms(planning.conference):
        if channel.enabled:
            by_room.setdefault(channel.room, []).append(channel)
    return by_room


class RoomKind(RoomChannelKind):
    kind = DeliveryKind.ROOM
    wanted = Wanted.ROOM_CHANNEL_ON

    async def plan(self, planning: Planning) -> Sequence[Planned]:
        by_room = await channels_by_room(planning)
        planned = []
        for talk in planning.service.talks.values() if by_room else ():
            for channel in by_room.get(talk.slot.room or "", ()):
                start = int(talk.slot.start.timestamp())
                if start > channel.updated_ts:
                    planned.append(Planned(self.kind, channel.guild_id, TALK_REF + talk.key,
                                           channel.channel_id, start))  # fmt: skip
        return planned

    async def message(self, delivery: Delivery, ctx: Delivering) -> Send:
        return await talk_start(delivery, ctx)


KIND = RoomKind()
