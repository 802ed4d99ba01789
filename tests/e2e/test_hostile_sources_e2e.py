"""A source a server added from Discord is kept and reopened at every start: whatever its
kept copy holds, the bot starts and serves everyone (the copy read as well as it can, or
left out with one log line), through discord.py and the fake Discord."""

from __future__ import annotations

import contextlib
import logging
import shutil
import sqlite3
from pathlib import Path

import pytest

from bot.importer.registry import read_source
from bot.live.versions import archive_one
from bot.settings import copy_path, own_db_path
from tests.e2e.conftest import changes_kept, poll_source, running_bot, wait_for
from tests.e2e.test_conferences_e2e import FRAB, about, organiser, program_app
from tests.fakediscord.server import FakeDiscord
from tests.local_servers import serving

ENV = {"CONFBOT_ALLOW_PRIVATE_SOURCES": "yes"}  # the organisers' server is on loopback


def kept_copy(tmp_path: Path, url: str) -> Path:
    return copy_path(own_db_path(tmp_path / "confbot-state-sources" / "program.db", url))


def keep_as_served(tmp_path: Path, url: str, body: bytes) -> Path:
    """What the bot kept of an added source, replaced by `body`: its copy on disk, and the
    version the state database says it served, which a start serves (the state is the
    truth, the copy a cache: bot.live.restore). The copy's path."""
    copy = kept_copy(tmp_path, url)
    copy.write_bytes(body)
    with contextlib.closing(sqlite3.connect(tmp_path / "confbot-state.db")) as db, db:
        conference, fingerprint = db.execute(
            "SELECT conference, fingerprint FROM program_sources WHERE source = ?", (url,)
        ).fetchone()
        db.execute(
            "UPDATE program_versions SET archive = ? WHERE conference = ? AND fingerprint = ?",
            (archive_one(body), conference, fingerprint),
        )
    return copy


async def test_a_kept_copy_with_a_lone_surrogate_is_served_at_the_next_start(
    fake: FakeDiscord, tmp_path: Path
):
    async with serving(program_app(FRAB.read_bytes())) as base:
        url = f"{base}/schedule.json"
        async with running_bot(fake, tmp_path, **ENV):
            await organiser(fake, "conference add", source=url)
        text = FRAB.read_text(encoding="utf-8").replace('"Opening"', '"Opening \\ud800"')
        keep_as_served(tmp_path, url, text.encode())
        async with running_bot(fake, tmp_path, **ENV) as bot:
            served = bot.conferences.get("fixcon")
            assert served is not None
            assert "Opening \ufffd" in [t.title for t in served.service.program.talks]
            assert "OSDI" in await about(fake)


async def test_an_added_source_that_fails_to_open_at_start_is_one_log_line_and_the_rest_serve(
    fake: FakeDiscord, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
):  # fmt: skip
    async with serving(program_app(FRAB.read_bytes())) as base:
        url = f"{base}/schedule.json"
        async with running_bot(fake, tmp_path, **ENV):
            await organiser(fake, "conference add", source=url)
    copy = keep_as_served(tmp_path, url, FRAB.read_bytes() + b"\n")  # read again at start

    def reader_with_a_bug(path: Path, zone: str | None = None) -> object:
        if path == copy:  # a failure no reader expects, such as a bug in one
            raise RuntimeError("a reader's bug")
        return read_source(path, zone)

    monkeypatch.setattr("bot.store.build.read_source", reader_with_a_bug)
    with caplog.at_level(logging.WARNING):
        async with running_bot(fake, tmp_path, **ENV) as bot:
            assert [s.key for s in bot.conferences] == ["osdi24"]
            assert "OSDI" in await about(fake)
            assert [s.url for s in await bot.state.conferences.added_sources()] == [url]  # type: ignore[union-attr]
    (line,) = [r for r in caplog.records if url in r.getMessage()]
    assert line.levelno == logging.WARNING and line.exc_info is None
    assert "RuntimeError: a reader's bug" in line.getMessage()


async def test_a_kept_copy_with_a_4301_digit_number_is_one_log_line_at_start(
    fake: FakeDiscord, tmp_path: Path, caplog: pytest.LogCaptureFixture
):
    # Python refuses to make an int of more than 4,300 digits: that ValueError was a
    # traceback, and at start it stopped the whole bot.
    async with serving(program_app(FRAB.read_bytes())) as base:
        url = f"{base}/schedule.json"
        async with running_bot(fake, tmp_path, **ENV):
            await organiser(fake, "conference add", source=url)
    huge = FRAB.read_text(encoding="utf-8").replace('"id": 1,', '"id": ' + "1" * 4301 + ",", 1)
    keep_as_served(tmp_path, url, huge.encode())
    with caplog.at_level(logging.WARNING):
        async with running_bot(fake, tmp_path, **ENV) as bot:
            assert [s.key for s in bot.conferences] == ["osdi24"]
            assert "OSDI" in await about(fake)
    (line,) = [r for r in caplog.records if url in r.getMessage()]
    assert line.levelno == logging.WARNING and line.exc_info is None
    assert "holds a number of 4,301 characters" in line.getMessage()


async def test_a_version_with_a_lone_surrogate_is_followed_kept_and_served_after_a_restart(
    fake: FakeDiscord, tmp_path: Path
):
    # Live sync applied it, then writing the version failed in the store: no notice,
    # /changes said nothing changed, and the next start exited building the database.
    path = tmp_path / "schedule.json"
    shutil.copy(FRAB, path)
    env = {"CONFBOT_PROGRAM": str(path), "CONFBOT_SYNC_INTERVAL": "1"}
    async with running_bot(fake, tmp_path, **env) as bot:
        text = FRAB.read_text(encoding="utf-8").replace('"Opening"', '"Opening \\ud800"')
        path.write_text(text, encoding="utf-8")
        poll_source(bot)
        await wait_for(lambda: bot.holder.swaps >= 1, timeout=15, what="the new version")
        await changes_kept(bot)
        changes = await fake.answer(await fake.send_command("changes"))
        assert "Opening \ufffd" in changes.embeds[0]["description"]
        assert len(await bot.state.versions.newest_first()) == 2  # type: ignore[union-attr]
    async with running_bot(fake, tmp_path, **env) as bot:
        assert "Opening \ufffd" in [t.title for t in bot.service.program.talks]
