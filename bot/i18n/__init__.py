"""Speaking the reader's language: German, French, English when in doubt.

English sentences in the code are the message ids; the translations are gettext catalogs
(`bot/locales/<language>/LC_MESSAGES/confbot.po`) that a translator edits without reading
Python (docs/translating.md). They are read once at start (`Messages.load`), and each
answer is rendered with the `Words` of its reader's language, passed in like the clock:
no module holds a language of its own. Below the adapters nothing knows Discord's locale
strings; `language_of` turns one into a `Language`.
"""

from bot.i18n.language import Language, known_language, language_of
from bot.i18n.messages import ENGLISH, N_, Messages, Words, bundled_messages

__all__ = [
    "ENGLISH",
    "N_",
    "Language",
    "Messages",
    "Words",
    "bundled_messages",
    "known_language",
    "language_of",
]
