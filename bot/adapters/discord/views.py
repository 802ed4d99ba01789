"""Buttons: a paginator only the person who asked can turn, and link buttons."""

from __future__ import annotations

import logging
from typing import Any

import discord

from bot.adapters.discord.calendar import CalendarButton
from bot.adapters.discord.embeds import NO_MENTIONS, card_message, link_buttons
from bot.adapters.discord.speech import messages_of, reader_words
from bot.adapters.discord.tree import ConfView
from bot.i18n import ENGLISH, Messages, Words
from bot.render.cards import Card

log = logging.getLogger(__name__)

# Interaction tokens live 15 minutes; the buttons must be disabled before then.
PAGE_TIMEOUT = 300.0


class Paginator(ConfView):
    """Previous/next buttons over a list of cards, for the invoker only. The buttons say
    "Previous" and "Next" in words: an arrow alone is read out as "black left-pointing
    triangle", or not at all."""

    def __init__(
        self, cards: list[Card], owner_id: int, timeout: float = PAGE_TIMEOUT,
        w: Words = ENGLISH,
    ) -> None:  # fmt: skip
        """`w`: the words of the person who asked (its buttons' labels)."""
        super().__init__(timeout=timeout)
        self.cards = cards
        self.owner_id = owner_id
        self.page = 0
        self.interaction: discord.Interaction | None = None
        for button in link_buttons(cards[0]):
            self.add_item(button)
        if cards[0].calendar:
            self.add_item(CalendarButton(cards[0].calendar, w))
        self.previous.label = w.tr("◀ Previous")
        self.next.label = w.tr("Next ▶")
        self._sync_buttons()

    def shown(self, messages: Messages | None = None) -> dict[str, Any]:
        """The page's embed and its text (see card_message), for the message's edit."""
        return card_message([self.cards[self.page]], messages)

    def _sync_buttons(self) -> None:
        # Not _refresh: that is discord.py's own View method, called on message updates.
        self.previous.disabled = self.page == 0
        self.next.disabled = self.page >= len(self.cards) - 1
        self.counter.label = f"{self.page + 1} / {len(self.cards)}"

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id == self.owner_id:
            return True
        await interaction.response.send_message(
            reader_words(interaction).tr(
                "Only the person who ran the command can turn these pages. Run it yourself"
                " to get your own copy."
            ),
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )
        return False

    @discord.ui.button(label="◀ Previous", style=discord.ButtonStyle.secondary)
    async def previous(
        self, interaction: discord.Interaction, button: discord.ui.Button[Paginator]
    ) -> None:
        self.page = max(self.page - 1, 0)
        await self._show(interaction)

    @discord.ui.button(label="1 / 1", style=discord.ButtonStyle.secondary, disabled=True)
    async def counter(
        self, interaction: discord.Interaction, button: discord.ui.Button[Paginator]
    ) -> None:
        await interaction.response.defer()  # a label, never enabled

    @discord.ui.button(label="Next ▶", style=discord.ButtonStyle.secondary)
    async def next(
        self, interaction: discord.Interaction, button: discord.ui.Button[Paginator]
    ) -> None:
        self.page = min(self.page + 1, len(self.cards) - 1)
        await self._show(interaction)

    async def _show(self, interaction: discord.Interaction) -> None:
        self._sync_buttons()
        shown = self.shown(messages_of(interaction.client))
        await interaction.response.edit_message(**shown, view=self)

    async def on_timeout(self) -> None:
        for item in self.children:
            if isinstance(item, discord.ui.Button) and item in (
                self.previous,
                self.counter,
                self.next,
            ):
                item.disabled = True
        if self.interaction is None:
            return
        try:
            await self.interaction.edit_original_response(view=self)
        except discord.HTTPException as exc:  # message deleted, token expired: nothing to do
            log.debug("could not disable paginator buttons: %s", exc)


def links_view(card: Card, w: Words = ENGLISH) -> discord.ui.View | None:
    """Link buttons and the calendar button; the latter is handled by the dynamic item
    registered on the bot, so this view itself never needs to be listened to."""
    buttons: list[discord.ui.Item[Any]] = list(link_buttons(card))
    if card.calendar:
        buttons.append(CalendarButton(card.calendar, w))
    if not buttons:
        return None
    view = discord.ui.View(timeout=None)
    for button in buttons:
        view.add_item(button)
    return view
