"""Sharded: with CONFBOT_SHARDS=2 the bot opens two gateway connections, the server's
events arrive on the shard Discord computes for it, and everything works as with one."""

from __future__ import annotations

from pathlib import Path

from bot.clock import FixedClock
from tests.conftest import pacific
from tests.e2e.conftest import running_bot, travel, wait_for
from tests.fakediscord.server import FakeDiscord


async def test_two_shards_serve_commands_and_reminders(fake: FakeDiscord, tmp_path: Path):
    fake.guild_id = (fake.guild_id >> 22 | 1) << 22  # on shard 1 of 2: not the first one
    clock = FixedClock(pacific("2024-07-10T10:44:50"))
    async with running_bot(fake, tmp_path, clock, CONFBOT_SHARDS="2",
                           CONFBOT_DELIVERY_PACE="0") as bot:  # fmt: skip
        assert fake.identifies == 2 and fake.shard_counts == {2}
        assert bot.shard_count == 2 and len(fake.other_shards) == 1
        answer = await fake.answer(await fake.send_command("next"))
        assert answer.embeds[0]["fields"][0]["name"].startswith("On now · Remarks")
        dm = await fake.answer(await fake.send_command("paper", title="sabre", dm=True))
        assert dm.embeds[0]["title"].startswith("Sabre")
        # A reminder due in seconds is delivered by DM, whichever shard the server is on.
        await fake.answer(await fake.send_command("remind", item="p:xiang", minutes_before=20))
        await travel(bot, fake, clock, pacific("2024-07-10T10:45"))
        user = int(fake.attendee["id"])
        await wait_for(lambda: fake.channel_messages.get(fake.dm_channels.get(user, 0)),
                       timeout=30, what="the reminder DM")  # fmt: skip


async def test_unset_shards_follow_what_discord_recommends(fake: FakeDiscord, tmp_path: Path):
    async with running_bot(fake, tmp_path) as bot:
        assert bot.shard_count == 1 and fake.shard_counts == {1}
