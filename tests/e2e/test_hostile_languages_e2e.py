"""A German or French attendee on FOSDEM 2025's first morning, through discord.py and the
fake Discord (issue 26, attacked): what the bot offers and refuses is in their words,
never an English sentence or an English choice beside German or French ones."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.discord.client import ConfBot
from bot.clock import FixedClock
from bot.render.markdown import as_shown
from tests.conftest import REAL_PROGRAMS, needs_shared, pacific
from tests.e2e.conftest import running_bot, travel, wait_for
from tests.e2e.test_conference_day_e2e import ORGANISER
from tests.e2e.test_program_text_e2e import _talk
from tests.fakediscord.server import FakeDiscord
from tests.markdown_checks import PAYLOAD, problems

FOSDEM = REAL_PROGRAMS / "fosdem-2025.schedule.xml"


@pytest.fixture
async def fosdem(fake: FakeDiscord, tmp_path: Path) -> AsyncIterator[ConfBot]:
    """The bot on FOSDEM 2025 at 9:00 on its first day (Saturday February 1)."""
    needs_shared(FOSDEM)
    async with running_bot(fake, tmp_path, CONFBOT_PROGRAM=str(FOSDEM),
                           CONFBOT_NOW="2025-02-01T09:00") as bot:  # fmt: skip
        yield bot


async def said(fake: FakeDiscord, command: str, locale: str, **options: object) -> str:
    answer = await fake.answer(await fake.send_command(command, locale=locale, **options))
    content: str = answer.data["content"]
    return content


async def offered(fake: FakeDiscord, command: str, option: str, typed: str, locale: str
                  ) -> dict[str, str]:  # fmt: skip
    """An autocomplete's choices, value by name."""
    answer = await fake.answer(await fake.send_autocomplete(command, option, typed,
                                                            locale=locale))  # fmt: skip
    return {choice["name"]: choice["value"] for choice in answer.choices}


@pytest.mark.parametrize(
    ("locale", "session", "block"),
    [("de", "Sitzung: Rust, Samstag", "Rust, Samstag"),
     ("fr", "Session : Rust, samedi", "Rust, samedi")],
)  # fmt: skip
async def test_remind_agenda_and_forget_name_a_rooms_day_in_the_readers_words(
    fake: FakeDiscord, fosdem: ConfBot, locale: str, session: str, block: str
):
    """FOSDEM's room blocks are titled in English by the importer ('Rust, Saturday'):
    /remind's choice, /agenda's card (and a clash with it), /forget's choice and its
    answer say the day in the reader's words."""
    choices = await offered(fake, "remind", "item", "rust", locale)
    assert session in choices, list(choices)
    await said(fake, "remind", locale, item=choices[session])
    go = (await offered(fake, "remind", "item", "the state of go", locale))["The state of Go"]
    await said(fake, "remind", locale, item=go)  # 10:30-11:00, while Rust's day begins
    agenda = await fake.answer(await fake.send_command("agenda", locale=locale))
    (card,) = agenda.embeds
    assert [field["name"] for field in card["fields"]] == ["The state of Go", block]
    assert block in card["fields"][0]["value"]  # the clash
    assert "Saturday" not in agenda.data["content"]
    forgettable = await offered(fake, "forget item", "item", "rust", locale)
    assert list(forgettable) == [block]
    removed = await said(fake, "forget item", locale, item=forgettable[block])
    assert f"**{block}**" in removed, removed


@pytest.mark.parametrize(
    ("locale", "options", "sentence"),
    [
        ("de", {"room": "Janson"}, "Janson hat in diesem Programm keine Vorträge."),
        ("fr", {"room": "Janson"}, "La salle Janson n'a aucun exposé dans ce programme."),
        ("de", {"room": "K.4.20"}, "FOSDEM 2025 hat keinen Raum namens „K.4.20“. Meintest du "),
        ("fr", {"track": "Cuisine"}, "FOSDEM 2025 n'a pas de parcours nommé « Cuisine »."),
        ("fr", {"language": "allemand"},
         "FOSDEM 2025 n'a pas de langue nommée « allemand ». Vouliez-vous dire anglais ?"),
        ("de", {"language": "Deutsch"},
         "FOSDEM 2025 hat keine Sprache namens „Deutsch“. Meintest du Englisch?"),
        ("en-GB", {"language": "Deutsch"},
         "No language of FOSDEM 2025 is called “Deutsch”. Did you mean English?"),
        ("de", {"track": "\u0007"}, "Der Trackname enthält Steuerzeichen."),
        ("fr", {"room": "x" * 300}, "Ce nom de salle compte 300 caractères ; 200 au maximum."),
    ],
)  # fmt: skip
async def test_a_filter_that_names_nothing_is_refused_in_the_readers_language(
    fake: FakeDiscord, fosdem: ConfBot, locale: str, options: dict[str, str], sentence: str
):
    """/next's room, track and language: what names nothing, a room with no talks
    (FOSDEM's Janson, listed with none), and what clean_query refuses."""
    assert (await said(fake, "next", locale, **options)).startswith(sentence)


BRACES = "{title} {0} %s %(name)s {conference} {{count}} {"


def write_braces_program(path: Path) -> None:
    """A one-day frab program (OSDI's Wednesday, Pacific) whose every word holds
    placeholders of ours, gettext's and Python's, and Discord's Markdown and pings."""
    evil = f"{BRACES} {PAYLOAD}"
    talks = {
        f"A {evil}": [_talk("b-on", f"{evil} on stage", "2024-07-10T10:30", 60, f"A {evil}"),
                      _talk("b-two", f"{evil} two", "2024-07-10T11:00", 30, f"A {evil}")],
        f"B {evil}": [_talk("b-three", f"{evil} three", "2024-07-10T11:00", 30, f"B {evil}")],
    }  # fmt: skip
    data = {"schedule": {"version": "1", "conference": {
        "acronym": "bracecon", "title": f"{evil} Con", "start": "2024-07-10",
        "end": "2024-07-10", "time_zone_name": "America/Los_Angeles",
        "days": [{"index": 1, "date": "2024-07-10", "rooms": talks}]}}}  # fmt: skip
    path.write_text(json.dumps(data), encoding="utf-8")


@pytest.mark.parametrize("locale", ["de", "fr"])
async def test_placeholders_in_a_programs_words_are_shown_as_written_in_german_and_french(
    fake: FakeDiscord, tmp_path: Path, locale: str
):
    """Titles, rooms, people and the conference's name holding `{title}`, `{0}`, `%s`,
    `**`, backticks, `@everyone` and `<@123>`, put into German and French sentences:
    never filled again, never Markdown, never a ping."""
    program = tmp_path / "schedule.json"
    write_braces_program(program)
    contents: list[str] = []
    async with running_bot(fake, tmp_path, CONFBOT_PROGRAM=str(program),
                           CONFBOT_NOW="2024-07-10T10:50") as bot:  # fmt: skip
        for command, options in [
            ("next", {}), ("now", {}), ("paper", {"title": "two"}), ("search", {"query": "three"}),
            ("author", {"name": "Mallory"}), ("about", {}), ("track", {"name": "track"}),
            ("schedule", {"day": "mercredi" if locale == "fr" else "Mittwoch"}),
            ("next", {"room": "C"}), ("remind", {"item": "two"}), ("agenda", {}),
        ]:  # fmt: skip
            answer = await fake.answer(await fake.send_command(command, locale=locale,
                                                               **options))  # fmt: skip
            contents.append(str(answer.data.get("content") or ""))
        del bot
    found = [f"{method} {path}: {p}" for method, path, body in fake.sent for p in problems(body)]
    assert found == []
    for content in contents:  # each names the conference, a room or a talk
        assert BRACES in as_shown(content), content


@pytest.mark.parametrize(
    ("locale", "typed", "block"),
    [("de", "Rust Samstag", "Rust, Samstag"), ("fr", "Rust samedi", "Rust, samedi"),
     ("fr", "samedi Go", "Go, samedi"), ("de", "Kernel Tag 2", "Kernel, Sonntag")],
)  # fmt: skip
async def test_remind_reads_a_rooms_day_typed_in_german_or_french(
    fake: FakeDiscord, fosdem: ConfBot, locale: str, typed: str, block: str
):
    """/remind with a room's day typed rather than picked, as /session reads it: FOSDEM's
    blocks are titled in English ('Rust, Saturday'), so only an English day found them."""
    answer = await said(fake, "remind", locale, item=typed)
    assert answer.startswith("⏰") and f"**{block}**" in answer, answer


LONG = "Überlänge " * 40  # 400 characters; German words run long


def write_long_program(path: Path) -> None:
    """A one-day frab program (OSDI's Wednesday) whose every name is as long as a
    program may make it: the conference's, the rooms', tracks', titles and people's."""

    def talk(guid: str, start: str, minutes: int, room: str) -> dict[str, object]:
        return {
            "guid": guid,
            "id": guid,
            "title": f"{LONG} {guid}",
            "date": f"{start}:00-07:00",
            "start": start[-5:],
            "duration": f"00:{minutes:02d}",
            "room": room,
            "track": f"Spur {LONG}",
            "type": "lecture",
            "language": "de",
            "subtitle": LONG,
            "abstract": LONG * 5,
            "description": "",
            "persons": [{"public_name": f"Person {n} {LONG}"} for n in range(30)],
            "links": [{"url": "https://example.org/s", "title": f"Folien {LONG}"}],
        }

    rooms = {
        f"Saal {n} {LONG}": [
            talk(f"l{n}-{k}", f"2024-07-10T{10 + k}:{30 * (n % 2):02d}", 50, f"Saal {n} {LONG}")
            for k in range(4)
        ]
        for n in range(12)
    }
    data = {"schedule": {"version": "1", "conference": {
        "acronym": "longcon", "title": f"Konferenz {LONG}", "start": "2024-07-10",
        "end": "2024-07-10", "time_zone_name": "America/Los_Angeles",
        "days": [{"index": 1, "date": "2024-07-10", "rooms": rooms}]}}}  # fmt: skip
    path.write_text(json.dumps(data), encoding="utf-8")


@pytest.mark.parametrize("locale", ["de", "fr"])
async def test_a_program_of_the_longest_names_keeps_discords_limits_in_german_and_french(
    fake: FakeDiscord, tmp_path: Path, locale: str
):
    """Every name at its longest, in German and French sentences (longer than English):
    no title, field, description, content, choice or button past Discord's limits (the
    fake records any, and running_bot fails on them)."""
    program = tmp_path / "schedule.json"
    write_long_program(program)
    async with running_bot(fake, tmp_path, CONFBOT_PROGRAM=str(program),
                           CONFBOT_NOW="2024-07-10T10:50") as bot:  # fmt: skip
        for command, options in [
            ("next", {}), ("now", {}), ("paper", {"title": "l3-1"}),
            ("search", {"query": "Person"}),
            ("author", {"name": "Person 1"}), ("about", {}), ("track", {"name": "Spur"}),
            ("schedule", {"day": "mercredi" if locale == "fr" else "Mittwoch"}),
            ("session", {"name": "Saal 3"}), ("next", {"room": "Saal 5"}),
            ("next", {"track": "Spur"}), ("next", {"language": "Deutsch"}),
            ("remind", {"item": "l3-2"}), ("agenda", {}), ("next", {"room": "Saal 99 zz"}),
        ]:  # fmt: skip
            answer = await fake.answer(await fake.send_command(command, locale=locale,
                                                               **options))  # fmt: skip
            assert answer.data.get("content"), (command, options)
        shown = await fake.answer(await fake.send_command("next", locale=locale))
        assert shown.embeds[0]["title"].startswith(
            ("Demnächst bei Konferenz Überlänge", "À suivre à Konferenz Überlänge")
        )
        for command, option, typed in [
            ("remind", "item", ""),
            ("session", "name", "Saal"),
            ("track", "name", "Spur"),
            ("schedule", "day", ""),
            ("next", "room", "Saal"),
            ("next", "language", ""),
        ]:
            await fake.answer(await fake.send_autocomplete(command, option, typed,
                                                           locale=locale))  # fmt: skip
        del bot


LCA = REAL_PROGRAMS / "lca2020.ics"


async def test_service_refusals_that_spoke_english_speak_the_readers_language(
    fake: FakeDiscord, tmp_path: Path
):
    """Sentences a service or an adapter wrote in English (not marked for the catalogs):
    a program without tracks, the whole program's calendar, the most reminders one may
    have; each now in German or French, on the bundled OSDI '24."""
    async with running_bot(fake, tmp_path, CONFBOT_MAX_REMINDERS="1"):
        assert await said(fake, "track", "de", name="x") == "OSDI '24 hat keine Tracks."
        assert await said(fake, "track", "fr", name="x") == "OSDI '24 n'a pas de parcours."
        assert await said(fake, "schedule", "de", day="Mitt\u0007woch") == (
            "Die Tagesangabe enthält Steuerzeichen."
        )
        stale = await said(fake, "forget item", "de", item="p:gone")
        assert stale.startswith("Dafür hast du keine Erinnerung.")  # held: it was translated
        assert (await said(fake, "remind", "de", item="p:xiang")).startswith("⏰")
        refused = await said(fake, "remind", "de", item="s:distributed-systems")
        assert refused.startswith("Du hast schon 1 aktive Erinnerung, mehr kann eine Person")
        asked = await fake.send_command("schedule", day="export", locale="fr")
        await fake.answer(asked)
        await wait_for(lambda: asked.followups or asked.edits, what="the calendar file")
        (sent,) = asked.followups or asked.edits
        assert sent["content"] == "📅 OSDI '24 : tout le programme, à ouvrir dans votre agenda."


async def test_author_on_a_program_that_names_no_one_says_so_in_german(
    fake: FakeDiscord, tmp_path: Path
):
    needs_shared(LCA)
    async with running_bot(fake, tmp_path, CONFBOT_PROGRAM=str(LCA)):
        assert await said(fake, "author", "de", name="Paul") == (
            "linux.conf.au 2020 nennt keine Vortragenden, daher findet /person niemanden;"
            " /beitrag und /suche finden die Vorträge über den Titel."
        )


async def test_announce_language_switched_mid_conference_speaks_the_next_post_in_it(
    fake: FakeDiscord, tmp_path: Path
):
    """A French server's channel posts in French; a German organiser switches them to
    German at mid-day: the next post, embed and its text alike, is German, and the
    organiser was answered in German throughout."""
    fake.guild_locales[fake.guild_id] = "fr"
    clock = FixedClock(pacific("2024-07-10T10:50"))
    organiser = {"user": fake.owner, "permissions": ORGANISER, "locale": "de"}
    async with running_bot(fake, tmp_path, clock, CONFBOT_DELIVERY_PACE="0") as bot:
        set_up = await fake.answer(
            await fake.send_command(
                "announce channel", channel=fake.channel_id, minutes_before=200, **organiser
            )
        )
        assert set_up.data["content"].startswith("📣 Ich poste")
        await wait_for(lambda: len(_posts(fake)) == 1, what="the first announcement")
        switched = await fake.answer(await fake.send_command(
            "announce language", language="de", **organiser))  # fmt: skip
        assert switched.data["content"].startswith("📣 Die Nachrichten dieses Servers")
        await travel(bot, fake, clock, pacific("2024-07-10T13:00"))
        await wait_for(lambda: len(_posts(fake)) >= 2, what="the next announcement")
    first, later = _posts(fake)[:2]
    assert first["embeds"][0]["description"].startswith("**Commence dans")
    assert later["embeds"][0]["description"].startswith("**Beginnt in")
    assert "Beginnt in" in later["content"] and "Commence" not in later["content"]


def _posts(fake: FakeDiscord) -> list[dict[str, Any]]:
    return [m for m in fake.channel_messages.get(fake.channel_id, []) if m.get("embeds")]
