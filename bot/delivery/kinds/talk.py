"""Talks starting: a line per talk in the server's announcement channel as they start
(when the server asked for a line per talk), with the stream its organisers set for the
room; the talks starting together go in one message.

One delivery per server and start time ('start:<unix>'), not one per talk: at FOSDEM 14
talks start at 11:00, and a delivery per talk was 14 messages at once. The ledger's unit
is what is sent, so a message is claimed and settled as one (exactly once: a crash
between its claim and 'sent' loses that one message, never sends it twice) under the
same "still wanted" rule as before (the server still announces to that channel). The
message is made when it is sent, from the program served then: a talk moved to another
time is told at the time it now starts. A talk already told by a per-talk delivery of
an earlier version of the bot is not told again.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.delivery.kind import Delivering, Planning, Send, Skip
from bot.delivery.kinds import announcing
from bot.delivery.shared import moment_of, post_messages, still_on, talks_at
from bot.i18n import N_, Words
from bot.kinds import DeliveryKind, DeliveryState
from bot.render import delivery_cards, posts
from bot.service import TALK_REF
from bot.service.announcements import ahead, talk_starts
from bot.service.results import SessionTalk
from bot.store.ledger_store import Delivery, Planned, Wanted

START_REF = "start:"


class TalkKind(announcing.AnnouncingKind):
    kind = DeliveryKind.TALK
    wanted = Wanted.ANNOUNCING

    async def plan(self, planning: Planning) -> Sequence[Planned]:
        configs = [c for c in await planning.read(announcing.configs) if c.enabled and c.per_talk]
        starts = talk_starts(planning.service) if configs else []
        planned = []
        for config in configs:
            for start in ahead(starts, config.updated_ts):
                planned.append(Planned(self.kind, config.guild_id, f"{START_REF}{start}",
                                       config.channel_id, start))  # fmt: skip
        return planned

    async def message(self, delivery: Delivery, ctx: Delivering) -> Send:
        talks = await _still_to_tell(delivery, ctx)
        w = await ctx.server_words(delivery.owner)  # the server's language
        if len(talks) == 1:
            streams = await ctx.state.streams.urls(delivery.owner, ctx.conference)
            text = delivery_cards.talk_start_text(
                talks[0], ctx.service.conference, ctx.now, streams, w
            )
            return lambda: ctx.sender.post(delivery.target, (), text)
        return await _together(talks, delivery, ctx, w)


async def _still_to_tell(delivery: Delivery, ctx: Delivering) -> list[SessionTalk]:
    """The talks starting at the delivery's time that have not ended and were not told
    one by one before (a ledger kept from before lines were grouped)."""
    start = moment_of(delivery, START_REF)
    told = await ctx.state.ledger.deliveries(DeliveryKind.TALK, delivery.owner,
                                             DeliveryState.SENT, ctx.conference)  # fmt: skip
    told_refs = {d.item_ref for d in told if d.item_ref.startswith(TALK_REF)}
    talks = [t for t in talks_at(ctx.service, start) if TALK_REF + t.key not in told_refs]
    if not talks:
        raise Skip(N_("no talk starts at that time any more"))
    talks = [t for t in talks if ctx.now < t.slot.end]
    if not talks:
        raise Skip(
            N_("the talks starting then ended before they could be told (was the bot down?)")
        )
    return talks


async def _together(
    talks: list[SessionTalk], delivery: Delivery, ctx: Delivering, w: Words
) -> Send:
    """Several talks starting at once: one message of their lines (more only past what
    Discord holds in one)."""
    conference = ctx.service.conference
    streams = await ctx.state.streams.urls(delivery.owner, ctx.conference)
    approximate = any(t.slot.approximate for t in talks)
    header = posts.starting_header(talks[0].slot.start, len(talks), conference, ctx.now,
                                   approximate, w)  # fmt: skip
    messages = posts.pack(header, posts.talk_lines(talks, conference, ctx.now, streams, w))
    return lambda: post_messages(delivery, ctx, messages)


async def talk_start(delivery: Delivery, ctx: Delivering) -> Send:
    """The line for a talk starting, with the stream the server set for its room (the
    room channel's post says the same)."""
    talk = still_on(ctx.service, delivery.item_ref, ctx.now)
    streams = await ctx.state.streams.urls(delivery.owner, ctx.conference)
    w = await ctx.server_words(delivery.owner)
    text = delivery_cards.talk_start_text(talk, ctx.service.conference, ctx.now, streams, w)
    return lambda: ctx.sender.post(delivery.target, (), text)


KIND = TalkKind()
