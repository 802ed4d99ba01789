"""Write programs into a fresh SQLite file and swap it into place atomically.

The new database is built beside the old one and renamed over it, so a failed load
leaves the previous database untouched, and a reader holding the old file open keeps a
whole program, never half of one.
"""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import functools
import hashlib
import logging
import os
import sqlite3
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import aiosqlite

from bot import __version__
from bot.bulk import collector_paused
from bot.importer.registry import read_source, source_files
from bot.importer.report import LoadReport
from bot.model import Program, Slot, Talk
from bot.store import extra
from bot.store.connection import StoreUnavailable, describe

log = logging.getLogger(__name__)

SCHEMA_SQL = resources.files("bot.store").joinpath("schema.sql").read_text(encoding="utf-8")
SCHEMA_VERSION = 4


@dataclass(frozen=True, slots=True)
class BuildReport:
    """What `ensure_database` did, for the console's validation report."""

    rebuilt: bool
    reason: str
    # The hash of the program files as read now (see fingerprint): the follower and the
    # versions kept start from it instead of reading and hashing the files again.
    fingerprint: str
    programs: tuple[Program, ...] = field(repr=False)
    reports: tuple[LoadReport, ...] = ()
    # The files it was read from: the program's path, an address's copy, or the version
    # the state database kept, unpacked when the operator's path is missing.
    sources: tuple[Path, ...] = ()

    @property
    def warnings(self) -> tuple[str, ...]:
        return tuple(w for report in self.reports for w in report.warnings)


# The code that decides what a database holds: an upgrade that changes any of it (a
# parser fix, say) must rebuild the database, even though the program files did not change.
_CODE = {
    "bot": ("model.py", "normalize.py"),
    "bot.importer": ("*.py",),
    "bot.store": ("build.py", "extra.py", "schema.sql"),
}


@functools.cache
def code_fingerprint() -> str:
    """A hash of confbot's version and the code listed in _CODE (read once per process)."""
    digest = hashlib.sha256(f"confbot {__version__}".encode())
    for package, patterns in _CODE.items():
        folder = resources.files(package)
        names = sorted(
            entry.name
            for entry in folder.iterdir()
            if entry.is_file() and any(fnmatch.fnmatch(entry.name, p) for p in patterns)
        )
        for name in names:
            digest.update(f"{package}/{name}".encode())
            digest.update(folder.joinpath(name).read_bytes())
    return digest.hexdigest()


def fingerprint(sources: Sequence[Path], default_zone: str | None = None) -> str:
    """A hash of the program files, the schema and the code that reads them: the database
    is stale when it changes.

    Content, not modification times, decides: a fresh git clone gives every file a new
    mtime, and a copied file can keep an old one.
    """
    digest = hashlib.sha256(
        f"schema:{SCHEMA_VERSION} code:{code_fingerprint()} zone:{default_zone}".encode()
    )
    for source in sources:
        for path in source_files(source):
            digest.update(path.name.encode())
            digest.update(path.read_bytes() if path.is_file() else b"<missing>")
    return digest.hexdigest()


async def stored_fingerprint(db_path: Path, name: str = "fingerprint") -> str | None:
    """What a database was built from ('fingerprint', or 'code' for the code alone), or
    None if it is missing or unusable."""
    if not db_path.is_file():
        return None
    try:
        async with aiosqlite.connect(f"file:{db_path}?mode=ro", uri=True) as db:
            (version,) = await (await db.execute("PRAGMA user_version")).fetchone() or (0,)
            if version != SCHEMA_VERSION:
                return None
            row = await (
                await db.execute("SELECT value FROM meta WHERE name = ?", (name,))
            ).fetchone()
            return row[0] if row else None
    except sqlite3.DatabaseError:
        return None


async def ensure_database(
    sources: Sequence[Path], db_path: Path, force: bool = False, default_zone: str | None = None
) -> BuildReport:
    """Rebuild the database if it is missing or was built from other files (a program
    file or directory of any format bot.importer.registry reads)."""
    # Reading, hashing and parsing program files (up to 50 MB) happen in a worker thread:
    # a server adding a source while the bot runs must not hold every other answer.
    current = await asyncio.to_thread(fingerprint, sources, default_zone)
    stored = await stored_fingerprint(db_path)
    if not force and stored == current:
        return BuildReport(False, "up to date", current, (), sources=tuple(sources))
    if force:
        reason = "forced"
    elif not db_path.exists():
        reason = "missing"
    elif stored is None:
        reason = "unreadable or older schema"
    elif await stored_fingerprint(db_path, "code") != code_fingerprint():
        reason = "confbot changed since it was built"
    else:
        reason = "program files changed"
    loaded = await asyncio.to_thread(lambda: [read_source(s, default_zone) for s in sources])
    await build_database([lp.program for lp in loaded], db_path, current)
    log.info("rebuilt %s (%s)", db_path, reason)
    return BuildReport(
        True, reason, current, tuple(lp.program for lp in loaded),
        tuple(lp.report for lp in loaded), tuple(sources),
    )  # fmt: skip


async def build_database(programs: Sequence[Program], db_path: Path, source: str) -> None:
    """Write programs to a temporary file next to db_path, then rename it into place."""
    keys = [p.conference.key for p in programs]
    if len(set(keys)) != len(keys):
        raise ValueError(f"two programs share a conference key: {keys}")
    try:
        db_path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(
            prefix=f".{db_path.name}.", suffix=".tmp", dir=db_path.parent
        )
    except OSError as exc:
        raise StoreUnavailable(db_path, f"cannot write beside it: {describe(exc)}") from exc
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        async with aiosqlite.connect(tmp) as db:
            # No journal and no fsync while filling a private temporary file: the rename
            # is what publishes it, and a torn file is detected and rebuilt at start-up.
            await db.execute("PRAGMA journal_mode = OFF")
            await db.execute("PRAGMA synchronous = OFF")
            await db.executescript(SCHEMA_SQL)
            await db.executemany(
                "INSERT INTO meta (name, value) VALUES (?, ?)",
                [("fingerprint", source), ("code", code_fingerprint())],
            )
            with collector_paused():  # on the loop, across awaits: no turn
                for program in programs:
                    await _insert_program(db, program)
            await db.commit()
        os.replace(tmp, db_path)
    except (sqlite3.Error, OSError) as exc:
        raise StoreUnavailable(db_path, describe(exc)) from exc
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def _times(slot: Slot) -> tuple[int, int, str, str | None]:
    return int(slot.start.timestamp()), int(slot.end.timestamp()), slot.basis.value, slot.room


def _authors(talk: Talk) -> str:
    rows = [[a.person_key, a.name, a.affiliation] for a in talk.authors]
    return extra.to_json(rows)


Row = tuple[object, ...]


async def _insert_program(db: aiosqlite.Connection, program: Program) -> None:
    """One executemany per table with ids assigned here: each aiosqlite call is a thread
    hop, so row-by-row inserts cost seconds at 10,000 talks. The rows are made in a
    worker thread: for a large program (a source a server adds while the bot answers
    others) that is a tenth of a second the event loop would otherwise stand still."""
    conf_id = await _next_id(db, "conference")
    first_session = await _next_id(db, "sessions")
    first_talk = await _next_id(db, "talks")
    conference, sessions, talks, events = await asyncio.to_thread(
        _rows, program, conf_id, first_session, first_talk
    )
    await db.execute(
        "INSERT INTO conference (id, key, name, full_name, timezone, venue, location,"
        " start_date, end_date, extra) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        conference,
    )
    await db.executemany(
        "INSERT INTO sessions (id, conference_id, key, position, title, day, start_ts, end_ts,"
        " time_basis, room, chairs, extra) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        sessions,
    )
    await db.executemany(
        "INSERT INTO talks (id, conference_id, key, session_id, position, title, page,"
        " start_ts, end_ts, time_basis, room, url, award, authors, extra)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        talks,
    )
    await db.executemany(
        "INSERT INTO events (conference_id, key, title, kind, start_ts, end_ts, time_basis,"
        " room, speaker, url) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        events,
    )


def _rows(
    program: Program, conf_id: int, first_session: int, first_talk: int
) -> tuple[Row, list[Row], list[Row], list[Row]]:
    """The program's rows, table by table, with the ids they are inserted under."""
    conf = program.conference
    conference = (conf_id, conf.key, conf.name, conf.full_name, conf.timezone, conf.venue,
                  conf.location, conf.start_date.isoformat(), conf.end_date.isoformat(),
                  extra.dump(conf))  # fmt: skip
    session_ids = {s.key: first_session + i for i, s in enumerate(program.sessions)}
    sessions: list[Row] = [
        (session_ids[s.key], conf_id, s.key, position, s.title, s.day.isoformat(),
         *_times(s.slot), extra.to_json(list(s.chairs)), extra.dump(s))
        for position, s in enumerate(program.sessions)
    ]  # fmt: skip
    talks: list[Row] = [
        (first_talk + position, conf_id, t.key, session_ids[t.session_key], position,
         t.title, t.page, *_times(t.slot), t.url, t.award, _authors(t), extra.dump(t))
        for position, t in enumerate(program.talks)
    ]  # fmt: skip
    events: list[Row] = [
        (conf_id, e.key, e.title, e.kind, *_times(e.slot), e.speaker, e.url)
        for e in program.events
    ]  # fmt: skip
    return conference, sessions, talks, events


async def _next_id(db: aiosqlite.Connection, table: str) -> int:
    rows = list(await db.execute_fetchall(f"SELECT coalesce(max(id), 0) + 1 FROM {table}"))
    return int(rows[0][0])
