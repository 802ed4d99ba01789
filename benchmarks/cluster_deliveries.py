"""A burst of reminders due at one moment, sent by two processes sharing a PostgreSQL state
against one process alone: each delivered once, the two together never above the bot's
request limit in any second, and how long the burst takes to drain.

    python -m benchmarks.cluster_deliveries [URL] [--count 10000] [--pace 0] [--scale 2]

URL: a PostgreSQL server used as it is (or CONFBOT_TEST_POSTGRES); without one, a private
throwaway server with durability on (benchmarks/cluster_rig.py). Each run gets a fresh
state: `--count` people's reminders for one talk, all due at one moment (DMs: any process
sends them), planned by the scheduler's re-plan. Then real OS processes, each a real
Scheduler (its own process name, its slice of the shards, its pace `Pacer.for_share`
of CONFBOT_DELIVERY_PACE `--pace`, as `python -m bot run` makes it), run their loops
until the ledger holds nothing pending; the first plans people's deliveries, as the
leader of the conference does. Their sender makes no request to Discord: it takes the
pace's turn for each request a first DM makes (open the DM channel, send: two), as the
Discord adapter does before every request, and records when.

At the bot's rate, 10,000 first DMs are 20,000 requests at 40 a second: 500 s a run. So
`--scale` runs the pace's clock that many times faster (its readings and its sleeps), in
both runs alike: the limits are the bot's, in the pace's seconds, and so are the figures
(drain time, busiest second); the machine does `--scale` times the work a second. The
scheduler's clock stands at the moment the burst is due (everything is due when the
loops start); the lead each process books for the burst, had it been running before, is
read from its pace.

Checked (the benchmark stops if not): every delivery sent exactly once and settled 'sent';
the requests of all processes together, in any one second of the pace's clock ([t, t+1)),
never more than the bot's limit (40: bot/render/limits.py); with a delivery pace, the
deliveries neither. Reported: the drain time, against the time the pace allows, and how
the processes split the burst.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from benchmarks.cluster_rig import (
    Json,
    NullSender,
    Postgres,
    StateAt,
    bundled_service,
    busiest_second,
    check_exactly_once,
    due_moment,
    ledger_rows,
    ready_and_wait,
    report,
    run_workers,
    seed,
)
from bot.clock import FixedClock
from bot.cluster import Slice, process_name
from bot.delivery.pacer import REQUESTS_PER_DELIVERY, Pacer
from bot.delivery.scheduler import Scheduler
from bot.kinds import DeliveryKind, DeliveryState
from bot.render.cards import Card
from bot.render.limits import GLOBAL_REQUESTS_PER_SECOND, MAX_REQUESTS_PER_SECOND
from bot.service import ProgramService
from bot.store.state import StateStore

LOOK = 0.1  # seconds between a worker's looks at whether the burst is drained
SLOW = 1.05  # a drain this much longer than the pace allows is said to be the machine's


class PacedRecorder(NullSender):
    """Sends nothing, but takes the pace's turn for every request a first DM makes, as
    the Discord adapter's paced trace does, and records when each was let go (by the
    pace's clock) and to whom each DM went."""

    def __init__(self, pacer: Pacer, clock: Callable[[], float]) -> None:
        super().__init__()
        self.pacer = pacer
        self.clock = clock
        self.requests: list[float] = []
        self.sends: list[float] = []

    async def send_dm(self, user_id: int, card: Card) -> None:
        for _ in range(REQUESTS_PER_DELIVERY):
            await self.pacer.acquire()
            self.requests.append(self.clock())
        self.sends.append(self.requests[-1])
        await super().send_dm(user_id, card)


class ScaledTime:
    """The pace's clock, `scale` times faster than the wall's: its readings and sleeps."""

    def __init__(self, scale: float) -> None:
        self.scale = scale

    def monotonic(self) -> float:
        return time.monotonic() * self.scale

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds / self.scale)


async def pending(state: StateStore, conference: str) -> int:
    counts = await state.ledger.counts([DeliveryKind.REMINDER], conference=conference)
    return counts.get(DeliveryState.PENDING, 0) + counts.get(DeliveryState.SENDING, 0)


def _service_of(service: ProgramService) -> ProgramService:
    return service


async def worker(job: Json) -> Json:
    """One process of the cluster: a real scheduler on its share of the pace, started when
    told to go, stopped once nothing is left pending (by any process)."""
    where = StateAt.from_json(job["state"])
    service = bundled_service()
    moment = due_moment(service)
    shards = Slice(job["shards"], frozenset({job["shard"]}))
    scaled = ScaledTime(job["scale"])
    pacer = Pacer.for_share(job["pace"], shards.share, monotonic=scaled.monotonic,
                            sleep=scaled.sleep)  # fmt: skip
    sender = PacedRecorder(pacer, scaled.monotonic)
    leads = job["shard"] == 0
    state, _ = await where.open()
    try:
        scheduler = Scheduler(state, lambda: _service_of(service), FixedClock(moment), sender,
                              pacer=pacer, process=process_name(), shards=shards,
                              plans_people=lambda: leads)  # fmt: skip
        # What it books for this burst: how early it would start, had it run before.
        await scheduler.seconds_until_next()
        lead = moment.timestamp() - pacer.start(scheduler)
        pacer.unbook(scheduler)
        await ready_and_wait()
        started = scaled.monotonic()
        await scheduler.start()
        while True:  # another process may send the last: the ledger says when it is done
            if not await pending(state, service.conference.key):
                break
            await asyncio.sleep(LOOK)
        await scheduler.stop()
    finally:
        await state.close()
    Path(job["out"]).write_text(json.dumps({"dms": sender.dms, "sends": sender.sends,
                                            "requests": sender.requests}))  # fmt: skip
    return {"start": started, "lead": lead, "sent": scheduler.sent}


# -- the runs --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Drained:
    processes: int
    count: int
    seconds: float  # from the go to the last request, by the pace's clock
    first: float  # from the go to the first request (the start: recovery, a re-plan)
    allowed: float  # what the pace allows for the burst (its drain at the full rate)
    busiest_requests: int
    busiest_deliveries: int
    split: list[int]
    leads: list[float]

    def lines(self, scale: float, load: float) -> list[str]:
        who = ("one process alone" if self.processes == 1
               else f"{self.processes} processes, one shard of {self.processes} each")  # fmt: skip
        split = " / ".join(f"{n:,}" for n in self.split)
        leads = " / ".join(f"{lead:.0f} s" for lead in self.leads)
        return [
            f"  {who}: {self.count:,} of {self.count:,} delivered once (checked);"
            f" drained in {self.seconds:.1f} s ({self.seconds / scale:.1f} s of wall time),"
            f" {self.seconds / self.allowed:.3f}x the {self.allowed:.0f} s the pace allows"
            f" (the first request {self.first:.1f} s after the go)",
            f"    {self.count / self.seconds:.1f} deliveries and"
            f" {self.count * REQUESTS_PER_DELIVERY / self.seconds:.1f} requests a second;"
            f" busiest second {self.busiest_requests} requests (the bot's limit"
            f" {MAX_REQUESTS_PER_SECOND:.0f}, Discord's {GLOBAL_REQUESTS_PER_SECOND}),"
            f" {self.busiest_deliveries} deliveries",
            f"    sent by each: {split}; each books the burst {leads} ahead: begun then, its"
            f" last request would go {abs(self.early):.0f} s"
            f" {'before' if self.early >= 0 else 'after'} it is due",
        ] + (
            [f"    slower than the pace allows: its waits overran (load {load:.1f}), and a"
             " delivery's own work (message, claim, settle) that outlasts the spacing adds"
             " to it"
             + (f"; at {scale:g}x that work weighs {scale:g} times what it does in the bot"
                if scale > 1 else "")]
            if self.seconds > SLOW * self.allowed
            else []
        )  # fmt: skip

    @property
    def early(self) -> float:
        """How long before the due moment the burst would end, begun at the lead booked
        (the latest process's): negative, late."""
        return min(self.leads) - self.seconds


def one_run(
    pg: Postgres, folder: Path, service: ProgramService, processes: int, count: int,
    pace: float, scale: float,
) -> Drained:  # fmt: skip
    with pg.fresh(folder) as where:
        asyncio.run(seed(where, service, count))
        pg.analyze(where)
        outs = [folder / f"{where.schema}-{i}.json" for i in range(processes)]
        jobs = [{"state": where.to_json(), "shard": i, "shards": processes, "pace": pace,
                 "scale": scale, "out": str(outs[i])} for i in range(processes)]  # fmt: skip
        whole = Pacer(pace)  # the bot's whole pace, which the processes share
        allowed = whole.seconds_for(count)
        results = run_workers("benchmarks.cluster_deliveries", jobs,
                              timeout=120 + 3 * allowed / scale)  # fmt: skip
        rows = asyncio.run(ledger_rows(where))
    records = [json.loads(out.read_text()) for out in outs]
    by_user = {target: delivery_id for delivery_id, target, _ in rows}
    sent = [by_user.get(user, -user) for r in records for user in r["dms"]]
    what = f"{processes} process(es)"
    check_exactly_once(sent, [row[0] for row in rows], what)
    unsettled = [row for row in rows if row[2] != DeliveryState.SENT]
    assert not unsettled, f"{what}: {len(unsettled)} not settled sent, e.g. {unsettled[:3]}"
    requests = [t for r in records for t in r["requests"]]
    sends = [t for r in records for t in r["sends"]]
    busiest = busiest_second(requests)
    assert busiest <= MAX_REQUESTS_PER_SECOND, f"{what}: {busiest} requests in one second"
    busiest_sends = busiest_second(sends)
    if pace > 0:
        assert busiest_sends <= round(1 / pace), f"{what}: {busiest_sends} deliveries in a second"
    start = min(r["start"] for r in results)
    return Drained(processes, count, max(requests) - start, min(requests) - start, allowed,
                   busiest, busiest_sends, [len(r["dms"]) for r in records],
                   [r["lead"] for r in results])  # fmt: skip


def main(url: str | None, count: int, pace: float, scale: float) -> None:
    load = os.getloadavg()[0]
    print(f"cluster deliveries benchmark · {platform.machine()} · {os.cpu_count()} cores"
          f" · Python {platform.python_version()} · load {load:.1f} at the start")  # fmt: skip
    service = bundled_service()
    with tempfile.TemporaryDirectory(prefix="confbot-cluster-") as tmp, Postgres(url) as pg:
        print(f"{count:,} reminders (first DMs, two requests each) due at one moment;"
              f" CONFBOT_DELIVERY_PACE={pace:g}; the pace's clock at {scale:g}x;"
              f" {pg.describe()}")  # fmt: skip
        runs = []
        for processes in (1, 2):
            runs.append(one_run(pg, Path(tmp), service, processes, count, pace, scale))
            for line in runs[-1].lines(scale, os.getloadavg()[0]):
                print(line)
            sys.stdout.flush()
    alone, two = runs
    print(
        f"  two processes drain it in {two.seconds / alone.seconds:.2f}x the time of one;"
        " times are the pace's seconds, the bot's own"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m benchmarks.cluster_deliveries",
                                     description=__doc__.split("\n")[0])  # fmt: skip
    parser.add_argument(
        "url",
        nargs="?",
        default=os.environ.get("CONFBOT_TEST_POSTGRES"),
        help="a PostgreSQL server to use as it is (default: a private one)",
    )
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument(
        "--pace", type=float, default=0.0, help="CONFBOT_DELIVERY_PACE (0: only the request limit)"
    )
    parser.add_argument(
        "--scale",
        type=float,
        default=2.0,
        help="the pace's clock runs this many times faster, in both runs",
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        report(asyncio.run(worker(json.loads(args.worker))))
    else:
        main(args.url, args.count, args.pace, args.scale)
