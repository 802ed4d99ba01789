"""The bot's one pace: shared by every conference, under Discord's global limit, and
starting big bursts early enough that they end on time. All on a simulated clock."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from benchmarks.deliveries import conference_copies
from bot.clock import FixedClock
from bot.cluster import Slice
from bot.delivery.pacer import MAX_LEAD, Pacer
from bot.delivery.scheduler import RETRY_AFTER, Scheduler, TryLater, own_part
from bot.kinds import DeliveryKind, DeliveryState
from bot.render.cards import Card
from bot.render.limits import GLOBAL_REQUESTS_PER_SECOND, MAX_REQUESTS_PER_SECOND
from bot.service import ProgramService
from bot.store.ledger_store import Delivery
from bot.store.state import StateStore
from tests.conftest import pacific
from tests.reminder_helpers import make_rig

NOMAD = "p:xiang"  # Wed 11:05 (derived): a 10-minute reminder is due at 10:55
DUE = pacific("2024-07-10T10:55")


class SimulatedTime:
    """A monotonic reading and a sleep that only moves it: nothing waits for real."""

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


@dataclasses.dataclass
class SimulatedClock:
    """The scheduler's clock, standing at `start` plus the simulated time."""

    start: datetime
    time: SimulatedTime

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self.time.now)


class PacedSender:
    """What the Discord adapter does per delivery: a token for opening the DM channel and
    one for the message (paced_trace takes one before each REST request)."""

    def __init__(self, pacer: Pacer, time: SimulatedTime, expected: int = 0) -> None:
        self.pacer = pacer
        self.time = time
        self.requests: list[float] = []
        self.dms: list[tuple[int, float]] = []
        self.expected = expected
        self.all_sent = asyncio.Event()  # set at the `expected`th DM

    async def _request(self) -> None:
        await self.pacer.acquire()
        self.requests.append(self.time.now)

    async def send_dm(self, user_id: int, card: Card) -> None:
        await self._request()
        await self._request()
        self.dms.append((user_id, self.time.now))
        if len(self.dms) == self.expected:
            self.all_sent.set()

    async def post(self, channel_id: int, cards: Sequence[Card], text: str | None = None) -> None:
        await self._request()


def serving(service: ProgramService) -> Callable[[], ProgramService]:
    return lambda: service


def busiest_second(times: list[float]) -> int:
    """The most requests in any window of one second (how Discord counts)."""
    return max(sum(1 for t in times if start <= t < start + 1.0) for start in times)


def pacer_on(time: SimulatedTime) -> Pacer:
    """The pace with no delivery pace (CONFBOT_DELIVERY_PACE=0): requests at 40/s."""
    return Pacer(0.0, monotonic=time.monotonic, sleep=time.sleep)


def test_the_request_pace_is_under_discords_global_limit():
    assert MAX_REQUESTS_PER_SECOND + 1 < GLOBAL_REQUESTS_PER_SECOND
    with pytest.raises(ValueError, match="under Discord"):
        Pacer(0.0, GLOBAL_REQUESTS_PER_SECOND)


async def test_deliveries_are_spaced_by_the_delivery_pace_across_conferences():
    time = SimulatedTime()
    pacer = Pacer(0.1, monotonic=time.monotonic, sleep=time.sleep)
    moments = []
    for _ in range(30):
        async with pacer.turn():
            moments.append(time.now)
    assert moments[-1] == pytest.approx(2.9)
    assert pacer.seconds_for(100) == pytest.approx(10.0)  # slower than 200 requests at 40/s


async def test_requests_are_spaced_evenly_at_the_rate():
    time = SimulatedTime()
    pacer = pacer_on(time)
    moments = []
    for _ in range(200):
        await pacer.acquire()
        moments.append(time.now)
    gaps = [b - a for a, b in itertools.pairwise(moments)]
    assert min(gaps) == pytest.approx(1 / MAX_REQUESTS_PER_SECOND)
    assert busiest_second(moments) <= MAX_REQUESTS_PER_SECOND + 1


async def test_a_global_429_pauses_every_request():
    time = SimulatedTime()
    pacer = pacer_on(time)
    await pacer.acquire()
    pacer.pause(3.0)
    await pacer.acquire()
    assert time.now == pytest.approx(3.0)
    assert pacer.paused == 1


async def test_many_schedulers_sharing_the_pace_never_exceed_it(
    service: ProgramService, tmp_path: Path
):
    # Each conference alone used to send ten a second, so twenty sent two hundred.
    time = SimulatedTime()
    pacer = pacer_on(time)
    sender = PacedSender(pacer, time)
    clock = FixedClock(DUE)
    state = await StateStore.open(tmp_path / "state.db")
    conferences, per = 20, 15
    schedulers = []
    for n, conference in enumerate(conference_copies(service, conferences)):
        for user in range(per):
            await state.reminders.add(conference.conference.key, 1000 * n + user, None, NOMAD,
                                     10, 0)  # fmt: skip
        scheduler = Scheduler(state, serving(conference), clock, sender, pacer=pacer)
        await scheduler.replan()
        schedulers.append(scheduler)

    async def drain(scheduler: Scheduler) -> None:
        while await scheduler.step():
            pass

    await asyncio.gather(*(drain(s) for s in schedulers))
    await state.close()
    assert len(sender.dms) == conferences * per
    assert busiest_second(sender.requests) <= MAX_REQUESTS_PER_SECOND + 1
    # All of them took their turn in about the time the rate needs, no more.
    assert time.now == pytest.approx(2 * conferences * per / MAX_REQUESTS_PER_SECOND, abs=0.1)


def test_a_burst_starts_so_its_last_request_is_due_by_its_moment():
    pacer = Pacer(0.0, 40)
    # Two conferences with 1,000 deliveries each at 11:00 (two requests each: 100 s).
    assert pacer.book("a", 10_000, 1000) == 10_000 - 50
    assert pacer.book("b", 10_000, 1000) == 10_000 - 100
    assert pacer.start("a") == 10_000 - 100
    # A third due 30 s later, needing 50 s, pushes the earlier moment 20 s earlier still.
    assert pacer.book("c", 10_030, 1000) == 10_030 - 50
    assert pacer.start("a") == 10_000 - 120
    pacer.unbook("c")
    assert pacer.start("a") == 10_000 - 100


def test_no_burst_starts_more_than_the_longest_lead_early():
    pacer = Pacer(0.0, 40)
    assert pacer.book("keynote", 10_000, 1_000_000) == 10_000 - MAX_LEAD


async def test_a_keynote_burst_is_sent_ahead_and_ends_by_its_due_time(
    service: ProgramService, tmp_path: Path
):
    time = SimulatedTime()
    pacer = pacer_on(time)
    count = 400  # 800 requests: 20 s at 40 a second
    sender = PacedSender(pacer, time, expected=count)
    lead = 2 * count / MAX_REQUESTS_PER_SECOND
    clock = SimulatedClock(DUE - timedelta(seconds=60), time)
    state = await StateStore.open(tmp_path / "state.db")
    for user in range(count):
        await state.reminders.add(service.conference.key, user, None, NOMAD, 10, 0)
    scheduler = Scheduler(state, lambda: service, clock, sender, pacer=pacer, batch=100)
    await scheduler.replan()
    assert await scheduler.seconds_until_next() == pytest.approx(60 - lead)
    time.now = 60 - lead  # the moment the pace says to begin
    await scheduler.start()
    # The loop's work, not a due moment, is waited for: the clock only moves by sends.
    await asyncio.wait_for(sender.all_sent.wait(), 60)
    await scheduler.stop()
    await state.close()
    assert scheduler.sent == count
    first, last = sender.dms[0][1], sender.dms[-1][1]
    assert clock.start + timedelta(seconds=first) < DUE - timedelta(seconds=lead - 1)
    assert clock.start + timedelta(seconds=last) <= DUE  # on time, not 20 s late


async def test_a_burst_due_later_is_not_taken_early_without_a_pacer(
    service: ProgramService, tmp_path: Path
):
    rig = await make_rig(service, tmp_path / "state.db", FixedClock(DUE - timedelta(seconds=1)))
    await rig.remind(1, NOMAD)
    assert await rig.scheduler.step() == 0
    assert await rig.scheduler.seconds_until_next() == 1
    await rig.state.close()


async def test_a_retry_waits_as_long_as_a_429_asked(service: ProgramService, tmp_path: Path):
    rig = await make_rig(service, tmp_path / "state.db", FixedClock(DUE))
    await rig.remind(1, NOMAD)
    rig.sender.fail_with = TryLater("HTTP 429 0", retry_after=100.4)
    await rig.at(DUE)
    (delivery,) = await rig.state.ledger.deliveries()
    assert delivery.state == "pending"
    assert delivery.due_ts - int(DUE.timestamp()) == 101  # not the usual RETRY_AFTER
    assert RETRY_AFTER < 101
    await rig.state.close()


async def test_processes_of_a_cluster_start_a_burst_of_dms_when_one_process_would(
    service: ProgramService, tmp_path: Path
):
    # Two processes, each with half the shards and half the pace, share 400 DMs due at
    # once (any process sends a person's): each sends about half, so together they need
    # the 20 s one process needs, and each starts then. Each counted all 400 at its half
    # pace, and started 40 s early: with 10,000 DMs, 900 s early (the cap) for a burst two
    # processes drain in 500 s, every reminder up to 400 s earlier than one process sends it.
    time = SimulatedTime()
    count = 400
    lead = 2 * count / MAX_REQUESTS_PER_SECOND
    clock = SimulatedClock(DUE - timedelta(seconds=60), time)
    async with await StateStore.open(tmp_path / "state.db") as state:
        state.ledger.alone = False  # as on PostgreSQL: the processes share the state
        for user in range(count):
            await state.reminders.add(service.conference.key, user, None, NOMAD, 10, 0)
        processes = []
        for shard in (0, 1):
            held = Slice(2, frozenset({shard}))
            pacer = Pacer.for_share(0.0, held.share, monotonic=time.monotonic, sleep=time.sleep)
            processes.append((pacer, Scheduler(state, lambda: service, clock,
                                               PacedSender(pacer, time), pacer=pacer,
                                               shards=held)))  # fmt: skip
        await processes[0][1].replan()
        for pacer, scheduler in processes:
            await scheduler.seconds_until_next()  # books the burst with its pace
            assert DUE.timestamp() - pacer.start(scheduler) == pytest.approx(lead)


def test_a_process_counts_the_posts_of_its_servers_whole_and_its_share_of_the_dms():
    def burst(kinds: Sequence[DeliveryKind]) -> list[Delivery]:
        return [Delivery(i, kind, 1, "p:x", 0, 2, 0, DeliveryState.PENDING, 0, 0, None)
                for i, kind in enumerate(kinds)]  # fmt: skip

    # A slot's posts in its servers are its own (the scope read only those); DMs any
    # process of the cluster sends, so each counts its share, rounded up.
    mixed = burst([DeliveryKind.SLOT] * 3 + [DeliveryKind.REMINDER] * 5)
    assert own_part(mixed, 1.0) == 8
    assert own_part(mixed, 0.5) == 3 + 3
    assert own_part(mixed, 0.25) == 3 + 2
    assert own_part([], 0.5) == 0
