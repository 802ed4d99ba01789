"""Reminders: a person's wish to be told before an item starts, armed anew each time they
ask, settled when its delivery is made or fails.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.kinds import FOLLOWED, ReminderStatus
from bot.store.feature_store import FeatureStore, writes


class ReminderLimitReached(Exception):
    """The person already has as many active reminders as one person may."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"at most {limit} active reminders per person")
        self.limit = limit


@dataclass(frozen=True, slots=True)
class Reminder:
    id: int
    conference: str
    user_id: int
    guild_id: int | None
    item_ref: str
    minutes_before: int
    created_ts: int
    status: ReminderStatus
    failure: str | None
    failure_told: bool
    arming: int = 0


_REMINDER = (
    "id, conference, user_id, guild_id, item_ref, minutes_before, created_ts, status,"
    " failure, failure_told, arming"
)


def _reminder(row: Sequence[Any]) -> Reminder:
    id_, conf, user, guild, ref, minutes, created, status, failure, told, arming = row
    return Reminder(id_, conf, user, guild, ref, minutes, created, ReminderStatus(status),
                    failure, bool(told), arming)  # fmt: skip


class ReminderStore(FeatureStore):
    """The reminders table."""

    @writes
    async def add(
        self, conference: str, user_id: int, guild_id: int | None, item_ref: str,
        minutes_before: int, now_ts: int, limit: int | None = None, language: str | None = None,
    ) -> Reminder:  # fmt: skip
        """Arm the user's reminder for an item: create it, or arm it again (a new round,
        so a reminder already delivered or failed is delivered anew) with the new lead
        time, in `language` (the DM's; None: English). Raises ReminderLimitReached when it
        would exceed `limit` active ones."""
        # One statement, so two commands at once cannot both slip under the cap. (SQLite
        # needs the WHERE before ON CONFLICT when inserting from a SELECT.)
        cursor = await self._db.execute(
            "INSERT INTO reminders (conference, user_id, guild_id, item_ref, minutes_before,"
            " created_ts, language) SELECT ?, ?, ?, ?, ?, ?, ? WHERE ? IS NULL OR (SELECT"
            " count(*) FROM reminders WHERE conference = ? AND user_id = ? AND status = 'active'"
            " AND item_ref != ?) < ?"
            " ON CONFLICT (conference, user_id, item_ref) DO UPDATE SET"
            " minutes_before = excluded.minutes_before, status = 'active', failure = NULL,"
            " failure_told = 0, guild_id = excluded.guild_id, arming = reminders.arming + 1,"
            " language = excluded.language",
            (conference, user_id, guild_id, item_ref, minutes_before, now_ts, language,
             limit, conference, user_id, item_ref, limit),
        )  # fmt: skip
        if cursor.rowcount == 0:
            raise ReminderLimitReached(limit or 0)
        rows = await self._db.execute_fetchall(
            f"SELECT {_REMINDER} FROM reminders WHERE conference = ? AND user_id = ?"
            " AND item_ref = ?",
            (conference, user_id, item_ref),
        )
        return _reminder(next(iter(rows)))

    async def language(self, reminder_id: int) -> str | None:
        """The language of a reminder's DM, as its reader asked for it (None: English)."""
        rows = await self._db.execute_fetchall(
            "SELECT language FROM reminders WHERE id = ?", (reminder_id,)
        )
        return next((str(found) for (found,) in rows if found is not None), None)

    async def find(
        self,
        conference: str,
        user_id: int | None = None,
        statuses: Iterable[ReminderStatus] = (ReminderStatus.ACTIVE,),
    ) -> list[Reminder]:
        statuses = tuple(statuses)
        marks = ", ".join("?" * len(statuses))
        query = f"SELECT {_REMINDER} FROM reminders WHERE conference = ? AND status IN ({marks})"
        params: list[object] = [conference, *statuses]
        if user_id is not None:
            query += " AND user_id = ?"
            params.append(user_id)
        rows = await self._db.execute_fetchall(query + " ORDER BY id", params)
        return [_reminder(r) for r in rows]

    async def followed_refs(self, conference: str, user_id: int) -> list[str]:
        """The items a person follows (see FOLLOWED)."""
        return [r.item_ref for r in await self.find(conference, user_id, FOLLOWED)]

    @writes
    async def forget(self, conference: str, user_id: int, item_ref: str | None = None) -> int:
        """Cancel one of the user's reminders, or all of them; returns how many."""
        query = "UPDATE reminders SET status = 'cancelled' WHERE conference = ? AND user_id = ?"
        params: list[object] = [conference, user_id]
        if item_ref is not None:
            query += " AND item_ref = ?"
            params.append(item_ref)
        marks = ", ".join("?" * len(FOLLOWED))
        cursor = await self._db.execute(query + f" AND status IN ({marks})", [*params, *FOLLOWED])
        return cursor.rowcount

    @writes
    async def settle(
        self, reminder: int, arming: int, status: ReminderStatus, failure: str | None = None
    ) -> None:
        """Record how an arming ended (done or failed), unless the reminder has since been
        forgotten or armed again: then that newer intent stands."""
        await self._db.execute(
            "UPDATE reminders SET status = ?, failure = ? WHERE id = ? AND arming = ?"
            " AND status = 'active'",
            (status, failure, reminder, arming),
        )

    async def untold_failures(self, conference: str, user_id: int) -> list[Reminder]:
        rows = await self._db.execute_fetchall(
            f"SELECT {_REMINDER} FROM reminders WHERE conference = ? AND user_id = ?"
            " AND status = 'failed' AND failure_told = 0 ORDER BY id",
            (conference, user_id),
        )
        return [_reminder(r) for r in rows]

    @writes
    async def mark_told(self, reminder_ids: Sequence[int]) -> None:
        await self._db.executemany(
            "UPDATE reminders SET failure_told = 1 WHERE id = ?", [(i,) for i in reminder_ids]
        )
