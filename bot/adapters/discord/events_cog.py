"""/publish-events: one Discord scheduled event per session, in the server's Events tab.

Idempotent: the event ids are stored, so running it again updates the events (and
re-creates any that someone deleted by hand) instead of duplicating them. Sessions that
have already started are skipped, since Discord refuses events that start in the past.

Discord holds at most 100 upcoming events per server (error 30038 past that), and a big
program has more sessions. So the events are a rolling window: the next sessions, as many
as there is room for beside other apps' events; as sessions end their events are removed
and the next ones published, until the program is done or the server removes them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import discord
from discord import app_commands
from discord.ext import commands

from bot.adapters.discord.conference_option import CONFERENCE_HELP, ConferenceArg, picked
from bot.adapters.discord.embeds import NO_MENTIONS
from bot.adapters.discord.speech import guild_words, reader_words
from bot.adapters.discord.tree import server_only
from bot.clock import Clock
from bot.i18n import ENGLISH, Words
from bot.live.conferences import Conferences, Served
from bot.live.diff import Change
from bot.model import Session
from bot.render.common import session_title
from bot.render.events import session_event
from bot.render.limits import EVENTS_PER_SERVER_MAX, MESSAGE_MAX
from bot.render.markdown import escape
from bot.store.connection import unreachable
from bot.store.state import StateStore
from bot.tasks import stopped, woken

log = logging.getLogger(__name__)

PUBLISH, REMOVE = "publish", "remove"
TOO_MANY_EVENTS = 30038  # Discord's error code when a server holds EVENTS_PER_SERVER_MAX
ROLL_CHECK = 300.0  # seconds between window checks at most, whatever the program says


@dataclass
class Tally:
    created: int = 0
    updated: int = 0
    removed: int = 0
    ended: int = 0  # events of sessions that are over, removed to make room
    waiting: int = 0  # sessions left for when room frees up
    skipped: list[Session] = field(default_factory=list)  # already started
    failed: list[str] = field(default_factory=list)

    def summary(self, action: str, w: Words = ENGLISH) -> str:
        """What a run did, for the organiser (in their words, `w`) or the log (English).
        The failures are the program's titles and Discord's errors, as they came."""
        if action == REMOVE:
            text = "🗑️ " + w.ntr("Removed {count} event.", "Removed {count} events.",
                                self.removed, count=self.removed)  # fmt: skip
        else:
            text = "📅 " + w.tr("Events: {created} created, {updated} updated.",
                                created=self.created, updated=self.updated)  # fmt: skip
            if self.waiting:
                text += " " + w.ntr(
                    "{count} more session waits for room: Discord holds {most} upcoming events"
                    " per server, so they are published as earlier ones end.",
                    "{count} more sessions wait for room: Discord holds {most} upcoming events"
                    " per server, so they are published as earlier ones end.",
                    self.waiting, count=self.waiting, most=EVENTS_PER_SERVER_MAX)  # fmt: skip
        if self.skipped:
            text += "\n" + w.ntr("Skipped {count} that already started: {sessions}",
                                 "Skipped {count} that already started: {sessions}",
                                 len(self.skipped), count=len(self.skipped),
                                 sessions=", ".join(escape(session_title(s, w))
                                                    for s in self.skipped))  # fmt: skip
        if self.failed:
            text += "\n⚠️ " + w.ntr("{count} failed: {reasons}", "{count} failed: {reasons}",
                                    len(self.failed), count=len(self.failed),
                                    reasons="; ".join(map(escape, self.failed)))  # fmt: skip
        return text[:MESSAGE_MAX]


class EventsCog(commands.Cog):
    def __init__(
        self, conferences: Conferences, clock: Clock, state: StateStore,
        client: discord.Client,
    ) -> None:  # fmt: skip
        """`client`: the servers it is in, and the catalogs the events' own text is worded
        from, in each server's language (they are public, like a channel's posts)."""
        self.conferences = conferences
        self.client = client
        self.clock = clock
        self.state = state
        self._woken = asyncio.Event()
        self._roller: asyncio.Task[None] | None = None

    async def cog_load(self) -> None:
        self._roller = asyncio.create_task(self._roll_forever(), name="confbot-event-window")

    async def cog_unload(self) -> None:
        if self._roller is not None:
            await stopped(self._roller)

    def wake(self) -> None:
        """Check the windows now (the clock moved, in a rehearsal or a test)."""
        self._woken.set()

    async def _roll_forever(self) -> None:
        while True:
            try:
                await self.roll()
            except Exception as exc:  # the next check tries again; nothing is lost meanwhile
                if not unreachable(exc):  # an outage: the state database logs it, once
                    log.exception("rolling the events window failed")
            await woken(self._woken, self._until_next_end())
            self._woken.clear()

    def _until_next_end(self) -> float:
        """Seconds until the next session ends (when room frees up), at most ROLL_CHECK."""
        now = self.clock.now()
        ends = [s.slot.end for served in self.conferences
                for s in served.service.program.sessions if s.slot.end > now]  # fmt: skip
        return min([ROLL_CHECK, *((end - now).total_seconds() + 1 for end in ends)])

    async def roll(self) -> None:
        """In every server whose events roll on: remove those of sessions that are over
        and publish the next ones into the room that frees."""
        for served in self.conferences:
            for guild_id in await self.state.events.windows(served.key):
                guild = self.client.get_guild(guild_id)  # its cache: servers it is in
                if guild is None:
                    continue  # not (yet) in the cache, or the bot left: next time
                await self._roll(served, guild)

    async def _roll(self, served: Served, guild: discord.Guild) -> None:
        tally = Tally()
        await self._publish(served, guild, tally, refresh=False)
        if tally.created or tally.ended or tally.failed:
            log.info("events window in guild %d: %s", guild.id,
                     tally.summary(PUBLISH).replace("\n", " "))  # fmt: skip

    @app_commands.command(
        name="publish-events",
        description="Create or update a Discord event for each session (or remove them)",
    )
    @server_only
    @app_commands.default_permissions(manage_events=True)
    @app_commands.describe(
        action="Publish or update the events (default), or remove them",
        conference=CONFERENCE_HELP,
    )
    @app_commands.choices(
        action=[
            app_commands.Choice(name="publish or update", value=PUBLISH),
            app_commands.Choice(name="remove them", value=REMOVE),
        ]
    )
    async def publish_events(
        self, interaction: discord.Interaction, action: app_commands.Choice[str] | None = None,
        conference: ConferenceArg | None = None,
    ) -> None:  # fmt: skip
        perms = interaction.permissions
        if not (perms.manage_events or perms.manage_guild):
            raise app_commands.MissingPermissions(["manage_events"])
        guild = interaction.guild
        if guild is None:
            raise app_commands.NoPrivateMessage()
        chosen = action.value if action else PUBLISH
        served = picked(self.conferences, interaction, conference)
        # Eleven or more REST calls can take longer than Discord's 3 seconds: acknowledge
        # first, report in an ephemeral followup.
        await interaction.response.defer(ephemeral=True, thinking=True)
        tally = Tally()
        if chosen == REMOVE:
            await self.state.events.set_window(guild.id, served.key, on=False)
            await self._remove(served, guild, tally)
        else:
            await self.state.events.set_window(guild.id, served.key, on=True)
            await self._publish(served, guild, tally)
        await interaction.followup.send(
            tally.summary(chosen, reader_words(interaction)), ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )  # fmt: skip

    async def follow(
        self, served: Served, guilds: Sequence[discord.Guild], changes: Sequence[Change]
    ) -> None:
        """A new version of a program: where its events were published, update those of
        the sessions it changed and delete those of sessions it removed."""
        touched = {t.session_key for c in changes for t in (c.before, c.after) if t}
        keys = {s.key for s in served.service.program.sessions}
        for guild in guilds:
            stored = await self.state.events.published(guild.id, served.key)
            if not stored:
                continue
            tally = Tally()
            await self._publish(served, guild, tally, only=touched & keys)
            await self._remove(served, guild, tally, only=set(stored) - keys)
            log.info("events in guild %d follow the new program: %s", guild.id,
                     tally.summary(PUBLISH).replace("\n", " "))  # fmt: skip

    async def _publish(
        self, served: Served, guild: discord.Guild, tally: Tally, only: set[str] | None = None,
        refresh: bool = True,
    ) -> None:  # fmt: skip
        """Bring the window up to date: events of sessions that are over removed, then the
        next sessions created (and, with `refresh`, those published updated), as many as
        Discord has room for."""
        now = self.clock.now()
        service = served.service  # one version for the whole run (see bot.live.holder)
        conference = service.conference
        stored = await self.state.events.published(guild.id, conference.key)
        sessions = sorted(service.program.sessions, key=lambda s: (s.slot.start, s.key))
        w = await guild_words(self.client, guild)
        ended = [s for s in sessions if s.slot.end <= now]
        await self._clear_ended(served, guild, tally, ended, stored)
        running = [s for s in sessions if s.slot.start <= now < s.slot.end]
        tally.skipped += [s for s in running
                          if s.key not in stored and (only is None or s.key in only)]  # fmt: skip
        room = max(0, EVENTS_PER_SERVER_MAX - self._others(guild, stored)
                   - sum(1 for s in running if s.key in stored))  # fmt: skip
        upcoming = [s for s in sessions if s.slot.start > now]
        window, tally.waiting = upcoming[:room], max(0, len(upcoming) - room)
        for position, session in enumerate(window):
            if (only is not None and session.key not in only) or (
                not refresh and session.key in stored
            ):
                continue
            spec = session_event(session, service.session_talks(session), conference, w)
            try:
                event_id = stored.get(session.key)
                event = await self._existing(guild, event_id) if event_id else None
                # One set of fields for both: an update must say what a creation says.
                publish = event.edit if event is not None else guild.create_scheduled_event
                saved = await publish(
                    name=spec.name, description=spec.description, start_time=spec.start,
                    end_time=spec.end, location=spec.location,
                    entity_type=discord.EntityType.external,
                    privacy_level=discord.PrivacyLevel.guild_only,
                )  # fmt: skip
                if event is not None:
                    tally.updated += 1
                else:
                    tally.created += 1
                await self.state.events.save(guild.id, conference.key, session.key,
                                             saved.id, int(now.timestamp()))  # fmt: skip
            except discord.HTTPException as exc:
                if exc.code == TOO_MANY_EVENTS:  # others' events took the room: wait for more
                    tally.waiting += len(window) - position
                    break
                log.warning("could not publish %s in guild %d: %s", session.key, guild.id, exc)
                tally.failed.append(f"{session.title} ({exc.status} {exc.text[:80]})")

    async def _clear_ended(
        self, served: Served, guild: discord.Guild, tally: Tally, ended: list[Session],
        stored: dict[str, int],
    ) -> None:  # fmt: skip
        """Remove the events of sessions that are over: they hold room in Discord's limit."""
        over = {s.key for s in ended if s.key in stored}
        if over:
            removed = Tally()
            await self._remove(served, guild, removed, only=over)
            tally.ended += removed.removed
            tally.failed += removed.failed
            for key in over:
                stored.pop(key)

    @staticmethod
    def _others(guild: discord.Guild, stored: dict[str, int]) -> int:
        """Upcoming or running events in the server that are not ours (other apps',
        people's), as far as the cache knows: they count against the same limit."""
        ours = set(stored.values())
        live = (discord.EventStatus.scheduled, discord.EventStatus.active)
        return sum(1 for e in guild.scheduled_events if e.id not in ours and e.status in live)

    async def _remove(
        self, served: Served, guild: discord.Guild, tally: Tally, only: set[str] | None = None
    ) -> None:
        stored = await self.state.events.published(guild.id, served.key)
        for session_key, event_id in stored.items():
            if only is not None and session_key not in only:
                continue
            try:
                event = await self._existing(guild, event_id)
                if event is not None:
                    await event.delete()
                    tally.removed += 1
                await self.state.events.forget(guild.id, served.key, session_key)
            except discord.HTTPException as exc:
                tally.failed.append(f"{session_key} ({exc.status})")

    @staticmethod
    async def _existing(guild: discord.Guild, event_id: int) -> discord.ScheduledEvent | None:
        """The published event, or None if someone deleted it in Discord."""
        try:
            return guild.get_scheduled_event(event_id) or await guild.fetch_scheduled_event(
                event_id
            )
        except discord.NotFound:
            return None
