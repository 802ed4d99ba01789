"""The processes of a cluster: who is running, with which shards, following which
conferences (each writes its own row every few seconds; see bot.live.cluster), for
`python -m bot status`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from bot.store.feature_store import FeatureStore, writes

FORGOTTEN_AFTER = 7 * 86_400  # seconds: a row gone for a week is left out, then deleted


@dataclass(frozen=True, slots=True)
class Member:
    """One process's row (times as Unix seconds, in real time even in a rehearsal: see
    bot.live.cluster)."""

    process: str  # unique to one start of one process
    host: str
    pid: int
    shard_ids: str  # its slice of Discord's shards, as bot.cluster.format_ids writes it
    shard_count: int
    # The conferences whose sources it follows; None: a row this confbot cannot read.
    leads: tuple[str, ...] | None
    every_s: int  # seconds between two of its heartbeats
    started_ts: int
    seen_ts: int


class MemberStore(FeatureStore):
    """The cluster_members table."""

    @writes
    async def beat(self, member: Member) -> None:
        """Write this process's row (its heartbeat), and drop the rows of processes gone
        for long (restarts on a platform give each start a new process)."""
        await self._db.execute(
            "INSERT INTO cluster_members (process, host, pid, shard_ids, shard_count, leads,"
            " every_s, started_ts, seen_ts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (process) DO UPDATE SET shard_ids = excluded.shard_ids,"
            " shard_count = excluded.shard_count, leads = excluded.leads,"
            " every_s = excluded.every_s, seen_ts = excluded.seen_ts",
            (member.process, member.host, member.pid, member.shard_ids, member.shard_count,
             json.dumps(list(member.leads or ()), ensure_ascii=False), member.every_s,
             member.started_ts, member.seen_ts),
        )  # fmt: skip
        await self._db.execute(
            "DELETE FROM cluster_members WHERE seen_ts < ?",
            (member.seen_ts - FORGOTTEN_AFTER,),
        )

    @writes
    async def leave(self, process: str) -> None:
        """A process that stops removes its row: it is not gone, it left."""
        await self._db.execute("DELETE FROM cluster_members WHERE process = ?", (process,))

    async def members(self) -> list[Member]:
        """Every process's row, the earliest started first."""
        rows = await self._db.execute_fetchall(
            "SELECT process, host, pid, shard_ids, shard_count, leads, every_s, started_ts,"
            " seen_ts FROM cluster_members ORDER BY started_ts, process"
        )
        return [Member(p, h, pid, ids, n, _keys(leads), every, start, seen)
                for p, h, pid, ids, n, leads, every, start, seen in rows]  # fmt: skip


def _keys(kept: str) -> tuple[str, ...] | None:
    """The conferences a row names; None for a damaged one (a status still shows the
    process, and says so, rather than failing with a traceback)."""
    try:
        found = json.loads(kept or "[]")
    except (ValueError, RecursionError):
        return None
    return tuple(str(k) for k in found) if isinstance(found, list) else None
