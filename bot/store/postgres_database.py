"""The state database on a PostgreSQL server (psycopg 3, async): one connection for the
writes, as SQLite has one, and a few for the reads beside it (psycopg_pool), each made
again when it is lost.

- The stores' `?` placeholders become psycopg's `%s` (a `%` of their own is escaped), once
  per statement. Values are bound by psycopg on this side (a client cursor), which is
  what lets one SQL text serve SQLite's loose typing too: `? IS NULL`, or `SELECT ?, ?`
  feeding an INSERT, need no casts; and it prepares nothing on the server, so a
  transaction-pooling PgBouncer in front of it (as some platforms put) is no trouble.
- Every connection is in autocommit: a read outside a write is a statement of its own,
  with no BEGIN or COMMIT around it. A write is a transaction (BEGIN ... COMMIT) that has
  the writing connection to itself; the statements it reads with run there too, so they
  see its rows.
- A read outside a write takes one of the reading connections (READERS by default,
  CONFBOT_STATE_READ_CONNECTIONS; 0: it takes its turn on the writing one). It never
  waits for a write in progress, and sees only what is committed (never half a write), as
  another process reading the state does.
- A lost connection (the server restarted, or ended this session) fails the write in
  progress as WriteFailure.UNREACHABLE and is made again at the next use; a write that
  had not yet begun, and a read outside a write, are simply run on the new connection. A
  read that finds its reading connection lost (or none free within READ_WAIT) is run on
  the writing connection instead, and the pool makes a new reading connection in place
  of the lost one.
- A server out of reach (stopped, restarting, taking no more clients) fails a read as
  StateUnreachable and a write as WriteFailure.UNREACHABLE, and every use tries to
  connect again, so the first use after the server is back goes through. The outage is
  logged once as it begins and once as it ends (`reachable` says which, for /status),
  never by every use that meets it. While a connection attempt is under way during an
  outage (a host that does not answer takes the connect timeout), other uses fail at
  once rather than queue behind it: a lookup must answer within Discord's 3 seconds.
  While the server is known out of reach, reads go to the writing connection too (which
  fails at once, or finds the server back), never waiting on the pool for a connection
  it cannot make.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import psycopg
from psycopg import AsyncClientCursor, AsyncConnection
from psycopg.adapt import Dumper
from psycopg.conninfo import conninfo_to_dict
from psycopg.pq import TransactionStatus
from psycopg_pool import AsyncConnectionPool, PoolClosed, PoolTimeout

from bot.store.connection import StateUnreachable, WriteFailure
from bot.store.database import Database, Done, Params, Row
from bot.store.dialect import Dialect
from bot.store.postgres_refusals import CONNECT_TIMEOUT, connect_timeout, first_line
from bot.store.postgres_resolve import with_addresses

log = logging.getLogger(__name__)

T = TypeVar("T")
Connection = AsyncConnection[Row]

_FAILURES = {
    "53100": WriteFailure.DISK_FULL,  # disk_full
    "53400": WriteFailure.DISK_FULL,  # configuration_limit_exceeded (temp_file_limit)
    "25006": WriteFailure.READ_ONLY,  # read_only_sql_transaction (a standby, a read-only role)
    "42501": WriteFailure.READ_ONLY,  # insufficient_privilege: the role may not write
    "40001": WriteFailure.LOCKED,  # serialization_failure
    "40P01": WriteFailure.LOCKED,  # deadlock_detected
    "55P03": WriteFailure.LOCKED,  # lock_not_available (lock_timeout)
    "57014": WriteFailure.LOCKED,  # query_canceled (statement_timeout)
    "58030": WriteFailure.DISK_ERROR,  # io_error
    "XX001": WriteFailure.DISK_ERROR,  # data_corrupted
    "57P01": WriteFailure.UNREACHABLE,  # admin_shutdown: the server is stopping
    "57P02": WriteFailure.UNREACHABLE,  # crash_shutdown
    "57P03": WriteFailure.UNREACHABLE,  # cannot_connect_now: the server is starting
    "53300": WriteFailure.UNREACHABLE,  # too_many_connections
}

# Seconds a use waits for a connection being made again before it is told the server is
# out of reach (the attempt goes on: see PostgresDatabase._connection): a reconnection
# takes milliseconds; a lookup must answer within Discord's 3 seconds.
CONNECT_GRACE = 1.5

# Reading connections a process keeps beside its writing one, unless the settings say
# (CONFBOT_STATE_READ_CONNECTIONS: keep the two defaults equal).
READERS = 4
# Seconds a read waits for a reading connection before it takes its turn on the writing
# one instead (the pool cannot connect, or all its connections were busy that long): a
# lookup must answer within Discord's 3 seconds.
READ_WAIT = 1.0

# The database whose write the running task is inside, if any (see transaction).
_WRITING: contextvars.ContextVar[PostgresDatabase | None] = contextvars.ContextVar(
    "confbot_state_writing", default=None
)


@functools.lru_cache(maxsize=2048)
def placeholders(sql: str) -> str:
    """`sql` with its `?` placeholders as psycopg's `%s`, and its own `%` (a LIKE pattern,
    a modulo) doubled so psycopg keeps them; both left alone inside quotes and comments,
    but for the doubled `%`, which psycopg reads everywhere."""
    out: list[str] = []
    quote = ""
    i = 0
    while i < len(sql):
        ch = sql[i]
        if ch == "%":
            out.append("%%")
        elif quote:
            out.append(ch)
            quote = "" if ch == quote else quote  # '' inside quotes: out, then in again
        elif ch in "'\"":
            out.append(ch)
            quote = ch
        elif sql.startswith("--", i):
            end = sql.find("\n", i)
            end = len(sql) if end < 0 else end
            out.append(sql[i:end].replace("%", "%%"))
            i = end
            continue
        elif ch == "?":
            out.append("%s")
        else:
            out.append(ch)
        i += 1
    return "".join(out)


class _IntegerBool(Dumper):
    """A Python bool as SQLite keeps it, 1 or 0: the schema's flags are integers."""

    oid = psycopg.postgres.types["int8"].oid

    def dump(self, obj: Any) -> bytes:
        return b"1" if obj else b"0"

    def quote(self, obj: Any) -> bytes:
        return self.dump(obj)


def lost(conn: Connection | None) -> bool:
    """Whether the connection is gone (closed by us, or broken under us)."""
    return conn is None or conn.closed or conn.broken


def connect_options(url: str) -> dict[str, Any]:
    """What every connection of the bot's adds to its address: a connect timeout unless
    the address names one, and TCP keepalives, so that a server whose host vanished (a
    network cut, a machine gone, no reset ever sent) is found gone within about half a
    minute (idle + interval * count seconds) rather than after the system's two hours."""
    timeout = {} if "connect_timeout" in url else {"connect_timeout": CONNECT_TIMEOUT}
    return {**timeout, "keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 5,
            "keepalives_count": 3}  # fmt: skip


# How the stores use every connection of the state: in autocommit, values bound on this
# side (flags as integers: see _as_stores_use).
_STORES_USE: dict[str, Any] = {"autocommit": True, "cursor_factory": AsyncClientCursor}


def _as_stores_use(conn: Connection) -> None:
    """Flags as the schema keeps them, integers."""
    conn.adapters.register_dumper(bool, _IntegerBool)


async def connect(url: str) -> Connection:
    """A connection as the stores use it (autocommit, values bound on this side, flags
    as integers). psycopg's errors are the caller's to put in words."""
    conn = await open_connection(url, **_STORES_USE)
    _as_stores_use(conn)
    return conn


Readers = AsyncConnectionPool[Connection]


async def open_readers(url: str, size: int, setup: tuple[str, ...] = ()) -> Readers:
    """`size` connections for the reads outside a write, made in the background as
    `connect` makes one (the host name resolved within the connect timeout: see
    _resolved), each running `setup` first. A read that comes before them waits for one
    (READ_WAIT at most). One found lost is replaced; one the server refuses is tried once
    more, then given up on until a read asks again (meanwhile the reads take their turn
    on the writing connection: see PostgresDatabase._read)."""

    async def resolved() -> str:
        return await _resolved(url)

    async def configure(conn: Connection) -> None:
        _as_stores_use(conn)
        for statement in setup:
            await conn.execute(statement)

    readers: Readers = AsyncConnectionPool(
        resolved,
        kwargs={**connect_options(url), **_STORES_USE},
        min_size=size,
        max_size=size,
        open=False,
        configure=configure,
        name="confbot-state-reads",
        timeout=READ_WAIT,
        reconnect_timeout=0,
    )
    await readers.open()
    return readers


async def open_connection(url: str, **options: Any) -> Connection:
    """A connection to `url` with the bot's options (connect_options, and `options`),
    made within the connect timeout whatever it waits on: the host name's resolving (see
    bot.store.postgres_resolve), then the connection, each bounded by it (libpq's own
    timeout covers the connection alone). Past it: psycopg's ConnectionTimeout; a name
    that does not resolve: its OperationalError, in psycopg's words."""
    target = await _resolved(url)
    try:
        return await asyncio.wait_for(
            AsyncConnection.connect(target, **connect_options(url), **options),
            connect_timeout(url),
        )
    except TimeoutError:
        raise psycopg.errors.ConnectionTimeout("connection timeout expired") from None


async def _resolved(url: str) -> str:
    """`url` with its host name resolved within the connect timeout (see
    bot.store.postgres_resolve): psycopg's ConnectionTimeout past it, its
    OperationalError in psycopg's words for a name that does not resolve."""
    try:
        return await asyncio.wait_for(with_addresses(url), connect_timeout(url))
    except TimeoutError:
        raise psycopg.errors.ConnectionTimeout("connection timeout expired") from None
    except OSError as exc:
        host = conninfo_to_dict(url).get("host")
        raise psycopg.OperationalError(f"failed to resolve host {host!r}: {exc}") from None


class PostgresDatabase(Database):
    def __init__(
        self,
        conn: Connection,
        url: str,
        where: str,
        setup: tuple[str, ...] = (),
        readers: Readers | None = None,
    ) -> None:
        self._conn: Connection | None = conn  # the writing connection
        self._url = url
        self.where = where
        self.dialect = Dialect.POSTGRES
        self._setup = setup  # statements every new connection runs first (read-only)
        self._turn = asyncio.Lock()  # a write's transaction, or one statement outside one
        self._down_since: float | None = None  # monotonic, while the server is out of reach
        self._attempt: asyncio.Task[Connection] | None = None  # connecting again
        # The reads outside a write (None: they take their turn on the writing connection).
        self._readers = readers
        self._readers_short = False  # none was to be had in time, last a read asked

    @property
    def reachable(self) -> bool:
        return self._down_since is None

    # -- statements ----------------------------------------------------------------------

    async def execute(self, sql: str, params: Params = ()) -> Done:
        async def run(conn: Connection) -> Done:
            cursor = await conn.execute(placeholders(sql), params)
            return Done(cursor.rowcount)

        return await self._run(run, again=False)

    async def execute_fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        async def run(conn: Connection) -> list[Row]:
            cursor = await conn.execute(placeholders(sql), params)
            return await cursor.fetchall()

        if self._readers is None or _WRITING.get() is self or not self.reachable:
            return await self._run(run, again=True)
        return await self._read(self._readers, run)

    async def _read(self, readers: Readers, statement: Callable[[Connection], Awaitable[T]]) -> T:
        """Run the read `statement` on a reading connection, beside any write in progress.
        One found lost (the pool replaces it), or none to be had within READ_WAIT, and it
        is run on the writing connection instead, as a read always was: made again there,
        or StateUnreachable when the server is gone (and the reads after it go there
        straight away, failing at once, until the server answers again)."""
        conn: Connection | None = None
        try:
            async with readers.connection() as conn:
                result = await statement(conn)
        except PoolTimeout:
            self._short_of_readers(True)
        except PoolClosed:
            pass  # closed as the bot stops, with lookups still in flight: as any read then
        except psycopg.OperationalError:
            if not (conn is not None and lost(conn)):
                raise
            log.info("state database %s: a reading connection was lost; reading on the"
                     " writing one", self.where)  # fmt: skip
        else:
            self._short_of_readers(False)
            return result
        return await self._run(statement, again=True)

    def _short_of_readers(self, short: bool) -> None:
        """Said once as reads begin to find no reading connection in time (the server
        refuses more clients, or they are all that busy), and once as they find one again."""
        if short == self._readers_short:
            return
        self._readers_short = short
        if short:
            log.warning("state database %s: no reading connection within %g s (the server"
                        " refuses more clients, or all %d are busy); the reads take their"
                        " turn on the writing one", self.where, READ_WAIT,
                        self._readers.max_size if self._readers else 0)  # fmt: skip
        else:
            log.warning("state database %s: the reading connections serve the reads again",
                        self.where)  # fmt: skip

    async def executemany(self, sql: str, seq_of_params: Iterable[Params]) -> None:
        async def run(conn: Connection) -> None:
            async with conn.cursor() as cursor:
                await cursor.executemany(placeholders(sql), list(seq_of_params))

        await self._run(run, again=False)

    async def _run(self, statement: Callable[[Connection], Awaitable[T]], again: bool) -> T:
        """Run `statement` inside the running task's write, or else on its own, waiting
        for any write in progress. `again`: a read, run once more on a new connection if
        the old one turns out lost (a write outside a transaction is never repeated: it
        may have been done). StateUnreachable when the server cannot be reached."""
        if _WRITING.get() is self:
            assert self._conn is not None
            return await statement(self._conn)
        self._refuse_while_connecting()
        async with self._turn:
            self._refuse_while_connecting()  # found out while this one waited its turn
            try:
                conn = await self._connection()
                try:
                    return await statement(conn)
                except psycopg.OperationalError:
                    if not (again and lost(conn)):
                        raise
                    log.info("state database %s: connection lost; reading again", self.where)
                    return await statement(await self._connection())
            except psycopg.OperationalError as exc:
                if not lost(self._conn):
                    raise  # the server answered, and refused (a bug, or a timeout it set)
                self._down(exc)
                raise StateUnreachable(self.where, first_line(exc)) from exc

    def _refuse_while_connecting(self) -> None:
        """During an outage, a use that would queue behind a connection attempt under way
        fails at once instead (see the module's docstring)."""
        if self._down_since is not None and self._attempt is not None and not self._attempt.done():
            raise StateUnreachable(self.where, "connecting again")

    # -- writes --------------------------------------------------------------------------

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        self._refuse_while_connecting()
        async with self._turn:
            self._refuse_while_connecting()
            try:
                conn = await self._begun()
            except psycopg.OperationalError as exc:
                if lost(self._conn):
                    self._down(exc)
                raise
            token = _WRITING.set(self)
            try:
                yield
                await conn.execute("COMMIT")
            except BaseException as exc:
                if isinstance(exc, psycopg.OperationalError) and lost(conn):
                    self._down(exc)
                await self._roll_back(conn)
                raise
            finally:
                _WRITING.reset(token)

    async def _begun(self) -> Connection:
        """A connection with a transaction begun on it. A connection found lost at BEGIN
        (the server restarted while the bot was idle) had nothing of this write yet, so
        the write begins again on a new one."""
        conn = await self._connection()
        try:
            await conn.execute("BEGIN")
        except psycopg.OperationalError:
            if not lost(conn):
                raise
            log.info("state database %s: connection lost; connecting again", self.where)
            conn = await self._connection()
            await conn.execute("BEGIN")
        return conn

    async def _roll_back(self, conn: Connection) -> None:
        """Undo a failed write; a connection that cannot say it did is closed, so that
        the next use starts on a new one rather than inside what is left of this write."""
        if lost(conn):
            return
        try:
            if conn.info.transaction_status != TransactionStatus.IDLE:
                await conn.execute("ROLLBACK")
        except psycopg.Error as exc:
            log.warning("state database %s: rollback after a failed write: %s", self.where, exc)
            await conn.close()

    def write_failure(self, exc: BaseException) -> WriteFailure | None:
        if isinstance(exc, StateUnreachable):  # refused while connecting again
            return WriteFailure.UNREACHABLE
        if not isinstance(exc, psycopg.Error):
            return None
        sqlstate = exc.sqlstate or ""
        if sqlstate in _FAILURES:
            return _FAILURES[sqlstate]
        if sqlstate.startswith("08"):  # connection_exception
            return WriteFailure.UNREACHABLE
        if isinstance(exc, psycopg.OperationalError) and lost(self._conn):
            return WriteFailure.UNREACHABLE  # lost under the write, or not to be had again
        return None

    # -- the connection ------------------------------------------------------------------

    async def _connection(self) -> Connection:
        """The connection, made again if it was lost (psycopg.OperationalError while the
        server cannot be reached). The new connection is made by a task of its own, which
        a caller awaits for CONNECT_GRACE seconds at most: past that (a host that does not
        answer takes the whole connect timeout) the caller is told the server is out of
        reach, and the attempt goes on for whoever comes next."""
        if self._conn is not None and not lost(self._conn):
            return self._conn
        if self._conn is not None:
            await self._conn.close()
            self._conn = None
        if self._attempt is None or self._attempt.done():
            self._attempt = asyncio.create_task(self._connect_again(),
                                                name="confbot-state-connect")  # fmt: skip
            self._attempt.add_done_callback(_seen)
        try:
            return await asyncio.wait_for(asyncio.shield(self._attempt), CONNECT_GRACE)
        except TimeoutError:
            raise psycopg.errors.ConnectionTimeout(
                f"no answer within {CONNECT_GRACE:g} s; still trying"
            ) from None

    async def _connect_again(self) -> Connection:
        conn = await connect(self._url)
        try:
            for statement in self._setup:
                await conn.execute(statement)
        except BaseException:
            await conn.close()
            raise
        self._conn = conn
        self._up()
        return conn

    # -- an outage, told once ------------------------------------------------------------

    def _down(self, exc: BaseException) -> None:
        """The server is out of reach: said once, as the outage begins."""
        if self._down_since is not None:
            return
        self._down_since = time.monotonic()
        log.warning("state database %s cannot be reached (%s); deliveries wait, and lookups"
                    " answer without what it keeps, until it answers again", self.where,
                    first_line(exc))  # fmt: skip

    def _up(self) -> None:
        """A connection was made: the end of an outage, said once; or else the session
        a server ended while the bot was idle, made again (nothing anyone met)."""
        if self._down_since is None:
            log.info("state database %s: connected again", self.where)
            return
        lasted = time.monotonic() - self._down_since
        self._down_since = None
        log.warning("state database %s answers again, after %.0f s out of reach; waiting"
                    " deliveries go out now", self.where, lasted)  # fmt: skip

    async def close(self) -> None:
        if self._readers is not None:
            await self._readers.close()
        if self._attempt is not None:
            self._attempt.cancel()
            await asyncio.gather(self._attempt, return_exceptions=True)
        if self._conn is not None:
            await self._conn.close()


def _seen(attempt: asyncio.Task[Connection]) -> None:
    """A connection attempt's failure is its callers' to see; one that none waited for
    any more is not reported as never retrieved."""
    if not attempt.cancelled():
        attempt.exception()
