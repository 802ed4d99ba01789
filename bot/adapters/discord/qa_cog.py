"""Q&A per talk: /qa turns it on for a forum channel, the scheduler opens one thread per
talk a few minutes before it starts, and attendees ask through a button or /ask.

Each question is posted by the bot as its own message naming the asker, so the bot needs
no privileged Message Content intent; people vote with 👍 and the chair ranks them with
/questions. Threads are locked and archived a day after their talk.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import discord
from discord import app_commands
from discord.ext import commands

from bot.adapters.discord.conference_option import CONFERENCE_HELP, ConferenceArg, picked
from bot.adapters.discord.embeds import NO_MENTIONS
from bot.adapters.discord.qa_widgets import VOTE, QuestionModal
from bot.adapters.discord.replies import send_text
from bot.adapters.discord.speech import reader_words
from bot.adapters.discord.tree import managed_guild, organisers_group, server_only
from bot.clock import Clock
from bot.i18n import N_
from bot.live.conferences import Conferences
from bot.render import delivery_cards
from bot.render.markdown import Escaped
from bot.render.organisers import qa_channel_text
from bot.service import QueryError
from bot.service.qa import LEAD_MAX, QAService, filter_named, forecast
from bot.store.state import StateStore

log = logging.getLogger(__name__)

HISTORY = 500  # questions read by /questions: more than any talk's Q&A gets


class QACog(commands.Cog):
    def __init__(
        self, conferences: Conferences, clock: Clock, state: StateStore, wake: Callable[[], None]
    ) -> None:
        self.conferences = conferences
        self.clock = clock
        self.state = state
        self.qa_settings = QAService(state.qa)
        self.wake = wake  # the scheduler's: re-plan now that the settings changed

    qa = organisers_group("qa", "A Q&A thread for each talk, in a forum channel")

    @qa.command(name="channel", description="Open a Q&A thread for each talk in a forum")
    @app_commands.describe(
        forum="The forum channel for the threads",
        minutes_before=f"How many minutes before each talk its thread opens (default 5, at most"
        f" {LEAD_MAX})",
        rooms="Only talks in these rooms (names separated by commas)",
        tracks="Only talks of these tracks (names separated by commas)",
        conference=CONFERENCE_HELP,
    )
    async def qa_channel(
        self,
        interaction: discord.Interaction,
        forum: discord.ForumChannel,
        minutes_before: app_commands.Range[int, 0, LEAD_MAX] = 5,
        rooms: app_commands.Range[str, 1, 1000] | None = None,
        tracks: app_commands.Range[str, 1, 1000] | None = None,
        conference: ConferenceArg | None = None,
    ) -> None:
        guild_id = managed_guild(interaction)
        holder = picked(self.conferences, interaction, conference)
        service = holder.service
        wanted = filter_named(service, rooms, tracks)
        _check_forum_permissions(interaction, forum)
        now = self.clock.now()
        await self.qa_settings.forum(guild_id, holder.key, forum.id, minutes_before, now, wanted)
        self.wake()
        ahead = forecast(service, wanted, minutes_before, now)
        text = qa_channel_text(forum.id, minutes_before, wanted, ahead, reader_words(interaction))
        await send_text(interaction, text, ephemeral=True)

    @qa.command(name="off", description="Stop opening Q&A threads")
    async def qa_off(self, interaction: discord.Interaction) -> None:
        guild_id = managed_guild(interaction)
        stopped = await self.qa_settings.off(guild_id, self.clock.now())
        self.wake()
        w = reader_words(interaction)
        text = w.tr("Q&A threads are off.") if stopped else w.tr("Q&A threads were not on.")
        await send_text(interaction, text, ephemeral=True)

    @app_commands.command(name="ask", description="Ask a question in this talk's Q&A thread")
    @server_only
    async def ask(self, interaction: discord.Interaction) -> None:
        await self._qa_thread_here(interaction)
        await interaction.response.send_modal(QuestionModal(reader_words(interaction)))

    @app_commands.command(name="questions", description="This thread's questions, most 👍 first")
    @server_only
    async def questions(self, interaction: discord.Interaction) -> None:
        thread = await self._qa_thread_here(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        me = interaction.client.user
        ranked: list[tuple[int, str, str]] = []
        async for message in thread.history(limit=HISTORY):
            if me is None or message.author.id != me.id or not message.content.startswith("❓"):
                continue
            votes = sum(r.count - (1 if r.me else 0) for r in message.reactions
                        if str(r.emoji) == VOTE)  # fmt: skip
            # Already escaped when posted: shown again as it stands, on one line.
            line = message.content.removeprefix("❓ ").replace("\n", " ")
            ranked.append((votes, line, message.jump_url))
        ranked.sort(key=lambda r: -r[0])
        title = thread.name
        await interaction.followup.send(
            delivery_cards.questions_text(ranked, title, reader_words(interaction)),
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )

    async def _qa_thread_here(self, interaction: discord.Interaction) -> discord.Thread:
        channel = interaction.channel
        if not isinstance(channel, discord.Thread) or not await self.qa_settings.is_thread(
            channel.id
        ):
            raise QueryError(N_("Use this inside a talk's Q&A thread (see `/qa channel`)."))
        return channel


def _check_forum_permissions(interaction: discord.Interaction, forum: discord.ForumChannel) -> None:
    """Refuse up front, naming what is missing: a thread that cannot be opened would
    otherwise turn the feature off at the first talk."""
    me = interaction.guild.me if interaction.guild else None
    if me is None:
        return
    perms = forum.permissions_for(me)
    # Discord's names of its permissions, as its settings show them in each language.
    missing = [name for name, ok in (
        (N_("Create Posts"), perms.send_messages),
        (N_("Send Messages in Threads"), perms.send_messages_in_threads),
        (N_("Manage Threads"), perms.manage_threads),
        (N_("Add Reactions"), perms.add_reactions),
    ) if not ok]  # fmt: skip
    if missing:
        w = reader_words(interaction)
        raise QueryError(
            N_("In {forum} I need {permissions}. Give me those there, then try again."),
            forum=Escaped(f"<#{forum.id}>"), permissions=", ".join(w.tr(n) for n in missing),
        )  # fmt: skip
