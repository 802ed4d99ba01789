"""Specced mocks of discord.Interaction for calling callbacks directly."""

from __future__ import annotations

from typing import Any
from unittest.mock import AsyncMock, MagicMock

import discord


def make_interaction(user_id: int = 42, guild_id: int | None = 4242) -> MagicMock:
    interaction = MagicMock(spec=discord.Interaction)
    interaction.user = MagicMock(spec=discord.Member)
    interaction.user.id = user_id
    interaction.guild_id = guild_id
    response = MagicMock(spec=discord.InteractionResponse)
    response.send_message = AsyncMock()
    response.edit_message = AsyncMock()
    response.defer = AsyncMock()
    response.is_done = MagicMock(return_value=False)
    interaction.response = response
    interaction.followup = MagicMock(spec=discord.Webhook)
    interaction.followup.send = AsyncMock()
    interaction.edit_original_response = AsyncMock()
    interaction.command = None
    return interaction


def sent(interaction: MagicMock) -> dict[str, Any]:
    """The keyword arguments of the one message the interaction was answered with."""
    interaction.response.send_message.assert_awaited_once()
    return interaction.response.send_message.await_args.kwargs
