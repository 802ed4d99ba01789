"""The board's service and renderers without Discord: background items, a name that is
both a room and a track, the console's filters, and escaping's fast path."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.adapters.console import USAGE, Console
from bot.clock import FixedClock
from bot.importer.registry import read_source
from bot.model import Program
from bot.render import markdown, program_cards
from bot.service import ProgramService, QueryError
from bot.service.results import is_ambient
from tests.conftest import REAL_PROGRAMS, needs_shared

FOSDEM = REAL_PROGRAMS / "fosdem-2025.schedule.xml"


@pytest.fixture(scope="module")
def fosdem() -> Program:
    needs_shared(FOSDEM)
    return read_source(FOSDEM).program


def test_long_and_background_items_are_ambient_and_talks_are_not(service: ProgramService):
    talk = next(iter(service.talks.values()))
    assert not is_ambient(talk)
    stand = replace(talk, talk=replace(talk.talk, kind="standtrack"))
    assert is_ambient(stand)
    slot = replace(talk.slot, end=talk.slot.start + timedelta(hours=8))
    all_day = replace(talk, talk=replace(talk.talk, slot=slot))
    assert is_ambient(all_day)


def test_a_name_that_is_a_room_and_a_track_is_taken_as_the_option_says_and_said(fosdem):
    talks = tuple(replace(t, track="K.3.201") if t.track == "LLVM" else t for t in fosdem.talks)
    service = ProgramService(replace(fosdem, talks=talks))
    as_room = service.where(room="K.3.201")
    assert (as_room.room, as_room.track) == ("K.3.201", None)
    assert as_room.note and "a track has that name too" in as_room.note
    as_track = service.where(track="k.3.201")
    assert (as_track.room, as_track.track) == (None, "K.3.201")
    at = datetime(2025, 2, 1, 10, 0, tzinfo=UTC)
    (card, *_) = program_cards.next_cards(service.next(at, where=as_track), service.conference)
    assert "Showing the track K.3.201; a room has that name too" in card.description
    assert card.title.endswith("· track K.3.201")


def test_hostile_filter_values_are_refused_in_one_sentence(fosdem):
    service = ProgramService(fosdem)
    for typed in ("\x00" * 5, "x" * 201, "Atlantis"):
        with pytest.raises(QueryError) as refused:
            service.where(room=typed)
        assert str(refused.value).count(". ") <= 1


def test_the_console_takes_the_same_filters(fosdem):
    console = Console(ProgramService(fosdem), FixedClock(datetime(2025, 2, 1, 10, 2, tzinfo=UTC)))
    shown = console.execute("/next room:K.3.201").text
    assert shown.startswith("FOSDEM 2025 · Sat Feb 1, 11:02 CET · K.3.201")
    assert "K.3.401" not in shown
    assert console.execute("/now track:Nowhere").code == USAGE


def test_escaping_fast_path_changes_nothing():
    rng = random.Random(22)
    alphabet = "ab 1.)#>+-\n:/@*_~`|[]<\\x9\teé"
    for _ in range(50_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        slow = markdown._INLINE.sub(r"\\\1", text)
        slow = markdown._EVERYONE.sub(r"\\@\1", slow)
        slow = markdown._AUTOLINK.sub(r"\1\\:", slow)
        slow = markdown._LINE_START.sub(r"\1\\\2", slow)
        slow = markdown._NUMBERED.sub(r"\1\\\2", slow)
        assert markdown.escape(text) == slow, repr(text)


def test_before_it_opens_the_console_shows_a_rooms_first_talk_once(fosdem):
    before = FixedClock(datetime(2025, 1, 31, 12, 0, tzinfo=UTC))
    shown = Console(ProgramService(fosdem), before).execute("/next room:K.3.201").text
    assert "FOSDEM 2025 starts tomorrow" in shown
    assert shown.count("A New Approach to Callee-Saved Registers in LLVM") == 1


def test_the_console_says_a_room_without_talks_has_none(fosdem):
    console = Console(ProgramService(fosdem), FixedClock(datetime(2025, 2, 1, 10, 2, tzinfo=UTC)))
    reply = console.execute("/next room:Janson")
    assert (reply.code, reply.text) == (USAGE, "Janson has no talks in this program.")


def test_before_it_opens_a_rooms_next_says_when_the_conference_opens(fosdem):
    # With a room filter the opening line gave that room's first start (10:35) as when
    # FOSDEM opens (09:00, as /next without a filter says).
    service = ProgramService(fosdem)
    before = datetime(2025, 1, 31, 12, 0, tzinfo=UTC)
    shown = Console(service, FixedClock(before)).execute("/next room:K.3.201").text
    assert "FOSDEM 2025 starts tomorrow: Sat Feb 1, 09:00" in shown
    answer = service.next(before, where=service.where(room="K.3.201"))
    (card, *_) = program_cards.next_cards(answer, service.conference)
    opens = int(datetime(2025, 2, 1, 8, 0, tzinfo=UTC).timestamp())
    assert f"opens <t:{opens}:R>" in card.description
