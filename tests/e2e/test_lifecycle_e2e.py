"""Starting and stopping `python -m bot run` as a process manager does: a broken state
file stops the start at once with one line, and SIGTERM is a clean exit."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.store.state import STATE_VERSION, StateStore
from tests.e2e.conftest import logged_in, process_env, run_with_own_mounts, wait_for
from tests.e2e.test_faults_e2e import spawn_bot
from tests.fakediscord.server import FakeDiscord
from tests.local_servers import state_at_version

# Seconds of real time (processes, servers, timeouts): started first (tests/conftest.py).
pytestmark = pytest.mark.long

ROOT = Path(__file__).resolve().parents[2]


def _truncated(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE filler (x)")
        db.executemany("INSERT INTO filler VALUES (?)", [("x" * 500,)] * 200)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _garbage(path: Path) -> None:
    path.write_bytes(b"this is not a database\n" * 100)


def _newer(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA user_version = 999")


def _table_missing(path: Path) -> None:
    state_at_version(path, STATE_VERSION, "DROP TABLE reminders")


def _column_missing(path: Path) -> None:
    state_at_version(path, STATE_VERSION, "ALTER TABLE deliveries DROP COLUMN detail")


BROKEN: dict[str, tuple[Callable[[Path], None], str]] = {
    "truncated": (_truncated, "damaged"),
    "garbage": (_garbage, "not a confbot database"),
    "newer": (_newer, "newer confbot"),
    "table missing": (_table_missing, "(the table reminders); restore it from a backup"),
    "column missing": (_column_missing, "(the column deliveries.detail); restore it from"),
}


async def _exits_quickly(process: asyncio.subprocess.Process) -> str:
    _, stderr = await asyncio.wait_for(process.communicate(), 20)
    return stderr.decode()


@pytest.mark.parametrize("kind", list(BROKEN))
async def test_a_broken_state_file_stops_the_start_with_one_line(
    fake: FakeDiscord, tmp_path: Path, kind: str
):
    state = tmp_path / "state.db"
    make, reason = BROKEN[kind]
    make(state)
    process = await spawn_bot(fake, tmp_path, CONFBOT_STATE_DB=str(state))
    stderr = await _exits_quickly(process)
    assert process.returncode == 2, stderr[-2000:]
    assert f"confbot: CONFBOT_STATE_DB={state}: " in stderr
    assert reason in stderr
    assert "Traceback" not in stderr


async def test_a_state_path_under_a_file_is_not_called_a_network_error(
    fake: FakeDiscord, tmp_path: Path
):
    (tmp_path / "afile").write_text("x")
    state = tmp_path / "afile" / "state.db"
    process = await spawn_bot(fake, tmp_path, CONFBOT_STATE_DB=str(state))
    stderr = await _exits_quickly(process)
    assert process.returncode == 2
    assert f"CONFBOT_STATE_DB={state}: its folder cannot be created" in stderr
    assert "cannot reach Discord" not in stderr
    assert "Traceback" not in stderr


def _only(line_start: str, stderr: str) -> str:
    """The one line the person reads (log lines aside), and no traceback."""
    assert "Traceback" not in stderr, stderr[-2000:]
    (line,) = [text for text in stderr.splitlines() if text.startswith(line_start)]
    return line


# Root reads any file whatever its mode: without these two capabilities it does not.
AS_A_USER = ["setpriv", "--bounding-set=-dac_override,-dac_read_search"]


@pytest.mark.skipif(
    os.geteuid() == 0 and shutil.which("setpriv") is None, reason="root needs setpriv to be denied"
)
async def test_an_unreadable_state_file_is_named_as_unreadable(fake: FakeDiscord, tmp_path: Path):
    state = tmp_path / "state.db"
    async with await StateStore.open(state):
        pass
    state.chmod(0)
    env = process_env(fake, tmp_path, CONFBOT_STATE_DB=str(state))
    prefix = AS_A_USER if os.geteuid() == 0 else []
    process = await asyncio.create_subprocess_exec(
        *prefix, sys.executable, "-m", "bot", "run", cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    stderr = await _exits_quickly(process)
    assert process.returncode == 2, stderr[-2000:]
    assert _only("confbot:", stderr) == (
        f"confbot: CONFBOT_STATE_DB={state}: it cannot be read (Permission denied);"
        " give the bot's user read and write access to it."
    )


async def test_a_second_bot_on_the_same_state_is_refused_in_one_line(
    fake: FakeDiscord, tmp_path: Path
):
    first = await spawn_bot(fake, tmp_path)
    try:
        await logged_in(fake)
        second = await spawn_bot(fake, tmp_path)
        stderr = await _exits_quickly(second)
        assert second.returncode == 2, stderr[-2000:]
        state = tmp_path / "confbot-state.db"
        assert _only("confbot:", stderr) == (
            f"confbot: CONFBOT_STATE_DB={state}: another confbot (process {first.pid}) is"
            " running on it; stop that one first, or give this one its own state database."
        )
        # The first one never noticed.
        answer = await fake.answer(await fake.send_command("next"), timeout=10)
        assert answer.embeds
    finally:
        first.terminate()
        _, stderr_first = await asyncio.wait_for(first.communicate(), 20)
    assert first.returncode == 0
    assert b"Traceback" not in stderr_first


async def test_a_killed_bot_leaves_no_lock_behind(fake: FakeDiscord, tmp_path: Path):
    first = await spawn_bot(fake, tmp_path)
    await logged_in(fake)
    first.kill()  # SIGKILL: nothing of the bot's own runs, the kernel drops its lock
    await first.wait()
    second = await spawn_bot(fake, tmp_path)
    try:
        await wait_for(lambda: fake.identifies >= 2, timeout=30, what="the second bot")
        answer = await fake.answer(await fake.send_command("next"), timeout=10)
        assert answer.embeds
    finally:
        second.terminate()
        _, stderr = await asyncio.wait_for(second.communicate(), 20)
    assert second.returncode == 0, stderr.decode()[-2000:]
    assert b"another confbot" not in stderr


def _can_mount() -> bool:
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True)
    return probe.returncode == 0


@pytest.mark.skipif(not _can_mount(), reason="needs root and unshare to mount read-only")
@pytest.mark.parametrize("read_only", ["file", "folder"])
async def test_a_read_only_state_file_is_caught_at_start_not_at_the_first_remind(
    fake: FakeDiscord, tmp_path: Path, read_only: str
):
    folder = tmp_path / "state"
    folder.mkdir()
    state = folder / "state.db"
    async with await StateStore.open(state):  # a good, current state file in WAL mode
        pass
    # As root, file modes do not make a file read-only; a read-only bind mount does.
    mounted = state if read_only == "file" else folder
    env = process_env(fake, tmp_path, CONFBOT_STATE_DB=str(state))
    setup = f"mount --bind {mounted} {mounted} && mount -o remount,ro,bind {mounted}"
    process = await run_with_own_mounts(setup, env)
    stderr = await _exits_quickly(process)
    assert process.returncode == 2, stderr[-2000:]
    assert f"CONFBOT_STATE_DB={state}: " in stderr
    assert "Traceback" not in stderr


async def test_sigterm_stops_the_bot_cleanly_and_exits_0(fake: FakeDiscord, tmp_path: Path):
    process = await spawn_bot(fake, tmp_path, LOG_LEVEL="INFO")
    try:
        await logged_in(fake)
        answer = await fake.answer(await fake.send_command("next"), timeout=10)
        assert answer.embeds
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), 10)
    finally:
        if process.returncode is None:
            process.kill()
    text = stderr.decode()
    assert process.returncode == 0, text[-2000:]
    assert "SIGTERM: finishing the delivery in flight and closing" in text
    assert "Traceback" not in text


async def test_sigint_stops_the_bot_cleanly_too(fake: FakeDiscord, tmp_path: Path):
    process = await spawn_bot(fake, tmp_path)
    try:
        await wait_for(lambda: fake.connected.is_set(), timeout=30, what="login")
        process.send_signal(signal.SIGINT)
        _, stderr = await asyncio.wait_for(process.communicate(), 10)
    finally:
        if process.returncode is None:
            process.kill()
    assert process.returncode == 0
    assert "Traceback" not in stderr.decode()
