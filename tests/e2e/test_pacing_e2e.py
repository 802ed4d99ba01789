"""The shared pace on discord.py's real HTTP client, against the local fake Discord:
every REST request takes a token, a global 429 pauses the pace for everyone, and a
route's 429 too long to sleep on comes back as a retry after its retry_after."""

from __future__ import annotations

import discord
import pytest

from bot.adapters.discord.delivery import RATE_LIMIT_WAIT_MAX, DiscordSender, paced_trace
from bot.adapters.discord.runner import point_at
from bot.delivery.pacer import Pacer
from bot.delivery.scheduler import TryLater
from bot.render.cards import Card
from tests.e2e.conftest import restored_discord_urls
from tests.fakediscord.server import TOKEN, FakeDiscord

CARD = Card(title="⏰ NOMAD", description="Starts in 10 min")


class CountingPacer(Pacer):
    """Counts the tokens taken and the pauses asked for, and never waits."""

    def __init__(self) -> None:
        super().__init__()
        self.taken = 0
        self.pauses: list[float] = []

    async def acquire(self) -> None:
        self.taken += 1

    def pause(self, seconds: float) -> None:
        self.pauses.append(seconds)


@pytest.fixture
async def paced(fake: FakeDiscord):
    pacer = CountingPacer()
    with restored_discord_urls():
        point_at(fake.base_url)
        client = discord.Client(intents=discord.Intents.none(), http_trace=paced_trace(pacer),
                                max_ratelimit_timeout=RATE_LIMIT_WAIT_MAX)  # fmt: skip
        await client.login(TOKEN)
        yield client, pacer
        await client.close()


async def test_every_rest_request_takes_a_token_from_the_shared_pace(fake, paced):
    client, pacer = paced
    await DiscordSender(client).send_dm(int(fake.attendee["id"]), CARD)
    await DiscordSender(client).post(fake.channel_id, [CARD])
    assert len(fake.channel_messages[fake.channel_id]) == 1
    assert pacer.taken == len(fake.requests) >= 4  # login, open the DM, send it, post


async def test_a_global_429_pauses_the_pace_and_the_request_goes_through(fake, paced):
    client, pacer = paced
    fake.rate_limit_next("POST", f"/channels/{fake.channel_id}/messages", retry_after=0.01,
                         is_global=True)  # fmt: skip
    await DiscordSender(client).post(fake.channel_id, [CARD])
    assert pacer.pauses == [0.01]
    assert len(fake.channel_messages[fake.channel_id]) == 1  # discord.py retried it
    assert pacer.taken == len(fake.requests)  # the retry took its own token


async def test_a_routes_long_429_is_handed_back_with_its_retry_after(fake, paced):
    client, pacer = paced
    fake.rate_limit_next("POST", f"/channels/{fake.channel_id}/messages", retry_after=45.0)
    with pytest.raises(TryLater) as raised:
        await DiscordSender(client).post(fake.channel_id, [CARD])
    assert raised.value.retry_after == 45.0
    assert pacer.pauses == []  # one route's limit holds no one else
