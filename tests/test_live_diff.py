"""What changed between two versions of a program, by stable key."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from bot.changes import ChangeKind
from bot.live.diff import diff
from bot.model import Authorship, Program

NOMAD, SABRE = "xiang", "lazarev"


def changed(program: Program, key: str, **fields: object) -> Program:
    talks = tuple(dataclasses.replace(t, **fields) if t.key == key else t for t in program.talks)
    return dataclasses.replace(program, talks=talks)


def test_the_same_program_has_no_changes(program: Program):
    assert diff(program, program) == []


def test_a_talk_at_another_time_is_moved_not_removed_and_added(program: Program):
    nomad = next(t for t in program.talks if t.key == NOMAD)
    later = dataclasses.replace(nomad.slot, start=nomad.slot.start + timedelta(hours=1),
                                end=nomad.slot.end + timedelta(hours=1))  # fmt: skip
    (change,) = diff(program, changed(program, NOMAD, slot=later))
    assert change.key == NOMAD and change.kinds == (ChangeKind.MOVED,)
    assert change.before is not None and change.after is not None
    assert change.after.slot.start - change.before.slot.start == timedelta(hours=1)


def test_another_room_is_a_move_too(program: Program):
    nomad = next(t for t in program.talks if t.key == NOMAD)
    elsewhere = dataclasses.replace(nomad.slot, room="Hall B")
    (change,) = diff(program, changed(program, NOMAD, slot=elsewhere))
    assert change.kinds == (ChangeKind.MOVED,)


def test_a_removed_talk_is_cancelled(program: Program):
    kept = dataclasses.replace(program, talks=tuple(t for t in program.talks if t.key != SABRE))
    (change,) = diff(program, kept)
    assert change.kinds == (ChangeKind.CANCELLED,) and change.after is None
    assert change.title.startswith("Sabre")


def test_a_new_talk_is_added(program: Program):
    fewer = dataclasses.replace(program, talks=tuple(t for t in program.talks if t.key != SABRE))
    (change,) = diff(fewer, program)
    assert change.kinds == (ChangeKind.ADDED,) and change.before is None


def test_a_new_title_and_new_speakers_are_both_reported(program: Program):
    speaker = (Authorship("someone-else", "Someone Else", None),)
    (change,) = diff(program, changed(program, NOMAD, title="NOMAD v2", authors=speaker))
    assert change.kinds == (ChangeKind.RETITLED, ChangeKind.PEOPLE)
    assert change.title == "NOMAD v2"
