"""What a source added from Discord may point at: a public https address, nothing else.

Anyone with Manage Server in any server can add a source, so an address is a request the
bot makes on a stranger's behalf from inside the operator's network. It must be https, and
every address its host resolves to must be public: not loopback, private, link-local (where
clouds serve their metadata, 169.254.169.254), shared, reserved or multicast, nor an IPv6
address that carries such an IPv4 address (NAT64, 6to4, SIIT, mapped). The check is
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

from bot.i18n.messages import N_
from bot.template import Sentence, Worded

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class SourceRefused(Worded):
    """An address a server may not add, as one sentence for the person who tried (a
    template, read in their language, with why an address is not public in it too)."""


class NotPublic(OSError):
    """The resolver's refusal of a name with an address that is not public: an OSError,
    as a resolver's failures are, keeping why (a Sentence) for whoever says it."""

    def __init__(self, host: str, reason: Sentence) -> None:
        super().__init__(f"{host} resolves to {reason}")
        self.host = host
        self.reason = reason


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _networks(*table: tuple[str, str]) -> tuple[tuple[Network, str], ...]:
    """Networks written as text, each with what it is, parsed once at import."""
    return tuple((ipaddress.ip_network(network), what) for network, what in table)


# Networks that are not public whatever Python's ipaddress tables say: those tables
# changed between patch releases (3.11.7 thinks 192.0.0.8 and fec0::1 are global), and
# a guard must not depend on which one the operator runs.
_NOT_PUBLIC = _networks(
    ("192.0.0.0/24", N_("an IETF protocol address (192.0.0.0/24), not public")),
    ("192.88.99.0/24", N_("a 6to4 relay address (192.88.99.0/24), not public")),
    ("fec0::/10", N_("a site-local address (fec0::/10), not public")),
    ("64:ff9b:1::/48", N_("a local-use NAT64 address (64:ff9b:1::/48), not public")),
    ("3fff::/20", N_("a documentation address (3fff::/20), not public")),
    ("5f00::/16", N_("a segment routing address (5f00::/16), not public")),
)
# IPv6 prefixes whose last 32 bits are an IPv4 address the packets end up at: NAT64's
# well-known prefix, SIIT's IPv4-translated, IPv4-mapped and IPv4-compatible addresses.
_IPV4_IN_LAST_32_BITS = _networks(
    ("64:ff9b::/96", N_("a NAT64 address")),
    ("::ffff:0:0:0/96", N_("an IPv4-translated (SIIT) address")),
    ("::ffff:0:0/96", N_("an IPv4-mapped address")),
    ("::/96", N_("an IPv4-compatible address")),
)


def embedded_ipv4(address: ipaddress.IPv6Address) -> tuple[ipaddress.IPv4Address, str] | None:
    """The IPv4 address an IPv6 address carries, and how (NAT64, 6to4, mapped...): the
    host a connection to it reaches, by translation or tunnel. None if it carries none."""
    if address in (ipaddress.IPv6Address("::"), ipaddress.IPv6Address("::1")):
        return None  # the unspecified and loopback addresses themselves, not ::0.0.0.1
    for network, kind in _IPV4_IN_LAST_32_BITS:
        if address in network:
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF), kind
    if address.sixtofour is not None:
        return address.sixtofour, N_("a 6to4 address")
    return None


def why_not_public(address: IPAddress) -> Sentence | None:
    """What kind of non-public address this is (a Sentence: English as a str, said in a
    reader's language where it is shown), or None for a public one.

    An IPv6 address that carries an IPv4 address (NAT64, SIIT, 6to4, mapped or
    compatible) is judged by the IPv4 address it carries, which is where a connection
    to it ends up: 64:ff9b::a00:1 reaches 10.0.0.1 through the NAT64 gateway. One that
    carries a public IPv4 address is accepted, because that is the public host itself:
    an IPv6-only machine behind DNS64 sees every IPv4-only site as 64:ff9b::a.b.c.d, and
    refusing those would refuse every such program while protecting nothing. The
    local-use NAT64 prefix 64:ff9b:1::/48 is refused whole: where it puts the IPv4
    address is the operator's choice, and it reaches only their own network.
    """
    if isinstance(address, ipaddress.IPv6Address) and (carried := embedded_ipv4(address)):
        inner, kind = carried
        reason = why_not_public(inner)
        if reason is None:
            return None
        values = {"reason": reason, "inner": str(inner), "kind": Sentence.of(kind, {})}
        return Sentence.of(N_("{reason} ({inner} inside {kind})"), values)
    for network, kind in _NOT_PUBLIC:
        if address in network:
            return Sentence.of(kind, {})
    found = _not_public_kind(address)
    return None if found is None else Sentence.of(found, {})


def _not_public_kind(address: IPAddress) -> str | None:
    if address.is_loopback:
        return N_("a loopback address")
    if address.is_unspecified:  # a connection to 0.0.0.0 reaches this machine
        return N_("the unspecified address (this machine)")
    if address.is_link_local:
        return N_("a link-local address (where cloud metadata is served)")
    if address.is_private:
        return N_("a private address")
    if not address.is_global or address.is_multicast:
        return N_("an address that is not public")
    return None


def check_address(url: URL) -> str:
    """The host of an https address, refused if it is not https or is a literal address
    that is not public (names are resolved and checked by `check_resolves`)."""
    if url.scheme != "https":
        raise SourceRefused(N_("{url} is not an https address; only https sources can be added."),
                            url=str(url))  # fmt: skip
    host = url.raw_host
    if not host:
        raise SourceRefused(N_("{url} has no host name."), url=str(url))
    if url.user is not None or url.password is not None:
        raise SourceRefused(N_("An address with a user name or password cannot be added."))
    try:
        literal = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return host
    reason = why_not_public(literal)
    if reason is not None:
        raise SourceRefused(N_("{host} is {reason}; only public addresses can be added."),
                            host=host, reason=reason)  # fmt: skip
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
                raise NotPublic(host, reason)
        return found

    async def close(self) -> None:
        await self._inner.close()


async def check_resolves(url: URL, resolver: AbstractResolver) -> None:
    """Refuse an address whose host is not public, with the reason: at add time."""
    host = check_address(url)
    try:
        await resolver.resolve(host, url.port or 443, socket.AF_UNSPEC)
    except NotPublic as exc:
        raise SourceRefused(N_("{host} resolves to {reason}; only public addresses can be"
                               " added."), host=exc.host, reason=exc.reason) from None  # fmt: skip
    except OSError:
        raise SourceRefused(N_("{host} does not resolve; only public addresses can be added."),
                            host=host) from None  # fmt: skip


def guarded_connector(resolver: AbstractResolver, **options: Any) -> aiohttp.TCPConnector:
    """A connector whose every connection is to a checked, public address."""
    return aiohttp.TCPConnector(resolver=resolver, **options)
