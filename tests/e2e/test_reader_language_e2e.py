"""The reader's language through discord.py and the fake Discord: localised commands in
the registered payload, answers in the reader's language (an unknown one reads English),
and channel posts in the server's (issue 26)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.discord.client import ConfBot
from bot.clock import FixedClock
from bot.settings import BUNDLED_PROGRAM
from tests.conftest import COMMANDS, REAL_PROGRAMS, needs_shared, pacific
from tests.e2e.conftest import poll_source, running_bot, travel, wait_for
from tests.e2e.test_conference_day_e2e import ORGANISER, organise, thread_named
from tests.fakediscord.server import FakeDiscord
from tests.program_edits import move_talk

LANGUAGES = ("de", "fr")


def _everything_named(command: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """A registered command, its subcommands and options, each with where it is."""
    found = [(f"/{command['name']}", command)]
    for option in command.get("options") or []:
        for where, named in _everything_named(option):
            found.append((f"/{command['name']} {where.lstrip('/')}", named))
    return found


async def test_the_sync_payload_names_and_describes_everything_in_german_and_french(
    fake: FakeDiscord, bot: ConfBot
):
    commands = fake.guild_commands[fake.guild_id]
    assert {c["name"] for c in commands} == COMMANDS  # English stays the default
    checked = 0
    for command in commands:
        for where, named in _everything_named(command):
            for field in ("name_localizations", "description_localizations"):
                assert set(named.get(field) or {}) >= set(LANGUAGES), (where, field)
            for choice in named.get("choices") or []:
                assert set(choice.get("name_localizations") or {}) >= set(LANGUAGES), where
            checked += 1
    assert checked > 100  # every command, subcommand and option
    (next_,) = [c for c in commands if c["name"] == "next"]
    assert next_["name_localizations"] == {"de": "demnächst", "fr": "à-suivre"}
    assert next_["description"] == "What starts next, and what's on now"


async def test_the_fake_refuses_a_localised_name_discord_would_refuse(fake: FakeDiscord):
    from tests.fakediscord import rules

    command = {"name": "next", "description": "What starts next", "type": 1,
               "name_localizations": {"fr": "À suivre", "xx": "next"},
               "options": [{"name": "a", "description": "a", "type": 3,
                            "name_localizations": {"de": "b"}},
                           {"name": "b", "description": "b", "type": 3}]}  # fmt: skip
    problems = rules.command_problems(command)
    assert any("'À suivre' is not a lowercase name" in p for p in problems)
    assert any("['xx']: not a Discord locale" in p for p in problems)
    assert any("two options share a name in de" in p for p in problems)


async def test_a_french_reader_gets_next_in_french(fake: FakeDiscord, bot: ConfBot):
    answer = await fake.answer(await fake.send_command("next", locale="fr"))
    (embed,) = answer.embeds
    assert embed["title"] == "À suivre à OSDI '24"
    assert embed["description"].startswith("Au <t:1720633800:f> · mer. 10 juil., 10 h 50 PDT")
    assert embed["fields"][0]["name"].startswith("En ce moment · Sabre")
    assert embed["fields"][1]["name"].startswith("Ensuite · NOMAD")
    assert "≈ 11 h 05–11 h 25 PDT" in embed["fields"][1]["value"]  # <t:…> left to Discord
    assert "<t:1720634700:t>" in embed["fields"][1]["value"]
    assert "\nPar Lingfeng Xiang" in embed["fields"][1]["value"]


async def test_a_german_reader_gets_next_in_german(fake: FakeDiscord, bot: ConfBot):
    answer = await fake.answer(await fake.send_command("next", locale="de"))
    (embed,) = answer.embeds
    assert embed["title"] == "Demnächst bei OSDI '24"
    assert "Mi., 10. Juli, 10:50 PDT" in embed["description"]
    assert embed["fields"][0]["name"].startswith("Läuft gerade · Sabre")


@pytest.mark.parametrize("locale", ["ja", "es-ES", "en-GB", "pt-BR"])
async def test_an_unknown_locale_gets_english(fake: FakeDiscord, bot: ConfBot, locale: str):
    answer = await fake.answer(await fake.send_command("next", locale=locale))
    (embed,) = answer.embeds
    assert embed["title"] == "What's next at OSDI '24"
    assert embed["fields"][0]["name"].startswith("On now · Sabre")


async def test_a_french_reader_gets_paper_and_its_buttons_in_french(fake: FakeDiscord, bot):
    answer = await fake.answer(await fake.send_command("paper", title="sarthi serve", locale="fr"))
    (embed,) = answer.embeds
    assert embed["title"].startswith("Taming Throughput-Latency Tradeoff")
    assert "mer. 10 juil., ≈ 14 h 00–14 h 20 PDT (approximatif)" in embed["description"]
    assert {"name": "Actes", "value": "page 117", "inline": True} in embed["fields"]
    labels = [c["label"] for row in answer.data["components"] for c in row["components"]]
    assert labels == ["Page de l'article", "Ajouter à l'agenda"]


async def test_a_french_reader_gets_author_and_its_pages_in_french(fake: FakeDiscord, bot):
    answer = await fake.answer(await fake.send_command("author", name="chen", locale="fr"))
    (embed,) = answer.embeds
    assert embed["title"] == "8 personnes correspondent à « chen »"
    assert embed["footer"]["text"] == "Page 1 sur 8"
    turn = [c for row in answer.data["components"] for c in row["components"]][-1]
    other = await fake.answer(
        await fake.click(answer, turn["custom_id"], user=fake.owner, locale="de")
    )
    assert other.data["content"].startswith("Nur wer den Befehl ausgeführt hat")


async def test_a_french_reader_gets_remind_in_french(fake: FakeDiscord, bot: ConfBot):
    answer = await fake.answer(await fake.send_command("remind", item="p:xiang", locale="fr"))
    assert answer.data["content"].startswith(
        "⏰ Je vous enverrai un message privé au sujet de **NOMAD: Non-Exclusive"
    )
    assert "10 min avant le début à <t:1720634700:t>" in answer.data["content"]
    too_late = await fake.answer(await fake.send_command("remind", item="p:lazarev", locale="fr"))
    assert too_late.ephemeral
    assert too_late.data["content"] == (
        "« Sabre: Hardware-Accelerated Snapshot Compression for Serverless MicroVMs » a déjà"
        " commencé (mer. 10 juil., 10 h 45–11 h 05 PDT), il n'y a donc rien à vous rappeler."
    )


async def test_a_french_readers_reminder_dm_comes_in_french(fake: FakeDiscord, tmp_path: Path):
    async with running_bot(fake, tmp_path, CONFBOT_DELIVERY_PACE="0"):
        # NOMAD starts at 11:05; 20 minutes before is already past at 10:50: due at once.
        await fake.answer(
            await fake.send_command("remind", item="p:xiang", minutes_before=20, locale="fr")
        )
        user_id = int(fake.attendee["id"])
        await wait_for(lambda: fake.channel_messages.get(fake.dm_channels.get(user_id, 0)),
                       what="the reminder DM")  # fmt: skip
        (dm,) = fake.channel_messages[fake.dm_channels[user_id]]
        (embed,) = dm["embeds"]
        assert embed["title"].startswith("⏰ NOMAD")
        assert embed["description"].startswith("**Commence dans 15 min** · ")
        assert "Session : Memory Management" in embed["description"]
        assert embed["fields"][0]["name"] == "Auteurs"
        (row,) = dm["components"]
        assert row["components"][0]["label"] == "Page de l'article"


async def test_a_french_reader_gets_errors_in_french(fake: FakeDiscord, bot: ConfBot):
    nothing = await fake.answer(await fake.send_command("paper", title="zzzzqqq", locale="fr"))
    assert nothing.ephemeral
    assert nothing.data["content"].startswith(
        "Aucun exposé ni article ne correspond à « zzzzqqq »."
    )
    refused = await fake.answer(
        await fake.send_command("announce off", user=fake.attendee, locale="fr")
    )
    assert refused.data["content"] == (
        "Vous n'avez pas la permission d'utiliser cette commande ici."
    )
    english = await fake.answer(await fake.send_command("paper", title="zzzzqqq", locale="ja"))
    assert english.data["content"].startswith("No paper matches “zzzzqqq”.")


async def test_a_french_reader_gets_the_question_form_in_french(fake: FakeDiscord, tmp_path: Path):
    clock = FixedClock(pacific("2024-07-10T10:59:57"))
    async with running_bot(fake, tmp_path, clock, CONFBOT_DELIVERY_PACE="0") as bot:
        await organise(fake, "qa channel", forum=fake.forum_id)
        await travel(bot, fake, clock, pacific("2024-07-10T11:00"))
        await wait_for(lambda: fake.threads, timeout=15, what="the Q&A thread")
        thread_id = thread_named(fake, "NOMAD")
        (first,) = fake.channel_messages[thread_id]
        opened = await fake.answer(await fake.click_message(first, "qa:ask", locale="fr"))
        form = opened.callback["data"]
        assert form["title"] == "Poser une question"
        (field,) = form["components"][0]["components"]
        assert field["label"] == "Votre question"
        posted = await fake.answer(
            await fake.submit_modal(opened, {field["custom_id"]: "Ça passe à l'échelle ?"},
                                    locale="fr")
        )  # fmt: skip
        assert posted.data["content"] == "❓ Publiée. On vote avec 👍."
        blank = await fake.answer(await fake.send_command("ask", in_thread=thread_id,
                                                          locale="fr"))  # fmt: skip
        assert blank.callback["data"]["title"] == "Poser une question"  # /ask's form too
        refused = await fake.answer(
            await fake.submit_modal(blank, {field["custom_id"]: "  "}, locale="fr")
        )
        assert refused.data["content"] == (
            "Les questions se posent dans le fil de questions d'un exposé et demandent au moins"
            " quelques mots."
        )


def _posts(fake: FakeDiscord) -> list[dict[str, Any]]:
    return [m for m in fake.channel_messages.get(fake.channel_id, []) if m.get("embeds")]


async def test_a_german_servers_announcement_is_in_german(fake: FakeDiscord, tmp_path: Path):
    fake.guild_locales[fake.guild_id] = "de"
    async with running_bot(fake, tmp_path, CONFBOT_DELIVERY_PACE="0"):
        # Low-Latency LLM Serving starts at 14:00; 200 minutes before is 10:40: due at once.
        said = await organise(fake, "announce channel", channel=fake.channel_id,
                              minutes_before=200)  # fmt: skip
        assert said.startswith("📣")  # the organiser's own answer: their (English) client's
        await wait_for(lambda: _posts(fake), what="the announcement")
        (post,) = _posts(fake)
        (embed,) = post["embeds"]
        assert embed["title"] == "📣 Low-Latency LLM Serving"
        assert embed["description"].startswith("**Beginnt in 3 Std. 10 Min.** · ")
        assert "· Mi., 10. Juli, ≈ 14:00–15:40 PDT" in embed["description"]  # the session


async def test_announce_language_sets_the_posts_language_over_the_servers(
    fake: FakeDiscord, tmp_path: Path
):
    fake.guild_locales[fake.guild_id] = "de"
    async with running_bot(fake, tmp_path, CONFBOT_DELIVERY_PACE="0"):
        said = await fake.answer(await fake.send_command(
            "announce language", user=fake.owner, permissions=ORGANISER, language="fr",
            locale="de",
        ))  # fmt: skip
        assert said.ephemeral
        assert said.data["content"].startswith(  # the organiser reads German
            "📣 Die Nachrichten dieses Servers erscheinen jetzt in dieser Sprache: Français"
        )
        await organise(fake, "announce channel", channel=fake.channel_id, minutes_before=200)
        await wait_for(lambda: _posts(fake), what="the announcement")
        (post,) = _posts(fake)
        assert post["embeds"][0]["description"].startswith("**Commence dans 3 h 10 min** · ")
        back = await organise(fake, "announce language", language="server")
        assert back == (
            "📣 This server's posts are now in its own language, as set in Discord: Deutsch."
        )


async def test_an_english_server_announces_in_english(fake: FakeDiscord, bot: ConfBot):
    await organise(fake, "announce channel", channel=fake.channel_id, minutes_before=200)
    await wait_for(lambda: _posts(fake), what="the announcement")
    (post,) = _posts(fake)
    assert post["embeds"][0]["description"].startswith("**Starts in 3 h 10 min** · ")


async def test_a_french_reader_gets_session_in_french(fake: FakeDiscord, bot: ConfBot):
    answer = await fake.answer(await fake.send_command("session", name="formal verif",
                                                       locale="fr"))  # fmt: skip
    (embed,) = answer.embeds
    assert embed["title"] == "Formal Verification"
    assert "jeu. 11 juil., ≈ 16 h 10–17 h 50 PDT" in embed["description"]
    assert "16 h 30–16 h 50 PDT\nZiqiao Zhou" in embed["fields"][1]["value"]
    assert "Chris Hawblitzel et Weidong Cui" in embed["fields"][1]["value"]


async def test_a_french_reader_gets_schedule_in_french(fake: FakeDiscord, bot: ConfBot):
    day = await fake.answer(await fake.send_command("schedule", day="2024-07-12", locale="fr"))
    (first_page,) = day.embeds
    assert first_page["title"] == "OSDI '24 · vendredi 12 juillet"
    assert first_page["description"] == "Heures locales (America/Los_Angeles)."
    footer = first_page["footer"]["text"]
    assert footer.startswith("Page 1 sur 2 · 18 articles, 6 autres événements")
    names = [f["name"] for f in first_page["fields"]]
    assert names[:3] == ["`08 h 00` Repas : Continental Breakfast",
                         "`08 h 00` Accueil : Badge Pickup",
                         "`≈ 09 h 00` Session : Cloud Security"]  # fmt: skip


async def test_agenda_and_forget_in_french_and_german(fake: FakeDiscord, bot: ConfBot):
    empty = await fake.answer(await fake.send_command("agenda", locale="fr"))
    assert empty.embeds[0]["title"] == "Votre agenda à OSDI '24"
    assert empty.embeds[0]["description"].startswith("Vous n'avez aucun rappel. Utilisez `/rappel`")
    nothing = await fake.answer(await fake.send_command("agenda", export=True, locale="fr"))
    assert nothing.data["content"] == (
        "Vous n'avez aucun rappel à exporter. `/rappel` en ajoute un."
    )
    await fake.answer(await fake.send_command("remind", item="s:distributed-systems"))
    await fake.answer(await fake.send_command("remind", item="p:agrawal"))
    agenda = await fake.answer(await fake.send_command("agenda", locale="fr"))
    (embed,) = agenda.embeds
    assert embed["description"] == (
        "2 éléments que vous suivez, dans l'ordre chronologique, jusqu'à leur fin."
    )
    assert embed["fields"][1] == {"inline": False, "name": "Distributed Systems", "value": (
        "≈ <t:1720653000:F> · mer. 10 juil., ≈ 16 h 10–17 h 30 PDT\n"
        "Rappel 10 min avant · 📍 Grand Ballroom ABGH"
    )}  # fmt: skip
    exported = await fake.answer(await fake.send_command("agenda", export=True, locale="fr"))
    assert exported.data["content"] == "📅 Vos 2 rappels en fichier d'agenda."
    forgot = await fake.answer(await fake.send_command("forget item", item="p:agrawal",
                                                       locale="fr"))  # fmt: skip
    assert forgot.data["content"] == (
        "Votre rappel pour **Taming Throughput-Latency Tradeoff in LLM Inference with"
        " Sarathi-Serve** est supprimé."
    )
    again = await fake.answer(await fake.send_command("forget item", item="p:agrawal",
                                                      locale="fr"))  # fmt: skip
    assert again.data["content"] == (
        "Vous n'avez pas de rappel pour cela. `/agenda` liste les vôtres."
    )
    every = await fake.answer(await fake.send_command("forget all", locale="de"))
    assert every.data["content"] == "1 Erinnerung entfernt."
    none = await fake.answer(await fake.send_command("forget all", locale="de"))
    assert none.data["content"] == "Du hattest keine Erinnerungen."


async def test_a_french_servers_qa_thread_opens_in_french(fake: FakeDiscord, tmp_path: Path):
    fake.guild_locales[fake.guild_id] = "fr"
    clock = FixedClock(pacific("2024-07-10T10:59:57"))
    async with running_bot(fake, tmp_path, clock, CONFBOT_DELIVERY_PACE="0") as bot:
        await organise(fake, "qa channel", forum=fake.forum_id)
        await travel(bot, fake, clock, pacific("2024-07-10T11:00"))
        await wait_for(lambda: fake.threads, timeout=15, what="the Q&A thread")
        (first,) = fake.channel_messages[thread_named(fake, "NOMAD")]
        lines = first["embeds"][0]["description"].split("\n")
        assert lines[0].startswith("Par Lingfeng Xiang, Zhen Lin")
        assert lines[1].endswith("· mer. 10 juil., ≈ 11 h 05–11 h 25 PDT (approximatif)")
        assert lines[-1].startswith(
            "Appuyez sur **Poser une question** (ou utilisez `/demander` ici)"
        )


async def test_a_change_notice_and_a_program_update_in_their_readers_language(
    fake: FakeDiscord, tmp_path: Path
):
    """The DM in the language its reader last asked in (German); the channel's post in
    the server's (French)."""
    fake.guild_locales[fake.guild_id] = "fr"
    program = tmp_path / "osdi24"
    shutil.copytree(BUNDLED_PROGRAM, program)
    async with running_bot(fake, tmp_path, CONFBOT_PROGRAM=str(program),
                           CONFBOT_SYNC_INTERVAL="1",
                           CONFBOT_DELIVERY_PACE="0") as bot:  # fmt: skip
        await fake.answer(await fake.send_command("remind", item="p:xiang", locale="de"))
        await organise(fake, "announce channel", channel=fake.channel_id, minutes_before=5)
        move_talk(program, "NOMAD", "2024-07-10T11:40", "2024-07-10T12:00")
        poll_source(bot)
        user_id = int(fake.attendee["id"])

        def titled(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
            return [m["embeds"][0] for m in messages
                    if m.get("embeds") and m["embeds"][0]["title"].startswith("📢")]  # fmt: skip

        def notices() -> list[dict[str, Any]]:
            return titled(fake.channel_messages.get(fake.dm_channels.get(user_id, 0), []))

        def updates() -> list[dict[str, Any]]:
            return titled(fake.channel_messages.get(fake.channel_id, []))

        await wait_for(lambda: notices() and updates(), timeout=15, what="notice and update")
        (notice,) = notices()
        assert notice["title"] == "📢 Programmänderung: Deine Programmpunkte haben sich geändert"
        assert notice["description"].startswith("• **NOMAD: Non-Exclusive Memory Tiering")
        assert (
            "** — verlegt: <t:1720634700:f> (Mi., 10. Juli, 11:05–11:25 PDT)"
            in (notice["description"])
        )
        (update,) = updates()
        assert update["title"] == "📢 Changement de programme"
        assert (
            "** — déplacé : <t:1720634700:f> (mer. 10 juil., 11 h 05–11 h 25 PDT)"
            in (update["description"])
        )


CCC = REAL_PROGRAMS / "ccc-36c3.frab.schedule.json"


async def test_a_german_reader_gets_track_in_german(fake: FakeDiscord, tmp_path: Path):
    needs_shared(CCC)
    async with running_bot(fake, tmp_path, CONFBOT_PROGRAM=str(CCC),
                           CONFBOT_NOW="2019-12-29T12:00"):  # fmt: skip
        every = await fake.answer(await fake.send_command("track", name="security", locale="de"))
        assert every.embeds[0]["title"] == "Security · alle Tage"
        assert every.embeds[0]["description"] == (
            "42 Vorträge in 5 Räumen am Freitag, Samstag und Sonntag.\nZeiten in Ortszeit (CET)."
        )
        today = await fake.answer(await fake.send_command("track", name="security", day="today",
                                                          locale="de"))  # fmt: skip
        (embed,) = today.embeds
        assert embed["title"] == "Security · Sonntag, 29. Dezember"
        assert embed["description"].startswith(
            "11 Vorträge in 4 Räumen.\nAuch am Freitag und Samstag: `/track` listet alle Tage."
        )


async def test_an_over_long_title_is_counted_as_a_german_reader_counts(
    fake: FakeDiscord, bot: ConfBot
):
    """'1.500 Zeichen', not '1,500 Zeichen': a number in a sentence is grouped as the
    reader's language groups it."""
    answer = await fake.answer(await fake.send_command("paper", title="x" * 1500, locale="de"))
    assert answer.data["content"] == "Der Titel hat 1.500 Zeichen; erlaubt sind höchstens 200."


async def test_a_refused_date_is_quoted_as_the_reader_typed_it(fake: FakeDiscord, bot: ConfBot):
    """'„31\\. Februar“ ist kein Datum.', not the lowercased '31\\. februar' the bot reads."""
    answer = await fake.answer(await fake.send_command("schedule", day="31. Februar",
                                                       locale="de"))  # fmt: skip
    assert answer.data["content"] == "„31\\. Februar“ ist kein Datum."
