"""The delivery ledger: every timed message the bot plans (reminders, announcements, Q&A
threads, notices), claimed before it is sent and settled after, so none is sent twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bot.kinds import DeliveryKind, DeliveryState
from bot.store.feature_store import FeatureStore, writes


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


_WANTED_SQL: dict[Wanted, str] = {
    Wanted.ALWAYS: "1",
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

    @writes
    async def adopt(self, conference: str) -> None:
        """Rows kept before deliveries named their conference (state migration 7) belong
        to the one conference the bot served then: hand them to it."""
        await self._db.execute(
            "UPDATE deliveries SET conference = ? WHERE conference = ''", (conference,)
        )
        await self._db.commit()

    @writes
    async def sync_plan(self, conference: str, planned: Sequence[Planned], now_ts: int) -> None:
        """Make the conference's pending ledger match its plan: add what is new, update
        times and targets of what is still pending, cancel pending rows the plan no longer
        has. Rows already sent, skipped, failed or lost are history and are never touched;
        other conferences' rows are theirs."""
        await self._db.executemany(
            "INSERT INTO deliveries (conference, kind, owner, item_ref, arming, target, due_ts,"
            " updated_ts) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (conference, kind, owner, item_ref, arming)"
            " DO UPDATE SET due_ts = excluded.due_ts, target = excluded.target,"
            " updated_ts = excluded.updated_ts,"
            " state = CASE WHEN state = 'cancelled' THEN 'pending' ELSE state END"
            " WHERE state IN ('pending', 'cancelled')",
            [(conference, p.kind, p.owner, p.item_ref, p.arming, p.target, p.due_ts, now_ts)
             for p in planned],
        )  # fmt: skip
        wanted = {(p.kind, p.owner, p.item_ref, p.arming) for p in planned}
        rows = await self._db.execute_fetchall(
            "SELECT id, kind, owner, item_ref, arming FROM deliveries WHERE state = 'pending'"
            " AND conference = ?",
            (conference,),
        )
        stale = [(now_ts, row[0]) for row in rows if tuple(row[1:]) not in wanted]
        await self._db.executemany(
            "UPDATE deliveries SET state = 'cancelled', updated_ts = ? WHERE id = ?", stale
        )
        await self._db.commit()

    async def due(self, conference: str, now_ts: int, limit: int = 100) -> list[Delivery]:
        rows = await self._db.execute_fetchall(
            f"SELECT {_DELIVERY} FROM deliveries WHERE conference = ? AND state = 'pending'"
            " AND due_ts <= ? ORDER BY due_ts, id LIMIT ?",
            (conference, now_ts, limit),
        )
        return [_delivery(r) for r in rows]

    async def next_due_ts(self, conference: str) -> int | None:
        rows = list(
            await self._db.execute_fetchall(
                "SELECT min(due_ts) FROM deliveries WHERE conference = ? AND state = 'pending'",
                (conference,),
            )
        )
        return rows[0][0] if rows else None

    @writes
    async def claim(self, delivery_id: int, now_ts: int, wanted: Wanted) -> bool:
        """Take a pending delivery for sending, committed before the send. False when it
        is no longer pending or no longer wanted by its kind's rule (forgotten,
        announcements off): then it must not be sent. One statement, so nothing can slip
        between check and mark."""
        cursor = await self._db.execute(
            "UPDATE deliveries SET state = 'sending', attempts = attempts + 1, updated_ts = ?"
            f" WHERE id = ? AND state = 'pending' AND {_WANTED_SQL[wanted]}",
            (now_ts, delivery_id),
        )
        claimed = cursor.rowcount == 1
        if not claimed:  # still pending means no longer wanted: what a re-plan would do
            await self._db.execute(
                "UPDATE deliveries SET state = 'cancelled', updated_ts = ? WHERE id = ?"
                " AND state = 'pending'",
                (now_ts, delivery_id),
            )
        await self._db.commit()
        return claimed

    @writes
    async def settle(
        self, delivery_id: int, expected: DeliveryState, state: DeliveryState, now_ts: int,
        detail: str | None = None, due_ts: int | None = None,
    ) -> bool:  # fmt: skip
        """Move a delivery on from the state this process last saw it in, committed before
        returning ('sent' must be on disk as soon as the message is out). False if
        something else moved it first (a re-plan cancelled it): then that stands."""
        cursor = await self._db.execute(
            "UPDATE deliveries SET state = ?, updated_ts = ?, detail = coalesce(?, detail),"
            " due_ts = coalesce(?, due_ts) WHERE id = ? AND state = ?",
            (state, now_ts, detail, due_ts, delivery_id, expected),
        )
        await self._db.commit()
        return cursor.rowcount == 1

    @writes
    async def record_parts(self, delivery_id: int, parts_sent: int) -> None:
        """How many of a delivery's messages went out, committed after each one, so that
        a retry sends only the rest (see in_order, bot/delivery/shared.py)."""
        await self._db.execute(
            "UPDATE deliveries SET parts_sent = ? WHERE id = ? AND state = 'sending'",
            (parts_sent, delivery_id),
        )
        await self._db.commit()

    @writes
    async def recover_interrupted(self, conference: str, now_ts: int) -> list[Delivery]:
        """Rows left 'sending' by a crash: maybe sent, maybe not. Never resend; mark lost.
        (Only the conference's own: another scheduler's send may be in flight.)"""
        rows = await self._db.execute_fetchall(
            f"SELECT {_DELIVERY} FROM deliveries WHERE conference = ? AND state = 'sending'"
            " ORDER BY id",
            (conference,),
        )
        lost = [_delivery(r) for r in rows]
        await self._db.executemany(
            "UPDATE deliveries SET state = 'lost', updated_ts = ?,"
            " detail = 'interrupted between sending and sent: possibly lost' WHERE id = ?",
            [(now_ts, d.id) for d in lost],
        )
        await self._db.commit()
        return lost

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
