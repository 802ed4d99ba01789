"""The bot's vocabulary of deliveries and reminders: what kind a planned message is, how far
along it is, and where a reminder stands. Plain StrEnums, kept here below the store and not
in it, so that the delivery kinds, the services and the renderers name them without
importing a store; the store keeps their values as text and holds all the SQL about them
(bot.store.ledger_store, bot.store.reminders_store).
"""

from __future__ import annotations

from enum import StrEnum


class DeliveryKind(StrEnum):
    REMINDER = "reminder"  # a DM to one person; owner is the reminder's id
    SLOT = "slot"  # a channel post of the sessions starting at one time; owner is the guild
    TALK = "talk"  # a channel line as a talk starts; owner is the guild
    ROOM = "room"  # the same line in the talk's room channel; owner is the guild
    THREAD = "thread"  # open a talk's Q&A thread in the forum; owner is the guild
    CLOSE = "close"  # lock and archive it a day after the talk; owner is the guild
    NOTICE = "notice"  # a DM listing a person's items a new version changed; owner is them
    UPDATE = "update"  # a channel post of all a new version changed; owner is the guild
    # A line in a room's channel when the talk on there moves or is delayed; owner is the
    # guild, arming the version (sync) that moved it.
    CORRECTION = "correction"
    # Remove the roles of a ticket refunded or cancelled in pretix, and tell the member by
    # DM; owner is the registration, target the member, arming when the refund was seen.
    REFUND = "refund"


class DeliveryState(StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # claimed and committed before the send: a crash here means lost
    SENT = "sent"
    SKIPPED = "skipped"
    FAILED = "failed"
    LOST = "lost"
    CANCELLED = "cancelled"


class ReminderStatus(StrEnum):
    ACTIVE = "active"  # armed: a delivery is planned, or is being made
    DONE = "done"  # delivered; stays on the person's agenda until the item ends
    FAILED = "failed"  # could not be delivered (closed DMs); the person is told
    CANCELLED = "cancelled"  # /forget


# A person follows every item whose reminder they have not forgotten: what /agenda lists,
# /forget offers and /next puts first.
FOLLOWED = (ReminderStatus.ACTIVE, ReminderStatus.DONE, ReminderStatus.FAILED)


class RegistrationState(StrEnum):
    """Where a ticket registration stands (bot.store.tickets_store)."""

    ACTIVE = "active"  # the member has the ticket's roles
    REVOKING = "revoking"  # pretix says refunded or cancelled: a removal is planned
    REVOKED = "revoked"  # its roles were removed (or the member had left)
    FAILED = "failed"  # its roles could not be removed (the bot lost Manage Roles)


class FailedBecause(StrEnum):
    """How the ledger's detail of a failed delivery begins ('target gone: Unknown Channel',
    'gave up after 5 attempts: …'): written by the scheduler, and said by /status in the
    organiser's words (bot.render.common.failure_words); what follows is Discord's or the
    network's own text, shown as it came."""

    UNREACHABLE = "recipient unreachable"
    GONE = "target gone"
    GAVE_UP = "gave up after"  # '… {attempts} attempts'
