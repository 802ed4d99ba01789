"""What a translation offers as an example to type is in its reader's words: a German or
French reader shown 'thursday 9:00' or 'tomorrow' in an option's description reads
English in a sentence of their own language, and is told to type what they would not."""

from __future__ import annotations

import re

import pytest

from bot.adapters.discord import catalogs
from bot.i18n import Language

# English words for a day or a moment, as examples give them ('thursday 9:00',
# 'tomorrow', 'day 2', '2pm').
_ENGLISH_DAY_WORDS = re.compile(
    r"\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|today|tomorrow"
    r"|yesterday|day [0-9]|[0-9]{1,2}(?:am|pm))\b",
    re.IGNORECASE,
)


@pytest.mark.parametrize("language", [Language.DE, Language.FR])
def test_no_translation_offers_an_english_day_or_time(language: Language):
    english = []
    for message in catalogs.read_catalog(language):
        translations = message.string if isinstance(message.string, tuple) else (message.string,)
        english += [(message.id, text) for text in translations
                    if text and _ENGLISH_DAY_WORDS.search(text)]  # fmt: skip
    assert english == []
