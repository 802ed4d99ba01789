"""Claims that survive a cluster: several processes share one ledger, each delivery held
by one process under a lease it renews; recovery takes only expired leases; a server's
deliveries go to the process holding its shard, a person's to any (state migration 15).

Two schedulers on one state with different process names stand for two processes. The
`shared_state` fixture (tests/state_backends.py) opens that state; on SQLite it says the
state is not this process's alone (what a PostgreSQL state says by itself), so these
tests run on either backend.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path

import pytest

from bot.clock import FixedClock
from bot.cluster import Slice, process_name, shard_of
from bot.delivery import registry
from bot.delivery.kind import ChannelKind, DirectKind
from bot.delivery.pacer import Pacer
from bot.delivery.scheduler import Scheduler
from bot.kinds import DeliveryKind, DeliveryState
from bot.render.cards import Card
from bot.service import ProgramService
from bot.store.ledger_store import _WANTED_SQL, Planned, Scope, Wanted
from bot.store.state import StateStore
from tests.conftest import pacific
from tests.reminder_helpers import RecordingSender

NOW = pacific("2024-07-10T11:05")  # NOMAD (p:xiang) starts
LEASE = 60
TWO = 2  # shards in these tests' cluster


# Two servers with snowflake-sized ids (about 1.1e18), on shards 0 and 1 of TWO.
G0, G1 = (262_000_000_000 << 22) | 12345, (262_000_000_001 << 22) | 12345
CHANNELS = {G0: 880, G1: 881}
USERS = (1001, 1002, 1003, 1004, 1005)
TALKS = ("p:zhong-yuhong", "p:luo", "p:chen-lei", "p:ma-haoran", "p:agrawal")


@dataclass
class HoldingSender(RecordingSender):
    """Records every DM, then holds the `hold_at`-th (from 1) in flight until `let_go`
    is set (never, for a process killed mid-send)."""

    hold_at: int = 0
    in_flight: asyncio.Event = field(default_factory=asyncio.Event)
    let_go: asyncio.Event = field(default_factory=asyncio.Event)

    async def send_dm(self, user_id: int, card: Card) -> None:
        await super().send_dm(user_id, card)
        if len(self.dms) == self.hold_at:
            self.in_flight.set()
            await self.let_go.wait()


def process(
    state: StateStore, service: ProgramService, clock: FixedClock, sender: RecordingSender,
    name: str, shards: Sequence[int], people: bool, renew_every: float = 20.0,
) -> Scheduler:  # fmt: skip
    """A scheduler standing for one process of the cluster, holding `shards` of TWO and
    planning people's deliveries if `people` (it sends them in any case)."""
    return Scheduler(state, lambda: service, clock, sender, process=name,
                     shards=Slice(TWO, frozenset(shards)), plans_people=lambda: people,
                     lease=LEASE, renew_every=renew_every)  # fmt: skip


async def conference_day(state: StateStore, service: ProgramService) -> None:
    """Five people with a reminder each of a later talk, due a minute before NOW, and two
    servers announcing each talk as it starts, NOMAD's line due at NOW: the DMs are
    anyone's to send, each server's line its shard's process's."""
    key, now_ts = service.conference.key, int((NOW - timedelta(minutes=10)).timestamp())
    for user, ref in zip(USERS, TALKS, strict=True):
        talk = service.remindable(ref)
        assert talk is not None
        minutes = int((talk.slot.start - NOW).total_seconds() // 60) + 1  # due at 11:04
        await state.reminders.add(key, user, None, ref, minutes, now_ts)
    for guild, channel in CHANNELS.items():
        await state.announcements.save(guild, key, channel, 60, True, now_ts)


async def plan(clock: FixedClock, *schedulers: Scheduler) -> None:
    """Each process plans its part five minutes before NOW (a line is planned before its
    talk starts), and the clock comes to NOW, when everything planned is due."""
    clock.at = NOW - timedelta(minutes=5)
    await asyncio.gather(*(scheduler.replan() for scheduler in schedulers))
    clock.at = NOW


async def drain(scheduler: Scheduler) -> None:
    while await scheduler.step():
        pass


async def wait_until(condition: Callable[[], bool], what: str) -> None:
    """Poll a cheap condition on the event loop (the clock the tests move never runs)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while not condition():
        assert loop.time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.002)


async def a_pass(scheduler: Scheduler) -> None:
    """Wake a running scheduler and wait for a whole pass begun after (see passed_since)."""
    begun = scheduler.passes_begun
    scheduler.wake()
    await wait_until(lambda: scheduler.passed_since(begun), "a whole pass")


async def rows(state: StateStore) -> Counter[tuple[int, str]]:
    """(owner, state) -> how many deliveries of the conference."""
    found = await state.ledger.deliveries(conference="osdi24")
    return Counter((d.owner, d.state) for d in found)


async def left(state: StateStore) -> list[tuple[str, int]]:
    """(kind, owner) of the deliveries due by NOW not yet settled (pending or sending)."""
    found = await state.ledger.deliveries(conference="osdi24")
    return [(d.kind, d.owner) for d in found
            if d.due_ts <= NOW.timestamp() and d.state in ("pending", "sending")]  # fmt: skip


def dm_users(*senders: RecordingSender) -> list[int]:
    return sorted(user for sender in senders for user, _ in sender.dms)


def channels(sender: RecordingSender) -> set[int]:
    return {channel for channel, _, _ in sender.posts}


async def test_every_server_bound_kind_is_owned_by_its_guild():
    """The shard rule reads a server-bound row's owner as its guild id: every kind that
    posts in a server checks its still-wanted rule against the guild by that owner, and
    every DM kind is bound to a person instead."""
    for kind in registry.KINDS:
        bound = kind.kind in registry.SERVER_KINDS
        assert bound == isinstance(kind, ChannelKind)
        assert bound != isinstance(kind, DirectKind)
        if bound:
            assert "guild_id = deliveries.owner" in _WANTED_SQL[kind.wanted], kind.kind


def test_a_process_name_is_new_at_each_start_and_the_servers_on_two_shards():
    assert process_name() != process_name()
    assert shard_of(G0, TWO) == 0 and shard_of(G1, TWO) == 1


async def test_two_processes_deliver_every_row_exactly_once(shared_state, service):
    clock = FixedClock(NOW)
    one, two = RecordingSender(), RecordingSender()
    first = process(shared_state, service, clock, one, "host:1:a", [0], people=True)
    second = process(shared_state, service, clock, two, "host:2:b", [1], people=False)
    first.batch = second.batch = 2  # small batches, so the two take turns
    await conference_day(shared_state, service)
    await plan(clock, first, second)
    await asyncio.gather(drain(first), drain(second))

    assert dm_users(one, two) == sorted(USERS)  # each person once, by either
    assert channels(one) == {CHANNELS[G0]} and channels(two) == {CHANNELS[G1]}
    assert await left(shared_state) == []
    ledger = await rows(shared_state)
    assert len(one.posts) == ledger[(G0, "sent")] > 0
    assert len(two.posts) == ledger[(G1, "sent")] > 0
    await asyncio.gather(drain(first), drain(second))  # nothing is left to send again
    assert dm_users(one, two) == sorted(USERS)


async def test_server_rows_go_to_the_shard_holding_the_guild_and_dms_to_either(
    shared_state, service
):
    """The second process comes first and takes all it may: the people's reminders and
    its own server's lines; never the other server's, which wait for their process."""
    clock = FixedClock(NOW)
    one, two = RecordingSender(), RecordingSender()
    first = process(shared_state, service, clock, one, "host:1:a", [0], people=True)
    second = process(shared_state, service, clock, two, "host:2:b", [1], people=False)
    await conference_day(shared_state, service)
    await plan(clock, first, second)
    await drain(second)
    assert dm_users(two) == sorted(USERS)
    assert channels(two) == {CHANNELS[G1]}
    assert await left(shared_state) == [(DeliveryKind.TALK, G0)]
    await drain(first)
    assert one.dms == [] and channels(one) == {CHANNELS[G0]}
    assert await left(shared_state) == []


async def test_a_scoped_plan_never_cancels_another_scopes_rows(shared_state, service):
    clock = FixedClock(NOW)
    await conference_day(shared_state, service)
    first = process(shared_state, service, clock, RecordingSender(), "a", [0], people=True)
    second = process(shared_state, service, clock, RecordingSender(), "b", [1], people=False)
    await first.replan()
    planned = await rows(shared_state)
    assert planned[(G0, "pending")] > 0 and planned[(G1, "pending")] == 0
    assert sum(n for (owner, _), n in planned.items() if owner not in CHANNELS) == len(USERS)
    await second.replan()  # plans its server; neither cancels nor plans people's
    both = await rows(shared_state)
    assert both[(G1, "pending")] > 0
    assert both - Counter({(G1, "pending"): both[(G1, "pending")]}) == planned
    await first.replan()
    assert await rows(shared_state) == both
    # A process whose plan lost everything (its server stopped announcing) cancels its
    # own rows only; the other server's and the people's stay pending.
    await shared_state.announcements.disable(G1, "test", int(NOW.timestamp()), "osdi24")
    await second.replan()
    after = await rows(shared_state)
    assert after[(G1, "cancelled")] == both[(G1, "pending")] and after[(G1, "pending")] == 0
    assert after - Counter({(G1, "cancelled"): after[(G1, "cancelled")]}) == planned


async def test_a_plan_scope_in_the_store_is_the_one_its_sql_says(shared_state):
    """sync_plan with a scope: what it plans and what it cancels are the scope's alone."""
    servers = frozenset({DeliveryKind.TALK})
    mine = Scope(servers, Slice(TWO, frozenset({1})), people=False)
    planned = [Planned(DeliveryKind.TALK, G0, "p:a", 1, 100),
               Planned(DeliveryKind.TALK, G1, "p:a", 1, 100),
               Planned(DeliveryKind.REMINDER, 7, "p:a", 1, 100)]  # fmt: skip
    await shared_state.ledger.sync_plan("osdi24", planned, 0)  # the whole ledger's plan
    await shared_state.ledger.sync_plan("osdi24", [], 0, mine)  # cancels G1's row alone
    states = {(d.owner, d.state) for d in await shared_state.ledger.deliveries()}
    assert states == {(G0, "pending"), (G1, "cancelled"), (7, "pending")}
    assert [p.owner for p in planned if mine.holds(p.kind, p.owner)] == [G1]


async def test_a_killed_process_reserved_rows_are_taken_over_once_its_leases_expire(
    shared_state, service
):
    """The first process reserves everything due, sends one reminder, and is killed in
    the middle of the second (sent, not yet marked): nothing is renewed after. Until its
    leases expire the other takes none of its rows; then it sends the reminders that
    were only reserved, once, and marks the one in flight lost, never resending it."""
    clock = FixedClock(NOW)
    killed, other = HoldingSender(hold_at=2), RecordingSender()
    first = process(shared_state, service, clock, killed, "host:1:a", [0], people=True)
    second = process(shared_state, service, clock, other, "host:2:b", [1], people=False)
    await conference_day(shared_state, service)
    await plan(clock, first, second)
    batch = asyncio.create_task(first.step())
    await asyncio.wait_for(killed.in_flight.wait(), 10)
    batch.cancel()  # SIGKILL: no settling, no more renewals
    with pytest.raises(asyncio.CancelledError):
        await batch
    (in_flight,) = await shared_state.ledger.deliveries(state="sending")

    await drain(second)  # its own server's line; the people's rows are held
    assert other.dms == [] and channels(other) == {CHANNELS[G1]}
    second.look_every = 3600  # only what it waits for wakes it
    # It sleeps until the dead process's leases end (not 0 s, over and over).
    assert await second.seconds_until_next() == LEASE
    await second.start()  # its loop recovers on every pass, as a shared state needs
    try:
        await a_pass(second)
        assert other.dms == []
        assert [d.id for d in await shared_state.ledger.deliveries(state="sending")] == [
            in_flight.id
        ]
        clock.at = NOW + timedelta(seconds=LEASE + 1)
        await a_pass(second)
    finally:
        await second.stop()
    sent_first = [user for user, _ in killed.dms]
    assert len(sent_first) == 2
    assert dm_users(other) == sorted(set(USERS) - set(sent_first))  # the rest, once
    reminders = await shared_state.ledger.deliveries(kind="reminder")
    assert Counter(d.state for d in reminders) == {"sent": len(USERS) - 1, "lost": 1}
    (lost,) = [d for d in reminders if d.state == "lost"]
    assert lost.id == in_flight.id
    # The killed process's server is its shard's: a new process on that shard posts the
    # line it left, and nothing is ever sent twice.
    successor = RecordingSender()
    again = process(shared_state, service, clock, successor, "host:3:c", [0], people=True)
    await drain(again)
    assert successor.dms == [] and channels(successor) == {CHANNELS[G0]}
    assert len(successor.posts) == 1 and len(killed.posts) == 0
    assert await left(shared_state) == []


async def test_a_dead_process_send_in_flight_is_marked_lost_when_its_lease_ends(
    shared_state, service
):
    """The delivery a process was sending when it died was claimed after its batch was
    reserved, so its lease ends later than the batch's. The other process, once it has
    sent the batch, sleeps until that lease ends and marks it lost then: it used to wake
    only at its next look at the ledger (CONFBOT_LEDGER_CHECK, 20 s), leaving it
    'sending' until then (found by tests/e2e/test_cluster_processes_e2e.py)."""
    clock = FixedClock(NOW)

    async def pace(seconds: float) -> None:  # the pacer's wait moves the clock
        clock.at += timedelta(seconds=seconds)

    killed = HoldingSender(hold_at=2)
    first = Scheduler(shared_state, lambda: service, clock, killed, process="host:1:a",
                      shards=Slice(TWO, frozenset({0})),
                      pacer=Pacer(10, monotonic=lambda: clock.now().timestamp(), sleep=pace),
                      lease=LEASE)  # fmt: skip
    second = process(shared_state, service, clock, RecordingSender(), "host:2:b", [1],
                     people=False)  # fmt: skip
    await conference_day(shared_state, service)
    await plan(clock, first, second)
    batch = asyncio.create_task(first.step())  # reserves all at NOW, claims the 2nd at +10 s
    await asyncio.wait_for(killed.in_flight.wait(), 10)
    batch.cancel()  # SIGKILL
    with pytest.raises(asyncio.CancelledError):
        await batch
    (in_flight,) = await shared_state.ledger.deliveries(state="sending")

    clock.at = NOW + timedelta(seconds=LEASE + 1)  # the batch's leases ended, not the send's
    await second.recover(starting=False)
    await drain(second)
    assert await left(shared_state) == [(DeliveryKind.REMINDER, in_flight.owner),
                                        (DeliveryKind.TALK, G0)]  # fmt: skip
    second.look_every = 3600  # only what it waits for wakes it
    assert await second.seconds_until_next() == 9  # when the send's lease ends
    # Its batch took longer than that: the lease has ended when it comes to sleep. It
    # does not sleep, so its next pass marks the send lost (a look away, before).
    clock.at = NOW + timedelta(seconds=LEASE + 15)
    assert await second.seconds_until_next() == 0
    (lost,) = await second.recover(starting=False)
    assert lost.id == in_flight.id
    assert await second.seconds_until_next() > 0  # and then sleeps: nothing more is held


async def test_a_live_process_renewed_lease_is_never_taken(shared_state, service):
    """A process whose send lasts longer than a lease keeps renewing: past the first
    lease's end, the other process takes nothing it holds, neither its send in flight
    (not lost) nor its reserved reminders; it sends them all itself."""
    clock = FixedClock(NOW)
    slow, other = HoldingSender(hold_at=1), RecordingSender()
    first = process(shared_state, service, clock, slow, "host:1:a", [0], people=True,
                    renew_every=0.001)  # fmt: skip
    second = process(shared_state, service, clock, other, "host:2:b", [1], people=False)
    await conference_day(shared_state, service)
    await plan(clock, first, second)
    batch = asyncio.create_task(first.step())
    await asyncio.wait_for(slow.in_flight.wait(), 10)
    clock.at = NOW + timedelta(seconds=LEASE - 10)
    renewals = first.renewals + 1  # one may have read the clock before it moved
    await wait_until(lambda: first.renewals > renewals, "a renewal")
    clock.at = NOW + timedelta(seconds=LEASE + 30)  # past the first lease, within the renewed

    assert await second.recover(starting=False) == []
    await drain(second)
    assert other.dms == []
    slow.let_go.set()
    await asyncio.wait_for(batch, 10)
    await drain(first)
    assert dm_users(slow) == sorted(USERS)
    reminders = await shared_state.ledger.deliveries(kind="reminder")
    assert {d.state for d in reminders} == {"sent"}


async def test_starting_beside_a_live_process_does_not_steal_its_send_in_flight(
    shared_state, service
):
    """A defect on a shared state: a process starting marked every 'sending' delivery of
    the conference lost, so another process's send in flight was taken from it (its
    'sent' then refused, the message counted lost though it went out). A process
    starting takes only expired leases."""
    clock = FixedClock(NOW)
    slow = HoldingSender(hold_at=1)
    running = Scheduler(shared_state, lambda: service, clock, slow)
    await conference_day(shared_state, service)
    await plan(clock, running)
    batch = asyncio.create_task(running.step())
    await asyncio.wait_for(slow.in_flight.wait(), 10)
    (in_flight,) = await shared_state.ledger.deliveries(state="sending")

    starting = Scheduler(shared_state, lambda: service, clock, RecordingSender())
    assert await starting.recover() == []
    slow.let_go.set()
    await asyncio.wait_for(batch, 10)
    (after,) = [d for d in await shared_state.ledger.deliveries() if d.id == in_flight.id]
    assert after.state == "sent"


async def test_a_claim_never_takes_a_row_another_process_holds(shared_state):
    """Reserved by one process, a row is not claimed by another while the lease lasts
    (nor cancelled as unwanted: it is wanted, just not this one's), then is once it ends."""
    ledger = shared_state.ledger
    await ledger.sync_plan("c", [Planned(DeliveryKind.NOTICE, 1, "sync:1", 1, 0)], 0)
    (held,) = await ledger.reserve("c", Scope(), "a", 0, 0, LEASE, 10)
    assert await ledger.reserve("c", Scope(), "b", 0, 0, LEASE, 10) == []
    assert not await ledger.claim(held.id, 10, Wanted.ALWAYS, "b", 10 + LEASE)
    (still,) = await ledger.deliveries()
    assert still.state == DeliveryState.PENDING
    assert await ledger.claim(held.id, LEASE, Wanted.ALWAYS, "b", 2 * LEASE)  # expired


async def test_a_process_alone_on_its_state_frees_every_hold_at_start(tmp_path: Path):
    """SQLite, held by one process (its file lock): at start every hold is a dead
    process's, live lease or not; the reserved row is free again, the sending one lost."""
    async with await StateStore.open(tmp_path / "state.db") as state:
        assert state.ledger.alone
        ledger = state.ledger
        planned = [Planned(DeliveryKind.NOTICE, user, "sync:1", user, 0) for user in (1, 2)]
        await ledger.sync_plan("c", planned, 0)
        one, two = await ledger.reserve("c", Scope(), "dead", 0, 0, 1_000, 10)
        assert await ledger.claim(one.id, 0, Wanted.ALWAYS, "dead", 1_000)
        (lost,) = await ledger.recover_interrupted("c", 5, alone=True)
        assert lost.id == one.id
        (free,) = await ledger.reserve("c", Scope(), "new", 0, 5, 65, 10)
        assert free.id == two.id


async def test_a_thread_is_kept_in_step_only_by_the_process_holding_its_server(
    shared_state, service, program
):
    """Following a talk's Q&A thread (editing it when the talk moves) is work in its
    server, like its deliveries: the process holding that server does it, not every one."""
    clock, served = FixedClock(NOW - timedelta(minutes=15)), [service]
    key, forum = service.conference.key, 555
    await shared_state.qa.save_forum(G1, key, forum, 5, int(clock.now().timestamp()))
    holding, elsewhere = RecordingSender(), RecordingSender()
    shards = ((elsewhere, "host:2:b", 0), (holding, "host:1:a", 1))  # G1 is on shard 1
    schedulers = [
        Scheduler(shared_state, lambda: served[0], clock, sender, process=name,
                  shards=Slice(TWO, frozenset({shard})))
        for sender, name, shard in shards
    ]  # fmt: skip
    clock.at = NOW - timedelta(minutes=5)  # NOMAD's thread opens
    for scheduler in schedulers:
        await scheduler.replan()
        await drain(scheduler)
    assert len(holding.threads) == 1 and elsewhere.threads == []
    moved = tuple(replace(t, slot=replace(t.slot, room="Hall B")) if t.key == "xiang" else t
                  for t in program.talks)  # fmt: skip
    served[0] = ProgramService(replace(program, talks=moved))
    for scheduler in schedulers:  # the other process first: it must leave the thread be
        await scheduler.follow_up()
    assert elsewhere.edits == []
    ((_, _, card),) = holding.edits
    assert "Hall B" in card.description


def test_a_scope_sql_and_its_python_agree():
    kinds = frozenset({DeliveryKind.TALK})
    for ids, people in [({0}, True), ({1}, False), ({0, 1}, False), ({0, 1}, True)]:
        scope = Scope(kinds, Slice(TWO, frozenset(ids)), people)
        where, _ = scope.sql()
        assert scope.holds(DeliveryKind.REMINDER, 7) is people
        assert scope.holds(DeliveryKind.TALK, G1) is (1 in ids)
        assert ("owner >> 22" in where) is (ids != {0, 1})
