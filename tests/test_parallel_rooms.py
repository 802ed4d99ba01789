"""Parallel sessions: nothing may assume one room."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from bot.model import Program, Session
from bot.service import ProgramService
from tests.conftest import pacific


def two_tracks(program: Program) -> Program:
    """Move Low-Latency LLM Serving into Room B at the same time as Memory Management,
    with 25-minute talks so the rooms' talks do not line up."""
    memory, llm = program.sessions[0], program.sessions[1]
    start = memory.slot.start
    moved_talks = []
    for p in program.talks:
        if p.session_key == llm.key:
            i = llm.talk_keys.index(p.key)
            slot = replace(p.slot, start=start + timedelta(minutes=25 * i),
                           end=start + timedelta(minutes=25 * (i + 1)), room="Room B")  # fmt: skip
            p = replace(p, slot=slot)
        moved_talks.append(p)
    moved: Session = replace(llm, day=memory.day, slot=replace(memory.slot, room="Room B"))
    sessions = tuple(moved if s.key == llm.key else s for s in program.sessions)
    return replace(program, sessions=sessions, talks=tuple(moved_talks))


def test_now_lists_a_talk_in_every_room(program: Program):
    service = ProgramService(two_tracks(program))
    answer = service.now(pacific("2024-07-10T10:50"))
    rooms = {i.slot.room for i in answer.current}
    assert rooms == {"Grand Ballroom ABGH", "Room B"}


def test_next_lists_the_next_talk_in_each_room_even_if_they_do_not_line_up(program: Program):
    service = ProgramService(two_tracks(program))
    answer = service.next(pacific("2024-07-10T10:50"))
    starts = {i.slot.room: i.slot.start for i in answer.upcoming}
    assert starts == {"Grand Ballroom ABGH": pacific("2024-07-10T11:05"),
                      "Room B": pacific("2024-07-10T11:10")}  # fmt: skip


def test_the_rooms_a_person_follows_come_first(program: Program):
    service = ProgramService(two_tracks(program))
    at = pacific("2024-07-10T10:50")
    plain = [i.slot.room for i in service.now(at).current]
    assert plain[0] == "Grand Ballroom ABGH"  # start order
    liked = service.followed_places(["p:agrawal"])  # a talk in Room B
    assert "Room B" in liked
    assert service.now(at, liked).current[0].slot.room == "Room B"
    assert service.next(at, liked).upcoming[0].slot.room == "Room B"
