"""/publish-events for a program bigger than Discord's 100 upcoming events per server: a
rolling window, the next sessions now and the rest as earlier ones end."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path

from bot.adapters.discord.client import ConfBot
from bot.adapters.discord.events_cog import EventsCog
from bot.clock import FixedClock
from tests.e2e.conftest import running_bot, travel, wait_for
from tests.fakediscord.server import DEFAULT_PERMISSIONS, FakeDiscord

MANAGE_EVENTS = 1 << 33
BERLIN = "+01:00"


def three_hundred_sessions(path: Path) -> None:
    """A pretalx schedule.json of 300 sessions: 60 rooms a day for 5 days, one talk per
    room and day, starting 5 minutes apart from 10:00 (so they end one by one)."""
    days = []
    for d in range(5):
        rooms = {}
        for r in range(60):
            start = datetime(2025, 12, 27 + d, 10, 0) + timedelta(minutes=5 * r)
            rooms[f"Room {r:02d}"] = [{
                "guid": f"{d:02d}{r:06d}-0000-4000-8000-000000000000", "id": d * 100 + r,
                "title": f"Talk {d}-{r}", "date": f"{start.isoformat()}{BERLIN}",
                "start": f"{start:%H:%M}", "duration": "00:30", "room": f"Room {r:02d}",
                "track": f"Talk {d}-{r}", "type": "lecture", "language": "en", "abstract": "",
                "description": "", "subtitle": "", "links": [],
                "persons": [{"public_name": f"Speaker {d}-{r}"}],
            }]  # fmt: skip
        days.append({"index": d + 1, "date": f"2025-12-{27 + d}", "rooms": rooms})
    data = {"schedule": {"version": "1", "conference": {
        "acronym": "big25", "title": "Big Congress", "start": "2025-12-27",
        "end": "2025-12-31", "time_zone_name": "Europe/Berlin", "days": days}}}  # fmt: skip
    path.write_text(json.dumps(data), encoding="utf-8")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text + BERLIN)


async def publish(fake: FakeDiscord) -> str:
    organiser = DEFAULT_PERMISSIONS | MANAGE_EVENTS
    interaction = await fake.send_command("publish-events", user=fake.owner, permissions=organiser)
    await fake.answer(interaction)
    await asyncio.wait_for(interaction.followed_up.wait(), 30)
    return str(interaction.followups[0]["content"])


def names(fake: FakeDiscord) -> set[str]:
    """The sessions published, by their track ("Talk 1-39, Sunday" is "Talk 1-39")."""
    return {e["name"].split(",")[0] for e in fake.scheduled_events.values()}


@asynccontextmanager
async def big_program(
    fake: FakeDiscord, tmp_path: Path
) -> AsyncIterator[tuple[ConfBot, FixedClock]]:
    """The bot on the 300-session program, at 09:00 on its first day (a clock we move)."""
    program = tmp_path / "schedule.json"
    three_hundred_sessions(program)
    clock = FixedClock(at("2025-12-27T09:00"))
    fake.now = clock.at
    async with running_bot(fake, tmp_path, clock, CONFBOT_PROGRAM=str(program)) as bot:
        yield bot, clock


async def test_the_window_publishes_the_next_100_then_the_rest(fake: FakeDiscord, tmp_path: Path):
    async with big_program(fake, tmp_path) as (bot, clock):
        summary = await publish(fake)
        assert summary.startswith("📅 Events: 100 created, 0 updated. 200 more sessions wait")
        assert len(fake.scheduled_events) == 100
        assert "Talk 1-39" in names(fake) and "Talk 1-40" not in names(fake)  # in start order

        # 10:50 on day 1: the first 5 sessions (10:00-10:20 starts) are over; their
        # events make room for the next 5.
        await travel(bot, fake, clock, at("2025-12-27T10:50"))
        await wait_for(lambda: "Talk 1-44" in names(fake), what="the window to roll")
        assert len(fake.scheduled_events) == 100
        assert not {"Talk 0-0", "Talk 0-4"} & names(fake)

        # The morning of day 4: days 1-3 are over; the window is day 4 and most of day 5.
        await travel(bot, fake, clock, at("2025-12-30T09:00"))
        await wait_for(lambda: "Talk 4-39" in names(fake), what="days 4 and 5")
        assert len(fake.scheduled_events) == 100 and "Talk 4-40" not in names(fake)

        # The morning of day 5: the rest of the program.
        await travel(bot, fake, clock, at("2025-12-31T09:00"))
        await wait_for(lambda: "Talk 4-59" in names(fake), what="the rest")
        assert len(fake.scheduled_events) == 60
        calls = [kind for kind, _ in fake.event_calls]
        # 100 + 5 + 100 + 20: what was over before it had room (the rest of day 2 and
        # day 3, skipped by the jump) was never published; rolling never edits.
        assert calls.count("create") == 225 and calls.count("edit") == 0
    assert not fake.protocol_errors


async def test_events_of_other_apps_leave_less_room_and_error_30038_fails_nothing(
    fake: FakeDiscord, tmp_path: Path
):
    for n in range(3):  # another app's events, which the bot's cache never saw
        fake.scheduled_events[n] = {"guild_id": str(fake.guild_id), "status": 1,
                                    "name": f"Other {n}"}  # fmt: skip
    async with big_program(fake, tmp_path):
        summary = await publish(fake)
    assert summary.startswith("📅 Events: 97 created, 0 updated. 203 more sessions wait")
    assert "failed" not in summary
    assert len(fake.scheduled_events) == 100


async def test_removing_the_events_stops_the_window(fake: FakeDiscord, tmp_path: Path):
    async with big_program(fake, tmp_path) as (bot, clock):
        await publish(fake)
        organiser = DEFAULT_PERMISSIONS | MANAGE_EVENTS
        removing = await fake.send_command("publish-events", user=fake.owner,
                                           permissions=organiser, action="remove")  # fmt: skip
        await fake.answer(removing)
        await asyncio.wait_for(removing.followed_up.wait(), 30)
        clock.at = fake.now = at("2025-12-27T10:50")
        cog = bot.get_cog("EventsCog")
        assert isinstance(cog, EventsCog)
        await cog.roll()
    assert fake.scheduled_events == {}
