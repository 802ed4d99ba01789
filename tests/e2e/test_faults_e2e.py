"""Gateway faults and load: every interaction is answered exactly once, in time."""

from __future__ import annotations

import asyncio
import io
import logging
import os
import random
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import COMMANDS
from tests.e2e.conftest import logged_in, process_env, restored_discord_urls, wait_for
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


async def in_process(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], *args: str
) -> tuple[int, str, str]:
    """`python -m bot ARGS` as bot.cli.main (what `python -m bot` runs), with the
    environment and working folder it would have, in a worker thread with an event loop
    of its own as the process's would be, beside the fake on this loop: its exit code,
    stdout and stderr, with the log lines it would print there (at INFO, as run and sync
    log). The process's start (a second of imports) is spent once, by
    test_python_m_bot_run_serves_against_the_fake."""
    from bot.cli import main

    out, err = io.StringIO(), io.StringIO()
    said = logging.StreamHandler(err)
    said.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
    root, pool = logging.getLogger(), logging.getLogger("psycopg.pool")
    levels = root.level, pool.level
    with monkeypatch.context() as patched, restored_discord_urls():
        for name in os.environ.keys() - env.keys():
            patched.delenv(name)
        for name, value in env.items():
            patched.setenv(name, value)
        patched.chdir(ROOT)
        patched.setattr(sys, "stdout", out)
        patched.setattr(sys, "stderr", err)
        root.addHandler(said)
        root.setLevel(logging.INFO)
        try:
            code = await asyncio.wait_for(asyncio.to_thread(main, list(args)), 30)
        finally:
            root.removeHandler(said)
            root.setLevel(levels[0])
            pool.setLevel(levels[1])  # configure_logging quiets it
    return code, out.getvalue(), err.getvalue()


async def test_rejected_token_exits_2_without_traceback(
    fake: FakeDiscord, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    env = process_env(fake, tmp_path, DISCORD_TOKEN="wrong-token-value")
    code, _, text = await in_process(monkeypatch, env, "run")
    assert code == 2
    assert "Discord rejected the token" in text
    assert "wrong-token-value" not in text
    assert "Traceback" not in text


async def test_python_m_bot_sync_registers_commands_in_a_guild(
    fake: FakeDiscord, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    env = process_env(fake, tmp_path)
    del env["CONFBOT_GUILD_ID"]
    code, stdout, stderr = await in_process(monkeypatch, env, "sync", "--guild", "4242")
    assert code == 0, stderr[-2000:]
    assert f"Synced {len(COMMANDS)} commands to guild 4242" in stdout  # 22 with /track
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
