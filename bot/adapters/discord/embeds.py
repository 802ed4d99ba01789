"""Cards (plain data from bot.render.cards) -> discord.py embeds, the text beside them,
and link buttons."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import discord

from bot.i18n import ENGLISH, Messages, bundled_messages
from bot.render.cards import Card
from bot.render.summary import summary

# Every message confbot sends pings no one: titles and queries are text, not mentions.
NO_MENTIONS = discord.AllowedMentions.none()


def to_embed(card: Card) -> discord.Embed:
    embed = discord.Embed(
        title=card.title, description=card.description or None, url=card.url, colour=card.colour
    )
    for field in card.fields:
        embed.add_field(name=field.name, value=field.value, inline=field.inline)
    if card.footer:
        embed.set_footer(text=card.footer)
    return embed


def card_message(cards: Sequence[Card], messages: Messages | None = None) -> dict[str, Any]:
    """A message of cards, as every send and edit of one passes it to discord.py: the
    embeds, and their summary as the message's text, for whoever does not see embeds
    (see bot.render.summary), its own words in the cards' language (`messages`: the
    bot's catalogs). An edit sets both, so the text never tells of the page or version
    the embed no longer shows. One card is `embed`, as discord.py names it."""
    words = (messages or bundled_messages()).words(cards[0].language) if cards else ENGLISH
    text = summary(cards, words) or None
    if len(cards) == 1:
        return {"content": text, "embed": to_embed(cards[0])}
    return {"content": text, "embeds": [to_embed(card) for card in cards]}


def link_buttons(card: Card) -> list[discord.ui.Button[discord.ui.View]]:
    return [
        discord.ui.Button(style=discord.ButtonStyle.link, label=label, url=url)
        for label, url in card.links
    ]
