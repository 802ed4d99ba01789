"""The organisers' commands in their language, through discord.py and the fake Discord:
each answer in the organiser's (the interaction's locale), what the bot posts for everyone
in the server's (a question's frame in a Q&A thread, a room channel's correction, the
scheduled events' text), and English for a locale we have no catalog for (issue 26)."""

from __future__ import annotations

import asyncio
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.adapters.discord.client import ConfBot
from bot.clock import FixedClock
from bot.live.remote import RemoteProgram
from bot.render.markdown import as_shown
from tests.conftest import pacific
from tests.e2e.conftest import running_bot, travel, wait_for
from tests.e2e.test_changes_told_e2e import HALL_A, edited, new_version, talks
from tests.e2e.test_conference_day_e2e import BALLROOM, STREAM, thread_named
from tests.e2e.test_conferences_e2e import FRAB, TWO, organiser, program_app, said
from tests.fakediscord.server import DEFAULT_PERMISSIONS, FakeDiscord
from tests.local_servers import serving
from tests.program_edits import edit, keep_one_event, write_frab

MANAGE_EVENTS = 1 << 33


async def test_a_german_organiser_adds_a_conference_in_german(fake: FakeDiscord, tmp_path: Path):
    async with running_bot(fake, tmp_path, CONFBOT_PROGRAM=TWO):
        added = await organiser(fake, "conference add", locale="de", source="fixcon")
        assert said(added) == "✅ Dieser Server bietet jetzt **Fixture Congress** (`fixcon`) an."
        wrong = await organiser(fake, "conference add", locale="de", source="/etc/passwd")
        assert said(wrong).startswith("Gib die https-Adresse eines Programmexports an")
        assert "`osdi24`, `fixcon`" in said(wrong)  # the keys as code, not escaped


async def test_why_an_address_is_not_public_is_said_in_the_organisers_language(
    fake: FakeDiscord, tmp_path: Path
):
    """'ist nicht öffentlich (eine private Adresse)', not '(a private address)' inside
    the German sentence."""
    async with running_bot(fake, tmp_path, CONFBOT_PROGRAM=TWO):
        private = await organiser(fake, "conference add", locale="de",
                                  source="https://10.0.0.1/schedule.json")  # fmt: skip
        assert as_shown(said(private)) == (
            "10.0.0.1 ist nicht öffentlich (eine private Adresse); nur öffentliche Adressen"
            " können hinzugefügt werden."
        )


async def test_a_german_organiser_adding_an_address_reads_what_was_found_in_german(
    fake: FakeDiscord, tmp_path: Path
):
    async with (
        serving(program_app(FRAB.read_bytes())) as base,
        running_bot(fake, tmp_path, CONFBOT_ALLOW_PRIVATE_SOURCES="yes"),
    ):
        added = await organiser(fake, "conference add", locale="de", source=f"{base}/schedule.json")
        lines = said(added).split("\n")
        assert lines[0] == (
            f"✅ Dieser Server bietet jetzt **Fixture Congress** (`fixcon`) an, von"
            f" <{base}/schedule.json>; alle 5 Min. wird auf Änderungen geprüft."
        )
        assert lines[1] == (
            "An 2 Tagen: 2 Raumblöcke, 3 Vorträge, 2 Nennungen von Vortragenden (2 Personen),"
            " 0 weitere Programmpunkte"
        )
        assert lines[2] == "Zeiten der Vorträge: 3 veröffentlicht, 0 abgeleitet (mit ≈ gezeigt)"
        assert "Räume: 1 belegt von 2 aufgeführten" in lines


async def test_the_rooms_of_an_added_address_agree_with_their_count_in_french(
    fake: FakeDiscord, tmp_path: Path
):
    async with (
        serving(program_app(FRAB.read_bytes())) as base,
        running_bot(fake, tmp_path, CONFBOT_ALLOW_PRIVATE_SOURCES="yes"),
    ):
        added = await organiser(fake, "conference add", locale="fr", source=f"{base}/schedule.json")
        assert "salles utilisées : 1 sur 2 listées" in said(added).split("\n")


async def test_a_source_refused_by_the_fetch_is_said_in_the_organisers_language(
    fake: FakeDiscord, tmp_path: Path
):
    async with (
        serving(program_app(FRAB.read_bytes())) as base,
        running_bot(fake, tmp_path, CONFBOT_ALLOW_PRIVATE_SOURCES="yes"),
    ):
        missing = await organiser(
            fake, "conference add", locale="fr", source=f"{base}/nothing.json"
        )
        assert as_shown(said(missing)) == (
            f"⚠️ {base}/nothing.json a répondu HTTP 404. Rien n'a été ajouté."
        )
        unread = await organiser(fake, "conference add", locale="de", source="https://[x/y")
        assert as_shown(said(unread)).startswith("https://[x/y ist keine gültige Adresse (")


async def test_a_fetch_a_library_refuses_is_said_in_the_organisers_language(
    fake: FakeDiscord, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """A ValueError from deep inside the HTTP library (aiohttp refuses a header it would
    send): its text is the library's, the sentence around it the organiser's French."""

    async def refused(self: RemoteProgram) -> None:
        raise ValueError("Newline or carriage return character detected in HTTP header")

    monkeypatch.setattr(RemoteProgram, "download", refused)
    async with running_bot(fake, tmp_path, CONFBOT_ALLOW_PRIVATE_SOURCES="yes"):
        url = "https://example.org/schedule.json"
        unread = await organiser(fake, "conference add", locale="fr", source=url)
        assert as_shown(said(unread)) == (
            f"⚠️ {url} est injoignable (Newline or carriage return character detected in HTTP"
            " header). Rien n'a été ajouté."
        )


async def test_a_german_reader_lists_the_conferences_in_german(fake: FakeDiscord, tmp_path: Path):
    async with running_bot(fake, tmp_path, CONFBOT_PROGRAM=TWO):
        await organiser(fake, "conference add", locale="de", source="fixcon")
        listed = await fake.answer(await fake.send_command("conference list", locale="de"))
        (card,) = listed.embeds
        assert card["title"] == "Konferenzen hier"
        lines = card["description"].split("\n")
        assert lines[0] == (
            "• **OSDI '24** (`osdi24`), 10. Juli–12. Juli, 53 Vorträge · Standard hier, deine Wahl"
        )
        assert lines[1].startswith("• **Fixture Congress** (`fixcon`), ")
        assert (
            "`/konferenz wählen` legt fest, um welche es in deinen Fragen geht."
            in (card["description"])
        )
        assert listed.data["content"]  # the text beside the card, for embeds turned off


def _with_a_new_title(path: Path) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    first = next(e for d in data["schedule"]["conference"]["days"]
                 for events in d["rooms"].values() for e in events)  # fmt: skip
    first["title"] = "Un titre changé par l'équipe"
    path.write_text(json.dumps(data), encoding="utf-8")


async def test_a_french_organiser_reviews_and_applies_a_new_version_in_french(
    fake: FakeDiscord, tmp_path: Path
):
    path = tmp_path / "schedule.json"
    shutil.copy(FRAB, path)
    async with running_bot(fake, tmp_path, CONFBOT_PROGRAM=str(path)) as bot:
        nothing = await organiser(fake, "program reload", locale="fr")
        assert said(nothing) == "Pas de nouvelle version : rien à appliquer."
        _with_a_new_title(path)
        reload = await organiser(fake, "program reload", locale="fr")
        preview = reload.followups[0]
        assert preview["content"].startswith("Une nouvelle version modifie 1 exposé :\n• **")
        buttons = preview["components"][0]["components"]
        assert [b["label"] for b in buttons] == ["Appliquer", "Annuler"]
        apply_id = buttons[0]["custom_id"]
        applied = await fake.answer(
            await fake.click_message(preview["_message"], apply_id, user=fake.owner, locale="fr")
        )
        assert applied.callback["data"]["content"] == "✅ Appliquée : 1 exposé modifié."
        assert bot.holder.swaps == 1


async def test_why_a_version_is_held_is_said_in_the_organisers_language(
    fake: FakeDiscord, tmp_path: Path
):
    path = tmp_path / "schedule.json"
    shutil.copy(FRAB, path)
    async with running_bot(fake, tmp_path, CONFBOT_PROGRAM=str(path)) as bot:
        edit(path, keep_one_event)  # 2 of its 3 talks gone: over the 25% a sync applies
        assert await bot.follower.check() is None and bot.follower.held is not None
        preview = await organiser(fake, "program reload", locale="fr")
        assert said(preview).startswith(
            "Une nouvelle version modifie 2 exposés (en attente : elle retire 2 des 3 exposés"
            " (67%, au-delà des 25% permis)) :\n"
        )
        status = await organiser(fake, "status", locale="de")
        fields = {f["name"]: f["value"] for f in status.embeds[0]["fields"]}
        assert (
            "⏸️ Eine neue Version wird zurückgehalten: sie entfernt 2 von 3 Vorträgen (67%,"
            in (fields["Programmquelle"])
        )


async def test_a_french_organiser_sets_a_stream_in_french(fake: FakeDiscord, bot: ConfBot):
    set_ = await organiser(fake, "stream set", locale="fr", room="grand ballroom abgh", url=STREAM)
    assert said(set_) == (
        f"📺 Les exposés de la salle {BALLROOM} affichent désormais « Regarder en direct »"
        f" pendant qu'ils ont lieu, avec un lien vers <{STREAM}>. `/diffusion retirer` l'enlève."
    )
    refused = await organiser(
        fake, "stream set", locale="fr", room=BALLROOM, url="http://example.org"
    )
    assert said(refused).startswith("Un lien de diffusion doit être une adresse https://")


async def test_a_room_the_program_lacks_is_refused_in_the_organisers_language(
    fake: FakeDiscord, bot: ConfBot
):
    refused = await organiser(fake, "stream set", locale="de", room="ballroom", url=STREAM)
    assert said(refused).startswith("OSDI '24 hat keinen Raum namens „ballroom“. Meintest du ")
    assert BALLROOM in said(refused)
    none = await organiser(fake, "qa channel", locale="fr", forum=fake.forum_id, tracks=",,")
    assert said(none) == (
        "Aucun parcours n'est nommé : indiquez-en un ou plusieurs, séparés par des virgules."
    )


async def test_publish_events_in_a_french_server_writes_the_events_in_french(
    fake: FakeDiscord, tmp_path: Path
):
    """The organiser reads German; the events, public, are in the server's French."""
    fake.guild_locales[fake.guild_id] = "fr"
    async with running_bot(fake, tmp_path):
        fake.now = pacific("2024-07-10T10:50")  # Discord refuses events in the past
        interaction = await fake.send_command(
            "publish-events", user=fake.owner, locale="de",
            permissions=DEFAULT_PERMISSIONS | MANAGE_EVENTS,
        )  # fmt: skip
        await fake.answer(interaction)
        await asyncio.wait_for(interaction.followed_up.wait(), 10)
        summary = interaction.followups[0]["content"]
        assert summary.startswith("📅 Events: 10 erstellt, 0 aktualisiert.")
        assert "\n1 bereits begonnene Sitzung übersprungen: Memory Management" in summary
        llm = next(e for e in fake.scheduled_events.values()
                   if e["name"] == "Low-Latency LLM Serving")  # fmt: skip
        lines = llm["description"].split("\n")
        assert lines[0] == "Session avec 5 exposés (OSDI '24) :"
        assert lines[1].startswith("• 14 h 00 Taming Throughput-Latency Tradeoff")
        assert lines[-1].startswith("Les horaires des exposés sont approximatifs (déduits ")


async def test_a_room_blocks_event_says_its_day_in_the_servers_language(
    fake: FakeDiscord, tmp_path: Path
):
    """FOSDEM-like programs name a room's day 'Hall A, Wednesday': the event's name, public,
    says the day in the server's French; the German organiser's answer in German."""
    fake.guild_locales[fake.guild_id] = "fr"
    clock = FixedClock(datetime(2023, 12, 26, 12, 0, tzinfo=UTC))
    fake.now = clock.at
    async with running_bot(fake, tmp_path, clock, CONFBOT_PROGRAM=str(FRAB)):
        interaction = await fake.send_command(
            "publish-events", user=fake.owner, locale="de",
            permissions=DEFAULT_PERMISSIONS | MANAGE_EVENTS,
        )  # fmt: skip
        await fake.answer(interaction)
        await asyncio.wait_for(interaction.followed_up.wait(), 10)
        names = sorted(e["name"] for e in fake.scheduled_events.values())
        assert names == ["Hall A, jeudi", "Hall A, mercredi"]


async def test_status_in_german(fake: FakeDiscord, bot: ConfBot):
    await organiser(
        fake, "announce channel", locale="de", channel=fake.channel_id, minutes_before=5
    )
    await bot.scheduler.replan()  # the posts planned (the command only wakes the planner)
    status = await organiser(fake, "status", locale="de")
    (card,) = status.embeds
    assert card["title"] == "confbot-Status · OSDI '24"
    fields = {f["name"]: f["value"] for f in card["fields"]}
    assert fields["Ankündigungen"] == f"Aktiv in <#{fake.channel_id}>, 5 Min. vor jeder Sitzung"
    assert fields["Programm"].startswith("53 Beiträge in 11 Sitzungen, geladen <t:")
    assert fields["Zustellungen"].startswith("Ankündigungen der Sitzungen: ")
    assert " geplant" in fields["Zustellungen"]
    assert status.data["content"].startswith("**confbot-Status · OSDI '24**")


async def test_status_says_why_announcements_are_off_in_french(fake: FakeDiscord, bot: ConfBot):
    await organiser(fake, "announce channel", locale="fr", channel=fake.channel_id)
    await organiser(fake, "announce off", locale="fr")
    status = await organiser(fake, "status", locale="fr")
    fields = {f["name"]: f["value"] for f in status.embeds[0]["fields"]}
    assert fields["Annonces"] == (
        "⚠️ Désactivées : par `/annoncer arrêter`. Relancez `/annoncer salon` pour reprendre."
    )


async def test_qa_channel_answers_in_german(fake: FakeDiscord, bot: ConfBot):
    answer = await organiser(fake, "qa channel", locale="de", forum=fake.forum_id, rooms=BALLROOM)
    assert said(answer).startswith(
        f"💬 Jeder Vortrag in **{BALLROOM}** bekommt 5 Min. vor Beginn einen Fragen-Thread in"
        f" <#{fake.forum_id}>"
    )
    assert "; höchstens " in said(answer) and said(answer).endswith(
        "`/fragerunde aus` beendet das."
    )


async def test_qa_names_the_permissions_it_lacks_as_discord_does_in_german(
    fake: FakeDiscord, tmp_path: Path
):
    fake.everyone_permissions = 0xCC00  # post and embed, but no threads or reactions
    async with running_bot(fake, tmp_path):
        refused = await organiser(fake, "qa channel", locale="de", forum=fake.forum_id)
    assert said(refused) == (
        f"In <#{fake.forum_id}> brauche ich diese Berechtigungen: Nachrichten in Threads"
        " senden, Threads verwalten, Reaktionen hinzufügen. Gib sie mir dort und versuch es"
        " dann noch einmal."
    )


async def test_a_question_in_a_german_servers_thread_is_framed_in_german(
    fake: FakeDiscord, tmp_path: Path
):
    """The asker's client is English: their own confirmation is English, the question as
    everyone in the thread sees it is in the server's German."""
    fake.guild_locales[fake.guild_id] = "de"
    clock = FixedClock(pacific("2024-07-10T10:59:57"))
    async with running_bot(fake, tmp_path, clock, CONFBOT_DELIVERY_PACE="0") as bot:
        await organiser(fake, "qa channel", locale="de", forum=fake.forum_id)
        await travel(bot, fake, clock, pacific("2024-07-10T11:00"))
        await wait_for(lambda: fake.threads, timeout=15, what="the Q&A thread")
        thread_id = thread_named(fake, "NOMAD")
        (first,) = fake.channel_messages[thread_id]
        (row,) = first["components"]
        assert [b.get("label") for b in row["components"]][-1] == "Eine Frage stellen"
        opened = await fake.answer(await fake.click_message(first, "qa:ask"))
        (field,) = opened.callback["data"]["components"][0]["components"]
        posted = await fake.answer(
            await fake.submit_modal(opened, {field["custom_id"]: "Does it scale?"})
        )
        assert posted.data["content"] == "❓ Posted. People vote with 👍."
        question = fake.channel_messages[thread_id][-1]
        assert question["content"] == "❓ **attendee** fragt:\nDoes it scale?"
        ranked = await fake.send_command("questions", in_thread=thread_id, user=fake.owner,
                                         locale="fr")  # fmt: skip
        await fake.answer(ranked)
        await wait_for(lambda: ranked.followups, what="the ranked questions")
        lines = ranked.followups[0]["content"].splitlines()
        assert lines[0].startswith("Questions pour **NOMAD")
        assert lines[1].startswith("1. 0 vote 👍 · **attendee** fragt: Does it scale? ([voir](")


async def test_a_room_channels_correction_in_a_french_server(fake: FakeDiscord, tmp_path: Path):
    fake.guild_locales[fake.guild_id] = "fr"
    path = tmp_path / "schedule.json"
    write_frab(path, talks())
    clock = FixedClock(pacific("2024-07-10T10:50"))
    env = {"CONFBOT_PROGRAM": str(path), "CONFBOT_SYNC_INTERVAL": "60",
           "CONFBOT_DELIVERY_PACE": "0"}  # fmt: skip
    async with running_bot(fake, tmp_path, clock, **env) as bot:
        await organiser(
            fake, "announce room", locale="en-US", room=HALL_A, channel=fake.room_channel_id
        )
        clock.at = pacific("2024-07-10T10:51")
        # Live patching (10:30-11:15, on now) is delayed by 5 minutes.
        await new_version(bot, path, edited(t1={"date": "2024-07-10T10:35:00-07:00",
                                                "start": "10:35"}), 1)  # fmt: skip
        posts = lambda: fake.channel_messages.get(fake.room_channel_id, [])  # noqa: E731
        await wait_for(posts, timeout=15, what="the correction in the room channel")
        (post,) = posts()
        assert post["content"] == (
            "⚠️ Correction : **Live patching the kernel** commence maintenant à 10 h 35"
            f" (<t:{int(pacific('2024-07-10T10:35').timestamp())}:t>), 5 min plus tard"
            " (avant : 10 h 30–11 h 15 PDT)."
        )


@pytest.mark.parametrize("locale", ["ja", "es-ES"])
async def test_an_organiser_with_an_unknown_locale_reads_english(
    fake: FakeDiscord, bot: ConfBot, locale: str
):
    status = await organiser(fake, "status", locale=locale)
    assert status.embeds[0]["title"] == "confbot status · OSDI '24"
    off = await organiser(fake, "qa off", locale=locale)
    assert said(off) == "Q&A threads were not on."


async def test_questions_say_each_count_of_votes_in_words(fake: FakeDiscord, tmp_path: Path):
    """/questions says how many voted in the reader's words, in the count's plural form, not
    with 👍 alone (issue 26: meaning never rests on an emoji)."""
    clock = FixedClock(pacific("2024-07-10T10:59:57"))
    async with running_bot(fake, tmp_path, clock, CONFBOT_DELIVERY_PACE="0") as bot:
        await organiser(fake, "qa channel", locale="de", forum=fake.forum_id)
        await travel(bot, fake, clock, pacific("2024-07-10T11:00"))
        await wait_for(lambda: fake.threads, timeout=15, what="the Q&A thread")
        thread_id = thread_named(fake, "NOMAD")
        for question, voters in (("Does it scale?", (1,)), ("How fast?", (1, 2)), ("Why?", ())):
            opened = await fake.answer(await fake.send_command("ask", in_thread=thread_id))
            (field,) = opened.callback["data"]["components"][0]["components"]
            await fake.answer(await fake.submit_modal(opened, {field["custom_id"]: question}))
            for voter in voters:
                fake.react(int(fake.channel_messages[thread_id][-1]["id"]), "👍", voter)
        for locale, expected in (
            ("de", ["1. 2 Stimmen 👍 · ", "2. 1 Stimme 👍 · ", "3. 0 Stimmen 👍 · "]),
            ("fr", ["1. 2 votes 👍 · ", "2. 1 vote 👍 · ", "3. 0 vote 👍 · "]),
            ("en-US", ["1. 2 votes 👍 · ", "2. 1 vote 👍 · ", "3. 0 votes 👍 · "]),
        ):
            ranked = await fake.send_command("questions", in_thread=thread_id, user=fake.owner,
                                             locale=locale)  # fmt: skip
            await fake.answer(ranked)
            await wait_for(lambda r=ranked: r.followups, what="the ranked questions")
            lines = ranked.followups[0]["content"].splitlines()[1:]
            assert [line[: len(start)] for line, start in zip(lines, expected, strict=True)] == (
                expected
            ), locale
