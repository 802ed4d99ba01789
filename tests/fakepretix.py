"""A fake pretix on 127.0.0.1: the REST endpoints confbot reads, as pretix documents them.

Orders (`orders/`, with the filters code, email, status, testmode, modified_since,
include_canceled_positions, ordering, exclude and page), order positions
(`orderpositions/`, filtered by secret, pseudonymization_id, order, item, variation), and
products with variations (`items/`); token authentication (`Authorization: Token ...`:
401 without a valid token, 403 for a token of another event, as pretix answers), pages of
50 with `next` links, X-Page-Generated on the orders list. It holds orders of several
positions, variations, a refunded, a cancelled and an unpaid order (`seed`), and tens of
thousands more generated in about a second (`generate`).

Faults are queued and each taken by the next request (`fail`): 429 with Retry-After, 5xx,
a hang (the client's timeout), garbage of several kinds, a redirect, a `next` link to
elsewhere. Every request is counted (`requests`). Its clock is its own (`now`), so tests
move it rather than wait.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
import string
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, TypeVar

from aiohttp import web
from yarl import URL

T = TypeVar("T")

PAGE_SIZE = 50
CODE_CHARS = "ABCDEFGHJKLMNPQRSTUVWXYZ3789"  # pretix's order code alphabet
SECRET_CHARS = "abcdefghjkmnpqrstuvwxyz23456789"  # and its ticket secrets'
PSEUDO_CHARS = string.ascii_uppercase + string.digits
START = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


class Fault(StrEnum):
    RATE_LIMITED = "429"
    SERVER_ERROR = "500"
    UNAVAILABLE = "503"
    HANG = "hang"  # never answers (until the fake stops): the client's timeout
    NOT_JSON = "not json"  # an HTML error page with 200
    DEEP_JSON = "deep json"  # nested arrays deeper than a parser recurses
    WRONG_TYPES = "wrong types"  # JSON, but an order's fields of the wrong types
    HUGE = "huge"  # a body far over any sane cap
    GZIP = "gzip"  # a compressed body, though none was asked for
    REDIRECT = "redirect"  # 302 to another host
    NEXT_ELSEWHERE = "next elsewhere"  # a page whose next link points at another host
    UNAUTHORIZED = "401"
    NOT_FOUND = "404"


@dataclass
class FakePosition:
    id: int
    order: str
    positionid: int
    item: int
    variation: int | None
    secret: str
    pseudonymization_id: str
    attendee_name: str
    attendee_email: str | None
    canceled: bool = False
    addon_to: int | None = None

    def resource(self, excluded: set[str]) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id, "order": self.order, "positionid": self.positionid,
            "canceled": self.canceled, "item": self.item, "variation": self.variation,
            "price": "23.00", "attendee_name": self.attendee_name,
            "attendee_name_parts": {"full_name": self.attendee_name},
            "attendee_email": self.attendee_email, "company": None, "street": None,
            "zipcode": None, "city": None, "country": None, "state": None, "voucher": None,
            "tax_rate": "0.00", "tax_value": "0.00", "tax_rule": None, "secret": self.secret,
            "addon_to": self.addon_to, "subevent": None,
            "pseudonymization_id": self.pseudonymization_id, "seat": None, "checkins": [],
            "answers": [{"question": 1, "answer": f"{self.attendee_name} likes tea",
                         "question_identifier": "TEA", "options": [],
                         "option_identifiers": []}],
            "downloads": [],
        }  # fmt: skip
        return {k: v for k, v in data.items() if k not in excluded}


@dataclass
class FakeOrder:
    code: str
    status: str  # n, p, e, c
    email: str
    name: str
    secret: str
    created: datetime
    last_modified: datetime
    positions: list[FakePosition] = field(default_factory=list)
    testmode: bool = False
    refunds: list[dict[str, Any]] = field(default_factory=list)

    def resource(self, excluded: set[str], with_canceled: bool) -> dict[str, Any]:
        inner = {e.removeprefix("positions.") for e in excluded if e.startswith("positions.")}
        positions = [p.resource(inner) for p in self.positions
                     if with_canceled or not p.canceled]  # fmt: skip
        data: dict[str, Any] = {
            "code": self.code, "event": "democon", "status": self.status,
            "testmode": self.testmode, "secret": self.secret,
            "url": f"https://pretix.example/democon/order/{self.code}/{self.secret}/",
            "email": self.email, "phone": "+49301234567", "locale": "en",
            "sales_channel": "web", "datetime": iso(self.created),
            "expires": iso(self.created + timedelta(days=14)),
            "last_modified": iso(self.last_modified), "payment_date": None,
            "payment_provider": "banktransfer", "fees": [], "total": "23.00",
            "comment": "", "checkin_attention": False, "require_approval": False,
            "invoice_address": {"name": self.name, "street": "Main Street 1",
                                "city": "Testington", "country": "DE"},
            "positions": positions, "downloads": [], "payments": [], "refunds": self.refunds,
        }  # fmt: skip
        return {k: v for k, v in data.items() if k not in excluded}


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _moment(text: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


ITEMS: list[dict[str, Any]] = [
    {"id": 1, "name": {"en": "Conference ticket", "de": "Konferenzticket"}, "active": True,
     "admission": True, "has_variations": True, "variations": [
         {"id": 11, "value": {"en": "Regular"}, "active": True, "price": "300.00"},
         {"id": 12, "value": {"en": "Student"}, "active": True, "price": "100.00"},
     ]},
    {"id": 2, "name": {"en": "Speaker"}, "active": True, "admission": True,
     "has_variations": False, "variations": []},
    {"id": 3, "name": {"en": "Online"}, "active": True, "admission": False,
     "has_variations": False, "variations": []},
    {"id": 4, "name": {"en": "Workshop add-on"}, "active": True, "admission": False,
     "has_variations": False, "variations": []},
    {"id": 5, "name": "Sponsor booth", "active": False, "admission": True,
     "has_variations": False, "variations": []},
]  # fmt: skip


@dataclass(frozen=True)
class Seeded:
    """The orders `seed` makes, by what each is for in a test."""

    paid: str = "PAID1"  # two positions: a regular conference ticket and a workshop add-on
    group: str = "GRP22"  # three positions: student, regular, online
    speaker: str = "SPK33"
    refunded: str = "RFND4"  # paid, then refunded in full: cancelled
    canceled: str = "CNCL5"
    unpaid: str = "UNPD6"
    testmode: str = "TEST7"
    email: str = "Ada.Lovelace@Example.org"


@dataclass(frozen=True)
class Request:
    path: str
    query: tuple[tuple[str, str], ...]
    authorized: bool


class FakePretix:
    """Start with `async with FakePretix() as fake:`; `fake.url` is the event's API address."""

    def __init__(
        self, organizer: str = "democon-org", event: str = "democon",
        token: str = "faketoken" + "0" * 55, other_token: str = "othertoken" + "1" * 54,
    ) -> None:  # fmt: skip
        self.organizer = organizer
        self.event = event
        self.token = token
        self.other_token = other_token  # valid, but its team may not see this event: 403
        self.now = START
        self.orders: dict[str, FakeOrder] = {}
        self.by_secret: dict[str, FakePosition] = {}
        self.ordered: list[FakeOrder] = []  # by creation, as pretix sorts by default
        self.items = [dict(i) for i in ITEMS]
        self.faults: list[Fault] = []
        self.retry_after = "30"
        self.requests: list[Request] = []
        self.page_size = PAGE_SIZE
        # A broken (or hostile) server that ignores the e-mail filter: the client must
        # compare the address itself.
        self.ignores_email = False
        self._next_position = 1000
        # Bumped by every change, so a sweep's pages filter the orders once (see _orders).
        self._version = 0
        self._filtered: tuple[object, list[FakeOrder]] | None = None
        self._hang = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # -- life ------------------------------------------------------------------------

    async def __aenter__(self) -> FakePretix:
        app = web.Application()
        base = "/api/v1/organizers/{org}/events/{event}"
        app.router.add_get(f"{base}/orders/", self._orders)
        app.router.add_get(f"{base}/orders/{{code}}/", self._order)
        app.router.add_get(f"{base}/orderpositions/", self._positions)
        app.router.add_get(f"{base}/items/", self._items)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        sockets = getattr(site._server, "sockets", None)  # an asyncio.Server once started
        assert sockets
        self.port = sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._hang.set()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"{self.root}/api/v1/organizers/{self.organizer}/events/{self.event}/"

    def fail(self, *faults: Fault) -> None:
        """The next requests (one each) meet these faults, in order."""
        self.faults.extend(faults)

    def count(self, path_part: str = "") -> int:
        return sum(1 for r in self.requests if path_part in r.path)

    # -- data ------------------------------------------------------------------------

    def add_order(
        self, code: str, status: str, email: str, name: str,
        positions: Iterable[tuple[int, int | None]], testmode: bool = False,
        texts: Callable[[str, int], str] | None = None,
    ) -> FakeOrder:  # fmt: skip
        """An order of positions (item, variation); each gets a secret and a
        pseudonymization id (random; `texts(alphabet, length)` makes them when given)."""
        if texts is None:
            rng = random.Random(code)
            texts = lambda alphabet, length: "".join(rng.choices(alphabet, k=length))  # noqa: E731
        self._version += 1
        created = self.now
        order = FakeOrder(code, status, email, name, texts(SECRET_CHARS, 16), created,
                          created, testmode=testmode)  # fmt: skip
        addon_parent: int | None = None
        for n, (item, variation) in enumerate(positions, start=1):
            self._next_position += 1
            position = FakePosition(
                self._next_position,
                code,
                n,
                item,
                variation,
                texts(SECRET_CHARS, 32),
                texts(PSEUDO_CHARS, 10),
                f"{name} #{n}" if n > 1 else name,
                email if n == 1 else None,
                addon_to=addon_parent if item == 4 else None,
            )
            addon_parent = position.id if item != 4 else addon_parent
            order.positions.append(position)
            self.by_secret[position.secret] = position
        self.orders[code] = order
        self.ordered.append(order)
        return order

    def seed(self) -> Seeded:
        seeded = Seeded()
        e = seeded.email
        self.add_order(seeded.paid, "p", e, "Ada Lovelace", [(1, 11), (4, None)])
        self.add_order(seeded.group, "p", "group@example.org", "Grace Hopper",
                       [(1, 12), (1, 11), (3, None)])  # fmt: skip
        self.add_order(seeded.speaker, "p", "speaker@example.org", "Alan Turing", [(2, None)])
        refunded = self.add_order(seeded.refunded, "c", "refund@example.org", "Emmy Noether",
                                  [(1, 11)])  # fmt: skip
        refunded.refunds.append({"local_id": 1, "state": "done", "source": "admin",
                                 "amount": "300.00"})  # fmt: skip
        self.add_order(seeded.canceled, "c", "cancel@example.org", "Kurt Goedel", [(3, None)])
        self.add_order(seeded.unpaid, "n", "unpaid@example.org", "Hedy Lamarr", [(1, 11)])
        self.add_order(seeded.testmode, "p", "test@example.org", "Test Person", [(1, 11)],
                       testmode=True)  # fmt: skip
        return seeded

    def generate(self, count: int, seed: int = 7) -> None:
        """`count` more paid orders of one or two positions, fast (50,000 in about a
        second): codes counted, secrets and ids cut from hashes of a counter."""
        texts = _Hashed(seed)
        for n in range(count):
            code = _code(n)
            positions: list[tuple[int, int | None]] = [(1, 11 + n % 2)]
            if n % 5 == 0:
                positions.append((4, None))
            self.add_order(code, "p", f"attendee{n}@example.org", f"Attendee {n}", positions,
                           texts=texts)  # fmt: skip
            self.now += timedelta(microseconds=1)

    def secrets(self, code: str) -> list[str]:
        return [p.secret for p in self.orders[code].positions]

    def touch(self, order: FakeOrder) -> None:
        order.last_modified = self.now
        self._version += 1

    def cancel_order(self, code: str, refund: bool = False) -> None:
        order = self.orders[code]
        order.status = "c"
        if refund:
            order.refunds.append({"local_id": len(order.refunds) + 1, "state": "done",
                                  "source": "admin", "amount": "23.00"})  # fmt: skip
        self.touch(order)

    def cancel_position(self, code: str, positionid: int) -> None:
        order = self.orders[code]
        for p in order.positions:
            if p.positionid == positionid:
                p.canceled = True
        self.touch(order)

    def mark_paid(self, code: str) -> None:
        order = self.orders[code]
        order.status = "p"
        self.touch(order)

    # -- serving ---------------------------------------------------------------------

    async def _gate(self, request: web.Request) -> web.StreamResponse | None:
        """Count the request, then answer it with a queued fault or an auth failure."""
        token = request.headers.get("Authorization", "")
        ours = token == f"Token {self.token}"
        self.requests.append(Request(request.path, tuple(request.query.items()), ours))
        if self.faults:
            return await self._fault(self.faults.pop(0), request)
        if not ours and token != f"Token {self.other_token}":
            return web.json_response({"detail": "Invalid token."}, status=401)
        if not ours or (request.match_info["org"], request.match_info["event"]) != (
            self.organizer, self.event):  # fmt: skip
            return web.json_response(
                {"detail": "You do not have permission to perform this action."}, status=403
            )
        return None

    async def _fault(self, fault: Fault, request: web.Request) -> web.StreamResponse:
        if fault is Fault.RATE_LIMITED:
            return web.json_response({"detail": "Request was throttled."}, status=429,
                                     headers={"Retry-After": self.retry_after})  # fmt: skip
        if fault in (Fault.SERVER_ERROR, Fault.UNAVAILABLE):
            return web.Response(status=int(fault), text="<h1>Server Error</h1>",
                                content_type="text/html")  # fmt: skip
        if fault is Fault.UNAUTHORIZED:
            return web.json_response({"detail": "Invalid token."}, status=401)
        if fault is Fault.NOT_FOUND:
            return web.json_response({"detail": "Invalid page."}, status=404)
        if fault is Fault.HANG:
            await self._hang.wait()
            return web.Response(status=504)
        if fault is Fault.NOT_JSON:
            return web.Response(text="<html><body>Maintenance</body></html>",
                                content_type="text/html")  # fmt: skip
        if fault is Fault.DEEP_JSON:
            return web.Response(text="[" * 200_000 + "]" * 200_000,
                                content_type="application/json")  # fmt: skip
        if fault is Fault.WRONG_TYPES:
            bad = {"code": 12345, "status": True, "positions": "none", "email": ["x"]}
            return web.json_response({"count": 1, "next": None, "previous": None,
                                      "results": [bad]})  # fmt: skip
        if fault is Fault.HUGE:
            filler = "x" * 6_000_000
            return web.json_response({"count": 0, "next": None, "results": [], "f": filler})
        if fault is Fault.GZIP:
            import gzip

            body = gzip.compress(json.dumps({"count": 0, "next": None, "results": []}).encode())
            return web.Response(body=body, content_type="application/json",
                                headers={"Content-Encoding": "gzip"})  # fmt: skip
        if fault is Fault.REDIRECT:
            raise web.HTTPFound(f"https://elsewhere.example{request.path_qs}")
        assert fault is Fault.NEXT_ELSEWHERE
        link = str(URL(f"https://elsewhere.example{request.path}").with_query({"page": "2"}))
        return web.json_response({"count": 99, "next": link, "previous": None, "results": []})

    def _paged(
        self, request: web.Request, chosen: Sequence[T], serialise: Callable[[T], dict[str, Any]],
        headers: dict[str, str] | None = None,
    ) -> web.StreamResponse:  # fmt: skip
        """One page of `chosen` (only that page serialised: 50,000 orders stay fast)."""
        page_text = request.query.get("page", "1")
        page = int(page_text) if page_text.isdigit() and int(page_text) > 0 else 0
        pages = max(1, -(-len(chosen) // self.page_size))
        if not 1 <= page <= pages:
            return web.json_response({"detail": "Invalid page."}, status=404)
        chunk = [serialise(x) for x in chosen[(page - 1) * self.page_size : page * self.page_size]]
        link = None
        if page < pages:
            here = URL(f"{self.root}{request.path}").with_query(list(request.query.items()))
            link = str(here.update_query({"page": str(page + 1)}))
        body = {"count": len(chosen), "next": link, "previous": None, "results": chunk}
        return web.json_response(body, headers=headers)

    async def _orders(self, request: web.Request) -> web.StreamResponse:
        refused = await self._gate(request)
        if refused is not None:
            return refused
        generated = iso(self.now)
        q = request.query
        if "modified_since" in q and _moment(q["modified_since"]) is None:
            return web.json_response({"modified_since": ["Enter a valid date/time."]}, status=400)
        asked = (self._version, self.ignores_email,
                 tuple(sorted((k, v) for k, v in q.items() if k != "page")))  # fmt: skip
        if self._filtered is None or self._filtered[0] != asked:
            self._filtered = (asked, self._chosen(q))
        chosen = self._filtered[1]
        excluded = set(q.getall("exclude", []))
        with_canceled = q.get("include_canceled_positions") == "true"
        return self._paged(request, chosen, lambda o: o.resource(excluded, with_canceled),
                           {"X-Page-Generated": generated})  # fmt: skip

    def _chosen(self, q: Mapping[str, str]) -> list[FakeOrder]:
        """The orders a query's filters leave, in its ordering (the pages of one sweep ask
        the same, and are served from one filtering while nothing changes)."""
        found: Iterable[FakeOrder] = self.ordered
        code = q.get("code")
        if code is not None:
            one = self.orders.get(code.upper())
            found = [one] if one is not None else []
        email = q.get("email") if not self.ignores_email else None
        folded = email.casefold() if email is not None else None
        status, testmode = q.get("status"), q.get("testmode")
        since = _moment(q["modified_since"]) if "modified_since" in q else None
        chosen = [
            o for o in found
            if (folded is None or o.email.casefold() == folded)
            and (status is None or o.status == status)
            and (testmode is None or o.testmode == (testmode == "true"))
            and (since is None or o.last_modified >= since)
        ]  # fmt: skip
        ordering = q.get("ordering", "datetime")
        keys: dict[str, Callable[[FakeOrder], Any]] = {
            "datetime": lambda o: o.created, "code": lambda o: o.code,
            "last_modified": lambda o: o.last_modified, "status": lambda o: o.status,
        }  # fmt: skip
        key = keys.get(ordering.removeprefix("-"))
        if key is not None and ordering != "datetime":  # `ordered` is by creation already
            chosen.sort(key=key, reverse=ordering.startswith("-"))
        return chosen

    async def _order(self, request: web.Request) -> web.StreamResponse:
        refused = await self._gate(request)
        if refused is not None:
            return refused
        order = self.orders.get(request.match_info["code"].upper())
        if order is None:
            return web.json_response({"detail": "Not found."}, status=404)
        with_canceled = request.query.get("include_canceled_positions") == "true"
        return web.json_response(order.resource(set(), with_canceled))

    async def _positions(self, request: web.Request) -> web.StreamResponse:
        refused = await self._gate(request)
        if refused is not None:
            return refused
        q = request.query
        with_canceled = q.get("include_canceled_positions") == "true"
        if "secret" in q:
            one = self.by_secret.get(q["secret"])
            candidates = [one] if one is not None else []
        else:
            candidates = [p for o in self.ordered for p in o.positions]
        asked = [(n, q[n]) for n in ("pseudonymization_id", "order", "item", "variation")
                 if n in q]  # fmt: skip

        def wanted(p: FakePosition) -> bool:
            return (with_canceled or not p.canceled) and all(
                str(getattr(p, name)) == value for name, value in asked
            )

        chosen = [p for p in candidates if wanted(p)]
        return self._paged(request, chosen, lambda p: p.resource(set()))

    async def _items(self, request: web.Request) -> web.StreamResponse:
        refused = await self._gate(request)
        if refused is not None:
            return refused
        items = self.items
        if "active" in request.query:
            items = [i for i in items if i["active"] == (request.query["active"] == "true")]
        return self._paged(request, items, dict)


class _Hashed:
    """Texts cut from hashes of a counter: hexadecimal letters and digits, in capitals for
    pretix's pseudonymization ids' alphabet, small otherwise; distinct, and fast."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.n = 0

    def __call__(self, alphabet: str, length: int) -> str:
        self.n += 1
        digest = hashlib.blake2b(f"{self.seed}:{self.n}".encode(), digest_size=16)
        text = digest.hexdigest()[:length]
        return text.upper() if alphabet == PSEUDO_CHARS else text


def _code(n: int) -> str:
    """The n-th generated order code: five of pretix's code characters, never a seeded one."""
    digits = []
    for _ in range(5):
        n, rest = divmod(n, len(CODE_CHARS))
        digits.append(CODE_CHARS[rest])
    return "Z" + "".join(digits)
