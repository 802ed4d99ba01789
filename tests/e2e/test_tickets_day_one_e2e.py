"""9:00 on day one: docs/organisers.md's tickets section followed step by step against the
fake Discord and the fake pretix, by an organiser and by attendees on their phones, with
what goes wrong on a real morning: a log channel deleted or closed to the bot, a mapped
role deleted, the bot's role dragged below a mapped one, pretix down or rate limiting,
someone registering twice, DMs closed, and hostile text in every field."""

from __future__ import annotations

import unicodedata
from pathlib import Path

from bot.render import tickets as ticket_text
from tests.e2e.conftest import running_bot, settled, wait_for
from tests.e2e.test_tickets_e2e import (
    map_all,
    order_requests,
    organise,
    register,
    reply,
    roles_of,
    run_refund_check,
    ticket_event,
)
from tests.fakediscord.server import FakeDiscord
from tests.fakepretix import Fault

UNREACHABLE = (
    "The ticket shop cannot be reached right now; nothing was registered. Try again in a"
    " few minutes."
)


def readable(text: str) -> bool:
    """What a phone shows as it is: no control or invisible character (a newline aside)."""
    return not any(
        unicodedata.category(c) in ("Cc", "Cf", "Cn", "Co", "Cs") and c != "\n" for c in text
    )


def organiser_dms(fake: FakeDiscord) -> list[str]:
    channel = fake.dm_channels.get(int(fake.owner["id"]))
    messages = fake.channel_messages.get(channel, []) if channel is not None else []
    return [m["content"] or m["embeds"][0]["description"] for m in messages]


async def test_the_guide_step_by_step(fake: FakeDiscord, tmp_path: Path):
    """Map with the list as you type, pick the log channel, check the status, then the
    doors open: an attendee registers, and again (a second tap on a slow phone): told
    they have it already, counted once, reported once."""
    async with ticket_event(fake) as event, running_bot(fake, tmp_path, **event.env()):
        listed = await fake.answer(await fake.send_autocomplete(
            "tickets role", "item", "conf", role=event.roles["Attendee"],
            user=fake.owner))  # fmt: skip
        assert listed.choices[0] == {"name": "Conference ticket", "value": "1"}
        await map_all(fake, event)
        await organise(fake, "tickets log", channel=fake.room_channel_id)
        first = await register(fake, event.seeded.paid, event.seeded.email)
        second = await register(fake, event.seeded.paid, event.seeded.email)
        status = await organise(fake, "tickets status")
        await wait_for(lambda: fake.channel_messages.get(fake.room_channel_id), what="the log")
    assert first == "Welcome! You now have: Attendee, Workshop."
    assert second == "That ticket is registered to you already: you have Attendee, Workshop."
    assert "Registered: 2 tickets of 1 member." in status
    assert len(fake.channel_messages[fake.room_channel_id]) == 1
    assert [m for m, _, _ in fake.roles().changes] == ["PUT", "PUT"]


async def test_a_deleted_log_channel_costs_registrations_nothing_and_is_told_once(
    fake: FakeDiscord, tmp_path: Path
):
    async with ticket_event(fake) as event, running_bot(fake, tmp_path, **event.env()):
        await map_all(fake, event)
        await organise(fake, "tickets log", channel=fake.room_channel_id)
        await fake.delete_channel(fake.room_channel_id)
        ada = await register(fake, event.seeded.paid, event.seeded.email)
        bob = await register(fake, event.seeded.speaker, "speaker@example.org",
                             user=fake.new_member("bob"))  # fmt: skip
        await wait_for(lambda: organiser_dms(fake), what="the organiser told")
        status = await organise(fake, "tickets status")
        again = await organise(fake, "tickets log", channel=fake.channel_id)
        carol = await register(fake, event.seeded.group, "group@example.org",
                               user=fake.new_member("carol"))  # fmt: skip
        await wait_for(lambda: fake.channel_messages.get(fake.channel_id), what="the log")
    assert ada.startswith("Welcome!") and bob.startswith("Welcome!") and carol.startswith("Welcome")
    (told,) = organiser_dms(fake)  # once, though two registrations found it gone
    assert f"<#{fake.room_channel_id}>" in told and "/tickets log" in told
    assert "deleted" in told
    assert f"⚠️ Registrations are not reported: <#{fake.room_channel_id}> was deleted" in status
    assert again.startswith(f"🎟️ Each registration is now reported in <#{fake.channel_id}>")
    assert len(fake.channel_messages[fake.channel_id]) == 1


async def test_a_log_channel_closed_to_the_bot_is_told_once(fake: FakeDiscord, tmp_path: Path):
    """Its permissions changed after /tickets log checked them: Discord refuses the post."""
    async with ticket_event(fake) as event, running_bot(fake, tmp_path, **event.env()):
        await map_all(fake, event)
        await organise(fake, "tickets log", channel=fake.room_channel_id)
        fake.forbidden_channels.add(fake.room_channel_id)
        ada = await register(fake, event.seeded.paid, event.seeded.email)
        bob = await register(fake, event.seeded.speaker, "speaker@example.org",
                             user=fake.new_member("bob"))  # fmt: skip
        await wait_for(lambda: organiser_dms(fake), what="the organiser told")
        status = await organise(fake, "tickets status")
    assert ada.startswith("Welcome!") and bob.startswith("Welcome!")
    (told,) = organiser_dms(fake)
    assert "Send Messages" in told
    assert (
        f"⚠️ Registrations are not reported: I may not post in <#{fake.room_channel_id}>" in status
    )
    posts = [p for m, p in fake.requests if m == "POST" and str(fake.room_channel_id) in p]
    assert len(posts) == 1  # the second registration did not try again


async def test_a_mapped_role_deleted_later(fake: FakeDiscord, tmp_path: Path):
    """The workshop role deleted at 8:59: the attendee role is given all the same, and
    the organiser is told once (tests/e2e/test_tickets_deleted_roles_e2e.py has the rest)."""
    async with ticket_event(fake) as event, running_bot(fake, tmp_path, **event.env()):
        await map_all(fake, event)
        await fake.delete_role(event.roles["Workshop"])
        await wait_for(lambda: organiser_dms(fake), what="the organiser told")
        said = await register(fake, event.seeded.paid, event.seeded.email)
        status = await organise(fake, "tickets status")
    assert said == "Welcome! You now have: Attendee."
    (told,) = organiser_dms(fake)
    assert "**Workshop**, given for **Workshop add-on**, was deleted" in told
    assert f"<@&{event.roles['Workshop']}>" not in status
    assert fake.roles().changes == [("PUT", int(fake.attendee["id"]), event.roles["Attendee"])]


async def test_the_bots_role_dragged_below_a_mapped_role(fake: FakeDiscord, tmp_path: Path):
    async with ticket_event(fake) as event, running_bot(fake, tmp_path, **event.env()):
        await map_all(fake, event)
        bot_role = next(r.id for r in fake.roles().roles.values() if r.managed)
        await fake.edit_role(bot_role, position=2)  # now below three of the four
        said = await register(fake, event.seeded.paid, event.seeded.email)
        status = await organise(fake, "tickets status")
    assert said.startswith("I could not give you your roles, because <@&")
    assert "nothing was given" in said
    assert f"Discord lets me give only roles below my highest role, <@&{bot_role}>" in status
    assert fake.roles().changes == []


async def test_pretix_down_while_mapping_and_registering(fake: FakeDiscord, tmp_path: Path):
    async with ticket_event(fake) as event, running_bot(fake, tmp_path, **event.env()):
        event.pretix.fail(Fault.SERVER_ERROR)
        listed = await fake.answer(await fake.send_autocomplete(
            "tickets role", "item", "conf", role=event.roles["Attendee"],
            user=fake.owner))  # fmt: skip
        event.pretix.fail(Fault.UNAVAILABLE)
        mapping = await organise(fake, "tickets role", item="1", role=event.roles["Attendee"])
        await map_all(fake, event)
        event.pretix.fail(Fault.SERVER_ERROR)
        by_code = await register(fake, event.seeded.paid, event.seeded.email)
        group = event.pretix.secrets(event.seeded.group)[0]
        event.pretix.fail(Fault.NOT_JSON)
        by_secret = await register(fake, group)
        status = await organise(fake, "tickets status")
    assert listed.choices == []
    assert mapping == (
        "The ticket shop cannot be reached right now; please try again in a few minutes."
    )
    assert by_code == by_secret == UNREACHABLE
    assert fake.roles().changes == []
    assert "Registered: 0 tickets of 0 members." in status


async def test_rate_limited_by_pretix_while_registering(fake: FakeDiscord, tmp_path: Path):
    async with ticket_event(fake) as event, running_bot(fake, tmp_path, **event.env()):
        await map_all(fake, event)
        event.pretix.fail(Fault.RATE_LIMITED)
        first = await register(fake, event.seeded.paid, event.seeded.email)
        asked = order_requests(event)
        other = await register(fake, event.seeded.speaker, "speaker@example.org",
                               user=fake.new_member("bob"))  # fmt: skip
        assert order_requests(event) == asked  # the Retry-After is honoured, not asked again
    assert first == "The ticket shop is busy; nothing was registered. Try again in 30 s."
    assert other.startswith("The ticket shop is busy; nothing was registered. Try again in")
    assert fake.roles().changes == []


async def test_hostile_text_in_autocomplete_and_item(fake: FakeDiscord, tmp_path: Path):
    """2,000+ characters and control characters where an organiser types a product."""
    long = "Conf\u202e\x00" + "x" * 2100
    async with ticket_event(fake) as event, running_bot(fake, tmp_path, **event.env()):
        listed = await fake.answer(await fake.send_autocomplete(
            "tickets role", "item", long, role=event.roles["Attendee"],
            user=fake.owner))  # fmt: skip
        controls = await fake.answer(await fake.send_autocomplete(
            "tickets role", "item", "\x1b[2J\n\t", role=event.roles["Attendee"],
            user=fake.owner))  # fmt: skip
        bell = await organise(fake, "tickets role", item="Conf\x07\n**ticket**\r\n" + "y" * 90,
                              role=event.roles["Attendee"])  # fmt: skip
        invisible = await organise(fake, "tickets role", item="\u202e**Conf**  \u200b" + "y" * 95,
                                   role=event.roles["Attendee"])  # fmt: skip
        spaces = await organise(
            fake, "tickets role", item="  \u200b ", role=event.roles["Attendee"]
        )
        assert order_requests(event) == 0
    assert listed.choices == [] and controls.choices == []
    assert bell == "That product contains control characters."
    assert invisible.startswith("No product of the event is called “\\*\\*Conf\\*\\* yyy")
    assert readable(invisible) and "\n" not in invisible and len(invisible) < 300
    assert spaces == "Please give a product."
    assert fake.roles().changes == []


async def test_a_refund_while_pretix_rate_limits_the_check(fake: FakeDiscord, tmp_path: Path):
    """A storm of 429s: every check stops at once without asking pretix again until its
    Retry-After, and once it passes the refund takes the roles exactly once."""
    async with ticket_event(fake) as event, running_bot(fake, tmp_path, **event.env()) as bot:
        await map_all(fake, event)
        await register(fake, event.seeded.paid, event.seeded.email)
        event.pretix.cancel_order(event.seeded.paid, refund=True)
        event.pretix.fail(*[Fault.RATE_LIMITED] * 20)
        client = bot.ticket_desk.service.sources[bot.first.key]
        watcher = bot.ticket_desk.watchers[bot.first.key]
        asked = event.pretix.count("/orders")
        assert await run_refund_check(bot) == 0
        assert await run_refund_check(bot) == 0  # within Retry-After: pretix is not asked
        assert event.pretix.count("/orders") - asked == 1
        assert watcher.failures == 2 and watcher.delay() >= 30
        event.pretix.faults.clear()
        client._busy_until = 0.0  # the Retry-After passed
        assert await run_refund_check(bot) == 2  # the order's two tickets
        await settled(bot)
        assert await run_refund_check(bot) == 0
        await settled(bot)
    removed = [r for m, _, r in fake.roles().changes if m == "DELETE"]
    assert sorted(removed) == sorted([event.roles["Attendee"], event.roles["Workshop"]])
    dm = fake.channel_messages[fake.dm_channels[int(fake.attendee["id"])]]
    assert len(dm) == 1


async def test_a_refund_for_a_member_whose_dms_are_closed(fake: FakeDiscord, tmp_path: Path):
    async with ticket_event(fake) as event, running_bot(fake, tmp_path, **event.env()) as bot:
        await map_all(fake, event)
        await register(fake, event.seeded.paid, event.seeded.email)
        fake.closed_dms.add(int(fake.attendee["id"]))
        event.pretix.cancel_order(event.seeded.paid, refund=True)
        assert await run_refund_check(bot) == 2
        await settled(bot)
        await settled(bot)
        status = await organise(fake, "tickets status")
    assert roles_of(fake, event, fake.attendee) == set()
    removed = [r for m, _, r in fake.roles().changes if m == "DELETE"]
    assert sorted(removed) == sorted([event.roles["Attendee"], event.roles["Workshop"]])
    assert "2 done, 0 under way, 0 failed" in status


async def test_release_then_the_right_account_registers(fake: FakeDiscord, tmp_path: Path):
    """Registered from a work account by mistake: released, then the attendee's own
    account registers; the first account is now the one refused."""
    async with ticket_event(fake) as event, running_bot(fake, tmp_path, **event.env()):
        await map_all(fake, event)
        work = fake.new_member("work-account")
        await register(fake, event.seeded.speaker, "speaker@example.org", user=work)
        released = await organise(fake, "tickets release", member=work["id"])
        mine = await register(fake, event.seeded.speaker, "speaker@example.org")
        back = await register(fake, event.seeded.speaker, "speaker@example.org", user=work)
        status = await organise(fake, "tickets status")
    assert "Took back" in released
    assert mine == "Welcome! You now have: Speaker."
    assert back == ticket_text.ALREADY
    assert roles_of(fake, event, work) == set()
    assert "Registered: 1 ticket of 1 member." in status


async def test_every_answer_reads_on_a_phone(fake: FakeDiscord, tmp_path: Path):
    """Every private answer of the walk: one short paragraph, no control characters."""
    async with ticket_event(fake) as event, running_bot(fake, tmp_path, **event.env()):
        await map_all(fake, event)
        said = [
            await register(fake, "ZZZZ9", "who@example.org"),
            await register(fake, event.seeded.unpaid, "unpaid@example.org"),
            await register(fake, event.seeded.paid, "\x00" * 2500),
        ]
        opened = await fake.answer(await fake.send_command("register"))
        said.append(str(opened.callback["data"]))
        response, _ = await reply(fake, await fake.send_command("tickets status"))
        said.append(response)
    for text in said:
        assert readable(text), text
