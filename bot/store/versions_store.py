"""Program versions: each distinct version served (its files, zipped), what each new
version changed, kept for notices and /changes, and each source's version served last
(with what an address's server said of it), so a start on an empty disk serves it again.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.changes import ChangeKind, RecordedChange
from bot.store.feature_store import FeatureStore, writes


@dataclass(frozen=True, slots=True)
class ProgramVersion:
    id: int
    conference: str
    label: str | None
    loaded_ts: int
    size: int  # bytes of the zipped files


@dataclass(frozen=True, slots=True)
class FromSource:
    """Where a version served comes from, kept with it: the source as configured (an
    address, or the operator's program path), and for an address what its server said of
    the version's body (ETag, Last-Modified), to send back in the next check."""

    where: str
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True, slots=True)
class KeptSource:
    """A source as the state keeps it: the version served from it last (its files are in
    program_versions, under `conference` and `fingerprint`) and what its server said."""

    where: str
    conference: str
    fingerprint: str
    etag: str | None
    last_modified: str | None
    kept_ts: int


class VersionStore(FeatureStore):
    """The program_versions, program_syncs, program_changes and program_sources tables."""

    @writes
    async def serve(
        self, conference: str, fingerprint: str, label: str | None, now_ts: int,
        archive: bytes | None, changes: Sequence[RecordedChange] = (),
        source: FromSource | None = None,
    ) -> int | None:  # fmt: skip
        """Keep the version now served (once per distinct content; served last), with what
        it changed since the last one, and as the version its `source` serves: one
        transaction, so a crash or a refused write leaves all or none, the next start
        neither misses the changes nor tells them twice, and a start on an empty disk
        serves the version the state says is served, with the validators that go with it.
        `archive` is None for a version kept already (see is_kept). Returns the sync's id
        when there were changes."""
        last = "(SELECT coalesce(max(served), 0) + 1 FROM program_versions)"
        if archive is None:
            await self._db.execute(
                f"UPDATE program_versions SET served = {last} WHERE conference = ?"
                " AND fingerprint = ?",
                (conference, fingerprint),
            )
        else:
            await self._db.execute(
                "INSERT INTO program_versions (conference, fingerprint, label, loaded_ts,"
                f" archive, served) VALUES (?, ?, ?, ?, ?, {last})"
                " ON CONFLICT (conference, fingerprint) DO UPDATE SET served = excluded.served",
                (conference, fingerprint, label, now_ts, archive),
            )
        if source is not None:
            await self._db.execute(
                "INSERT INTO program_sources (source, conference, fingerprint, etag,"
                " last_modified, kept_ts) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (source)"
                " DO UPDATE SET conference = excluded.conference, fingerprint ="
                " excluded.fingerprint, etag = excluded.etag, last_modified ="
                " excluded.last_modified, kept_ts = excluded.kept_ts",
                (source.where, conference, fingerprint, source.etag, source.last_modified,
                 now_ts),
            )  # fmt: skip
        sync_id = await self._insert_sync(conference, now_ts, changes) if changes else None
        return sync_id

    async def kept_source(self, where: str) -> KeptSource | None:
        """What the state keeps of a source (see KeptSource), if it served a version."""
        rows = list(await self._db.execute_fetchall(
            "SELECT source, conference, fingerprint, etag, last_modified, kept_ts"
            " FROM program_sources WHERE source = ?", (where,),
        ))  # fmt: skip
        return KeptSource(*rows[0]) if rows else None

    async def kept_archive(self, conference: str, fingerprint: str) -> bytes | None:
        """The zipped files of one version kept (see bot.live.versions)."""
        rows = list(await self._db.execute_fetchall(
            "SELECT archive FROM program_versions WHERE conference = ? AND fingerprint = ?",
            (conference, fingerprint),
        ))  # fmt: skip
        return bytes(rows[0][0]) if rows else None

    @writes
    async def revalidate(
        self, where: str, fingerprint: str, etag: str | None, last_modified: str | None,
        now_ts: int,
    ) -> None:  # fmt: skip
        """New validators for the version a source serves (its server sent the same body
        under a new ETag): kept only while that version is still the one served."""
        await self._db.execute(
            "UPDATE program_sources SET etag = ?, last_modified = ?, kept_ts = ?"
            " WHERE source = ? AND fingerprint = ?",
            (etag, last_modified, now_ts, where, fingerprint),
        )

    async def is_kept(self, conference: str, fingerprint: str) -> bool:
        rows = await self._db.execute_fetchall(
            "SELECT 1 FROM program_versions WHERE conference = ? AND fingerprint = ?",
            (conference, fingerprint),
        )
        return bool(list(rows))

    async def last_served_fingerprint(self, conference: str) -> str | None:
        """The fingerprint of the version served last, without its files: a process
        that follows another's versions asks this often, and reads the files only when
        it changed (see last_served)."""
        rows = list(await self._db.execute_fetchall(
            "SELECT fingerprint FROM program_versions WHERE conference = ?"
            " ORDER BY served DESC LIMIT 1", (conference,),
        ))  # fmt: skip
        return str(rows[0][0]) if rows else None

    async def last_served(self, conference: str) -> tuple[str, bytes] | None:
        """(fingerprint, zipped files) of the version served last, if any."""
        rows = list(await self._db.execute_fetchall(
            "SELECT fingerprint, archive FROM program_versions WHERE conference = ?"
            " ORDER BY served DESC LIMIT 1", (conference,),
        ))  # fmt: skip
        return (rows[0][0], bytes(rows[0][1])) if rows else None

    async def newest_first(self) -> list[ProgramVersion]:
        """Every version kept, newest first."""
        rows = await self._db.execute_fetchall(
            "SELECT id, conference, label, loaded_ts, length(archive) FROM program_versions"
            " ORDER BY id DESC"
        )
        return [ProgramVersion(i, c, lab, ts, n) for i, c, lab, ts, n in rows]

    async def archive(self, version_id: int) -> bytes | None:
        rows = list(await self._db.execute_fetchall(
            "SELECT archive FROM program_versions WHERE id = ?", (version_id,)
        ))  # fmt: skip
        return bytes(rows[0][0]) if rows else None

    # -- the live program's changes ---------------------------------------------------

    async def _insert_sync(
        self, conference: str, applied_ts: int, changes: Sequence[RecordedChange]
    ) -> int:
        ((sync_id,),) = await self._db.execute_fetchall(
            "INSERT INTO program_syncs (conference, applied_ts) VALUES (?, ?) RETURNING id",
            (conference, applied_ts),
        )
        assert isinstance(sync_id, int)
        await self._db.executemany(
            "INSERT INTO program_changes (sync_id, ordinal, item_ref, session_refs, title,"
            " kinds, old_start, old_end, old_room, new_start, new_end, new_room, people_left,"
            " people_joined) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(sync_id, n, c.item_ref, " ".join(c.session_refs), c.title, " ".join(c.kinds),
              *(c.old or (None, None, None)), *(c.new or (None, None, None)),
              _names(c.left), _names(c.joined))
             for n, c in enumerate(changes)],
        )  # fmt: skip
        return sync_id

    async def changes(
        self, conference: str, since_ts: int = 0, sync_id: int | None = None
    ) -> list[RecordedChange]:
        """Changes applied since `since_ts` (or of one sync), newest sync first."""
        rows = await self._db.execute_fetchall(
            f"SELECT {_CHANGE} FROM program_changes c JOIN program_syncs s ON s.id = c.sync_id"
            " WHERE s.conference = ? AND s.applied_ts >= ?"
            + (" AND s.id = ?" if sync_id is not None else "")
            + " ORDER BY s.id DESC, c.ordinal",
            (conference, since_ts, sync_id) if sync_id is not None else (conference, since_ts),
        )
        return [_change(row) for row in rows]

    async def cancelled(self, conference: str) -> list[RecordedChange]:
        """Every talk a version removed, newest removal first (a talk removed, put back
        and removed again is here twice: the newest says when it went). Whether it is
        still gone is the program's to say: one put back is in it again."""
        rows = await self._db.execute_fetchall(
            f"SELECT {_CHANGE} FROM program_changes c JOIN program_syncs s ON s.id = c.sync_id"
            " WHERE s.conference = ? AND c.new_start IS NULL AND c.old_start IS NOT NULL"
            " ORDER BY s.id DESC, c.ordinal",
            (conference,),
        )
        return [_change(row) for row in rows]


_CHANGE = (
    "s.id, s.applied_ts, c.item_ref, c.session_refs, c.title, c.kinds, c.old_start, c.old_end,"
    " c.old_room, c.new_start, c.new_end, c.new_room, c.people_left, c.people_joined"
)


def _change(row: Sequence[Any]) -> RecordedChange:
    sid, ts, ref, sessions, title, kinds, os, oe, orm, ns, ne, nrm, left, joined = row
    return RecordedChange(sid, ts, ref, tuple(sessions.split()), title,
                          tuple(ChangeKind(k) for k in kinds.split()),
                          (os, oe, orm) if os is not None else None,
                          (ns, ne, nrm) if ns is not None else None,
                          _unnamed(left), _unnamed(joined))  # fmt: skip


def _names(names: tuple[str, ...]) -> str | None:
    """Names as kept: a JSON list (a name may hold any character), None for none."""
    return json.dumps(list(names), ensure_ascii=False) if names else None


def _unnamed(kept: str | None) -> tuple[str, ...]:
    """Names as kept back (NULL: none, or a change kept before names were)."""
    if not kept:
        return ()
    found = json.loads(kept)
    return tuple(str(n) for n in found) if isinstance(found, list) else ()
