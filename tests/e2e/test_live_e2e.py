"""A program edited while the bot runs is followed without a restart."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

from bot.settings import BUNDLED_PROGRAM
from tests.conftest import pacific
from tests.e2e.conftest import running_bot, wait_for
from tests.fakediscord.server import DEFAULT_PERMISSIONS, MANAGE_GUILD, FakeDiscord


def move_nomad(program_dir: Path, start: str, end: str) -> None:
    schedule = program_dir / "schedule.json"
    data = json.loads(schedule.read_text(encoding="utf-8"))
    nomad = next(p for s in data["sessions"] for p in s["papers"] if p["title"].startswith("NOMAD"))
    nomad["start"], nomad["end"] = start, end
    schedule.write_text(json.dumps(data), encoding="utf-8")


async def test_an_edited_program_is_served_and_reminders_follow(fake: FakeDiscord, tmp_path: Path):
    program = tmp_path / "osdi24"
    shutil.copytree(BUNDLED_PROGRAM, program)
    async with running_bot(fake, tmp_path, CONFBOT_PROGRAM=str(program),
                           CONFBOT_SYNC_INTERVAL="1") as bot:  # fmt: skip
        await fake.answer(await fake.send_command("remind", item="p:xiang", minutes_before=5))
        state = bot.state
        assert state is not None

        async def due() -> int | None:
            pending = await state.deliveries(state="pending")
            return pending[0].due_ts if pending else None

        async def eventually(wanted: int) -> None:
            """Poll on the loop (as wait_for does): the scheduler re-plans on its own task."""
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 15
            while await due() != wanted:
                assert loop.time() < deadline, f"due {await due()}, wanted {wanted}"
                await asyncio.sleep(0.01)

        await eventually(int(pacific("2024-07-10T11:00").timestamp()))

        move_nomad(program, "2024-07-10T11:40", "2024-07-10T12:00")
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
