"""What the ticket features say: the /register form and its private answer, the line in a
server's log channel, and the DM after a refund, each in the words it is given (the
reader's for the form and the answer, the server's for the log channel, the member's for
the DM). None of it names an order, an e-mail address or a ticket; every failed match
reads the same (NO_MATCH), whatever failed."""

from __future__ import annotations

from collections.abc import Sequence

from bot.i18n import ENGLISH, N_, Words
from bot.render.cards import GREY, Card
from bot.render.markdown import escape
from bot.service.attempts import LimitScope, RateLimited
from bot.service.ticket_input import BadInput, Field, InputProblem
from bot.service.ticket_results import (
    AlreadyRegistered,
    Canceled,
    Granted,
    NoMatch,
    NoRoles,
    NotConfigured,
    RegisterResult,
    Unavailable,
    Unpaid,
)
from bot.tickets.errors import Failure

# The form, as pretix's order confirmation names what goes in its two fields.
FORM_TITLE = N_("Register your ticket")
ORDER_CODE = N_("Order code")
ORDER_CODE_HINT = N_("ABC12, or the code of your ticket's QR code")
EMAIL = N_("E-mail address")
EMAIL_HINT = N_("The order's (not needed with your ticket's code)")

NO_MATCH = N_(
    "No paid ticket matches that order code and e-mail address (or ticket code). Check both"
    " against your order confirmation e-mail and try again."
)
ALREADY = N_("That ticket is already registered to another account here; ask an organiser.")
UNPAID = N_("That order is not paid yet; once it is, register again.")
CANCELED = N_("That ticket was cancelled or refunded, so it gives no roles.")
NOT_CONFIGURED = N_("Ticket registration is not set up for this conference.")
NO_ROLE = N_("Your ticket is valid, but no role is set up for it here yet; ask an organiser.")

# What each field's problem is, said for that field: the code field ("Order code", which
# also takes a ticket's code) and the e-mail field read differently, so a 1,000-character
# e-mail address is not answered with a sentence about order codes.
_CODE_INPUT: dict[InputProblem, str] = {
    InputProblem.EMPTY: N_("Give your order code (or the code of your ticket's QR code)."),
    InputProblem.TOO_LONG: N_("That is longer than any order code or ticket code; paste the"
                              " code alone."),
    InputProblem.CONTROL: N_("That holds invisible or control characters; type the code"
                             " again."),
    InputProblem.NOT_A_CODE: N_("That is not an order code (like ABC12) or a ticket code; it"
                                " is in your order confirmation e-mail."),
    InputProblem.OTHER_EVENT: N_("That order code is for another event; use the one of this"
                                 " conference's order."),
}  # fmt: skip
_EMAIL_INPUT: dict[InputProblem, str] = {
    InputProblem.EMPTY: N_("Give the e-mail address of the order with its order code."),
    InputProblem.NO_EMAIL: N_("Give the e-mail address of the order with its order code."),
    InputProblem.TOO_LONG: N_("That is longer than any e-mail address; give the order's"
                              " address alone."),
    InputProblem.CONTROL: N_("That holds invisible or control characters; type the address"
                             " again."),
    InputProblem.BAD_EMAIL: N_("That is not an e-mail address; give the one of the order."),
}  # fmt: skip
# A problem one field never has (read_input gives none of these): said plainly, for
# that field all the same.
_OTHERWISE = {Field.CODE: N_("Check the order code and try again."),
              Field.EMAIL: N_("Check the e-mail address and try again.")}  # fmt: skip


def register_text(
    result: RegisterResult, role_names: Sequence[str] = (), w: Words = ENGLISH
) -> str:
    """The private answer to /register. `role_names`: the roles given, as the server
    names them (for Granted)."""
    if isinstance(result, Granted):
        text = w.tr("Welcome! You now have: {roles}.", roles=_roles(role_names, w))
        if result.others:
            text += " " + w.ntr("{count} more ticket of the order is registered to another"
                                " account.",
                                "{count} more tickets of the order are registered to other"
                                " accounts.", result.others, count=result.others)  # fmt: skip
        return text
    if isinstance(result, NoMatch):
        return w.tr(NO_MATCH)
    if isinstance(result, AlreadyRegistered):
        return w.tr(ALREADY)
    if isinstance(result, Unpaid):
        return w.tr(UNPAID)
    if isinstance(result, Canceled):
        return w.tr(CANCELED)
    if isinstance(result, NoRoles):
        return w.tr(NO_ROLE)
    if isinstance(result, RateLimited):
        wait = duration(result.retry_after, w)
        if result.scope is LimitScope.MEMBER:
            return w.tr("Too many attempts from you; try again in {wait}.", wait=wait)
        return w.tr("Too many attempts from this server; try again in {wait}.", wait=wait)
    if isinstance(result, BadInput):
        return input_text(result, w)
    if isinstance(result, Unavailable):
        if result.failure is Failure.BUSY and result.retry_after:
            wait = duration(int(result.retry_after + 0.999), w)
            return w.tr("The ticket shop is busy; nothing was registered. Try again in {wait}.",
                        wait=wait)  # fmt: skip
        return w.tr("The ticket shop cannot be reached right now; nothing was registered. Try"
                    " again in a few minutes.")  # fmt: skip
    assert isinstance(result, NotConfigured)
    return w.tr(NOT_CONFIGURED)


def input_text(result: BadInput, w: Words = ENGLISH) -> str:
    """Why a field was refused, for that field (what to type there instead)."""
    said = _CODE_INPUT if result.field is Field.CODE else _EMAIL_INPUT
    return w.tr(said.get(result.problem, _OTHERWISE[result.field]))


def refused_input_text(result: BadInput, w: Words = ENGLISH) -> str:
    """A refused field's answer, led by the field's label: which of the two to fix."""
    return w.tr("**{field}**: {problem}", field=field_of(result, w), problem=input_text(result, w))


def granted_text(result: Granted, role_names: Sequence[str], news: bool, w: Words = ENGLISH) -> str:
    """The answer once Discord gave a registration's roles (`role_names`: those the
    member holds from it now): welcome; the same ticket again, with nothing new (not
    `news`); or, when every role it would give was deleted, that none is set up."""
    if not result.roles:
        return register_text(NoRoles(mapped=True), w=w)
    return register_text(result, role_names, w) if news else again_text(role_names, w)


def again_text(role_names: Sequence[str], w: Words = ENGLISH) -> str:
    """/register again by the member who holds the ticket, with nothing new to give."""
    return w.tr("That ticket is registered to you already: you have {roles}.",
                roles=_roles(role_names, w))  # fmt: skip


def field_of(result: BadInput, w: Words = ENGLISH) -> str:
    """The field a refusal is about, as the form labels it."""
    return w.tr(ORDER_CODE) if result.field is Field.CODE else w.tr(EMAIL)


def log_line(member_id: int, role_names: Sequence[str], w: Words = ENGLISH) -> str:
    """The log channel's line: the member and the roles, never the order."""
    roles = ", ".join(escape(n) for n in role_names) or w.tr("no new role")
    return w.tr("{member} registered a ticket: {roles}", member=f"<@{member_id}>", roles=roles)


def refund_card(
    conference: str, server: str, role_names: Sequence[str], w: Words = ENGLISH
) -> Card:
    """The DM after a refund or cancellation took a member's roles in a server."""
    description = w.tr(
        "Your ticket for {conference} was cancelled or refunded in the ticket shop, so these"
        " roles were removed in {server}: {roles}. If this is a mistake, ask an organiser"
        " there.",
        conference=escape(conference), server=escape(server),
        roles=", ".join(escape(n) for n in role_names),
    )  # fmt: skip
    return Card(
        title=w.tr("Your ticket was cancelled"),
        description=description,
        colour=GREY,
        language=w.language,
    )


def duration(seconds: int, w: Words = ENGLISH) -> str:
    """'45 s', '10 min' (rounded up): how long to wait."""
    if seconds < 60:
        return w.tr("{seconds} s", seconds=seconds)
    return w.tr("{minutes} min", minutes=(seconds + 59) // 60)


def _roles(role_names: Sequence[str], w: Words) -> str:
    """The roles given, as the server names them (escaped), or what they are."""
    return ", ".join(escape(n) for n in role_names) or w.tr("your ticket's roles")
