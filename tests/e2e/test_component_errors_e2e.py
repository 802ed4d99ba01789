"""Buttons take the one error path of commands: whatever kind of component a person
presses (a view's button, a dynamic item that works after restarts), an unexpected error
is logged and answered with the apology, privately, and an expected one with its one
sentence; never Discord's bare "This interaction failed"."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, NoReturn

import discord
import pytest

from bot.adapters.discord import calendar, program_cog, qa_widgets, views
from bot.adapters.discord.client import ConfBot
from bot.adapters.discord.tree import APOLOGY
from bot.store.connection import WriteFailed, WriteFailure
from tests.e2e.conftest import running_bot, wait_for
from tests.e2e.test_commands_e2e import custom_ids
from tests.e2e.test_governance_e2e import apply_button, frab_copy, run
from tests.e2e.test_state_faults_e2e import DISK_FULL
from tests.fakediscord.server import FakeDiscord, Interaction
from tests.program_edits import edit, retitle

Failing = Callable[..., NoReturn]


def _raising(error: Exception) -> Failing:
    def fail(*args: Any, **kwargs: Any) -> NoReturn:
        raise error

    return fail


async def _press_paginator(
    fake: FakeDiscord, bot: ConfBot, fail: Failing, monkeypatch: pytest.MonkeyPatch
) -> Interaction:
    day = await fake.answer(await fake.send_command("schedule", day="2024-07-12"))
    monkeypatch.setattr(views.Paginator, "_show", fail)
    _previous, _counter, next_id = custom_ids(day.message)
    return await fake.click(day, next_id)


async def _press_calendar(
    fake: FakeDiscord, bot: ConfBot, fail: Failing, monkeypatch: pytest.MonkeyPatch
) -> Interaction:
    talk = await fake.answer(await fake.send_command("paper", title="llumnix"))
    monkeypatch.setattr(calendar, "item_calendar", fail)
    return await fake.click(talk, "ics:p:sun-biao")


async def _press_ask(
    fake: FakeDiscord, bot: ConfBot, fail: Failing, monkeypatch: pytest.MonkeyPatch
) -> Interaction:
    channel = bot.get_channel(fake.channel_id)
    assert isinstance(channel, discord.TextChannel)
    view = discord.ui.View(timeout=None)
    view.add_item(qa_widgets.AskButton())
    await channel.send("Questions for the talk", view=view)
    message = fake.channel_messages[fake.channel_id][-1]
    monkeypatch.setattr(qa_widgets, "QuestionModal", fail)
    return await fake.click_message(message, qa_widgets.ASK_ID)


async def _press_apply(
    fake: FakeDiscord, bot: ConfBot, fail: Failing, monkeypatch: pytest.MonkeyPatch
) -> Interaction:
    edit(bot.settings.program, retitle("Renamed by the organisers"))
    preview = await run(fake, "program reload", fake.owner)
    message, apply_id = apply_button(preview)
    monkeypatch.setattr(program_cog, "may_decide", fail)
    return await fake.click_message(message, apply_id, user=fake.owner)


Press = Callable[[FakeDiscord, ConfBot, Failing, pytest.MonkeyPatch], Awaitable[Interaction]]
COMPONENTS: dict[str, Press] = {
    "paginator": _press_paginator,
    "calendar button": _press_calendar,
    "ask button": _press_ask,
    "apply button": _press_apply,
}


def _env(component: str, tmp_path: Path) -> dict[str, str]:
    """Apply needs a program file to edit; the others the bundled program's talks."""
    return {"CONFBOT_PROGRAM": str(frab_copy(tmp_path))} if component == "apply button" else {}


def _full_disk() -> WriteFailed:
    return WriteFailed(Path("state.db"), WriteFailure.DISK_FULL, "database or disk is full")


@pytest.mark.parametrize("component", COMPONENTS)
async def test_an_unexpected_error_in_a_button_is_logged_and_apologised_for_privately(
    fake: FakeDiscord, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture, component: str,
):  # fmt: skip
    bug = RuntimeError("a bug behind a button")
    async with running_bot(fake, tmp_path, **_env(component, tmp_path)) as bot:
        with caplog.at_level(logging.ERROR):
            pressed = await fake.answer(
                await COMPONENTS[component](fake, bot, _raising(bug), monkeypatch)
            )
            await wait_for(lambda: _logged(caplog, bug), what="the error in the log")
    assert (pressed.ephemeral, _said(pressed)) == (True, APOLOGY)


@pytest.mark.parametrize("component", COMPONENTS)
async def test_an_expected_error_in_a_button_is_said_in_its_one_sentence(
    fake: FakeDiscord, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, component: str
):
    async with running_bot(fake, tmp_path, **_env(component, tmp_path)) as bot:
        pressed = await fake.answer(
            await COMPONENTS[component](fake, bot, _raising(_full_disk()), monkeypatch)
        )
    assert (pressed.ephemeral, _said(pressed)) == (True, DISK_FULL)


def _logged(caplog: pytest.LogCaptureFixture, error: Exception) -> bool:
    return any(r.levelno == logging.ERROR and r.exc_info and r.exc_info[1] is error
               for r in caplog.records)  # fmt: skip


def _said(pressed: Interaction) -> str:
    if pressed.followups:
        return str(pressed.followups[-1].get("content"))
    return str(pressed.data.get("content"))
