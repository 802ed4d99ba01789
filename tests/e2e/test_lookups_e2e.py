"""Lookups found wrong on FOSDEM 2025 (issue 22's walkthrough), through discord.py
against the fake Discord: /session with a day, /search's whole-word matches first,
/paper's runners-up told apart."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.adapters.discord.client import ConfBot
from tests.conftest import REAL_PROGRAMS, needs_shared
from tests.e2e.conftest import running_bot
from tests.fakediscord.server import FakeDiscord

FOSDEM = REAL_PROGRAMS / "fosdem-2025.schedule.xml"
needs_shared(FOSDEM, module=True)


@pytest.fixture
async def fosdem(fake: FakeDiscord, tmp_path: Path) -> AsyncIterator[ConfBot]:
    # Saturday noon, FOSDEM's first of two days.
    async with running_bot(
        fake, tmp_path, CONFBOT_PROGRAM=str(FOSDEM), CONFBOT_NOW="2025-02-01T12:00"
    ) as instance:
        yield instance


async def test_a_room_and_a_day_is_that_days_block_as_the_hint_says(fake: FakeDiscord, fosdem):
    today = await fake.answer(await fake.send_command("session", name="K.3.201"))
    assert today.embeds[0]["title"] == "LLVM, Saturday"
    assert "Also on Sunday: add the day to the name." in today.embeds[0]["description"]
    sunday = await fake.answer(await fake.send_command("session", name="K.3.201 sunday"))
    assert not sunday.ephemeral  # it said "No session matches"
    assert sunday.embeds[0]["title"] == "Inclusive Web, Sunday"
    assert "Also on Saturday: add the day to the name." in sunday.embeds[0]["description"]


@pytest.mark.parametrize(
    ("name", "said"),
    [
        ("Rust sunday", "Rust is on Saturday only, not Sunday: /session Rust shows it."),
        ("Kernel saturday", "Kernel is on Sunday only, not Saturday: /session Kernel shows it."),
        ("Rust monday", "FOSDEM 2025 has no Monday: it runs Sat Feb 1 to Sun Feb 2."),
    ],
)
async def test_a_track_on_a_day_it_has_no_block_is_one_sentence(fake, fosdem, name, said):
    answer = await fake.answer(await fake.send_command("session", name=name))
    assert answer.ephemeral  # it showed the other day's block as if it were the one asked
    assert answer.data["content"] == said


async def test_search_shows_talks_with_the_word_then_also_close(fake: FakeDiscord, fosdem):
    answer = await fake.answer(await fake.send_command("search", query="rust"))
    (embed,) = answer.embeds
    fields: dict[str, list[str]] = {}
    for field in embed["fields"]:  # a group too long for one field goes on as "(cont.)"
        fields.setdefault(field["name"].removesuffix(" (cont.)"), []).extend(
            field["value"].split("\n")
        )
    talks, close = fields["Talks"], fields["Also close"]
    assert len(talks) == 18 and all("rust" in line.lower() for line in talks)
    assert any("Augurs: a time series toolkit for Rust" in line for line in talks)
    assert len(close) == 6 and close[0].startswith("`Sat 16:00` Let's talk about anti-trust!")
    assert embed["description"].startswith("24 talks, 1 person and 1 session match.")


async def test_paper_tells_a_repeated_title_apart_in_also_close(fake: FakeDiscord, fosdem):
    answer = await fake.answer(
        await fake.send_command("paper", title="learn python programming using hedy")
    )
    (embed,) = answer.embeds
    assert embed["title"] == "Learn Python programming using Hedy"
    (close,) = [f["value"] for f in embed["fields"] if f["name"] == "Also close"]
    assert close.split("\n") == [
        "• `Sun 16:00` Learn Python programming using Hedy · 📍 UD6.203",
        "• The Hedy Programming Language",
    ]
