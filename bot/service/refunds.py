"""The refund check: the orders changed in pretix since the last check, page by page, and
the registrations of their cancelled or refunded tickets marked for their roles to be
removed (the removal itself is a delivery: bot.delivery.kinds.refund, exactly once).

Incremental: each sweep asks for the orders modified since the moment the previous sweep
began, as pretix reported it (X-Page-Generated, which its documentation says to send back
as `modified_since`; OVERLAP before it, see there), oldest order first (by creation: a
later change cannot move an order to a page already read, it can only repeat one, which
changes nothing). Paged and bounded:
at most `max_pages` pages a check; each page's marks are kept with the check's progress in
one write, so a check stopped anywhere (a restart, a pretix failure, the page bound) goes
on from the next page and marks nothing twice.

A ticket is refunded or cancelled when its order is cancelled (pretix's status `c`, which
a full refund leads to) or the position itself is (a partial refund or cancellation).
Nothing is asked of pretix while no registration of the conference is active. Takes `now`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.service.tickets import TicketHasher, TicketSource
from bot.store.tickets_store import RefundProgress, Registration, TicketStore
from bot.tickets.errors import Failure, PretixError
from bot.tickets.model import OrdersPage

log = logging.getLogger(__name__)

MAX_PAGES = 200  # a check reads at most 10,000 changed orders; the next goes on from there
# Before the oldest registration (the first check's modified_since), and before the bot's
# own clock when pretix does not say when it began answering: clocks are not one.
SLACK = timedelta(hours=1)
# Each sweep reads again what changed shortly before the previous one began: a ticket
# looked up just before it was cancelled, but registered only after the sweep read the
# cancellation, is then seen cancelled once its registration is kept (orders read twice
# change nothing).
OVERLAP = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class RefundReport:
    """One check: pages read, orders seen, registrations marked for removal, whether the
    sweep is done (False: it goes on from the next page), and pretix's failure if any."""

    conference: str
    pages: int = 0
    orders: int = 0
    marked: tuple[Registration, ...] = field(default=(), repr=False)
    done: bool = True
    error: PretixError | None = None
    idle: bool = False  # nothing to check: no active registration


def moment(at: datetime) -> str:
    """An ISO 8601 moment in UTC, as pretix takes it for modified_since."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _earlier(since: str) -> str:
    """A sweep's modified_since, OVERLAP before the moment kept (which is pretix's own,
    checked when it came: bot.tickets.parse.moment)."""
    try:
        return moment(datetime.fromisoformat(since.replace("Z", "+00:00")) - OVERLAP)
    except ValueError:
        return since


class RefundCheck:
    """The refund check of one conference's pretix event."""

    def __init__(
        self, conference: str, source: TicketSource, store: TicketStore, hasher: TicketHasher,
        max_pages: int = MAX_PAGES,
    ) -> None:  # fmt: skip
        self.conference = conference
        self.source = source
        self.store = store
        self.hasher = hasher
        self.max_pages = max_pages

    async def run(self, now: datetime) -> RefundReport:
        conference = self.conference
        oldest = await self.store.first_active_ts(conference)
        if oldest is None:
            return RefundReport(conference, idle=True)
        first = datetime.fromtimestamp(oldest, UTC) - SLACK
        progress = await self.store.refund_progress(conference) or RefundProgress(moment(first))
        since, sweep_from = progress.since, progress.sweep_from
        now_ts = int(now.timestamp())
        fallback = moment(now - SLACK)
        marked: list[Registration] = []
        seen = {"pages": 0, "orders": 0, "done": False}

        async def each(page: OrdersPage) -> None:
            nonlocal sweep_from
            if page.number == 1 or sweep_from is None:
                sweep_from = page.generated or fallback
            hashes = [await self.hasher(conference, p.pseudonymization_id)
                      for order in page.orders for p in order.positions
                      if order.canceled or p.canceled]  # fmt: skip
            after = (RefundProgress(since, sweep_from, page.number + 1) if page.more
                     else RefundProgress(sweep_from))  # fmt: skip
            marked.extend(await self.store.record_refunds(conference, hashes, after, now_ts))
            seen["pages"] += 1
            seen["orders"] += len(page.orders)
            seen["done"] = not page.more

        error = None
        try:
            await self.source.changed_orders(_earlier(since), progress.next_page,
                                             self.max_pages, each)  # fmt: skip
        except PretixError as exc:
            error = exc
            log.warning("refund check of %s stopped: %s", conference, exc.sentence)
            if exc.failure is Failure.MISSING and progress.next_page > 1 and not seen["pages"]:
                # The page it was to go on from is gone: the sweep starts over (orders
                # seen twice change nothing).
                await self.store.record_refunds(conference, [], RefundProgress(since), now_ts)
        if marked:
            log.info("refund check of %s: %d registration(s) to take roles from",
                     conference, len(marked))  # fmt: skip
        return RefundReport(conference, int(seen["pages"]), int(seen["orders"]), tuple(marked),
                            bool(seen["done"]), error)  # fmt: skip
