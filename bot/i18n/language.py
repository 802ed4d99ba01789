"""The languages confbot speaks, and which one a Discord locale string reads as."""

from __future__ import annotations

from enum import StrEnum


class Language(StrEnum):
    """A language with a catalog (English needs none: its sentences are the ids)."""

    EN = "en"
    DE = "de"
    FR = "fr"


# Each language by its own name, as a reader of it looks for it in a list (/announce
# language's choices): the same in every language.
AUTONYMS: dict[Language, str] = {
    Language.EN: "English",
    Language.DE: "Deutsch",
    Language.FR: "Français",
}

# Discord's locale strings (its `locale` and `guild_locale`) for each language we speak
# besides English, the default. Discord has one German and one French locale; every
# other locale (en-US, en-GB, es-ES, ja, ...) reads English.
DISCORD_LOCALES: dict[Language, tuple[str, ...]] = {
    Language.DE: ("de",),
    Language.FR: ("fr",),
}
_BY_LOCALE = {locale: language for language, locales in DISCORD_LOCALES.items()
              for locale in locales}  # fmt: skip


def known_language(kept: str | None) -> Language | None:
    """A language code kept in the state (a reminder's, a registration's, a server's
    choice), if it is one we speak; None when none was kept or it is no longer ours."""
    return Language(kept) if kept in set(Language) else None


def language_of(locale: str | None) -> Language:
    """The language for a Discord locale string ('de', 'fr', 'en-US', ...): English for
    any locale we have no catalog for, or none at all. A region after the language ('de-AT',
    'fr-CA', should Discord add them) reads as the language."""
    if not locale:
        return Language.EN
    return _BY_LOCALE.get(locale, _BY_LOCALE.get(locale.split("-")[0].lower(), Language.EN))
