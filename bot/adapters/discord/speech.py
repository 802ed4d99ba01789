"""Whose language an answer is in: the reader's (the interaction's locale) for anything
said to them, the server's for what is posted in its channels (post_words), with
the catalogs the bot read at start (ConfBot.messages)."""

from __future__ import annotations

import contextlib

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
    question in a Q&A thread): see post_words."""
    locale = getattr(interaction.guild_locale, "value", None)
    return await post_words(interaction.client, interaction.guild_id,
                            locale if isinstance(locale, str) else None)  # fmt: skip


async def guild_words(client: discord.Client, guild: discord.Guild) -> Words:
    """The words of what the bot posts in `guild`'s channels with no one asking (the
    ticket log line, scheduled events' text): see post_words."""
    return await post_words(client, guild.id, getattr(guild.preferred_locale, "value", None))


async def post_words(client: discord.Client, guild_id: int | None, locale: str | None) -> Words:
    """The words of a server's channel posts, the one rule for every adapter: the language
    its organisers set with /announce language, else the server's own (`locale`, Discord's
    for it), as a scheduled post's (bot.delivery.kind.Delivering.server_words); the
    server's own when the state cannot say (an outage must not lose the post)."""
    language = language_of(locale)
    state = getattr(client, "state", None)
    if guild_id is not None and isinstance(state, StateStore):
        with contextlib.suppress(StateUnreachable):  # the server's own, then
            language = await AnnouncementsService(state.announcements).post_language(
                guild_id, locale
            )
    return messages_of(client).words(language)
