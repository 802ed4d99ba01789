"""The coordination of a cluster's processes through PostgreSQL: advisory locks for who
leads which conference, LISTEN/NOTIFY for word of new versions (see
bot.store.coordination for what each means)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import psycopg
from psycopg import sql

from bot.store.coordination import (
    CoordinationUnavailable,
    Notice,
    NoticeHandler,
    NoticeKind,
    channel_of,
    lock_key,
    message,
    notice_of,
    payload,
)
from bot.store.postgres_database import open_connection
from bot.store.postgres_refusals import connect_failure, first_line
from bot.tasks import stopped

log = logging.getLogger(__name__)

RECONNECT_DELAY = 2.0  # seconds between two tries to reconnect the listener
# What a lost or refused connection raises; anything else (a wrong statement) is a bug.
_LOST = (psycopg.OperationalError, psycopg.InterfaceError)

Connection = psycopg.AsyncConnection[tuple[Any, ...]]


class PostgresCoordinator:
    """A process of a cluster on a PostgreSQL state (see bot.store.coordination): one
    connection holds the locks and sends the notices, another listens."""

    sole = False

    def __init__(self, url: str, namespace: str, reconnect_delay: float = RECONNECT_DELAY) -> None:
        """Use `open`, which finds the namespace."""
        self._url = url
        self.namespace = namespace
        self.channel = channel_of(namespace)
        self._reconnect_delay = reconnect_delay
        self._conn: Connection | None = None  # the session holding the locks
        self._turn = asyncio.Lock()  # one statement at a time on it, and one reconnection
        self._led: set[str] = set()
        # Led until a session was lost: each is refused once (see try_lead).
        self._interrupted: set[str] = set()
        self._unreachable = False  # a failure streak, logged once
        self._listener: asyncio.Task[None] | None = None
        self.listening = asyncio.Event()  # set while the listener listens (tests wait on it)
        self.listener_pid: int | None = None  # its session's server process (tests end it)
        self._closed = False

    @classmethod
    async def open(cls, url: str, reconnect_delay: float = RECONNECT_DELAY) -> PostgresCoordinator:
        """Connected, its namespace read from the session (current database and schema);
        CoordinationUnavailable, in one sentence, when the server cannot be reached."""
        try:
            conn = await _connect(url)
        except _LOST as exc:
            raise CoordinationUnavailable(connect_failure(exc, url)) from None
        try:
            cursor = await conn.execute("SELECT current_database(), coalesce(current_schema(), '')")
            row = await cursor.fetchone()
        except BaseException as exc:
            # Lost right after connecting: one sentence, as a refused connection, and
            # the connection closed, not left to the collector.
            with contextlib.suppress(*_LOST):
                await conn.close()
            if isinstance(exc, _LOST):
                raise CoordinationUnavailable(connect_failure(exc, url)) from None
            raise
        assert row is not None
        coordinator = cls(url, f"{row[0]}/{row[1]}", reconnect_delay)
        coordinator._conn = conn
        return coordinator

    @property
    def backend_pid(self) -> int | None:
        """The server process of the session holding the locks (tests end it)."""
        conn = self._conn
        return None if conn is None or conn.closed else conn.info.backend_pid

    @property
    def led(self) -> frozenset[str]:
        return frozenset(self._led)

    # -- leading ------------------------------------------------------------------------

    async def try_lead(self, conference: str) -> bool:
        """See Coordinator.try_lead. A conference this process led until its session was
        lost is refused once, even if its lock is free again: another process may have
        led it meanwhile and kept versions, so this one must step down and catch up
        (bot.live: Served.lead) before it leads again."""
        async with self._turn:
            conn = await self._session()
            if conn is None:
                return False
            if conference in self._interrupted:
                self._interrupted.discard(conference)
                return False
            try:
                if conference in self._led:
                    # Held while the session lives; a lock taken twice would need two
                    # unlocks, so it is not taken again.
                    await conn.execute("SELECT 1")
                    return True
                cursor = await conn.execute(
                    "SELECT pg_try_advisory_lock(%s)", (lock_key(self.namespace, conference),)
                )
                row = await cursor.fetchone()
            except _LOST as exc:
                await self._lost(exc)
                return False
            if row is not None and row[0]:
                self._led.add(conference)
                return True
            return False

    async def release(self, conference: str) -> None:
        async with self._turn:
            self._interrupted.discard(conference)
            if conference not in self._led:
                return
            self._led.discard(conference)
            conn = self._conn
            if conn is None or conn.closed:
                return
            try:
                await conn.execute(
                    "SELECT pg_advisory_unlock(%s)", (lock_key(self.namespace, conference),)
                )
            except _LOST as exc:
                await self._lost(exc)

    async def announce(self, conference: str, what: str) -> bool:
        return await self._notify(payload(conference, what))

    async def send(self, notice: Notice) -> bool:
        return await self._notify(message(notice))

    async def _notify(self, text: str) -> bool:
        async with self._turn:
            conn = await self._session()
            if conn is None:
                return False
            try:
                # Autocommit: sent at once, not at the end of a transaction.
                await conn.execute("SELECT pg_notify(%s, %s)", (self.channel, text))
            except _LOST as exc:
                await self._lost(exc)
                return False
            return True

    async def _session(self) -> Connection | None:
        """The session holding the locks, connected again if it was lost (holding none
        then); None while the server cannot be reached."""
        if self._closed:
            return None
        if self._conn is not None and not self._conn.closed:
            return self._conn
        self._drop_locks()  # a new session holds no lock, whatever the old one held
        try:
            self._conn = await _connect(self._url)
        except _LOST as exc:
            if not self._unreachable:
                log.warning("coordination: PostgreSQL cannot be reached (%s); this process"
                            " leads no conference until it can", first_line(exc))  # fmt: skip
            self._unreachable = True
            return None
        if self._unreachable:
            log.info("coordination: PostgreSQL answers again")
        self._unreachable = False
        return self._conn

    async def _lost(self, exc: BaseException) -> None:
        """The session is gone, and every lock it held with it: another process may lead
        those conferences already. The next try connects again."""
        if self._led:
            log.warning("coordination: the connection holding this process's conferences was"
                        " lost (%s); %s may be led elsewhere now", first_line(exc),
                        ", ".join(sorted(self._led)))  # fmt: skip
        self._drop_locks()
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(*_LOST):
                await conn.close()

    def _drop_locks(self) -> None:
        self._interrupted |= self._led
        self._led.clear()

    # -- listening ----------------------------------------------------------------------

    async def listen(self, handler: NoticeHandler) -> None:
        if self._listener is None and not self._closed:
            self._listener = asyncio.create_task(self._listen(handler),
                                                 name="confbot-coordination-listener")  # fmt: skip

    async def _listen(self, handler: NoticeHandler) -> None:
        """LISTEN, and hand every other process's notice to `handler`, for good: a lost
        connection is connected again, and what may have been missed meanwhile is said
        (RESYNC) once listening again, so nothing sent after it is missed."""
        reconnected = False
        said = False  # this streak of failures was logged
        while True:
            try:
                async with await _connect(self._url) as conn:
                    await conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self.channel)))
                    self.listener_pid = conn.info.backend_pid
                    self.listening.set()
                    said = False
                    if reconnected:
                        log.info("coordination: listening again; checking for missed versions")
                        _tell(handler, Notice(NoticeKind.RESYNC))
                    async for notify in conn.notifies():
                        notice = self._heard(notify)
                        if notice is not None:
                            _tell(handler, notice)
            except psycopg.Error as exc:
                # Once a streak: lost while listening, or never connected (a server that
                # took the state's connection and no more), not at every try after. Any
                # other failure of the server's (LISTEN refused, a session ended by an
                # administrator's statement) is tried again the same way: a listener that
                # stopped would leave this process deaf to every notice until it ends.
                if not said:
                    if isinstance(exc, _LOST):
                        lost = "lost" if self.listening.is_set() else "not to be had"
                    else:
                        lost = "refused"
                    log.warning("coordination: the listening connection was %s (%s); trying"
                                " again every %.0f s", lost, first_line(exc),
                                self._reconnect_delay)  # fmt: skip
                said = True
            self.listening.clear()
            reconnected = True
            await asyncio.sleep(self._reconnect_delay)

    def _heard(self, notify: psycopg.Notify) -> Notice | None:
        """A notice from another process (this one's own are not news here)."""
        if notify.channel != self.channel or notify.pid == self.backend_pid:
            return None
        return notice_of(notify.payload)

    async def close(self) -> None:
        """Stop listening, let go of every lock, and end the session, so another process
        may lead this one's conferences at its next try. The locks are let go first, and
        answered: a session's end releases them too, but only once the server has
        noticed it, which a process starting right after may beat."""
        self._closed = True
        if self._listener is not None:
            listener, self._listener = self._listener, None
            await stopped(listener)
        async with self._turn:
            self._led.clear()
            conn, self._conn = self._conn, None
            if conn is not None:
                with contextlib.suppress(*_LOST):
                    await conn.execute("SELECT pg_advisory_unlock_all()")
                with contextlib.suppress(*_LOST):
                    await conn.close()


def _tell(handler: NoticeHandler, notice: Notice) -> None:
    """A handler's failure is a bug of its own, logged: it must not end the listening."""
    try:
        handler(notice)
    except Exception:
        log.exception("coordination: handling %s failed", notice)


# The server's side of the keepalives, for this session: the server ends the session of
# a process whose host vanished (power lost, network cut: no reset ever sent) within
# about half a minute, and with it the conferences it led, instead of holding their
# locks for the system's two hours while no process follows them.
SERVER_KEEPALIVES = (
    "SET tcp_keepalives_idle = 10",
    "SET tcp_keepalives_interval = 5",
    "SET tcp_keepalives_count = 3",
)


async def _connect(url: str) -> Connection:
    """A connection of its own, in autocommit (a lock or a notice takes effect at once)."""
    # The state's connect timeout and keepalives (a peer that vanished is found dead
    # within about half a minute, not hours later), on both ends.
    conn = await open_connection(url, autocommit=True, application_name="confbot-coordination")
    try:
        for statement in SERVER_KEEPALIVES:
            await conn.execute(statement)
    except BaseException:
        await conn.close()
        raise
    return conn
