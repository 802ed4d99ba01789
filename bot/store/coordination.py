"""Which process follows which conference, and word of new versions between processes.

A conference's source is followed (polled, its versions kept with what they changed) by
exactly one process at a time, its leader; every other process serves the versions the
leader keeps, loaded from the state database (bot.live.state_follower). Two
implementations of one small interface (Coordinator):

- SoleCoordinator: the state is a SQLite file, which one process holds. It leads every
  conference, and there is no one to tell of anything.
- PostgresCoordinator (bot.store.pg_coordination): the processes of a cluster sharing a
  PostgreSQL state. Leading a conference is holding a session-level advisory lock
  (pg_try_advisory_lock) on a key derived from the database, the schema and the
  conference's key, so two test schemas on one server never collide. PostgreSQL
  releases a session's locks when its session ends, so a process that dies (or loses
  its connection) loses its conferences, and another process takes them at its next
  try. Word of a new version is a NOTIFY on a channel of the same namespace, heard by a
  LISTEN on a connection of its own (a listening connection waits on its socket and
  cannot take turns with queries): the payload is small, the conference and the
  version's fingerprint (or "replan"), and the version itself is read from the state.
  A listener that lost its connection reconnects and says it may have missed notices
  (NoticeKind.RESYNC), so the processes check the state instead.

The SQL lives in bot.store.pg_coordination, imported only by a process on PostgreSQL
(psycopg takes a fifth of a second to import); what to do with a lead or a notice is
bot.live's.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

REPLAN = "replan"  # what announce says for a re-plan of person-bound deliveries


class NoticeKind(StrEnum):
    VERSION = "version"  # a new version of a conference was kept: serve it
    REPLAN = "replan"  # its person-bound deliveries need planning again (the leader's)
    RESYNC = "resync"  # the listener was reconnected: notices may have been missed


@dataclass(frozen=True, slots=True)
class Notice:
    kind: NoticeKind
    conference: str = ""  # none for RESYNC: every conference
    fingerprint: str = ""  # the version kept, for VERSION


NoticeHandler = Callable[[Notice], None]


class CoordinationUnavailable(Exception):
    """The coordination database cannot be reached at start: one sentence, no traceback."""


class Coordinator(Protocol):
    """What bot.live asks of the processes' coordination (see the module's docstring)."""

    @property
    def sole(self) -> bool:
        """True for the one process of a SQLite state: no cluster to coordinate."""
        ...

    async def try_lead(self, conference: str) -> bool:
        """Whether this process leads the conference now: taken if no one holds it, and
        confirmed (the session that holds it is alive) if this process held it already."""
        ...

    async def release(self, conference: str) -> None:
        """Let another process lead it (a conference no longer served here)."""
        ...

    async def announce(self, conference: str, what: str) -> bool:
        """Tell the other processes: `what` is a new version's fingerprint, or REPLAN.
        False when it could not be said (the others find out at their next check)."""
        ...

    async def listen(self, handler: NoticeHandler) -> None:
        """Have `handler` told of every other process's announcements, on the event loop,
        from now on (and of a reconnection: NoticeKind.RESYNC)."""
        ...

    async def close(self) -> None: ...


class SoleCoordinator:
    """The one process of a SQLite state: it leads everything; nothing to listen to."""

    sole = True

    async def try_lead(self, conference: str) -> bool:
        return True

    async def release(self, conference: str) -> None:
        return None

    async def announce(self, conference: str, what: str) -> bool:
        return True  # no one else to tell

    async def listen(self, handler: NoticeHandler) -> None:
        return None

    async def close(self) -> None:
        return None


def lock_key(namespace: str, conference: str) -> int:
    """The advisory lock's key (a signed 64-bit number) of a conference in a namespace
    (database and schema): a hash, so any key fits, and two namespaces never share one."""
    digest = hashlib.blake2b(f"confbot-lead\0{namespace}\0{conference}".encode(), digest_size=8)
    return int.from_bytes(digest.digest(), "big", signed=True)


def channel_of(namespace: str) -> str:
    """The LISTEN/NOTIFY channel of a namespace: NOTIFY is database-wide, so two schemas
    in one database (parallel tests) each get their own."""
    return "confbot_" + hashlib.blake2b(namespace.encode(), digest_size=8).hexdigest()


def payload(conference: str, what: str) -> str:
    """A notice as sent: small (PostgreSQL allows under 8,000 bytes), and any key fits."""
    return json.dumps([conference, what], ensure_ascii=False)


def notice_of(text: str) -> Notice | None:
    """A notice as received; None for one that is not confbot's."""
    try:
        found = json.loads(text)
    except ValueError:
        return None
    if not (isinstance(found, list) and len(found) == 2 and all(isinstance(x, str) for x in found)):
        return None
    conference, what = found
    if what == REPLAN:
        return Notice(NoticeKind.REPLAN, conference)
    return Notice(NoticeKind.VERSION, conference, what)
