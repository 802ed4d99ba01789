"""The program commands. Each callback is thin: read options, ask the service, render,
reply. Errors are raised and answered once, by ConfTree.on_error."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import replace
from datetime import date
from typing import TypeVar

import discord
from discord import app_commands
from discord.ext import commands

from bot import __version__
from bot.adapters.discord.calendar import ProgramCalendar, send_program_calendar
from bot.adapters.discord.conference_option import (
    CONFERENCE_HELP,
    INDEX_WAIT,
    ConferenceArg,
    picked,
    picked_for_autocomplete,
    suggesting,
)
from bot.adapters.discord.replies import send_cards
from bot.adapters.discord.speech import reader_words
from bot.adapters.discord.tree import NothingFound
from bot.changes import RecordedChange
from bot.clock import Clock
from bot.i18n import ENGLISH, N_, Words
from bot.live.conferences import Conferences
from bot.render import cards, program_cards
from bot.render.limits import CHOICE_VALUE_MAX, CHOICES_MAX
from bot.service import ProgramService, QueryError
from bot.service.board import EVERY_ROOM
from bot.service.cancelled import find_cancelled
from bot.service.results import EVERYWHERE, NoMatch, ProgramSize, Suggestion, TrackAnswer, Where
from bot.service.watch import NO_STREAMS
from bot.store.connection import StateUnreachable

log = logging.getLogger(__name__)

T = TypeVar("T")
ROOM_HELP = "Only this room (in a room channel, that room unless you pick another)"
TRACK_HELP = "Only this track"
LANGUAGE_HELP = "Only talks in this language, such as en or de"
CHANNEL_ROOM_NOTE = N_(
    "This channel is for {found}: showing it. Pick “Every room” in `room` for all."
)
EXPORT = "export"
EXPORT_NAME = N_("Whole program as a calendar file (.ics)")  # /schedule's choice for EXPORT
Choice = app_commands.Choice[str]


def to_choices(suggestions: list[Suggestion], w: Words = ENGLISH) -> list[Choice]:
    """At most 25 choices, names at most 100 characters (in the reader's words, `w`,
    where they are words rather than the program's), values that resolve exactly."""
    return [
        app_commands.Choice(name=cards.suggestion_name(s, w), value=s.value)
        for s in suggestions
        if len(s.value) <= CHOICE_VALUE_MAX
    ][:CHOICES_MAX]


class ProgramCog(commands.Cog):
    """/next, /now, /paper, /author, /session, /track, /schedule, /search, /about."""

    def __init__(
        self,
        conferences: Conferences,
        clock: Clock,
        followed: Callable[[str, int], Awaitable[list[str]]] | None = None,
        streams: Callable[[int, str], Awaitable[Mapping[str, str]]] | None = None,
        index_wait: float = INDEX_WAIT,
        cancelled: Callable[[str], Awaitable[Sequence[RecordedChange]]] | None = None,
        channel_room: Callable[[int, str, int], Awaitable[str | None]] | None = None,
    ) -> None:
        self.conferences = conferences
        self.clock = clock
        # How long a lookup awaits its conference's search indexes (see INDEX_WAIT).
        self.index_wait = index_wait
        # The references of the items a person follows in a conference (their reminders):
        # /next and /now put those rooms and tracks first.
        self.followed = followed
        # The live streams a server's organisers set per room of a conference (/stream):
        # shown as "Watch live" on the talks that are on.
        self.streams = streams
        # The talks a conference's kept versions removed (bot.store.versions_store):
        # /paper says one was cancelled rather than show another talk (bot.service.cancelled).
        self.cancelled = cancelled
        # The room a channel is for in a server's conference (/announce room): /next and
        # /now asked there show that room unless the person picks another.
        self.channel_room = channel_room
        self.calendars = ProgramCalendar()

    def _service(self, interaction: discord.Interaction, conference: str | None) -> ProgramService:
        """The picked conference's current version, taken once: the answer uses this
        version to the end, whatever a sync swaps in meanwhile (see bot.live.holder)."""
        return picked(self.conferences, interaction, conference).service

    async def _searching(
        self, interaction: discord.Interaction, conference: str | None
    ) -> ProgramService:
        """The same, for a lookup: with its search indexes, awaited while they are built
        off the event loop, never built on it (see bot.live.holder), and StillIndexing
        past INDEX_WAIT."""
        return await picked(self.conferences, interaction, conference).indexed(self.index_wait)

    async def _suggesting(self, interaction: discord.Interaction) -> ProgramService | None:
        """The conference an autocomplete is about, with its search indexes (None: not yet)."""
        served = picked_for_autocomplete(self.conferences, interaction)
        return await suggesting(served, self.index_wait)

    # -- time ---------------------------------------------------------------------------

    @app_commands.command(name="next", description="What starts next, and what's on now")
    @app_commands.describe(
        when="Ask about another moment: 14:00, thursday 9:00, or an ISO time",
        room=ROOM_HELP,
        track=TRACK_HELP,
        language=LANGUAGE_HELP,
        conference=CONFERENCE_HELP,
    )
    async def next_(
        self, interaction: discord.Interaction, when: str | None = None,
        room: str | None = None, track: str | None = None, language: str | None = None,
        conference: ConferenceArg | None = None,
    ) -> None:  # fmt: skip
        service = self._service(interaction, conference)
        where = await self._where(interaction, service, room, track, language)
        now = self.clock.now()
        at = service.when(when, now) if when else now
        answer = service.next(at, await self._favourites(service, interaction), where)
        streams = await self._streams(interaction, service)
        card_list = program_cards.next_cards(answer, service.conference, streams,
                                             reader_words(interaction))  # fmt: skip
        await send_cards(interaction, card_list)

    @app_commands.command(
        name="now", description="What is on stage right now, and who is presenting"
    )
    @app_commands.describe(
        room=ROOM_HELP, track=TRACK_HELP, language=LANGUAGE_HELP, conference=CONFERENCE_HELP
    )
    async def now(
        self, interaction: discord.Interaction, room: str | None = None,
        track: str | None = None, language: str | None = None,
        conference: ConferenceArg | None = None,
    ) -> None:  # fmt: skip
        service = self._service(interaction, conference)
        where = await self._where(interaction, service, room, track, language)
        favourites = await self._favourites(service, interaction)
        answer = service.now(self.clock.now(), favourites, where)
        streams = await self._streams(interaction, service)
        card_list = program_cards.now_cards(answer, service.conference, streams,
                                            reader_words(interaction))  # fmt: skip
        await send_cards(interaction, card_list)

    @next_.autocomplete("room")
    @now.autocomplete("room")
    async def room_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[Choice]:
        """Every room first (it lifts a room channel's own), then the program's rooms."""
        service = picked_for_autocomplete(self.conferences, interaction).service
        w = reader_words(interaction)
        every = [Suggestion(EVERY_ROOM, w.tr("Every room"))] if not current.strip() else []
        return to_choices(every + service.suggest_rooms(current), w)

    @next_.autocomplete("track")
    @now.autocomplete("track")
    async def track_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[Choice]:
        service = picked_for_autocomplete(self.conferences, interaction).service
        return to_choices(service.suggest_tracks(current), reader_words(interaction))

    @next_.autocomplete("language")
    @now.autocomplete("language")
    async def language_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[Choice]:
        service = picked_for_autocomplete(self.conferences, interaction).service
        return to_choices(service.suggest_languages(current), reader_words(interaction))

    async def _where(
        self, interaction: discord.Interaction, service: ProgramService,
        room: str | None, track: str | None, language: str | None,
    ) -> Where:  # fmt: skip
        """The filter typed (a QueryError in one sentence if it names nothing); with
        none typed, in a room channel, that channel's room, and the answer says so."""
        if room is not None or track is not None or language is not None:
            return service.where(room, track, language)
        channel, guild = interaction.channel_id, interaction.guild_id
        if self.channel_room is None or not isinstance(guild, int) or not isinstance(channel, int):
            return EVERYWHERE
        own = await _kept(self.channel_room(guild, service.conference.key, channel), None)
        if own is None:
            return EVERYWHERE
        try:
            where = service.where(room=own)
        except QueryError:  # the program no longer has the room: show everything
            return EVERYWHERE
        return replace(where, note=CHANNEL_ROOM_NOTE, found=where.room)

    async def _streams(
        self, interaction: discord.Interaction, service: ProgramService
    ) -> Mapping[str, str]:
        if self.streams is None or interaction.guild_id is None:
            return NO_STREAMS
        return await _kept(self.streams(interaction.guild_id, service.conference.key), NO_STREAMS)

    async def _favourites(
        self, service: ProgramService, interaction: discord.Interaction
    ) -> frozenset[str]:
        if self.followed is None:
            return frozenset()
        key = service.conference.key
        return service.followed_places(await _kept(self.followed(key, interaction.user.id), []))

    # -- lookups ------------------------------------------------------------------------

    @app_commands.command(name="paper", description="Find a paper by (part of) its title")
    @app_commands.describe(
        title="A few words of the title or the system's name; typos are fine",
        conference=CONFERENCE_HELP,
    )
    async def talk(
        self, interaction: discord.Interaction, title: str, conference: ConferenceArg | None = None
    ) -> None:
        service = await self._searching(interaction, conference)
        w = reader_words(interaction)
        if self.cancelled is not None:
            removed = await _kept(self.cancelled(service.conference.key), ())
            if (gone := find_cancelled(service, title, removed)) is not None:
                await send_cards(
                    interaction, [program_cards.cancelled_card(gone, service.conference, w)]
                )
                return
        answer = _found(service.talk(title))
        streams = await self._streams(interaction, service)
        card_list = program_cards.talk_cards(answer, service.conference, self.clock.now(),
                                             streams, w)  # fmt: skip
        await send_cards(interaction, card_list)

    @talk.autocomplete("title")
    async def talk_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[Choice]:
        service = await self._suggesting(interaction)
        if service is None:
            return []
        found = service.suggest_talks(current, self.clock.now())
        return to_choices(found, reader_words(interaction))

    @app_commands.command(
        name="author", description="A person's papers, with times and affiliations"
    )
    @app_commands.describe(
        name="A name, a surname, or initials; accents and typos are fine",
        conference=CONFERENCE_HELP,
    )
    async def author(
        self, interaction: discord.Interaction, name: str, conference: ConferenceArg | None = None
    ) -> None:
        service = await self._searching(interaction, conference)
        answer = _found(service.author(name))
        card_list = program_cards.author_cards(answer, service.conference,
                                               reader_words(interaction))  # fmt: skip
        await send_cards(interaction, card_list)

    @author.autocomplete("name")
    async def author_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[Choice]:
        service = await self._suggesting(interaction)
        if service is None:
            return []
        found = service.suggest_people(current, self.clock.now())
        return to_choices(found, reader_words(interaction))

    @app_commands.command(name="session", description="A session's talks and their times")
    @app_commands.describe(
        name="The session's name, e.g. Formal Verification", conference=CONFERENCE_HELP
    )
    async def session(
        self, interaction: discord.Interaction, name: str, conference: ConferenceArg | None = None
    ) -> None:
        service = await self._searching(interaction, conference)
        answer = service.session_or_track(name, self.clock.now())
        if isinstance(answer, NoMatch):
            raise NothingFound(answer)
        w = reader_words(interaction)
        if isinstance(answer, TrackAnswer):  # a track across rooms: its talks of the day
            await send_cards(interaction, program_cards.track_cards(answer, service.conference, w))
            return
        await send_cards(interaction, program_cards.session_cards(answer, service.conference, w))

    @session.autocomplete("name")
    async def session_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[Choice]:
        service = await self._suggesting(interaction)
        if service is None:
            return []
        found = service.suggest_sessions(current, self.clock.now())
        return to_choices(found, reader_words(interaction))

    @app_commands.command(name="track", description="A track's talks across rooms and days")
    @app_commands.describe(
        name="The track's name, e.g. Security",
        day="Only this day: today, tomorrow, day 2, saturday, or a date (default: every day)",
        conference=CONFERENCE_HELP,
    )
    async def track(
        self, interaction: discord.Interaction, name: str, day: str | None = None,
        conference: ConferenceArg | None = None,
    ) -> None:  # fmt: skip
        service = await self._searching(interaction, conference)
        answer = _found(service.track(name, self.clock.now(), day))
        w = reader_words(interaction)
        await send_cards(interaction, program_cards.track_cards(answer, service.conference, w))

    @track.autocomplete("name")
    async def track_name_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[Choice]:
        service = await self._suggesting(interaction)
        if service is None:
            return []
        found = service.suggest_tracks_coming(current, self.clock.now())
        return to_choices(found, reader_words(interaction))

    @track.autocomplete("day")
    async def track_day_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[Choice]:
        days = picked_for_autocomplete(self.conferences, interaction).conference.days
        return _day_choices(days[:CHOICES_MAX], current, reader_words(interaction))

    @app_commands.command(
        name="search", description="Search titles, people, affiliations and sessions"
    )
    @app_commands.describe(
        query="Words to look for, e.g. EPFL or memory tiering", conference=CONFERENCE_HELP
    )
    async def search(
        self, interaction: discord.Interaction, query: str, conference: ConferenceArg | None = None
    ) -> None:
        # Answered directly, like every lookup: the work per query is bounded (a few ms at
        # 10,000 talks), and an error or "nothing matches" must be private, which a
        # public defer would already have decided against.
        service = await self._searching(interaction, conference)
        answer = service.search(query)
        if answer.empty:
            raise NothingFound(program_cards.search_missed(answer.query, service.conference),
                               hint=program_cards.SEARCH_HINT)  # fmt: skip
        card_list = program_cards.search_cards(answer, service.conference,
                                               reader_words(interaction))  # fmt: skip
        await send_cards(interaction, card_list)

    @app_commands.command(name="about", description="About this conference, its data, and confbot")
    @app_commands.describe(conference=CONFERENCE_HELP)
    async def about(
        self, interaction: discord.Interaction, conference: ConferenceArg | None = None
    ) -> None:
        service = self._service(interaction, conference)
        program = service.program
        card_list = program_cards.about_cards(
            service.conference, __version__, ProgramSize.of(program), reader_words(interaction)
        )
        await send_cards(interaction, card_list, ephemeral=True)

    # -- /schedule ----------------------------------------------------------------------

    @app_commands.command(
        name="schedule",
        description="A day of the conference at a glance: talks, keynote, meals, breaks",
    )
    @app_commands.describe(
        day="Which day of the conference, or the whole program as .ics", conference=CONFERENCE_HELP
    )
    async def schedule(
        self, interaction: discord.Interaction, day: str, conference: ConferenceArg | None = None
    ) -> None:
        service = self._service(interaction, conference)
        if day.strip().casefold() == EXPORT:
            await send_program_calendar(interaction, service, self.calendars, self.clock.now())
            return
        answer = service.day(day, self.clock.now())
        w = reader_words(interaction)
        await send_cards(interaction, program_cards.day_cards(answer, service.conference, w))

    @schedule.autocomplete("day")
    async def schedule_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[Choice]:
        """The conference's days (its own, since conferences differ), then the export."""
        days = picked_for_autocomplete(self.conferences, interaction).conference.days
        w = reader_words(interaction)
        choices = _day_choices(days[: CHOICES_MAX - 1], current, w)
        if _offered(current, w.tr(EXPORT_NAME), EXPORT_NAME, EXPORT):
            choices.append(Choice(name=w.tr(EXPORT_NAME), value=EXPORT))
        return choices


def _day_choices(days: Sequence[date], current: str, w: Words = ENGLISH) -> list[Choice]:
    """A conference's days as choices: named as people read them ('Samstag, 1. Februar'),
    found by what they type in their language or in English, sent as dates (which
    service.day reads, as it reads anything else typed: 'today', 'day 2')."""
    return [
        Choice(name=w.long_day(day), value=day.isoformat())
        for day in days
        if _offered(current, w.long_day(day), ENGLISH.long_day(day), day.isoformat())
    ]


def _offered(current: str, *names: str) -> bool:
    """Whether a choice holds what was typed in any of its names (any case)."""
    wanted = current.strip().casefold()
    return any(wanted in name.casefold() for name in names)


async def _kept(read: Awaitable[T], without: T) -> T:
    """What the state keeps for a lookup's answer (the rooms a person follows first, live
    streams, a cancelled talk, a channel's room), or `without` it while the state
    database is out of reach: the program is in memory, so the answer still goes out,
    only without that part (the database logs the outage)."""
    try:
        return await read
    except StateUnreachable:
        return without


def _found(answer: T | NoMatch) -> T:
    if isinstance(answer, NoMatch):
        raise NothingFound(answer)
    return answer
