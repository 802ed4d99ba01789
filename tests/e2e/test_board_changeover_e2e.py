"""/next on a small two-room program, through discord.py and the fake Discord: a room
between two talks (its first ended, its next not yet started) still shows its next
talk, though it starts after the next start time and nothing is on in it."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.conftest import running_bot
from tests.fakediscord.server import FakeDiscord
from tests.program_edits import frab_talk, write_frab

HALL_A, HALL_B = "Hall A", "Hall B"


async def test_a_room_between_talks_shows_its_next_talk(fake: FakeDiscord, tmp_path: Path):
    path = tmp_path / "schedule.json"
    write_frab(path, [
        frab_talk(1, "Alpha one", "10:00", 30, HALL_A, "Ada Lane"),
        frab_talk(2, "Alpha two", "11:30", 30, HALL_A, "Ada Lane"),
        frab_talk(3, "Beta one", "10:00", 50, HALL_B, "Bo Ray"),
        frab_talk(4, "Beta two", "10:50", 60, HALL_B, "Bo Ray"),
    ])  # fmt: skip
    async with running_bot(fake, tmp_path, CONFBOT_PROGRAM=str(path),
                           CONFBOT_NOW="2024-07-10T10:40"):  # fmt: skip
        answer = await fake.answer(await fake.send_command("next"))
    names = [f["name"] for f in answer.embeds[0]["fields"]]
    # Hall A is idle at 10:40 (Alpha one ended at 10:30): its 11:30 talk is still next.
    assert names == ["On now · Beta one", "Next · Beta two", "Next · Alpha two"]
