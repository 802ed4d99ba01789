"""The conferences a bot serves, read for `python -m bot status` from what the bot keeps:
the operator's programs (CONFBOT_PROGRAM) and the sources servers added, each from its
program database, read-only, beside a running bot or without one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bot.model import Conference, Program
from bot.service.status import ProgramFacts
from bot.settings import Settings
from bot.store import ProgramStore
from bot.store.connection import StoreUnavailable
from bot.store.state import StateStore


@dataclass(frozen=True, slots=True)
class ServedProgram:
    key: str  # the key the bot serves it under (its state is kept under it)
    conference: Conference | None  # None: its program database is not built yet
    facts: ProgramFacts | None


async def served_programs(settings: Settings, state: StateStore) -> list[ServedProgram]:
    """The operator's programs in the order configured, then the added sources."""
    kept = {}  # conference -> when its newest version was kept
    for version in reversed(await state.versions.newest_first()):
        kept[version.conference] = datetime.fromtimestamp(version.loaded_ts, UTC)
    found = []
    for source in settings.sources:
        program = await _read(settings.for_source(source).db_path)
        if program is None:
            found.append(ServedProgram(source.where, None, None))
        else:
            key = program.conference.key
            served = ProgramFacts.of(program, kept.get(key), source.where)
            found.append(ServedProgram(key, program.conference, served))
    for added in await state.conferences.added_sources():
        program = await _read(settings.added_source(added.url).db_path)
        facts = ProgramFacts.of(program, kept.get(added.conference), added.url) if program else None
        found.append(ServedProgram(added.conference, program.conference if program else None,
                                   facts))  # fmt: skip
    return found


async def _read(db_path: Path) -> Program | None:
    """The program a database holds; None when it is not built (the bot or `load` builds
    it; this command never writes one)."""
    if not db_path.is_file():
        return None
    try:
        async with await ProgramStore.open(db_path) as store:
            return await store.read_program()
    except (StoreUnavailable, LookupError):
        return None
