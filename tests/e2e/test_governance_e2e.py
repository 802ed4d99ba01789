"""No server decides for the others, through discord.py and the fake Discord: a preview's
Apply pressed after the program moved on changes nothing, and a new version of a program
every server gets is decided by whoever owns that program (the operator for theirs, the
server that added a source for that source), never by any organiser anywhere."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from aiohttp import web

from tests.e2e.conftest import running_bot, wait_for
from tests.fakediscord import payloads
from tests.fakediscord.server import DEFAULT_PERMISSIONS, MANAGE_GUILD, FakeDiscord, Interaction
from tests.local_servers import serving
from tests.program_edits import edit, keep_one_event, retitle

FRAB = Path(__file__).parents[1] / "fixtures" / "programs" / "frab-v1.json"
ORGANISER = DEFAULT_PERMISSIONS | MANAGE_GUILD


def frab_copy(tmp_path: Path) -> Path:
    path = tmp_path / "schedule.json"
    shutil.copy(FRAB, path)
    return path


async def run(fake: FakeDiscord, name: str, user: dict[str, Any], **options: Any) -> Interaction:
    """A command as an organiser (Manage Server) runs it, answered in full."""
    options.setdefault("permissions", ORGANISER)
    interaction = await fake.send_command(name, user=user, **options)
    await fake.answer(interaction, timeout=30)
    if interaction.callback["type"] == 5:  # deferred: the answer is the followup
        await wait_for(lambda: interaction.followups, timeout=30, what="the followup")
    return interaction


def said(interaction: Interaction) -> str:
    if interaction.followups:
        return str(interaction.followups[-1].get("content"))
    return str(interaction.data.get("content"))


def apply_button(preview: Interaction) -> tuple[dict[str, Any], str]:
    message = preview.followups[-1]
    assert "components" in message, message
    apply_id, _ = [c["custom_id"] for c in message["components"][0]["components"]]
    return message["_message"], apply_id


# -- a preview's Apply, pressed late ------------------------------------------------------


async def test_apply_after_a_sync_applied_that_version_changes_nothing(
    fake: FakeDiscord, tmp_path: Path
):
    path = frab_copy(tmp_path)
    async with running_bot(fake, tmp_path, CONFBOT_PROGRAM=str(path)) as bot:
        edit(path, retitle("Renamed by the organisers"))
        preview = await run(fake, "program reload", fake.owner)
        assert said(preview).startswith("A new version changes 1 talk")
        assert await bot.follower.check() is not None  # the periodic sync got there first
        assert bot.holder.swaps == 1
        message, apply_id = apply_button(preview)
        pressed = await fake.answer(await fake.click_message(message, apply_id, user=fake.owner))
        content = pressed.callback["data"]["content"]
        assert content == "The program changed since this preview; run /program reload again."
        assert bot.holder.swaps == 1
        state = bot.state
        assert state is not None
        assert len(await state.versions.changes(bot.service.conference.key)) == 1  # told once


async def test_apply_after_a_newer_version_was_applied_does_not_revert_it(
    fake: FakeDiscord, tmp_path: Path
):
    path = frab_copy(tmp_path)
    async with running_bot(fake, tmp_path, CONFBOT_PROGRAM=str(path)) as bot:
        edit(path, retitle("First edit"))
        preview = await run(fake, "program reload", fake.owner)
        edit(path, retitle("Second edit"))
        assert await bot.follower.check() is not None
        message, apply_id = apply_button(preview)
        pressed = await fake.answer(await fake.click_message(message, apply_id, user=fake.owner))
        assert "changed since this preview" in pressed.callback["data"]["content"]
        paper = await fake.answer(await fake.send_command("paper", title="Second edit"))
        assert paper.embeds[0]["title"] == "Second edit"
        assert bot.holder.swaps == 1


# -- who decides on the operator's programs -------------------------------------------------


def another_organiser(name: str = "other-organiser") -> dict[str, Any]:
    return payloads.user(payloads.snowflake(), name)


async def test_another_servers_organiser_cannot_apply_or_discard_the_operators_program(
    fake: FakeDiscord, tmp_path: Path
):
    path = frab_copy(tmp_path)
    async with running_bot(fake, tmp_path, CONFBOT_PROGRAM=str(path)) as bot:
        edit(path, keep_one_event)
        assert await bot.follower.check() is None and bot.follower.held is not None
        stranger = another_organiser()
        for command in ("program apply", "program discard"):
            refused = await run(fake, command, stranger, second=True)
            assert refused.ephemeral
            assert "decided by the bot's operator" in said(refused), said(refused)
        assert bot.follower.held is not None and bot.holder.swaps == 0
        preview = await run(fake, "program reload", stranger, second=True)
        assert "removes" in said(preview) and "decided by the bot's operator" in said(preview)
        assert not preview.followups[-1].get("components")  # a preview, with nothing to press
        applied = await run(fake, "program apply", fake.owner, second=True)  # the operator
        assert said(applied).startswith("✅ Applied")
        assert bot.holder.swaps == 1


async def test_organisers_of_the_operators_servers_decide(fake: FakeDiscord, tmp_path: Path):
    path = frab_copy(tmp_path)
    async with running_bot(fake, tmp_path, CONFBOT_PROGRAM=str(path),
                           CONFBOT_OPERATOR_SERVERS=str(fake.second_guild_id)) as bot:  # fmt: skip
        edit(path, keep_one_event)
        await bot.follower.check()
        stranger = another_organiser()
        refused = await run(fake, "program discard", stranger)  # not a server named
        assert "decided by the bot's operator" in said(refused)
        attendee = await run(fake, "program discard", stranger, second=True,
                             permissions=DEFAULT_PERMISSIONS)  # fmt: skip
        assert "permission" in said(attendee)
        dropped = await run(fake, "program discard", stranger, second=True)
        assert said(dropped) == "Dropped; the current program stays."
        assert bot.follower.held is None


async def test_the_applications_team_decides_but_not_its_read_only_members(
    fake: FakeDiscord, tmp_path: Path
):
    developer, viewer = another_organiser("developer"), another_organiser("viewer")
    fake.team = [(fake.owner, "admin"), (developer, "developer"), (viewer, "read_only")]
    path = frab_copy(tmp_path)
    async with running_bot(fake, tmp_path, CONFBOT_PROGRAM=str(path)) as bot:
        edit(path, keep_one_event)
        await bot.follower.check()
        refused = await run(fake, "program apply", viewer, second=True)
        assert "decided by the bot's operator" in said(refused)
        applied = await run(fake, "program apply", developer, second=True)
        assert said(applied).startswith("✅ Applied") and bot.holder.swaps == 1


async def test_the_apply_button_checks_again_who_decides(fake: FakeDiscord, tmp_path: Path):
    path = frab_copy(tmp_path)
    async with running_bot(fake, tmp_path, CONFBOT_PROGRAM=str(path),
                           CONFBOT_OPERATOR_SERVERS=str(fake.guild_id)) as bot:  # fmt: skip
        organiser = another_organiser()
        edit(path, retitle("Renamed"))
        preview = await run(fake, "program reload", organiser)
        message, apply_id = apply_button(preview)
        # They lost Manage Server since: the button is theirs, the decision no longer.
        pressed = await fake.answer(await fake.click_message(message, apply_id, user=organiser))
        assert pressed.ephemeral and "decided by the bot's operator" in said(pressed)
        assert bot.holder.swaps == 0
        applied = await fake.answer(await fake.click_message(
            message, apply_id, user=organiser, permissions=ORGANISER))  # fmt: skip
        assert applied.callback["data"]["content"].startswith("✅ Applied: 1 talk changed")


# -- who decides on a source a server added -------------------------------------------------


async def test_only_the_server_that_added_a_source_decides_on_it(fake: FakeDiscord, tmp_path: Path):
    body = {"now": FRAB.read_bytes()}

    async def schedule(request: web.Request) -> web.Response:
        return web.Response(body=body["now"], content_type="application/json")

    app = web.Application()
    app.router.add_get("/schedule.json", schedule)
    async with (
        serving(app) as base,
        running_bot(fake, tmp_path, CONFBOT_ALLOW_PRIVATE_SOURCES="yes") as bot,
    ):
        url = f"{base}/schedule.json"
        ours, theirs = another_organiser("ours"), another_organiser("theirs")
        assert "now offers" in said(await run(fake, "conference add", ours, source=url))
        shared = await run(fake, "conference add", theirs, source=url, second=True)
        assert "now offers" in said(shared)  # the same address: the same conference
        served = bot.conferences.get("fixcon")
        assert served is not None
        data = json.loads(body["now"])
        keep_one_event(data["schedule"]["conference"])
        body["now"] = json.dumps(data).encode()
        assert await served.follower.check() is None and served.follower.held is not None
        refused = await run(fake, "program apply", theirs, second=True, conference="fixcon")
        assert "decided by the organisers of the server that added it" in said(refused)
        assert served.follower.held is not None
        dropped = await run(fake, "program discard", ours, conference="fixcon")
        assert said(dropped) == "Dropped; the current program stays."
