"""A program edited while the bot runs is followed without a restart."""

from __future__ import annotations

import asyncio
import json
import shutil
import signal
from pathlib import Path

from bot.settings import BUNDLED_PROGRAM
from tests.conftest import pacific
from tests.e2e.conftest import changes_kept, logged_in, poll_source, running_bot, wait_for
from tests.e2e.test_faults_e2e import spawn_bot
from tests.fakediscord.server import DEFAULT_PERMISSIONS, MANAGE_GUILD, FakeDiscord
from tests.program_edits import move_talk
from tests.test_console import run_cli


async def test_an_edited_program_is_served_and_reminders_follow(fake: FakeDiscord, tmp_path: Path):
    program = tmp_path / "osdi24"
    shutil.copytree(BUNDLED_PROGRAM, program)
    async with running_bot(fake, tmp_path, CONFBOT_PROGRAM=str(program),
                           CONFBOT_SYNC_INTERVAL="1") as bot:  # fmt: skip
        await fake.answer(await fake.send_command("remind", item="p:xiang", minutes_before=5))
        state = bot.state
        assert state is not None

        async def due() -> int | None:
            pending = await state.ledger.deliveries(state="pending")
            return pending[0].due_ts if pending else None

        async def eventually(wanted: int) -> None:
            """Poll on the loop (as wait_for does): the scheduler re-plans on its own task."""
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 15
            while await due() != wanted:
                assert loop.time() < deadline, f"due {await due()}, wanted {wanted}"
                await asyncio.sleep(0.01)

        await eventually(int(pacific("2024-07-10T11:00").timestamp()))

        move_talk(program, "NOMAD", "2024-07-10T11:40", "2024-07-10T12:00")
        poll_source(bot)
        await wait_for(lambda: bot.holder.swaps >= 1, timeout=15, what="the new version")
        paper = await fake.answer(await fake.send_command("paper", title="nomad"))
        assert "11:40" in paper.embeds[0]["description"]

        await eventually(int(pacific("2024-07-10T11:35").timestamp()))

        user_id = int(fake.attendee["id"])

        def notices() -> list[dict]:
            dms = fake.channel_messages.get(fake.dm_channels.get(user_id, 0), [])
            return [m for m in dms if m["embeds"] and m["embeds"][0]["title"].startswith("📢")]

        await wait_for(lambda: notices(), timeout=15, what="the change notice DM")
        (notice,) = notices()
        assert notice["embeds"][0]["title"] == "📢 Program update: your items changed"
        assert "NOMAD" in notice["embeds"][0]["description"]
        changes = await fake.answer(await fake.send_command("changes"))
        assert "moved" in changes.embeds[0]["description"]
        assert len(notices()) == 1  # once, however often the scheduler passes

        status = await fake.answer(await fake.send_command(
            "status", user=fake.owner, permissions=DEFAULT_PERMISSIONS | MANAGE_GUILD))  # fmt: skip
        fields = {f["name"]: f["value"] for f in status.embeds[0]["fields"]}
        assert "Last new version" in fields["Program source"]
        assert "1 talk changed" in fields["Program source"]
        kept = await state.versions.newest_first()
        assert len(kept) == 2  # the version it started with, and the edited one

    # The versions kept, and what changed between them, from the command line.
    listed = run_cli("versions", db=tmp_path / "confbot.db")
    assert listed.returncode == 0, listed.stderr
    assert len(listed.stdout.strip().splitlines()) == 2 and "osdi24" in listed.stdout
    compared = run_cli("diff", db=tmp_path / "confbot.db")
    assert compared.returncode == 0, compared.stderr
    assert compared.stdout.startswith("Version 1 -> 2: 1 talk(s) changed")
    assert "NOMAD" in compared.stdout and "moved" in compared.stdout


FRAB = Path(__file__).parents[1] / "fixtures" / "programs" / "frab-v1.json"
ORGANISER = DEFAULT_PERMISSIONS | MANAGE_GUILD


async def test_program_reload_previews_and_only_its_organiser_applies(
    fake: FakeDiscord, tmp_path: Path
):
    path = tmp_path / "schedule.json"
    shutil.copy(FRAB, path)
    async with running_bot(fake, tmp_path, CONFBOT_PROGRAM=str(path)) as bot:
        nothing = await fake.send_command("program reload", user=fake.owner, permissions=ORGANISER)
        await fake.answer(nothing)
        await wait_for(lambda: nothing.followups, what="the reload answer")
        assert nothing.followups[0]["content"] == "No new version: nothing to apply."

        data = json.loads(path.read_text(encoding="utf-8"))
        first = next(e for d in data["schedule"]["conference"]["days"]
                     for events in d["rooms"].values() for e in events)  # fmt: skip
        first["title"] = "A title changed by the organisers"
        path.write_text(json.dumps(data), encoding="utf-8")

        reload = await fake.send_command("program reload", user=fake.owner, permissions=ORGANISER)
        await fake.answer(reload)
        await wait_for(lambda: reload.followups, what="the preview")
        preview = reload.followups[0]
        assert preview["content"].startswith("A new version changes 1 talk:")
        assert "A title changed by the organisers" in preview["content"]
        assert bot.holder.swaps == 0  # nothing changes until Apply
        apply_id, _ = [c["custom_id"] for c in preview["components"][0]["components"]]

        refused = await fake.answer(await fake.click_message(preview["_message"], apply_id))
        assert refused.ephemeral and "Only the organiser" in refused.data["content"]
        assert bot.holder.swaps == 0

        applied = await fake.answer(
            await fake.click_message(preview["_message"], apply_id, user=fake.owner)
        )
        assert applied.callback["type"] == 7
        assert applied.callback["data"]["content"].startswith("✅ Applied: 1 talk changed")
        assert bot.holder.swaps == 1
        paper = await fake.answer(await fake.send_command("paper", title="title changed by"))
        assert paper.embeds[0]["title"] == "A title changed by the organisers"


async def test_published_events_follow_a_changed_session(fake: FakeDiscord, tmp_path: Path):
    fake.now = pacific("2024-07-10T10:50")
    program = tmp_path / "osdi24"
    shutil.copytree(BUNDLED_PROGRAM, program)
    async with running_bot(fake, tmp_path, CONFBOT_PROGRAM=str(program),
                           CONFBOT_SYNC_INTERVAL="1") as bot:  # fmt: skip
        published = await fake.send_command("publish-events", user=fake.owner,
                                            permissions=DEFAULT_PERMISSIONS | 1 << 33)  # fmt: skip
        await fake.answer(published)
        await wait_for(lambda: published.followups, what="the publish report")
        edits_before = [kind for kind, _ in fake.event_calls].count("edit")

        schedule = program / "schedule.json"
        data = json.loads(schedule.read_text(encoding="utf-8"))
        llumnix = next(p for s in data["sessions"] for p in s["papers"]
                       if p["title"].startswith("Llumnix"))  # fmt: skip
        llumnix["start"], llumnix["end"] = "2024-07-10T15:05", "2024-07-10T15:25"
        schedule.write_text(json.dumps(data), encoding="utf-8")
        poll_source(bot)
        await wait_for(lambda: bot.holder.swaps >= 1, timeout=15, what="the new version")
        await wait_for(
            lambda: [kind for kind, _ in fake.event_calls].count("edit") > edits_before,
            timeout=15, what="the session's event updated",
        )  # fmt: skip
        edited = [fake.scheduled_events[i] for kind, i in fake.event_calls if kind == "edit"]
        assert any("Llumnix" in (e.get("description") or "") for e in edited)


async def test_a_cancelled_talk_is_no_longer_offered(fake: FakeDiscord, tmp_path: Path):
    path = tmp_path / "schedule.json"
    shutil.copy(FRAB, path)
    async with running_bot(fake, tmp_path, CONFBOT_PROGRAM=str(path), CONFBOT_SYNC_INTERVAL="1",
                           CONFBOT_SYNC_MAX_REMOVED="1") as bot:  # fmt: skip
        title = bot.service.program.talks[0].title
        offered = await fake.answer(await fake.send_autocomplete("paper", "title", title))
        assert offered.choices and offered.choices[0]["name"] == title

        data = json.loads(path.read_text(encoding="utf-8"))
        for day in data["schedule"]["conference"]["days"]:
            for room, events in day["rooms"].items():
                day["rooms"][room] = [e for e in events if e["title"] != title]
        path.write_text(json.dumps(data), encoding="utf-8")
        poll_source(bot)
        await wait_for(lambda: bot.holder.swaps >= 1, timeout=15, what="the new version")

        again = await fake.answer(await fake.send_autocomplete("paper", "title", title))
        assert title not in [c["name"] for c in again.choices]
        await changes_kept(bot)
        changes = await fake.answer(await fake.send_command("changes"))
        assert "cancelled" in changes.embeds[0]["description"]


async def test_changes_since_an_unreadable_time_is_one_private_line(fake: FakeDiscord, bot):
    answer = await fake.answer(await fake.send_command("changes", since="yesterday-ish 99:99"))
    assert answer.ephemeral and "\n" not in answer.data["content"].strip()
    assert answer.data["content"].startswith("I can't read “yesterday-ish 99:99”. Try")


async def test_a_kill_9_in_the_middle_of_a_sync_tells_each_person_once(
    fake: FakeDiscord, tmp_path: Path
):
    """`python -m bot run` is killed with SIGKILL in the middle of a sync: the new
    version is kept and swapped in, and its change notice has gone out to Discord but
    Discord's answer has not come back (held by the fake, so the kill always lands there,
    not sometimes before the claim and sometimes after the send). Started again, the bot
    marks that notice possibly lost and never sends it again: the person with a reminder
    on the moved talk has exactly one notice, and /paper answers from the new version."""
    program = tmp_path / "osdi24"
    shutil.copytree(BUNDLED_PROGRAM, program)
    env = {"CONFBOT_PROGRAM": str(program), "CONFBOT_SYNC_INTERVAL": "1",
           "CONFBOT_DELIVERY_PACE": "0"}  # fmt: skip
    first = await spawn_bot(fake, tmp_path, **env)
    said: list[str] = []

    async def swapped() -> None:
        assert first.stderr is not None
        while line := (await first.stderr.readline()).decode():
            said.append(line)
            if "program updated from" in line:
                return

    try:
        await logged_in(fake)
        await fake.answer(await fake.send_command("remind", item="p:xiang", minutes_before=5))
        fake.answering_messages.clear()  # a message is kept; its answer waits
        move_talk(program, "NOMAD", "2024-07-10T11:40", "2024-07-10T12:00")
        await asyncio.wait_for(swapped(), 30)
        await wait_for(lambda: notices(fake) and fake.held_messages, timeout=30,
                       what="the change notice in flight")  # fmt: skip
    except (AssertionError, TimeoutError):
        raise AssertionError(
            "no notice in flight; the bot said:\n" + "".join(said)[-3000:]
        ) from None
    finally:
        first.send_signal(signal.SIGKILL)
        await first.wait()
        fake.answering_messages.set()
    fake.connected.clear()

    second = await spawn_bot(fake, tmp_path, **env)
    told: list[str] = []

    async def recovered() -> None:
        assert second.stderr is not None
        while line := (await second.stderr.readline()).decode():
            told.append(line)
            if "interrupted between sending and sent" in line:
                return

    try:
        await asyncio.wait_for(recovered(), 30)
        await logged_in(fake)
        paper = await fake.answer(await fake.send_command("paper", title="nomad"), timeout=10)
        assert "11:40" in paper.embeds[0]["description"]
    finally:
        second.terminate()
        _, stderr = await asyncio.wait_for(second.communicate(), 20)
    assert len(notices(fake)) == 1, ("".join(told) + stderr.decode())[-3000:]
    assert "NOMAD" in notices(fake)[0]["embeds"][0]["description"]


def notices(fake: FakeDiscord) -> list[dict]:
    dms = fake.channel_messages.get(fake.dm_channels.get(int(fake.attendee["id"]), 0), [])
    return [m for m in dms if m["embeds"] and m["embeds"][0]["title"].startswith("📢")]
