"""A start on an empty disk (a platform that wipes it on every deploy), with the state
database kept: the program is served from the version the state says was served last,
with the source down and no local file, and is then followed as usual, its validators
sent on the next check. What the bot does at start for each conference is done here as it
does it (bot.app.load_service, then Served.open), short of its background tasks: a test
runs the follower's checks itself. Through Discord: tests/e2e/test_empty_disk_e2e.py."""

from __future__ import annotations

import errno
import logging
import os
import shutil
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiohttp import web

from bot.app import load_service
from bot.changes import RecordedChange
from bot.clock import FixedClock
from bot.delivery.pacer import Pacer
from bot.live import remote as remote_module
from bot.live.conference import Served, Serving
from bot.live.diff import Change
from bot.live.remote import Download, RemoteProgram, Validators, meta_path
from bot.settings import BUNDLED_PROGRAM, Settings, SettingsError
from bot.store.conferences_store import AddedSource
from bot.store.connection import WriteFailed
from bot.store.dialect import Dialect
from bot.store.state import StateStore
from bot.store.versions_store import FromSource
from tests.conftest import pacific
from tests.local_servers import Switchable, switchable
from tests.program_edits import move_talk
from tests.reminder_helpers import RecordingSender
from tests.state_backends import StateBackend
from tests.test_live_remote import retitled

FRAB = Path(__file__).parent / "fixtures" / "programs" / "frab-v1.json"


@dataclass
class Answers:
    """What the organisers' server answers next, and the validator each request sent."""

    body: bytes = FRAB.read_bytes()
    etag: str = '"v1"'
    sent: list[str | None] = field(default_factory=list)  # If-None-Match, request by request
    not_modified: int = 0


@pytest.fixture
async def source() -> AsyncIterator[tuple[Answers, Switchable]]:
    answers = Answers()

    async def schedule(request: web.Request) -> web.Response:
        answers.sent.append(request.headers.get("If-None-Match"))
        if request.headers.get("If-None-Match") == answers.etag:
            answers.not_modified += 1
            return web.Response(status=304)
        return web.Response(body=answers.body, headers={"ETag": answers.etag})

    app = web.Application()
    app.router.add_get("/schedule.json", schedule)
    async with switchable(app) as server:
        yield answers, server


@pytest.fixture
def empty_disk(tmp_path_factory: pytest.TempPathFactory) -> Callable[[], Path]:
    """A fresh, empty folder for every path the bot keeps on disk, at each call."""
    return lambda: tmp_path_factory.mktemp("disk")


def on_disk(backend: StateBackend, program: str, disk: Path) -> Settings:
    """The settings of a start whose every path but the state's is on `disk`."""
    env = {"CONFBOT_PROGRAM": program, "CONFBOT_DB": str(disk / "confbot.db")}
    return backend.settings(Settings.from_mapping(env))


async def refuse_writes(backend: StateBackend, state: StateStore, refused: bool = True) -> None:
    """Every write fails from now on (until called with False), as on a read-only file
    or a standby server: a refused save, whatever its size."""
    if backend.dialect is Dialect.SQLITE:
        await state._db.execute(f"PRAGMA query_only = {int(refused)}")
    else:
        await state._db.execute(f"SET default_transaction_read_only = {'on' if refused else 'off'}")


async def _no_follow_up(served: Served, changes: list[Change]) -> None:
    return None


async def start(settings: Settings, state: StateStore) -> Served:
    """One conference started as the bot starts it (see the module's docstring)."""
    loaded = await load_service(settings, state=state)
    clock = FixedClock(pacific("2024-07-10T10:50"))
    serving = Serving(state, clock, RecordingSender(), Pacer(0), settings, _no_follow_up,
                      "one-process")  # fmt: skip
    served = Served(loaded.service, settings, serving, loaded.report)
    await served.open()
    return served


def titles(served: Served) -> set[str]:
    return {talk.title for talk in served.service.program.talks}


@pytest.fixture
async def state(state_backend: StateBackend) -> AsyncIterator[StateStore]:
    opened = await state_backend.open()
    try:
        yield opened
    finally:
        await opened.close()


async def test_an_address_restarts_on_an_empty_disk_from_the_version_served_last(
    source, state_backend: StateBackend, state: StateStore, empty_disk
):
    answers, server = source
    url = f"{server.base}/schedule.json"
    first = await start(on_disk(state_backend, url, empty_disk()), state)
    # The source moves on, and the bot with it, before the restart.
    answers.body, answers.etag = retitled(answers.body, "Moved On"), '"v2"'
    assert await first.follower.check()
    await server.down()

    disk = empty_disk()
    again = await start(on_disk(state_backend, url, disk), state)
    assert "Moved On" in titles(again)
    assert again.service.program == first.service.program
    assert again.follower.seen == first.follower.seen
    # Served again, not a new version: its change is kept (and told) once.
    assert len(await state.versions.changes(again.key)) == 1
    assert (disk / "confbot-source").read_bytes() == answers.body  # the cache, back
    assert await again.follower.check() is None
    assert "could not be reached" in (again.follower.status.error or "")

    await server.up()  # followed as usual: the first check that reaches it is a 304
    assert await again.follower.check() is None
    assert answers.sent[-1] == '"v2"' and answers.not_modified == 1
    assert again.holder.swaps == 0 and again.follower.status.error is None


async def test_a_copy_the_disk_kept_wrong_is_written_back_from_the_state(
    source, state_backend: StateBackend, state: StateStore, empty_disk, monkeypatch
):
    """The state is the truth: a copy the disk failed to replace after the state kept a
    newer version is the older version, and a restart serves the state's, not it."""
    answers, server = source
    url = f"{server.base}/schedule.json"
    settings = on_disk(state_backend, url, empty_disk())
    first = await start(settings, state)
    remote = first.follower.remote
    assert remote is not None

    def full(download: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(remote, "keep", full)
    old = settings.program.read_bytes()
    answers.body, answers.etag = retitled(answers.body, "Kept in the state"), '"v2"'
    assert await first.follower.check()
    assert settings.program.read_bytes() == old
    await server.down()

    again = await start(settings, state)  # the same disk
    assert "Kept in the state" in titles(again)
    assert settings.program.read_bytes() == answers.body
    await server.up()
    assert await again.follower.check() is None and answers.sent[-1] == '"v2"'


def _frab(folder: Path) -> Path:
    folder.mkdir()
    shutil.copy(FRAB, folder / "frab.json")
    return folder / "frab.json"


def _osdi(folder: Path) -> Path:
    shutil.copytree(BUNDLED_PROGRAM, folder / "osdi24")
    return folder / "osdi24"


def _edited_frab(path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(retitled(FRAB.read_bytes(), "Back Again"))
    return "Back Again"


def _edited_osdi(path: Path) -> str:
    shutil.copytree(BUNDLED_PROGRAM, path)
    move_talk(path, "NOMAD", "2024-07-10T11:40", "2024-07-10T12:00")
    return "NOMAD"


@pytest.mark.parametrize(("make", "put_back"), [(_frab, _edited_frab), (_osdi, _edited_osdi)],
                         ids=["one file", "a folder"])  # fmt: skip
async def test_a_missing_program_path_is_served_from_the_state_with_a_warning(
    state_backend: StateBackend, state: StateStore, empty_disk, tmp_path: Path, caplog,
    make, put_back,
):  # fmt: skip
    program = make(tmp_path / "programs")
    first = await start(on_disk(state_backend, str(program), empty_disk()), state)
    shutil.rmtree(program.parent)  # the program's folder went with the disk

    with caplog.at_level(logging.WARNING):
        again = await start(on_disk(state_backend, str(program), empty_disk()), state)
    assert again.service.program == first.service.program
    assert f"{program} does not exist: serving the version of it served last" in caplog.text
    # The same version (its files hash the same, names included): not kept a second time.
    assert again.follower.seen == first.follower.seen
    assert len(await state.versions.newest_first()) == 1

    # Still followed at its path: missing, the check says so; back, it is read.
    assert await again.follower.check() is None and again.follower.status.error
    title = put_back(program)
    changes = await again.follower.check()
    assert changes and changes[0].title.startswith(title)


async def test_with_no_version_kept_and_no_file_the_start_says_so(
    source, state_backend: StateBackend, state: StateStore, empty_disk, tmp_path: Path
):
    missing = tmp_path / "gone.json"
    with pytest.raises(SettingsError, match=rf"^CONFBOT_PROGRAM={missing} does not exist; give"):
        await start(on_disk(state_backend, str(missing), empty_disk()), state)
    _, server = source
    await server.down()
    with pytest.raises(SettingsError, match="no copy of it is kept yet to start from"):
        await start(on_disk(state_backend, f"{server.base}/schedule.json", empty_disk()), state)


async def test_a_damaged_version_in_the_state_is_one_sentence_and_the_source_is_read(
    source, state_backend: StateBackend, state: StateStore, empty_disk, caplog
):
    _, server = source
    url = f"{server.base}/schedule.json"
    first = await start(on_disk(state_backend, url, empty_disk()), state)
    await state._db.execute("UPDATE program_versions SET archive = ?", (b"PK\x03\x04 cut",))

    with caplog.at_level(logging.WARNING):
        again = await start(on_disk(state_backend, url, empty_disk()), state)
    assert again.service.program == first.service.program  # fetched, as if none were kept
    (said,) = [r for r in caplog.records if "damaged" in r.getMessage()]
    assert said.getMessage().startswith(
        f"the version of {first.key} kept in the state database is damaged ("
    )
    assert "put the program back" in said.getMessage() and said.exc_info is None


async def test_a_damaged_version_of_a_missing_program_path_leaves_the_missing_path_said(
    state_backend: StateBackend, state: StateStore, empty_disk, tmp_path: Path, caplog
):
    program = _frab(tmp_path / "programs")
    first = await start(on_disk(state_backend, str(program), empty_disk()), state)
    shutil.rmtree(program.parent)
    await state._db.execute("UPDATE program_versions SET archive = ?", (b"not a zip",))

    with caplog.at_level(logging.WARNING), pytest.raises(SettingsError, match="does not exist"):
        await start(on_disk(state_backend, str(program), empty_disk()), state)
    (said,) = [r for r in caplog.records if "damaged" in r.getMessage()]
    assert f"the version of {first.key} kept in the state database" in said.getMessage()


async def test_a_version_the_state_refuses_leaves_everything_as_it_was(
    source, state_backend: StateBackend, state: StateStore, empty_disk
):
    """Kept first: refused, nothing is switched, neither what is served, nor the copy on
    disk and its validators, nor what the state says is served (so a restart on an empty
    disk serves the old version, and sends the old validators)."""
    answers, server = source
    url = f"{server.base}/schedule.json"
    settings = on_disk(state_backend, url, empty_disk())
    first = await start(settings, state)
    copy, validators = settings.program.read_bytes(), meta_path(settings.program).read_bytes()
    answers.body, answers.etag = retitled(answers.body, "Refused"), '"v2"'
    await refuse_writes(state_backend, state)
    with pytest.raises(WriteFailed):
        await first.follower.check()
    await refuse_writes(state_backend, state, False)
    assert first.holder.swaps == 0 and "Refused" not in titles(first)
    assert settings.program.read_bytes() == copy
    assert meta_path(settings.program).read_bytes() == validators
    kept = await state.versions.kept_source(url)
    assert kept is not None and (kept.fingerprint, kept.etag) == (first.follower.seen, '"v1"')

    await server.down()
    again = await start(on_disk(state_backend, url, empty_disk()), state)
    assert "Refused" not in titles(again)
    await server.up()
    changes = await again.follower.check()
    assert answers.sent[-1] == '"v1"'
    assert changes and changes[0].title == "Refused"


async def test_new_validators_for_the_version_served_are_kept_in_the_state_first(
    source, state_backend: StateBackend, state: StateStore, empty_disk
):
    answers, server = source
    url = f"{server.base}/schedule.json"
    settings = on_disk(state_backend, url, empty_disk())
    first = await start(settings, state)
    answers.etag = '"v1, again"'  # the same body under a new ETag
    assert await first.follower.check() is None
    kept = await state.versions.kept_source(url)
    assert kept is not None and kept.etag == '"v1, again"'

    answers.etag = '"v1, refused"'
    validators = meta_path(settings.program).read_bytes()
    await refuse_writes(state_backend, state)
    with pytest.raises(WriteFailed):
        await first.follower.check()
    await refuse_writes(state_backend, state, False)
    assert meta_path(settings.program).read_bytes() == validators

    answers.etag = '"v1, again"'
    again = await start(on_disk(state_backend, url, empty_disk()), state)
    assert await again.follower.check() is None
    assert answers.sent[-1] == '"v1, again"' and answers.not_modified == 1


async def test_a_copy_kept_before_the_state_kept_sources_is_kept_there_at_start(
    source, state_backend: StateBackend, state: StateStore, empty_disk
):
    """A bot upgraded from one that kept the copy and its validators only as files: its
    first start keeps them in the state, and the next start needs no disk."""
    answers, server = source
    url = f"{server.base}/schedule.json"
    settings = on_disk(state_backend, url, empty_disk())
    await load_service(settings)  # the copy as an older bot kept it, the state unaware
    assert await state.versions.kept_source(url) is None
    await server.down()
    await start(settings, state)
    kept = await state.versions.kept_source(url)
    assert kept is not None and kept.etag == '"v1"'
    again = await start(on_disk(state_backend, url, empty_disk()), state)
    await server.up()
    assert await again.follower.check() is None and answers.sent[-1] == '"v1"'


# -- the state's side ---------------------------------------------------------------------


async def test_a_source_is_kept_with_its_version_in_one_write(state: StateStore):
    where = "https://pretalx.example/c/schedule.json"
    await state.versions.serve("c", "v1", None, 1, b"zip1", (), FromSource(where, '"e1"'))
    # The version row and the source's go in; a change kept with them fails (a title is
    # required): none of the write stays.
    broken = RecordedChange(0, 0, "p:1", ("s:x",), None, (), None, (1, 2, "A"))  # type: ignore[arg-type]
    with pytest.raises(Exception, match=r"(?i)null"):  # the backend's own integrity error
        await state.versions.serve("c", "v2", None, 2, b"zip2", [broken],
                                   FromSource(where, '"e2"'))  # fmt: skip
    kept = await state.versions.kept_source(where)
    assert kept is not None and (kept.fingerprint, kept.etag, kept.kept_ts) == ("v1", '"e1"', 1)
    assert await state.versions.kept_archive("c", "v1") == b"zip1"
    assert await state.versions.kept_archive("c", "v2") is None


async def test_a_source_no_server_offers_any_more_is_forgotten(state: StateStore):
    """A server adding the address again starts from what it fetches then."""
    where = "https://pretalx.example/c/schedule.json"
    await state.conferences.add_source(AddedSource("c-pretalx", where, 1), 1)
    await state.versions.serve("c-pretalx", "v1", None, 1, b"zip", (), FromSource(where))
    await state.versions.serve("osdi24", "v1", None, 1, b"zip", (), FromSource("data/osdi24"))
    await state.conferences.offer(1, ["c-pretalx"], "c-pretalx", 1)
    assert not await state.conferences.drop_source("c-pretalx")  # offered: kept, both
    assert await state.versions.kept_source(where) is not None
    await state.conferences.forget_server(1)
    assert await state.conferences.drop_source("c-pretalx")
    assert await state.versions.kept_source(where) is None
    assert await state.versions.kept_source("data/osdi24") is not None


def test_two_processes_writing_the_copy_back_at_once_both_start(tmp_path: Path, monkeypatch):
    """Processes sharing a disk each write an address's copy back at start (in a cluster,
    every process restores; only the leader kept versions before): one's write landing
    between the other's write and rename took the file that rename wanted (a start
    failing on FileNotFoundError, 2 starts in 80 when four raced)."""
    remote = RemoteProgram("https://pretalx.example/c/schedule.json", tmp_path / "copy")
    download = Download(FRAB.read_bytes(), Validators('"v1"'))
    real, nested = os.replace, []

    def another_write_first(src: str | Path, dst: str | Path) -> None:
        if not nested:  # the other process, just between this one's write and rename
            nested.append(src)
            remote.write(download)
        real(src, dst)

    monkeypatch.setattr(remote_module.os, "replace", another_write_first)
    remote.write(download)
    assert remote.copy.read_bytes() == download.body and remote.validators.etag == '"v1"'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["copy", "copy.json"]  # no trial left
