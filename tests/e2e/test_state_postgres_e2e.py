"""The bot with its state on PostgreSQL, through discord.py and the fake Discord: a server
it cannot use stops `python -m bot run` in one line; what people asked for survives a
restart on an empty disk; a connection the server ends under the bot is made again."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.store.postgres_address import redacted
from tests.e2e.conftest import running_bot
from tests.e2e.test_faults_e2e import spawn_bot
from tests.fakediscord.server import FakeDiscord
from tests.state_backends import (
    StateBackend,
    postgres_server,
    reading_pids,
    run,
    terminate,
    writing_pid,
)

REMINDED = "I'll DM you about **NOMAD"


async def _remind(fake: FakeDiscord) -> str:
    """/remind for NOMAD (11:05), due at 11:00: ten minutes after the bot's clock starts,
    so it is still active (not yet delivered) while the test looks."""
    answer = await fake.answer(await fake.send_command("remind", item="p:xiang", minutes_before=5))
    return str(answer.data["content"])


async def test_a_wrong_password_stops_the_start_in_one_line(fake: FakeDiscord, tmp_path: Path):
    scheme, _, rest = postgres_server().partition("://")
    user = rest.rpartition("@")[0].split(":", 1)[0] or "postgres"
    url = f"{scheme}://{user}:wrong-pw-77@{rest.rpartition('@')[2]}"
    process = await spawn_bot(fake, tmp_path, CONFBOT_STATE_URL=url)
    _, stderr = await asyncio.wait_for(process.communicate(), 20)
    text = stderr.decode()
    assert process.returncode == 2, text[-2000:]
    (line,) = [line for line in text.splitlines() if line.startswith("confbot:")]
    assert line.startswith(
        f"confbot: CONFBOT_STATE_URL={redacted(url)}: the server refused the password"
    )
    assert "wrong-pw-77" not in text and "Traceback" not in text


async def test_reminders_survive_a_restart_on_an_empty_disk(
    fake: FakeDiscord, tmp_path: Path, postgres_backend: StateBackend
):
    assert postgres_backend.url is not None
    first, second = tmp_path / "first", tmp_path / "second"  # each start: a new disk
    first.mkdir()
    second.mkdir()
    async with running_bot(fake, first, CONFBOT_STATE_URL=postgres_backend.url):
        assert REMINDED in await _remind(fake)
    assert run(postgres_backend, "SELECT item_ref, status FROM reminders") == [
        ("p:xiang", "active")
    ]
    assert not (second / "confbot-state.db").exists()
    async with running_bot(fake, second, CONFBOT_STATE_URL=postgres_backend.url) as bot:
        assert bot.state is not None
        (kept,) = await bot.state.reminders.find("osdi24")
        assert (kept.item_ref, kept.user_id) == ("p:xiang", int(fake.attendee["id"]))
    assert not (second / "confbot-state.db").exists()


async def test_a_connection_the_server_ends_is_made_again_without_a_restart(
    fake: FakeDiscord, tmp_path: Path, postgres_backend: StateBackend
):
    assert postgres_backend.url is not None
    async with running_bot(fake, tmp_path, CONFBOT_STATE_URL=postgres_backend.url) as bot:
        assert bot.state is not None
        # What a restart of the server does to the bot's sessions of its state.
        for pid in [await writing_pid(bot.state), *await reading_pids(bot.state)]:
            await terminate(pid)
        assert REMINDED in await _remind(fake)
        (kept,) = await bot.state.reminders.find("osdi24")
        assert kept.item_ref == "p:xiang"
