"""A TCP proxy in front of a test PostgreSQL that can lose the answer to a COMMIT: the
server receives the COMMIT and commits (its CommandComplete proves it), and the client's
connection is then cut before that answer reaches it, as when a server or the network
dies during a commit. The client cannot tell whether its transaction was kept; what the
bot does then is what the tests look at.

It can also go silent, as a host does that vanished from the network (a machine gone, a
firewall dropping packets): the connections through it are cut, and new ones are
accepted and never answered, so a client waits out its connect timeout.

Plain protocol only (the test servers have no TLS: libpq's SSLRequest is answered 'N'
and passed on as any other bytes). A COMMIT is recognised by its text in a client's
message (the simple or the extended protocol), the server's answer by its command tag.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

COMMIT = b"COMMIT\x00"  # in a Query or Parse message, and in the CommandComplete tag


class CommitLosingProxy:
    """`url_for(url)`: the address through the proxy; `lose_next_commit()`: the next
    COMMIT any connection sends is committed and its answer lost (the connection cut);
    `lost` is set once that happened. `go_silent()` and `speak()`: see the module."""

    def __init__(self, host: str, port: int) -> None:
        self._target = (host, port)
        self._server: asyncio.Server | None = None
        self._armed = False
        self.lost = asyncio.Event()
        self._pumps: set[asyncio.Task[Any]] = set()
        self._silent = False
        self._cut = asyncio.Event()  # set to cut every connection through the proxy

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    def url_for(self, url: str) -> str:
        """`url` (postgresql://user:pw@host:port/db...) through the proxy."""
        scheme, _, rest = url.partition("://")
        userinfo, _, hostpart = rest.rpartition("@")
        _, _, tail = hostpart.partition("/")
        return f"{scheme}://{userinfo}@127.0.0.1:{self.port}/{tail}"

    def go_silent(self) -> None:
        self._silent = True
        self._cut.set()
        self._cut = asyncio.Event()

    def speak(self) -> None:
        self._silent = False
        self._cut.set()  # the connections held silent end too
        self._cut = asyncio.Event()

    def lose_next_commit(self) -> None:
        self.lost.clear()
        self._armed = True

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for task in list(self._pumps):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._silent:  # accepted, never answered, until the proxy speaks again
            await self._cut.wait()
            writer.close()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self._target)
        except OSError:
            writer.close()
            return
        committing = asyncio.Event()  # this connection sent the COMMIT whose answer goes

        async def to_server() -> None:
            while data := await reader.read(65536):
                if self._armed and COMMIT in data:
                    self._armed = False
                    committing.set()
                up_writer.write(data)
                await up_writer.drain()

        async def to_client() -> None:
            while data := await up_reader.read(65536):
                if committing.is_set() and COMMIT in data:  # committed: cut, answer unsent
                    self.lost.set()
                    return
                writer.write(data)
                await writer.drain()

        pumps = [asyncio.create_task(to_server()), asyncio.create_task(to_client()),
                 asyncio.create_task(self._cut.wait())]  # fmt: skip
        self._pumps.update(pumps)
        try:
            await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in pumps:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
                self._pumps.discard(task)
            for side in (writer, up_writer):
                side.close()
                with contextlib.suppress(Exception):
                    await side.wait_closed()
