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
from bot.adapters.discord.tree import NothingFound, managed_guild, organisers_group, server_only
from bot.clock import Clock
from bot.live.conferences import Conferences, Served
from bot.live.sync import SyncStatus
from bot.reminders.agenda import agenda
from bot.render import cards, ics, timefmt
from bot.render.common import count_of
from bot.render.limits import MESSAGE_MAX
from bot.render.markdown import escape, say
from bot.service import SESSION_REF, TALK_REF, ProgramService, QueryError
from bot.service.results import NoMatch, SessionAnswer, Suggestion, TalkAnswer
from bot.store.reminders_store import FOLLOWED, ReminderLimitReached
from bot.store.state import StateStore

log = logging.getLogger(__name__)

MINUTES = app_commands.Range[int, 0, 1440]


SERVER_DMS = " Keep your DMs open to this server's members so the reminder can reach you."


class RemindersCog(commands.Cog):
    def __init__(
        self, conferences: Conferences, clock: Clock, state: StateStore, max_reminders: int,
        index_wait: float = INDEX_WAIT,
    ) -> None:  # fmt: skip
        self.max_reminders = max_reminders
        self.conferences = conferences
        self.clock = clock
        self.state = state
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
        ref = _resolve(service, item)
        target = service.remindable(ref)
        assert target is not None
        now = self.clock.now()
        if now >= target.slot.start:
            state = "ended" if now >= target.slot.end else "already started"
            raise QueryError(
                f"“{{title}}” {state} ({timefmt.span(target.slot, service.conference.tz)}),"
                " so there is nothing to remind you of.",
                title=target.title,
            )
        try:
            await self.state.reminders.add(served.key, interaction.user.id,
                                           interaction.guild_id, ref, minutes_before,
                                           int(now.timestamp()), self.max_reminders)  # fmt: skip
        except ReminderLimitReached as full:
            raise QueryError(
                f"You already have {count_of(full.limit, 'active reminder')}, the most one"
                " person can have."
                " `/forget` some you no longer need (`/agenda` lists them), then try again."
            ) from None
        _wake(served)
        due = target.slot.start.timestamp() - 60 * minutes_before
        when = (
            "right away: it starts sooner than that"
            if due <= now.timestamp()
            else f"<t:{int(due)}:F> (<t:{int(due)}:R>)"
        )
        # With the app on their account the bot may DM them anyway; through a server's
        # install it reaches them only if they take DMs from that server's members.
        reach = "" if interaction.is_user_integration() else SERVER_DMS
        text = say(
            f"⏰ I'll DM you about **{{title}}** {when}, {minutes_before} min before it"
            f" starts at <t:{int(target.slot.start.timestamp())}:t>.{reach} `/agenda` lists"
            " yours.",
            title=target.title,
        )
        await send_text(interaction, text, ephemeral=True)

    @remind.autocomplete("item")
    async def remind_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        served = picked_for_autocomplete(self.conferences, interaction)
        service = await suggesting(served, self.index_wait)
        if service is None:
            return []
        return to_choices(service.suggest_remindable(current, self.clock.now()))

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
        reminders = await self.state.reminders.find(about.key, interaction.user.id, FOLLOWED)
        lines = agenda(service, reminders, self.clock.now())
        if not export:
            await send_cards(interaction, cards.agenda_cards(lines, about), ephemeral=True)
            return
        if not lines:
            raise QueryError("You have no reminders to export. `/remind` adds one.")
        # agenda() kept only reminders whose item is in the program, so each ref resolves.
        items = [item for line in lines if (item := service.remindable(line.ref))]
        data = ics.calendar(items, about, f"My {about.name} agenda",
                            self.clock.now(), service.session_talks)  # fmt: skip
        text = f"📅 Your {count_of(len(items), 'reminder')} as a calendar file."
        await send_calendar(interaction, data, ics.filename(about, "agenda"), text)

    forget = app_commands.Group(name="forget", description="Remove your reminders")

    @forget.command(name="item", description="Remove the reminder for one talk or session")
    @app_commands.describe(item="One of your reminders", conference=CONFERENCE_HELP)
    async def forget_item(
        self, interaction: discord.Interaction, item: str, conference: ConferenceArg | None = None
    ) -> None:
        served = picked(self.conferences, interaction, conference)
        removed = await self.state.reminders.forget(served.key, interaction.user.id, item)
        if not removed:
            raise QueryError("You have no reminder for that. `/agenda` lists yours.")
        _wake(served)
        target = served.service.remindable(item)
        name = target.title if target else item
        await send_text(interaction, say("Removed your reminder for **{name}**.", name=name),
                        ephemeral=True)  # fmt: skip

    @forget_item.autocomplete("item")
    async def forget_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        served = picked_for_autocomplete(self.conferences, interaction)
        reminders = await self.state.reminders.find(served.key, interaction.user.id, FOLLOWED)
        typed = current.casefold()
        found = []
        for line in agenda(served.service, reminders, self.clock.now()):
            if typed in line.title.casefold():
                found.append(Suggestion(line.ref, line.title))
        return to_choices(found)

    @forget.command(name="all", description="Remove all your reminders")
    @app_commands.describe(conference=CONFERENCE_HELP)
    async def forget_all(
        self, interaction: discord.Interaction, conference: ConferenceArg | None = None
    ) -> None:
        served = picked(self.conferences, interaction, conference)
        removed = await self.state.reminders.forget(served.key, interaction.user.id)
        _wake(served)
        text = f"Removed all {removed} of your reminders." if removed else "You had no reminders."
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
            raise QueryError("Run this in a server channel, or name one.")
        _check_can_post(interaction, target)
        now = self.clock.now()
        await self.state.announcements.save(
            interaction.guild_id,
            served.key,
            target.id,
            minutes_before,
            per_talk,
            int(now.timestamp()),
        )
        _wake(served)
        extra = " I'll also post a line as each talk starts." if per_talk else ""
        await send_text(
            interaction,
            f"📣 I'll post each {escape(served.conference.name)} session in"
            f" <#{target.id}> {minutes_before} min before it starts."
            f"{extra} `/status` shows what's next; `/announce off` stops.",
            ephemeral=True,
        )

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
        if channel is None:
            removed = await self.state.announcements.remove_room(interaction.guild_id, key, name)
            _wake(served)
            text = "Stopped posting {room}'s talks." if removed else "{room} had no channel."
            await send_text(interaction, say(text, room=name), ephemeral=True)
            return
        _check_can_post(interaction, channel)
        await self.state.announcements.save_room(interaction.guild_id, key, name, channel.id,
                                                 int(self.clock.now().timestamp()))  # fmt: skip
        _wake(served)
        await send_text(
            interaction,
            say(f"📣 I'll post each talk in {{room}} in <#{channel.id}> as it starts, with its"
                " live stream when there is one (`/stream set` adds one for the room). `/status`"
                " lists the room channels; `/announce room` without a channel stops this one.",
                room=name),
            ephemeral=True,
        )  # fmt: skip

    @announce_room.autocomplete("room")
    async def announce_room_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        service = picked_for_autocomplete(self.conferences, interaction).service
        return to_choices(service.suggest_rooms(current))

    @announce.command(name="off", description="Stop announcing sessions in this server")
    @app_commands.describe(conference="Only this conference's (default: every conference's)")
    async def announce_off(
        self, interaction: discord.Interaction, conference: ConferenceArg | None = None
    ) -> None:
        managed_guild(interaction)
        assert interaction.guild_id is not None
        only = picked(self.conferences, interaction, conference).key if conference else None
        stopped = await self.state.announcements.disable(
            interaction.guild_id, "turned off with /announce off",
            int(self.clock.now().timestamp()), only,
        )  # fmt: skip
        _wake_all(self.conferences)
        text = "Announcements are off." if stopped else "Announcements were not on."
        await send_text(interaction, text, ephemeral=True)

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
        conference_ = service.conference
        configs = await self.state.announcements.find(guild_id)
        config = next((c for c in configs if c.conference == served.key), None)
        pending = await self.state.ledger.deliveries(owner=guild_id, state="pending",
                                                     conference=served.key)  # fmt: skip
        pending = [d for d in pending if d.kind in ("slot", "talk", "room")]
        reminders = [
            r for r in await self.state.reminders.find(served.key) if r.guild_id == guild_id
        ]
        streams = await self.state.streams.urls(guild_id, served.key)
        forums = await self.state.qa.forums(served.key, guild_id)
        report = cards.StatusReport(
            channel_id=config.channel_id if config else None,
            minutes_before=config.minutes_before if config else None,
            per_talk=bool(config and config.per_talk),
            enabled=bool(config and config.enabled),
            disabled_reason=config.disabled_reason if config else None,
            next_due=datetime.fromtimestamp(pending[0].due_ts, UTC) if pending else None,
            program_loaded=served.holder.loaded_at,
            talks=len(service.program.talks),
            sessions=len(service.program.sessions),
            reminders_active=len(reminders),
            deliveries=await self.state.ledger.counts(("slot", "talk", "room", "thread"), guild_id),
            room_channels=tuple(
                (c.room, c.channel_id, None if c.enabled else c.disabled_reason or "disabled")
                for c in await self.state.announcements.rooms(served.key, guild_id)
            ),
            streams=tuple(sorted(streams.items())),
            source=_source_line(served.follower.status),
            qa_forum=forums[0].forum_id if forums else None,
            qa_disabled=None
            if not forums or forums[0].enabled
            else forums[0].disabled_reason or "disabled",
        )
        await send_cards(interaction, [cards.status_card(report, conference_)], ephemeral=True)

    # -- events -------------------------------------------------------------------------

    @commands.Cog.listener()
    async def on_app_command_completion(
        self, interaction: discord.Interaction, command: app_commands.Command[Any, ..., Any]
    ) -> None:
        """Tell people, on their next command, about reminders that could not reach them."""
        names = []
        failed = []
        for served in self.conferences:
            scheduler = served.scheduler
            if scheduler is None or interaction.user.id not in scheduler.failed_users:
                continue
            scheduler.failed_users.discard(interaction.user.id)
            for reminder in await self.state.reminders.untold_failures(
                served.key, interaction.user.id
            ):
                item = served.service.remindable(reminder.item_ref)
                names.append(f"• {escape(item.title if item else reminder.item_ref)}")
                failed.append(reminder)
        if not failed:
            return
        text = (
            "⚠️ I couldn't DM you these reminders, because your DMs are closed to me:\n"
            + "\n".join(names)
            + "\nAllow direct messages from this server's members, then `/remind` again."
        )
        try:
            await interaction.followup.send(
                cards.truncate(text, MESSAGE_MAX), ephemeral=True, allowed_mentions=NO_MENTIONS
            )
        except discord.HTTPException:
            log.exception("could not tell user %d about failed reminders", interaction.user.id)
            return
        await self.state.reminders.mark_told([r.id for r in failed])

    @commands.Cog.listener()
    async def on_guild_remove(self, guild: discord.Guild) -> None:
        # What a server set is kept per server, whatever its conference: one scheduler
        # turns it off, and every scheduler re-plans without it.
        schedulers = [s.scheduler for s in self.conferences if s.scheduler is not None]
        if schedulers:
            await schedulers[0].disable_guild(guild.id, "the bot was removed from the server")
        _wake_all(self.conferences)


def _resolve(service: ProgramService, text: str) -> str:
    """An autocomplete value ('p:…', 's:…') or typed text, to a stable reference."""
    if service.remindable(text) is not None:
        return text
    talk = service.talk(text)
    if isinstance(talk, TalkAnswer):
        return TALK_REF + talk.talk.key
    session = service.session(text)
    if isinstance(session, SessionAnswer):
        return SESSION_REF + session.session.key
    raise NothingFound(NoMatch(text, "talk or session", talk.suggestions))


def _wake(served: Served) -> None:
    """Re-plan this conference's deliveries now that what they depend on changed."""
    if served.scheduler is not None:
        served.scheduler.wake()


def _wake_all(conferences: Conferences) -> None:
    for served in conferences:
        _wake(served)


def _source_line(status: SyncStatus) -> str:
    def when(ts: int | None) -> datetime | None:
        return datetime.fromtimestamp(ts, UTC) if ts is not None else None

    return cards.source_text(
        checked=when(status.checked_ts),
        changed=when(status.changed_ts),
        changes=status.changes,
        error=status.error,
        failures=status.failures,
        held=status.held,
    )


def _check_can_post(interaction: discord.Interaction, target: Any) -> None:
    """Refuse up front, with the fix, a channel where our posts would fail."""
    me = interaction.guild.me if interaction.guild else None
    if me is not None and isinstance(target, discord.abc.GuildChannel):
        perms = target.permissions_for(me)
        if not (perms.send_messages and perms.embed_links):
            raise QueryError(
                f"I can't post embeds in <#{target.id}>: give me Send Messages and"
                " Embed Links there, then try again."
            )
