"""Gateway faults and load: every interaction is answered exactly once, in time."""

from __future__ import annotations

import asyncio
import random
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import COMMANDS
from tests.e2e.conftest import logged_in, process_env, wait_for
from tests.fakediscord.server import DEADLINE, FakeDiscord, Interaction

FRAB = Path(__file__).parents[1] / "fixtures" / "programs" / "frab-v1.json"

ROOT = Path(__file__).resolve().parents[2]


async def answered_once(fake: FakeDiscord, interactions: list[Interaction]) -> None:
    await asyncio.gather(*(fake.answer(i, timeout=DEADLINE + 2) for i in interactions))
    assert all(len(i.callbacks) == 1 for i in interactions)


@pytest.mark.parametrize("fault", ["close", "abort"])
async def test_gateway_drop_in_a_burst_still_answers_everything_once(fake: FakeDiscord, bot, fault):
    first = [await fake.send_command("next") for _ in range(10)]
    if fault == "close":
        await fake.close_gateway(4000)
    else:
        await fake.abort_gateway()
    # Sent while the socket is down: Discord keeps them and replays them on RESUME.
    second = [await fake.send_command("paper", title="sabre") for _ in range(10)]
    await wait_for(fake.connected.is_set, what="RESUME")
    third = [await fake.send_command("now") for _ in range(10)]
    await answered_once(fake, first + second + third)
    assert fake.resumes == 1 and fake.identifies == 1


async def test_invalidated_session_identifies_again_and_serves(fake: FakeDiscord, bot):
    await fake.invalidate_session()
    await wait_for(lambda: fake.identifies == 2 and fake.connected.is_set(), what="re-IDENTIFY")
    answer = await fake.answer(await fake.send_command("now"))
    assert len(answer.callbacks) == 1


async def test_burst_of_500_mixed_interactions(fake: FakeDiscord, bot, capsys):
    rng = random.Random(24)
    senders = [
        lambda: fake.send_command("next"),
        lambda: fake.send_command(
            "paper", title=rng.choice(["sabre", "llumnix", "hongmeng", "uslope"])
        ),
        lambda: fake.send_command("author", name=rng.choice(["haibo chen", "stoica", "clement"])),
        lambda: fake.send_autocomplete("paper", "title", rng.choice(["", "mem", "llm serv"])),
        lambda: fake.send_autocomplete("author", "name", rng.choice(["", "che", "guerr"])),
    ]
    started = time.perf_counter()
    burst = [await rng.choice(senders)() for _ in range(500)]
    await answered_once(fake, burst)
    elapsed = time.perf_counter() - started
    assert not fake.protocol_errors  # includes any acknowledgement after 3 s
    with capsys.disabled():
        print(f"\n[benchmark] 500 mixed interactions in {elapsed:.2f} s: {500 / elapsed:.0f}/s")


async def spawn_bot(fake: FakeDiscord, tmp_path: Path, **extra: str):
    """`python -m bot run` as a user starts it, configured only by the environment."""
    env = process_env(fake, tmp_path, **extra)
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def test_python_m_bot_run_serves_against_the_fake(fake: FakeDiscord, tmp_path: Path):
    process = await spawn_bot(fake, tmp_path)
    try:
        await logged_in(fake)
        answer = await fake.answer(await fake.send_command("next"), timeout=10)
        assert answer.embeds[0]["fields"][0]["name"].startswith("On now · Sabre")
    finally:
        process.terminate()
        _, stderr = await asyncio.wait_for(process.communicate(), 20)
    assert b"Traceback" not in stderr, stderr.decode()[-2000:]
    assert not fake.protocol_errors


async def test_rejected_token_exits_2_without_traceback(fake: FakeDiscord, tmp_path: Path):
    process = await spawn_bot(fake, tmp_path, DISCORD_TOKEN="wrong-token-value")
    _, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 2
    text = stderr.decode()
    assert "Discord rejected the token" in text
    assert "wrong-token-value" not in text
    assert "Traceback" not in text


async def test_python_m_bot_sync_registers_commands_in_a_guild(fake: FakeDiscord, tmp_path: Path):
    env = process_env(fake, tmp_path)
    del env["CONFBOT_GUILD_ID"]
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "sync", "--guild", "4242", cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    stdout, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, stderr.decode()[-2000:]
    assert f"Synced {len(COMMANDS)} commands to guild 4242".encode() in stdout  # 22 with /track
    assert {c["name"] for c in fake.guild_commands[4242]} >= {"next", "paper", "author"}
    assert fake.global_commands == []
    assert not fake.protocol_errors


async def test_two_programs_of_one_conference_exit_2_naming_them(fake: FakeDiscord, tmp_path: Path):
    # The databases opened before the second program was refused are closed too: an open
    # one would keep the process alive after the sentence.
    twice = tmp_path / "again.json"
    twice.write_bytes(FRAB.read_bytes())
    process = await spawn_bot(fake, tmp_path, CONFBOT_PROGRAM=f"{FRAB},{twice}")
    _, stderr = await asyncio.wait_for(process.communicate(), 30)
    text = stderr.decode()
    assert process.returncode == 2, text[-2000:]
    assert f"{twice} is the conference “fixcon”, like another program listed before it" in text
    assert "Traceback" not in text
