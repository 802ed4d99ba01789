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

Besides versions, the processes tell each other what any of them may change and all of
them serve: the sources servers added (SOURCES: open or close what the added_sources
table lists), and a person's or a server's choice of conference (CHOICE: read it again
from the state). And an organiser's decision on a new version, taken in a process that
does not lead the conference, is asked of the one that does (ASK), which answers
(ANSWER): see bot.live.decisions. Every notice is a hint, never the data: what it is
about is read from the state, and a lost one is made up for by the periodic check.

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
    SOURCES = "sources"  # the sources servers added changed: open or close them here too
    CHOICE = "choice"  # a person's or a server's choice changed (detail: CHOSEN_BY, id)
    ASK = "ask"  # a decision asked of the conference's leader (see bot.live.decisions)
    ANSWER = "answer"  # the leader's answer to one (see bot.live.decisions)


# The kinds sent as [conference, kind, detail] (VERSION and REPLAN keep the two-item form
# they always had): a process of an older confbot ignores them.
_WITH_DETAIL = frozenset({NoticeKind.SOURCES, NoticeKind.CHOICE, NoticeKind.ASK,
                          NoticeKind.ANSWER})  # fmt: skip


class ChosenBy(StrEnum):
    """Whose choice a CHOICE notice is about: its detail is (this, the id)."""

    PERSON = "person"
    SERVER = "server"


@dataclass(frozen=True, slots=True)
class Notice:
    kind: NoticeKind
    conference: str = ""  # none for RESYNC, SOURCES and CHOICE: every conference
    fingerprint: str = ""  # the version kept, for VERSION
    detail: tuple[str, ...] = ()  # what a CHOICE, an ASK or an ANSWER says


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

    async def send(self, notice: Notice) -> bool:
        """Tell the other processes `notice` (any kind but RESYNC, which is heard only);
        False when it could not be said."""
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

    async def send(self, notice: Notice) -> bool:
        return True

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


def message(notice: Notice) -> str:
    """Any notice as sent (see payload): VERSION and REPLAN in their two-item form, the
    others as [conference, kind, detail]."""
    if notice.kind is NoticeKind.VERSION:
        return payload(notice.conference, notice.fingerprint)
    if notice.kind is NoticeKind.REPLAN:
        return payload(notice.conference, REPLAN)
    if notice.kind not in _WITH_DETAIL:
        raise ValueError(f"a {notice.kind} notice is heard, never sent")
    return json.dumps([notice.conference, str(notice.kind), list(notice.detail)],
                      ensure_ascii=False)  # fmt: skip


def notice_of(text: str) -> Notice | None:
    """A notice as received; None for one that is not confbot's (or of a kind this
    confbot does not know: a newer one's, in a cluster being upgraded)."""
    try:
        found = json.loads(text)
    except ValueError:
        return None
    if isinstance(found, list) and len(found) == 3:
        return _detailed(found)
    if not (isinstance(found, list) and len(found) == 2 and all(isinstance(x, str) for x in found)):
        return None
    conference, what = found
    if what == REPLAN:
        return Notice(NoticeKind.REPLAN, conference)
    return Notice(NoticeKind.VERSION, conference, what)


def _detailed(found: list[object]) -> Notice | None:
    """A [conference, kind, detail] notice, or None if it is not one this confbot knows."""
    conference, kind, detail = found
    if not (isinstance(conference, str) and isinstance(kind, str) and isinstance(detail, list)
            and all(isinstance(x, str) for x in detail)):  # fmt: skip
        return None
    if kind not in {str(k) for k in _WITH_DETAIL}:
        return None
    return Notice(NoticeKind(kind), conference, detail=tuple(str(x) for x in detail))
