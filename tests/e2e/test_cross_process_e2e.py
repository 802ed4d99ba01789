"""Two bot processes on one PostgreSQL state, through discord.py and the fake Discord: bot
a holds shard 0 (the first server), bot b shard 1 (the second), as two processes of a
cluster would (here in one test process). What one server or person chooses on one
process is honoured on the other, and a source added in one server is opened by both and
followed by one (tests/e2e/test_decisions_e2e.py: decisions on new versions).

Time is a clock the tests hold still; the processes' notices take real time, waited on
with a bound (events, or a cheap condition polled on the loop), never a fixed sleep."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

from bot.adapters.discord.client import ConfBot
from bot.clock import FixedClock
from bot.store.pg_coordination import PostgresCoordinator
from tests.conftest import pacific
from tests.e2e.conftest import running_bot, wait_for
from tests.e2e.test_cluster_e2e import place
from tests.e2e.test_conferences_e2e import FRAB, TWO, about, organiser, program_app, said
from tests.fakediscord.server import FakeDiscord, Interaction
from tests.local_servers import serving
from tests.state_backends import StateBackend

PROMPTLY = 15.0  # seconds a notice and what it sets off may take, at most, on a loaded machine
NOW = pacific("2024-07-10T10:50")


@contextlib.asynccontextmanager
async def two_bots(
    fake: FakeDiscord, tmp_path: Path, backend: StateBackend, clock: FixedClock, **env: str
) -> AsyncIterator[tuple[ConfBot, ConfBot]]:
    """Bot a (shard 0 of 2: the first server, and direct messages) started first, so it
    leads the operator's conferences; bot b (shard 1: the second server). Each has a
    folder of its own (its copies of programs), and both the one PostgreSQL state."""
    assert backend.url is not None
    place(fake, 0, 1, 2)
    shared = {"CONFBOT_STATE_URL": backend.url, "CONFBOT_SHARD_COUNT": "2", **env}
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    async with (
        running_bot(fake, tmp_path / "a", clock, CONFBOT_SHARD_IDS="0", **shared) as a,
        running_bot(fake, tmp_path / "b", clock, CONFBOT_SHARD_IDS="1", **shared) as b,
    ):
        for bot in (a, b):
            assert isinstance(bot.coordinator, PostgresCoordinator)
            await asyncio.wait_for(bot.coordinator.listening.wait(), PROMPTLY)
        yield a, b


def served_keys(bot: ConfBot) -> list[str]:
    return [s.key for s in bot.conferences]


def started(bot: ConfBot, key: str) -> bool:
    """Whether the bot serves the conference, started (following the source or the state)."""
    served = bot.conferences.get(key)
    return served is not None and (served.follower.running or served.state_follower.running)


async def paper(fake: FakeDiscord, title: str, **where: Any) -> Interaction:
    return await fake.answer(await fake.send_command("paper", title=title, **where))


# -- /conference add, remove, and the choices, from any process ---------------------------


async def test_a_source_added_on_one_process_is_served_by_both_and_followed_by_one(
    fake: FakeDiscord, tmp_path: Path, postgres_backend: StateBackend
):
    env = {"CONFBOT_ALLOW_PRIVATE_SOURCES": "yes"}  # the program's server is on loopback
    async with (
        serving(program_app(FRAB.read_bytes())) as base,
        two_bots(fake, tmp_path, postgres_backend, FixedClock(NOW), **env) as (a, b),
    ):
        url = f"{base}/schedule.json"
        added = await organiser(fake, "conference add", source=url)  # the first server: a
        assert "now offers **Fixture Congress** (`fixcon`)" in said(added)
        # b is told, and opens it too, following the version a keeps: no restart.
        await wait_for(lambda: started(b, "fixcon"), PROMPTLY,
                       what="b to serve the source a added")  # fmt: skip
        fixcon_a, fixcon_b = a.conferences.get("fixcon"), b.conferences.get("fixcon")
        assert fixcon_a is not None and fixcon_b is not None
        assert fixcon_a.leads and not fixcon_b.leads  # followed by exactly one
        assert not fixcon_b.follower.running and fixcon_b.state_follower.running
        assert fixcon_b.follower.seen == fixcon_a.follower.seen
        assert fixcon_b.added is not None and fixcon_b.added.guild_id == fake.guild_id

        # The second server (b) offers it too: the conference b serves already.
        also = await organiser(fake, "conference add", source=url, second=True)
        assert "now offers **Fixture Congress** (`fixcon`)" in said(also)
        assert served_keys(b) == ["osdi24", "fixcon"]  # not a second copy
        answer = await paper(fake, "Opening", conference="fixcon", second=True)
        assert answer.shard == (1, 2) and "Opening" in answer.embeds[0]["title"]

        # The second server removes it (on b): the first still offers it (on a), as the
        # state says, so it stays followed everywhere.
        removed = await organiser(fake, "conference remove", conference="fixcon", second=True)
        assert "no longer offers" in said(removed) and "no longer followed" not in said(removed)
        assert b.conferences.get("fixcon") is not None
        assert "Opening" in (await paper(fake, "Opening", conference="fixcon")).embeds[0]["title"]

        # The first removes it (on a): no server offers it; both stop serving it.
        last = await organiser(fake, "conference remove", conference="fixcon")
        assert "no longer followed" in said(last)
        await wait_for(lambda: b.conferences.get("fixcon") is None, PROMPTLY,
                       what="b to stop serving the dropped source")  # fmt: skip
        assert served_keys(a) == served_keys(b) == ["osdi24"]
        assert a.state is not None
        assert await a.state.conferences.added_sources() == []


async def test_a_source_whose_notice_was_lost_is_opened_at_the_periodic_check(
    fake: FakeDiscord, tmp_path: Path, postgres_backend: StateBackend
):
    clock = FixedClock(NOW)
    env = {"CONFBOT_ALLOW_PRIVATE_SOURCES": "yes"}
    async with (
        serving(program_app(FRAB.read_bytes())) as base,
        two_bots(fake, tmp_path, postgres_backend, clock, **env) as (a, b),
    ):
        assert b.member is not None and b.sources is not None
        await wait_for(lambda: b.member.ticks > 0, PROMPTLY, what="b's first tick")  # type: ignore[union-attr]
        checked = b.sources.compared
        listener = b.coordinator._listener  # type: ignore[union-attr]
        assert listener is not None
        listener.cancel()  # b hears nothing more: a's notice is lost
        with contextlib.suppress(asyncio.CancelledError):
            await listener
        await organiser(fake, "conference add", source=f"{base}/schedule.json")
        assert a.conferences.get("fixcon") is not None
        b.member.wake()
        ticks = b.member.ticks
        await wait_for(lambda: b.member.ticks > ticks, PROMPTLY, what="b's tick")  # type: ignore[union-attr]
        assert b.conferences.get("fixcon") is None and b.sources.compared == checked
        clock.at += timedelta(seconds=b.settings.follow_check)  # the periodic check is due
        b.member.wake()
        await wait_for(lambda: started(b, "fixcon"), PROMPTLY,
                       what="b to open the source at its check")  # fmt: skip
        assert not b.conferences.get("fixcon").leads  # type: ignore[union-attr]


async def test_a_persons_pick_on_one_process_is_honoured_on_the_other(
    fake: FakeDiscord, tmp_path: Path, postgres_backend: StateBackend
):
    async with two_bots(fake, tmp_path, postgres_backend, FixedClock(NOW),
                        CONFBOT_PROGRAM=TWO) as (a, b):  # fmt: skip
        assert "OSDI" in await about(fake, second=True)  # b, by the operator's default
        person = int(fake.attendee["id"])
        picked = await fake.answer(await fake.send_command("conference use", conference="fixcon"))
        assert picked.shard == (0, 2) and "Fixture Congress" in said(picked)  # asked of a
        await wait_for(lambda: b.conferences.choices.people.get(person) == "fixcon", PROMPTLY,
                       what="b to read the person's pick again")  # fmt: skip
        answer = await fake.answer(await fake.send_command("about", second=True))
        assert answer.shard == (1, 2) and "Fixture Congress" in answer.embeds[0]["title"]
        # And back, the other way: picked on b, honoured on a (their DMs go to a).
        await fake.answer(await fake.send_command("conference use", conference="osdi24",
                                                  second=True))  # fmt: skip
        await wait_for(lambda: a.conferences.choices.people.get(person) == "osdi24", PROMPTLY,
                       what="a to read the person's pick again")  # fmt: skip
        assert "OSDI" in await about(fake, dm=True, installed_by_user=True)


async def test_a_servers_choice_on_one_process_is_honoured_on_the_other(
    fake: FakeDiscord, tmp_path: Path, postgres_backend: StateBackend
):
    """A server's commands reach only the process holding its shard; its choices are read
    by the others too (whether a source is still followed is decided from them, and a
    shard may move to another process): each reads a change again when told."""
    async with two_bots(fake, tmp_path, postgres_backend, FixedClock(NOW),
                        CONFBOT_PROGRAM=TWO) as (_, b):  # fmt: skip
        await organiser(fake, "conference default", conference="fixcon")  # on a
        assert "Fixture Congress" in await about(fake)
        await wait_for(lambda: b.conferences.default(fake.guild_id).key == "fixcon", PROMPTLY,
                       what="b to read the server's new default")  # fmt: skip
        removed = await organiser(fake, "conference remove", conference="osdi24")  # on a
        assert "no longer offers" in said(removed)
        offered = lambda: [s.key for s in b.conferences.offered(fake.guild_id)]  # noqa: E731
        await wait_for(lambda: offered() == ["fixcon"], PROMPTLY,
                       what="b to read what the server offers")  # fmt: skip
        assert "OSDI" in await about(fake, second=True)  # the second server's stands
