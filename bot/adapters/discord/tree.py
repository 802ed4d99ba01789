"""The command tree and the single error path of commands, buttons and forms."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar, cast

import discord
from discord import app_commands

from bot.adapters.discord.respond import send_text
from bot.adapters.discord.speech import reader_words
from bot.i18n import N_, Words
from bot.live.holder import StillIndexing
from bot.render import board
from bot.render.cards import truncate
from bot.render.common import quoted
from bot.render.limits import TYPED_SHOWN_MAX
from bot.render.markdown import escape
from bot.render.program_cards import no_match_message
from bot.render.refusals import refusal
from bot.service import QueryError, WhenError
from bot.service.program_service import LanguageRefused
from bot.service.results import NoMatch
from bot.store.connection import StateUnreachable, WriteFailed, WriteFailure

log = logging.getLogger(__name__)

T = TypeVar("T")
ItemT = TypeVar("ItemT", bound=discord.ui.Item[Any])

# Server-only commands must say "not in DMs" outright: the bot-wide allowed_contexts
# (guild, DM, private channel) fills in every context a command leaves unset, so
# @app_commands.guild_only() alone still registers them for DMs. They must say "not for
# a person's install" too: the bot is installable to an account, and an organisers'
# command (or one that posts in the server) needs the bot in the server.
SERVER_ONLY = app_commands.AppCommandContext(guild=True, dm_channel=False, private_channel=False)
SERVER_INSTALL = app_commands.AppInstallationType(guild=True, user=False)


def server_only(command: T) -> T:
    """For a command; a group of organisers' commands is made by organisers_group."""
    in_servers = app_commands.allowed_contexts(guilds=True, dms=False, private_channels=False)
    return in_servers(app_commands.allowed_installs(guilds=True, users=False)(command))


def organisers_group(name: str, description: str) -> app_commands.Group:
    """A group of organisers' commands: in servers that added the bot, shown to those who
    can manage the server (managed_guild checks it again when one runs)."""
    return app_commands.Group(
        name=name,
        description=description,
        allowed_contexts=SERVER_ONLY,
        allowed_installs=SERVER_INSTALL,
        default_permissions=discord.Permissions(manage_guild=True),
    )


def managed_guild(interaction: discord.Interaction) -> int:
    """The server of an organisers' command, refused to anyone without Manage Server:
    default_permissions hides such commands, but server admins can show them to others."""
    if interaction.guild_id is None:
        raise app_commands.NoPrivateMessage()
    if not interaction.permissions.manage_guild:
        raise app_commands.MissingPermissions(["manage_guild"])
    return interaction.guild_id


APOLOGY = N_(
    "Sorry, something went wrong on our side while answering that. It has been logged;"
    " please try again in a moment."
)


# A state write the disk or the file refused (see bot.store.feature_store.writes): the person
# learns the real reason, that it is not their doing, that nothing of it was kept, and
# whom to tell. One sentence each.
NOT_SAVED = {
    WriteFailure.DISK_FULL: N_("The bot's disk is full, so nothing was saved; please tell the"
                               " bot's operator."),
    WriteFailure.READ_ONLY: N_("The bot's state database is read-only, so nothing was saved;"
                               " please tell the bot's operator."),
    WriteFailure.LOCKED: N_("The bot's state database is locked by another program, so"
                            " nothing was saved; please try again in a minute."),
    WriteFailure.DISK_ERROR: N_("The bot's disk could not write that, so nothing was saved;"
                                " please tell the bot's operator."),
    WriteFailure.UNREACHABLE: N_("The bot's database server cannot be reached, so nothing was"
                                 " saved; please try again in a minute."),
}  # fmt: skip


# A read the state database's server could not answer (StateUnreachable): one sentence,
# for the commands whose answer is what the state keeps (/agenda, /changes); lookups of
# the program answer without the state's part instead (see the program cog).
STATE_UNREACHABLE = N_(
    "The bot's memory (its database server) is out of reach for a moment, so this cannot"
    " be answered now; please try again in a minute."
)


class NothingFound(Exception):
    """A lookup found nothing: an expected outcome, answered with suggestions."""

    def __init__(self, answer: NoMatch, hint: str | None = None) -> None:
        super().__init__(f"no {answer.what} matches {answer.query!r}")
        self.answer = answer
        self.hint = hint


class ConfTree(app_commands.CommandTree):
    """Every command error comes here and takes the one error path (answer_error)."""

    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        original = error.original if isinstance(error, app_commands.CommandInvokeError) else error
        await answer_error(interaction, original)


async def answer_error(interaction: discord.Interaction, original: Exception) -> None:
    """The one error path, for commands, buttons and forms alike: expected errors get
    their one sentence, privately; unexpected ones are logged with a traceback and get an
    apology. Nothing crashes, and nobody is left with Discord's "This interaction failed".
    Each sentence is in the reader's language; a service's sentence a catalog lacks reads
    as written (English)."""
    w = reader_words(interaction)
    if isinstance(original, NothingFound):
        message = no_match_message(original.answer, original.hint, w)
    elif isinstance(original, WhenError):
        message = refusal(original, w, functools.partial(_quoted, w=w), escape)
    elif isinstance(original, LanguageRefused):  # the closest languages in the reader's
        message = board.language_refusal(original, escape, w)
    elif isinstance(original, QueryError):
        message = original.render(escape, w.tr, w.number)
    elif isinstance(original, StillIndexing):
        message = w.tr("The program of {conference} was loaded a moment ago and is still"
                       " being indexed for search; please try again in a few seconds.",
                       conference=escape(original.conference.name))  # fmt: skip
    elif isinstance(original, app_commands.NoPrivateMessage):
        message = w.tr("This works only in a server that added confbot, not in a DM.")
    elif isinstance(original, app_commands.MissingPermissions | app_commands.CheckFailure):
        message = w.tr("You don't have permission to use this command here.")
    elif isinstance(original, app_commands.CommandOnCooldown):
        message = w.tr("Slow down a little: try again in {seconds} s.",
                       seconds=f"{original.retry_after:.0f}")  # fmt: skip
    elif isinstance(original, StateUnreachable):
        # The database logged the outage once; one line here, without a traceback.
        log.info("%s could not read the state database (out of reach)", _asked(interaction))
        message = w.tr(STATE_UNREACHABLE)
    elif isinstance(original, WriteFailed):
        # One line for the operator, without a traceback: the cause is the disk.
        log.error("%s could not be saved: %s", _asked(interaction), original)
        message = w.tr(NOT_SAVED[original.failure])
    else:
        log.error("error in %s", _asked(interaction), exc_info=original)
        message = w.tr(APOLOGY)
    try:
        await send_text(interaction, message, ephemeral=True)
    except discord.HTTPException:
        log.exception("could not send the error message")


class ConfView(discord.ui.View):
    """A view whose buttons take the one error path (discord.py's own on_error only logs,
    and the person sees "This interaction failed")."""

    async def on_error(
        self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item[Any], /
    ) -> None:
        await answer_error(interaction, error)


class ConfModal(discord.ui.Modal):
    """A form whose submission takes the one error path."""

    # discord.py's Modal narrows View.on_error the same way (no `item`).
    async def on_error(  # type: ignore[override]
        self, interaction: discord.Interaction, error: Exception, /
    ) -> None:
        await answer_error(interaction, error)


def answers_errors(
    callback: Callable[[ItemT, discord.Interaction], Coroutine[Any, Any, None]],
) -> Callable[[ItemT, discord.Interaction], Coroutine[Any, Any, None]]:
    """For a DynamicItem's callback: discord.py builds the view of a dynamic item itself
    (View.from_message, in ViewStore.schedule_dynamic_item_call) and only logs what its
    callback raises, never calling any view's on_error; so the callback answers its own."""

    @functools.wraps(callback)
    async def answered(item: ItemT, interaction: discord.Interaction) -> None:
        try:
            await callback(item, interaction)
        except Exception as error:
            await answer_error(interaction, error)

    return answered


def _quoted(typed: str, w: Words) -> str:
    """What a person typed, in a sentence of ours: quoted as the reader's language quotes,
    cut short, never formatting."""
    return quoted(escape(truncate(typed, TYPED_SHOWN_MAX)), w)


def _asked(interaction: discord.Interaction) -> str:
    """What the person used, for the log: a command, a button or a form."""
    if interaction.command is not None:
        return f"/{interaction.command.qualified_name}"
    data = cast("dict[str, Any]", interaction.data or {})  # a union of TypedDicts
    custom_id = data.get("custom_id", "?")
    if interaction.type is discord.InteractionType.modal_submit:
        return f"the form {custom_id}"
    return f"the component {custom_id}"
