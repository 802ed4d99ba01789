"""An organiser's decision on a new version, taken by the process that leads the conference.

Only the process that follows a conference's source (its leader, bot.store.coordination)
keeps new versions: keeping one anywhere else would record its changes twice. An
organiser's server may be on any process, though. So `/program reload` previews the new
version wherever it is asked (reading the source is harmless anywhere), and its Apply,
`/program apply` and `/program discard` are decided where the conference is led: here
if this process leads it, else asked of the leader through the coordinator (an ASK
notice naming the version previewed and the version it was read against), which reads
the source itself, applies that version only if it is still the one the preview showed
(else STALE, as a late Apply here), and answers (ANSWER): first that it has the request,
then what came of it. The asker waits for both within bounds: no receipt means no
process leads the conference right now (its leader died and another takes over within
a few seconds), said in one sentence; a receipt with no answer yet means the leader is
still reading the source, said as such. A version applied by the leader is awaited here
too (the asker's own copy follows the state), so the organiser's next /paper answers
from it.

Why asked, rather than a preview kept in the state for the leader to apply: the version
is small to name (its fingerprint) and the leader reads the same source, so nothing but
the request crosses between processes, no table is added, and the leader's own checks
(the version it serves, the one it reads) decide, as they do for its own organisers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from bot.i18n import N_
from bot.live.sync import Candidate, ProgramFollower, StaleCandidate, failure_sentence
from bot.store.connection import WriteFailed
from bot.store.coordination import Coordinator, Notice, NoticeKind
from bot.tasks import stopped
from bot.template import Sentence

log = logging.getLogger(__name__)

RECEIPT_WAIT = 5.0  # seconds for the leader to say it has a request: else none leads
ANSWER_WAIT = 30.0  # seconds for its answer (it may fetch a source), then "still reading"
# Characters of why a decision failed, as an answer carries it: well under the 8,000 bytes
# a PostgreSQL notice holds, with the answer's other fields and JSON's escapes.
REASON_MAX = 1500
# Why an asker could not ask (no template of the sync's: this is the asker's own).
UNREACHED = N_("the other processes cannot be reached")


class NotLeading(StaleCandidate):
    """A new version read in a process that does not follow the conference's source (an
    organiser's Apply there, or a leader that lost its lock): the process that does
    keeps and announces versions; keeping it here too would record its changes twice."""


class Decision(StrEnum):
    APPLY = "apply"  # a version previewed by /program reload: its Apply
    APPLY_HELD = "apply-held"  # /program apply
    DISCARD_HELD = "discard-held"  # /program discard


class Outcome(StrEnum):
    RECEIVED = "received"  # the leader has the request; its answer follows
    APPLIED = "applied"
    STALE = "stale"  # the program changed since the preview: nothing applied
    NONE_HELD = "none-held"
    DISCARDED = "discarded"
    FAILED = "failed"  # it could not be done (reason: why)
    NO_LEADER = "no-leader"  # no process leads the conference right now
    PENDING = "pending"  # the leader has it and has not answered within the wait


@dataclass(frozen=True, slots=True)
class Decided:
    outcome: Outcome
    changed: int = 0  # talks the version applied changed
    # Why it FAILED: a Sentence (English as a str, said in the reader's language where it
    # is shown), or English words.
    reason: str = ""
    fingerprint: str = ""  # the version APPLIED


@dataclass(frozen=True, slots=True)
class Waits:
    """Seconds an asker waits for the leader's receipt, then for its answer (see the
    module's docstring)."""

    receipt: float = RECEIPT_WAIT
    answer: float = ANSWER_WAIT


class Decisions:
    """One conference's decisions: taken here where it leads (`here`), asked of the
    leader elsewhere (`ask`), and the requests of the others answered where it leads."""

    def __init__(
        self, key: str, follower: ProgramFollower, coordinator: Coordinator,
        leads: Callable[[], bool], waits: Waits = Waits(),
    ) -> None:  # fmt: skip
        self.key = key
        self.follower = follower
        self.coordinator = coordinator
        self.leads = leads
        self.waits = waits
        self._asked: dict[str, asyncio.Queue[Decided]] = {}  # by request: its answers
        self._answering: set[asyncio.Task[None]] = set()
        self._swapped = asyncio.Condition()

    # -- here, where it leads -----------------------------------------------------------

    async def here(
        self, decision: Decision, candidate: Candidate | None = None, seen: str = "",
        against: str = "",
    ) -> Decided:  # fmt: skip
        """Take a decision in this process, which leads the conference: apply the
        `candidate` previewed here, or (asked by another process, whose preview read
        version `seen` against version `against`) the one the source has now if it is
        still that version; or apply or discard the version held. A write the state
        refuses (WriteFailed) is raised, as a sync's would be."""
        follower = self.follower
        try:
            if decision is Decision.APPLY:
                candidate = candidate or await self._read_again(seen, against)
                if candidate is None:
                    return _unread(follower.status.error)
                changes = await follower.apply(candidate)
            elif decision is Decision.APPLY_HELD:
                held = await follower.apply_held()
                if held is None:
                    return Decided(Outcome.NONE_HELD)
                changes = held
            else:
                return Decided(Outcome.DISCARDED if follower.discard_held() else Outcome.NONE_HELD)
        except NotLeading:  # its lock was lost meanwhile: another process leads it now
            return Decided(Outcome.NO_LEADER)
        except StaleCandidate:
            return Decided(Outcome.STALE)
        return Decided(Outcome.APPLIED, len(changes), fingerprint=follower.seen)

    async def _read_again(self, seen: str, against: str) -> Candidate | None:
        """The version another process previewed, read here from the source: None if
        this process serves another version than the preview was read against, or the
        source has another version than the one previewed (or none that reads)."""
        if self.follower.seen != against:
            return None
        candidate = await self.follower.candidate()
        if candidate is None or candidate.seen != seen or candidate.against != against:
            return None
        return candidate

    # -- asked of the leader ------------------------------------------------------------

    async def ask(self, decision: Decision, candidate: Candidate | None = None) -> Decided:
        """Ask the process that leads the conference to take `decision` (on the version
        `candidate` previewed here), and wait for its answer (see the module's
        docstring): NO_LEADER if none says it has the request, PENDING if it has not
        answered within the wait, else its answer, once the version it applied is served
        here too (or the wait is over: this process catches up at its next notice)."""
        request = secrets.token_hex(8)
        seen, against = (candidate.seen, candidate.against) if candidate else ("", "")
        answers: asyncio.Queue[Decided] = asyncio.Queue()
        self._asked[request] = answers
        try:
            asked = Notice(NoticeKind.ASK, self.key, detail=(request, decision, seen, against))
            if not await self.coordinator.send(asked):
                return Decided(Outcome.FAILED, reason=Sentence.of(UNREACHED, {}))
            first = await _next(answers, self.waits.receipt)
            if first is None:
                return Decided(Outcome.NO_LEADER)
            loop = asyncio.get_running_loop()
            deadline = loop.time() + self.waits.answer
            answer = first if first.outcome is not Outcome.RECEIVED else await _next(
                answers, self.waits.answer)  # fmt: skip
            if answer is None:
                return Decided(Outcome.PENDING)
            if answer.outcome is Outcome.APPLIED:
                await self._served_here(answer.fingerprint, deadline - loop.time())
            return answer
        finally:
            del self._asked[request]

    async def _served_here(self, fingerprint: str, wait: float) -> None:
        """Wait (at most `wait` seconds) until this process serves that version: its
        state follower loads it, told by the leader's notice."""
        with contextlib.suppress(TimeoutError):
            async with self._swapped:
                await asyncio.wait_for(
                    self._swapped.wait_for(lambda: self.follower.seen == fingerprint),
                    max(0.0, wait),
                )

    async def swapped(self) -> None:
        """A version was swapped in here (Served._changed): wake whoever waits for one."""
        async with self._swapped:
            self._swapped.notify_all()

    # -- notices --------------------------------------------------------------------------

    def heard(self, notice: Notice) -> None:
        """An ASK, answered where this process leads; an ANSWER, for a request asked
        here (others' requests are not this process's business)."""
        if notice.kind is NoticeKind.ANSWER:
            answered = _answer_of(notice.detail)
            if answered is not None and answered[0] in self._asked:
                self._asked[answered[0]].put_nowait(answered[1])
        elif notice.kind is NoticeKind.ASK and self.leads() and len(notice.detail) == 4:
            request, decision, seen, against = notice.detail
            if decision not in {str(d) for d in Decision}:
                return
            task = asyncio.get_running_loop().create_task(
                self._answer(request, Decision(decision), seen, against),
                name="confbot-decision")  # fmt: skip
            self._answering.add(task)
            task.add_done_callback(self._answering.discard)

    async def _answer(self, request: str, decision: Decision, seen: str, against: str) -> None:
        await self._send_answer(request, Decided(Outcome.RECEIVED))
        try:
            decided = await self.here(decision, None, seen, against)
        except WriteFailed as exc:
            decided = Decided(Outcome.FAILED, reason=failure_sentence(exc))
        except Exception as exc:  # a bug: the asker is told in words, the log has it
            log.exception("deciding on a version of %s another process asked for failed",
                          self.key)  # fmt: skip
            decided = Decided(Outcome.FAILED, reason=failure_sentence(exc))
        await self._send_answer(request, decided)

    async def _send_answer(self, request: str, decided: Decided) -> None:
        detail = (request, str(decided.outcome), str(decided.changed), _carried(decided.reason),
                  decided.fingerprint)  # fmt: skip
        if not await self.coordinator.send(Notice(NoticeKind.ANSWER, self.key, detail=detail)):
            log.warning("could not answer another process's decision on %s", self.key)

    async def stop(self) -> None:
        for task in list(self._answering):
            await stopped(task)


def _unread(error: str | None) -> Decided:
    """What an Apply asked of the leader comes to when the version is not read again:
    the source failed (its reason), or it is not the version previewed any more."""
    return Decided(Outcome.FAILED, reason=error) if error else Decided(Outcome.STALE)


async def _next(answers: asyncio.Queue[Decided], wait: float) -> Decided | None:
    try:
        return await asyncio.wait_for(answers.get(), wait)
    except TimeoutError:
        return None


def _answer_of(detail: tuple[str, ...]) -> tuple[str, Decided] | None:
    """An ANSWER's request and what it says; None if it is not one."""
    if len(detail) != 5 or detail[1] not in {str(o) for o in Outcome}:
        return None
    request, outcome, changed, reason, fingerprint = detail
    try:
        count = int(changed)
    except ValueError:
        return None
    return request, Decided(Outcome(outcome), count, Sentence.from_json(reason), fingerprint)


def _carried(reason: str) -> str:
    """Why a decision failed, as a message between processes carries it: a Sentence with
    its template and values (said in the asker's language there), else English, cut."""
    if isinstance(reason, Sentence) and len(carried := reason.to_json()) <= REASON_MAX:
        return carried
    return reason[:REASON_MAX]
