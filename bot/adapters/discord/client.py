"""The bot: a commands.AutoShardedBot subclass wiring settings, stores, services and cogs."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.adapters.discord.calendar import CalendarButton
from bot.adapters.discord.changes_cog import ChangesCog
from bot.adapters.discord.cog import ProgramCog
from bot.adapters.discord.conference_cog import ConferenceCog
from bot.adapters.discord.conference_option import INDEX_WAIT
from bot.adapters.discord.delivery import RATE_LIMIT_WAIT_MAX, DiscordSender, paced_trace
from bot.adapters.discord.embeds import NO_MENTIONS
from bot.adapters.discord.events_cog import EventsCog
from bot.adapters.discord.program_cog import ProgramAdminCog
from bot.adapters.discord.qa_cog import QACog
from bot.adapters.discord.qa_widgets import AskButton
from bot.adapters.discord.reminders_cog import RemindersCog
from bot.adapters.discord.streams_cog import StreamsCog
from bot.adapters.discord.tickets_cog import TicketsCog
from bot.adapters.discord.translator import CatalogTranslator
from bot.adapters.discord.tree import ConfTree
from bot.app import load_service, make_clock, open_coordinator, open_state
from bot.clock import Clock, SystemClock
from bot.cluster import Slice, process_name
from bot.delivery.pacer import Pacer
from bot.delivery.scheduler import Scheduler
from bot.i18n import Messages, bundled_messages
from bot.live.added import AddedSources
from bot.live.cluster import ClusterMember, ThisProcess, Timing
from bot.live.conference import Serving
from bot.live.conferences import Conferences, Served
from bot.live.diff import Change
from bot.live.holder import ProgramHolder
from bot.live.sync import ProgramFollower, failure_sentence
from bot.live.tickets import TicketDesk
from bot.service import ProgramService
from bot.service.announcements import AnnouncementsService
from bot.service.tickets import TicketService
from bot.settings import Settings
from bot.store.conferences_store import AddedSource
from bot.store.coordination import Coordinator
from bot.store.state import StateStore
from bot.tasks import stopped

log = logging.getLogger(__name__)


def process_pacer(settings: Settings) -> Pacer:
    """The pace of this process's requests and deliveries, on the wall clock: the
    settings' delivery pace, and its slice's share of Discord's global limit (which is the
    bot's, summed over every process of a cluster)."""
    return Pacer.for_share(settings.delivery_pace, settings.shard_slice.share)


class ConfBot(commands.AutoShardedBot):
    """Slash commands only, so only default intents: nothing privileged to ask for."""

    settings: Settings
    state: StateStore | None
    conferences: Conferences
    clock: Clock
    messages: Messages

    def __init__(
        self,
        settings: Settings,
        clock: Clock | None = None,
        index_wait: float = INDEX_WAIT,
        pacer: Pacer | None = None,
        coordinator: Coordinator | None = None,
        messages: Messages | None = None,
        **options: Any,
    ) -> None:
        """`index_wait`: how long a lookup awaits its conference's search indexes
        (see INDEX_WAIT; tests make it 0 to see the answer given past it). `pacer`: the
        one pace of every request to Discord (a Pacer on the wall clock at the settings'
        pace by default; tests not about pacing give one on a time of their own).
        `messages`: the catalogs every answer is worded from, in its reader's language (the
        ones shipped in the package by default)."""
        # One pace for every request to Discord, whichever conference or feature makes it:
        # this process's share of the bot's, when it holds a slice of the shards.
        pacer = pacer or process_pacer(settings)
        self._coordinator = coordinator
        options.setdefault("http_trace", paced_trace(pacer))
        options.setdefault("max_ratelimit_timeout", RATE_LIMIT_WAIT_MAX)
        # Sharded from the start: one shard until Discord asks for more (at 2,500 servers)
        # or CONFBOT_SHARD_COUNT says how many, all of them here unless CONFBOT_SHARD_IDS
        # names this process's slice. Everything kept is per server, never per shard.
        if not settings.shard_slice.is_whole:
            options["shard_ids"] = sorted(settings.shard_slice.ids)
        super().__init__(
            shard_count=settings.shards,
            command_prefix=commands.when_mentioned,
            help_command=None,
            intents=discord.Intents.default(),
            tree_cls=ConfTree,
            allowed_mentions=NO_MENTIONS,
            allowed_contexts=app_commands.AppCommandContext(
                guild=True, dm_channel=True, private_channel=True
            ),
            allowed_installs=app_commands.AppInstallationType(guild=True, user=True),
            **options,
        )
        self.settings = settings
        self.messages = messages or bundled_messages()
        self.state = None
        self._clock_override = clock
        self._sender = DiscordSender(self)
        self.coordinator: Coordinator | None = None
        self.member: ClusterMember | None = None
        self.sources: AddedSources | None = None
        self.pacer = pacer
        self._started = False
        self._indexing: asyncio.Task[None] | None = None
        self._index_wait = index_wait
        self.process = process_name()  # its name in the shared state, for its lifetime
        self._desk: TicketDesk | None = None

    async def setup_hook(self) -> None:
        """Open the state, then every conference (rebuilding a program database if
        stale), add the cogs, start each conference's scheduler and follower, and sync
        commands to the test guild if one is configured (see _sync_to_guild)."""
        self.state = state = await open_state(self.settings)
        # Which process follows which conference: this one alone on a SQLite state; on a
        # PostgreSQL state, its processes coordinate through that database.
        self.coordinator = self._coordinator or await open_coordinator(
            state.dialect, self.settings.state_url, self.settings.state_url_from
        )
        self.conferences = conferences = Conferences(state, self.coordinator)
        self.sources = sources = AddedSources(conferences, self._open_added)
        for source in self.settings.sources:
            await self.open_conference(self.settings.for_source(source))
        for added in await state.conferences.added_sources():
            try:
                await self.open_conference(self.settings.added_source(added.url), added.guild_id,
                                           added.conference)  # fmt: skip
            except Exception as exc:  # one server's program never keeps the bot down
                log.warning("the source %s, added in server %d, does not open (%s); not"
                            " serving it", added.url, added.guild_id,
                            failure_sentence(exc))  # fmt: skip
        await conferences.load_choices()
        # Before any sync: the payload carries each command's German and French names.
        await self.tree.set_translator(CatalogTranslator(self.messages))
        self.add_dynamic_items(CalendarButton, AskButton)
        await self.add_cog(
            ProgramCog(
                conferences,
                self.clock,
                lambda key, user: state.reminders.followed_refs(key, user),
                lambda guild, key: state.streams.urls(guild, key),
                self._index_wait,
                state.versions.cancelled,
                AnnouncementsService(state.announcements).room_of,
            )
        )
        await self.add_cog(RemindersCog(conferences, self.clock, state,
                                        self.settings.max_reminders, self._index_wait))  # fmt: skip
        await self.add_cog(EventsCog(conferences, self.clock, state, self))
        await self.add_cog(StreamsCog(conferences, self.clock, state))
        await self.add_cog(QACog(conferences, self.clock, state, conferences.wake))
        await self.add_cog(ChangesCog(conferences, self.clock, state))
        await self.add_cog(ProgramAdminCog(conferences, self.settings.operator_servers))
        await self.add_cog(ConferenceCog(conferences, self.clock, self.settings,
                                         self.open_conference, sources))  # fmt: skip
        await self.add_cog(TicketsCog(conferences, self.clock, self.ticket_desk.service, self))
        for served in conferences:
            await served.start()
        timing = Timing(self.settings.lead_retry, self.settings.follow_check)
        me = ThisProcess.at(self.process, SystemClock().now())  # real time: see ClusterMember
        self.member = ClusterMember(conferences, self.coordinator, state, self.clock,
                                    self.held_shards, me, timing,
                                    (sources, conferences.choices))  # fmt: skip
        if not self.coordinator.sole:  # other processes may add sources and choose
            sources.start()
            conferences.choices.start()
        await self.member.start()
        self._started = True
        self._indexing = asyncio.create_task(self._index_all(), name="confbot-indexing")
        if self.settings.guild_id is not None:
            await self._sync_to_guild(self.settings.guild_id)

    async def _sync_to_guild(self, guild_id: int) -> None:
        """Sync the commands to CONFBOT_GUILD_ID's server, so they appear at once. In a
        cluster every process has the same commands and one sync is enough: the process
        holding shard 0 does it, the others would only spend Discord's sync limit."""
        held = self.settings.shard_slice
        if not held.holds_first:
            log.info("not syncing commands: the process holding shard 0 does (this one holds"
                     " %s)", held.describe())  # fmt: skip
            return
        guild = discord.Object(id=guild_id)
        self.tree.copy_global_to(guild=guild)
        synced = await self.tree.sync(guild=guild)
        log.info("synced %d commands to guild %s", len(synced), guild_id)

    @property
    def ticket_desk(self) -> TicketDesk:
        """The bot's tickets (one desk for every conference: those whose source names a
        pretix event take registrations and watch refunds once started); made with the
        clock, which the first conference sets."""
        if self._desk is None:
            assert self.state is not None
            self._desk = TicketDesk(self.state, self.settings, self.clock)
        return self._desk

    @property
    def tickets(self) -> TicketService:
        return self.ticket_desk.service

    async def open_conference(
        self, view: Settings, added_by: int | None = None, kept_key: str | None = None
    ) -> Served:
        """Open one conference: its program (from its database, rebuilt if stale, then
        closed: it is served from memory; from the version the state kept when the disk
        lost its files, see bot.live.restore), served whole (see Conferences.open for
        `added_by` and `kept_key`), and started at once when a server adds it while the
        bot runs (the others start with the bot)."""
        assert self.state is not None
        # A source a server adds now (no key kept from before) was just fetched: nothing
        # the state kept of its address replaces that.
        adding = added_by is not None and kept_key is None
        loaded = await load_service(view, index_later=True,
                                    state=None if adding else self.state)  # fmt: skip
        if loaded.report.rebuilt:
            log.info("program database %s rebuilt (%s)", view.db_path, loaded.report.reason)
        if not hasattr(self, "clock"):  # the first conference's zone sets a rehearsal's
            self.clock = self._clock_override or make_clock(
                loaded.service.conference, self.settings.simulated_now
            )
        assert self.coordinator is not None
        serving = Serving(self.state, self.clock, self._sender, self.pacer, self.settings,
                          self._follow_up, self.process, self.settings.shard_slice,
                          self.coordinator, self.ticket_desk,
                          messages=self.messages)  # fmt: skip
        served = await self.conferences.open(loaded.service, loaded.report, view, serving,
                                             added_by, kept_key)  # fmt: skip
        if self._started:
            try:
                await served.indexed()
                await served.start()
            except BaseException:  # not half served: the caller says why it is not
                await self.conferences.drop(served.key)
                raise
        return served

    async def _open_added(self, added: AddedSource) -> Served:
        """A source another process added (bot.live.added), opened here under the key it
        was recorded with."""
        view = self.settings.added_source(added.url)
        return await self.open_conference(view, added.guild_id, added.conference)

    async def _index_all(self) -> None:
        """Index every conference's program in a daemon thread, one after the other, once
        the bot is up: with 100 conferences that is 5 s of start-up saved, a lookup that
        comes first awaits only its own conference's indexes (sharing the build, see
        bot.live.holder), and closing the bot never waits for a build."""
        for served in self.conferences:
            try:
                await served.indexed()
            except Exception:  # a lookup tries again on first use
                log.exception("indexing the program of %s in the background failed", served.key)
        log.info("search indexes of %d conferences built", len(self.conferences))

    async def indexes_built(self) -> None:
        """Wait until every conference's search indexes are built (benchmarks)."""
        if self._indexing is not None:
            await asyncio.shield(self._indexing)

    async def _follow_up(self, served: Served, changes: list[Change]) -> None:
        """A new version of a conference, kept and re-planned (see Served): move its
        published events."""
        events = self.get_cog("EventsCog")
        if isinstance(events, EventsCog) and changes:
            try:
                await events.follow(served, self.guilds, changes)
            except Exception:  # the program is applied already; events catch up next time
                log.exception("published events could not follow the new program")

    # The first conference the operator listed: what a bot with one conference serves.

    @property
    def first(self) -> Served:
        return self.conferences.first()

    @property
    def holder(self) -> ProgramHolder:
        return self.first.holder

    @property
    def service(self) -> ProgramService:
        """The current version of the first program (see bot.live.holder)."""
        return self.first.service

    @property
    def follower(self) -> ProgramFollower:
        return self.first.follower

    @property
    def scheduler(self) -> Scheduler:
        return self.first.scheduler

    async def on_ready(self) -> None:
        log.info("ready as %s in %d servers (%s)", self.user, len(self.guilds),
                 self.held_shards().describe())  # fmt: skip

    def held_shards(self) -> Slice:
        """This process's shards: its slice, or all of however many Discord asked for."""
        held = self.settings.shard_slice
        return Slice.whole(self.shard_count or 1) if held.is_whole else held

    async def _close_gateway(self) -> None:
        """discord.py's sharded close ends by queueing a wake-up for the shards' loop, a
        queue made only when shards are launched: closing a bot that never connected
        (login refused, a start-up error in setup_hook) fails on that last step, after
        the cogs, the connection state and the HTTP session are closed. That is done."""
        try:
            await super().close()
        except AttributeError:
            if self.shards:
                raise

    async def close(self) -> None:
        """Stop deliveries first (the one in flight finishes), then the gateway, then the
        database, whatever fails on the way: an open connection keeps the process alive."""
        if self._indexing is not None:
            await stopped(self._indexing)
        try:
            if self.member is not None:
                await self.member.stop()
            if self.sources is not None:  # opens no conference after this
                await self.sources.stop()
            if hasattr(self, "conferences"):
                await self.conferences.choices.stop()
            served_all = list(self.conferences) if hasattr(self, "conferences") else []
            for served in served_all:
                await served.stop()  # each lets another process lead it at once
            await self._close_gateway()
        finally:
            try:
                if self.coordinator is not None:
                    await self.coordinator.close()
            finally:
                state, self.state = self.state, None
                if state is not None:
                    await state.close()
