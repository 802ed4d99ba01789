"""A day or a time the bot cannot use is refused in the reader's language (issue 26),
through discord.py and the fake Discord on the bundled OSDI '24 (Wednesday July 10 to
Friday July 12, 2024): the sentence quotes what was typed as the language quotes, escaped,
and gives examples to type in that language."""

from __future__ import annotations

import pytest

from bot.adapters.discord.client import ConfBot
from tests.fakediscord.server import FakeDiscord


async def refusal(fake: FakeDiscord, command: str, locale: str, **options: str) -> str:
    answer = await fake.answer(await fake.send_command(command, locale=locale, **options))
    assert answer.ephemeral
    assert not answer.embeds
    content: str = answer.data["content"]
    return content


async def test_a_french_reader_typing_25h99_is_refused_in_french(fake: FakeDiscord, bot: ConfBot):
    said = await refusal(fake, "next", "fr", when="25h99")
    assert said.startswith("Je ne comprends pas « 25h99 ». Essayez « maintenant », « 14h »,")
    assert "« jeudi 9h »" in said and "ou une heure ISO comme 2024-07-10T10:50" in said


async def test_a_german_reader_typing_funtag_is_refused_in_german(fake: FakeDiscord, bot: ConfBot):
    said = await refusal(fake, "schedule", "de", day="Funtag")
    assert said == (
        "Ich kann „Funtag“ nicht als Tag lesen. Versuch es mit „heute“, „morgen“, „Tag 2“,"
        " einem Wochentag wie „Samstag“, „1. Feb.“ oder 2025-02-01."
    )


@pytest.mark.parametrize(
    ("locale", "said"),
    [
        ("de", "OSDI '24 hat keinen Montag, sondern läuft von Mi., 10. Juli bis Fr., 12. Juli."),
        ("fr", "OSDI '24 n'a pas de lundi : elle se tient du mer. 10 juil. au ven. 12 juil."),
        ("en-GB", "OSDI '24 has no Monday: it runs Wed Jul 10 to Fri Jul 12."),
    ],
)
async def test_a_weekday_the_conference_lacks_is_said_in_the_readers_language(
    fake: FakeDiscord, bot: ConfBot, locale: str, said: str
):
    assert await refusal(fake, "schedule", locale, day="lundi") == said


async def test_a_day_outside_the_conference_names_its_days_in_french(
    fake: FakeDiscord, bot: ConfBot
):
    said = await refusal(fake, "schedule", "fr", day="2024-07-13")
    assert said == (
        "OSDI '24 n'a pas lieu le samedi 13 juillet 2024 ; elle se tient mercredi 10 juillet,"
        " jeudi 11 juillet et vendredi 12 juillet."
    )


async def test_what_a_german_reader_typed_is_escaped_in_the_refusal(
    fake: FakeDiscord, bot: ConfBot
):
    said = await refusal(fake, "next", "de", when="**heute** 99 Uhr")
    assert said.startswith(r"Ich kann „\*\*heute\*\* 99 Uhr“ nicht lesen.")
