"""/search, /about, /changes and the autocomplete choices in the reader's language,
through discord.py and the fake Discord (issue 26): the bot's words in German or French,
the program's own (titles, names, rooms) as they are; an unknown locale reads English."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.adapters.discord.client import ConfBot
from bot.clock import FixedClock
from tests.conftest import REAL_PROGRAMS, needs_shared, pacific
from tests.e2e.conftest import running_bot
from tests.e2e.test_changes_told_e2e import edited, new_version, talks
from tests.fakediscord.server import FakeDiscord
from tests.program_edits import write_frab

FOSDEM = REAL_PROGRAMS / "fosdem-2025.schedule.xml"


def _names(answer_choices: list[dict[str, str]]) -> list[str]:
    return [c["name"] for c in answer_choices]


async def test_a_french_reader_gets_search_in_french(fake: FakeDiscord, bot: ConfBot):
    answer = await fake.answer(await fake.send_command("search", query="memory", locale="fr"))
    (embed,) = answer.embeds
    assert embed["title"] == "Résultats pour « memory »"
    assert embed["description"] == "6 articles et 1 session correspondent."
    (papers, session) = embed["fields"]
    assert papers["name"] == "Articles"
    assert papers["value"].startswith("`≈ mer. 12 h 05` A Tale of Two Paths: Toward a Hybrid")
    assert "\n`mer. 11 h 45` Harvesting Memory-bound CPU Stall Cycles" in papers["value"]
    assert session["name"] == "Sessions"
    assert session["value"] == "`≈ mer. 10 h 45` Memory Management · 📍 Grand Ballroom ABGH"
    assert answer.data["content"].startswith("**Résultats pour « memory »**")  # embeds off


async def test_a_french_reader_who_finds_nothing_is_told_in_french(fake: FakeDiscord, bot):
    answer = await fake.answer(await fake.send_command("search", query="zzzzqqq", locale="fr"))
    assert answer.ephemeral
    assert answer.data["content"] == (
        "Aucun article, aucune personne, affiliation ou session ne correspond à « zzzzqqq »."
        " Essayez un mot du titre, un nom de famille ou une affiliation."
    )


async def test_a_search_the_bot_cannot_take_is_refused_in_the_readers_words(
    fake: FakeDiscord, bot: ConfBot
):
    long = await fake.answer(await fake.send_command("search", query="x" * 201, locale="fr"))
    assert long.ephemeral
    assert long.data["content"] == "Votre recherche compte 201 caractères ; 200 au maximum."
    bell = await fake.answer(await fake.send_command("author", name="a\u0007b", locale="de"))
    assert bell.data["content"] == "Der Name enthält Steuerzeichen."
    english = await fake.answer(await fake.send_command("search", query="x" * 201, locale="ja"))
    assert english.data["content"] == "That query is 201 characters long; 200 at most."


async def test_a_german_reader_gets_about_in_german(fake: FakeDiscord, bot: ConfBot):
    answer = await fake.answer(await fake.send_command("about", locale="de"))
    (embed,) = answer.embeds
    first, second = embed["description"].split("\n")
    assert first.startswith("Mi., 10. Juli – Fr., 12. Juli 2024 · ")
    assert second == (
        "53 Beiträge in 11 Sitzungen. Zeiten erscheinen in deiner Zeitzone, daneben die"
        " Ortszeit (America/Los\\_Angeles)."
    )
    data, commands = embed["fields"]
    assert data["name"] == "Daten"
    assert commands["name"] == "Befehle"
    assert commands["value"].split("\n")[0] == (
        "`/demnächst [wann]` was als Nächstes kommt · `/jetzt` was gerade läuft"
    )
    assert "**Befehle**" in answer.data["content"]  # the text beside it, German too


async def test_a_french_reader_gets_changes_in_french(fake: FakeDiscord, tmp_path: Path):
    path = tmp_path / "schedule.json"
    write_frab(path, talks())
    clock = FixedClock(pacific("2024-07-10T10:50"))
    env = {"CONFBOT_PROGRAM": str(path), "CONFBOT_SYNC_INTERVAL": "60",
           "CONFBOT_SYNC_MAX_REMOVED": "1"}  # fmt: skip
    async with running_bot(fake, tmp_path, clock, **env) as bot:
        none = await fake.answer(await fake.send_command("changes", locale="fr"))
        assert none.ephemeral
        assert none.data["content"] == "Aucun changement au programme pour l'instant."
        clock.at = pacific("2024-07-10T10:40")
        people = {"title": "Live patching, revisited",
                  "persons": [{"id": 100, "public_name": "Ana Lind"},
                              {"id": 107, "public_name": "Cleo Park"}]}  # fmt: skip
        await new_version(bot, path, edited(t1=people, t3=None), 1)
        clock.at = pacific("2024-07-10T10:50")
        changes = await fake.answer(await fake.send_command("changes", locale="fr"))
        (embed,) = changes.embeds
        assert (
            embed["title"] == "📢 Changements au programme : Change Con, les plus récents d'abord"
        )
        at = int(pacific("2024-07-10T10:40").timestamp())
        lines = embed["description"].splitlines()
        assert lines[0] == f"🕒 **Version du mer. 10 juil., 10 h 40 PDT** (<t:{at}:R>)"
        assert lines[1:] == [
            "• **Live patching, revisited** — a un nouveau titre ; intervenants modifiés :"
            " avec Cleo Park, sans Ben Okafor",
            "• **Rust in the Linux kernel: two years on** — annulé",
        ]
        since = await fake.answer(await fake.send_command("changes", since="10:45", locale="de"))
        assert since.data["content"] == "Seitdem gab es keine Änderungen am Programm."


async def test_a_german_reader_gets_the_autocomplete_choices_in_german(
    fake: FakeDiscord, bot: ConfBot
):
    days = await fake.answer(await fake.send_autocomplete("schedule", "day", "", locale="de"))
    assert days.choices == [
        {"name": "Mittwoch, 10. Juli", "value": "2024-07-10"},
        {"name": "Donnerstag, 11. Juli", "value": "2024-07-11"},
        {"name": "Freitag, 12. Juli", "value": "2024-07-12"},
        {"name": "Ganzes Programm als Kalenderdatei (.ics)", "value": "export"},
    ]
    typed = await fake.answer(await fake.send_autocomplete("track", "day", "donn", name="Security",
                                                          locale="de"))  # fmt: skip
    assert typed.choices == [{"name": "Donnerstag, 11. Juli", "value": "2024-07-11"}]
    english = await fake.answer(await fake.send_autocomplete(
        "track", "day", "thurs", name="Security", locale="de"
    ))  # fmt: skip
    assert english.choices == typed.choices  # an English day name finds it too
    rooms = await fake.answer(await fake.send_autocomplete("next", "room", "", locale="de"))
    assert rooms.choices[0] == {"name": "Alle Räume", "value": "*"}
    assert "Grand Ballroom ABGH" in _names(rooms.choices)  # the program's words as they are
    talks = await fake.answer(await fake.send_autocomplete("paper", "title", "nomad",
                                                           locale="de"))  # fmt: skip
    assert _names(talks.choices)[0].startswith("NOMAD: Non-Exclusive Memory Tiering")


async def test_a_french_reader_gets_the_talks_languages_named_in_french(
    fake: FakeDiscord, tmp_path: Path
):
    needs_shared(FOSDEM)
    async with running_bot(fake, tmp_path, CONFBOT_PROGRAM=str(FOSDEM),
                           CONFBOT_NOW="2025-02-01T10:00"):  # fmt: skip
        french = await fake.answer(await fake.send_autocomplete("now", "language", "",
                                                                locale="fr"))  # fmt: skip
        assert french.choices == [{"name": "Anglais (English)", "value": "en"}]
        typed = await fake.answer(await fake.send_autocomplete("now", "language", "angl",
                                                               locale="fr"))  # fmt: skip
        assert typed.choices == french.choices


async def test_a_french_readers_day_choices_write_the_first_of_the_month_as_french_does(
    fake: FakeDiscord, tmp_path: Path
):
    needs_shared(FOSDEM)
    async with running_bot(fake, tmp_path, CONFBOT_PROGRAM=str(FOSDEM),
                           CONFBOT_NOW="2025-02-01T10:00"):  # fmt: skip
        days = await fake.answer(await fake.send_autocomplete("schedule", "day", "",
                                                              locale="fr"))  # fmt: skip
        assert _names(days.choices) == ["samedi 1er février", "dimanche 2 février",
                                        "Tout le programme en fichier d'agenda (.ics)"]  # fmt: skip
        day = await fake.answer(await fake.send_command("schedule", day="2025-02-01", locale="fr"))
        assert day.embeds[0]["title"] == "FOSDEM 2025 · samedi 1er février"


async def test_room_blocks_offered_by_autocomplete_name_their_day_in_the_readers_words(
    fake: FakeDiscord, tmp_path: Path
):
    needs_shared(FOSDEM)
    async with running_bot(fake, tmp_path, CONFBOT_PROGRAM=str(FOSDEM),
                           CONFBOT_NOW="2025-02-01T10:00"):  # fmt: skip
        blocks = await fake.answer(await fake.send_autocomplete("session", "name", "rust",
                                                                locale="fr"))  # fmt: skip
        assert _names(blocks.choices)[0] == "Rust, samedi"
        english = await fake.answer(await fake.send_autocomplete("session", "name", "rust"))
        assert _names(english.choices)[0] == "Rust, Saturday"


async def test_a_german_reader_searching_a_community_program_reads_its_words_in_german(
    fake: FakeDiscord, tmp_path: Path
):
    """FOSDEM's room blocks ('Rust, Saturday', named by the importer) with the day in
    German, a list going on in a second field marked so, and talks, not papers."""
    needs_shared(FOSDEM)
    async with running_bot(fake, tmp_path, CONFBOT_PROGRAM=str(FOSDEM),
                           CONFBOT_NOW="2025-02-01T10:00"):  # fmt: skip
        found = await fake.answer(await fake.send_command("search", query="rust", locale="de"))
        (embed,) = found.embeds
        assert embed["description"] == "Gefunden: 24 Vorträge, 1 Person und 1 Sitzung."
        names = [f["name"] for f in embed["fields"]]
        assert names[:3] == ["Vorträge", "Vorträge (Forts.)", "Ebenfalls passend"]
        assert embed["fields"][-1] == {
            "name": "Sitzungen",
            "inline": False,
            "value": "`Sa. 10:30` Rust, Samstag · 📍 UB2.252A (Lameere)",
        }
        nothing = await fake.answer(await fake.send_command("search", query="zzzzqqq",
                                                            locale="de"))  # fmt: skip
        assert nothing.data["content"].startswith(
            "Weder ein Vortrag noch eine Person, Einrichtung oder Sitzung passt zu „zzzzqqq“."
        )


@pytest.mark.parametrize("locale", ["ja", "es-ES"])
async def test_an_unknown_locale_reads_search_about_and_choices_in_english(
    fake: FakeDiscord, bot: ConfBot, locale: str
):
    found = await fake.answer(await fake.send_command("search", query="memory", locale=locale))
    assert found.embeds[0]["title"] == "Results for “memory”"
    assert found.embeds[0]["description"] == "6 papers and 1 session match."
    about = await fake.answer(await fake.send_command("about", locale=locale))
    assert [f["name"] for f in about.embeds[0]["fields"]] == ["Data", "Commands"]
    days = await fake.answer(await fake.send_autocomplete("schedule", "day", "", locale=locale))
    assert _names(days.choices) == ["Wednesday, July 10", "Thursday, July 11", "Friday, July 12",
                                    "Whole program as a calendar file (.ics)"]  # fmt: skip
