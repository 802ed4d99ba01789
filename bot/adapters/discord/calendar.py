"""Calendar files in Discord: the persistent "Add to calendar" button and attachments."""

from __future__ import annotations

import asyncio
import io
import re
import weakref
from collections.abc import Callable
from datetime import date, datetime
from typing import Any, Protocol, TypeVar

import discord

from bot.adapters.discord.conference_option import picked
from bot.adapters.discord.embeds import NO_MENTIONS
from bot.adapters.discord.respond import send
from bot.adapters.discord.speech import reader_words
from bot.adapters.discord.tree import answers_errors
from bot.bulk import bulk_build
from bot.clock import Clock
from bot.i18n import ENGLISH, N_, Words
from bot.live.conferences import Conferences
from bot.render import ics
from bot.render.markdown import say
from bot.service import ProgramService, QueryError

T = TypeVar("T")
BUTTON_ID = re.compile(r"ics:(?P<ref>[ps]:[-\w]+)")


class ProgramClient(Protocol):
    conferences: Conferences
    clock: Clock


def item_calendar(service: ProgramService, ref: str, now: datetime) -> tuple[bytes, str] | None:
    item = service.remindable(ref)
    if item is None:
        return None
    data = ics.calendar([item], service.conference, item.title, now, service.session_talks)
    return data, ics.filename(service.conference, item.key)


async def send_calendar(
    interaction: discord.Interaction, data: bytes, name: str, text: str
) -> None:
    """An .ics as a private attachment (a followup if the interaction was deferred)."""
    file = discord.File(io.BytesIO(data), filename=name)
    await send(interaction, content=text, file=file, ephemeral=True, allowed_mentions=NO_MENTIONS)


class ProgramCalendar:
    """The whole program as .ics, built once per program and never on the event loop: at
    10,000 talks it takes seconds, which would stall heartbeats and every other answer.
    Concurrent requests share one build; a new program (a new service) gets a new one."""

    def __init__(self) -> None:
        self._whole: weakref.WeakKeyDictionary[ProgramService, asyncio.Future[bytes]] = (
            weakref.WeakKeyDictionary()
        )
        self._days: weakref.WeakKeyDictionary[
            ProgramService, asyncio.Future[list[tuple[date, bytes]]]
        ] = weakref.WeakKeyDictionary()

    async def whole(self, service: ProgramService, stamp: datetime) -> bytes:
        def build() -> bytes:
            items = service.calendar_items()
            conference = service.conference
            return ics.calendar(items, conference, conference.name, stamp, service.session_talks)

        return await _once(self._whole, service, build)

    async def by_day(self, service: ProgramService, stamp: datetime) -> list[tuple[date, bytes]]:
        def build() -> list[tuple[date, bytes]]:
            conference = service.conference
            days: dict[date, list[ics.Item]] = {}
            for item in service.calendar_items():
                days.setdefault(item.slot.start.astimezone(conference.tz).date(), []).append(item)
            return [
                (
                    day,
                    ics.calendar(
                        items,
                        conference,
                        _day_title(conference.name, day),
                        stamp,
                        service.session_talks,
                    ),
                )
                for day, items in sorted(days.items())
            ]

        return await _once(self._days, service, build)


async def _once(
    built: weakref.WeakKeyDictionary[ProgramService, asyncio.Future[T]],
    service: ProgramService,
    build: Callable[[], T],
) -> T:
    if service not in built:
        built[service] = asyncio.ensure_future(asyncio.to_thread(_uncollected, build))
    try:
        return await asyncio.shield(built[service])
    except Exception:
        built.pop(service, None)  # a failed build is tried again next time
        raise


def _uncollected(build: Callable[[], T]) -> T:
    """`build` with the cycle collector paused. A 10,000-talk calendar is over a million
    short-lived icalendar objects, none in a cycle (reference counting frees them); the
    collector, run by their allocations, walked them all in single C calls of up to 98 ms
    while the event loop waited for the GIL (python -m benchmarks.sync)."""
    with bulk_build():
        return build()


async def send_program_calendar(
    interaction: discord.Interaction, service: ProgramService, calendars: ProgramCalendar,
    stamp: datetime,
) -> None:  # fmt: skip
    """Acknowledge at once (privately), then send the file, or one file per day when the
    whole is over this server's upload limit, or say why not."""
    await interaction.response.defer(ephemeral=True, thinking=True)
    conference = service.conference
    w = reader_words(interaction)
    limit = interaction.filesize_limit
    whole = await calendars.whole(service, stamp)
    if len(whole) <= limit:
        text = say(w.tr("📅 The whole {name} program, to open in your calendar."),
                   name=conference.name)  # fmt: skip
        await send_calendar(interaction, whole, ics.filename(conference, "program"), text)
        return
    days = await calendars.by_day(service, stamp)
    if any(len(data) > limit for _, data in days):
        raise QueryError(
            N_("The {name} program calendar is {size}, and even one day of it is over"
               " Discord's {limit} upload limit here. Ask the organisers for the file"
               " (`python -m bot export-ics` writes it)."),
            name=conference.name, size=_mb(len(whole)), limit=_mb(limit),
        )  # fmt: skip
    for number, (day, data) in enumerate(days):
        text = (
            say(w.ntr("📅 The {name} program is {size}, over Discord's {limit} upload limit"
                      " here, so it comes as {count} file, one per day: open it in your"
                      " calendar.",
                      "📅 The {name} program is {size}, over Discord's {limit} upload limit"
                      " here, so it comes as {count} files, one per day: open each in your"
                      " calendar.", len(days), count=len(days)),
                name=conference.name, size=_mb(len(whole)), limit=_mb(limit))
            if number == 0
            else ""
        )  # fmt: skip
        name = ics.filename(conference, f"program-{day.isoformat()}")
        await send_calendar(interaction, data, name, text)


def _day_title(name: str, day: date) -> str:
    return f"{name} · {day:%a %b} {day.day}"


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB" if size >= 100 * 1024 else f"{size / 1024:.0f} KB"


class CalendarButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]], template=BUTTON_ID.pattern
):
    """Works on any message, also after a restart: the item is in the custom id."""

    def __init__(self, ref: str, w: Words = ENGLISH) -> None:
        super().__init__(
            discord.ui.Button(
                label=w.tr("Add to calendar"),
                emoji="📅",
                style=discord.ButtonStyle.secondary,
                custom_id=f"ics:{ref}",
            )
        )
        self.ref = ref

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> CalendarButton:
        return cls(match["ref"])

    @answers_errors
    async def callback(self, interaction: discord.Interaction) -> None:
        client: ProgramClient = interaction.client  # type: ignore[assignment]
        # The id names the item, not its conference: the one this person asks about
        # first, then any other that has it.
        first = picked(client.conferences, interaction)
        now = client.clock.now()
        found = None
        for served in [first, *(s for s in client.conferences if s is not first)]:
            found = item_calendar(served.service, self.ref, now)
            if found is not None:
                break
        w = reader_words(interaction)
        if found is None:
            await interaction.response.send_message(
                w.tr("That item is no longer in the program."), ephemeral=True
            )
            return
        data, name = found
        await send_calendar(
            interaction, data, name, "📅 " + w.tr("Open this file to add it to your calendar.")
        )
