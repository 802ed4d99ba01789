"""Conference day through discord.py: a room's own channel and its live stream."""

from __future__ import annotations

from pathlib import Path

from bot.adapters.discord.client import ConfBot
from tests.e2e.conftest import running_bot, wait_for
from tests.fakediscord.server import DEFAULT_PERMISSIONS, MANAGE_GUILD, FakeDiscord

BALLROOM = "Grand Ballroom ABGH"
STREAM = "https://example.org/live/ballroom"
ORGANISER = DEFAULT_PERMISSIONS | MANAGE_GUILD


async def organise(fake: FakeDiscord, command: str, **options: object) -> str:
    answer = await fake.answer(
        await fake.send_command(command, user=fake.owner, permissions=ORGANISER, **options)
    )
    assert answer.ephemeral
    content: str = answer.data["content"]
    return content


async def test_a_stream_set_for_a_room_shows_on_the_talk_on_stage(fake: FakeDiscord, bot: ConfBot):
    rooms = await fake.answer(
        await fake.send_autocomplete("stream set", "room", "ballr", user=fake.owner, url=STREAM)
    )
    assert [c["value"] for c in rooms.choices] == [BALLROOM]
    said = await organise(fake, "stream set", room="grand ballroom abgh", url=STREAM)
    assert "Watch live" in said and STREAM in said
    now = await fake.answer(await fake.send_command("now"))
    (field,) = now.embeds[0]["fields"]  # Sabre, 10:45-11:05 in the ballroom
    assert f"📺 [Watch live]({STREAM})" in field["value"]
    cleared = await organise(fake, "stream clear", room=BALLROOM)
    assert "Removed" in cleared
    again = await fake.answer(await fake.send_command("now"))
    assert "Watch live" not in again.embeds[0]["fields"][0]["value"]


async def test_a_stream_must_be_an_https_link(fake: FakeDiscord, bot: ConfBot):
    said = await organise(fake, "stream set", room=BALLROOM, url="http://example.org/live")
    assert "must be an https:// address" in said


async def test_stream_needs_manage_server(fake: FakeDiscord, bot: ConfBot):
    answer = await fake.answer(
        await fake.send_command("stream set", user=fake.attendee, room=BALLROOM, url=STREAM)
    )
    assert answer.ephemeral and "permission" in answer.data["content"]


async def test_an_unknown_room_is_refused_with_the_closest(fake: FakeDiscord, bot: ConfBot):
    said = await organise(fake, "announce room", room="Ballroom", channel=fake.room_channel_id)
    assert "Did you mean Grand Ballroom ABGH?" in said


async def test_a_rooms_talk_is_posted_in_its_channel_with_the_stream(
    fake: FakeDiscord, tmp_path: Path
):
    # Five seconds before NOMAD (11:05) starts in the ballroom.
    async with running_bot(fake, tmp_path, CONFBOT_NOW="2024-07-10T11:04:55",
                           CONFBOT_DELIVERY_PACE="0"):  # fmt: skip
        await organise(fake, "stream set", room=BALLROOM, url=STREAM)
        said = await organise(fake, "announce room", room=BALLROOM, channel=fake.room_channel_id)
        assert f"<#{fake.room_channel_id}>" in said
        await wait_for(lambda: fake.channel_messages.get(fake.room_channel_id), timeout=15,
                       what="the room channel post")  # fmt: skip
        (post,) = fake.channel_messages[fake.room_channel_id]
        assert post["content"].startswith(f"▶️ Now in {BALLROOM}: **NOMAD")
        assert f"[Watch live](<{STREAM}>)" in post["content"]
        assert post["_body"]["allowed_mentions"] == {"parse": []}
        status = await fake.answer(
            await fake.send_command("status", user=fake.owner, permissions=ORGANISER)
        )
        fields = {f["name"]: f["value"] for f in status.embeds[0]["fields"]}
        assert fields["Room channels"] == f"{BALLROOM} → <#{fake.room_channel_id}>"
        assert fields["Live streams"] == f"{BALLROOM}: <{STREAM}>"


async def test_a_deleted_room_channel_is_turned_off_and_shown_in_status(
    fake: FakeDiscord, tmp_path: Path
):
    fake.deleted_channels.add(fake.room_channel_id)
    async with running_bot(fake, tmp_path, CONFBOT_NOW="2024-07-10T11:04:57",
                           CONFBOT_DELIVERY_PACE="0") as bot:  # fmt: skip
        await organise(fake, "announce room", room=BALLROOM, channel=fake.room_channel_id)
        posted_to = f"/channels/{fake.room_channel_id}/messages"
        await wait_for(lambda: any(posted_to in path for _, path in fake.requests), timeout=15,
                       what="the post to the deleted channel")  # fmt: skip
        for _ in range(200):  # the disabling follows the failed post in the same delivery
            status = await fake.answer(
                await fake.send_command("status", user=fake.owner, permissions=ORGANISER)
            )
            fields = {f["name"]: f["value"] for f in status.embeds[0]["fields"]}
            if fields["Room channels"].startswith("⚠️"):
                break
        assert fields["Room channels"].startswith(f"⚠️ {BALLROOM}: off (channel")
        assert bot.state is not None
        (room,) = await bot.state.room_channels("osdi24")
        assert not room.enabled
