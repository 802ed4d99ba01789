"""Listings that never lose an item, through discord.py and the fake Discord (which
checks Discord's limits on every page): for every real program the bot reads and every
one of its days, the pages of `/schedule`, turned with the Paginator's buttons, hold
exactly that day's talks, each once; the same for a search with many hits. FOSDEM's
Saturday used to lose 56 talks, cut off with "…" at a field's 1,024 characters."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from bot.render.markdown import escape
from bot.service.results import SessionTalk
from tests.conftest import REAL_PROGRAMS, needs_shared
from tests.e2e.conftest import running_bot
from tests.fakediscord.server import FakeDiscord, Interaction

# Every real program the bot reads, with what it needs to read it.
PROGRAMS: dict[str, dict[str, str]] = {
    "fosdem-2025.schedule.xml": {},
    "fosdem-2021.schedule.xml": {"CONFBOT_TIMEZONE": "Europe/Brussels"},
    "ccc-36c3.frab.schedule.json": {},
    "ccc-31c3.schedule.xml": {},
    "ccc-38c3-hub.schedule2-example.json": {},
    "cccamp2019.frab.schedule.json": {},
    "rc3-2020-channels.pretalx.schedule.json": {},
    "debconf23.schedule.xml": {},
    "privacyweek-2017.schedule.xml": {},
    "lca2020.ics": {},
    "kielux-2020.ics": {},
}
needs_shared(*(REAL_PROGRAMS / name for name in PROGRAMS), module=True)

# A talk's line in a listing: '`10:30` Title' (a day) or '`Sat 10:30` Title · 📍 Room'.
TALK_LINE = re.compile(r"^`(?:≈ )?(?:[A-Z][a-z]{2} )?(\d\d:\d\d)` (.+?)(?: · 📍 .*)?$")
PAGE = re.compile(r"^Page (\d+) of (\d+) · (.+?)(?: · |$)")


def custom_ids(message: dict[str, Any]) -> list[str]:
    return [c["custom_id"] for row in message["components"] for c in row["components"]
            if "custom_id" in c]  # fmt: skip


async def every_page(fake: FakeDiscord, answer: Interaction) -> list[dict[str, Any]]:
    """The answer's embed, then each page the ▶ button turns to, until it is disabled;
    each page's counter checked against the pages seen."""
    pages = [answer.embeds[0]]
    if not answer.data.get("components"):
        return pages
    _previous, _counter, next_id = custom_ids(answer.message)
    data = answer.data
    while not _disabled(data, next_id):
        turned = await fake.answer(await fake.click(answer, next_id))
        assert turned.callback["type"] == 7  # the message is edited in place
        data = turned.data
        pages.append(data["embeds"][0])
    total = len(pages)
    for n, page in enumerate(pages, start=1):
        found = PAGE.match(page["footer"]["text"])
        assert found and (int(found[1]), int(found[2])) == (n, total), page["footer"]
    return pages


def _disabled(data: dict[str, Any], custom_id: str) -> bool:
    button = next(c for row in data["components"] for c in row["components"]
                  if c.get("custom_id") == custom_id)  # fmt: skip
    return bool(button.get("disabled"))


def talk_lines(pages: list[dict[str, Any]], under: str = "") -> Iterator[tuple[str, str]]:
    """(clock, title as shown) of every talk line on the pages' fields (named `under`...)."""
    for page in pages:
        for field in page.get("fields", []):
            if not field["name"].startswith(under):
                continue
            for line in field["value"].split("\n"):
                if found := TALK_LINE.match(line):
                    yield found[1], found[2]


def counted(pages: list[dict[str, Any]]) -> str | None:
    """What the page counter says the list holds ('470 talks'), if it pages."""
    footer = (pages[0].get("footer") or {}).get("text", "")
    return found[3] if (found := PAGE.match(footer)) else None


@pytest.mark.parametrize("name", list(PROGRAMS))
async def test_every_days_pages_hold_each_of_its_talks_once(
    fake: FakeDiscord, tmp_path: Path, name: str
):
    async with running_bot(fake, tmp_path, CONFBOT_PROGRAM=str(REAL_PROGRAMS / name),
                           **PROGRAMS[name]) as bot:  # fmt: skip
        service = bot.service
        tz = service.conference.tz
        days = [d for d in service.conference.days
                if any(s.day == d for s in service.program.sessions)]  # fmt: skip
        assert days
        for day in days:
            talks = [service.talks[k] for s in service.program.sessions if s.day == day
                     for k in s.talk_keys]  # fmt: skip
            answer = await fake.answer(await fake.send_command("schedule", day=day.isoformat()))
            pages = await every_page(fake, answer)
            shown = Counter(talk_lines(pages))
            expected = Counter((_clock(t, tz), escape(t.title)) for t in talks)
            assert shown == expected, (day, expected - shown, shown - expected)
            if len(pages) > 1:
                assert counted(pages) is not None
                assert counted(pages).startswith(f"{len(talks)} talk"), counted(pages)


def _clock(talk: SessionTalk, tz: Any) -> str:
    return f"{talk.slot.start.astimezone(tz):%H:%M}"


FOSDEM = REAL_PROGRAMS / "fosdem-2025.schedule.xml"


async def test_fosdems_saturday_shows_all_its_talks_on_ten_pages(fake: FakeDiscord, tmp_path):
    async with running_bot(fake, tmp_path, CONFBOT_PROGRAM=str(FOSDEM)) as bot:
        saturday = date(2025, 2, 1)
        talks = sum(len(s.talk_keys) for s in bot.service.program.sessions if s.day == saturday)
        answer = await fake.answer(await fake.send_command("schedule", day="2025-02-01"))
        pages = await every_page(fake, answer)
        assert sum(1 for _ in talk_lines(pages)) == talks == 470
        assert len(pages) == 10 and counted(pages) == "470 talks"
        assert not any(f["value"].endswith("…") for p in pages for f in p.get("fields", []))


async def test_a_search_with_many_hits_pages_through_all_of_them_with_a_count(
    fake: FakeDiscord, tmp_path: Path
):
    async with running_bot(fake, tmp_path, CONFBOT_PROGRAM=str(FOSDEM)) as bot:
        answer = await fake.answer(await fake.send_command("search", query="open"))
        pages = await every_page(fake, answer)
        service = bot.service
        tz = service.conference.tz
        found = service.search("open")
        assert len(found.talks) > 100 and not found.more
        # Every talk with the word in its title is there (not the best 5), each once.
        titled = [t for t in service.talks.values()
                  if re.search(r"\bopen\b", t.title, re.IGNORECASE)]  # fmt: skip
        assert {t.key for t in titled} <= {t.key for t in found.talks}
        shown = Counter(talk_lines(pages))
        listed = [*found.talks, *found.sessions]
        assert shown == Counter((_clock(t, tz), escape(t.title)) for t in listed)
        assert len(pages) > 2
        assert pages[0]["description"].startswith(f"{len(found.talks)} talks, ")
        assert counted(pages) == f"{found.count} matches"
        # each line says when and where
        lines = [line for p in pages for f in p["fields"] for line in f["value"].split("\n")]
        assert all(" · 📍 " in line for line in lines if TALK_LINE.match(line))


async def test_postgres_shows_every_match_and_says_how_many(fake: FakeDiscord, tmp_path: Path):
    """It showed the best 5 of 7 with no count; FOSDEM 2025 has 6 in its titles."""
    async with running_bot(fake, tmp_path, CONFBOT_PROGRAM=str(FOSDEM)) as bot:
        answer = await fake.answer(await fake.send_command("search", query="postgres"))
        (embed,) = answer.embeds
        titled = [t for t in bot.service.talks.values() if "postgres" in t.title.lower()]
        assert len(titled) == 6
        assert embed["description"].startswith("6 talks")
        shown = [title for _clock, title in talk_lines([embed], under="Talks")]
        assert len(shown) == 6
        assert set(shown) == {escape(t.title) for t in titled}
