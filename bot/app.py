"""Start-up shared by every adapter: make sure the database is fresh, read the program,
build the service. Discord is not imported here, so the console starts fast."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.clock import Clock, SimulatedClock, SystemClock
from bot.model import Conference
from bot.service import ProgramService
from bot.settings import Settings
from bot.store import BuildReport, ProgramStore, ensure_database


@dataclass(frozen=True, slots=True)
class Loaded:
    service: ProgramService
    report: BuildReport


@dataclass(frozen=True, slots=True)
class Opened(Loaded):
    store: ProgramStore


async def open_program(settings: Settings, force: bool = False) -> Opened:
    """Rebuild the database if stale, read the program, keep the store open (the bot)."""
    report = await ensure_database([settings.program_dir], settings.db_path, force=force)
    store = await ProgramStore.open(settings.db_path)
    try:
        # Just rebuilt: the program in hand is what the store holds (the round trip is
        # tested to be exact), so skip reading it back.
        program = report.programs[0] if report.programs else await store.read_program()
    except BaseException:
        await store.close()
        raise
    return Opened(ProgramService(program), report, store)


async def load_service(settings: Settings, force: bool = False) -> Loaded:
    """The same, closing the store at once (the console reads everything up front)."""
    opened = await open_program(settings, force)
    await opened.store.close()
    return Loaded(opened.service, opened.report)


def make_clock(conference: Conference, start: datetime | None) -> Clock:
    """The system clock, or a simulated one that starts at `start` (naive = local time)."""
    if start is None:
        return SystemClock()
    if start.tzinfo is None:
        start = start.replace(tzinfo=conference.tz)
    return SimulatedClock(start)
