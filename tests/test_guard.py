"""The guard on sources added from Discord: public https addresses only, checked when a
source is added and again at every connection."""

from __future__ import annotations

import ipaddress
import socket
from pathlib import Path
from typing import Any

import pytest
from aiohttp.abc import AbstractResolver, ResolveResult
from yarl import URL

from bot.live.guard import PublicResolver, SourceRefused, check_address, why_not_public
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
    ],
)
def test_addresses_that_are_not_public_are_named_for_what_they_are(address: str, kind: str):
    reason = why_not_public(ipaddress.ip_address(address))
    assert reason is not None and kind in reason


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"])
def test_public_addresses_pass(address: str):
    assert why_not_public(ipaddress.ip_address(address)) is None


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
