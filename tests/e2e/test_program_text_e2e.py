"""A program whose every word is a Discord payload (a masked link, a timestamp, mentions,
@everyone, a heading, emphasis, spoilers, code), served through discord.py and the fake
Discord: each command and post shows the words as written, never read as Markdown, a
link, a timestamp or a ping. Beside each test's own check, every body the bot sent in
the test (answers, errors, autocompletes, posts, threads, DMs, events) is scanned."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path

import pytest

from bot.adapters.discord.client import ConfBot
from bot.clock import FixedClock
from bot.render.cards import truncate
from bot.render.markdown import as_shown
from tests.e2e.conftest import poll_source, running_bot, travel, wait_for
from tests.fakediscord.server import DEFAULT_PERMISSIONS, MANAGE_GUILD, FakeDiscord
from tests.markdown_checks import LINES, PAYLOAD, problems, unsafe

ORGANISER = DEFAULT_PERMISSIONS | MANAGE_GUILD | (1 << 33)  # and Manage Events
PACIFIC = "-07:00"
NAME = f"{PAYLOAD} Con"
ROOM_A, ROOM_B = f"A {PAYLOAD}", f"B {PAYLOAD}"
ON_STAGE = f"{PAYLOAD} on stage"  # 10:30-11:30 in room A: started at 10:50
TWO = f"{PAYLOAD} two"  # 11:00-11:30 in room A
THREE = f"{PAYLOAD} three"  # 11:00-11:30 in room B: clashes with TWO


def _talk(guid: str, title: str, start: str, minutes: int, room: str) -> dict[str, object]:
    return {
        "guid": guid, "id": guid, "title": title, "date": f"{start}:00{PACIFIC}",
        "start": start[-5:], "duration": f"00:{minutes:02d}", "room": room,
        "track": f"{PAYLOAD} track", "type": "lecture", "language": "en",
        "subtitle": PAYLOAD, "abstract": PAYLOAD + LINES, "description": "",
        "persons": [{"public_name": f"Mallory {PAYLOAD}"}],
        "links": [{"url": "https://example.org/slides", "title": f"{PAYLOAD} slides"}],
    }  # fmt: skip


def write_hostile_program(path: Path) -> None:
    """A frab schedule.json (as an organiser's source would be) on two days."""
    first = {
        ROOM_A: [_talk("evil-on", ON_STAGE, "2024-07-10T10:30", 60, ROOM_A),
                 _talk("evil-two", TWO, "2024-07-10T11:00", 30, ROOM_A)],
        ROOM_B: [_talk("evil-three", THREE, "2024-07-10T11:00", 30, ROOM_B)],
    }  # fmt: skip
    second = {ROOM_B: [_talk("evil-next", f"{PAYLOAD} tomorrow", "2024-07-11T10:00", 30,
                             ROOM_B)]}  # fmt: skip
    days = [{"index": 1, "date": "2024-07-10", "rooms": first},
            {"index": 2, "date": "2024-07-11", "rooms": second}]  # fmt: skip
    data = {"schedule": {"version": "1", "conference": {
        "acronym": "evilcon", "title": NAME, "start": "2024-07-10", "end": "2024-07-11",
        "time_zone_name": "America/Los_Angeles", "days": days}}}  # fmt: skip
    path.write_text(json.dumps(data), encoding="utf-8")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text + PACIFIC)


@asynccontextmanager
async def hostile_bot(
    fake: FakeDiscord, tmp_path: Path, **env: str
) -> AsyncIterator[tuple[ConfBot, FixedClock]]:
    """The bot on the hostile program at 10:50 on its first day, on a clock the test
    moves; afterwards, nothing it sent may show the payload as anything but text."""
    program = tmp_path / "schedule.json"
    write_hostile_program(program)
    clock = FixedClock(at("2024-07-10T10:50"))
    fake.now = clock.at
    async with running_bot(fake, tmp_path, clock, CONFBOT_PROGRAM=str(program),
                           CONFBOT_DELIVERY_PACE="0", **env) as bot:  # fmt: skip
        yield bot, clock
    found = [f"{method} {path}: {p}" for method, path, body in fake.sent for p in problems(body)]
    assert found == []


@pytest.fixture
async def hostile(fake: FakeDiscord, tmp_path: Path) -> AsyncIterator[tuple[ConfBot, FixedClock]]:
    async with hostile_bot(fake, tmp_path) as running:
        yield running


def shown(text: str, words: str) -> bool:
    """The text is safe, and Discord shows `words` in it exactly as written."""
    return unsafe(text) == [] and words in as_shown(text)


async def said(fake: FakeDiscord, command: str, organiser: bool = False, **options: object) -> str:
    user = {"user": fake.owner, "permissions": ORGANISER} if organiser else {}
    answer = await fake.answer(await fake.send_command(command, **user, **options))  # type: ignore[arg-type]
    assert answer.ephemeral
    content: str = answer.data["content"]
    return content


# -- commands ------------------------------------------------------------------------------


async def test_remind_confirmation(fake: FakeDiscord, hostile):
    text = await said(fake, "remind", item="p:evil-two")
    assert text.startswith("⏰ I'll DM you about **") and shown(text, f"**{TWO}**")


async def test_remind_of_a_talk_that_already_started(fake: FakeDiscord, hostile):
    text = await said(fake, "remind", item="p:evil-on")
    assert "already started" in text and shown(text, f"“{ON_STAGE}”")


async def test_agenda_clash_line(fake: FakeDiscord, hostile):
    await said(fake, "remind", item="p:evil-two")
    await said(fake, "remind", item="p:evil-three")
    agenda = await fake.answer(await fake.send_command("agenda"))
    three, two = (f["value"] for f in agenda.embeds[0]["fields"])  # in title order at 11:00
    assert shown(three, f"Clashes with: {TWO}") and shown(two, f"Clashes with: {THREE}")


async def test_about_title(fake: FakeDiscord, hostile):
    answer = await fake.answer(await fake.send_command("about"))
    title = answer.embeds[0]["title"]
    # The file's title is its name and full name: shown once (issue 22), safely.
    assert title.startswith("\\# Heading") and shown(title, NAME)
    assert as_shown(title) == NAME


async def test_forget(fake: FakeDiscord, hostile):
    await said(fake, "remind", item="p:evil-two")
    text = await said(fake, "forget item", item="p:evil-two")
    assert shown(text, f"Removed your reminder for **{TWO}**.")


async def test_announce_room_and_stop(fake: FakeDiscord, hostile):
    text = await said(fake, "announce room", organiser=True, room=ROOM_A,
                      channel=fake.room_channel_id)  # fmt: skip
    assert shown(text, f"I'll post each talk in {ROOM_A} in <#{fake.room_channel_id}>")
    stopped = await said(fake, "announce room", organiser=True, room=ROOM_A)
    assert shown(stopped, f"Stopped posting {ROOM_A}'s talks.")
    again = await said(fake, "announce room", organiser=True, room=ROOM_A)
    assert shown(again, f"{ROOM_A} had no channel.")


async def test_an_unknown_room_names_the_closest_escaped(fake: FakeDiscord, hostile):
    text = await said(fake, "announce room", organiser=True, room="A",
                      channel=fake.room_channel_id)  # fmt: skip
    assert shown(text, f"No room of {NAME} is called “A”. Did you mean {ROOM_A}")


async def test_stream_set_and_clear(fake: FakeDiscord, hostile):
    url = "https://example.org/live/a"
    text = await said(fake, "stream set", organiser=True, room=ROOM_A, url=url)
    assert shown(text, f"Talks in {ROOM_A} now show “Watch live”")
    cleared = await said(fake, "stream clear", organiser=True, room=ROOM_A)
    assert shown(cleared, f"Removed {ROOM_A}'s stream.")
    again = await said(fake, "stream clear", organiser=True, room=ROOM_A)
    assert shown(again, f"{ROOM_A} had no stream set.")


async def _export(fake: FakeDiscord, files: int = 1) -> tuple[str, list[int]]:
    """/schedule export: the first followup's text and the sizes of the files sent."""
    asked = await fake.send_command("schedule", day="export")
    await fake.answer(asked)
    await wait_for(lambda: len(asked.followups) == files, what="the files")
    sizes = [len(f["content"]) for body in asked.followups for f in body.get("_files", [])]
    return str(asked.followups[0]["content"]), sizes


async def test_calendar_messages(fake: FakeDiscord, hostile):
    whole, (size,) = await _export(fake)
    assert shown(whole, f"The whole {NAME} program")
    fake.attachment_size_limit = size - 1  # over the limit: one file per day
    by_day, _ = await _export(fake, files=2)
    assert shown(by_day, f"The {NAME} program is")
    fake.attachment_size_limit = 100  # even a day is over it
    refused = await fake.send_command("schedule", day="export")
    await fake.answer(refused)
    await asyncio.wait_for(refused.followed_up.wait(), 10)
    assert shown(refused.followups[0]["content"], f"The {NAME} program calendar is")


async def test_a_day_the_conference_does_not_have(fake: FakeDiscord, hostile):
    text = await said(fake, "schedule", day="saturday")
    # One day reader for every command (bot.service.when.parse_day) words it as /next did.
    assert shown(text, f"{NAME} has no Saturday")


async def test_publish_events_summary_and_descriptions(fake: FakeDiscord, hostile):
    asked = await fake.send_command("publish-events", user=fake.owner, permissions=ORGANISER)
    await fake.answer(asked)
    await asyncio.wait_for(asked.followed_up.wait(), 30)
    summary = asked.followups[0]["content"]
    assert shown(summary, f"Skipped 1 that already started: {PAYLOAD} track ({ROOM_A}),")
    assert fake.scheduled_events
    for event in fake.scheduled_events.values():
        assert shown(event["description"], f"{NAME} session with")
        assert PAYLOAD.startswith(event["name"].removesuffix("…"))  # no Markdown: as written


# -- posts ---------------------------------------------------------------------------------


async def test_announcements_room_posts_and_per_talk_lines(fake: FakeDiscord, hostile):
    bot, clock = hostile
    await said(fake, "announce channel", organiser=True, channel=fake.channel_id,
               minutes_before=5, per_talk=True)  # fmt: skip
    await said(fake, "announce room", organiser=True, room=ROOM_A, channel=fake.room_channel_id)
    await travel(bot, fake, clock, at("2024-07-10T10:56"))  # the 11:00 slot is announced
    await wait_for(lambda: fake.channel_messages.get(fake.channel_id), what="the announcement")
    (announcement,) = fake.channel_messages[fake.channel_id]
    (embed,) = announcement["embeds"]  # what starts at 11:00: not ON_STAGE, on since 10:30
    assert embed["title"] == "📣 2 talks start at 11:00 PDT"
    lines = embed["description"].split("\n")[1:]
    for line, room, title in zip(lines, (ROOM_A, ROOM_B), (TWO, THREE), strict=True):
        assert shown(line, truncate(room, 40)) and shown(line, f" · {truncate(title, 90)} — ")
    await travel(bot, fake, clock, at("2024-07-10T11:00:30"))  # the talks start
    await wait_for(lambda: fake.channel_messages.get(fake.room_channel_id), what="the room post")
    (room_post,) = fake.channel_messages[fake.room_channel_id]
    assert shown(room_post["content"], f"▶️ Now in {ROOM_A}: **{TWO}** — Mallory {PAYLOAD}")
    await wait_for(lambda: len(fake.channel_messages[fake.channel_id]) == 2, what="the lines")
    (together,) = fake.channel_messages[fake.channel_id][1]["embeds"]  # both start at 11:00
    assert together["title"] == "▶️ Now: 2 talks at 11:00 PDT"
    for line, title in zip(together["description"].split("\n")[1:], (TWO, THREE), strict=True):
        assert shown(line, truncate(title, 90))


async def test_a_qa_thread_and_its_first_message(fake: FakeDiscord, hostile):
    bot, clock = hostile
    await said(fake, "qa channel", organiser=True, forum=fake.forum_id)
    await travel(bot, fake, clock, at("2024-07-10T10:56"))  # TWO and THREE open at 10:55
    await wait_for(lambda: len(fake.threads) == 2, what="the two Q&A threads")
    names = sorted(t["name"] for t in fake.threads.values())
    assert names == sorted(truncate(t, 100) for t in (TWO, THREE))  # as written: no Markdown
    for thread_id in fake.threads:
        (first,) = fake.channel_messages[thread_id]
        assert shown(first["embeds"][0]["title"], f"💬 {PAYLOAD}")
        assert shown(first["embeds"][0]["description"], f"By Mallory {PAYLOAD}")


async def test_a_reminder_dm(fake: FakeDiscord, hostile):
    await said(fake, "remind", item="p:evil-two", minutes_before=30)  # due at once
    user_id = int(fake.attendee["id"])
    await wait_for(lambda: fake.channel_messages.get(fake.dm_channels.get(user_id, 0)),
                   what="the reminder DM")  # fmt: skip
    (dm,) = fake.channel_messages[fake.dm_channels[user_id]]
    assert shown(dm["embeds"][0]["title"], f"⏰ {TWO}")
    assert shown(dm["embeds"][0]["description"], f"📍 {ROOM_A}")


# -- every command ---------------------------------------------------------------------------

# One invocation of each command the bot registers, with options that bring the program's
# words into the answer (or into its error). A command added later and missing here fails
# the test below, so its answers get scanned too.
EVERY_COMMAND: dict[str, dict[str, object]] = {
    "next": {}, "now": {}, "paper": {"title": "two"}, "author": {"name": "Mallory"},
    "session": {"name": "track"}, "track": {"name": "track"}, "schedule": {"day": "2024-07-10"},
    "search": {"query": "Heading"}, "about": {}, "remind": {"item": "p:evil-three"},
    "agenda": {}, "forget item": {"item": "p:evil-three"}, "forget all": {},
    "announce channel": {"channel": "channel"}, "announce room": {"room": ROOM_B},
    "announce off": {}, "announce language": {"language": "de"}, "status": {},
    "publish-events": {},
    "stream set": {"room": ROOM_B, "url": "https://example.org/live/b"},
    "stream clear": {"room": ROOM_B}, "qa channel": {"forum": "forum"}, "qa off": {},
    "ask": {}, "questions": {}, "changes": {}, "program reload": {}, "program apply": {},
    "program discard": {}, "conference list": {}, "conference use": {"conference": "evilcon"},
    "conference add": {"source": "evilcon"}, "conference remove": {"conference": "evilcon"},
    "conference default": {"conference": "evilcon"},
    "register": {}, "tickets role": {"item": "1", "role": "everyone"}, "tickets log": {},
    "tickets status": {}, "tickets release": {"member": "attendee"},
}  # fmt: skip
AUTOCOMPLETES = [("paper", "title", "two"), ("author", "name", "mall"),
                 ("session", "name", "track"), ("track", "name", "track"), ("remind", "item", ""),
                 ("forget item", "item", ""), ("announce room", "room", ""),
                 ("stream clear", "room", ""), ("conference use", "conference", "")]  # fmt: skip


def leaf_commands(fake: FakeDiscord) -> set[str]:
    found = set()
    for command in fake.guild_commands[fake.guild_id]:
        subcommands = [o["name"] for o in command.get("options") or [] if o["type"] == 1]
        found |= {f"{command['name']} {s}" for s in subcommands} or {command["name"]}
    return found


async def test_every_command_shows_the_programs_words_as_written(fake: FakeDiscord, hostile):
    assert set(EVERY_COMMAND) == leaf_commands(fake)
    channels = {"channel": fake.channel_id, "forum": fake.forum_id, "everyone": fake.guild_id,
                "attendee": int(fake.attendee["id"])}  # fmt: skip
    for name, options in EVERY_COMMAND.items():
        given = {k: channels.get(v, v) if isinstance(v, str) else v for k, v in options.items()}
        asked = await fake.send_command(name, user=fake.owner, permissions=ORGANISER, **given)
        await fake.answer(asked)
        if asked.callbacks[0]["type"] == 5:  # deferred: the answer is a followup
            await asyncio.wait_for(asked.followed_up.wait(), 30)
    for name, option, typed in AUTOCOMPLETES:
        await fake.answer(await fake.send_autocomplete(name, option, typed, user=fake.owner))
    with_payload = [body for _, _, body in fake.sent if "evil.example" in json.dumps(body)]
    assert len(with_payload) >= 25  # most answers name the program's words (all are scanned)
    # Each answer reads with embeds hidden: text beside every embed, telling its title.
    assert fake.embeds_only == []
    carded = [body.get("data") or body for _, _, body in fake.sent
              if (body.get("data") or body).get("embeds")]  # fmt: skip
    assert len(carded) >= 12  # the lookups, /about, /agenda, /status, /changes, ...
    for body in carded:
        assert as_shown(body["embeds"][0]["title"])[:60] in as_shown(body["content"]), body


async def test_a_program_update_post_its_notice_and_changes(fake: FakeDiscord, tmp_path: Path):
    async with hostile_bot(fake, tmp_path, CONFBOT_SYNC_INTERVAL="1") as (bot, _):
        await said(fake, "remind", item="p:evil-three")
        await said(fake, "announce channel", organiser=True, channel=fake.channel_id)
        program = tmp_path / "schedule.json"
        data = json.loads(program.read_text(encoding="utf-8"))
        (three,) = data["schedule"]["conference"]["days"][0]["rooms"][ROOM_B]
        three["date"], three["start"] = f"2024-07-10T12:00:00{PACIFIC}", "12:00"
        program.write_text(json.dumps(data), encoding="utf-8")
        poll_source(bot)
        await wait_for(lambda: bot.holder.swaps >= 1, timeout=15, what="the new version")
        user_id = int(fake.attendee["id"])

        def posted(channel_id: int) -> list[dict[str, object]]:
            return [m for m in fake.channel_messages.get(channel_id, [])
                    if m["embeds"] and m["embeds"][0]["title"].startswith("📢")]  # fmt: skip

        await wait_for(lambda: posted(fake.channel_id), timeout=15, what="the update post")
        await wait_for(lambda: posted(fake.dm_channels.get(user_id, 0)), what="the notice DM")
        for message in (*posted(fake.channel_id), *posted(fake.dm_channels[user_id])):
            description = message["embeds"][0]["description"]  # type: ignore[index]
            assert shown(description, f"• **{THREE}** — moved:")
            assert shown(description, f", B {PAYLOAD}")
        changes = await fake.answer(await fake.send_command("changes"))
        assert shown(changes.embeds[0]["title"], f"📢 Changes to {NAME}")
        assert shown(changes.embeds[0]["description"], f"• **{THREE}** — moved:")


async def test_the_notice_of_reminders_that_could_not_be_sent(fake: FakeDiscord, hostile):
    bot, _ = hostile
    user_id = int(fake.attendee["id"])
    fake.closed_dms.add(user_id)
    await said(fake, "remind", item="p:evil-two", minutes_before=30)  # due at once
    await wait_for(lambda: bot.scheduler is not None and user_id in bot.scheduler.failed_users,
                   what="the failed DM")  # fmt: skip
    nxt = await fake.send_command("agenda")
    await fake.answer(nxt)
    await asyncio.wait_for(nxt.followed_up.wait(), 5)
    notice = nxt.followups[0]["content"]
    assert notice.startswith("⚠️ I couldn't DM you") and shown(notice, f"\n• {TWO}\n")
