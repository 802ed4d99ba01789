"""A slot's post: the sessions starting at one time, in the server's announcement channel,
some minutes before (for every slot that had not started when announcements went on)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.delivery.kind import Delivering, Kind, Planning, Send, Skip
from bot.delivery.kinds import announcing
from bot.delivery.shared import not_ended, post_cards
from bot.render import cards
from bot.store.ledger_store import Delivery, DeliveryKind, Planned, Wanted

SLOT_REF = "slot:"


class SlotKind(Kind):
    kind = DeliveryKind.SLOT
    wanted = Wanted.ANNOUNCING

    async def plan(self, planning: Planning) -> Sequence[Planned]:
        slots = sorted({int(s.slot.start.timestamp()) for s in planning.service.program.sessions})
        planned = []
        for config in await planning.read(announcing.configs):
            if not config.enabled:
                continue
            for start in slots:
                if start > config.updated_ts:
                    due = start - 60 * config.minutes_before
                    ref = f"{SLOT_REF}{start}"
                    planned.append(Planned(self.kind, config.guild_id, ref, config.channel_id,
                                           due))  # fmt: skip
        return planned

    async def message(self, delivery: Delivery, ctx: Delivering) -> Send:
        service = ctx.service
        start = int(delivery.item_ref.removeprefix(SLOT_REF))
        sessions = service.sessions_at(start)
        if not sessions:
            raise Skip("no session starts at that time any more")
        not_ended(max(s.slot.end for s in sessions), ctx.now)
        found = [cards.announcement_card(s, service.session_talks(s), service.conference, ctx.now)
                 for s in sessions]  # fmt: skip
        return lambda: post_cards(ctx.sender, delivery.target, found)

    async def gone(self, delivery: Delivery, reason: str, ctx: Delivering) -> bool:
        return await announcing.switch_off(delivery, reason, ctx)

    async def unreachable(self, delivery: Delivery, reason: str, ctx: Delivering) -> bool:
        return False  # a channel post: the sender says TargetGone, never Unreachable


KIND = SlotKind()
