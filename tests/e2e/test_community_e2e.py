"""A community program (FOSDEM 2025, from ../shared) through discord.py: 28 rooms at
once and a 500-item day stay within Discord's limits and page; /paper shows what a
community program knows. Every test ends with no protocol errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.adapters.discord.client import ConfBot
from tests.conftest import REAL_PROGRAMS, needs_shared
from tests.e2e.conftest import running_bot
from tests.fakediscord.server import FakeDiscord

FOSDEM = REAL_PROGRAMS / "fosdem-2025.schedule.xml"
needs_shared(FOSDEM, module=True)


@pytest.fixture
async def bot(fake: FakeDiscord, tmp_path: Path) -> AsyncIterator[ConfBot]:
    async with running_bot(
        fake, tmp_path, CONFBOT_PROGRAM=str(FOSDEM), CONFBOT_NOW="2025-02-01T11:02"
    ) as instance:
        yield instance


def footer(answer) -> str:
    return (answer.embeds[0].get("footer") or {}).get("text", "")


async def test_next_with_28_rooms_at_once_pages_within_discords_limits(fake: FakeDiscord, bot):
    answer = await fake.answer(await fake.send_command("next"))
    # The board (a line per talk, what starts next first): what is on comes after.
    assert "**On now**" in answer.embeds[0]["description"]
    assert "Page 1 of" in footer(answer)  # more than one embed holds, so it pages
    assert answer.data.get("components")


async def test_a_day_of_500_talks_pages(fake: FakeDiscord, bot):
    answer = await fake.answer(await fake.send_command("schedule", day="2025-02-01"))
    assert "Page 1 of" in footer(answer)
    total = int(footer(answer).split("Page 1 of ")[1].split()[0])
    assert total >= 10


async def test_paper_shows_track_type_abstract_and_the_talk_page(fake: FakeDiscord, bot):
    answer = await fake.answer(
        await fake.send_command("paper", title="callee saved registers llvm")
    )
    (embed,) = answer.embeds
    assert embed["title"] == "A New Approach to Callee-Saved Registers in LLVM"
    assert embed["description"].startswith("**LLVM**")
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["Type"] == "devroom · English"
    assert fields["Abstract"].startswith("Currently LLVM saves and restores")
    buttons = [c for row in answer.data["components"] for c in row["components"]]
    assert any(b.get("label") == "Talk page" and b.get("url", "").startswith("https://fosdem.org")
               for b in buttons)  # fmt: skip


async def test_session_finds_a_devroom(fake: FakeDiscord, bot):
    answer = await fake.answer(await fake.send_command("session", name="LLVM"))
    assert answer.embeds[0]["title"] == "LLVM, Saturday"


async def test_author_says_talk_not_paper(fake: FakeDiscord, bot):
    answer = await fake.answer(await fake.send_command("author", name="mikhail gudim"))
    assert answer.embeds[0]["description"] == "1 talk"


async def test_next_puts_the_rooms_and_tracks_i_follow_first(fake: FakeDiscord, bot: ConfBot):
    llvm = [t for t in bot.service.talks.values() if t.talk.track == "LLVM"]
    later = max(llvm, key=lambda t: t.slot.start)  # follow one LLVM talk, later that day
    before = await fake.answer(await fake.send_command("next", when="11:10"))
    first_before = first_board_line(before)
    await fake.answer(await fake.send_command("remind", item=f"p:{later.key}"))
    after = await fake.answer(await fake.send_command("next", when="11:10"))
    first = first_board_line(after)
    assert first.startswith("now · `K.3.201` Moving work into the middle end")  # LLVM
    assert first != first_before
    assert "**⭐ Where you follow**" in after.embeds[0]["description"]


def first_board_line(answer) -> str:
    """The first item line of the board, under its first heading."""
    lines = answer.embeds[0]["description"].split("\n")
    heading = next(i for i, line in enumerate(lines) if line.startswith("**"))
    return lines[heading + 1]


async def test_the_talks_of_23_blocks_starting_at_once_are_one_message_discord_accepts(
    fake: FakeDiscord, tmp_path: Path
):
    from tests.e2e.conftest import wait_for
    from tests.fakediscord.server import DEFAULT_PERMISSIONS

    manage_guild = 1 << 5
    async with running_bot(fake, tmp_path, CONFBOT_PROGRAM=str(FOSDEM),
                           CONFBOT_NOW="2025-02-01T10:15", CONFBOT_DELIVERY_PACE="0"):  # fmt: skip
        await fake.answer(await fake.send_command(
            "announce channel", user=fake.owner, permissions=DEFAULT_PERMISSIONS | manage_guild,
            channel=fake.channel_id, minutes_before=20,
        ))  # fmt: skip
        # Saturday 10:30 starts 23 room blocks, 24 talks: due at 10:10, so at once. The
        # post lists those talks only, a line each (no longer each block's whole day).
        slot = "📣 24 talks start at 10:30 CET"
        posted = lambda: [m for m in fake.channel_messages.get(fake.channel_id, [])  # noqa: E731
                          if m["embeds"] and m["embeds"][0]["title"] == slot]  # fmt: skip
        await wait_for(posted, what="the 10:30 slot's post")
    (message,) = posted()  # one message Discord accepts (the fake checks its limits)
    assert len(message["embeds"]) <= 10
    lines = [line for e in message["embeds"] for line in e["description"].split("\n")][1:]
    assert len(lines) == len(set(lines)) == 24  # every talk told apart
    assert any(line.startswith("`10:30` **UD6.203** ·") for line in lines)  # FOSDEM Junior


async def test_publish_events_makes_one_valid_event_per_block(fake: FakeDiscord, bot: ConfBot):
    import asyncio

    from tests.fakediscord.server import DEFAULT_PERMISSIONS

    fake.now = bot.clock.now()  # Discord refuses events in the past by its own clock
    blocks = [s for s in bot.service.program.sessions if s.slot.start > fake.now]
    interaction = await fake.send_command(
        "publish-events", user=fake.owner, permissions=DEFAULT_PERMISSIONS | (1 << 33)
    )
    await fake.answer(interaction)
    await asyncio.wait_for(interaction.followed_up.wait(), 30)
    assert interaction.followups[0]["content"].startswith(f"📅 Events: {len(blocks)} created")
    assert len(fake.scheduled_events) == len(blocks)
    assert all(len(e["description"] or "") <= 1000 for e in fake.scheduled_events.values())
