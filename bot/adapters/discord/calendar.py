"""Calendar files in Discord: the persistent "Add to calendar" button and attachments."""

from __future__ import annotations

import io
import re
from datetime import datetime
from typing import Protocol

import discord

from bot.adapters.discord.embeds import NO_MENTIONS
from bot.adapters.discord.respond import send
from bot.clock import Clock
from bot.render import ics
from bot.service import ProgramService

BUTTON_ID = re.compile(r"ics:(?P<ref>[ps]:[-\w]+)")


class ProgramClient(Protocol):
    service: ProgramService
    clock: Clock


def item_calendar(service: ProgramService, ref: str, now: datetime) -> tuple[bytes, str] | None:
    item = service.remindable(ref)
    if item is None:
        return None
    data = ics.calendar([item], service.conference, item.title, now, service.session_talks)
    return data, ics.filename(service.conference, item.key)


async def send_calendar(
    interaction: discord.Interaction, data: bytes, name: str, text: str
) -> None:
    """An .ics as a private attachment (a followup if the interaction was deferred)."""
    file = discord.File(io.BytesIO(data), filename=name)
    await send(interaction, content=text, file=file, ephemeral=True, allowed_mentions=NO_MENTIONS)


class CalendarButton(discord.ui.DynamicItem[discord.ui.Button], template=BUTTON_ID.pattern):
    """Works on any message, also after a restart: the item is in the custom id."""

    def __init__(self, ref: str) -> None:
        super().__init__(
            discord.ui.Button(
                label="Add to calendar",
                emoji="📅",
                style=discord.ButtonStyle.secondary,
                custom_id=f"ics:{ref}",
            )
        )
        self.ref = ref

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]
    ) -> CalendarButton:
        return cls(match["ref"])

    async def callback(self, interaction: discord.Interaction) -> None:
        client: ProgramClient = interaction.client  # type: ignore[assignment]
        found = item_calendar(client.service, self.ref, client.clock.now())
        if found is None:
            await interaction.response.send_message(
                "That item is no longer in the program.", ephemeral=True
            )
            return
        data, name = found
        await send_calendar(
            interaction, data, name, "📅 Open this file to add it to your calendar."
        )
