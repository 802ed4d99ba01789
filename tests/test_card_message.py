"""What every send and edit of cards passes to discord.py: the embeds and their text."""

from __future__ import annotations

from unittest.mock import MagicMock

from bot.adapters.discord.delivery import DiscordSender
from bot.adapters.discord.embeds import card_message
from bot.i18n import Language
from bot.render.cards import Card
from bot.render.limits import MESSAGE_MAX
from bot.render.summary import summary

ONE = Card("⏰ NOMAD", "**Starts in 10 min**")
TWO = Card("⏰ NOMAD", "📍 Grand Ballroom ABGH")


def test_a_card_is_its_embed_and_its_summary():
    message = card_message([ONE])
    assert message["content"] == summary([ONE]) == "**⏰ NOMAD**\n**Starts in 10 min**"
    assert message["embed"].title == "⏰ NOMAD"


def test_the_cards_of_one_post_are_its_embeds_and_one_text():
    message = card_message([ONE, TWO])
    assert [e.title for e in message["embeds"]] == ["⏰ NOMAD", "⏰ NOMAD"]
    assert message["content"] == "**⏰ NOMAD**\n**Starts in 10 min**\n📍 Grand Ballroom ABGH"


def test_a_post_of_text_alone_or_of_text_and_cards():
    message = DiscordSender(MagicMock())._message
    assert message([], "▶️ Now in Janson") == {"content": "▶️ Now in Janson", "embeds": []}
    both = message([ONE], "x" * MESSAGE_MAX)
    assert len(both["content"]) == MESSAGE_MAX and both["embed"].title == "⏰ NOMAD"
    assert message([ONE], "Moved:")["content"] == f"Moved:\n{summary([ONE])}"


def test_the_texts_own_words_are_in_the_cards_language():
    lines = "\n".join(f"`10:{n:02d}` **Saal {n}** · Ein Vortrag von etwa sechzig Zeichen" for n in
                      range(60))  # fmt: skip
    german = Card("📣 60 Vorträge beginnen um 10:00 MEZ", lines, language=Language.DE)
    assert card_message([german])["content"].endswith("weitere Zeilen in der Einbettung.")
    english = Card("📣 60 talks start at 10:00 CET", lines)
    assert card_message([english])["content"].endswith("more lines in the embed.")
