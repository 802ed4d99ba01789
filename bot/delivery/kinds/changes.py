"""What a new program version changed: a DM to each person listing their own items it
changed (NOTICE), and a post of everything it changed in each server's announcement
channel (UPDATE). Planned for the versions of the last day only: after longer downtime no
one needs yesterday's change in a DM."""

from __future__ import annotations

from collections.abc import Sequence

from bot.changes import RecordedChange
from bot.delivery.kind import Delivering, DirectKind, Planning, Send, Skip
from bot.delivery.kinds import announcing
from bot.delivery.kinds.reminder import followers
from bot.delivery.shared import post_cards
from bot.i18n import N_, Language, known_language
from bot.kinds import FOLLOWED, DeliveryKind
from bot.render import delivery_cards
from bot.store.ledger_store import Delivery, Planned, Wanted

SYNC_REF = "sync:"
NOTICE_WINDOW = 86_400  # seconds a program change is still worth a notice


async def recent(planning: Planning) -> dict[int, list[RecordedChange]]:
    """The changes of the last day's versions, by version (sync)."""
    since = planning.now_ts - NOTICE_WINDOW
    by_sync: dict[int, list[RecordedChange]] = {}
    for change in await planning.state.versions.changes(planning.conference, since):
        by_sync.setdefault(change.sync_id, []).append(change)
    return by_sync


async def _changes(delivery: Delivery, ctx: Delivering) -> list[RecordedChange]:
    sync_id = int(delivery.item_ref.removeprefix(SYNC_REF))
    return await ctx.state.versions.changes(ctx.conference, sync_id=sync_id)


class NoticeKind(DirectKind):
    kind = DeliveryKind.NOTICE
    wanted = Wanted.ALWAYS

    async def plan(self, planning: Planning) -> Sequence[Planned]:
        """One DM to each person with a reminder on something a version changed (set
        before it came: a reminder set after already saw the new program)."""
        kept = await planning.read(followers)
        planned = []
        for sync_id, group in (await planning.read(recent)).items():
            applied, ref = group[0].applied_ts, f"{SYNC_REF}{sync_id}"
            touched = {c.item_ref for c in group} | {s for c in group for s in c.session_refs}
            people = {r.user_id for r in kept if r.item_ref in touched and r.created_ts <= applied}
            planned += [Planned(self.kind, user, ref, user, applied) for user in people]
        return planned

    async def message(self, delivery: Delivery, ctx: Delivering) -> Send:
        conference = ctx.service.conference
        changes = await _changes(delivery, ctx)
        kept = await ctx.state.reminders.find(conference.key, delivery.owner, statuses=FOLLOWED)
        followed = {r.item_ref for r in kept}
        mine = [c for c in changes if c.item_ref in followed or followed & set(c.session_refs)]
        if not mine:
            raise Skip(N_("none of this person's items changed"))
        latest = max(kept, key=lambda r: r.created_ts)  # the language they last asked in
        asked = await ctx.state.reminders.language(latest.id)
        w = ctx.messages.words(known_language(asked) or Language.EN)
        title = "📢 " + w.tr("Program update: your items changed")
        card = delivery_cards.notice_card(mine, conference, title, w)
        return lambda: ctx.sender.send_dm(delivery.target, card)

    async def unreachable(self, delivery: Delivery, reason: str, ctx: Delivering) -> bool:
        return False  # their reminders stay: the notice is only a courtesy


class UpdateKind(announcing.AnnouncingKind):
    kind = DeliveryKind.UPDATE
    wanted = Wanted.ANNOUNCING

    async def plan(self, planning: Planning) -> Sequence[Planned]:
        """One post per version where announcements were on when it came."""
        configs = [c for c in await planning.read(announcing.configs) if c.enabled]
        planned = []
        for sync_id, group in (await planning.read(recent)).items():
            applied, ref = group[0].applied_ts, f"{SYNC_REF}{sync_id}"
            planned += [Planned(self.kind, c.guild_id, ref, c.channel_id, applied)
                        for c in configs if c.updated_ts <= applied]  # fmt: skip
        return planned

    async def message(self, delivery: Delivery, ctx: Delivering) -> Send:
        changes = await _changes(delivery, ctx)
        w = await ctx.server_words(delivery.owner)  # the server's language
        title = "📢 " + w.tr("Program update")
        found = delivery_cards.changes_cards(changes, ctx.service.conference, title, w=w)
        return lambda: post_cards(delivery, ctx, found)


NOTICE = NoticeKind()
UPDATE = UpdateKind()
