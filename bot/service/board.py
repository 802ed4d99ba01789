"""Filters of the board (/next, /now): one room, one track, one language.

At FOSDEM 28 rooms run at once and at a congress 90; a person in one room, or following
one track, asks for theirs. What they type is resolved here against the program's own
rooms, tracks and languages (a language by any of its names: bot.service.languages),
and anything that resolves to nothing is refused with one sentence that says what was
typed and what is close. Pure: no clock, no Discord.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from bot.i18n import N_
from bot.normalize import fold
from bot.service.languages import (
    language_key,
    language_label,
    names_contain,
    pick_language,
    suggested_label,
)
from bot.service.results import ProgramItem, SessionTalk, Suggestion, SuggestionKind, Where

# An autocomplete value (and a typed one) that lifts a room channel's default room.
EVERY_ROOM = "*"
EVERY_ROOM_WORDS = frozenset({"*", "all", "any", "every room", "all rooms", "everywhere"})

# Characters of a typed value quoted back in a refusal.
TYPED_SHOWN = 60
# How close (rapidfuzz WRatio, 0-100) a name must be to be offered for a typo.
NEAR = 75.0
# A name that is both a room and a track: the option picked says which; the answer says
# the other exists.
BOTH_ROOM = N_("Showing the room {found}; a track has that name too (pick it in `track`).")
BOTH_TRACK = N_("Showing the track {found}; a room has that name too (pick it in `room`).")


# A filter value that names nothing here: without and with the closest names.
NO_SUCH = {
    "room": (N_("No room of {conference} is called “{typed}”."),
             N_("No room of {conference} is called “{typed}”. Did you mean {close}?")),
    "track": (N_("No track of {conference} is called “{typed}”."),
              N_("No track of {conference} is called “{typed}”. Did you mean {close}?")),
    "language": (N_("No language of {conference} is called “{typed}”."),
                 N_("No language of {conference} is called “{typed}”. Did you mean {close}?")),
}  # fmt: skip


class FilterError(ValueError):
    """A filter value that names nothing in the program. `template` names outside text
    as {conference}, {typed} and {close}: the service turns it into a QueryError, which
    each adapter fills in its own way (Discord escapes it)."""

    def __init__(self, template: str, typed: str, close: str = "",
                 languages: tuple[str, ...] = ()) -> None:  # fmt: skip
        """`languages`: for a language, the program's values of the closest languages,
        which a renderer names in the reader's language (`close` is left empty)."""
        self.template, self.typed, self.close = template, typed, close
        self.languages = languages
        super().__init__(template)


def matches(item: ProgramItem, where: Where) -> bool:
    """Whether an item is in the room, of the track and in the language asked for."""
    if where.room is not None and item.slot.room != where.room:
        return False
    if where.track is not None and track_of(item) != where.track:
        return False
    if where.language is not None:
        return (
            isinstance(item, SessionTalk)
            and item.talk.language is not None
            and language_key(item.talk.language) == language_key(where.language)
        )  # 'de' and 'Deutsch' in one program are one language
    return True


def track_of(item: ProgramItem) -> str | None:
    """A talk's track, or its session's where the talk names none."""
    if isinstance(item, SessionTalk):
        return item.talk.track or item.session.track
    return None


def _pick(names: Iterable[str], typed: str) -> str | None:
    """The name typed, in any case and with or without accents; None if none is."""
    names = tuple(names)
    for same in (str.casefold, fold):
        wanted = same(typed)
        found = [name for name in names if same(name) == wanted]
        if len(found) == 1 or (found and same is str.casefold):
            return found[0]
    return None


def by_code(names: Iterable[str], typed: str) -> str | None:
    """The one name that is `typed` (any case) followed by a name in brackets: 'H.1302'
    for 'H.1302 (Depage)', the code on the door. None if none or several are: 'H.13' is
    no room's code, and 'Grand' is the first word of 'Grand Ballroom ABGH', not a code."""
    wanted = typed.casefold()
    found = [
        name
        for name in names
        if (folded := name.casefold()).startswith(wanted)
        and folded[len(wanted) :].lstrip().startswith("(")
    ]
    return found[0] if len(found) == 1 else None


def suggest(names: Iterable[str], typed: str, limit: int = 25) -> list[Suggestion]:
    """Names containing what is typed (accents and case aside), those starting with it
    first, then in the program's order."""
    wanted = fold(typed)
    found = [name for name in names if wanted in fold(name)]
    found.sort(key=lambda name: not fold(name).startswith(wanted))
    return [Suggestion(name, name) for name in found[:limit]]


def suggest_languages(languages: Iterable[str], typed: str, limit: int = 25) -> list[Suggestion]:
    """The program's languages any of whose names contains what is typed ('deu',
    'allem', 'Engl'), labelled with their names ('German (Deutsch)'), in its order."""
    found = [v for v in languages if not typed.strip() or names_contain(v, typed)]
    return [Suggestion(v, suggested_label(v), SuggestionKind.LANGUAGE) for v in found[:limit]]


def _shown(typed: str) -> str:
    """What was typed, short enough to quote in a sentence."""
    return typed if len(typed) <= TYPED_SHOWN else typed[: TYPED_SHOWN - 1] + "…"


def _near(names: tuple[str, ...], typed: str) -> list[Suggestion]:
    """Names spelled close to what was typed ('Jansen' for 'Janson'), for a refusal."""
    folded = {name: fold(name) for name in names}
    found = process.extract(fold(typed[:60]), folded, scorer=fuzz.WRatio, limit=3,
                            score_cutoff=NEAR)  # fmt: skip
    return [Suggestion(name, name) for _, _, name in found]


@dataclass(frozen=True, slots=True)
class Places:
    """What a program has to filter by."""

    rooms: tuple[str, ...]
    tracks: tuple[str, ...]
    languages: tuple[str, ...]

    def resolve(
        self, room: str | None, track: str | None, language: str | None,
        clean: Callable[[str, str], str],
    ) -> Where:  # fmt: skip
        """The filter for what was typed in each option (already given or None);
        `clean` refuses what no person would mean (too long, control characters).
        A room typed into `track` (or a track into `room`) is taken as what it is, and
        the answer says so."""
        notes: list[tuple[str, str]] = []  # (sentence naming {found}, what was found)
        found_room = found_track = found_language = None
        if room is not None and " ".join(room.split()).casefold() not in EVERY_ROOM_WORDS:
            typed = clean(room, "room")
            found_room = _pick(self.rooms, typed) or by_code(self.rooms, typed)
            if found_room is None and (as_track := _pick(self.tracks, typed)) is not None:
                found_track = as_track
                notes.append((N_("“{found}” is a track, not a room: showing the track."),
                              as_track))  # fmt: skip
            elif found_room is None:
                self._refuse("room", typed, self.rooms)
            elif _pick(self.tracks, typed) is not None:
                notes.append((BOTH_ROOM, found_room))
        if track is not None:
            typed = clean(track, "track")
            as_track = _pick(self.tracks, typed)
            r = _pick(self.rooms, typed) or by_code(self.rooms, typed)
            if as_track is None and found_room is None and r:
                found_room = r
                notes.append((N_("“{found}” is a room, not a track: showing the room."), r))
            elif as_track is None:
                self._refuse("track", typed, self.tracks)
            else:
                found_track = as_track
                if _pick(self.rooms, typed) is not None:
                    notes.append((BOTH_TRACK, as_track))
        if language is not None:
            typed = clean(language, "language")
            if not self.languages:
                raise FilterError(
                    N_("{conference} gives no talk a language, so there is none to pick."), typed
                )
            found_language = _pick(self.languages, typed) or pick_language(self.languages, typed)
            if found_language is None:
                self._refuse_language(typed)
        note = notes[0] if notes else (None, None)
        return Where(found_room, found_track, found_language, *note)

    def _refuse(self, what: str, typed: str, names: tuple[str, ...]) -> None:
        close = ", ".join(s.label for s in suggest(names, typed[:40], 3) or _near(names, typed))
        raise FilterError(NO_SUCH[what][bool(close)], _shown(typed), close)

    def _refuse_language(self, typed: str) -> None:
        """A language the program lacks: the closest by their English names, else the
        first five, as the program's values (`languages`), for a renderer to name."""
        values: dict[str, str] = {}
        for value in self.languages:
            values.setdefault(language_label(value), value)
        names = tuple(values)
        close = [s.label for s in suggest(names, typed[:40], 3) or _near(names, typed)]
        close = close or list(names[:5])
        raise FilterError(NO_SUCH["language"][bool(close)], _shown(typed),
                          languages=tuple(values[name] for name in close))  # fmt: skip
