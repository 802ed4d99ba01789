"""The scheduler's Sender for Discord: DMs and channel posts, with Discord's failures
translated into what the scheduler understands (unreachable, gone, try later)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import discord

from bot.adapters.discord.embeds import NO_MENTIONS, to_embed
from bot.adapters.discord.qa_widgets import AskButton
from bot.adapters.discord.views import links_view
from bot.reminders.scheduler import TargetGone, TryLater, Unreachable
from bot.render.cards import Card
from bot.render.limits import FORUM_TAGS_MAX


def _outcome(exc: discord.HTTPException, deleted: str, forbidden: str) -> Exception:
    """A refused post as the scheduler takes it: a deleted or forbidden target is gone
    (its feature is turned off), anything else is worth another try."""
    if isinstance(exc, discord.NotFound):
        return TargetGone(deleted)
    if isinstance(exc, discord.Forbidden):
        return TargetGone(forbidden)
    return TryLater(f"HTTP {exc.status} {exc.code}")


class DiscordSender:
    def __init__(self, client: discord.Client) -> None:
        self.client = client

    async def send_dm(self, user_id: int, card: Card) -> None:
        try:
            channel = await self.client.create_dm(discord.Object(id=user_id))
            embed = to_embed(card)
            if (view := links_view(card)) is not None:
                await channel.send(embed=embed, view=view, allowed_mentions=NO_MENTIONS)
            else:
                await channel.send(embed=embed, allowed_mentions=NO_MENTIONS)
        except discord.Forbidden as exc:
            raise Unreachable(f"Discord refused the DM ({exc.code})") from exc
        except discord.NotFound as exc:
            raise Unreachable("no such user") from exc
        except discord.HTTPException as exc:
            raise TryLater(f"HTTP {exc.status} {exc.code}") from exc

    async def post(self, channel_id: int, cards: Sequence[Card], text: str | None = None) -> None:
        channel = self.client.get_channel(channel_id)
        try:
            if channel is None:
                channel = await self.client.fetch_channel(channel_id)
            if not isinstance(channel, discord.abc.Messageable):
                raise TargetGone(f"channel {channel_id} cannot hold messages")
            await channel.send(
                content=text, embeds=[to_embed(c) for c in cards], allowed_mentions=NO_MENTIONS
            )
        except discord.HTTPException as exc:
            deleted = f"channel {channel_id} was deleted"
            forbidden = f"missing permission to post in channel {channel_id}"
            raise _outcome(exc, deleted, forbidden) from exc

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
            kwargs: dict[str, Any] = {"embed": to_embed(card), "applied_tags": applied,
                                      "allowed_mentions": NO_MENTIONS}  # fmt: skip
            view = links_view(card) or discord.ui.View(timeout=None)
            if card.ask:
                view.add_item(AskButton())
            if view.children:
                kwargs["view"] = view
            created = await forum.create_thread(name=name, **kwargs)
        except discord.HTTPException as exc:
            deleted = f"forum {forum_id} was deleted"
            forbidden = f"missing permission to open threads in {forum_id}"
            raise _outcome(exc, deleted, forbidden) from exc
        return created.thread.id, created.message.id

    async def edit_first_message(self, thread_id: int, message_id: int, card: Card) -> None:
        thread = await self._thread(thread_id)
        try:
            await thread.get_partial_message(message_id).edit(embed=to_embed(card))
        except discord.HTTPException as exc:
            raise TryLater(f"HTTP {exc.status} {exc.code}") from exc

    async def close_thread(self, thread_id: int, note: str | None = None) -> None:
        thread = await self._thread(thread_id)
        try:
            if note:
                await thread.send(note, allowed_mentions=NO_MENTIONS)
            await thread.edit(locked=True, archived=True)
        except discord.NotFound:
            return  # deleted by hand: nothing left to close
        except discord.HTTPException as exc:
            raise TryLater(f"HTTP {exc.status} {exc.code}") from exc

    async def _thread(self, thread_id: int) -> discord.Thread:
        found = self.client.get_channel(thread_id)
        if found is None:
            found = await self.client.fetch_channel(thread_id)
        if not isinstance(found, discord.Thread):
            raise TargetGone(f"channel {thread_id} is not a thread")
        return found
