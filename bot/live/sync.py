"""Following the program while the bot runs: editing its files needs no restart, and a
program at an address (bot.live.remote) is polled with conditional requests.

Every `CONFBOT_SYNC_INTERVAL` seconds the source is checked: an address is fetched (a 304
ends the check with nothing parsed), then the files' content is hashed (content, not
mtimes: see bot.store.build.fingerprint). When it changed, the new version is read and
built in a worker thread and indexed in a daemon thread (which a shutdown does not wait
for, see bot.tasks), so the event loop never waits on either. Applying it is done in an
order that a failure at any step leaves whole (see ProgramFollower.apply): the version is
kept first, with what it changed (the `keep` hook: the state database), then an address's
copy is replaced, then it is swapped into the holder in one assignment, and whoever
follows (the scheduler) is told what changed. A version that does not read, or that the
state database cannot keep (a full disk), never replaces the program: the last good one
keeps serving, the failure is logged once per streak, checks back off, and /status shows
it; the next check (or an organiser's Apply) tries again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from aiohttp.abc import AbstractResolver

from bot.bulk import favour_the_loop
from bot.changes import ChangeKind, RecordedChange
from bot.clock import Clock
from bot.i18n.messages import N_
from bot.importer.errors import ProgramFileError
from bot.importer.registry import read_source
from bot.live.diff import Change, diff
from bot.live.holder import ProgramHolder, indexing
from bot.live.remote import Download, FetchError, RemoteProgram, Validators
from bot.live.versions import archive, archive_one
from bot.model import Program, Talk
from bot.service import SESSION_REF, TALK_REF, ProgramService
from bot.settings import Settings
from bot.store.build import fingerprint
from bot.store.connection import WriteFailed, WriteFailure
from bot.tasks import stopped, woken
from bot.template import Sentence, Worded

log = logging.getLogger(__name__)

T = TypeVar("T")

MAX_BACKOFF = 3600.0  # a source failing for long is still checked hourly


@dataclass
class SyncStatus:
    """What /status shows of the source (times as Unix seconds)."""

    checked_ts: int | None = None
    changed_ts: int | None = None
    changes: int = 0  # talks changed by the last version applied
    # The last failure, while the streak lasts: a Sentence (English as a str, said in each
    # organiser's language where it is shown).
    error: Sentence | None = None
    error_ts: int | None = None
    failures: int = 0
    # Why a new version waits for /program apply or discard (a Worded: said in each
    # organiser's language where it is shown).
    held: Worded | None = None


@dataclass(frozen=True, slots=True)
class Candidate:
    """A new version read and indexed, not yet applied."""

    service: ProgramService
    changes: list[Change]
    seen: str  # the source's fingerprint
    held_because: Worded | None  # why it waits for an organiser, if it does
    # The fingerprint of the version served when it was read: its changes are relative
    # to that version, so it applies only while that version is still the one served.
    against: str
    source_key: str  # the conference key the version names (see ProgramFollower.key)
    download: Download | None = None  # an address's body, kept only once applied


class StaleCandidate(Exception):
    """A candidate read against a version no longer served (a sync or another organiser
    applied one since): applying it would tell people of changes again, or undo newer ones."""


def _build(
    source: Path, zone: str | None, old: Program, key: str | None
) -> tuple[ProgramService, list[Change], str]:
    """Read and build a version (served under `key`, if given), and diff it with the
    current one: in a worker thread, so the event loop only swaps; its indexes are built
    next, in a daemon thread. Also the conference key the version itself names."""
    program = read_source(source, zone).program
    own = program.conference.key
    service = ProgramService(program if key is None else program.under_key(key), index_later=True)
    return service, diff(old, service.program), own


class ProgramFollower:
    def __init__(
        self,
        settings: Settings,
        holder: ProgramHolder,
        clock: Clock,
        on_change: Callable[[list[Change]], Awaitable[None]] | None = None,
        guard: AbstractResolver | None = None,
        seen: str | None = None,
        key: str | None = None,
        source_key: str | None = None,
        keep: Callable[[Candidate], Awaitable[None]] | None = None,
        keep_validators: Callable[[Validators], Awaitable[None]] | None = None,
    ) -> None:
        """`on_change`: what follows a version swapped in (a re-plan), told its changes.
        `guard`: for a source a server added, fetch public https addresses only.
        `seen`: the fingerprint of the version in the holder, if the caller has it.
        `key`: the key its versions are served under, when not the one they name (a
        source a server added whose program shares another's key), and `source_key`
        the one the version in the holder names. `keep`: keeps a version with its changes
        before anything is switched (the state database); raising stops the apply with
        nothing changed (see apply). `keep_validators`: keeps new validators an address's
        server sent for the version served (the state database), before its copy's."""
        self.settings = settings
        self.key = key
        self._source_key = source_key or holder.service.conference.key
        self.holder = holder
        self.clock = clock
        self.on_change = on_change
        self.keep = keep
        self.keep_validators = keep_validators
        self.status = SyncStatus()
        self._seen = seen or fingerprint([settings.program], settings.timezone)
        self._broken: str | None = None  # a version that did not read: not read again
        self._discarded: str | None = None  # a held version an organiser turned down
        self.held: Candidate | None = None  # waiting for /program apply or discard
        # One version applied at a time: an Apply pressed during a sync's apply must see
        # the version that sync served, not the one before it.
        self._applying = asyncio.Lock()
        self.remote = (
            RemoteProgram(settings.program_url, settings.program, guard=guard)
            if settings.program_url
            else None
        )
        self._task: asyncio.Task[None] | None = None
        self._reading: asyncio.Task[Candidate | None] | None = None  # see candidate()
        self._woken = asyncio.Event()  # see wake()

    def start(self) -> None:
        favour_the_loop()
        self._task = asyncio.create_task(self._run(), name="confbot-program-follower")

    async def stop(self) -> None:
        if self._task is not None:
            task, self._task = self._task, None
            await stopped(task)
        if self._reading is not None:
            reading, self._reading = self._reading, None
            await stopped(reading)

    @property
    def running(self) -> bool:
        """Whether it checks the source (started, not stopped): where the process leads."""
        return self._task is not None

    @property
    def seen(self) -> str:
        """The fingerprint of the version served (see bot.store.build.fingerprint)."""
        return self._seen

    def delay(self) -> float:
        """The next wait: the interval, doubled for each failure in a row."""
        return min(MAX_BACKOFF, self.settings.sync_interval * 2.0 ** min(self.status.failures, 10))

    def wake(self) -> None:
        """Check now instead of at the end of the wait, the way the schedulers are woken:
        the wait is wall-clock time (an interval, doubled after each failure), which a test
        that has just changed the source need not sit out."""
        self._woken.set()

    async def _run(self) -> None:
        while True:
            await woken(self._woken, self.delay())  # never wait_for: see bot.tasks
            self._woken.clear()
            try:
                await self.check()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # whatever it was, the next check waits longer
                self._failed(exc, int(self.clock.now().timestamp()))

    async def check(self) -> list[Change] | None:
        """One check: the changes applied, or None when nothing new was applied (nothing
        new, a failure, or a version held for an organiser to decide on)."""
        candidate = await self.candidate()
        if candidate is None:
            return None
        if candidate.held_because is not None:
            if self.held is None or self.held.seen != candidate.seen:
                log.warning("a new program version is held: %s", candidate.held_because)
            self.held = candidate
            self.status.held = candidate.held_because
            return None
        try:
            return await self.apply(candidate)
        except StaleCandidate:  # an organiser applied a version while this one was read
            return None

    async def candidate(self) -> Candidate | None:
        """Fetch (for an address) and read a new version, without applying it: None if
        there is none, the source failed, or it is the version an organiser discarded.

        One read at a time per source: a reload pressed again and again, or during a
        sync's check, shares the read under way instead of fetching, reading and
        indexing the program once more in another worker thread (twelve presses on a
        20,000-talk source took every worker, and another server's add timed out)."""
        if self._reading is None or self._reading.done():
            self._reading = asyncio.create_task(self._read_candidate(),
                                                name="confbot-program-read")  # fmt: skip
        return await asyncio.shield(self._reading)  # one caller giving up stops no other

    async def _read_candidate(self) -> Candidate | None:
        now_ts = int(self.clock.now().timestamp())
        self.status.checked_ts = now_ts
        download = None
        if self.remote is not None:
            try:
                download = await self.remote.download()
            except FetchError as exc:
                self._failed(exc, now_ts)
                return None
            if download is None:
                self._recovered()
                return None  # 304: unchanged, nothing parsed
        try:
            seen = await asyncio.to_thread(self._read, download, _fingerprint)
        except Exception as exc:  # the file went away or cannot be read
            self._failed(exc, now_ts)
            return None
        if seen == self._seen and download is not None:
            await self._revalidated(download)
        if seen in (self._seen, self._discarded):
            self._recovered()
            return None
        if self.held is not None and seen == self.held.seen:
            return self.held
        if seen == self._broken:
            self.status.failures += 1
            return None
        old, against = self.holder.service.program, self._seen
        try:
            service, changes, own = await asyncio.to_thread(
                self._read, download, lambda path, zone: _build(path, zone, old, self.key)
            )
            await indexing(service)
        except Exception as exc:  # any failure to read it: the last good version serves
            self._broken = seen
            failure = exc if self.remote is None else self.remote.unreadable(exc)
            self._failed(failure, now_ts)
            return None
        reason = self._hold_reason(old, service.program, own, changes)
        return Candidate(service, changes, seen, reason, against, own, download)

    async def _revalidated(self, download: Download) -> None:
        """The version served, sent again under new validators: kept, the state's first,
        so the next poll is a 304 (a write the state refuses is this check's failure,
        and the next check, sending the old ones, gets the body and tries again)."""
        assert self.remote is not None
        if self.keep_validators is not None and download.validators != self.remote.validators:
            await self.keep_validators(download.validators)
        await asyncio.to_thread(self.remote.keep, download)

    def _read(self, download: Download | None, read: Callable[[Path, str | None], T]) -> T:
        """`read` applied to the program's files: an address's new body staged as a file
        beside its copy (read once, then removed), or else the configured source."""
        zone = self.settings.timezone
        if download is None or self.remote is None:
            return read(self.settings.program, zone)
        with self.remote.staged(download) as staged:
            return read(staged, zone)

    def _hold_reason(
        self, old: Program, new: Program, own: str, changes: list[Change]
    ) -> Worded | None:
        """Why a version should wait for an organiser: it names another conference (`own`:
        the key it names), or removes more than CONFBOT_SYNC_MAX_REMOVED of the talks (a
        broken export, most likely, not a program change)."""
        if own != self._source_key:
            return Worded(N_("it is another conference ({new}, not {old})"),
                          new=new.conference.name, old=old.conference.name)  # fmt: skip
        removed = sum(1 for c in changes if ChangeKind.CANCELLED in c.kinds)
        share = removed / max(1, len(old.talks))
        if share > self.settings.sync_max_removed:
            return Worded(N_("it removes {removed} of {total} talks ({share}, over the {allowed}"
                             " allowed)"), removed=str(removed), total=str(len(old.talks)),
                          share=f"{share:.0%}",
                          allowed=f"{self.settings.sync_max_removed:.0%}")  # fmt: skip
        return None

    async def apply(self, candidate: Candidate, *, kept: bool = False) -> list[Change]:
        """Keep a version, swap it in and tell whoever follows what changed; StaleCandidate,
        and nothing done, if the version it was read against is no longer the one served
        (applied already, or a newer one applied since: a preview's Apply pressed late).
        `kept`: the version is kept already, with its changes, by the process that
        follows this conference's source (bot.live.state_follower): it is swapped in and
        followed up here, never kept (nor its changes recorded) a second time.

        The order is what makes a failure harmless: the version is kept with its changes
        first (`keep`), and a failure there (WriteFailed: a full disk) is raised with
        nothing switched (the holder, the fingerprint served, the held version, an
        address's copy and its validators), so the next check, or Apply, reads it and
        tries again, and its changes are recorded, and told, once. Only then is an
        address's copy replaced (see _keep_download), the version swapped in, and the
        follower (`on_change`) told."""
        async with self._applying:
            if candidate.against != self._seen:
                raise StaleCandidate(candidate.seen)
            changes = candidate.changes
            if self.keep is not None and not kept:
                await self.keep(candidate)
            await self._keep_download(candidate)
            now = self.clock.now()
            self.holder.swap(candidate.service, now)
            self._seen, self._source_key = candidate.seen, candidate.source_key
            self.held = None
            now_ts = int(now.timestamp())
            self.status = SyncStatus(checked_ts=now_ts, changed_ts=now_ts, changes=len(changes))
            log.info("program updated from %s: %d talks changed",
                     "the state" if kept else self.settings.program, len(changes))  # fmt: skip
            if self.on_change is not None:
                await self.on_change(changes)
            return changes

    def files(self, candidate: Candidate) -> bytes:
        """A version's files, zipped, for the state database (in a worker thread): an
        address's new body (not yet the copy on disk), or else the configured source."""
        if candidate.download is not None:
            return archive_one(candidate.download.body)
        return archive(self.settings.program)

    async def _keep_download(self, candidate: Candidate) -> None:
        """An address's new body becomes the copy the bot starts from, with its validators.
        Once the version is kept in the state database, a failure here (the disk) must not
        stop it being served: the state says it is the version served, and its changes
        are recorded for notices. The old copy and validators stay (the copy is replaced
        atomically), so the next check fetches the body again, finds the version served,
        and keeps it then (see _read_candidate); a restart before that writes the copy
        back from the state database, which is the truth (see bot.live.restore)."""
        if candidate.download is None or self.remote is None:
            return
        try:
            await asyncio.to_thread(self.remote.keep, candidate.download)
        except OSError as exc:
            log.warning("the new version of %s is served, but its copy could not be kept"
                        " (%s); the next check keeps it", self.remote.url, exc)  # fmt: skip

    async def apply_held(self) -> list[Change] | None:
        """The held version applied, or None if none is held (or it was just applied)."""
        held = self.held
        if held is None:
            return None
        try:
            return await self.apply(held)
        except StaleCandidate:
            return None

    def discard_held(self) -> bool:
        """Keep serving the current version; the held one is not offered again (a new
        version of the source is)."""
        if self.held is None:
            return False
        self._discarded, self.held = self.held.seen, None
        self.status.held = None
        return True

    def _recovered(self) -> None:
        """A check that worked ends a failure streak (the source answers again)."""
        if self.status.failures:
            log.info("the program source answers again after %d failed checks",
                     self.status.failures)  # fmt: skip
            self.status = SyncStatus(checked_ts=self.status.checked_ts,
                                     changed_ts=self.status.changed_ts,
                                     changes=self.status.changes)  # fmt: skip

    def _failed(self, failure: BaseException, now_ts: int) -> None:
        """One more failed check: /status says why; the log says so once per streak, with
        the traceback when it is a bug rather than a source's expected failure."""
        reason = failure_sentence(failure)
        if not self.status.failures:  # once per streak, not every check
            _log_failure(failure, reason)
        self.status.failures += 1
        self.status.error, self.status.error_ts = reason, now_ts


def _log_failure(failure: BaseException, reason: str) -> None:
    """The first failure of a streak, for the operator: a write the disk refused is theirs
    to fix, in one ERROR line as every such write; a source's, a warning, with the
    traceback only when it is a bug."""
    if isinstance(failure, WriteFailed):
        log.error("the program's new version is not served until it is kept (%s); the next"
                  " check tries again", failure)  # fmt: skip
        return
    trace = None if expected(failure) else failure
    log.warning("the program source does not read (%s); keeping the last good version",
                reason, exc_info=trace)  # fmt: skip


def expected(exc: BaseException) -> bool:
    """A failure a source is expected to have (a broken file, a failed fetch, a file
    gone), as opposed to a bug in confbot."""
    return isinstance(exc, ProgramFileError | FetchError | OSError)


# Why a new version could not be kept, by what refused it (no file name: /status is any
# organiser's to read).
NOT_KEPT = {
    WriteFailure.DISK_FULL: N_("the new version could not be kept: the disk is full"),
    WriteFailure.READ_ONLY: N_("the new version could not be kept: the database is read-only"),
    WriteFailure.LOCKED: N_("the new version could not be kept: the database is locked by"
                            " another program"),
    WriteFailure.DISK_ERROR: N_("the new version could not be kept: the disk could not write"
                                " it"),
    WriteFailure.UNREACHABLE: N_("the new version could not be kept: the database server"
                                 " cannot be reached"),
}  # fmt: skip
UNEXPECTED = N_("reading it failed unexpectedly ({error})")
# A program file's own sentence (the importer's, in English), passed on as it is.
AS_SAID = "{said}"


def failure_sentence(exc: BaseException) -> Sentence:
    """What /status and the log say of a failed check: the program's own sentence for the
    failures a source is expected to have (a broken file, a failed fetch, a file gone),
    what refused a new version's keeping (a full disk), else the kind of failure and its
    first line, so a bug still reads as one sentence. A sentence of ours (a fetch's, the
    keeping's) is said in each organiser's language where it is shown."""
    if isinstance(exc, WriteFailed):
        return Sentence.of(NOT_KEPT[exc.failure], {})
    if isinstance(exc, Worded):
        return Sentence.worded(exc)
    if expected(exc):
        return Sentence.of(AS_SAID, {"said": str(exc).split("\n", 1)[0]})
    first = str(exc).split("\n", 1)[0][:300]
    return Sentence.of(UNEXPECTED, {"error": f"{type(exc).__name__}{': ' if first else ''}{first}"})


def _fingerprint(path: Path, zone: str | None) -> str:
    return fingerprint([path], zone)


def records(changes: list[Change]) -> list[RecordedChange]:
    """Changes as the state database keeps them (its sync id and time are set there)."""

    def place(talk: Talk | None) -> tuple[int, int, str | None] | None:
        if talk is None:
            return None
        slot = talk.slot
        return int(slot.start.timestamp()), int(slot.end.timestamp()), slot.room

    found = []
    for change in changes:
        sessions = {SESSION_REF + t.session_key for t in (change.before, change.after) if t}
        left, joined = change.people_moved() if ChangeKind.PEOPLE in change.kinds else ((), ())
        found.append(RecordedChange(
            0, 0, TALK_REF + change.key, tuple(sorted(sessions)), change.title,
            change.kinds, place(change.before), place(change.after),
            left, joined,
        ))  # fmt: skip
    return found
