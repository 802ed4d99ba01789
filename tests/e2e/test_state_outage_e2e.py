"""The PostgreSQL state disappearing under a running bot (a private server stopped for a
while, or restarted), through discord.py and the fake Discord: lookups keep answering
from the program in memory; what depends on the state is left out, or said in one
sentence; writes are refused in one sentence and work again once the server is back,
with no bot restart; what fell due meanwhile goes out after, late and once (or is
skipped if its talk ended); the loops say so once an outage, and /status says it.

The bot's clock is the test's: due times are reached by moving it, and every wait is
for an event (a pass of the scheduler that met the outage, a message), bounded."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
import pytest

from bot.adapters.discord.client import ConfBot
from bot.adapters.discord.tree import APOLOGY, NOT_SAVED, STATE_UNREACHABLE
from bot.clock import FixedClock
from bot.kinds import DeliveryState, ReminderStatus
from bot.render.status_cards import STATE_UNREACHABLE as STATUS_UNREACHABLE
from bot.store.connection import WriteFailure
from tests.e2e.conftest import poll_source, running_bot, settled, travel, wait_for
from tests.e2e.test_governance_e2e import frab_copy
from tests.fakediscord.server import DEFAULT_PERMISSIONS, MANAGE_GUILD, FakeDiscord
from tests.pg_proxy import CommitLosingProxy
from tests.postgres_fixtures import postgres_fixture
from tests.postgres_server import PostgresServer
from tests.program_edits import edit, retitle

# Seconds of real time (processes, servers, timeouts): started first (tests/conftest.py).
pytestmark = pytest.mark.long

PACIFIC = ZoneInfo("America/Los_Angeles")
ORGANISER = DEFAULT_PERMISSIONS | MANAGE_GUILD
NOT_KEPT = NOT_SAVED[WriteFailure.UNREACHABLE]
REMINDED = "I'll DM you about **NOMAD"

private_postgres = postgres_fixture("module")


def july10(hhmm: str) -> datetime:
    return datetime(2024, 7, 10, int(hhmm[:2]), int(hhmm[2:]), tzinfo=PACIFIC)


@pytest.fixture
def state_url(private_postgres: PostgresServer) -> Iterator[str]:
    """A database of the test's own on the module's private server (left running by each
    test), dropped after it."""
    name = f"t_{secrets.token_hex(6)}"
    with psycopg.connect(private_postgres.url, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    yield f"{private_postgres.url.rpartition('/')[0]}/{name}"
    if not private_postgres.running:
        private_postgres.start()
    with psycopg.connect(private_postgres.url, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE {name} WITH (FORCE)")


@asynccontextmanager
async def bot_on(
    fake: FakeDiscord, tmp_path: Path, url: str, clock: FixedClock
) -> AsyncIterator[ConfBot]:
    async with running_bot(fake, tmp_path, clock, CONFBOT_STATE_URL=url,
                           CONFBOT_DELIVERY_PACE="0") as bot:  # fmt: skip
        yield bot


async def ask(fake: FakeDiscord, command: str, **options: Any) -> dict[str, Any]:
    """The answer's data (content or embeds)."""
    answer = await fake.answer(await fake.send_command(command, **options))
    data: dict[str, Any] = answer.data
    return data


async def organise(fake: FakeDiscord, command: str, **options: Any) -> dict[str, Any]:
    return await ask(fake, command, user=fake.owner, permissions=ORGANISER, **options)


async def stopped_under(bot: ConfBot, server: PostgresServer) -> None:
    """Stop the server, and wait until the bot's scheduler has met the outage (a pass
    it refused), so what is due meanwhile is known not to have gone out."""
    refused = bot.scheduler.state_refusals
    await asyncio.to_thread(server.stop)
    bot.scheduler.wake()
    await wait_for(lambda: bot.scheduler.state_refusals > refused, what="a refused pass")


def dms(fake: FakeDiscord) -> list[dict[str, Any]]:
    channel = fake.dm_channels.get(int(fake.attendee["id"]))
    return list(fake.channel_messages.get(channel, [])) if channel is not None else []


def posts(fake: FakeDiscord) -> list[dict[str, Any]]:
    return list(fake.channel_messages.get(fake.channel_id, []))


async def ledger(bot: ConfBot) -> dict[str, DeliveryState]:
    assert bot.state is not None
    return {f"{d.kind} {d.item_ref}": d.state for d in await bot.state.ledger.deliveries()}


def told(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """What the bot logged at WARNING and above."""
    return [r for r in caplog.records if r.name.startswith("bot.") and r.levelno >= logging.WARNING]


# -- lookups -----------------------------------------------------------------------------


async def test_lookups_answer_from_the_program_while_the_state_is_out_of_reach(
    fake: FakeDiscord, tmp_path: Path, state_url: str, private_postgres: PostgresServer,
    caplog: pytest.LogCaptureFixture,
):  # fmt: skip
    async with bot_on(fake, tmp_path, state_url, FixedClock(july10("1050"))) as bot:
        assert REMINDED in (await ask(fake, "remind", item="p:xiang"))["content"]
        await stopped_under(bot, private_postgres)
        caplog.clear()
        paper = await ask(fake, "paper", title="nomad")
        assert paper["embeds"][0]["title"].startswith("NOMAD")
        author = await ask(fake, "author", name="xiang")
        assert "NOMAD" in author["embeds"][0]["fields"][0]["name"]
        for command in ("next", "now"):  # followed rooms first, streams, the channel's room
            answer = await ask(fake, command)
            assert answer.get("embeds"), (command, answer)
        agenda = await ask(fake, "agenda")  # what the state keeps, and nothing else
        assert agenda["content"] == STATE_UNREACHABLE
        assert (await ask(fake, "changes"))["content"] == STATE_UNREACHABLE
        offered = await fake.answer(await fake.send_autocomplete("forget item", "item", ""))
        assert offered.choices == []  # the reminders are the state's: none offered
        await asyncio.to_thread(private_postgres.start)
        assert (await ask(fake, "agenda"))["embeds"][0]["fields"][0]["name"].startswith("NOMAD")
    assert APOLOGY not in str(fake.interactions)
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"


async def test_status_says_the_state_database_is_out_of_reach_while_it_is(
    fake: FakeDiscord, tmp_path: Path, state_url: str, private_postgres: PostgresServer
):
    async with bot_on(fake, tmp_path, state_url, FixedClock(july10("1050"))) as bot:
        await stopped_under(bot, private_postgres)
        status = (await organise(fake, "status"))["embeds"][0]
        fields = {f["name"]: f["value"] for f in status["fields"]}
        assert fields["State database"] == STATUS_UNREACHABLE
        assert fields["Program"].startswith("53 papers in 11 sessions, loaded")
        await asyncio.to_thread(private_postgres.start)
        status = (await organise(fake, "status"))["embeds"][0]
        fields = {f["name"]: f["value"] for f in status["fields"]}
        assert "State database" not in fields and fields["Announcements"].startswith("Off")


# -- writes --------------------------------------------------------------------------------


async def test_writes_are_refused_in_one_sentence_and_work_again_once_it_is_back(
    fake: FakeDiscord, tmp_path: Path, state_url: str, private_postgres: PostgresServer
):
    async with bot_on(fake, tmp_path, state_url, FixedClock(july10("1050"))) as bot:
        await stopped_under(bot, private_postgres)
        assert (await ask(fake, "remind", item="p:xiang"))["content"] == NOT_KEPT
        announce = await organise(fake, "announce channel", channel=fake.channel_id,
                                  minutes_before=10)  # fmt: skip
        assert announce["content"] == NOT_KEPT
        use = await ask(fake, "conference use", conference="osdi24")  # a person's choice
        assert use["content"] == NOT_KEPT
        await asyncio.to_thread(private_postgres.start)
        assert REMINDED in (await ask(fake, "remind", item="p:xiang"))["content"]
        announce = await organise(fake, "announce channel", channel=fake.channel_id,
                                  minutes_before=10)  # fmt: skip
        assert "I'll post each OSDI '24 session" in announce["content"]
        assert bot.state is not None
        assert len(await bot.state.reminders.find("osdi24")) == 1  # the refused one: none


# -- deliveries ------------------------------------------------------------------------------


@pytest.mark.parametrize("outage", ["stopped", "restarted"])
async def test_what_falls_due_during_an_outage_goes_out_after_it_once(
    fake: FakeDiscord, tmp_path: Path, state_url: str, private_postgres: PostgresServer,
    outage: str,
):  # fmt: skip
    """NOMAD's reminder (due 11:00) and the LLM session's announcement (180 min before
    14:00: 11:00) fall due while the server is down (stopped, the bot's passes refused),
    or while the bot is idle across a restart (its connections dropped under it)."""
    clock = FixedClock(july10("1050"))
    async with bot_on(fake, tmp_path, state_url, clock) as bot:
        await ask(fake, "remind", item="p:xiang", minutes_before=5)
        await organise(fake, "announce channel", channel=fake.channel_id, minutes_before=180)
        await settled(bot)
        before = len(posts(fake))  # the morning session's, due already
        if outage == "stopped":
            await stopped_under(bot, private_postgres)
            await travel(bot, fake, clock, july10("1107"))
            await wait_for(lambda: bot.scheduler.state_refusals > 1, what="a refused pass")
            assert not dms(fake) and len(posts(fake)) == before
            await asyncio.to_thread(private_postgres.start)
        else:
            await asyncio.to_thread(private_postgres.restart)
            await travel(bot, fake, clock, july10("1107"))
        await settled(bot)
        await settled(bot)  # a second pass sends nothing again
        (dm,) = dms(fake)
        assert dm["embeds"][0]["title"].startswith("⏰ NOMAD")
        assert "Started 2 min ago (sent late)" in dm["embeds"][0]["description"]
        (announced,) = posts(fake)[before:]
        assert announced["embeds"][0]["title"] == "📣 Low-Latency LLM Serving"
        kept = await ledger(bot)
        assert kept["reminder p:xiang"] == DeliveryState.SENT


async def test_a_reminder_whose_talk_ended_during_the_outage_is_skipped_after_it(
    fake: FakeDiscord, tmp_path: Path, state_url: str, private_postgres: PostgresServer
):
    clock = FixedClock(july10("1050"))
    async with bot_on(fake, tmp_path, state_url, clock) as bot:
        await ask(fake, "remind", item="p:xiang", minutes_before=5)
        await stopped_under(bot, private_postgres)
        await travel(bot, fake, clock, july10("1130"))  # NOMAD ended at 11:25
        await asyncio.to_thread(private_postgres.start)
        await settled(bot)
        assert not dms(fake)
        assert (await ledger(bot))["reminder p:xiang"] == DeliveryState.SKIPPED


# -- the loops -------------------------------------------------------------------------------


async def test_an_outage_is_logged_once_as_it_begins_and_once_as_it_ends(
    fake: FakeDiscord, tmp_path: Path, state_url: str, private_postgres: PostgresServer,
    caplog: pytest.LogCaptureFixture,
):  # fmt: skip
    """The scheduler, the cluster's ticks (leading, heartbeat, the state follower) and
    the events window each meet the outage several times: the log says it once."""
    clock = FixedClock(july10("1050"))
    async with bot_on(fake, tmp_path, state_url, clock) as bot:
        await ask(fake, "remind", item="p:xiang", minutes_before=5)
        await settled(bot)
        assert bot.member is not None
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="bot"):
            await stopped_under(bot, private_postgres)
            for moment in ("1052", "1054", "1056"):
                refused, ticks = bot.scheduler.state_refusals, bot.member.ticks
                await travel(bot, fake, clock, july10(moment))
                bot.member.wake()
                await wait_for(lambda r=refused, t=ticks: bot.scheduler.state_refusals > r
                               and bot.member is not None and bot.member.ticks > t,
                               what="a refused pass and a cluster tick")  # fmt: skip
            await asyncio.to_thread(private_postgres.start)
            await settled(bot)
        state = [r.getMessage() for r in caplog.records if r.name == "bot.store.postgres_database"
                 and r.levelno >= logging.WARNING]  # fmt: skip
        assert len(state) == 2, state
        assert "cannot be reached (" in state[0] and "answers again" in state[1]
        assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"
        errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
        assert errors == []
        # The coordination's connections and the lead are told once each too: as each is
        # lost (and not to be had), and as it answers again.
        lines = [r.getMessage() for r in told(caplog)]
        assert len(lines) == len(set(lines)) <= 8, lines


# -- a send at the moment the server dies ------------------------------------------------------


class _DyingAtTheSend:
    """The bot's sender, but the state's server is stopped just before a DM goes out:
    the claim ('sending') is committed, the message leaves, 'sent' cannot be written."""

    def __init__(self, sender: Any, server: PostgresServer) -> None:
        self._sender = sender
        self._server = server

    async def send_dm(self, user_id: int, card: Any) -> None:
        await asyncio.to_thread(self._server.stop)
        await self._sender.send_dm(user_id, card)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sender, name)


async def test_a_message_sent_as_the_server_died_is_recorded_sent_after_never_resent(
    fake: FakeDiscord, tmp_path: Path, state_url: str, private_postgres: PostgresServer,
    caplog: pytest.LogCaptureFixture,
):  # fmt: skip
    """Its row stays 'sending' through the outage (no process resends that), past its
    lease (the clock moves five minutes on): once the server is back, this process
    records what it knows, that the message went out, before any recovery would call it
    lost; the reminder is done, and nothing is sent twice."""
    clock = FixedClock(july10("1050"))
    async with bot_on(fake, tmp_path, state_url, clock) as bot:
        await ask(fake, "remind", item="p:xiang", minutes_before=5)
        await settled(bot)
        bot.scheduler.sender = _DyingAtTheSend(bot.scheduler.sender, private_postgres)
        refused = bot.scheduler.state_refusals
        await travel(bot, fake, clock, july10("1100"))
        await wait_for(lambda: bot.scheduler.state_refusals > refused, what="a refused pass")
        assert len(dms(fake)) == 1
        refused = bot.scheduler.state_refusals
        await travel(bot, fake, clock, july10("1105"))  # its lease (60 s) ends meanwhile
        await wait_for(lambda: bot.scheduler.state_refusals > refused, what="a refused pass")
        with caplog.at_level(logging.INFO, logger="bot.delivery"):
            await asyncio.to_thread(private_postgres.start)
            await settled(bot)
            await settled(bot)
        assert len(dms(fake)) == 1
        assert (await ledger(bot))["reminder p:xiang"] == DeliveryState.SENT
        assert bot.state is not None
        (reminder,) = await bot.state.reminders.find("osdi24", statuses=list(ReminderStatus))
        assert reminder.status == "done"
    recorded = [r.getMessage() for r in caplog.records if "recorded as sent now" in r.getMessage()]
    assert recorded == [f"delivery {reminder.id} went out while the state database was out of"
                        " reach; recorded as sent now"]  # fmt: skip
    assert not [r for r in caplog.records if "possibly lost" in r.getMessage()]


# -- a commit whose answer is lost ----------------------------------------------------------


@pytest.fixture
async def proxy(private_postgres: PostgresServer) -> AsyncIterator[CommitLosingProxy]:
    found = CommitLosingProxy("127.0.0.1", private_postgres.port)
    await found.start()
    yield found
    found.speak()
    await found.close()


def _lose_the_commit_of(bot: ConfBot, proxy: CommitLosingProxy, monkeypatch: pytest.MonkeyPatch,
                        statement: str, state: str | None = None) -> None:  # fmt: skip
    """The state's write that runs `statement` (with `state` as its first value, if
    given) is committed, and its answer lost with the connection."""
    assert bot.state is not None
    db = bot.state._db
    execute = db.execute

    async def losing(sql: str, params: Any = ()) -> Any:
        if sql.startswith(statement) and (state is None or params[0] == state):
            proxy.lose_next_commit()
        return await execute(sql, params)

    monkeypatch.setattr(db, "execute", losing)


async def test_a_claim_whose_commit_answer_is_lost_is_sent_once_when_it_answers_again(
    fake: FakeDiscord, tmp_path: Path, state_url: str, proxy: CommitLosingProxy,
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
):  # fmt: skip
    """The claim of NOMAD's reminder is committed ('sending', this process's) and its
    answer lost: the bot cannot know then whether it holds it, but knows it sent
    nothing. Once the server answers, the row is found 'sending' under its name, goes
    back to 'pending', and is sent once."""
    clock = FixedClock(july10("1050"))
    async with bot_on(fake, tmp_path, proxy.url_for(state_url), clock) as bot:
        await ask(fake, "remind", item="p:xiang", minutes_before=5)
        await settled(bot)
        _lose_the_commit_of(bot, proxy, monkeypatch, "UPDATE deliveries SET state = 'sending'")
        refused = bot.scheduler.state_refusals
        await travel(bot, fake, clock, july10("1100"))
        await wait_for(lambda: bot.scheduler.state_refusals > refused, what="a refused pass")
        assert proxy.lost.is_set() and not dms(fake)
        monkeypatch.undo()
        with caplog.at_level(logging.INFO, logger="bot.delivery"):
            await settled(bot)
            await settled(bot)
        (dm,) = dms(fake)
        assert dm["embeds"][0]["title"].startswith("⏰ NOMAD")
        assert (await ledger(bot))["reminder p:xiang"] == DeliveryState.SENT
    said = [r.getMessage() for r in caplog.records if "due again" in r.getMessage()]
    assert said == ["delivery 1 was claimed as the state database went out of reach (the commit"
                    " went through, its answer was lost) and not sent; due again"]  # fmt: skip


async def test_a_sent_record_whose_commit_answer_is_lost_is_not_sent_again(
    fake: FakeDiscord, tmp_path: Path, state_url: str, proxy: CommitLosingProxy,
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
):  # fmt: skip
    """'sent' is committed and its answer lost: the bot knows the message went out and
    says so once the server answers; the reminder is done, and nothing goes twice."""
    clock = FixedClock(july10("1050"))
    async with bot_on(fake, tmp_path, proxy.url_for(state_url), clock) as bot:
        await ask(fake, "remind", item="p:xiang", minutes_before=5)
        await settled(bot)
        _lose_the_commit_of(bot, proxy, monkeypatch, "UPDATE deliveries SET state = ?", "sent")
        refused = bot.scheduler.state_refusals
        await travel(bot, fake, clock, july10("1100"))
        await wait_for(lambda: bot.scheduler.state_refusals > refused, what="a refused pass")
        assert proxy.lost.is_set() and len(dms(fake)) == 1
        monkeypatch.undo()
        with caplog.at_level(logging.INFO, logger="bot.delivery"):
            await settled(bot)
            await settled(bot)
        assert len(dms(fake)) == 1
        assert (await ledger(bot))["reminder p:xiang"] == DeliveryState.SENT
        assert bot.state is not None
        (reminder,) = await bot.state.reminders.find("osdi24", statuses=list(ReminderStatus))
        assert reminder.status == "done"
    said = [r.getMessage() for r in caplog.records if "only the answer was lost" in r.getMessage()]
    assert len(said) == 1


# -- a host that goes silent -----------------------------------------------------------------


async def test_lookups_answer_in_time_while_the_host_is_silent(
    fake: FakeDiscord, tmp_path: Path, state_url: str, proxy: CommitLosingProxy
):
    """The state's host vanishes from the network: its connections cut, a new one
    accepted and never answered (10 s to the connect timeout). Lookups still answer
    within Discord's 3 seconds (the fake Discord counts a late answer as a protocol
    error), the state's part left out or said in one sentence; once the host answers
    again, so does the state."""
    async with bot_on(fake, tmp_path, proxy.url_for(state_url), FixedClock(july10("1050"))) as bot:
        assert REMINDED in (await ask(fake, "remind", item="p:xiang"))["content"]
        proxy.go_silent()
        paper = await ask(fake, "paper", title="nomad")
        assert paper["embeds"][0]["title"].startswith("NOMAD")
        assert (await ask(fake, "next")).get("embeds")
        assert (await ask(fake, "agenda"))["content"] == STATE_UNREACHABLE
        assert (await ask(fake, "remind", item="p:xiang"))["content"] == NOT_KEPT
        proxy.speak()
        assert bot.state is not None

        def answers() -> bool:
            bot.scheduler.wake()  # its passes connect again
            return bot.state is not None and bot.state.reachable

        await wait_for(answers, what="the state answering again")
        agenda = await ask(fake, "agenda")
        assert agenda["embeds"][0]["fields"][0]["name"].startswith("NOMAD")
    assert not fake.protocol_errors


# -- leading the conference --------------------------------------------------------------------


async def test_the_source_is_followed_again_after_the_outage_with_what_changed_meanwhile(
    fake: FakeDiscord, tmp_path: Path, state_url: str, private_postgres: PostgresServer
):
    """In the outage the process cannot hold its lead (the lock's session is gone), so it
    stops following the source; the source changes meanwhile. Once the server is back it
    leads again, and the change is read, kept in the state, and served."""
    program = frab_copy(tmp_path)
    async with running_bot(fake, tmp_path, CONFBOT_STATE_URL=state_url,
                           CONFBOT_PROGRAM=str(program)) as bot:  # fmt: skip
        assert bot.member is not None and bot.first.leads and bot.follower.running

        def leads(wanted: bool) -> Callable[[], bool]:
            def check() -> bool:
                assert bot.member is not None
                bot.member.wake()  # a tick now, not after CONFBOT_LEAD_RETRY
                return bot.first.leads is wanted

            return check

        await stopped_under(bot, private_postgres)
        await wait_for(leads(False), what="stepping down")
        assert not bot.follower.running
        edit(program, retitle("Retitled during the outage"))
        await asyncio.to_thread(private_postgres.start)
        await wait_for(leads(True), what="leading again")
        assert bot.follower.running
        poll_source(bot)
        titles = lambda: {t.title for t in bot.service.program.talks}  # noqa: E731
        await wait_for(lambda: "Retitled during the outage" in titles(), what="the change")
        assert bot.state is not None
        kept = await bot.state.versions.last_served_fingerprint(bot.first.key)
        assert kept == bot.follower.seen
