"""Counts and examples said as German and French readers write them (issue 26): 0, 1, 2
and 21 of what an attendee reads, never '1 autres' or 'jusqu'à leur fin' for one (French
takes the singular for 0 and 1, German for 1 alone: the catalogs' Plural-Forms), and a
moment to type in their words."""

from __future__ import annotations

import re

import pytest

from bot.changes import ChangeKind, RecordedChange
from bot.i18n import Language, Words, bundled_messages
from bot.kinds import ReminderStatus
from bot.render import program_cards
from bot.render.agenda_cards import agenda_cards
from bot.render.board import ALSO_NAMED, also_open
from bot.render.common import NAMES_SHOWN, as_it_was, people_changed
from bot.service import ProgramService, parse_when
from bot.service.reminders import AgendaLine
from tests.conftest import pacific


def words(language: str) -> Words:
    return bundled_messages().words(Language(language))


@pytest.mark.parametrize(
    ("language", "count", "ending"),
    [("fr", 1, " et 1 autre"), ("fr", 2, " et 2 autres"), ("fr", 21, " et 21 autres"),
     ("de", 1, " und 1 weiterer"), ("de", 2, " und 2 weitere"), ("de", 21, " und 21 weitere"),
     ("en", 1, " and 1 more"), ("en", 21, " and 21 more")],
)  # fmt: skip
def test_what_else_is_open_counts_the_rest_by_plural(
    service: ProgramService, language: str, count: int, ending: str
):
    items = service.program.talks[: ALSO_NAMED + count]
    line = also_open(items, str, service.conference.tz, words(language))
    assert line is not None and line.endswith(ending), line


@pytest.mark.parametrize(
    ("language", "count", "ending"),
    [("fr", 1, "1 autre"), ("fr", 2, "2 autres"), ("fr", 21, "21 autres"),
     ("de", 1, "1 weitere"), ("de", 21, "21 weitere"), ("en", 1, "1 more")],
)  # fmt: skip
def test_speakers_past_those_named_are_counted_by_plural(language: str, count: int, ending: str):
    joined = tuple(f"Person {n}" for n in range(NAMES_SHOWN + count))
    change = RecordedChange(1, 0, "p:x", (), "Talk", (ChangeKind.PEOPLE,), None, None,
                            joined=joined)  # fmt: skip
    said = people_changed(change, str, words(language))
    assert re.search(rf"\b{ending}\b(?!s)", said), said  # a whole word: not 'autres'


@pytest.mark.parametrize(
    ("language", "count", "description"),
    [("fr", 1, "1 élément que vous suivez, jusqu'à sa fin."),
     ("fr", 2, "2 éléments que vous suivez, dans l'ordre chronologique, jusqu'à leur fin."),
     ("fr", 21, "21 éléments que vous suivez, dans l'ordre chronologique, jusqu'à leur fin."),
     ("de", 1, "1 Programmpunkt auf deiner Liste, bis zu seinem Ende."),
     ("de", 2, "2 Programmpunkte auf deiner Liste, nach Zeit geordnet, jeweils bis zum Ende."),
     ("en", 1, "1 item you follow, in time order, until each ends.")],
)  # fmt: skip
def test_an_agenda_of_one_is_said_in_the_singular(
    service: ProgramService, language: str, count: int, description: str
):
    talks = service.program.talks[:count]
    lines = [AgendaLine(f"p:{t.key}", t.title, t.slot, 10, ReminderStatus.ACTIVE, ())
             for t in talks]  # fmt: skip
    (card, *_) = agenda_cards(lines, service.conference, words(language))
    assert card.description.startswith(description), card.description


def test_french_counts_none_in_the_singular_and_german_in_the_plural():
    """The catalogs' Plural-Forms: French takes the singular for 0, German the plural."""
    assert words("fr").ntr("{count} more", "{count} more", 0, count=0) == "0 autre"
    assert words("de").ntr(" and {count} more", " and {count} more", 0, count=0) == (
        " und 0 weitere"
    )


@pytest.mark.parametrize(
    ("language", "moment"),
    [("en", "jul 10 11:00"), ("de", "Mittwoch, 10. Juli 11:00"),
     ("fr", "mercredi 10 juillet 11 h 00")],
)  # fmt: skip
def test_an_ended_conference_offers_a_moment_to_type_in_the_readers_words(
    service: ProgramService, language: str, moment: str
):
    """/next after the end says how to see the conference as it was: a moment typed as
    the reader types (never 'jul 10 11:00' inside a German sentence), which reads back."""
    conference = service.conference
    assert as_it_was(conference, words(language)) == moment
    asked = parse_when(moment, conference, pacific("2024-07-20T09:00"))
    assert asked == pacific("2024-07-10T11:00")
    ended = program_cards.next_cards(service.next(pacific("2024-07-20T09:00")), conference,
                                     w=words(language))  # fmt: skip
    assert f": {moment}`" in ended[0].description, ended[0].description
