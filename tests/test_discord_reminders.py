"""The reminders cog's callbacks with specced mocks: resolution and the manager check."""

from __future__ import annotations

from pathlib import Path

import discord
import pytest
from discord import app_commands

from bot.adapters.discord.client import ConfBot
from bot.adapters.discord.reminders_cog import RemindersCog
from bot.adapters.discord.tree import NothingFound
from bot.clock import FixedClock
from bot.settings import Settings
from tests.conftest import pacific
from tests.discord_mocks import make_interaction, sent


@pytest.fixture
async def cog(tmp_path: Path):
    settings = Settings.from_env({"CONFBOT_DB": str(tmp_path / "c.db")}, dotenv_path=tmp_path / "x")
    bot = ConfBot(settings, clock=FixedClock(pacific("2024-07-10T10:50")))
    await bot.setup_hook()
    found = bot.get_cog("RemindersCog")
    assert isinstance(found, RemindersCog)
    yield found
    await bot.close()


def with_permissions(interaction, **perms):
    interaction.permissions = discord.Permissions(**perms)
    interaction.guild_id = 5
    interaction.guild = None
    return interaction


async def test_remind_accepts_a_typed_title(cog: RemindersCog):
    interaction = make_interaction()
    interaction.guild_id = 5
    await cog.remind.callback(cog, interaction, item="nomad tiering", minutes_before=10)
    assert "I'll DM you about **NOMAD" in sent(interaction)["content"]
    (reminder,) = await cog.state.reminders.find("osdi24", 42)
    assert reminder.item_ref == "p:xiang"


async def test_remind_with_nothing_matching_suggests(cog: RemindersCog):
    with pytest.raises(NothingFound):
        await cog.remind.callback(cog, make_interaction(), item="zzzz qqqq", minutes_before=10)


async def test_announce_is_refused_without_manage_server(cog: RemindersCog):
    interaction = with_permissions(make_interaction(), send_messages=True)
    with pytest.raises(app_commands.MissingPermissions):
        await cog.announce_off.callback(cog, interaction)


async def test_announce_and_status_are_shown_to_managers_by_default(cog: RemindersCog):
    # Where they may run (servers only) is checked on the registration payload, in
    # tests/e2e/test_commands_e2e.py, since that is what Discord acts on.
    assert cog.announce.default_permissions == discord.Permissions(manage_guild=True)
    assert cog.status.default_permissions == discord.Permissions(manage_guild=True)


async def test_announce_off_works_for_a_manager(cog: RemindersCog):
    interaction = with_permissions(make_interaction(), manage_guild=True)
    await cog.announce_off.callback(cog, interaction)
    assert sent(interaction)["content"] == "Announcements were not on."
