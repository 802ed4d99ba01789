"""The conferences one bot serves, and which one a question is about.

Each conference is opened here, whole (bot.live.conference: its holder, follower and
scheduler), and dropped here when no server offers it any more. A question names a
conference, or else it is the one the person picked (/conference use) if it is offered
where they ask, or else the server's default. In a server that added the bot, the server
offers the conferences its organisers chose (all the operator's until they choose);
anywhere else (a DM, a server that never added the bot) the operator's conferences are
offered, and the person's own pick.

The choices live in the state database and are mirrored (bot.live.choices), so picking a
conference costs no query: autocomplete and every command pick one. A choice written here
is told to the other processes of a cluster, which read it again; the mirror holds what
the state holds, and only the conferences served here are offered from it.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Iterator

from bot.address import AddressError, web_address
from bot.live.choices import Choices
from bot.live.conference import Served as Served  # named from here by the adapters
from bot.live.conference import Serving
from bot.live.remote import meta_path
from bot.service import ProgramService, QueryError
from bot.settings import Settings, SettingsError
from bot.store import BuildReport
from bot.store.conferences_store import AddedSource
from bot.store.coordination import ChosenBy, Coordinator, Notice, NoticeKind, SoleCoordinator
from bot.store.state import StateStore

log = logging.getLogger(__name__)


class UnknownConference(QueryError):
    """A conference option that names none offered here; the message lists them."""


class ServedAlready(SettingsError):
    """A program the operator configured is a conference that is served already (two
    sources, one conference). Sources added from Discord never are: see free_key."""

    def __init__(self, key: str, where: str) -> None:
        super().__init__(
            f"CONFBOT_PROGRAM: {where} is the conference “{key}”, like another program listed"
            " before it; list each conference once."
        )
        self.key = key


class Conferences:
    def __init__(self, state: StateStore, coordinator: Coordinator | None = None) -> None:
        """`coordinator`: how a choice written here is told to the other processes of a
        cluster (none to tell on a SQLite state)."""
        self.state = state
        self.coordinator = coordinator or SoleCoordinator()
        self._served: dict[str, Served] = {}
        self._operator: list[str] = []
        self.choices = Choices(state)

    async def load_choices(self) -> None:
        """Read the servers' and people's choices (at start, once the conferences are in)."""
        await self.choices.load()

    # -- what is served ----------------------------------------------------------------

    async def open(
        self, service: ProgramService, report: BuildReport, view: Settings, serving: Serving,
        added_by: int | None = None, kept_key: str | None = None,
    ) -> Served:  # fmt: skip
        """Serve a conference just loaded (bot.app.load_service), not started yet (see
        Served.start), with the version it serves kept. `added_by`: the server that added
        it from Discord, whose source may only reach public https addresses, and which is
        served under a key of its own (free_key; `kept_key`: the one it had before a
        restart): only the operator's programs are ServedAlready."""
        own = service.conference.key
        service = await self._claim(service, view, added_by, kept_key)
        added = None
        if added_by is not None and view.program_url is not None:
            added = AddedSource(service.conference.key, view.program_url, added_by)
        # Added with no await since _claim's last look at the keys: no other add between.
        served = Served(service, view, serving, report, own, added)
        self.add(served)
        try:
            await served.open()
        except BaseException:  # not half served: the caller says why it is not
            await self.drop(served.key)
            raise
        return served

    async def _claim(
        self, service: ProgramService, view: Settings, added_by: int | None, kept_key: str | None
    ) -> ProgramService:
        """The version loaded, under the key it is to be served under (see open)."""
        own = service.conference.key
        if added_by is None or view.program_url is None:
            if own in self._served:
                raise ServedAlready(own, view.sources[0].where)
            return service
        loaded = service
        # Made in a worker thread (a tenth of a second for a large program), so the key is
        # asked for again after it: another add may have taken it meanwhile.
        while (key := self.free_key(kept_key or own, view.program_url)) != service.conference.key:
            if key == own:
                service = loaded
            else:
                renamed = loaded.program.under_key(key)
                service = await asyncio.to_thread(ProgramService, renamed, index_later=True)
        return service

    async def drop(self, key: str) -> None:
        """Stop serving a conference a server added (no server offers it any more)."""
        await self.remove(key).stop()

    def wake(self) -> None:
        """Re-plan every conference's deliveries (a server's settings changed)."""
        for served in self._served.values():
            served.wake()

    def add(self, served: Served) -> None:
        if served.key in self._served:
            raise ValueError(f"{served.key} is served already")
        self._served[served.key] = served
        if served.added is None:
            self._operator.append(served.key)

    def free_key(self, key: str, url: str) -> str:
        """The key to serve a source a server added under: the one its program names (or
        kept from before a restart) if no conference has it; else one derived from the
        address's host, so that the first to add a program never keeps another server
        from adding a different source with the same acronym."""
        if key not in self._served:
            return key
        try:
            hostname = web_address(url).host or ""
        except AddressError:  # every source was read by web_address when it was added
            hostname = ""
        host = re.sub(r"[^a-z0-9]+", "-", hostname.lower()).strip("-")
        base = f"{key}-{host[:40].strip('-') or 'source'}"
        found, n = base, 2
        while found in self._served:
            found, n = f"{base}-{n}", n + 1
        return found

    def __iter__(self) -> Iterator[Served]:
        return iter(list(self._served.values()))

    def __len__(self) -> int:
        return len(self._served)

    def get(self, key: str) -> Served | None:
        return self._served.get(key)

    def first(self) -> Served:
        """The operator's first conference (the console's, and the default of defaults)."""
        return self._served[self._operator[0]]

    def operators(self) -> list[Served]:
        return [self._served[key] for key in self._operator]

    def offering(self, key: str) -> list[int]:
        """The servers that chose this conference, as mirrored here (a decision another
        process may race, such as whether a source is still followed, asks the state:
        ConferenceStore.offered_by)."""
        return [guild for guild, keys in self.choices.servers.items() if key in keys]

    # -- where, and which one -----------------------------------------------------------

    def offered(self, guild_id: int | None, user_id: int | None = None) -> list[Served]:
        """The conferences offered in this server (None: anywhere that did not add the
        bot), the person's own pick included outside servers. A choice naming a
        conference not served here (dropped, or added by another process and not open
        here yet) is left out."""
        if guild_id is not None:
            chosen = self.choices.servers.get(guild_id, [])
            keys = [key for key in chosen if key in self._served] or self._operator
        else:
            mine = self._mine(user_id)
            keys = self._operator + ([mine] if mine and mine not in self._operator else [])
        return [self._served[key] for key in keys]

    def default(self, guild_id: int | None) -> Served:
        chosen = self.choices.defaults.get(guild_id) if guild_id is not None else None
        if chosen is not None and chosen in self._served:
            return self._served[chosen]
        return self.offered(guild_id)[0]

    def _mine(self, user_id: int | None) -> str | None:
        """The person's pick, if it is served here."""
        mine = self.choices.people.get(user_id) if user_id is not None else None
        return mine if mine in self._served else None

    def pick(self, guild_id: int | None, user_id: int, option: str | None = None) -> Served:
        """The conference a question is about (see the module's docstring)."""
        offered = self.offered(guild_id, user_id)
        if option:
            found = self.find(option, offered)
            if found is None:
                names = ", ".join(f"{s.conference.name} ({s.key})" for s in offered)
                raise UnknownConference(
                    f"No conference “{option[:100]}” here; this one offers {names}."
                )
            return found
        mine = self._mine(user_id)
        if mine is not None and any(s.key == mine for s in offered):
            return self._served[mine]
        return self.default(guild_id)

    @staticmethod
    def find(text: str, among: list[Served]) -> Served | None:
        """By key (what autocomplete sends) or by the name as shown, any case."""
        wanted = text.strip().casefold()
        for served in among:
            if wanted in (served.key.casefold(), served.conference.name.casefold()):
                return served
        return None

    # -- choosing (kept in the state database, mirrored, and told) ----------------------

    async def offer(self, guild_id: int, keys: list[str], default: str, now_ts: int) -> None:
        """What a server offers, and its default (one of them)."""
        await self.state.conferences.offer(guild_id, keys, default, now_ts)
        self.choices.offered(guild_id, keys, default)
        await self._tell(ChosenBy.SERVER, guild_id)

    async def forget_server(self, guild_id: int) -> list[Served]:
        """A server that removed the bot: its choices go, and the conferences it added
        or offered are returned, for the caller to drop those no server offers any more
        (ConferenceStore.drop_source: the state decides, any process's servers)."""
        chosen = [self._served[k] for k in self.choices.servers.get(guild_id, [])
                  if k in self._served]  # fmt: skip
        await self.state.conferences.forget_server(guild_id)
        self.choices.forgot(guild_id)
        await self._tell(ChosenBy.SERVER, guild_id)
        return [served for served in chosen if served.added is not None]

    async def use(self, user_id: int, key: str) -> None:
        await self.state.conferences.use(user_id, key)
        self.choices.used(user_id, key)
        await self._tell(ChosenBy.PERSON, user_id)

    async def _tell(self, whose: ChosenBy, ident: int) -> None:
        """Tell the other processes a choice changed; one that misses it finds out at
        its periodic check."""
        notice = Notice(NoticeKind.CHOICE, detail=(str(whose), str(ident)))
        if not await self.coordinator.send(notice):
            log.warning("could not tell the other processes of a %s's new choice; they find"
                        " out at their next check", whose)  # fmt: skip

    def remove(self, key: str) -> Served:
        """Stop serving an added conference (no server offers it any more)."""
        served = self._served.pop(key)
        if key in self._operator:
            self._operator.remove(key)
        self.choices.dropped(key)
        return served


def decides(
    served: Served, guild_id: int, manages: bool, operator: bool, operator_servers: frozenset[int]
) -> bool:
    """Who may apply or discard a new version of a conference's program, for every server
    that offers it: the operator (`operator`: the application's owner or team) always; for
    a program the operator configured, the organisers (`manages`: Manage Server) of the
    servers the operator named; for a source a server added, that server's organisers."""
    if operator:
        return True
    if not manages:
        return False
    if served.added is None:
        return guild_id in operator_servers
    return guild_id == served.added.guild_id


def forget_files(settings: Settings) -> None:
    """Remove what was kept of a source a server added and no server offers any more:
    its copy, what its server said of the copy, and its program database."""
    for path in (settings.program, meta_path(settings.program), settings.db_path):
        path.unlink(missing_ok=True)
