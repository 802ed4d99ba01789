"""What /tickets answers organisers: a product now giving a role, where registrations are
reported, the settings and counts at a glance, a member's tickets released. Roles are
named by mention and channels by link (Discord shows their names; no one is pinged);
product labels are pretix's words, escaped."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.render.cards import truncate
from bot.render.common import count_of, listing
from bot.render.limits import MESSAGE_MAX, TYPED_SHOWN_MAX
from bot.render.markdown import escape
from bot.render.roles import mentions
from bot.service.ticket_results import (
    Mapped,
    NoSuchItem,
    RolesUnmapped,
    RoleUnmapped,
    TicketStatus,
    Unavailable,
)
from bot.store.tickets_store import LogTrouble
from bot.tickets.errors import Failure

STATUS_LINES_MAX = 25  # mappings listed by /tickets status; the rest are counted
LABEL_SHOWN_MAX = 80  # characters of a product's label in that list
LABELS_NAMED_MAX = 3  # products named for one deleted role; the rest are counted

NOT_CONFIGURED = (
    "Ticket roles are not set up for this conference: the bot's operator sets its pretix"
    " event (CONFBOT_PRETIX_EVENT_URL and CONFBOT_PRETIX_TOKEN)."
)


def mapped_text(mapped: Mapped) -> str:
    """'🎟️ Tickets for **Conference ticket – Regular** now give @Attendee.'"""
    label = escape(mapped.choice.label)
    again = "" if mapped.new else " (it already did)"
    return (
        f"🎟️ Tickets for **{label}** now give <@&{mapped.role_id}>{again}. Attendees get it"
        " with `/register`; those who registered before get it by running `/register` again."
    )


def unmapped_text(label: str, role_id: int, removed: int) -> str:
    shown = escape(label)
    if not removed:
        return f"Tickets for **{shown}** did not give <@&{role_id}>; nothing changed."
    return (
        f"🎟️ Tickets for **{shown}** no longer give <@&{role_id}> to those who register from"
        " now on; members who have it keep it."
    )


def no_such_item_text(missing: NoSuchItem) -> str:
    shown = escape(truncate(missing.text, TYPED_SHOWN_MAX))
    return f"No product of the event is called “{shown}”: pick one from the list as you type."


def shop_unavailable_text(unavailable: Unavailable) -> str:
    """pretix failed while an organiser asked: what to do, never the operator's detail."""
    if unavailable.failure is Failure.REFUSED:
        return (
            "pretix refused the bot's API token (expired, or without read access to the"
            " event's orders and products): please tell the bot's operator."
        )
    return "The ticket shop cannot be reached right now; please try again in a few minutes."


def log_channel_text(channel_id: int | None) -> str:
    if channel_id is None:
        return "🎟️ Registrations are no longer reported in a channel."
    return (
        f"🎟️ Each registration is now reported in <#{channel_id}>: the member and the roles"
        " given, never the order or anything from it."
    )


def status_text(status: TicketStatus, name: str, problems: Sequence[str]) -> str:
    """/tickets status: whether the event is set up, each product's role, the log
    channel, how many registered and how refunds went, and what would stop roles being
    given (`problems`: the adapter's sentences, from the server's roles as they are).
    Always one message: mappings past what fits are counted, never cut mid-line."""
    if not status.configured and not status.mappings:
        return NOT_CONFIGURED
    head = [f"🎟️ **Ticket roles of {escape(name)}**"]
    if not status.configured:
        head.append(NOT_CONFIGURED)
    mappings = [f"• {escape(truncate(line.label, LABEL_SHOWN_MAX))} → <@&{line.mapping.role_id}>"
                for line in status.mappings]  # fmt: skip
    if not mappings:
        head.append("No product gives a role yet: `/tickets role` sets one.")
    where = f"<#{status.log_channel_id}>" if status.log_channel_id else "no channel"
    reported = f"Registrations reported in: {where} (`/tickets log` sets it)."
    if status.log_channel_id and status.log_off is not None:
        why = _why_off(status.log_channel_id, status.log_off)
        reported = f"⚠️ Registrations are not reported: {why}"
    counts = status.counts
    tail = [
        reported,
        f"Registered: {count_of(counts.tickets, 'ticket')} of"
        f" {count_of(counts.members, 'member')}. Refunds and cancellations: {counts.revoked}"
        f" done, {counts.revoking} under way, {counts.failed} failed.",
        *(f"⚠️ {problem}" for problem in problems),
    ]
    shown = mappings[:STATUS_LINES_MAX]
    while True:
        more = [f"• and {len(mappings) - len(shown)} more"] if len(shown) < len(mappings) else []
        text = "\n".join([*head, *shown, *more, *tail])
        if len(text) <= MESSAGE_MAX or not shown:
            return text
        shown = shown[:-1]


def _why_off(channel_id: int, trouble: LogTrouble) -> str:
    """Why reporting in a log channel stopped, and the fix (one sentence's end)."""
    if trouble is LogTrouble.DELETED:
        return f"<#{channel_id}> was deleted; `/tickets log` picks another channel."
    return (
        f"I may not post in <#{channel_id}>; give me View Channel and Send Messages there,"
        " then run `/tickets log` again."
    )


def log_off_text(server: str, channel_id: int, trouble: LogTrouble) -> str:
    """The one DM to the organiser who set a log channel that failed: what stopped, that
    registering goes on, and the fix."""
    return (
        f"🎟️ Ticket registrations in **{escape(server)}** are no longer reported:"
        f" {_why_off(channel_id, trouble)} Registering goes on as before."
    )


def released_text(member_id: int, tickets: int, taken: Sequence[int], left: bool) -> str:
    """/tickets release: the tickets freed, and the roles taken back."""
    if not tickets:
        return f"<@{member_id}> has no ticket registered here; nothing changed."
    them = "it" if tickets == 1 else "them"
    text = (
        f"🎟️ Released {count_of(tickets, 'ticket')} of <@{member_id}>: another account can"
        f" register {them} now."
    )
    if left:
        return text + " They have left the server, so they hold no role of it."
    if taken:
        return text + f" Took back {mentions(taken)}."
    return text


def roles_deleted_text(
    unmapped: RolesUnmapped, names: Mapping[int, str], server: str | None = None
) -> str:
    """Mappings removed with their deleted roles: one line per role, in one message
    (roles past what fits are counted). `names`: the roles' names where Discord said
    them (a deletion the bot missed leaves only the id, and a deleted role's mention
    shows as "@deleted-role"); `server`: the server's name, for a DM."""
    lines = [_role_deleted_line(role, names.get(role.role_id)) for role in unmapped.roles]
    head = [f"🎟️ Ticket roles in **{escape(server)}**:"] if server is not None else []
    shown = lines
    while True:
        more = len(lines) - len(shown)
        tail = [f"⚠️ …and {count_of(more, 'more deleted role')}: `/tickets status` shows what"
                " each product gives now."] if more else []  # fmt: skip
        text = "\n".join([*head, *shown, *tail])
        if len(text) <= MESSAGE_MAX or not shown:
            return text
        shown = shown[:-1]


def _role_deleted_line(role: RoleUnmapped, name: str | None) -> str:
    named = [f"**{escape(truncate(label, LABEL_SHOWN_MAX))}**"
             for label in role.labels[:LABELS_NAMED_MAX]]  # fmt: skip
    if (more := len(role.labels) - len(named)) > 0:
        named.append(count_of(more, "more product"))
    which = f"**{escape(truncate(name, LABEL_SHOWN_MAX))}**" if name else f"<@&{role.role_id}>"
    return (
        f"⚠️ The role {which}, given for {listing(named)}, was deleted, so those tickets no"
        " longer give it; registering goes on with their other roles, and `/tickets role`"
        " maps another role to them."
    )
