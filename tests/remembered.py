"""What the tests' bots make again and again from the same immutable files, made once per
test process (tests/conftest.py, remember_what_files_make): a program file or folder
read, the search index of a program so read, a version's files zipped for the state
database and its program database built, the command tree translated for each command
sync, and a new state database migrated from nothing.

Each is a function of its key alone, and what it makes is immutable (a Program and its
LoadReport, a ProgramIndex never changed after its build, bytes), so a bot handed the
remembered one is served exactly what it would have made: only the time is saved (a
FOSDEM start read, indexed and zipped 2 MB again: over 0.1 s of CPU each). A test that
replaces the reader, the index or the zipping with its own still has its own (its
monkeypatch comes after this one), and whatever fails is done again every time."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from discord import app_commands

from bot.adapters.discord.translator import CatalogTranslator
from bot.i18n import Messages
from bot.importer.registry import read_source, source_files
from bot.importer.report import Loaded
from bot.live.versions import archive
from bot.model import Program
from bot.search import ProgramIndex
from bot.store import build, sqlite_state
from bot.store.state import StateStore

Bound = tuple[str, str, object]
FileKey = tuple[str, bytes | None]  # a file's name and its bytes' hash (None: no such file)
ReadKey = tuple[str, str | None, tuple[FileKey, ...], tuple[Bound, ...]]
# What zipfile puts in an entry besides the bytes: the time (local, to the second) and mode.
ZipKey = tuple[str, bytes, tuple[int, ...], int]
ArchiveKey = tuple[str, bool, tuple[ZipKey, ...]]
Command = app_commands.Command[Any, ..., Any] | app_commands.Group | app_commands.ContextMenu
DatabaseKey = tuple[tuple[int, ...], str, str, str]
Building = Callable[[Sequence[Program], Path, str], Awaitable[None]]
Opening = Callable[[type[StateStore], Path], Awaitable[StateStore]]
Translated = Callable[
    [Any, app_commands.CommandTree[Any], app_commands.Translator], Awaitable[dict[str, Any]]
]


def bounds() -> tuple[Bound, ...]:
    """Every reading limit as the readers see it now (each module holds its own copy of
    those it uses, which a test may change): (module, name, value)."""
    return tuple(
        (module, name, value)
        for module, loaded in sorted(sys.modules.items())
        if module.startswith("bot.importer.")
        for name, value in sorted(vars(loaded).items())
        if name.startswith("MAX_")
    )


def _digest(data: bytes) -> bytes:
    return hashlib.blake2b(data).digest()


def _files(path: Path) -> tuple[FileKey, ...]:
    """The files a reader reads for `path` (itself, or a folder's listed files), by name
    and content; a file missing is keyed as such (and its read fails every time)."""
    if path.is_file():
        return ((path.name, _digest(path.read_bytes())),)
    return tuple(
        (file.name, _digest(file.read_bytes()) if file.is_file() else None)
        for file in source_files(path)
    )


@dataclass
class Remembered:
    """One test process's memory of what the bots made (see the module's docstring)."""

    reads: dict[ReadKey, Loaded] = field(default_factory=dict)
    # Indexes of the programs in `reads` only (by identity: a program read back from a
    # program database is another object, indexed anew), so what is kept stays bounded.
    indexes: dict[int, tuple[Program, ProgramIndex]] = field(default_factory=dict)
    archives: dict[ArchiveKey, bytes] = field(default_factory=dict)
    programs: dict[int, Program] = field(default_factory=dict)  # those in `reads`, by id
    # A command's payload as the catalogs translate it, by the command's own (untranslated)
    # payload: with the catalogs it was translated with (see translated).
    payloads: dict[str, tuple[Messages, str]] = field(default_factory=dict)
    # A state database made from nothing (and closed), with the migrations it ran.
    state: tuple[tuple[str, ...], Path] | None = None
    folder: Path | None = None  # where the program databases built are kept
    databases: dict[DatabaseKey, Path] = field(default_factory=dict)

    def read(self, path: Path, default_zone: str | None = None) -> Loaded:
        """bot.store.build's read_source: a file or folder read again unchanged (the same
        path and bytes, the same default zone, under the same limits) is what its reader
        made of it the first time. A read refused is tried again each time."""
        try:
            files = _files(path)
        except OSError:
            return read_source(path, default_zone)  # let the reader say what is wrong
        if any(digest is None for _, digest in files):
            return read_source(path, default_zone)
        key = (str(path), default_zone, files, bounds())
        loaded = self.reads.get(key)
        if loaded is None:
            loaded = self.reads[key] = read_source(path, default_zone)
            self.programs[id(loaded.program)] = loaded.program
        return loaded

    def index(self, program: Program) -> ProgramIndex:
        """bot.service.program_service's ProgramIndex: a program read through `read` is
        indexed once (in whichever thread first asks)."""
        kept = self.indexes.get(id(program))
        if kept is not None and kept[0] is program:
            return kept[1]
        built = ProgramIndex(program)
        if self.programs.get(id(program)) is program:
            self.indexes[id(program)] = (program, built)
        return built

    def archive(self, source: Path) -> bytes:
        """bot.live.versions.archive: the same files (names, bytes, times and modes, all a
        zip entry holds) zip to the same bytes."""
        try:
            key = (str(source), source.is_dir(), _zipped(source))
        except OSError:
            return archive(source)  # it fails as it does, in its own words
        data = self.archives.get(key)
        if data is None:
            data = self.archives[key] = archive(source)
        return data

    def translated(self, made: Translated) -> Translated:
        """A command's `get_translated_payload` (discord.py, at each command sync) through
        the bot's CatalogTranslator: asked for each string in each of Discord's locales,
        the same tree made the same payload at every bot's start (7,680 translations
        each). The same command (its whole untranslated payload) with the same catalogs
        (immutable, read once a process) is handed the payload made the first time, as
        a new copy. Through any other translator, it is made each time."""

        async def payload(
            command: Command,
            tree: app_commands.CommandTree[Any],
            translator: app_commands.Translator,
        ) -> dict[str, Any]:
            if not isinstance(translator, CatalogTranslator):
                return await made(command, tree, translator)
            key = type(command).__qualname__ + json.dumps(command.to_dict(tree), sort_keys=True)
            kept = self.payloads.get(key)
            if kept is not None and kept[0] is translator.messages:
                result: dict[str, Any] = json.loads(kept[1])
                return result
            result = await made(command, tree, translator)
            self.payloads[key] = (translator.messages, json.dumps(result))
            return result

        return payload

    def migrated(self, opening: Opening) -> Opening:
        """StateStore.open: a state file not there yet (a first start) is the file the
        migrations make from nothing, so it starts as a copy of one they made (at this
        process's start, see migrated_state), then is opened as the bot opens it:
        checked whole, found at the last version, proven writable. Only the 21
        migrations' run is saved (6 of the 8 ms each first open took). With migrations
        other than those (a test's own), where the copy cannot be made, or with none
        made, the open is what it always was."""

        async def open_(cls: type[StateStore], path: Path) -> StateStore:
            made = self.state
            if made is not None and _migrations() == made[0] and _first_start(path):
                try:
                    shutil.copyfile(made[1], path)
                except OSError:
                    with contextlib.suppress(OSError):
                        path.unlink(missing_ok=True)
            return await opening(cls, path)

        return open_

    def built(self, building: Building) -> Building:
        """bot.store.build's build_database (at a start whose program database is missing
        or stale): the same programs read through `read`, under the same fingerprint,
        schema and code, make the same file (its ids are numbered from 1 in a new one),
        so the file built the first time is copied beside `db_path` and renamed over it,
        as the build does with its own. Any other build is made, and a copy that fails
        is built instead."""

        async def build_database(programs: Sequence[Program], db_path: Path, source: str) -> None:
            known = self.folder is not None and all(
                self.programs.get(id(program)) is program for program in programs
            )
            key = (tuple(id(p) for p in programs), source, build.code_fingerprint(),
                   vars(build)["SCHEMA_SQL"])  # fmt: skip
            made = self.databases.get(key) if known else None
            if made is not None and _copied(made, db_path):
                return
            await building(programs, db_path, source)
            if known and key not in self.databases and self.folder is not None:
                kept = self.folder / f"program-{len(self.databases)}.db"
                if _copied(db_path, kept):
                    self.databases[key] = kept

        return build_database


def _copied(source: Path, target: Path) -> bool:
    """`source` copied to a new file beside `target`, then renamed over it (at once, as a
    build publishes its file); False, with nothing left behind, if the disk refused."""
    try:
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        os.close(fd)
    except OSError:
        return False
    try:
        shutil.copyfile(source, name)
        os.replace(name, target)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(name)
        return False
    return True


def migrated_state(folder: Path) -> tuple[tuple[str, ...], Path] | None:
    """A state database the bot's open made from nothing in `folder` (and closed), with
    the migrations it ran; None if it could not."""
    path = folder / "state.db"
    migrations = _migrations()

    async def first_start() -> None:
        await (await StateStore.open(path)).close()

    try:
        with ThreadPoolExecutor(1) as thread:  # a loop of its own: the caller's may run
            thread.submit(asyncio.run, first_start()).result()
    except Exception:
        return None
    return migrations, path


def _migrations() -> tuple[str, ...]:
    """The migrations as the SQLite state runs them now (a test may change them)."""
    return tuple(vars(sqlite_state)["MIGRATIONS"])


def _first_start(path: Path) -> bool:
    """Whether opening `path` makes a new state database: nothing there yet, nor a
    journal of one (an absolute path, in a folder that exists)."""
    siblings = [path.with_name(path.name + tail) for tail in ("", "-wal", "-shm", "-journal")]
    return (
        path.is_absolute()
        and path.parent.is_dir()
        and not any(os.path.lexists(sibling) for sibling in siblings)
    )


def _zipped(source: Path) -> tuple[ZipKey, ...]:
    def entry(path: Path) -> ZipKey:
        stat = path.stat()
        moment = tuple(time.localtime(stat.st_mtime)[:6])
        return (path.name, _digest(path.read_bytes()), moment, stat.st_mode)

    if source.is_dir():
        return tuple(entry(path) for path in source_files(source))
    return (entry(source),)


Patch = Callable[[object, str, object], None]


def remember(remembered: Remembered, setattr_: Patch) -> None:
    """Hand the bot's modules the remembered reads, indexes and archives (with
    monkeypatch.setattr as `setattr_`, undone after the test)."""
    from bot.live import conference, served, sync
    from bot.service import program_service

    setattr_(build, "read_source", remembered.read)
    setattr_(build, "build_database", remembered.built(build.build_database))
    setattr_(program_service, "ProgramIndex", remembered.index)
    for module in (conference, served, sync):
        setattr_(module, "archive", remembered.archive)
    opening = StateStore.__dict__["open"].__func__
    setattr_(StateStore, "open", classmethod(remembered.migrated(opening)))
    for kind in (app_commands.Command, app_commands.Group, app_commands.ContextMenu):
        setattr_(kind, "get_translated_payload", remembered.translated(kind.get_translated_payload))
