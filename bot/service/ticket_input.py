"""What an attendee typed into /register's two fields, read as hostile.

The first field ("Order code") takes an order code (ABC12), the code as pretix prints it
in its e-mails and on tickets (EVENT-ABC12), or a ticket's secret (what its QR code holds);
the second ("E-mail address") is the order's address, needed with an order code only.
Anything else is refused with one problem, before pretix is asked anything: empty, longer
than a code can be, control or invisible characters, no code at all, another event's code
(its prefix names another event), an e-mail address missing or not one. Reading never
looks anything up, so a refusal says nothing of any order.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from enum import StrEnum

FIELD_MAX = 200  # characters: longer than any order code, ticket secret or e-mail address
EMAIL_MAX = 254  # RFC 5321's limit on a path
# pretix's order codes are short capitals and digits; its ticket secrets are longer (32
# letters and digits by default, signed secrets longer still, with + / = _ - .).
_ORDER_CODE = re.compile(r"[A-Z0-9]{4,12}")
_SECRET = re.compile(r"[A-Za-z0-9+/=_.\-]{16,200}")
# EVENT-CODE as pretix prints an order's full code: the event's slug in capitals, a dash.
_FULL_CODE = re.compile(r"(?P<event>[A-Z0-9][A-Z0-9.\-]{0,63})-(?P<code>[A-Z0-9]{4,12})")
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,253}")


class Field(StrEnum):
    CODE = "code"
    EMAIL = "email"


class InputProblem(StrEnum):
    EMPTY = "empty"
    TOO_LONG = "too long"
    CONTROL = "control characters"
    NOT_A_CODE = "not a code"
    OTHER_EVENT = "another event's code"
    NO_EMAIL = "no e-mail address"
    BAD_EMAIL = "not an e-mail address"


@dataclass(frozen=True, slots=True)
class BadInput:
    """A field refused before anything was looked up (bot.render.tickets says it)."""

    field: Field
    problem: InputProblem


@dataclass(frozen=True, slots=True)
class OrderCode:
    """An order code (capitals, without the event's prefix) and the order's e-mail."""

    code: str = field(repr=False)
    email: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class TicketSecret:
    """A ticket's secret, as its QR code holds it (case matters)."""

    secret: str = field(repr=False)


TicketInput = OrderCode | TicketSecret


def read_input(code_field: str, email_field: str, event_slug: str) -> TicketInput | BadInput:
    """The ticket the two fields name, or the first problem found (the code field first)."""
    code_text = _field(code_field)
    if isinstance(code_text, InputProblem):
        return BadInput(Field.CODE, code_text)
    folded = unicodedata.normalize("NFKC", code_text)  # full-width ＡＢＣ１２ is ABC12
    upper = folded.upper()
    if _ORDER_CODE.fullmatch(upper):
        return _with_email(upper, email_field)
    full = _FULL_CODE.fullmatch(upper)
    if full is not None and full["event"] == event_slug.upper():
        return _with_email(full["code"], email_field)
    if full is not None and folded == upper:
        # EVENT-CODE in capitals, as pretix prints it, naming another event (pretix's
        # ticket secrets are never all capitals, so none is taken for one).
        return BadInput(Field.CODE, InputProblem.OTHER_EVENT)
    if _SECRET.fullmatch(folded):
        return TicketSecret(folded)
    return BadInput(Field.CODE, InputProblem.NOT_A_CODE)


def _with_email(code: str, email_field: str) -> OrderCode | BadInput:
    email = _field(email_field)
    if email is InputProblem.EMPTY:
        return BadInput(Field.EMAIL, InputProblem.NO_EMAIL)
    if isinstance(email, InputProblem):
        return BadInput(Field.EMAIL, email)
    if len(email) > EMAIL_MAX or not _EMAIL.fullmatch(email):
        return BadInput(Field.EMAIL, InputProblem.BAD_EMAIL)
    return OrderCode(code, email)


def _field(text: str) -> str | InputProblem:
    """A field stripped of surrounding space, or why it cannot be read: empty, too long,
    or holding a control, format (zero-width, direction) or unassigned character."""
    stripped = text.strip()
    if not stripped:
        return InputProblem.EMPTY
    if len(stripped) > FIELD_MAX:
        return InputProblem.TOO_LONG
    if any(unicodedata.category(c) in ("Cc", "Cf", "Cn", "Co", "Cs") for c in stripped):
        return InputProblem.CONTROL
    return stripped
