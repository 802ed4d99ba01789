"""What the ticket features say: an answer for every result /register can give, the log
channel's line (the member and the roles, no order), and the refund DM, with names from
Discord escaped."""

from __future__ import annotations

import pytest

from bot.render.markdown import escape
from bot.render.tickets import NO_MATCH, log_line, refund_card, register_text
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

RESULTS: list[RegisterResult] = [
    Granted((1, 2), 2, 1, None),
    AlreadyRegistered(),
    NoMatch(),
    Unpaid(),
    Canceled(),
    NoRoles(True),
    NoRoles(False),
    RateLimited(LimitScope.MEMBER, 125),
    RateLimited(LimitScope.SERVER, 9),
    *[BadInput(f, p) for f in Field for p in InputProblem],
    Unavailable(Failure.DOWN, "pretix at h (o/e) answered HTTP 500"),
    Unavailable(Failure.BUSY, "pretix at h (o/e) asked to wait 30 s (HTTP 429)", 29.2),
    NotConfigured("dc25"),
]


@pytest.mark.parametrize("result", RESULTS, ids=lambda r: type(r).__name__)
def test_every_result_has_a_private_answer(result: RegisterResult):
    text = register_text(result, ["Attendee", "Workshop"])
    assert text and "\n" not in text and len(text) < 300
    assert "HTTP" not in text and "pretix at" not in text  # the operator's detail stays out


def test_the_answers_that_matter_say_what_they_should():
    assert register_text(Granted((1,), 1, 0, None), ["Attendee", "Workshop"]) == (
        "Welcome! You now have: Attendee, Workshop."
    )
    assert register_text(NoMatch()) == NO_MATCH
    assert "2 min" in register_text(RateLimited(LimitScope.MEMBER, 61))
    assert "30 s" in register_text(Unavailable(Failure.BUSY, "x", 29.2))


def test_names_from_discord_are_escaped():
    line = log_line(42, ["@everyone", "*bold*"])
    assert line == f"<@42> registered a ticket: {escape('@everyone')}, {escape('*bold*')}"
    card = refund_card("Demo **Con**", "A `server`", ["<@&1>", "Attendee"])
    for name in ("Demo **Con**", "A `server`", "<@&1>"):
        assert escape(name) in card.description and escape(name) != name
