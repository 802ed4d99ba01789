"""Text from a program file is shown as written in every card: a title, a speaker, a
room or an abstract can never become a link, formatting or a mention."""

from __future__ import annotations

import ast
import dataclasses
import re
from enum import Enum
from pathlib import Path

import pytest

from bot.changes import RecordedChange
from bot.kinds import ReminderStatus
from bot.model import Authorship, Program, Session
from bot.render import agenda_cards, cards, delivery_cards, program_cards, status_cards
from bot.render.events import session_event
from bot.render.markdown import as_shown, escape, say
from bot.service import ProgramService, QueryError
from bot.service.reminders import AgendaLine
from bot.service.results import NoMatch, ProgramSize
from tests import markdown_checks as checks
from tests.conftest import pacific
from tests.markdown_checks import LINES, PAYLOAD, unsafe

HOSTILE = "[free badge](https://evil.example) **now** <@123> _x_"


@pytest.fixture
def hostile(program: Program) -> ProgramService:
    def poison(talk):
        if talk.key != "xiang":
            return talk
        slot = dataclasses.replace(talk.slot, room=f"Room {HOSTILE}")
        author = Authorship("mallory", f"Mallory {HOSTILE}", f"Evil Corp {HOSTILE}")
        return dataclasses.replace(talk, title=f"NOMAD {HOSTILE}", slot=slot,
                                   authors=(author,), abstract=f"Abstract {HOSTILE}")  # fmt: skip

    return ProgramService(dataclasses.replace(program, talks=tuple(map(poison, program.talks))))


def texts(card_list: list[cards.Card]) -> list[str]:
    found = []
    for card in card_list:
        found += [card.title, card.description, *(f.name for f in card.fields)]
        found += [f.value for f in card.fields]
    return found


UNSAFE = [re.compile(r"(?<!\\)\[free badge(?<!\\)\]"), re.compile(r"(?<!\\)\*\*now"),
          re.compile(r"(?<!\\)<@123>")]  # fmt: skip


def assert_safe(card_list: list[cards.Card]) -> None:
    shown = [t for t in texts(card_list) if "free badge" in t]
    assert shown, "the hostile text should appear, escaped"
    for text in shown:
        for pattern in UNSAFE:
            assert not pattern.search(text), text


def test_paper_card(hostile: ProgramService):
    answer = hostile.talk("p:xiang")
    assert_safe(program_cards.talk_cards(answer, hostile.conference))


def test_next_and_now_cards(hostile: ProgramService):
    at = pacific("2024-07-10T11:10")
    assert_safe(program_cards.next_cards(hostile.next(at), hostile.conference))
    assert_safe(program_cards.now_cards(hostile.now(at), hostile.conference))


def test_author_and_session_cards(hostile: ProgramService):
    assert_safe(program_cards.author_cards(hostile.author("a:mallory"), hostile.conference))
    assert_safe(
        program_cards.session_cards(hostile.session("s:memory-management"), hostile.conference)
    )


def test_reminder_and_announcement_cards(hostile: ProgramService):
    talk = hostile.remindable("p:xiang")
    now = pacific("2024-07-10T10:55")
    assert_safe([delivery_cards.reminder_card(talk, hostile.conference, now, ())])
    session = hostile.remindable("s:memory-management")
    assert_safe([delivery_cards.announcement_card(session, hostile.session_talks(session),
                                         hostile.conference, now)])  # fmt: skip


def test_day_card(hostile: ProgramService):
    answer = hostile.day("wednesday", pacific("2024-07-10T08:00"))
    assert_safe(program_cards.day_cards(answer, hostile.conference))


# -- the one way in: bot.render.markdown -------------------------------------------------
# Every construct Discord reads (tests.markdown_checks.PAYLOAD), and the program's words
# reading exactly as written once Discord has applied its escape rule.

NORMAL = ["C++ & Rust: a_b*c", "Don't panic! 50% faster (really)", "a\\b <3 x>y",
          "Hello, World: 1.5 x 2", "-1 is odd; #1 in sales", "TIL: it's ~fine~"]  # fmt: skip


@pytest.mark.parametrize("text", [PAYLOAD, PAYLOAD + LINES, *NORMAL])
def test_escaped_text_reads_as_written(text: str):
    assert as_shown(escape(text)) == text


def test_escaped_text_is_never_markdown_a_link_a_timestamp_or_a_ping():
    assert unsafe(PAYLOAD + LINES) == list(checks._LIVE)  # the check sees every construct
    assert unsafe(escape(PAYLOAD + LINES)) == []


def test_a_normal_title_keeps_its_words_and_only_gains_escapes():
    assert escape("C++ & Rust: a_b*c") == "C++ & Rust: a\\_b\\*c"


def test_escaping_escaped_text_changes_nothing():
    once = escape(PAYLOAD)
    assert escape(once) == once
    assert as_shown(escape(escape("C++ & Rust: a_b*c"))) == "C++ & Rust: a_b*c"


def test_say_escapes_the_programs_words_and_keeps_ours():
    text = say("I'll DM you about **{title}** at <t:100:t>.", title=PAYLOAD)
    assert text.startswith("I'll DM you about **") and text.endswith("** at <t:100:t>.")
    assert as_shown(text) == f"I'll DM you about **{PAYLOAD}** at <t:100:t>."
    assert unsafe(text) == []


def test_a_query_error_escapes_program_text_for_discord_and_not_for_the_console():
    error = QueryError("“{title}” already started.", title=PAYLOAD)
    assert str(error) == f"“{PAYLOAD}” already started."
    assert unsafe(error.render(escape)) == []
    assert QueryError("50% {done}").render(escape) == "50% {done}"  # no values: as written


def test_an_unknown_rooms_error_escapes_the_rooms_and_what_was_typed(hostile: ProgramService):
    with pytest.raises(QueryError) as raised:
        hostile.room_named("Room")
    shown = raised.value.render(escape)
    assert "Did you mean Room \\[free badge\\]" in shown
    assert not [p for p in UNSAFE if p.search(shown)]


# -- the places that used to show program text unescaped ---------------------------------


def test_about_title(hostile_everywhere: ProgramService):
    (card,) = program_cards.about_cards(hostile_everywhere.conference, "1", ProgramSize(1, 1))
    assert unsafe(card.title) == [] and unsafe(card.description) == []
    assert as_shown(card.title).startswith(PAYLOAD)
    assert all(unsafe(f.value) == [] for f in card.fields)


def test_agenda_clash_line(hostile_everywhere: ProgramService):
    talk = hostile_everywhere.remindable("p:xiang")
    assert talk is not None
    line = AgendaLine("p:xiang", talk.title, talk.slot, 10, ReminderStatus.ACTIVE, (talk.title,))
    (card,) = agenda_cards.agenda_cards([line], hostile_everywhere.conference)
    clash = card.fields[0].value.split("Clashes with: ")[1]
    assert unsafe(clash) == [] and as_shown(clash) == talk.title


def test_suggestions_when_nothing_matches():
    answer = NoMatch("zz", "talk", (PAYLOAD,))
    assert unsafe(program_cards.no_match_message(answer)) == []


def test_an_events_kind_and_speaker(hostile_everywhere: ProgramService):
    day = program_cards.day_cards(hostile_everywhere.day("2024-07-10", pacific("2024-07-10T08:00")),
                          hostile_everywhere.conference)  # fmt: skip
    keynote = [f for c in day for f in c.fields if "Speaker" in f.value]
    assert keynote and all(unsafe(f.name) == unsafe(f.value) == [] for f in keynote)
    at = pacific("2024-07-10T08:55")
    nexts = program_cards.next_cards(hostile_everywhere.next(at), hostile_everywhere.conference)
    assert any("Speaker" in f.value for c in nexts for f in c.fields)


def test_a_scheduled_events_description(hostile_everywhere: ProgramService):
    session = hostile_everywhere.remindable("s:memory-management")
    assert isinstance(session, Session)
    spec = session_event(session, hostile_everywhere.session_talks(session),
                         hostile_everywhere.conference)  # fmt: skip
    assert unsafe(spec.description) == []
    assert "\\" not in spec.name  # a name shows no Markdown: as written


# -- a program whose every word is hostile, through every renderer -----------------------
# A regression scan: a renderer added or changed later that shows any of the program's
# words unescaped fails here, whichever word it is.

_NOT_WORDS = {"key", "person_key", "session_key", "url", "timezone", "item_noun", "talk_keys"}


def _poisoned(value: object, name: str = "") -> object:
    if isinstance(value, Enum) or name in _NOT_WORDS:
        return value
    if isinstance(value, str):
        return f"{PAYLOAD} {value}" + (LINES if name == "abstract" else "")
    if isinstance(value, tuple):
        return tuple(_poisoned(v, name) for v in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: _poisoned(getattr(value, f.name), f.name)
                   for f in dataclasses.fields(value) if f.init}  # fmt: skip
        return dataclasses.replace(value, **changes)
    return value


@pytest.fixture(scope="module")
def hostile_everywhere(program: Program) -> ProgramService:
    poisoned = _poisoned(program)
    assert isinstance(poisoned, Program)
    return ProgramService(poisoned)


def _shown(card_list: list[cards.Card]) -> list[str]:
    """What Discord reads as Markdown in cards (footers and buttons show text as is)."""
    return [t for c in card_list for t in (c.title, c.description,
            *(f.name for f in c.fields), *(f.value for f in c.fields))]  # fmt: skip


def _everything(service: ProgramService) -> list[str]:
    program, conference = service.program, service.conference
    shown: list[str] = []
    for moment in ("2024-07-09T12:00", "2024-07-10T08:55", "2024-07-10T10:50",
                   "2024-07-11T12:00", "2024-07-13T12:00"):  # fmt: skip
        at = pacific(moment)
        shown += _shown(program_cards.next_cards(service.next(at), conference))
        shown += _shown(program_cards.now_cards(service.now(at), conference))
    now = pacific("2024-07-10T08:00")
    for talk in program.talks:
        paper = service.talk(f"p:{talk.key}")
        assert not isinstance(paper, NoMatch)
        shown += _shown(program_cards.talk_cards(paper, conference, now))
        item = service.remindable(f"p:{talk.key}")
        assert item is not None and not isinstance(item, Session)
        shown += _shown(
            [
                delivery_cards.reminder_card(item, conference, now),
                delivery_cards.qa_card(item, conference),
            ]
        )
        shown.append(delivery_cards.talk_start_text(item, conference, now))
    for session in program.sessions:
        answer = service.session(f"s:{session.key}")
        assert not isinstance(answer, NoMatch)
        talks = service.session_talks(session)
        shown += _shown(program_cards.session_cards(answer, conference))
        shown += _shown(
            [
                delivery_cards.reminder_card(session, conference, now, talks),
                delivery_cards.announcement_card(session, talks, conference, now),
            ]
        )
        shown.append(session_event(session, talks, conference).description)
    for person in program.people[:40]:
        author = service.author(f"a:{person.key}")
        assert not isinstance(author, NoMatch)
        shown += _shown(program_cards.author_cards(author, conference))
    for day in conference.days:
        shown += _shown(program_cards.day_cards(service.day(day, now), conference))
    shown += _shown(program_cards.search_cards(service.search("memory"), conference))
    shown += _shown(program_cards.about_cards(conference, "1", ProgramSize(1, 1)))
    room, t = program.talks[0].slot.room, 1720000000
    old, new = (t, t + 60, room), (t + 60, t + 120, room)
    changes = [RecordedChange(1, t, "p:x", (), program.talks[0].title, kinds, before, after)
               for kinds, before, after in ((("moved", "retitled"), old, new), ((), None, new),
                                            ((), old, None))]  # fmt: skip
    shown += _shown(delivery_cards.changes_cards(changes, conference, "Changes"))
    assert room is not None
    report = status_cards.StatusReport(None, None, False, False, None, None, now, 1, 1, 0, {},
                                room_channels=((room, 1, None), (room, 2, room)),
                                streams=((room, "https://example.org/live"),))  # fmt: skip
    shown += _shown([status_cards.status_card(report, conference)])
    return shown


def test_every_word_of_a_hostile_program_is_shown_escaped_by_every_renderer(
    hostile_everywhere: ProgramService,
):
    shown = _everything(hostile_everywhere)
    assert sum("evil.example" in text for text in shown) > 1000  # the words are shown
    read = {text: found for text in shown if (found := unsafe(text))}
    assert read == {}


# -- no f-string puts the program's words into a message unescaped -----------------------
# A static check beside the hostile program's scans: an f-string in the Discord adapter or
# a Discord renderer that shows a program attribute (a title, name, room…) must pass it
# through escape() or say(), or be listed here with why it needs neither. (Words kept in a
# local variable first escape this check; the e2e scan of every command catches those.)

_PROGRAM_WORDS = {"title", "name", "full_name", "room", "track", "venue", "location",
                  "affiliation", "abstract", "subtitle", "speaker", "award", "source",
                  "derived_note", "chairs", "kind", "language", "label", "clashes"}  # fmt: skip
_NEEDS_NO_ESCAPE = {
    ("events_cog.py", "session.title"): "a failure line; Tally.summary escapes each line",
    ("program_cards.py", "w.tr(watching.label)"): "our own words: 'Watch live', 'Recording'",
    ("delivery_cards.py", "w.tr(watching.label)"): "our own words: 'Watch live', 'Recording'",
    ("events.py", "conference.venue"): "a scheduled event's location shows no Markdown",
}
_MESSAGE_CODE = ("bot/adapters/discord/*.py", "bot/render/*cards.py", "bot/render/events.py")


def _unescaped_words(path: Path) -> list[tuple[str, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.JoinedStr):
            continue
        for part in node.values:
            if not isinstance(part, ast.FormattedValue):
                continue
            value = part.value
            call = value.func if isinstance(value, ast.Call) else None
            called = getattr(call, "id", getattr(call, "attr", None))
            if called in ("escape", "say", "len", "count_of", "int"):
                continue
            if any(isinstance(n, ast.Attribute) and n.attr in _PROGRAM_WORDS
                   for n in ast.walk(value)):  # fmt: skip
                found.append((path.name, ast.unparse(value)))
    return found


def test_no_f_string_shows_a_program_attribute_unescaped():
    root = Path(__file__).resolve().parents[1]
    paths = [path for pattern in _MESSAGE_CODE for path in root.glob(pattern)]
    assert len(paths) > 10
    found = {hit for path in paths for hit in _unescaped_words(path)}
    assert found == set(_NEEDS_NO_ESCAPE)
