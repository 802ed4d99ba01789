"""Pieces every renderer shares: author groups, item labels, suggestions."""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime, time

from bot.changes import ChangeKind, RecordedChange
from bot.i18n import ENGLISH, N_, Language, Words
from bot.kinds import DeliveryKind, DeliveryState, FailedBecause
from bot.model import Authorship, Conference, Event, Session, SessionKind, Slot, TimeBasis
from bot.service.results import (
    NoMatch,
    ProgramItem,
    ProgramSize,
    SearchAnswer,
    SearchKind,
    SessionTalk,
    TalkAnswer,
)
from bot.service.status import DeliveryCount
from bot.service.watch import NO_STREAMS, Watch, watch


def as_it_was(conference: Conference, w: Words = ENGLISH) -> str:
    """A moment of a past conference's first day to ask /next about, as `w`'s reader
    would type it ('jul 10 11:00', 'Mittwoch, 10. Juli 11:00', 'mercredi 10 juillet
    11 h 00': each reads back): a newcomer trying the bot on an old program sees "has
    ended" and nothing else."""
    day = conference.start_date
    if w.language is Language.EN:
        return f"{day:%b} {day.day} 11:00".lower()
    eleven = datetime.combine(day, time(11), tzinfo=conference.tz)
    return f"{w.long_day(day)} {w.clock(eleven, conference.tz)}"


def conference_title(conference: Conference) -> str:
    """'Full Name (Short)', or the name once where one holds the other (a community
    program's title is both: 'FOSDEM 2026 (FOSDEM 2026)' says nothing twice)."""
    full, short = conference.full_name, conference.name
    if short.casefold() in full.casefold():
        return full
    if full.casefold() in short.casefold():
        return short
    return f"{full} ({short})"


def how_derived(conference: Conference, w: Words = ENGLISH) -> str:
    """How derived times were derived, in the words of the program's own data."""
    return conference.derived_note or w.tr("from the published program")


def derived_note(conference: Conference, w: Words = ENGLISH) -> str:
    """Why some times carry ≈."""
    return w.tr("Times marked ≈ are derived {how}, not published per talk.",
                how=how_derived(conference, w))  # fmt: skip


def approximate_note(conference: Conference) -> str:
    return f"Approximate time: derived {how_derived(conference)}, not published per talk."


EVENT_LABELS = {
    "keynote": N_("Keynote"),
    "break": N_("Break"),
    "meal": N_("Meal"),
    "poster": N_("Posters"),
    "remarks": N_("Remarks"),
    "registration": N_("Registration"),
    "social": N_("Social"),
}


def event_counts(events: Sequence[Event], w: Words = ENGLISH) -> str:
    """'3 other events (2 breaks, 1 meal)': what a program holds besides its talks,
    most common kind first, for the load report."""
    kinds = Counter(e.kind for e in events)
    parts = [_event_noun(kind, n, w) for kind, n in kinds.most_common()]
    listed = f" ({', '.join(parts)})" if parts else ""
    return others_count(len(events), w) + listed


def _event_noun(kind: str, n: int, w: Words) -> str:
    """'2 breaks', '1 meal': what the load report calls each kind of other event."""
    match kind:
        case "break":
            return w.ntr("{count} break", "{count} breaks", n, count=n)
        case "meal":
            return w.ntr("{count} meal", "{count} meals", n, count=n)
        case "poster":
            return w.ntr("{count} poster session", "{count} poster sessions", n, count=n)
        case "registration":
            return w.ntr("{count} registration desk", "{count} registration desks", n, count=n)
        case "keynote":
            return w.ntr("{count} keynote", "{count} keynotes", n, count=n)
        case "remarks":
            return w.ntr("{count} remarks", "{count} remarks", n, count=n)
        case "social":
            return w.ntr("{count} social event", "{count} social events", n, count=n)
    return f"{n} {kind}"


def author_groups(authors: Sequence[Authorship]) -> list[tuple[list[str], str | None]]:
    """Consecutive authors with the same affiliation, as the proceedings group them."""
    groups: list[tuple[list[str], str | None]] = []
    for a in authors:
        if groups and groups[-1][1] == a.affiliation:
            groups[-1][0].append(a.name)
        else:
            groups.append(([a.name], a.affiliation))
    return groups


def count_of(n: int, noun: str) -> str:
    """'1 paper', '3 papers' (English only: a translated answer counts with items_count
    or its own `ntr`)."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def items_count(n: int, conference: Conference, w: Words = ENGLISH) -> str:
    """'1 paper', '3 talks', '3 Vorträge': the program's items, counted in `w`'s words."""
    return _items(n, conference.is_proceedings, w)


def _items(n: int, papers: bool, w: Words) -> str:
    if papers:
        return w.ntr("{count} paper", "{count} papers", n, count=n)
    return w.ntr("{count} talk", "{count} talks", n, count=n)


def others_count(n: int, w: Words = ENGLISH) -> str:
    """'1 other event', '2 other events'."""
    return w.ntr("{count} other event", "{count} other events", n, count=n)


def size_text(size: ProgramSize, noun: str, w: Words = ENGLISH) -> str:
    """'53 papers in 11 sessions'; where the blocks are rooms' days (FOSDEM), '943 talks
    in 29 rooms over 2 days': its 72 room blocks are no sessions anyone could find."""
    talks = _items(size.talks, noun == "paper", w)
    sessions = w.ntr("{count} session", "{count} sessions", size.sessions, count=size.sessions)
    rooms = w.ntr("{count} room", "{count} rooms", size.rooms, count=size.rooms)
    days = w.ntr("{count} day", "{count} days", size.days, count=size.days)
    if not size.room_blocks:
        return w.tr("{talks} in {sessions}", talks=talks, sessions=sessions)
    if not size.sessions:
        return w.tr("{talks} in {rooms} over {days}", talks=talks, rooms=rooms, days=days)
    return w.tr("{talks} in {sessions} and in {rooms} over {days}", talks=talks,
                sessions=sessions, rooms=rooms, days=days)  # fmt: skip


def weekdays(days: Sequence[date], w: Words = ENGLISH) -> str:
    """'Saturday', 'Friday and Sunday', 'Friday, Saturday, and Monday', in `w`'s words
    ('Freitag und Sonntag')."""
    return join_names([w.weekday(day) for day in days], w)


# Between people where "A and B C" could be read as A C and B C (see join_names).
PEOPLE_APART = " · "


def join_names(names: Sequence[str], w: Words = ENGLISH) -> str:
    """'A and B', 'A, B, and C'; but where one-word names (a first name, a handle) stand
    beside full names, 'Josep and Ramon Gordillo' reads as two Gordillos, and so does
    'Josep, Ramon Gordillo': such lists are set apart with a middle dot, 'Josep · Ramon
    Gordillo', which no one reads as a shared surname."""
    if len({len(name.split()) > 1 for name in names}) > 1:
        return PEOPLE_APART.join(names)
    if len(names) == 2:
        return w.tr("{first} and {second}", first=names[0], second=names[1])
    if len(names) < 2:
        return "".join(names)
    return w.tr("{names}, and {last}", names=", ".join(names[:-1]), last=names[-1])


def authors_line(authors: Sequence[Authorship], w: Words = ENGLISH) -> str:
    """'A and B (MIT); C (Intel)'."""
    parts = []
    for names, affiliation in author_groups(authors):
        text = join_names(names, w)
        parts.append(f"{text} ({affiliation})" if affiliation else text)
    return semicolons(parts, w)


def semicolons(parts: Sequence[str], w: Words = ENGLISH) -> str:
    """'a; b; c', as `w`'s language sets a semicolon ('a ; b ; c' in French)."""
    if not parts:
        return ""
    return functools.reduce(lambda a, b: w.tr("{first}; {second}", first=a, second=b), parts)


def item_kind(item: ProgramItem, w: Words = ENGLISH) -> str:
    if isinstance(item, SessionTalk):
        return w.tr("Talk")
    label = EVENT_LABELS.get(item.kind)
    return w.tr(label) if label else item.kind.capitalize()


def group_label(talk: SessionTalk) -> str | None:
    """What a talk belongs to: its session, or where the program has none, its track."""
    if talk.session.kind is SessionKind.ROOM_BLOCK:
        return talk.talk.track
    return talk.session.title


def block_heading(session: Session, with_room: bool = True, w: Words = ENGLISH) -> str:
    """A block in a day's listing: 'Session: Memory Management (Room)' for a session,
    'LLVM · K.3.201' or just the room for a room block (the day is the listing's)."""
    room = f" ({session.slot.room})" if session.slot.room and with_room else ""
    if session.kind is not SessionKind.ROOM_BLOCK:
        return w.tr("Session: {title}", title=session.title) + room
    return " · ".join(x for x in (session.track, session.slot.room) if x) or session.title


def session_title(session: Session, w: Words = ENGLISH) -> str:
    """A session's title; a room block's with its day in `w`'s words (block_title)."""
    if session.kind is not SessionKind.ROOM_BLOCK:
        return session.title
    return block_title(session.title, session.day, w)


def block_title(title: str, day: date, w: Words = ENGLISH) -> str:
    """A room block's title, which the importer names after its track (or room) and its
    day ('Rust, Saturday'), with the day in `w`'s words ('Rust, samedi')."""
    english = f", {day:%A}"
    if not title.endswith(english):
        return title
    return w.tr("{place}, {weekday}", place=title.removesuffix(english), weekday=w.weekday(day))


def item_place(item: ProgramItem) -> str:  # program words only: no language
    """'Memory Management · Grand Ballroom ABGH' for a talk, the room for an event."""
    parts = []
    if isinstance(item, SessionTalk) and (label := group_label(item)):
        parts.append(label)
    if item.slot.room:
        parts.append(item.slot.room)
    return " · ".join(parts)


def abstract_excerpt(text: str, limit: int) -> str:
    """The start of an abstract, cut at a word, for answers that have room for a taste."""
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(",.;:")
    return cut + " …"


def event_extra(event: Event, w: Words = ENGLISH) -> str | None:
    return w.tr("Speaker: {name}", name=event.speaker) if event.speaker else None


def no_match_text(answer: NoMatch) -> str:
    text = f"No {answer.what} matches “{answer.query}”."
    if answer.suggestions:
        text += " Did you mean: " + "; ".join(f"“{s}”" for s in answer.suggestions) + "?"
    else:
        text += f" Try fewer words, or /search {answer.query}."
    return text


def watch_of(
    item: ProgramItem | Session, at: datetime, streams: Mapping[str, str] = NO_STREAMS
) -> Watch | None:
    """Where to watch a talk at `at` (see bot.service.watch); other items have no link."""
    return watch(item.talk, at, streams) if isinstance(item, SessionTalk) else None


Place = tuple[int, int, str | None]  # start, end (Unix seconds) and room of a change


def what_changed(
    change: RecordedChange, where: Callable[[Place], str], show: Callable[[str], str] = str,
    w: Words = ENGLISH,
) -> str:  # fmt: skip
    """'cancelled', 'added: <where>', or 'moved: <where> → <where>; has a new title; ...',
    with each renderer's way of showing a time and room, and a name (`show`: Discord
    escapes it), in `w`'s words."""
    if change.new is None:
        return w.tr("cancelled")
    if change.old is None:
        return w.tr("added: {where}", where=where(change.new))
    parts = []
    if ChangeKind.MOVED in change.kinds:
        parts.append(w.tr("moved: {old} → {new}", old=where(change.old), new=where(change.new)))
    if ChangeKind.RETITLED in change.kinds:
        parts.append(w.tr("has a new title"))
    if ChangeKind.PEOPLE in change.kinds:
        parts.append(people_changed(change, show, w))
    return semicolons(parts, w)


NAMES_SHOWN = 4  # names listed of those who joined or left; the rest are counted


def people_changed(
    change: RecordedChange, show: Callable[[str], str] = str, w: Words = ENGLISH
) -> str:
    """'speakers changed: B joined, A left' (who joined first: they are who people will
    see); just 'speakers changed' for a change kept before names were, or a reorder."""
    joined = w.tr("{names} joined", names=_few(change.joined, show, w)) if change.joined else ""
    left = w.tr("{names} left", names=_few(change.left, show, w)) if change.left else ""
    named = ", ".join(part for part in (joined, left) if part)
    if not named:
        return w.tr("speakers changed")
    return w.tr("speakers changed: {who}", who=named)


def _few(names: Sequence[str], show: Callable[[str], str], w: Words = ENGLISH) -> str:
    shown = [show(n) for n in names[:NAMES_SHOWN]]
    if len(names) > NAMES_SHOWN:
        rest = len(names) - NAMES_SHOWN
        shown.append(w.ntr("{count} more", "{count} more", rest, count=rest))
    return join_names(shown, w)


def slot_of(place: Place) -> Slot:
    start, end, room = place
    return Slot(datetime.fromtimestamp(start, UTC), datetime.fromtimestamp(end, UTC),
                TimeBasis.PUBLISHED, room)  # fmt: skip


def repeated_titles(answer: TalkAnswer) -> frozenset[str]:
    """The titles (casefolded) a /paper answer shows more than once: a talk given twice
    (FOSDEM Junior's Saturday and Sunday Hedy workshops), whose "Also close" line then
    needs its day, time and room to tell it apart."""
    seen: set[str] = set()
    repeated: set[str] = set()
    for talk in (answer.talk, *answer.runners_up):
        title = talk.title.casefold()
        (repeated if title in seen else seen).add(title)
    return frozenset(repeated)


# What matched more than a search shows, named in a sentence ("More talks and people
# match than are shown"): the kinds as plural words.
MORE_WORDS = {
    SearchKind.PEOPLE: N_("people"),
    SearchKind.AFFILIATIONS: N_("affiliations"),
    SearchKind.SESSIONS: N_("sessions"),
}
ITEMS_WORDS = {"paper": N_("papers"), "talk": N_("talks")}


def _kind_count(kind: SearchKind, n: int, noun: str, w: Words = ENGLISH) -> str:
    """'12 talks', '2 people', '1 affiliation', '3 sessions'."""
    if kind is SearchKind.PEOPLE:
        return w.ntr("{count} person", "{count} people", n, count=n)
    if kind is SearchKind.AFFILIATIONS:
        return w.ntr("{count} affiliation", "{count} affiliations", n, count=n)
    if kind is SearchKind.SESSIONS:
        return w.ntr("{count} session", "{count} sessions", n, count=n)
    return _items(n, noun == "paper", w)


def _kind_word(kind: SearchKind, noun: str, w: Words = ENGLISH) -> str:
    """'talks', 'people': a kind of result, without a count."""
    if kind is SearchKind.TALKS:
        words = ITEMS_WORDS.get(noun)
        return w.tr(words) if words else f"{noun}s"
    return w.tr(MORE_WORDS[kind])


def search_counts(answer: SearchAnswer, noun: str, w: Words = ENGLISH) -> str:
    """'12 talks, 2 people and 1 session match.', and what matched more than is shown:
    what a search found, said first, as its pages show only part of it."""
    found = {
        SearchKind.TALKS: len(answer.talks),
        SearchKind.PEOPLE: len(answer.people),
        SearchKind.AFFILIATIONS: len(answer.affiliations),
        SearchKind.SESSIONS: len(answer.sessions),
    }
    told = [_kind_count(kind, n, noun, w) for kind, n in found.items() if n]
    text = w.ntr("{found} matches.", "{found} match.", answer.count, found=listing(told, w))
    if answer.more:
        more = listing([_kind_word(kind, noun, w) for kind in answer.more], w)
        text += " " + w.tr("More {kinds} match than are shown: add a word to narrow it.",
                           kinds=more)  # fmt: skip
    return text


def quoted(typed: str, w: Words = ENGLISH) -> str:
    """What a person typed, set in a sentence of ours with the quotation marks of `w`'s
    language ('“x”', '„x“', '« x »'); shown as given (escape it first for Discord)."""
    # Translators: what a person typed, quoted inside a sentence, with your quotation marks.
    return w.tr("“{typed}”", typed=typed)


def listing(parts: Sequence[str], w: Words = ENGLISH) -> str:
    """'a', 'a and b', 'a, b and c' ('a, b und c', 'a, b et c'): the one join of a list
    in a sentence (matches, roles, products, days); no comma before the last, since a
    day's name may hold one ('Friday, December 27')."""
    if len(parts) < 2:
        return "".join(parts)
    return w.tr("{first} and {second}", first=", ".join(parts[:-1]), second=parts[-1])


# /status in words: what each kind of delivery is, and what became of it.
DELIVERY_WORDS = {
    DeliveryKind.SLOT: N_("Session announcements"),
    DeliveryKind.TALK: N_("Lines as talks start"),
    DeliveryKind.ROOM: N_("Room channel lines"),
    DeliveryKind.CORRECTION: N_("Corrections in room channels"),
    DeliveryKind.THREAD: N_("Q&A threads"),
}


def state_words(state: DeliveryState, n: int, w: Words = ENGLISH) -> str:
    """'1,692 planned', '1 sent': how many deliveries are in a state. A count, because
    languages agree the word with it (French '1 envoyé', '3 envoyés')."""
    count = w.number(n)
    match state:
        case DeliveryState.PENDING:
            return w.ntr("{count} planned", "{count} planned", n, count=count)
        case DeliveryState.SENDING:
            return w.ntr("{count} sending now", "{count} sending now", n, count=count)
        case DeliveryState.SENT:
            return w.ntr("{count} sent", "{count} sent", n, count=count)
        case DeliveryState.SKIPPED:
            return w.ntr("{count} skipped", "{count} skipped", n, count=count)
        case DeliveryState.FAILED:
            return w.ntr("{count} failed", "{count} failed", n, count=count)
        case DeliveryState.LOST:
            return w.ntr("{count} possibly lost", "{count} possibly lost", n, count=count)
        case DeliveryState.CANCELLED:
            return w.ntr("{count} no longer planned", "{count} no longer planned", n,
                         count=count)  # fmt: skip


WHY_NAMED = 4  # reasons per state named, all of them up to this many
WHY_SHOWN = 3  # named past that; the rest counted
WHY_MAX = 80  # characters of one reason


def delivery_lines(counts: Sequence[DeliveryCount], w: Words = ENGLISH) -> list[str]:
    """'Session announcements: 1,692 planned, 12 sent, 1 failed (target gone: Unknown
    Channel)': one line per kind, for /status, instead of the ledger's raw states. The
    reasons are the ledger's, their beginning in the reader's words (failure_words)."""
    kinds: dict[DeliveryKind, dict[DeliveryState, list[DeliveryCount]]] = {}
    for count in counts:
        kinds.setdefault(count.kind, {}).setdefault(count.state, []).append(count)
    lines = []
    for kind, states in kinds.items():
        parts = []
        for state, found in states.items():
            parts.append(state_words(state, sum(c.count for c in found), w) + _why(found, w))
        label = w.tr(DELIVERY_WORDS[kind]) if kind in DELIVERY_WORDS else kind.value
        lines.append(w.tr("{kind}: {states}", kind=label, states=", ".join(parts)))
    return lines


def _why(found: Sequence[DeliveryCount], w: Words) -> str:
    """' (target gone: Unknown Channel)', or ' (2 × …; 1 × …)' when reasons differ: each
    named when they are few, else the commonest and how many for how many others."""
    reasons = sorted((c for c in found if c.why), key=lambda c: -c.count)
    if not reasons:
        return ""
    if len(reasons) == 1 and len(found) == 1:
        return f" ({_short(failure_words(reasons[0].why or '', w))})"
    named = reasons if len(reasons) <= WHY_NAMED else reasons[:WHY_SHOWN]
    shown = [f"{w.number(c.count)} × {_short(failure_words(c.why or '', w))}" for c in named]
    if rest := reasons[len(named) :]:
        others = sum(c.count for c in rest)
        shown.append(w.ntr("{count} for {reasons} other reason",
                           "{count} for {reasons} other reasons", len(rest),
                           count=w.number(others), reasons=len(rest)))  # fmt: skip
    return f" ({'; '.join(shown)})"


def failure_words(why: str, w: Words) -> str:
    """The ledger's detail of a delivery that did not go out, in the reader's words: the
    engine's own beginning translated, Discord's or the network's text after it as it
    came; a reason of the bot's own (a kind's Skip, a lost delivery) translated whole."""
    head, said, detail = why.partition(": ")
    if not said:
        return w.translated(why) or why
    if head == FailedBecause.GONE:
        return w.tr("target gone: {detail}", detail=detail)
    if head == FailedBecause.UNREACHABLE:
        return w.tr("recipient unreachable: {detail}", detail=detail)
    gave_up, _, attempts = head.rpartition(" attempts")[0].rpartition(" ")
    if gave_up == FailedBecause.GAVE_UP and attempts.isdigit():
        return w.ntr("gave up after {count} attempt: {detail}",
                     "gave up after {count} attempts: {detail}", int(attempts),
                     count=int(attempts), detail=detail)  # fmt: skip
    return w.translated(why) or why  # a kind's reason to skip (Skip), or LOST_DETAIL


# The ledger's detail of a delivery a dead process left between sending and sent
# (bot.store.ledger_store.recover_interrupted writes it), marked here to be translated.
LOST_DETAIL = N_("interrupted between sending and sent: possibly lost")


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= WHY_MAX else text[: WHY_MAX - 1] + "…"


# The formats whose names are words, not file names (said in the reader's language).
_FORMAT_WORDS = frozenset((N_("iCalendar feed"), N_("Indico JSON export")))


def source_text(conference: Conference, w: Words) -> str | None:
    """Where the program comes from (/about's "Data"): the file's own sentence where it
    words one, else ours from what the file says of itself, in the reader's words."""
    p = conference.provenance
    if p is None:
        return conference.source
    made = ""
    if p.named:
        made = f" {p.named}"
    elif p.maker:
        made = w.tr(" by {maker}", maker=p.maker)
    return w.tr(
        "The organisers' {format}{made}{version}{address}.",
        format=(w.translated(p.fmt) or p.fmt) if p.fmt in _FORMAT_WORDS else p.fmt,
        made=made,
        version=w.tr(", version {version}", version=repr(p.version)) if p.version else "",
        address=w.tr(" from {address}", address=p.address) if p.address else "",
    )
