"""`python -m bot run` and `python -m bot sync`: start the bot, or register commands.

A missing or rejected token is the most common first-run problem, so it gets one clear
sentence and exit code 2, never a traceback, and never the token itself. So does a
database file the bot cannot use, and a shard Discord refuses (shard settings to fix).
SIGTERM (what process managers send) and SIGINT stop the bot cleanly: the delivery in
flight finishes, the gateway and databases close, exit 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import signal
import sys
from collections.abc import AsyncIterator

import aiohttp
import discord
import yarl

from bot.adapters.discord.client import ConfBot
from bot.settings import Settings, SettingsError

log = logging.getLogger(__name__)

TOKEN_HELP = (
    "Create an application and bot at https://discord.com/developers/applications"
    " (Bot > Reset Token), put the token in .env as DISCORD_TOKEN=..., and invite the bot"
    " as docs/organisers.md explains (`python -m bot invite` prints the address)."
    " `python -m bot console` answers the same questions offline"
    " without a token."
)


def _fail(message: str, code: int) -> int:
    print(f"confbot: {message}", file=sys.stderr)
    return code


def point_at(base_url: str) -> None:
    """Send discord.py's REST and gateway traffic to a local fake Discord (tests only).

    These two class attributes are where discord.py builds every URL from. Settings
    refuse any host but 127.0.0.1 here, so this can never aim a bot somewhere else.
    """
    url = yarl.URL(base_url)
    discord.http.Route.BASE = str(url / "api" / "v10")
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = url.with_scheme("ws") / "gateway"
    log.warning("using the test Discord at %s", base_url)


async def serve(settings: Settings, bot: ConfBot | None = None) -> None:
    """Log in and serve until closed: what `python -m bot run` does inside asyncio.run."""
    assert settings.discord_token is not None
    if settings.test_discord_url:
        point_at(settings.test_discord_url)
    bot = bot or ConfBot(settings)
    async with bot, _closed_on_signals(bot):
        await bot.start(settings.discord_token)


@contextlib.asynccontextmanager
async def _closed_on_signals(bot: ConfBot) -> AsyncIterator[None]:
    """Close the bot on SIGTERM or SIGINT, and wait for that close to finish before
    returning, so the databases are closed before the event loop is."""
    loop = asyncio.get_running_loop()
    closing: list[asyncio.Task[None]] = []

    def stop(received: signal.Signals) -> None:
        if not closing:
            log.info("%s: finishing the delivery in flight and closing", received.name)
            closing.append(loop.create_task(bot.close(), name="confbot-stop"))

    installed = []
    for number in (signal.SIGTERM, signal.SIGINT):
        # Only the main thread of a Unix process can take signals; elsewhere, go without.
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(number, stop, number)
            installed.append(number)
    try:
        yield
    finally:
        for number in installed:
            loop.remove_signal_handler(number)
        if closing:
            await closing[0]


def shard_refusal(closed: discord.ConnectionClosed, count: int | None) -> str | None:
    """What to fix when Discord refuses a shard at IDENTIFY (None for any other close).
    Connecting again would be refused again, so the run ends (exit 2, which a process
    manager is told not to restart) with the settings to change. `count`: the
    configured CONFBOT_SHARD_COUNT (None: the bot took Discord's recommendation)."""
    shard = closed.shard_id if closed.shard_id is not None else 0
    if closed.code == 4011:
        shards = (
            "the shards Discord recommended"
            if count is None
            else f"{count} shard{'' if count == 1 else 's'}"
        )
        return (
            f"Discord refused shard {shard}: the bot is in too many servers for {shards}"
            " (gateway close 4011, sharding required); set CONFBOT_SHARD_COUNT higher (at"
            " most 2,500 servers a shard) in every process and give their CONFBOT_SHARD_IDS"
            " the new shards, or unset both to run as many as Discord recommends in one"
            " process."
        )
    if closed.code == 4010:
        held = "" if count is None else f" of CONFBOT_SHARD_COUNT={count}"
        return (
            f"Discord refused shard {shard}{held} as invalid (gateway close 4010): every"
            " process of the bot needs the same CONFBOT_SHARD_COUNT, and CONFBOT_SHARD_IDS"
            " only shards below it."
        )
    return None


def run_bot(settings: Settings) -> int:
    if not settings.discord_token:
        return _fail(f"no DISCORD_TOKEN is set. {TOKEN_HELP}", 2)
    try:
        asyncio.run(serve(settings))
    except KeyboardInterrupt:
        return 0
    except discord.LoginFailure:
        return _fail(f"Discord rejected the token in DISCORD_TOKEN. {TOKEN_HELP}", 2)
    except SettingsError as exc:
        return _fail(str(exc), 2)
    except discord.ConnectionClosed as exc:
        refusal = shard_refusal(exc, settings.shards)
        if refusal is None:
            raise
        return _fail(refusal, 2)
    except (aiohttp.ClientError, discord.GatewayNotFound, ConnectionError, TimeoutError) as exc:
        return _fail(f"cannot reach Discord ({type(exc).__name__}). Check the network.", 1)
    return 0


def sync_commands(settings: Settings, guild_id: int | None = None) -> int:
    """Register the slash commands globally (up to an hour to appear) or to one guild."""
    if not settings.discord_token:
        return _fail(f"no DISCORD_TOKEN is set. {TOKEN_HELP}", 2)
    try:
        count = asyncio.run(_sync(settings, guild_id))
    except discord.LoginFailure:
        return _fail(f"Discord rejected the token in DISCORD_TOKEN. {TOKEN_HELP}", 2)
    except discord.HTTPException as exc:
        return _fail(f"Discord refused the commands: {exc}", 1)
    where = f"to guild {guild_id} (they appear at once)" if guild_id else "globally"
    print(f"Synced {count} commands {where}.")
    return 0


async def _sync(settings: Settings, guild_id: int | None) -> int:
    # Sync exactly where asked: not also to CONFBOT_GUILD_ID as a normal start would.
    if settings.test_discord_url:
        point_at(settings.test_discord_url)
    bot = ConfBot(dataclasses.replace(settings, guild_id=None))
    async with bot:
        assert settings.discord_token is not None
        await bot.login(settings.discord_token)  # runs setup_hook, which adds the commands
        if guild_id is None:
            synced = await bot.tree.sync()
        else:
            guild = discord.Object(id=guild_id)
            bot.tree.copy_global_to(guild=guild)
            synced = await bot.tree.sync(guild=guild)
    return len(synced)
