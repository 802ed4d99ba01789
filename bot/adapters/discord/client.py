"""The bot: a small commands.Bot subclass that wires settings, store, service and cog."""

from __future__ import annotations

import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.adapters.discord.cog import ProgramCog
from bot.adapters.discord.embeds import NO_MENTIONS
from bot.adapters.discord.tree import ConfTree
from bot.app import make_clock, open_program
from bot.clock import Clock
from bot.service import ProgramService
from bot.settings import Settings
from bot.store import ProgramStore

log = logging.getLogger(__name__)


class ConfBot(commands.Bot):
    """Slash commands only, so only default intents: nothing privileged to ask for."""

    settings: Settings
    store: ProgramStore | None
    service: ProgramService
    clock: Clock

    def __init__(self, settings: Settings, clock: Clock | None = None, **options) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            help_command=None,
            intents=discord.Intents.default(),
            tree_cls=ConfTree,
            allowed_mentions=NO_MENTIONS,
            allowed_contexts=app_commands.AppCommandContext(
                guild=True, dm_channel=True, private_channel=True
            ),
            allowed_installs=app_commands.AppInstallationType(guild=True, user=False),
            **options,
        )
        self.settings = settings
        self.store = None
        self._clock_override = clock

    async def setup_hook(self) -> None:
        """Open the store (rebuilding it if stale), add the cog, sync to a test guild."""
        opened = await open_program(self.settings)
        self.store = opened.store
        self.service = opened.service
        if opened.report.rebuilt:
            log.info("program database rebuilt (%s)", opened.report.reason)
        self.clock = self._clock_override or make_clock(
            self.service.conference, self.settings.simulated_now
        )
        await self.add_cog(ProgramCog(self, self.service, self.clock))
        if self.settings.guild_id is not None:
            guild = discord.Object(id=self.settings.guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
            log.info("synced %d commands to guild %s", len(synced), self.settings.guild_id)

    async def on_ready(self) -> None:
        log.info("ready as %s in %d servers", self.user, len(self.guilds))

    async def close(self) -> None:
        await super().close()
        if self.store is not None:
            await self.store.close()
            self.store = None
