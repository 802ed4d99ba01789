"""A program's files written back from the state database, for a start on a disk that lost
them: platforms that wipe the disk on every deploy (Heroku and the like) keep only the
state, and the source may be down just then.

The state keeps every version served (its files, zipped: bot.live.versions) and, for each
source, the version served from it last and what an address's server said of it, written
in the same transaction (VersionStore.serve, VersionStore.kept_source). At start:

- a program at an address is served from that version: its copy (a cache, the state being
  the truth) is written back when it is missing or differs, with its validators, so the
  source is followed as usual and its first check sends them;
- the operator's program path is the source while it exists (it is what they edit); one
  missing on disk is served from the state's version, unpacked beside the program
  database, with a warning, and still followed at its path;
- with nothing kept, the start is as without a state: a first fetch, or the error that
  names the missing path (bot.app).
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import tempfile
import zipfile
import zlib
from pathlib import Path

from bot.live.remote import Download, RemoteProgram, Validators
from bot.live.versions import one_file, unpack
from bot.settings import Settings, kept_path
from bot.store.connection import StoreUnavailable, describe
from bot.store.state import StateStore
from bot.store.versions_store import KeptSource

log = logging.getLogger(__name__)

# What a damaged archive raises as it is read: no zip, a bad checksum, a cut stream.
_DAMAGED = (zipfile.BadZipFile, zlib.error, EOFError)


async def restored(settings: Settings, state: StateStore) -> Path | None:
    """The program's files as the state keeps them, written to disk: the copy of an
    address, or the operator's missing program unpacked (see the module's docstring).
    None when the files on disk are the source (the operator's program exists), or the
    state kept no version of this source. StoreUnavailable if the disk refuses them."""
    source = settings.sources[0]
    if source.url is None and source.program.exists():
        return None
    kept = await state.versions.kept_source(source.where)
    if kept is None:
        return None
    data = await state.versions.kept_archive(kept.conference, kept.fingerprint)
    if data is None:  # written with its version, in one transaction: never, but say so
        log.warning("the state database names a version of %s it does not hold; starting"
                    " without it", source.where)  # fmt: skip
        return None
    try:
        if source.url is not None:
            return await asyncio.to_thread(_written_back, data, kept, settings)
        path = await asyncio.to_thread(_unpacked, data, settings)
    except _DAMAGED as exc:
        # Started as if none were kept: an address is fetched, a program path read (or,
        # missing, named by bot.app), rather than a start that fails with a traceback.
        log.warning("the version of %s kept in the state database is damaged (%s) and is"
                    " not used: starting from %s as if none were kept (if it is missing or"
                    " cannot be reached, put the program back there)", kept.conference,
                    exc, source.where)  # fmt: skip
        return None
    except OSError as exc:
        raise StoreUnavailable(
            settings.db_path, "the program kept in the state database cannot be written"
            f" beside it: {describe(exc)}"
        ) from exc  # fmt: skip
    log.warning("%s does not exist: serving the version of it served last, kept in the"
                " state database, until it is back", source.program)  # fmt: skip
    return path


def _written_back(data: bytes, kept: KeptSource, settings: Settings) -> Path | None:
    """An address's copy and validators as the state keeps them (rewritten only when the
    files differ); None for a version that is no single file (never, for an address)."""
    assert settings.program_url is not None
    body = one_file(data)
    if body is None:
        log.warning("the version of %s kept in the state database is not one file; starting"
                    " without it", settings.program_url)  # fmt: skip
        return None
    remote = RemoteProgram(settings.program_url, settings.program)
    said = Validators.sendable(kept.etag, kept.last_modified)
    copy = settings.program
    if not (copy.is_file() and copy.read_bytes() == body and remote.validators == said):
        remote.write(Download(body, said))
        log.info("wrote the version of %s served last back from the state database (%d"
                 " bytes)", settings.program_url, len(body))  # fmt: skip
    return copy


def _unpacked(data: bytes, settings: Settings) -> Path:
    """The operator's program unpacked, under its own name, into a folder beside the
    program database that holds nothing else (a folder program reads every file in it)."""
    folder = kept_path(settings.db_path)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        found = unpack(data, staging, settings.program.name).relative_to(staging)
        shutil.rmtree(folder, ignore_errors=True)
        os.replace(staging, folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return folder / found
