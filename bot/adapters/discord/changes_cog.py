"""/changes: what new versions of the program changed while the bot ran, newest first."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.adapters.discord.conference_option import CONFERENCE_HELP, ConferenceArg, picked
from bot.adapters.discord.replies import send_cards, send_text
from bot.adapters.discord.speech import reader_words
from bot.clock import Clock
from bot.live.conferences import Conferences
from bot.render import delivery_cards
from bot.render.markdown import escape
from bot.store.state import StateStore


class ChangesCog(commands.Cog):
    def __init__(self, conferences: Conferences, clock: Clock, state: StateStore) -> None:
        self.conferences = conferences
        self.clock = clock
        self.state = state

    @app_commands.command(name="changes", description="Recent changes to the program, newest first")
    @app_commands.describe(
        since="Only changes since then: 14:00, thursday 9:00, or an ISO time",
        conference=CONFERENCE_HELP,
    )
    async def changes(
        self, interaction: discord.Interaction, since: str | None = None,
        conference: ConferenceArg | None = None,
    ) -> None:  # fmt: skip
        service = picked(self.conferences, interaction, conference).service
        since_ts = int(service.when(since, self.clock.now()).timestamp()) if since else 0
        found = await self.state.versions.changes(service.conference.key, since_ts)
        w = reader_words(interaction)
        if not found:
            text = w.tr("No changes to the program since then.") if since else w.tr(
                "No changes to the program so far.")  # fmt: skip
            await send_text(interaction, text, ephemeral=True)
            return
        title = "📢 " + w.tr("Changes to {conference}, newest first",
                            conference=escape(service.conference.name))  # fmt: skip
        found_cards = delivery_cards.changes_cards(found, service.conference, title, dated=True,
                                                   w=w)  # fmt: skip
        await send_cards(interaction, found_cards)
