"""The sources servers added from Discord, open in every process of a cluster.

A server adds a source (/conference add with an address) on the process that holds its
shard: that process fetches, reads and opens it (leading it, if no process does: see
bot.live.conference), records it in the state (added_sources), and tells the others
(a SOURCES notice). Each of them then opens what the table lists and it does not serve
yet, following the leader's versions from the state, and closes what it serves that the
table no longer lists (a server removed it, on whichever process). So a conference a
server added answers in every server that offers it, whichever process that server's
shard is on. A notice lost is made up for by the periodic check (bot.live.cluster),
which compares the table with what is open here the same way.

The comparison takes the turn of each address (AddressTurns), as an add or a remove in
this process does: it never opens a source an add here is opening, nor closes one an add
here is about to record.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

from bot.live.conferences import Conferences, Served, forget_files
from bot.store.conferences_store import AddedSource
from bot.store.connection import unreachable
from bot.store.coordination import Notice, NoticeKind
from bot.tasks import Background, on_every_wake

log = logging.getLogger(__name__)


class AddressTurns:
    """One add at a time per address, and none across addresses: two servers adding one
    address must not fetch it into the same files at once, but a slow or huge source at
    one address must not make another server's add wait. Removing an added source takes
    its address's turn too (ConferenceCog._source_turn), and so does the comparison with
    the state (AddedSources). A lock is dropped once no add holds or waits for it, so
    addresses tried once are not kept."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def turn(self, address: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(address, (asyncio.Lock(), 0))
        self._locks[address] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[address]
            if users == 1:
                del self._locks[address]
            else:
                self._locks[address] = (lock, users - 1)

    def __len__(self) -> int:
        """Addresses being added or waited for."""
        return len(self._locks)


class AddedSources:
    """Keeps the sources servers added open here as the state lists them (see the
    module's docstring): woken by a notice or the periodic check, one comparison at a
    time; a source that does not open is logged once, and tried again at each check."""

    def __init__(
        self, conferences: Conferences, open_added: Callable[[AddedSource], Awaitable[Served]]
    ) -> None:
        """`open_added`: open a source the table lists, under its recorded key, started
        (the bot's open_conference)."""
        self.conferences = conferences
        self.state = conferences.state
        self.turns = AddressTurns()
        self._open_added = open_added
        self._woken = asyncio.Event()
        self._loop = Background("confbot-added-sources", self._run)
        self._failing: set[str] = set()  # addresses whose open failed, logged once
        self.compared = 0  # comparisons done (tests wait on it)

    # -- told here, by this process's adds and removes ----------------------------------

    async def changed(self) -> None:
        """Tell the other processes the table changed (a source recorded or dropped); one
        that misses it finds out at its periodic check."""
        if not await self.conferences.coordinator.send(Notice(NoticeKind.SOURCES)):
            log.warning("could not tell the other processes that the added sources changed;"
                        " they find out at their next check")  # fmt: skip

    # -- told by the others (bot.live.cluster) ------------------------------------------

    def heard(self, notice: Notice) -> None:
        if notice.kind is NoticeKind.SOURCES:
            self._woken.set()

    def check(self) -> None:
        self._woken.set()

    def start(self) -> None:
        self._loop.start()

    async def stop(self) -> None:
        await self._loop.stop()

    async def _run(self) -> None:
        await on_every_wake(self._woken, self._compared)

    async def _compared(self) -> None:
        """compare(), a failure logged (the state out of reach: the next wake tries again)."""
        try:
            await self.compare()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if not unreachable(exc):  # an outage: the state database logs it, once
                log.warning("the added sources could not be compared with the state (%s);"
                            " trying again at the next notice or check", exc)  # fmt: skip
            raise

    # -- the comparison -----------------------------------------------------------------

    async def compare(self) -> None:
        """Open what the table lists and this process does not serve; close what it
        serves that the table does not list; each address that differs in its turn (the
        periodic check of a process in step costs one query)."""
        listed = {row.url: row for row in await self.state.conferences.added_sources()}
        here = {url: served for served in self.conferences if (url := _address(served))}
        for url in sorted(listed.keys() | here.keys()):
            row, served = listed.get(url), here.get(url)
            if row is not None and served is not None and row.conference == served.key:
                served.added = row  # the server that added it first decides (see decides)
                continue
            async with self.turns.turn(url):
                await self._compare_one(url)
        self.compared += 1

    async def _compare_one(self, url: str) -> None:
        """One address, as the table says now (read in its turn: an add here may have
        recorded it while this waited)."""
        row = await self.state.conferences.added_source(url)
        served = next((s for s in self.conferences if _address(s) == url), None)
        if served is not None and (row is None or row.conference != served.key):
            # No longer listed (removed in a server on another process), or listed under
            # another key (two processes added it at once, and the other's was recorded).
            await self.close(served)
            log.info("%s is no longer followed here: the added sources do not list it"
                     " (any more)", served.key)  # fmt: skip
            served = None
        if row is None:
            return
        if served is not None:
            served.added = row  # the server that added it first decides (see decides)
            return
        try:
            await self._open_added(row)
        except Exception as exc:  # one server's program never keeps the others down
            if url not in self._failing:
                log.warning("the source %s, added in server %d, does not open here (%s);"
                            " trying again at the next check", url, row.guild_id, exc)  # fmt: skip
            self._failing.add(url)
            return
        self._failing.discard(url)
        log.info("%s, added in server %d on another process, is served here too",
                 row.conference, row.guild_id)  # fmt: skip

    async def close(self, served: Served) -> None:
        """Stop serving an added source here, and forget its files (the state is the
        caller's: the table no longer lists it, or never did)."""
        await self.conferences.drop(served.key)
        forget_files(served.settings)


def _address(served: Served) -> str | None:
    """The address of a source a server added (None for the operator's)."""
    return served.settings.program_url if served.added is not None else None
