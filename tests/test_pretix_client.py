"""The pretix client against the fake pretix: lookups in one request each, pages followed
and bounded, filters as documented, and every failure one PretixError with one sentence
that holds neither the token nor what was looked up."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.secret import Secret
from bot.settings import PretixEvent
from bot.tickets.client import PretixClient
from bot.tickets.errors import Failure, PretixError
from bot.tickets.model import OrdersPage, OrderStatus
from tests.fakepretix import FakePretix, Fault, Seeded


class Ticking:
    """A monotonic clock tests move by hand."""

    def __init__(self) -> None:
        self.at = 1000.0

    def __call__(self) -> float:
        return self.at


@pytest.fixture
async def fake() -> AsyncIterator[FakePretix]:
    async with FakePretix() as fake:
        yield fake


@pytest.fixture
def seeded(fake: FakePretix) -> Seeded:
    return fake.seed()


def event_of(fake: FakePretix, token: str | None = None) -> PretixEvent:
    return PretixEvent(fake.url, fake.organizer, fake.event, Secret(token or fake.token))


@pytest.fixture
def clock() -> Ticking:
    return Ticking()


@pytest.fixture
def client(fake: FakePretix, clock: Ticking) -> PretixClient:
    return PretixClient(event_of(fake), timeout=0.5, clock=clock)


async def test_an_order_is_found_by_code_and_email_in_one_request(
    fake: FakePretix, seeded: Seeded, client: PretixClient
):
    order = await client.find_order(seeded.paid.lower(), seeded.email.upper())
    assert order is not None and order.status is OrderStatus.PAID
    assert [(p.item, p.variation) for p in order.positions] == [(1, 11), (4, None)]
    assert fake.count() == 1
    (request,) = fake.requests
    assert dict(request.query)["testmode"] == "false" and request.authorized


async def test_a_wrong_email_and_an_unknown_code_are_both_none(
    fake: FakePretix, seeded: Seeded, client: PretixClient
):
    assert await client.find_order(seeded.paid, "someone@else.org") is None
    assert await client.find_order("NOPE9", seeded.email) is None
    assert fake.count() == 2


async def test_a_server_ignoring_the_email_filter_grants_nothing(
    fake: FakePretix, seeded: Seeded, client: PretixClient
):
    fake.ignores_email = True
    assert await client.find_order(seeded.paid, "someone@else.org") is None


async def test_a_ticket_is_found_by_its_secret_then_its_order(
    fake: FakePretix, seeded: Seeded, client: PretixClient
):
    secret = fake.secrets(seeded.group)[1]
    position = await client.find_position(secret)
    assert position is not None and (position.item, position.variation) == (1, 11)
    order = await client.order(position.order)
    assert order is not None and len(order.positions) == 3
    assert fake.count() == 2
    assert await client.find_position("x" * 32) is None


async def test_a_test_mode_order_is_not_found(
    fake: FakePretix, seeded: Seeded, client: PretixClient
):
    assert await client.find_order(seeded.testmode, "test@example.org") is None


async def test_products_come_with_their_variations_over_several_pages(
    fake: FakePretix, client: PretixClient
):
    fake.page_size = 2
    items = await client.items()
    assert [i.name for i in items] == [
        "Conference ticket", "Speaker", "Online", "Workshop add-on", "Sponsor booth",
    ]  # fmt: skip
    assert [v.name for v in items[0].variations] == ["Regular", "Student"]
    assert not items[4].active
    assert fake.count("/items/") == 3


async def test_changed_orders_are_paged_filtered_and_say_when_pretix_began(
    fake: FakePretix, seeded: Seeded, client: PretixClient
):
    fake.generate(120)
    since = fake.now
    fake.now = since.replace(hour=12)
    fake.cancel_position(seeded.group, 2)
    fake.cancel_order(seeded.paid, refund=True)
    for code in list(fake.orders)[-60:]:
        fake.touch(fake.orders[code])
    pages: list[OrdersPage] = []

    async def keep(page: OrdersPage) -> None:
        pages.append(page)

    await client.changed_orders(since.isoformat(), 1, 10, keep)
    assert [len(p.orders) for p in pages] == [50, 12]
    assert [p.number for p in pages] == [1, 2] and [p.more for p in pages] == [True, False]
    assert pages[0].generated is not None and pages[0].generated.startswith("2025-03-01T12")
    codes = [o.code for p in pages for o in p.orders]
    assert codes[:2] == [seeded.paid, seeded.group]  # oldest order first
    group = pages[0].orders[1]
    assert [p.canceled for p in group.positions] == [False, True, False]
    assert pages[0].orders[0].canceled
    query = dict(fake.requests[0].query)
    assert query["include_canceled_positions"] == "true" and query["ordering"] == "datetime"
    assert "invoice_address" in [v for k, v in fake.requests[0].query if k == "exclude"]


async def test_changed_orders_stop_at_the_page_bound_and_resume_from_a_page(
    fake: FakePretix, client: PretixClient
):
    fake.generate(160)
    pages: list[OrdersPage] = []

    async def keep(page: OrdersPage) -> None:
        pages.append(page)

    await client.changed_orders("2000-01-01T00:00:00Z", 1, 2, keep)
    assert [(p.number, p.more) for p in pages] == [(1, True), (2, True)]
    pages.clear()
    await client.changed_orders("2000-01-01T00:00:00Z", 3, 2, keep)
    assert [(p.number, p.more, len(p.orders)) for p in pages] == [(3, True, 50), (4, False, 10)]


def one_sentence(exc: PretixError, fake: FakePretix, *private: str) -> str:
    text = str(exc)
    assert text and "\n" not in text and len(text) < 300
    for secret in (fake.token, fake.other_token, *private):
        assert secret not in text
    return text


@pytest.mark.parametrize(
    ("fault", "failure", "words"),
    [
        (Fault.UNAUTHORIZED, Failure.REFUSED, "refused the API token (HTTP 401)"),
        (Fault.NOT_FOUND, Failure.MISSING, "HTTP 404"),
        (Fault.SERVER_ERROR, Failure.DOWN, "answered HTTP 500"),
        (Fault.UNAVAILABLE, Failure.DOWN, "answered HTTP 503"),
        (Fault.HANG, Failure.SLOW, "did not answer within 0.5 s"),
        (Fault.NOT_JSON, Failure.GARBAGE, "not JSON"),
        (Fault.DEEP_JSON, Failure.GARBAGE, "not JSON"),
        (Fault.WRONG_TYPES, Failure.GARBAGE, "not what pretix's API documents"),
        (Fault.HUGE, Failure.GARBAGE, "over the 4,000,000-byte cap"),
        (Fault.GZIP, Failure.GARBAGE, "'gzip'-encoded"),
        (Fault.REDIRECT, Failure.ELSEWHERE, "to elsewhere.example"),
        (Fault.RATE_LIMITED, Failure.BUSY, "asked to wait 30 s (HTTP 429)"),
    ],
)
async def test_each_failure_is_one_sentence_without_the_token(
    fake: FakePretix, seeded: Seeded, client: PretixClient, fault: Fault, failure: Failure,
    words: str,
):  # fmt: skip
    fake.fail(fault)
    with pytest.raises(PretixError) as caught:
        await client.find_order(seeded.paid, seeded.email)
    assert caught.value.failure is failure
    text = one_sentence(caught.value, fake, seeded.paid, seeded.email)
    assert words in text
    assert text.startswith(f"pretix at 127.0.0.1 ({fake.organizer}/{fake.event})")


async def test_a_token_of_another_team_is_refused_in_one_sentence(fake: FakePretix, seeded: Seeded):
    other = PretixClient(event_of(fake, fake.other_token))
    with pytest.raises(PretixError) as caught:
        await other.find_order(seeded.paid, seeded.email)
    assert caught.value.failure is Failure.REFUSED
    assert "HTTP 403" in one_sentence(caught.value, fake)


async def test_a_wrong_token_is_refused_and_never_repeated(fake: FakePretix, seeded: Seeded):
    wrong = "wrongtoken" + "9" * 30
    client = PretixClient(event_of(fake, wrong))
    with pytest.raises(PretixError) as caught:
        await client.items()
    assert caught.value.failure is Failure.REFUSED
    one_sentence(caught.value, fake, wrong)
    assert wrong not in repr(client) and wrong not in repr(client.event)


async def test_a_pretix_that_is_not_there_is_down(fake: FakePretix, seeded: Seeded):
    gone = PretixEvent("http://127.0.0.1:9/api/v1/organizers/o/events/e/", "o", "e",
                       Secret(fake.token))  # fmt: skip
    with pytest.raises(PretixError) as caught:
        await PretixClient(gone, timeout=2).find_position("x" * 32)
    assert caught.value.failure is Failure.DOWN
    assert "could not be reached" in one_sentence(caught.value, fake)


async def test_a_next_link_elsewhere_is_not_followed(fake: FakePretix, client: PretixClient):
    fake.fail(Fault.NEXT_ELSEWHERE)
    with pytest.raises(PretixError) as caught:
        await client.items()
    assert caught.value.failure is Failure.ELSEWHERE
    assert "next page on another address (elsewhere.example)" in one_sentence(caught.value, fake)
    assert fake.count() == 1  # never asked elsewhere, nor again


async def test_a_429_is_honoured_until_retry_after_has_passed(
    fake: FakePretix, seeded: Seeded, client: PretixClient, clock: Ticking
):
    fake.retry_after = "30"
    fake.fail(Fault.RATE_LIMITED)
    with pytest.raises(PretixError) as first:
        await client.find_order(seeded.paid, seeded.email)
    assert first.value.retry_after == 30
    clock.at += 20
    with pytest.raises(PretixError) as second:
        await client.find_order(seeded.paid, seeded.email)
    assert second.value.failure is Failure.BUSY and second.value.retry_after == pytest.approx(10)
    assert fake.count() == 1  # pretix was not asked again while it said to wait
    clock.at += 10
    assert await client.find_order(seeded.paid, seeded.email) is not None
    assert fake.count() == 2


@pytest.mark.parametrize(("header", "wait"), [("abc", 60), ("-5", 1), ("99999", 3600), ("nan", 60)])
async def test_a_retry_after_pretix_did_not_say_plainly_is_bounded(
    fake: FakePretix, seeded: Seeded, client: PretixClient, header: str, wait: float
):
    fake.retry_after = header
    fake.fail(Fault.RATE_LIMITED)
    with pytest.raises(PretixError) as caught:
        await client.items()
    assert caught.value.retry_after == wait
