"""Opening the state database: a damaged schema, or a file that is not one, refused in
one sentence."""

from __future__ import annotations

import asyncio
import os
import sqlite3
from pathlib import Path

import pytest

from bot.store.connection import StoreUnavailable
from bot.store.state import STATE_VERSION, StateStore
from tests.local_servers import state_at_version

# -- a damaged or foreign database---------------------------------------------------------------


def _current(path: Path, *statements: str) -> None:
    state_at_version(path, STATE_VERSION, *statements)


async def _refusal(path: Path) -> str:
    with pytest.raises(StoreUnavailable) as refused:
        await StateStore.open(path)
    return refused.value.reason


async def test_a_missing_table_is_named_with_what_to_do(tmp_path: Path):
    path = tmp_path / "state.db"
    _current(path, "DROP TABLE reminders")
    reason = await _refusal(path)
    assert f"lacks what state schema {STATE_VERSION} needs (the table reminders)" in reason
    assert "restore it from a backup, or move it aside" in reason


async def test_a_missing_column_is_named(tmp_path: Path):
    path = tmp_path / "state.db"
    _current(path, "ALTER TABLE announcements DROP COLUMN per_talk")
    assert "(the column announcements.per_talk)" in await _refusal(path)


async def test_a_table_missing_before_a_migration_is_named_not_half_migrated(tmp_path: Path):
    path = tmp_path / "state.db"
    state_at_version(path, 3, "DROP TABLE scheduled_events")
    assert "lacks what state schema 3 needs (the table scheduled_events)" in await _refusal(path)
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (3,)


async def test_another_programs_database_is_not_taken_over(tmp_path: Path):
    path = tmp_path / "state.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE accounts (id INTEGER PRIMARY KEY)")
    assert "is not a confbot state database" in await _refusal(path)
    with sqlite3.connect(path) as db:
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master")]
    assert tables == ["accounts"]


async def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path):
    path = tmp_path / "state.db"
    path.write_bytes(b"this is not a database\n" * 100)
    assert "not a confbot database" in await _refusal(path)


async def test_a_fifo_is_refused_without_a_hang(tmp_path: Path):
    path = tmp_path / "state.db"
    os.mkfifo(path)
    assert await asyncio.wait_for(_refusal(path), 10) == "it is not a regular file"


async def test_a_fresh_file_and_an_extra_table_of_the_operators_are_fine(tmp_path: Path):
    path = tmp_path / "state.db"
    _current(path, "CREATE TABLE operator_notes (note TEXT)")
    async with await StateStore.open(path) as state:
        assert await state.version() == STATE_VERSION
