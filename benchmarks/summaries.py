"""What a reader who hides embeds reads of the longest answers of real programs.

Not timed: for each real program (../shared/data/real-programs) it renders the answers
that grow with a program (the busiest /next and /now, every day's /schedule page, the
biggest session, track and search, the author of most talks, the longest abstract, a
reminder and an announcement of the biggest session, a slot's post at the busiest
start) and prints, per answer, the embed's characters beside its text's
(bot.render.summary), its longest line, and how many of the text's lines it gives
(a field of a few lines is one) before "…and N more lines in the embed". On a phone
(some 40 characters a line, 25 lines a screen) a text of SUMMARY_MAX characters is a
screenful or two.

    python -m benchmarks.summaries [fosdem-2025.schedule.xml ...]
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import timedelta
from pathlib import Path

from benchmarks.board import busiest_moment
from bot.model import Program
from bot.render import delivery_cards, posts, program_cards
from bot.render.cards import Card
from bot.render.summary import summary
from bot.service import ProgramService
from bot.service.results import EVERYWHERE, NoMatch, ProgramSize

REAL = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "real-programs"
BIGGEST = "fosdem-2025.schedule.xml"

Message = Sequence[Card]
# /now is asked this long after the busiest start, when its talks are on stage.
ON_STAGE = timedelta(minutes=10)
LEFT_OUT = re.compile(r"^…and (\d+) more lines? in the embed\.$", re.M)


def answers(program: Program) -> Iterator[tuple[str, Message]]:
    """(what, the cards of one message) for each message of the answers that grow."""
    service = ProgramService(program)
    conference = program.conference
    at = busiest_moment(service)
    pages = {
        "/next": program_cards.next_cards(service.next(at, frozenset(), EVERYWHERE), conference),
        "/now": program_cards.now_cards(
            service.now(at + ON_STAGE, frozenset(), EVERYWHERE), conference
        ),
    }
    for day in conference.days:
        pages[f"/schedule {day}"] = program_cards.day_cards(service.day(day, at), conference)
    biggest = max(program.sessions, key=lambda s: len(s.talk_keys))
    session = service.session(biggest.title, biggest.slot.start)
    if not isinstance(session, NoMatch):
        pages["/session"] = program_cards.session_cards(session, conference)
    if service.tracks:
        track = Counter(t.track for t in program.talks if t.track).most_common(1)[0][0]
        found = service.track(track, at, None)
        if not isinstance(found, NoMatch):
            pages["/track"] = program_cards.track_cards(found, conference)
    word = Counter(w.casefold() for t in program.talks for w in t.title.split()
                   if len(w) > 4).most_common(1)[0][0]  # fmt: skip
    pages["/search"] = program_cards.search_cards(service.search(word), conference)
    if program.people:
        person = max(program.people, key=lambda p: len(service.person_talks(p.key).talks))
        found_person = service.author(person.name)
        if not isinstance(found_person, NoMatch):
            pages["/author"] = program_cards.author_cards(found_person, conference)
    longest = max(program.talks, key=lambda t: (len(t.abstract or ""), len(t.authors)))
    talk = service.talk(longest.title)
    if not isinstance(talk, NoMatch):
        pages["/paper"] = program_cards.talk_cards(talk, conference, at)
    pages["/about"] = program_cards.about_cards(conference, "x", ProgramSize.of(program))
    for what, cards in pages.items():
        for n, card in enumerate(cards, start=1):
            yield (what if len(cards) == 1 else f"{what} page {n}"), [card]
    talks = service.session_talks(biggest)
    before = biggest.slot.start - timedelta(minutes=10)
    yield "announcement", [delivery_cards.announcement_card(biggest, talks, conference, before)]
    yield "reminder", [delivery_cards.reminder_card(biggest, conference, before, talks)]
    everything = [t for s in program.sessions for t in service.session_talks(s)]
    start = Counter(t.slot.start for t in everything).most_common(1)[0][0]
    starting = [t for t in everything if t.slot.start == start]
    header = posts.slot_header(start, len(starting), conference,
                               start - timedelta(minutes=10), False)  # fmt: skip
    for n, message in enumerate(posts.pack(header, posts.talk_lines(starting, conference, start))):
        yield f"slot post {n + 1} ({len(starting)} talks)", message


def told(text: str, cards: Message) -> tuple[int, int]:
    """(lines of the text that tell of the cards' description and fields, of how many):
    a field of a few lines is one line of the text; the count of lines left out is the
    text's last line but the footer."""
    head, tail = 1, 1 if cards[-1].footer else 0
    lines = text.split("\n")
    body = lines[head : len(lines) - tail]
    left = LEFT_OUT.search(text)
    if left is None:
        return len(body), len(body)
    return len(body) - 1, len(body) - 1 + int(left[1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("files", nargs="*", default=[BIGGEST])
    args = parser.parse_args(argv)
    from bot.importer.registry import read_source

    for name in args.files:
        program = read_source(REAL / name).program
        print(f"{name}: {len(program.talks)} talks")
        print(f"  {'answer':34} {'embed':>6} {'text':>5} {'longest line':>13} {'lines told':>12}")
        for what, cards in answers(program):
            text = summary(cards)
            embed = sum(c.size() for c in cards)
            widest = max(len(line) for line in text.split("\n"))
            shown, of = told(text, cards)
            print(f"  {what[:34]:34} {embed:>6} {len(text):>5} {widest:>13}"
                  f" {shown:>5} of {of:<4}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
