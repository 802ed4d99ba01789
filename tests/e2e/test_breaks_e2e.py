"""An iCalendar program with a "Pause" and a "Déjeuner" beside its talks, through discord.py
and the fake Discord: the break gets no Q&A thread, no slot announcement and no line as
a talk starts; /schedule and /next show it for what it is, and /paper does not answer it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from bot.adapters.discord.client import ConfBot
from bot.clock import FixedClock
from bot.kinds import DeliveryKind
from bot.store.ledger_store import Delivery
from tests.e2e.conftest import running_bot, travel, wait_for
from tests.fakediscord.server import DEFAULT_PERMISSIONS, MANAGE_GUILD, FakeDiscord

ORGANISER = DEFAULT_PERMISSIONS | MANAGE_GUILD
# (uid, summary, local start, local end, location), on Thursday 13 June 2024 in Paris.
EVENTS = [
    ("open", "Ouverture et introduction", "0900", "0945", "Salle A"),
    ("pause", "Pause", "1000", "1030", "Foyer"),
    ("rust", "Atelier Rust", "1000", "1100", "Salle B"),
    ("bdd", "Les bases de données", "1030", "1115", "Salle A"),
    ("dej", "Déjeuner", "1200", "1330", "Foyer"),
]
TALKS = ["Atelier Rust", "Les bases de données", "Ouverture et introduction"]


def write_program(path: Path) -> Path:
    events = "".join(
        f"BEGIN:VEVENT\r\nUID:{uid}@journee\r\nSUMMARY:{title}\r\n"
        f"DTSTART:20240613T{start}00\r\nDTEND:20240613T{end}00\r\nLOCATION:{room}\r\n"
        "END:VEVENT\r\n"
        for uid, title, start, end, room in EVENTS
    )
    path.write_text(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//journee//FR\r\n"
        "X-WR-CALNAME:Journée du Libre\r\nX-WR-TIMEZONE:Europe/Paris\r\n"
        f"{events}END:VCALENDAR\r\n",
        encoding="utf-8",
    )
    return path


def paris(clock: str) -> datetime:
    """A time that Thursday in Paris (CEST, UTC+2), as a UTC instant."""
    hours, minutes = int(clock[:2]), int(clock[2:])
    return datetime(2024, 6, 13, hours - 2, minutes, tzinfo=UTC)


async def planned(bot: ConfBot, kind: DeliveryKind, count: int) -> list[Delivery]:
    """The deliveries of a kind once the scheduler's pass has planned `count` of them
    (it plans after the command answers, on its own task)."""
    assert bot.state is not None
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 15
    while len(found := await bot.state.ledger.deliveries(kind=kind)) < count:
        assert loop.time() < deadline, f"only {len(found)} {kind} deliveries planned"
        await asyncio.sleep(0.01)
    return found


async def organise(fake: FakeDiscord, command: str, **options: object) -> str:
    answer = await fake.answer(
        await fake.send_command(command, user=fake.owner, permissions=ORGANISER, **options)
    )
    content: str = answer.data["content"]
    return content


async def test_qa_opens_a_thread_for_each_talk_and_none_for_the_pause(
    fake: FakeDiscord, tmp_path: Path
):
    program = write_program(tmp_path / "journee.ics")
    clock = FixedClock(paris("0850"))
    async with running_bot(fake, tmp_path, clock, CONFBOT_PROGRAM=str(program),
                           CONFBOT_DELIVERY_PACE="0") as bot:  # fmt: skip
        await organise(fake, "qa channel", forum=fake.forum_id)
        threads = await planned(bot, DeliveryKind.THREAD, 3)
        service = bot.service
        assert sorted(service.talks[d.item_ref[2:]].title for d in threads) == TALKS
        assert [e.title for e in service.program.events] == ["Pause", "Déjeuner"]
        # Each talk's thread opens 5 minutes before it; the Pause would be due at 9:55.
        for count, moment in ((1, "0856"), (2, "0956"), (3, "1026")):
            await travel(bot, fake, clock, paris(moment))
            await wait_for(lambda n=count: len(fake.threads) >= n, timeout=15,
                           what=f"thread {count}")  # fmt: skip
        assert len(await planned(bot, DeliveryKind.THREAD, 3)) == 3
    assert sorted(t["name"] for t in fake.threads.values()) == TALKS


async def test_the_slot_announcement_and_talk_lines_leave_the_pause_out(
    fake: FakeDiscord, tmp_path: Path
):
    program = write_program(tmp_path / "journee.ics")
    clock = FixedClock(paris("0850"))
    async with running_bot(fake, tmp_path, clock, CONFBOT_PROGRAM=str(program),
                           CONFBOT_DELIVERY_PACE="0") as bot:  # fmt: skip
        await organise(fake, "announce channel", channel=fake.channel_id, per_talk=True)
        slots = await planned(bot, DeliveryKind.SLOT, 3)
        # When talks start: 9:00, 10:00 and 10:30; the lunch at 12:00 starts no slot.
        assert [d.item_ref for d in slots] == [
            f"slot:{int(paris(hhmm).timestamp())}" for hhmm in ("0900", "1000", "1030")
        ]
        lines = await planned(bot, DeliveryKind.TALK, 3)
        assert len(lines) == 3  # one per talk, none for the Pause or the lunch
        await travel(bot, fake, clock, paris("1001"))  # the 10:00 slot, and its talk starts
        due = [slots[1].id, lines[1].id]  # 9:00's ended by then: skipped

        async def sent() -> bool:
            assert bot.state is not None
            done = {d.id for d in await bot.state.ledger.deliveries() if d.state == "sent"}
            return set(due) <= done

        loop = asyncio.get_running_loop()
        deadline = loop.time() + 15
        while not await sent():
            assert loop.time() < deadline, "the 10:00 posts were never sent"
            await asyncio.sleep(0.01)
    posted = str(fake.channel_messages[fake.channel_id])
    assert "Atelier Rust" in posted and "Pause" not in posted


async def test_schedule_and_next_show_the_pause_in_its_place_and_paper_does_not(
    fake: FakeDiscord, tmp_path: Path
):
    program = write_program(tmp_path / "journee.ics")
    async with running_bot(fake, tmp_path, FixedClock(paris("0950")),
                           CONFBOT_PROGRAM=str(program)):  # fmt: skip
        day = await fake.answer(await fake.send_command("schedule", day="2024-06-13"))
        names = [f["name"] for embed in day.embeds for f in embed["fields"]]
        assert any("Break: Pause" in n for n in names), names
        assert any("Meal: Déjeuner" in n for n in names), names
        after_ouverture = next(i for i, n in enumerate(names) if "Salle A" in n)
        assert names.index(next(n for n in names if "Pause" in n)) > after_ouverture
        upcoming = await fake.answer(await fake.send_command("next"))
        fields = [f["name"] for f in upcoming.embeds[0]["fields"]]
        assert any("Break: Pause" in n for n in fields), fields
        assert any("Atelier Rust" in n for n in fields), fields
        paper = await fake.answer(await fake.send_command("paper", title="Pause"))
        shown = paper.embeds[0]["title"] if paper.embeds else paper.data["content"]
        assert "Pause" not in shown.split("“")[0], shown
