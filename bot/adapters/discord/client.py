"""The bot: a commands.AutoShardedBot subclass wiring settings, stores, services and cogs."""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.adapters.discord.calendar import CalendarButton
from bot.adapters.discord.changes_cog import ChangesCog
from bot.adapters.discord.cog import ProgramCog
from bot.adapters.discord.delivery import DiscordSender
from bot.adapters.discord.embeds import NO_MENTIONS
from bot.adapters.discord.events_cog import EventsCog
from bot.adapters.discord.program_cog import ProgramAdminCog
from bot.adapters.discord.qa_cog import QACog
from bot.adapters.discord.qa_widgets import AskButton
from bot.adapters.discord.reminders_cog import RemindersCog
from bot.adapters.discord.streams_cog import StreamsCog
from bot.adapters.discord.tree import ConfTree
from bot.app import make_clock, open_program, open_state
from bot.clock import Clock
from bot.live.diff import Change
from bot.live.holder import ProgramHolder
from bot.live.served import keep_served
from bot.live.sync import ProgramFollower
from bot.reminders.scheduler import Scheduler
from bot.service import ProgramService
from bot.settings import Settings
from bot.store import ProgramStore
from bot.store.state import StateStore

log = logging.getLogger(__name__)


class ConfBot(commands.AutoShardedBot):
    """Slash commands only, so only default intents: nothing privileged to ask for."""

    settings: Settings
    store: ProgramStore | None
    state: StateStore | None
    holder: ProgramHolder
    clock: Clock
    scheduler: Scheduler | None
    follower: ProgramFollower | None

    def __init__(self, settings: Settings, clock: Clock | None = None, **options: Any) -> None:
        # Sharded from the start: one shard until Discord asks for more (at 2,500 servers)
        # or CONFBOT_SHARDS says how many. Everything kept is per server, never per shard.
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
        self.store = None
        self.state = None
        self.scheduler = None
        self.follower = None
        self._clock_override = clock

    async def setup_hook(self) -> None:
        """Open the stores (rebuilding the program if stale), add the cogs, start the
        scheduler, and sync commands to the test guild if one is configured."""
        opened = await open_program(self.settings)
        self.store = opened.store
        if opened.report.rebuilt:
            log.info("program database rebuilt (%s)", opened.report.reason)
        self.clock = self._clock_override or make_clock(
            opened.service.conference, self.settings.simulated_now
        )
        self.holder = holder = ProgramHolder(opened.service, self.clock.now())
        self.follower = follower = ProgramFollower(
            self.settings, holder, self.clock, self._program_changed
        )
        self.add_dynamic_items(CalendarButton, AskButton)
        self.state = state = await open_state(self.settings)
        reports = opened.report.reports
        await self._serving(reports[0].version if reports else None, since_last_served=True)
        conference = self.service.conference.key
        await self.add_cog(
            ProgramCog(
                self,
                holder,
                self.clock,
                lambda user: state.followed_refs(conference, user),
                lambda guild: state.streams(guild, conference),
            )
        )
        sender = DiscordSender(self)
        self.scheduler = Scheduler(
            self.state, lambda: holder.service, self.clock, sender, pace=self.settings.delivery_pace
        )
        await self.add_cog(
            RemindersCog(
                holder,
                self.clock,
                self.state,
                self.scheduler,
                self.settings.max_reminders,
                lambda: follower.status,
            )
        )
        await self.add_cog(EventsCog(holder, self.clock, self.state, self.get_guild))
        await self.add_cog(StreamsCog(holder, self.clock, self.state))
        await self.add_cog(QACog(holder, self.clock, self.state, self.scheduler.wake))
        await self.add_cog(ChangesCog(holder, self.clock, self.state))
        await self.add_cog(ProgramAdminCog(follower))
        await self.scheduler.start()
        follower.start()
        if self.settings.guild_id is not None:
            guild = discord.Object(id=self.settings.guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
            log.info("synced %d commands to guild %s", len(synced), self.settings.guild_id)

    async def _program_changed(self, changes: list[Change]) -> None:
        """A new version is in the holder: keep what changed (for the notices and
        /changes), then re-plan reminders, announcements and threads for it (moved items'
        deliveries move, removed items' are cancelled, and the notices are planned)."""
        await self._serving(None, changes)
        if self.scheduler is not None:
            self.scheduler.wake()
        events = self.get_cog("EventsCog")
        if isinstance(events, EventsCog) and changes:
            try:
                await events.follow(self.guilds, changes)
            except Exception:  # the program is applied already; events catch up next time
                log.exception("published events could not follow the new program")

    async def _serving(
        self, label: str | None, changes: list[Change] | None = None,
        since_last_served: bool = False,
    ) -> None:  # fmt: skip
        """Keep the version now served, with what it changed (see bot.live.served)."""
        if self.state is not None:
            now_ts = int(self.clock.now().timestamp())
            await keep_served(self.state, self.settings, self.service.program, now_ts, label,
                              changes, since_last_served)  # fmt: skip

    @property
    def service(self) -> ProgramService:
        """The current version of the program (see bot.live.holder)."""
        return self.holder.service

    async def on_ready(self) -> None:
        log.info("ready as %s in %d servers", self.user, len(self.guilds))

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
        databases, whatever fails on the way: an open connection keeps the process alive."""
        try:
            if self.follower is not None:
                await self.follower.stop()
                self.follower = None
            if self.scheduler is not None:
                await self.scheduler.stop()
                self.scheduler = None
            await self._close_gateway()
        finally:
            stores, self.store, self.state = (self.store, self.state), None, None
            for store in stores:
                if store is not None:
                    await store.close()
