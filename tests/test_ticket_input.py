"""/register's two fields read as hostile: every problem refused with one reason, before
anything is looked up; codes in every form pretix prints them read the same."""

from __future__ import annotations

import pytest

from bot.render.tickets import register_text
from bot.service.ticket_input import (
    BadInput,
    Field,
    InputProblem,
    OrderCode,
    TicketSecret,
    read_input,
)

EVENT = "democon"
EMAIL = "ada@example.org"


@pytest.mark.parametrize(
    "typed",
    ["ABC12", "abc12", " ABC12 ", "DEMOCON-ABC12", "democon-abc12", "ＡＢＣ１２", "\tABC12\n"],
)
def test_an_order_code_reads_the_same_in_every_form(typed: str):
    assert read_input(typed, EMAIL, EVENT) == OrderCode("ABC12", EMAIL)


def test_an_event_slug_with_dashes_is_a_prefix_too():
    assert read_input("PYCON-2025-QX7Z9", EMAIL, "pycon-2025") == OrderCode("QX7Z9", EMAIL)


def test_a_ticket_secret_is_taken_as_typed_and_needs_no_email():
    secret = "z3fsn8jyufm5kpk768q69gkbyr5f4h6w"
    assert read_input(secret, "", EVENT) == TicketSecret(secret)
    signed = "E4BibvAeBTjQ/CPfWhfz0uU2Eb8lE5XRKr9J+ZaYbKkLTF2xP5yWtGUjSzk="
    assert read_input(signed, "", EVENT) == TicketSecret(signed)


@pytest.mark.parametrize(
    ("code", "email", "field", "problem"),
    [
        ("", EMAIL, Field.CODE, InputProblem.EMPTY),
        ("   ", EMAIL, Field.CODE, InputProblem.EMPTY),
        ("A" * 1000, EMAIL, Field.CODE, InputProblem.TOO_LONG),
        ("ABC\x0012", EMAIL, Field.CODE, InputProblem.CONTROL),
        ("ABC\u200b12", EMAIL, Field.CODE, InputProblem.CONTROL),  # zero-width space
        ("ABC\u202e12", EMAIL, Field.CODE, InputProblem.CONTROL),  # right-to-left override
        ("OTHERCONF-ABC12", EMAIL, Field.CODE, InputProblem.OTHER_EVENT),
        ("ABC 12", EMAIL, Field.CODE, InputProblem.NOT_A_CODE),
        ("'; DROP TABLE--", EMAIL, Field.CODE, InputProblem.NOT_A_CODE),
        ("<@&123>", EMAIL, Field.CODE, InputProblem.NOT_A_CODE),
        ("ABC12", "", Field.EMAIL, InputProblem.NO_EMAIL),
        ("ABC12", "not an address", Field.EMAIL, InputProblem.BAD_EMAIL),
        ("ABC12", "a@b@c", Field.EMAIL, InputProblem.BAD_EMAIL),
        ("ABC12", "x" * 1000 + "@example.org", Field.EMAIL, InputProblem.TOO_LONG),
        ("ABC12", "ada@exa\x07mple.org", Field.EMAIL, InputProblem.CONTROL),
        ("ABC12", "a" * 65 + "@example.org", Field.EMAIL, InputProblem.BAD_EMAIL),
    ],
)
def test_hostile_fields_are_refused_with_one_sentence(
    code: str, email: str, field: Field, problem: InputProblem
):
    result = read_input(code, email, EVENT)
    assert result == BadInput(field, problem)
    text = register_text(result)
    assert text.endswith(".") and "\n" not in text and text.count(". ") <= 1
    assert code.strip()[:20] not in text or not code.strip()  # never repeated back
    # Said for the field it is about: only the e-mail field's sentences speak of an address.
    assert ("address" in text) is (field is Field.EMAIL), text
