"""Reminders and announcements through discord.py: a real DM and a real channel post."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.adapters.discord.client import ConfBot
from tests.e2e.conftest import running_bot, wait_for
from tests.fakediscord.server import DEFAULT_PERMISSIONS, MANAGE_GUILD, FakeDiscord


@pytest.fixture
async def bot(fake: FakeDiscord, tmp_path: Path):
    """The bot at 10:50 on July 10, delivering without pacing."""
    async with running_bot(fake, tmp_path, CONFBOT_DELIVERY_PACE="0") as instance:
        yield instance


def messages_in(fake: FakeDiscord, channel_id: int) -> list[dict]:
    return fake.channel_messages.get(channel_id, [])


async def test_a_reminder_dm_goes_out_through_discord(fake: FakeDiscord, bot: ConfBot):
    # NOMAD starts at 11:05; 20 minutes before is already past at 10:50: due at once.
    answer = await fake.answer(await fake.send_command("remind", item="p:xiang", minutes_before=20))
    assert answer.ephemeral
    assert "I'll DM you about **NOMAD" in answer.data["content"]
    user_id = int(fake.attendee["id"])
    await wait_for(
        lambda: user_id in fake.dm_channels and messages_in(fake, fake.dm_channels[user_id]),
        what="the reminder DM",
    )
    (dm,) = messages_in(fake, fake.dm_channels[user_id])
    assert dm["embeds"][0]["title"].startswith("⏰ NOMAD")
    assert dm["_body"]["allowed_mentions"] == {"parse": []}


async def test_agenda_and_forget_through_discord(fake: FakeDiscord, bot: ConfBot):
    await fake.answer(await fake.send_command("remind", item="s:distributed-systems"))
    agenda = await fake.answer(await fake.send_command("agenda"))
    assert agenda.ephemeral
    assert agenda.embeds[0]["fields"][0]["name"] == "Distributed Systems"
    choices = await fake.answer(await fake.send_autocomplete("forget item", "item", "distr"))
    assert choices.choices[0]["value"] == "s:distributed-systems"
    forgot = await fake.answer(await fake.send_command("forget item", item="s:distributed-systems"))
    assert "Removed your reminder for **Distributed Systems**" in forgot.data["content"]


async def test_remind_refuses_a_talk_that_already_started(fake: FakeDiscord, bot: ConfBot):
    answer = await fake.answer(await fake.send_command("remind", item="p:lazarev"))
    assert answer.ephemeral
    assert "already started" in answer.data["content"]


async def test_remind_autocomplete_offers_only_items_not_started(fake: FakeDiscord, bot: ConfBot):
    answer = await fake.answer(await fake.send_autocomplete("remind", "item", ""))
    values = [c["value"] for c in answer.choices]
    assert "p:lazarev" not in values  # Sabre is on stage at 10:50
    assert values[0] == "p:xiang"
    assert any(v.startswith("s:") for v in values)


async def test_a_channel_announcement_goes_out_through_discord(fake: FakeDiscord, bot: ConfBot):
    organiser = fake.owner
    answer = await fake.answer(await fake.send_command(
        "announce channel", user=organiser, permissions=DEFAULT_PERMISSIONS | MANAGE_GUILD,
        channel=fake.channel_id, minutes_before=200,
    ))  # fmt: skip
    assert answer.ephemeral and "I'll post each OSDI '24 session" in answer.data["content"]
    # Low-Latency LLM Serving starts at 14:00; 200 minutes before is 10:40: due at once.
    await wait_for(lambda: messages_in(fake, fake.channel_id), what="the announcement")
    (message,) = messages_in(fake, fake.channel_id)
    assert message["embeds"][0]["title"] == "📣 Low-Latency LLM Serving"
    status = await fake.answer(await fake.send_command(
        "status", user=organiser, permissions=DEFAULT_PERMISSIONS | MANAGE_GUILD))  # fmt: skip
    fields = {f["name"]: f["value"] for f in status.embeds[0]["fields"]}
    assert fields["Announcements"].startswith(f"On in <#{fake.channel_id}>, 200 min before")
    assert "1 sent" in fields["Announcement deliveries"]


async def test_announce_needs_manage_server(fake: FakeDiscord, bot: ConfBot):
    answer = await fake.answer(await fake.send_command("announce off", user=fake.attendee))
    assert answer.ephemeral
    assert "permission" in answer.data["content"]


async def test_closed_dms_are_told_on_the_next_command(fake: FakeDiscord, bot: ConfBot):
    user_id = int(fake.attendee["id"])
    fake.closed_dms.add(user_id)
    await fake.answer(await fake.send_command("remind", item="p:xiang", minutes_before=20))
    await wait_for(lambda: bot.scheduler is not None and user_id in bot.scheduler.failed_users,
                   what="the failed DM")  # fmt: skip
    nxt = await fake.send_command("now")
    await fake.answer(nxt)
    await asyncio.wait_for(nxt.followed_up.wait(), 5)
    assert nxt.followups[0]["content"].startswith("⚠️ I couldn't DM you these reminders")
    assert "NOMAD" in nxt.followups[0]["content"]


async def test_agenda_export_sends_my_reminders_as_ics(fake: FakeDiscord, bot: ConfBot):
    import icalendar

    await fake.answer(await fake.send_command("remind", item="s:distributed-systems"))
    await fake.answer(await fake.send_command("remind", item="p:agrawal"))
    answer = await fake.answer(await fake.send_command("agenda", export=True))
    assert answer.ephemeral
    (attachment,) = answer.callback["_files"]
    events = icalendar.Calendar.from_ical(attachment["content"]).walk("VEVENT")
    assert [str(e["UID"]) for e in events] == [
        "osdi24-talk-agrawal@confbot",
        "osdi24-session-distributed-systems@confbot",
    ]


async def test_agenda_export_with_no_reminders_explains(fake: FakeDiscord, bot: ConfBot):
    answer = await fake.answer(await fake.send_command("agenda", export=True))
    assert answer.ephemeral
    assert "no reminders to export" in answer.data["content"]


async def test_remind_past_the_cap_says_so_and_how_to_make_room(fake: FakeDiscord, tmp_path: Path):
    async with running_bot(fake, tmp_path, CONFBOT_MAX_REMINDERS="1"):
        first = await fake.answer(await fake.send_command("remind", item="s:distributed-systems"))
        assert "I'll DM you" in first.data["content"]
        again = await fake.answer(await fake.send_command("remind", item="s:distributed-systems"))
        assert "I'll DM you" in again.data["content"]  # the same item again is not one more
        refused = await fake.answer(await fake.send_command("remind", item="p:xiang"))
    assert refused.ephemeral
    assert "You already have 1 active reminder, the most one person" in refused.data["content"]
    assert "`/forget`" in refused.data["content"]
