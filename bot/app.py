"""Start-up shared by every adapter: make sure the database is fresh, read the program,
build the service. Discord is not imported here, so the console starts fast."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bot.clock import Clock, SimulatedClock, SystemClock
from bot.model import Conference
from bot.service import ProgramService
from bot.settings import Settings, SettingsError, missing_program
from bot.store import BuildReport, ProgramStore, ensure_database
from bot.store.connection import StoreUnavailable
from bot.store.coordination import CoordinationUnavailable, Coordinator, SoleCoordinator
from bot.store.dialect import Dialect
from bot.store.state import StateStore


@dataclass(frozen=True, slots=True)
class Loaded:
    service: ProgramService
    report: BuildReport


@dataclass(frozen=True, slots=True)
class Opened(Loaded):
    store: ProgramStore


async def open_program(
    settings: Settings, force: bool = False, index_later: bool = False,
    state: StateStore | None = None,
) -> Opened:  # fmt: skip
    """Rebuild the database if stale, read the program, keep the store open (the bot).
    A program at an address starts from its last good copy, with no network; only the
    very first start fetches it. `state`: the bot's state database, whose version served
    last is the program's when the disk lost its files (see _program_files); None for
    the console, which never writes one. `index_later`: see ProgramService."""
    with _naming("CONFBOT_DB"):
        files = await _program_files(settings, state)
        report = await ensure_database(
            [files], settings.db_path, force=force, default_zone=settings.timezone
        )
        store = await ProgramStore.open(settings.db_path)
    try:
        # Just rebuilt: the program in hand is what the store holds (the round trip is
        # tested to be exact), so skip reading it back.
        program = report.programs[0] if report.programs else await store.read_program()
        # Its lookups are made in a worker thread too: a tenth of a second at 16,000 talks
        # that a bot answering others (a server adding a source) would otherwise stand still.
        service = await asyncio.to_thread(ProgramService, program, index_later=index_later)
    except BaseException:
        await store.close()
        raise
    return Opened(service, report, store)


async def _program_files(settings: Settings, state: StateStore | None) -> Path:
    """Where the program is read from: the version the state database says was served
    last, when the disk lost its files or an address's copy differs from it (see
    bot.live.restore); else the program's path, or an address's copy, fetched on the
    very first start. A path missing on disk with no version kept is a SettingsError."""
    if state is not None:
        from bot.live.restore import restored

        kept = await restored(settings, state)
        if kept is not None:
            return kept
    if settings.program_url is not None:
        if not settings.program.is_file():
            await _first_fetch(settings)
    elif not settings.program.exists():
        raise missing_program(settings.program)
    return settings.program


async def _first_fetch(settings: Settings) -> None:
    from bot.live.remote import FetchError, RemoteProgram  # aiohttp: only when needed

    assert settings.program_url is not None
    try:
        await RemoteProgram(settings.program_url, settings.program).fetch(settings.timezone)
    except FetchError as exc:
        raise SettingsError(
            f"CONFBOT_PROGRAM: {exc}, and no copy of it is kept yet to start from."
        ) from None


async def open_state(settings: Settings, to_read: bool = False) -> StateStore:
    """The state database (the PostgreSQL server of CONFBOT_STATE_URL or DATABASE_URL, else
    the file CONFBOT_STATE_DB), or a SettingsError naming the setting and the reason.
    `to_read`: for a command that only reads, beside a running bot (StateStore.open_to_read)."""
    if settings.state_url is not None:
        with _naming(settings.state_url_from):
            if to_read:
                return await StateStore.connect_to_read(settings.state_url)
            return await StateStore.connect(settings.state_url, settings.state_read_connections)
    with _naming("CONFBOT_STATE_DB"):
        if to_read:
            return await StateStore.open_to_read(settings.state_db)
        return await StateStore.open(settings.state_db)


async def open_coordinator(
    dialect: Dialect, url: str | None, variable: str = "CONFBOT_STATE_URL"
) -> Coordinator:
    """How this process shares the conferences with the others (bot.store.coordination):
    alone on a SQLite state (it leads them all); on a PostgreSQL state, through that
    database at `url`, or a SettingsError naming the setting (`variable`) and why, in
    one sentence, when it cannot be connected to (the state's connection was made just
    before, but a server may take no more clients than that one)."""
    if dialect is Dialect.SQLITE or url is None:
        return SoleCoordinator()
    from bot.store.pg_coordination import PostgresCoordinator  # psycopg: only when needed

    try:
        return await PostgresCoordinator.open(url)
    except CoordinationUnavailable as exc:
        raise SettingsError(
            f"{variable}: the PostgreSQL database cannot be reached: {exc}."
        ) from exc


@contextlib.contextmanager
def _naming(variable: str) -> Iterator[None]:
    """A database that cannot be used is a setting to fix: say which one (a server by its
    address without the password: StoreUnavailable never holds it)."""
    try:
        yield
    except StoreUnavailable as exc:
        raise SettingsError(f"{variable}={exc.path}: {exc.reason}.") from exc


async def load_service(
    settings: Settings, force: bool = False, index_later: bool = False,
    state: StateStore | None = None,
) -> Loaded:  # fmt: skip
    """The same, closing the store at once: the console and the bot serve the program
    from memory, read up front (the bot kept one idle connection, a thread, per program)."""
    opened = await open_program(settings, force, index_later, state)
    await opened.store.close()
    return Loaded(opened.service, opened.report)


def make_clock(conference: Conference, start: datetime | None) -> Clock:
    """The system clock, or a simulated one that starts at `start` (naive = local time)."""
    if start is None:
        return SystemClock()
    if start.tzinfo is None:
        start = start.replace(tzinfo=conference.tz)
    return SimulatedClock(start)
