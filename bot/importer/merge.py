"""Merge the table of contents (who wrote what) with the schedule (when and where).

Titles are matched by a normalised key (case, white space, dot leaders). Anything in one
file and not the other is a load error that names both sides, with the closest title on
the other side, because a silently unscheduled paper is a paper nobody finds.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from bot.importer.errors import ProgramFileError
from bot.importer.limits import MAX_TITLE
from bot.importer.schedule import Schedule, ScheduledSession, ScheduledTalk, read_schedule
from bot.importer.toc import TableOfContents, TocDay, TocPaper, read_toc
from bot.model import Authorship, Conference, Event, Program, Session, Talk
from bot.normalize import match_key, slug

TOC_FILE = "program.txt"
SCHEDULE_FILE = "schedule.json"


@dataclass(frozen=True, slots=True)
class LoadedProgram:
    """A merged program plus what a person loading it should know."""

    program: Program
    warnings: tuple[str, ...] = field(default=())


def program_files(directory: Path) -> tuple[Path, Path]:
    return directory / TOC_FILE, directory / SCHEDULE_FILE


def read_program(directory: Path) -> LoadedProgram:
    """Read and merge a program directory (program.txt + schedule.json)."""
    toc_path, schedule_path = program_files(directory)
    for path in (toc_path, schedule_path):
        if not path.is_file():
            raise ProgramFileError(str(path), "file not found")
    toc = read_toc(toc_path)
    schedule = read_schedule(schedule_path)
    return merge(toc, schedule, default_key=directory.name)


def merge(toc: TableOfContents, schedule: Schedule, default_key: str = "conf") -> LoadedProgram:
    return _Merger(toc, schedule, default_key).merge()


class _Merger:
    def __init__(self, toc: TableOfContents, schedule: Schedule, default_key: str) -> None:
        self.toc = toc
        self.schedule = schedule
        info = schedule.conference
        self.conference = Conference(
            key=info.key or slug(default_key, 3),
            name=info.name,
            full_name=info.full_name,
            timezone=info.timezone,
            venue=info.venue,
            location=info.location or _location_from_header(toc.header),
            start_date=info.start_date,
            end_date=info.end_date,
            derived_note=info.derived_note,
            source=info.source,
        )
        self.problems: list[str] = []
        self.warnings: list[str] = []
        self.person_keys: dict[str, str] = {}
        self.cuts = 0  # texts cut to MAX_TITLE

    def merge(self) -> LoadedProgram:
        days = {toc_day.line_no: self.resolve_day(toc_day) for toc_day in self.toc.days}
        scheduled_sessions = self.match_sessions(days)
        scheduled_talks = self.match_talks()
        if self.problems:
            listing = "\n  - ".join(self.problems)
            raise ProgramFileError(
                f"{TOC_FILE} + {SCHEDULE_FILE}",
                f"the two files do not describe the same program:\n  - {listing}",
            )
        sessions, talks = self.build(days, scheduled_sessions, scheduled_talks)
        events = self.build_events()
        if self.cuts:
            self.warnings.append(f"{self.cuts} title(s), name(s) or affiliation(s) are longer"
                                 f" than {MAX_TITLE} characters; cut to {MAX_TITLE}")  # fmt: skip
        program = Program(self.conference, tuple(sessions), tuple(talks), tuple(events))
        return LoadedProgram(program, tuple(self.warnings))

    def resolve_day(self, toc_day: TocDay) -> date:
        conf = self.conference
        year = toc_day.year or conf.start_date.year
        where = f"{TOC_FILE}:{toc_day.line_no}"
        try:
            day = date(year, toc_day.month, toc_day.day)
        except ValueError:
            raise ProgramFileError(TOC_FILE, "not a real date", toc_day.line_no) from None
        if not conf.start_date <= day <= conf.end_date:
            raise ProgramFileError(
                TOC_FILE, f"{day} is outside the conference dates", toc_day.line_no
            )
        if day.strftime("%A") != toc_day.weekday:
            raise ProgramFileError(
                TOC_FILE,
                f"{where}: {day:%B} {day.day} is a {day:%A}, not a {toc_day.weekday}",
                toc_day.line_no,
            )
        return day

    def match_sessions(self, days: dict[int, date]) -> dict[int, ScheduledSession]:
        """TOC session heading line -> its scheduled session."""
        by_key: dict[tuple[str, date], ScheduledSession] = {}
        for s in self.schedule.sessions:
            by_key.setdefault((match_key(s.title), s.day), s)
        matched: dict[int, ScheduledSession] = {}
        for toc_day in self.toc.days:
            day = days[toc_day.line_no]
            for toc_session in toc_day.sessions:
                found = by_key.pop((match_key(toc_session.title), day), None)
                if found is None:
                    self.problems.append(
                        f"session {toc_session.title!r} ({TOC_FILE}:{toc_session.line_no}, {day})"
                        f" has no slot in {SCHEDULE_FILE}"
                        + _closest(toc_session.title, [s.title for s in self.schedule.sessions])
                    )
                else:
                    matched[toc_session.line_no] = found
        toc_titles = [s.title for s in self.toc.sessions]
        for missing in by_key.values():
            self.problems.append(
                f"session {missing.title!r} ({SCHEDULE_FILE} {missing.where}, {missing.day})"
                f" is not in {TOC_FILE}" + _closest(missing.title, toc_titles)
            )
        return matched

    def match_talks(self) -> dict[int, tuple[ScheduledSession, ScheduledTalk]]:
        """TOC paper title line -> its scheduled session and slot."""
        by_key: dict[str, tuple[ScheduledSession, ScheduledTalk]] = {}
        for s in self.schedule.sessions:
            for p in s.talks:
                if match_key(p.title) in by_key:
                    self.problems.append(f"paper {p.title!r} is scheduled twice ({p.where})")
                by_key[match_key(p.title)] = (s, p)
        scheduled_titles = [p.title for _, p in by_key.values()]
        matched: dict[int, tuple[ScheduledSession, ScheduledTalk]] = {}
        for toc_paper in self.toc.papers:
            found = by_key.pop(match_key(toc_paper.title), None)
            if found is None:
                self.problems.append(
                    f"paper {toc_paper.title!r} ({TOC_FILE}:{toc_paper.line_no})"
                    f" has no slot in {SCHEDULE_FILE}" + _closest(toc_paper.title, scheduled_titles)
                )
            else:
                matched[toc_paper.line_no] = found
        toc_titles = [p.title for p in self.toc.papers]
        for _, missing in by_key.values():
            self.problems.append(
                f"paper {missing.title!r} ({SCHEDULE_FILE} {missing.where})"
                f" is not in {TOC_FILE}" + _closest(missing.title, toc_titles)
            )
        return matched

    def build(
        self,
        days: dict[int, date],
        scheduled_sessions: dict[int, ScheduledSession],
        scheduled_talks: dict[int, tuple[ScheduledSession, ScheduledTalk]],
    ) -> tuple[list[Session], list[Talk]]:
        session_keys = _KeyMaker()
        talk_keys = _KeyMaker()
        sessions: list[Session] = []
        talks: list[Talk] = []
        for toc_day in self.toc.days:
            for toc_session in toc_day.sessions:
                scheduled = scheduled_sessions[toc_session.line_no]
                session_key = session_keys.make(slug(toc_session.title, 6))
                keys: list[str] = []
                for toc_paper in toc_session.papers:
                    owner, slot = scheduled_talks[toc_paper.line_no]
                    if owner is not scheduled:
                        raise ProgramFileError(
                            TOC_FILE,
                            f"paper {toc_paper.title!r} is under session {toc_session.title!r}"
                            f" here but under {owner.title!r} in {SCHEDULE_FILE}",
                            toc_paper.line_no,
                        )
                    talk = self.build_talk(toc_paper, slot, session_key, talk_keys)
                    self.check_inside(talk, scheduled)
                    keys.append(talk.key)
                    talks.append(talk)
                sessions.append(
                    Session(
                        key=session_key,
                        title=toc_session.title,
                        day=days[toc_day.line_no],
                        slot=scheduled.slot,
                        chairs=scheduled.chairs,
                        talk_keys=tuple(keys),
                    )
                )
        return sessions, talks

    def build_talk(
        self, toc_paper: TocPaper, scheduled: ScheduledTalk, session_key: str, keys: _KeyMaker
    ) -> Talk:
        base = scheduled.url.rstrip("/").rsplit("/", 1)[-1] if scheduled.url else ""
        title = self.cut(toc_paper.title)
        key = keys.make(slug(base or title, 6))
        authors = tuple(
            Authorship(self.person_key(name), name, a.affiliation and self.cut(a.affiliation))
            for a in toc_paper.authors
            for name in (self.cut(a.name),)
        )
        for a in authors:
            if a.affiliation is None:
                self.warnings.append(f"{a.name} on {title!r} has no affiliation")
        return Talk(
            key=key,
            title=title,
            page=toc_paper.page,
            session_key=session_key,
            slot=scheduled.slot,
            url=scheduled.url,
            award=scheduled.award,
            authors=authors,
        )

    def cut(self, text: str) -> str:
        """A title, name or affiliation cut to MAX_TITLE characters (merge says how many
        were): what every reader keeps of one (bot.importer.limits)."""
        if len(text) <= MAX_TITLE:
            return text
        self.cuts += 1
        return text[:MAX_TITLE]

    def person_key(self, name: str) -> str:
        """People are distinct by normalised name; prolific authors recur, so cache it."""
        key = self.person_keys.get(name)
        if key is None:
            key = self.person_keys[name] = match_key(name)
        return key

    def check_inside(self, talk: Talk, session: ScheduledSession) -> None:
        if talk.slot.start < session.slot.start or talk.slot.end > session.slot.end:
            self.warnings.append(f"talk {talk.title!r} runs outside its session's slot")

    def build_events(self) -> list[Event]:
        keys = _KeyMaker()
        events = []
        for e in self.schedule.events:
            day = e.slot.start.astimezone(self.conference.tz).date()
            title = self.cut(e.title)
            key = keys.make(f"{day:%Y-%m-%d}-{slug(title, 4)}")
            speaker = e.speaker and self.cut(e.speaker)
            events.append(Event(key, title, e.kind, e.slot, speaker, e.url))
        return events


class _KeyMaker:
    """Stable, unique keys: the same input files always give the same keys."""

    def __init__(self) -> None:
        self.used: set[str] = set()
        self.last: dict[str, int] = {}  # the last number given to a base

    def make(self, base: str) -> str:
        """base, else base-2, base-3...: the first not used. Counting on from the last
        number a base was given (those below it stay used), so a thousand titles with
        one slug cost a thousand steps, not half a million."""
        n = self.last.get(base, 1)
        key = base if n == 1 else f"{base}-{n}"
        while key in self.used:
            n += 1
            key = f"{base}-{n}"
        self.last[base] = n
        self.used.add(key)
        return key


def _closest(title: str, candidates: list[str]) -> str:
    keys = {match_key(c): c for c in candidates}
    near = difflib.get_close_matches(match_key(title), list(keys), n=1, cutoff=0.6)
    return f" (closest on the other side: {keys[near[0]]!r})" if near else ""


def _location_from_header(header: tuple[str, ...]) -> str | None:
    """The proceedings header's last line is the city ('Santa Clara, CA, USA')."""
    for line in reversed(header):
        if "," in line and not any(ch.isdigit() for ch in line):
            return line
    return None
