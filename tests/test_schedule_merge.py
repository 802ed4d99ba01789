"""Merging the table of contents with the schedule: every paper gets its real slot."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from bot.importer.errors import ProgramFileError
from bot.importer.merge import _KeyMaker, read_program
from bot.model import Program, TimeBasis
from tests.conftest import pacific


def test_conference_metadata_comes_from_the_schedule(program: Program):
    conf = program.conference
    assert conf.name == "OSDI '24"
    assert conf.timezone == "America/Los_Angeles"
    assert conf.venue == "Hyatt Regency Santa Clara"
    assert conf.location == "Santa Clara, CA, USA"
    assert [d.isoformat() for d in conf.days] == ["2024-07-10", "2024-07-11", "2024-07-12"]


def test_every_paper_has_an_aware_slot_with_its_time_basis(program: Program):
    for talk in program.talks:
        assert talk.slot.start.tzinfo is not None
        assert talk.slot.duration == timedelta(minutes=20)
        assert talk.slot.basis in (TimeBasis.PUBLISHED, TimeBasis.DERIVED)
        assert talk.slot.room == "Grand Ballroom ABGH"


def test_published_talk_times_are_the_five_in_the_public_program(program: Program):
    published = [p.title.split(":")[0] for p in program.talks if not p.slot.approximate]
    assert published == ["Sabre", "Harvesting Memory-bound CPU Stall Cycles in Software with MSH",
                         "VERISMO", "Motor", "MonoNN"]  # fmt: skip


def test_papers_keep_url_award_and_page(program: Program):
    servicelab = next(p for p in program.talks if p.title.startswith("ServiceLab"))
    assert servicelab.award == "Best Paper"
    assert servicelab.page == 545
    assert servicelab.url == "https://www.usenix.org/conference/osdi24/presentation/chow"


def test_paper_keys_are_stable_and_unique(program: Program):
    keys = [p.key for p in program.talks]
    assert len(set(keys)) == len(keys) == 53
    assert keys[0] == "lazarev"


def test_sessions_list_their_papers_in_order(program: Program):
    memory = program.sessions[0]
    assert memory.title == "Memory Management"
    assert len(memory.talk_keys) == 6
    assert memory.slot.start == pacific("2024-07-10T10:45")  # an instant, in UTC


def test_events_include_keynote_breaks_and_meals(program: Program):
    kinds = {e.kind for e in program.events}
    assert {"keynote", "break", "meal", "poster", "remarks"} <= kinds
    keynote = next(e for e in program.events if e.kind == "keynote")
    assert keynote.speaker == "Carole-Jean Wu, Meta"


def _edit_schedule(directory: Path, change) -> None:
    path = directory / "schedule.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data), encoding="utf-8")


def test_schedule_title_matching_nothing_names_both_sides(program_copy: Path):
    def rename(data):
        data["sessions"][0]["papers"][1]["title"] = "NOMAD: Something Else Entirely"

    _edit_schedule(program_copy, rename)
    with pytest.raises(ProgramFileError) as err:
        read_program(program_copy)
    message = str(err.value)
    assert "program.txt:15" in message  # the TOC side, with its line
    assert "NOMAD: Something Else Entirely" in message  # the schedule side
    assert "sessions[0].papers[1]" in message


def test_session_missing_from_schedule_is_an_error(program_copy: Path):
    _edit_schedule(program_copy, lambda data: data["sessions"].pop())
    with pytest.raises(ProgramFileError, match="ML Scheduling"):
        read_program(program_copy)


def test_title_matching_ignores_case_spacing_and_dot_leaders(program_copy: Path):
    def shout(data):
        talk = data["sessions"][0]["papers"][0]
        talk["title"] = (
            "  SABRE:  hardware-accelerated snapshot compression for serverless microvms.... "
        )

    _edit_schedule(program_copy, shout)
    assert read_program(program_copy).program.talks[0].title.startswith("Sabre:")


def test_bad_time_basis_is_an_error(program_copy: Path):
    def corrupt(data):
        data["events"][0]["time_basis"] = "guessed"

    _edit_schedule(program_copy, corrupt)
    with pytest.raises(ProgramFileError, match="events\\[0\\]"):
        read_program(program_copy)


def test_wrong_weekday_in_toc_is_an_error(program_copy: Path):
    path = program_copy / "program.txt"
    path.write_text(
        path.read_text(encoding="utf-8").replace("Wednesday, July 10", "Tuesday, July 10"),
        encoding="utf-8",
    )
    with pytest.raises(ProgramFileError, match="not a Tuesday"):
        read_program(program_copy)


class _CountedSet(set[str]):
    """A set that counts the lookups made in it."""

    lookups = 0

    def __contains__(self, item: object) -> bool:
        self.lookups += 1
        return super().__contains__(item)


def test_keys_of_many_titles_with_one_slug_are_made_in_linear_steps():
    # Each key used to be found by trying base, base-2, base-3... from the start:
    # 2,000 papers whose titles share their first six words took two million lookups.
    keys = _KeyMaker()
    keys.used = counted = _CountedSet()
    made = [keys.make("same") for _ in range(2_000)]
    assert made[:3] == ["same", "same-2", "same-3"] and len(set(made)) == 2_000
    assert counted.lookups < 3 * 2_000


def test_a_key_another_title_took_is_skipped():
    keys = _KeyMaker()
    assert [keys.make(b) for b in ("a-2", "a", "a", "a", "a-3")] == [
        "a-2", "a", "a-3", "a-4", "a-3-2"
    ]  # fmt: skip
