"""/publish-events: one Discord scheduled event per session, in the server's Events tab.

Idempotent: the event ids are stored, so running it again updates the events (and
re-creates any that someone deleted by hand) instead of duplicating them. Sessions that
have already started are skipped, since Discord refuses events that start in the past.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import discord
from discord import app_commands
from discord.ext import commands

from bot.adapters.discord.embeds import NO_MENTIONS
from bot.adapters.discord.tree import server_only
from bot.clock import Clock
from bot.live.diff import Change
from bot.live.holder import FollowsProgram, ProgramHolder
from bot.render.common import count_of
from bot.render.events import session_event
from bot.store.state import StateStore

log = logging.getLogger(__name__)

PUBLISH, REMOVE = "publish", "remove"


@dataclass
class Tally:
    created: int = 0
    updated: int = 0
    removed: int = 0
    skipped: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def summary(self, action: str) -> str:
        if action == REMOVE:
            text = f"🗑️ Removed {count_of(self.removed, 'event')}."
        else:
            text = f"📅 Events: {self.created} created, {self.updated} updated."
        if self.skipped:
            text += f"\nSkipped {len(self.skipped)} that already started: " + ", ".join(
                self.skipped
            )
        if self.failed:
            text += f"\n⚠️ {len(self.failed)} failed: " + "; ".join(self.failed)
        return text[:2000]


class EventsCog(commands.Cog, FollowsProgram):
    def __init__(self, holder: ProgramHolder, clock: Clock, state: StateStore) -> None:
        self.holder = holder
        self.clock = clock
        self.state = state

    @app_commands.command(
        name="publish-events",
        description="Create or update a Discord event for each session (or remove them)",
    )
    @server_only
    @app_commands.default_permissions(manage_events=True)
    @app_commands.describe(action="Publish or update the events (default), or remove them")
    @app_commands.choices(
        action=[
            app_commands.Choice(name="publish or update", value=PUBLISH),
            app_commands.Choice(name="remove them", value=REMOVE),
        ]
    )
    async def publish_events(
        self, interaction: discord.Interaction, action: app_commands.Choice[str] | None = None
    ) -> None:
        perms = interaction.permissions
        if not (perms.manage_events or perms.manage_guild):
            raise app_commands.MissingPermissions(["manage_events"])
        guild = interaction.guild
        if guild is None:
            raise app_commands.NoPrivateMessage()
        chosen = action.value if action else PUBLISH
        # Eleven or more REST calls can take longer than Discord's 3 seconds: acknowledge
        # first, report in an ephemeral followup.
        await interaction.response.defer(ephemeral=True, thinking=True)
        tally = Tally()
        if chosen == REMOVE:
            await self._remove(guild, tally)
        else:
            await self._publish(guild, tally)
        await interaction.followup.send(
            tally.summary(chosen), ephemeral=True, allowed_mentions=NO_MENTIONS
        )

    async def follow(self, guilds: Sequence[discord.Guild], changes: Sequence[Change]) -> None:
        """A new version of the program: where events were published, update those of
        the sessions it changed and delete those of sessions it removed."""
        touched = {t.session_key for c in changes for t in (c.before, c.after) if t}
        keys = {s.key for s in self.service.program.sessions}
        for guild in guilds:
            stored = await self.state.published_events(guild.id, self.conference.key)
            if not stored:
                continue
            tally = Tally()
            await self._publish(guild, tally, only=touched & keys)
            await self._remove(guild, tally, only=set(stored) - keys)
            log.info("events in guild %d follow the new program: %s", guild.id,
                     tally.summary(PUBLISH).replace("\n", " "))  # fmt: skip

    async def _publish(
        self, guild: discord.Guild, tally: Tally, only: set[str] | None = None
    ) -> None:
        now = self.clock.now()
        service = self.service  # one version for the whole run (see bot.live.holder)
        conference = service.conference
        stored = await self.state.published_events(guild.id, conference.key)
        for session in service.program.sessions:
            if only is not None and session.key not in only:
                continue
            if session.slot.start <= now:
                tally.skipped.append(session.title)
                continue
            spec = session_event(session, service.session_talks(session), conference)
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
                await self.state.save_event(guild.id, conference.key, session.key,
                                            saved.id, int(now.timestamp()))  # fmt: skip
            except discord.HTTPException as exc:
                log.warning("could not publish %s in guild %d: %s", session.key, guild.id, exc)
                tally.failed.append(f"{session.title} ({exc.status} {exc.text[:80]})")

    async def _remove(
        self, guild: discord.Guild, tally: Tally, only: set[str] | None = None
    ) -> None:
        conference = self.conference
        stored = await self.state.published_events(guild.id, conference.key)
        for session_key, event_id in stored.items():
            if only is not None and session_key not in only:
                continue
            try:
                event = await self._existing(guild, event_id)
                if event is not None:
                    await event.delete()
                    tally.removed += 1
                await self.state.forget_event(guild.id, conference.key, session_key)
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
