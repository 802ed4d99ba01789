"""What the tests' bots make again from the same files is made once (tests/remembered.py,
tests/conftest.py remember_what_files_make): a program folder read, the index of a
program so read, a version's files zipped, its program database built, a command
translated for a sync, a state database migrated from nothing; and is made anew once
anything it was made from changes."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sqlite3
from pathlib import Path

import discord
import pytest
from discord import app_commands

from bot.adapters.discord.translator import CatalogTranslator
from bot.i18n import bundled_messages
from bot.importer.errors import ProgramFileError
from bot.live import conference, served, sync, versions
from bot.search import ProgramIndex
from bot.service import program_service
from bot.store import build
from bot.store.state import StateStore
from tests.conftest import PROGRAM_DIR


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A USENIX program folder of the test's own (its files' times are the test's too)."""
    return Path(shutil.copytree(PROGRAM_DIR, tmp_path / "osdi24"))


def test_a_folder_read_again_unchanged_is_what_its_reader_made_the_first_time(folder: Path):
    first = build.read_source(folder)
    assert build.read_source(folder) is first
    toc = folder / "program.txt"
    toc.write_text(toc.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    again = build.read_source(folder)
    assert again is not first and again.program == first.program


def test_a_folder_missing_a_file_is_refused_every_time(folder: Path):
    (folder / "schedule.json").unlink()
    for _ in range(2):
        with pytest.raises(ProgramFileError, match=r"schedule\.json"):
            build.read_source(folder)


def test_a_program_read_is_indexed_once_and_any_other_each_time(folder: Path):
    program = build.read_source(folder).program
    index = program_service.ProgramIndex(program)
    assert isinstance(index, ProgramIndex)
    assert program_service.ProgramIndex(program) is index
    assert index.find_talks("sabre")  # a real index of that program
    copy = versions.read_kept(versions.archive(folder))  # equal, but another object
    assert copy == program
    assert program_service.ProgramIndex(copy) is not program_service.ProgramIndex(copy)


def test_the_same_files_zip_to_what_the_real_archive_makes(folder: Path):
    for module in (conference, served, sync):
        assert module.archive is not versions.archive  # the bot's modules zip through it
    first = served.archive(folder)
    assert first == versions.archive(folder)
    assert sync.archive(folder) is first
    os.utime(folder / "program.txt", (0, 1_000_000_000))  # only the time, kept in the zip
    changed = served.archive(folder)
    assert changed != first and changed == versions.archive(folder)
    one = folder / "program.txt"
    assert served.archive(one) == versions.archive(one) != changed


class _Counting(CatalogTranslator):
    """The bot's translator, counting what it is asked."""

    asked = 0

    async def translate(self, string, locale, context):
        self.asked += 1
        return await super().translate(string, locale, context)


class _Plain(app_commands.Translator):
    """The catalogs' translations through another translator: never remembered."""

    def __init__(self) -> None:
        self.catalogs = CatalogTranslator(bundled_messages())

    async def translate(self, string, locale, context):
        return await self.catalogs.translate(string, locale, context)


def _tree() -> tuple[app_commands.CommandTree, app_commands.Command]:
    tree = app_commands.CommandTree(discord.Client(intents=discord.Intents.none()))

    @tree.command(name="next", description="What starts next")
    @app_commands.describe(when="A day or a time")
    async def next_(interaction: discord.Interaction, when: str) -> None: ...

    return tree, next_


async def test_a_command_translated_again_is_handed_a_copy_of_the_payload_made_first():
    tree, command = _tree()
    translator = _Counting(bundled_messages())
    first = await command.get_translated_payload(tree, translator)
    asked = translator.asked
    assert asked > 0 and first["name_localizations"]["de"]  # the catalogs' German
    again = await command.get_translated_payload(tree, translator)
    assert translator.asked == asked  # not asked again
    assert again == first and again is not first
    assert again == await command.get_translated_payload(tree, _Plain())  # as made anew
    command.description = "Something else"  # another command: translated anew
    await command.get_translated_payload(tree, translator)
    assert translator.asked > asked


def _schema(path: Path) -> tuple[object, ...]:
    with contextlib.closing(sqlite3.connect(path)) as db:
        return (
            db.execute("PRAGMA user_version").fetchall(),
            db.execute("PRAGMA journal_mode").fetchall(),
            sorted(db.execute("SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall()),
        )


async def test_a_new_state_starts_as_the_copy_of_one_migrated_from_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.INFO, logger="bot.store.sqlite_state")
    await (await StateStore.open(tmp_path / "copied.db")).close()
    assert not [r for r in caplog.records if "migrated" in r.getMessage()]  # not run again
    monkeypatch.undo()  # the open as the bot has it: every migration from nothing
    await (await StateStore.open(tmp_path / "migrated.db")).close()
    assert [r for r in caplog.records if "migrated" in r.getMessage()]
    assert _schema(tmp_path / "copied.db") == _schema(tmp_path / "migrated.db")


def _rows(path: Path) -> list[object]:
    with contextlib.closing(sqlite3.connect(path)) as db:
        tables = [
            name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        ]
        return [(t, db.execute(f"SELECT * FROM {t}").fetchall()) for t in sorted(tables)]


async def test_a_program_database_built_again_from_the_same_read_is_a_copy_of_the_first(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    inserted: list[str] = []
    real = build._insert_program

    async def counted(db, program):
        inserted.append(program.conference.key)
        await real(db, program)

    monkeypatch.setattr(build, "_insert_program", counted)
    first = await build.ensure_database([folder], tmp_path / "first.db")
    again = await build.ensure_database([folder], tmp_path / "again.db")
    assert first.rebuilt and again.rebuilt and first.fingerprint == again.fingerprint
    assert len(inserted) == 1  # built once
    assert _rows(tmp_path / "again.db") == _rows(tmp_path / "first.db")
    assert not [p for p in tmp_path.iterdir() if p.suffix == ".tmp"]
    monkeypatch.setattr(build, "code_fingerprint", lambda: "a parser fix shipped")
    await build.ensure_database([folder], tmp_path / "fixed.db")
    assert len(inserted) == 2  # other code: built anew
