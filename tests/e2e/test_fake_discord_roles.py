"""The fake's roles: it must refuse a role change where Discord does (Manage Roles, the
role hierarchy, the owner and administrator cases), or the bot's role tests prove nothing."""

from __future__ import annotations

from typing import Any

import aiohttp

from tests.fakediscord.guilds import ADMINISTRATOR, MANAGE_ROLES
from tests.fakediscord.server import TOKEN, FakeDiscord

AUTH = {"Authorization": f"Bot {TOKEN}"}


async def change(fake: FakeDiscord, method: str, user_id: int, role_id: int) -> tuple[int, Any]:
    url = f"{fake.base_url}/api/v10/guilds/{fake.guild_id}/members/{user_id}/roles/{role_id}"
    async with aiohttp.ClientSession(headers=AUTH) as http, http.request(method, url) as answer:
        body = await answer.json() if answer.status != 204 else None
        return answer.status, body


def attendee(fake: FakeDiscord) -> int:
    return int(fake.attendee["id"])


async def test_without_manage_roles_a_role_change_is_refused_with_50013(fake: FakeDiscord):
    speaker = await fake.create_role("Speaker")
    await fake.bot_role(permissions=0, position=5)
    status, body = await change(fake, "PUT", attendee(fake), speaker)
    assert (status, body["code"]) == (403, 50013)
    assert fake.member_roles(attendee(fake)) == set()


async def test_with_manage_roles_a_role_below_the_bots_is_given_and_taken(fake: FakeDiscord):
    speaker = await fake.create_role("Speaker")
    await fake.bot_role(permissions=MANAGE_ROLES, position=5)
    assert (await change(fake, "PUT", attendee(fake), speaker))[0] == 204
    assert (await change(fake, "PUT", attendee(fake), speaker))[0] == 204  # a quiet no-op
    assert fake.member_roles(attendee(fake)) == {speaker}
    assert (await change(fake, "DELETE", attendee(fake), speaker))[0] == 204
    assert (await change(fake, "DELETE", attendee(fake), speaker))[0] == 204
    assert fake.member_roles(attendee(fake)) == set()
    user = attendee(fake)
    assert fake.roles().changes == [("PUT", user, speaker), ("DELETE", user, speaker)]


async def test_manage_roles_from_everyone_is_enough(fake: FakeDiscord):
    fake.everyone_permissions |= MANAGE_ROLES
    bot = await fake.bot_role(permissions=0, position=3)
    speaker = await fake.create_role("Speaker", position=2)
    assert fake.roles().roles[bot].position == 4  # created at 2: the bot's moved up
    assert (await change(fake, "PUT", attendee(fake), speaker))[0] == 204


async def test_a_role_at_or_above_the_bots_highest_is_refused(fake: FakeDiscord):
    await fake.bot_role(permissions=MANAGE_ROLES, position=1)
    above = await fake.create_role("Organisers", position=2)
    assert await change(fake, "PUT", attendee(fake), above) == (
        403, {"code": 50013, "message": "Missing Permissions"})  # fmt: skip
    # Its own role is at its highest position: refused too, and it is managed besides.
    own = next(r.id for r in fake.roles().roles.values() if r.managed)
    assert (await change(fake, "PUT", attendee(fake), own))[0] == 403


async def test_administrator_gives_every_permission_but_not_the_hierarchy(fake: FakeDiscord):
    await fake.bot_role(permissions=ADMINISTRATOR, position=2)
    below = await fake.create_role("Attendee", position=1)
    above = await fake.create_role("Organisers", position=4)
    assert (await change(fake, "PUT", attendee(fake), below))[0] == 204
    assert (await change(fake, "PUT", attendee(fake), above))[0] == 403


async def test_the_servers_owner_is_refused_nothing(fake: FakeDiscord):
    fake.roles().owner_id = fake.application_id
    above = await fake.create_role("Organisers", position=7)
    assert (await change(fake, "PUT", attendee(fake), above))[0] == 204


async def test_unknown_members_and_roles(fake: FakeDiscord):
    await fake.bot_role(permissions=MANAGE_ROLES, position=5)
    speaker = await fake.create_role("Speaker")
    left = fake.new_member("gone")
    fake.leave(int(left["id"]))
    assert (await change(fake, "PUT", int(left["id"]), speaker))[1]["code"] == 10007
    assert (await change(fake, "PUT", attendee(fake), 12345))[1]["code"] == 10011


async def test_roles_and_members_are_listed_as_discord_does(fake: FakeDiscord):
    bot = await fake.bot_role(permissions=MANAGE_ROLES, position=1)
    speaker = await fake.create_role("Speaker")
    await fake.give_role(attendee(fake), speaker)
    async with aiohttp.ClientSession(headers=AUTH) as http:
        roles = await (
            await http.get(f"{fake.base_url}/api/v10/guilds/{fake.guild_id}/roles")
        ).json()
        member_url = f"{fake.base_url}/api/v10/guilds/{fake.guild_id}/members"
        member = await (await http.get(f"{member_url}/{attendee(fake)}")).json()
        gone = await http.get(f"{member_url}/1")
    assert [(r["name"], r["position"]) for r in roles] == [
        ("@everyone", 0), ("Speaker", 1), ("confbot", 2)]  # fmt: skip
    assert roles[0]["id"] == str(fake.guild_id)
    assert member["roles"] == [str(speaker)]
    assert member["user"]["id"] == fake.attendee["id"]
    assert (gone.status, (await gone.json())["code"]) == (404, 10007)
    assert fake.member_roles(fake.application_id) == {bot}
