"""What the kinds posting in a server's announcement channel share (slot, talk, update):
the conference's announcement settings, and switching them off when the channel is gone."""

from __future__ import annotations

import logging

from bot.delivery.kind import ChannelKind, Delivering, Planning
from bot.store.announcements_store import Announcements
from bot.store.ledger_store import Delivery

log = logging.getLogger(__name__)


async def configs(planning: Planning) -> list[Announcements]:
    """Every server's announcement settings for the conference (switched off ones too:
    each kind skips those itself)."""
    found = await planning.state.announcements.find()
    return [a for a in found if a.conference == planning.conference]


async def switch_off(delivery: Delivery, reason: str, ctx: Delivering) -> bool:
    """The channel is gone or refuses our posts: stop this conference's announcements in
    that server (its other conferences' go on)."""
    if await ctx.state.announcements.disable(delivery.owner, reason, ctx.now_ts, ctx.conference):
        log.warning("announcements disabled in guild %d: %s", delivery.owner, reason)
        return True
    return False


class AnnouncingKind(ChannelKind):
    """A kind that posts in a server's announcement channel (slot, talk, update): when the
    channel is gone, that server's announcements of the conference are switched off."""

    async def gone(self, delivery: Delivery, reason: str, ctx: Delivering) -> bool:
        return await switch_off(delivery, reason, ctx)
