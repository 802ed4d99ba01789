"""Organisers' channels at FOSDEM scale (FOSDEM 2025, from ../shared) through discord.py
and the fake Discord, which checks Discord's limits: a slot's post, talks starting
together, Q&A threads for some rooms only."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.adapters.discord.client import ConfBot
from bot.clock import FixedClock
from bot.render.cards import truncate
from bot.render.limits import EMBED_TOTAL_MAX
from tests.conftest import REAL_PROGRAMS, needs_shared
from tests.e2e.conftest import running_bot, travel, wait_for
from tests.fakediscord.server import DEFAULT_PERMISSIONS, MANAGE_GUILD, FakeDiscord

FOSDEM = REAL_PROGRAMS / "fosdem-2025.schedule.xml"
needs_shared(FOSDEM, module=True)
BRUSSELS = ZoneInfo("Europe/Brussels")
ORGANISER = DEFAULT_PERMISSIONS | MANAGE_GUILD


def brussels(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=BRUSSELS)


@pytest.fixture
async def fosdem(fake: FakeDiscord, tmp_path: Path) -> AsyncIterator[tuple[ConfBot, FixedClock]]:
    clock = FixedClock(brussels("2025-02-01T08:00"))
    fake.now = clock.at
    async with running_bot(fake, tmp_path, clock, CONFBOT_PROGRAM=str(FOSDEM),
                           CONFBOT_DELIVERY_PACE="0") as bot:  # fmt: skip
        yield bot, clock


async def organise(fake: FakeDiscord, command: str, **options: object) -> str:
    answer = await fake.answer(
        await fake.send_command(command, user=fake.owner, permissions=ORGANISER, **options)
    )
    content: str = answer.data["content"]
    return content


def size(message: dict) -> int:
    embeds = message.get("embeds") or []
    return sum(len(e.get("title", "")) + len(e.get("description", "")) for e in embeds)


async def test_the_10_30_slot_is_one_message_of_only_the_talks_starting_then(fake, fosdem):
    bot, clock = fosdem
    await travel(bot, fake, clock, brussels("2025-02-01T10:19"))
    await organise(fake, "announce channel", channel=fake.channel_id, minutes_before=10)
    await travel(bot, fake, clock, brussels("2025-02-01T10:20"))
    slot = "📣 24 talks start at 10:30 CET"

    def posted() -> list[dict]:
        return [m for m in fake.channel_messages.get(fake.channel_id, [])
                if m.get("embeds") and m["embeds"][0]["title"] == slot]  # fmt: skip

    await wait_for(posted, what="the 10:30 slot's post")
    (message,) = posted()  # fewest messages: 24 lines fit one
    lines = [line for e in message["embeds"] for line in e["description"].split("\n")][1:]
    starting = [
        t for t in bot.service.talks.values() if t.slot.start == brussels("2025-02-01T10:30")
    ]
    assert len(lines) == len(starting) == 24
    assert all(line.startswith("`10:30` **") for line in lines)
    assert size(message) <= EMBED_TOTAL_MAX


async def test_14_talks_starting_at_11_30_are_one_message(fake, fosdem):
    bot, clock = fosdem
    await travel(bot, fake, clock, brussels("2025-02-01T11:29"))
    await organise(fake, "announce channel", channel=fake.channel_id, per_talk=True)
    await travel(bot, fake, clock, brussels("2025-02-01T11:30"))
    title = "▶️ Now: 14 talks at 11:30 CET"

    def posted() -> list[dict]:
        return [m for m in fake.channel_messages.get(fake.channel_id, [])
                if m.get("embeds") and m["embeds"][0]["title"] == title]  # fmt: skip

    await wait_for(posted, what="the 11:30 lines")
    (message,) = posted()
    lines = [line for e in message["embeds"] for line in e["description"].split("\n")][1:]
    assert len(lines) == 14


async def test_qa_for_two_rooms_opens_their_threads_only_and_says_how_many(fake, fosdem):
    bot, clock = fosdem
    await travel(bot, fake, clock, brussels("2025-02-01T10:00"))
    rooms = ("H.1301 (Cornil)", "UB2.252A (Lameere)")
    said = await organise(fake, "qa channel", forum=fake.forum_id, minutes_before=30,
                          rooms="h.1301 (cornil), ub2.252a (lameere)")  # fmt: skip
    now = brussels("2025-02-01T10:00")
    wanted = [t for t in bot.service.talks.values() if t.slot.room in rooms and t.slot.start > now]
    saturday = sum(1 for t in wanted if t.slot.start.date() == now.date())
    assert f"{len(wanted)} threads, {saturday} on Sat Feb 1 and {len(wanted) - saturday}" in said
    soon = [t for t in wanted if (t.slot.start - now).total_seconds() <= 30 * 60]
    await wait_for(lambda: len(fake.threads) == len(soon), what="the threads starting soon")
    assert f"at most {len(soon)} at once" in said  # never more than a lead's worth
    moment = now
    while moment < brussels("2025-02-01T18:30"):  # each thread at its own time
        moment += timedelta(minutes=10)
        await travel(bot, fake, clock, moment)
        due = [t for t in wanted if t.slot.start - timedelta(minutes=30) <= moment]
        count = len(due)
        await wait_for(lambda n=count: len(fake.threads) == n, what=f"the threads at {moment}")
    names = {t["name"] for t in fake.threads.values()}
    assert names == {truncate(t.title, 100) for t in due}  # only the two rooms' talks


async def test_announce_channel_forecasts_what_it_plans_in_words_of_what_it_posts(fake, fosdem):
    # At 9:00 on day one the answer said "each FOSDEM 2025 session… 10 min before" while
    # it planned a post per start time of a talk (FOSDEM's blocks are rooms' days, not
    # sessions), and a message per start time with per_talk: it said neither how many.
    bot, clock = fosdem
    await travel(bot, fake, clock, brussels("2025-02-01T09:00"))
    said = await organise(fake, "announce channel", channel=fake.channel_id, per_talk=True)
    await bot.scheduler.replan()
    ledger = bot.state.ledger
    slots = await ledger.deliveries(kind="slot", conference=bot.service.conference.key)
    lines = await ledger.deliveries(kind="talk", conference=bot.service.conference.key)
    assert len(slots) == len(lines) == 193
    assert "193 posts over 2 days, at most one every 5 min; with per_talk, 193 more" in said
    assert "what starts at each time of FOSDEM 2025, 10 min before" in said
    assert "session" not in said


async def test_announce_off_says_the_room_channels_still_post(fake, fosdem):
    # "Announcements are off." while H.2213's channel kept posting each talk there: off
    # leaves room channels on (docs/organisers.md), and now the answer says so.
    bot, clock = fosdem
    await travel(bot, fake, clock, brussels("2025-02-01T09:00"))
    await organise(fake, "announce channel", channel=fake.channel_id)
    await organise(fake, "announce room", room="H.2213", channel=fake.room_channel_id)
    said = await organise(fake, "announce off")
    assert said.startswith("Announcements are off: the announcement channel posts nothing more,")
    assert said.endswith(
        " Room channels still post: H.2213 (`/announce room` without a channel stops one)."
    )
    (room,) = await bot.state.announcements.rooms(bot.service.conference.key, fake.guild_id)
    assert room.enabled  # as the answer says
