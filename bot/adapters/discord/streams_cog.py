"""/stream: the live stream of a room, set by the server's organisers.

Talks show "Watch live" with it while they run (in /now, /next, /paper and the posts as
each talk starts), unless the program gives the talk its own stream link, and never for a
talk whose speakers asked not to be recorded.
"""

from __future__ import annotations

import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.adapters.discord.cog import to_choices
from bot.adapters.discord.conference_option import (
    CONFERENCE_HELP,
    ConferenceArg,
    picked,
    picked_for_autocomplete,
)
from bot.adapters.discord.replies import send_text
from bot.adapters.discord.speech import reader_words
from bot.adapters.discord.tree import managed_guild, organisers_group
from bot.address import AddressError, web_address
from bot.clock import Clock
from bot.i18n import N_
from bot.live.conferences import Conferences
from bot.render.cards import discord_link
from bot.render.limits import ADDRESS_MAX, BUTTON_URL_MAX
from bot.render.markdown import escape, say
from bot.service import QueryError
from bot.service.streams import StreamsService
from bot.store.state import StateStore

log = logging.getLogger(__name__)


def stream_url(text: str) -> str:
    """An https URL with a host that Discord takes as a link button (it becomes "Watch
    live"), or a QueryError saying what is wrong with it."""
    url = text.strip()
    try:
        parts = web_address(url)
    except AddressError:
        parts = None
    if parts is None or parts.scheme != "https":
        raise QueryError(
            N_("A stream link must be an https:// address, such as"
               " https://example.org/live/room-a.")
        )  # fmt: skip
    if len(url) > ADDRESS_MAX or any(c.isspace() for c in url):
        raise QueryError(N_("That link is not a single address of at most {count} characters."),
                         count=str(ADDRESS_MAX))  # fmt: skip
    if discord_link(url, BUTTON_URL_MAX) is None:  # e.g. https://localhost/live
        raise QueryError(N_("Discord does not take that link (its host needs a dot, such as"
                            " example.org), so no one would see it."))  # fmt: skip
    return url


class StreamsCog(commands.Cog):
    def __init__(self, conferences: Conferences, clock: Clock, state: StateStore) -> None:
        self.conferences = conferences
        self.clock = clock
        self.state = state
        self.streams = StreamsService(state.streams)

    stream = organisers_group(
        "stream", "The live stream of a room, shown as each of its talks runs"
    )

    @stream.command(name="set", description="Set the live stream link of a room")
    @app_commands.describe(
        room="The room, as the program names it", url="The stream's https link",
        conference=CONFERENCE_HELP,
    )  # fmt: skip
    async def stream_set(
        self, interaction: discord.Interaction, room: str, url: str,
        conference: ConferenceArg | None = None,
    ) -> None:  # fmt: skip
        guild_id = managed_guild(interaction)
        served = picked(self.conferences, interaction, conference)
        name = served.service.room_named(room)
        link = stream_url(url)
        await self.streams.set(guild_id, served.key, name, link, self.clock.now())
        w = reader_words(interaction)
        # The link is checked as Discord checks links; filled in one pass, a '{room}' in it
        # is part of the address, not a placeholder.
        text = w.tr("📺 Talks in {room} now show “{watch}” while they run, linking to {link}."
                    " `/stream clear` removes it.", room=escape(name), watch=w.tr("Watch live"),
                    link=f"<{link}>")  # fmt: skip
        await send_text(interaction, text, ephemeral=True)

    @stream.command(name="clear", description="Remove the live stream link of a room")
    @app_commands.describe(room="The room, as the program names it", conference=CONFERENCE_HELP)
    async def stream_clear(
        self, interaction: discord.Interaction, room: str, conference: ConferenceArg | None = None
    ) -> None:
        guild_id = managed_guild(interaction)
        served = picked(self.conferences, interaction, conference)
        name = served.service.room_named(room)
        removed = await self.streams.clear(guild_id, served.key, name)
        w = reader_words(interaction)
        text = w.tr("Removed {room}'s stream.") if removed else w.tr("{room} had no stream set.")
        await send_text(interaction, say(text, room=name), ephemeral=True)

    @stream_set.autocomplete("room")
    @stream_clear.autocomplete("room")
    async def room_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        service = picked_for_autocomplete(self.conferences, interaction).service
        return to_choices(service.suggest_rooms(current))
