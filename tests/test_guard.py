"""The guard on sources added from Discord: public https addresses only, checked when a
source is added and again at every connection."""

from __future__ import annotations

import ipaddress
import re
import socket
from pathlib import Path
from typing import Any

import pytest
from aiohttp.abc import AbstractResolver, ResolveResult
from yarl import URL

from bot.live.guard import (
    PublicResolver,
    SourceRefused,
    check_address,
    check_resolves,
    why_not_public,
)
from bot.live.remote import FetchError, RemoteProgram


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("10.0.0.8", "private"),
        ("192.168.1.1", "private"),
        ("172.16.5.5", "private"),
        ("fd00::1", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("100.64.0.1", "not public"),  # carrier-grade NAT, shared
        ("0.0.0.0", "this machine"),
        ("::", "this machine"),
        ("224.0.0.1", "not public"),
        ("192.0.0.8", "not public"),  # IETF protocol assignments (192.0.0.0/24)
        ("192.0.0.255", "not public"),
        ("fec0::1", "site-local"),
    ],
)
def test_addresses_that_are_not_public_are_named_for_what_they_are(address: str, kind: str):
    reason = why_not_public(ipaddress.ip_address(address))
    assert reason is not None and kind in reason


# IPv6 addresses that carry an IPv4 address, which is where a connection to them ends up.
TRANSLATED_PRIVATE = [
    ("64:ff9b::a00:1", "a private address (10.0.0.1 inside a NAT64 address)"),
    ("64:ff9b::a9fe:a9fe", "a link-local address"),  # 169.254.169.254 through NAT64
    ("64:ff9b:1::a00:1", "a local-use NAT64 address"),
    ("64:ff9b:1::808:808", "a local-use NAT64 address"),  # refused whole, public or not
    ("2002:a00:1::1", "a private address (10.0.0.1 inside a 6to4 address)"),
    ("2002:7f00:1::", "a loopback address (127.0.0.1 inside a 6to4 address)"),
    ("::10.0.0.1", "a private address (10.0.0.1 inside an IPv4-compatible address)"),
    ("::127.0.0.1", "a loopback address (127.0.0.1 inside an IPv4-compatible address)"),
    ("::ffff:0:10.0.0.1", "a private address (10.0.0.1 inside an IPv4-translated (SIIT)"),
    ("::ffff:0:127.0.0.1", "a loopback address (127.0.0.1 inside an IPv4-translated"),
    ("::ffff:192.0.0.8", "not public (192.0.0.8 inside an IPv4-mapped address)"),
]


@pytest.mark.parametrize(("address", "says"), TRANSLATED_PRIVATE)
def test_a_private_ipv4_address_inside_an_ipv6_one_is_refused_for_what_it_carries(
    address: str, says: str
):
    reason = why_not_public(ipaddress.ip_address(address))
    assert reason is not None and says in reason


@pytest.mark.parametrize(
    "address",
    [
        "93.184.215.14",
        "2606:2800:21f:cb07:6820:80da:af6b:8b2c",
        # A public IPv4 address reached by translation is that public host: behind DNS64
        # every IPv4-only site is such an address (see why_not_public).
        "64:ff9b::808:808",
        "2002:808:808::1",
        "::ffff:0:8.8.8.8",
    ],
)
def test_public_addresses_pass(address: str):
    assert why_not_public(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize(("address", "says"), TRANSLATED_PRIVATE)
def test_a_literal_translated_private_address_is_refused(address: str, says: str):
    with pytest.raises(SourceRefused, match=re.escape(says)):
        check_address(URL(f"https://[{address}]/schedule.json"))


def test_only_https_addresses_may_be_added():
    with pytest.raises(SourceRefused, match="not an https address"):
        check_address(URL("http://pretalx.example/schedule.json"))
    assert check_address(URL("https://pretalx.example/schedule.json")) == "pretalx.example"


class _Resolves(AbstractResolver):
    """A resolver answering every name with one address (a DNS we control)."""

    def __init__(self, address: str) -> None:
        self.address = address
        self.asked: list[str] = []

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.asked.append(host)
        result: Any = {"hostname": host, "host": self.address, "port": port, "family": family,
                       "proto": 0, "flags": 0}  # fmt: skip
        return [result]

    async def close(self) -> None:
        pass


async def test_every_connection_is_checked_again_so_a_rebound_name_is_refused(tmp_path: Path):
    # The name was public when the source was added; now it points inside. The fetch
    # resolves through the guard, which refuses before any connection is made.
    inner = _Resolves("10.9.8.7")
    remote = RemoteProgram("https://rebound.example/schedule.json", tmp_path / "copy",
                           guard=PublicResolver(inner))  # fmt: skip
    with pytest.raises(FetchError, match=r"rebound\.example resolves to a private address"):
        await remote.download()
    assert inner.asked == ["rebound.example"]


async def test_a_guarded_fetch_refuses_plain_http_before_connecting(tmp_path: Path):
    inner = _Resolves("93.184.215.14")
    remote = RemoteProgram("http://pretalx.example/schedule.json", tmp_path / "copy",
                           guard=PublicResolver(inner))  # fmt: skip
    with pytest.raises(FetchError, match="not an https address"):
        await remote.download()
    assert inner.asked == []


@pytest.mark.parametrize(("address", "says"), TRANSLATED_PRIVATE)
async def test_a_name_resolving_to_a_translated_private_address_is_refused_when_added(
    address: str, says: str
):
    resolver = PublicResolver(_Resolves(address))
    with pytest.raises(SourceRefused, match=r"nat64\.example resolves to .*" + re.escape(says)):
        await check_resolves(URL("https://nat64.example/schedule.json"), resolver)


async def test_a_name_rebound_to_a_translated_private_address_is_refused_at_the_fetch(
    tmp_path: Path,
):
    inner = _Resolves("64:ff9b::a9fe:a9fe")  # the metadata service, through NAT64
    remote = RemoteProgram("https://nat64.example/schedule.json", tmp_path / "copy",
                           guard=PublicResolver(inner))  # fmt: skip
    with pytest.raises(FetchError, match=r"resolves to a link-local address .*169\.254\.169\.254"):
        await remote.download()
    assert inner.asked == ["nat64.example"]
