"""/next and /now at the moments that matter, on the real OSDI '24 program."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.model import Event
from bot.render.text import render_next, render_now
from bot.service import ProgramService
from bot.service.results import Phase, SessionTalk
from tests.conftest import pacific


def titles(items) -> list[str]:
    return [i.title.split(":")[0] for i in items]


def test_before_the_conference_says_when_it_opens(service: ProgramService):
    answer = service.next(pacific("2024-07-09T12:00"))
    assert answer.phase is Phase.BEFORE
    assert titles(answer.opening) == ["Badge Pickup"]
    assert titles(answer.upcoming) == ["Continental Breakfast"]
    assert titles(answer.next_talks) == ["Sabre"]
    text = render_next(answer, service.conference)
    assert "OSDI '24 starts tomorrow: Wed Jul 10, 07:30 PDT (in 19 h 30 min)" in text


def test_during_the_keynote_shows_keynote_then_break(service: ProgramService):
    answer = service.next(pacific("2024-07-10T09:30"))
    assert [i.kind for i in answer.current] == ["keynote"]
    assert titles(answer.upcoming) == ["Break with Refreshments"]
    assert "Carole-Jean Wu" in render_next(answer, service.conference)


def test_at_1050_sabre_is_on_stage_and_nomad_is_next_at_1105(service: ProgramService):
    answer = service.next(pacific("2024-07-10T10:50"))
    assert titles(answer.current) == ["Sabre"]
    assert titles(answer.upcoming) == ["NOMAD"]
    nomad = answer.upcoming[0]
    assert nomad.slot.start == pacific("2024-07-10T11:05")
    assert nomad.slot.approximate
    text = render_next(answer, service.conference)
    assert "By Nikita Lazarev and Varun Gohil (MIT, CSAIL)" in text
    assert "≈ 11:05–11:25 PDT (in 15 min)" in text


def test_now_at_1050_names_who_is_presenting(service: ProgramService):
    answer = service.now(pacific("2024-07-10T10:50"))
    (talk,) = answer.current
    assert isinstance(talk, SessionTalk)
    assert talk.session.title == "Memory Management"
    assert talk.talk.authors[0].name == "Nikita Lazarev"
    assert titles(answer.ambient) == ["Badge Pickup"]


def test_at_lunch_the_next_thing_is_the_first_llm_serving_talk(service: ProgramService):
    answer = service.next(pacific("2024-07-10T12:50"))
    assert titles(answer.current) == ["Conference Luncheon"]
    assert titles(answer.upcoming) == [
        "Taming Throughput-Latency Tradeoff in LLM Inference with Sarathi-Serve"
    ]


def test_in_the_afternoon_break_the_next_talk_is_accl(service: ProgramService):
    answer = service.next(pacific("2024-07-10T15:50"))
    (brk,) = answer.current
    assert isinstance(brk, Event) and brk.kind == "break"
    assert brk.slot.approximate  # this break's time is derived
    assert titles(answer.upcoming) == ["ACCL+"]
    assert "≈ 15:40–16:10 PDT" in render_now(
        service.now(pacific("2024-07-10T15:50")), service.conference
    )


def test_in_the_evening_thursdays_first_talk_is_next(service: ProgramService):
    answer = service.next(pacific("2024-07-10T21:00"))
    (talk,) = answer.next_talks
    assert talk.title.startswith("Enabling Tensor Language Model to Assist in Generating")
    assert answer.next_talks[0].slot.start == pacific("2024-07-11T09:00")
    text = render_next(answer, service.conference)
    assert "First talk, Thu Jul 11" in text


def test_during_closing_remarks_they_are_the_last_item(service: ProgramService):
    answer = service.next(pacific("2024-07-12T17:25"))
    assert titles(answer.current) == ["Closing Remarks"]
    assert answer.upcoming == () and answer.next_talks == ()
    assert "That is the last item of OSDI '24." in render_next(answer, service.conference)


def test_after_the_conference_it_has_ended(service: ProgramService):
    answer = service.next(pacific("2024-07-13T00:00"))
    assert answer.phase is Phase.AFTER
    text = render_next(answer, service.conference)
    assert "OSDI '24 has ended" in text and "/paper" in text


def test_utc_input_gives_the_same_answer_as_pacific(service: ProgramService):
    utc = service.next(datetime(2024, 7, 10, 17, 50, tzinfo=UTC))
    local = service.next(pacific("2024-07-10T10:50"))
    assert utc == local
    assert render_next(utc, service.conference) == render_next(local, service.conference)


def test_between_two_talks_the_boundary_belongs_to_the_next_talk(service: ProgramService):
    answer = service.now(pacific("2024-07-10T11:05"))
    assert titles(answer.current) == ["NOMAD"]


def test_now_before_the_conference_says_not_started(service: ProgramService):
    text = render_now(service.now(pacific("2024-07-01T12:00")), service.conference)
    assert "has not started yet" in text


def test_after_the_conference_the_console_says_how_to_see_it_as_it_was(
    service: ProgramService,
):
    at = pacific("2024-12-06T19:55")
    hint = "To see it as it was, ask /next jul 10 11:00 (or run with --now 2024-07-10T11:00)."
    assert hint in render_next(service.next(at), service.conference).splitlines()
    assert hint in render_now(service.now(at), service.conference).splitlines()
    # and the moment it names is one the bot reads, with a talk on
    assert service.now(service.when("jul 10 11:00", at)).current
