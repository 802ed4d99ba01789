"""Ticket roles: attendees prove a pretix ticket with /register and get the roles its
products give; organisers map products to roles and watch it with /tickets.

What is looked up and kept is the ticket service's (bot.service.tickets); here are the
Discord sides: the form, the roles given all or none (bot.adapters.discord.roles), the
answers, always private, and the log channel's line, which names the member and the roles
and nothing of the order. Organisers' commands need Manage Server and Manage Roles (the
role hierarchy is theirs to change), shown only to them and checked again when run.

Whose language: the reader's for the form and every answer; the server's (as /announce
language sets it, else Discord's) for the log channel; an organiser told by DM of a
deleted role or a broken log channel reads the language they set it in, if it was kept,
else the server's. The member's is kept with the registration for the refund DM.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp
import discord
from discord import app_commands
from discord.ext import commands

from bot.adapters.discord.conference_option import (
    CONFERENCE_HELP,
    ConferenceArg,
    picked,
    picked_for_autocomplete,
)
from bot.adapters.discord.embeds import NO_MENTIONS
from bot.adapters.discord.replies import send_text
from bot.adapters.discord.roles import RolesRefused, give, refusal_for, split_roles, take
from bot.adapters.discord.speech import guild_words, messages_of, reader_words
from bot.adapters.discord.tree import SERVER_INSTALL, SERVER_ONLY, ConfModal, server_only
from bot.clock import Clock
from bot.i18n import ENGLISH, Language, Words, known_language
from bot.live.conferences import Conferences
from bot.render import ticket_organisers as said
from bot.render import tickets as ticket_text
from bot.render.cards import choice_name
from bot.render.limits import CHOICE_VALUE_MAX, CHOICES_MAX
from bot.render.roles import Audience, refusal_sentence
from bot.service import QueryError
from bot.service.ticket_input import EMAIL_MAX, FIELD_MAX, BadInput
from bot.service.ticket_results import (
    BadItemText,
    Granted,
    ItemChoice,
    NoSuchItem,
    NotConfigured,
    Unavailable,
)
from bot.service.tickets import TicketService
from bot.store.connection import unreachable
from bot.store.tickets_store import LogTrouble, Unmapped

log = logging.getLogger(__name__)

GIVEN = "ticket registered with /register"
RELEASED = "ticket released by an organiser with /tickets release"
# Discord waits 3 s for an autocomplete's choices; pretix may take longer (its client
# waits up to 10 s). The products then come in the background, for the next key pressed.
AUTOCOMPLETE_WAIT = 2.0
ORGANISERS = discord.Permissions(manage_guild=True, manage_roles=True)
# What posting or a DM may fail with besides Discord's refusals: Discord or the connection.
_FAILURES = (discord.DiscordException, aiohttp.ClientError, asyncio.TimeoutError)


def organiser_guild(interaction: discord.Interaction) -> discord.Guild:
    """The server of a /tickets command, refused to anyone without Manage Server and
    Manage Roles (default_permissions hides the commands from others, but a server's
    admins can show them to anyone)."""
    guild = interaction.guild
    if guild is None or interaction.guild_id is None:
        raise app_commands.NoPrivateMessage()
    perms = interaction.permissions
    missing = [name for name, ok in (("manage_guild", perms.manage_guild),
                                     ("manage_roles", perms.manage_roles)) if not ok]  # fmt: skip
    if missing:
        raise app_commands.MissingPermissions(missing)
    return guild


def _as_query_error(refused: RolesRefused, audience: Audience, w: Words) -> QueryError:
    return QueryError(refusal_sentence(refused.refusal, audience, refused.stuck, w))


class RegisterModal(ConfModal, title="Register your ticket"):
    """The two fields, as pretix's order confirmation names what goes in them, in the
    words of the person who opens it."""

    def __init__(self, cog: TicketsCog, conference: str, w: Words = ENGLISH) -> None:
        super().__init__(title=w.tr(ticket_text.FORM_TITLE))
        self.code: discord.ui.TextInput[RegisterModal] = discord.ui.TextInput(
            label=w.tr(ticket_text.ORDER_CODE), placeholder=w.tr(ticket_text.ORDER_CODE_HINT),
            max_length=FIELD_MAX, custom_id="register:code",
        )  # fmt: skip
        self.email: discord.ui.TextInput[RegisterModal] = discord.ui.TextInput(
            label=w.tr(ticket_text.EMAIL), placeholder=w.tr(ticket_text.EMAIL_HINT),
            max_length=EMAIL_MAX, required=False, custom_id="register:email",
        )  # fmt: skip
        self.add_item(self.code)
        self.add_item(self.email)
        self.cog = cog
        self.conference = conference

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await self.cog.register_submitted(
            interaction, self.conference, str(self.code.value), str(self.email.value or "")
        )


class TicketsCog(commands.Cog):
    def __init__(
        self, conferences: Conferences, clock: Clock, tickets: TicketService,
        client: discord.Client,
    ) -> None:  # fmt: skip
        """`client`: for DMs to organisers, which no interaction carries, and the words of
        a server's posts (speech.guild_words)."""
        self.conferences = conferences
        self.clock = clock
        self.tickets = tickets
        self.client = client
        self._fetching: set[asyncio.Task[object]] = set()  # autocompletes gone past 3 s

    # -- attendees -----------------------------------------------------------------------

    @app_commands.command(name="register", description="Get your conference ticket's roles")
    @app_commands.describe(conference=CONFERENCE_HELP)
    @server_only
    async def register(
        self, interaction: discord.Interaction, conference: ConferenceArg | None = None
    ) -> None:
        served = picked(self.conferences, interaction, conference)
        if not self.tickets.configured(served.key):
            raise QueryError(ticket_text.NOT_CONFIGURED)
        await interaction.response.send_modal(
            RegisterModal(self, served.key, reader_words(interaction))
        )

    async def register_submitted(
        self, interaction: discord.Interaction, conference: str, code: str, email: str
    ) -> None:
        """Look the ticket up, give its roles (all or none), answer privately, report.
        A mapped role deleted without the bot hearing of it is no reason to give none:
        the ticket gives the roles that exist, the mapping goes, organisers are told."""
        member = interaction.user
        guild = interaction.guild
        if guild is None or not isinstance(member, discord.Member):
            raise app_commands.NoPrivateMessage()
        await interaction.response.defer(ephemeral=True, thinking=True)
        w = reader_words(interaction)
        result = await self.tickets.register(conference, guild.id, member.id, code, email,
                                             self.clock.now(), w.language)  # fmt: skip
        if isinstance(result, BadInput):  # which of the form's two fields to fix
            await send_text(interaction, ticket_text.refused_input_text(result, w))
        elif not isinstance(result, Granted):  # pretix's failures are logged by the service
            await send_text(interaction, ticket_text.register_text(result, w=w))
        else:
            await self._grant(interaction, guild, member, result, w)

    async def _grant(
        self, interaction: discord.Interaction, guild: discord.Guild, member: discord.Member,
        result: Granted, w: Words,
    ) -> None:  # fmt: skip
        """Give the ticket's roles, all or none but for those deleted (left out, their
        mappings gone, organisers told), keep those given, answer (in `w`, the
        member's words), report (in the server's)."""
        roles, gone = split_roles(guild, result.roles)
        try:
            given = await give(member, roles, GIVEN)
        except RolesRefused as refused:
            await self.tickets.undo(result)
            raise _as_query_error(refused, Audience.ATTENDEE, w) from refused
        removed: list[Unmapped] = []
        if gone := gone + given.gone:
            removed = await self.tickets.roles_deleted(guild.id, gone)
            result = await self.tickets.leave_out(result, gone)
        await self.tickets.gave(result, member.id, given.given)  # not those held already
        news = bool(result.new or given.given)  # else a second tap: nothing changed
        channel_id = result.log_channel_id if news else None
        # The log line's words are read before the answer, so that the report follows the
        # answer at once (a registration right after finds a broken channel stopped).
        server = await guild_words(self.client, guild) if channel_id is not None else ENGLISH
        await send_text(interaction, ticket_text.granted_text(result, _names(guild, given.holds),
                                                              news, w))  # fmt: skip
        if channel_id is not None:
            line = ticket_text.log_line(member.id, _names(guild, given.given), server)
            await self._report(guild, channel_id, line)
        known = {role.id: role.name for role in roles if role.id in given.gone}  # stale cache
        await self._tell_unmapped(guild, removed, known)

    async def _report(self, guild: discord.Guild, channel_id: int, text: str) -> bool:
        """Post in the log channel; whether it was posted. A channel deleted or closed to
        the bot costs the registration nothing: reporting there stops and the organiser
        who set it is told, once (bot.service.tickets.log_channel_failed); Discord
        failing is only logged."""
        channel = guild.get_channel(channel_id)
        if channel is None or not isinstance(channel, discord.abc.Messageable):
            await self._log_failed(guild, channel_id, LogTrouble.DELETED)
            return False
        perms = channel.permissions_for(guild.me)
        if not (perms.view_channel and perms.send_messages):
            await self._log_failed(guild, channel_id, LogTrouble.FORBIDDEN)
            return False
        try:
            await channel.send(text, allowed_mentions=NO_MENTIONS)
        except discord.NotFound:
            await self._log_failed(guild, channel_id, LogTrouble.DELETED)
        except discord.Forbidden:
            await self._log_failed(guild, channel_id, LogTrouble.FORBIDDEN)
        except _FAILURES as exc:  # Discord failing or slow: this line is lost, no more
            log.warning("could not report in ticket log channel %d: %r", channel_id, exc)
        else:
            return True
        return False

    async def _log_failed(self, guild: discord.Guild, channel_id: int, trouble: LogTrouble) -> None:
        """Stop reporting there and tell, by DM, the organiser who set the channel; only
        the first registration to find it broken does (the others find it stopped)."""
        stopped = await self.tickets.log_channel_failed(guild.id, channel_id, trouble,
                                                        self.clock.now())  # fmt: skip
        if stopped is None or not stopped.set_by:
            return  # told already, or set before the bot kept who set it: /tickets status
        w = await self._organiser_words(guild, known_language(stopped.language))
        await self._dm(stopped.set_by, said.log_off_text(guild.name, channel_id, trouble, w),
                       f"server {guild.id}'s ticket log channel failed")  # fmt: skip

    async def _organiser_words(self, guild: discord.Guild, language: Language | None) -> Words:
        """An organiser's words for a DM: the language they set things in, if it was kept,
        else the server's."""
        if language is not None:
            return messages_of(self.client).words(language)
        return await guild_words(self.client, guild)

    async def _dm(self, user_id: int, text: str, about: str) -> bool:
        """A DM to an organiser; whether it was sent (closed DMs: only logged)."""
        try:
            dm = await self.client.create_dm(discord.Object(id=user_id))
            await dm.send(text, allowed_mentions=NO_MENTIONS)
        except _FAILURES as exc:  # closed DMs, Discord failing
            log.warning("could not tell organiser %d that %s: %r", user_id, about, exc)
            return False
        return True

    # -- deleted roles -------------------------------------------------------------------

    @commands.Cog.listener()
    async def on_guild_role_delete(self, role: discord.Role) -> None:
        """A role deleted in a server: products mapped to it no longer give it (else
        every registration of theirs would fail, all or none), and organisers are told."""
        if self.tickets.sources:  # else no conference has tickets: nothing is mapped
            try:
                removed = await self.tickets.roles_deleted(role.guild.id, [role.id])
            except Exception as exc:
                if unreachable(exc):  # an outage: the state database logs it, once
                    return
                raise
            await self._tell_unmapped(role.guild, removed, {role.id: role.name})

    @commands.Cog.listener()
    async def on_guild_available(self, guild: discord.Guild) -> None:
        """A server as the bot (re)connects: mapped roles deleted while it was down (it
        heard no deletion) are unmapped and told now, not at the first registration."""
        if self.tickets.sources:  # else no conference has tickets: nothing is mapped
            try:
                removed = await self.tickets.roles_missing(guild.id, _role_ids(guild))
            except Exception as exc:
                if unreachable(exc):  # an outage: the state database logs it, once
                    return
                raise
            await self._tell_unmapped(guild, removed, {})

    async def _tell_unmapped(
        self, guild: discord.Guild, removed: list[Unmapped], names: dict[int, str]
    ) -> None:
        """Tell organisers, once, which mappings went with their deleted roles: in the
        log channel, else by DM to whoever last set a mapping or the log channel."""
        if not removed:
            return
        notice = await self.tickets.unmapped_notice(guild.id, removed, self.clock.now())
        if notice.log_channel_id is not None:
            text = said.roles_deleted_text(notice, names, w=await guild_words(self.client, guild))
            if await self._report(guild, notice.log_channel_id, text):
                return
        about = f"mapped roles of server {guild.id} were deleted"
        if not notice.organiser_id:
            log.warning("no organiser known to tell that %s", about)
            return
        w = await self._organiser_words(guild, notice.organiser_language)
        await self._dm(notice.organiser_id, said.roles_deleted_text(notice, names, guild.name, w),
                       about)  # fmt: skip

    # -- organisers ----------------------------------------------------------------------

    tickets_group = app_commands.Group(
        name="tickets",
        description="Roles for pretix ticket holders",
        allowed_contexts=SERVER_ONLY,
        allowed_installs=SERVER_INSTALL,
        default_permissions=ORGANISERS,
    )

    @tickets_group.command(name="role", description="Give a role to holders of a product")
    @app_commands.describe(
        item="The pretix product (or one variation of it)",
        role="The role its ticket holders get",
        remove="Stop giving this role for this product instead (roles given stay)",
        conference=CONFERENCE_HELP,
    )
    async def tickets_role(
        self, interaction: discord.Interaction,
        item: app_commands.Range[str, 1, CHOICE_VALUE_MAX], role: discord.Role,
        remove: bool = False, conference: ConferenceArg | None = None,
    ) -> None:  # fmt: skip
        guild = organiser_guild(interaction)
        served = picked(self.conferences, interaction, conference)
        if not self.tickets.configured(served.key):
            raise QueryError(said.NOT_CONFIGURED)
        w = reader_words(interaction)
        role = guild.get_role(role.id) or role  # the server's own, as the gateway keeps it
        if not remove and (refusal := refusal_for(guild, [role])) is not None:
            raise QueryError(refusal_sentence(refusal, Audience.ORGANISER, w=w))
        await interaction.response.defer(ephemeral=True, thinking=True)
        choice = await self._item(served.key, item, w)
        if remove:
            gone = await self.tickets.unmap_role(served.key, guild.id, choice, role.id)
            await send_text(interaction, said.unmapped_text(choice.label, role.id, gone, w))
            return
        mapped = await self.tickets.map_role(served.key, guild.id, choice, role.id,
                                             self.clock.now(), interaction.user.id,
                                             w.language)  # fmt: skip
        await send_text(interaction, said.mapped_text(mapped, w))

    async def _item(self, conference: str, typed: str, w: Words) -> ItemChoice:
        found = await self.tickets.resolve_item(conference, typed, self.clock.now())
        if isinstance(found, NoSuchItem):
            raise QueryError(said.no_such_item_text(found, w))
        if isinstance(found, BadItemText):
            raise QueryError(said.bad_item_text(found, w))
        if isinstance(found, Unavailable):
            log.warning("products of %s not listed: %s", conference, found.detail)
            raise QueryError(said.shop_unavailable_text(found, w))
        if isinstance(found, NotConfigured):
            raise QueryError(said.NOT_CONFIGURED)
        return found

    @tickets_role.autocomplete("item")
    async def item_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        served = picked_for_autocomplete(self.conferences, interaction)
        fetch = asyncio.ensure_future(self.tickets.choices(served.key, self.clock.now(), current))
        try:
            found = await asyncio.wait_for(asyncio.shield(fetch), AUTOCOMPLETE_WAIT)
        except TimeoutError:
            self._fetching.add(fetch)  # kept until done: the next key pressed finds the list
            fetch.add_done_callback(self._fetching.discard)
            fetch.add_done_callback(_late_failure)
            return []
        if not isinstance(found, list):
            return []
        w = reader_words(interaction)
        return [
            app_commands.Choice(
                name=choice_name(said.choice_label(c.label, c.active, w)),
                value=c.value,
            )
            for c in found
        ][:CHOICES_MAX]

    @tickets_group.command(name="log", description="Where registrations are reported")
    @app_commands.describe(channel="The channel (leave out to stop reporting)")
    async def tickets_log(
        self, interaction: discord.Interaction, channel: discord.TextChannel | None = None
    ) -> None:
        guild = organiser_guild(interaction)
        w = reader_words(interaction)
        if channel is not None:
            _check_can_post(guild, channel, w)
        channel_id = channel.id if channel is not None else None
        await self.tickets.set_log_channel(guild.id, channel_id, self.clock.now(),
                                           interaction.user.id, w.language)  # fmt: skip
        await send_text(interaction, said.log_channel_text(channel_id, w))

    @tickets_group.command(name="status", description="Which products give which roles, and counts")
    @app_commands.describe(conference=CONFERENCE_HELP)
    async def tickets_status(
        self, interaction: discord.Interaction, conference: ConferenceArg | None = None
    ) -> None:
        guild = organiser_guild(interaction)
        served = picked(self.conferences, interaction, conference)
        await interaction.response.defer(ephemeral=True, thinking=True)
        removed = await self.tickets.roles_missing(guild.id, _role_ids(guild))
        await self._tell_unmapped(guild, removed, {})  # so none is listed below
        status = await self.tickets.status(served.key, guild.id, self.clock.now())
        role_ids = sorted({line.mapping.role_id for line in status.mappings})
        w = reader_words(interaction)
        problems = _problems(guild, role_ids, w)
        await send_text(interaction, said.status_text(status, served.conference.name, problems, w))

    @tickets_group.command(
        name="release", description="Free a member's tickets for another account"
    )
    @app_commands.describe(member="The member whose tickets another account may register",
                           conference=CONFERENCE_HELP)  # fmt: skip
    async def tickets_release(
        self, interaction: discord.Interaction, member: discord.User,
        conference: ConferenceArg | None = None,
    ) -> None:  # fmt: skip
        guild = organiser_guild(interaction)
        served = picked(self.conferences, interaction, conference)
        await interaction.response.defer(ephemeral=True, thinking=True)
        released = await self.tickets.release(served.key, guild.id, member.id)
        kept = await self.tickets.store.roles_held(guild.id, member.id, besides=0)
        wanted = [r for r in released.roles if r not in kept]
        taken: tuple[int, ...] = ()
        left = False
        w = reader_words(interaction)
        if wanted:
            try:
                took = await take(guild, member.id, wanted, RELEASED)
            except RolesRefused as refused:
                raise _as_query_error(refused, Audience.ORGANISER, w) from refused
            taken, left = took.taken, took.left
        await send_text(interaction, said.released_text(member.id, released.tickets, taken, left,
                                                        w))  # fmt: skip


def _check_can_post(guild: discord.Guild, channel: discord.TextChannel, w: Words) -> None:
    """Refuse up front, with the fix, a log channel the bot could not post in."""
    perms = channel.permissions_for(guild.me)
    if not (perms.view_channel and perms.send_messages):
        raise QueryError(said.cannot_post_text(channel.id, w))


def _problems(guild: discord.Guild, role_ids: list[int], w: Words) -> list[str]:
    """What would stop the mapped roles being given now, for /tickets status (mappings
    to deleted roles are removed before it reads them)."""
    roles = [role for r in role_ids if (role := guild.get_role(r)) is not None]
    if roles and (refusal := refusal_for(guild, roles)) is not None:
        return [refusal_sentence(refusal, Audience.ORGANISER, w=w)]
    return []


def _role_ids(guild: discord.Guild) -> list[int]:
    """The server's roles now, as the gateway keeps them."""
    return [role.id for role in guild.roles]


def _names(guild: discord.Guild, role_ids: tuple[int, ...]) -> list[str]:
    """The roles' names as the server has them (one deleted meanwhile left out)."""
    return [role.name for r in role_ids if (role := guild.get_role(r)) is not None]


def _late_failure(fetch: asyncio.Future[Any]) -> None:
    """An autocomplete's fetch that failed after its answer was due: no one awaits it,
    so its failure is taken here (else asyncio reports it, with a traceback, when the
    task is collected) and logged in one line; an outage is the state database's to
    tell, once."""
    if fetch.cancelled():
        return
    exc = fetch.exception()
    if exc is not None and not unreachable(exc):
        log.warning("listing the products for an autocomplete failed late: %r", exc)
