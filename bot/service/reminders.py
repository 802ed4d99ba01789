"""Reminders for attendees: set one, list one's agenda, forget, and the reminders that could
not reach a person (told once). What /remind, /agenda and /forget do, without Discord, so
the console and tests can do it too.

Takes `now` from the caller, reads and writes only through the reminders store, and
raises QueryError (the adapters' one error path) with the sentence a person sees.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.i18n import N_, Language
from bot.kinds import FOLLOWED, ReminderStatus
from bot.model import Session, SessionKind, Slot
from bot.service.program_service import SESSION_REF, TALK_REF, ProgramService, QueryError
from bot.service.results import NoMatch, SessionAnswer, SessionTalk, Suggestion, TalkAnswer
from bot.service.when import day_at_ends
from bot.store.reminders_store import Reminder, ReminderLimitReached, ReminderStore

Remindable = SessionTalk | Session


@dataclass(frozen=True, slots=True)
class AgendaLine:
    """One item a person follows, as /agenda lists it."""

    ref: str
    title: str
    slot: Slot
    minutes_before: int
    status: ReminderStatus
    clashes: tuple[str, ...]
    # A room block's day, which its title names in English ('Rust, Saturday'), for a
    # renderer to say in the reader's words; and so for each clash (None: not a block).
    day: date | None = None
    clash_days: tuple[date | None, ...] = ()


@dataclass(frozen=True, slots=True)
class Reminded:
    """A reminder armed: for what, and when it is due (right away when the item starts
    sooner than the lead time)."""

    title: str
    start: datetime
    due: datetime
    minutes_before: int
    right_away: bool
    day: date | None = None  # a room block's, which its title names in English


@dataclass(frozen=True, slots=True)
class TooLate:
    """The item has started (or ended): there is nothing to remind of. The adapters say
    so with the item's times (see bot.render.agenda_cards.too_late_error)."""

    title: str
    slot: Slot
    ended: bool
    day: date | None = None  # a room block's, which its title names in English


@dataclass(frozen=True, slots=True)
class Undelivered:
    """A reminder that could not reach its person, not yet told to them."""

    reminder_id: int
    title: str


def resolve(service: ProgramService, text: str, now: datetime | None = None) -> str | NoMatch:
    """An autocomplete value ('p:…', 's:…') or typed text, to a stable reference; NoMatch
    (with suggestions) when no talk nor session matches. With `now`, a room's day typed
    before or after it ('Rust Samstag', 'samedi Go', 'Kernel Tag 2') is read as /session
    reads it, once nothing matched the text whole: FOSDEM's room blocks are titled in
    English ('Rust, Saturday'), which only an English day would find. A day the room
    lacks is refused in one sentence (a WhenError), as /session refuses it."""
    if service.remindable(text) is not None:
        return text
    talk = service.talk(text)
    if isinstance(talk, TalkAnswer):
        return TALK_REF + talk.talk.key
    session = service.session(text)
    if isinstance(session, SessionAnswer):
        return SESSION_REF + session.session.key
    if now is not None and day_at_ends(text):
        dated = service.session(text, now)
        if isinstance(dated, SessionAnswer):
            return SESSION_REF + dated.session.key
    return NoMatch(text, "talk or session", talk.suggestions)


def agenda(
    service: ProgramService, reminders: Iterable[Reminder], now: datetime
) -> list[AgendaLine]:
    """Every item the person follows until it ends, whether its reminder is still to come,
    delivered or failed, sorted by start, each naming the other items it overlaps
    (parallel tracks make that possible). Items no longer in the program drop off."""
    entries = []
    for reminder in reminders:
        item = service.remindable(reminder.item_ref)
        if item is not None and item.slot.end > now:
            entries.append((reminder, item))
    entries.sort(key=lambda e: (e[1].slot.start, e[1].slot.end, e[1].title))
    lines = []
    for reminder, item in entries:
        clashing = [
            other
            for other_reminder, other in entries
            if other_reminder.id != reminder.id
            and other.slot.start < item.slot.end
            and item.slot.start < other.slot.end
            and not _contains(item, other)
        ]
        lines.append(AgendaLine(reminder.item_ref, item.title, item.slot,
                                reminder.minutes_before, reminder.status,
                                tuple(other.title for other in clashing), _block_day(item),
                                tuple(_block_day(other) for other in clashing)))  # fmt: skip
    return lines


def _block_day(item: Remindable) -> date | None:
    """The day a room block's title names, None for a talk or a session of the program's."""
    return item.day if isinstance(item, Session) and item.kind is SessionKind.ROOM_BLOCK else None


def _contains(a: Remindable, b: Remindable) -> bool:
    """A session and one of its own talks overlap by design: that is not a clash."""
    if isinstance(a, Session) and isinstance(b, SessionTalk):
        return b.key in a.talk_keys
    if isinstance(b, Session) and isinstance(a, SessionTalk):
        return a.key in b.talk_keys
    return False


class RemindersService:
    """A person's reminders at one bot: at most `max_reminders` active at a time."""

    def __init__(self, store: ReminderStore, max_reminders: int) -> None:
        self.store = store
        self.max_reminders = max_reminders

    async def remind(
        self, conference: str, user_id: int, guild_id: int | None, service: ProgramService,
        ref: str, minutes_before: int, now: datetime, language: Language = Language.EN,
    ) -> Reminded | TooLate:  # fmt: skip
        """Arm the person's reminder for the item `ref` names (a resolved reference), or
        TooLate if it has started; its DM is in `language`, the person's. QueryError when
        they have as many as one may."""
        target = service.remindable(ref)
        if target is None:
            raise QueryError(
                N_("Nothing in the program has that reference: pick one from the list.")
            )
        if now >= target.slot.start:
            return TooLate(target.title, target.slot, ended=now >= target.slot.end,
                           day=_block_day(target))  # fmt: skip
        try:
            await self.store.add(conference, user_id, guild_id, ref, minutes_before,
                                 int(now.timestamp()), self.max_reminders,
                                 language.value)  # fmt: skip
        except ReminderLimitReached as full:
            said = _AT_THE_LIMIT[0] if full.limit == 1 else _AT_THE_LIMIT[1]
            raise QueryError(said, count=str(full.limit)) from None
        due = target.slot.start - timedelta(minutes=minutes_before)
        return Reminded(target.title, target.slot.start, due, minutes_before,
                        right_away=due.timestamp() <= now.timestamp(),
                        day=_block_day(target))  # fmt: skip

    async def agenda(
        self, conference: str, user_id: int, service: ProgramService, now: datetime
    ) -> list[AgendaLine]:
        """What /agenda lists: the items the person follows, in time order, with clashes."""
        return agenda(service, await self.store.find(conference, user_id, FOLLOWED), now)

    async def suggest_followed(
        self, conference: str, user_id: int, service: ProgramService, typed: str, now: datetime
    ) -> list[Suggestion]:
        """The person's followed items whose title holds what they typed (/forget item)."""
        wanted = typed.casefold()
        return [
            Suggestion(line.ref, line.title, day=line.day)
            for line in await self.agenda(conference, user_id, service, now)
            if wanted in line.title.casefold()
        ]

    async def forget(self, conference: str, user_id: int, service: ProgramService, ref: str) -> str:
        """Remove the person's reminder for one item; the item's title (or the reference,
        if the program no longer has it). QueryError when they had none for it."""
        if not await self.store.forget(conference, user_id, ref):
            raise QueryError(N_("You have no reminder for that. `/agenda` lists yours."))
        target = service.remindable(ref)
        return target.title if target else ref

    async def forget_all(self, conference: str, user_id: int) -> int:
        """Remove all the person's reminders; how many there were."""
        return await self.store.forget(conference, user_id)

    async def undelivered(
        self, conference: str, user_id: int, service: ProgramService
    ) -> list[Undelivered]:
        """The person's reminders that could not reach them, not yet told."""
        found = []
        for reminder in await self.store.untold_failures(conference, user_id):
            item = service.remindable(reminder.item_ref)
            found.append(Undelivered(reminder.id, item.title if item else reminder.item_ref))
        return found

    async def told(self, undelivered: Iterable[Undelivered]) -> None:
        """The person has been told of these: never again."""
        await self.store.mark_told([u.reminder_id for u in undelivered])

    async def active_in(self, conference: str, guild_id: int) -> int:
        """How many reminders set in a server are still to be delivered (/status)."""
        active = await self.store.find(conference, statuses=(ReminderStatus.ACTIVE,))
        return sum(r.guild_id == guild_id for r in active)


# A person at the most reminders one may have, of one or of many (a limit is never 0).
_AT_THE_LIMIT = (
    N_("You already have {count} active reminder, the most one person can have."
       " `/forget` some you no longer need (`/agenda` lists them), then try again."),
    N_("You already have {count} active reminders, the most one person can have."
       " `/forget` some you no longer need (`/agenda` lists them), then try again."),
)  # fmt: skip
