"""Conference day through discord.py: a room's own channel and its live stream."""

from __future__ import annotations

import asyncio
import shutil
import signal
from pathlib import Path

import pytest

from bot.adapters.discord.client import ConfBot
from bot.clock import FixedClock
from bot.settings import BUNDLED_PROGRAM
from tests.conftest import pacific
from tests.e2e.conftest import logged_in, running_bot, travel, wait_for
from tests.e2e.test_faults_e2e import spawn_bot
from tests.fakediscord.server import DEFAULT_PERMISSIONS, MANAGE_GUILD, FakeDiscord
from tests.program_edits import move_talk

BALLROOM = "Grand Ballroom ABGH"
STREAM = "https://example.org/live/ballroom"
ORGANISER = DEFAULT_PERMISSIONS | MANAGE_GUILD


async def organise(fake: FakeDiscord, command: str, **options: object) -> str:
    answer = await fake.answer(
        await fake.send_command(command, user=fake.owner, permissions=ORGANISER, **options)
    )
    assert answer.ephemeral
    content: str = answer.data["content"]
    return content


async def test_a_stream_set_for_a_room_shows_on_the_talk_on_stage(fake: FakeDiscord, bot: ConfBot):
    rooms = await fake.answer(
        await fake.send_autocomplete("stream set", "room", "ballr", user=fake.owner, url=STREAM)
    )
    assert [c["value"] for c in rooms.choices] == [BALLROOM]
    said = await organise(fake, "stream set", room="grand ballroom abgh", url=STREAM)
    assert "Watch live" in said and STREAM in said
    now = await fake.answer(await fake.send_command("now"))
    (field,) = now.embeds[0]["fields"]  # Sabre, 10:45-11:05 in the ballroom
    assert f"📺 [Watch live]({STREAM})" in field["value"]
    cleared = await organise(fake, "stream clear", room=BALLROOM)
    assert "Removed" in cleared
    again = await fake.answer(await fake.send_command("now"))
    assert "Watch live" not in again.embeds[0]["fields"][0]["value"]


async def test_a_stream_link_is_repeated_back_as_given(fake: FakeDiscord, bot: ConfBot):
    """A '{room}' in the link is part of the address, not a placeholder of our sentence."""
    link = "https://live.example.org/{room}/stream"
    said = await organise(fake, "stream set", room=BALLROOM, url=link)
    assert said.endswith("linking to <https://live.example.org/{room}/stream>."
                         " `/stream clear` removes it.")  # fmt: skip


@pytest.mark.parametrize(
    "url", ["http://example.org/live", "https://[x/y", "https://[::1/live", "https://a b/live"]
)
async def test_a_stream_must_be_an_https_link(fake: FakeDiscord, bot: ConfBot, url: str):
    said = await organise(fake, "stream set", room=BALLROOM, url=url)
    assert "must be an https:// address" in said


async def test_a_stream_discord_would_refuse_is_refused_when_set(fake: FakeDiscord, bot: ConfBot):
    said = await organise(fake, "stream set", room=BALLROOM, url="https://localhost/live")
    assert "Discord does not take that link" in said


async def test_stream_needs_manage_server(fake: FakeDiscord, bot: ConfBot):
    answer = await fake.answer(
        await fake.send_command("stream set", user=fake.attendee, room=BALLROOM, url=STREAM)
    )
    assert answer.ephemeral and "permission" in answer.data["content"]


async def test_an_unknown_room_is_refused_with_the_closest(fake: FakeDiscord, bot: ConfBot):
    said = await organise(fake, "announce room", room="Ballroom", channel=fake.room_channel_id)
    assert "Did you mean Grand Ballroom ABGH?" in said


async def test_a_rooms_talk_is_posted_in_its_channel_with_the_stream(
    fake: FakeDiscord, tmp_path: Path
):
    # Fifteen seconds before NOMAD (11:05) starts in the ballroom; then it starts.
    clock = FixedClock(pacific("2024-07-10T11:04:45"))
    async with running_bot(fake, tmp_path, clock, CONFBOT_DELIVERY_PACE="0") as bot:
        await organise(fake, "stream set", room=BALLROOM, url=STREAM)
        said = await organise(fake, "announce room", room=BALLROOM, channel=fake.room_channel_id)
        assert f"<#{fake.room_channel_id}>" in said
        await travel(bot, fake, clock, pacific("2024-07-10T11:05"))
        await wait_for(lambda: fake.channel_messages.get(fake.room_channel_id), timeout=40,
                       what="the room channel post")  # fmt: skip
        (post,) = fake.channel_messages[fake.room_channel_id]
        assert post["content"].startswith(f"▶️ Now in {BALLROOM}: **NOMAD")
        assert f"[Watch live](<{STREAM}>)" in post["content"]
        assert post["_body"]["allowed_mentions"] == {"parse": []}
        status = await fake.answer(
            await fake.send_command("status", user=fake.owner, permissions=ORGANISER)
        )
        fields = {f["name"]: f["value"] for f in status.embeds[0]["fields"]}
        assert fields["Room channels"] == f"{BALLROOM} → <#{fake.room_channel_id}>"
        assert fields["Live streams"] == f"{BALLROOM}: <{STREAM}>"


async def test_a_deleted_room_channel_is_turned_off_and_shown_in_status(
    fake: FakeDiscord, tmp_path: Path
):
    fake.deleted_channels.add(fake.room_channel_id)
    clock = FixedClock(pacific("2024-07-10T11:04:45"))
    async with running_bot(fake, tmp_path, clock, CONFBOT_DELIVERY_PACE="0") as bot:
        await organise(fake, "announce room", room=BALLROOM, channel=fake.room_channel_id)
        await travel(bot, fake, clock, pacific("2024-07-10T11:05"))
        posted_to = f"/channels/{fake.room_channel_id}/messages"
        await wait_for(lambda: any(posted_to in path for _, path in fake.requests), timeout=40,
                       what="the post to the deleted channel")  # fmt: skip
        for _ in range(200):  # the disabling follows the failed post in the same delivery
            status = await fake.answer(
                await fake.send_command("status", user=fake.owner, permissions=ORGANISER)
            )
            fields = {f["name"]: f["value"] for f in status.embeds[0]["fields"]}
            if fields["Room channels"].startswith("⚠️"):
                break
        assert fields["Room channels"].startswith(f"⚠️ {BALLROOM}: off (channel")
        assert bot.state is not None
        (room,) = await bot.state.announcements.rooms("osdi24")
        assert not room.enabled


# -- Q&A threads --------------------------------------------------------------------------


def thread_named(fake: FakeDiscord, start: str) -> int:
    (found,) = [i for i, t in fake.threads.items() if t["name"].startswith(start)]
    return found


async def test_qa_opens_a_tagged_thread_and_takes_questions(fake: FakeDiscord, tmp_path: Path):
    # NOMAD (11:05, Grand Ballroom ABGH) opens its thread 5 minutes before: at 11:00.
    clock = FixedClock(pacific("2024-07-10T10:59:57"))
    async with running_bot(fake, tmp_path, clock, CONFBOT_DELIVERY_PACE="0") as bot:
        said = await organise(fake, "qa channel", forum=fake.forum_id)
        assert said.startswith(f"💬 Each talk gets a Q&A thread in <#{fake.forum_id}>"), said
        await travel(bot, fake, clock, pacific("2024-07-10T11:00"))
        await wait_for(lambda: fake.threads, timeout=15, what="the Q&A thread")
        thread_id = thread_named(fake, "NOMAD")
        thread = fake.threads[thread_id]
        ballroom_tag = str(fake.forum_tags[0][0])
        assert thread["applied_tags"] == [ballroom_tag]
        (first,) = fake.channel_messages[thread_id]
        assert first["embeds"][0]["title"].startswith("💬 NOMAD")
        assert first["_body"]["allowed_mentions"] == {"parse": []}

        pressed = await fake.answer(await fake.click_message(first, "qa:ask"))
        assert pressed.callback["type"] == 9  # a modal
        text_input = pressed.callback["data"]["components"][0]["components"][0]["custom_id"]
        hostile = "Does it scale? @everyone <@123>"
        submitted = await fake.answer(await fake.submit_modal(pressed, {text_input: hostile}))
        assert submitted.ephemeral and "Posted" in submitted.data["content"]
        question = fake.channel_messages[thread_id][-1]
        assert question["content"].startswith("❓ **attendee** asks:")
        assert question["_body"]["allowed_mentions"] == {"parse": []}
        assert "\\<@123>" in question["content"]  # shown as text, never a mention
        assert fake.reactions[int(question["id"])]["👍"] == {fake.application_id}

        blank = await fake.answer(await fake.click_message(first, "qa:ask"))
        refused = await fake.answer(await fake.submit_modal(blank, {text_input: "   "}))
        assert refused.ephemeral and "need a few words" in refused.data["content"]
        assert fake.channel_messages[thread_id][-1] is question  # nothing posted

        later = await fake.answer(await fake.send_command("ask", in_thread=thread_id,
                                                          user=fake.owner))  # fmt: skip
        field_id = later.callback["data"]["components"][0]["components"][0]["custom_id"]
        await fake.answer(await fake.submit_modal(later, {field_id: "How fast is it?"},
                                                  user=fake.owner))  # fmt: skip
        second = fake.channel_messages[thread_id][-1]
        for voter in (1, 2):
            fake.react(int(second["id"]), "👍", voter)
        ranked = await fake.send_command("questions", in_thread=thread_id, user=fake.owner)
        await fake.answer(ranked)
        await wait_for(lambda: ranked.followups, what="the ranked questions")
        lines = ranked.followups[0]["content"].splitlines()
        assert lines[1].startswith("1. 2 votes 👍 · **organiser** asks: How fast is it?")
        assert lines[2].startswith("2. 0 votes 👍 · **attendee** asks: Does it scale?")


async def test_ask_outside_a_qa_thread_says_where_to_use_it(fake: FakeDiscord, bot: ConfBot):
    answer = await fake.answer(await fake.send_command("ask"))
    assert answer.ephemeral and "inside a talk's Q&A thread" in answer.data["content"]


async def test_one_thread_per_talk_across_a_kill_9_restart(fake: FakeDiscord, tmp_path: Path):
    """`python -m bot run` killed with SIGKILL after NOMAD's thread opened, then started
    again later: the next talk's thread opens, NOMAD's is not opened a second time."""
    # 11:00, when NOMAD's thread is due (a process's clock is not the test's to move).
    first = await spawn_bot(fake, tmp_path, CONFBOT_NOW="2024-07-10T11:00:00",
                            CONFBOT_DELIVERY_PACE="0")  # fmt: skip
    try:
        await logged_in(fake)
        await organise(fake, "qa channel", forum=fake.forum_id)
        await wait_for(lambda: fake.threads, timeout=15, what="NOMAD's thread")
    finally:
        first.send_signal(signal.SIGKILL)
        await first.wait()
    fake.connected.clear()
    # 11:21: the next talk in the ballroom (11:25) is due its thread at once.
    second = await spawn_bot(fake, tmp_path, CONFBOT_NOW="2024-07-10T11:21:00",
                             CONFBOT_DELIVERY_PACE="0")  # fmt: skip
    try:
        await wait_for(lambda: len(fake.threads) >= 2, timeout=60, what="the next thread")
    except AssertionError:
        second.terminate()
        _, stderr = await asyncio.wait_for(second.communicate(), 20)
        said = stderr.decode()[-3000:]
        raise AssertionError(f"no second thread; the bot said:\n{said}") from None
    second.terminate()
    await asyncio.wait_for(second.communicate(), 20)
    names = [t["name"] for t in fake.threads.values()]
    assert sum(name.startswith("NOMAD") for name in names) == 1, names
    assert any(name.startswith("Managing Memory Tiers") for name in names), names
    assert not fake.protocol_errors, fake.protocol_errors


async def test_a_forum_we_cannot_post_in_turns_qa_off_with_a_status_notice(
    fake: FakeDiscord, tmp_path: Path
):
    fake.forbidden_channels.add(fake.forum_id)
    clock = FixedClock(pacific("2024-07-10T10:59:57"))
    async with running_bot(fake, tmp_path, clock, CONFBOT_DELIVERY_PACE="0") as bot:
        await organise(fake, "qa channel", forum=fake.forum_id)
        await travel(bot, fake, clock, pacific("2024-07-10T11:00"))
        opened = f"/channels/{fake.forum_id}/threads"
        await wait_for(lambda: any(opened in path for _, path in fake.requests), timeout=15,
                       what="the refused thread")  # fmt: skip
        for _ in range(200):  # turning it off follows the refusal in the same delivery
            status = await fake.answer(
                await fake.send_command("status", user=fake.owner, permissions=ORGANISER)
            )
            fields = {f["name"]: f["value"] for f in status.embeds[0]["fields"]}
            if fields["Q&A threads"].startswith("⚠️"):
                break
        assert fields["Q&A threads"].startswith("⚠️ Off: missing permission")
    assert fake.threads == {}


async def test_qa_names_the_permissions_it_lacks_up_front(fake: FakeDiscord, tmp_path: Path):
    fake.everyone_permissions = 0xCC00  # post and embed, but no threads or reactions
    async with running_bot(fake, tmp_path):
        said = await organise(fake, "qa channel", forum=fake.forum_id)
    assert said == (
        f"In <#{fake.forum_id}> I need Send Messages in Threads, Manage Threads, Add Reactions."
        " Give me those there, then try again."
    )


async def test_a_moved_talk_gets_its_thread_updated(fake: FakeDiscord, tmp_path: Path):
    program = tmp_path / "osdi24"
    shutil.copytree(BUNDLED_PROGRAM, program)
    env = {"CONFBOT_PROGRAM": str(program), "CONFBOT_DELIVERY_PACE": "0"}
    clock = FixedClock(pacific("2024-07-10T10:59:57"))
    async with running_bot(fake, tmp_path, clock, **env) as bot:
        await organise(fake, "qa channel", forum=fake.forum_id)
        await travel(bot, fake, clock, pacific("2024-07-10T11:00"))
        await wait_for(lambda: fake.threads, timeout=15, what="NOMAD's thread")
    thread_id = thread_named(fake, "NOMAD")
    move_talk(program, "NOMAD", "2024-07-10T11:10", "2024-07-10T11:30")
    async with running_bot(fake, tmp_path, CONFBOT_NOW="2024-07-10T11:01:00", **env):
        await wait_for(lambda: fake.edited_messages, timeout=15, what="the thread's update")
    ((message_id, body),) = fake.edited_messages
    assert message_id == thread_id  # a forum post's first message has the thread's id
    assert "11:10" in body["embeds"][0]["description"]


async def test_a_thread_due_at_start_opens_before_the_gateway_is_ready(
    fake: FakeDiscord, tmp_path: Path
):
    """The scheduler starts in setup_hook, before GUILD_CREATE fills the cache: a thread
    due at once is opened through the REST API, as Discord allows, not lost."""
    from bot.store.state import StateStore

    state = await StateStore.open(tmp_path / "confbot-state.db")
    ten_fifty = int(pacific("2024-07-10T10:50").timestamp())
    await state.qa.save_forum(fake.guild_id, "osdi24", fake.forum_id, 5, ten_fifty)
    await state.close()
    async with running_bot(fake, tmp_path, CONFBOT_NOW="2024-07-10T11:21:00",
                           CONFBOT_DELIVERY_PACE="0") as bot:  # fmt: skip
        await wait_for(lambda: fake.threads, timeout=15, what="the thread due at start")
        assert bot.state is not None
        (forum,) = await bot.state.qa.forums("osdi24")
        assert forum.enabled
