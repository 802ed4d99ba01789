"""/program: an organiser's say over new versions of the program (Manage Server).

`/program reload` fetches now and shows what the new version would change, with Apply and
Cancel buttons only the organiser who asked can press; nothing changes until Apply, and an
Apply pressed after the program moved on (a sync, another Apply) changes nothing.
`/program apply` and `/program discard` decide on a version that was held because it
removes many talks or names another conference (/status shows it).

A version goes to every server that offers the conference, so not every organiser decides
(bot.live.conferences.decides): the operator's programs are the operator's (the
application's owner or team, or organisers of CONFBOT_OPERATOR_SERVERS), and a source a
server added is that server's. Any organiser of a server offering it may preview.
"""

from __future__ import annotations

import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.adapters.discord.conference_option import CONFERENCE_HELP, ConferenceArg, picked
from bot.adapters.discord.embeds import NO_MENTIONS
from bot.adapters.discord.replies import send_text
from bot.adapters.discord.tree import ConfView, managed_guild, organisers_group
from bot.live.conferences import Conferences, Served, decides, who_decides
from bot.live.sync import Candidate, ProgramFollower, StaleCandidate, records
from bot.render import cards, delivery_cards
from bot.render.common import count_of
from bot.render.limits import MESSAGE_MAX
from bot.render.markdown import escape
from bot.service import QueryError

log = logging.getLogger(__name__)

PREVIEW_TIMEOUT = 300.0
STALE = "The program changed since this preview; run /program reload again."


class NotYours(QueryError):
    """A decision on a version that is not this person's to make; the message says whose."""


async def may_decide(
    interaction: discord.Interaction, served: Served, operator_servers: frozenset[int]
) -> bool:
    """Whether this person decides on new versions of `served` (see decides)."""
    client = interaction.client
    operator = isinstance(client, commands.bot.BotBase) and await client.is_owner(interaction.user)
    manages = interaction.guild_id is not None and interaction.permissions.manage_guild
    return decides(served, interaction.guild_id or 0, manages, operator, operator_servers)


def refusal(served: Served) -> str:
    return who_decides(served, f"**{escape(served.conference.name)}**")


def summary(candidate: Candidate, limit: int = 15) -> str:
    """What a version changes, in a few lines."""
    tz = candidate.service.conference.tz
    lines = [f"• {delivery_cards.change_line(c, tz)}" for c in records(candidate.changes)[:limit]]
    more = len(candidate.changes) - limit
    if more > 0:
        lines.append(f"… and {more} more")
    head = f"A new version changes {count_of(len(candidate.changes), 'talk')}"
    if candidate.held_because:
        head += f" (held: {escape(candidate.held_because)})"
    return cards.truncate(head + ":\n" + "\n".join(lines), 1900)


class ApplyView(ConfView):
    """Apply or Cancel a previewed version; only the organiser who asked may press, and
    Apply checks again that they decide (they may have lost Manage Server since)."""

    def __init__(
        self, served: Served, candidate: Candidate, owner: int, operator_servers: frozenset[int]
    ) -> None:
        super().__init__(timeout=PREVIEW_TIMEOUT)
        self.served = served
        self.candidate = candidate
        self.owner = owner
        self.operator_servers = operator_servers

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id == self.owner:
            return True
        await interaction.response.send_message(
            "Only the organiser who ran /program reload can decide.", ephemeral=True
        )
        return False

    @discord.ui.button(label="Apply", style=discord.ButtonStyle.success)
    async def apply(
        self, interaction: discord.Interaction, _: discord.ui.Button[ApplyView]
    ) -> None:
        if not await may_decide(interaction, self.served, self.operator_servers):
            await send_text(interaction, refusal(self.served), ephemeral=True)
            return
        self.stop()
        try:
            changes = await self.served.follower.apply(self.candidate)
        except StaleCandidate:
            text = STALE
        else:
            text = f"✅ Applied: {count_of(len(changes), 'talk')} changed."
        await interaction.response.edit_message(content=text, view=None,
                                                allowed_mentions=NO_MENTIONS)  # fmt: skip

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary)
    async def cancel(
        self, interaction: discord.Interaction, _: discord.ui.Button[ApplyView]
    ) -> None:
        self.stop()
        await interaction.response.edit_message(
            content="Nothing changed.", view=None, allowed_mentions=NO_MENTIONS
        )


class ProgramAdminCog(commands.Cog):
    def __init__(self, conferences: Conferences, operator_servers: frozenset[int]) -> None:
        self.conferences = conferences
        self.operator_servers = operator_servers

    def _served(self, interaction: discord.Interaction, conference: str | None) -> Served:
        """A conference this server offers, to its organisers only."""
        managed_guild(interaction)
        return picked(self.conferences, interaction, conference)

    async def _follower(
        self, interaction: discord.Interaction, conference: str | None
    ) -> ProgramFollower:
        """The follower of a conference this server offers, to those who decide on it."""
        served = self._served(interaction, conference)
        if not await may_decide(interaction, served, self.operator_servers):
            raise NotYours(refusal(served))
        return served.follower

    program = organisers_group("program", "Decide on new versions of the program")

    @program.command(name="reload", description="Fetch the program now and preview the change")
    @app_commands.describe(conference=CONFERENCE_HELP)
    async def reload(
        self, interaction: discord.Interaction, conference: ConferenceArg | None = None
    ) -> None:
        served = self._served(interaction, conference)
        follower = served.follower
        await interaction.response.defer(ephemeral=True, thinking=True)
        candidate = await follower.candidate()
        if candidate is None:
            error = follower.status.error
            text = f"⚠️ {escape(error)}" if error else "No new version: nothing to apply."
            await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
            return
        if not await may_decide(interaction, served, self.operator_servers):
            # A preview only: who may apply it is said under it.
            text = cards.truncate(summary(candidate), 1500) + "\n\n" + refusal(served)
            await interaction.followup.send(cards.truncate(text, MESSAGE_MAX), ephemeral=True,
                                            allowed_mentions=NO_MENTIONS)  # fmt: skip
            return
        view = ApplyView(served, candidate, interaction.user.id, self.operator_servers)
        await interaction.followup.send(summary(candidate), view=view, ephemeral=True,
                                        allowed_mentions=NO_MENTIONS)  # fmt: skip

    @program.command(name="apply", description="Apply the version that was held")
    @app_commands.describe(conference=CONFERENCE_HELP)
    async def apply(
        self, interaction: discord.Interaction, conference: ConferenceArg | None = None
    ) -> None:
        changes = await (await self._follower(interaction, conference)).apply_held()
        text = ("No version is held." if changes is None
                else f"✅ Applied: {count_of(len(changes), 'talk')} changed.")  # fmt: skip
        await send_text(interaction, text, ephemeral=True)

    @program.command(name="discard", description="Keep the current program; drop the held one")
    @app_commands.describe(conference=CONFERENCE_HELP)
    async def discard(
        self, interaction: discord.Interaction, conference: ConferenceArg | None = None
    ) -> None:
        dropped = (await self._follower(interaction, conference)).discard_held()
        text = "Dropped; the current program stays." if dropped else "No version is held."
        await send_text(interaction, text, ephemeral=True)
