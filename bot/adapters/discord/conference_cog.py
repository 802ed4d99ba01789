"""/conference: which conferences a server offers, and which one a person asks about.

`list` and `use` are for everyone, anywhere. `add`, `remove` and `default` are for a
server's organisers (Manage Server, checked when they run: one group cannot mix who may
see its commands). `add` takes a conference the operator configured, or the https address
of a program export: fetched under the guard of bot.live.guard, read and summarised before
it is kept, and then followed like any program.

Adding a source is one server's wait, never another's: adds take turns per address only
(AddressTurns), the fetch is asynchronous and the reading runs in worker threads, and the
whole add has ADD_BUDGET seconds; a source slower or larger than that is refused in one
sentence and nothing of it stays (ConferenceCog._added).

In a cluster, a source added here is recorded in the state and told to the other
processes, which serve it too (bot.live.added); whether a source is still followed once a
server removes it is the state's to say (another process's servers may offer it), and a
choice made here is told to them as well (bot.live.conferences).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

import discord
from discord import app_commands
from discord.ext import commands

from bot.adapters.discord.conference_option import (
    ConferenceArg,
    choices_among,
    conference_choices,
    picked,
    where,
)
from bot.adapters.discord.replies import send_cards, send_text
from bot.adapters.discord.speech import reader_words
from bot.adapters.discord.tree import managed_guild
from bot.address import AddressError, is_url, web_address
from bot.clock import Clock
from bot.i18n import ENGLISH, N_, Words
from bot.importer.errors import ProgramFileError
from bot.live.added import AddedSources, AddressTurns
from bot.live.conferences import Conferences, Served, forget_files
from bot.live.guard import PublicResolver, SourceRefused, check_resolves
from bot.live.remote import Download, FetchError, RemoteProgram
from bot.render import cards, program_cards
from bot.render.limits import ADDRESS_MAX, MESSAGE_MAX
from bot.render.markdown import Escaped, escape
from bot.render.organisers import month_day
from bot.render.text import load_details
from bot.service import QueryError
from bot.settings import Settings, SettingsError
from bot.store.connection import WriteFailed
from bot.tasks import stopped

log = logging.getLogger(__name__)

# Seconds to check, fetch, read and open a source being added: the organiser is waiting,
# and a source slower or larger than this would cost every check for changes as much.
ADD_BUDGET = 20.0
# Adds reading and opening a source at once, across every server: reading runs in worker
# threads, which cannot be stopped at the budget, so without a cap one server's huge
# sources (one at a time each, see ConferenceCog._adds) could take every worker the
# bot has, and with them live sync, calendars and DNS for everyone.
ADD_READERS = 2
# Sources one server may add: each is fetched, and read again whenever it changes, for
# as long as it is followed, so one server's hundred sources would cost every server.
MAX_ADDED = 10


class ConferenceCog(commands.Cog):
    def __init__(
        self,
        conferences: Conferences,
        clock: Clock,
        settings: Settings,
        open_conference: Callable[[Settings, int | None], Awaitable[Served]],
        sources: AddedSources,
    ) -> None:
        """`sources`: the sources servers added, as every process serves them (the turns
        of their addresses are theirs too: see bot.live.added)."""
        self.conferences = conferences
        self.clock = clock
        self.settings = settings
        self.open_conference = open_conference
        self.sources = sources
        self.add_budget = ADD_BUDGET
        self._turns: AddressTurns = sources.turns
        # Adds underway, undoing included, with their server and address. A server adds
        # one address at a time: what one server's adds can hold of the readers below.
        # Two organisers adding the same address take turns on it (AddressTurns) and
        # share what the first added.
        self._adds: dict[asyncio.Task[None], tuple[int, str]] = {}
        self._readers = asyncio.Semaphore(ADD_READERS)

    conference = app_commands.Group(
        name="conference", description="The conferences followed here, and the one you ask about"
    )

    # -- everyone -----------------------------------------------------------------------

    @conference.command(name="list", description="The conferences you can ask about here")
    async def list_(self, interaction: discord.Interaction) -> None:
        guild_id = where(interaction)
        mine = picked(self.conferences, interaction)
        default = self.conferences.default(guild_id)
        w = reader_words(interaction)
        lines = []
        for served in self.conferences.offered(guild_id, interaction.user.id):
            marks = [w.tr(m) for m, on in ((DEFAULT_HERE, served is default),
                                           (YOURS, served is mine)) if on]  # fmt: skip
            c = served.conference
            days = (f"{month_day(c.days[0], w)}–{month_day(c.days[-1], w)}" if c.days
                    else w.tr("no days"))  # fmt: skip
            note = f" · {', '.join(marks)}" if marks else ""
            talks = len(served.service.program.talks)
            lines.append("• " + w.ntr("{conference}, {days}, {count} talk",
                                      "{conference}, {days}, {count} talks", talks,
                                      conference=_named(served), days=days,
                                      count=talks) + note)  # fmt: skip
        tips = w.tr("`/conference use` picks the one your questions are about.")
        if guild_id is not None:
            tips += " " + w.tr("Organisers: `/conference add`, `remove` and `default`.")
        await send_cards(
            interaction, program_cards.conference_list_cards(lines, tips, w), ephemeral=True
        )

    @conference.command(name="use", description="Pick the conference your questions are about")
    @app_commands.describe(conference="One of the conferences offered here")
    async def use(self, interaction: discord.Interaction, conference: ConferenceArg) -> None:
        served = picked(self.conferences, interaction, conference)
        await self.conferences.use(interaction.user.id, served.key)
        text = reader_words(interaction).tr(
            "From now on your questions are about {conference} wherever it is offered; the"
            " `conference` option of a command overrides it.",
            conference=_named(served),
        )
        await send_text(interaction, text, ephemeral=True)

    # -- organisers ---------------------------------------------------------------------

    @conference.command(name="add", description="Follow another conference in this server")
    @app_commands.describe(
        source="A conference this bot serves, or the https address of a program export"
    )
    async def add(self, interaction: discord.Interaction, source: str) -> None:
        guild_id = self._organisers_server(interaction)
        typed = source.strip()
        known = self.conferences.find(typed, self.conferences.operators())
        if known is None and not is_url(typed):
            names = ", ".join(f"`{s.key}`" for s in self.conferences.operators())
            raise QueryError(
                N_(
                    "Give the https address of a program export (pretalx, frab, .ics, Indico),"
                    " or one of the conferences this bot serves: {names}."
                ),
                names=Escaped(names),  # the operator's keys, in code
            )
        if known is None:
            try:
                web_address(typed)
            except AddressError as exc:
                raise QueryError(REFUSED, reason=exc) from None
        w = reader_words(interaction)
        if known is not None:
            await self._offer(guild_id, known)
            await send_text(interaction, "✅ " + w.tr("This server now offers {conference}.",
                                                     conference=_named(known)),
                            ephemeral=True)  # fmt: skip
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        served, summary = await self._added(guild_id, typed, w)  # offered here in its turn
        minutes = self.settings.sync_interval / 60
        text = "✅ " + w.tr("This server now offers {conference}, from {url}; it is checked for"
                           " changes every {minutes} min.", conference=_named(served),
                           url=f"<{served.settings.program_url}>",
                           minutes=f"{minutes:g}") + "\n" + summary  # fmt: skip
        await send_text(interaction, cards.truncate(text, MESSAGE_MAX), ephemeral=True)

    @add.autocomplete("source")
    async def add_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """The operator's conferences this server does not offer yet."""
        offered = set(self.conferences.offered(where(interaction)))
        missing = [s for s in self.conferences.operators() if s not in offered]
        return choices_among(missing, current)

    @conference.command(name="remove", description="Stop offering a conference in this server")
    @app_commands.describe(conference="One of the conferences this server offers")
    async def remove(self, interaction: discord.Interaction, conference: ConferenceArg) -> None:
        guild_id = self._organisers_server(interaction)
        served = picked(self.conferences, interaction, conference)
        async with self._source_turn(served):
            keys = [s.key for s in self.conferences.offered(guild_id) if s is not served]
            if not keys:
                raise QueryError(N_("{conference} is the only conference here; add another"
                                    " before removing it."),
                                 conference=Escaped(_named(served)))  # fmt: skip
            default = self.conferences.default(guild_id).key
            await self.conferences.offer(guild_id, keys, default if default in keys else keys[0],
                                         self._now_ts())  # fmt: skip
            w = reader_words(interaction)
            text = w.tr("This server no longer offers {conference}.", conference=_named(served))
            if await self._drop_unoffered(served):
                text += " " + w.tr("No server offers it any more, so it is no longer followed.")
        await send_text(interaction, text, ephemeral=True)

    @conference.command(
        name="default", description="The conference this server's questions are about"
    )
    @app_commands.describe(conference="One of the conferences this server offers")
    async def default(self, interaction: discord.Interaction, conference: ConferenceArg) -> None:
        guild_id = self._organisers_server(interaction)
        served = picked(self.conferences, interaction, conference)
        keys = [s.key for s in self.conferences.offered(guild_id)]
        await self.conferences.offer(guild_id, keys, served.key, self._now_ts())
        text = reader_words(interaction).tr(
            "Questions here are now about {conference} unless the person picks another"
            " (`/conference use`).",
            conference=_named(served),
        )
        await send_text(interaction, text, ephemeral=True)

    @use.autocomplete("conference")
    @remove.autocomplete("conference")
    @default.autocomplete("conference")
    async def offered_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return conference_choices(self.conferences, interaction, current)

    @commands.Cog.listener()
    async def on_guild_remove(self, guild: discord.Guild) -> None:
        """A server that removed the bot no longer has sources followed for it."""
        for served in await self.conferences.forget_server(guild.id):
            async with self._source_turn(served):
                if await self._drop_unoffered(served):
                    log.info("no server offers %s any more: no longer followed", served.key)

    # -- helpers ------------------------------------------------------------------------

    def _source_turn(self, served: Served) -> contextlib.AbstractAsyncContextManager[None]:
        """The turn of an added source's address, for a change to who offers it: an add
        of the same address in another server finds the source served and offers it in
        its turn, so a remove deciding in between that nobody offers it would drop it
        under that server (told it offers a conference no longer followed, or, its
        choice written just after the drop, offering one no longer served, so that every
        command there failed). The operator's conferences are never dropped: no turn."""
        url = served.settings.program_url
        if served.added is None or url is None:
            return contextlib.nullcontext()
        return self._turns.turn(url)

    async def _drop_unoffered(self, served: Served) -> bool:
        """Stop following an added source still served that no server offers any more
        (in its turn), as the state says: a server on another process may offer it, so
        the state drops it only if none does, in one statement (drop_source). Forgotten
        there first, so a stop that fails half-way never starts it again; then closed
        here, and the other processes told to close it too. Whether it was dropped."""
        if served.added is None or self.conferences.get(served.key) is not served:
            return False
        if not await self.conferences.state.conferences.drop_source(served.key):
            return False
        await self.sources.close(served)
        await self.sources.changed()
        return True

    def _organisers_server(self, interaction: discord.Interaction) -> int:
        """A server that added the bot, and a person who may manage it."""
        guild_id = managed_guild(interaction)
        if where(interaction) is None:
            raise QueryError(N_("Only a server that added confbot can choose its conferences."))
        return guild_id

    def _now_ts(self) -> int:
        return int(self.clock.now().timestamp())

    async def _offer(self, guild_id: int, served: Served) -> None:
        """Add a conference to what a server offers, keeping its default."""
        keys = [s.key for s in self.conferences.offered(guild_id)]
        if served.key not in keys:
            keys.append(served.key)
        default = self.conferences.default(guild_id).key
        await self.conferences.offer(guild_id, keys, default, self._now_ts())

    async def _added(self, guild_id: int, url: str, w: Words = ENGLISH) -> tuple[Served, str]:
        """A source at an address, served (see _add_source), or refused within the
        budget. The add is a task of its own, in its address's turn: one over budget is
        refused at once, while the task waits for what cannot be stopped (a worker
        thread) and undoes it before the address's next add starts."""
        if any(server == guild_id and address != url for server, address in self._adds.values()):
            raise QueryError(N_("This server is adding another program already: wait until"
                                " that is done, then try again."))  # fmt: skip
        answer: asyncio.Future[tuple[Served, str]] = asyncio.get_running_loop().create_future()
        task = asyncio.create_task(self._add_in_turn(guild_id, url, answer, w),
                                   name=f"confbot-add-{guild_id}")  # fmt: skip
        self._adds[task] = (guild_id, url)
        task.add_done_callback(self._adds.pop)
        return await answer

    async def _add_in_turn(
        self,
        guild_id: int,
        url: str,
        answer: asyncio.Future[tuple[Served, str]],
        w: Words = ENGLISH,
    ) -> None:
        """The add, told to `answer` as soon as it is known: at the budget, before it is
        undone; `answer` has the refusal or the source served."""

        def refuse(refusal: QueryError) -> None:
            if not answer.done():
                answer.set_exception(refusal)

        try:
            async with self._turns.turn(url):
                added = await self._add_source(guild_id, url, refuse, w)
                await self._offer(guild_id, added[0])  # before a remove may drop it
                await self._recorded_again(added[0])
        except asyncio.CancelledError:
            answer.cancel()
            raise
        except Exception as exc:
            if not answer.done():
                answer.set_exception(exc)
            elif not isinstance(exc, QueryError):  # undoing an add already refused
                log.exception("undoing the add of %s in server %d failed", url, guild_id)
        else:
            if not answer.done():
                answer.set_result(added)

    async def settled(self) -> None:
        """Wait until every add underway has ended, undoing included (tests)."""
        while underway := [task for task in self._adds if not task.done()]:
            await asyncio.wait(underway)

    async def cog_unload(self) -> None:
        for task in list(self._adds):
            await stopped(task)

    async def _add_source(
        self,
        guild_id: int,
        url: str,
        refuse: Callable[[QueryError], None],
        w: Words = ENGLISH,
    ) -> tuple[Served, str]:
        """A source at an address, served: the same address again is the conference
        already followed; a new one is checked, fetched, read and opened (under a key of
        its own if its program shares another's: Conferences.free_key) within the
        budget, or refused with the reason, leaving nothing behind. Over budget the
        network is cut off; an open underway is told to `refuse` at once, then waited
        for and undone. What was found is said in the organiser's words (`w`)."""
        for served in self.conferences:
            if served.settings.program_url == url:
                return served, ""
        if len(url) > ADDRESS_MAX:
            raise QueryError(N_("That address is over {count} characters long."),
                             count=str(ADDRESS_MAX))  # fmt: skip
        added = [s for s in self.conferences if s.added and s.added.guild_id == guild_id]
        if len(added) >= MAX_ADDED:
            raise QueryError(N_("This server has added {count} programs by address, the most"
                                " one server may: `/conference remove` one first."),
                             count=str(MAX_ADDED))  # fmt: skip
        # The address, and what a server or a program file says, go in as the program's
        # words do (QueryError's placeholders, escaped by the one error path).
        over = QueryError(N_("⚠️ {url} could not be fetched and read within {seconds} s."
                             " Nothing was added."),
                          url=url, seconds=Escaped(f"{self.add_budget:g}"))  # fmt: skip
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.add_budget
        guard = None if self.settings.allow_private_sources else PublicResolver()
        view = self.settings.added_source(url)
        remote = RemoteProgram(url, view.program, guard=guard)  # its own limit is longer
        try:
            async with asyncio.timeout_at(deadline):  # nothing is written yet: cut off
                if guard is not None:
                    await check_resolves(web_address(url), guard)
                download = await remote.download()
        except (SourceRefused, AddressError) as exc:
            raise QueryError(REFUSED, reason=exc) from None
        except ValueError as exc:  # from inside the HTTP library: its words, in our sentence
            unreached = FetchError(UNREACHABLE, url=url, error=str(exc))
            raise QueryError(NOTHING_ADDED, reason=unreached) from None
        except FetchError as exc:
            raise QueryError(NOTHING_ADDED, reason=exc) from None
        except TimeoutError:
            raise over from None
        if download is None:  # a 304 to a request that named no version
            raise QueryError(N_("⚠️ {url} sent no program (HTTP 304). Nothing was added."),
                             url=url)  # fmt: skip
        try:  # waiting for a reader is part of the budget; nothing is written yet
            async with asyncio.timeout_at(deadline):
                await self._readers.acquire()
        except TimeoutError:
            raise over from None
        opening = asyncio.create_task(self._open(guild_id, view, remote, download))
        opening.add_done_callback(lambda _: self._readers.release())
        done, _ = await asyncio.wait({opening}, timeout=max(0.0, deadline - loop.time()))
        if opening not in done:
            refuse(over)
            with contextlib.suppress(QueryError):  # it undid itself
                await self.sources.close(await opening)  # never recorded
            raise over
        served = await self._recorded(opening.result())
        log.info("server %d added %s (%s)", guild_id, url, served.key)
        report = served.report
        details = [] if report is None else await asyncio.to_thread(
            load_details, served.service.program, report, w)  # fmt: skip
        return served, escape("\n".join(line.strip() for line in details))

    async def _recorded(self, served: Served) -> Served:
        """A source just opened here, recorded in the state and told to the other
        processes; undone and refused if another process recorded the same address under
        another key, or another address under this key, a moment before (two servers
        adding at once): that one is served here once the notice comes."""
        assert served.added is not None
        recorded = await self.conferences.state.conferences.add_source(served.added,
                                                                       self._now_ts())  # fmt: skip
        if recorded is None or recorded.conference != served.key:
            await self.sources.close(served)
            self.sources.check()
            raise QueryError(N_("⚠️ Another server added this program, or one of the same"
                                " name, at the same moment: run `/conference add` again in a"
                                " few seconds. Nothing was added."))  # fmt: skip
        served.added = recorded  # the server that added it first decides (see decides)
        await self.sources.changed()
        return served

    async def _recorded_again(self, served: Served) -> None:
        """An added source this server now offers, recorded again if a remove in another
        process dropped it since this add found it served (it offered it before this
        server did): the others serve it again, told so."""
        if served.added is None:
            return
        recorded = await self.conferences.state.conferences.added_source(served.added.url)
        if recorded is None:
            await self.conferences.state.conferences.add_source(served.added, self._now_ts())
            await self.sources.changed()

    async def _open(
        self, guild_id: int, view: Settings, remote: RemoteProgram, download: Download
    ) -> Served:
        """The fetched copy kept and opened: read, parsed and built into its database in
        worker threads (open_program), or refused with the reason, its files removed."""
        try:
            await asyncio.to_thread(remote.keep, download)
            return await self.open_conference(view, guild_id)
        except ProgramFileError as exc:
            forget_files(view)
            raise QueryError(NOTHING_ADDED, reason=remote.unreadable(exc)) from None
        except WriteFailed:  # the program opens; keeping its version did not (a full disk)
            forget_files(view)
            raise
        except Exception as exc:
            forget_files(view)
            log.warning("a source added in server %d does not open: %s", guild_id, exc,
                        exc_info=not isinstance(exc, SettingsError | OSError))  # fmt: skip
            raise QueryError(
                N_("⚠️ {url} was fetched but does not open. Nothing was added."), url=remote.url
            ) from None


def _named(served: Served) -> str:
    return f"**{escape(served.conference.name)}** (`{served.key}`)"


DEFAULT_HERE = N_("default here")
YOURS = N_("what you ask about")
# Why a source was not added, as the fetch or the reader says it (English), then ours.
NOTHING_ADDED = N_("⚠️ {reason}. Nothing was added.")
# A fetch the HTTP library refused with a ValueError, its text as the library wrote it.
UNREACHABLE = N_("{url} could not be reached ({error})")
# A refusal that is the address check's or the reader's own sentence (a Worded, said in
# the reader's language), alone.
REFUSED = "{reason}"
