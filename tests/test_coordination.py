"""Which process follows which conference (advisory locks) and word of new versions
between processes (LISTEN/NOTIFY), on a real PostgreSQL (CONFBOT_TEST_POSTGRES); and the
SQLite state's one process, which leads everything."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import psycopg
import pytest

from bot.store import pg_coordination
from bot.store.coordination import (
    REPLAN,
    ChosenBy,
    CoordinationUnavailable,
    Notice,
    NoticeKind,
    SoleCoordinator,
    channel_of,
    lock_key,
    message,
    notice_of,
    payload,
)
from bot.store.pg_coordination import PostgresCoordinator
from tests.postgres_coordination import Postgres, own_schema

PROMPTLY = 10.0  # seconds a notice or a reconnection may take, at most, on a loaded machine


@pytest.fixture
async def postgres() -> AsyncIterator[Postgres]:
    async for found in own_schema():
        yield found


@pytest.fixture
async def coordinators(postgres: Postgres) -> AsyncIterator[list[PostgresCoordinator]]:
    """Two processes' coordinators (more if a test opens them), closed after the test."""
    opened = [await PostgresCoordinator.open(postgres.url, reconnect_delay=0.05)
              for _ in range(2)]  # fmt: skip
    yield opened
    for coordinator in opened:
        await coordinator.close()


def heard(coordinator: PostgresCoordinator) -> asyncio.Queue[Notice]:
    notices: asyncio.Queue[Notice] = asyncio.Queue()
    asyncio.get_running_loop().create_task(coordinator.listen(notices.put_nowait))
    return notices


async def listening(*coordinators: PostgresCoordinator) -> None:
    for coordinator in coordinators:
        await asyncio.wait_for(coordinator.listening.wait(), PROMPTLY)


# -- without a server ---------------------------------------------------------------------


async def test_the_sole_process_of_a_sqlite_state_leads_every_conference():
    sole = SoleCoordinator()
    assert sole.sole
    assert await sole.try_lead("osdi24") and await sole.try_lead("fosdem25")
    assert await sole.announce("osdi24", "abc")  # no one to tell, nothing to fail
    await sole.release("osdi24")
    assert await sole.try_lead("osdi24")


def test_lock_keys_and_channels_are_the_namespaces_own():
    assert lock_key("confbot/public", "osdi24") == lock_key("confbot/public", "osdi24")
    assert lock_key("confbot/public", "osdi24") != lock_key("confbot/test_a", "osdi24")
    assert lock_key("confbot/public", "osdi24") != lock_key("confbot/public", "osdi25")
    assert -(2**63) <= lock_key("x", "y") < 2**63  # PostgreSQL's bigint
    assert channel_of("confbot/public") != channel_of("confbot/test_a")
    assert len(channel_of("confbot/" + "s" * 63)) < 64  # an identifier


def test_a_notice_reads_back_whatever_the_key():
    key = 'a "key", with\nall [sorts]'
    assert notice_of(payload(key, "f" * 64)) == Notice(NoticeKind.VERSION, key, "f" * 64)
    assert notice_of(payload(key, REPLAN)) == Notice(NoticeKind.REPLAN, key)
    assert notice_of("not confbot's") is None
    assert notice_of('["one"]') is None


def test_every_notice_sent_reads_back_and_versions_keep_their_two_item_form():
    key = 'a "key", with\nall [sorts]'
    sent = [
        Notice(NoticeKind.VERSION, key, "f" * 64),
        Notice(NoticeKind.REPLAN, key),
        Notice(NoticeKind.SOURCES),
        Notice(NoticeKind.CHOICE, detail=(ChosenBy.PERSON, "123456789012345678")),
        Notice(NoticeKind.ASK, key, detail=("0a1b", "apply", "f" * 64, "e" * 64)),
        Notice(NoticeKind.ANSWER, key, detail=("0a1b", "applied", "3", "", "f" * 64)),
    ]
    for notice in sent:
        assert notice_of(message(notice)) == notice
    # What an older confbot sends and hears is unchanged, so a cluster can be upgraded
    # one process at a time: the older ignores the kinds it does not know.
    assert message(sent[0]) == payload(key, "f" * 64)
    assert message(sent[1]) == payload(key, REPLAN)
    assert notice_of('["osdi24", "a-kind-of-tomorrow", []]') is None
    assert notice_of('["osdi24", "choice", [1]]') is None
    with pytest.raises(ValueError, match="heard, never sent"):
        message(Notice(NoticeKind.RESYNC))  # heard, never sent


async def test_the_sole_process_has_no_one_to_send_to():
    assert await SoleCoordinator().send(Notice(NoticeKind.SOURCES))


class _DroppedSession:
    """A connection the server drops right after it was made: every statement fails."""

    def __init__(self, error: Exception) -> None:
        self.error = error
        self.closed = False

    async def execute(self, *_: object) -> object:
        raise self.error

    async def close(self) -> None:
        self.closed = True

    async def __aenter__(self) -> _DroppedSession:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()


async def test_a_connection_dropped_right_after_connecting_is_one_sentence_and_closed(
    monkeypatch: pytest.MonkeyPatch,
):
    dropped = _DroppedSession(psycopg.OperationalError("server closed the connection"))

    async def connect(url: str) -> _DroppedSession:
        return dropped

    monkeypatch.setattr(pg_coordination, "_connect", connect)
    url = "postgresql://confbot:secret@127.0.0.1:1/confbot"
    with pytest.raises(CoordinationUnavailable) as refused:
        await PostgresCoordinator.open(url)
    assert "\n" not in str(refused.value) and "secret" not in str(refused.value)
    assert dropped.closed


async def test_a_listener_refused_by_the_server_says_so_once_and_tries_again(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
):
    """Not only a lost connection: any failure of the server's (here LISTEN refused)
    is logged once and tried again, never the end of the listening."""
    tries = 0
    retried = asyncio.Event()

    async def connect(url: str) -> _DroppedSession:
        nonlocal tries
        tries += 1
        if tries <= 3:
            return _DroppedSession(psycopg.errors.InsufficientPrivilege("permission denied"))
        retried.set()
        await asyncio.Event().wait()  # connecting for ever, until closed
        raise AssertionError("never")

    monkeypatch.setattr(pg_coordination, "_connect", connect)
    coordinator = PostgresCoordinator("postgresql://127.0.0.1:1/x", "x/public", 0)
    await coordinator.listen(lambda notice: None)
    listener = coordinator._listener
    assert listener is not None
    waiting = asyncio.ensure_future(retried.wait())
    await asyncio.wait([listener, waiting], return_when=asyncio.FIRST_COMPLETED)
    try:
        assert retried.is_set() and not listener.done()
    finally:
        waiting.cancel()
        await coordinator.close()
    said = [r.getMessage() for r in caplog.records if "listening connection" in r.getMessage()]
    assert len(said) == 1 and "permission denied" in said[0]


# -- on PostgreSQL ---------------------------------------------------------------------


async def test_only_one_process_leads_a_conference(coordinators: list[PostgresCoordinator]):
    first, second = coordinators
    assert await first.try_lead("osdi24")
    assert not await second.try_lead("osdi24")
    assert await second.try_lead("fosdem25")  # one lock per conference
    assert await first.try_lead("osdi24")  # confirmed, not taken twice
    await first.release("osdi24")
    assert await second.try_lead("osdi24")
    assert not await first.try_lead("osdi24")
    assert second.led == {"osdi24", "fosdem25"} and first.led == set()


async def test_two_schemas_on_one_server_never_share_a_lock(postgres: Postgres):
    async for other in own_schema():
        here = await PostgresCoordinator.open(postgres.url)
        there = await PostgresCoordinator.open(other.url)
        try:
            assert here.namespace != there.namespace
            assert await here.try_lead("osdi24") and await there.try_lead("osdi24")
        finally:
            await here.close()
            await there.close()


async def test_closing_the_leader_lets_the_other_take_over(
    coordinators: list[PostgresCoordinator],
):
    leader, other = coordinators
    assert await leader.try_lead("osdi24")
    assert not await other.try_lead("osdi24")
    await leader.close()  # a process that stops: its session ends, and its locks with it
    assert await other.try_lead("osdi24")


async def test_a_process_whose_session_dies_loses_its_conferences_to_the_other(
    postgres: Postgres, coordinators: list[PostgresCoordinator]
):
    leader, other = coordinators
    assert await leader.try_lead("osdi24") and await leader.try_lead("fosdem25")
    await postgres.terminate(leader.backend_pid)  # a crash, a cut network, an operator
    assert await other.try_lead("osdi24")
    # The old leader finds out at its next try: its session is gone, so are its locks;
    # it connects again, and what the other took is the other's now.
    assert not await leader.try_lead("osdi24")
    assert leader.led == set()
    # What no one took meanwhile is refused once all the same: another process may have
    # led it and kept versions, which the old leader must catch up with (bot.live).
    assert not await leader.try_lead("fosdem25")
    assert await leader.try_lead("fosdem25")


async def test_a_notice_reaches_the_other_process_promptly_and_not_its_sender(
    coordinators: list[PostgresCoordinator],
):
    first, second = coordinators
    first_heard, second_heard = heard(first), heard(second)
    await listening(first, second)
    assert await first.announce("osdi24", "f" * 64)
    assert await asyncio.wait_for(second_heard.get(), PROMPTLY) == Notice(
        NoticeKind.VERSION, "osdi24", "f" * 64
    )
    assert await second.announce("osdi24", REPLAN)
    # What the first hears first is the second's: it never hears its own announcement.
    assert await asyncio.wait_for(first_heard.get(), PROMPTLY) == Notice(
        NoticeKind.REPLAN, "osdi24"
    )


async def test_a_choice_sent_reaches_the_other_process(coordinators: list[PostgresCoordinator]):
    first, second = coordinators
    notices = heard(second)
    await listening(second)
    choice = Notice(NoticeKind.CHOICE, detail=(ChosenBy.SERVER, "42"))
    assert await first.send(choice)
    assert await asyncio.wait_for(notices.get(), PROMPTLY) == choice


async def test_a_notice_of_another_schema_is_not_heard(postgres: Postgres):
    async for other in own_schema():
        here = await PostgresCoordinator.open(postgres.url)
        there = await PostgresCoordinator.open(other.url)
        neighbour = await PostgresCoordinator.open(postgres.url)
        try:
            notices = heard(here)
            await listening(here)
            await there.announce("osdi24", "from another schema")
            await neighbour.announce("osdi24", "from this one")
            notice = await asyncio.wait_for(notices.get(), PROMPTLY)
            assert notice.fingerprint == "from this one"
        finally:
            for coordinator in (here, there, neighbour):
                await coordinator.close()


async def test_a_lost_listening_connection_reconnects_and_says_notices_may_be_missed(
    postgres: Postgres, coordinators: list[PostgresCoordinator]
):
    first, second = coordinators
    notices = heard(second)
    await listening(second)
    await postgres.terminate(second.listener_pid)
    assert await asyncio.wait_for(notices.get(), PROMPTLY) == Notice(NoticeKind.RESYNC)
    await listening(second)
    assert await first.announce("osdi24", "after")
    assert (await asyncio.wait_for(notices.get(), PROMPTLY)).fingerprint == "after"


async def test_an_unreachable_server_is_one_sentence_at_start():
    from bot.app import open_coordinator
    from bot.settings import SettingsError
    from bot.store.dialect import Dialect

    url = "postgresql://confbot:wrong@127.0.0.1:1/confbot?connect_timeout=2"
    with pytest.raises(SettingsError) as refused:
        await open_coordinator(Dialect.POSTGRES, url)
    message = str(refused.value)
    assert message.startswith("CONFBOT_STATE_URL: the PostgreSQL database cannot be reached: ")
    assert "\n" not in message and "wrong" not in message  # no password in a log line
    assert isinstance(await open_coordinator(Dialect.SQLITE, url), SoleCoordinator)


async def test_the_server_drops_a_vanished_process_s_lock_session_within_half_a_minute(
    postgres: Postgres,
):
    """A leader whose host vanished (no reset ever sent) keeps its session, and every
    conference it led, until the server's keepalives end it: the system's two hours
    unless the session asks for less. Over TCP the server then probes after 10 s idle,
    every 5 s, 3 times."""
    conn = await pg_coordination._connect(postgres.url)
    try:
        shown = [(await (await conn.execute(f"SHOW {name}")).fetchone() or ("",))[0]
                 for name in ("tcp_keepalives_idle", "tcp_keepalives_interval",
                              "tcp_keepalives_count")]  # fmt: skip
    finally:
        await conn.close()
    assert shown == ["10", "5", "3"]
