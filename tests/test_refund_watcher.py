"""The ticket desk while the bot runs: a conference with a pretix event takes
registrations and has its refunds watched (by one process of a cluster), the scheduler
woken when roles are to go; failures back off, and a 429's Retry-After is honoured."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

from bot.app import load_service
from bot.clock import FixedClock
from bot.delivery.pacer import Pacer
from bot.live.conference import Served, Serving
from bot.live.tickets import TicketDesk
from bot.service.ticket_results import Granted
from bot.settings import Settings
from bot.store.coordination import SoleCoordinator
from bot.store.state import StateStore
from tests.fakepretix import FakePretix, Fault
from tests.reminder_helpers import RecordingSender
from tests.ticket_rig import CONFERENCE, GUILD, MAPPINGS, NOW, event_of


def settings() -> Settings:
    return dataclasses.replace(Settings.from_mapping({}), pretix_interval=300)


async def test_a_refund_seen_by_the_watcher_wakes_the_scheduler(tmp_path: Path):
    async with FakePretix() as fake, await StateStore.open(tmp_path / "s.db") as state:
        seeded = fake.seed()
        desk = TicketDesk(state, settings(), FixedClock(NOW))
        marked = asyncio.Event()
        desk.serve(CONFERENCE, event_of(fake))
        desk.watch(CONFERENCE, marked.set)
        try:
            for choice, role in MAPPINGS:
                await desk.service.map_role(CONFERENCE, GUILD, choice, role, NOW)
            result = await desk.service.register(CONFERENCE, GUILD, 1, seeded.paid,
                                                 seeded.email, NOW)  # fmt: skip
            assert isinstance(result, Granted)
            fake.now = fake.now.replace(month=6)
            fake.cancel_order(seeded.paid, refund=True)
            watcher = desk.watchers[CONFERENCE]
            watcher.wake()
            await asyncio.wait_for(marked.wait(), 10)
            assert watcher.last is not None and len(watcher.last.marked) == 2
        finally:
            await desk.close()
        assert desk.watchers == {} and not desk.service.configured(CONFERENCE)


async def test_a_conference_is_watched_only_when_asked_and_until_unwatched(tmp_path: Path):
    async with FakePretix() as fake, await StateStore.open(tmp_path / "s.db") as state:
        desk = TicketDesk(state, settings(), FixedClock(NOW))
        desk.watch(CONFERENCE, lambda: None)  # not served: nothing to watch
        assert desk.watchers == {}
        desk.serve(CONFERENCE, event_of(fake))
        assert desk.service.configured(CONFERENCE) and desk.watchers == {}
        desk.watch(CONFERENCE, lambda: None)
        assert list(desk.watchers) == [CONFERENCE]
        await desk.unwatch(CONFERENCE)
        assert desk.watchers == {} and desk.service.configured(CONFERENCE)
        await desk.close()
        assert not desk.service.configured(CONFERENCE)


async def test_failures_back_off_and_a_429_is_waited_out(tmp_path: Path):
    async with FakePretix() as fake, await StateStore.open(tmp_path / "s.db") as state:
        seeded = fake.seed()
        desk = TicketDesk(state, settings(), FixedClock(NOW))
        desk.serve(CONFERENCE, event_of(fake))
        desk.watch(CONFERENCE, lambda: None)
        watcher = desk.watchers[CONFERENCE]
        await watcher.stop()  # driven by hand here
        for choice, role in MAPPINGS:
            await desk.service.map_role(CONFERENCE, GUILD, choice, role, NOW)
        await desk.service.register(CONFERENCE, GUILD, 1, seeded.paid, seeded.email, NOW)
        assert watcher.delay() == 300
        fake.fail(Fault.SERVER_ERROR, Fault.SERVER_ERROR)
        await watcher.run_once()
        assert watcher.delay() == 600
        await watcher.run_once()
        assert watcher.delay() == 1200
        report = await watcher.run_once()
        assert report.error is None and watcher.delay() == 300
        fake.retry_after = "3000"
        fake.fail(Fault.RATE_LIMITED)
        await watcher.run_once()
        assert watcher.delay() == 3000  # not sooner than pretix said (the backoff: 600)
        await desk.close()


class Toggled(SoleCoordinator):
    """Leads while `leading` says so: the other processes of a cluster, in one."""

    def __init__(self) -> None:
        self.leading = True

    async def try_lead(self, conference: str) -> bool:
        return self.leading


async def test_a_conference_whose_source_names_an_event_is_served_tickets(tmp_path: Path):
    """Registrations wherever it is served; its refunds watched only where it is led,
    handed over when the lead is lost or taken; none of it after it stops."""
    async with FakePretix() as fake, await StateStore.open(tmp_path / "s.db") as state:
        env = {"CONFBOT_DB": str(tmp_path / "p.db"), "CONFBOT_PRETIX_EVENT_URL": fake.url,
               "CONFBOT_PRETIX_TOKEN": fake.token}  # fmt: skip
        bot_settings = Settings.from_mapping(env)
        view = bot_settings.for_source(bot_settings.sources[0])
        loaded = await load_service(view)
        desk = TicketDesk(state, bot_settings, FixedClock(NOW))
        coordinator = Toggled()

        async def follow_up(served: Served, changes: object) -> None:
            return None

        serving = Serving(state, FixedClock(NOW), RecordingSender(), Pacer(), bot_settings,
                          follow_up, "test", coordinator=coordinator, tickets=desk)  # fmt: skip
        served = Served(loaded.service, view, serving, loaded.report)
        await served.open()
        await served.start()
        try:
            assert desk.service.configured(served.key) and served.key in desk.watchers
            coordinator.leading = False
            assert not await served.lead()
            assert desk.service.configured(served.key) and desk.watchers == {}
            coordinator.leading = True
            assert await served.lead()
            assert served.key in desk.watchers
        finally:
            await served.stop()
        assert not desk.service.configured(served.key) and desk.watchers == {}
