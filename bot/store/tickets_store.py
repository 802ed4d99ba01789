"""Tickets: which pretix products give which roles in a server, where registrations are
reported, the registrations, the key of their hashes and how far the refund check got.

A registration holds only what de-duplication and refunds need: the server, the member,
a keyed hash of the ticket's pseudonymous id, the roles it gave (only those: never one
the member held already, such as one given by hand) and when (state migration 17), and
the language the member registered in, for the refund DM (migration 22).
Nothing here ever sees a name, an e-mail address, an order code or a ticket secret.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bot.kinds import RegistrationState
from bot.store.feature_store import FeatureStore, writes

ANY_VARIATION = 0  # a mapping's variation_id for "every variation of the product"


@dataclass(frozen=True, slots=True)
class RoleMapping:
    """A product (or one of its variations) that gives a role in a server."""

    item_id: int
    variation_id: int | None  # None: every variation
    role_id: int


@dataclass(frozen=True, slots=True)
class Unmapped:
    """A mapping removed because Discord deleted its role: of which conference, and who
    set it when (0: before migration 19 kept who), for telling organisers."""

    conference: str
    mapping: RoleMapping
    set_by: int
    updated_ts: int
    language: str | None = None  # the organiser's when they set it (None: not kept)


class LogTrouble(StrEnum):
    """Why registrations are no longer reported in a server's log channel."""

    DELETED = "deleted"
    FORBIDDEN = "forbidden"  # the bot may not post there (its permissions changed)


@dataclass(frozen=True, slots=True)
class LogChannel:
    """A server's log channel: who set it (0: unknown), and `off` when reporting there
    stopped."""

    channel_id: int
    set_by: int
    off: LogTrouble | None = None
    language: str | None = None  # the organiser's when they set it (None: not kept)


@dataclass(frozen=True, slots=True)
class Registration:
    id: int
    conference: str
    guild_id: int
    member_id: int
    roles: tuple[int, ...]
    registered_ts: int
    state: RegistrationState
    revoked_ts: int
    language: str | None = None  # the member's when they registered (None: not kept)


@dataclass(frozen=True, slots=True)
class Claimed:
    """What one registration attempt's claims came to: tickets newly the member's
    (registration ids, for an undo), tickets already theirs, how many are another
    member's, and each ticket's registration id in the order asked (None: not claimed)."""

    new: tuple[int, ...]
    own: tuple[int, ...]
    taken: int
    ids: tuple[int | None, ...] = ()


@dataclass(frozen=True, slots=True)
class RefundProgress:
    """How far the refund check of a conference got: the modified_since of the sweep
    under way, the moment that sweep began (pretix's; the next sweep's modified_since),
    and the page it goes on from."""

    since: str
    sweep_from: str | None = None
    next_page: int = 1


@dataclass(frozen=True, slots=True)
class TicketCounts:
    members: int  # members holding at least one active registration
    tickets: int  # active registrations
    revoking: int  # removals planned, not yet done
    revoked: int
    failed: int


_REGISTRATION = ("id, conference, guild_id, member_id, roles, registered_ts, state, revoked_ts,"
                 " language")  # fmt: skip


def _registration(row: Sequence[Any]) -> Registration:
    id_, conference, guild, member, roles, registered, state, revoked, language = row
    return Registration(id_, conference, guild, member, role_ids(roles), registered,
                        RegistrationState(state), revoked, language)  # fmt: skip


def role_ids(text: str) -> tuple[int, ...]:
    return tuple(int(r) for r in text.split())


def _roles_text(roles: Iterable[int]) -> str:
    return " ".join(str(r) for r in sorted(set(roles)))


def _marks(count: int) -> str:
    return ", ".join("?" * count)


class TicketStore(FeatureStore):
    """The ticket_* tables."""

    # -- what organisers set -------------------------------------------------------------

    @writes
    async def map_role(
        self, conference: str, guild_id: int, item_id: int, variation_id: int | None,
        role_id: int, now_ts: int, set_by: int = 0, language: str | None = None,
    ) -> bool:  # fmt: skip
        """True if the mapping is new (False: it was there already, and keeps who set
        it first). `set_by`: the organiser, told if the role is deleted (0: unknown), in
        `language` (theirs, as they set it)."""
        cursor = await self._db.execute(
            "INSERT INTO ticket_roles (conference, guild_id, item_id, variation_id, role_id,"
            " updated_ts, set_by, language) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT"
            " (conference, guild_id, item_id, variation_id, role_id) DO NOTHING",
            (conference, guild_id, item_id, variation_id or ANY_VARIATION, role_id, now_ts,
             set_by, language),
        )  # fmt: skip
        return cursor.rowcount == 1

    @writes
    async def unmap_role(
        self, conference: str, guild_id: int, item_id: int, variation_id: int | None,
        role_id: int | None = None,
    ) -> int:  # fmt: skip
        """Remove a product's mapping to one role (or to every role); how many went."""
        sql = ("DELETE FROM ticket_roles WHERE conference = ? AND guild_id = ? AND item_id = ?"
               " AND variation_id = ?")  # fmt: skip
        params: list[object] = [conference, guild_id, item_id, variation_id or ANY_VARIATION]
        if role_id is not None:
            sql += " AND role_id = ?"
            params.append(role_id)
        cursor = await self._db.execute(sql, params)
        return cursor.rowcount

    async def mappings(self, conference: str, guild_id: int) -> list[RoleMapping]:
        rows = await self._db.execute_fetchall(
            "SELECT item_id, variation_id, role_id FROM ticket_roles WHERE conference = ?"
            " AND guild_id = ? ORDER BY item_id, variation_id, role_id",
            (conference, guild_id),
        )
        return [RoleMapping(item, variation or None, role) for item, variation, role in rows]

    async def mapped_roles(self, guild_id: int) -> set[int]:
        """Every role some product gives in a server, whichever conference's."""
        rows = await self._db.execute_fetchall(
            "SELECT DISTINCT role_id FROM ticket_roles WHERE guild_id = ?", (guild_id,)
        )
        return {int(role) for (role,) in rows}

    @writes
    async def unmap_roles(self, guild_id: int, role_ids: Collection[int]) -> list[Unmapped]:
        """Remove every mapping to these roles in a server (Discord deleted them), and
        return them: only to the one caller that removed them, so organisers are told
        once however many registrations find a role gone at the same moment."""
        if not role_ids:
            return []
        rows = await self._db.execute_fetchall(
            "DELETE FROM ticket_roles WHERE guild_id = ?"
            f" AND role_id IN ({_marks(len(role_ids))}) RETURNING conference, item_id,"
            " variation_id, role_id, set_by, updated_ts, language",
            [guild_id, *role_ids],
        )
        removed = [Unmapped(str(conference), RoleMapping(int(item), int(variation) or None,
                                                         int(role)), int(by), int(ts), language)
                   for conference, item, variation, role, by, ts, language in rows]  # fmt: skip
        return sorted(removed, key=lambda u: (u.mapping.role_id, u.conference, u.mapping.item_id,
                                              u.mapping.variation_id or ANY_VARIATION))  # fmt: skip

    async def last_setter(self, guild_id: int) -> tuple[int, int, str | None] | None:
        """When, by whom and in which language one of the server's mappings or its log
        channel was last set (by someone known: set_by 0 is skipped); None if no one is
        known."""
        rows = list(await self._db.execute_fetchall(
            "SELECT updated_ts, set_by, language FROM ticket_roles WHERE guild_id = ?"
            " AND set_by != 0 UNION ALL SELECT updated_ts, set_by, language FROM"
            " ticket_log_channels WHERE guild_id = ? AND set_by != 0"
            " ORDER BY updated_ts DESC LIMIT 1",
            (guild_id, guild_id),
        ))  # fmt: skip
        return (int(rows[0][0]), int(rows[0][1]), rows[0][2]) if rows else None

    @writes
    async def set_log_channel(
        self, guild_id: int, channel_id: int | None, now_ts: int, set_by: int = 0,
        language: str | None = None,
    ) -> None:  # fmt: skip
        """Where the server's registrations are reported (and who said so, in which
        language); None: nowhere. Reporting resumes if it had stopped (log_channel_off)."""
        if channel_id is None:
            await self._db.execute("DELETE FROM ticket_log_channels WHERE guild_id = ?",
                                   (guild_id,))  # fmt: skip
        else:
            await self._db.execute(
                "INSERT INTO ticket_log_channels (guild_id, channel_id, updated_ts, set_by,"
                " language) VALUES (?, ?, ?, ?, ?) ON CONFLICT (guild_id) DO UPDATE SET"
                " channel_id = excluded.channel_id, updated_ts = excluded.updated_ts,"
                " set_by = excluded.set_by, off_reason = NULL, language = excluded.language",
                (guild_id, channel_id, now_ts, set_by, language),
            )

    async def log_channel(self, guild_id: int) -> int | None:
        """Where registrations are reported now (None: nowhere, or reporting stopped)."""
        setting = await self.log_setting(guild_id)
        return setting.channel_id if setting is not None and setting.off is None else None

    async def log_setting(self, guild_id: int) -> LogChannel | None:
        rows = list(await self._db.execute_fetchall(
            "SELECT channel_id, set_by, off_reason, language FROM ticket_log_channels"
            " WHERE guild_id = ?",
            (guild_id,),
        ))  # fmt: skip
        if not rows:
            return None
        channel_id, set_by, off, language = rows[0]
        return LogChannel(int(channel_id), int(set_by), LogTrouble(off) if off else None,
                          language)  # fmt: skip

    @writes
    async def log_channel_off(
        self, guild_id: int, channel_id: int, trouble: LogTrouble, now_ts: int
    ) -> bool:
        """Stop reporting in a channel that is gone or closed to the bot; True only for
        the call that stopped it (so whoever set it is told once)."""
        cursor = await self._db.execute(
            "UPDATE ticket_log_channels SET off_reason = ?, updated_ts = ? WHERE guild_id = ?"
            " AND channel_id = ? AND off_reason IS NULL",
            (str(trouble), now_ts, guild_id, channel_id),
        )
        return cursor.rowcount == 1

    # -- the key of the hashes -----------------------------------------------------------

    @writes
    async def keep_hash_key(self, candidate: str) -> str:
        """The key kept in the state, or `candidate` kept as it if there is none yet."""
        await self._db.execute(
            "INSERT INTO ticket_hash_key (id, hash_key) VALUES (1, ?) ON CONFLICT (id) DO NOTHING",
            (candidate,),
        )
        rows = list(await self._db.execute_fetchall("SELECT hash_key FROM ticket_hash_key"))
        return str(rows[0][0])

    # -- registrations ---------------------------------------------------------------------

    @writes
    async def claim(
        self, conference: str, guild_id: int, member_id: int,
        tickets: Sequence[tuple[str, Iterable[int]]], now_ts: int, language: str | None = None,
    ) -> Claimed:  # fmt: skip
        """Register each ticket (its hash, the roles it has given so far) to the member,
        unless another member of the server holds it: a ticket already the member's is
        theirs again with those roles (a removal still planned for it is called off); one
        whose roles were removed (refunded, then reinstated in pretix) may be anyone's; one
        another member holds, or whose removal is under way for another member, is not
        claimed. The roles Discord then gives are kept with `gave`; `language`, the
        member's, is kept for the refund DM."""
        new: list[int] = []
        own: list[int] = []
        ids: list[int | None] = []
        taken = 0
        for ticket_hash, roles in tickets:
            ids.append(None)
            text = _roles_text(roles)
            rows = list(await self._db.execute_fetchall(
                "SELECT id, member_id, state FROM ticket_registrations WHERE conference = ?"
                " AND guild_id = ? AND ticket_hash = ?",
                (conference, guild_id, ticket_hash),
            ))  # fmt: skip
            if not rows:
                inserted = list(await self._db.execute_fetchall(
                    "INSERT INTO ticket_registrations (conference, guild_id, member_id,"
                    " ticket_hash, roles, registered_ts, language) VALUES (?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT (conference, guild_id, ticket_hash) DO NOTHING RETURNING id",
                    (conference, guild_id, member_id, ticket_hash, text, now_ts, language),
                ))  # fmt: skip
                if inserted:
                    new.append(int(inserted[0][0]))
                    ids[-1] = new[-1]
                else:  # another process registered it between the two statements
                    taken += 1
                continue
            reg_id, holder, state = rows[0]
            mine = holder == member_id
            if not mine and state not in (RegistrationState.REVOKED, RegistrationState.FAILED):
                taken += 1
                continue
            cursor = await self._db.execute(
                "UPDATE ticket_registrations SET member_id = ?, roles = ?, registered_ts = ?,"
                " state = 'active', revoked_ts = 0, language = ? WHERE id = ? AND member_id = ?"
                " AND state = ?",
                (member_id, text, now_ts, language, reg_id, holder, state),
            )
            if cursor.rowcount != 1:
                taken += 1
                continue
            (own if mine else new).append(reg_id)
            ids[-1] = reg_id
        return Claimed(tuple(new), tuple(own), taken, tuple(ids))

    @writes
    async def gave(self, member_id: int, roles: Sequence[tuple[int, Iterable[int]]]) -> None:
        """Keep with each registration (id, roles) the roles it gave the member: those a
        refund or a release may take back. A registration since released, or registered
        by another member, is left alone."""
        for registration_id, given in roles:
            await self._db.execute(
                "UPDATE ticket_registrations SET roles = ? WHERE id = ? AND member_id = ?",
                (_roles_text(given), registration_id, member_id),
            )

    @writes
    async def undo(self, registration_ids: Sequence[int]) -> None:
        """Take back registrations just made (Discord would not give their roles)."""
        if registration_ids:
            await self._db.execute(
                f"DELETE FROM ticket_registrations WHERE id IN ({_marks(len(registration_ids))})",
                list(registration_ids),
            )

    async def registrations(
        self, conference: str | None = None, guild_id: int | None = None,
        member_id: int | None = None, states: Sequence[RegistrationState] | None = None,
    ) -> list[Registration]:  # fmt: skip
        clauses: list[str] = []
        params: list[object] = []
        for column, value in (("conference", conference), ("guild_id", guild_id),
                              ("member_id", member_id)):  # fmt: skip
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        if states is not None:
            clauses.append(f"state IN ({_marks(len(states))})")
            params += [str(s) for s in states]
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = await self._db.execute_fetchall(
            f"SELECT {_REGISTRATION} FROM ticket_registrations{where} ORDER BY id", params
        )
        return [_registration(r) for r in rows]

    async def registration(self, registration_id: int) -> Registration | None:
        rows = list(await self._db.execute_fetchall(
            f"SELECT {_REGISTRATION} FROM ticket_registrations WHERE id = ?", (registration_id,)
        ))  # fmt: skip
        return _registration(rows[0]) if rows else None

    async def roles_held(
        self, guild_id: int, member_id: int, besides: int, revoking: bool = False
    ) -> set[int]:
        """The roles a member holds in a server through active registrations other than
        `besides` (any conference): a refund must not take a role another ticket gives.
        With `revoking`, those whose removal is planned but not done count too (the member
        still holds them from the bot: a registration made meanwhile keeps them)."""
        states = "('active', 'revoking')" if revoking else "('active')"
        rows = await self._db.execute_fetchall(
            "SELECT roles FROM ticket_registrations WHERE guild_id = ? AND member_id = ?"
            f" AND state IN {states} AND id != ?",
            (guild_id, member_id, besides),
        )
        return {role for (text,) in rows for role in role_ids(text)}

    @writes
    async def release(self, conference: str, guild_id: int, member_id: int) -> list[Registration]:
        """Free every ticket a member registered in a server (for another account): the
        registrations are deleted, and returned."""
        rows = await self._db.execute_fetchall(
            f"DELETE FROM ticket_registrations WHERE conference = ? AND guild_id = ?"
            f" AND member_id = ? RETURNING {_REGISTRATION}",
            (conference, guild_id, member_id),
        )
        return sorted((_registration(r) for r in rows), key=lambda r: r.id)

    @writes
    async def settle(
        self, registration_id: int, state: RegistrationState, expected: RegistrationState,
        revoked_ts: int,
    ) -> bool:  # fmt: skip
        """Move a registration on from the state (and refund) it was seen in; False if
        something moved it first (a release, a new registration of the same ticket)."""
        cursor = await self._db.execute(
            "UPDATE ticket_registrations SET state = ? WHERE id = ? AND state = ?"
            " AND revoked_ts = ?",
            (state, registration_id, expected, revoked_ts),
        )
        return cursor.rowcount == 1

    async def counts(self, conference: str, guild_id: int) -> TicketCounts:
        rows = await self._db.execute_fetchall(
            "SELECT state, count(*), count(DISTINCT member_id) FROM ticket_registrations"
            " WHERE conference = ? AND guild_id = ? GROUP BY state",
            (conference, guild_id),
        )
        by_state = {RegistrationState(state): (int(n), int(members)) for state, n, members in rows}
        tickets, members = by_state.get(RegistrationState.ACTIVE, (0, 0))

        def n(state: RegistrationState) -> int:
            return by_state.get(state, (0, 0))[0]

        return TicketCounts(members, tickets, n(RegistrationState.REVOKING),
                            n(RegistrationState.REVOKED), n(RegistrationState.FAILED))  # fmt: skip

    async def conferences(self) -> list[str]:
        """The conferences some registration is kept for."""
        rows = await self._db.execute_fetchall(
            "SELECT DISTINCT conference FROM ticket_registrations ORDER BY conference"
        )
        return [str(row[0]) for row in rows]

    @writes
    async def forget(self, conference: str) -> int:
        """Delete every registration of a conference (after the event), and where its
        refund check got (there is nothing left to check); how many were deleted."""
        cursor = await self._db.execute(
            "DELETE FROM ticket_registrations WHERE conference = ?", (conference,)
        )
        await self._db.execute("DELETE FROM ticket_refund_checks WHERE conference = ?",
                               (conference,))  # fmt: skip
        return cursor.rowcount

    # -- the refund check ------------------------------------------------------------------

    async def first_active_ts(self, conference: str) -> int | None:
        """When the oldest active registration of a conference was made; None if none is
        active (then there is nothing a refund could take back)."""
        rows = list(await self._db.execute_fetchall(
            "SELECT min(registered_ts) FROM ticket_registrations WHERE conference = ?"
            " AND state = 'active'",
            (conference,),
        ))  # fmt: skip
        return int(rows[0][0]) if rows and rows[0][0] is not None else None

    async def refund_progress(self, conference: str) -> RefundProgress | None:
        rows = list(await self._db.execute_fetchall(
            "SELECT since, sweep_from, next_page FROM ticket_refund_checks WHERE conference = ?",
            (conference,),
        ))  # fmt: skip
        if not rows:
            return None
        since, sweep_from, next_page = rows[0]
        return RefundProgress(since, sweep_from, next_page)

    @writes
    async def record_refunds(
        self, conference: str, ticket_hashes: Sequence[str], progress: RefundProgress,
        now_ts: int,
    ) -> list[Registration]:  # fmt: skip
        """One page of the refund check, whole: the active registrations of these tickets
        (in any server) are marked for removal at `now_ts`, and the check's progress is
        kept with them, so a restart goes on from the next page and marks none twice.
        Returns the registrations marked."""
        marked: list[Registration] = []
        unique = sorted(set(ticket_hashes))
        for start in range(0, len(unique), 500):  # SQLite allows 32,766 parameters
            chunk = unique[start : start + 500]
            rows = await self._db.execute_fetchall(
                "UPDATE ticket_registrations SET state = 'revoking', revoked_ts = ? WHERE"
                f" conference = ? AND state = 'active' AND ticket_hash IN ({_marks(len(chunk))})"
                f" RETURNING {_REGISTRATION}",
                [now_ts, conference, *chunk],
            )
            marked += [_registration(r) for r in rows]
        await self._db.execute(
            "INSERT INTO ticket_refund_checks (conference, since, sweep_from, next_page,"
            " checked_ts) VALUES (?, ?, ?, ?, ?) ON CONFLICT (conference) DO UPDATE SET"
            " since = excluded.since, sweep_from = excluded.sweep_from,"
            " next_page = excluded.next_page, checked_ts = excluded.checked_ts",
            (conference, progress.since, progress.sweep_from, progress.next_page, now_ts),
        )
        return sorted(marked, key=lambda r: r.id)
