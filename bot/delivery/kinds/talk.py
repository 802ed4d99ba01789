"""A talk starting: one line in the server's announcement channel as it starts (when the
server asked for a line per talk), with the stream its organisers set for the room."""

from __future__ import annotations

from collections.abc import Sequence

from bot.delivery.kind import Delivering, Kind, Planning, Send
from bot.delivery.kinds import announcing
from bot.delivery.shared import still_on
from bot.render import cards
from bot.service import TALK_REF
from bot.store.ledger_store import Delivery, DeliveryKind, Planned, Wanted


class TalkKind(Kind):
    kind = DeliveryKind.TALK
    wanted = Wanted.ANNOUNCING

    async def plan(self, planning: Planning) -> Sequence[Planned]:
        planned = []
        for config in await planning.read(announcing.configs):
            if not config.enabled or not config.per_talk:
                continue
            for talk in planning.service.talks.values():
                start = int(talk.slot.start.timestamp())
                if start > config.updated_ts:
                    ref = TALK_REF + talk.key
                    planned.append(Planned(self.kind, config.guild_id, ref, config.channel_id,
                                           start))  # fmt: skip
        return planned

    async def message(self, delivery: Delivery, ctx: Delivering) -> Send:
        return await talk_start(delivery, ctx)

    async def gone(self, delivery: Delivery, reason: str, ctx: Delivering) -> bool:
        return await announcing.switch_off(delivery, reason, ctx)

    async def unreachable(self, delivery: Delivery, reason: str, ctx: Delivering) -> bool:
        return False  # a channel post: the sender says TargetGone, never Unreachable


async def talk_start(delivery: Delivery, ctx: Delivering) -> Send:
    """The line for a talk starting, with the stream the server set for its room (the
    room channel's post says the same)."""
    talk = still_on(ctx.service, delivery.item_ref, ctx.now)
    streams = await ctx.state.streams.urls(delivery.owner, ctx.conference)
    text = cards.talk_start_text(talk, ctx.service.conference, ctx.now, streams)
    return lambda: ctx.sender.post(delivery.target, (), text)


KIND = TalkKind()
