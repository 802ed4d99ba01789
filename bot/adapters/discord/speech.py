"""Whose language an answer is in: the reader's (the interaction's locale) for anything
said to them, the server's for what is posted in its channels on someone's behalf, with
the catalogs the bot read at start (ConfBot.messages)."""

from __future__ import annotations

import discord

from bot.i18n import Messages, Words, bundled_messages, language_of
from bot.service.announcements import AnnouncementsService
from bot.store.connection import StateUnreachable
from bot.store.state import StateStore


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


async def server_words(interaction: discord.Interaction) -> Words:
    """The words of what the bot posts in this server's channels on a person's behalf (a
    question in a Q&A thread): the language its organisers set with /announce language,
    else the server's own, as a scheduled post is (bot.delivery.kind.Delivering); the
    server's own when the state cannot say (an outage must not lose the question)."""
    locale = getattr(interaction.guild_locale, "value", None)
    own = language_of(locale if isinstance(locale, str) else None)
    state = getattr(interaction.client, "state", None)
    language = own
    if interaction.guild_id is not None and isinstance(state, StateStore):
        try:
            chosen = await AnnouncementsService(state.announcements).chosen_language(
                interaction.guild_id
            )
        except StateUnreachable:
            chosen = None
        language = chosen or own
    return messages_of(interaction.client).words(language)
