"""The scheduler's Sender for Discord: DMs and channel posts, with Discord's failures
translated into what the scheduler understands (unreachable, gone, try later); and the
bot's one pace applied to every REST request discord.py makes.

Rate limits, and who handles what:
- discord.py keeps each route's bucket from Discord's X-RateLimit headers, waits before
  a request its bucket has no room for, and on a 429 sleeps the retry_after and tries
  again (5 tries in all). It never limits the bot's total rate, and on a global 429 it
  holds back only requests that had not yet started.
- `paced_trace` (an aiohttp trace discord.py installs on its session) takes a token from
  the shared Pacer before every REST request, retries included, so all conferences and
  features together stay under the global limit; and it pauses the Pacer for a global
  429's retry_after, which holds every request, including those already waiting.
- A route's 429 longer than RATE_LIMIT_WAIT_MAX is not slept on (discord.py raises
  RateLimited): the delivery is retried after the retry_after Discord gave, so one slow
  route never holds a conference's deliveries, or a clean stop, for minutes.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine, Sequence
from types import SimpleNamespace
from typing import Any, ParamSpec, TypeVar

import aiohttp
import discord

from bot.adapters.discord.embeds import NO_MENTIONS, card_message
from bot.adapters.discord.qa_widgets import AskButton
from bot.adapters.discord.roles import RolesRefused, take
from bot.adapters.discord.speech import messages_of
from bot.adapters.discord.views import links_view
from bot.delivery.kind import RolesRemoved, TargetGone, TryLater, Unreachable
from bot.delivery.pacer import Pacer
from bot.render.cards import Card, truncate
from bot.render.limits import FORUM_TAGS_MAX, MESSAGE_MAX
from bot.render.roles import RoleTrouble

# Seconds discord.py may sleep on one route's 429 before giving the delivery back to the
# scheduler instead (its max_ratelimit_timeout; 30 is the smallest it accepts).
RATE_LIMIT_WAIT_MAX = 30.0
# Paths of interaction responses and follow-ups: outside the global limit, and due
# within 3 seconds, so never queued behind a burst of deliveries.
UNPACED = ("interactions", "webhooks")

P = ParamSpec("P")
R = TypeVar("R")


def paced_trace(pacer: Pacer) -> aiohttp.TraceConfig:
    """The trace to pass discord.py as `http_trace`: every REST request to Discord waits
    for the shared pace; a global 429 pauses it for everyone."""
    trace = aiohttp.TraceConfig()

    async def before(
        session: aiohttp.ClientSession, context: SimpleNamespace,
        params: aiohttp.TraceRequestStartParams,
    ) -> None:  # fmt: skip
        url = params.url
        if url.scheme in ("http", "https") and not set(url.parts) & set(UNPACED):
            await pacer.acquire()

    async def after(
        session: aiohttp.ClientSession, context: SimpleNamespace,
        params: aiohttp.TraceRequestEndParams,
    ) -> None:  # fmt: skip
        headers = params.response.headers
        if params.response.status == 429 and (
            headers.get("X-RateLimit-Global", "").lower() == "true"
            or headers.get("X-RateLimit-Scope") == "global"
        ):
            pacer.pause(_seconds(headers.get("Retry-After")) or 1.0)

    trace.on_request_start.append(before)
    trace.on_request_end.append(after)
    return trace


def _seconds(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _later(exc: discord.HTTPException) -> TryLater:
    """A failure worth another try; after a 429, not before the route's retry_after."""
    retry_after = _seconds(exc.response.headers.get("Retry-After")) if exc.status == 429 else None
    return TryLater(f"HTTP {exc.status} {exc.code}", retry_after)


def _rate_limits_handed_back(
    send: Callable[P, Coroutine[Any, Any, R]],
) -> Callable[P, Coroutine[Any, Any, R]]:
    """A route's 429 too long for discord.py to sleep on becomes a TryLater that waits
    the retry_after Discord gave."""

    @functools.wraps(send)
    async def sending(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await send(*args, **kwargs)
        except discord.RateLimited as exc:
            raise TryLater(f"rate limited for {exc.retry_after:.0f} s", exc.retry_after) from exc

    return sending


def _outcome(exc: discord.HTTPException, deleted: str, forbidden: str) -> Exception:
    """A refused post as the scheduler takes it: a deleted or forbidden target is gone
    (its feature is turned off), anything else is worth another try."""
    if isinstance(exc, discord.NotFound):
        return TargetGone(deleted)
    if isinstance(exc, discord.Forbidden):
        return TargetGone(forbidden)
    return _later(exc)


def _removal_failure(refused: RolesRefused) -> Exception:
    """A refused removal as the scheduler takes it: the bot may not (Manage Roles,
    the hierarchy, a managed role) is for good; the member gone is unreachable; Discord
    failing is worth another try, after a 429's retry_after."""
    trouble = refused.refusal.trouble
    if trouble is RoleTrouble.MEMBER_LEFT:
        return Unreachable("the member left the server")
    if trouble is RoleTrouble.FAILED:
        cause = refused.__cause__
        if isinstance(cause, discord.RateLimited):
            return TryLater(f"rate limited for {cause.retry_after:.0f} s", cause.retry_after)
        if isinstance(cause, discord.HTTPException):
            return _later(cause)
        return TryLater(f"Discord failed: {cause!r}")
    return TargetGone(f"may not remove roles {list(refused.refusal.role_ids)}: {trouble}")


class DiscordSender:
    def __init__(self, client: discord.Client) -> None:
        self.client = client

    def _message(self, cards: Sequence[Card], text: str | None = None) -> dict[str, Any]:
        """A message's embeds and text (see card_message), its own words in the cards'
        language; a post's text given goes first, the cards' summary after it, within
        content's limit."""
        message = card_message(cards, messages_of(self.client))
        if text:
            told = "\n".join(part for part in (text, message["content"]) if part)
            message["content"] = truncate(told, MESSAGE_MAX)
        return message

    def server_locale(self, guild_id: int) -> str | None:
        """The server's own language as Discord says it (its preferred locale, which
        Discord sends as guild_locale with every interaction there), None if not known."""
        guild = self.client.get_guild(guild_id)
        return guild.preferred_locale.value if guild is not None else None

    @_rate_limits_handed_back
    async def send_dm(self, user_id: int, card: Card) -> None:
        try:
            channel = await self.client.create_dm(discord.Object(id=user_id))
            message = self._message([card])
            if (view := links_view(card)) is not None:
                await channel.send(**message, view=view, allowed_mentions=NO_MENTIONS)
            else:
                await channel.send(**message, allowed_mentions=NO_MENTIONS)
        except discord.Forbidden as exc:
            raise Unreachable(f"Discord refused the DM ({exc.code})") from exc
        except discord.NotFound as exc:
            raise Unreachable("no such user") from exc
        except discord.HTTPException as exc:
            raise _later(exc) from exc

    @_rate_limits_handed_back
    async def post(self, channel_id: int, cards: Sequence[Card], text: str | None = None) -> None:
        channel = self.client.get_channel(channel_id)
        try:
            if channel is None:
                channel = await self.client.fetch_channel(channel_id)
            if not isinstance(channel, discord.abc.Messageable):
                raise TargetGone(f"channel {channel_id} cannot hold messages")
            await channel.send(**self._message(cards, text), allowed_mentions=NO_MENTIONS)
        except discord.HTTPException as exc:
            deleted = f"channel {channel_id} was deleted"
            forbidden = f"missing permission to post in channel {channel_id}"
            raise _outcome(exc, deleted, forbidden) from exc

    @_rate_limits_handed_back
    async def open_thread(
        self, forum_id: int, name: str, card: Card, tags: Sequence[str]
    ) -> tuple[int, int]:
        forum = self.client.get_channel(forum_id)
        try:
            if forum is None:
                forum = await self.client.fetch_channel(forum_id)
            if not isinstance(forum, discord.ForumChannel):
                raise TargetGone(f"channel {forum_id} is not a forum")
            wanted = {t.casefold() for t in tags}
            available = [t for t in forum.available_tags if t.name.casefold() in wanted]
            applied = available[:FORUM_TAGS_MAX]
            kwargs: dict[str, Any] = {**self._message([card]), "applied_tags": applied,
                                      "allowed_mentions": NO_MENTIONS}  # fmt: skip
            w = messages_of(self.client).words(card.language)  # the card's: the server's
            view = links_view(card, w) or discord.ui.View(timeout=None)
            if card.ask:
                view.add_item(AskButton(w))
            if view.children:
                kwargs["view"] = view
            created = await forum.create_thread(name=name, **kwargs)
        except discord.HTTPException as exc:
            deleted = f"forum {forum_id} was deleted"
            forbidden = f"missing permission to open threads in {forum_id}"
            raise _outcome(exc, deleted, forbidden) from exc
        return created.thread.id, created.message.id

    @_rate_limits_handed_back
    async def edit_first_message(self, thread_id: int, message_id: int, card: Card) -> None:
        thread = await self._thread(thread_id)
        try:
            await thread.get_partial_message(message_id).edit(**self._message([card]))
        except discord.HTTPException as exc:
            raise _later(exc) from exc

    @_rate_limits_handed_back
    async def rename_thread(self, thread_id: int, name: str) -> None:
        thread = await self._thread(thread_id)
        try:
            await thread.edit(name=name)
        except discord.HTTPException as exc:
            raise _later(exc) from exc

    @_rate_limits_handed_back
    async def close_thread(self, thread_id: int, note: str | None = None) -> None:
        thread = await self._thread(thread_id)
        try:
            if note:
                await thread.send(note, allowed_mentions=NO_MENTIONS)
            await thread.edit(locked=True, archived=True)
        except discord.NotFound:
            return  # deleted by hand: nothing left to close
        except discord.HTTPException as exc:
            raise _later(exc) from exc

    async def reopen_thread(self, thread_id: int) -> None:
        thread = await self._thread(thread_id)
        try:
            await thread.edit(archived=False, locked=False)
        except discord.NotFound:
            return  # deleted by hand: nothing left to reopen
        except discord.HTTPException as exc:
            raise _later(exc) from exc

    async def remove_roles(
        self, guild_id: int, member_id: int, role_ids: Sequence[int], reason: str
    ) -> RolesRemoved:
        """Take from the member those of the roles they hold (a refunded ticket's); see
        bot.delivery.kind.RoleSender for what each failure becomes."""
        guild = self.client.get_guild(guild_id)
        if guild is None:
            if not self.client.is_ready():  # the scheduler starts before the gateway
                raise TryLater("not connected to Discord yet")
            raise TargetGone(f"the bot is no longer in server {guild_id}")
        try:
            taken = await take(guild, member_id, role_ids, reason)
        except RolesRefused as refused:
            raise _removal_failure(refused) from refused
        if taken.left:
            raise Unreachable("the member left the server")

        def names(role_ids: tuple[int, ...]) -> tuple[str, ...]:
            return tuple(role.name for r in role_ids if (role := guild.get_role(r)) is not None)

        return RolesRemoved(guild.name, names(taken.taken), names(taken.lacked))

    async def _thread(self, thread_id: int) -> discord.Thread:
        found = self.client.get_channel(thread_id)
        if found is None:
            found = await self.client.fetch_channel(thread_id)
        if not isinstance(found, discord.Thread):
            raise TargetGone(f"channel {thread_id} is not a thread")
        return found
