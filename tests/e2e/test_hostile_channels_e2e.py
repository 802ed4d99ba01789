"""Hostile programs against the organisers' channels (issue 22)."""

from __future__ import annotations

import re
from pathlib import Path

from bot.clock import FixedClock
from tests.conftest import pacific
from tests.e2e.conftest import running_bot, settled, travel, wait_for
from tests.e2e.test_changes_told_e2e import organise
from tests.fakediscord.server import FakeDiscord
from tests.program_edits import frab_talk, write_frab

ENV = {"CONFBOT_SYNC_INTERVAL": "60", "CONFBOT_DELIVERY_PACE": "0"}


def hostile(n: int) -> str:
    return f"@everyone <@{n}> **bold** # head `x` {'🎉' * 30} " + ("long" * 1000)


async def test_300_hostile_talks_at_one_moment(fake: FakeDiscord, tmp_path: Path):
    path = tmp_path / "schedule.json"
    write_frab(
        path,
        [
            frab_talk(i, hostile(i), "11:00", 30, f"Room {i:03d}", f"@here {i}")
            for i in range(1, 301)
        ],
    )
    clock = FixedClock(pacific("2024-07-10T10:40"))
    async with running_bot(fake, tmp_path, clock, CONFBOT_PROGRAM=str(path), **ENV) as bot:
        await organise(
            fake, "announce channel", channel=fake.channel_id, per_talk=True, minutes_before=10
        )
        await travel(bot, fake, clock, pacific("2024-07-10T10:50"))
        msgs = lambda: fake.channel_messages.get(fake.channel_id, [])  # noqa: E731
        await wait_for(msgs, timeout=30, what="slot")
        await travel(bot, fake, clock, pacific("2024-07-10T11:00"))
        await settled(bot)
        await travel(bot, fake, clock, pacific("2024-07-10T11:01"))
        await settled(bot)
        slot = [m for m in msgs() if m["embeds"][0]["title"].startswith("📣")]
        now = [m for m in msgs() if m["embeds"][0]["title"].startswith("▶️")]
        for group in (slot, now):
            lines = [ln for m in group for e in m["embeds"] for ln in e["description"].split("\n")]
            assert sum(1 for ln in lines if ln.startswith("`11:00`")) == 300
        for m in msgs():
            assert m["_body"]["allowed_mentions"] == {"parse": []}
            for e in m["embeds"]:
                assert not re.search(r"(?<!\\)@(everyone|here)|(?<!\\)<@", e["description"])


async def test_a_slot_post_of_several_messages_failing_midway_doubles_none(
    fake: FakeDiscord, tmp_path: Path
):
    path = tmp_path / "schedule.json"
    write_frab(
        path,
        [
            frab_talk(i, hostile(i), "11:00", 30, f"Room {i:03d}", f"Speaker {i}")
            for i in range(1, 101)
        ],
    )
    clock = FixedClock(pacific("2024-07-10T10:40"))
    async with running_bot(fake, tmp_path, clock, CONFBOT_PROGRAM=str(path), **ENV) as bot:
        await organise(fake, "announce channel", channel=fake.channel_id, minutes_before=10)
        sender = bot._sender
        real = sender.post
        calls = 0

        async def flaky(channel_id, cards, text=None):
            nonlocal calls
            calls += 1
            if calls == 2:
                raise TimeoutError("the network dropped")
            await real(channel_id, cards, text)

        sender.post = flaky  # type: ignore[method-assign]
        await travel(bot, fake, clock, pacific("2024-07-10T10:50"))
        msgs = lambda: fake.channel_messages.get(fake.channel_id, [])  # noqa: E731
        await wait_for(msgs, timeout=30, what="slot")
        for minute in range(51, 59):
            await travel(bot, fake, clock, pacific(f"2024-07-10T10:{minute}"))
            await settled(bot)
        lines = [
            ln
            for m in msgs()
            for e in m["embeds"]
            for ln in e["description"].split("\n")
            if ln.startswith("`11:00`")
        ]
        # The first message went out before the failure; the retry sent only the two
        # after it: every talk posted exactly once, none twice.
        assert len(lines) == 100 and len(set(lines)) == 100
        assert calls == 4  # 3 messages, and the one that failed
        assert bot.state is not None
        (slot,) = await bot.state.ledger.deliveries(kind="slot")
        assert (slot.state, slot.attempts, slot.parts_sent) == ("sent", 2, 3)
        assert (slot.detail or "").startswith("sent 1 of 3 messages, then TimeoutError")


async def test_qa_channel_with_a_filter_naming_nothing_is_refused(
    fake: FakeDiscord, tmp_path: Path
):
    path = tmp_path / "schedule.json"
    write_frab(path, [frab_talk(i, f"Talk {i}", "11:00", 30, f"Room {i}", "Ann") for i in (1, 2)])
    clock = FixedClock(pacific("2024-07-10T10:40"))
    async with running_bot(fake, tmp_path, clock, CONFBOT_PROGRAM=str(path), **ENV) as bot:
        said = await organise(fake, "qa channel", forum=fake.forum_id, rooms=" , ,")
        assert bot.state is not None
        assert not await bot.state.qa.forums(bot.service.conference.key), said
        assert said == "That names no room: type one or more, separated by commas."
