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
from bot.adapters.discord.speech import reader_words
from bot.adapters.discord.tree import ConfView, managed_guild, organisers_group
from bot.i18n import ENGLISH, N_, Words
from bot.live.conferences import Conferences, Served, decides
from bot.live.decisions import Decided, Decision, Outcome
from bot.live.sync import Candidate, records
from bot.render import cards, delivery_cards
from bot.render.limits import MESSAGE_MAX
from bot.render.markdown import Escaped, escape
from bot.service import QueryError
from bot.template import Sentence, Worded

log = logging.getLogger(__name__)

PREVIEW_TIMEOUT = 300.0
STALE = N_("The program changed since this preview; run /program reload again.")
NONE_HELD = N_("No version is held.")
DISCARDED = N_("Dropped; the current program stays.")
# Who decides on new versions of a conference, for anyone else (see decides).
OPERATOR_DECIDES = N_(
    "New versions of {conference} are decided by the bot's operator (the owner of the"
    " confbot application, or the organisers of the servers they named), since every"
    " server that offers it would get them."
)
SERVER_DECIDES = N_(
    "New versions of {conference} are decided by the organisers of the server that added"
    " it, since every server that offers it would get them."
)


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


def _named(served: Served) -> Escaped:
    return Escaped(f"**{escape(served.conference.name)}**")


def decided_text(decided: Decided, decision: Decision, served: Served, w: Words) -> str:
    """What came of an organiser's decision, here or where the conference is led, in the
    organiser's words (`w`). Each decision's sentence is whole, for the translators."""
    name = _named(served)
    match decided.outcome:
        case Outcome.APPLIED:
            changed = decided.changed
            applied = w.ntr("Applied: {count} talk changed.", "Applied: {count} talks changed.",
                            changed, count=changed)  # fmt: skip
            return "✅ " + applied
        case Outcome.STALE:
            return w.tr(STALE)
        case Outcome.NONE_HELD:
            return w.tr(NONE_HELD)
        case Outcome.DISCARDED:
            return w.tr(DISCARDED)
        case Outcome.NO_LEADER:
            return w.tr("No process follows the source of {conference} right now: the one that"
                        " did has stopped, and another takes it over within a minute. Nothing"
                        " changed; try again then.", conference=name)  # fmt: skip
        case Outcome.PENDING:
            return w.tr(_ASKED[decision], conference=name)
        case _:
            reason = said(decided.reason, w).rstrip(".")
            return "⚠️ " + w.tr(_FAILED[decision], conference=name, reason=reason)


# What came of a decision asked of the process that leads the conference, per decision.
_ASKED = {
    Decision.APPLY: N_("Asked the process that follows {conference} to apply this version; it"
                       " is still reading the source. `/changes` will show what changed."),
    Decision.APPLY_HELD: N_("Asked the process that follows {conference} to apply the held"
                            " version; it is still reading the source. `/changes` will show"
                            " what changed."),
    Decision.DISCARD_HELD: N_("Asked the process that follows {conference} to drop the held"
                              " version; it is still reading the source. `/changes` will show"
                              " what changed."),
}  # fmt: skip
_FAILED = {
    Decision.APPLY: N_("The process that follows {conference} could not apply this version"
                       " ({reason}); nothing changed."),
    Decision.APPLY_HELD: N_("The process that follows {conference} could not apply the held"
                            " version ({reason}); nothing changed."),
    Decision.DISCARD_HELD: N_("The process that follows {conference} could not drop the held"
                              " version ({reason}); nothing changed."),
}  # fmt: skip


def refusal(served: Served, w: Words) -> str:
    return w.tr(deciders(served), conference=_named(served))


def deciders(served: Served) -> str:
    """Whose decision new versions of `served` are, as a sentence to translate: the
    operator's for their programs, the adding server's organisers' for a source added."""
    return OPERATOR_DECIDES if served.added is None else SERVER_DECIDES


def summary(candidate: Candidate, w: Words, limit: int = 15) -> str:
    """What a version changes, in a few lines."""
    tz = candidate.service.conference.tz
    lines = [f"• {delivery_cards.change_line(c, tz, w)}"
             for c in records(candidate.changes)[:limit]]  # fmt: skip
    more = len(candidate.changes) - limit
    if more > 0:
        lines.append(w.tr("… and {count} more", count=more))
    count = len(candidate.changes)
    if candidate.held_because:
        why = candidate.held_because.render(
            escape, w.tr, w.number
        )  # outside ntr, for Babel to read it
        head = w.ntr("A new version changes {count} talk (held: {why}):",
                     "A new version changes {count} talks (held: {why}):", count,
                     count=count, why=why)  # fmt: skip
    else:
        head = w.ntr("A new version changes {count} talk:", "A new version changes {count} talks:",
                     count, count=count)  # fmt: skip
    return cards.truncate(head + "\n" + "\n".join(lines), 1900)


def said(reason: Worded | Sentence | str, w: Words) -> str:
    """A reason the sync gave, in `w`'s words if it worded it (a Worded or a Sentence),
    escaped."""
    if isinstance(reason, Worded | Sentence):
        return reason.render(escape, w.tr, w.number)
    return escape(reason)


class ApplyView(ConfView):
    """Apply or Cancel a previewed version; only the organiser who asked may press, and
    Apply checks again that they decide (they may have lost Manage Server since). Its
    buttons and answers are in the words of the organiser who asked (`w`): only they
    press them."""

    def __init__(
        self, served: Served, candidate: Candidate, owner: int, operator_servers: frozenset[int],
        w: Words = ENGLISH,
    ) -> None:  # fmt: skip
        super().__init__(timeout=PREVIEW_TIMEOUT)
        self.served = served
        self.candidate = candidate
        self.owner = owner
        self.operator_servers = operator_servers
        self.apply.label = w.tr("Apply")
        self.cancel.label = w.tr("Cancel")

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id == self.owner:
            return True
        await interaction.response.send_message(
            reader_words(interaction).tr("Only the organiser who ran /program reload can decide."),
            ephemeral=True,
        )
        return False

    @discord.ui.button(label="Apply", style=discord.ButtonStyle.success)
    async def apply(
        self, interaction: discord.Interaction, _: discord.ui.Button[ApplyView]
    ) -> None:
        w = reader_words(interaction)
        if not await may_decide(interaction, self.served, self.operator_servers):
            await send_text(interaction, refusal(self.served, w), ephemeral=True)
            return
        self.stop()
        served = self.served
        if served.leads:  # applied here, at once
            decided = await served.decisions.here(Decision.APPLY, self.candidate)
            await interaction.response.edit_message(
                content=decided_text(decided, Decision.APPLY, served, w), view=None,
                allowed_mentions=NO_MENTIONS)  # fmt: skip
            return
        await interaction.response.defer()  # the leader is asked: it may take a while
        decided = await served.decide(Decision.APPLY, self.candidate)
        await interaction.edit_original_response(
            content=decided_text(decided, Decision.APPLY, served, w), view=None,
            allowed_mentions=NO_MENTIONS)  # fmt: skip

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary)
    async def cancel(
        self, interaction: discord.Interaction, _: discord.ui.Button[ApplyView]
    ) -> None:
        self.stop()
        await interaction.response.edit_message(
            content=reader_words(interaction).tr("Nothing changed."),
            view=None,
            allowed_mentions=NO_MENTIONS,
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
            raise NotYours(deciders(served), conference=_named(served))
        return served

    async def _decide(
        self, interaction: discord.Interaction, conference: str | None, decision: Decision
    ) -> None:
        """/program apply or discard: taken here, at once, where this process leads the
        conference; else asked of the one that does, the answer deferred."""
        served = await self._deciding(interaction, conference)
        w = reader_words(interaction)
        if served.leads:
            decided = await served.decisions.here(decision)
            await send_text(interaction, decided_text(decided, decision, served, w),
                            ephemeral=True)  # fmt: skip
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        decided = await served.decide(decision)
        await interaction.followup.send(decided_text(decided, decision, served, w),
                                        ephemeral=True, allowed_mentions=NO_MENTIONS)  # fmt: skip

    program = organisers_group("program", "Decide on new versions of the program")

    @program.command(name="reload", description="Fetch the program now and preview the change")
    @app_commands.describe(conference=CONFERENCE_HELP)
    async def reload(
        self, interaction: discord.Interaction, conference: ConferenceArg | None = None
    ) -> None:
        served = self._served(interaction, conference)
        w = reader_words(interaction)
        follower = served.follower
        await interaction.response.defer(ephemeral=True, thinking=True)
        candidate = await follower.candidate()
        if candidate is None:
            error = follower.status.error
            # The source's error, in the reader's words where the sync worded it.
            text = f"⚠️ {said(error, w)}" if error else w.tr("No new version: nothing to apply.")
            await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
            return
        if not await may_decide(interaction, served, self.operator_servers):
            # A preview only: who may apply it is said under it.
            text = cards.truncate(summary(candidate, w), 1500) + "\n\n" + refusal(served, w)
            await interaction.followup.send(cards.truncate(text, MESSAGE_MAX), ephemeral=True,
                                            allowed_mentions=NO_MENTIONS)  # fmt: skip
            return
        view = ApplyView(served, candidate, interaction.user.id, self.operator_servers, w)
        await interaction.followup.send(summary(candidate, w), view=view, ephemeral=True,
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
