"""The Q&A thread's widgets: the "Ask a question" button on its first message and the
question form. Kept apart from the cog so views.py can offer the button without an import
cycle (the cog answers through replies.py, which uses views.py)."""

from __future__ import annotations

import re
from typing import Any

import discord

from bot.adapters.discord.embeds import NO_MENTIONS
from bot.adapters.discord.speech import reader_words, server_words
from bot.adapters.discord.tree import ConfModal, answers_errors
from bot.i18n import ENGLISH, N_, Words
from bot.render import delivery_cards
from bot.service import QueryError

VOTE = "👍"
QUESTION_MAX = 1000
ASK_ID = "qa:ask"
QUESTION_ID = "qa:question"  # the form's one field, the same on every form


class QuestionModal(ConfModal, title="Ask a question"):
    def __init__(self, w: Words = ENGLISH) -> None:
        """In the words of the person who opens it (`w`): its title and its field's label."""
        super().__init__(title=w.tr("Ask a question"))
        self.question: discord.ui.TextInput[QuestionModal] = discord.ui.TextInput(
            label=w.tr("Your question"), style=discord.TextStyle.paragraph,
            max_length=QUESTION_MAX, custom_id=QUESTION_ID,
        )  # fmt: skip
        self.add_item(self.question)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await post_question(interaction, str(self.question.value))


async def post_question(interaction: discord.Interaction, question: str) -> None:
    """The question as its own message in the thread, with the first vote to click."""
    channel = interaction.channel
    if not isinstance(channel, discord.Thread) or not question.strip():
        raise QueryError(N_("Questions go in a talk's Q&A thread, and need a few words."))
    asker = interaction.user.display_name
    posted = delivery_cards.question_text(asker, question.strip(), await server_words(interaction))
    message = await channel.send(posted, allowed_mentions=NO_MENTIONS)
    await message.add_reaction(VOTE)
    await interaction.response.send_message(
        "❓ " + reader_words(interaction).tr("Posted. People vote with 👍."), ephemeral=True,
        allowed_mentions=NO_MENTIONS,
    )  # fmt: skip


class AskButton(discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]], template=ASK_ID):
    """On a Q&A thread's first message; works after restarts (nothing in memory)."""

    def __init__(self, w: Words = ENGLISH) -> None:
        """`w`: the words of the thread's first message (the server's), for its label."""
        super().__init__(
            discord.ui.Button(
                label=w.tr("Ask a question"), emoji="❓", style=discord.ButtonStyle.primary,
                custom_id=ASK_ID,
            )
        )  # fmt: skip

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> AskButton:
        return cls()

    @answers_errors
    async def callback(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(QuestionModal(reader_words(interaction)))
