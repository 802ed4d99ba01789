"""The language of a server's channel posts: what /announce language keeps (over both state
backends), and how a delivery picks it (the organisers', else the server's own)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.delivery.kind import Delivering
from bot.i18n import Language, bundled_messages
from bot.service.announcements import AnnouncementsService
from tests.state_backends import StateBackend

GUILD, OTHER = 111, 222
NOW = datetime(2024, 7, 10, 10, 50, tzinfo=UTC)


async def test_an_organisers_language_is_kept_changed_and_cleared(state_backend: StateBackend):
    async with await state_backend.open() as state:
        languages = AnnouncementsService(state.announcements)
        assert await languages.chosen_language(GUILD) is None
        await languages.set_language(GUILD, Language.FR, 7, NOW)
        await languages.set_language(GUILD, Language.DE, 8, NOW)
        assert await languages.chosen_language(GUILD) is Language.DE
        assert await languages.chosen_language(OTHER) is None
        await languages.set_language(GUILD, None, 8, NOW)
        assert await languages.chosen_language(GUILD) is None


async def test_the_posts_language_is_the_organisers_else_the_servers(state_backend: StateBackend):
    async with await state_backend.open() as state:
        languages = AnnouncementsService(state.announcements)
        assert await languages.post_language(GUILD, "de") is Language.DE
        assert await languages.post_language(GUILD, "ja") is Language.EN
        assert await languages.post_language(GUILD, None) is Language.EN
        await languages.set_language(GUILD, Language.FR, 7, NOW)
        assert await languages.post_language(GUILD, "de") is Language.FR


class _Sender:
    """Only what server_words asks of a sender; `locale` None: one that knows no locale."""

    def __init__(self, locales: dict[int, str] | None) -> None:
        self.locales = locales
        if locales is not None:
            self.server_locale = locales.get

    def __getattr__(self, name: str) -> Any:
        if name in ("send_dm", "post", "open_thread", "edit_first_message", "rename_thread",
                    "close_thread", "reopen_thread"):  # fmt: skip
            return lambda *args: None
        raise AttributeError(name)


async def test_a_delivery_speaks_the_servers_language_as_its_sender_knows_it(
    state_backend: StateBackend,
):
    async with await state_backend.open() as state:
        knows = Delivering(None, state, _Sender({GUILD: "fr"}), NOW, set(),  # type: ignore[arg-type]
                           messages=bundled_messages())  # fmt: skip
        assert (await knows.server_words(GUILD)).language is Language.FR
        assert (await knows.server_words(OTHER)).language is Language.EN
        blind = Delivering(None, state, _Sender(None), NOW, set())  # type: ignore[arg-type]
        assert (await blind.server_words(GUILD)).language is Language.EN
        await AnnouncementsService(state.announcements).set_language(GUILD, Language.DE, 7, NOW)
        assert (await blind.server_words(GUILD)).language is Language.DE
