"""The one rule for answering an interaction: the first message is the interaction
response; anything after it (or after a deferral) is a followup."""

from __future__ import annotations

from typing import Any

import discord


async def send(interaction: discord.Interaction, **kwargs: Any) -> None:
    if interaction.response.is_done():
        await interaction.followup.send(**kwargs)
    else:
        await interaction.response.send_message(**kwargs)
