"""What several kinds' messages check or do the same way: is the item still on, and
posting cards a message at a time."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from functools import partial

from bot.delivery.kind import PartlySent, Sender, Skip, TargetGone, Unreachable
from bot.render import limits
from bot.render.cards import Card
from bot.service import ProgramService
from bot.service.results import SessionTalk
from bot.store.ledger_store import Delivery


def still_on(service: ProgramService, ref: str, now: datetime) -> SessionTalk:
    """The talk a delivery is about, if it is still in the program and not over."""
    talk = service.remindable(ref)
    if not isinstance(talk, SessionTalk):
        raise Skip("the talk is no longer in the program")
    not_ended(talk.slot.end, now)
    return talk


def not_ended(end: datetime, now: datetime) -> None:
    """Late is fine ("started 3 min ago"); after the end, the message is pointless."""
    if now >= end:
        ago = int((now.timestamp() - end.timestamp()) // 60)
        if ago < 1:  # "ended 0 min before" said nothing
            raise Skip("it had just ended when it could be sent")
        raise Skip(f"it ended {ago} min before it could be sent (was the bot down?)")


def talks_at(service: ProgramService, start_ts: int) -> list[SessionTalk]:
    """The talks starting at this moment (Unix seconds), in every room."""
    return [t for t in service.talks.values() if int(t.slot.start.timestamp()) == start_ts]


def moment_of(delivery: Delivery, prefix: str) -> int:
    """The moment a delivery about one time ('slot:1738402200') is for."""
    return int(delivery.item_ref.removeprefix(prefix))


async def post_messages(
    sender: Sender, channel_id: int, messages: Sequence[Sequence[Card]]
) -> None:
    """Messages already packed to Discord's limits (bot/render/posts.py), in order."""
    await in_order([partial(sender.post, channel_id, m) for m in messages])


async def post_cards(sender: Sender, channel_id: int, found: Sequence[Card]) -> None:
    """One message for all the cards; more cards than a message holds embeds (Discord
    allows 10 embeds and 6000 characters in all) are split over several."""
    await in_order(post_cards_sends(sender, channel_id, found))


def post_cards_sends(
    sender: Sender, channel_id: int, found: Sequence[Card]
) -> list[Callable[[], Awaitable[None]]]:
    """post_cards' messages, one send each (for a delivery posting more after them)."""
    return [partial(sender.post, channel_id, c) for c in _chunks(found)]


async def in_order(sends: Sequence[Callable[[], Awaitable[None]]]) -> None:
    """The messages of one delivery, in order. A failure after the first went out is
    PartlySent: the delivery is not tried again, which would post the first ones twice
    (a channel gone or a user unreachable is said as such, to stop what is planned there)."""
    for done, send in enumerate(sends):
        try:
            await send()
        except (TargetGone, Unreachable):
            raise
        except Exception as exc:
            if done == 0:
                raise
            raise PartlySent(done, len(sends), exc) from exc


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
