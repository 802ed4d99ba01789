"""A mapped role deleted in Discord, through discord.py against the fake Discord and the
fake pretix: its mappings go and the organisers are told once (the log channel, else by
DM), however the bot learns of it: GUILD_ROLE_DELETE, its next start after missing it,
or a registration that meets it (Discord's 404 Unknown Role, the event lost). Tickets give
the roles that still exist; every other refusal still gives none."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

from bot.render import tickets as ticket_text
from bot.service.ticket_results import NoRoles
from tests.e2e.conftest import running_bot, wait_for
from tests.e2e.test_tickets_day_one_e2e import organiser_dms
from tests.e2e.test_tickets_e2e import map_all, organise, register, roles_of, ticket_event
from tests.fakediscord.server import FakeDiscord

NO_ROLE = "Your ticket is valid, but no role is set up for it here yet; ask an organiser."


def deleted_lines(texts: list[str]) -> list[str]:
    return [line for text in texts for line in text.splitlines() if "was deleted" in line]


def log_texts(fake: FakeDiscord, channel_id: int) -> list[str]:
    return [m["content"] for m in fake.channel_messages.get(channel_id, [])]


def kept_roles(tmp_path: Path) -> list[str]:
    """The roles each registration in the state keeps (what a refund would take)."""
    with contextlib.closing(sqlite3.connect(tmp_path / "confbot-state.db")) as db:
        return [row[0] for row in db.execute("SELECT roles FROM ticket_registrations")]


def put_requests(fake: FakeDiscord, role_id: int) -> int:
    return len([p for m, p in fake.requests if m == "PUT" and p.endswith(f"/roles/{role_id}")])


async def test_a_role_deleted_while_the_bot_runs_is_unmapped_and_told_once_in_the_log(
    fake: FakeDiscord, tmp_path: Path
):
    async with ticket_event(fake) as event, running_bot(fake, tmp_path, **event.env()):
        await map_all(fake, event)
        await organise(fake, "tickets log", channel=fake.room_channel_id)
        await fake.delete_role(event.roles["Workshop"])
        await wait_for(lambda: log_texts(fake, fake.room_channel_id), what="the log told")
        ada = await register(fake, event.seeded.paid, event.seeded.email)
        bob = await register(fake, event.seeded.speaker, "speaker@example.org",
                             user=fake.new_member("bob"))  # fmt: skip
        status = await organise(fake, "tickets status")
    assert ada == "Welcome! You now have: Attendee."
    assert bob == "Welcome! You now have: Speaker."
    told, *registrations = log_texts(fake, fake.room_channel_id)
    assert told == (
        "⚠️ The role **Workshop**, given for **Workshop add-on**, was deleted, so those tickets"
        " no longer give it; registering goes on with their other roles, and `/tickets role`"
        " maps another role to them."
    )
    assert deleted_lines(registrations) == [] and organiser_dms(fake) == []
    assert f"<@&{event.roles['Workshop']}>" not in status and "Workshop add-on" not in status
    assert "no longer exists" not in status
    assert put_requests(fake, event.roles["Workshop"]) == 0
    assert roles_of(fake, event, fake.attendee) == {"Attendee"}


async def test_without_a_log_channel_the_organiser_who_mapped_is_told_by_dm(
    fake: FakeDiscord, tmp_path: Path
):
    """One DM of one line per deleted role; a role no product gives tells no one."""
    async with ticket_event(fake) as event, running_bot(fake, tmp_path, **event.env()):
        await map_all(fake, event)
        await fake.delete_role(event.roles["Online"])
        await wait_for(lambda: organiser_dms(fake), what="the organiser told")
        unmapped = await fake.create_role("Hallway", position=1)
        await fake.delete_role(unmapped)
        await fake.delete_role(event.roles["Workshop"])
        await wait_for(lambda: len(organiser_dms(fake)) == 2, what="the second told")
        status = await organise(fake, "tickets status")
    online, workshop = organiser_dms(fake)
    head, line = online.splitlines()
    assert head.startswith("🎟️ Ticket roles in **OSDI") and head.endswith("attendees**:")
    assert line == (
        "⚠️ The role **Online**, given for **Online**, was deleted, so those tickets no longer"
        " give it; registering goes on with their other roles, and `/tickets role` maps"
        " another role to them."
    )
    assert "**Workshop**, given for **Workshop add-on**" in workshop
    assert "Online" not in status and "Workshop add-on" not in status
    assert "Speaker" in status


async def test_a_deletion_the_bot_did_not_hear_costs_only_that_role(
    fake: FakeDiscord, tmp_path: Path
):
    """The event lost, the bot's cache still has the role: Discord's 404 Unknown Role for
    it at a registration. The other role is given and kept, the mapping goes, whoever
    mapped it is told once, and the next registration does not try it again."""
    async with ticket_event(fake) as event, running_bot(fake, tmp_path, **event.env()):
        await map_all(fake, event)
        await fake.delete_role(event.roles["Workshop"], heard=False)
        ada = await register(fake, event.seeded.paid, event.seeded.email)
        again = await register(fake, event.seeded.paid, event.seeded.email)
        await wait_for(lambda: organiser_dms(fake), what="the organiser told")
        status = await organise(fake, "tickets status")
    assert ada == "Welcome! You now have: Attendee."
    assert again == "That ticket is registered to you already: you have Attendee."
    assert roles_of(fake, event, fake.attendee) == {"Attendee"}
    assert put_requests(fake, event.roles["Workshop"]) == 1  # the 404; not asked again
    assert kept_roles(tmp_path) == [str(event.roles["Attendee"])]  # the workshop: none kept
    (told,) = organiser_dms(fake)
    assert deleted_lines([told]) == [
        "⚠️ The role **Workshop**, given for **Workshop add-on**, was deleted, so those tickets"
        " no longer give it; registering goes on with their other roles, and `/tickets role`"
        " maps another role to them."
    ]
    assert "Workshop add-on" not in status and "Registered: 1 ticket of 1 member." in status


async def test_a_ticket_whose_only_role_was_deleted_asks_for_an_organiser(
    fake: FakeDiscord, tmp_path: Path
):
    """Nothing could be given, so nothing is registered; once a role is mapped again the
    same registration gives it."""
    async with ticket_event(fake) as event, running_bot(fake, tmp_path, **event.env()):
        await map_all(fake, event)
        await fake.delete_role(event.roles["Speaker"], heard=False)
        bob = fake.new_member("bob")
        first = await register(fake, event.seeded.speaker, "speaker@example.org", user=bob)
        status = await organise(fake, "tickets status")
        speakers = await fake.create_role("Speakers", position=1)
        await organise(fake, "tickets role", item="2", role=speakers)
        second = await register(fake, event.seeded.speaker, "speaker@example.org", user=bob)
    assert first == NO_ROLE == ticket_text.register_text(NoRoles(mapped=True))
    assert "Registered: 0 tickets of 0 members." in status
    assert second == "Welcome! You now have: Speakers."
    assert len(deleted_lines(organiser_dms(fake))) == 1


async def test_a_role_deleted_while_the_bot_was_down_is_told_as_it_starts(
    fake: FakeDiscord, tmp_path: Path
):
    async with ticket_event(fake) as event:
        async with running_bot(fake, tmp_path, **event.env()):
            await map_all(fake, event)
        await fake.delete_role(event.roles["Workshop"])  # nobody connected to hear it
        async with running_bot(fake, tmp_path, **event.env()):
            await wait_for(lambda: organiser_dms(fake), what="the organiser told at start")
            ada = await register(fake, event.seeded.paid, event.seeded.email)
            status = await organise(fake, "tickets status")
    assert ada == "Welcome! You now have: Attendee."
    (told,) = organiser_dms(fake)
    assert f"The role <@&{event.roles['Workshop']}>, given for **Workshop add-on**" in told
    assert "Workshop add-on" not in status


async def test_other_refusals_still_give_nothing(fake: FakeDiscord, tmp_path: Path):
    """A deleted role left out does not make the rest give half: the bot's role dragged
    below the attendee role still refuses the whole ticket, and registers nothing."""
    async with ticket_event(fake) as event, running_bot(fake, tmp_path, **event.env()):
        await map_all(fake, event)
        await fake.delete_role(event.roles["Workshop"], heard=False)
        bot_role = next(r.id for r in fake.roles().roles.values() if r.managed)
        await fake.edit_role(bot_role, position=1)  # now below every mapped role
        said = await register(fake, event.seeded.paid, event.seeded.email)
        status = await organise(fake, "tickets status")
    assert said.startswith(
        f"I could not give you your roles, because <@&{event.roles['Attendee']}>"
    )
    assert "nothing was given" in said
    assert fake.roles().changes == []
    assert "Registered: 0 tickets of 0 members." in status
