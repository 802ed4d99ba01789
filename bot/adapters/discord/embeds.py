"""Cards (plain data from bot.render.cards) -> discord.py embeds and link buttons."""

from __future__ import annotations

import discord

from bot.render.cards import Card

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


def link_buttons(card: Card) -> list[discord.ui.Button[discord.ui.View]]:
    return [
        discord.ui.Button(style=discord.ButtonStyle.link, label=label, url=url)
        for label, url in card.links
    ]
