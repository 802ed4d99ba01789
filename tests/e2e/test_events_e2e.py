"""/publish-events through discord.py: created, updated not duplicated, and removed."""

from __future__ import annotations

import asyncio
from datetime import datetime

import pytest

from bot.adapters.discord.client import ConfBot
from tests.conftest import pacific
from tests.fakediscord.server import DEFAULT_PERMISSIONS, FakeDiscord

MANAGE_EVENTS = 1 << 33


@pytest.fixture(autouse=True)
def conference_time(fake: FakeDiscord):
    """Discord refuses events that start in the past; the fake judges by the bot's time."""
    fake.now = pacific("2024-07-10T10:50")


async def publish(fake: FakeDiscord, action: str | None = None):
    options = {"action": action} if action else {}
    interaction = await fake.send_command(
        "publish-events",
        user=fake.owner,
        permissions=DEFAULT_PERMISSIONS | MANAGE_EVENTS,
        **options,
    )
    await fake.answer(interaction)
    assert interaction.callback["type"] == 5  # deferred: the REST calls take a while
    await asyncio.wait_for(interaction.followed_up.wait(), 10)
    return interaction.followups[0]["content"]


async def test_first_publish_creates_one_event_per_future_session(fake: FakeDiscord, bot: ConfBot):
    summary = await publish(fake)
    assert summary.startswith("📅 Events: 10 created, 0 updated.")
    assert "Skipped 1 that already started: Memory Management" in summary
    events = list(fake.scheduled_events.values())
    assert len(events) == 10
    llm = next(e for e in events if e["name"] == "Low-Latency LLM Serving")
    assert llm["entity_type"] == 3
    assert llm["entity_metadata"]["location"] == "Grand Ballroom ABGH, Hyatt Regency Santa Clara"
    assert datetime.fromisoformat(llm["scheduled_start_time"]) == pacific("2024-07-10T14:00")
    assert datetime.fromisoformat(llm["scheduled_end_time"]) == pacific("2024-07-10T15:40")
    assert "• 14:00 Taming Throughput-Latency Tradeoff" in llm["description"]
    assert "approximate" in llm["description"]


async def test_publishing_again_updates_instead_of_duplicating(fake: FakeDiscord, bot: ConfBot):
    await publish(fake)
    ids = set(fake.scheduled_events)
    summary = await publish(fake)
    assert summary.startswith("📅 Events: 0 created, 10 updated.")
    assert set(fake.scheduled_events) == ids
    assert [kind for kind, _ in fake.event_calls].count("create") == 10


async def test_an_event_deleted_by_hand_is_recreated(fake: FakeDiscord, bot: ConfBot):
    await publish(fake)
    fake.scheduled_events.pop(next(iter(fake.scheduled_events)))
    summary = await publish(fake)
    assert summary.startswith("📅 Events: 1 created, 9 updated.")
    assert len(fake.scheduled_events) == 10


async def test_remove_deletes_the_published_events(fake: FakeDiscord, bot: ConfBot):
    await publish(fake)
    summary = await publish(fake, "remove")
    assert summary == "🗑️ Removed 10 events."
    assert fake.scheduled_events == {}
    assert (await publish(fake)).startswith("📅 Events: 10 created")


async def test_publish_events_needs_manage_events_or_server(fake: FakeDiscord, bot: ConfBot):
    answer = await fake.answer(await fake.send_command("publish-events", user=fake.attendee))
    assert answer.ephemeral
    assert "permission" in answer.data["content"]
    assert fake.scheduled_events == {}
