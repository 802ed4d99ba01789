"""What several kinds' messages check or do the same way: is the item still on, and
posting cards a message at a time."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from functools import partial

from bot.delivery.kind import (
    Delivering,
    PartlySent,
    PartsChanged,
    Sender,
    Skip,
    TargetGone,
    Unreachable,
)
from bot.i18n import N_
from bot.render import limits
from bot.render.cards import Card
from bot.service import ProgramService
from bot.service.results import SessionTalk
from bot.store.ledger_store import Delivery


def still_on(service: ProgramService, ref: str, now: datetime) -> SessionTalk:
    """The talk a delivery is about, if it is still in the program and not over."""
    talk = service.remindable(ref)
    if not isinstance(talk, SessionTalk):
        raise Skip(N_("the talk is no longer in the program"))
    not_ended(talk.slot.end, now)
    return talk


def not_ended(end: datetime, now: datetime) -> None:
    """Late is fine ("started 3 min ago"); after the end, the message is pointless."""
    if now >= end:
        ago = int((now.timestamp() - end.timestamp()) // 60)
        if ago < 1:  # "ended 0 min before" said nothing
            raise Skip(N_("it had just ended when it could be sent"))
        raise Skip(f"it ended {ago} min before it could be sent (was the bot down?)")


def talks_at(service: ProgramService, start_ts: int) -> list[SessionTalk]:
    """The talks starting at this moment (Unix seconds), in every room."""
    return [t for t in service.talks.values() if int(t.slot.start.timestamp()) == start_ts]


def moment_of(delivery: Delivery, prefix: str) -> int:
    """The moment a delivery about one time ('slot:1738402200') is for."""
    return int(delivery.item_ref.removeprefix(prefix))


async def post_messages(
    delivery: Delivery, ctx: Delivering, messages: Sequence[Sequence[Card]]
) -> None:
    """Messages already packed to Discord's limits (bot/render/posts.py), in order, in
    the delivery's target channel."""
    sends = [partial(ctx.sender.post, delivery.target, m) for m in messages]
    await in_order(sends, delivery, ctx)


async def post_cards(delivery: Delivery, ctx: Delivering, found: Sequence[Card]) -> None:
    """One message for all the cards in the delivery's target channel; more cards than a
    message holds embeds (Discord allows 10 embeds and 6000 characters in all) are split
    over several."""
    await in_order(post_cards_sends(ctx.sender, delivery.target, found), delivery, ctx)


def post_cards_sends(
    sender: Sender, channel_id: int, found: Sequence[Card]
) -> list[Callable[[], Awaitable[None]]]:
    """post_cards' messages, one send each (for a delivery posting more after them)."""
    return [partial(sender.post, channel_id, c) for c in _chunks(found)]


async def in_order(
    sends: Sequence[Callable[[], Awaitable[None]]], delivery: Delivery, ctx: Delivering
) -> None:
    """The messages of one delivery, in order, resuming after those an earlier attempt
    sent: the ledger counts them (`parts_sent`, one committed write after each message),
    and a retry builds the same list again from the program and sends only the rest.
    A failure after a message went out is PartlySent, retried like any failure (a
    channel gone or a user unreachable is said as such, to stop what is planned there).
    If the list no longer has more messages than were sent (the program changed), which
    of them are left cannot be told: PartsChanged, nothing more is sent.
    Exactly once per message, as the ledger's claim is for a whole delivery, with one
    message of doubt: if the count of a message that went out is not written (the
    database failed, or the process died), that one message may be posted twice at most
    (after a failed write the retry sends it again; after a crash the delivery is left
    'sending', marked lost at the next start and not resent, so the rest is lost)."""
    done = delivery.parts_sent
    if done and done >= len(sends):
        raise PartsChanged(done, len(sends))
    for index in range(done, len(sends)):
        try:
            await sends[index]()
        except (TargetGone, Unreachable):
            raise
        except Exception as exc:
            if index == 0:
                raise
            raise PartlySent(index, len(sends), exc) from exc
        if len(sends) > 1:  # one message alone has nothing to resume: no extra write
            await ctx.state.ledger.record_parts(delivery.id, index + 1)


def _chunks(found: Sequence[Card]) -> list[list[Card]]:
    chunks: list[list[Card]] = [[]]
    size = 0
    for card in found:
        too_big = size + card.size() > limits.EMBED_TOTAL_MAX
        if chunks[-1] and (len(chunks[-1]) >= limits.EMBEDS_PER_MESSAGE or too_big):
            chunks.append([])
            size = 0
        chunks[-1].append(card)
        size += card.size()
    return chunks
