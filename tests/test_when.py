"""Reading the moments people type for /next [when] and --now."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.i18n import ENGLISH
from bot.model import Program
from bot.render.refusals import refusal
from bot.service import WhenError, parse_moment, parse_when
from tests.conftest import pacific
from tests.refusal_words import english

# Text shaped like what people type, so the fuzzing reaches past the first check.
WHEN_SHAPES = (
    r"(today|tomorrow|mon|thursday|jul|day|heute|morgen|samstag|sa\.|samedi|demain|tag|jour"
    r"|juillet|[0-9]{1,25}\.?|[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"(T[0-9]{2}:[0-9]{2}([+-][0-9]{2}:[0-9]{2}|Z)?)?)[ ,]{0,2}"
    r"([0-9²³¹]{0,25}([:.h][0-9]{0,3})? ?(am|pm|p\.m\.|uhr|h)?)"
)

DURING = pacific("2024-07-10T10:50")
LONG_AFTER = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("14:00", "2024-07-10T14:00"),
        ("2pm", "2024-07-10T14:00"),
        ("2:30 pm", "2024-07-10T14:30"),
        ("thursday 9:00", "2024-07-11T09:00"),
        ("Thu 9am", "2024-07-11T09:00"),
        ("jul 12 13:40", "2024-07-12T13:40"),
        ("tomorrow 10:00", "2024-07-11T10:00"),
        ("day 3 9:00", "2024-07-12T09:00"),
        ("friday", "2024-07-12T00:00"),
        ("2024-07-10T10:50", "2024-07-10T10:50"),
        ("2024-07-10T17:50Z", "2024-07-10T10:50"),
        ("2024-07-10T13:50-04:00", "2024-07-10T10:50"),
    ],
)
def test_accepted_forms(program: Program, text: str, expected: str):
    assert parse_when(text, program.conference, DURING) == pacific(expected)


def test_now_and_empty_mean_now(program: Program):
    assert parse_when("now", program.conference, DURING) == DURING
    assert parse_when("  ", program.conference, DURING) == DURING


def test_a_bare_time_outside_the_conference_means_its_first_day(program: Program):
    assert parse_when("14:00", program.conference, LONG_AFTER) == pacific("2024-07-10T14:00")


@pytest.mark.parametrize("text", ["banana", "25:00", "14", "monday 9:00", "13pm", "x" * 100])
def test_bad_input_explains_the_accepted_forms(program: Program, text: str):
    with pytest.raises(WhenError):
        parse_when(text, program.conference, DURING)


def test_a_day_outside_the_conference_says_which_days_it_runs(program: Program):
    with pytest.raises(WhenError) as refused:
        parse_when("monday 9:00", program.conference, DURING)
    assert re.search("runs Wed Jul 10 to Fri Jul 12", english(refused.value))


def test_parse_moment_needs_a_zone_for_naive_times():
    with pytest.raises(WhenError):
        parse_moment("2024-07-10T10:50")
    assert parse_moment("2024-07-10T10:50", "America/Los_Angeles") == pacific("2024-07-10T10:50")


# Each of these crashed the parser (ValueError, IndexError, OverflowError) and reached
# Discord users as "something went wrong" with a logged traceback.
@pytest.mark.parametrize(
    "text",
    ["day ²", ",", " , ", "jul 99999999999999999999", "0001-01-01", "9999-12-31T23:59-12:00",
     "0001-01-01T00:00+14:00", "day 99999999999999999999", "jul ³ 9:00", "١٤:٠٠"],
)  # fmt: skip
def test_unreadable_or_out_of_range_moments_are_one_line_errors(program: Program, text: str):
    with pytest.raises(WhenError) as err:
        parse_when(text, program.conference, DURING)
    assert "\n" not in english(err.value)


def test_a_moment_far_from_any_conference_says_out_of_range(program: Program):
    with pytest.raises(WhenError) as refused:
        parse_when("0001-01-01", program.conference, DURING)
    assert re.search(
        "out of range: ask about a moment between 1900 and 2999", english(refused.value)
    )


@pytest.mark.parametrize("text", ["0001-01-01T00:00", "9999-12-31T23:59", "0001-01-01T00:00Z"])
def test_parse_moment_refuses_the_edges_of_time(text: str):
    with pytest.raises(WhenError) as refused:
        parse_moment(text, "America/Los_Angeles")
    assert re.search("out of range", english(refused.value))


def test_the_typed_text_is_quoted_by_whoever_shows_the_error(program: Program):
    with pytest.raises(WhenError) as err:
        parse_when("[x](https://evil.example)", program.conference, DURING)
    assert english(err.value).startswith("I can't read '[x](https://evil.example)'.")  # console
    shown = refusal(err.value, ENGLISH, lambda typed: f"<{typed.upper()}>")
    assert shown.startswith("I can't read <[X](HTTPS://EVIL.EXAMPLE)>.")


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(max_size=40) | st.from_regex(WHEN_SHAPES, fullmatch=True))
def test_any_text_is_a_moment_or_a_when_error(program: Program, text: str):
    try:
        moment = parse_when(text, program.conference, DURING)
    except WhenError:
        return
    assert moment.tzinfo is not None
