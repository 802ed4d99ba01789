"""Following the program files while the bot runs (bot.live.sync)."""

from __future__ import annotations

import asyncio
import logging
import shutil
from pathlib import Path
from typing import Any

import pytest

from bot.changes import ChangeKind
from bot.clock import FixedClock
from bot.importer.registry import read_source
from bot.live.holder import ProgramHolder
from bot.live.sync import MAX_BACKOFF, Candidate, ProgramFollower, StaleCandidate
from bot.service import ProgramService
from bot.settings import BUNDLED_PROGRAM, Settings
from bot.store.connection import WriteFailed, WriteFailure
from tests.conftest import HeldIndexing, pacific
from tests.program_edits import edit, keep_one_event, move_talk, retitle


@pytest.fixture
def program_dir(tmp_path: Path) -> Path:
    copy = tmp_path / "osdi24"
    shutil.copytree(BUNDLED_PROGRAM, copy)
    return copy


@pytest.fixture
def follower(program_dir: Path, service: ProgramService) -> ProgramFollower:
    settings = Settings.from_mapping({"CONFBOT_PROGRAM": str(program_dir),
                                      "CONFBOT_SYNC_INTERVAL": "60"})  # fmt: skip
    clock = FixedClock(pacific("2024-07-10T10:50"))
    return ProgramFollower(settings, ProgramHolder(service, clock.now()), clock)


async def test_unchanged_files_are_not_read_again(follower: ProgramFollower):
    assert await follower.check() is None
    assert follower.holder.swaps == 0
    assert follower.status.checked_ts is not None and follower.status.error is None


async def test_an_edited_file_is_swapped_in_with_its_changes(follower, program_dir):
    move_talk(program_dir, "NOMAD", "2024-07-10T11:10", "2024-07-10T11:30")
    changes = await follower.check()
    assert changes is not None
    (change,) = changes
    assert change.key == "xiang" and change.kinds == (ChangeKind.MOVED,)
    assert follower.holder.swaps == 1
    nomad = follower.holder.service.talks["xiang"]
    assert nomad.slot.start == pacific("2024-07-10T11:10")
    assert follower.status.changes == 1 and follower.status.changed_ts is not None


async def test_a_broken_file_keeps_the_program_and_says_why(follower, program_dir, caplog):
    before = follower.holder.service
    (program_dir / "schedule.json").write_text("{ not json", encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        assert await follower.check() is None
        assert await follower.check() is None
    assert follower.holder.service is before
    assert follower.status.failures == 2 and "schedule.json" in (follower.status.error or "")
    warnings = [r for r in caplog.records if "does not read" in r.getMessage()]
    assert len(warnings) == 1  # once per streak
    assert follower.delay() == 60 * 4  # backing off


async def test_a_woken_follower_checks_before_its_interval_is_over(follower, program_dir):
    """wake() cuts the wait (60 s here) short, as a scheduler's does."""
    follower.start()
    try:
        move_talk(program_dir, "NOMAD", "2024-07-10T11:10", "2024-07-10T11:30")
        follower.wake()
        for _ in range(2000):  # a check reads the program in a thread: poll, no clock
            if follower.holder.swaps:
                break
            await asyncio.sleep(0.005)
        assert follower.holder.swaps == 1
    finally:
        await follower.stop()


async def test_a_fixed_file_is_taken_after_a_broken_one(follower, program_dir):
    schedule = program_dir / "schedule.json"
    good = schedule.read_text(encoding="utf-8")
    schedule.write_text("{ not json", encoding="utf-8")
    await follower.check()
    schedule.write_text(good, encoding="utf-8")
    move_talk(program_dir, "NOMAD", "2024-07-10T11:10", "2024-07-10T11:30")
    assert await follower.check() is not None
    assert follower.status.failures == 0 and follower.status.error is None
    assert follower.delay() == 60


FRAB = Path(__file__).parent / "fixtures" / "programs" / "frab-v1.json"


@pytest.fixture
def frab(tmp_path: Path) -> tuple[Path, ProgramFollower]:
    """A community program (frab JSON) followed from a file we can change freely."""
    path = tmp_path / "schedule.json"
    shutil.copy(FRAB, path)
    settings = Settings.from_mapping({"CONFBOT_PROGRAM": str(path)})
    clock = FixedClock(pacific("2024-07-10T10:50"))
    service = ProgramService(read_source(path).program)
    return path, ProgramFollower(settings, ProgramHolder(service, clock.now()), clock)


async def test_a_new_version_is_indexed_in_a_daemon_thread_before_it_is_swapped_in(
    frab: tuple[Path, ProgramFollower], held_indexing: HeldIndexing
):
    path, follower = frab

    def rename_opening(conference: dict) -> None:
        conference["days"][0]["rooms"]["Hall A"][0]["title"] = "Opening ceremony"

    edit(path, rename_opening)
    checking = asyncio.create_task(follower.check())
    await held_indexing.under_way()  # the event loop turns while the build is held
    assert follower.holder.swaps == 0
    held_indexing.release.set()
    assert await checking
    assert follower.holder.swaps == 1 and follower.holder.service.indexed
    (thread,) = held_indexing.threads
    assert thread.daemon  # a shutdown does not wait for it (see bot.tasks)


async def test_a_version_removing_most_talks_is_held_not_applied(frab):
    path, follower = frab
    before = follower.holder.service
    assert len(before.program.talks) >= 3
    edit(path, keep_one_event)
    assert await follower.check() is None
    assert follower.holder.service is before
    assert follower.status.held is not None and "removes" in str(follower.status.held)
    assert await follower.check() is None  # the same version stays held
    changes = await follower.apply_held()
    assert changes and follower.holder.service is not before and follower.status.held is None


async def test_a_discarded_version_is_not_offered_again(frab):
    path, follower = frab
    before = follower.holder.service
    edit(path, keep_one_event)
    await follower.check()
    assert follower.discard_held()
    assert await follower.check() is None
    assert follower.held is None and follower.holder.service is before


async def test_another_conference_is_held(frab):
    path, follower = frab

    def rename(conference: dict) -> None:
        conference["acronym"], conference["title"] = "other", "Another Conference"

    edit(path, rename)
    assert await follower.check() is None
    assert "another conference" in str(follower.status.held or "")


def notices(follower: ProgramFollower) -> list[int]:
    """How many changes each notice the follower gives tells of, as it gives them."""
    told: list[int] = []

    async def on_change(changes: list[Any]) -> None:
        told.append(len(changes))

    follower.on_change = on_change
    return told


async def test_a_candidate_applied_already_is_refused_and_tells_nobody_again(frab):
    path, follower = frab
    told = notices(follower)
    edit(path, retitle("Renamed once"))
    preview = await follower.candidate()
    assert preview is not None
    assert await follower.check() == preview.changes  # a sync applied the same version
    with pytest.raises(StaleCandidate):
        await follower.apply(preview)
    assert follower.holder.swaps == 1 and told == [1]


async def test_a_candidate_read_before_a_newer_version_never_reverts_it(frab):
    path, follower = frab
    edit(path, retitle("First edit"))
    preview = await follower.candidate()
    assert preview is not None
    edit(path, retitle("Second edit"))
    assert await follower.check() is not None
    with pytest.raises(StaleCandidate):
        await follower.apply(preview)
    titles = {t.title for t in follower.holder.service.program.talks}
    assert "Second edit" in titles and "First edit" not in titles
    assert follower.holder.swaps == 1


async def test_a_candidate_applied_twice_changes_nothing_the_second_time(frab):
    """The preview's Apply pressed twice (a double click, a retry): one swap, one notice."""
    path, follower = frab
    told = notices(follower)
    edit(path, retitle("Renamed"))
    preview = await follower.candidate()
    assert preview is not None
    assert await follower.apply(preview) == preview.changes
    served = follower.holder.service
    with pytest.raises(StaleCandidate):
        await follower.apply(preview)
    assert follower.holder.service is served and follower.holder.swaps == 1 and told == [1]
    assert await follower.check() is None  # and the sync has nothing left to apply


async def test_two_applies_of_one_candidate_at_once_apply_it_once(frab):
    path, follower = frab
    edit(path, retitle("Renamed"))
    preview = await follower.candidate()
    assert preview is not None
    first, second = await asyncio.gather(
        follower.apply(preview), follower.apply(preview), return_exceptions=True
    )
    assert isinstance(second, StaleCandidate) and first == preview.changes
    assert follower.holder.swaps == 1


async def test_a_source_served_under_a_key_of_its_own_keeps_it_across_versions(tmp_path):
    """A source a server added whose program names a key another source has is served
    under another key (bot.live.conferences.free_key): its new versions are too, and
    are not held as "another conference" for naming the key they always named."""
    path = tmp_path / "schedule.json"
    shutil.copy(FRAB, path)
    settings = Settings.from_mapping({"CONFBOT_PROGRAM": str(path)})
    clock = FixedClock(pacific("2024-07-10T10:50"))
    program = read_source(path).program
    holder = ProgramHolder(ProgramService(program.under_key("fixcon-example-org")), clock.now())
    follower = ProgramFollower(settings, holder, clock, key="fixcon-example-org",
                               source_key=program.conference.key)  # fmt: skip
    edit(path, retitle("Renamed"))
    assert await follower.check() is not None
    assert follower.holder.service.conference.key == "fixcon-example-org"

    def rename(conference: dict) -> None:
        conference["acronym"], conference["title"] = "other", "Another Conference"

    edit(path, rename)
    assert await follower.check() is None
    assert "another conference" in str(follower.status.held or "")


# -- any failure to read a version: one sentence, one warning, a growing wait -----------


def failure_logs(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "bot.live.sync" and r.levelno >= logging.WARNING]


async def test_a_version_with_a_huge_number_is_a_status_sentence_and_one_warning(frab, caplog):
    path, follower = frab
    before = follower.holder.service
    path.write_text(
        path.read_text(encoding="utf-8").replace('"id": 1,', '"id": ' + "7" * 5000 + ",", 1),
        encoding="utf-8",
    )
    with caplog.at_level(logging.WARNING):
        for _ in range(3):
            assert await follower.check() is None
    assert follower.holder.service is before
    error = follower.status.error or ""
    assert "a number of 5,000 characters" in error and "\n" not in error
    (warning,) = failure_logs(caplog)
    assert warning.levelno == logging.WARNING and warning.exc_info is None
    assert follower.status.failures == 3
    assert follower.delay() == follower.settings.sync_interval * 8


async def test_an_unexpected_failure_is_a_status_sentence_and_one_warning_with_its_traceback(
    frab, monkeypatch: pytest.MonkeyPatch, caplog
):
    path, follower = frab

    def broken_reader(source: Path, zone: str | None = None) -> object:
        raise RuntimeError("a reader's bug\nwith a second line")

    monkeypatch.setattr("bot.live.sync.read_source", broken_reader)
    edit(path, lambda conference: conference.update(title="Renamed"))
    with caplog.at_level(logging.WARNING):
        assert await follower.check() is None
        assert await follower.check() is None
    assert follower.status.error == "reading it failed unexpectedly (RuntimeError: a reader's bug)"
    (warning,) = failure_logs(caplog)  # once, with the traceback: a bug, for the operator
    assert warning.exc_info is not None and warning.exc_info[0] is RuntimeError
    assert follower.status.failures == 2
    assert follower.delay() == follower.settings.sync_interval * 4


async def test_the_wait_grows_to_its_cap_and_resets_once_a_version_reads(frab):
    path, follower = frab
    good = path.read_text(encoding="utf-8")
    path.write_text("{ not json", encoding="utf-8")
    for _ in range(20):
        await follower.check()
    assert follower.delay() == MAX_BACKOFF
    path.write_text(good.replace('"Opening"', '"Opening Words"'), encoding="utf-8")
    assert await follower.check() is not None
    assert follower.status.error is None and follower.delay() == follower.settings.sync_interval


# -- one read of a new version at a time ---------------------------------------------------


async def test_reloads_pressed_together_read_the_new_version_once(
    frab, monkeypatch: pytest.MonkeyPatch
):
    """A reload pressed again and again (or during a sync's check) shares the read under
    way: one worker thread, however many presses."""
    path, follower = frab
    reads: list[Path] = []

    def counted(source: Path, zone: str | None = None) -> Any:
        reads.append(source)
        return read_source(source, zone)

    monkeypatch.setattr("bot.live.sync.read_source", counted)
    edit(path, retitle("Renamed"))
    previews = await asyncio.gather(*(follower.candidate() for _ in range(6)), follower.check())
    assert len(reads) == 1
    assert previews[0] is not None and all(p is previews[0] for p in previews[1:6])
    assert follower.holder.swaps == 1  # the check applied what the presses previewed


async def test_a_reload_given_up_leaves_the_read_to_the_others(frab):
    path, follower = frab
    edit(path, retitle("Renamed"))
    impatient = asyncio.create_task(follower.candidate())
    patient = asyncio.create_task(follower.candidate())
    await asyncio.sleep(0)  # both are waiting on the one read
    impatient.cancel()
    preview = await patient
    assert preview is not None and impatient.cancelled()


async def test_a_held_version_the_state_cannot_keep_stays_held_and_is_told_once(frab):
    """/program apply on a full disk: nothing switched (the person is told nothing was
    saved, and it is so); applied again once there is room, and told once."""
    path, follower = frab
    told = notices(follower)
    before, seen = follower.holder.service, follower.seen
    kept: list[str] = []

    async def keep(candidate: Candidate) -> None:
        assert follower.holder.swaps == 0  # kept before anything is switched
        if not kept:
            kept.append("refused")
            raise WriteFailed(path, WriteFailure.DISK_FULL, "database or disk is full")
        kept.append(candidate.seen)

    follower.keep = keep
    edit(path, keep_one_event)
    assert await follower.check() is None and follower.held is not None
    held = follower.held
    with pytest.raises(WriteFailed):
        await follower.apply_held()
    assert follower.holder.service is before and follower.seen == seen
    assert follower.held is held and follower.status.held is not None and told == []
    changes = await follower.apply_held()
    assert changes and told == [len(changes)] and kept == ["refused", follower.seen]
    assert follower.held is None and await follower.apply_held() is None


async def test_a_follower_woken_as_it_is_stopped_stops(follower: ProgramFollower):
    """Python 3.11's asyncio.wait_for returns the result of a wait that ended as it was
    cancelled, swallowing the cancellation: a check asked for (an organiser's reload, a
    test's poll) just as the bot closed left the follower waiting an interval more, and
    the close with it (an hour, at a sync interval of an hour)."""
    follower.start()
    await asyncio.sleep(0)  # waiting out its interval
    follower.wake()
    await asyncio.wait_for(follower.stop(), 5)
