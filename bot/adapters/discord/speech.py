"""Whose language an answer is in: the reader's (the interaction's locale) for anything
said to them, with the catalogs the bot read at start (ConfBot.messages)."""

from __future__ import annotations

import discord

from bot.i18n import Messages, Words, bundled_messages, language_of


def messages_of(client: discord.Client) -> Messages:
    """The bot's catalogs (ConfBot's; the bundled ones for any other client, as in tests
    that build a cog on its own)."""
    found = getattr(client, "messages", None)
    return found if isinstance(found, Messages) else bundled_messages()


def reader_words(interaction: discord.Interaction) -> Words:
    """The words of the person who used the command, button or form: Discord sends their
    client's language with every interaction; any we have no catalog for reads English."""
    locale = getattr(interaction, "locale", None)
    value = getattr(locale, "value", None)
    return messages_of(interaction.client).words(
        language_of(value if isinstance(value, str) else None)
    )
