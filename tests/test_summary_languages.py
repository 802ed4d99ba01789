"""The text beside a card, for readers who hide embeds, in the card's language to its
last line (issue 26): a German or French card's summary that leaves lines out says so in
German or French, never in English under German lines."""

from __future__ import annotations

from datetime import datetime

import pytest

from bot.changes import RecordedChange
from bot.i18n import Language, bundled_messages
from bot.model import Program
from bot.render import delivery_cards
from bot.render.summary import summary


def ts(moment: str) -> int:
    return int(datetime.fromisoformat(moment + "-07:00").timestamp())


@pytest.mark.parametrize(
    ("language", "ending"),
    [(Language.DE, "weitere Zeilen in der Einbettung."),
     (Language.FR, "lignes de plus dans l'intégration.")],
)  # fmt: skip
def test_a_long_changes_dm_is_summarised_in_its_readers_language(
    program: Program, language: Language, ending: str
):
    """A person's changes in one DM (FOSDEM-sized: a version moving many of the talks
    they follow) hold more lines than a summary: the last says how many in their words."""
    words = bundled_messages().words(language)
    many = [RecordedChange(7, ts("2024-07-10T09:05"), f"p:{n}", (), f"Talk {n} " + "t" * 80,
                           ("added",), None, (ts("2024-07-10T11:00"), ts("2024-07-10T11:20"),
                                              "Grand Ballroom ABGH"))
            for n in range(30)]  # fmt: skip
    card = delivery_cards.notice_card(many, program.conference, "Änderungen", words)
    assert card.language is language
    text = summary([card], bundled_messages().words(card.language))
    assert text.endswith(ending), text[-200:]
