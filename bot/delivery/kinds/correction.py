"""A correction in a room's channel: the talk on there when a new version came moved,
was delayed or was cancelled, and the people in the room (who saw "▶️ Now" for it) are
told at once.

Planned from the recorded changes (bot.delivery.kinds.changes.recent), for each talk
that was running by its old time when the version came (started, not ended) and whose
room a server gave a channel before then; only the newest version's change of a talk
(a talk delayed twice in a minute gets one correction, not two). Said from the program
served when it goes, so it is never out of date; skipped if the talk is back where it
was (or, cancelled, back in the program), no longer in the program though only moved, or
over by both its old and new time (cancelled: by its old time).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from bot.changes import ChangeKind
from bot.delivery.kind import Delivering, Planning, Send, Skip
from bot.delivery.kinds.changes import recent
from bot.delivery.kinds.room import RoomChannelKind, channels_by_room
from bot.delivery.shared import not_ended
from bot.i18n import N_
from bot.kinds import DeliveryKind
from bot.model import Session
from bot.render import delivery_cards
from bot.render.common import Place, slot_of
from bot.service.results import SessionTalk
from bot.store.ledger_store import Delivery, Planned, Wanted

log = logging.getLogger(__name__)


class CorrectionKind(RoomChannelKind):
    """Owner: the guild; item: the talk; arming: the version (sync) that moved it."""

    kind = DeliveryKind.CORRECTION
    wanted = Wanted.ROOM_CHANNEL_ON

    async def plan(self, planning: Planning) -> Sequence[Planned]:
        by_room = await channels_by_room(planning)
        if not by_room:
            return []
        planned, told = [], set()
        for sync_id, group in (await planning.read(recent)).items():  # newest first
            for change in group:
                if change.old is None or not (change.cancelled or ChangeKind.MOVED in change.kinds):
                    continue
                start, end, room = change.old
                applied = change.applied_ts
                if not start <= applied < end or change.item_ref in told:
                    continue  # not on when the version came, or a newer version moved it
                told.add(change.item_ref)
                channels = [c for c in by_room.get(room or "", ()) if c.updated_ts <= applied]
                planned += [Planned(self.kind, c.guild_id, change.item_ref, c.channel_id,
                                    applied, sync_id) for c in channels]  # fmt: skip
        return planned

    async def message(self, delivery: Delivery, ctx: Delivering) -> Send:
        found = await ctx.state.versions.changes(ctx.conference, sync_id=delivery.arming)
        change = next((c for c in found if c.item_ref == delivery.item_ref), None)
        talk = ctx.service.remindable(delivery.item_ref)
        if change is not None and change.cancelled and change.old is not None:
            return await self._cancelled(delivery, ctx, change.title, change.old, talk)
        if not isinstance(talk, SessionTalk):
            raise Skip(N_("the talk is no longer in the program"))
        if change is None or change.old is None:
            raise Skip(N_("the change is no longer kept"))
        slot = talk.slot
        if (int(slot.start.timestamp()), int(slot.end.timestamp()), slot.room) == change.old:
            raise Skip(N_("the talk is back where it was"))
        not_ended(max(slot.end, slot_of(change.old).end), ctx.now)
        w = await ctx.server_words(delivery.owner)  # the server's language
        text = delivery_cards.correction_text(talk, change.old, ctx.service.conference, w)
        return lambda: ctx.sender.post(delivery.target, (), text)

    @staticmethod
    async def _cancelled(
        delivery: Delivery,
        ctx: Delivering,
        title: str,
        was: Place,
        talk: SessionTalk | Session | None,
    ) -> Send:
        """A talk taken out while on: said unless it is back (the room's "Now" line
        stands again) or its old time is over."""
        if isinstance(talk, SessionTalk):
            raise Skip(N_("the talk is back in the program"))
        not_ended(slot_of(was).end, ctx.now)
        w = await ctx.server_words(delivery.owner)  # the server's language
        text = delivery_cards.cancelled_text(title, was, ctx.service.conference, w)
        return lambda: ctx.sender.post(delivery.target, (), text)


KIND = CorrectionKind()
