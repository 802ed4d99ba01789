"""/program reload, its Apply, /program apply and /program discard in a server whose process
does not lead the conference, through discord.py and the fake Discord: two bots on one
PostgreSQL state (tests/e2e/test_cross_process_e2e.py), bot a leading OSDI '24 and holding
the first server, bot b the second. The decision is taken by the leader, and said in one
sentence, never "the program changed since this preview" when it did not; with no process
leading (a leader gone, another not yet taken over), one sentence says so.

Time is a clock the tests hold still; the processes' notices take real time, waited on
with a bound, never a fixed sleep."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg

from bot.adapters.discord.program_cog import STALE
from bot.clock import FixedClock
from bot.live.decisions import Waits
from bot.store.coordination import lock_key
from tests.e2e.conftest import running_bot, wait_for
from tests.e2e.test_conferences_e2e import organiser, said
from tests.e2e.test_cross_process_e2e import NOW, PROMPTLY, paper, two_bots
from tests.fakediscord.server import FakeDiscord, Interaction
from tests.program_edits import move_talk
from tests.state_backends import StateBackend


async def test_program_reload_in_a_server_whose_process_does_not_lead_applies_through_the_leader(
    fake: FakeDiscord, tmp_path: Path, postgres_backend: StateBackend, program_copy: Path
):
    async with two_bots(fake, tmp_path, postgres_backend, FixedClock(NOW),
                        CONFBOT_PROGRAM=str(program_copy)) as (a, b):  # fmt: skip
        assert a.first.leads and not b.first.leads
        move_talk(program_copy, "Sabre", "2024-07-10T11:40", "2024-07-10T12:00")
        first, second = [await organiser(fake, "program reload", second=True)  # on b
                         for _ in range(2)]  # fmt: skip
        assert first.shard == (1, 2)
        preview = first.followups[0]
        assert preview["content"].startswith("A new version changes 1 talk:")
        assert a.holder.swaps == b.holder.swaps == 0  # nothing changes until Apply
        pressed = await press_apply(fake, preview)
        assert pressed.callback["type"] == 6  # deferred: the leader is asked
        assert pressed.edits[-1]["content"] == "✅ Applied: 1 talk changed."
        assert pressed.edits[-1]["components"] == []
        # Applied and kept by a (the leader), once; b serves it already.
        assert a.follower.seen == b.follower.seen and b.holder.swaps == 1
        assert a.state is not None
        assert len(await a.state.versions.changes("osdi24")) == 1
        for in_second in (False, True):
            answer = await paper(fake, "sabre", second=in_second)
            assert "11:40" in answer.embeds[0]["description"]
        # The other preview's Apply: the program changed since (the leader says so).
        late = await press_apply(fake, second.followups[0])
        assert late.edits[-1]["content"] == STALE
        assert len(await a.state.versions.changes("osdi24")) == 1


async def press_apply(fake: FakeDiscord, preview: dict[str, Any]) -> Interaction:
    """The organiser presses Apply under a preview in the second server; its answer."""
    apply_id, _ = [c["custom_id"] for c in preview["components"][0]["components"]]
    pressed = await fake.click_message(preview["_message"], apply_id, user=fake.owner,
                                       second=True)  # fmt: skip
    await fake.answer(pressed)
    await wait_for(lambda: pressed.edits, PROMPTLY, what="the answer to Apply")
    return pressed


async def test_program_apply_and_discard_in_a_server_whose_process_does_not_lead(
    fake: FakeDiscord, tmp_path: Path, postgres_backend: StateBackend, program_copy: Path
):
    async with two_bots(fake, tmp_path, postgres_backend, FixedClock(NOW),
                        CONFBOT_PROGRAM=str(program_copy)) as (a, b):  # fmt: skip
        none = await organiser(fake, "program apply", second=True)
        assert said(none) == "No version is held."
        move_talk(program_copy, "Sabre", "2024-07-10T11:40", "2024-07-10T12:00")
        candidate = await a.follower.candidate()
        assert candidate is not None
        a.follower.held = candidate  # held on a, the leader (as a sync holds one)
        applied = await organiser(fake, "program apply", second=True)  # on b
        assert said(applied) == "✅ Applied: 1 talk changed."
        assert b.follower.seen == a.follower.seen == candidate.seen
        move_talk(program_copy, "NOMAD", "2024-07-10T11:40", "2024-07-10T12:00")
        a.follower.held = await a.follower.candidate()
        dropped = await organiser(fake, "program discard", second=True)
        assert said(dropped) == "Dropped; the current program stays."
        assert a.follower.held is None and a.follower.seen == candidate.seen


async def test_an_apply_while_no_process_leads_the_conference_says_so_in_one_sentence(
    fake: FakeDiscord, tmp_path: Path, postgres_backend: StateBackend, program_copy: Path
):
    """The process that led the conference died, and PostgreSQL has not yet noticed its
    session is gone: its lock is still held, by no process that answers."""
    assert postgres_backend.url is not None
    async with await psycopg.AsyncConnection.connect(postgres_backend.url,
                                                     autocommit=True) as ghost:  # fmt: skip
        cursor = await ghost.execute("SELECT current_database(), current_schema()")
        row = await cursor.fetchone()
        assert row is not None
        key = lock_key(f"{row[0]}/{row[1]}", "osdi24")
        await ghost.execute("SELECT pg_advisory_lock(%s)", (key,))
        async with running_bot(fake, tmp_path, FixedClock(NOW),
                               CONFBOT_STATE_URL=postgres_backend.url,
                               CONFBOT_PROGRAM=str(program_copy)) as bot:  # fmt: skip
            assert not bot.first.leads
            bot.first.decisions.waits = Waits(receipt=0.3, answer=PROMPTLY)
            move_talk(program_copy, "Sabre", "2024-07-10T11:40", "2024-07-10T12:00")
            reload = await organiser(fake, "program reload")
            preview = reload.followups[0]
            apply_id, _ = [c["custom_id"] for c in preview["components"][0]["components"]]
            pressed = await fake.click_message(preview["_message"], apply_id, user=fake.owner)
            await fake.answer(pressed)
            await wait_for(lambda: pressed.edits, PROMPTLY, what="the answer to Apply")
            text = pressed.edits[-1]["content"]
            assert text.startswith("No process follows the source of **OSDI '24** right now")
            assert "Nothing changed" in text and text != STALE
            assert bot.holder.swaps == 0
            assert bot.state is not None
            assert await bot.state.versions.changes("osdi24") == []
