"""Sending answers: one place decides embeds and the text beside them, pages, buttons,
ephemerality and mentions."""

from __future__ import annotations

from typing import Any

import discord

from bot.adapters.discord.embeds import NO_MENTIONS, card_message
from bot.adapters.discord.respond import send

# Defined with send, below views (which answer errors with it); the cogs import it here.
from bot.adapters.discord.respond import send_text as send_text
from bot.adapters.discord.speech import messages_of, reader_words
from bot.adapters.discord.views import Paginator, links_view
from bot.render.cards import Card


async def send_cards(
    interaction: discord.Interaction, cards: list[Card], ephemeral: bool = False
) -> None:
    """Answer with the first card, and a paginator when there are more."""
    kwargs: dict[str, Any] = {"ephemeral": ephemeral, "allowed_mentions": NO_MENTIONS}
    paginator = None
    w = reader_words(interaction)  # the buttons' labels
    if len(cards) > 1:
        paginator = Paginator(cards, interaction.user.id, w=w)
        kwargs["view"] = paginator
    elif (view := links_view(cards[0], w)) is not None:
        kwargs["view"] = view
    await send(interaction, **card_message(cards[:1], messages_of(interaction.client)), **kwargs)
    if paginator is not None:
        paginator.interaction = interaction
