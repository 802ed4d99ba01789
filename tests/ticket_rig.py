"""A ticket service over a real state database and the fake pretix, with roles mapped the
way a conference would: what the service, refund and privacy tests share."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bot.secret import Secret
from bot.service.attempts import AttemptLimiter, Limits
from bot.service.ticket_results import Granted, ItemChoice, RegisterResult
from bot.service.tickets import TicketHasher, TicketService
from bot.settings import PretixEvent
from bot.store.state import StateStore
from bot.tickets.client import PretixClient
from tests.fakepretix import FakePretix, Seeded
from tests.state_backends import StateBackend

CONFERENCE = "osdi24"  # the bundled program's key: the scheduler tests serve it
GUILD = 900
OTHER_GUILD = 901
NOW = datetime(2025, 3, 2, 10, 0, tzinfo=UTC)
# Products of the fake's event -> roles.
ATTENDEE, STUDENT, SPEAKER, ONLINE, WORKSHOP = 100, 101, 200, 300, 400
MAPPINGS = [
    (ItemChoice(1, None, "Conference ticket"), ATTENDEE),
    (ItemChoice(1, 12, "Conference ticket – Student"), STUDENT),
    (ItemChoice(2, None, "Speaker"), SPEAKER),
    (ItemChoice(3, None, "Online"), ONLINE),
    (ItemChoice(4, None, "Workshop add-on"), WORKSHOP),
]


@dataclass
class Rig:
    fake: FakePretix
    seeded: Seeded
    state: StateStore
    client: PretixClient
    service: TicketService

    async def register(
        self, member: int, code: str, email: str = "", guild: int = GUILD,
        held: Collection[int] = (), now: datetime = NOW,
    ) -> RegisterResult:  # fmt: skip
        """/register as the Discord adapter runs it: the service's lookup and claim, then
        the roles Discord gave kept with the registrations (those the member did not
        hold: `held`, given by hand)."""
        return await register_as_discord(self.service, member, code, email, guild, held, now)

    async def map_all(self, guild: int = GUILD) -> None:
        for choice, role in MAPPINGS:
            await self.service.map_role(CONFERENCE, guild, choice, role, NOW)


async def register_as_discord(
    service: TicketService, member: int, code: str, email: str = "", guild: int = GUILD,
    held: Collection[int] = (), now: datetime = NOW, conference: str = CONFERENCE,
) -> RegisterResult:  # fmt: skip
    """See Rig.register."""
    result = await service.register(conference, guild, member, code, email, now)
    if isinstance(result, Granted):
        await service.gave(result, member, [r for r in result.roles if r not in held])
    return result


def event_of(fake: FakePretix) -> PretixEvent:
    return PretixEvent(fake.url, fake.organizer, fake.event, Secret(fake.token))


def service_over(
    state: StateStore, client: PretixClient, limits: Limits | None = None
) -> TicketService:
    limiter = AttemptLimiter(limits or Limits(1000, 600, 1000, 60))
    return TicketService(state.tickets, {CONFERENCE: client}, TicketHasher(state.tickets), limiter)


@contextlib.asynccontextmanager
async def ticket_rig(
    path: Path | StateBackend, limits: Limits | None = None, fake: FakePretix | None = None
) -> AsyncIterator[Rig]:
    """`path`: a folder for a SQLite state, or a state backend (tests/state_backends.py).
    `limits`: the attempt limits (default: so high no test meets them by accident;
    `Limits(member_attempts=5)` and such keep the others as the bot has them)."""
    async with contextlib.AsyncExitStack() as stack:
        fake = fake or await stack.enter_async_context(FakePretix())
        seeded = fake.seed()
        state = await (
            StateStore.open(path / "state.db") if isinstance(path, Path) else path.open()
        )
        stack.push_async_callback(state.close)
        client = PretixClient(event_of(fake), timeout=2)
        rig = Rig(fake, seeded, state, client, service_over(state, client, limits))
        await rig.map_all()
        yield rig
