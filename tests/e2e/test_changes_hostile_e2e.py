"""Hostile tests of changes told where people look (issue 22), through discord.py and the
fake Discord, each program edit applied by the live sync: a room whose name holds '|',
a title longer than a thread's name, a running talk moved twice, a talk cancelled and
back."""

from __future__ import annotations

from pathlib import Path

from bot.clock import FixedClock
from tests.conftest import pacific
from tests.e2e.conftest import running_bot, settled, travel, wait_for
from tests.e2e.test_changes_told_e2e import HALL_A, edited, new_version, organise, talks
from tests.fakediscord.server import FakeDiscord
from tests.program_edits import frab_talk, write_frab

PIPE_ROOM = "A|B"


async def test_a_talk_in_a_room_named_with_a_bar_that_moves_is_told_in_its_thread(
    fake: FakeDiscord, tmp_path: Path
):
    path = tmp_path / "schedule.json"
    write_frab(path, edited(t4={"room": PIPE_ROOM}))
    clock = FixedClock(pacific("2024-07-10T10:50"))
    env = {"CONFBOT_PROGRAM": str(path), "CONFBOT_SYNC_INTERVAL": "60",
           "CONFBOT_DELIVERY_PACE": "0"}  # fmt: skip
    async with running_bot(fake, tmp_path, clock, **env) as bot:
        await organise(fake, "qa channel", forum=fake.forum_id)
        await travel(bot, fake, clock, pacific("2024-07-10T10:55"))
        await wait_for(lambda: fake.threads, timeout=15, what="the Q&A thread")
        ((thread_id, _),) = [(i, t) for i, t in fake.threads.items()
                             if t["name"] == "Scheduling for latency"]  # fmt: skip

        moved = {"room": PIPE_ROOM, "date": "2024-07-10T11:20:00-07:00", "start": "11:20"}
        await new_version(bot, path, edited(t4=moved), 1)
        await wait_for(lambda: len(fake.channel_messages[thread_id]) > 1, timeout=15,
                       what="the move told in the thread")  # fmt: skip
        note = fake.channel_messages[thread_id][-1]["content"]
        assert note.startswith("🕒 **This talk moved**: now ")
        assert note.endswith("(was Wed Jul 10, 11:00–11:30 PDT).")
        assert fake.renamed_threads == []  # the title did not change


async def test_a_retitle_to_200_characters_renames_the_thread_within_discords_100(
    fake: FakeDiscord, tmp_path: Path
):
    path = tmp_path / "schedule.json"
    write_frab(path, talks())
    clock = FixedClock(pacific("2024-07-10T10:50"))
    env = {"CONFBOT_PROGRAM": str(path), "CONFBOT_SYNC_INTERVAL": "60",
           "CONFBOT_DELIVERY_PACE": "0"}  # fmt: skip
    async with running_bot(fake, tmp_path, clock, **env) as bot:
        await organise(fake, "qa channel", forum=fake.forum_id)
        await travel(bot, fake, clock, pacific("2024-07-10T10:55"))
        await wait_for(lambda: fake.threads, timeout=15, what="the Q&A thread")
        ((thread_id, thread),) = list(fake.threads.items())
        long = "Scheduling for latency " + "and throughput " * 12
        long = long[:200]
        await new_version(bot, path, edited(t4={"title": long}), 1)
        await wait_for(lambda: fake.renamed_threads, timeout=15, what="the thread's new name")
        ((renamed, name),) = fake.renamed_threads
        assert renamed == thread_id and len(name) <= 100
        assert name.startswith("Scheduling for latency and throughput")
        assert thread["name"] == name
        await travel(bot, fake, clock, pacific("2024-07-10T10:57"))
        await settled(bot)
        assert len(fake.renamed_threads) == 1


async def test_a_running_talk_moved_twice_is_corrected_twice_each_right(
    fake: FakeDiscord, tmp_path: Path
):
    path = tmp_path / "schedule.json"
    write_frab(path, talks())
    clock = FixedClock(pacific("2024-07-10T10:50"))
    env = {"CONFBOT_PROGRAM": str(path), "CONFBOT_SYNC_INTERVAL": "60",
           "CONFBOT_DELIVERY_PACE": "0"}  # fmt: skip
    async with running_bot(fake, tmp_path, clock, **env) as bot:
        await organise(fake, "announce room", room=HALL_A, channel=fake.room_channel_id)
        posts = lambda: fake.channel_messages.get(fake.room_channel_id, [])  # noqa: E731
        clock.at = pacific("2024-07-10T10:51")
        await new_version(bot, path, edited(
            t1={"date": "2024-07-10T10:35:00-07:00", "start": "10:35"}), 1)  # fmt: skip
        await wait_for(posts, timeout=15, what="the first correction")
        await new_version(bot, path, edited(
            t1={"date": "2024-07-10T10:40:00-07:00", "start": "10:40"}), 2)  # fmt: skip
        await wait_for(lambda: len(posts()) > 1, timeout=15, what="the second correction")
        await travel(bot, fake, clock, pacific("2024-07-10T10:52"))
        await settled(bot)
        contents = [p["content"] for p in posts()]
        at = lambda t: int(pacific(t).timestamp())  # noqa: E731
        assert contents == [
            "⚠️ Correction: **Live patching the kernel** now starts 10:35"
            f" (<t:{at('2024-07-10T10:35')}:t>), 5 min later (was 10:30–11:15 PDT).",
            "⚠️ Correction: **Live patching the kernel** now starts 10:40"
            f" (<t:{at('2024-07-10T10:40')}:t>), 5 min later (was 10:35–11:20 PDT).",
        ]


async def test_a_talk_cancelled_and_back_in_the_next_version_is_on_again_everywhere(
    fake: FakeDiscord, tmp_path: Path
):
    path = tmp_path / "schedule.json"
    write_frab(path, talks())
    clock = FixedClock(pacific("2024-07-10T10:50"))
    env = {"CONFBOT_PROGRAM": str(path), "CONFBOT_SYNC_INTERVAL": "60",
           "CONFBOT_DELIVERY_PACE": "0", "CONFBOT_SYNC_MAX_REMOVED": "1"}  # fmt: skip
    title = "Scheduling for latency"
    async with running_bot(fake, tmp_path, clock, **env) as bot:
        await organise(fake, "qa channel", forum=fake.forum_id)
        offered = await fake.answer(await fake.send_autocomplete("remind", "item", title))
        (ref,) = [c["value"] for c in offered.choices if c["name"].startswith(title)]
        reminded = await fake.answer(
            await fake.send_command("remind", item=ref, minutes_before=2))  # fmt: skip
        assert "I'll DM you" in reminded.data["content"]
        await travel(bot, fake, clock, pacific("2024-07-10T10:55"))
        await wait_for(lambda: fake.threads, timeout=15, what="the Q&A thread")
        ((thread_id, thread),) = list(fake.threads.items())

        clock.at = pacific("2024-07-10T10:56")
        await new_version(bot, path, edited(t4=None), 1)
        await wait_for(lambda: thread["thread_metadata"].get("locked"), timeout=15,
                       what="the thread closed")  # fmt: skip
        clock.at = pacific("2024-07-10T10:57")
        await new_version(bot, path, talks(), 2)

        paper = await fake.answer(await fake.send_command("paper", title=title))
        assert paper.embeds[0]["title"].startswith(title), paper.embeds[0]["title"]
        assert "Cancelled" not in (paper.embeds[0].get("description") or "")

        user_id = int(fake.attendee["id"])
        await travel(bot, fake, clock, pacific("2024-07-10T10:58"))
        await wait_for(lambda: fake.channel_messages.get(fake.dm_channels.get(user_id, 0)),
                       timeout=15, what="the reminder DM")  # fmt: skip
        # The talk is on again: its Q&A thread open again, told so once.
        await wait_for(lambda: not thread["thread_metadata"].get("locked"), timeout=15,
                       what="the thread opened again")  # fmt: skip
        await travel(bot, fake, clock, pacific("2024-07-10T10:59"))  # more passes: once
        await settled(bot)
        assert list(fake.threads) == [thread_id]
        assert not thread["thread_metadata"].get("archived")
        notes = [m["content"] for m in fake.channel_messages[thread_id][1:]]
        at = int(pacific("2024-07-10T11:00").timestamp())
        assert notes == [
            "This talk is no longer in the program.",
            f"✅ **This talk is back in the program**: <t:{at}:F> · Wed Jul 10,"
            " 11:00–11:30 PDT, 📍 Hall B.",
        ]


async def test_a_new_version_applied_as_a_slot_post_is_due_posts_the_new_time_once(
    fake: FakeDiscord, tmp_path: Path
):
    path = tmp_path / "schedule.json"
    write_frab(path, talks())
    clock = FixedClock(pacific("2024-07-10T10:40"))
    env = {"CONFBOT_PROGRAM": str(path), "CONFBOT_SYNC_INTERVAL": "60",
           "CONFBOT_DELIVERY_PACE": "0"}  # fmt: skip
    async with running_bot(fake, tmp_path, clock, **env) as bot:
        await organise(fake, "announce channel", channel=fake.channel_id, minutes_before=10)
        posts = lambda: fake.channel_messages.get(fake.channel_id, [])  # noqa: E731
        # Scheduling for latency (11:00, to be posted at 10:50) moves to 11:10 in a
        # version applied at 10:49: its post is not due any more at 10:50.
        clock.at = pacific("2024-07-10T10:49")
        moved = {"date": "2024-07-10T11:10:00-07:00", "start": "11:10"}
        await new_version(bot, path, edited(t4=moved), 1)
        await travel(bot, fake, clock, pacific("2024-07-10T10:50"))
        await settled(bot)
        for at in ("10:55", "11:00", "11:05"):
            await travel(bot, fake, clock, pacific(f"2024-07-10T{at}"))
            await settled(bot)
        titles = [e["title"] for p in posts() for e in p["embeds"]]
        # The move told once as a program update, and the slot posted once, at 11:00.
        assert titles == ["📢 Program update", "📣 1 talk starts at 11:10 PDT"]


async def test_a_break_that_gains_a_speaker_and_a_talk_that_becomes_lunch(
    fake: FakeDiscord, tmp_path: Path
):
    path = tmp_path / "schedule.json"
    lunch = frab_talk(5, "Lunch", "12:00", 60, HALL_A)
    write_frab(path, [*talks(), lunch])
    clock = FixedClock(pacific("2024-07-10T10:50"))
    env = {"CONFBOT_PROGRAM": str(path), "CONFBOT_SYNC_INTERVAL": "60",
           "CONFBOT_DELIVERY_PACE": "0", "CONFBOT_SYNC_MAX_REMOVED": "1"}  # fmt: skip
    async with running_bot(fake, tmp_path, clock, **env) as bot:
        await organise(fake, "announce channel", channel=fake.channel_id, minutes_before=10)
        await organise(fake, "qa channel", forum=fake.forum_id)
        await travel(bot, fake, clock, pacific("2024-07-10T10:55"))
        await wait_for(lambda: fake.threads, timeout=15, what="the Q&A thread")
        ((thread_id, thread),) = list(fake.threads.items())
        talked = lunch | {"persons": [{"id": 200, "public_name": "Zoe Quill"}]}
        clock.at = pacific("2024-07-10T10:56")
        await new_version(bot, path, [*talks(), talked], 1)
        gone = {"title": "Lunch", "persons": []}
        clock.at = pacific("2024-07-10T10:57")
        await new_version(bot, path, [*edited(t4=gone), talked], 2)
        await settled(bot)
        # The break with a speaker is a talk now: told as added, answered as a talk.
        # The talk become "Lunch" is gone as a talk: told cancelled, its thread closed.
        changes = await fake.answer(await fake.send_command("changes"))
        lines = changes.embeds[0]["description"].splitlines()
        assert lines[1] == "• **Scheduling for latency** — cancelled"
        assert lines[3].startswith("• **Lunch** — added: ")
        titles = [e["description"] for p in fake.channel_messages[fake.channel_id]
                  for e in p["embeds"]]  # fmt: skip
        assert titles[1:] == [lines[3], lines[1]]
        assert fake.channel_messages[thread_id][-1]["content"] == (
            "This talk is no longer in the program."
        )
        assert thread["thread_metadata"]["locked"]
        paper = await fake.answer(await fake.send_command("paper", title="Lunch"))
        assert paper.embeds[0]["title"] == "Lunch"
        assert paper.embeds[0]["fields"][0] == {"inline": False, "name": "Speakers",
                                                "value": "Zoe Quill"}  # fmt: skip
        paper = await fake.answer(await fake.send_command("paper", title="Scheduling for"))
        assert paper.embeds[0]["title"] == "❌ Scheduling for latency"
