"""A state write the disk refuses, through discord.py: the person is told why in one
sentence, the operator gets one ERROR line, and nothing of the write is kept."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import sqlite3
from pathlib import Path
from typing import BinaryIO

import pytest

from bot.adapters.discord.client import ConfBot
from tests.e2e.conftest import logged_in, process_env, run_with_own_mounts, running_bot
from tests.e2e.test_lifecycle_e2e import _can_mount
from tests.fakediscord.server import DEFAULT_PERMISSIONS, MANAGE_GUILD, FakeDiscord

DISK_FULL = "The bot's disk is full, so nothing was saved; please tell the bot's operator."
READ_ONLY = (
    "The bot's state database is read-only, so nothing was saved; please tell the bot's operator."
)
NO_REMINDERS = "You have no reminders."


def _fill(path: Path) -> None:
    """Write until the file system has not one byte left."""
    with path.open("wb", buffering=0) as out:
        for size in (1 << 16, 1 << 12, 1):
            assert _write_until_refused(out, b"\0" * size) == errno.ENOSPC


def _write_until_refused(out: BinaryIO, chunk: bytes) -> int | None:
    try:
        while out.write(chunk):
            pass
    except OSError as exc:
        return exc.errno
    return None


async def _announce(fake: FakeDiscord):
    return await fake.answer(await fake.send_command(
        "announce channel", user=fake.owner, permissions=DEFAULT_PERMISSIONS | MANAGE_GUILD,
        channel=fake.channel_id, minutes_before=200,
    ))  # fmt: skip


async def _remind(fake: FakeDiscord):
    return await fake.answer(await fake.send_command("remind", item="p:xiang", minutes_before=20))


@pytest.mark.skipif(not _can_mount(), reason="needs root and unshare to mount a small disk")
async def test_a_full_disk_is_named_to_the_person_and_nothing_is_kept(
    fake: FakeDiscord, tmp_path: Path
):
    """`python -m bot run` with its state on a 16 MB disk of its own, filled once it is up."""
    disk = tmp_path / "disk"
    disk.mkdir()
    env = process_env(fake, tmp_path, CONFBOT_STATE_DB=str(disk / "state.db"))
    process = await run_with_own_mounts(f"mount -t tmpfs -o size=16m tmpfs {disk}", env)
    try:
        await logged_in(fake)
        # The bot's mount is in its own namespace; its root shows it to us.
        filler = Path(f"/proc/{process.pid}/root") / disk.relative_to("/") / "filler"
        _fill(filler)
        remind, announce = await _remind(fake), await _announce(fake)
        assert (remind.ephemeral, remind.data["content"]) == (True, DISK_FULL)
        assert (announce.ephemeral, announce.data["content"]) == (True, DISK_FULL)
        filler.unlink()
        agenda = await fake.answer(await fake.send_command("agenda"))
        assert agenda.embeds[0]["description"].startswith(NO_REMINDERS)
        assert "I'll DM you about **NOMAD" in (await _remind(fake)).data["content"]
    finally:
        process.terminate()
        _, stderr = await asyncio.wait_for(process.communicate(), 20)
    text = stderr.decode()
    assert "Traceback" not in text, text[-3000:]
    errors = [line for line in text.splitlines() if " ERROR " in line]
    assert len([e for e in errors if "/remind could not be saved" in e]) == 1, errors
    assert len([e for e in errors if "/announce channel could not be saved" in e]) == 1, errors
    assert all("the disk is full" in e for e in errors if "could not be saved" in e), errors


def _disk_full() -> sqlite3.OperationalError:
    """SQLite's own SQLITE_FULL ('database or disk is full'), from a database allowed
    two pages."""
    with contextlib.closing(sqlite3.connect(":memory:")) as db:
        db.execute("CREATE TABLE t (x)")
        db.execute("PRAGMA max_page_count = 2")
        try:
            db.execute("INSERT INTO t VALUES (zeroblob(100000))")
        except sqlite3.OperationalError as exc:
            return exc
    raise AssertionError("SQLite kept 100 kB in two pages")


async def test_a_full_state_database_is_named_to_the_person(
    fake: FakeDiscord, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """Without root, the full disk is SQLite's commit failing (the WAL cannot grow) after
    the row was written in the open transaction: it must be undone, and the person told."""
    bot: ConfBot
    async with running_bot(fake, tmp_path) as bot:
        assert bot.state is not None
        full = _disk_full()

        async def commit() -> None:
            raise full

        monkeypatch.setattr(bot.state._db, "commit", commit)
        remind, announce = await _remind(fake), await _announce(fake)
        assert (remind.ephemeral, remind.data["content"]) == (True, DISK_FULL)
        assert (announce.ephemeral, announce.data["content"]) == (True, DISK_FULL)
        monkeypatch.undo()
        assert await bot.state.reminders("osdi24") == []
        assert await bot.state.announcements(fake.guild_id) == []
        assert "I'll DM you about **NOMAD" in (await _remind(fake)).data["content"]


async def test_a_read_only_state_is_named_to_the_person(fake: FakeDiscord, tmp_path: Path):
    bot: ConfBot
    async with running_bot(fake, tmp_path) as bot:
        assert bot.state is not None
        await bot.state._db.execute("PRAGMA query_only = 1")  # writes fail as SQLITE_READONLY
        remind, announce = await _remind(fake), await _announce(fake)
        assert remind.data["content"] == READ_ONLY
        assert announce.data["content"] == READ_ONLY
        await bot.state._db.execute("PRAGMA query_only = 0")
        assert await bot.state.reminders("osdi24") == []
        assert await bot.state.announcements(fake.guild_id) == []
