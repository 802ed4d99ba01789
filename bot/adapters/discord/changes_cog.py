"""/changes: what new versions of the program changed while the bot ran, newest first."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.adapters.discord.replies import send_cards, send_text
from bot.clock import Clock
from bot.live.holder import FollowsProgram, ProgramHolder
from bot.render import cards
from bot.store.state import StateStore


class ChangesCog(commands.Cog, FollowsProgram):
    def __init__(self, holder: ProgramHolder, clock: Clock, state: StateStore) -> None:
        self.holder = holder
        self.clock = clock
        self.state = state

    @app_commands.command(name="changes", description="Recent changes to the program, newest first")
    @app_commands.describe(since="Only changes since then: 14:00, thursday 9:00, or an ISO time")
    async def changes(self, interaction: discord.Interaction, since: str | None = None) -> None:
        service = self.service
        since_ts = int(service.when(since, self.clock.now()).timestamp()) if since else 0
        found = await self.state.changes(service.conference.key, since_ts)
        if not found:
            text = "No changes to the program" + (" since then." if since else " so far.")
            await send_text(interaction, text, ephemeral=True)
            return
        title = f"📢 Changes to {cards.escape(service.conference.name)}, newest first"
        await send_cards(interaction, cards.changes_cards(found, service.conference, title))
