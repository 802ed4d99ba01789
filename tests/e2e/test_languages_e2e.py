"""Days, times and a talk's language typed in German and French (issue 26), through
discord.py and the fake Discord on real programs: OSDI '24 (Wednesday to Friday) and
36C3 (Friday December 27 to Monday December 30, 2019; talks in German and English).
A day or a time typed in German or French answers exactly as the same moment typed in
English or ISO does; `language: Deutsch` and `language: allemand` keep the German talks."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.discord.client import ConfBot
from tests.conftest import REAL_PROGRAMS, needs_shared
from tests.e2e.conftest import running_bot
from tests.fakediscord.server import FakeDiscord

CCC = REAL_PROGRAMS / "ccc-36c3.frab.schedule.json"


@pytest.fixture
async def ccc(fake: FakeDiscord, tmp_path: Path) -> AsyncIterator[ConfBot]:
    needs_shared(CCC)
    # Friday afternoon, the congress's first day: Saturday is tomorrow.
    async with running_bot(
        fake, tmp_path, CONFBOT_PROGRAM=str(CCC), CONFBOT_NOW="2019-12-27T15:00"
    ) as instance:
        yield instance


async def embeds(fake: FakeDiscord, command: str, **options: str) -> list[dict[str, Any]]:
    answer = await fake.answer(await fake.send_command(command, **options))
    assert not answer.ephemeral, answer.data.get("content")
    return list(answer.embeds)


async def test_next_when_jeudi_9h_is_thursday_at_nine(fake: FakeDiscord, bot: ConfBot):
    asked = await embeds(fake, "next", when="jeudi 9:05")
    assert asked[0]["fields"][0]["name"].startswith("On now · Enabling Tensor")
    assert asked == await embeds(fake, "next", when="thursday 9:05")
    assert asked == await embeds(fake, "next", when="Do., 11. Juli, 9:05 Uhr")
    assert asked == await embeds(fake, "next", when="2024-07-11T09:05")


@pytest.mark.parametrize("day", ["Samstag", "samedi", "Sa.", "morgen", "demain", "Tag 2",
                                 "jour 2", "28. Dezember", "28 décembre", "28.12."])  # fmt: skip
async def test_schedule_day_samstag_is_saturday(fake: FakeDiscord, ccc: ConfBot, day: str):
    asked = await embeds(fake, "schedule", day=day)
    assert asked == await embeds(fake, "schedule", day="2019-12-28")
    assert "Saturday, December 28" in asked[0]["title"]


async def test_next_when_samstag_14_uhr_is_saturday_at_two(fake: FakeDiscord, ccc: ConfBot):
    asked = await embeds(fake, "next", when="Samstag 14 Uhr")
    assert asked == await embeds(fake, "next", when="2019-12-28T14:00")
    assert asked == await embeds(fake, "next", when="samedi 14h")
    assert asked == await embeds(fake, "next", when="saturday 2pm")


async def test_track_day_option_reads_german_and_french(fake: FakeDiscord, ccc: ConfBot):
    asked = await embeds(fake, "track", name="Security", day="samedi")
    assert asked == await embeds(fake, "track", name="Security", day="saturday")
    assert "Saturday" in asked[0]["title"]


async def test_a_day_in_german_that_the_congress_lacks_gets_one_sentence(
    fake: FakeDiscord, ccc: ConfBot
):
    answer = await fake.answer(await fake.send_command("schedule", day="Dienstag"))
    assert answer.ephemeral
    assert answer.data["content"] == (
        "36th Chaos Communication Congress has no Tuesday: it runs Fri Dec 27 to Mon Dec 30."
    )


@pytest.mark.parametrize("typed", ["Deutsch", "allemand", "German", "DEUTSCH", "de"])
async def test_language_deutsch_or_allemand_keeps_the_german_talks(
    fake: FakeDiscord, ccc: ConfBot, typed: str
):
    (board, *_) = await embeds(fake, "next", language=typed)
    languages = {t.talk.title: t.talk.language for t in ccc.service.talks.values()}
    titles = [f["name"].split(" · ", 1)[1] for f in board["fields"]]
    assert titles and {languages[t] for t in titles} == {"de"}
    assert board["title"].endswith("· language German")


async def test_language_anglais_keeps_the_english_talks(fake: FakeDiscord, ccc: ConfBot):
    (board, *_) = await embeds(fake, "now", language="anglais")
    languages = {t.talk.title: t.talk.language for t in ccc.service.talks.values()}
    titles = [f["name"].split(" · ", 1)[1] for f in board["fields"]]
    assert titles and {languages[t] for t in titles} == {"en"}
    assert board["title"].endswith("· language English")


async def test_language_autocomplete_finds_german_by_its_french_name(
    fake: FakeDiscord, ccc: ConfBot
):
    every = await fake.answer(await fake.send_autocomplete("next", "language", ""))
    assert every.data["choices"] == [
        {"name": "German (Deutsch)", "value": "de"},
        {"name": "English", "value": "en"},
    ]
    allem = await fake.answer(await fake.send_autocomplete("next", "language", "allem"))
    assert allem.data["choices"] == [{"name": "German (Deutsch)", "value": "de"}]


async def test_a_talks_card_names_its_language_in_a_word(fake: FakeDiscord, ccc: ConfBot):
    german = next(t for t in ccc.service.talks.values() if t.talk.language == "de")
    (card,) = await embeds(fake, "paper", title=german.title)
    fields = {f["name"]: f["value"] for f in card["fields"]}
    assert fields["Type"].endswith(" · German")
