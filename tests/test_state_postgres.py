"""The state on PostgreSQL: a server that cannot be used is one sentence at start (never
with the password); processes starting at once migrate once; Discord's 64-bit ids are
kept whole; a connection lost under the bot fails the write in progress in words, and
the next write goes through on a new connection; reads have connections of their own,
which a write in progress never holds up, and a lost one is replaced."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import socket
from pathlib import Path

import psycopg
import pytest

from bot.app import open_state
from bot.settings import Settings, SettingsError
from bot.store import postgres_database
from bot.store.connection import (
    StateUnreachable,
    StoreUnavailable,
    WriteFailed,
    WriteFailure,
)
from bot.store.feature_store import FeatureStore, writes
from bot.store.members_store import Member
from bot.store.postgres_address import redacted, scrubbed
from bot.store.postgres_database import READERS, PostgresDatabase, placeholders
from bot.store.state import STATE_VERSION, StateStore
from bot.store.streams_store import StreamStore
from tests.postgres_fixtures import postgres_fixture
from tests.postgres_server import PostgresServer
from tests.state_backends import (
    SAFETY,
    StateBackend,
    alive,
    in_schema,
    postgres_server,
    reading_pids,
    run,
    terminate,
    writing_pid,
)

SERVER, CHANNEL = 1_234_567_890_123_456_789, 2**63 - 1  # Discord ids use all 64 bits
URL = "https://example.org/live"

# The tests that stop and start a server of their own share one (each leaves it running),
# each with a schema of its own on it: one server's start and stop, not one a test.
private_postgres = postgres_fixture("module")


def own_schema(server: PostgresServer, name: str) -> str:
    """The address of a new, empty schema on the module's server (started again first,
    should a test before have failed with it stopped)."""
    if not server.running:
        server.start()
    with psycopg.connect(server.url, autocommit=True) as admin:
        admin.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")
        admin.execute(f"CREATE SCHEMA {name}")
    return in_schema(server.url, name)


def _with_password(url: str, password: str) -> str:
    scheme, _, rest = url.partition("://")
    userinfo, _, host = rest.rpartition("@")
    user = userinfo.split(":", 1)[0] or "postgres"
    return f"{scheme}://{user}:{password}@{host}"


async def _refused(url: str) -> StoreUnavailable:
    with pytest.raises(StoreUnavailable) as refused:
        await StateStore.connect(url)
    return refused.value


# -- a server that cannot be used: one sentence at start ------------------------------


async def test_a_wrong_password_is_one_sentence_without_the_password():
    url = _with_password(postgres_server(), "not-the-password-42")
    refused = await _refused(url)
    assert refused.reason.startswith("the server refused the password of the user ")
    assert refused.path == redacted(url)
    assert "not-the-password-42" not in str(refused) and "***" in str(refused)


async def test_a_host_where_nothing_answers_is_named():
    with socket.socket() as probe:  # a port nothing listens on: taken, then let go
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    refused = await _refused(f"postgresql://confbot:secret-pw@127.0.0.1:{port}/state")
    assert refused.reason == (
        f"nothing answers at 127.0.0.1 port {port} (Connection refused); start the server"
        " there, or correct the address"
    )
    assert "secret-pw" not in str(refused)


async def test_an_unknown_database_is_named():
    server = postgres_server()
    base, _, _ = server.rpartition("/")
    url = f"{base}/no_such_state_db"
    refused = await _refused(url)
    # (scrubbed: were the test server's password in the name, it would be hidden there too)
    assert refused.reason == scrubbed(
        "the server has no database no_such_state_db; create it first", url
    )


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://confbot:pass word 9@127.0.0.1:5432/state",
        "postgresql://confbot:pass word 9@127.0.0.1:notaport/state",
    ],
)
async def test_a_malformed_address_is_one_sentence_without_the_password(url: str):
    refused = await _refused(url)
    assert refused.reason.startswith("it is not a valid PostgreSQL address (")
    assert "pass word 9" not in str(refused) and "pass%20word" not in str(refused)


async def test_a_search_path_naming_no_schema_is_refused():
    refused = await _refused(in_schema(postgres_server(), "no_such_schema_of_ours"))
    assert refused.reason.startswith("its search_path names no schema that exists")


async def test_the_setting_that_named_the_server_is_named(tmp_path: Path):
    url = _with_password(postgres_server(), "hunter2-wrong")
    settings = Settings.from_mapping({"DATABASE_URL": url, "CONFBOT_DB": str(tmp_path / "c.db")})
    with pytest.raises(SettingsError) as refused:
        await open_state(settings)
    message = str(refused.value)
    assert message.startswith(f"DATABASE_URL={redacted(url)}: the server refused the password")
    assert message.endswith(".") and "hunter2" not in message


@pytest.mark.parametrize("readers", [2, 0])
async def test_the_setting_gives_a_process_its_reading_connections(
    postgres_backend: StateBackend, tmp_path: Path, readers: int
):
    values = {"CONFBOT_STATE_READ_CONNECTIONS": str(readers), "CONFBOT_DB": str(tmp_path / "c.db")}
    state = await open_state(postgres_backend.settings(Settings.from_mapping(values)))
    try:
        assert isinstance(state._db, PostgresDatabase)
        pool = state._db._readers
        assert (0 if pool is None else pool.max_size) == readers
        await state.streams.save(SERVER, "osdi24", "A", URL, 1)
        assert await state.streams.urls(SERVER, "osdi24") == {"A": URL}
    finally:
        await state.close()


# -- migrating: once, whoever starts first ---------------------------------------------


async def test_two_processes_starting_at_once_migrate_once(
    postgres_backend: StateBackend, caplog: pytest.LogCaptureFixture
):
    with caplog.at_level(logging.INFO, logger="bot.store.postgres_state"):
        one, two = await asyncio.gather(postgres_backend.open(), postgres_backend.open())
    try:
        migrated = [r.getMessage() for r in caplog.records if "migrated" in r.getMessage()]
        assert migrated == [  # by one of them; the other found it done
            f"state database {redacted(postgres_backend.url or '')} migrated from version 0"
            f" to {STATE_VERSION}"
        ]
        assert await one.version() == await two.version() == STATE_VERSION
        await one.streams.save(SERVER, "osdi24", "Ballroom", URL, 1)
        assert await two.streams.urls(SERVER, "osdi24") == {"Ballroom": URL}
    finally:
        await one.close()
        await two.close()


async def test_a_new_state_keeps_its_version_in_a_table_of_its_own(
    postgres_backend: StateBackend,
):
    async with await postgres_backend.open() as state:
        assert await state.version() == STATE_VERSION
    assert run(postgres_backend, "SELECT version FROM confbot_state_version") == [(STATE_VERSION,)]
    kinds = run(
        postgres_backend,
        "SELECT column_name, data_type FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND table_name = 'reminders'"
        " AND column_name IN ('id', 'user_id', 'item_ref') ORDER BY column_name",
    )
    assert kinds == [("id", "bigint"), ("item_ref", "text"), ("user_id", "bigint")]


# -- values kept whole ------------------------------------------------------------------


async def test_discord_ids_of_64_bits_are_kept_whole(state_backend: StateBackend):
    async with await state_backend.open() as state:
        reminder = await state.reminders.add("osdi24", CHANNEL, SERVER, "p:xiang", 10, 1)
        assert (reminder.user_id, reminder.guild_id) == (CHANNEL, SERVER)
        await state.announcements.save(SERVER, "osdi24", CHANNEL, 10, True, 1)
        (kept,) = await state.announcements.find(SERVER)
        assert (kept.guild_id, kept.channel_id, kept.per_talk) == (SERVER, CHANNEL, True)
        await state.conferences.use(CHANNEL, "osdi24")
        assert await state.conferences.person_conferences() == {CHANNEL: "osdi24"}


async def test_text_with_placeholders_and_percents_is_kept_as_given(state_backend: StateBackend):
    odd = "50% off? 'quoted' -- not a comment %s %%"
    async with await state_backend.open() as state:
        await state.streams.save(SERVER, odd, odd, odd, 1)
        assert await state.streams.urls(SERVER, odd) == {odd: odd}
        assert await state.streams.clear(SERVER, odd, odd)


async def test_the_version_served_last_is_named_without_its_files(state_backend: StateBackend):
    async with await state_backend.open() as state:
        assert await state.versions.last_served_fingerprint("osdi24") is None
        await state.versions.serve("osdi24", "v1", None, 1, b"one")
        await state.versions.serve("osdi24", "v2", None, 2, b"two")
        await state.versions.serve("osdi24", "v1", None, 3, None)  # served again
        assert await state.versions.last_served_fingerprint("osdi24") == "v1"
        assert await state.versions.last_served("osdi24") == ("v1", b"one")


async def test_a_process_heartbeat_is_kept_and_removed_when_it_leaves(
    state_backend: StateBackend,
):
    member = Member("host:1:a", "web-1", 4001, "0-3", 8, ("osdi24", "fixcon"), 10, 100, 130)
    async with await state_backend.open() as state:
        await state.members.beat(member)
        await state.members.beat(dataclasses.replace(member, seen_ts=140))
        assert await state.members.members() == [dataclasses.replace(member, seen_ts=140)]
        await state.members.leave(member.process)
        assert await state.members.members() == []


def test_placeholders_become_psycopgs_outside_quotes_only():
    assert placeholders("SELECT '?', \"a?\", ? -- why?\n, x % 2 FROM t WHERE y = ?") == (
        "SELECT '?', \"a?\", %s -- why?\n, x %% 2 FROM t WHERE y = %s"
    )
    assert placeholders("SELECT 'it''s ?', ?") == "SELECT 'it''s ?', %s"


# -- a write the server refuses ---------------------------------------------------------


async def test_a_read_only_server_is_named_as_such(postgres_backend: StateBackend):
    async with await postgres_backend.open() as state:
        await state._db.execute("SET default_transaction_read_only = on")  # as on a standby
        with pytest.raises(WriteFailed) as failed:
            await state.reminders.add("osdi24", 1, None, "p:xiang", 10, 0)
        assert failed.value.failure is WriteFailure.READ_ONLY
        await state._db.execute("SET default_transaction_read_only = off")
        assert await state.reminders.find("osdi24") == []


@pytest.mark.parametrize(
    ("error", "failure"),
    [
        (psycopg.errors.DiskFull, WriteFailure.DISK_FULL),
        (psycopg.errors.ReadOnlySqlTransaction, WriteFailure.READ_ONLY),
        (psycopg.errors.DeadlockDetected, WriteFailure.LOCKED),
        (psycopg.errors.AdminShutdown, WriteFailure.UNREACHABLE),
        (psycopg.errors.ConnectionFailure, WriteFailure.UNREACHABLE),
        (psycopg.errors.UniqueViolation, None),  # a bug, never the operator's to fix
    ],
)
async def test_what_the_server_refuses_is_named(
    postgres_backend: StateBackend, error: type[psycopg.Error], failure: WriteFailure | None
):
    async with await postgres_backend.open() as state:
        assert isinstance(state._db, PostgresDatabase)
        assert state._db.write_failure(error("refused")) is failure


# -- a connection lost under the bot ----------------------------------------------------


class _Interrupted(FeatureStore):
    """A write during which the server ends the store's session (a restart would)."""

    @writes
    async def save_twice(self, pid: int) -> None:
        await self._db.execute(
            "INSERT INTO streams (guild_id, conference, room, url, updated_ts)"
            " VALUES (?, 'osdi24', 'A', ?, 1)",
            (SERVER, URL),
        )
        await terminate(pid)
        await self._db.execute(
            "INSERT INTO streams (guild_id, conference, room, url, updated_ts)"
            " VALUES (?, 'osdi24', 'B', ?, 1)",
            (SERVER, URL),
        )


async def test_a_lost_connection_fails_the_write_in_words_and_the_next_one_goes_through(
    postgres_backend: StateBackend,
):
    async with await postgres_backend.open() as state:
        pid = await writing_pid(state)
        interrupted = _Interrupted(state.streams._shared)
        with pytest.raises(WriteFailed) as failed:
            await interrupted.save_twice(pid)
        assert failed.value.failure is WriteFailure.UNREACHABLE
        assert str(failed.value).startswith(
            f"{state.path}: the database server cannot be reached ("
        )
        await state.streams.save(SERVER, "osdi24", "C", URL, 2)  # on a new connection
        assert await state.streams.urls(SERVER, "osdi24") == {"C": URL}  # nothing of A kept
        assert await writing_pid(state) != pid


async def test_a_connection_lost_while_idle_is_made_again_for_the_next_read_and_write(
    postgres_backend: StateBackend,
):
    async with await postgres_backend.open() as state:
        await state.streams.save(SERVER, "osdi24", "A", URL, 1)
        for pid in [await writing_pid(state), *await reading_pids(state)]:  # a restart's
            await terminate(pid)
        assert await state.streams.urls(SERVER, "osdi24") == {"A": URL}
        await terminate(await writing_pid(state))
        await state.streams.save(SERVER, "osdi24", "B", URL, 2)
        assert await state.streams.urls(SERVER, "osdi24") == {"A": URL, "B": URL}


@pytest.mark.parametrize("readers", [READERS, 0])
async def test_a_read_from_another_task_never_sees_a_write_in_progress(
    postgres_backend: StateBackend, readers: int
):
    """On a reading connection of its own (or, with none, waiting for the write's end on
    the one connection), a read never lands inside another task's write."""
    assert postgres_backend.url is not None
    async with await StateStore.connect(postgres_backend.url, readers) as state:
        inside, go_on = asyncio.Event(), asyncio.Event()

        class Slow(FeatureStore):
            @writes
            async def save(self) -> None:
                await self._db.execute(
                    "INSERT INTO streams (guild_id, conference, room, url, updated_ts)"
                    " VALUES (?, 'osdi24', 'A', ?, 1)",
                    (SERVER, URL),
                )
                inside.set()
                await go_on.wait()
                raise RuntimeError("the write fails after its insert")

        writing = asyncio.create_task(Slow(state.streams._shared).save())
        await inside.wait()
        reading = asyncio.create_task(state.streams.urls(SERVER, "osdi24"))
        await asyncio.sleep(0)  # the read starts while the write is in progress
        go_on.set()
        with pytest.raises(RuntimeError):
            await writing
        assert await reading == {}  # not the insert the write undid


async def test_a_read_beside_a_long_write_is_answered_before_the_write_ends(
    postgres_backend: StateBackend,
):
    """Reads have connections of their own: a read another task starts while a write is
    in progress is answered while the write is still open (with what was committed)."""
    async with await postgres_backend.open() as state:
        await state.streams.save(SERVER, "osdi24", "A", URL, 1)
        inside = asyncio.Event()

        async def read_inside() -> dict[str, str]:
            await inside.wait()
            return await state.streams.urls(SERVER, "osdi24")

        reading = asyncio.create_task(read_inside())  # another task, outside the write

        class Long(FeatureStore):
            @writes
            async def save(self) -> dict[str, str]:
                await self._db.execute(
                    "INSERT INTO streams (guild_id, conference, room, url, updated_ts)"
                    " VALUES (?, 'osdi24', 'B', ?, 1)",
                    (SERVER, URL),
                )
                inside.set()
                # The write ends only once the read is answered. Were the read waiting for
                # the write (one connection for both), each would wait for the other: the
                # bound is a safety net that fails the test then, never a measure.
                return await asyncio.wait_for(reading, SAFETY)

        assert await Long(state.streams._shared).save() == {"A": URL}  # not B, not yet kept
        assert await state.streams.urls(SERVER, "osdi24") == {"A": URL, "B": URL}


class _Undone(Exception):
    """A write's end that undoes it, carrying what its own read saw."""

    def __init__(self, seen: dict[str, str]) -> None:
        super().__init__("undone")
        self.seen = seen


class _ReadsItsOwnRows(FeatureStore):
    @writes
    async def save_read_and_undo(self) -> None:
        await self._db.execute(
            "INSERT INTO streams (guild_id, conference, room, url, updated_ts)"
            " VALUES (?, 'osdi24', 'B', ?, 1)",
            (SERVER, URL),
        )
        raise _Undone(await StreamStore(self._shared).urls(SERVER, "osdi24"))


async def test_a_read_inside_a_write_sees_the_rows_it_has_not_yet_committed(
    state_backend: StateBackend,
):
    async with await state_backend.open() as state:
        await state.streams.save(SERVER, "osdi24", "A", URL, 1)
        with pytest.raises(_Undone) as undone:
            await _ReadsItsOwnRows(state.streams._shared).save_read_and_undo()
        assert undone.value.seen == {"A": URL, "B": URL}  # its own row, uncommitted
        assert await state.streams.urls(SERVER, "osdi24") == {"A": URL}  # and undone


async def test_a_reading_connection_the_server_ends_is_replaced(
    postgres_backend: StateBackend, caplog: pytest.LogCaptureFixture
):
    async with await postgres_backend.open() as state:
        await state.streams.save(SERVER, "osdi24", "A", URL, 1)
        before = await reading_pids(state)
        assert len(set(before)) == READERS and alive(before) == sorted(before)
        await terminate(before[0])
        with caplog.at_level(logging.INFO, logger="bot.store.postgres_database"):
            for _ in before:  # each reading connection in turn, the ended one among them
                assert await state.streams.urls(SERVER, "osdi24") == {"A": URL}
        lost = [r.getMessage() for r in caplog.records if "reading connection" in r.getMessage()]
        assert lost == [
            f"state database {state.path}: a reading connection was lost; reading on the"
            " writing one"
        ]
        after = await reading_pids(state)  # the pool made another in its place
        assert before[0] not in after and len(set(after)) == READERS
        assert alive(after) == sorted(after)
        assert await state.streams.urls(SERVER, "osdi24") == {"A": URL}


def test_every_write_failure_is_told_to_the_person_in_words():
    from bot.adapters.discord.tree import NOT_SAVED

    assert set(NOT_SAVED) == set(WriteFailure)
    assert NOT_SAVED[WriteFailure.UNREACHABLE] == (
        "The bot's database server cannot be reached, so nothing was saved; please try again"
        " in a minute."
    )


async def test_a_server_stopped_and_started_under_the_bot_needs_no_bot_restart(
    private_postgres: PostgresServer,
):
    server = private_postgres
    url = own_schema(server, "stopped_and_started")
    async with await StateStore.connect(url) as state:
        await state.streams.save(SERVER, "osdi24", "A", URL, 1)
        await asyncio.to_thread(server.stop)
        with pytest.raises(WriteFailed) as failed:  # the server is gone: said, nothing kept
            await state.streams.save(SERVER, "osdi24", "B", URL, 2)
        assert failed.value.failure is WriteFailure.UNREACHABLE
        await asyncio.to_thread(server.start)
        await state.streams.save(SERVER, "osdi24", "C", URL, 3)
        assert await state.streams.urls(SERVER, "osdi24") == {"A": URL, "C": URL}
        await asyncio.to_thread(server.restart)  # while the bot is idle: nothing to tell
        await state.streams.save(SERVER, "osdi24", "D", URL, 4)
        await asyncio.to_thread(server.restart)
        assert await state.streams.urls(SERVER, "osdi24") == {"A": URL, "C": URL, "D": URL}


async def test_a_read_finding_no_reading_connection_in_time_takes_the_writing_one(
    postgres_backend: StateBackend,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
):
    """As when the server refuses more clients: the reads go on, slower, said once."""
    assert postgres_backend.url is not None
    monkeypatch.setattr(postgres_database, "READ_WAIT", 0.01)  # not to wait a second
    async with await StateStore.connect(postgres_backend.url, 1) as state:
        await state.streams.save(SERVER, "osdi24", "A", URL, 1)
        assert isinstance(state._db, PostgresDatabase) and state._db._readers is not None
        pool = state._db._readers
        held = await pool.getconn(timeout=SAFETY)  # the one reading connection, taken
        with caplog.at_level(logging.INFO, logger="bot.store.postgres_database"):
            for _ in range(2):
                assert await state.streams.urls(SERVER, "osdi24") == {"A": URL}
            await pool.putconn(held)
            assert await state.streams.urls(SERVER, "osdi24") == {"A": URL}
        said = [r.getMessage() for r in caplog.records if "reading connection" in r.getMessage()]
        assert said == [
            f"state database {state.path}: no reading connection within 0.01 s (the server"
            " refuses more clients, or all 1 are busy); the reads take their turn on the"
            " writing one",
            f"state database {state.path}: the reading connections serve the reads again",
        ]


async def test_a_lookup_still_in_flight_as_the_bot_stops_is_no_error_of_the_closed_pool(
    postgres_backend: StateBackend,
):
    """The bot closes its state as it stops, with lookups maybe still in flight: a read
    then is made on the writing connection, as any read was before the reading ones."""
    state = await postgres_backend.open()
    await state.streams.save(SERVER, "osdi24", "A", URL, 1)
    await state.close()
    try:
        assert await state.streams.urls(SERVER, "osdi24") == {"A": URL}
    finally:
        await state.close()


async def test_a_read_while_the_server_is_gone_fails_at_once_as_it_always_did(
    private_postgres: PostgresServer,
):
    """On the writing connection, which says at once that the server cannot be reached,
    not after waiting for a reading connection the pool cannot make."""
    server = private_postgres
    url = own_schema(server, "read_while_gone")
    async with await StateStore.connect(url) as state:
        assert isinstance(state._db, PostgresDatabase) and state._db._readers is not None
        pool = state._db._readers
        await state.streams.save(SERVER, "osdi24", "A", URL, 1)
        await asyncio.to_thread(server.stop)
        with pytest.raises(StateUnreachable):  # its reading connection lost, then the
            await state.streams.urls(SERVER, "osdi24")  # writing one cannot connect
        asked = pool.get_stats().get("requests_num", 0)
        for _ in range(READERS):
            with pytest.raises(StateUnreachable):
                await state.streams.urls(SERVER, "osdi24")
        assert pool.get_stats().get("requests_num", 0) == asked  # the pool was not asked
        await asyncio.to_thread(server.start)
        for _ in range(READERS + 1):  # once there, then each lost reading one replaced
            assert await state.streams.urls(SERVER, "osdi24") == {"A": URL}
