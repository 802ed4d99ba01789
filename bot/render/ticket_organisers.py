"""What /tickets answers organisers: a product now giving a role, where registrations are
reported, the settings and counts at a glance, a member's tickets released; and what
organisers are told of a deleted role or a broken log channel. Each in the words it is
given (the organiser's for an answer or a DM, the server's in the log channel). Roles are
named by mention and channels by link (Discord shows their names; no one is pinged);
product labels are pretix's words, escaped."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.i18n import ENGLISH, N_, Words
from bot.render.cards import truncate
from bot.render.common import listing
from bot.render.limits import MESSAGE_MAX, TYPED_SHOWN_MAX
from bot.render.markdown import escape
from bot.render.roles import mentions
from bot.service.program_service import MAX_QUERY
from bot.service.ticket_input import InputProblem
from bot.service.ticket_results import (
    BadItemText,
    Label,
    Mapped,
    NoSuchItem,
    RolesUnmapped,
    RoleUnmapped,
    TicketStatus,
    Unavailable,
    Unnamed,
)
from bot.store.tickets_store import LogTrouble
from bot.tickets.errors import Failure

STATUS_LINES_MAX = 25  # mappings listed by /tickets status; the rest are counted
LABEL_SHOWN_MAX = 80  # characters of a product's label in that list
LABELS_NAMED_MAX = 3  # products named for one deleted role; the rest are counted

NOT_CONFIGURED = N_(
    "Ticket roles are not set up for this conference: the bot's operator sets its pretix"
    " event (CONFBOT_PRETIX_EVENT_URL and CONFBOT_PRETIX_TOKEN)."
)


def product_label(label: Label, w: Words = ENGLISH) -> str:
    """A product as pretix names it, or, for one without a name, by its ids in `w`'s
    words (not escaped: pretix's words are escaped where shown)."""
    if isinstance(label, str):
        return label
    return _unnamed(label, w)


def _unnamed(label: Unnamed, w: Words) -> str:
    if label.variation_id is None:
        return w.tr("product {number}", number=label.item_id)
    if label.product:
        return w.tr("{product} – variation {number}", product=label.product,
                    number=label.variation_id)  # fmt: skip
    return w.tr("product {number}, variation {variation}", number=label.item_id,
                variation=label.variation_id)  # fmt: skip


def mapped_text(mapped: Mapped, w: Words = ENGLISH) -> str:
    """'🎟️ Tickets for **Conference ticket – Regular** now give @Attendee.'"""
    label, role = escape(product_label(mapped.choice.label, w)), f"<@&{mapped.role_id}>"
    if mapped.new:
        return w.tr("🎟️ Tickets for **{product}** now give {role}. Attendees get it with"
                    " `/register`; those who registered before get it by running `/register`"
                    " again.", product=label, role=role)  # fmt: skip
    return w.tr("🎟️ Tickets for **{product}** now give {role} (it already did). Attendees get"
                " it with `/register`; those who registered before get it by running"
                " `/register` again.", product=label, role=role)  # fmt: skip


def unmapped_text(label: Label, role_id: int, removed: int, w: Words = ENGLISH) -> str:
    shown, role = escape(product_label(label, w)), f"<@&{role_id}>"
    if not removed:
        return w.tr("Tickets for **{product}** did not give {role}; nothing changed.",
                    product=shown, role=role)  # fmt: skip
    return w.tr("🎟️ Tickets for **{product}** no longer give {role} to those who register from"
                " now on; members who have it keep it.", product=shown, role=role)  # fmt: skip


def no_such_item_text(missing: NoSuchItem, w: Words = ENGLISH) -> str:
    shown = escape(truncate(missing.text, TYPED_SHOWN_MAX))
    return w.tr("No product of the event is called “{typed}”: pick one from the list as you"
                " type.", typed=shown)  # fmt: skip


def bad_item_text(bad: BadItemText, w: Words = ENGLISH) -> str:
    """Why what was typed for a product is refused before pretix is asked."""
    if bad.problem is InputProblem.EMPTY:
        return w.tr("Please give a product.")
    if bad.problem is InputProblem.TOO_LONG:
        return w.tr("That product is {length} characters long; {most} at most.",
                    length=w.number(bad.length),
                    most=MAX_QUERY)  # fmt: skip
    return w.tr("That product contains control characters.")


def shop_unavailable_text(unavailable: Unavailable, w: Words = ENGLISH) -> str:
    """pretix failed while an organiser asked: what to do, never the operator's detail."""
    if unavailable.failure is Failure.REFUSED:
        return w.tr("pretix refused the bot's API token (expired, or without read access to the"
                    " event's orders and products): please tell the bot's operator.")  # fmt: skip
    return w.tr("The ticket shop cannot be reached right now; please try again in a few"
                " minutes.")  # fmt: skip


def choice_label(label: Label, active: bool, w: Words = ENGLISH) -> str:
    """A product as the autocomplete lists it, saying so when it is not on sale (mapping
    it is fine all the same)."""
    named = product_label(label, w)
    return named if active else w.tr("{product} (not on sale)", product=named)


def cannot_post_text(channel_id: int, w: Words = ENGLISH) -> str:
    """/tickets log refused up front: the bot could not post in that channel."""
    return w.tr("I can't post in {channel}: give me View Channel and Send Messages there, then"
                " try again.", channel=f"<#{channel_id}>")  # fmt: skip


def log_channel_text(channel_id: int | None, w: Words = ENGLISH) -> str:
    if channel_id is None:
        return w.tr("🎟️ Registrations are no longer reported in a channel.")
    return w.tr("🎟️ Each registration is now reported in {channel}: the member and the roles"
                " given, never the order or anything from it.",
                channel=f"<#{channel_id}>")  # fmt: skip


def status_text(
    status: TicketStatus, name: str, problems: Sequence[str], w: Words = ENGLISH
) -> str:
    """/tickets status: whether the event is set up, each product's role, the log
    channel, how many registered and how refunds went, and what would stop roles being
    given (`problems`: the adapter's sentences, from the server's roles as they are).
    Always one message: mappings past what fits are counted, never cut mid-line."""
    if not status.configured and not status.mappings:
        return w.tr(NOT_CONFIGURED)
    head = [w.tr("🎟️ **Ticket roles of {conference}**", conference=escape(name))]
    if not status.configured:
        head.append(w.tr(NOT_CONFIGURED))
    mappings = [f"• {_shown(line.label, w)} → <@&{line.mapping.role_id}>"
                for line in status.mappings]  # fmt: skip
    if not mappings:
        head.append(w.tr("No product gives a role yet: `/tickets role` sets one."))
    if status.log_channel_id and status.log_off is not None:
        why = _why_off(status.log_channel_id, status.log_off, w)
        reported = w.tr("⚠️ Registrations are not reported: {why}", why=why)
    elif status.log_channel_id:
        reported = w.tr("Registrations reported in: {channel} (`/tickets log` sets it).",
                        channel=f"<#{status.log_channel_id}>")  # fmt: skip
    else:
        reported = w.tr("Registrations reported in: no channel (`/tickets log` sets it).")
    counts = status.counts
    tickets = w.ntr("{count} ticket", "{count} tickets", counts.tickets, count=counts.tickets)
    registered = w.ntr("Registered: {tickets} of {count} member.",
                       "Registered: {tickets} of {count} members.",
                       counts.members, tickets=tickets, count=counts.members)  # fmt: skip
    refunds = w.tr("Refunds and cancellations: {done} done, {pending} under way, {failed}"
                   " failed.", done=counts.revoked, pending=counts.revoking,
                   failed=counts.failed)  # fmt: skip
    tail = [reported, f"{registered} {refunds}", *(f"⚠️ {problem}" for problem in problems)]
    shown = mappings[:STATUS_LINES_MAX]
    while True:
        more = len(mappings) - len(shown)
        rest = [w.tr("• and {count} more", count=more)] if more else []
        text = "\n".join([*head, *shown, *rest, *tail])
        if len(text) <= MESSAGE_MAX or not shown:
            return text
        shown = shown[:-1]


def _why_off(channel_id: int, trouble: LogTrouble, w: Words) -> str:
    """Why reporting in a log channel stopped, and the fix (one sentence's end)."""
    channel = f"<#{channel_id}>"
    if trouble is LogTrouble.DELETED:
        return w.tr("{channel} was deleted; `/tickets log` picks another channel.",
                    channel=channel)  # fmt: skip
    return w.tr("I may not post in {channel}; give me View Channel and Send Messages there,"
                " then run `/tickets log` again.", channel=channel)  # fmt: skip


def log_off_text(server: str, channel_id: int, trouble: LogTrouble, w: Words = ENGLISH) -> str:
    """The one DM to the organiser who set a log channel that failed: what stopped, that
    registering goes on, and the fix."""
    return w.tr("🎟️ Ticket registrations in **{server}** are no longer reported: {why}"
                " Registering goes on as before.", server=escape(server),
                why=_why_off(channel_id, trouble, w))  # fmt: skip


def released_text(
    member_id: int, tickets: int, taken: Sequence[int], left: bool, w: Words = ENGLISH
) -> str:
    """/tickets release: the tickets freed, and the roles taken back."""
    member = f"<@{member_id}>"
    if not tickets:
        return w.tr("{member} has no ticket registered here; nothing changed.", member=member)
    text = w.ntr("🎟️ Released {count} ticket of {member}: another account can register it now.",
                 "🎟️ Released {count} tickets of {member}: another account can register them"
                 " now.", tickets, count=tickets, member=member)  # fmt: skip
    if left:
        return text + " " + w.tr("They have left the server, so they hold no role of it.")
    if taken:
        return text + " " + w.ntr("Took back {roles}.", "Took back {roles}.", len(taken),
                                  roles=mentions(taken, w))  # fmt: skip
    return text


def roles_deleted_text(
    unmapped: RolesUnmapped, names: Mapping[int, str], server: str | None = None,
    w: Words = ENGLISH,
) -> str:  # fmt: skip
    """Mappings removed with their deleted roles: one line per role, in one message
    (roles past what fits are counted). `names`: the roles' names where Discord said
    them (a deletion the bot missed leaves only the id, and a deleted role's mention
    shows as "@deleted-role"); `server`: the server's name, for a DM."""
    lines = [_role_deleted_line(role, names.get(role.role_id), w) for role in unmapped.roles]
    head = ([w.tr("🎟️ Ticket roles in **{server}**:", server=escape(server))]
            if server is not None else [])  # fmt: skip
    shown = lines
    while True:
        more = len(lines) - len(shown)
        tail = [w.ntr("⚠️ …and {count} more deleted role: `/tickets status` shows what each"
                      " product gives now.",
                      "⚠️ …and {count} more deleted roles: `/tickets status` shows what each"
                      " product gives now.", more, count=more)] if more else []  # fmt: skip
        text = "\n".join([*head, *shown, *tail])
        if len(text) <= MESSAGE_MAX or not shown:
            return text
        shown = shown[:-1]


def _role_deleted_line(role: RoleUnmapped, name: str | None, w: Words) -> str:
    named = [f"**{_shown(label, w)}**" for label in role.labels[:LABELS_NAMED_MAX]]
    if (more := len(role.labels) - len(named)) > 0:
        named.append(w.ntr("{count} more product", "{count} more products", more, count=more))
    which = f"**{escape(truncate(name, LABEL_SHOWN_MAX))}**" if name else f"<@&{role.role_id}>"
    return w.tr("⚠️ The role {role}, given for {products}, was deleted, so those tickets no"
                " longer give it; registering goes on with their other roles, and `/tickets"
                " role` maps another role to them.", role=which,
                products=listing(named, w))  # fmt: skip


def _shown(label: Label, w: Words) -> str:
    """A product's label in a list: escaped, and cut to LABEL_SHOWN_MAX characters."""
    return escape(truncate(product_label(label, w), LABEL_SHOWN_MAX))
