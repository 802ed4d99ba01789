"""Starting the bot: token problems get one clear sentence, exit 2, and no token leak."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from pathlib import Path

import discord
import pytest

from bot import cli
from bot.adapters.discord import runner
from bot.adapters.discord.client import ConfBot
from bot.settings import BUNDLED_PROGRAM, Settings
from bot.store import ProgramStore
from tests.conftest import HeldIndexing

ROOT = Path(__file__).resolve().parent.parent
SECRET = "MTIz.fake-secret-token.value"


def settings(tmp_path: Path, **env: str) -> Settings:
    values = {"CONFBOT_DB": str(tmp_path / "c.db"), **env}
    return Settings.from_env(values, dotenv_path=tmp_path / "none")


def test_run_without_token_explains_how_to_get_one(tmp_path: Path, capsys):
    assert runner.run_bot(settings(tmp_path)) == 2
    err = capsys.readouterr().err
    assert "no DISCORD_TOKEN is set" in err
    assert "developers/applications" in err and "python -m bot console" in err


def test_rejected_token_is_one_sentence_without_the_token(tmp_path, capsys, monkeypatch):
    async def reject(self, token, **kwargs):
        raise discord.LoginFailure("Improper token has been passed.")

    monkeypatch.setattr(ConfBot, "start", reject)
    assert runner.run_bot(settings(tmp_path, DISCORD_TOKEN=SECRET)) == 2
    out = capsys.readouterr()
    assert "Discord rejected the token" in out.err
    assert SECRET not in out.err + out.out
    assert "Traceback" not in out.err


def test_no_subcommand_with_a_token_runs_the_bot(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setenv("DISCORD_TOKEN", SECRET)
    monkeypatch.setenv("CONFBOT_DB", str(tmp_path / "c.db"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(runner, "run_bot", lambda s: calls.append(s) or 0)
    assert cli.main([]) == 0
    assert calls and calls[0].discord_token == SECRET


def test_the_bot_s_modules_import_neither_psycopg_nor_icalendar():
    """`python -m bot run` imports all of the bot before it logs in; psycopg (a
    PostgreSQL state's alone) and icalendar (/calendar's) were a sixth of that, in every
    start and every command an operator runs: each is imported where it is needed."""
    probe = (
        "import sys, bot.cli, bot.adapters.discord.runner;"
        " print(*sorted({m.partition('.')[0] for m in sys.modules}"
        " & {'psycopg', 'psycopg_pool', 'icalendar'}))"
    )
    loaded = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True,
                            text=True, check=True, timeout=60).stdout.split()  # fmt: skip
    assert loaded == []


def test_sync_without_token_exits_2(tmp_path: Path):
    assert runner.sync_commands(settings(tmp_path), guild_id=1) == 2


def test_bot_uses_default_intents_only(tmp_path: Path):
    bot = ConfBot(settings(tmp_path))
    assert bot.intents == discord.Intents.default()
    assert not bot.intents.message_content and not bot.intents.members


def test_bot_never_syncs_in_on_ready():
    import inspect

    assert ".sync(" not in inspect.getsource(ConfBot.on_ready)


# Every variable settings.py reads, found in its source, so a new one cannot go undocumented.
SETTINGS_NAMES = sorted(
    # Read directly (get("NAME")) or through a number reader (_number(get, "NAME", ...)).
    set(
        re.findall(
            r'(?:(?<![.\w])get\(|_(?:number|whole)\(get, )"([A-Z_]+)"',
            (ROOT / "bot" / "settings.py").read_text(),
        )
    )
    - {"CONFBOT_TEST_DISCORD_URL"}  # tests only, deliberately not in .env.example
)


@pytest.mark.parametrize("name", SETTINGS_NAMES)
def test_env_example_documents_every_setting(name: str):
    assert f"{name}=" in (ROOT / ".env.example").read_text()


@pytest.fixture
def program_stores(monkeypatch: pytest.MonkeyPatch) -> list[ProgramStore]:
    """Every program database the bot opens (to see whether it is still open)."""
    opened: list[ProgramStore] = []
    open_store = ProgramStore.open.__func__  # type: ignore[attr-defined]

    async def recorded(cls: type[ProgramStore], path: Path) -> ProgramStore:
        opened.append(store := await open_store(cls, path))
        return store

    monkeypatch.setattr(ProgramStore, "open", classmethod(recorded))
    return opened


async def test_close_closes_the_database(tmp_path: Path):
    bot = ConfBot(settings(tmp_path))
    await bot.setup_hook()
    state = bot.state
    assert state is not None and not state.closed
    await bot.close()
    assert state.closed and bot.state is None


async def test_a_bot_that_never_connected_closes_cleanly(
    tmp_path: Path, program_stores: list[ProgramStore]
):
    """A start-up that fails before the gateway (a refused login, a setup_hook error)
    still closes the sharded bot: cogs, stores and the HTTP session, with no error."""
    bot = ConfBot(settings(tmp_path))
    await bot.setup_hook()
    await bot.close()
    assert bot.state is None and not bot.cogs
    assert program_stores and all(store.closed for store in program_stores)


async def test_a_bot_serving_conferences_keeps_no_program_database_open(
    tmp_path: Path, program_stores: list[ProgramStore]
):
    """The programs are served from memory: each database is read once, then closed, so
    100 conferences are not 100 idle connections (an aiosqlite thread each)."""
    frab = ROOT / "tests" / "fixtures" / "programs" / "frab-v1.json"
    bot = ConfBot(settings(tmp_path, CONFBOT_PROGRAM=f"{BUNDLED_PROGRAM},{frab}"))
    await bot.setup_hook()
    try:
        assert len(bot.conferences) == len(program_stores) == 2
        assert all(store.closed for store in program_stores)
        assert bot.state is not None and not bot.state.closed
    finally:
        await bot.close()


def test_closing_the_bot_does_not_wait_for_an_index_being_built(
    tmp_path: Path, held_indexing: HeldIndexing
):
    """SIGTERM closes the bot, then asyncio.run ends, as in `python -m bot run`: neither
    waits for the background indexing, however long a program's indexes take."""

    async def start_then_close() -> None:
        bot = ConfBot(settings(tmp_path))
        await bot.setup_hook()
        await held_indexing.under_way()
        await bot.close()

    asyncio.run(start_then_close())
    assert not held_indexing.finished.is_set()  # returned while the build was held
