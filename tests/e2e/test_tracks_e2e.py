"""Tracks across rooms and days, rooms resolved to today's block, and days however people
spell them, through discord.py against the fake Discord, on real programs from ../shared
(FOSDEM 2025: 69 tracks in 29 rooms over two days; 36C3: tracks across five halls over
four days; linux.conf.au 2020 as iCalendar). Every page is read, by pressing ▶."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.discord.client import ConfBot
from bot.render.markdown import as_shown
from bot.service.results import SessionTalk
from tests.conftest import REAL_PROGRAMS, needs_shared
from tests.e2e.conftest import running_bot
from tests.fakediscord.server import FakeDiscord, Interaction
from tests.huge_track import HUGE_MONDAY, write_huge_program

FOSDEM = REAL_PROGRAMS / "fosdem-2025.schedule.xml"
CCC = REAL_PROGRAMS / "ccc-36c3.frab.schedule.json"
LCA = REAL_PROGRAMS / "lca2020.ics"
needs_shared(FOSDEM, CCC, LCA, module=True)
CCC_NAME = "36th Chaos Communication Congress"
CCC_DAYS = ("Friday, December 27, Saturday, December 28, Sunday, December 29 and Monday,"
            " December 30")  # fmt: skip


@pytest.fixture
async def fosdem(fake: FakeDiscord, tmp_path: Path) -> AsyncIterator[ConfBot]:
    # Sunday morning, FOSDEM's second and last day.
    async with running_bot(
        fake, tmp_path, CONFBOT_PROGRAM=str(FOSDEM), CONFBOT_NOW="2025-02-02T11:00"
    ) as instance:
        yield instance


@pytest.fixture
async def ccc(fake: FakeDiscord, tmp_path: Path) -> AsyncIterator[ConfBot]:
    # Sunday noon, the congress's third of four days.
    async with running_bot(
        fake, tmp_path, CONFBOT_PROGRAM=str(CCC), CONFBOT_NOW="2019-12-29T12:00"
    ) as instance:
        yield instance


async def all_pages(fake: FakeDiscord, asked: Interaction) -> list[dict[str, Any]]:
    """Every page of an answer: the first, then one per press of ▶."""
    answer = await fake.answer(asked)
    embeds = list(answer.embeds)
    footer = (embeds[0].get("footer") or {}).get("text", "")
    if not footer.startswith("Page 1 of "):
        return embeds
    count = int(footer.removeprefix("Page 1 of ").split()[0])
    assert answer.message is not None
    buttons = [c for row in answer.message["components"] for c in row["components"]]
    next_id = next(b["custom_id"] for b in buttons if b.get("label") == "▶")
    for _ in range(count - 1):
        turned = await fake.answer(await fake.click(answer, next_id))
        embeds += turned.data["embeds"]
    assert len(embeds) == count
    return embeds


def listed(embeds: list[dict[str, Any]]) -> list[str]:
    """A /track listing's talk lines, '`10:30` Title · 📍 Room', under day headings."""
    return [line for embed in embeds for f in embed.get("fields", [])
            for line in f["value"].split("\n")]  # fmt: skip


def track_talks(bot: ConfBot, track: str) -> list[SessionTalk]:
    return [t for t in bot.service.talks.values() if t.talk.track == track]


def titles(lines: list[str]) -> list[str]:
    return [as_shown(line.split("` ", 1)[1].rsplit(" · 📍 ", 1)[0]) for line in lines]


def rooms(lines: list[str]) -> list[str]:
    return [line.rsplit(" · 📍 ", 1)[1] for line in lines]


# -- /track ---------------------------------------------------------------------------------


async def test_track_lists_exactly_a_tracks_talks_across_rooms_and_days(fake, ccc: ConfBot):
    expected = track_talks(ccc, "Security")
    assert len({t.slot.room for t in expected}) == 5 and len({t.session.day for t in expected}) > 1
    embeds = await all_pages(fake, await fake.send_command("track", name="Security"))
    lines = listed(embeds)
    assert len(lines) == len(expected) == 42  # each talk exactly once across the pages
    assert sorted(titles(lines)) == sorted(t.title for t in expected)
    assert embeds[0]["title"] == "Security · every day"
    assert embeds[0]["description"].startswith("42 talks in 5 rooms on Friday, Saturday, and")
    assert len(embeds) == 1  # 42 short lines under 3 day headings: one page on a phone
    headings = [f["name"] for e in embeds for f in e["fields"]]
    assert headings[0] == "Friday, December 27" and headings[-1].startswith("Sunday, December 29")
    assert lines[0].startswith("`11:30` ") and lines[-1].startswith("`22:50` ")
    assert rooms(lines)[0] == "Borg" and set(rooms(lines)) == {t.slot.room for t in expected}


async def test_track_on_a_day_lists_that_days_talks_and_names_the_other_days(fake, ccc):
    embeds = await all_pages(fake, await fake.send_command("track", name="security", day="today"))
    sunday = [t for t in track_talks(ccc, "Security") if t.session.day.isoformat() == "2019-12-29"]
    assert sorted(titles(listed(embeds))) == sorted(t.title for t in sunday)
    assert embeds[0]["title"] == "Security · Sunday, December 29"
    assert "Also on Friday and Saturday" in embeds[0]["description"]


async def test_every_fosdem_track_lists_exactly_its_talks(fake: FakeDiscord, fosdem: ConfBot):
    tracks = fosdem.service.tracks
    assert len(tracks) == 69
    # The one in two rooms on both days, the biggest, and one of one room and day.
    for track in ("FOSDEM Junior", "Open Source In The European Legislative Landscape and"
                  " Beyond", "LLVM"):  # fmt: skip
        embeds = await all_pages(fake, await fake.send_command("track", name=track))
        expected = sorted(t.title for t in track_talks(fosdem, track))
        assert sorted(titles(listed(embeds))) == expected, track


async def test_track_autocomplete_offers_track_names(fake: FakeDiscord, fosdem):
    typed = await fake.answer(await fake.send_autocomplete("track", "name", "rust"))
    assert [c["value"] for c in typed.choices] == ["Rust"]
    empty = await fake.answer(await fake.send_autocomplete("track", "name", ""))
    assert len(empty.choices) == 25
    days = await fake.answer(await fake.send_autocomplete("track", "day", "sun", name="Rust"))
    assert days.choices == [{"name": "Sunday, February 2", "value": "2025-02-02"}]


async def test_track_refusals_are_one_sentence(fake: FakeDiscord, ccc):
    async def said(**options: str) -> str:
        answer = await fake.answer(await fake.send_command("track", **options))
        assert answer.ephemeral and "\n" not in answer.data["content"].strip()
        text: str = answer.data["content"]
        return text

    room = "“Borg” is a room, not a track: /session Borg shows its talks."
    assert await said(name="Borg") == room
    assert (await said(name="x" * 201)).startswith("That track name is 201 characters long")
    assert (await said(name=("ä😀<@1> " * 30)[:200])).startswith("No track matches")
    assert await said(name="Security", day="monday") == (
        "Security has no talks on Monday; it has talks on Friday, Saturday and Sunday."
    )
    assert await said(name="Security", day="2020-01-05") == (
        f"{CCC_NAME} has no Sunday, January 5, 2020; its days are {CCC_DAYS}."
    )


# -- /session resolves rooms and tracks to today's block --------------------------------


async def test_session_for_a_room_on_sunday_shows_sundays(fake: FakeDiscord, ccc):
    answer = await fake.answer(await fake.send_command("session", name="Borg"))
    (embed,) = answer.embeds
    assert embed["title"] == "Borg, Sunday"
    assert "Also on Friday, Saturday, and Monday: add the day to the name." in embed["description"]
    monday = await fake.answer(await fake.send_command("session", name="borg monday"))
    assert monday.embeds[0]["title"] == "Borg, Monday"


async def test_session_for_a_fosdem_room_on_sunday_shows_sundays(fake: FakeDiscord, fosdem):
    # H.2213 holds LibreOffice and DNS on Saturday, SBOM on Sunday.
    answer = await fake.answer(await fake.send_command("session", name="H.2213"))
    assert answer.embeds[0]["title"] == "Software Bill of Materials (SBOM), Sunday"
    assert "Also on Saturday" in answer.embeds[0]["description"]


async def test_session_for_a_track_across_rooms_lists_its_talks_of_the_day(fake, ccc):
    embeds = await all_pages(fake, await fake.send_command("session", name="Security"))
    assert embeds[0]["title"] == "Security · Sunday, December 29"  # not "Borg, Friday"
    assert set(rooms(listed(embeds))) == {"Ada", "Borg", "Clarke", "Eliza"}


async def test_session_for_a_track_in_several_rooms_that_day_lists_its_talks(fake, tmp_path):
    """Issue 22: /session Huge showed 'Huge (R1952), Monday' (1 talk, 3 'Other
    sessions'), one room's block of a track whose Monday is four rooms' talks."""
    huge = {"CONFBOT_PROGRAM": str(write_huge_program(tmp_path / "huge.json")),
            "CONFBOT_NOW": "2025-03-03T09:00"}  # fmt: skip
    async with running_bot(fake, tmp_path, **huge):
        embeds = await all_pages(fake, await fake.send_command("session", name="Huge"))
        assert embeds[0]["title"] == "Huge · Monday, March 3"
        assert embeds[0]["description"].startswith("4 talks in 4 rooms.")
        assert "Also on Tuesday" in embeds[0]["description"]
        lines = listed(embeds)
        assert sorted(titles(lines)) == sorted(HUGE_MONDAY.values())
        assert rooms(lines) == list(HUGE_MONDAY)  # in time order, one room each
        tuesday = await fake.answer(await fake.send_command("session", name="huge tuesday"))
        assert tuesday.embeds[0]["title"] == "Huge, Tuesday"  # one room's block: as before
        assert "Also on Monday" in tuesday.embeds[0]["description"]


# -- days, spelled every way ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "title"),
    [
        ("today", "Sunday, December 29"),
        ("tomorrow", "Monday, December 30"),
        ("yesterday", "Saturday, December 28"),
        ("day 2", "Saturday, December 28"),
        ("Day 1", "Friday, December 27"),
        ("saturday", "Saturday, December 28"),
        ("Sat", "Saturday, December 28"),
        ("2019-12-30", "Monday, December 30"),
        ("dec 28", "Saturday, December 28"),
        ("28 December", "Saturday, December 28"),
        ("Saturday, December 28", "Saturday, December 28"),
    ],
)
async def test_schedule_reads_every_day_spelling(fake: FakeDiscord, ccc, day: str, title: str):
    answer = await fake.answer(await fake.send_command("schedule", day=day))
    assert answer.embeds[0]["title"] == f"36th Chaos Communication Congress · {title}"


@pytest.mark.parametrize(
    ("day", "said"),
    [
        ("day 5", f"{CCC_NAME} has days 1 to 4."),
        ("tuesday", f"{CCC_NAME} has no Tuesday: it runs Fri Dec 27 to Mon Dec 30."),
        ("2019-12-31", f"{CCC_NAME} has no Tuesday, December 31, 2019; its days are {CCC_DAYS}."),
        ("Saturday, December 29", "December 29, 2019 is a Sunday, not a Saturday."),
    ],
)
async def test_a_day_outside_the_conference_gets_one_sentence(fake, ccc, day: str, said: str):
    answer = await fake.answer(await fake.send_command("schedule", day=day))
    assert answer.ephemeral
    assert answer.data["content"] == said


async def test_lca_days_by_number_and_name(fake: FakeDiscord, tmp_path: Path):
    lca = {"CONFBOT_PROGRAM": str(LCA), "CONFBOT_NOW": "2020-01-14T09:00"}
    async with running_bot(fake, tmp_path, **lca):
        for day, title in (("today", "Tuesday, January 14"), ("day 6", "Friday, January 17"),
                           ("tomorrow", "Wednesday, January 15")):  # fmt: skip
            answer = await fake.answer(await fake.send_command("schedule", day=day))
            assert answer.embeds[0]["title"].endswith(title), day
        room = await fake.answer(await fake.send_command("session", name="room 9"))
        assert room.embeds[0]["title"].endswith("Tuesday")
