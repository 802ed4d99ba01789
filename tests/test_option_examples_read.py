"""The examples of what to type that a command's options give in their descriptions
(`when`, `since`, `day`) are written in the reader's language, and the bot reads each of
them: a German reader is shown „Donnerstag 9 Uhr“, not "thursday 9:00"."""

from __future__ import annotations

import re

import pytest

from bot.adapters.discord import catalogs
from bot.i18n import Language
from bot.service import ProgramService, Refusal, WhenError, parse_day, parse_when
from tests.conftest import pacific

DURING = pacific("2024-07-10T10:50")  # OSDI '24 runs Wednesday July 10 to Friday July 12
TIMES = (
    "Ask about another moment: 14:00, thursday 9:00, or an ISO time",
    "Only changes since then: 14:00, thursday 9:00, or an ISO time",
)
DAYS = ("Only this day: today, tomorrow, day 2, saturday, or a date (default: every day)",)
READ_BUT_ABSENT = (Refusal.NO_SUCH_WEEKDAY, Refusal.NO_SUCH_DAY_NUMBER)
# What names a kind of value rather than giving one to type.
KINDS = re.compile(r"ISO|Datum|date", re.IGNORECASE)


def examples(description: str) -> list[str]:
    """'Nur dieser Tag: heute, morgen, Tag 2, Samstag oder ein Datum (…)' -> the examples."""
    listed = description.split(": ", 1)[1].split(" (")[0]
    pieces = re.split(r",\s*|\s+(?:or|oder|ou)\s+", listed)
    return [p.strip() for p in pieces if p.strip() and not KINDS.search(p)]


@pytest.mark.parametrize("language", [lang for lang in Language if lang is not Language.EN])
def test_option_examples_are_the_languages_own_and_the_bot_reads_them(
    language: Language, service: ProgramService
):
    catalog = catalogs.read_catalog(language)
    for english, parse in [(t, "time") for t in TIMES] + [(d, "day") for d in DAYS]:
        said = catalog.get(english).string
        english_words = {e for e in examples(english) if re.search("[a-z]", e)}
        for example in examples(said):
            assert example not in english_words, f"{said!r} gives the English {example!r}"
            if parse == "time":
                parse_when(example, service.conference, DURING)
            else:
                assert _day_read(example, service), example


def _day_read(example: str, service: ProgramService) -> bool:
    """Read as a day: one of OSDI '24's, or one it lacks (a Saturday, a day 2 it has)."""
    try:
        parse_day(example, service.conference, DURING)
    except WhenError as error:
        return error.kind in READ_BUT_ABSENT
    return True
