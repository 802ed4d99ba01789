"""/remind, /agenda, /forget for attendees; /announce and /status for organisers."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.adapters.discord.calendar import send_calendar
from bot.adapters.discord.cog import to_choices
from bot.adapters.discord.conference_option import (
    CONFERENCE_HELP,
    INDEX_WAIT,
    ConferenceArg,
    picked,
    picked_for_autocomplete,
    suggesting,
)
from bot.adapters.discord.embeds import NO_MENTIONS
from bot.adapters.discord.replies import send_cards, send_text
from bot.adapters.discord.speech import reader_words
from bot.adapters.discord.tree import NothingFound, managed_guild, organisers_group, server_only
from bot.clock import Clock
from bot.i18n import N_, Language, Words, language_of
from bot.i18n.language import AUTONYMS
from bot.live.conferences import Conferences, Served
from bot.live.sync import SyncStatus
from bot.model import Session
from bot.render import agenda_cards, cards, ics, status_cards
from bot.render.common import session_title
from bot.render.limits import MESSAGE_MAX
from bot.render.markdown import Escaped, escape, say
from bot.render.organisers import announce_channel_text, announce_off_text
from bot.service import QueryError, announcements
from bot.service.announcements import AnnouncementsService
from bot.service.reminders import RemindersService, TooLate, resolve
from bot.service.results import NoMatch
from bot.service.status import ProgramFacts, StatusService
from bot.store.connection import StateUnreachable
from bot.store.state import StateStore

log = logging.getLogger(__name__)

MINUTES = app_commands.Range[int, 0, 1440]


SERVERS_OWN = "server"  # /announce language's choice of the server's own language

# Why a server's announcements stopped, kept in the state as said and shown translated.
REMOVED = N_("the bot was removed from the server")

SERVER_DMS = N_("Keep your DMs open to this server's members so the reminder can reach you.")


class RemindersCog(commands.Cog):
    def __init__(
        self, conferences: Conferences, clock: Clock, state: StateStore, max_reminders: int,
        index_wait: float = INDEX_WAIT,
    ) -> None:  # fmt: skip
        self.max_reminders = max_reminders
        self.conferences = conferences
        self.clock = clock
        self.state = state
        self.reminders = RemindersService(state.reminders, max_reminders)
        self.announcements = AnnouncementsService(state.announcements)
        self.statuses = StatusService(state)
        # How long /remind awaits its conference's search indexes (see INDEX_WAIT).
        self.index_wait = index_wait

    # -- attendees ----------------------------------------------------------------------

    @app_commands.command(name="remind", description="Get a DM before a talk or a session starts")
    @app_commands.describe(
        item="The talk or session (start typing its title)",
        minutes_before="How many minutes before it starts (default 10)",
        conference=CONFERENCE_HELP,
    )
    async def remind(
        self, interaction: discord.Interaction, item: str, minutes_before: MINUTES = 10,
        conference: ConferenceArg | None = None,
    ) -> None:  # fmt: skip
        served = picked(self.conferences, interaction, conference)
        # Typed text is looked up: awaited off the loop, StillIndexing past INDEX_WAIT.
        service = await served.indexed(self.index_wait)
        ref = resolve(service, item, self.clock.now())
        if isinstance(ref, NoMatch):
            raise NothingFound(ref)
        w = reader_words(interaction)  # its answer's, and its DM's
        reminded = await self.reminders.remind(served.key, interaction.user.id,
                                               interaction.guild_id, service, ref,
                                               minutes_before, self.clock.now(),
                                               w.language)  # fmt: skip
        if isinstance(reminded, TooLate):
            raise agenda_cards.too_late_error(reminded, service.conference.tz, w)
        _wake(served)
        # With the app on their account the bot may DM them anyway; through a server's
        # install it reaches them only if they take DMs from that server's members.
        reach = "" if interaction.is_user_integration() else w.tr(SERVER_DMS)
        await send_text(interaction, agenda_cards.reminded_text(reminded, reach, w),
                        ephemeral=True)  # fmt: skip

    @remind.autocomplete("item")
    async def remind_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        served = picked_for_autocomplete(self.conferences, interaction)
        service = await suggesting(served, self.index_wait)
        if service is None:
            return []
        return to_choices(service.suggest_remindable(current, self.clock.now()),
                          reader_words(interaction))  # fmt: skip

    @app_commands.command(name="agenda", description="Your reminders in time order, with clashes")
    @app_commands.describe(
        export="Send them as a calendar file (.ics) instead", conference=CONFERENCE_HELP
    )
    async def agenda(
        self, interaction: discord.Interaction, export: bool = False,
        conference: ConferenceArg | None = None,
    ) -> None:  # fmt: skip
        # One version for the whole answer (see bot.live.holder).
        service = picked(self.conferences, interaction, conference).service
        about = service.conference
        lines = await self.reminders.agenda(about.key, interaction.user.id, service,
                                            self.clock.now())  # fmt: skip
        w = reader_words(interaction)
        if not export:
            cards_ = agenda_cards.agenda_cards(lines, about, w)
            await send_cards(interaction, cards_, ephemeral=True)
            return
        if not lines:
            raise QueryError(N_("You have no reminders to export. `/remind` adds one."))
        # agenda() kept only reminders whose item is in the program, so each ref resolves.
        items = [item for line in lines if (item := service.remindable(line.ref))]
        name = w.tr("My {conference} agenda", conference=about.name)
        data = ics.calendar(items, about, name, self.clock.now(), service.session_talks)
        text = "📅 " + w.ntr("Your {count} reminder as a calendar file.",
                            "Your {count} reminders as a calendar file.",
                            len(items), count=len(items))  # fmt: skip
        await send_calendar(interaction, data, ics.filename(about, "agenda"), text)

    forget = app_commands.Group(name="forget", description="Remove your reminders")

    @forget.command(name="item", description="Remove the reminder for one talk or session")
    @app_commands.describe(item="One of your reminders", conference=CONFERENCE_HELP)
    async def forget_item(
        self, interaction: discord.Interaction, item: str, conference: ConferenceArg | None = None
    ) -> None:
        served = picked(self.conferences, interaction, conference)
        name = await self.reminders.forget(served.key, interaction.user.id, served.service, item)
        _wake(served)
        w = reader_words(interaction)
        if isinstance(target := served.service.remindable(item), Session):
            name = session_title(target, w)  # a room block's day in the reader's words
        removed = w.tr("Removed your reminder for **{name}**.")
        await send_text(interaction, say(removed, name=name), ephemeral=True)

    @forget_item.autocomplete("item")
    async def forget_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        served = picked_for_autocomplete(self.conferences, interaction)
        try:
            followed = await self.reminders.suggest_followed(
                served.key, interaction.user.id, served.service, current, self.clock.now()
            )
        except StateUnreachable:  # nothing to offer; /forget item itself says why
            return []
        return to_choices(followed, reader_words(interaction))

    @forget.command(name="all", description="Remove all your reminders")
    @app_commands.describe(conference=CONFERENCE_HELP)
    async def forget_all(
        self, interaction: discord.Interaction, conference: ConferenceArg | None = None
    ) -> None:
        served = picked(self.conferences, interaction, conference)
        removed = await self.reminders.forget_all(served.key, interaction.user.id)
        _wake(served)
        w = reader_words(interaction)
        text = (w.ntr("Removed all {count} of your reminders.",
                      "Removed all {count} of your reminders.", removed, count=removed)
                if removed else w.tr("You had no reminders."))  # fmt: skip
        await send_text(interaction, text, ephemeral=True)

    # -- organisers ---------------------------------------------------------------------

    announce = organisers_group("announce", "Post each session in a channel before it starts")

    @announce.command(name="channel", description="Announce each session in a channel")
    @app_commands.describe(
        channel="Where to post (default: this channel)",
        minutes_before="How many minutes before each session (default 10)",
        per_talk="Also post a line as each talk starts",
        conference="Which conference to announce, where this server follows several",
    )
    async def announce_channel(
        self,
        interaction: discord.Interaction,
        channel: discord.TextChannel | None = None,
        minutes_before: MINUTES = 10,
        per_talk: bool = False,
        conference: ConferenceArg | None = None,
    ) -> None:
        managed_guild(interaction)
        served = picked(self.conferences, interaction, conference)
        target = channel or interaction.channel
        if target is None or interaction.guild_id is None:
            raise QueryError(N_("Run this in a server channel, or name one."))
        _check_can_post(interaction, target)
        now = self.clock.now()  # the setting's time: what starts after it is posted
        await self.announcements.channel(interaction.guild_id, served.key, target.id,
                                         minutes_before, per_talk, now)  # fmt: skip
        _wake(served)
        ahead = announcements.forecast(served.service, now)
        text = announce_channel_text(served.conference.name, target.id, minutes_before,
                                     per_talk, ahead, reader_words(interaction))  # fmt: skip
        await send_text(interaction, text, ephemeral=True)

    @announce.command(name="room", description="Post each talk of a room in its own channel")
    @app_commands.describe(
        room="The room, as the program names it",
        channel="The room's channel (leave out to stop posting this room)",
        conference=CONFERENCE_HELP,
    )
    async def announce_room(
        self,
        interaction: discord.Interaction,
        room: str,
        channel: discord.TextChannel | None = None,
        conference: ConferenceArg | None = None,
    ) -> None:
        managed_guild(interaction)
        assert interaction.guild_id is not None
        served = picked(self.conferences, interaction, conference)
        name = served.service.room_named(room)
        key = served.key
        w = reader_words(interaction)
        if channel is None:
            removed = await self.announcements.room_off(interaction.guild_id, key, name)
            _wake(served)
            text = (w.tr("Stopped posting {room}'s talks.") if removed
                    else w.tr("{room} had no channel."))  # fmt: skip
            await send_text(interaction, say(text, room=name), ephemeral=True)
            return
        _check_can_post(interaction, channel)
        await self.announcements.room_on(interaction.guild_id, key, name, channel.id,
                                         self.clock.now())  # fmt: skip
        _wake(served)
        text = w.tr("📣 I'll post each talk in {room} in {channel} as it starts, with its live"
                    " stream when there is one (`/stream set` adds one for the room). `/status`"
                    " lists the room channels; `/announce room` without a channel stops this"
                    " one.", room=escape(name), channel=f"<#{channel.id}>")  # fmt: skip
        await send_text(interaction, text, ephemeral=True)

    @announce_room.autocomplete("room")
    async def announce_room_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        service = picked_for_autocomplete(self.conferences, interaction).service
        return to_choices(service.suggest_rooms(current))

    @announce.command(name="language", description="The language of this server's posts")
    @app_commands.describe(language="English, Deutsch, Français, or the server's own (default)")
    @app_commands.choices(
        language=[
            app_commands.Choice(name="The server's own language", value=SERVERS_OWN),
            *(app_commands.Choice(name=name, value=lang.value)
              for lang, name in AUTONYMS.items()),
        ]
    )  # fmt: skip
    async def announce_language(
        self, interaction: discord.Interaction, language: app_commands.Choice[str]
    ) -> None:
        """Every post of the bot in this server's channels (announcements, talks as they
        start, room channels) in one language, whoever reads it; by default the server's
        own, as set in Discord (its guild_locale)."""
        guild_id = managed_guild(interaction)
        chosen = None if language.value == SERVERS_OWN else Language(language.value)
        await self.announcements.set_language(guild_id, chosen, interaction.user.id,
                                              self.clock.now())  # fmt: skip
        w = reader_words(interaction)
        if chosen is None:
            own = language_of(interaction.guild_locale.value if interaction.guild_locale else None)
            text = w.tr("📣 This server's posts are now in its own language, as set in Discord:"
                        " {language}.", language=AUTONYMS[own])  # fmt: skip
        else:
            text = w.tr("📣 This server's posts are now in this language: {language}, whatever"
                        " the server's own. `/announce language` changes it.",
                        language=AUTONYMS[chosen])  # fmt: skip
        await send_text(interaction, text, ephemeral=True)

    @announce.command(name="off", description="Stop announcing sessions in this server")
    @app_commands.describe(conference="Only this conference's (default: every conference's)")
    async def announce_off(
        self, interaction: discord.Interaction, conference: ConferenceArg | None = None
    ) -> None:
        managed_guild(interaction)
        assert interaction.guild_id is not None
        only = picked(self.conferences, interaction, conference).key if conference else None
        served = [s.key for s in self.conferences]
        off = await self.announcements.off(interaction.guild_id, self.clock.now(), only, served)
        _wake_all(self.conferences)
        await send_text(interaction, announce_off_text(off, reader_words(interaction)),
                        ephemeral=True)  # fmt: skip

    @app_commands.command(name="status", description="What confbot is set to do in this server")
    @server_only
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.describe(conference=CONFERENCE_HELP)
    async def status(
        self, interaction: discord.Interaction, conference: ConferenceArg | None = None
    ) -> None:
        managed_guild(interaction)
        guild_id = interaction.guild_id
        assert guild_id is not None
        served = picked(self.conferences, interaction, conference)
        service = served.service  # one version for the whole answer (see bot.live.holder)
        program = ProgramFacts.of(service.program, served.holder.loaded_at,
                                  served.settings.sources[0].where)  # fmt: skip
        w = reader_words(interaction)
        source = _source_line(served.follower.status, w)
        try:
            status = await self.statuses.server(served.key, guild_id, program)
        except StateUnreachable:  # said first, with what the bot knows without it
            card = status_cards.unreachable_status_card(program, source, service.conference, w)
        else:
            card = status_cards.status_card(status_cards.status_report(status, source, w),
                                            service.conference, w)  # fmt: skip
        await send_cards(interaction, [card], ephemeral=True)

    # -- events -------------------------------------------------------------------------

    @commands.Cog.listener()
    async def on_app_command_completion(
        self, interaction: discord.Interaction, command: app_commands.Command[Any, ..., Any]
    ) -> None:
        """Tell people, on their next command, about reminders that could not reach them."""
        failed = []
        for served in self.conferences:
            scheduler = served.scheduler
            if interaction.user.id not in scheduler.failed_users:
                continue
            scheduler.failed_users.discard(interaction.user.id)
            failed += await self.reminders.undelivered(served.key, interaction.user.id,
                                                       served.service)  # fmt: skip
        if not failed:
            return
        w = reader_words(interaction)
        text = (
            "⚠️ " + w.tr("I couldn't DM you these reminders, because your DMs are closed to me:")
            + "\n" + "\n".join(f"• {escape(u.title)}" for u in failed) + "\n"
            + w.tr("Allow direct messages from this server's members, then `/remind` again.")
        )  # fmt: skip
        try:
            await interaction.followup.send(
                cards.truncate(text, MESSAGE_MAX), ephemeral=True, allowed_mentions=NO_MENTIONS
            )
        except discord.HTTPException:
            log.exception("could not tell user %d about failed reminders", interaction.user.id)
            return
        await self.reminders.told(failed)

    @commands.Cog.listener()
    async def on_guild_remove(self, guild: discord.Guild) -> None:
        # What a server set is kept per server, whatever its conference: one scheduler
        # turns it off, and every scheduler re-plans without it.
        schedulers = [s.scheduler for s in self.conferences]
        if schedulers:
            await schedulers[0].disable_guild(guild.id, REMOVED)
        _wake_all(self.conferences)


def _wake(served: Served) -> None:
    """Re-plan this conference's deliveries now that what they depend on changed."""
    served.wake()


def _wake_all(conferences: Conferences) -> None:
    for served in conferences:
        _wake(served)


def _source_line(status: SyncStatus, w: Words) -> str:
    def when(ts: int | None) -> datetime | None:
        return datetime.fromtimestamp(ts, UTC) if ts is not None else None

    return status_cards.source_text(
        checked=when(status.checked_ts),
        changed=when(status.changed_ts),
        changes=status.changes,
        error=status.error,
        failures=status.failures,
        held=status.held,
        w=w,
    )


def _check_can_post(interaction: discord.Interaction, target: Any) -> None:
    """Refuse up front, with the fix, a channel where our posts would fail."""
    me = interaction.guild.me if interaction.guild else None
    if me is not None and isinstance(target, discord.abc.GuildChannel):
        perms = target.permissions_for(me)
        if not (perms.send_messages and perms.embed_links):
            raise QueryError(
                N_(
                    "I can't post embeds in {channel}: give me Send Messages and Embed Links"
                    " there, then try again."
                ),
                channel=Escaped(f"<#{target.id}>"),  # a mention, ours
            )
