"""The fake's shards, on a raw gateway connection: a connection receives the servers and
events of its own shard only, DMs go to shard 0, and a shard outside the count is refused
as Discord refuses it (close code 4010), as are fewer shards than the servers need (4011)."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from tests.fakediscord.payloads import on_shard
from tests.fakediscord.server import TOKEN, FakeDiscord

NEXT = {"id": "1", "name": "next", "type": 1, "options": []}


async def identify(ws: aiohttp.ClientWebSocketResponse, shard: list[int]) -> None:
    hello = await ws.receive_json(timeout=5)
    assert hello["op"] == 10
    await ws.send_json({"op": 2, "d": {"token": TOKEN, "intents": 0, "shard": shard,
                                       "properties": {}}})  # fmt: skip


async def event(ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
    message: dict[str, Any] = await ws.receive_json(timeout=5)
    return message


async def test_a_connection_receives_only_its_shards_servers_and_events(fake: FakeDiscord):
    fake.guild_id = on_shard(fake.guild_id, 0, 2)
    fake.second_guild_id = on_shard(fake.second_guild_id, 1, 2)
    fake.global_commands = [NEXT]
    async with aiohttp.ClientSession() as http, http.ws_connect(fake.gateway_url) as ws:
        await identify(ws, [1, 2])
        ready = await event(ws)
        assert ready["t"] == "READY" and ready["d"]["shard"] == [1, 2]
        assert ready["d"]["guilds"] == [{"id": str(fake.second_guild_id), "unavailable": True}]
        created = await event(ws)
        assert (created["t"], created["d"]["id"]) == ("GUILD_CREATE", str(fake.second_guild_id))

        # The first server's command and a DM are for shard 0, which no connection holds.
        elsewhere = await fake.send_command("next")
        dm = await fake.send_command("next", dm=True)
        assert elsewhere.shard is None and dm.shard is None
        assert fake.undelivered == [("INTERACTION_CREATE", fake.guild_id),
                                    ("INTERACTION_CREATE", None)]  # fmt: skip
        ours = await fake.send_command("next", second=True)
        received = await event(ws)
        assert received["t"] == "INTERACTION_CREATE" and received["d"]["id"] == str(ours.id)
        assert received["s"] == 3 and ours.shard == (1, 2)  # READY, GUILD_CREATE, this one
    assert not fake.connected.is_set()  # set only by the first server's connection


@pytest.mark.parametrize("shard", [[2, 2], [5, 4], [-1, 2], [0, 0]])
async def test_a_shard_outside_the_count_is_closed_with_4010(fake: FakeDiscord, shard: list[int]):
    async with aiohttp.ClientSession() as http, http.ws_connect(fake.gateway_url) as ws:
        await identify(ws, shard)
        closing = await ws.receive(timeout=5)
        assert closing.type == aiohttp.WSMsgType.CLOSE and closing.data == 4010
    assert fake.identifies == 1 and not fake.gateway_sessions


@pytest.mark.parametrize(("shard", "closed_with"), [([0, 2], 4011), ([2, 3], None)])
async def test_fewer_shards_than_the_servers_need_are_closed_with_4011(
    fake: FakeDiscord, shard: list[int], closed_with: int | None
):
    fake.shards_required = 3
    async with aiohttp.ClientSession() as http, http.ws_connect(fake.gateway_url) as ws:
        await identify(ws, shard)
        answer = await ws.receive(timeout=5)
    if closed_with is None:
        assert answer.type == aiohttp.WSMsgType.TEXT and answer.json()["t"] == "READY"
    else:
        assert answer.type == aiohttp.WSMsgType.CLOSE and answer.data == closed_with
        assert not fake.gateway_sessions


async def test_gateway_bot_reports_the_recommended_shard_count(fake: FakeDiscord):
    fake.recommended_shards = 3
    headers = {"Authorization": f"Bot {TOKEN}"}
    async with aiohttp.ClientSession(headers=headers) as http:
        answer = await (await http.get(f"{fake.base_url}/api/v10/gateway/bot")).json()
    assert answer["shards"] == 3 and answer["url"] == fake.gateway_url
