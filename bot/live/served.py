"""Which version is served, kept in the state database with what it changed.

The program files are the source, and the state database remembers every version served
and in which order, and which version each source served last (what a start on an empty
disk serves: bot.live.restore). At start the bot compares what it serves with the version served
last, so a program edited while the bot was down, or a version applied just before a
kill -9 whose changes were never kept, is told to the people it affects, once.
"""

from __future__ import annotations

import asyncio
import logging
import zipfile
from collections.abc import Callable

from bot.importer.errors import ProgramFileError
from bot.live.diff import Change, diff
from bot.live.sync import records
from bot.live.versions import archive, read_kept
from bot.model import Program
from bot.settings import Settings
from bot.store.build import fingerprint
from bot.store.state import StateStore
from bot.store.versions_store import FromSource

log = logging.getLogger(__name__)


async def keep_served(
    state: StateStore, settings: Settings, program: Program, now_ts: int,
    label: str | None = None, changes: list[Change] | None = None,
    since_last_served: bool = False, fingerprinted: str | None = None,
    files: Callable[[], bytes] | None = None, source: FromSource | None = None,
) -> None:  # fmt: skip
    """Keep the version served (or, from a sync, about to be) with its changes, in one
    write: `changes` when a sync applies it, or (at start, `since_last_served`) those
    since the version served last. `fingerprinted`: the files' fingerprint, if the caller
    has it (the follower does); `files`: the version's files zipped, when they are not
    the program's files on disk (an address's new body, kept as the copy only once the
    state holds it; the version the state kept, when the operator's path is missing),
    run in a worker thread; `source`: where it comes from, kept in the same write as the
    version that source serves (a start on an empty disk serves it: bot.live.restore).
    A write the disk refuses raises WriteFailed with nothing kept. Returns nothing: the
    scheduler reads the kept changes for its notices."""
    conference = program.conference.key
    try:
        seen = fingerprinted
        if seen is None:
            seen = await asyncio.to_thread(fingerprint, [settings.program], settings.timezone)
        # Zipped only when new: most starts serve a version kept already.
        zipped = files or (lambda: archive(settings.program))
        data = (None if await state.versions.is_kept(conference, seen)
                else await asyncio.to_thread(zipped))  # fmt: skip
    except OSError as exc:
        log.warning("could not keep this version of the program: %s", exc)
        return
    if since_last_served:
        last = await state.versions.last_served(conference)
        if last is not None and last[0] != seen:
            changes = await asyncio.to_thread(_changes_since, last[1], program, settings)
    await state.versions.serve(conference, seen, label, now_ts, data, records(changes or []),
                               source)  # fmt: skip


def _changes_since(kept: bytes, program: Program, settings: Settings) -> list[Change]:
    try:
        before = read_kept(kept, settings.timezone)
    except (ProgramFileError, OSError, zipfile.BadZipFile) as exc:
        log.warning("the version served last no longer reads (%s); not comparing", exc)
        return []
    return diff(before, program)
