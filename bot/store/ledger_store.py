"""The delivery ledger: every timed message the bot plans (reminders, announcements, Q&A
threads, notices), claimed before it is sent and settled after, so none is sent twice.

Several processes may share one ledger (a cluster on PostgreSQL), so a row names the
process holding it (`claimed_by`, a name unique while that process runs) and until when
(`lease_until`, renewed while it holds the row). A process first reserves its next batch of
due rows in one statement (rows held under another's live lease are not taken; on
PostgreSQL, rows another is reserving right now are skipped, not waited on), then claims
each row just before its send ('sending', only if still its own or free, and still wanted).
A row is free when no lease holds it (`lease_until` NULL or past); `claimed_by` stays as
the name of whoever held it last. Recovery takes only expired leases: a reserved row whose
holder died becomes free (it was never sent), a 'sending' one is marked lost (it may have
gone out; it is never sent again). A process alone on its state (SQLite, whose file lock
proves it) may take every hold at start: all are a dead process's.

Rows are bound to a server (the kinds a Scope names; their owner is the guild id) or to a
person (every other kind). A Scope says which rows a process takes and plans: those of the
servers on its shards, and those of people if it takes (or plans) them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from bot.cluster import Slice
from bot.kinds import DeliveryKind, DeliveryState
from bot.store.dialect import Dialect
from bot.store.feature_store import FeatureStore, SharedConnection, writes


class Wanted(StrEnum):
    """When a delivery is still wanted: the rule its kind names (bot/delivery/kinds), whose
    SQL is here, checked inside the claim itself, so /forget or /announce off during a
    batch stops the next send."""

    ALWAYS = "always"  # nothing can take it back (a change notice)
    REMINDER_ARMED = "reminder armed"  # its reminder is active at the same arming
    ANNOUNCING = "announcing"  # its guild still announces to the same channel
    ROOM_CHANNEL_ON = "room channel on"  # its guild still posts the room in that channel
    QA_FORUM_ON = "qa forum on"  # its guild still opens Q&A threads in that forum
    THREAD_OPEN = "thread open"  # the Q&A thread is still open
    REFUND_PENDING = "refund pending"  # its registration still waits for its roles' removal


_WANTED_SQL: dict[Wanted, str] = {
    Wanted.ALWAYS: "1 = 1",  # a truth on both dialects (PostgreSQL's AND wants a boolean)
    Wanted.REMINDER_ARMED: """EXISTS (
        SELECT 1 FROM reminders r WHERE r.id = deliveries.owner AND r.status = 'active'
        AND r.arming = deliveries.arming)""",
    Wanted.ANNOUNCING: """EXISTS (
        SELECT 1 FROM announcements a WHERE a.guild_id = deliveries.owner AND a.enabled = 1
        AND a.channel_id = deliveries.target AND a.conference = deliveries.conference)""",
    Wanted.ROOM_CHANNEL_ON: """EXISTS (
        SELECT 1 FROM room_channels c WHERE c.guild_id = deliveries.owner AND c.enabled = 1
        AND c.channel_id = deliveries.target AND c.conference = deliveries.conference)""",
    Wanted.QA_FORUM_ON: """EXISTS (
        SELECT 1 FROM qa_forums q WHERE q.guild_id = deliveries.owner AND q.enabled = 1
        AND q.forum_id = deliveries.target AND q.conference = deliveries.conference)""",
    Wanted.THREAD_OPEN: """EXISTS (
        SELECT 1 FROM qa_threads t WHERE t.guild_id = deliveries.owner AND t.closed = 0
        AND t.thread_id = deliveries.target AND t.conference = deliveries.conference)""",
    Wanted.REFUND_PENDING: """EXISTS (
        SELECT 1 FROM ticket_registrations t WHERE t.id = deliveries.owner
        AND t.state = 'revoking' AND t.revoked_ts = deliveries.arming
        AND t.conference = deliveries.conference)""",
}


@dataclass(frozen=True, slots=True)
class Delivery:
    id: int
    kind: DeliveryKind
    owner: int
    item_ref: str
    arming: int
    target: int
    due_ts: int
    state: DeliveryState
    attempts: int
    updated_ts: int
    detail: str | None
    # How many of its messages went out (a delivery of several that failed midway
    # resumes after them); 0 for one of a single message.
    parts_sent: int = 0


@dataclass(frozen=True, slots=True)
class Planned:
    """A delivery a kind plans to exist (see bot/delivery/kinds)."""

    kind: DeliveryKind
    owner: int
    item_ref: str
    target: int
    due_ts: int
    arming: int = 0


@dataclass(frozen=True, slots=True)
class Scope:
    """Which of a conference's rows a process takes or plans: the rows bound to a server
    (`server_kinds`, whose owner is the guild id) of the servers on its `slice` of the
    shards, and the rows bound to a person (every other kind) if `people`. The whole
    ledger by default: one process holding every shard."""

    server_kinds: frozenset[DeliveryKind] = frozenset()
    slice: Slice = field(default_factory=Slice)
    people: bool = True

    def holds(self, kind: DeliveryKind, owner: int) -> bool:
        """Whether a row of this kind and owner is in the scope (as `sql` says, in Python)."""
        if kind in self.server_kinds:
            return self.slice.holds(owner)
        return self.people

    def sql(self) -> tuple[str, list[object]]:
        """The scope as a condition on deliveries' rows, with its parameters: Discord's
        shard of a server ((guild_id >> 22) % count), computed in SQL on the owner (as
        n - n / count * count: integer division on both dialects)."""
        kinds: list[object] = [str(k) for k in sorted(self.server_kinds)]
        if not kinds:  # no kind is bound to a server: every row is a person's
            return ("1 = 1", []) if self.people else ("1 = 0", [])
        marks = ", ".join("?" * len(kinds))
        if self.slice.is_whole:  # every server: only whether people's rows are in
            return ("1 = 1", []) if self.people else (f"kind IN ({marks})", kinds)
        ids = sorted(self.slice.ids)
        shard = "((owner >> 22) - (owner >> 22) / ? * ?)"
        shards = f"{shard} IN ({', '.join('?' * len(ids))})"
        params = [*kinds, self.slice.count, self.slice.count, *ids]
        if self.people:
            return f"(kind NOT IN ({marks}) OR {shards})", params
        return f"(kind IN ({marks}) AND {shards})", params


EVERYTHING = Scope()

# What names a row in the ledger within its conference (its unique key there).
Key = tuple[str, int, str, int]  # kind, owner, item_ref, arming


def key_of(planned: Planned) -> Key:
    return (planned.kind, planned.owner, planned.item_ref, planned.arming)


@dataclass(frozen=True, slots=True)
class Kept:
    """A ledger row as a re-plan compares it with the plan."""

    id: int
    key: Key
    target: int
    due_ts: int
    state: DeliveryState


@dataclass(frozen=True, slots=True)
class PlanChanges:
    """What a re-plan writes: rows to add, rows to update (their id, and what they are
    planned as now), and the ids of pending rows to cancel. All empty when the ledger
    already matches its plan, as it does on most passes."""

    new: list[Planned]
    moved: list[tuple[int, Planned]]
    stale: list[int]


def plan_changes(kept: Sequence[Kept], planned: Sequence[Planned], scope: Scope) -> PlanChanges:
    """How the rows `kept` (every row of a conference within `scope`) differ from the
    plan within `scope`: a planned row the ledger lacks is new; a pending one whose time
    or target changed, or a cancelled one planned again, is moved (back to pending); a
    pending row the plan lacks is stale. History (sent, skipped, failed, lost) and rows
    being sent are left as they are, planned or not. A row planned twice is planned as
    its last (as writing each in turn would leave it)."""
    mine = {key_of(p): p for p in planned if scope.holds(p.kind, p.owner)}
    by_key = {row.key: row for row in kept}
    new = [p for key, p in mine.items() if key not in by_key]
    moved = [(row.id, p) for key, p in mine.items()
             if (row := by_key.get(key)) is not None and _moved(row, p)]  # fmt: skip
    stale = [row.id for row in kept if row.state is DeliveryState.PENDING and row.key not in mine]
    return PlanChanges(new, moved, stale)


def _moved(row: Kept, planned: Planned) -> bool:
    """Whether a kept row must be written to be as planned."""
    if row.state is DeliveryState.CANCELLED:
        return True
    if row.state is not DeliveryState.PENDING:
        return False  # history, or being sent: never moved
    return (row.due_ts, row.target) != (planned.due_ts, planned.target)


# A row held under a live lease by a process other than `?` (at `?`, a timestamp).
_HELD_BY_ANOTHER = "(lease_until > ? AND claimed_by <> ?)"
# A row that is free (no lease, or an expired one) or already this process's.
_TAKEABLE = "(lease_until IS NULL OR lease_until <= ? OR claimed_by = ?)"


_DELIVERY = (
    "id, kind, owner, item_ref, arming, target, due_ts, state, attempts, updated_ts, detail,"
    " parts_sent"
)


def _delivery(row: Sequence[Any]) -> Delivery:
    id_, kind, owner, ref, arming, target, due, state, attempts, updated, detail, parts = row
    return Delivery(id_, DeliveryKind(kind), owner, ref, arming, target, due,
                    DeliveryState(state), attempts, updated, detail, parts)  # fmt: skip


class LedgerStore(FeatureStore):
    """The deliveries table."""

    def __init__(self, shared: SharedConnection) -> None:
        super().__init__(shared)
        # Whether this process is the only one on the state: SQLite's file lock proves it
        # (bot.store.lock), so every hold found at start is a dead process's. Tests that
        # stand two schedulers on one file for two processes set it False.
        self.alone = shared.dialect is Dialect.SQLITE

    @writes
    async def adopt(self, conference: str) -> None:
        """Rows kept before deliveries named their conference (state migration 7) belong
        to the one conference the bot served then: hand them to it."""
        await self._db.execute(
            "UPDATE deliveries SET conference = ? WHERE conference = ''", (conference,)
        )

    @writes
    async def sync_plan(
        self, conference: str, planned: Sequence[Planned], now_ts: int, scope: Scope = EVERYTHING
    ) -> None:
        """Make the conference's pending ledger match its plan, within `scope` (the rows
        this process plans; another process plans the rest): add what is new, update
        times and targets of what is still pending, cancel pending rows the plan no longer
        has. Rows already sent, skipped, failed or lost are history and are never touched;
        other conferences' rows, and rows outside the scope, are theirs.

        Only what differs is written. The plan is made again on every pass of every
        process (every CONFBOT_LEDGER_CHECK seconds in a cluster, and on every wake), and
        almost always matches the ledger: rewriting every row of it each time was
        thousands of writes a pass at FOSDEM's size (and, on PostgreSQL, an id drawn and
        a dead row left for each). So the scope's rows are read once (history too: a row
        already sent is still planned, and must not be inserted again) and compared here."""
        changes = plan_changes(await self._scope_rows(conference, scope), planned, scope)
        await self._insert(conference, changes.new, now_ts)
        # Still pending (or cancelled) when written: a row another process claimed since
        # it was read is being sent, and is not moved.
        if changes.moved:
            await self._db.executemany(
                "UPDATE deliveries SET due_ts = ?, target = ?, updated_ts = ?, state = 'pending'"
                " WHERE id = ? AND state IN ('pending', 'cancelled')",
                [(p.due_ts, p.target, now_ts, id_) for id_, p in changes.moved],
            )
        # Still pending: another process may have claimed it since it was read.
        if changes.stale:
            await self._db.executemany(
                "UPDATE deliveries SET state = 'cancelled', updated_ts = ?, lease_until = NULL"
                " WHERE id = ? AND state = 'pending'",
                [(now_ts, id_) for id_ in changes.stale],
            )

    async def _scope_rows(self, conference: str, scope: Scope) -> list[Kept]:
        """Every row of the conference within `scope`, as a re-plan compares them."""
        where, params = scope.sql()
        rows = await self._db.execute_fetchall(
            "SELECT id, kind, owner, item_ref, arming, target, due_ts, state FROM deliveries"
            f" WHERE conference = ? AND {where}",
            [conference, *params],
        )
        return [Kept(id_, (kind, owner, ref, arming), target, due, DeliveryState(state))
                for id_, kind, owner, ref, arming, target, due, state in rows]  # fmt: skip

    async def _insert(self, conference: str, new: Sequence[Planned], now_ts: int) -> None:
        """Rows the ledger did not have when read. Should one be there by now (another
        process planned it meanwhile), it is updated as a re-plan would, pending or
        cancelled, and left alone otherwise."""
        if not new:
            return
        await self._db.executemany(
            "INSERT INTO deliveries (conference, kind, owner, item_ref, arming, target, due_ts,"
            " updated_ts) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (conference, kind, owner, item_ref, arming)"
            " DO UPDATE SET due_ts = excluded.due_ts, target = excluded.target,"
            " updated_ts = excluded.updated_ts,"
            " state = CASE WHEN deliveries.state = 'cancelled' THEN 'pending'"
            " ELSE deliveries.state END WHERE deliveries.state IN ('pending', 'cancelled')",
            [(conference, p.kind, p.owner, p.item_ref, p.arming, p.target, p.due_ts, now_ts)
             for p in new],
        )  # fmt: skip

    async def due(
        self, conference: str, now_ts: int, limit: int = 100, scope: Scope = EVERYTHING
    ) -> list[Delivery]:
        """Pending rows due by `now_ts` (within `scope`), held or not: what a burst counts."""
        where, params = scope.sql()
        rows = await self._db.execute_fetchall(
            f"SELECT {_DELIVERY} FROM deliveries WHERE conference = ? AND state = 'pending'"
            f" AND due_ts <= ? AND {where} ORDER BY due_ts, id LIMIT ?",
            (conference, now_ts, *params, limit),
        )
        return [_delivery(r) for r in rows]

    async def next_due_ts(
        self, conference: str, scope: Scope = EVERYTHING, process: str | None = None,
        now_ts: int = 0,
    ) -> int | None:  # fmt: skip
        """When the next pending row of the scope may be taken: its due time; given this
        `process`, for a row another holds under a live lease (at `now_ts`), the end of
        that lease, when it is taken over if its holder died meanwhile. Given it, on a
        state shared with other processes, a row another process is sending counts too
        (any of the conference's, as recovery takes them), at the end of its lease, live
        or not: then it is marked lost if that process died. It was claimed after its
        batch was reserved, so its lease may end after theirs, or while this process
        sends them. (A process alone took every hold at its start: none is another's.)"""
        where, params = scope.sql()
        if process is None:
            rows = await self._db.execute_fetchall(
                "SELECT min(due_ts) FROM deliveries WHERE conference = ?"
                f" AND state = 'pending' AND {where}",
                [conference, *params],
            )
        else:
            sending = "" if self.alone else " OR (state = 'sending' AND claimed_by <> ?)"
            rows = await self._db.execute_fetchall(
                "SELECT min(CASE WHEN state = 'sending' THEN lease_until"
                f" WHEN {_HELD_BY_ANOTHER} THEN lease_until ELSE due_ts END)"
                f" FROM deliveries WHERE conference = ? AND ((state = 'pending' AND {where})"
                f"{sending})",
                [now_ts, process, conference, *params, *([] if self.alone else [process])],
            )
        found = list(rows)
        return found[0][0] if found else None

    @writes
    async def reserve(
        self, conference: str, scope: Scope, process: str, due_by: int, now_ts: int,
        until: int, limit: int,
    ) -> list[Delivery]:  # fmt: skip
        """Take the next batch of due rows (by `due_by`, within `scope`) for this process,
        until `until`, in one statement: rows held under another process's live lease (at
        `now_ts`) are not taken, and on PostgreSQL rows another is reserving at this very
        moment are skipped rather than waited on. Nothing is sent yet: each row is still
        claimed before its send. In due order."""
        where, params = scope.sql()
        rows = await self._db.execute_fetchall(
            "UPDATE deliveries SET claimed_by = ?, lease_until = ? WHERE id IN ("
            " SELECT id FROM deliveries WHERE conference = ? AND state = 'pending'"
            f" AND due_ts <= ? AND {_TAKEABLE} AND {where}"
            f" ORDER BY due_ts, id LIMIT ?{self._shared.dialect.skip_locked})"
            f" RETURNING {_DELIVERY}",
            (process, until, conference, due_by, now_ts, process, *params, limit),
        )
        return sorted((_delivery(r) for r in rows), key=lambda d: (d.due_ts, d.id))

    @writes
    async def claim(
        self, delivery_id: int, now_ts: int, wanted: Wanted, process: str, until: int
    ) -> bool:
        """Take a pending delivery for sending, committed before the send, held by
        `process` until `until` (renewed while the send lasts). False when it is no longer
        pending, is held by another process (its lease live), or is no longer wanted by
        its kind's rule (forgotten, announcements off): then it must not be sent. One
        statement, so nothing can slip between check and mark."""
        cursor = await self._db.execute(
            "UPDATE deliveries SET state = 'sending', attempts = attempts + 1, updated_ts = ?,"
            " claimed_by = ?, lease_until = ?"
            f" WHERE id = ? AND state = 'pending' AND {_TAKEABLE} AND {_WANTED_SQL[wanted]}",
            (now_ts, process, until, delivery_id, now_ts, process),
        )
        claimed = cursor.rowcount == 1
        if not claimed:  # still pending and no longer wanted: what a re-plan would do
            await self._db.execute(
                "UPDATE deliveries SET state = 'cancelled', updated_ts = ?, lease_until = NULL"
                f" WHERE id = ? AND state = 'pending' AND NOT ({_WANTED_SQL[wanted]})",
                (now_ts, delivery_id),
            )
        return claimed

    @writes
    async def settle(
        self, delivery_id: int, expected: DeliveryState, state: DeliveryState, now_ts: int,
        detail: str | None = None, due_ts: int | None = None,
    ) -> bool:  # fmt: skip
        """Move a delivery on from the state this process last saw it in, committed before
        returning ('sent' must be on disk as soon as the message is out), and let go of
        its lease (a retry, back to 'pending', is anyone's to take). False if something
        else moved it first (a re-plan cancelled it): then that stands."""
        cursor = await self._db.execute(
            "UPDATE deliveries SET state = ?, updated_ts = ?, detail = coalesce(?, detail),"
            " due_ts = coalesce(?, due_ts), lease_until = NULL WHERE id = ? AND state = ?",
            (state, now_ts, detail, due_ts, delivery_id, expected),
        )
        return cursor.rowcount == 1

    @writes
    async def unclaim(self, delivery_id: int, process: str, now_ts: int, detail: str) -> bool:
        """A claim of `process`'s that no send followed (the state went out of reach as
        it was committed, and whether it was cannot be told then): its row back to
        'pending', to be sent once, if the claim did take effect: 'sending' under its
        name, or marked 'lost' since under its name (its lease ended meanwhile, and
        another process's recovery could not know it was never sent). False when the
        claim never took effect, or the row is another process's since."""
        cursor = await self._db.execute(
            "UPDATE deliveries SET state = 'pending', updated_ts = ?, lease_until = NULL,"
            " detail = ? WHERE id = ? AND claimed_by = ? AND state IN ('sending', 'lost')",
            (now_ts, detail, delivery_id, process),
        )
        return cursor.rowcount == 1

    @writes
    async def record_parts(self, delivery_id: int, parts_sent: int) -> None:
        """How many of a delivery's messages went out, committed after each one, so that
        a retry sends only the rest (see in_order, bot/delivery/shared.py)."""
        await self._db.execute(
            "UPDATE deliveries SET parts_sent = ? WHERE id = ? AND state = 'sending'",
            (parts_sent, delivery_id),
        )

    @writes
    async def renew(self, conference: str, process: str, until: int) -> int:
        """Extend the leases of every row of the conference this process holds (reserved
        or being sent) to `until`; how many. A row another process took over (its name
        there now) or settled is not this one's any more, and is left as it is."""
        cursor = await self._db.execute(
            "UPDATE deliveries SET lease_until = ? WHERE conference = ? AND claimed_by = ?"
            " AND lease_until IS NOT NULL AND state IN ('pending', 'sending')",
            (until, conference, process),
        )
        return cursor.rowcount

    @writes
    async def release(self, conference: str, process: str) -> None:
        """Let go of the rows this process reserved and did not claim (it is stopping):
        another process may take them at once rather than when their leases end."""
        await self._db.execute(
            "UPDATE deliveries SET lease_until = NULL WHERE conference = ? AND claimed_by = ?"
            " AND lease_until IS NOT NULL AND state = 'pending'",
            (conference, process),
        )

    @writes
    async def recover_interrupted(
        self, conference: str, now_ts: int, *, alone: bool
    ) -> list[Delivery]:
        """Rows a dead process held (only the conference's own: another scheduler's are
        its own business): those it left 'sending', maybe sent, maybe not, are marked lost,
        never resent; those it only reserved become free, as they were never sent. A hold
        is a dead process's once its lease has ended (at `now_ts`), or, for a process
        `alone` on its state at its start, whatever it is: no other process can hold one."""
        expired = "1 = 1" if alone else "(lease_until IS NULL OR lease_until <= ?)"
        params: tuple[object, ...] = (conference,) if alone else (conference, now_ts)
        rows = await self._db.execute_fetchall(
            "UPDATE deliveries SET state = 'lost', updated_ts = ?, lease_until = NULL,"
            " detail = 'interrupted between sending and sent: possibly lost'"
            f" WHERE conference = ? AND state = 'sending' AND {expired} RETURNING {_DELIVERY}",
            (now_ts, *params),
        )
        await self._db.execute(
            "UPDATE deliveries SET lease_until = NULL WHERE conference = ? AND state = 'pending'"
            f" AND lease_until IS NOT NULL AND {expired}",
            params,
        )
        return sorted((_delivery(r) for r in rows), key=lambda d: d.id)

    async def conferences(self) -> list[str]:
        """Every conference the ledger holds rows of ('' for rows kept before deliveries
        named theirs, not yet adopted)."""
        rows = await self._db.execute_fetchall(
            "SELECT DISTINCT conference FROM deliveries ORDER BY conference"
        )
        return [str(row[0]) for row in rows]

    async def deliveries(
        self, kind: str | None = None, owner: int | None = None, state: str | None = None,
        conference: str | None = None,
    ) -> list[Delivery]:  # fmt: skip
        clauses, params = [], []
        filters = (("kind", kind), ("owner", owner), ("state", state), ("conference", conference))
        for column, value in filters:
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = await self._db.execute_fetchall(
            f"SELECT {_DELIVERY} FROM deliveries{where} ORDER BY due_ts, id", params
        )
        return [_delivery(r) for r in rows]

    async def counts(
        self, kinds: Sequence[DeliveryKind], owner: int | None = None, conference: str | None = None
    ) -> dict[DeliveryState, int]:
        """How many deliveries of these kinds are in each state (of one owner, of one
        conference, if given)."""
        rows = await self._grouped("state", kinds, owner, conference)
        return {DeliveryState(state): n for state, n in rows}

    async def tally(
        self, kinds: Sequence[DeliveryKind], owner: int | None = None, conference: str | None = None
    ) -> list[tuple[DeliveryKind, DeliveryState, str | None, int]]:
        """(kind, state, why, count) for deliveries of these kinds: `why` is the detail
        of those that did not go out (failed, skipped, lost), so that /status can say
        why; None for the others, which are counted together."""
        why = "CASE WHEN state IN ('failed', 'skipped', 'lost') THEN detail END"
        rows = await self._grouped(f"kind, state, {why}", kinds, owner, conference)
        return [(DeliveryKind(kind), DeliveryState(state), reason, n)
                for kind, state, reason, n in rows]  # fmt: skip

    async def _grouped(
        self, columns: str, kinds: Sequence[DeliveryKind], owner: int | None, conference: str | None
    ) -> list[tuple[Any, ...]]:
        """count(*) of deliveries of these kinds grouped by `columns` (SQL of ours)."""
        marks = ", ".join("?" * len(kinds))
        query = f"SELECT {columns}, count(*) FROM deliveries WHERE kind IN ({marks})"
        params: list[object] = list(kinds)
        if conference is not None:
            query += " AND conference = ?"
            params.append(conference)
        if owner is not None:
            query += " AND owner = ?"
            params.append(owner)
        rows = await self._db.execute_fetchall(f"{query} GROUP BY {columns}", params)
        return [tuple(row) for row in rows]
