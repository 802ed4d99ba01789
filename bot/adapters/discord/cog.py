"""The program commands. Each callback is thin: read options, ask the service, render,
reply. Errors are raised and answered once, by ConfTree.on_error."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import date
from typing import Any, TypeVar

import discord
from discord import app_commands
from discord.ext import commands

from bot import __version__
from bot.adapters.discord.calendar import ProgramCalendar, send_program_calendar
from bot.adapters.discord.replies import send_cards
from bot.adapters.discord.tree import NothingFound
from bot.clock import Clock
from bot.live.holder import FollowsProgram, ProgramHolder
from bot.render import cards
from bot.service import ProgramService
from bot.service.results import NoMatch, Suggestion
from bot.service.watch import NO_STREAMS

log = logging.getLogger(__name__)

T = TypeVar("T")
EXPORT = "export"
Choice = app_commands.Choice[str]
CHOICES_MAX = 25
VALUE_MAX = 100


def to_choices(suggestions: list[Suggestion]) -> list[Choice]:
    """At most 25 choices, names at most 100 characters, values that resolve exactly."""
    return [
        app_commands.Choice(name=cards.choice_name(s.label), value=s.value)
        for s in suggestions
        if len(s.value) <= VALUE_MAX
    ][:CHOICES_MAX]


class ProgramCog(commands.Cog, FollowsProgram):
    """/next, /now, /paper, /author, /session, /schedule, /search, /about."""

    def __init__(
        self,
        bot: commands.Bot | commands.AutoShardedBot,
        holder: ProgramHolder,
        clock: Clock,
        followed: Callable[[int], Awaitable[list[str]]] | None = None,
        streams: Callable[[int], Awaitable[Mapping[str, str]]] | None = None,
    ) -> None:
        self.bot = bot
        self.holder = holder
        self.clock = clock
        # The references of the items a person follows (their reminders): /next and /now
        # put those rooms and tracks first.
        self.followed = followed
        # The live streams a server's organisers set per room (/stream): shown as
        # "Watch live" on the talks that are on.
        self.streams = streams
        self.calendars = ProgramCalendar()
        # /schedule's choices are the conference's days, known only once it is loaded.
        self.schedule_command = self._make_schedule_command()

    async def cog_load(self) -> None:
        self.bot.tree.add_command(self.schedule_command)

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.schedule_command.name)

    # -- time ---------------------------------------------------------------------------

    @app_commands.command(name="next", description="What's on now and what starts next")
    @app_commands.describe(when="Ask about another moment: 14:00, thursday 9:00, or an ISO time")
    async def next_(self, interaction: discord.Interaction, when: str | None = None) -> None:
        service = self.service  # this version to the end, whatever a sync swaps meanwhile
        now = self.clock.now()
        at = service.when(when, now) if when else now
        answer = service.next(at, await self._favourites(service, interaction))
        streams = await self._streams(interaction)
        await send_cards(interaction, cards.next_cards(answer, service.conference, streams))

    @app_commands.command(
        name="now", description="What is on stage right now, and who is presenting"
    )
    async def now(self, interaction: discord.Interaction) -> None:
        service = self.service
        answer = service.now(self.clock.now(), await self._favourites(service, interaction))
        streams = await self._streams(interaction)
        await send_cards(interaction, cards.now_cards(answer, service.conference, streams))

    async def _streams(self, interaction: discord.Interaction) -> Mapping[str, str]:
        if self.streams is None or interaction.guild_id is None:
            return NO_STREAMS
        return await self.streams(interaction.guild_id)

    async def _favourites(
        self, service: ProgramService, interaction: discord.Interaction
    ) -> frozenset[str]:
        if self.followed is None:
            return frozenset()
        return service.followed_places(await self.followed(interaction.user.id))

    # -- lookups ------------------------------------------------------------------------

    @app_commands.command(name="paper", description="Find a paper by (part of) its title")
    @app_commands.describe(title="A few words of the title or the system's name; typos are fine")
    async def paper(self, interaction: discord.Interaction, title: str) -> None:
        service = self.service
        answer = _found(service.paper(title))
        streams = await self._streams(interaction)
        card_list = cards.paper_cards(answer, service.conference, self.clock.now(), streams)
        await send_cards(interaction, card_list)

    @paper.autocomplete("title")
    async def paper_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[Choice]:
        return to_choices(self.service.suggest_talks(current, self.clock.now()))

    @app_commands.command(
        name="author", description="A person's papers, with times and affiliations"
    )
    @app_commands.describe(name="A name, a surname, or initials; accents and typos are fine")
    async def author(self, interaction: discord.Interaction, name: str) -> None:
        answer = _found(self.service.author(name))
        await send_cards(interaction, cards.author_cards(answer, self.conference))

    @author.autocomplete("name")
    async def author_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[Choice]:
        return to_choices(self.service.suggest_people(current, self.clock.now()))

    @app_commands.command(name="session", description="A session's talks and their times")
    @app_commands.describe(name="The session's name, e.g. Formal Verification")
    async def session(self, interaction: discord.Interaction, name: str) -> None:
        answer = _found(self.service.session(name))
        await send_cards(interaction, cards.session_cards(answer, self.conference))

    @session.autocomplete("name")
    async def session_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[Choice]:
        return to_choices(self.service.suggest_sessions(current, self.clock.now()))

    @app_commands.command(
        name="search", description="Search titles, people, affiliations and sessions"
    )
    @app_commands.describe(query="Words to look for, e.g. EPFL or memory tiering")
    async def search(self, interaction: discord.Interaction, query: str) -> None:
        # Answered directly, like every lookup: the work per query is bounded (a few ms at
        # 10,000 papers), and an error or "nothing matches" must be private, which a
        # public defer would already have decided against.
        answer = self.service.search(query)
        if answer.empty:
            raise NothingFound(NoMatch(answer.query, "paper, person, affiliation or session", ()),
                               hint="Try a title word, a surname or an affiliation.")  # fmt: skip
        await send_cards(interaction, cards.search_cards(answer, self.conference))

    @app_commands.command(name="about", description="About this conference, its data, and confbot")
    async def about(self, interaction: discord.Interaction) -> None:
        program = self.service.program
        card_list = cards.about_cards(
            self.conference, __version__, len(program.talks), len(program.sessions)
        )
        await send_cards(interaction, card_list, ephemeral=True)

    # -- /schedule ----------------------------------------------------------------------

    def _make_schedule_command(self) -> app_commands.Command[Any, ..., None]:
        days = self.conference.days
        choices = [app_commands.Choice(name=_day_name(d), value=d.isoformat()) for d in days]
        choices = choices[: CHOICES_MAX - 1]
        choices.append(
            app_commands.Choice(name="Whole program as a calendar file (.ics)", value=EXPORT)
        )

        @app_commands.describe(day="Which day of the conference, or the whole program as .ics")
        @app_commands.choices(day=choices)
        async def schedule(interaction: discord.Interaction, day: app_commands.Choice[str]) -> None:
            if day.value == EXPORT:
                await self._send_program_calendar(interaction)
                return
            answer = self.service.day(date.fromisoformat(day.value), self.clock.now())
            await send_cards(interaction, cards.day_cards(answer, self.conference))

        return app_commands.Command(
            name="schedule",
            description="A day of the conference at a glance: talks, keynote, meals, breaks",
            callback=schedule,
        )

    async def _send_program_calendar(self, interaction: discord.Interaction) -> None:
        await send_program_calendar(interaction, self.service, self.calendars, self.clock.now())


def _day_name(day: date) -> str:
    return f"{day:%A, %B} {day.day}"


def _found(answer: T | NoMatch) -> T:
    if isinstance(answer, NoMatch):
        raise NothingFound(answer)
    return answer
