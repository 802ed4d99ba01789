"""A PostgreSQL server's host name resolved within the connect timeout, so a resolver that
never answers cannot hold the bot's start (or a reconnection) for the system's minutes.

psycopg resolves a host name itself before connecting, in the event loop's default
executor, which no timeout covers: a bounded wait around it gives up on time, but its
thread still waits out the resolver's tries, and a process ending then waits for that
thread (asyncio.run joins the default executor). So the name is resolved here first, in
a daemon thread no one waits for, and handed to psycopg as `hostaddr` (the name stays
`host`, for messages and TLS): psycopg then connects without resolving again.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from typing import Any

from psycopg.conninfo import conninfo_to_dict, make_conninfo

Address = tuple[Any, ...]  # getaddrinfo's (family, type, proto, canonname, sockaddr)


async def with_addresses(url: str) -> str:
    """`url` with its host name's addresses (OSError when the name does not resolve);
    the caller bounds the wait, which leaves no thread to wait for. An address naming
    an IP, a socket folder, several hosts, or a hostaddr already is returned as it is
    (psycopg has nothing to resolve, or resolves several names as it does)."""
    params = conninfo_to_dict(url)
    host = str(params.get("host") or "")
    if not host or "," in host or host.startswith("/") or params.get("hostaddr"):
        return url
    port = str(params.get("port") or "5432")
    found = await _getaddrinfo(host, port)
    addresses = list(dict.fromkeys(str(info[4][0]) for info in found))
    if not addresses or addresses == [host]:
        return url
    count = len(addresses)
    return make_conninfo(url, host=",".join([host] * count), hostaddr=",".join(addresses),
                         port=",".join([port] * count))  # fmt: skip


def _getaddrinfo(host: str, port: str) -> asyncio.Future[list[Address]]:
    """socket.getaddrinfo in a daemon thread, as a future of the event loop."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[list[Address]] = loop.create_future()

    def settle(result: list[Address] | None, error: OSError | None) -> None:
        if future.done():  # given up on already
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result or [])

    def resolve() -> None:
        try:
            result: list[Address] | None = list(
                socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP, type=socket.SOCK_STREAM)
            )
            error = None
        except OSError as exc:
            result, error = None, exc
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
            loop.call_soon_threadsafe(settle, result, error)

    threading.Thread(target=resolve, name="confbot-resolve", daemon=True).start()
    return future
