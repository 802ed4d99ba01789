"""Lookups found wrong on FOSDEM 2025 (issue 22's walkthrough): /session with a day,
/search's whole-word matches before close ones, /paper's runners-up told apart. At the
service and in the console; Discord's side is tests/e2e/test_lookups_e2e.py."""

from __future__ import annotations

import dataclasses
import re
from datetime import datetime

import pytest

from bot.adapters.console import Console
from bot.clock import FixedClock
from bot.importer.registry import read_source
from bot.model import Program
from bot.service import ProgramService, QueryError, WhenError
from bot.service.results import SessionAnswer, TrackAnswer
from bot.service.when import day_at_ends
from tests.conftest import REAL_PROGRAMS, needs_shared
from tests.refusal_words import english

FOSDEM = REAL_PROGRAMS / "fosdem-2025.schedule.xml"
CCC = REAL_PROGRAMS / "ccc-36c3.frab.schedule.json"
_loaded: dict[str, ProgramService] = {}


def real(path) -> ProgramService:  # type: ignore[no-untyped-def]
    needs_shared(path)
    if path.name not in _loaded:
        _loaded[path.name] = ProgramService(read_source(path).program)
    return _loaded[path.name]


def fosdem_at(moment: str) -> tuple[ProgramService, datetime]:
    service = real(FOSDEM)
    return service, datetime.fromisoformat(moment).replace(tzinfo=service.conference.tz)


# -- /session NAME DAY ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "split"),
    [
        ("Rust sunday", [("Rust", "sunday")]),
        ("Borg, Monday", [("Borg", "Monday")]),
        ("K.3.201 day 2", [("K.3.201", "day 2"), ("K.3.201 day", "2")]),
        ("sat LLVM", [("LLVM", "sat")]),
        ("Friends of OpenJDK", []),  # 'friends' is no Friday
        ("Decentralised 2", [("Decentralised", "2")]),  # '2' alone: parse_day refuses it
        ("Rust", []),
    ],
)
def test_a_day_is_looked_for_at_either_end_of_a_name(text: str, split: list[tuple[str, str]]):
    assert day_at_ends(text) == split


@pytest.mark.parametrize(
    ("typed", "title"),
    [
        ("K.3.201 sunday", "Inclusive Web, Sunday"),  # was "No session matches"
        ("k.3.201 saturday", "LLVM, Saturday"),
        ("sunday K.3.201", "Inclusive Web, Sunday"),
        ("K.3.201 day 1", "LLVM, Saturday"),
        ("K.3.201 feb 2", "Inclusive Web, Sunday"),
        ("llvm saturday", "LLVM, Saturday"),
        ("rust, saturday", "Rust, Saturday"),
        ("Rust, Saturday", "Rust, Saturday"),
    ],
)
def test_a_room_or_track_with_a_day_is_that_days_block(typed: str, title: str):
    service, now = fosdem_at("2025-02-01T12:00")
    answer = service.session_or_track(typed, now)
    assert isinstance(answer, SessionAnswer)
    assert answer.session.title == title


def test_the_room_asked_on_another_day_names_the_day_it_left_out():
    service, now = fosdem_at("2025-02-01T12:00")
    answer = service.session("K.3.201 sunday", now)
    assert isinstance(answer, SessionAnswer)
    assert [s.day.isoformat() for s in (answer.session, *answer.runners_up)] == ["2025-02-02"] * (
        1 + len(answer.runners_up)
    )
    assert [d.isoformat() for d in answer.other_days] == ["2025-02-01"]


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("Rust sunday", "Rust is on Saturday only, not Sunday: /session Rust shows it."),
        ("Kernel saturday", "Kernel is on Sunday only, not Saturday: /session Kernel shows it."),
        ("rsut sunday", "Rust is on Saturday only, not Sunday: /session Rust shows it."),
    ],
)
def test_a_track_on_a_day_without_its_block_is_one_sentence(typed: str, said: str):
    service, now = fosdem_at("2025-02-01T12:00")
    with pytest.raises(QueryError) as raised:
        service.session_or_track(typed, now)
    assert english(raised.value) == said


def test_a_day_the_conference_lacks_is_said():
    service, now = fosdem_at("2025-02-01T12:00")
    with pytest.raises(WhenError) as refused:
        service.session_or_track("Rust monday", now)
    assert re.search("FOSDEM 2025 has no Monday", english(refused.value))


def test_ccc_rooms_and_tracks_with_days():
    ccc = real(CCC)
    sunday = datetime(2019, 12, 29, 12, 0, tzinfo=ccc.conference.tz)
    friday = ccc.session_or_track("borg friday", sunday)
    assert isinstance(friday, SessionAnswer) and friday.session.title == "Borg, Friday"
    security = ccc.session_or_track("Security saturday", sunday)
    assert isinstance(security, TrackAnswer) and security.day is not None
    assert security.day.isoformat() == "2019-12-28"
    lca = real(REAL_PROGRAMS / "lca2020.ics")
    monday = datetime(2020, 1, 13, 12, tzinfo=lca.conference.tz)
    with pytest.raises(QueryError) as raised:
        lca.session_or_track("arena sunday", monday)
    said = "Arena is on Monday, Tuesday, Wednesday, Thursday and Friday, not Sunday."
    assert english(raised.value) == said


def test_a_named_session_with_a_weekday_in_its_name_is_taken_whole(program: Program):
    first = program.sessions[0]
    renamed = dataclasses.replace(first, title="Monday Keynote")
    sessions = (renamed, *program.sessions[1:])
    service = ProgramService(dataclasses.replace(program, sessions=sessions))
    now = datetime(2024, 7, 10, 10, 50, tzinfo=service.conference.tz)
    answer = service.session("monday keynote", now)  # OSDI '24 has no Monday
    assert isinstance(answer, SessionAnswer) and answer.session.title == "Monday Keynote"


def test_the_console_answers_a_room_with_a_day():
    service, now = fosdem_at("2025-02-01T12:00")
    console = Console(service, FixedClock(now))
    reply = console.execute("/session K.3.201 sunday")
    assert reply.text.startswith("Inclusive Web, Sunday")
    assert "Also on Saturday: add the day to the name." in reply.text
    refused = console.execute("/session Rust sunday")
    assert refused.text == "Rust is on Saturday only, not Sunday: /session Rust shows it."


# -- /search: the query's words first, then what is only close ----------------------------------


def test_search_lists_talks_holding_the_word_before_those_close_to_it():
    service = real(FOSDEM)
    answer = service.search("rust")
    titles = [t.title for t in answer.talks]
    held = len(titles) - answer.close_talks
    assert [re.search(r"\brust", t, re.IGNORECASE) is not None for t in titles] == (
        [True] * held + [False] * answer.close_talks
    )
    assert held == 18 and "Augurs: a time series toolkit for Rust" in titles[:held]
    assert "Let's talk about anti-trust!" in titles[held:]
    assert "Secure Push Attestation with Extensible REST APIs" in titles[held:]


def test_a_word_that_starts_a_title_word_holds_it_and_typos_stay_in_score_order():
    service = real(FOSDEM)
    postgres = service.search("postgres")
    assert postgres.close_talks == 0 and len(postgres.talks) == 6  # PostgreSQL holds it
    typo = service.search("postgrse")  # nothing holds a typo: one list, as before
    assert typo.close_talks == 0 and typo.talks


def test_the_console_shows_the_close_ones_under_their_own_heading():
    service, now = fosdem_at("2025-02-01T12:00")
    lines = Console(service, FixedClock(now)).execute("/search rust").text.splitlines()
    close = lines.index("Also close")
    assert lines[close + 1].startswith("  Let's talk about anti-trust!")
    assert all("rust" in line.lower().split(" — ")[0] for line in lines[3:close])


# -- /paper: a repeated title in "Also close" says when and where ----------------------------


def test_a_repeat_in_also_close_says_its_day_time_and_room():
    service, now = fosdem_at("2025-02-01T10:00")
    text = Console(service, FixedClock(now)).execute("/paper learn python programming using hedy")
    lines = text.text.splitlines()
    close = lines.index("Also close:")
    assert lines[close + 1] == (
        "  Learn Python programming using Hedy — Sun Feb 2, 16:00–17:00 CET · UD6.203"
    )
    assert lines[close + 2] == "  The Hedy Programming Language"  # no twin: as before
