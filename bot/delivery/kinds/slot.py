"""A slot's post: what starts at one time, in the server's announcement channel, some
minutes before (for every slot that had not started when announcements went on).

What starts is a session of the program's own (shown as its card, with its talks), or,
where the program has no sessions of its own but a block per room and day (FOSDEM's
devrooms), each talk: a room's block runs all day, and announcing it listed the day of
every room (10 messages, 50,000 characters at FOSDEM's 10:30). So each moment a talk of
such a block starts is a slot, and its post lists only the talks starting then, a
compact line each, packed into as few messages as Discord allows.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from bot.delivery.kind import Delivering, Planning, Send, Skip
from bot.delivery.kinds import announcing
from bot.delivery.shared import in_order, moment_of, not_ended, post_cards_sends, talks_at
from bot.i18n import N_
from bot.kinds import DeliveryKind
from bot.model import SessionKind
from bot.render import delivery_cards, posts
from bot.service.announcements import ahead, slot_times
from bot.store.ledger_store import Delivery, Planned, Wanted

SLOT_REF = "slot:"


class SlotKind(announcing.AnnouncingKind):
    kind = DeliveryKind.SLOT
    wanted = Wanted.ANNOUNCING

    async def plan(self, planning: Planning) -> Sequence[Planned]:
        slots = slot_times(planning.service)
        planned = []
        for config in await planning.read(announcing.configs):
            if not config.enabled:
                continue
            for start in ahead(slots, config.updated_ts):
                due = start - 60 * config.minutes_before
                ref = f"{SLOT_REF}{start}"
                planned.append(Planned(self.kind, config.guild_id, ref, config.channel_id,
                                       due))  # fmt: skip
        return planned

    async def message(self, delivery: Delivery, ctx: Delivering) -> Send:
        service = ctx.service
        start = moment_of(delivery, SLOT_REF)
        sessions = [s for s in service.sessions_at(start) if s.kind is SessionKind.SESSION]
        talks = [t for t in talks_at(service, start) if t.session.kind is SessionKind.ROOM_BLOCK]
        if not sessions and not talks:
            raise Skip(N_("nothing starts at that time any more"))
        not_ended(max([s.slot.end for s in sessions] + [t.slot.end for t in talks]), ctx.now)
        w = await ctx.server_words(delivery.owner)  # the server's language
        found = [delivery_cards.announcement_card(s, service.session_talks(s), service.conference,
                                                  ctx.now, w)
                 for s in sessions]  # fmt: skip
        messages = []
        if talks:
            at = talks[0].slot.start
            approximate = any(t.slot.approximate for t in talks)
            header = posts.slot_header(at, len(talks), service.conference, ctx.now, approximate,
                                       w)  # fmt: skip
            streams = await ctx.state.streams.urls(delivery.owner, ctx.conference)
            lines = posts.talk_lines(talks, service.conference, ctx.now, streams, w)
            messages = posts.pack(header, lines)

        sends = post_cards_sends(ctx.sender, delivery.target, found) if found else []
        sends += [partial(ctx.sender.post, delivery.target, m) for m in messages]
        return lambda: in_order(sends, delivery, ctx)


KIND = SlotKind()
