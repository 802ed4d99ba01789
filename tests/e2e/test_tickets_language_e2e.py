"""Tickets in their readers' languages (issue 26), through discord.py, the fake Discord and
the fake pretix: /register's form and answers in the attendee's language, /tickets in the
organiser's, the log channel's line in the server's, the refund DM in the language the
member registered in, an organiser's DM in the language they set things in; any other
locale reads English."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from bot.adapters.discord.client import ConfBot
from tests.e2e.conftest import running_bot, settled, wait_for
from tests.e2e.test_tickets_day_one_e2e import organiser_dms
from tests.e2e.test_tickets_e2e import (
    Event,
    map_all,
    organise,
    reply,
    roles_of,
    run_refund_check,
    ticket_event,
)
from tests.fakediscord.server import FakeDiscord, Interaction


async def open_form(fake: FakeDiscord, locale: str, user: dict[str, Any] | None = None) -> Any:
    """/register as a reader of `locale`: the form the bot answers with."""
    opened = await fake.answer(await fake.send_command("register", user=user, locale=locale))
    assert opened.callback["type"] == 9, opened.data  # the form
    return opened


def fields_of(opened: Interaction) -> list[dict[str, Any]]:
    return [c for row in opened.callback["data"]["components"] for c in row["components"]]


async def register(
    fake: FakeDiscord, code: str, email: str, locale: str, user: dict[str, Any] | None = None
) -> str:
    """/register and its form filled in, as a reader of `locale`: the private answer."""
    opened = await open_form(fake, locale, user)
    code_field, email_field = (f["custom_id"] for f in fields_of(opened))
    said, private = await reply(fake, await fake.submit_modal(
        opened, {code_field: code, email_field: email}, user=user, locale=locale))  # fmt: skip
    assert private
    return said


def log_lines(fake: FakeDiscord) -> list[str]:
    return [m["content"] for m in fake.channel_messages.get(fake.room_channel_id, [])]


async def test_a_french_attendee_gets_the_form_in_french(fake: FakeDiscord, tmp_path: Path):
    async with ticket_event(fake) as event, running_bot(fake, tmp_path, **event.env()):
        opened = await open_form(fake, "fr")
    form = opened.callback["data"]
    assert form["title"] == "Inscrire votre billet"
    assert [(f["label"], f["placeholder"]) for f in fields_of(opened)] == [
        ("Code de commande", "ABC12, ou le code du QR code de votre billet"),
        ("Adresse e-mail", "Celle de la commande (inutile avec le code de votre billet)"),
    ]


async def test_a_french_attendee_is_welcomed_in_french(fake: FakeDiscord, tmp_path: Path):
    async with ticket_event(fake) as event, running_bot(fake, tmp_path, **event.env()):
        await map_all(fake, event)
        said = await register(fake, event.seeded.paid, event.seeded.email, "fr")
    assert said == "Bienvenue ! Vous avez maintenant : Attendee, Workshop."
    assert roles_of(fake, event, fake.attendee) == {"Attendee", "Workshop"}


async def test_a_german_attendee_is_refused_in_german(fake: FakeDiscord, tmp_path: Path):
    """The one answer for every failed match, and a field's refusal led by its label."""
    async with ticket_event(fake) as event, running_bot(fake, tmp_path, **event.env()):
        await map_all(fake, event)
        made_up = await register(fake, "ZZZZ9", event.seeded.email, "de")
        no_email = await register(fake, event.seeded.paid, "", "de")
    assert made_up == (
        "Kein bezahltes Ticket passt zu dieser Bestellnummer und E-Mail-Adresse (oder diesem"
        " Ticketcode). Vergleich beides mit deiner Bestellbestätigung und versuch es noch"
        " einmal."
    )
    assert no_email == (
        "**E-Mail-Adresse**: Gib zur Bestellnummer die E-Mail-Adresse der Bestellung ein."
    )
    assert fake.member_roles(int(fake.attendee["id"])) == set()


async def test_a_german_attendee_is_told_to_wait_in_german(fake: FakeDiscord, tmp_path: Path):
    async with ticket_event(fake) as event, running_bot(fake, tmp_path, **event.env()):
        await map_all(fake, event)
        for n in range(5):
            await register(fake, f"ZZZZ{n}", "who@example.org", "de")
        limited = await register(fake, event.seeded.paid, event.seeded.email, "de")
    assert limited == "Zu viele Versuche von dir; versuch es in 10 Min. noch einmal."


async def test_a_german_organisers_tickets_status_is_german(fake: FakeDiscord, tmp_path: Path):
    async with ticket_event(fake) as event, running_bot(fake, tmp_path, **event.env()):
        await map_all(fake, event)
        await register(fake, event.seeded.paid, event.seeded.email, "en-US")
        status = await organise(fake, "tickets status", locale="de")
    lines = status.splitlines()
    assert lines[0].startswith("🎟️ **Ticketrollen von OSDI")
    assert f"• Speaker → <@&{event.roles['Speaker']}>" in lines  # pretix's words as they are
    assert lines[-2:] == [
        "Registrierungen werden in keinem Kanal gemeldet (`/tickets protokoll` legt einen fest).",
        "Registriert: 2 Tickets von 1 Mitglied. Erstattungen und Stornierungen: 0 erledigt,"
        " 0 in Arbeit, 0 fehlgeschlagen.",
    ]


async def test_a_french_organiser_maps_and_lists_products_in_french(
    fake: FakeDiscord, tmp_path: Path
):
    """/tickets role's answer, and the product list's own words ("not on sale")."""
    async with ticket_event(fake) as event, running_bot(fake, tmp_path, **event.env()):
        listed = await fake.answer(await fake.send_autocomplete(
            "tickets role", "item", "sponsor", role=event.roles["Attendee"], user=fake.owner,
            locale="fr"))  # fmt: skip
        mapped = await organise(fake, "tickets role", item="2", role=event.roles["Speaker"],
                                locale="fr")  # fmt: skip
    assert listed.choices == [{"name": "Sponsor booth (pas en vente)", "value": "5"}]
    assert mapped == (
        f"🎟️ Les billets **Speaker** donnent désormais <@&{event.roles['Speaker']}>. Les"
        " participants l'obtiennent avec `/inscrire` ; ceux déjà inscrits l'obtiennent en"
        " relançant `/inscrire`."
    )


async def test_a_german_organisers_product_is_refused_in_german_before_pretix_is_asked(
    fake: FakeDiscord, tmp_path: Path
):
    async with ticket_event(fake) as event, running_bot(fake, tmp_path, **event.env()):
        blank = await organise(fake, "tickets role", item="  \u200b ",
                               role=event.roles["Attendee"], locale="de")  # fmt: skip
        bell = await organise(fake, "tickets role", item="Conf\x07",
                              role=event.roles["Attendee"], locale="de")  # fmt: skip
        assert event.pretix.count("/items") == 0
    assert blank == "Bitte gib ein Produkt an."
    assert bell == "Dieses Produkt enthält Steuerzeichen."


async def test_a_french_servers_log_line_is_french_whoever_registers(
    fake: FakeDiscord, tmp_path: Path
):
    fake.guild_locales[fake.guild_id] = "fr"
    async with ticket_event(fake) as event, running_bot(fake, tmp_path, **event.env()):
        await map_all(fake, event)
        await organise(fake, "tickets log", channel=fake.room_channel_id)
        said = await register(fake, event.seeded.paid, event.seeded.email, "en-US")
        await wait_for(lambda: log_lines(fake), what="the log line")
    assert said == "Welcome! You now have: Attendee, Workshop."  # the reader's
    assert log_lines(fake) == [f"<@{fake.attendee['id']}> a inscrit un billet : Attendee, Workshop"]


async def test_announce_language_sets_the_log_lines_language(fake: FakeDiscord, tmp_path: Path):
    fake.guild_locales[fake.guild_id] = "fr"
    async with ticket_event(fake) as event, running_bot(fake, tmp_path, **event.env()):
        await map_all(fake, event)
        await organise(fake, "tickets log", channel=fake.room_channel_id)
        await organise(fake, "announce language", language="de")
        await register(fake, event.seeded.paid, event.seeded.email, "fr")
        await wait_for(lambda: log_lines(fake), what="the log line")
    assert log_lines(fake) == [
        f"<@{fake.attendee['id']}> hat ein Ticket registriert: Attendee, Workshop"
    ]


async def refunded(fake: FakeDiscord, event: Event, bot: ConfBot) -> dict[str, Any]:
    """The paid order refunded in pretix, the check run, and the DM its member got."""
    event.pretix.cancel_order(event.seeded.paid, refund=True)
    assert await run_refund_check(bot) == 2
    await settled(bot)
    (dm,) = fake.channel_messages[fake.dm_channels[int(fake.attendee["id"])]]
    return dm


async def test_the_refund_dm_is_in_the_language_the_member_registered_in(
    fake: FakeDiscord, tmp_path: Path
):
    fake.guild_locales[fake.guild_id] = "fr"  # not the server's
    async with ticket_event(fake) as event:
        async with running_bot(fake, tmp_path, **event.env()) as bot:
            await map_all(fake, event)
            await register(fake, event.seeded.paid, event.seeded.email, "de")
        async with running_bot(fake, tmp_path, **event.env()) as bot:  # kept in the state
            dm = await refunded(fake, event, bot)
    (embed,) = dm["embeds"]
    assert embed["title"] == "Dein Ticket wurde storniert"
    assert embed["description"].startswith("Dein Ticket für OSDI")
    assert "diese Rollen entfernt: Attendee, Workshop." in embed["description"]
    assert dm["content"].startswith("**Dein Ticket wurde storniert**")  # embeds hidden
    assert roles_of(fake, event, fake.attendee) == set()


async def test_an_unknown_locale_reads_english(fake: FakeDiscord, tmp_path: Path):
    async with ticket_event(fake) as event, running_bot(fake, tmp_path, **event.env()) as bot:
        await map_all(fake, event)
        opened = await open_form(fake, "ja")
        said = await register(fake, event.seeded.paid, event.seeded.email, "ja")
        dm = await refunded(fake, event, bot)
    assert opened.callback["data"]["title"] == "Register your ticket"
    assert [f["label"] for f in fields_of(opened)] == ["Order code", "E-mail address"]
    assert said == "Welcome! You now have: Attendee, Workshop."
    assert dm["embeds"][0]["title"] == "Your ticket was cancelled"


async def test_a_broken_log_channel_is_told_in_the_language_it_was_set_in(
    fake: FakeDiscord, tmp_path: Path
):
    async with ticket_event(fake) as event, running_bot(fake, tmp_path, **event.env()):
        await map_all(fake, event)
        await organise(fake, "tickets log", channel=fake.room_channel_id, locale="fr")
        await fake.delete_channel(fake.room_channel_id)
        await register(fake, event.seeded.paid, event.seeded.email, "de")
        await wait_for(lambda: organiser_dms(fake), what="the organiser told")
    (told,) = organiser_dms(fake)
    assert told.startswith("🎟️ Les inscriptions de billets sur **OSDI")
    assert f"<#{fake.room_channel_id}> a été supprimé ; `/billets journal` en choisit un" in told


async def test_a_deleted_role_is_told_in_a_french_servers_log_channel_in_french(
    fake: FakeDiscord, tmp_path: Path
):
    """In the log channel, the server's language, whoever mapped the role."""
    fake.guild_locales[fake.guild_id] = "fr"
    async with ticket_event(fake) as event, running_bot(fake, tmp_path, **event.env()):
        await organise(fake, "tickets log", channel=fake.room_channel_id, locale="de")
        await organise(fake, "tickets role", item="3", role=event.roles["Online"], locale="de")
        await fake.delete_role(event.roles["Online"])
        await wait_for(lambda: log_lines(fake), what="the log channel told")
    (told,) = log_lines(fake)
    assert told.startswith("⚠️ Le rôle **Online**, donné pour **Online**, a été supprimé")
    assert organiser_dms(fake) == []


async def test_a_deleted_role_is_told_in_the_organisers_language(fake: FakeDiscord, tmp_path: Path):
    """No log channel: the organiser who mapped it last is told by DM, in theirs."""
    async with ticket_event(fake) as event, running_bot(fake, tmp_path, **event.env()):
        await organise(fake, "tickets role", item="3", role=event.roles["Online"], locale="de")
        await fake.delete_role(event.roles["Online"])
        await wait_for(lambda: organiser_dms(fake), what="the organiser told")
    (told,) = organiser_dms(fake)
    head, line = told.splitlines()
    assert head.startswith("🎟️ Ticketrollen auf **OSDI")
    assert line.startswith("⚠️ Die Rolle **Online**, vergeben für **Online**, wurde gelöscht")


async def test_a_deleted_role_is_told_in_the_servers_language_when_theirs_is_unknown(
    fake: FakeDiscord, tmp_path: Path
):
    """A mapping kept before its organiser's language was (NULL): the server's, French."""
    fake.guild_locales[fake.guild_id] = "fr"
    async with ticket_event(fake) as event, running_bot(fake, tmp_path, **event.env()):
        await map_all(fake, event)
        with sqlite3.connect(tmp_path / "confbot-state.db") as state:
            state.execute("UPDATE ticket_roles SET language = NULL")
        await fake.delete_role(event.roles["Online"])
        await wait_for(lambda: organiser_dms(fake), what="the organiser told")
    (told,) = organiser_dms(fake)
    assert told.splitlines()[1].startswith("⚠️ Le rôle **Online**, donné pour **Online**")
