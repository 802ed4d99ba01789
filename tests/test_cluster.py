"""A conference served by several processes: one follows its source (it leads), the
others serve the versions it keeps, and take over when it is gone; and `python -m bot
status` shows which process holds which shards and follows which conference.

The processes share one state (a SQLite file here, standing for the PostgreSQL state
the processes of a real cluster share); who leads is a real PostgreSQL's advisory lock
(CONFBOT_TEST_POSTGRES) or, for what only the Clock decides, a coordinator in memory.
Time is a clock the tests move; only PostgreSQL's round trips take real time, waited
on with a bound."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import load_service
from bot.clock import FixedClock
from bot.cluster import Slice
from bot.delivery.pacer import Pacer
from bot.live.cluster import ClusterMember, ThisProcess, Timing
from bot.live.conference import NotLeading, Served, Serving
from bot.live.conferences import Conferences
from bot.live.diff import Change
from bot.render import status_cards
from bot.service import TALK_REF
from bot.service.status import StatusService
from bot.settings import Settings
from bot.store.coordination import (
    REPLAN,
    Coordinator,
    Notice,
    NoticeHandler,
    NoticeKind,
    SoleCoordinator,
)
from bot.store.dialect import Dialect
from bot.store.members_store import Member
from bot.store.pg_coordination import PostgresCoordinator
from bot.store.state import StateStore
from tests.conftest import pacific
from tests.postgres_coordination import Postgres, own_schema
from tests.program_edits import move_talk
from tests.reminder_helpers import RecordingSender
from tests.state_backends import StateBackend

PROMPTLY = 10.0  # seconds a notice may take, at most, on a loaded machine
BEFORE = pacific("2024-07-08T12:00")  # two days before OSDI '24: nothing is due


@dataclass
class Process:
    """One bot process as far as a conference is concerned: its registry, the conference
    served, and its place in the cluster."""

    served: Served
    member: ClusterMember
    coordinator: Coordinator
    followed: asyncio.Queue[list[Change]]  # what each version swapped in changed

    async def stop(self) -> None:
        await self.member.stop()
        await self.served.stop()
        await self.coordinator.close()


async def start_process(
    name: str, state: StateStore, program: Path, tmp_path: Path, coordinator: Coordinator,
    clock: FixedClock, in_cluster: bool = True,
) -> Process:  # fmt: skip
    """A process serving the program at `program`, as the bot starts one: opened (it
    leads, or serves what the leader kept), started, and in the cluster (listening, and
    ticking once; `in_cluster` False: only when the test ticks)."""
    env = {"CONFBOT_PROGRAM": str(program), "CONFBOT_DB": str(tmp_path / f"{name}.db")}
    settings = Settings.from_env(env, dotenv_path=tmp_path / "none")
    loaded = await load_service(settings)
    followed: asyncio.Queue[list[Change]] = asyncio.Queue()

    async def follow_up(served: Served, changes: list[Change]) -> None:
        followed.put_nowait(changes)

    serving = Serving(state, clock, RecordingSender(), Pacer(), settings, follow_up,
                      f"{name}:1", coordinator=coordinator)  # fmt: skip
    registry = Conferences(state)
    served = await registry.open(loaded.service, loaded.report, settings, serving)
    await served.start()
    # Ticks only when a test says so: the retry is an hour of wall clock away.
    member = ClusterMember(registry, coordinator, state, clock, lambda: Slice(2, frozenset({0})),
                           ThisProcess.at(f"{name}:1", clock.now()), Timing(3600, 60))  # fmt: skip
    if in_cluster:
        await member.start()
    return Process(served, member, coordinator, followed)


async def test_a_conferences_scheduler_takes_its_leases_from_the_settings(
    state: StateStore, program_copy: Path, tmp_path: Path
):
    env = {
        "CONFBOT_PROGRAM": str(program_copy),
        "CONFBOT_DB": str(tmp_path / "a.db"),
        "CONFBOT_LEASE": "6",
        "CONFBOT_LEASE_RENEW": "1.5",
        "CONFBOT_LEDGER_CHECK": "0.5",
    }
    settings = Settings.from_env(env, dotenv_path=tmp_path / "none")
    loaded = await load_service(settings)

    async def follow_up(served: Served, changes: list[Change]) -> None:
        pass

    serving = Serving(state, FixedClock(BEFORE), RecordingSender(), Pacer(), settings, follow_up,
                      "a:1")  # fmt: skip
    scheduler = Served(loaded.service, settings, serving, loaded.report).scheduler
    assert (scheduler.lease, scheduler.renew_every, scheduler.look_every) == (6, 1.5, 0.5)


def sabre_starts(process: Process) -> datetime:
    """When /paper sabre says Sabre starts, in this process."""
    answer = process.served.service.talk("sabre")
    assert not hasattr(answer, "suggestions"), answer
    return answer.talk.talk.slot.start  # type: ignore[union-attr]


@pytest.fixture
async def postgres() -> AsyncIterator[Postgres]:
    async for found in own_schema():
        yield found


@pytest.fixture
async def state(tmp_path: Path) -> AsyncIterator[StateStore]:
    opened = await StateStore.open(tmp_path / "state.db")
    yield opened
    await opened.close()


@pytest.fixture
async def two_processes(
    postgres: Postgres, state: StateStore, program_copy: Path, tmp_path: Path
) -> AsyncIterator[tuple[Process, Process]]:
    """Process a starts first and leads OSDI '24; process b serves what a keeps."""
    clock = FixedClock(BEFORE)
    started = []
    try:
        for name in ("a", "b"):
            coordinator = await PostgresCoordinator.open(postgres.url, reconnect_delay=0.05)
            started.append(await start_process(name, state, program_copy, tmp_path,
                                               coordinator, clock))  # fmt: skip
            await asyncio.wait_for(coordinator.listening.wait(), PROMPTLY)
        yield started[0], started[1]
    finally:
        for process in started:
            await process.stop()


def pg(process: Process) -> PostgresCoordinator:
    assert isinstance(process.coordinator, PostgresCoordinator)
    return process.coordinator


async def test_the_process_that_does_not_lead_serves_the_leaders_new_version_recorded_once(
    two_processes: tuple[Process, Process], state: StateStore, program_copy: Path
):
    a, b = two_processes
    assert a.served.leads and a.served.follower.running
    assert not b.served.leads and not b.served.follower.running  # b never polls the source
    assert b.served.state_follower.running
    move_talk(program_copy, "Sabre", "2024-07-10T11:40", "2024-07-10T12:00")
    changes = await a.served.follower.check()
    assert changes is not None and [c.title[:5] for c in changes] == ["Sabre"]
    followed = await asyncio.wait_for(b.followed.get(), PROMPTLY)  # told, then loaded
    assert [c.key for c in followed] == [c.key for c in changes]  # b followed it up too
    assert sabre_starts(b) == sabre_starts(a) == pacific("2024-07-10T11:40")
    assert b.served.follower.seen == a.served.follower.seen
    # Its change was recorded once, by the leader: notices and /changes tell it once.
    assert len(await state.versions.changes("osdi24")) == 1


async def test_when_the_leader_dies_the_other_takes_over_from_the_version_it_kept(
    two_processes: tuple[Process, Process], postgres: Postgres, state: StateStore,
    program_copy: Path,
):  # fmt: skip
    a, b = two_processes
    move_talk(program_copy, "Sabre", "2024-07-10T11:40", "2024-07-10T12:00")
    await a.served.follower.check()
    await asyncio.wait_for(b.followed.get(), PROMPTLY)
    await postgres.terminate(pg(a).backend_pid)  # a's session dies, and its lock with it
    await b.member.tick()  # b's next try to lead (every CONFBOT_LEAD_RETRY seconds)
    assert b.served.leads and b.served.follower.running and not b.served.state_follower.running
    await a.member.tick()  # a finds its lock gone: it follows the state now
    assert not a.served.leads and not a.served.follower.running
    assert a.served.state_follower.running
    # b follows the source from the version a kept: only what changed since is new.
    move_talk(program_copy, "NOMAD", "2024-07-10T12:20", "2024-07-10T12:40")
    changes = await b.served.follower.check()
    assert changes is not None and [c.title[:5] for c in changes] == ["NOMAD"]
    while (followed := await asyncio.wait_for(a.followed.get(), PROMPTLY)) != changes:
        assert [c.title[:5] for c in followed] == ["Sabre"]  # a's own apply, before
    assert [c.title[:5] for c in await state.versions.changes("osdi24")] == ["NOMAD", "Sabre"]


async def test_a_reminder_set_where_the_conference_is_not_led_wakes_the_leaders_scheduler(
    two_processes: tuple[Process, Process],
):
    a, b = two_processes
    woken = asyncio.Event()
    wake = a.served.scheduler.wake

    def wake_and_tell() -> None:
        woken.set()
        wake()

    a.served.scheduler.wake = wake_and_tell  # type: ignore[method-assign]
    b.served.wake()  # what /remind does in b: person-bound deliveries are planned in a
    await asyncio.wait_for(woken.wait(), PROMPTLY)


async def test_the_heartbeat_names_the_conferences_each_process_leads(
    two_processes: tuple[Process, Process], state: StateStore
):
    a, b = two_processes
    await a.member.tick()
    await b.member.tick()
    rows = {m.process: m for m in await state.members.members()}
    assert rows[a.member.me.process].leads == ("osdi24",)
    assert rows[b.member.me.process].leads == ()
    assert (rows[a.member.me.process].shard_ids, rows[a.member.me.process].shard_count) == ("0", 2)
    await b.member.stop()  # b stops: its row goes with it
    assert [m.process for m in await state.members.members()] == [a.member.me.process]


# -- what only the Clock decides: a coordinator in memory -----------------------------------


class InMemory:
    """Coordinators sharing a dict of locks; their notices are said to no one (lost), so
    only the periodic check finds a new version."""

    sole = False

    def __init__(self, locks: dict[str, InMemory]) -> None:
        self.locks = locks
        self.said: list[tuple[str, str]] = []
        self.sent: list[Notice] = []

    async def try_lead(self, conference: str) -> bool:
        return self.locks.setdefault(conference, self) is self

    async def release(self, conference: str) -> None:
        if self.locks.get(conference) is self:
            del self.locks[conference]

    async def announce(self, conference: str, what: str) -> bool:
        self.said.append((conference, what))
        return True

    async def send(self, notice: Notice) -> bool:
        self.sent.append(notice)
        return True

    async def listen(self, handler: NoticeHandler) -> None:
        return None

    async def close(self) -> None:
        for conference in [k for k, holder in self.locks.items() if holder is self]:
            del self.locks[conference]


@pytest.fixture
async def in_memory(
    state: StateStore, program_copy: Path, tmp_path: Path
) -> AsyncIterator[tuple[Process, Process, FixedClock]]:
    clock = FixedClock(BEFORE)
    locks: dict[str, InMemory] = {}
    started = []
    try:
        for name in ("a", "b"):
            process = await start_process(name, state, program_copy, tmp_path,
                                          InMemory(locks), clock, in_cluster=False)  # fmt: skip
            started.append(process)
        yield started[0], started[1], clock
    finally:
        for process in started:
            await process.stop()


def counting_wakes(process: Process) -> Callable[[], int]:
    """How many times the state follower of `process` was woken since."""
    count = 0
    wake = process.served.state_follower.wake

    def counted() -> None:
        nonlocal count
        count += 1
        wake()

    process.served.state_follower.wake = counted  # type: ignore[method-assign]
    return lambda: count


async def test_a_missed_notice_is_made_up_for_by_the_check_every_minute_of_the_clock(
    in_memory: tuple[Process, Process, FixedClock], program_copy: Path
):
    a, b, clock = in_memory
    wakes = counting_wakes(b)
    await b.member.tick()
    assert wakes() == 1  # the first tick checks
    move_talk(program_copy, "Sabre", "2024-07-10T11:40", "2024-07-10T12:00")
    await a.served.follower.check()
    assert a.coordinator.said[-1] == ("osdi24", a.served.follower.seen)  # told no one
    clock.at += timedelta(seconds=59)
    await b.member.tick()
    assert wakes() == 1
    clock.at += timedelta(seconds=1)  # CONFBOT_FOLLOW_CHECK (60 s) since the last check
    await b.member.tick()
    assert wakes() == 2
    await asyncio.wait_for(b.followed.get(), PROMPTLY)
    assert sabre_starts(b) == pacific("2024-07-10T11:40")


async def test_a_reconnected_listener_has_every_conference_check_at_once(
    in_memory: tuple[Process, Process, FixedClock],
):
    _, b, _ = in_memory
    wakes = counting_wakes(b)
    await b.member.tick()
    await b.member.tick()
    assert wakes() == 1  # the clock did not move: no check due
    b.member.heard(Notice(NoticeKind.RESYNC))  # notices may have been lost meanwhile
    await b.member.tick()
    assert wakes() == 2


async def test_a_version_applied_where_the_conference_is_not_led_is_not_kept(
    in_memory: tuple[Process, Process, FixedClock], state: StateStore, program_copy: Path
):
    _, b, _ = in_memory
    move_talk(program_copy, "Sabre", "2024-07-10T11:40", "2024-07-10T12:00")
    candidate = await b.served.follower.candidate()  # an organiser's /program reload in b
    assert candidate is not None
    with pytest.raises(NotLeading):  # its Apply: the leader keeps versions, not b
        await b.served.follower.apply(candidate)
    assert await state.versions.changes("osdi24") == []
    assert sabre_starts(b) == pacific("2024-07-10T10:45")
    assert b.coordinator.said == []


async def test_only_the_leader_plans_a_persons_reminders(
    in_memory: tuple[Process, Process, FixedClock], state: StateStore
):
    a, b, clock = in_memory
    now_ts = int(clock.now().timestamp())
    sabre = TALK_REF + a.served.service.talk("sabre").talk.key  # type: ignore[union-attr]
    reminder = await state.reminders.add("osdi24", 7, None, sabre, 10, now_ts)
    await b.served.scheduler.replan()  # b does not lead: a person's DMs are not its to plan
    assert await state.ledger.deliveries(kind="reminder") == []
    await a.served.scheduler.replan()
    assert [d.owner for d in await state.ledger.deliveries(kind="reminder")] == [reminder.id]


async def test_a_reminder_set_where_the_conference_is_led_is_not_announced(
    in_memory: tuple[Process, Process, FixedClock],
):
    a, b, _ = in_memory
    a.served.wake()
    b.served.wake()
    await asyncio.sleep(0)  # the announcement is a task of its own: let it run
    assert a.coordinator.said[1:] == []  # a said only the version it opened with
    assert b.coordinator.said == [("osdi24", REPLAN)]


async def test_with_sqlite_the_one_process_leads_and_nothing_ticks(
    state: StateStore, program_copy: Path, tmp_path: Path
):
    only = await start_process("only", state, program_copy, tmp_path, SoleCoordinator(),
                               FixedClock(BEFORE))  # fmt: skip
    try:
        assert only.served.leads and only.served.follower.running
        assert not only.served.state_follower.running
        move_talk(program_copy, "Sabre", "2024-07-10T11:40", "2024-07-10T12:00")
        assert await only.served.follower.check() is not None
        assert sabre_starts(only) == pacific("2024-07-10T11:40")
        assert len(await state.versions.changes("osdi24")) == 1
        assert await state.members.members() == []  # no cluster, no heartbeat
    finally:
        await only.stop()


async def test_the_bot_leads_through_its_coordinator_and_lets_go_when_it_closes(
    postgres: Postgres, tmp_path: Path
):
    from bot.adapters.discord.client import ConfBot

    bots = []
    try:
        for name in ("one", "two"):
            env = {"CONFBOT_DB": str(tmp_path / name / "c.db")}
            settings = Settings.from_env(env, dotenv_path=tmp_path / "none")
            coordinator = await PostgresCoordinator.open(postgres.url, reconnect_delay=0.05)
            bots.append(bot := ConfBot(settings, clock=FixedClock(BEFORE), coordinator=coordinator))
            await bot.setup_hook()
        one, two = bots
        assert one.first.leads and one.follower.running
        assert not two.first.leads and not two.follower.running
        await one.close()  # its conferences are let go at once, not when its session times out
        assert two.member is not None
        await two.member.tick()
        assert two.first.leads and two.follower.running
    finally:
        for bot in bots:
            if bot.state is not None:
                await bot.close()


async def test_a_rehearsals_processes_beat_in_real_time_so_status_shows_them_running(
    postgres_backend: StateBackend, tmp_path: Path
):
    """A rehearsal (CONFBOT_NOW) runs the bot on a clock of the conference's days, but
    `python -m bot status` compares heartbeats with the time it is: heartbeats on the
    rehearsal's clock made every running process look gone for months."""
    from bot.adapters.discord.client import ConfBot

    settings = postgres_backend.settings(Settings(db_path=tmp_path / "c.db"))
    bot = ConfBot(settings, clock=FixedClock(BEFORE))
    try:
        await bot.setup_hook()
        assert bot.member is not None and bot.state is not None
        await bot.member.tick()
        now = datetime.now(UTC)
        cluster = await StatusService(bot.state).cluster(now, ["osdi24"])
        (process,) = cluster.processes
        assert not process.gone and process.leads == ("osdi24",)
        assert abs((process.started - now).total_seconds()) < 60
        assert cluster.unled == ()
    finally:
        await bot.close()


# -- python -m bot status ---------------------------------------------------------------


NOW = datetime(2024, 7, 10, 17, 50, tzinfo=UTC)


def member(process: str, ids: str, leads: tuple[str, ...], seen_ago: int, up: int) -> Member:
    now_ts = int(NOW.timestamp())
    return Member(process, f"web-{process}", 4000 + int(process), ids, 8, leads, 10,
                  now_ts - up, now_ts - seen_ago)  # fmt: skip


@pytest.fixture
async def any_state(state_backend: StateBackend) -> AsyncIterator[StateStore]:
    """The state on each backend in turn (the members table is a cluster's, on PostgreSQL;
    on SQLite the tests say the state is a cluster's, as PostgreSQL's says by itself)."""
    opened = await state_backend.open()
    yield opened
    await opened.close()


async def test_status_shows_which_process_holds_which_shards_and_follows_which_conference(
    any_state: StateStore,
):
    state = any_state
    await state.members.beat(member("1", "0-3", ("osdi24",), 4, 7200))
    await state.members.beat(member("2", "4-7", (), 12, 95))
    await state.members.beat(member("3", "4-7", ("fixcon",), 31 * 60, 86400))  # gone
    state.dialect = Dialect.POSTGRES  # the members table as a cluster's state keeps it
    cluster = await StatusService(state).cluster(NOW, ["osdi24", "fixcon"])
    assert status_cards.cluster_text(cluster, NOW) == (
        "Processes: 2 running, 1 gone\n"
        "  web-1, pid 4001: shards 0-3 of 8; follows osdi24; seen 4 s ago, up 2 h\n"
        "  web-2, pid 4002: shards 4-7 of 8; follows no conference; seen 12 s ago, up 1 min\n"
        "  web-3, pid 4003: gone, last seen 31 min ago (held shards 4-7 of 8; followed fixcon)\n"
        "  No running process follows fixcon."
    )


async def test_status_shows_a_damaged_heartbeat_row_s_conferences_as_unreadable(
    any_state: StateStore,
):
    state = any_state
    await state.members.beat(member("1", "0-3", ("osdi24",), 4, 7200))
    await state.members.beat(member("2", "4-7", ("fixcon",), 12, 95))
    await state._db.execute("UPDATE cluster_members SET leads = ? WHERE pid = ?",
                            ('["fixcon", {', 4002))  # fmt: skip
    state.dialect = Dialect.POSTGRES
    cluster = await StatusService(state).cluster(NOW, ["osdi24"])
    assert status_cards.cluster_text(cluster, NOW) == (
        "Processes: 2 running\n"
        "  web-1, pid 4001: shards 0-3 of 8; follows osdi24; seen 4 s ago, up 2 h\n"
        "  web-2, pid 4002: shards 4-7 of 8; follows conferences unreadable (its row in the"
        " state is damaged); seen 12 s ago, up 1 min"
    )


async def test_status_of_a_cluster_with_no_process_running_says_so(any_state: StateStore):
    state = any_state
    state.dialect = Dialect.POSTGRES
    cluster = await StatusService(state).cluster(NOW, ["osdi24"])
    assert status_cards.cluster_text(cluster, NOW) == (
        "Processes: none has written a heartbeat (no bot is running on this state).\n"
        "  No running process follows osdi24."
    )


async def test_status_with_sqlite_says_one_process_holds_everything(state: StateStore):
    cluster = await StatusService(state).cluster(NOW, ["osdi24"])
    assert status_cards.cluster_text(cluster, NOW) == status_cards.SOLE
