"""The state database: one process at a time (SQLite); a damaged schema, or a database
that is not one, refused in one sentence; a write the disk refuses undone whole and named
for what it is. Tests of what both backends do run on each (see tests/state_backends.py)."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import sys
from pathlib import Path

import pytest

from bot.changes import RecordedChange
from bot.store.connection import StoreUnavailable, WriteFailed, WriteFailure
from bot.store.lock import StateLock
from bot.store.postgres_address import redacted
from bot.store.state import STATE_VERSION, StateStore
from tests.local_servers import state_at_version
from tests.state_backends import StateBackend, run
from tests.state_backends import state_at_version as backend_at_version
from tests.test_console import cli as cli  # the fixture: `python -m bot ARGS`, in this process

ROOT = Path(__file__).resolve().parents[1]
SERVER = 10


# -- one process per state database ----------------------------------------------------


async def test_a_second_opening_of_one_state_database_is_refused_naming_the_holder(
    tmp_path: Path,
):
    path = tmp_path / "state.db"
    async with await StateStore.open(path):
        with pytest.raises(StoreUnavailable) as refused:
            await StateStore.open(path)
    assert refused.value.path == path
    assert refused.value.reason.startswith(
        f"another confbot (process {os.getpid()}) is running on it"
    )


async def test_closing_the_store_lets_the_next_one_open(state_backend: StateBackend):
    async with await state_backend.open() as state:
        await state.streams.save(SERVER, "osdi24", "Ballroom", "https://example.org/live", 1)
    async with await state_backend.open() as again:
        assert await again.streams.urls(SERVER, "osdi24") == {
            "Ballroom": "https://example.org/live"
        }


async def test_another_state_database_in_the_same_folder_is_not_locked_out(tmp_path: Path):
    one = await StateStore.open(tmp_path / "one.db")
    async with one, await StateStore.open(tmp_path / "two.db") as two:
        assert await two.version() == STATE_VERSION


async def _versions(where: Path | StateBackend, tmp_path: Path) -> tuple[int, str, str]:
    """`python -m bot versions` on the state database at `where`: code, stdout, stderr."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("CONFBOT_", "DISCORD_", "DATABASE_URL"))}  # fmt: skip
    env.update(where.env() if isinstance(where, StateBackend) else {"CONFBOT_STATE_DB": str(where)})
    env.update(CONFBOT_DB=str(tmp_path / "confbot.db"))
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "versions", cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    stdout, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode is not None
    return process.returncode, stdout.decode(), stderr.decode()


async def _versions_here(cli, backend: StateBackend, tmp_path: Path) -> tuple[int, str, str]:
    """`python -m bot versions` on `backend`'s state as bot.cli.main in this process (in a
    thread: main runs an event loop of its own), with the environment the process would
    have: for what a command says of a state no bot holds."""
    done = await asyncio.to_thread(cli, "versions", db=tmp_path / "confbot.db", **backend.env())
    return done.returncode, done.stdout, done.stderr


async def test_versions_reads_the_state_while_a_bot_holds_it(
    state_backend: StateBackend, tmp_path: Path
):
    """`python -m bot versions` and `diff` only read: they run beside the bot."""
    async with await state_backend.open() as state:
        await state.versions.serve("osdi24", "v1", "first", 1, b"zip", [])
        code, stdout, stderr = await _versions(state_backend, tmp_path)
        assert (code, stderr) == (0, "")
        assert "osdi24  version 'first'" in stdout
        # And the bot still writes after it.
        await state.streams.save(SERVER, "osdi24", "Ballroom", "https://example.org/live", 1)


async def test_versions_never_migrates_under_a_running_bot(tmp_path: Path):
    """A newer confbot's `versions` beside an older bot: refused, the file untouched."""
    path = tmp_path / "state.db"
    state_at_version(path, STATE_VERSION - 1)
    held = StateLock.take(path)  # the older bot
    try:
        code, stdout, stderr = await _versions(path, tmp_path)
    finally:
        held.release()
    assert (code, stdout) == (2, "")
    assert stderr == (
        f"confbot: CONFBOT_STATE_DB={path}: the confbot running on it keeps state schema"
        f" {STATE_VERSION - 1}, this one {STATE_VERSION}; run this command with the running"
        " bot's confbot.\n"
    )
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (STATE_VERSION - 1,)


async def test_versions_never_migrates_a_shared_state(
    cli, postgres_backend: StateBackend, tmp_path: Path
):
    """On PostgreSQL, bots of the older confbot may be running on it, unseen: a command
    that only reads refuses another schema version and leaves it as it is."""
    backend_at_version(postgres_backend, STATE_VERSION - 1)
    code, stdout, stderr = await _versions_here(cli, postgres_backend, tmp_path)
    assert (code, stdout) == (2, "")
    assert postgres_backend.url is not None
    where = redacted(postgres_backend.url)
    assert stderr == (
        f"confbot: CONFBOT_STATE_URL={where}: it keeps state schema {STATE_VERSION - 1}, this"
        f" confbot {STATE_VERSION}; run this command with the confbot of the bots running on"
        " it (a bot migrates it at start).\n"
    )
    assert run(postgres_backend, "SELECT version FROM confbot_state_version") == [
        (STATE_VERSION - 1,)
    ]


async def test_a_command_that_only_reads_an_empty_shared_state_says_no_bot_started_on_it(
    cli, postgres_backend: StateBackend, tmp_path: Path
):
    """An operator's first look (`status`, `versions`) at a PostgreSQL database no bot has
    started on yet: told so, not sent to look for another confbot's version; nothing is
    created in it (a command that only reads never migrates)."""
    code, stdout, stderr = await _versions_here(cli, postgres_backend, tmp_path)
    assert (code, stdout) == (2, "")
    assert postgres_backend.url is not None
    assert stderr == (
        f"confbot: CONFBOT_STATE_URL={redacted(postgres_backend.url)}: it holds no confbot"
        " state yet; start a bot on it first (its first start creates the tables), or check"
        " that this is the address the bots use.\n"
    )
    assert run(postgres_backend, "SELECT count(*) FROM pg_tables WHERE schemaname ="
               " current_schema()") == [(0,)]  # fmt: skip


@pytest.mark.parametrize("folder", ["a#b", "a?b", "a%20b"])
async def test_the_state_is_read_beside_a_bot_wherever_its_folder_is(tmp_path: Path, folder: str):
    # Read-only, the database is opened as a URI: the path was pasted in unencoded, so
    # 'a#b' opened an empty 'a' (refused as "state schema 0"), 'a%20b' a folder 'a b'.
    path = tmp_path / folder / "state.db"
    async with await StateStore.open(path) as state:
        await state.versions.serve("osdi24", "v1", "first", 1, b"zip", [])
        async with await StateStore.open_to_read(path) as beside:
            assert [v.label for v in await beside.versions.newest_first()] == ["first"]


# -- a damaged or foreign database -----------------------------------------------------


def _current(backend: StateBackend, *statements: str) -> None:
    backend_at_version(backend, STATE_VERSION, *statements)


async def _refusal(where: Path | StateBackend) -> str:
    with pytest.raises(StoreUnavailable) as refused:
        await (where.open() if isinstance(where, StateBackend) else StateStore.open(where))
    return refused.value.reason


_MOVE_ASIDE = {
    "sqlite": "restore it from a backup, or move it aside and the bot starts an empty one",
    "postgresql": "restore it from a backup, or give the bot an empty database (or schema)",
}


async def test_a_missing_table_is_named_with_what_to_do(state_backend: StateBackend):
    _current(state_backend, "DROP TABLE reminders")
    reason = await _refusal(state_backend)
    assert f"lacks what state schema {STATE_VERSION} needs (the table reminders)" in reason
    assert _MOVE_ASIDE[state_backend.dialect] in reason


async def test_a_missing_column_is_named(state_backend: StateBackend):
    _current(state_backend, "ALTER TABLE announcements DROP COLUMN per_talk")
    assert "(the column announcements.per_talk)" in await _refusal(state_backend)


def _version(backend: StateBackend) -> int:
    query = ("PRAGMA user_version" if backend.url is None
             else "SELECT version FROM confbot_state_version")  # fmt: skip
    ((version,),) = run(backend, query)
    assert isinstance(version, int)
    return version


async def test_a_table_missing_before_a_migration_is_named_not_half_migrated(
    state_backend: StateBackend,
):
    backend_at_version(state_backend, 3, "DROP TABLE scheduled_events")
    assert "lacks what state schema 3 needs (the table scheduled_events)" in await _refusal(
        state_backend
    )
    assert _version(state_backend) == 3


_TABLES = {
    "sqlite": "SELECT name FROM sqlite_master",
    "postgresql": "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()",
}


async def test_another_programs_database_is_not_taken_over(state_backend: StateBackend):
    run(state_backend, "CREATE TABLE accounts (id INTEGER PRIMARY KEY)")
    assert "is not a confbot state database" in await _refusal(state_backend)
    assert run(state_backend, _TABLES[state_backend.dialect]) == [("accounts",)]


async def test_a_database_of_a_newer_confbot_is_refused(state_backend: StateBackend):
    _current(state_backend)
    newer = ("PRAGMA user_version = 99" if state_backend.url is None
             else "UPDATE confbot_state_version SET version = 99")  # fmt: skip
    run(state_backend, newer)
    assert await _refusal(state_backend) == (
        "it was written by a newer confbot (state schema 99); upgrade confbot"
    )
    assert _version(state_backend) == 99


async def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path):
    path = tmp_path / "state.db"
    path.write_bytes(b"this is not a database\n" * 100)
    assert "not a confbot database" in await _refusal(path)


async def test_a_damaged_file_is_refused_in_one_line(tmp_path: Path):
    path = tmp_path / "state.db"
    state_at_version(path, STATE_VERSION)
    with sqlite3.connect(path) as db:
        page_size = db.execute("PRAGMA page_size").fetchone()[0]
    data = bytearray(path.read_bytes())
    data[page_size * 3 : page_size * 4] = b"\xff" * page_size  # a table's root page
    path.write_bytes(bytes(data))
    # SQLite's own words span two lines ("*** in database main ***", then the page).
    page = "Page 4: btreeInitPage() returns error code 11"
    assert await _refusal(path) == f"it is damaged ({page}); restore it or move it away"


async def test_a_fifo_is_refused_without_a_hang(tmp_path: Path):
    path = tmp_path / "state.db"
    os.mkfifo(path)
    assert await asyncio.wait_for(_refusal(path), 10) == "it is not a regular file"


async def test_a_fresh_file_and_an_extra_table_of_the_operators_are_fine(
    state_backend: StateBackend,
):
    _current(state_backend, "CREATE TABLE operator_notes (note TEXT)")
    async with await state_backend.open() as state:
        assert await state.version() == STATE_VERSION


# -- a write the disk refuses ------------------------------------------------------------


async def _full(state: StateStore) -> None:
    """No page more: a write that needs one fails as on a full disk (SQLITE_FULL)."""
    (pages,) = next(iter(await state._db.execute_fetchall("PRAGMA page_count")))
    await state._db.execute(f"PRAGMA max_page_count = {pages}")


def _change(n: int, size: int) -> RecordedChange:
    return RecordedChange(0, 0, f"p:{n}", ("s:x",), "t" * size, ("added",), None, (1, 2, "A"))


async def test_a_full_disk_undoes_the_whole_write_and_says_so(tmp_path: Path):
    async with await StateStore.open(tmp_path / "state.db") as state:
        await _full(state)
        # The version row fits; the changes kept with it do not: neither stays.
        with pytest.raises(WriteFailed) as failed:
            await state.versions.serve("osdi24", "v1", None, 1, b"zip",
                                       [_change(n, 3000) for n in range(40)])  # fmt: skip
        assert failed.value.failure is WriteFailure.DISK_FULL
        assert "database or disk is full" in str(failed.value)
        await state._db.execute("PRAGMA max_page_count = 1073741823")
        await state.streams.save(SERVER, "osdi24", "Ballroom", "https://example.org/live", 1)
        assert await state.versions.newest_first() == []
        assert await state.versions.changes("osdi24") == []
        assert await state.streams.urls(SERVER, "osdi24") == {
            "Ballroom": "https://example.org/live"
        }


async def test_a_read_only_database_is_named_as_such(tmp_path: Path):
    async with await StateStore.open(tmp_path / "state.db") as state:
        await state._db.execute("PRAGMA query_only = 1")
        with pytest.raises(WriteFailed) as failed:
            await state.reminders.add("osdi24", 1, None, "p:xiang", 10, 0)
        assert failed.value.failure is WriteFailure.READ_ONLY
        await state._db.execute("PRAGMA query_only = 0")
        assert await state.reminders.find("osdi24") == []


async def test_a_new_delivery_kind_needs_no_rebuild_of_the_ledger(tmp_path: Path):
    # The table checked kinds itself, so a new kind meant a migration rebuilding the whole
    # ledger (the correction kind's did); kinds are checked by DeliveryKind instead, and
    # rows kept before keep their ids and states.
    path = tmp_path / "state.db"
    state_at_version(path, 11, "INSERT INTO deliveries (conference, kind, owner, item_ref,"
                     " target, due_ts, state, updated_ts) VALUES ('osdi24', 'slot', 1, 'slot:1',"
                     " 2, 3, 'sent', 4)")  # fmt: skip
    async with await StateStore.open(path) as state:
        assert await state.version() == STATE_VERSION
        (kept,) = await state.ledger.deliveries(conference="osdi24")
        assert (kept.kind, kept.state) == ("slot", "sent")
    row = (
        "INSERT INTO deliveries (conference, kind, owner, item_ref, target, due_ts, state,"
        " updated_ts) VALUES ('osdi24', ?, 1, 'x', 2, 3, ?, 4)"
    )
    with sqlite3.connect(path) as db:
        db.execute(row, ("a kind of the future", "pending"))
        with pytest.raises(sqlite3.IntegrityError):
            db.execute(row, ("slot", "maybe"))


async def test_changes_kept_before_their_order_had_a_column_keep_their_order(tmp_path: Path):
    # SQLite listed a version's changes by rowid, which PostgreSQL rows lack; migration 14
    # gave the order a column of its own, filled from the rowid of those kept before.
    path = tmp_path / "state.db"
    change = (
        "INSERT INTO program_changes (sync_id, item_ref, session_refs, title, kinds, old_start,"
        " old_end, old_room, new_start, new_end, new_room) VALUES (1, ?, 's:x', ?, 'cancelled',"
        " 1, 2, 'A', NULL, NULL, NULL)"
    )
    state_at_version(
        path, 13, "INSERT INTO program_syncs (id, conference, applied_ts) VALUES (1, 'osdi24', 9)"
    )
    with sqlite3.connect(path) as db:
        db.executemany(change, [("p:b", "Second in the alphabet"), ("p:a", "First in it")])
    async with await StateStore.open(path) as state:
        kept = await state.versions.changes("osdi24")
        assert [c.item_ref for c in kept] == ["p:b", "p:a"]
        assert [c.item_ref for c in await state.versions.cancelled("osdi24")] == ["p:b", "p:a"]
