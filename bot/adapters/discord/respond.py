"""The rules for answering an interaction: the first message is the interaction response,
anything after it (or after a deferral) is a followup; and where a person brought the bot
(installed to their account) into a server or a chat that did not add it, the answer is
for them alone."""

from __future__ import annotations

from typing import Any

import discord

from bot.adapters.discord.embeds import NO_MENTIONS
from bot.render.cards import truncate
from bot.render.limits import MESSAGE_MAX


def private_here(interaction: discord.Interaction) -> bool:
    """Used through a person's install where the bot was not added (a server, a group
    chat): the others there did not ask for the bot, so they do not see its answers. In
    the person's own DM with the bot, or where the server added it, answers stay public."""
    added_here = interaction.is_guild_integration() or interaction.context.dm_channel
    return interaction.is_user_integration() and not added_here


async def send(interaction: discord.Interaction, **kwargs: Any) -> None:
    kwargs["ephemeral"] = kwargs.get("ephemeral", False) or private_here(interaction)
    if interaction.response.is_done():
        await interaction.followup.send(**kwargs)
    else:
        await interaction.response.send_message(**kwargs)


async def send_text(interaction: discord.Interaction, text: str, ephemeral: bool = True) -> None:
    await send(
        interaction,
        content=truncate(text, MESSAGE_MAX),
        ephemeral=ephemeral,
        allowed_mentions=NO_MENTIONS,
    )
