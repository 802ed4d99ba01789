"""The reminders and announcements services without Discord: what the cogs and the
console call, with `now` given and the sentences a person sees."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.kinds import ReminderStatus
from bot.service import ProgramService, QueryError
from bot.service.announcements import AnnouncementsService
from bot.service.reminders import Reminded, RemindersService, TooLate, resolve
from bot.service.results import NoMatch
from bot.store.state import StateStore
from tests.conftest import pacific

USER, GUILD = 7, 5


async def test_remind_agenda_forget(tmp_path: Path, service: ProgramService):
    async with await StateStore.open(tmp_path / "state.db") as state:
        reminders = RemindersService(state.reminders, max_reminders=1)
        ref = resolve(service, "nomad tiering")
        assert ref == "p:xiang"
        now = pacific("2024-07-10T10:50")
        reminded = await reminders.remind("osdi24", USER, GUILD, service, ref, 10, now)
        assert isinstance(reminded, Reminded) and not reminded.right_away
        assert reminded.start - reminded.due == timedelta(minutes=10)
        (line,) = await reminders.agenda("osdi24", USER, service, now)
        assert line.title == reminded.title
        assert await reminders.active_in("osdi24", GUILD) == 1
        other = resolve(service, "sabre")
        assert isinstance(other, str)
        with pytest.raises(QueryError, match="You already have 1 active reminder, the most"):
            await reminders.remind(
                "osdi24", USER, GUILD, service, other, 10, pacific("2024-07-09T10:00")
            )
        assert await reminders.forget("osdi24", USER, service, ref) == reminded.title
        with pytest.raises(QueryError, match="You have no reminder for that"):
            await reminders.forget("osdi24", USER, service, ref)


async def test_too_late_and_no_match(tmp_path: Path, service: ProgramService):
    async with await StateStore.open(tmp_path / "state.db") as state:
        reminders = RemindersService(state.reminders, max_reminders=10)
        late = await reminders.remind("osdi24", USER, GUILD, service, "p:xiang", 10,
                                      pacific("2024-07-12T10:00"))  # fmt: skip
        assert isinstance(late, TooLate) and late.ended
        assert await state.reminders.find("osdi24", USER) == []
    assert isinstance(resolve(service, "zzzz qqqq"), NoMatch)


async def test_undelivered_reminders_are_told_once(tmp_path: Path, service: ProgramService):
    async with await StateStore.open(tmp_path / "state.db") as state:
        reminders = RemindersService(state.reminders, max_reminders=10)
        added = await state.reminders.add("osdi24", USER, GUILD, "p:xiang", 10, 0)
        await state.reminders.settle(added.id, added.arming, ReminderStatus.FAILED, "DMs closed")
        (undelivered,) = await reminders.undelivered("osdi24", USER, service)
        assert undelivered.title.startswith("NOMAD")
        await reminders.told([undelivered])
        assert await reminders.undelivered("osdi24", USER, service) == []


async def test_announcements_off_says_why(tmp_path: Path):
    async with await StateStore.open(tmp_path / "state.db") as state:
        announcements = AnnouncementsService(state.announcements)
        now = pacific("2024-07-10T10:50")
        assert not (await announcements.off(GUILD, now)).stopped
        await announcements.channel(GUILD, "osdi24", 9, 10, False, now)
        assert (await announcements.off(GUILD, now, "osdi24")).stopped
        (config,) = await state.announcements.find(GUILD)
        assert (config.enabled, config.disabled_reason) == (False, "turned off with /announce off")
