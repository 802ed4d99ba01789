"""Installed to a person's account: the attendee commands work in DMs and in servers that
never added the bot (answering privately there); organisers' commands stay in servers that
added it. Checked against what Discord itself enforces: the registered contexts and
installs (the fake refuses to deliver a command where Discord would not offer it)."""

from __future__ import annotations

import pytest

from bot.adapters.discord.client import ConfBot
from tests.fakediscord.server import DEFAULT_PERMISSIONS, MANAGE_GUILD, FakeDiscord

SERVER, USER = 0, 1  # installation types
GUILD, BOT_DM, PRIVATE_CHANNEL = 0, 1, 2  # interaction contexts
# Commands that change a server's setup, or post in it, or live in its Q&A threads, or give
# its roles.
SERVER_COMMANDS = {"announce", "stream", "qa", "program", "publish-events", "status", "ask",
                   "questions", "register", "tickets"}  # fmt: skip
ATTENDEE_COMMANDS = {"next", "now", "paper", "author", "session", "schedule", "search",
                     "changes", "remind", "agenda", "forget"}  # fmt: skip


async def test_the_registration_says_where_each_command_may_be_used(
    fake: FakeDiscord, bot: ConfBot
):
    registered = {c["name"]: c for c in fake.commands()}
    assert set(registered) >= SERVER_COMMANDS | ATTENDEE_COMMANDS
    for name, command in registered.items():
        if name in SERVER_COMMANDS:
            assert command["integration_types"] == [SERVER], name
            assert command["contexts"] == [GUILD], name
        else:
            assert sorted(command["integration_types"]) == [SERVER, USER], name
            assert sorted(command["contexts"]) == [GUILD, BOT_DM, PRIVATE_CHANNEL], name


async def test_a_user_install_answers_in_a_dm(fake: FakeDiscord, bot: ConfBot):
    answer = await fake.answer(await fake.send_command("next", dm=True, installed_by_user=True))
    assert not answer.ephemeral  # the person's own DM with the bot
    assert answer.embeds[0]["fields"][0]["name"].startswith("On now · Sabre")


async def test_in_a_server_that_never_added_the_bot_answers_are_private(
    fake: FakeDiscord, bot: ConfBot
):
    answer = await fake.answer(await fake.send_command("paper", title="sabre", elsewhere=True))
    assert answer.ephemeral
    assert answer.embeds[0]["title"].startswith("Sabre")


async def test_a_reminder_can_be_set_from_a_server_that_never_added_the_bot(
    fake: FakeDiscord, bot: ConfBot
):
    remind = await fake.send_command("remind", item="p:xiang", minutes_before=5, elsewhere=True)
    answer = await fake.answer(remind)
    assert answer.ephemeral and answer.data["content"].startswith("⏰ I'll DM you about **NOMAD")
    assert "this server's members" not in answer.data["content"]  # their install reaches them
    assert bot.state is not None
    (reminder,) = await bot.state.reminders.find(
        bot.service.conference.key, int(fake.attendee["id"])
    )
    assert reminder.item_ref == "p:xiang"


GROUPS = {"announce", "stream", "qa", "program", "tickets"}


@pytest.mark.parametrize("name", sorted(SERVER_COMMANDS - GROUPS))
async def test_organisers_commands_are_not_offered_through_a_personal_install(
    fake: FakeDiscord, bot: ConfBot, name: str
):
    with pytest.raises(AssertionError, match="would not offer"):
        await fake.send_command(
            name, elsewhere=True, permissions=DEFAULT_PERMISSIONS | MANAGE_GUILD
        )


async def test_an_organisers_group_is_not_offered_through_a_personal_install(
    fake: FakeDiscord, bot: ConfBot
):
    with pytest.raises(AssertionError, match="would not offer"):
        await fake.send_command("program reload", elsewhere=True,
                                permissions=DEFAULT_PERMISSIONS | MANAGE_GUILD)  # fmt: skip
