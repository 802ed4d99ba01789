"""What several kinds' messages check or do the same way: is the item still on, and
posting cards a message at a time."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.delivery.kind import Sender, Skip
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
    for message in messages:
        await sender.post(channel_id, message)


async def post_cards(sender: Sender, channel_id: int, found: Sequence[Card]) -> None:
    """One message for all the cards; more cards than a message holds embeds (Discord
    allows 10 embeds and 6000 characters in all) are split over several."""
    for chunk in _chunks(found):
        await sender.post(channel_id, chunk)


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
