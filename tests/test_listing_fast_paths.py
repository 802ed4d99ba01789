"""A day's listing is rendered by fast paths (the titles escaped in one search, each
distinct start formatted once, a room's lines laid out a field at a time, a clock
without strftime, fit keeping fields already within limits): they must give the very
cards, character for character, that the straightforward way gives (escape and
_short_time per talk, the pager line by line), on every day of every real program and
of a generated 100-room program, and on random lists at every edge of a page."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

import pytest

from benchmarks.synth import write_rooms_program
from bot.i18n import ENGLISH, Words
from bot.importer.registry import read_source
from bot.model import Slot
from bot.render import cards, pager, program_cards, timefmt
from bot.render.cards import Card, Field
from bot.render.markdown import Escaped, escape, escape_all
from bot.render.pager import Entry, Group, Line, Piece, Room, paginate_items
from bot.service import ProgramService
from bot.service.results import DayAnswer, SessionBlock
from tests.conftest import REAL_PROGRAMS, needs_shared

T = TypeVar("T")

# Every real program, with the zone it needs to be read.
PROGRAMS: dict[str, str | None] = {
    "fosdem-2025.schedule.xml": None,
    "fosdem-2021.schedule.xml": "Europe/Brussels",
    "ccc-36c3.frab.schedule.json": None,
    "ccc-31c3.schedule.xml": None,
    "ccc-38c3-hub.schedule2-example.json": None,
    "cccamp2019.frab.schedule.json": None,
    "rc3-2020-channels.pretalx.schedule.json": None,
    "debconf23.schedule.xml": None,
    "privacyweek-2017.schedule.xml": None,
    "lca2020.ics": None,
    "kielux-2020.ics": None,
}


class Straightforward:
    """The straightforward way, patched in for the block: counts that it ran, so that a
    comparison of the fast way with itself cannot pass unnoticed."""

    def __init__(self) -> None:
        self.calls = {"lines": 0, "times": 0, "escape": 0, "clock": 0}

    def line_by_line(
        self, pages: pager._Pager, name: str, more: str, lines: Sequence[str], _: object
    ) -> None:
        self.calls["lines"] += 1
        for n, text in enumerate(lines):
            pages._group_line(name if n == 0 else more, text, first=n == 0)

    def short_times(self, slots: Sequence[Slot], tz: ZoneInfo, w: Words = ENGLISH) -> list[str]:
        self.calls["times"] += 1
        return [program_cards._short_time(slot, tz, w) for slot in slots]

    def escape_all(self, texts: Sequence[str]) -> list[Escaped]:
        self.calls["escape"] += 1
        return [escape(text) for text in texts]

    def clock(self, moment: datetime, tz: ZoneInfo) -> str:
        self.calls["clock"] += 1
        return f"{moment.astimezone(tz):%H:%M}"

    def render(self, make: Callable[[], T]) -> T:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(pager._Pager, "_group_fields",
                          lambda pages, *rest: self.line_by_line(pages, *rest))  # fmt: skip
            patch.setattr(program_cards, "_short_times", self.short_times)
            patch.setattr(program_cards, "escape_all", self.escape_all)
            patch.setattr(timefmt, "clock", self.clock)
            return make()


def line_by_line_pages(pieces: Sequence[Piece], room: Room) -> list[pager.Page]:
    return Straightforward().render(lambda: paginate_items(pieces, room))


def every_day(service: ProgramService) -> Iterator[DayAnswer]:
    for day in service.conference.days:
        yield service.day(day, datetime.combine(day, datetime.min.time(), UTC))


def assert_same_days(service: ProgramService) -> int:
    """Every day's cards both ways; how many talks they listed."""
    conference = service.conference
    talks = 0
    for answer in every_day(service):
        way = Straightforward()
        fast = program_cards.day_cards(answer, conference)
        plain = way.render(partial(program_cards.day_cards, answer, conference))
        assert fast == plain, answer.day
        listed = sum(len(i.talks) for i in answer.items if isinstance(i, SessionBlock))
        if listed:  # the straightforward way did run
            assert all(way.calls.values()), way.calls
        talks += listed
    return talks


@pytest.mark.parametrize("name", PROGRAMS)
def test_every_day_of_a_real_program_reads_the_same_either_way(name: str):
    path = REAL_PROGRAMS / name
    needs_shared(path)
    service = ProgramService(read_source(path, PROGRAMS[name]).program)
    assert assert_same_days(service) > 0


def test_every_day_of_a_generated_100_room_program_reads_the_same_either_way(tmp_path: Path):
    path = tmp_path / "rooms.json"
    write_rooms_program(path, rooms=100)
    service = ProgramService(read_source(path).program)
    assert assert_same_days(service) > 3000


# -- the pager: a field at a time, as line by line ---------------------------------------


@pytest.mark.parametrize("seed", range(40))
def test_a_group_laid_out_a_field_at_a_time_is_laid_out_as_line_by_line(seed: int):
    rng = random.Random(seed)

    def text(n: int) -> str:
        size = rng.choice([1, 5, 30, 80, 300, 700, 1000, 1023, 1024, 1025, 1100])
        return f"{n} " + "x" * size

    pieces: list[Piece] = []
    for n in range(rng.randint(1, 60)):
        shape = rng.choice(["line", "entry", "group", "group", "group"])
        if shape == "line":
            pieces.append(Line(text(n)))
        elif shape == "entry":
            pieces.append(Entry(f"entry {n}", text(n)))
        else:
            lines = [text(n * 100 + k) for k in range(rng.randint(0, 40))]
            if rng.random() < 0.1 and lines:
                lines[rng.randrange(len(lines))] = ""  # a blank line: line by line, as before
            heading = rng.choice([f"room {n}", "h" * rng.choice([10, 250, 256, 300])])
            pieces.append(Group(heading, tuple(lines)))
    room = Room(
        size=rng.choice([300, 1030, 1200, 3500, 5000]),
        description=rng.choice([200, 4096]),
        fields=rng.choice([1, 2, 8, 25]),
        items=rng.choice([None, None, 1, 3, 10, 40]),
    )
    assert paginate_items(pieces, room) == line_by_line_pages(pieces, room)


def test_a_group_at_each_limit_of_a_field_and_a_page_is_laid_out_as_line_by_line():
    for width in range(1, 60):
        lines = tuple("y" * (width + k % 7) for k in range(200))
        for room in (Room(size=3500, fields=8), Room(size=1500, fields=3, items=17)):
            pieces: list[Piece] = [Line("before"), Group("g", lines), Group("h", lines[:9])]
            assert paginate_items(pieces, room) == line_by_line_pages(pieces, room)


# -- titles, times, fields ---------------------------------------------------------------

MARKS = "\\*_~`|[]<>@#+-.):/ \n\t0123456789aZ"


def test_escaping_texts_together_is_escaping_each():
    rng = random.Random(5)
    for _ in range(3000):
        texts = ["".join(rng.choice(MARKS) for _ in range(rng.randint(0, 12)))
                 for _ in range(rng.randint(0, 6))]  # fmt: skip
        if texts and rng.random() < 0.2:
            texts[0] = escape(texts[0])  # escaped already: unchanged
        assert escape_all(texts) == [escape(text) for text in texts], texts
    assert escape_all(["a", "https://x", "b", "c", "  - item", "1. one", "@everyone"]) == [
        "a", "https\\://x", "b", "c", "  \\- item", "1\\. one", "\\@everyone"
    ]  # fmt: skip


def test_the_clock_reads_as_strftime_did_through_a_year_of_changes_of_time():
    for zone in ("Europe/Brussels", "America/Los_Angeles", "Australia/Lord_Howe", "UTC"):
        tz = ZoneInfo(zone)
        moment = datetime(2025, 1, 1, tzinfo=UTC)
        while moment.year == 2025:
            assert timefmt.clock(moment, tz) == f"{moment.astimezone(tz):%H:%M}"
            moment += timedelta(minutes=20)


def test_fit_keeps_a_field_within_its_limits_as_cutting_it_would():
    for name, value in [("n", "v"), ("n" * 256, "v" * 1024), ("", "v"), ("n", ""),
                        ("n" * 257, "v"), ("n", "v" * 1025)]:  # fmt: skip
        (field,) = cards.fit(Card("T", fields=(Field(name, value, True),))).fields
        assert field == Field(cards.truncate(name, 256) or "\u200b",
                              cards.truncate(value, 1024) or "\u200b", True)  # fmt: skip
