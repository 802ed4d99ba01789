"""The questions confbot answers, as pure functions of the program and `now`.

No clock is read here and no Discord type appears: adapters pass `now` in and render
the typed results however they like.
"""

from __future__ import annotations

import functools
import threading
import unicodedata
from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta

from bot.bulk import bulk_build
from bot.i18n import N_
from bot.model import Event, Program, Session, SessionKind
from bot.normalize import without_invisible
from bot.search import Hit, ProgramIndex, has_words
from bot.service import board
from bot.service.board import FilterError, Places, by_code, matches
from bot.service.results import (
    EVERYWHERE,
    AffiliationMatch,
    AuthorAnswer,
    AuthoredTalk,
    DayAnswer,
    NextAnswer,
    NoMatch,
    NowAnswer,
    PersonTalks,
    Phase,
    ProgramItem,
    SearchAnswer,
    SearchKind,
    SessionAnswer,
    SessionBlock,
    SessionTalk,
    Suggestion,
    SuggestionKind,
    TalkAnswer,
    TrackAnswer,
    Where,
)
from bot.service.timeline import Timeline
from bot.service.tracks import day_to_show, in_time_order, names_a_day, on_now_or_next
from bot.service.when import NotADay, Refusal, WhenError, day_at_ends, parse_day, parse_when
from bot.template import Worded

MAX_QUERY = 200
# What clean_query refuses in an attendee's lookup, a sentence for each thing looked up
# (languages that inflect say each differently): empty, too long, control characters.
# Anything else typed (a product) is refused in English.
_REFUSED = {
    "query": (
        N_("Please give a query."),
        N_("That query is {length} characters long; {limit} at most."),
        N_("That query contains control characters."),
    ),
    "paper title": (
        N_("Please give a paper title."),
        N_("That paper title is {length} characters long; {limit} at most."),
        N_("That paper title contains control characters."),
    ),
    "name": (
        N_("Please give a name."),
        N_("That name is {length} characters long; {limit} at most."),
        N_("That name contains control characters."),
    ),
    "session name": (
        N_("Please give a session name."),
        N_("That session name is {length} characters long; {limit} at most."),
        N_("That session name contains control characters."),
    ),
    "track name": (
        N_("Please give a track name."),
        N_("That track name is {length} characters long; {limit} at most."),
        N_("That track name contains control characters."),
    ),
    # /next's and /now's filters (room:, track:, language: in the console)
    "room": (
        N_("Please give a room."),
        N_("That room is {length} characters long; {limit} at most."),
        N_("That room contains control characters."),
    ),
    "track": (
        N_("Please give a track."),
        N_("That track is {length} characters long; {limit} at most."),
        N_("That track contains control characters."),
    ),
    "day": (  # /schedule's and /track's day: blank and too long are refused before
        N_("Please give a day."),
        N_("That day is {length} characters long; {limit} at most."),
        N_("That day contains control characters."),
    ),
    "language": (
        N_("Please give a language."),
        N_("That language is {length} characters long; {limit} at most."),
        N_("That language contains control characters."),
    ),
}
# Stable references in autocomplete values and the state database. "p:" dates from when
# talks were called papers; stored reminders use it, so it stays.
TALK_REF, PERSON_REF, SESSION_REF = "p:", "a:", "s:"

# Thresholds on the 0-100 scores of bot.search, chosen on the labeled query set in
# tests/test_search_quality.py: below them an answer is more likely wrong than right.
TALK_MATCH = 65.0
PERSON_MATCH = 70.0
AFFILIATION_MATCH = 75.0
SESSION_MATCH = 70.0
TRACK_MATCH = 70.0
SUGGESTION_FLOOR = 35.0
# The most a search shows of each kind; past it the answer says there are more.
SEARCH_SHOWN = {
    SearchKind.TALKS: 250,
    SearchKind.PEOPLE: 50,
    SearchKind.AFFILIATIONS: 25,
    SearchKind.SESSIONS: 25,
}
# People within this many points of the best match are equally plausible ('Chen').
PERSON_TIE = 6.0
# /next lists what starts within this long after the next start time: at FOSDEM one
# devroom starts at 11:05 and the next at 11:10, and both are "next" to a reader.
SOON = timedelta(minutes=15)
# Filtered timelines kept per service (a room channel asks for its room all day).
FILTERS_KEPT = 64


class QueryError(Worded, ValueError):
    """The input is not something we can search for; the message says why.

    The message is one of our sentences (bot.template.Worded: the one shape of a failure
    said with a template and values) and may name outside text (a title, a room, what was
    typed) as `{name}`, given as a keyword: each adapter puts it in its own way (Discord
    escapes it, so a program's title is never formatting or a ping; the console shows it
    as is), and translates the sentence where a catalog has it.
    """


class LanguageRefused(QueryError):
    """A language filter that names none of the program's: `languages` are the program's
    values of the closest, which a renderer names in the reader's language as `{close}`
    (bot.render.board.language_refusal). Until then (a log line) `{close}` is those
    values as the program gives them."""

    def __init__(self, message: str, languages: tuple[str, ...], /, **outside: str | int) -> None:
        super().__init__(message, **outside, close=", ".join(languages))
        self.languages = languages


class DayRefused(WhenError, QueryError):
    """A day the conference, or a track, has nothing on: refused as every typed day is
    (a WhenError whose kind the renderer says in the reader's language), and a QueryError
    as it always was, for those who catch what cannot be looked up."""


# A room the program lists with no talk in it (FOSDEM 2025's Janson).
ROOM_WITHOUT_TALKS = N_("{room} has no talks in this program.")


def clean_query(text: str, what: str = "query") -> str:
    """Reject input no person would mean: empty, huge, or full of control characters;
    `what` was asked for (a key of _REFUSED: each says it in the reader's language)."""
    empty, too_long, control = _REFUSED[what]
    text = without_invisible(text.replace("\t", " ")).strip()  # as names are read
    if not text:
        raise QueryError(empty)
    if len(text) > MAX_QUERY:
        raise QueryError(too_long, length=len(text), limit=MAX_QUERY)
    if any(unicodedata.category(ch) == "Cc" for ch in text):
        raise QueryError(control)
    return " ".join(text.split())


def favourites_first(
    items: Iterable[ProgramItem], favourites: frozenset[str]
) -> tuple[ProgramItem, ...]:
    """Items in a favourite room or track first, each group in its own order."""
    items = tuple(items)
    if not favourites:
        return items

    return tuple(sorted(items, key=lambda item: not places_of(item) & favourites))


def places_of(item: ProgramItem | Session) -> set[str]:
    """Where an item stands, for preferences: its room and its track, where it has them."""
    if isinstance(item, SessionTalk):
        track = item.talk.track
    elif isinstance(item, Session):
        track = item.track
    else:
        track = None
    return {place for place in (item.slot.room, track) if place}


def _followed(items: Iterable[ProgramItem], favourites: frozenset[str]) -> frozenset[str]:
    """The keys of the items in a room or track the person follows."""
    if not favourites:
        return frozenset()
    return frozenset(item.key for item in items if places_of(item) & favourites)


def _bounded(hits: list[Hit], floor: float, shown: int) -> tuple[list[Hit], bool]:
    """The hits scoring at least `floor`, at most `shown` of them, and whether there
    were more."""
    good = [h for h in hits if h.score >= floor]
    return good[:shown], len(good) > shown


def _typed(text: str | None) -> str:
    """What someone has typed so far, or '' if it is nothing usable."""
    try:
        return clean_query(text or "")
    except QueryError:
        return ""


class ProgramService:
    def __init__(
        self, program: Program, index: ProgramIndex | None = None, index_later: bool = False
    ) -> None:
        """`index_later`: build the search indexes on first use, or when `index_now` is
        called, instead of here. A bot starting with 100 conferences answers sooner if
        it indexes them in the background once it is up; on the event loop a lookup
        awaits them through bot.live.holder, which builds them in a daemon thread (a
        version a sync builds is indexed before it is swapped in, so no lookup ever
        waits for that). The console and CLI, synchronous, build them in place."""
        self.program = program
        self.conference = program.conference
        self._index = index
        self._indexing = threading.Lock()
        if not index_later:
            self.index_now()
        with bulk_build():
            self.sessions = {s.key: s for s in program.sessions}
            sessions = self.sessions
            self.talks = {t.key: SessionTalk(t, sessions[t.session_key]) for t in program.talks}
            self.people = {person.key: person for person in program.people}
            self.timeline = Timeline([*self.talks.values(), *program.events])
        self._timelines: dict[Where, Timeline] = {}
        self._sessions_by_start: dict[int, list[Session]] = {}
        for session in program.sessions:
            start = int(session.slot.start.timestamp())
            self._sessions_by_start.setdefault(start, []).append(session)

    @property
    def index(self) -> ProgramIndex:
        """The search indexes, built in place if they are not yet (see `index_later`)."""
        return self._index or self.index_now()

    @property
    def indexed(self) -> bool:
        """Whether the search indexes are built: a lookup then builds nothing."""
        return self._index is not None

    def index_now(self) -> ProgramIndex:
        """The search indexes, built once (thread-safe: two threads may ask at once, and
        the second waits for the first)."""
        with self._indexing:
            if self._index is None:
                self._index = ProgramIndex(self.program)
            return self._index

    # -- time ---------------------------------------------------------------------------

    def now(
        self, now: datetime, favourites: frozenset[str] = frozenset(), where: Where = EVERYWHERE
    ) -> NowAnswer:
        """What is on; items in `favourites` (rooms or tracks the person follows) first;
        only the room, track or language `where` names, if it names one."""
        at = now.astimezone(self.conference.tz)
        timeline = self._timeline(where)
        current = favourites_first(timeline.current(at), favourites)
        return NowAnswer(
            at=at,
            phase=self._phase(at),
            current=current,
            ambient=tuple(timeline.current_ambient(at)),
            where=where,
            followed=_followed(current, favourites),
        )

    def next(
        self, now: datetime, favourites: frozenset[str] = frozenset(), where: Where = EVERYWHERE
    ) -> NextAnswer:
        """What is on and what comes next; with 28 rooms at once (FOSDEM) the rooms and
        tracks in `favourites` come first, so the first page is the reader's. `where`
        keeps one room, track or language."""
        at = now.astimezone(self.conference.tz)
        phase = self._phase(at)
        timeline = self._timeline(where)
        current = timeline.current(at)
        rooms = [i.slot.room for i in current if isinstance(i, SessionTalk)]
        day_start = datetime.combine(at.date(), time(), tzinfo=self.conference.tz)
        day_end = datetime.combine(at.date() + timedelta(days=1), time(), self.conference.tz)
        resuming = timeline.rooms_started(day_start, at)
        upcoming = timeline.upcoming(at, rooms, resuming, day_end)
        shown = {i.key for i in upcoming}
        until = (upcoming[0].slot.start if upcoming else at) + SOON
        soon = [i for i in timeline.starting(at, until) if i.key not in shown]
        shown |= {i.key for i in soon}
        next_talks = [t for t in timeline.next_talks(at) if t.key not in shown]
        ambient = [i for i in timeline.current_ambient(at) if i.key not in shown]
        return NextAnswer(
            at=at,
            phase=phase,
            current=favourites_first(current, favourites),
            ambient=tuple(ambient),
            upcoming=favourites_first(upcoming, favourites),
            next_talks=tuple(next_talks),
            opening=tuple(timeline.opening()) if phase is Phase.BEFORE else (),
            opens=self.timeline.first_start if phase is Phase.BEFORE else None,
            soon=favourites_first(soon, favourites),
            opening_soon=tuple(timeline.ambient_starting(at, until)),
            where=where,
            followed=_followed([*current, *upcoming, *soon, *next_talks], favourites),
            complete_until=until if upcoming else None,
        )

    def _timeline(self, where: Where) -> Timeline:
        """The whole program's timeline, or one of only what `where` keeps (built once
        per filter, a few kept: a filtered /next costs what an unfiltered one does)."""
        if not where.any:
            return self.timeline
        found = self._timelines.get(where)
        if found is None:
            if len(self._timelines) >= FILTERS_KEPT:
                self._timelines.pop(next(iter(self._timelines)))
            kept = [i for i in self.timeline.items if matches(i, where)]
            found = self._timelines[where] = Timeline(kept)
        return found

    # -- filters of the board -----------------------------------------------------------

    @functools.cached_property
    def places(self) -> Places:
        """The rooms, tracks and languages of the program, to filter the board by."""
        talks = self.talks.values()
        tracks = sorted({track for t in talks if (track := t.talk.track or t.session.track)})
        languages = sorted({t.talk.language for t in talks if t.talk.language})
        return Places(self.rooms, tuple(tracks), tuple(languages))

    def where(
        self, room: str | None = None, track: str | None = None, language: str | None = None
    ) -> Where:
        """The filter for what a person typed in /next's options; a QueryError in one
        sentence for a value that names nothing here (with the closest names)."""
        try:
            return self.places.resolve(room, track, language, clean_query)
        except FilterError as exc:
            if room is not None and (empty := self._empty_room(room)) is not None:
                raise QueryError(ROOM_WITHOUT_TALKS, room=empty) from None
            if exc.languages:
                raise LanguageRefused(exc.template, exc.languages, conference=self.conference.name,
                                      typed=exc.typed) from None  # fmt: skip
            raise QueryError(exc.template, conference=self.conference.name, typed=exc.typed,
                             close=exc.close) from None  # fmt: skip

    def _empty_room(self, typed: str) -> str | None:
        """The room the program lists with no talks (FOSDEM 2025's Janson) that `typed`
        names, if it names no room with talks nor a track: told as /session tells it,
        not as a room no program has."""
        if self._room_exact(typed) is not None or self._exact(typed, self.tracks) is not None:
            return None
        return self._exact(typed, self.conference.empty_rooms)

    def suggest_tracks(self, text: str, limit: int = 25) -> list[Suggestion]:
        return board.suggest(self.places.tracks, _typed(text), limit)

    def suggest_languages(self, text: str, limit: int = 25) -> list[Suggestion]:
        return board.suggest_languages(self.places.languages, _typed(text), limit)

    def when(self, text: str, now: datetime) -> datetime:
        """Resolve a typed moment ('thursday 9:00'); raises WhenError."""
        return parse_when(text, self.conference, now)

    def _phase(self, at: datetime) -> Phase:
        first, last = self.timeline.first_start, self.timeline.last_end
        if first is not None and at < first:
            return Phase.BEFORE
        if last is not None and at >= last:
            return Phase.AFTER
        return Phase.DURING

    # -- lookups ------------------------------------------------------------------------

    def talk(self, query: str) -> TalkAnswer | NoMatch:
        if isinstance(ref := self.remindable(query), SessionTalk):
            return TalkAnswer(query, ref, ())
        query = clean_query(query, "paper title")
        hits = self.index.find_talks(query, limit=6)
        if not hits or hits[0].score < TALK_MATCH:
            return self._no_match(query, "paper", hits, lambda k: self.talks[k].title)
        runners_up = tuple(self.talks[h.key] for h in hits[1:5] if h.score >= 50)
        return TalkAnswer(query, self.talks[hits[0].key], runners_up)

    def author(self, query: str) -> AuthorAnswer | NoMatch:
        if query.startswith(PERSON_REF) and query[len(PERSON_REF) :] in self.people:
            return AuthorAnswer(query, (self.person_talks(query[len(PERSON_REF) :]),))
        query = clean_query(query, "name")
        if not self.people:
            raise self._names_no_one()
        hits = self.index.find_people(query, limit=12)
        if not hits or hits[0].score < PERSON_MATCH:
            return self._no_match(query, "author", hits, lambda k: self.people[k].name)
        floor = max(PERSON_MATCH, hits[0].score - PERSON_TIE)
        people = tuple(self.person_talks(h.key) for h in hits if h.score >= floor)
        return AuthorAnswer(query, people)

    def _names_no_one(self) -> QueryError:
        """A program that names no speakers (an iCalendar feed has nowhere to): saying
        'no author matches' would send people trying other spellings of a name that
        is in no field of it."""
        if self.conference.is_proceedings:
            said = N_("{conference} names no authors for its papers, so /author finds no one;"
                      " /paper and /search find its papers by title.")  # fmt: skip
        else:
            said = N_("{conference} names no speakers for its talks, so /author finds no one;"
                      " /paper and /search find its talks by title.")  # fmt: skip
        return QueryError(said, conference=self.conference.name)

    def person_talks(self, person_key: str) -> PersonTalks:
        person = self.people[person_key]
        talks = []
        for talk_key in person.talks:
            talk = self.talks[talk_key]
            for authorship in talk.talk.authors:
                if authorship.person_key == person_key:
                    talks.append(AuthoredTalk(talk, authorship))
                    break
        talks.sort(key=lambda t: t.talk.slot.start)
        return PersonTalks(person.key, person.name, tuple(talks))

    def session(self, query: str, now: datetime | None = None) -> SessionAnswer | NoMatch:
        """A session by name. With `now`, a room (or a track's block, FOSDEM's devrooms)
        asked for without a day is today's block, or the next day's that has one; with a
        day before or after it ('Rust sunday'), that day's block, or one sentence saying
        which days have one. A session's whole name is taken as typed first, so a name
        with a weekday in it stays a name."""
        if isinstance(ref := self.remindable(query), Session):
            return SessionAnswer(query, ref, self.session_talks(ref), ())
        query = clean_query(query, "session name")
        if now is not None and (titled := self._titled(query)) is not None:
            return SessionAnswer(query, titled, self.session_talks(titled), ())
        if now is not None and (room := self._room_exact(query)) is not None:
            return self._room_block(query, room, now)
        if now is not None and (dated := self._dated(query, now)) is not None:
            return dated
        hits = self.index.find_sessions(query, limit=4)
        if not hits or hits[0].score < SESSION_MATCH:
            if (empty := self._exact(query, self.conference.empty_rooms)) is not None:
                raise QueryError(ROOM_WITHOUT_TALKS, room=empty)
            return self._no_match(query, "session", hits, lambda k: self.sessions[k].title)
        session = self.sessions[hits[0].key]
        others = tuple(self.sessions[h.key] for h in hits[1:] if h.score >= SESSION_MATCH)
        if now is None or session.kind is not SessionKind.ROOM_BLOCK or names_a_day(query):
            return SessionAnswer(query, session, self.session_talks(session), others)
        return self._block_of_the_day(query, session, others, now)

    def _block_of_the_day(
        self, query: str, found: Session, others: tuple[Session, ...], now: datetime
    ) -> SessionAnswer:
        """`found` is one day's block of a room or track: the one of today (or the next
        day with one) instead, and the other days that have one."""
        series = self._series(found)
        day = day_to_show((s.day for s in series), self._today(now))
        on_day = [s for s in series if s.day == day]
        same_room = [s for s in on_day if s.slot.room == found.slot.room] or on_day
        chosen = found if found in on_day else on_now_or_next(same_room, now)
        others = tuple(s for s in others if s.day == day and s != chosen)
        other_days = tuple(sorted({s.day for s in series} - {day}))
        return SessionAnswer(query, chosen, self.session_talks(chosen), others, other_days)

    def _titled(self, query: str) -> Session | None:
        """The one session whose whole name `query` is ('Rust, Saturday', OSDI's 'Memory
        Management'), in any case and spacing; None if none or several are."""
        wanted = " ".join(query.split()).casefold()
        found = [s for s in self.program.sessions if " ".join(s.title.split()).casefold() == wanted]
        return found[0] if len(found) == 1 else None

    def _dated(self, query: str, now: datetime) -> SessionAnswer | None:
        """A room, track or session named with a day after or before it ('Rust sunday',
        'K.3.201 day 2'): that day's block, or a QueryError in one sentence naming the
        days it has one. None if no end of the query reads as a day with the rest naming
        something: the whole query is then looked up as a name."""
        for name, typed_day in day_at_ends(query):
            named = self._series_named(name.strip(" ,"))
            if named is None or (day := self._day_or_none(typed_day, now)) is None:
                continue
            label, blocks, also_track = named
            return self._block_on(query, label, blocks, day, now, also_track)
        return None

    def _day_or_none(self, typed: str, now: datetime) -> date | None:
        """The conference's day `typed` names (day_named, whose errors say what is wrong
        with a day); None if it reads as no day at all."""
        try:
            return self.day_named(typed, now)
        except NotADay:
            return None

    def _series_named(self, name: str) -> tuple[str, list[Session], str | None] | None:
        """What `name` names across days: a room's blocks, a devroom's (a track with
        blocks of its own), or the blocks of the session it is closest to (a room's or a
        track's, or the sessions of that title); with the name to say and the track of
        the same name as a room. None if it names nothing."""
        if not name:
            return None
        if (room := self._room_exact(name)) is not None:
            blocks = [s for s in self.program.sessions if s.slot.room == room]
            return room, blocks, self._exact(name, self.tracks)
        track = self._exact(name, self.tracks)
        if track is not None and self._has_blocks(track):
            blocks = [s for s in self.program.sessions
                      if s.kind is SessionKind.ROOM_BLOCK and s.track == track]  # fmt: skip
            return track, blocks, None
        hits = self.index.find_sessions(name, limit=1)
        if not hits or hits[0].score < SESSION_MATCH:
            return None
        found = self.sessions[hits[0].key]
        if found.kind is SessionKind.ROOM_BLOCK:
            return found.track or found.slot.room or found.title, self._series(found), None
        return found.title, [s for s in self.program.sessions if s.title == found.title], None

    def _block_on(
        self, query: str, label: str, blocks: list[Session], day: date, now: datetime,
        also_track: str | None,
    ) -> SessionAnswer:  # fmt: skip
        """Of `blocks` (one room's, track's or session's, every day), the one of `day` on
        now or next, the others of that day as runners-up; else one sentence."""
        days = sorted({s.day for s in blocks})
        on_day = [s for s in blocks if s.day == day]
        if not on_day:
            raise DayRefused(Refusal.SESSION_NOT_ON_DAY, name=label, day=day, days=days)
        chosen = on_now_or_next(on_day, now)
        others = tuple(s for s in on_day if s != chosen)
        other_days = tuple(d for d in days if d != day)
        return SessionAnswer(query, chosen, self.session_talks(chosen), others, other_days,
                             also_track)  # fmt: skip

    def _series(self, block: Session) -> list[Session]:
        """The blocks of one track (a devroom), or of one room where it has no track,
        on every day."""
        return [
            s
            for s in self.program.sessions
            if s.kind is SessionKind.ROOM_BLOCK
            and (s.track == block.track if block.track else s.slot.room == block.slot.room)
        ]

    def _room_block(self, query: str, room: str, now: datetime) -> SessionAnswer:
        """A room's block on today (or the next day it has one): the one on now or next,
        with the room's other blocks that day as runners-up (with a day asked, _dated)."""
        blocks = [s for s in self.program.sessions if s.slot.room == room]
        day = day_to_show((s.day for s in blocks), self._today(now))
        on_day = [s for s in blocks if s.day == day]
        chosen = on_now_or_next(on_day, now)
        others = tuple(s for s in on_day if s != chosen)
        other_days = tuple(sorted({s.day for s in blocks} - {day}))
        also_track = self._exact(query, self.tracks)
        return SessionAnswer(query, chosen, self.session_talks(chosen), others, other_days,
                             also_track)  # fmt: skip

    def session_or_track(self, query: str, now: datetime) -> SessionAnswer | TrackAnswer | NoMatch:
        """/session: a session, a room's or a devroom's block of the day, or, for a track
        that spans rooms that day (CCC's Security in every hall, a devroom in several
        rooms at once), that track's talks of the day: one room's block of it would
        show a part of the track as if it were the whole."""
        if self.remindable(query) is None:
            typed = clean_query(query, "session name")
            for name, typed_day in [(typed, ""), *day_at_ends(typed)]:
                track = self._exact(name.strip(" ,"), self.tracks)
                room = self._room_exact(name.strip(" ,"))
                if track is None or room is not None:
                    continue
                day = self._track_day(track, typed_day, now)  # 'security saturday'
                if day is None:
                    continue
                if not self._has_blocks(track) or len(self._track_rooms(track, day)) > 1:
                    return self.track(track, now, day)
        return self.session(query, now)

    def _track_day(self, track: str, typed_day: str, now: datetime) -> date | None:
        """The day a track is asked for: the one typed, else today (or the next day it
        has talks); None if what was typed reads as no day."""
        if typed_day:
            return self._day_or_none(typed_day, now)
        days = {t.session.day for t in self.talks.values() if t.talk.track == track}
        return day_to_show(days, self._today(now))

    def _track_rooms(self, track: str, day: date) -> set[str]:
        """The rooms a track has talks in on `day`: more than one, and its answer is its
        talks of the day, not one room's block."""
        return {t.slot.room for t in self.talks.values()
                if t.talk.track == track and t.session.day == day and t.slot.room}  # fmt: skip

    def _has_blocks(self, track: str) -> bool:
        """Whether a track has blocks of its own (a devroom), not only talks in halls
        shared with other tracks (CCC's Security)."""
        return any(s.track == track for s in self.program.sessions)

    def _today(self, now: datetime) -> date:
        return now.astimezone(self.conference.tz).date()

    @staticmethod
    def _exact(typed: str, names: Iterable[str]) -> str | None:
        """The name `typed` is, in any case and spacing; None if it is none of them."""
        wanted = " ".join(typed.split()).casefold()
        return next((name for name in names if " ".join(name.split()).casefold() == wanted), None)

    def _room_exact(self, typed: str) -> str | None:
        """The room `typed` names: its whole name in any case and spacing, or the code on
        its door ('H.1302' for 'H.1302 (Depage)') when one room's name starts with it."""
        room = self._exact(typed, self.rooms)
        return room if room is not None else by_code(self.rooms, " ".join(typed.split()))

    def session_talks(self, session: Session) -> tuple[SessionTalk, ...]:
        return tuple(self.talks[k] for k in session.talk_keys)

    def day(self, text: str | date, now: datetime) -> DayAnswer:
        """The day at a glance; `text` is a date or what a person typed ('thursday',
        'today', 'day 2', 'feb 1': see parse_day)."""
        day = self.day_named(text, now)
        items: list[SessionBlock | Event] = [
            SessionBlock(s, self.session_talks(s)) for s in self.program.sessions if s.day == day
        ]
        tz = self.conference.tz
        items += [e for e in self.program.events if e.slot.start.astimezone(tz).date() == day]
        items.sort(key=lambda i: (i.slot.start, i.slot.end))
        return DayAnswer(day, tuple(items))

    def day_named(self, text: str | date, now: datetime) -> date:
        """One of the conference's days, from a date or what a person typed (see
        parse_day); else a WhenError naming its days. Nothing typed, or too much, is
        refused as parse_day refuses it, so the reader reads it in their language."""
        if isinstance(text, date):
            typed = text.isoformat()
        elif not without_invisible(text).strip():
            raise WhenError(Refusal.NO_DAY)
        elif len(text) > MAX_QUERY:
            raise WhenError(Refusal.DAY_TOO_LONG)
        else:
            typed = clean_query(text, "day")
        day = parse_day(typed, self.conference, now)
        if day not in self.conference.days:
            raise DayRefused(Refusal.DAY_OUTSIDE, conference=self.conference.name, day=day,
                             days=self.conference.days)  # fmt: skip
        return day

    # -- tracks -----------------------------------------------------------------------

    @functools.cached_property
    def tracks(self) -> tuple[str, ...]:
        """Every track a talk is in, sorted."""
        return tuple(sorted({t.track for t in self.program.talks if t.track}, key=str.casefold))

    def track(
        self, query: str, now: datetime, day: str | date | None = None
    ) -> TrackAnswer | NoMatch:
        """A track's talks across rooms, in time order: on `day`, or every day."""
        name = self._track_for(clean_query(query, "track name"))
        if isinstance(name, NoMatch):
            return name
        talks = in_time_order(t for t in self.talks.values() if t.talk.track == name)
        days = tuple(sorted({t.session.day for t in talks}))
        also_room = self._exact(name, self.rooms) is not None
        if day is None:
            return TrackAnswer(name, None, talks, days, also_room)
        on = self.day_named(day, now)
        if on not in days:
            raise DayRefused(Refusal.TRACK_NOT_ON_DAY, name=name, day=on, days=days)
        return TrackAnswer(name, on, tuple(t for t in talks if t.session.day == on), days,
                           also_room)  # fmt: skip

    def _track_for(self, query: str) -> str | NoMatch:
        """The track a person named: exactly (any case), else the closest name; a room's
        name that is no track's gets one sentence saying where rooms are asked for."""
        if (exact := self._exact(query, self.tracks)) is not None:
            return exact
        if (room := self._exact(query, self.rooms)) is not None:
            raise QueryError(N_("“{room}” is a room, not a track: /session {room} shows its"
                                " talks."), room=room)  # fmt: skip
        if not self.tracks:
            raise QueryError(N_("{conference} has no tracks."), conference=self.conference.name)
        hits = self.index.find_tracks(query, limit=4)
        if not hits or hits[0].score < TRACK_MATCH:
            return self._no_match(query, "track", hits, lambda k: k)
        return hits[0].key

    def suggest_tracks_coming(self, text: str, now: datetime, limit: int = 25) -> list[Suggestion]:
        """Tracks for /track's autocomplete: with nothing typed, those with a talk coming
        up soonest first (the /next filter's suggest_tracks lists them by name); else
        those containing what is typed, starting with it first, or the closest names."""
        typed = _typed(text).casefold()
        if typed:
            found = [name for name in self.tracks if typed in name.casefold()]
            found.sort(key=lambda name: not name.casefold().startswith(typed))
            if not found:
                hits = self.index.find_tracks(typed, limit)
                found = [h.key for h in hits if h.score >= SUGGESTION_FLOOR]
        else:
            at = now.astimezone(self.conference.tz)
            upcoming = [t.talk.track for t in self.timeline.talks if t.slot.end > at]
            found = list(dict.fromkeys([*(t for t in upcoming if t), *self.tracks]))
        return [Suggestion(name, name) for name in found[:limit]]

    def search(self, query: str) -> SearchAnswer:
        """Everything that matches, best first within each kind, up to a bound per kind
        (`SEARCH_SHOWN`): 'postgres' at FOSDEM matches 7 talks and shows all 7; a word in
        hundreds of titles shows the best few hundred and says there are more. Talks
        holding the query's words come before those only close to them ('rust' before
        'trust'), each group best first."""
        query = clean_query(query)
        index = self.index
        found = index.find_talks(query, SEARCH_SHOWN[SearchKind.TALKS] + 1)
        held = {h.key for h in found if has_words(query, self.talks[h.key].title)}
        found.sort(key=lambda h: h.key not in held)  # stable: each group best first
        talks, more_talks = _bounded(found, TALK_MATCH, SEARCH_SHOWN[SearchKind.TALKS])
        close_talks = sum(h.key not in held for h in talks) if held else 0
        people, more_people = _bounded(
            index.find_people(query, SEARCH_SHOWN[SearchKind.PEOPLE] + 1, False),
            PERSON_MATCH + 2, SEARCH_SHOWN[SearchKind.PEOPLE],
        )  # fmt: skip
        affiliations, more_affiliations = _bounded(
            index.find_affiliations(query, SEARCH_SHOWN[SearchKind.AFFILIATIONS] + 1, False),
            AFFILIATION_MATCH, SEARCH_SHOWN[SearchKind.AFFILIATIONS],
        )  # fmt: skip
        sessions, more_sessions = _bounded(
            index.find_sessions(query, SEARCH_SHOWN[SearchKind.SESSIONS] + 1, False),
            SESSION_MATCH, SEARCH_SHOWN[SearchKind.SESSIONS],
        )  # fmt: skip
        more = (
            (SearchKind.TALKS, more_talks),
            (SearchKind.PEOPLE, more_people),
            (SearchKind.AFFILIATIONS, more_affiliations),
            (SearchKind.SESSIONS, more_sessions),
        )
        return SearchAnswer(
            query=query,
            talks=tuple(self.talks[h.key] for h in talks),
            people=tuple(self.person_talks(h.key) for h in people),
            affiliations=tuple(self.affiliation(h.key) for h in affiliations),
            sessions=tuple(self.sessions[h.key] for h in sessions),
            more=tuple(kind for kind, over in more if over),
            close_talks=close_talks,
        )

    def affiliation(self, name: str) -> AffiliationMatch:
        people, talks = self._affiliations.get(name, ((), ()))
        return AffiliationMatch(name, people, talks)

    @functools.cached_property
    def _affiliations(self) -> dict[str, tuple[tuple[str, ...], tuple[SessionTalk, ...]]]:
        """Each affiliation's people and talks, in program order: built once, as a search
        may show fifty affiliations and each would otherwise read every talk."""
        people: dict[str, dict[str, None]] = {}
        talks: dict[str, dict[str, SessionTalk]] = {}
        for talk in self.talks.values():
            for a in talk.talk.authors:
                if a.affiliation is not None:
                    people.setdefault(a.affiliation, {})[a.name] = None
                    talks.setdefault(a.affiliation, {})[talk.key] = talk
        return {name: (tuple(people[name]), tuple(talks[name].values())) for name in people}

    # -- autocomplete ----------------------------------------------------------------------
    # Every keystroke is a request, so these never raise on odd input: they answer with
    # what they can. Empty input suggests what is coming up, which is what most people want.

    def suggest_talks(self, text: str, now: datetime, limit: int = 25) -> list[Suggestion]:
        query = _typed(text)
        if not query:
            talks = self._upcoming_talks(now, limit)
        else:
            hits = self.index.find_talks(query, limit)
            talks = [self.talks[h.key] for h in hits if h.score >= SUGGESTION_FLOOR]
        return [Suggestion(TALK_REF + t.key, t.title) for t in talks[:limit]]

    def suggest_people(self, text: str, now: datetime, limit: int = 25) -> list[Suggestion]:
        query = _typed(text)
        if not query:
            keys: list[str] = []
            for talk in self._upcoming_talks(now, limit):
                keys += [a.person_key for a in talk.talk.authors if a.person_key not in keys]
        else:
            hits = self.index.find_people(query, limit)
            keys = [h.key for h in hits if h.score >= SUGGESTION_FLOOR]
        return [Suggestion(PERSON_REF + k, self._person_label(k)) for k in keys[:limit]]

    def suggest_sessions(self, text: str, now: datetime, limit: int = 25) -> list[Suggestion]:
        query = _typed(text)
        if not query:
            at = now.astimezone(self.conference.tz)
            later = [s for s in self.program.sessions if s.slot.end > at]
            sessions = later or list(self.program.sessions)
        else:
            hits = self.index.find_sessions(query, limit)
            sessions = [self.sessions[h.key] for h in hits if h.score >= SUGGESTION_FLOOR]
        return [
            Suggestion(SESSION_REF + s.key, s.title, day=_block_day(s)) for s in sessions[:limit]
        ]

    def _upcoming_talks(self, now: datetime, limit: int) -> list[SessionTalk]:
        talks = self.timeline.talks_from(now, limit)
        return talks or self.timeline.talks[:limit]

    def _person_label(self, key: str) -> str:
        person = self.people[key]
        first = self.talks[person.talks[0]].talk
        affiliation = next(
            (a.affiliation for a in first.authors if a.person_key == key and a.affiliation), None
        )
        return f"{person.name} ({affiliation})" if affiliation else person.name

    # -- rooms (conference day) ----------------------------------------------------------

    @functools.cached_property
    def rooms(self) -> tuple[str, ...]:
        """Every room a talk is in, sorted."""
        return tuple(sorted({t.slot.room for t in self.program.talks if t.slot.room}))

    def room_named(self, text: str) -> str:
        """The program's room for what an organiser typed (any case), a room it lists with
        no talks in it too (FOSDEM 2025's Janson: a stream or a channel can be set for it
        all the same); else a QueryError naming the closest rooms."""
        typed = clean_query(text, "room")
        found = self._room_exact(typed)
        if found is None:
            found = self._exact(typed, self.conference.empty_rooms)
        if found is not None:
            return found
        close = ", ".join(s.label for s in self.suggest_rooms(typed, 3))
        template = board.NO_SUCH["room"][bool(close)]
        raise QueryError(template, conference=self.conference.name, typed=typed, close=close)

    def suggest_rooms(self, text: str, limit: int = 25) -> list[Suggestion]:
        """Rooms containing what is typed, those starting with it first."""
        typed = _typed(text).casefold()
        found = [room for room in self.rooms if typed in room.casefold()]
        found.sort(key=lambda room: not room.casefold().startswith(typed))
        return [Suggestion(room, room) for room in found[:limit]]

    def followed_places(self, refs: Iterable[str]) -> frozenset[str]:
        """The rooms and tracks of the items a person follows: where they are likely to be."""
        places: set[str] = set()
        for ref in refs:
            if (item := self.remindable(ref)) is not None:
                places |= places_of(item)
        return frozenset(places)

    def remindable(self, ref: str) -> SessionTalk | Session | None:
        """The talk ('p:key') or session ('s:key') a stable reference points to."""
        if ref.startswith(TALK_REF):
            return self.talks.get(ref[len(TALK_REF) :])
        if ref.startswith(SESSION_REF):
            return self.sessions.get(ref[len(SESSION_REF) :])
        return None

    def sessions_at(self, start_ts: int) -> list[Session]:
        """Sessions starting at this moment (Unix seconds): one slot, every room."""
        return sorted(self._sessions_by_start.get(start_ts, []), key=lambda s: s.slot.room or "")

    def suggest_remindable(self, text: str, now: datetime, limit: int = 25) -> list[Suggestion]:
        """Talks and sessions that have not started, for /remind's autocomplete."""
        at = now.astimezone(self.conference.tz)
        talks = [s for s in self.suggest_talks(text, now, limit) if self._not_started(s.value, at)]
        sessions = [
            Suggestion(s.value, s.label, SuggestionKind.SESSION, s.day)
            for s in self.suggest_sessions(text, now, limit)
            if self._not_started(s.value, at)
        ]
        if not _typed(text):
            return (talks[: limit - 5] + sessions[:5])[:limit]
        return (talks + sessions)[:limit]

    def _not_started(self, ref: str, at: datetime) -> bool:
        item = self.remindable(ref)
        return item is not None and item.slot.start > at

    def calendar_items(self) -> list[ProgramItem]:
        """The whole program for a calendar: every talk and every other event, in order."""
        return list(self.timeline.items)

    def _no_match(
        self, query: str, what: str, hits: list[Hit], name_of: Callable[[str], str]
    ) -> NoMatch:
        suggestions = tuple(name_of(h.key) for h in hits[:3] if h.score >= SUGGESTION_FLOOR)
        return NoMatch(query, what, suggestions)


def _block_day(session: Session) -> date | None:
    """The day a room block's title names ('Rust, Saturday'), for its suggestion."""
    return session.day if session.kind is SessionKind.ROOM_BLOCK else None
