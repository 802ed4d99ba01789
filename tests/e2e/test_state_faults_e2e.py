"""A state write the disk refuses, through discord.py: the person is told why in one
sentence, the operator gets one ERROR line, and nothing of the write is kept."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import shutil
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import pytest

from bot.adapters.discord.client import ConfBot
from bot.kinds import DeliveryKind
from bot.live.conferences import Served
from bot.settings import BUNDLED_PROGRAM
from tests.conftest import pacific
from tests.e2e.conftest import (
    logged_in,
    poll_source,
    process_env,
    run_with_own_mounts,
    running_bot,
    wait_for,
)
from tests.e2e.test_conference_day_e2e import BALLROOM
from tests.e2e.test_conference_day_e2e import STREAM as STREAM_URL
from tests.e2e.test_conferences_e2e import BUNDLED, FRAB, program_app
from tests.e2e.test_governance_e2e import apply_button, frab_copy
from tests.e2e.test_lifecycle_e2e import _can_mount
from tests.fakediscord.server import (
    DEFAULT_PERMISSIONS,
    EPHEMERAL,
    MANAGE_GUILD,
    FakeDiscord,
    Interaction,
)
from tests.local_servers import serving
from tests.program_edits import edit, keep_one_event, move_talk, retitle

DISK_FULL = "The bot's disk is full, so nothing was saved; please tell the bot's operator."
READ_ONLY = (
    "The bot's state database is read-only, so nothing was saved; please tell the bot's operator."
)
NO_REMINDERS = "You have no reminders."


def _fill(path: Path) -> None:
    """Write until the file system has not one byte left."""
    with path.open("wb", buffering=0) as out:
        for size in (1 << 16, 1 << 12, 1):
            assert _write_until_refused(out, b"\0" * size) == errno.ENOSPC


def _write_until_refused(out: BinaryIO, chunk: bytes) -> int | None:
    try:
        while out.write(chunk):
            pass
    except OSError as exc:
        return exc.errno
    return None


async def _announce(fake: FakeDiscord):
    return await fake.answer(await fake.send_command(
        "announce channel", user=fake.owner, permissions=DEFAULT_PERMISSIONS | MANAGE_GUILD,
        channel=fake.channel_id, minutes_before=200,
    ))  # fmt: skip


async def _remind(fake: FakeDiscord):
    return await fake.answer(await fake.send_command("remind", item="p:xiang", minutes_before=20))


@pytest.mark.skipif(not _can_mount(), reason="needs root and unshare to mount a small disk")
async def test_a_full_disk_is_named_to_the_person_and_nothing_is_kept(
    fake: FakeDiscord, tmp_path: Path
):
    """`python -m bot run` with its state on a 16 MB disk of its own, filled once it is up."""
    disk = tmp_path / "disk"
    disk.mkdir()
    env = process_env(fake, tmp_path, CONFBOT_STATE_DB=str(disk / "state.db"))
    process = await run_with_own_mounts(f"mount -t tmpfs -o size=16m tmpfs {disk}", env)
    try:
        await logged_in(fake)
        # The bot's mount is in its own namespace; its root shows it to us.
        filler = Path(f"/proc/{process.pid}/root") / disk.relative_to("/") / "filler"
        _fill(filler)
        remind, announce = await _remind(fake), await _announce(fake)
        assert (remind.ephemeral, remind.data["content"]) == (True, DISK_FULL)
        assert (announce.ephemeral, announce.data["content"]) == (True, DISK_FULL)
        filler.unlink()
        agenda = await fake.answer(await fake.send_command("agenda"))
        assert agenda.embeds[0]["description"].startswith(NO_REMINDERS)
        assert "I'll DM you about **NOMAD" in (await _remind(fake)).data["content"]
    finally:
        process.terminate()
        _, stderr = await asyncio.wait_for(process.communicate(), 20)
    text = stderr.decode()
    assert "Traceback" not in text, text[-3000:]
    errors = [line for line in text.splitlines() if " ERROR " in line]
    assert len([e for e in errors if "/remind could not be saved" in e]) == 1, errors
    assert len([e for e in errors if "/announce channel could not be saved" in e]) == 1, errors
    assert all("the disk is full" in e for e in errors if "could not be saved" in e), errors


def _disk_full() -> sqlite3.OperationalError:
    """SQLite's own SQLITE_FULL ('database or disk is full'), from a database allowed
    two pages."""
    with contextlib.closing(sqlite3.connect(":memory:")) as db:
        db.execute("CREATE TABLE t (x)")
        db.execute("PRAGMA max_page_count = 2")
        try:
            db.execute("INSERT INTO t VALUES (zeroblob(100000))")
        except sqlite3.OperationalError as exc:
            return exc
    raise AssertionError("SQLite kept 100 kB in two pages")


async def test_a_full_state_database_is_named_to_the_person(
    fake: FakeDiscord, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """Without root, the full disk is SQLite's commit failing (the WAL cannot grow) after
    the row was written in the open transaction: it must be undone, and the person told."""
    bot: ConfBot
    async with running_bot(fake, tmp_path) as bot:
        assert bot.state is not None
        full = _disk_full()

        async def commit() -> None:
            raise full

        monkeypatch.setattr(bot.state._db.connection, "commit", commit)
        remind, announce = await _remind(fake), await _announce(fake)
        assert (remind.ephemeral, remind.data["content"]) == (True, DISK_FULL)
        assert (announce.ephemeral, announce.data["content"]) == (True, DISK_FULL)
        monkeypatch.undo()
        assert await bot.state.reminders.find("osdi24") == []
        assert await bot.state.announcements.find(fake.guild_id) == []
        assert "I'll DM you about **NOMAD" in (await _remind(fake)).data["content"]


async def test_a_read_only_state_is_named_to_the_person(fake: FakeDiscord, tmp_path: Path):
    bot: ConfBot
    async with running_bot(fake, tmp_path) as bot:
        assert bot.state is not None
        await bot.state._db.execute("PRAGMA query_only = 1")  # writes fail as SQLITE_READONLY
        remind, announce = await _remind(fake), await _announce(fake)
        assert remind.data["content"] == READ_ONLY
        assert announce.data["content"] == READ_ONLY
        await bot.state._db.execute("PRAGMA query_only = 0")
        assert await bot.state.reminders.find("osdi24") == []
        assert await bot.state.announcements.find(fake.guild_id) == []


# -- every command, button and form that writes the state database, on a full disk ------

MANAGE_EVENTS = 1 << 33
ORGANISER = DEFAULT_PERMISSIONS | MANAGE_GUILD | MANAGE_EVENTS
TWO = ",".join([str(BUNDLED), str(FRAB)])  # osdi24 and fixcon, both offered here


async def _organise(fake: FakeDiscord, name: str, **options: Any) -> Interaction:
    """A command as an organiser runs it, answered in full (a deferred one: its followup)."""
    interaction = await fake.send_command(name, user=fake.owner, permissions=ORGANISER,
                                          **options)  # fmt: skip
    return await _answered(fake, interaction)


async def _answered(fake: FakeDiscord, interaction: Interaction) -> Interaction:
    await fake.answer(interaction, timeout=30)
    if interaction.callback["type"] in (5, 6):  # deferred: the answer is the followup
        await asyncio.wait_for(interaction.followed_up.wait(), 30)
    return interaction


def _said(interaction: Interaction) -> tuple[bool, str]:
    """Whether the answer was private, and what it said."""
    if interaction.followups:
        last = interaction.followups[-1]
        return bool(int(last.get("flags") or 0) & EPHEMERAL), str(last.get("content"))
    return interaction.ephemeral, str(interaction.data.get("content"))


async def _kept(fake: FakeDiscord, bot: ConfBot, tmp_path: Path) -> dict[str, Any]:
    """Everything a write may leave: every row of the state database (read on the bot's
    own connection, so an open transaction that was not undone shows), what each server
    and person chose, each program version served or held, the sources' kept copies and
    the events published in Discord."""
    assert bot.state is not None
    db = bot.state._db
    async with bot.state._writing:  # not half-way through a write of the bot's own
        tables = [row[0] for row in await db.execute_fetchall(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]  # fmt: skip
        rows = {t: sorted(map(repr, await db.execute_fetchall(f'SELECT * FROM "{t}"')))
                for t in tables}  # fmt: skip
    conferences = bot.conferences
    sources = tmp_path / "confbot-state-sources"
    return {
        "rows": rows,
        "served": [_version(s) for s in conferences],
        "offered": [s.key for s in conferences.offered(fake.guild_id)],
        "default": conferences.default(fake.guild_id).key,
        "picked": [s.key for s in conferences.offered(None, int(fake.attendee["id"]))],
        "files": sorted(str(p) for p in sources.rglob("*")) if sources.exists() else [],
        "events": sorted(fake.scheduled_events),
    }


def _version(served: Served) -> tuple[str, str, int, bool]:
    """The version a conference serves (the very service object), and whether one is held."""
    return served.key, served.follower.seen, id(served.service), served.follower.held is not None


Step = Callable[[FakeDiscord, ConfBot, Path], Awaitable[Any]]


async def _nothing(fake: FakeDiscord, bot: ConfBot, tmp_path: Path) -> None:
    return None


def _command(name: str, organiser: bool = False, **given: Any) -> Step:
    """`name` run with options; an option given as a function is of the fake (its ids)."""

    async def run(fake: FakeDiscord, bot: ConfBot, tmp_path: Path) -> Interaction:
        options = {k: v(fake) if callable(v) else v for k, v in given.items()}
        if organiser:
            return await _organise(fake, name, **options)
        return await _answered(fake, await fake.send_command(name, **options))

    return run


def _commands(*steps: Step) -> Step:
    async def run(fake: FakeDiscord, bot: ConfBot, tmp_path: Path) -> None:
        for step in steps:
            await step(fake, bot, tmp_path)

    return run


async def _add_by_address(fake: FakeDiscord, bot: ConfBot, tmp_path: Path) -> Interaction:
    async with serving(program_app(FRAB.read_bytes())) as base:
        return await _organise(fake, "conference add", source=f"{base}/schedule.json")


async def _preview(fake: FakeDiscord, bot: ConfBot, tmp_path: Path) -> Interaction:
    edit(bot.settings.program, retitle("Renamed by the organisers"))
    return await _organise(fake, "program reload")


async def _apply_preview(fake: FakeDiscord, bot: ConfBot, tmp_path: Path) -> Interaction:
    preview = fake.interactions[max(fake.interactions)]  # the setup's /program reload
    message, apply_id = apply_button(preview)
    pressed = await fake.click_message(message, apply_id, user=fake.owner, permissions=ORGANISER)
    return await _answered(fake, pressed)


async def _hold(fake: FakeDiscord, bot: ConfBot, tmp_path: Path) -> None:
    edit(bot.settings.program, keep_one_event)  # removes most talks: held for an organiser
    assert await bot.follower.check() is None and bot.follower.held is not None


def _frab(tmp_path: Path) -> dict[str, str]:
    return {"CONFBOT_PROGRAM": str(frab_copy(tmp_path))}


@dataclass(frozen=True)
class Writer:
    """A command, button or form that writes the state database: what it needs first
    (with a disk that still has room), and pressing or running it on a full one."""

    act: Step
    setup: Step = _nothing
    env: Callable[[Path], dict[str, str]] = lambda _: {}


def _channel(fake: FakeDiscord) -> int:
    return fake.channel_id


def _forum(fake: FakeDiscord) -> int:
    return fake.forum_id


def _room_channel(fake: FakeDiscord) -> int:
    return fake.room_channel_id


REMIND = _command("remind", item="p:xiang", minutes_before=20)
ANNOUNCE = _command("announce channel", organiser=True, channel=_channel, minutes_before=20)
QA = _command("qa channel", organiser=True, forum=_forum)
STREAM = _command("stream set", organiser=True, room=BALLROOM, url=STREAM_URL)
ROOM = _command("announce room", organiser=True, room=BALLROOM, channel=_room_channel)
PUBLISH = _command("publish-events", organiser=True)
WRITERS = {
    "/forget item": Writer(_command("forget item", item="p:xiang"), REMIND),
    "/forget all": Writer(_command("forget all"), REMIND),
    "/announce room": Writer(ROOM),
    "/announce room without a channel": Writer(
        _command("announce room", organiser=True, room=BALLROOM), ROOM
    ),
    "/announce off": Writer(_command("announce off", organiser=True), ANNOUNCE),
    "/stream set": Writer(STREAM),
    "/stream clear": Writer(_command("stream clear", organiser=True, room=BALLROOM), STREAM),
    "/qa channel": Writer(QA),
    "/qa off": Writer(_command("qa off", organiser=True), QA),
    "/publish-events": Writer(PUBLISH),
    "/publish-events remove": Writer(
        _command("publish-events", organiser=True, action="remove"), PUBLISH
    ),
    "/conference use": Writer(
        _command("conference use", conference="fixcon"), env=lambda _: {"CONFBOT_PROGRAM": TWO}
    ),
    "/conference default": Writer(
        _command("conference default", organiser=True, conference="fixcon"),
        env=lambda _: {"CONFBOT_PROGRAM": TWO},
    ),
    "/conference remove": Writer(
        _command("conference remove", organiser=True, conference="fixcon"),
        env=lambda _: {"CONFBOT_PROGRAM": TWO},
    ),
    "/conference add of a conference served": Writer(
        _command("conference add", organiser=True, source="fixcon"),
        _command("conference remove", organiser=True, conference="fixcon"),
        env=lambda _: {"CONFBOT_PROGRAM": TWO},
    ),
    "/conference add of an address": Writer(
        _add_by_address, env=lambda _: {"CONFBOT_ALLOW_PRIVATE_SOURCES": "yes"}
    ),
    "/program apply": Writer(_command("program apply", organiser=True), _hold, _frab),
    "the Apply button of /program reload": Writer(_apply_preview, _preview, _frab),
}


@pytest.mark.parametrize("writer", list(WRITERS))
async def test_a_full_state_database_is_named_for_every_write_and_nothing_is_kept(
    fake: FakeDiscord, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, writer: str
):
    """Each command, button and form that writes state, with SQLite's commit failing as
    on a full disk (see test_a_full_state_database_is_named_to_the_person)."""
    fake.now = pacific("2024-07-10T10:50")  # Discord refuses events that start in the past
    case = WRITERS[writer]
    async with running_bot(fake, tmp_path, **case.env(tmp_path)) as bot:
        assert bot.state is not None
        await case.setup(fake, bot, tmp_path)
        full = _disk_full()

        async def commit() -> None:
            raise full

        monkeypatch.setattr(bot.state._db.connection, "commit", commit)
        before = await _kept(fake, bot, tmp_path)
        answer = await case.act(fake, bot, tmp_path)
        assert _said(answer) == (True, DISK_FULL)
        assert await _kept(fake, bot, tmp_path) == before
        monkeypatch.undo()


# -- a new version the follower's own check reads, on a full disk -----------------------


def _change_notices(fake: FakeDiscord) -> list[dict[str, Any]]:
    dms = fake.channel_messages.get(fake.dm_channels.get(int(fake.attendee["id"]), 0), [])
    return [m for m in dms if m["embeds"] and m["embeds"][0]["title"].startswith("📢")]


async def test_a_synced_version_the_state_cannot_keep_waits_for_the_disk_and_is_told_once(
    fake: FakeDiscord, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
):  # fmt: skip
    """The periodic sync reads a new version while SQLite's commit fails (a full disk): it
    is not served (nobody would hear of its changes), the log says why once however often
    it is tried, and the first check once the disk has room applies it, told once."""
    program = tmp_path / "osdi24"
    shutil.copytree(BUNDLED_PROGRAM, program)
    async with running_bot(fake, tmp_path, CONFBOT_PROGRAM=str(program)) as bot:
        state, follower = bot.state, bot.follower
        assert state is not None
        assert "I'll DM you about **NOMAD" in (await _remind(fake)).data["content"]
        before, seen = bot.service, follower.seen
        full = _disk_full()

        async def commit() -> None:
            raise full

        monkeypatch.setattr(state._db.connection, "commit", commit)
        move_talk(program, "NOMAD", "2024-07-10T11:40", "2024-07-10T12:00")
        with caplog.at_level(logging.WARNING, logger="bot.live.sync"):
            for tries in (1, 2):
                poll_source(bot)
                await wait_for(lambda: follower.status.failures >= tries, timeout=15,  # noqa: B023
                               what=f"check {tries} on a full disk")  # fmt: skip
        assert bot.service is before and follower.seen == seen and bot.holder.swaps == 0
        assert "the disk is full" in (follower.status.error or "")
        said = [r for r in caplog.records if r.name == "bot.live.sync"]
        assert [r.levelno for r in said] == [logging.ERROR], [r.getMessage() for r in said]
        assert "new version is not served" in said[0].getMessage()
        assert "the disk is full" in said[0].getMessage()
        monkeypatch.undo()
        assert await state.versions.changes(bot.service.conference.key) == []

        poll_source(bot)
        await wait_for(lambda: bot.holder.swaps == 1, timeout=15, what="the version applied")
        assert follower.status.failures == 0 and follower.status.error is None
        await wait_for(lambda: _change_notices(fake), timeout=15, what="the change notice")
        changes = await state.versions.changes(bot.service.conference.key)
        assert len({c.sync_id for c in changes}) == 1 and "NOMAD" in changes[0].title
        assert await follower.check() is None  # nothing new: nothing applied or told again
        assert bot.holder.swaps == 1
        assert await state.versions.changes(bot.service.conference.key) == changes
        assert len(await state.ledger.deliveries(kind=DeliveryKind.NOTICE)) == 1
        assert len(_change_notices(fake)) == 1
