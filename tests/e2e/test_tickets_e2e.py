"""Ticket roles end to end: the bot through discord.py against the fake Discord (its roles
enforced as Discord enforces them) and a fake pretix, from an organiser's /tickets to an
attendee's /register, the log channel, a refund and a restart."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.adapters.discord.client import ConfBot
from bot.render import tickets as ticket_text
from tests.e2e.conftest import running_bot, settled, wait_for
from tests.fakediscord.guilds import MANAGE_ROLES
from tests.fakediscord.server import (
    DEFAULT_PERMISSIONS,
    EPHEMERAL,
    MANAGE_GUILD,
    FakeDiscord,
    Interaction,
)
from tests.fakepretix import FakePretix, Fault, Seeded

ORGANISER = DEFAULT_PERMISSIONS | MANAGE_GUILD | MANAGE_ROLES
ROLES = ("Attendee", "Speaker", "Online", "Workshop")
MAPPED = {"1": "Attendee", "2": "Speaker", "3": "Online", "4": "Workshop"}


@dataclass
class Event:
    pretix: FakePretix
    seeded: Seeded
    roles: dict[str, int]  # by name

    def env(self) -> dict[str, str]:
        return {"CONFBOT_PRETIX_EVENT_URL": self.pretix.url,
                "CONFBOT_PRETIX_TOKEN": self.pretix.token}  # fmt: skip


@contextlib.asynccontextmanager
async def ticket_event(fake: FakeDiscord, manage_roles: bool = True) -> AsyncIterator[Event]:
    """A seeded pretix, and a server whose bot role (with Manage Roles, unless not) is
    above four roles, created below it."""
    async with FakePretix() as pretix:
        seeded = pretix.seed()
        await fake.bot_role(MANAGE_ROLES if manage_roles else 0, position=1)
        roles = {name: await fake.create_role(name, position=1) for name in ROLES}
        yield Event(pretix, seeded, roles)


async def reply(fake: FakeDiscord, sent: Interaction) -> tuple[str, bool]:
    """What the bot answered, deferred or not, and whether only the person saw it."""
    await fake.answer(sent)
    if sent.callback["type"] == 5:
        await asyncio.wait_for(sent.followed_up.wait(), 10)
        body = sent.followups[-1]
        return body["content"], sent.ephemeral or bool(int(body.get("flags") or 0) & EPHEMERAL)
    return sent.data["content"], sent.ephemeral


async def organise(fake: FakeDiscord, command: str, **options: object) -> str:
    said, private = await reply(fake, await fake.send_command(
        command, user=fake.owner, permissions=ORGANISER, **options))  # fmt: skip
    assert private
    return said


async def map_all(fake: FakeDiscord, event: Event) -> None:
    for item, name in MAPPED.items():
        said = await organise(fake, "tickets role", item=item, role=event.roles[name])
        assert said.startswith("🎟️ Tickets for **"), said


async def register(
    fake: FakeDiscord, code: str, email: str = "", user: dict[str, Any] | None = None
) -> str:
    opened = await fake.answer(await fake.send_command("register", user=user))
    assert opened.callback["type"] == 9, opened.data  # the form
    rows = opened.callback["data"]["components"]
    fields = {c["label"]: c["custom_id"] for row in rows for c in row["components"]}
    assert set(fields) == {"Order code", "E-mail address"}
    values = {fields["Order code"]: code, fields["E-mail address"]: email}
    said, private = await reply(fake, await fake.submit_modal(opened, values, user=user))
    assert private
    return said


def roles_of(fake: FakeDiscord, event: Event, user: dict[str, Any]) -> set[str]:
    names = {v: k for k, v in event.roles.items()}
    return {names.get(r, str(r)) for r in fake.member_roles(int(user["id"]))}


def order_requests(event: Event) -> int:
    return event.pretix.count("/orders") + event.pretix.count("/orderpositions")


async def test_register_by_code_and_email_gives_the_roles_and_reports_only_them(
    fake: FakeDiscord, tmp_path: Path
):
    async with ticket_event(fake) as event, running_bot(fake, tmp_path, **event.env()):
        await map_all(fake, event)
        said = await organise(fake, "tickets log", channel=fake.room_channel_id)
        assert said.startswith(f"🎟️ Each registration is now reported in <#{fake.room_channel_id}>")
        before = order_requests(event)
        said = await register(fake, event.seeded.paid, event.seeded.email)
        assert order_requests(event) - before == 1  # one lookup, whatever the event's size
        assert said == "Welcome! You now have: Attendee, Workshop."
        assert roles_of(fake, event, fake.attendee) == {"Attendee", "Workshop"}
        await wait_for(lambda: fake.channel_messages.get(fake.room_channel_id), what="the log")
        (line,) = fake.channel_messages[fake.room_channel_id]
    assert line["content"] == f"<@{fake.attendee['id']}> registered a ticket: Attendee, Workshop"
    assert line["_body"]["allowed_mentions"] == {"parse": []}
    personal = [event.seeded.paid, "Ada Lovelace", event.seeded.email,
                *event.pretix.secrets(event.seeded.paid)]  # fmt: skip
    assert not [p for p in personal if p.casefold() in str(line).casefold()]
    state = sqlite3.connect(tmp_path / "confbot-state.db").iterdump()
    dumped = "\n".join(state).casefold()
    assert 'insert into "ticket_registrations"' in dumped  # the state, holding the ticket
    pseudonyms = [p.pseudonymization_id for p in event.pretix.orders[event.seeded.paid].positions]
    assert not [p for p in [*personal, *pseudonyms] if p.casefold() in dumped]


async def test_register_by_the_tickets_secret(fake: FakeDiscord, tmp_path: Path):
    """The QR code's secret in the first field, no e-mail: the one ticket's roles only
    (the third of an order of three: online), in two requests."""
    async with ticket_event(fake) as event, running_bot(fake, tmp_path, **event.env()):
        await map_all(fake, event)
        online = event.pretix.secrets(event.seeded.group)[2]
        before = order_requests(event)
        said = await register(fake, online)
        assert order_requests(event) - before == 2
    assert said == "Welcome! You now have: Online."
    assert roles_of(fake, event, fake.attendee) == {"Online"}


async def test_several_positions_of_one_order_give_each_its_role(fake: FakeDiscord, tmp_path: Path):
    async with ticket_event(fake) as event, running_bot(fake, tmp_path, **event.env()):
        await map_all(fake, event)
        said = await register(fake, event.seeded.group.lower(), " group@EXAMPLE.org ")
    assert said == "Welcome! You now have: Attendee, Online."
    assert roles_of(fake, event, fake.attendee) == {"Attendee", "Online"}


async def test_a_second_account_is_refused_and_the_first_may_register_again(
    fake: FakeDiscord, tmp_path: Path
):
    async with ticket_event(fake) as event, running_bot(fake, tmp_path, **event.env()):
        await map_all(fake, event)
        await organise(fake, "tickets log", channel=fake.room_channel_id)
        assert (await register(fake, event.seeded.speaker, "speaker@example.org")).startswith(
            "Welcome!")  # fmt: skip
        other = fake.new_member("other")
        refused = await register(fake, event.seeded.speaker, "speaker@example.org", user=other)
        again = await register(fake, event.seeded.speaker, "speaker@example.org")
    assert refused == ticket_text.ALREADY
    assert roles_of(fake, event, other) == set()
    assert again == "That ticket is registered to you already: you have Speaker."
    assert len(fake.channel_messages[fake.room_channel_id]) == 1  # the second is no news
    assert [m for m, _, _ in fake.roles().changes] == ["PUT"]


async def test_every_failed_match_reads_the_same(fake: FakeDiscord, tmp_path: Path):
    async with ticket_event(fake) as event, running_bot(fake, tmp_path, **event.env()):
        await map_all(fake, event)
        answers = {
            "wrong e-mail": await register(fake, event.seeded.paid, "someone@example.org"),
            "made-up code": await register(fake, "ZZZZ9", event.seeded.email),
            "made-up secret": await register(fake, "q" * 32),
            "test-mode order": await register(fake, event.seeded.testmode, "test@example.org"),
        }
        unpaid = await register(fake, event.seeded.unpaid, "unpaid@example.org",
                                user=fake.new_member("unpaid"))  # fmt: skip
        refunded = await register(fake, event.seeded.refunded, "refund@example.org",
                                  user=fake.new_member("refunded"))  # fmt: skip
    assert set(answers.values()) == {ticket_text.NO_MATCH}, answers
    assert unpaid == ticket_text.UNPAID
    assert refunded == ticket_text.CANCELED
    assert fake.member_roles(int(fake.attendee["id"])) == set()


async def test_attempts_are_limited_before_pretix_is_asked(fake: FakeDiscord, tmp_path: Path):
    async with ticket_event(fake) as event, running_bot(fake, tmp_path, **event.env()):
        await map_all(fake, event)
        for n in range(5):
            assert await register(fake, f"ZZZZ{n}", "who@example.org") == ticket_text.NO_MATCH
        asked = order_requests(event)
        limited = await register(fake, event.seeded.paid, event.seeded.email)
        assert order_requests(event) == asked
        someone_else = await register(fake, event.seeded.paid, event.seeded.email,
                                      user=fake.new_member("patient"))  # fmt: skip
    assert limited == "Too many attempts from you; try again in 10 min."
    assert someone_else.startswith("Welcome!")
    assert fake.member_roles(int(fake.attendee["id"])) == set()


async def test_without_manage_roles_each_side_gets_one_sentence(fake: FakeDiscord, tmp_path: Path):
    async with (
        ticket_event(fake, manage_roles=False) as event,
        running_bot(fake, tmp_path, **event.env()),
    ):
        refused = await organise(fake, "tickets role", item="1", role=event.roles["Attendee"])
        assert refused == (
            "I lack the **Manage Roles** permission, so I can't give anyone a role: turn it on"
            " for my role in Server Settings → Roles, then try again."
        )
        bot_role = next(r.id for r in fake.roles().roles.values() if r.managed)
        await fake.edit_role(bot_role, permissions=MANAGE_ROLES)  # the bot hears it first
        await map_all(fake, event)
        await fake.edit_role(bot_role, permissions=0)  # an organiser takes it away again
        said = await register(fake, event.seeded.paid, event.seeded.email)
        assert said == (
            "I could not give you your roles, because I lack the Manage Roles permission in"
            " this server; nothing was given, so please tell an organiser and try again once"
            " they have fixed it."
        )
        assert fake.roles().changes == []
        await fake.edit_role(bot_role, permissions=MANAGE_ROLES)
        again = await register(fake, event.seeded.paid, event.seeded.email)
    assert again == "Welcome! You now have: Attendee, Workshop."  # nothing half kept before


async def test_a_role_above_the_bots_is_refused_up_front(fake: FakeDiscord, tmp_path: Path):
    async with ticket_event(fake) as event:
        organisers = await fake.create_role("Organisers", position=9)
        async with running_bot(fake, tmp_path, **event.env()):
            said = await organise(fake, "tickets role", item="2", role=organisers)
            status = await organise(fake, "tickets status")
    bot_role = next(r.id for r in fake.roles().roles.values() if r.managed)
    assert said == (
        f"Discord lets me give only roles below my highest role, <@&{bot_role}>, and"
        f" <@&{organisers}> is not: drag my role above <@&{organisers}> in Server Settings →"
        " Roles, then try again."
    )
    assert "No product gives a role yet" in status
    assert fake.roles().changes == []


async def test_a_role_moved_above_the_bot_later_is_said_to_both(fake: FakeDiscord, tmp_path: Path):
    async with ticket_event(fake) as event, running_bot(fake, tmp_path, **event.env()):
        await map_all(fake, event)
        await fake.edit_role(event.roles["Speaker"], position=9)
        said = await register(fake, event.seeded.speaker, "speaker@example.org")
        status = await organise(fake, "tickets status")
    speaker = event.roles["Speaker"]
    assert said == (
        f"I could not give you your roles, because <@&{speaker}> is not below my own role"
        " here; nothing was given, so please tell an organiser and try again once they have"
        " fixed it."
    )
    assert "⚠️ Discord lets me give only roles below my highest role, <@&" in status
    assert f"and <@&{speaker}> is not" in status
    assert fake.roles().changes == []


async def test_status_lists_the_products_roles_and_counts(fake: FakeDiscord, tmp_path: Path):
    async with ticket_event(fake) as event, running_bot(fake, tmp_path, **event.env()):
        await map_all(fake, event)
        await organise(fake, "tickets role", item="1/12", role=event.roles["Online"])
        await register(fake, event.seeded.group, "group@example.org")
        status = await organise(fake, "tickets status")
    r = event.roles
    assert status.splitlines() == [
        "🎟️ **Ticket roles of OSDI '24**",
        f"• Conference ticket → <@&{r['Attendee']}>",
        f"• Conference ticket – Student → <@&{r['Online']}>",
        f"• Speaker → <@&{r['Speaker']}>",
        f"• Online → <@&{r['Online']}>",
        f"• Workshop add-on → <@&{r['Workshop']}>",
        "Registrations reported in: no channel (`/tickets log` sets it).",
        "Registered: 3 tickets of 1 member. Refunds and cancellations: 0 done, 0 under way,"
        " 0 failed.",
    ]


async def test_item_autocomplete_offers_products_and_variations(fake: FakeDiscord, tmp_path: Path):
    async with ticket_event(fake) as event, running_bot(fake, tmp_path, **event.env()):
        suggested = await fake.answer(await fake.send_autocomplete(
            "tickets role", "item", "stud", role=event.roles["Online"]))  # fmt: skip
        everything = await fake.answer(await fake.send_autocomplete(
            "tickets role", "item", "", role=event.roles["Online"]))  # fmt: skip
    assert suggested.choices == [{"name": "Conference ticket – Student", "value": "1/12"}]
    names = [c["name"] for c in everything.choices]
    assert names[:3] == ["Conference ticket", "Conference ticket – Regular",
                         "Conference ticket – Student"]  # fmt: skip
    assert "Sponsor booth (not on sale)" in names


async def test_release_frees_the_ticket_and_takes_its_roles(fake: FakeDiscord, tmp_path: Path):
    async with ticket_event(fake) as event, running_bot(fake, tmp_path, **event.env()):
        await map_all(fake, event)
        await register(fake, event.seeded.paid, event.seeded.email)
        said = await organise(fake, "tickets release", member=fake.attendee["id"])
        other = fake.new_member("second-account")
        moved = await register(fake, event.seeded.paid, event.seeded.email, user=other)
        nothing = await organise(fake, "tickets release", member=fake.attendee["id"])
    a, w = event.roles["Attendee"], event.roles["Workshop"]
    assert said == (
        f"🎟️ Released 2 tickets of <@{fake.attendee['id']}>: another account can register"
        f" them now. Took back <@&{a}> and <@&{w}>."
    )
    assert roles_of(fake, event, fake.attendee) == set()
    assert moved == "Welcome! You now have: Attendee, Workshop."
    assert nothing == f"<@{fake.attendee['id']}> has no ticket registered here; nothing changed."


async def test_organisers_commands_are_theirs(fake: FakeDiscord, tmp_path: Path):
    async with ticket_event(fake) as event, running_bot(fake, tmp_path, **event.env()):
        group = fake.command("tickets")
        manage_server_only = DEFAULT_PERMISSIONS | MANAGE_GUILD
        said, private = await reply(fake, await fake.send_command(
            "tickets status", permissions=manage_server_only))  # fmt: skip
    assert int(group["default_member_permissions"]) == MANAGE_GUILD | MANAGE_ROLES
    assert private and said == "You don't have permission to use this command here."


async def test_hostile_input_in_every_field(fake: FakeDiscord, tmp_path: Path):
    """Empty, 1,000 characters, control characters, another event's code: refused before
    pretix is asked, each with its sentence naming what to fix; nothing typed echoed."""
    long = "A" * 1000
    async with ticket_event(fake) as event, running_bot(fake, tmp_path, **event.env()):
        await map_all(fake, event)
        asked = order_requests(event)
        answers = [
            await register(fake, "", event.seeded.email),
            await register(fake, long, event.seeded.email),
            await register(fake, "PAI\x00D1", event.seeded.email),
            await register(fake, "OTHERCON-" + event.seeded.paid, event.seeded.email),
            await register(fake, event.seeded.paid, ""),
            await register(fake, event.seeded.paid, "x" * 990 + "@example.org"),
            await register(fake, event.seeded.paid, "ada\u202e@example.org"),
            await register(fake, event.seeded.paid, "@everyone <@123>"),
        ]
        assert order_requests(event) == asked
        # (a control character is refused before the echo: test_tickets_day_one_e2e.py)
        item = await organise(fake, "tickets role", item="<@&1> **x**" + "y" * 90,
                              role=event.roles["Online"])  # fmt: skip
        release_nobody = await organise(fake, "tickets release", member=fake.owner["id"])
    code, email = "**Order code**: ", "**E-mail address**: "
    assert answers[:5] == [
        code + "Give your order code (or the code of your ticket's QR code).",
        code + "That is longer than any order code or ticket code; paste the code alone.",
        code + "That holds invisible or control characters; type the code again.",
        code + "That order code is for another event; use the one of this conference's order.",
        email + "Give the e-mail address of the order with its order code.",
    ]
    assert answers[5:] == [
        email + "That is longer than any e-mail address; give the order's address alone.",
        email + "That holds invisible or control characters; type the address again.",
        email + "That is not an e-mail address; give the one of the order.",
    ]
    assert item.startswith("No product of the event is called “\\<@&1> \\*\\*x\\*\\*")
    assert release_nobody.endswith("has no ticket registered here; nothing changed.")
    assert fake.member_roles(int(fake.attendee["id"])) == set()


async def run_refund_check(bot: ConfBot) -> int:
    """The conference's refund watcher checks now (not after CONFBOT_PRETIX_INTERVAL)."""
    report = await bot.ticket_desk.watchers[bot.first.key].run_once()
    return len(report.marked)


async def test_a_refund_takes_the_roles_once_across_a_restart(fake: FakeDiscord, tmp_path: Path):
    async with ticket_event(fake) as event:
        async with running_bot(fake, tmp_path, **event.env()) as bot:
            await map_all(fake, event)
            await register(fake, event.seeded.paid, event.seeded.email)
            other = fake.new_member("speaker")
            await register(fake, event.seeded.speaker, "speaker@example.org", user=other)
            event.pretix.cancel_order(event.seeded.paid, refund=True)
            assert await run_refund_check(bot) == 2  # both tickets of the order
            await settled(bot)
            assert roles_of(fake, event, fake.attendee) == set()
        removed = [c for c in fake.roles().changes if c[0] == "DELETE"]
        dm = fake.channel_messages[fake.dm_channels[int(fake.attendee["id"])]]
        async with running_bot(fake, tmp_path, **event.env()) as bot:
            assert await run_refund_check(bot) == 0
            await settled(bot)
            status = await organise(fake, "tickets status")
    assert sorted(r for _, _, r in removed) == sorted([event.roles["Attendee"],
                                                      event.roles["Workshop"]])  # fmt: skip
    assert [c for c in fake.roles().changes if c[0] == "DELETE"] == removed  # once
    (told,) = dm
    assert told["embeds"][0]["title"] == "Your ticket was cancelled"
    assert "Attendee" in told["embeds"][0]["description"]
    assert roles_of(fake, event, other) == {"Speaker"}  # another order: untouched
    assert "2 done, 0 under way, 0 failed" in status


async def test_a_refund_of_a_member_who_left_is_done_without_a_dm(
    fake: FakeDiscord, tmp_path: Path
):
    async with ticket_event(fake) as event, running_bot(fake, tmp_path, **event.env()) as bot:
        await map_all(fake, event)
        await register(fake, event.seeded.speaker, "speaker@example.org")
        fake.leave(int(fake.attendee["id"]))
        event.pretix.cancel_order(event.seeded.speaker)
        assert await run_refund_check(bot) == 1
        await settled(bot)
        status = await organise(fake, "tickets status")
    assert [c for c in fake.roles().changes if c[0] == "DELETE"] == []
    assert int(fake.attendee["id"]) not in fake.dm_channels
    assert "1 done, 0 under way, 0 failed" in status


async def test_pretix_refusing_the_token_is_one_sentence_without_it(
    fake: FakeDiscord, tmp_path: Path
):
    async with ticket_event(fake) as event, running_bot(fake, tmp_path, **event.env()):
        event.pretix.fail(Fault.UNAUTHORIZED)
        organiser = await organise(fake, "tickets role", item="1", role=event.roles["Attendee"])
        await map_all(fake, event)
        event.pretix.fail(Fault.UNAUTHORIZED)
        attendee = await register(fake, event.seeded.paid, event.seeded.email)
        again = await register(fake, event.seeded.paid, event.seeded.email)
    assert organiser == (
        "pretix refused the bot's API token (expired, or without read access to the event's"
        " orders and products): please tell the bot's operator."
    )
    assert attendee == (
        "The ticket shop cannot be reached right now; nothing was registered. Try again in a"
        " few minutes."
    )
    assert again == "Welcome! You now have: Attendee, Workshop."
    assert event.pretix.token not in str(fake.sent)


async def test_a_role_given_by_hand_stays_through_a_refund_and_a_release(
    fake: FakeDiscord, tmp_path: Path
):
    """An organiser made the attendee an Attendee by hand before the event; the ticket
    then gives Attendee and Workshop. The refund and the release take back the Workshop
    role the ticket gave, never the Attendee role it found."""
    async with ticket_event(fake) as event, running_bot(fake, tmp_path, **event.env()) as bot:
        await map_all(fake, event)
        user = int(fake.attendee["id"])
        await fake.give_role(user, event.roles["Attendee"])
        said = await register(fake, event.seeded.paid, event.seeded.email)
        assert said == "Welcome! You now have: Attendee, Workshop."
        event.pretix.cancel_order(event.seeded.paid, refund=True)
        assert await run_refund_check(bot) == 2
        await settled(bot)
        assert roles_of(fake, event, fake.attendee) == {"Attendee"}
        (told,) = fake.channel_messages[fake.dm_channels[user]]
        speaker = fake.new_member("speaker")
        await fake.give_role(int(speaker["id"]), event.roles["Speaker"])
        await register(fake, event.seeded.speaker, "speaker@example.org", user=speaker)
        released = await organise(fake, "tickets release", member=speaker["id"])
    assert "Workshop" in told["embeds"][0]["description"]
    assert "Attendee" not in told["embeds"][0]["description"]
    assert released == (
        f"🎟️ Released 1 ticket of <@{speaker['id']}>: another account can register it now."
    )
    assert roles_of(fake, event, speaker) == {"Speaker"}
    assert [r for m, _, r in fake.roles().changes if m == "DELETE"] == [event.roles["Workshop"]]
