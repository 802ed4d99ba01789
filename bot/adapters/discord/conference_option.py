"""The optional `conference` option every attendee command takes, and the one rule that
turns an interaction into the conference it is about (bot.live.conferences.pick).

With one conference nobody needs the option: it is optional, and its autocomplete lists
what is offered where the person asks."""

from __future__ import annotations

from typing import Protocol, cast

import discord
from discord import app_commands

from bot.live.conferences import Conferences, Served, UnknownConference
from bot.live.holder import StillIndexing
from bot.render import cards
from bot.render.limits import CHOICES_MAX
from bot.service import ProgramService

CONFERENCE_HELP = "Which conference, where several are followed (default: this server's)"
# Discord waits 3 s for a command's first answer and for an autocomplete's choices. A
# lookup whose conference's search indexes are still being built (just after a start)
# awaits them this long at most, off the event loop, then says so (ConfTree answers
# StillIndexing) or suggests nothing yet, where Discord would say the bot did not respond.
INDEX_WAIT = 2.0


class ServesConferences(Protocol):
    conferences: Conferences


def registry(interaction: discord.Interaction) -> Conferences:
    return cast(ServesConferences, interaction.client).conferences


def where(interaction: discord.Interaction) -> int | None:
    """The server whose choices apply: the one the person asks in, if it added the bot;
    None in a DM or in a server the bot is in only through the person's own install."""
    if interaction.guild_id is None or not interaction.is_guild_integration():
        return None
    return interaction.guild_id


def picked(
    conferences: Conferences, interaction: discord.Interaction, option: str | None = None
) -> Served:
    """The conference this interaction is about: the option, the person's pick, or the
    server's default (UnknownConference, answered by ConfTree, if the option names none)."""
    return conferences.pick(where(interaction), interaction.user.id, option)


def picked_for_autocomplete(conferences: Conferences, interaction: discord.Interaction) -> Served:
    """The conference an autocomplete is about: what the `conference` option says so far,
    if it names one offered here, else the default (the person has not chosen yet)."""
    typed = getattr(interaction.namespace, "conference", None)
    try:
        return picked(conferences, interaction, typed if isinstance(typed, str) else None)
    except UnknownConference:  # still being typed
        return picked(conferences, interaction)


async def suggesting(served: Served, wait: float) -> ProgramService | None:
    """The conference an autocomplete is about, with its search indexes; None while they
    are still being built after `wait` seconds (nothing to suggest yet: the next key
    pressed asks again)."""
    try:
        return await served.indexed(wait)
    except StillIndexing:
        return None


def conference_choices(
    conferences: Conferences, interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    """The conferences offered where the person asks, as autocomplete choices."""
    return choices_among(conferences.offered(where(interaction), interaction.user.id), current)


def choices_among(among: list[Served], current: str) -> list[app_commands.Choice[str]]:
    """Those whose key or name holds what was typed: named as shown, valued by key."""
    wanted = current.strip().casefold()
    return [
        app_commands.Choice(name=cards.choice_name(s.conference.name), value=s.key)
        for s in among
        if wanted in s.key.casefold() or wanted in s.conference.name.casefold()
    ][:CHOICES_MAX]


class ConferenceOption(app_commands.Transformer):
    """The option's text as typed (checked when the command picks), with autocomplete."""

    async def transform(self, interaction: discord.Interaction, value: str, /) -> str:
        return value

    async def autocomplete(  # type: ignore[override]
        self, interaction: discord.Interaction, value: str, /
    ) -> list[app_commands.Choice[str]]:
        return conference_choices(registry(interaction), interaction, value)


ConferenceArg = app_commands.Transform[str, ConferenceOption]
