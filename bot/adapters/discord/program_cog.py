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

In a cluster only the process leading a conference keeps its versions: a decision made
in a server whose process does not lead it is asked of the one that does, and its answer
awaited (bot.live.decisions); the answer is deferred, as that may take longer than
Discord waits for a first answer. `decided_text` says what came of it, in one sentence.
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
from bot.live.decisions import Decided, Decision, Outcome
from bot.live.sync import Candidate, records
from bot.render import cards, delivery_cards
from bot.render.common import count_of
from bot.render.limits import MESSAGE_MAX
from bot.render.markdown import escape
from bot.service import QueryError

log = logging.getLogger(__name__)

PREVIEW_TIMEOUT = 300.0
STALE = "The program changed since this preview; run /program reload again."
NONE_HELD = "No version is held."
DISCARDED = "Dropped; the current program stays."
# What an organiser's decision asked of another process is, in the sentences below.
_ASKED_TO = {Decision.APPLY: "apply this version", Decision.APPLY_HELD: "apply the held version",
             Decision.DISCARD_HELD: "drop the held version"}  # fmt: skip


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


def decided_text(decided: Decided, decision: Decision, served: Served) -> str:
    """What came of an organiser's decision, here or where the conference is led."""
    name = f"**{escape(served.conference.name)}**"
    match decided.outcome:
        case Outcome.APPLIED:
            return f"✅ Applied: {count_of(decided.changed, 'talk')} changed."
        case Outcome.STALE:
            return STALE
        case Outcome.NONE_HELD:
            return NONE_HELD
        case Outcome.DISCARDED:
            return DISCARDED
        case Outcome.NO_LEADER:
            return (f"No process follows the source of {name} right now: the one that did"
                    " has stopped, and another takes it over within a minute. Nothing"
                    " changed; try again then.")  # fmt: skip
        case Outcome.PENDING:
            return (f"Asked the process that follows {name} to {_ASKED_TO[decision]}; it is"
                    " still reading the source. `/changes` will show what changed.")  # fmt: skip
        case _:
            reason = escape(decided.reason.rstrip("."))
            return (f"⚠️ The process that follows {name} could not {_ASKED_TO[decision]}"
                    f" ({reason}); nothing changed.")  # fmt: skip


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
        served = self.served
        if served.leads:  # applied here, at once
            decided = await served.decisions.here(Decision.APPLY, self.candidate)
            await interaction.response.edit_message(
                content=decided_text(decided, Decision.APPLY, served), view=None,
                allowed_mentions=NO_MENTIONS)  # fmt: skip
            return
        await interaction.response.defer()  # the leader is asked: it may take a while
        decided = await served.decide(Decision.APPLY, self.candidate)
        await interaction.edit_original_response(
            content=decided_text(decided, Decision.APPLY, served), view=None,
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

    async def _deciding(self, interaction: discord.Interaction, conference: str | None) -> Served:
        """A conference this server offers, to those who decide on it."""
        served = self._served(interaction, conference)
        if not await may_decide(interaction, served, self.operator_servers):
            raise NotYours(refusal(served))
        return served

    async def _decide(
        self, interaction: discord.Interaction, conference: str | None, decision: Decision
    ) -> None:
        """/program apply or discard: taken here, at once, where this process leads the
        conference; else asked of the one that does, the answer deferred."""
        served = await self._deciding(interaction, conference)
        if served.leads:
            decided = await served.decisions.here(decision)
            await send_text(interaction, decided_text(decided, decision, served), ephemeral=True)
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        decided = await served.decide(decision)
        await interaction.followup.send(decided_text(decided, decision, served), ephemeral=True,
                                        allowed_mentions=NO_MENTIONS)  # fmt: skip

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
        await self._decide(interaction, conference, Decision.APPLY_HELD)

    @program.command(name="discard", description="Keep the current program; drop the held one")
    @app_commands.describe(conference=CONFERENCE_HELP)
    async def discard(
        self, interaction: discord.Interaction, conference: ConferenceArg | None = None
    ) -> None:
        await self._decide(interaction, conference, Decision.DISCARD_HELD)
