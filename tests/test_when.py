"""Reading the moments people type for /next [when] and --now."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.model import Program
from bot.service import WhenError, parse_moment, parse_when
from tests.conftest import pacific

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
    with pytest.raises(WhenError, match="runs Wed Jul 10 to Fri Jul 12"):
        parse_when("monday 9:00", program.conference, DURING)


def test_parse_moment_needs_a_zone_for_naive_times():
    with pytest.raises(WhenError):
        parse_moment("2024-07-10T10:50")
    assert parse_moment("2024-07-10T10:50", "America/Los_Angeles") == pacific("2024-07-10T10:50")
