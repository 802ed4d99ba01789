"""Tracks across rooms and days, rooms resolved to today's block, and the one day reader,
at the service and in the console (Discord's side is tests/e2e/test_tracks_e2e.py)."""

from __future__ import annotations

import dataclasses
import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.adapters.console import OK, USAGE, Console
from bot.clock import FixedClock
from bot.importer.registry import read_source
from bot.model import Program
from bot.render import program_cards
from bot.service import ProgramService, QueryError, WhenError, parse_day
from bot.service.results import NoMatch, SessionAnswer, TrackAnswer
from tests.conftest import REAL_PROGRAMS, needs_shared, pacific
from tests.huge_track import HUGE_MONDAY, write_huge_program
from tests.refusal_words import english

DURING = pacific("2024-07-10T10:50")
FOSDEM = REAL_PROGRAMS / "fosdem-2025.schedule.xml"
CCC = REAL_PROGRAMS / "ccc-36c3.frab.schedule.json"
BRUSSELS = ZoneInfo("Europe/Brussels")
BERLIN = ZoneInfo("Europe/Berlin")
_loaded: dict[str, ProgramService] = {}


def real(path) -> ProgramService:  # type: ignore[no-untyped-def]
    needs_shared(path)
    if path.name not in _loaded:
        _loaded[path.name] = ProgramService(read_source(path).program)
    return _loaded[path.name]


# -- days ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("today", "2024-07-10"), ("Tomorrow", "2024-07-11"), ("day 3", "2024-07-12"),
        ("DAY 1", "2024-07-10"), ("thursday", "2024-07-11"), ("thu", "2024-07-11"),
        ("2024-07-12", "2024-07-12"), ("jul 11", "2024-07-11"), ("11 july", "2024-07-11"),
        ("Friday, July 12", "2024-07-12"), ("friday july 12", "2024-07-12"),
    ],
)  # fmt: skip
def test_every_day_spelling_reads(program: Program, text: str, day: str):
    assert parse_day(text, program.conference, DURING) == date.fromisoformat(day)


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("day 4", "OSDI '24 has days 1 to 3."),
        ("monday", "OSDI '24 has no Monday: it runs Wed Jul 10 to Fri Jul 12."),
        ("Thursday, July 12", "July 12, 2024 is a Friday, not a Thursday."),
        ("banana", "I can't read 'banana' as a day."),
        ("", "Please give a day"),
        ("x" * 65, "That is too long for a day."),
    ],
)
def test_a_day_that_is_not_one_gets_one_sentence(program: Program, text: str, said: str):
    with pytest.raises(WhenError) as caught:
        parse_day(text, program.conference, DURING)
    assert english(caught.value).startswith(said)
    assert "\n" not in english(caught.value)


def test_a_date_outside_the_conference_names_its_days(service: ProgramService):
    days = r"Wednesday, July 10, .* and Friday, July 12\.$"
    with pytest.raises(QueryError) as refused:
        service.day("tomorrow", pacific("2024-07-12T09:00"))
    assert re.search(r"^OSDI '24 has no Saturday, July 13, 2024; its days are " + days,
                     english(refused.value))  # fmt: skip


def test_a_month_and_day_at_a_conference_over_new_year_is_in_its_second_year(program: Program):
    conference = dataclasses.replace(
        program.conference, start_date=date(2024, 12, 30), end_date=date(2025, 1, 2)
    )
    assert parse_day("jan 1", conference, DURING) == date(2025, 1, 1)
    assert parse_day("dec 31", conference, DURING) == date(2024, 12, 31)


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(st.text(max_size=80))
def test_any_text_is_a_day_or_one_sentence(service: ProgramService, text: str):
    said = ""
    try:
        day = service.day_named(text, DURING)
    except (WhenError, QueryError) as refused:
        said = english(refused)
    if said:
        assert "\n" not in said
    else:
        assert day in service.conference.days


# -- the console asks the same ------------------------------------------------------------


@pytest.mark.parametrize("line", ["/schedule today", "/schedule tomorrow", "/schedule day 2",
                                  "/schedule Thursday, July 11"])  # fmt: skip
def test_the_console_reads_the_same_days(service: ProgramService, line: str):
    reply = Console(service, FixedClock(DURING)).execute(line)
    assert reply.code == OK
    assert reply.text.startswith("OSDI '24 · ")


def test_the_console_answers_track_and_session_as_discord_does():
    ccc = real(CCC)
    console = Console(ccc, FixedClock(datetime(2019, 12, 29, 12, 0, tzinfo=ccc.conference.tz)))
    track = console.execute("/track security day:saturday")
    assert track.code == OK
    assert track.text.startswith("Security · Saturday, December 28 · 15 talks in 5 rooms")
    assert track.text.endswith("Also on Friday and Sunday: /track lists every day.")
    session = console.execute("/session Borg")
    assert session.text.startswith("Borg, Sunday")
    refused = console.execute("/track Borg")
    assert (refused.code, refused.text) == (USAGE, "“Borg” is a room, not a track:"
                                                   " /session Borg shows its talks.")  # fmt: skip
    assert "/track <name> [day:D]" in console.execute("/help").text


# -- tracks on real programs ----------------------------------------------------------------


def test_every_fosdem_track_on_every_day_is_listed_exactly_once_across_pages():
    fosdem = real(FOSDEM)
    assert len(fosdem.tracks) == 69
    sunday = datetime(2025, 2, 2, 11, 0, tzinfo=BRUSSELS)
    for track in fosdem.tracks:
        expected = sorted(t.key for t in fosdem.talks.values() if t.talk.track == track)
        every = fosdem.track(track, sunday)
        assert isinstance(every, TrackAnswer)
        assert sorted(t.key for t in every.talks) == expected
        by_day = []
        for day in every.days:
            answer = fosdem.track(track, sunday, day)
            assert isinstance(answer, TrackAnswer)
            by_day += [t.key for t in answer.talks]
            pages = program_cards.track_cards(answer, fosdem.conference)
            lines = [line for p in pages for f in p.fields for line in f.value.split("\n")]
            assert len(lines) == len(answer.talks)
        assert sorted(by_day) == expected


def test_a_track_of_943_talks_pages_with_each_talk_once():
    fosdem = real(FOSDEM)
    talks = tuple(dataclasses.replace(t, track="Everything") for t in fosdem.program.talks)
    everything = ProgramService(dataclasses.replace(fosdem.program, talks=talks))
    answer = everything.track("everything", datetime(2025, 2, 1, 9, 0, tzinfo=BRUSSELS))
    assert isinstance(answer, TrackAnswer)
    pages = program_cards.track_cards(answer, fosdem.conference)
    assert len(pages) > 10
    assert all(p.footer and p.footer.endswith(" · 943 talks") for p in pages)
    lines = [line for p in pages for f in p.fields for line in f.value.split("\n")]
    shown = sorted(line.split("` ", 1)[1].rsplit(" · 📍 ", 1)[1] for line in lines)
    assert shown == sorted(t.slot.room or "" for t in talks)
    assert len(lines) == 943


def test_a_track_in_two_rooms_on_both_days_lists_them_all_in_time_order():
    fosdem = real(FOSDEM)
    answer = fosdem.track("fosdem junior", datetime(2025, 2, 1, 9, 0, tzinfo=BRUSSELS))
    assert isinstance(answer, TrackAnswer)
    assert answer.rooms == ("UD6.203", "UD6.205") and len(answer.days) == 2
    starts = [t.slot.start for t in answer.talks]
    assert starts == sorted(starts)


@pytest.mark.parametrize(
    ("now", "title"),
    [
        ("2025-02-01T15:00", "DNS, Saturday"),  # H.2213 holds LibreOffice, then DNS
        ("2025-02-01T09:00", "LibreOffice, Saturday"),
        ("2025-02-02T11:00", "Software Bill of Materials (SBOM), Sunday"),
        ("2025-01-20T11:00", "LibreOffice, Saturday"),  # before: the first day
    ],
)
def test_a_room_is_todays_block_on_now_or_next(now: str, title: str):
    fosdem = real(FOSDEM)
    answer = fosdem.session("h.2213", datetime.fromisoformat(now).replace(tzinfo=BRUSSELS))
    assert isinstance(answer, SessionAnswer)
    assert answer.session.title == title


def test_a_session_asked_with_its_day_or_without_now_is_as_typed():
    ccc = real(CCC)
    sunday = datetime(2019, 12, 29, 12, 0, tzinfo=ccc.conference.tz)
    monday = ccc.session("borg monday", sunday)
    assert isinstance(monday, SessionAnswer) and monday.session.title == "Borg, Monday"
    typo = ccc.session("borgg", sunday)
    assert isinstance(typo, SessionAnswer) and typo.session.title == "Borg, Sunday"
    unresolved = ccc.session("borg")  # no `now`: as before, the best match
    assert isinstance(unresolved, SessionAnswer)


@pytest.mark.parametrize("day", ["sunday", "Sun", "tomorrow", "day 2", "feb 2", "2025-02-02"])
def test_a_room_with_a_day_added_is_that_days_block(day: str):
    """A room's answer says "add the day to the name"; at FOSDEM a room's blocks are
    named after their devrooms, so the room and day have to be read as such."""
    fosdem = real(FOSDEM)
    saturday = datetime(2025, 2, 1, 11, 2, tzinfo=BRUSSELS)
    answer = fosdem.session(f"K.3.201 {day}", saturday)
    assert isinstance(answer, SessionAnswer), answer
    assert (answer.session.title, answer.session.slot.room) == ("Inclusive Web, Sunday", "K.3.201")
    assert answer.other_days == (date(2025, 2, 1),)
    reply = Console(fosdem, FixedClock(saturday)).execute(f"/session K.3.201 {day}")
    assert reply.code == OK and reply.text.startswith("Inclusive Web, Sunday")


def test_a_room_with_a_day_it_has_no_block_on_names_the_days_it_has():
    fosdem = real(FOSDEM)
    saturday = datetime(2025, 2, 1, 11, 2, tzinfo=BRUSSELS)
    with pytest.raises(QueryError) as raised:  # only on Saturday: not its block as Sunday's
        fosdem.session("UD2.120 (Chavanne) sunday", saturday)
    assert english(raised.value) == (
        "UD2.120 (Chavanne) is on Saturday only, not Sunday: /session UD2.120 (Chavanne) shows it."
    )


@pytest.fixture
def huge(tmp_path) -> ProgramService:  # type: ignore[no-untyped-def]
    return ProgramService(read_source(write_huge_program(tmp_path / "huge.json")).program)


@pytest.mark.parametrize(("typed", "now"), [("Huge", "2025-03-03T09:00"),
                                             ("huge monday", "2025-03-04T09:00")])  # fmt: skip
def test_a_track_in_several_rooms_that_day_is_its_talks_of_the_day(huge, typed: str, now: str):
    """Issue 22: 'Huge (R1952), Monday' with 1 talk and 3 more blocks as 'Other sessions'
    was one room's block of a track whose Monday is four rooms' talks."""
    answer = huge.session_or_track(typed, datetime.fromisoformat(now).replace(tzinfo=BERLIN))
    assert isinstance(answer, TrackAnswer), answer
    assert answer == huge.track("Huge", DURING, date(2025, 3, 3))  # what /track gives
    assert sorted(t.title for t in answer.talks) == sorted(HUGE_MONDAY.values())
    assert answer.rooms == tuple(HUGE_MONDAY) and answer.other_days == (date(2025, 3, 4),)
    card = program_cards.track_cards(answer, huge.conference)[0]
    assert card.title == "Huge · Monday, March 3"
    assert "4 talks in 4 rooms." in card.description and "Also on Tuesday" in card.description
    console = Console(huge, FixedClock(datetime.fromisoformat(now).replace(tzinfo=BERLIN)))
    assert console.execute(f"/session {typed}").text.startswith("Huge · Monday, March 3")


@pytest.mark.parametrize(("typed", "now"), [("huge", "2025-03-04T09:00"),
                                             ("Huge tuesday", "2025-03-03T09:00")])  # fmt: skip
def test_a_track_whose_day_is_one_rooms_block_keeps_the_block(huge, typed: str, now: str):
    answer = huge.session_or_track(typed, datetime.fromisoformat(now).replace(tzinfo=BERLIN))
    assert isinstance(answer, SessionAnswer), answer
    assert answer.session.title == "Huge, Tuesday" and len(answer.talks) == 2
    assert answer.other_days == (date(2025, 3, 3),)


# -- hostile names --------------------------------------------------------------------------


def test_a_track_named_like_a_room(program: Program):
    room = "Grand Ballroom ABGH"
    talks = tuple(dataclasses.replace(t, track=room) if i % 2 else t
                  for i, t in enumerate(program.talks))  # fmt: skip
    service = ProgramService(dataclasses.replace(program, talks=talks))
    as_session = service.session_or_track("grand ballroom abgh", DURING)
    assert isinstance(as_session, SessionAnswer) and as_session.also_track == room
    card = program_cards.session_cards(as_session, service.conference)[0]
    assert "“Grand Ballroom ABGH” is also a track: `/track` lists its talks" in card.description
    as_track = service.track(room.lower(), DURING)
    assert isinstance(as_track, TrackAnswer) and as_track.also_room
    assert len(as_track.talks) == len(program.talks) // 2
    card = program_cards.track_cards(as_track, service.conference)[0]
    assert "“Grand Ballroom ABGH” is also a room: `/session` shows its day." in card.description


def test_200_characters_of_anything_get_one_sentence(service: ProgramService):
    ccc = real(CCC)
    typed = ("<@1> **x** 😀 ü " * 20)[:200]
    answer = ccc.track(typed, DURING)
    assert isinstance(answer, NoMatch) and answer.what == "track"
    with pytest.raises(QueryError, match=r"^That track name is 201 characters long"):
        ccc.track(typed + "x", DURING)
    with pytest.raises(QueryError, match=r"^OSDI '24 has no tracks\.$"):
        service.track("security", DURING)
