"""An organiser's decision on a new version (Apply, /program apply, /program discard),
taken by the process that leads the conference, whichever process it was made in: two
processes serving OSDI '24 (tests/test_cluster.py), the leader's lock a real PostgreSQL
advisory lock (CONFBOT_TEST_POSTGRES), or, for a leader that never answers, coordinators
in memory. Notices take real time, waited on with a bound; the clock is the tests'."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import pytest

from bot.adapters.discord.program_cog import said
from bot.clock import FixedClock
from bot.i18n import Language, bundled_messages
from bot.live.decisions import Decided, Decision, Outcome, Waits
from bot.store.connection import WriteFailed, WriteFailure
from bot.store.coordination import NoticeKind
from bot.store.state import StateStore
from bot.template import Worded
from tests.conftest import pacific
from tests.program_edits import move_talk
from tests.test_cluster import Process, in_memory, postgres, sabre_starts, state, two_processes

# The fixtures of tests/test_cluster.py: two processes serving OSDI '24.
__all__ = ["in_memory", "postgres", "state", "two_processes"]

PROMPTLY = 10.0  # seconds a notice may take, at most, on a loaded machine


def quick(process: Process, receipt: float = 0.3, answer: float = PROMPTLY) -> None:
    process.served.decisions.waits = Waits(receipt, answer)


async def test_an_apply_where_the_conference_is_not_led_is_applied_by_the_leader_once(
    two_processes: tuple[Process, Process], state: StateStore, program_copy: Path
):
    a, b = two_processes
    move_talk(program_copy, "Sabre", "2024-07-10T11:40", "2024-07-10T12:00")
    candidate = await b.served.follower.candidate()  # an organiser's /program reload in b
    assert candidate is not None
    decided = await b.served.decide(Decision.APPLY, candidate)
    assert decided == Decided(Outcome.APPLIED, 1, fingerprint=candidate.seen)
    assert sabre_starts(a) == sabre_starts(b) == pacific("2024-07-10T11:40")  # b serves it
    assert not b.served.leads and a.served.leads
    assert len(await state.versions.changes("osdi24")) == 1  # kept once, by a
    again = await b.served.decide(Decision.APPLY, candidate)  # pressed again
    assert again.outcome is Outcome.STALE
    assert len(await state.versions.changes("osdi24")) == 1


async def test_an_apply_of_a_preview_the_source_has_moved_on_from_is_stale(
    two_processes: tuple[Process, Process], state: StateStore, program_copy: Path
):
    a, b = two_processes
    move_talk(program_copy, "Sabre", "2024-07-10T11:40", "2024-07-10T12:00")
    candidate = await b.served.follower.candidate()
    assert candidate is not None
    move_talk(program_copy, "NOMAD", "2024-07-10T11:40", "2024-07-10T12:00")  # edited again
    assert (await b.served.decide(Decision.APPLY, candidate)).outcome is Outcome.STALE
    assert await state.versions.changes("osdi24") == []
    assert sabre_starts(a) == pacific("2024-07-10T10:45")


async def test_the_held_version_is_applied_or_dropped_by_the_leader(
    two_processes: tuple[Process, Process], program_copy: Path
):
    a, b = two_processes
    assert await b.served.decide(Decision.APPLY_HELD) == Decided(Outcome.NONE_HELD)
    assert await b.served.decide(Decision.DISCARD_HELD) == Decided(Outcome.NONE_HELD)
    move_talk(program_copy, "Sabre", "2024-07-10T11:40", "2024-07-10T12:00")
    held = await a.served.follower.candidate()
    assert held is not None
    a.served.follower.held = dataclasses.replace(held, held_because=Worded("it removes many talks"))
    assert b.served.follower.held is None  # held where the source is followed, not in b
    assert await b.served.decide(Decision.APPLY_HELD) == Decided(Outcome.APPLIED, 1,
                                                                 fingerprint=held.seen)  # fmt: skip
    assert sabre_starts(b) == pacific("2024-07-10T11:40")
    move_talk(program_copy, "NOMAD", "2024-07-10T11:40", "2024-07-10T12:00")
    a.served.follower.held = await a.served.follower.candidate()
    assert await b.served.decide(Decision.DISCARD_HELD) == Decided(Outcome.DISCARDED)
    assert a.served.follower.held is None
    assert await a.served.follower.candidate() is None  # the dropped one is not offered again


async def test_a_leader_still_reading_the_source_is_said_to_be(
    two_processes: tuple[Process, Process], program_copy: Path
):
    a, b = two_processes
    move_talk(program_copy, "Sabre", "2024-07-10T11:40", "2024-07-10T12:00")
    candidate = await b.served.follower.candidate()
    assert candidate is not None
    reading = asyncio.Event()
    read = a.served.follower.candidate

    async def slow() -> object:
        await reading.wait()  # a source that takes its time to answer
        return await read()

    a.served.follower.candidate = slow  # type: ignore[method-assign]
    quick(b, answer=0.3)
    assert (await b.served.decide(Decision.APPLY, candidate)).outcome is Outcome.PENDING
    reading.set()
    await asyncio.wait_for(b.followed.get(), PROMPTLY)  # applied by a after all, and served
    assert sabre_starts(b) == pacific("2024-07-10T11:40")


async def test_with_no_process_leading_a_decision_says_so(
    in_memory: tuple[Process, Process, FixedClock], state: StateStore, program_copy: Path
):
    """b does not lead; the leader's lock is held by no process that answers (a notice
    in memory reaches no one): a leader gone, before another takes over."""
    _, b, _ = in_memory
    quick(b)
    move_talk(program_copy, "Sabre", "2024-07-10T11:40", "2024-07-10T12:00")
    candidate = await b.served.follower.candidate()
    assert candidate is not None
    assert await b.served.decide(Decision.APPLY, candidate) == Decided(Outcome.NO_LEADER)
    assert [n.kind for n in b.coordinator.sent] == [NoticeKind.ASK]  # type: ignore[attr-defined]
    assert await state.versions.changes("osdi24") == []
    assert sabre_starts(b) == pacific("2024-07-10T10:45")


async def test_with_the_leader_gone_the_process_deciding_takes_over_and_applies(
    in_memory: tuple[Process, Process, FixedClock], state: StateStore, program_copy: Path
):
    a, b, _ = in_memory
    await a.coordinator.close()  # a let go of its lock (its process stopped)
    move_talk(program_copy, "Sabre", "2024-07-10T11:40", "2024-07-10T12:00")
    candidate = await b.served.follower.candidate()
    assert candidate is not None
    decided = await b.served.decide(Decision.APPLY, candidate)
    assert decided.outcome is Outcome.APPLIED and b.served.leads
    assert len(await state.versions.changes("osdi24")) == 1


async def test_why_the_leader_failed_reaches_the_asker_as_a_sentence_to_translate(
    two_processes: tuple[Process, Process], program_copy: Path, monkeypatch: pytest.MonkeyPatch
):
    """The leader's disk refuses the version: the asking process gets why as a template
    and its values (a JSON message between processes), to say in its organiser's German,
    not the leader's English."""
    a, b = two_processes

    async def refused(candidate: object) -> None:
        raise WriteFailed("state.db", WriteFailure.DISK_FULL, "no space left on device")

    monkeypatch.setattr(a.served.follower, "apply", refused)
    move_talk(program_copy, "Sabre", "2024-07-10T11:40", "2024-07-10T12:00")
    candidate = await b.served.follower.candidate()
    assert candidate is not None
    decided = await b.served.decide(Decision.APPLY, candidate)
    assert decided.outcome is Outcome.FAILED
    assert decided.reason == "the new version could not be kept: the disk is full"
    german = bundled_messages().words(Language.DE)
    assert said(decided.reason, german) == (
        "die neue Version konnte nicht gespeichert werden: der Datenträger ist voll"
    )
