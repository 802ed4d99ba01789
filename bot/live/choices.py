"""The servers' and the people's choices of conference, mirrored from the state database.

Every command picks a conference (bot.live.conferences), most of them by a choice: the
person's (/conference use) or the server's (what it offers, and its default). Picking
costs no query, so a lookup answers while the state database is out of reach; the
choices are mirrored here instead, as the state holds them (keys of conferences not
served here are kept, and left out when read: see Conferences).

In a cluster, any process may change a choice: a person asks wherever they are, and the
process holding one server's shard decides what it offers while another decides whether
a source is still followed. So a process that writes one tells the others (a CHOICE
notice naming the person or the server), and they read that one again from the state;
a notice lost is made up for by the periodic check, which reads every choice again.
A read begun before a write of this process is not mirrored over it (see _written).
"""

from __future__ import annotations

import asyncio
import logging

from bot.store.connection import unreachable
from bot.store.coordination import ChosenBy, Notice, NoticeKind
from bot.store.state import StateStore
from bot.tasks import Background, on_every_wake

log = logging.getLogger(__name__)

RETRIES = 5  # reads raced by a write of this process, tried again (then the next check)


class Choices:
    """The mirror (servers, defaults, people) and what keeps it fresh (see the module)."""

    def __init__(self, state: StateStore) -> None:
        self.state = state
        self.servers: dict[int, list[str]] = {}  # what each server offers, in order
        self.defaults: dict[int, str] = {}
        self.people: dict[int, str] = {}
        # Bumped by every write this process mirrors: a read from the state begun before
        # it may hold the value before that write, and is read again.
        self._written = 0
        self._all_due = False
        self._people_due: set[int] = set()
        self._servers_due: set[int] = set()
        self._woken = asyncio.Event()
        self._loop = Background("confbot-choices", self._run)
        self._failing = False
        self.loads = 0  # every choice read again, so many times (tests wait on it)

    # -- written here -------------------------------------------------------------------

    def offered(self, guild_id: int, keys: list[str], default: str) -> None:
        """A server's choice, as this process just wrote it."""
        self._written += 1
        self.servers[guild_id] = list(keys)
        self.defaults[guild_id] = default

    def used(self, user_id: int, key: str) -> None:
        """A person's pick, as this process just wrote it."""
        self._written += 1
        self.people[user_id] = key

    def forgot(self, guild_id: int) -> None:
        """A server that removed the bot: its choices are gone from the state."""
        self._written += 1
        self.servers.pop(guild_id, None)
        self.defaults.pop(guild_id, None)

    def dropped(self, key: str) -> None:
        """A conference no longer served: no choice names it (the state keeps none: see
        ConferenceStore.drop_source), so a conference added later under its key is not
        offered where this one was."""
        self._written += 1
        self.servers = {g: [k for k in keys if k != key] for g, keys in self.servers.items()}
        self.defaults = {g: k for g, k in self.defaults.items() if k != key}
        self.people = {user: k for user, k in self.people.items() if k != key}

    # -- read from the state ------------------------------------------------------------

    async def load(self) -> None:
        """Every choice, read again (at start, and at each periodic check)."""
        for _ in range(RETRIES):
            written = self._written
            rows = await self.state.conferences.server_conferences()
            people = await self.state.conferences.person_conferences()
            if written != self._written:
                continue  # a write here since: read again
            servers: dict[int, list[str]] = {}
            defaults: dict[int, str] = {}
            for row in rows:
                servers.setdefault(row.guild_id, []).append(row.conference)
                if row.is_default:
                    defaults[row.guild_id] = row.conference
            self.servers, self.defaults, self.people = servers, defaults, people
            self.loads += 1
            return

    async def reload_person(self, user_id: int) -> None:
        for _ in range(RETRIES):
            written = self._written
            key = await self.state.conferences.person_conference(user_id)
            if written != self._written:
                continue
            if key is None:
                self.people.pop(user_id, None)
            else:
                self.people[user_id] = key
            return

    async def reload_server(self, guild_id: int) -> None:
        for _ in range(RETRIES):
            written = self._written
            rows = await self.state.conferences.server_choices(guild_id)
            if written != self._written:
                continue
            if not rows:
                self.servers.pop(guild_id, None)
                self.defaults.pop(guild_id, None)
                return
            self.servers[guild_id] = [row.conference for row in rows]
            default = next((row.conference for row in rows if row.is_default), None)
            if default is None:
                self.defaults.pop(guild_id, None)
            else:
                self.defaults[guild_id] = default
            return

    # -- told by the other processes (bot.live.cluster) ---------------------------------

    def heard(self, notice: Notice) -> None:
        """A CHOICE notice: read that person's or that server's choice again."""
        if notice.kind is not NoticeKind.CHOICE or len(notice.detail) != 2:
            return
        whose, ident = notice.detail
        try:
            number = int(ident)
        except ValueError:
            return
        if whose == ChosenBy.PERSON:
            self._people_due.add(number)
        elif whose == ChosenBy.SERVER:
            self._servers_due.add(number)
        else:
            return
        self._woken.set()

    def check(self) -> None:
        """Read every choice again (the periodic check, or notices that may be lost)."""
        self._all_due = True
        self._woken.set()

    def start(self) -> None:
        self._loop.start()

    async def stop(self) -> None:
        await self._loop.stop()

    async def _run(self) -> None:
        await on_every_wake(self._woken, self.refresh)

    async def refresh(self) -> None:
        """Read again what is due; a failure is logged once per streak and tried again
        at the next notice or check (what was due stays due)."""
        everyone, people, servers = self._all_due, self._people_due, self._servers_due
        self._all_due, self._people_due, self._servers_due = False, set(), set()
        try:
            if everyone:
                await self.load()
            else:
                for user_id in people:
                    await self.reload_person(user_id)
                for guild_id in servers:
                    await self.reload_server(guild_id)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self._all_due = self._all_due or everyone
            self._people_due |= people
            self._servers_due |= servers
            if unreachable(exc):  # an outage: the state database logs it, once
                raise
            if not self._failing:
                log.warning("the choices other processes made could not be read (%s); trying"
                            " again at the next notice or check", exc)  # fmt: skip
            self._failing = True
            raise
        if self._failing:
            log.info("the choices other processes made are read again")
        self._failing = False
