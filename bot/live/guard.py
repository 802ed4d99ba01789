"""What a source added from Discord may point at: a public https address, nothing else.

Anyone with Manage Server in any server can add a source, so an address is a request the
bot makes on a stranger's behalf from inside the operator's network. It must be https, and
every address its host resolves to must be public: not loopback, private, link-local (where
clouds serve their metadata, 169.254.169.254), shared, reserved or multicast. The check is
made twice: when the source is added, for a clear answer, and at every connection, through
the resolver the fetch uses, so a name that resolves to a public address once and to a
private one later (DNS rebinding) is still refused. Redirects are followed one by one and
each is checked the same way. Only the operator (CONFBOT_PROGRAM) may name files or
private hosts; tests opt in with CONFBOT_ALLOW_PRIVATE_SOURCES.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver
from yarl import URL

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class SourceRefused(Exception):
    """An address a server may not add, as one sentence for the person who tried."""


def why_not_public(address: IPAddress) -> str | None:
    """What kind of non-public address this is, or None for a public one."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_loopback:
        return "a loopback address"
    if address.is_unspecified:  # a connection to 0.0.0.0 reaches this machine
        return "the unspecified address (this machine)"
    if address.is_link_local:
        return "a link-local address (where cloud metadata is served)"
    if address.is_private:
        return "a private address"
    if not address.is_global or address.is_multicast:
        return "an address that is not public"
    return None


def check_address(url: URL) -> str:
    """The host of an https address, refused if it is not https or is a literal address
    that is not public (names are resolved and checked by `check_resolves`)."""
    if url.scheme != "https":
        raise SourceRefused(f"{url} is not an https address; only https sources can be added.")
    host = url.raw_host
    if not host:
        raise SourceRefused(f"{url} has no host name.")
    if url.user is not None or url.password is not None:
        raise SourceRefused("An address with a user name or password cannot be added.")
    try:
        literal = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return host
    reason = why_not_public(literal)
    if reason is not None:
        raise SourceRefused(f"{host} is {reason}; only public addresses can be added.")
    return host


class PublicResolver(AbstractResolver):
    """A resolver that answers only with public addresses: a name with any address that
    is not public is refused as a whole (its other answers could be picked next time)."""

    def __init__(self, inner: AbstractResolver | None = None) -> None:
        self._inner = inner or ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        found = await self._inner.resolve(host, port, family)
        for result in found:
            reason = why_not_public(ipaddress.ip_address(result["host"]))
            if reason is not None:
                raise OSError(f"{host} resolves to {reason}")
        return found

    async def close(self) -> None:
        await self._inner.close()


async def check_resolves(url: URL, resolver: AbstractResolver) -> None:
    """Refuse an address whose host is not public, with the reason: at add time."""
    host = check_address(url)
    try:
        await resolver.resolve(host, url.port or 443, socket.AF_UNSPEC)
    except OSError as exc:
        text = str(exc) if "resolves to" in str(exc) else f"{host} does not resolve"
        raise SourceRefused(f"{text}; only public addresses can be added.") from None


def guarded_connector(resolver: AbstractResolver, **options: Any) -> aiohttp.TCPConnector:
    """A connector whose every connection is to a checked, public address."""
    return aiohttp.TCPConnector(resolver=resolver, **options)
