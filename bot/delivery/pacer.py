"""One pace for every request the bot makes to Discord, and the lead big bursts need.

Discord's global limit counts the bot's requests, whichever conference or feature makes
them, so the pace is one object shared by all of them: requests evenly spaced at 40 a
second at most (a token bucket one token deep). The Discord adapter takes a token before
each REST request and pauses them all when Discord answers a global 429. Deliveries are
also spaced bot-wide by CONFBOT_DELIVERY_PACE (0.1 s: ten a second, a DM two requests),
which leaves room under the request pace for commands' work (events, threads, syncs).

Big bursts are spread ahead of time rather than sent late: each conference's scheduler
books the moment its next deliveries fall due and how many there are, and starts when
the pace says the last of them, after everything booked at that moment and later, can
still go out by that moment (`start`). Deliveries are only ever sent early by the lead,
never moved in the ledger, since the rate and the other conferences' load are facts of
the running bot, not of the plan.

A process holding a slice of the bot's shards (one of a cluster) paces itself at its
share of both (`Pacer.for_share`), so the processes together stay within the one limit;
it books its part of a burst (bot.delivery.scheduler.own_part: its servers' posts, its
share of the DMs any process sends), so together they start it when one process would.

Deliveries take their turn before they are claimed, at most one second's worth in
flight bot-wide: a hundred conferences would otherwise each claim one and queue its
requests behind the others', and a stop (5 s of grace) would cut the last ones mid-send,
leaving them "lost"; waiting for a turn, nothing is claimed yet.

Time is injected (a monotonic reading and a sleep) so tests run on a simulated clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from dataclasses import dataclass

from bot.render.limits import MAX_REQUESTS_PER_SECOND

# A first DM opens its channel before sending, so a delivery is counted as two requests
# when working out how early a burst must start (a post is one: the lead errs early).
REQUESTS_PER_DELIVERY = 2
# However big a burst, nothing starts more than this long before it is due: past it,
# "starts in 10 minutes" would arrive half an hour early; better the tail be late.
MAX_LEAD = 900.0


@dataclass(frozen=True)
class Booking:
    moment: float  # when the deliveries are due (the clock's timestamp)
    deliveries: int


class _Spacing:
    """Turns at least `interval` seconds apart, first come first served (a token bucket
    one token deep); `hold` pushes the next turn later."""

    def __init__(
        self, interval: float, monotonic: Callable[[], float],
        sleep: Callable[[float], Awaitable[None]],
    ) -> None:  # fmt: skip
        self.interval = interval
        self._monotonic = monotonic
        self._sleep = sleep
        self._next_free = -math.inf
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        async with self._lock:
            while (wait := self._next_free - self._monotonic()) > 0:
                await self._sleep(wait)
            self._next_free = self._monotonic() + self.interval

    def hold(self, seconds: float) -> None:
        self._next_free = max(self._next_free, self._monotonic() + seconds)


class Pacer:
    """Shared by every conference's scheduler and the Discord adapter; one per bot.

    Two spacings: every REST request at most `requests_per_second` (Discord's global
    limit, whatever makes the request), and every delivery `delivery_pace` seconds after
    the one before, bot-wide (CONFBOT_DELIVERY_PACE; 0: only the request pace)."""

    def __init__(
        self,
        delivery_pace: float = 0.0,
        requests_per_second: float = MAX_REQUESTS_PER_SECOND,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if delivery_pace < 0 or not 0 < requests_per_second <= MAX_REQUESTS_PER_SECOND:
            raise ValueError("the pace must be positive and under Discord's limit")
        self.delivery_pace = delivery_pace
        self.rate = requests_per_second
        self._requests = _Spacing(1 / requests_per_second, monotonic, sleep)
        self._deliveries = _Spacing(delivery_pace, monotonic, sleep)
        self._in_flight = asyncio.Semaphore(max(1, int(self.rate) // REQUESTS_PER_DELIVERY))
        self._bookings: dict[Hashable, Booking] = {}
        self.paused = 0  # global 429s that paused the requests (for logs and benchmarks)

    @classmethod
    def for_share(
        cls, delivery_pace: float, share: float, *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> Pacer:  # fmt: skip
        """The pace of one process of a cluster, holding `share` of the bot's shards
        (bot/cluster.py, Slice.share; 1 for a process holding them all). Discord's global
        limit is the bot's, whichever process sends, so each gets its share of the request
        budget and spaces its deliveries out by as much: together the processes go no
        faster than one process holding every shard."""
        if not 0 < share <= 1:
            raise ValueError(f"a process's share of the shards is from 0 to 1, not {share}")
        return cls(delivery_pace / share, MAX_REQUESTS_PER_SECOND * share,
                   monotonic=monotonic, sleep=sleep)  # fmt: skip

    # -- requests and deliveries ----------------------------------------------------

    async def acquire(self) -> None:
        """Wait for this request's turn: 1/rate seconds after the one before, and after
        any pause a global 429 asked for."""
        await self._requests.wait()

    def pause(self, seconds: float) -> None:
        """Discord said the global limit is hit: no request for `seconds`, from any
        conference (discord.py holds back only requests that had not started yet)."""
        self.paused += 1
        self._requests.hold(seconds)

    @contextlib.asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """A delivery's turn, taken before its claim and held until it is settled: the
        delivery pace, and about a second's worth of requests in flight at most."""
        async with self._in_flight:
            await self._deliveries.wait()
            yield

    # -- bursts ---------------------------------------------------------------------

    def seconds_for(self, deliveries: int) -> float:
        """How long `deliveries` take at the slower of the two paces."""
        return max(deliveries * self.delivery_pace,
                   deliveries * REQUESTS_PER_DELIVERY / self.rate)  # fmt: skip

    def book(self, key: Hashable, moment: float, deliveries: int) -> float:
        """Say `deliveries` of `key` (a scheduler) fall due at `moment`, replacing what it
        booked before; returns when it should start sending them (see `start`)."""
        self._bookings[key] = Booking(moment, deliveries)
        return self.start(key)

    def unbook(self, key: Hashable) -> None:
        self._bookings.pop(key, None)

    def start(self, key: Hashable) -> float:
        """When `key`'s booked burst must start so that it, and every burst booked at the
        same or a later moment, goes out by its moment at the shared pace; at most
        MAX_LEAD early. Worked backwards from the latest moment: a burst ends where the
        next one must begin, or at its own moment if that is sooner."""
        own = self._bookings[key]
        totals: dict[float, int] = {}
        for booking in self._bookings.values():
            if booking.moment >= own.moment:
                totals[booking.moment] = totals.get(booking.moment, 0) + booking.deliveries
        begin = math.inf
        for moment in sorted(totals, reverse=True):
            begin = min(moment, begin) - self.seconds_for(totals[moment])
        return max(begin, own.moment - MAX_LEAD)
