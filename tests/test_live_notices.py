"""Telling people what a new version changed: one DM per person per version, one post per
server with announcements on, through the delivery ledger."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.changes import RecordedChange
from bot.clock import FixedClock
from bot.render import delivery_cards
from bot.service import TALK_REF, ProgramService
from tests.conftest import pacific
from tests.reminder_helpers import make_rig

USER, OTHER, GUILD, CHANNEL = 1001, 1002, 77, 88
NOMAD_MOVED = RecordedChange(
    0, 0, "p:xiang", ("s:memory-management",), "NOMAD: Non-Exclusive Memory Tiering",
    ("moved",),
    (int(pacific("2024-07-10T11:05").timestamp()), int(pacific("2024-07-10T11:25").timestamp()),
     "Grand Ballroom ABGH"),
    (int(pacific("2024-07-10T11:40").timestamp()), int(pacific("2024-07-10T12:00").timestamp()),
     "Hall B"),
)  # fmt: skip


@pytest.fixture
async def rig(service: ProgramService, tmp_path: Path):
    rig = await make_rig(service, tmp_path / "state.db", FixedClock(pacific("2024-07-10T10:50")))
    yield rig
    await rig.state.close()


async def sync(rig, *changes: RecordedChange) -> None:
    """A new version served with these changes (its files do not matter here)."""
    now_ts = int(rig.clock.now().timestamp())
    key = rig.service.conference.key
    await rig.state.versions.serve(key, f"version at {now_ts}", None, now_ts, b"", changes)


async def test_a_person_following_a_changed_talk_gets_one_dm(rig):
    await rig.remind(USER, "p:xiang", minutes=5)
    await rig.remind(OTHER, "p:lazarev", minutes=5)  # Sabre did not change
    await sync(rig, NOMAD_MOVED)
    await rig.at(pacific("2024-07-10T10:50:01"))
    await rig.at(pacific("2024-07-10T10:50:02"))
    notices = [(u, c) for u, c in rig.sender.dms if c.title.startswith("📢")]
    ((user, card),) = notices
    assert user == USER and card.title == "📢 Program update: your items changed"
    assert "**NOMAD: Non-Exclusive Memory Tiering** — moved:" in card.description
    assert "Hall B" in card.description


async def test_following_the_session_counts_too(rig):
    await rig.remind(USER, "s:memory-management", minutes=5)
    await sync(rig, NOMAD_MOVED)
    await rig.at(pacific("2024-07-10T10:50:01"))
    assert [u for u, c in rig.sender.dms if c.title.startswith("📢")] == [USER]


async def test_a_reminder_set_after_the_change_is_not_told_about_it(rig):
    await sync(rig, NOMAD_MOVED)
    rig.clock.at = pacific("2024-07-10T10:51")
    await rig.remind(USER, "p:xiang", minutes=5)
    await rig.at(pacific("2024-07-10T10:52"))
    assert not any(c.title.startswith("📢") for _, c in rig.sender.dms)


async def test_a_server_with_announcements_gets_one_update_post(rig):
    key = rig.service.conference.key
    await rig.state.announcements.save(GUILD, key, CHANNEL, 10, False, 0)
    await sync(rig, NOMAD_MOVED)
    await rig.at(pacific("2024-07-10T10:50:01"))
    await rig.at(pacific("2024-07-10T10:50:02"))
    updates = [
        cards_
        for _, cards_, _ in rig.sender.posts
        if cards_ and "Program update" in cards_[0].title
    ]
    assert len(updates) == 1 and "Hall B" in updates[0][0].description


def test_cancelled_and_added_talks_read_plainly(service: ProgramService):
    cancelled = RecordedChange(0, 0, "p:x", (), "Old talk", ("cancelled",), (0, 60, None), None)
    added = RecordedChange(0, 0, "p:y", (), "New <@1> talk", ("added",), None,
                           (0, 60, "Room 1"))  # fmt: skip
    (card,) = delivery_cards.changes_cards([cancelled, added], service.conference, "t")
    assert "**Old talk** — cancelled" in card.description
    assert "**New \\<@1> talk** — added:" in card.description  # escaped: no ping


async def test_a_notice_of_more_changes_than_a_page_holds_says_how_many_more(rig):
    # A notice is one DM: it showed the first page of a person's changes and dropped
    # the rest without a word.
    talks = [TALK_REF + key for key in list(rig.service.talks)[:40]]
    for ref in talks:
        await rig.remind(USER, ref, minutes=5)
    moved = [
        RecordedChange(0, 0, ref, (), f"Talk {n} with a title as long as some are " * 3,
                       ("moved",), NOMAD_MOVED.old, NOMAD_MOVED.new)
        for n, ref in enumerate(talks)
    ]  # fmt: skip
    await sync(rig, *moved)
    await rig.at(pacific("2024-07-10T10:50:01"))
    ((_, card),) = [(u, c) for u, c in rig.sender.dms if c.title.startswith("📢")]
    shown = card.description.count("\n• ") + card.description.startswith("• ")
    more = re.search(r"…and (\d+) more: `/changes` lists every change\.", card.description)
    assert more is not None and shown + int(more[1]) == len(talks)
    assert card.size() <= 6000
