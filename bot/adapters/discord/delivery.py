"""The scheduler's Sender for Discord: DMs and channel posts, with Discord's failures
translated into what the scheduler understands (unreachable, gone, try later)."""

from __future__ import annotations

from collections.abc import Sequence

import discord

from bot.adapters.discord.embeds import NO_MENTIONS, to_embed
from bot.adapters.discord.views import links_view
from bot.reminders.scheduler import TargetGone, TryLater, Unreachable
from bot.render.cards import Card


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
        except discord.NotFound as exc:
            raise TargetGone(f"channel {channel_id} was deleted") from exc
        except discord.Forbidden as exc:
            raise TargetGone(f"missing permission to post in channel {channel_id}") from exc
        except discord.HTTPException as exc:
            raise TryLater(f"HTTP {exc.status} {exc.code}") from exc
