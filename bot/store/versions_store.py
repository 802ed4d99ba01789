"""Program versions: each distinct version served (its files, zipped), and what each new
version changed, kept for notices and /changes.
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


class VersionStore(FeatureStore):
    """The program_versions, program_syncs and program_changes tables."""

    @writes
    async def serve(
        self, conference: str, fingerprint: str, label: str | None, now_ts: int,
        archive: bytes | None, changes: Sequence[RecordedChange] = (),
    ) -> int | None:  # fmt: skip
        """Keep the version now served (once per distinct content; served last), with what
        it changed since the last one: one transaction, so a crash leaves either both or
        neither, and the next start neither misses the changes nor tells them twice.
        `archive` is None for a version kept already (see version_kept). Returns the
        sync's id when there were changes."""
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
        sync_id = await self._insert_sync(conference, now_ts, changes) if changes else None
        return sync_id

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
