"""A served version kept as its zipped files, and read back as the same program."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from bot.importer.registry import read_source
from bot.live.served import keep_served
from bot.live.versions import archive, archive_one, read_kept, unpack
from bot.settings import BUNDLED_PROGRAM, Settings
from bot.store.state import StateStore
from tests.local_servers import state_at_version
from tests.program_edits import move_talk
from tests.state_backends import StateBackend
from tests.test_console import USAGE, run_cli

FRAB = Path(__file__).parent / "fixtures" / "programs" / "frab-v1.json"


def test_a_directory_program_reads_the_same_after_a_round_trip(tmp_path: Path):
    back = unpack(archive(BUNDLED_PROGRAM), tmp_path / "v1")
    assert read_source(back).program == read_source(BUNDLED_PROGRAM).program


def test_a_one_file_program_reads_the_same_after_a_round_trip(tmp_path: Path):
    back = unpack(archive(FRAB), tmp_path / "v1")
    assert back.is_file()
    assert read_source(back).program == read_source(FRAB).program


def test_a_one_file_program_zipped_from_its_bytes_is_kept_as_from_its_file():
    """An address's new body is kept before it becomes the copy (see bot.live.sync)."""
    assert read_kept(archive_one(FRAB.read_bytes())) == read_kept(archive(FRAB))


def test_diff_needs_two_versions(tmp_path: Path):
    result = run_cli("diff", db=tmp_path / "c.db")
    assert result.returncode == USAGE
    assert "two versions are needed" in result.stderr
    listed = run_cli("versions", db=tmp_path / "c.db")
    assert listed.returncode == 0 and listed.stdout.startswith("No versions kept yet")


def test_diff_of_an_unknown_version_is_one_line(tmp_path: Path):
    result = run_cli("diff", "7", "9", db=tmp_path / "c.db")
    assert result.returncode == USAGE
    (line,) = result.stderr.strip().splitlines()
    assert line == "confbot: no version 7: see versions."


def test_diff_of_a_version_that_is_not_a_number_is_one_line(tmp_path: Path):
    result = run_cli("diff", "latest", db=tmp_path / "c.db")
    assert result.returncode == USAGE
    assert "invalid int value: 'latest'" in result.stderr and "Traceback" not in result.stderr


# -- the version served, and what changed since it -------------------------------------------


async def served_state(tmp_path: Path, backend: StateBackend) -> tuple[StateStore, Settings, Path]:
    program = tmp_path / "osdi24"
    shutil.copytree(BUNDLED_PROGRAM, program)
    settings = Settings.from_mapping({"CONFBOT_PROGRAM": str(program),
                                      "CONFBOT_DB": str(tmp_path / "c.db")})  # fmt: skip
    return await backend.open(), backend.settings(settings), program


async def test_a_program_edited_while_the_bot_was_down_is_told_at_start(
    tmp_path: Path, state_backend: StateBackend
):
    state, settings, program = await served_state(tmp_path, state_backend)
    try:
        first = read_source(program).program
        await keep_served(state, settings, first, 100, since_last_served=True)
        assert await state.versions.changes(first.conference.key) == []
        move_talk(program, "NOMAD", "2024-07-10T11:40", "2024-07-10T12:00")
        edited = read_source(program).program
        await keep_served(state, settings, edited, 200, since_last_served=True)
        (change,) = await state.versions.changes(first.conference.key)
        assert change.title.startswith("NOMAD") and "moved" in change.kinds
        await keep_served(state, settings, edited, 300, since_last_served=True)
        assert len(await state.versions.changes(first.conference.key)) == 1  # told once
    finally:
        await state.close()


async def test_a_version_served_again_is_the_one_served_last(
    tmp_path: Path, state_backend: StateBackend
):
    state, settings, program = await served_state(tmp_path, state_backend)
    try:
        original = (program / "schedule.json").read_bytes()
        first = read_source(program).program
        await keep_served(state, settings, first, 100, since_last_served=True)
        move_talk(program, "NOMAD", "2024-07-10T11:40", "2024-07-10T12:00")
        await keep_served(state, settings, read_source(program).program, 200)
        (program / "schedule.json").write_bytes(original)  # the organisers undo it
        await keep_served(state, settings, first, 300, since_last_served=True)
        (back,) = await state.versions.changes(first.conference.key)  # compared with the moved one
        assert "moved" in back.kinds and back.old is not None and back.new is not None
        assert back.new[0] < back.old[0]  # back to its first time
        served = await state.versions.last_served(first.conference.key)
        assert served is not None and read_kept(served[1]) == first
        assert len(await state.versions.newest_first()) == 2
    finally:
        await state.close()


async def test_a_last_served_version_that_no_longer_reads_is_not_compared(
    tmp_path, caplog, state_backend
):
    state, settings, program = await served_state(tmp_path, state_backend)
    try:
        key = read_source(program).program.conference.key
        await state.versions.serve(key, "old", None, 100, b"not a zip file")
        await keep_served(state, settings, read_source(program).program, 200,
                          since_last_served=True)  # fmt: skip
        assert await state.versions.changes(key) == []
        assert "no longer reads" in caplog.text
    finally:
        await state.close()


async def test_versions_kept_before_migration_5_are_served_in_the_order_kept(tmp_path: Path):
    path = tmp_path / "state.db"
    state_at_version(path, 4)
    with sqlite3.connect(path) as db:
        for n in (1, 2):
            db.execute("INSERT INTO program_versions (conference, fingerprint, loaded_ts, archive)"
                       " VALUES ('osdi24', ?, ?, ?)", (f"v{n}", n, archive(FRAB)))  # fmt: skip
    state = await StateStore.open(path)
    try:
        served = await state.versions.last_served("osdi24")
        assert served is not None and served[0] == "v2"
    finally:
        await state.close()
