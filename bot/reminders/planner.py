"""What should be delivered, and when: a pure function of the program and the settings.

The scheduler syncs this plan into the ledger. Reminders are planned until they are
delivered; announcements cover every slot that had not started when they were switched
on. Planning does not look at the clock, so what falls due while the bot is down is
still in the ledger at the next start: sent late if its item is still on, else skipped.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.changes import RecordedChange
from bot.service import TALK_REF, ProgramService
from bot.store.announcements_store import Announcements, RoomChannel
from bot.store.ledger_store import DeliveryKind, Planned
from bot.store.qa_store import QAForum, QAThread
from bot.store.reminders_store import Reminder

SLOT_REF = "slot:"


def plan(
    service: ProgramService,
    announcements: Iterable[Announcements],
    room_channels: Iterable[RoomChannel] = (),
    qa_forums: Iterable[QAForum] = (),
    qa_threads: Iterable[QAThread] = (),
    changes: Iterable[RecordedChange] = (),
    followers: Iterable[Reminder] = (),
) -> list[Planned]:
    """`followers`: every reminder a person keeps (delivered ones too), who hear about
    changes to their items. (Reminders themselves: bot/delivery/kinds/reminder.py.)"""
    planned: list[Planned] = []
    slots = sorted({int(s.slot.start.timestamp()) for s in service.program.sessions})
    for config in announcements:
        if not config.enabled:
            continue
        for start in slots:
            if start > config.updated_ts:
                due = start - 60 * config.minutes_before
                ref = f"{SLOT_REF}{start}"
                planned.append(
                    Planned(DeliveryKind.SLOT, config.guild_id, ref, config.channel_id, due)
                )
        if config.per_talk:
            for talk in service.talks.values():
                start = int(talk.slot.start.timestamp())
                if start > config.updated_ts:
                    ref = TALK_REF + talk.key
                    planned.append(
                        Planned(DeliveryKind.TALK, config.guild_id, ref, config.channel_id, start)
                    )
    planned += _room_posts(service, room_channels)
    planned += _qa(service, qa_forums, qa_threads)
    planned += _notices(followers, announcements, changes)
    return planned


def _room_posts(service: ProgramService, channels: Iterable[RoomChannel]) -> list[Planned]:
    """Each talk, as it starts, in its room's channel (from when the channel was set)."""
    wanted = [c for c in channels if c.enabled]
    if not wanted:
        return []
    by_room: dict[str, list[RoomChannel]] = {}
    for channel in wanted:
        by_room.setdefault(channel.room, []).append(channel)
    planned = []
    for talk in service.talks.values():
        for channel in by_room.get(talk.slot.room or "", ()):
            start = int(talk.slot.start.timestamp())
            if start > channel.updated_ts:
                planned.append(Planned(DeliveryKind.ROOM, channel.guild_id, TALK_REF + talk.key,
                                       channel.channel_id, start))  # fmt: skip
    return planned


DAY = 86_400


def _qa(
    service: ProgramService, forums: Iterable[QAForum], threads: Iterable[QAThread]
) -> list[Planned]:
    """A Q&A thread for each talk a few minutes before it starts (never a second one for
    a talk that has one), and each open thread closed a day after its talk ends."""
    threads = list(threads)
    opened = {(t.guild_id, t.item_ref) for t in threads}
    planned = []
    for forum in forums:
        if not forum.enabled:
            continue
        for talk in service.talks.values():
            ref, start = TALK_REF + talk.key, int(talk.slot.start.timestamp())
            if start > forum.updated_ts and (forum.guild_id, ref) not in opened:
                due = start - 60 * forum.minutes_before
                planned.append(Planned(DeliveryKind.THREAD, forum.guild_id, ref, forum.forum_id,
                                       due))  # fmt: skip
    for thread in threads:
        item = service.remindable(thread.item_ref)
        if not thread.closed and item is not None:
            due = int(item.slot.end.timestamp()) + DAY
            planned.append(Planned(DeliveryKind.CLOSE, thread.guild_id, thread.item_ref,
                                   thread.thread_id, due))  # fmt: skip
    return planned


SYNC_REF = "sync:"


def _notices(
    reminders: Iterable[Reminder],
    announcements: Iterable[Announcements],
    changes: Iterable[RecordedChange],
) -> list[Planned]:
    """For each new version: one DM to each person with a reminder on something it
    changed (set before it came), and one post where announcements were on."""
    by_sync: dict[int, list[RecordedChange]] = {}
    for change in changes:
        by_sync.setdefault(change.sync_id, []).append(change)
    reminders = list(reminders)
    configs = [a for a in announcements if a.enabled]
    planned = []
    for sync_id, group in by_sync.items():
        applied, ref = group[0].applied_ts, f"{SYNC_REF}{sync_id}"
        touched = {c.item_ref for c in group} | {s for c in group for s in c.session_refs}
        people = {r.user_id for r in reminders if r.item_ref in touched and r.created_ts <= applied}
        planned += [Planned(DeliveryKind.NOTICE, user, ref, user, applied) for user in people]
        planned += [Planned(DeliveryKind.UPDATE, c.guild_id, ref, c.channel_id, applied)
                    for c in configs if c.updated_ts <= applied]  # fmt: skip
    return planned
