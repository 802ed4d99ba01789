"""A cluster, the Discord side: bot processes each holding a slice of the shards (here two
bots in one test, each on a state of its own), two servers on different shards. Each bot
connects only its shards, sees only its server, and answers the commands from it, once;
direct messages come to the one holding shard 0; a bot holding every shard sees both."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import discord
import pytest

from bot.adapters.discord.client import ConfBot
from bot.adapters.discord.runner import point_at
from bot.render.limits import MAX_REQUESTS_PER_SECOND
from bot.settings import Settings
from tests.e2e.conftest import restored_discord_urls, running_bot
from tests.e2e.test_faults_e2e import spawn_bot
from tests.fakediscord.payloads import on_shard
from tests.fakediscord.server import TOKEN, FakeDiscord, Interaction
from tests.test_shard_settings import one_sentence


@pytest.fixture
def shared_state(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings refuse a slice on SQLite state, one process's alone; sharing it is the
    PostgreSQL backend's part of issue 24. The Discord side is tested here, each bot on a
    state file of its own, so the settings are told the state is shared."""
    monkeypatch.setattr(Settings, "state_shared", property(lambda self: True))


def place(fake: FakeDiscord, first: int, second: int, count: int) -> None:
    """Put the fake's first server on shard `first` and its second on `second`."""
    fake.guild_id = on_shard(fake.guild_id, first, count)
    fake.second_guild_id = on_shard(fake.second_guild_id, second, count)


def seen(bot: ConfBot) -> list[int]:
    """The ids of the interactions this bot receives from Discord, in order."""
    received: list[int] = []

    async def record(interaction: discord.Interaction) -> None:
        received.append(interaction.id)

    bot.add_listener(record, "on_interaction")
    return received


def own(tmp_path: Path, name: str) -> Path:
    folder = tmp_path / name
    folder.mkdir()
    return folder


async def answered_once(fake: FakeDiscord, interaction: Interaction) -> Interaction:
    answer = await fake.answer(interaction)
    assert len(answer.callbacks) == 1 and answer.embeds
    return answer


# (shard count, the first bot's slice, the second's, the first server's shard, the second's)
HALVES = [(2, "0", "1", 0, 1), (4, "0-1", "2,3", 1, 2), (4, "2-3", "0-1", 3, 0)]


@pytest.mark.usefixtures("shared_state")
@pytest.mark.parametrize(("count", "ids_a", "ids_b", "shard_a", "shard_b"), HALVES)
async def test_two_bots_with_half_the_shards_each_serve_their_own_server_once(
    fake: FakeDiscord, tmp_path: Path, count: int, ids_a: str, ids_b: str, shard_a: int,
    shard_b: int,
):  # fmt: skip
    place(fake, shard_a, shard_b, count)
    shards = str(count)
    async with (
        running_bot(fake, own(tmp_path, "a"), CONFBOT_SHARD_COUNT=shards,
                    CONFBOT_SHARD_IDS=ids_a) as a,
        running_bot(fake, own(tmp_path, "b"), CONFBOT_SHARD_COUNT=shards,
                    CONFBOT_SHARD_IDS=ids_b) as b,
    ):  # fmt: skip
        # Each connected its half, and no more: count connections in all, one count.
        assert fake.identifies == count and fake.shard_counts == {count}
        assert len(a.shard_ids or []) == len(b.shard_ids or []) == count // 2
        assert set(a.shard_ids or []) | set(b.shard_ids or []) == set(range(count))
        assert [g.id for g in a.guilds] == [fake.guild_id]
        assert [g.id for g in b.guilds] == [fake.second_guild_id]
        seen_a, seen_b = seen(a), seen(b)

        first = await answered_once(fake, await fake.send_command("next"))
        second = await answered_once(fake, await fake.send_command("next", second=True))
        assert first.shard == (shard_a, count) and second.shard == (shard_b, count)
        assert seen_a == [first.id] and seen_b == [second.id]

        # Direct messages go to shard 0, whichever bot holds it.
        dm = await answered_once(fake, await fake.send_command("paper", title="sabre", dm=True))
        assert dm.shard == (0, count)
        holder, other = (seen_a, seen_b) if "0" in ids_a else (seen_b, seen_a)
        assert holder[-1] == dm.id and dm.id not in other

        # Each sends at half the bot's pace: together, the pace of one bot.
        assert a.pacer.rate == b.pacer.rate == MAX_REQUESTS_PER_SECOND / 2
        assert a.pacer.delivery_pace == b.pacer.delivery_pace == 2 * a.settings.delivery_pace
    assert not fake.undelivered


async def test_a_bot_holding_every_shard_sees_both_servers(fake: FakeDiscord, tmp_path: Path):
    place(fake, 0, 1, 2)
    async with running_bot(fake, tmp_path, CONFBOT_SHARD_COUNT="2") as bot:
        assert fake.identifies == 2 and bot.shard_ids is None
        assert {g.id for g in bot.guilds} == {fake.guild_id, fake.second_guild_id}
        received = seen(bot)
        first = await answered_once(fake, await fake.send_command("next"))
        second = await answered_once(fake, await fake.send_command("next", second=True))
        assert (first.shard, second.shard) == ((0, 2), (1, 2))
        assert received == [first.id, second.id]
        assert bot.pacer.rate == MAX_REQUESTS_PER_SECOND


async def test_unset_the_bot_runs_the_shards_discord_recommends(fake: FakeDiscord, tmp_path: Path):
    fake.recommended_shards = 2
    place(fake, 1, 0, 2)
    async with running_bot(fake, tmp_path) as bot:
        assert bot.shard_count == 2 and fake.shard_counts == {2}
        assert {g.id for g in bot.guilds} == {fake.guild_id, fake.second_guild_id}
        assert (await answered_once(fake, await fake.send_command("now"))).shard == (1, 2)
    assert ("GET", "/gateway/bot") in fake.requests


async def test_a_shard_outside_the_count_is_refused_with_4010(fake: FakeDiscord):
    # The settings never ask for one (see test_shard_settings); Discord's answer, through
    # discord.py, for a client that would.
    with restored_discord_urls():
        point_at(fake.base_url)
        client = discord.AutoShardedClient(intents=discord.Intents.none(), shard_count=2,
                                           shard_ids=[2])  # fmt: skip
        with pytest.raises(discord.ConnectionClosed) as closed:
            await client.start(TOKEN)
        await client.close()
    assert closed.value.code == 4010
    assert fake.identifies == 1 and not fake.gateway_sessions


@pytest.mark.usefixtures("shared_state")
async def test_only_the_process_holding_shard_0_syncs_the_commands(
    fake: FakeDiscord, tmp_path: Path, caplog: pytest.LogCaptureFixture
):
    place(fake, 1, 0, 2)
    caplog.set_level(logging.INFO, logger="bot.adapters.discord.client")
    # The process without shard 0 starts first: it leaves the commands alone, and says so.
    async with running_bot(fake, own(tmp_path, "b"), CONFBOT_SHARD_COUNT="2",
                           CONFBOT_SHARD_IDS="1"):  # fmt: skip
        assert fake.command_syncs == 0 and not fake.guild_commands
        skipped = [r.getMessage() for r in caplog.records if "not syncing" in r.getMessage()]
        assert skipped == ["not syncing commands: the process holding shard 0 does (this one"
                           " holds shards 1 of 2)"]  # fmt: skip
        async with running_bot(fake, own(tmp_path, "a"), CONFBOT_SHARD_COUNT="2",
                               CONFBOT_SHARD_IDS="0"):  # fmt: skip
            assert fake.command_syncs == 1
            assert {c["name"] for c in fake.guild_commands[fake.guild_id]} >= {"next", "paper"}
            # The first server is on shard 1: the process that did not sync the commands
            # answers them there.
            answer = await answered_once(fake, await fake.send_command("next"))
            assert answer.shard == (1, 2)


@pytest.mark.parametrize("code", [4010, 4011])
async def test_a_shard_discord_refuses_ends_the_run_in_one_sentence_exit_2(
    fake: FakeDiscord, tmp_path: Path, code: int
):
    if code == 4010:
        fake.invalid_shards = {0}
    else:
        fake.shards_required = 2  # the bot's servers need two shards; it runs one
    process = await spawn_bot(fake, tmp_path, CONFBOT_SHARD_COUNT="1")
    _, stderr = await asyncio.wait_for(process.communicate(), 60)
    text = stderr.decode()
    assert process.returncode == 2, text[-2000:]
    assert "Traceback" not in text, text[-2000:]
    said = text.rstrip("\n").splitlines()[-1]
    assert said.startswith("confbot: ") and one_sentence(said.removeprefix("confbot: "))
    assert f"(gateway close {code}" in said and "CONFBOT_SHARD_COUNT" in said
