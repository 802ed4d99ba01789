"""The SQLite store: exact round trip, atomic rebuilds, staleness by content."""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest

from bot.importer.errors import ProgramFileError
from bot.model import Program
from bot.store import ProgramStore, build_database, ensure_database, extra
from bot.store.build import SCHEMA_VERSION


def dump(path: Path) -> list[str]:
    with sqlite3.connect(path) as db:
        return list(db.iterdump())


async def test_program_round_trips_through_the_store(program: Program, tmp_path: Path):
    db_path = tmp_path / "p.db"
    await build_database([program], db_path, "x")
    async with await ProgramStore.open(db_path) as store:
        assert await store.read_program() == program


async def test_a_programs_rows_are_made_off_the_event_loop(
    program: Program, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """Making the rows of a large program takes a tenth of a second (6,440 talks, 18 MB):
    a source a server adds is built while the bot answers everyone else."""
    threads: set[threading.Thread] = set()
    real = extra.dump

    def dump(item: Any) -> str:
        threads.add(threading.current_thread())
        return real(item)

    monkeypatch.setattr(extra, "dump", dump)
    await build_database([program], tmp_path / "p.db", "x")
    assert threads and threading.main_thread() not in threads


async def test_schema_version_is_set(program: Program, tmp_path: Path):
    db_path = tmp_path / "p.db"
    await build_database([program], db_path, "x")
    with sqlite3.connect(db_path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


async def test_tables_hold_the_seed_counts(program: Program, tmp_path: Path):
    db_path = tmp_path / "p.db"
    await build_database([program], db_path, "x")
    with sqlite3.connect(db_path) as db:
        tables = ("conference", "sessions", "talks", "events")
        count = {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}
        authors = [json.loads(row[0]) for row in db.execute("SELECT authors FROM talks")]
    assert count == {"conference": 1, "sessions": 11, "talks": 53, "events": 23}
    assert sum(map(len, authors)) == 379
    assert len({key for entries in authors for key, _, _ in entries}) == 350


async def test_loading_the_same_files_twice_gives_identical_contents(program_copy, tmp_path):
    first, second = tmp_path / "a.db", tmp_path / "b.db"
    await ensure_database([program_copy], first)
    await ensure_database([program_copy], second)
    assert dump(first) == dump(second)


async def test_database_is_built_when_missing_and_not_rebuilt_when_fresh(program_copy, tmp_path):
    db_path = tmp_path / "p.db"
    assert (await ensure_database([program_copy], db_path)).reason == "missing"
    assert not (await ensure_database([program_copy], db_path)).rebuilt


async def test_database_is_rebuilt_when_program_files_change(program_copy, tmp_path):
    db_path = tmp_path / "p.db"
    await ensure_database([program_copy], db_path)
    schedule = program_copy / "schedule.json"
    schedule.write_text(schedule.read_text(encoding="utf-8").replace("Lobby West", "Lobby East"))
    report = await ensure_database([program_copy], db_path)
    assert report.rebuilt and report.reason == "program files changed"
    async with await ProgramStore.open(db_path) as store:
        program = await store.read_program()
    assert program.events[0].slot.room == "Lobby East"


async def test_corrupt_database_is_rebuilt(program_copy, tmp_path):
    db_path = tmp_path / "p.db"
    db_path.write_bytes(b"not a database at all")
    report = await ensure_database([program_copy], db_path)
    assert report.rebuilt
    async with await ProgramStore.open(db_path) as store:
        assert len((await store.read_program()).talks) == 53


@pytest.mark.parametrize(
    ("file", "damage"),
    [
        ("program.txt", lambda t: t[: t.index("NOMAD")] + "NOMAD: Non-Exclusive 19\n"),  # truncated
        (
            "program.txt",
            lambda t: t.replace("Memory Management\n", "Memory Management\nA, *B*\n", 1),
        ),
        ("schedule.json", lambda t: t.replace("Chop Chop: Byzantine", "Chop Chop: Byzantium")),
        ("schedule.json", lambda t: t[:500]),
    ],
    ids=["truncated-toc", "unplaceable-line", "unmatched-title", "truncated-json"],
)
async def test_bad_program_files_leave_the_old_database_in_place(
    program_copy: Path, tmp_path: Path, file: str, damage
):
    db_path = tmp_path / "p.db"
    await ensure_database([program_copy], db_path)
    before = dump(db_path)
    path = program_copy / file
    path.write_text(damage(path.read_text(encoding="utf-8")), encoding="utf-8")
    with pytest.raises(ProgramFileError):
        await ensure_database([program_copy], db_path)
    assert dump(db_path) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


async def test_a_reader_keeps_its_program_while_the_database_is_replaced(program_copy, tmp_path):
    db_path = tmp_path / "p.db"
    await ensure_database([program_copy], db_path)
    async with await ProgramStore.open(db_path) as store:
        schedule = program_copy / "schedule.json"
        schedule.write_text(schedule.read_text(encoding="utf-8").replace("Lobby West", "Foyer"))
        await ensure_database([program_copy], db_path)
        program = await store.read_program()
    assert program.events[0].slot.room == "Lobby West"


async def test_one_database_holds_several_conferences(program: Program, tmp_path: Path):
    from dataclasses import replace

    other = replace(program, conference=replace(program.conference, key="osdi24-copy", name="Copy"))
    db_path = tmp_path / "p.db"
    await build_database([program, other], db_path, "x")
    async with await ProgramStore.open(db_path) as store:
        assert await store.conference_keys() == ["osdi24", "osdi24-copy"]
        assert (await store.read_program("osdi24-copy")).conference.name == "Copy"
        assert await store.read_program("osdi24") == program


async def test_an_upgraded_confbot_rebuilds_a_database_whose_files_did_not_change(
    program_copy, tmp_path, monkeypatch
):
    from bot.store import build

    db_path = tmp_path / "p.db"
    await ensure_database([program_copy], db_path)
    monkeypatch.setattr(build, "code_fingerprint", lambda: "a parser fix shipped")
    report = await ensure_database([program_copy], db_path)
    assert report.rebuilt
    assert report.reason == "confbot changed since it was built"
    assert not (await ensure_database([program_copy], db_path)).rebuilt


def test_the_code_fingerprint_covers_every_module_the_importer_uses():
    import subprocess
    import sys

    from bot.store import build

    probe = (
        "import sys, bot.importer.merge;"
        " print(*sorted(m for m in sys.modules if m.startswith('bot')))"
    )
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            check=True).stdout.split()  # fmt: skip
    covered = {
        f"{package}.{name.removesuffix('.py')}" if name != "*.py" else package
        for package, names in build._CODE.items()
        for name in names
    }
    for module in loaded:
        package = module.rpartition(".")[0]
        assert module in covered or package in covered or module in ("bot", "bot.importer"), (
            f"{module} shapes the database but is not in build._CODE"
        )
