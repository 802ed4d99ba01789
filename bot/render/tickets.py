"""What the ticket features say: the private answer to /register, the line in a server's
log channel, and the DM after a refund. None of it names an order, an e-mail address or a
ticket; every failed match reads the same (NO_MATCH), whatever failed."""

from __future__ import annotations

from collections.abc import Sequence

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

NO_MATCH = (
    "No paid ticket matches that order code and e-mail address (or ticket code). Check both"
    " against your order confirmation e-mail and try again."
)
ALREADY = "That ticket is already registered to another account here; ask an organiser."
UNPAID = "That order is not paid yet; once it is, register again."
CANCELED = "That ticket was cancelled or refunded, so it gives no roles."
NOT_CONFIGURED = "Ticket registration is not set up for this conference."

# What each field's problem is, said for that field: the code field ("Order code", which
# also takes a ticket's code) and the e-mail field read differently, so a 1,000-character
# e-mail address is not answered with a sentence about order codes.
_CODE_INPUT: dict[InputProblem, str] = {
    InputProblem.EMPTY: "Give your order code (or the code of your ticket's QR code).",
    InputProblem.TOO_LONG: "That is longer than any order code or ticket code; paste the code"
    " alone.",
    InputProblem.CONTROL: "That holds invisible or control characters; type the code again.",
    InputProblem.NOT_A_CODE: "That is not an order code (like ABC12) or a ticket code; it is"
    " in your order confirmation e-mail.",
    InputProblem.OTHER_EVENT: "That order code is for another event; use the one of this"
    " conference's order.",
}
_EMAIL_INPUT: dict[InputProblem, str] = {
    InputProblem.EMPTY: "Give the e-mail address of the order with its order code.",
    InputProblem.NO_EMAIL: "Give the e-mail address of the order with its order code.",
    InputProblem.TOO_LONG: "That is longer than any e-mail address; give the order's address"
    " alone.",
    InputProblem.CONTROL: "That holds invisible or control characters; type the address again.",
    InputProblem.BAD_EMAIL: "That is not an e-mail address; give the one of the order.",
}
# A problem one field never has (read_input gives none of these): said plainly, for
# that field all the same.
_OTHERWISE = {Field.CODE: "Check the order code and try again.",
              Field.EMAIL: "Check the e-mail address and try again."}  # fmt: skip


def register_text(result: RegisterResult, role_names: Sequence[str] = ()) -> str:
    """The private answer to /register. `role_names`: the roles given, as the server
    names them (for Granted)."""
    if isinstance(result, Granted):
        roles = ", ".join(escape(n) for n in role_names) or "your ticket's roles"
        others = (f" {result.others} more ticket(s) of the order are registered to other"
                  " accounts.") if result.others else ""  # fmt: skip
        return f"Welcome! You now have: {roles}.{others}"
    if isinstance(result, NoMatch):
        return NO_MATCH
    if isinstance(result, AlreadyRegistered):
        return ALREADY
    if isinstance(result, Unpaid):
        return UNPAID
    if isinstance(result, Canceled):
        return CANCELED
    if isinstance(result, NoRoles):
        return ("Your ticket is valid, but no role is set up for it here yet; ask an"
                " organiser.")  # fmt: skip
    if isinstance(result, RateLimited):
        who = "you" if result.scope is LimitScope.MEMBER else "this server"
        return f"Too many attempts from {who}; try again in {_duration(result.retry_after)}."
    if isinstance(result, BadInput):
        return input_text(result)
    if isinstance(result, Unavailable):
        if result.failure is Failure.BUSY and result.retry_after:
            wait = _duration(int(result.retry_after + 0.999))
            return f"The ticket shop is busy; nothing was registered. Try again in {wait}."
        return ("The ticket shop cannot be reached right now; nothing was registered. Try"
                " again in a few minutes.")  # fmt: skip
    assert isinstance(result, NotConfigured)
    return NOT_CONFIGURED


def input_text(result: BadInput) -> str:
    """Why a field was refused, for that field (what to type there instead)."""
    said = _CODE_INPUT if result.field is Field.CODE else _EMAIL_INPUT
    return said.get(result.problem, _OTHERWISE[result.field])


def granted_text(result: Granted, role_names: Sequence[str], news: bool) -> str:
    """The answer once Discord gave a registration's roles (`role_names`: those the
    member holds from it now): welcome; the same ticket again, with nothing new (not
    `news`); or, when every role it would give was deleted, that none is set up."""
    if not result.roles:
        return register_text(NoRoles(mapped=True))
    return register_text(result, role_names) if news else again_text(role_names)


def again_text(role_names: Sequence[str]) -> str:
    """/register again by the member who holds the ticket, with nothing new to give."""
    roles = ", ".join(escape(n) for n in role_names) or "your ticket's roles"
    return f"That ticket is registered to you already: you have {roles}."


def field_of(result: BadInput) -> str:
    """The field a refusal is about, as the form labels it."""
    return "Order code" if result.field is Field.CODE else "E-mail address"


def log_line(member_id: int, role_names: Sequence[str]) -> str:
    """The log channel's line: the member and the roles, never the order."""
    roles = ", ".join(escape(n) for n in role_names) or "no new role"
    return f"<@{member_id}> registered a ticket: {roles}"


def refund_card(conference: str, server: str, role_names: Sequence[str]) -> Card:
    """The DM after a refund or cancellation took a member's roles in a server."""
    roles = ", ".join(escape(n) for n in role_names)
    return Card(
        title="Your ticket was cancelled",
        description=(
            f"Your ticket for {escape(conference)} was cancelled or refunded in the ticket"
            f" shop, so these roles were removed in {escape(server)}: {roles}. If"
            " this is a mistake, ask an organiser there."
        ),
        colour=GREY,
    )


def _duration(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} s"
    return f"{(seconds + 59) // 60} min"
