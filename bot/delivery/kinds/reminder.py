"""A reminder: a DM to one person some minutes before the item they asked about.

Planned while the reminder is active; still wanted while it is active at the same arming
(a /forget, or a new /remind, takes the pending one back); settled on the reminder
itself when sent, or marked failed (closed DMs) for the reminders cog to tell them.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.delivery.kind import Delivering, DirectKind, Planning, Send, Skip
from bot.delivery.shared import not_ended
from bot.i18n import N_, Language, known_language
from bot.kinds import FOLLOWED, DeliveryKind, ReminderStatus
from bot.model import Session
from bot.render import delivery_cards
from bot.store.ledger_store import Delivery, Planned, Wanted
from bot.store.reminders_store import Reminder


async def followers(planning: Planning) -> list[Reminder]:
    """Every reminder people keep in the conference (delivered ones too): the active ones
    are delivered, and all of them hear about changes to their items."""
    return await planning.state.reminders.find(planning.conference, statuses=FOLLOWED)


class ReminderKind(DirectKind):
    kind = DeliveryKind.REMINDER
    wanted = Wanted.REMINDER_ARMED

    async def plan(self, planning: Planning) -> Sequence[Planned]:
        planned = []
        for reminder in await planning.read(followers):
            if reminder.status is not ReminderStatus.ACTIVE:
                continue
            item = planning.service.remindable(reminder.item_ref)
            if item is None:
                continue  # no longer in the program: its pending delivery is cancelled
            due = int(item.slot.start.timestamp()) - 60 * reminder.minutes_before
            planned.append(Planned(self.kind, reminder.id, reminder.item_ref, reminder.user_id,
                                   due, reminder.arming))  # fmt: skip
        return planned

    async def message(self, delivery: Delivery, ctx: Delivering) -> Send:
        service = ctx.service
        item = service.remindable(delivery.item_ref)
        if item is None:
            raise Skip(N_("the item is no longer in the program"))
        not_ended(item.slot.end, ctx.now)
        talks = service.session_talks(item) if isinstance(item, Session) else ()
        asked = await ctx.state.reminders.language(delivery.owner)  # the reader's
        w = ctx.messages.words(known_language(asked) or Language.EN)
        card = delivery_cards.reminder_card(item, service.conference, ctx.now, talks, w)
        return lambda: ctx.sender.send_dm(delivery.target, card)

    async def unreachable(self, delivery: Delivery, reason: str, ctx: Delivering) -> bool:
        """Closed DMs: the reminder failed, and the person is told on their next command."""
        await ctx.state.reminders.settle(
            delivery.owner, delivery.arming, ReminderStatus.FAILED, "dms_closed"
        )
        ctx.failed_users.add(delivery.target)
        return False

    async def started(self, ctx: Delivering) -> None:
        """Who has a failed reminder not yet told: the reminders cog tells them on their
        next command, so it is kept in memory rather than asked for on every one."""
        failed = await ctx.state.reminders.find(ctx.conference, statuses=(ReminderStatus.FAILED,))
        ctx.failed_users.clear()
        ctx.failed_users.update(r.user_id for r in failed if not r.failure_told)

    async def sent(self, delivery: Delivery, ctx: Delivering) -> None:
        await ctx.state.reminders.settle(delivery.owner, delivery.arming, ReminderStatus.DONE)


KIND = ReminderKind()
