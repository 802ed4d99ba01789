"""The current version of a program, swapped whole.

Every command, autocomplete, scheduler pass and publish run reads the service through the
holder when it starts; a swap is one attribute assignment on the event loop, so a command
in flight keeps the service it took and the next one sees the new version.

A lookup (a search, an autocomplete) takes it with `indexed()`: a version loaded at
start has no search indexes until they are built in the background, and a lookup that
comes first awaits them being built in a daemon thread, never builds them on the event
loop, where every other server's commands would wait (a hostile program's indexes may
take seconds). A version a sync swaps in is indexed before the swap.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from bot.model import Conference
from bot.search import ProgramIndex
from bot.service import ProgramService
from bot.tasks import in_daemon_thread


class StillIndexing(Exception):
    """A lookup waited as long as it may for its conference's search indexes, and they
    are still being built: the person is told to ask again in a moment."""

    def __init__(self, conference: Conference) -> None:
        super().__init__(f"the search indexes of {conference.key} are still being built")
        self.conference = conference


def indexing(service: ProgramService) -> asyncio.Future[ProgramIndex]:
    """A version's search indexes, being built in a daemon thread of their own (see
    bot.tasks.in_daemon_thread: shutting down never waits for them)."""
    return in_daemon_thread(service.index_now, f"confbot-index-{service.conference.key}")


class ProgramHolder:
    def __init__(self, service: ProgramService, loaded_at: datetime) -> None:
        self._service = service
        self.loaded_at = loaded_at
        self.swaps = 0
        # The build of a version's indexes while it runs: every lookup waiting shares it.
        self._indexing: tuple[ProgramService, asyncio.Future[ProgramIndex]] | None = None

    @property
    def service(self) -> ProgramService:
        return self._service

    def swap(self, service: ProgramService, at: datetime) -> None:
        self._service = service
        self.loaded_at = at
        self.swaps += 1

    async def indexed(self, wait: float | None = None) -> ProgramService:
        """The current version, once its search indexes are built (see the module's
        docstring); StillIndexing if they are not after `wait` seconds (None: however
        long it takes). A waiter that gives up or is cancelled leaves the build running
        for the others; a build that failed is tried again by the next lookup."""
        service = self._service
        if service.indexed:
            return service
        if self._indexing is None or self._indexing[0] is not service:
            build = indexing(service)
            self._indexing = (service, build)
            build.add_done_callback(self._built)
        try:
            await asyncio.wait_for(asyncio.shield(self._indexing[1]), wait)
        except TimeoutError:
            raise StillIndexing(service.conference) from None
        return service

    def _built(self, build: asyncio.Future[ProgramIndex]) -> None:
        if self._indexing is not None and self._indexing[1] is build:
            self._indexing = None
        if not build.cancelled():
            build.exception()  # retrieved: a failure is the waiters' to report
