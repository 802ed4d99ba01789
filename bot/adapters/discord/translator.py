"""Command names, descriptions, options and choices in German and French: discord.py asks
the tree's translator for each string and each of Discord's locales when it builds the
payload it registers (`name_localizations`, `description_localizations`), and Discord
shows each reader the names of their own language. English stays the default."""

from __future__ import annotations

import discord
from discord import app_commands

from bot.i18n import Language, Messages
from bot.i18n.language import DISCORD_LOCALES
from bot.i18n.messages import COMMAND_NAME, OPTION_NAME

# Names are asked with a context of their own (see bot.i18n.messages): Discord's rules
# for names (lowercase, no spaces) are not a sentence's.
CONTEXTS: dict[app_commands.TranslationContextLocation, str] = {
    app_commands.TranslationContextLocation.command_name: COMMAND_NAME,
    app_commands.TranslationContextLocation.group_name: COMMAND_NAME,
    app_commands.TranslationContextLocation.parameter_name: OPTION_NAME,
}
# Only the exact locale a catalog is for: en-US and en-GB readers get the English default.
_LANGUAGES = {locale: language for language, locales in DISCORD_LOCALES.items()
              for locale in locales}  # fmt: skip


class CatalogTranslator(app_commands.Translator):
    """The catalogs' translations of the command tree (None where a catalog has none:
    Discord then shows the English)."""

    def __init__(self, messages: Messages) -> None:
        self.messages = messages

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        language = _LANGUAGES.get(locale.value)
        if language is None or language is Language.EN:
            return None
        words = self.messages.words(language)
        return words.translated(string.message, CONTEXTS.get(context.location))
