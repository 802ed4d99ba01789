"""Q&A threads: one opened in the server's forum for each talk a few minutes before it
starts (THREAD), and closed a day after the talk ends (CLOSE). Between the two, each pass
keeps the thread's first message in step with the program (`follow`).

Both kinds share the threads, and a forum gone or closed to us switches off Q&A in that
server for either.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import replace

from bot.delivery.kind import ChannelKind, Delivering, Planning, Send, Skip, describe
from bot.delivery.shared import still_on
from bot.i18n import N_
from bot.kinds import DeliveryKind
from bot.render import delivery_cards
from bot.service import TALK_REF
from bot.service import qa as qa_service
from bot.service.results import SessionTalk
from bot.store.ledger_store import Delivery, Planned, Wanted
from bot.store.qa_store import QAThread

log = logging.getLogger(__name__)

DAY = 86_400
# A thread_signature read back: the title and the room may both hold '|', the times are
# the two whole numbers between them (the last such pair, as titles hold '|' more often).
SIGNED = re.compile(r"(?P<title>.*)\|(?P<start>-?\d+)\|(?P<end>-?\d+)\|(?P<room>.*)", re.DOTALL)


def thread_signature(talk: SessionTalk) -> str:
    """What a thread's first message says that a program change can alter."""
    slot = talk.slot
    return (
        f"{talk.title}|{int(slot.start.timestamp())}|{int(slot.end.timestamp())}|{slot.room or ''}"
    )


async def threads(planning: Planning) -> list[QAThread]:
    """Every thread opened for the conference's talks, open or closed."""
    return await planning.state.qa.threads(planning.conference)


async def switch_off(delivery: Delivery, reason: str, ctx: Delivering) -> bool:
    """The forum is gone or closed to us: no more Q&A threads in this server."""
    if await ctx.state.qa.disable(delivery.owner, reason, ctx.now_ts):
        log.warning("Q&A threads disabled in guild %d: %s", delivery.owner, reason)
        return True
    return False


class ThreadKind(ChannelKind):
    kind = DeliveryKind.THREAD
    wanted = Wanted.QA_FORUM_ON

    async def plan(self, planning: Planning) -> Sequence[Planned]:
        """A thread for each talk the forum's filter admits, opened at most LEAD_MAX
        minutes before it (a lead set before the cap is held to it); never a second
        thread for a talk that has one."""
        opened = {(t.guild_id, t.item_ref) for t in await planning.read(threads)}
        planned = []
        for forum in await planning.state.qa.forums(planning.conference):
            if not forum.enabled:
                continue
            before = 60 * qa_service.lead(forum.minutes_before)
            wanted = qa_service.forum_filter(forum)
            for talk in qa_service.threaded(planning.service, wanted, forum.updated_ts):
                ref, start = TALK_REF + talk.key, int(talk.slot.start.timestamp())
                if (forum.guild_id, ref) not in opened:
                    planned.append(Planned(self.kind, forum.guild_id, ref, forum.forum_id,
                                           start - before))  # fmt: skip
        return planned

    async def message(self, delivery: Delivery, ctx: Delivering) -> Send:
        service = ctx.service
        talk = still_on(service, delivery.item_ref, ctx.now)
        w = await ctx.server_words(delivery.owner)  # the server's language
        card = delivery_cards.qa_card(talk, service.conference, w)
        tags = [t for t in (talk.talk.track, talk.slot.room, talk.session.title) if t]

        async def open_thread() -> None:
            thread_id, message_id = await ctx.sender.open_thread(
                delivery.target, delivery_cards.qa_thread_name(talk), card, tags
            )
            await ctx.state.qa.save_thread(QAThread(
                delivery.owner, service.conference.key, delivery.item_ref, delivery.target,
                thread_id, message_id, thread_signature(talk), closed=False,
            ))  # fmt: skip

        return open_thread

    async def gone(self, delivery: Delivery, reason: str, ctx: Delivering) -> bool:
        return await switch_off(delivery, reason, ctx)

    async def follow(self, ctx: Delivering) -> None:
        """A talk that moved or was renamed gets its thread's first message edited, and
        its thread renamed (retitled) or told where and when it is now (moved): people
        in the thread see no edit of a message far up. One removed from the program gets
        its thread closed with a note; put back before its thread was due to close, the
        thread is opened again with a note. Outside the ledger: an edit, a rename or a
        close done twice changes nothing; the note of a move is posted after the new
        signature is kept, so it is said at most once (as a delivery is)."""
        service = ctx.service
        for thread in await ctx.state.qa.threads(ctx.conference):
            if not ctx.shards.holds(thread.guild_id):
                continue  # another process's server: it follows the thread (see bot.cluster)
            talk = service.remindable(thread.item_ref)
            try:
                if thread.closed:
                    if isinstance(talk, SessionTalk) and _back(talk, ctx.now_ts):
                        await _reopen(thread, talk, ctx)
                elif not isinstance(talk, SessionTalk):
                    await ctx.sender.close_thread(
                        thread.thread_id, "This talk is no longer in the program."
                    )
                    await ctx.state.qa.save_thread(replace(thread, closed=True))
                elif (signature := thread_signature(talk)) != thread.signature:
                    await _follow_talk(thread, talk, signature, ctx)
            except Exception as exc:  # tried again on the next pass
                log.warning("could not update Q&A thread %d: %s", thread.thread_id,
                            describe(exc))  # fmt: skip


async def _follow_talk(
    thread: QAThread, talk: SessionTalk, signature: str, ctx: Delivering
) -> None:
    """One thread brought in step with its talk's new title, time or room."""
    conference = ctx.service.conference
    was = _signed(thread.signature)
    w = await ctx.server_words(thread.guild_id)  # the server's language
    card = delivery_cards.qa_card(talk, conference, w)
    await ctx.sender.edit_first_message(thread.thread_id, thread.message_id, card)
    if was is None or was[0] != talk.title:
        await ctx.sender.rename_thread(thread.thread_id, delivery_cards.qa_thread_name(talk))
    await ctx.state.qa.save_thread(replace(thread, signature=signature))
    slot = talk.slot
    if was is not None and was[1] != (int(slot.start.timestamp()), int(slot.end.timestamp()),
                                      slot.room):  # fmt: skip
        try:
            await ctx.sender.post(
                thread.thread_id, (), delivery_cards.thread_moved_text(talk, was[1], conference, w)
            )
        except Exception as exc:  # said at most once: the new signature is kept already
            log.warning("could not tell Q&A thread %d its talk moved: %s", thread.thread_id,
                        describe(exc))  # fmt: skip


def _back(talk: SessionTalk, now_ts: int) -> bool:
    """A closed thread's talk is in the program and its thread is not yet due to close
    (CLOSE closes it a day after the talk): it was closed as taken out, and is back."""
    return now_ts < int(talk.slot.end.timestamp()) + DAY


async def _reopen(thread: QAThread, talk: SessionTalk, ctx: Delivering) -> None:
    """A talk taken out of the program and put back: its thread opened again, brought in
    step, and told so (kept open before the note: said at most once)."""
    conference = ctx.service.conference
    await ctx.sender.reopen_thread(thread.thread_id)
    w = await ctx.server_words(thread.guild_id)  # the server's language
    await ctx.sender.edit_first_message(
        thread.thread_id, thread.message_id, delivery_cards.qa_card(talk, conference, w)
    )
    if (was := _signed(thread.signature)) is None or was[0] != talk.title:
        await ctx.sender.rename_thread(thread.thread_id, delivery_cards.qa_thread_name(talk))
    await ctx.state.qa.save_thread(replace(thread, signature=thread_signature(talk), closed=False))
    await ctx.sender.post(
        thread.thread_id, (), delivery_cards.thread_back_text(talk, conference, w)
    )


def _signed(signature: str) -> tuple[str, tuple[int, int, str | None]] | None:
    """The title and place a thread_signature holds (None for one that does not read)."""
    read = SIGNED.fullmatch(signature)
    if read is None:
        return None
    return read["title"], (int(read["start"]), int(read["end"]), read["room"] or None)


class CloseKind(ChannelKind):
    kind = DeliveryKind.CLOSE
    wanted = Wanted.THREAD_OPEN

    async def plan(self, planning: Planning) -> Sequence[Planned]:
        planned = []
        for thread in await planning.read(threads):
            item = planning.service.remindable(thread.item_ref)
            if not thread.closed and item is not None:
                due = int(item.slot.end.timestamp()) + DAY
                planned.append(Planned(self.kind, thread.guild_id, thread.item_ref,
                                       thread.thread_id, due))  # fmt: skip
        return planned

    async def message(self, delivery: Delivery, ctx: Delivering) -> Send:
        thread = await ctx.state.qa.thread(delivery.target)
        if thread is None or thread.closed:
            raise Skip(N_("the thread is already closed"))

        async def close() -> None:
            await ctx.sender.close_thread(thread.thread_id)
            await ctx.state.qa.save_thread(replace(thread, closed=True))

        return close

    async def gone(self, delivery: Delivery, reason: str, ctx: Delivering) -> bool:
        return await switch_off(delivery, reason, ctx)


THREAD = ThreadKind()
CLOSE = CloseKind()
