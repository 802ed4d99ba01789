"""Changes told where people look, through discord.py and the fake Discord, each program
edit applied by the live sync: a cancelled talk looked up, a running talk corrected in
its room's channel (moved or cancelled), a Q&A thread renamed and told of a move, who
joined and left, and when each version came."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.adapters.discord.client import ConfBot
from bot.clock import FixedClock
from tests.conftest import pacific
from tests.e2e.conftest import changes_kept, poll_source, running_bot, settled, travel, wait_for
from tests.fakediscord.server import DEFAULT_PERMISSIONS, MANAGE_GUILD, FakeDiscord
from tests.program_edits import FrabTalk, frab_talk, write_frab
from tests.test_console import run_cli

ORGANISER = DEFAULT_PERMISSIONS | MANAGE_GUILD
HALL_A, HALL_B = "Hall A", "Hall B"
CANCELLED = "Rust in the Linux kernel"


def talks() -> list[FrabTalk]:
    """Change Con, Wednesday 2024-07-10 (Pacific): at 10:50, live patching is on."""
    return [
        frab_talk(1, "Live patching the kernel", "10:30", 45, HALL_A, "Ana Lind", "Ben Okafor"),
        frab_talk(2, CANCELLED, "11:30", 30, HALL_A, "Chidi Mensah"),
        frab_talk(3, "Rust in the Linux kernel: two years on", "13:00", 30, HALL_A, "Dana Roe"),
        frab_talk(4, "Scheduling for latency", "11:00", 30, HALL_B, "Eva Stone"),
    ]


def edited(**changes: dict[str, object]) -> list[FrabTalk]:
    """The program with talk `t<id>` changed as given (None: removed)."""
    found = []
    for talk in talks():
        change = changes.get(f"t{talk['id']}", {})
        if change is not None:
            found.append(talk | change)
    return found


async def new_version(bot: ConfBot, path: Path, program: list[FrabTalk], swaps: int) -> None:
    """Write the program and have the live sync apply it (the `swaps`-th new version)."""
    write_frab(path, program)
    poll_source(bot)
    await wait_for(lambda: bot.holder.swaps >= swaps, timeout=15, what="the new version")
    await changes_kept(bot)
    state = bot.state
    assert state is not None
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 15
    while (
        len({c.sync_id for c in await state.versions.changes(bot.service.conference.key)}) < swaps
    ):
        assert loop.time() < deadline, "the new version's changes were never kept"
        await asyncio.sleep(0.01)


async def organise(fake: FakeDiscord, command: str, **options: object) -> str:
    answer = await fake.answer(
        await fake.send_command(command, user=fake.owner, permissions=ORGANISER, **options)
    )
    content: str = answer.data["content"]
    return content


async def test_a_cancelled_talk_looked_up_says_it_was_cancelled_and_when(
    fake: FakeDiscord, tmp_path: Path
):
    path = tmp_path / "schedule.json"
    write_frab(path, talks())
    clock = FixedClock(pacific("2024-07-10T10:50"))
    env = {"CONFBOT_PROGRAM": str(path), "CONFBOT_SYNC_INTERVAL": "60",
           "CONFBOT_SYNC_MAX_REMOVED": "1"}  # fmt: skip
    async with running_bot(fake, tmp_path, clock, **env) as bot:
        offered = await fake.answer(await fake.send_autocomplete("paper", "title", CANCELLED))
        (ref,) = [c["value"] for c in offered.choices if c["name"] == CANCELLED]
        clock.at = pacific("2024-07-10T10:52")
        await new_version(bot, path, edited(t2=None), 1)

        shown = []
        for asked in (CANCELLED, "rust in linux kernel", ref):  # typed, or from history
            paper = await fake.answer(await fake.send_command("paper", title=asked))
            (card,) = paper.embeds
            shown.append(card)
            assert card["title"] == f"❌ {CANCELLED}", asked
            said = card["description"]
            assert said.startswith("**Cancelled**: taken out of the program <t:")
            assert "in the version of Wed Jul 10, 10:52 PDT" in said
            assert "11:30–12:00 PDT" in said and "📍 Hall A" in said
        # The talk still on with a title like it is offered under it, and found as ever.
        alike = ["Rust in the Linux kernel: two years on"]
        assert [f["name"] for f in shown[0]["fields"]] == alike
        still = await fake.answer(await fake.send_command("paper", title="two years on"))
        assert still.embeds[0]["title"].startswith("Rust in the Linux kernel: two years on")

    # The console says the same, from the versions the bot kept.
    asked = run_cli("ask", f"/paper {CANCELLED}", db=tmp_path / "confbot.db", program=path)
    assert asked.returncode == 0, asked.stderr
    lines = asked.stdout.splitlines()
    assert lines[0] == CANCELLED
    assert lines[1] == ("Cancelled: taken out of the program in the version of Wed Jul 10,"
                        " 10:52 PDT.")  # fmt: skip
    assert lines[2] == "Was:     Wed Jul 10, 11:30–12:00 PDT, Hall A"


async def test_a_running_talk_delayed_is_corrected_in_its_room_channel_once(
    fake: FakeDiscord, tmp_path: Path
):
    path = tmp_path / "schedule.json"
    write_frab(path, talks())
    clock = FixedClock(pacific("2024-07-10T10:50"))
    env = {"CONFBOT_PROGRAM": str(path), "CONFBOT_SYNC_INTERVAL": "60",
           "CONFBOT_DELIVERY_PACE": "0"}  # fmt: skip
    async with running_bot(fake, tmp_path, clock, **env) as bot:
        said = await organise(fake, "announce room", room=HALL_A, channel=fake.room_channel_id)
        assert f"<#{fake.room_channel_id}>" in said
        clock.at = pacific("2024-07-10T10:51")
        # Live patching (10:30-11:15, on now) is delayed by 5 minutes; a talk not yet
        # started (11:30) moves too, which its room's "Now" line will simply follow.
        await new_version(bot, path, edited(
            t1={"date": "2024-07-10T10:35:00-07:00", "start": "10:35"},
            t2={"date": "2024-07-10T11:40:00-07:00", "start": "11:40"},
        ), 1)  # fmt: skip
        posts = lambda: fake.channel_messages.get(fake.room_channel_id, [])  # noqa: E731
        await wait_for(posts, timeout=15, what="the correction in the room channel")
        (post,) = posts()
        assert post["content"] == (
            "⚠️ Correction: **Live patching the kernel** now starts 10:35"
            f" (<t:{int(pacific('2024-07-10T10:35').timestamp())}:t>), 5 min later"
            " (was 10:30–11:15 PDT)."
        )
        assert post["_body"]["allowed_mentions"] == {"parse": []}
        await travel(bot, fake, clock, pacific("2024-07-10T10:53"))  # more passes: once
        await settled(bot)
        assert len(posts()) == 1
        assert bot.state is not None
        (sent,) = await bot.state.ledger.deliveries(kind="correction")
        assert sent.state == "sent"


async def test_a_running_talk_cancelled_is_told_in_its_room_channel_once(
    fake: FakeDiscord, tmp_path: Path
):
    path = tmp_path / "schedule.json"
    program = talks()
    program[0] = program[0] | {"title": "Live *patching* the_kernel"}
    write_frab(path, program)
    clock = FixedClock(pacific("2024-07-10T10:50"))
    env = {"CONFBOT_PROGRAM": str(path), "CONFBOT_SYNC_INTERVAL": "60",
           "CONFBOT_DELIVERY_PACE": "0", "CONFBOT_SYNC_MAX_REMOVED": "1"}  # fmt: skip
    async with running_bot(fake, tmp_path, clock, **env) as bot:
        await organise(fake, "announce room", room=HALL_A, channel=fake.room_channel_id)
        clock.at = pacific("2024-07-10T10:51")
        # Live patching (10:30-11:15, on now) is cancelled; so is a talk not yet started
        # (11:30), which its room's "Now" line will simply never show.
        await new_version(bot, path, program[2:], 1)
        posts = lambda: fake.channel_messages.get(fake.room_channel_id, [])  # noqa: E731
        await wait_for(posts, timeout=15, what="the cancellation in the room channel")
        (post,) = posts()
        assert post["content"] == (
            "❌ **Live \\*patching\\* the\\_kernel** is cancelled (was 10:30–11:15 PDT)."
        )
        assert post["_body"]["allowed_mentions"] == {"parse": []}
        await travel(bot, fake, clock, pacific("2024-07-10T10:53"))  # more passes: once
        await settled(bot)
        assert len(posts()) == 1
        assert bot.state is not None
        (sent,) = await bot.state.ledger.deliveries(kind="correction")
        assert sent.state == "sent"


async def test_a_qa_thread_is_renamed_on_retitle_and_told_of_a_move(
    fake: FakeDiscord, tmp_path: Path
):
    path = tmp_path / "schedule.json"
    write_frab(path, talks())
    clock = FixedClock(pacific("2024-07-10T10:50"))
    env = {"CONFBOT_PROGRAM": str(path), "CONFBOT_SYNC_INTERVAL": "60",
           "CONFBOT_DELIVERY_PACE": "0"}  # fmt: skip
    async with running_bot(fake, tmp_path, clock, **env) as bot:
        await organise(fake, "qa channel", forum=fake.forum_id)
        await travel(bot, fake, clock, pacific("2024-07-10T10:55"))  # 5 min before 11:00
        await wait_for(lambda: fake.threads, timeout=15, what="the Q&A thread")
        ((thread_id, thread),) = [(i, t) for i, t in fake.threads.items()
                                  if t["name"] == "Scheduling for latency"]  # fmt: skip

        await new_version(bot, path, edited(t4={"title": "Scheduling for tail latency"}), 1)
        await wait_for(lambda: fake.renamed_threads, timeout=15, what="the thread's new name")
        assert fake.renamed_threads == [(thread_id, "Scheduling for tail latency")]
        assert thread["name"] == "Scheduling for tail latency"
        assert len(fake.channel_messages[thread_id]) == 1  # a new name is no news to post

        moved = {"title": "Scheduling for tail latency", "room": HALL_A,
                 "date": "2024-07-10T11:20:00-07:00", "start": "11:20"}  # fmt: skip
        await new_version(bot, path, edited(t4=moved), 2)
        await wait_for(lambda: len(fake.channel_messages[thread_id]) > 1, timeout=15,
                       what="the move told in the thread")  # fmt: skip
        note = fake.channel_messages[thread_id][-1]
        at = int(pacific("2024-07-10T11:20").timestamp())
        assert note["content"] == (
            f"🕒 **This talk moved**: now <t:{at}:F> · Wed Jul 10, 11:20–11:50 PDT, 📍 Hall A"
            " (was Wed Jul 10, 11:00–11:30 PDT, Hall B)."
        )
        await travel(bot, fake, clock, pacific("2024-07-10T10:57"))  # more passes: once
        await settled(bot)
        assert len(fake.channel_messages[thread_id]) == 2
        assert len(fake.renamed_threads) == 1


async def test_changes_name_who_joined_and_left_under_each_versions_time(
    fake: FakeDiscord, tmp_path: Path
):
    path = tmp_path / "schedule.json"
    write_frab(path, talks())
    clock = FixedClock(pacific("2024-07-10T10:50"))
    env = {"CONFBOT_PROGRAM": str(path), "CONFBOT_SYNC_INTERVAL": "60",
           "CONFBOT_SYNC_MAX_REMOVED": "1"}  # fmt: skip
    async with running_bot(fake, tmp_path, clock, **env) as bot:
        clock.at = pacific("2024-07-10T09:05")
        people = {"persons": [{"id": 100, "public_name": "Ana Lind"},
                              {"id": 107, "public_name": "Cleo *Park*"}]}  # fmt: skip
        await new_version(bot, path, edited(t1=people), 1)
        clock.at = pacific("2024-07-10T10:40")
        await new_version(bot, path, edited(t1=people, t3=None), 2)
        clock.at = pacific("2024-07-10T10:50")

        changes = await fake.answer(await fake.send_command("changes"))
        lines = changes.embeds[0]["description"].splitlines()
        ago = lambda t: int(pacific(t).timestamp())  # noqa: E731
        assert lines == [
            f"🕒 **Version of Wed Jul 10, 10:40 PDT** (<t:{ago('2024-07-10T10:40')}:R>)",
            "• **Rust in the Linux kernel: two years on** — cancelled",
            f"🕒 **Version of Wed Jul 10, 09:05 PDT** (<t:{ago('2024-07-10T09:05')}:R>)",
            "• **Live patching the kernel** — speakers changed: Cleo \\*Park\\* joined,"
            " Ben Okafor left",
        ]
