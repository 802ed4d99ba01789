"""`python -m bot migrate-state SQLITE_FILE`: a stopped bot's SQLite state copied into the
PostgreSQL state the settings name, so a running conference moves without losing a
reminder: every table row for row (ids, 64-bit Discord ids and version archives exact),
what the stopped bot was sending marked lost, then a scheduler on PostgreSQL delivers what
was pending once and nothing already delivered. Each refusal is one sentence and changes
nothing; a copy failing midway leaves the server as it was.

Every test copies into a PostgreSQL schema of its own (tests/state_backends.py): they skip
without CONFBOT_TEST_POSTGRES, and fail under CI without it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
from pathlib import Path

import pytest

from bot import cli
from bot.changes import ChangeKind, RecordedChange
from bot.clock import FixedClock
from bot.kinds import DeliveryKind, DeliveryState
from bot.render.state_copy import copied_text
from bot.service import ProgramService
from bot.store.conferences_store import AddedSource
from bot.store.ledger_store import EVERYTHING, Delivery, Wanted
from bot.store.lock import StateLock
from bot.store.members_store import Member
from bot.store.migrations import STATE_VERSION, schema_at
from bot.store.postgres_address import redacted
from bot.store.postgres_state import VERSION_TABLE
from bot.store.qa_store import QAThread
from bot.store.state import StateStore
from bot.store.state_copy import StateCopied
from bot.store.tickets_store import RefundProgress
from bot.store.versions_store import FromSource
from tests.conftest import pacific
from tests.local_servers import state_at_version as sqlite_at_version
from tests.reminder_helpers import make_rig
from tests.state_backends import StateBackend, run, state_at_version

CONF, OTHER = "osdi24", "dc25"  # the rig serves osdi24; dc25's rows plan no delivery
USER = 1_234_567_890_123_456_789  # Discord ids use all 64 bits
GUILD, CHANNEL = 2**63 - 1, 2**63 - 2
DELIVERED = "p:xiang"  # NOMAD, 11:05: reminded at 10:55, delivered before the move
PENDING = "p:zhong-yuhong"  # 11:15: reminded at 11:05, after the move
CRASHED = "p:luo"  # MSH, 11:45: the old bot was sending it when it stopped
# Every byte value, and what quoting could trip on.
ARCHIVE = bytes(range(256)) * 64 + b"\x00\\x00'\"%s?\r\n\t"


def ts(text: str) -> int:
    return int(pacific(text).timestamp())


async def _build(path: Path, service: ProgramService) -> None:
    """A state as a running bot leaves it, made through the stores, with a row in every
    table: reminders delivered, pending and in flight (the process then stopped), a batch
    reserved, announcements, room channels, streams, Q&A, events, choices, versions with
    their archives and changes, a cluster member, tickets."""
    async with await StateStore.open(path) as state:
        rig = await make_rig(service, state, FixedClock(pacific("2024-07-10T10:50")))
        for ref in (DELIVERED, PENDING, CRASHED):
            await state.reminders.add(CONF, USER, GUILD, ref, 10, ts("2024-07-10T10:50"))
        assert await rig.at(pacific("2024-07-10T10:55")) == 1  # DELIVERED, as a DM
        # The old bot reserves its next batch, holding it until 11:30, and begins to send
        # CRASHED; then it is stopped (SIGKILL: between 'sending' and 'sent').
        now = ts("2024-07-10T10:56")
        reserved = await state.ledger.reserve(
            CONF, EVERYTHING, "old-bot", ts("2024-07-10T11:40"), now, ts("2024-07-10T11:30"), 10
        )
        assert [d.item_ref for d in reserved] == [PENDING, CRASHED]
        assert await state.ledger.claim(
            reserved[1].id, now, Wanted.REMINDER_ARMED, "old-bot", ts("2024-07-10T11:30")
        )
        await state.reminders.add(CONF, USER + 1, None, DELIVERED, 5, now, language="de")
        await state.reminders.forget(CONF, USER + 1)  # a cancelled one
        await state.announcements.save(GUILD, OTHER, CHANNEL, 15, True, now)
        await state.announcements.save(GUILD - 1, OTHER, CHANNEL - 1, 5, False, now)
        await state.announcements.disable(GUILD - 1, "the channel is gone", now)
        await state.announcements.save_room(GUILD, OTHER, "Grand Ballroom", CHANNEL - 2, now)
        await state.announcements.set_language(GUILD, "fr", USER, now)
        await state.streams.save(GUILD, OTHER, "Grand Ballroom", "https://x.org/?a=%20&b='1'", now)
        await state.qa.save_forum(GUILD, OTHER, CHANNEL - 3, 10, now, ("A", "B"), ("T",))
        await state.qa.save_thread(
            QAThread(GUILD, OTHER, "p:q", CHANNEL - 3, 2**62, 2**62 + 1, "sig ?%", False)
        )
        await state.events.save(GUILD, OTHER, "s:memory", 2**63 - 7, now)
        await state.events.set_window(GUILD, OTHER, True)
        await state.conferences.offer(GUILD, [CONF, OTHER], CONF, now)
        await state.conferences.use(USER, OTHER)
        await state.conferences.add_source(AddedSource(OTHER, "https://x.org/dc25", GUILD), now)
        await state.versions.serve(OTHER, "fp1", "v1", now, ARCHIVE)
        change = RecordedChange(
            0, now, "p:q", ("s:a", "s:b"), "Q’s talk", (ChangeKind.MOVED,),
            (now, now + 600, "A"), (now + 60, now + 660, None), ("Ann",),
        )  # fmt: skip
        source = FromSource("https://x.org/dc25", '"e2"', "Wed, 10 Jul 2024")
        await state.versions.serve(OTHER, "fp2", None, now + 1, ARCHIVE[::-1], [change], source)
        await state.members.beat(Member("old-bot", "host", 4001, "0", 1, (CONF,), 10, now, now))
        await state.tickets.map_role(OTHER, GUILD, 17, None, 2**63 - 9, now)
        await state.tickets.set_log_channel(GUILD, CHANNEL - 4, now)
        await state.tickets.keep_hash_key("the-key")
        await state.tickets.claim(OTHER, GUILD, USER, [("h1", [2**63 - 9]), ("h2", [])], now)
        await state.tickets.record_refunds(OTHER, ["h2"], RefundProgress("2024-07-01T00:00Z"), now)


def build(path: Path, service: ProgramService) -> None:
    asyncio.run(_build(path, service))


def sqlite_rows(path: Path, table: str) -> list[tuple[object, ...]]:
    columns = ", ".join(sorted(schema_at(STATE_VERSION)[table]))
    with contextlib.closing(sqlite3.connect(path)) as db:
        return sorted(db.execute(f"SELECT {columns} FROM {table}").fetchall(), key=repr)


def server_rows(backend: StateBackend, table: str) -> list[tuple[object, ...]]:
    columns = ", ".join(sorted(schema_at(STATE_VERSION)[table]))
    return sorted(run(backend, f"SELECT {columns} FROM {table}"), key=repr)


def server_tables(backend: StateBackend) -> set[str]:
    rows = run(backend, "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
    return {str(name) for (name,) in rows}


def migrate(
    source: Path, backend: StateBackend, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> tuple[int, str, list[str]]:  # fmt: skip
    """`python -m bot migrate-state SOURCE` with the state URL naming the test's schema:
    the exit code, what it printed, and the lines of its error output."""
    monkeypatch.chdir(source.parent)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert backend.url is not None
    monkeypatch.setenv("CONFBOT_STATE_URL", backend.url)
    code = cli.main(["migrate-state", str(source)])
    out, err = capsys.readouterr()
    return code, out, err.strip().splitlines()


# -- the copy ------------------------------------------------------------------------------


def test_every_table_is_copied_row_for_row_and_the_pending_reminder_is_delivered_once(
    tmp_path: Path, service: ProgramService, postgres_backend: StateBackend,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
):  # fmt: skip
    source = tmp_path / "confbot-state.db"
    build(source, service)
    code, out, err = migrate(source, postgres_backend, monkeypatch, capsys)
    assert (code, err) == (0, [])

    tables = schema_at(STATE_VERSION)
    for table in tables:  # every state table, the fixture filling each (add a row for a new one)
        rows = sqlite_rows(source, table)
        assert rows, f"_build leaves {table} empty: make a row of it through its store"
        assert server_rows(postgres_backend, table) == rows, table
    assert server_tables(postgres_backend) == {*tables, VERSION_TABLE}
    assert run(postgres_backend, f"SELECT version FROM {VERSION_TABLE}") == [(STATE_VERSION,)]

    # What the stopped bot was sending is lost (in the file too, as its start would have);
    # what it had reserved is free; the rest stands as it was.
    ledger = run(postgres_backend, "SELECT item_ref, state, lease_until FROM deliveries"
                                   " WHERE owner IN (1, 2, 3) ORDER BY id")  # fmt: skip
    assert ledger == [(DELIVERED, "sent", None), (PENDING, "pending", None),
                      (CRASHED, "lost", None)]  # fmt: skip
    (archive,) = run(postgres_backend, "SELECT archive FROM program_versions WHERE label = 'v1'")
    assert archive == (ARCHIVE,)

    lines = out.splitlines()
    assert lines[0].startswith(f"Copied the state in {source} into postgresql://")
    assert lines[0].endswith(f"(state schema {STATE_VERSION}), in one transaction:")
    assert redacted(postgres_backend.url or "") in lines[0]
    listed = {line.split()[0]: line.split()[1:] for line in lines[2 : 2 + len(tables)]}
    assert set(listed) == set(tables)
    for table, (in_file, on_server) in listed.items():
        assert int(in_file) == int(on_server) == len(sqlite_rows(source, table)), table
    total = sum(len(sqlite_rows(source, t)) for t in tables)
    assert f"The counts match: {total} rows in {len(tables)} tables" in out
    assert (
        f"Marked lost 1 delivery(ies) the stopped bot was in the middle of sending"
        f" (reminder {CRASHED} to {USER})"
    ) in out

    asyncio.run(_deliver_on(postgres_backend, service))


async def _deliver_on(backend: StateBackend, service: ProgramService) -> None:
    """A scheduler on the PostgreSQL state, as a bot started on it runs one."""
    async with await backend.open() as state:
        rig = await make_rig(service, state, FixedClock(pacific("2024-07-10T11:00")))
        await rig.scheduler.recover(starting=True)
        assert await rig.at(pacific("2024-07-10T11:14:59")) == 0
        assert await rig.at(pacific("2024-07-10T11:15")) == 1
        for moment in ("2024-07-10T11:16", "2024-07-10T11:36", "2024-07-10T12:00"):
            assert await rig.at(pacific(moment)) == 0
        assert [(user, card.title.split(":")[0]) for user, card in rig.sender.dms] == [
            (USER, "⏰ Managing Memory Tiers with CXL in Virtualized Environments")
        ]
        # New rows take ids past the copied ones (the identity sequences were moved).
        reminder = await state.reminders.add(CONF, USER + 2, None, CRASHED, 5, 0)
        assert reminder.id == 5
        await rig.scheduler.replan()
        (planned,) = await state.ledger.deliveries(owner=reminder.id)
        assert planned.id > 3


def test_a_state_from_an_older_confbot_is_migrated_on_both_sides_then_copied(
    tmp_path: Path, postgres_backend: StateBackend, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
):  # fmt: skip
    source = tmp_path / "old-state.db"
    sqlite_at_version(
        source, 12,
        "INSERT INTO reminders (id, conference, user_id, guild_id, item_ref, minutes_before,"
        f" created_ts) VALUES (7, '{CONF}', {USER}, NULL, '{CRASHED}', 10, 0)",
        "INSERT INTO deliveries (id, conference, kind, owner, item_ref, target, due_ts, state,"
        f" attempts, updated_ts) VALUES (9, '{CONF}', 'reminder', 7, '{CRASHED}', {USER}, 0,"
        " 'sending', 1, 0)",
    )  # fmt: skip
    code, out, err = migrate(source, postgres_backend, monkeypatch, capsys)
    assert (code, err) == (0, [])
    assert run(postgres_backend, f"SELECT version FROM {VERSION_TABLE}") == [(STATE_VERSION,)]
    assert run(postgres_backend, "SELECT id, user_id FROM reminders") == [(7, USER)]
    assert run(postgres_backend, "SELECT id, state, parts_sent FROM deliveries") == [(9, "lost", 0)]
    assert "The counts match: 2 rows in" in out
    new = run(
        postgres_backend, "INSERT INTO reminders (conference, user_id, item_ref, minutes_before,"
        " created_ts) VALUES ('x', 1, 'p:x', 5, 0) RETURNING id",
    )  # fmt: skip
    assert new == [(8,)]  # past the copied id (the identity sequence moved)


# -- refusals: one sentence each, nothing changed ------------------------------------------


def test_without_a_postgresql_state_it_says_what_to_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    monkeypatch.chdir(tmp_path)
    for name in ("CONFBOT_STATE_URL", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    assert cli.main(["migrate-state", str(tmp_path / "state.db")]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "confbot: migrate-state copies into the PostgreSQL state CONFBOT_STATE_URL (or"
        " DATABASE_URL) names, and neither is set: set CONFBOT_STATE_URL=postgresql://"
        "user:password@host:port/database to an empty database, then run it again."
    ]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (None, "there is no such file; name the file a bot kept its state in (CONFBOT_STATE_DB)"),
        (b"", "it is not a confbot state database (it is empty); name the file a bot kept its"
              " state in (CONFBOT_STATE_DB)"),
        (b"speaker,title\n" * 100, "it is not a confbot database (damaged or another kind of"
                                   " file)"),
        ("CREATE TABLE orders (id INTEGER)", "it is not a confbot state database (it holds"
         " other tables); name the file a bot kept its state in (CONFBOT_STATE_DB)"),
    ],
    ids=["missing", "empty", "not-sqlite", "another-programs"],
)  # fmt: skip
def test_a_file_that_is_no_confbot_state_is_refused(
    content: bytes | str | None, reason: str, tmp_path: Path, postgres_backend: StateBackend,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
):  # fmt: skip
    source = tmp_path / "state.db"
    if isinstance(content, bytes):
        source.write_bytes(content)
    elif isinstance(content, str):
        with contextlib.closing(sqlite3.connect(source)) as db:
            db.execute(content)
    code, out, err = migrate(source, postgres_backend, monkeypatch, capsys)
    assert (code, out, err) == (2, "", [f"confbot: {source}: {reason}."])
    assert server_tables(postgres_backend) == set()


def test_a_damaged_file_is_refused(
    tmp_path: Path, service: ProgramService, postgres_backend: StateBackend,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
):  # fmt: skip
    source = tmp_path / "state.db"
    build(source, service)
    with contextlib.closing(sqlite3.connect(source)) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page_size = db.execute("PRAGMA page_size").fetchone()[0]
    data = bytearray(source.read_bytes())
    data[page_size * 3 : page_size * 4] = b"\xff" * page_size  # one page of the tables
    source.write_bytes(bytes(data))
    code, out, err = migrate(source, postgres_backend, monkeypatch, capsys)
    assert (code, out, len(err)) == (2, "", 1), err  # one line, though SQLite says two
    (line,) = err
    assert line.startswith(f"confbot: {source}: it is damaged (Page 4: ")
    assert line.endswith("); restore it or move it away.")
    assert server_tables(postgres_backend) == set()


def test_a_file_a_running_bot_holds_is_refused_saying_to_stop_it(
    tmp_path: Path, postgres_backend: StateBackend, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
):  # fmt: skip
    source = tmp_path / "state.db"
    sqlite_at_version(source, STATE_VERSION)
    lock = StateLock.take(source)  # the running bot's
    try:
        code, out, err = migrate(source, postgres_backend, monkeypatch, capsys)
    finally:
        lock.release()
    assert (code, out, err) == (2, "", [
        f"confbot: {source}: a confbot (process {os.getpid()}) is running on it; stop that"
        " bot first, then run migrate-state again (what it sent until it stopped is copied"
        " as sent)."
    ])  # fmt: skip
    assert server_tables(postgres_backend) == set()


def test_a_file_from_a_newer_confbot_is_refused(
    tmp_path: Path, postgres_backend: StateBackend, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
):  # fmt: skip
    source = tmp_path / "state.db"
    sqlite_at_version(source, STATE_VERSION, f"PRAGMA user_version = {STATE_VERSION + 1}")
    code, out, err = migrate(source, postgres_backend, monkeypatch, capsys)
    assert (code, out, err) == (2, "", [
        f"confbot: {source}: it was written by a newer confbot (state schema"
        f" {STATE_VERSION + 1}); upgrade confbot."
    ])  # fmt: skip
    assert server_tables(postgres_backend) == set()


def test_a_server_state_from_a_newer_confbot_is_refused(
    tmp_path: Path, postgres_backend: StateBackend, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
):  # fmt: skip
    source = tmp_path / "state.db"
    sqlite_at_version(source, 12)
    state_at_version(postgres_backend, STATE_VERSION,
                     f"UPDATE {VERSION_TABLE} SET version = {STATE_VERSION + 1}")  # fmt: skip
    code, out, err = migrate(source, postgres_backend, monkeypatch, capsys)
    assert (code, out) == (2, "")
    (line,) = err
    assert line.startswith("confbot: CONFBOT_STATE_URL=postgresql://")
    assert line.endswith(
        f": it was written by a newer confbot (state schema {STATE_VERSION + 1}); upgrade confbot."
    )
    assert _user_version(source) == 12  # the file was not touched


def test_a_server_already_holding_state_is_refused_and_left_as_it_is(
    tmp_path: Path, postgres_backend: StateBackend, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
):  # fmt: skip
    source = tmp_path / "state.db"
    sqlite_at_version(source, 12)
    asyncio.run(_remind_on(postgres_backend))  # a bot started on it already
    code, out, err = migrate(source, postgres_backend, monkeypatch, capsys)
    assert (code, out) == (2, "")
    (line,) = err
    assert line.startswith("confbot: CONFBOT_STATE_URL=postgresql://")
    assert line.endswith(
        ": it already holds a confbot state (2 rows: 1 in cluster_members, 1 in reminders);"
        " migrate-state copies only into an empty one and never merges into a state in use:"
        " point CONFBOT_STATE_URL at a new, empty database or schema, then run it again."
    )
    assert run(postgres_backend, "SELECT user_id FROM reminders") == [(USER,)]
    assert _user_version(source) == 12  # the file was not touched


async def _remind_on(backend: StateBackend) -> None:
    async with await backend.open() as state:
        await state.reminders.add(CONF, USER, None, PENDING, 10, 0)
        await state.members.beat(Member("new-bot", "host", 4002, "0", 1, (), 10, 0, 0))


def _user_version(path: Path) -> int:
    with contextlib.closing(sqlite3.connect(path)) as db:
        return int(db.execute("PRAGMA user_version").fetchone()[0])


# -- a failure midway ----------------------------------------------------------------------


def test_a_copy_failing_midway_leaves_the_server_as_it_was(
    tmp_path: Path, service: ProgramService, postgres_backend: StateBackend,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
):  # fmt: skip
    source = tmp_path / "state.db"
    build(source, service)
    # A change of a version the file does not hold: SQLite never checked the reference,
    # PostgreSQL refuses it, on the last table copied (the one referring to another).
    with contextlib.closing(sqlite3.connect(source)) as db, db:
        db.execute("INSERT INTO program_changes (sync_id, item_ref, session_refs, title, kinds)"
                   " VALUES (999, 'p:gone', '', 'Gone', 'cancelled')")  # fmt: skip
    code, out, err = migrate(source, postgres_backend, monkeypatch, capsys)
    assert (code, out) == (2, "")
    (line,) = err
    assert line.startswith("confbot: CONFBOT_STATE_URL=postgresql://")
    assert ": the copy of program_changes failed (insert or update on table" in line
    assert line.endswith("); nothing was kept on the server.")
    assert server_tables(postgres_backend) == set()  # not even migrated


def test_many_deliveries_marked_lost_are_named_five_then_counted():
    lost = tuple(
        Delivery(i, DeliveryKind.REMINDER, i, f"p:{i}", 0, USER, 0, DeliveryState.LOST, 1, 0, None)
        for i in range(1, 8)
    )
    copied = StateCopied(Path("state.db"), "postgresql://db/confbot", STATE_VERSION, (), lost)
    (line,) = [line for line in copied_text(copied).splitlines() if "Marked lost" in line]
    assert f"(reminder p:1 to {USER}; " in line
    assert f"; reminder p:5 to {USER}; and 2 more): each may have gone out" in line
    assert "p:6" not in line
