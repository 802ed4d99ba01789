"""pretix's REST API, as its documentation gives it, read the careful way.

One event (bot.settings.PretixEvent), one token sent as `Authorization: Token ...` and only
ever to the event's own address: no redirect is followed and a page's `next` link must
point at the same list, so the token cannot be led elsewhere. Every answer is hostile until
checked (bot.tickets.parse): a size cap read as it streams, no compressed bodies, a time
limit per request, a bounded number of pages. Whatever goes wrong is one PretixError with
one sentence that holds neither the token nor what a person typed (no address with its
query is ever put in a sentence).

A 429 is honoured: pretix's Retry-After is kept, and until it has passed every call fails
at once (BUSY) without asking pretix again.

Lookups cost one request each: an order by its code and e-mail (`orders/?code=&email=`),
a ticket by its secret (`orderpositions/?secret=`); a registration by secret asks for its
order after (two in all). Neither depends on the event's size.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import TypeVar

import aiohttp
from yarl import URL

from bot.address import shown
from bot.settings import PretixEvent
from bot.tickets import parse
from bot.tickets.errors import Failure, PretixError
from bot.tickets.model import Item, Order, OrdersPage, Position

log = logging.getLogger(__name__)

T = TypeVar("T")

TIMEOUT = 10.0  # seconds for one request, connection to last byte
MAX_BYTES = 4_000_000  # one answer (a page of 50 orders is far less, without what we exclude)
CHUNK = 65_536
MAX_ITEM_PAGES = 40  # 2,000 products
RETRY_AFTER_DEFAULT = 60.0  # seconds, when a 429 says no (or no readable) Retry-After
RETRY_AFTER_MAX = 3_600.0
PAGE_SIZE = 50  # what pretix sends on a page; asked for explicitly where it helps
# What the refund check never needs (and the bot never wants to hold: names, addresses,
# answers): pretix leaves them out of the orders it sends (`exclude`, documented).
EXCLUDED = (
    "invoice_address", "fees", "downloads", "payments", "refunds", "url", "comment",
    "phone", "positions.answers", "positions.checkins", "positions.downloads",
    "positions.attendee_name", "positions.attendee_name_parts", "positions.attendee_email",
    "positions.company", "positions.street", "positions.zipcode", "positions.city",
    "positions.country", "positions.state", "positions.seat",
)  # fmt: skip


class PretixClient:
    """One pretix event's API. `clock`: seconds that only go forward (time.monotonic),
    for how long a 429 is honoured; tests move it."""

    def __init__(
        self,
        event: PretixEvent,
        timeout: float = TIMEOUT,
        max_bytes: int = MAX_BYTES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.event = event
        self.base = URL(event.url)
        self.timeout = timeout
        self.max_bytes = max_bytes
        self._clock = clock
        self._busy_until = 0.0
        self.requests = 0  # requests sent (a 429 honoured without asking is not one)

    def __repr__(self) -> str:
        return f"PretixClient({self.event.url!r})"

    @property
    def where(self) -> str:
        """The event as sentences name it: host and organizer/event, never more."""
        return f"pretix at {self.base.host} ({self.event.organizer}/{self.event.event})"

    # -- lookups ---------------------------------------------------------------------

    async def find_order(self, code: str, email: str) -> Order | None:
        """The order with this code, if its e-mail address is this one (pretix filters on
        both, case-insensitively; both are checked again here, since a server that ignored
        a filter must not grant a ticket). One request."""
        found = await self._orders(code, email)
        wanted = email.casefold()
        same = [o for o in found if o.email is not None and o.email.casefold() == wanted]
        return same[0] if same else None

    async def order(self, code: str) -> Order | None:
        """The order with this code (a ticket's, found by its secret). One request."""
        found = await self._orders(code, None)
        return found[0] if found else None

    async def find_position(self, secret: str) -> Position | None:
        """The ticket whose secret (the QR code's content) is this one, if not canceled.
        One request."""
        async with self._session() as session:
            url = self._list("orderpositions", [("secret", secret)])
            results, _ = await self._page(session, url, parse.position)
        if len(results) > 1:
            raise self._garbage("several tickets for one secret")
        return results[0] if results else None

    async def _orders(self, code: str, email: str | None) -> list[Order]:
        query = [("code", code), ("testmode", "false")]
        if email is not None:
            query.append(("email", email))
        query += [("exclude", field) for field in EXCLUDED]
        async with self._session() as session:
            results, _ = await self._page(session, self._list("orders", query), parse.order)
        found = [o for o in results if o.code.upper() == code.upper()]
        if len(found) > 1:
            raise self._garbage("several orders for one code")
        return found

    async def items(self) -> list[Item]:
        """Every product of the event with its variations, page after page (at most
        MAX_ITEM_PAGES)."""
        items: list[Item] = []

        async def keep(page: list[Item], number: int, more: bool, generated: str | None) -> None:
            items.extend(page)

        await self._pages(self._list("items", [("ordering", "position")]), parse.item,
                          keep, MAX_ITEM_PAGES, "products")  # fmt: skip
        return items

    async def changed_orders(
        self,
        since: str,
        first_page: int,
        max_pages: int,
        each: Callable[[OrdersPage], Awaitable[None]],
    ) -> None:
        """The orders changed since `since` (an ISO moment, pretix's own X-Page-Generated
        when it gave one), with their canceled positions, oldest order first, from page
        `first_page`, at most `max_pages` pages; `each` is awaited with every page before
        the next is asked for (so what it keeps is kept page by page)."""
        query = [("modified_since", since), ("testmode", "false"), ("ordering", "datetime"),
                 ("include_canceled_positions", "true")]  # fmt: skip
        query += [("exclude", field) for field in EXCLUDED]
        if first_page > 1:
            query.append(("page", str(first_page)))

        async def handed(page: list[Order], number: int, more: bool, generated: str | None) -> None:
            await each(OrdersPage(tuple(page), first_page + number - 1, more, generated))

        await self._pages(self._list("orders", query), parse.order, handed, max_pages, "orders")

    # -- requests --------------------------------------------------------------------

    def _list(self, name: str, query: Sequence[tuple[str, str]]) -> URL:
        return URL(f"{self.event.url}{name}/").with_query(list(query))

    @contextlib.asynccontextmanager
    async def _session(self) -> AsyncIterator[aiohttp.ClientSession]:
        headers = {
            "Authorization": f"Token {self.event.token.reveal()}",
            "Accept": "application/json",
            "Accept-Encoding": "identity",  # nothing to inflate, so nothing to bomb
            "User-Agent": "confbot (conference bot; ticket roles)",
        }
        timeout = aiohttp.ClientTimeout(total=self.timeout)
        async with aiohttp.ClientSession(
            headers=headers, timeout=timeout, auto_decompress=False
        ) as session:
            yield session

    async def _pages(
        self,
        first: URL,
        item: Callable[[object], T],
        each: Callable[[list[T], int, bool, str | None], Awaitable[None]],
        max_pages: int,
        what: str,
    ) -> None:
        """Follow `next` from `first`, at most `max_pages` pages; `each(results, number,
        more, generated)` for every page (number from 1). A link to anywhere but the same
        list is refused (ELSEWHERE)."""
        url = first
        async with self._session() as session:
            for number in range(1, max_pages + 1):
                generated: list[str | None] = []
                results, link = await self._page(session, url, item, generated)
                await each(results, number, link is not None, generated[0])
                if link is None:
                    return
                url = self._next(link, first)
        log.info("%s: stopped after %d pages of %s", self.where, max_pages, what)

    def _next(self, link: str, first: URL) -> URL:
        try:
            url = URL(link, encoded=True)
        except (ValueError, IndexError):
            raise self._garbage("a page link that is no address") from None
        same = (url.scheme, url.host, url.port, url.path) == (
            first.scheme, first.host, first.port, first.path)  # fmt: skip
        if not same or url.user or url.password or url.fragment:
            raise PretixError(
                Failure.ELSEWHERE,
                f"{self.where} gave a next page on another address ({shown(url.host or '?')});"
                " it was not followed",
            )
        return url

    async def _page(
        self,
        session: aiohttp.ClientSession,
        url: URL,
        item: Callable[[object], T],
        generated: list[str | None] | None = None,
    ) -> tuple[list[T], str | None]:
        body, said = await self._get(session, url)
        if generated is not None:
            generated.append(parse.moment(said))
        try:
            return parse.page(parse.loads(body), item)
        except PretixError as exc:
            raise PretixError(exc.failure, f"{self.where} {exc.sentence}") from None

    def _garbage(self, what: str) -> PretixError:
        error = parse.garbage(what)
        return PretixError(error.failure, f"{self.where} {error.sentence}")

    async def _get(self, session: aiohttp.ClientSession, url: URL) -> tuple[bytes, str | None]:
        """One GET: the body and the X-Page-Generated header, or a PretixError."""
        wait = self._busy_until - self._clock()
        if wait > 0:
            raise PretixError(Failure.BUSY, f"{self.where} asked to wait {wait:.0f} s more",
                              retry_after=wait)  # fmt: skip
        self.requests += 1
        try:
            async with session.get(url, allow_redirects=False) as response:
                self._check_status(response)
                body = await self._read_capped(response)
                return body, response.headers.get("X-Page-Generated")
        except TimeoutError:
            raise PretixError(
                Failure.SLOW, f"{self.where} did not answer within {self.timeout:g} s"
            ) from None
        except aiohttp.ClientError as exc:
            raise PretixError(
                Failure.DOWN, f"{self.where} could not be reached ({type(exc).__name__})"
            ) from None

    def _check_status(self, response: aiohttp.ClientResponse) -> None:
        status = response.status
        if status == 200:
            return
        if 300 <= status < 400:
            location = response.headers.get("Location", "")
            try:
                host = URL(location).host or self.base.host or "?"
            except (ValueError, IndexError):
                host = "?"
            raise PretixError(
                Failure.ELSEWHERE,
                f"{self.where} redirected a request (HTTP {status}, to {shown(host)}), which is"
                " not followed; check CONFBOT_PRETIX_EVENT_URL",
            )
        if status in (401, 403):
            raise PretixError(
                Failure.REFUSED,
                f"{self.where} refused the API token (HTTP {status}); check"
                " CONFBOT_PRETIX_TOKEN and that its team may view this event's orders",
            )
        if status == 404:
            raise PretixError(
                Failure.MISSING,
                f"{self.where} has no such list (HTTP 404); check CONFBOT_PRETIX_EVENT_URL",
            )
        if status == 429:
            wait = _retry_after(response.headers.get("Retry-After"))
            self._busy_until = self._clock() + wait
            raise PretixError(
                Failure.BUSY, f"{self.where} asked to wait {wait:.0f} s (HTTP 429)", wait
            )
        if status >= 500:
            raise PretixError(Failure.DOWN, f"{self.where} answered HTTP {status}")
        raise PretixError(Failure.GARBAGE, f"{self.where} refused a request (HTTP {status})")

    async def _read_capped(self, response: aiohttp.ClientResponse) -> bytes:
        encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
        if encoding not in ("", "identity"):
            raise self._garbage(f"a {shown(encoding)!r}-encoded body (it was asked for none)")
        declared = response.content_length
        if declared is not None and declared > self.max_bytes:
            raise self._garbage(f"an answer over the {self.max_bytes:,}-byte cap")
        body = bytearray()
        async for chunk in response.content.iter_chunked(CHUNK):
            body += chunk
            if len(body) > self.max_bytes:
                raise self._garbage(f"an answer over the {self.max_bytes:,}-byte cap")
        return bytes(body)


def _retry_after(header: str | None) -> float:
    """Retry-After in seconds (pretix sends seconds), within 1 s and an hour; the default
    when it is missing or not a number."""
    try:
        seconds = float(header) if header is not None else RETRY_AFTER_DEFAULT
    except ValueError:
        seconds = RETRY_AFTER_DEFAULT
    if seconds != seconds:  # NaN
        seconds = RETRY_AFTER_DEFAULT
    return min(max(seconds, 1.0), RETRY_AFTER_MAX)
