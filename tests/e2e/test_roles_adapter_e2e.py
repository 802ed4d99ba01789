"""Giving and taking roles through discord.py against the fake Discord's role rules: every
refusal is named before a request is made, and several roles are given all or none."""

from __future__ import annotations

from pathlib import Path

import discord
import pytest

from bot.adapters.discord.client import ConfBot
from bot.adapters.discord.roles import RolesRefused, give, roles_of, take
from bot.render.roles import Audience, RoleTrouble, refusal_sentence
from tests.e2e.conftest import running_bot, wait_for
from tests.fakediscord.guilds import ADMINISTRATOR, MANAGE_ROLES
from tests.fakediscord.server import FakeDiscord

REASON = "ticket registration"


def role_requests(fake: FakeDiscord) -> list[tuple[str, str]]:
    return [(m, p) for m, p in fake.requests if "/roles/" in p]


async def member(bot: ConfBot, fake: FakeDiscord, user_id: int) -> discord.Member:
    guild = bot.get_guild(fake.guild_id)
    assert guild is not None
    return await guild.fetch_member(user_id)


def guild(bot: ConfBot, fake: FakeDiscord) -> discord.Guild:
    found = bot.get_guild(fake.guild_id)
    assert found is not None
    return found


async def seen(bot: ConfBot, fake: FakeDiscord, role_id: int) -> None:
    await wait_for(lambda: guild(bot, fake).get_role(role_id) is not None, what="the role")


async def test_several_roles_are_given_and_taken(fake: FakeDiscord, tmp_path: Path):
    await fake.bot_role(MANAGE_ROLES, position=3)
    speaker = await fake.create_role("Speaker")
    attendee = await fake.create_role("Attendee")
    user = int(fake.attendee["id"])
    await fake.give_role(user, attendee)
    async with running_bot(fake, tmp_path) as bot:
        roles = roles_of(guild(bot, fake), [speaker, attendee])
        given = await give(await member(bot, fake, user), roles, REASON)
        assert (given.given, given.had) == ((speaker,), (attendee,))
        assert fake.member_roles(user) == {speaker, attendee}
        taken = await take(guild(bot, fake), user, [speaker, attendee], "refunded")
        assert set(taken.taken) == {speaker, attendee}
        again = await take(guild(bot, fake), user, [speaker, attendee], "refunded")
        assert again.taken == ()
        assert again.lacked == (speaker, attendee)  # a retry sees what went before
    assert fake.member_roles(user) == set()
    changes = [(m, r) for m, _, r in fake.roles().changes]
    assert changes == [("PUT", speaker), ("DELETE", speaker), ("DELETE", attendee)]


async def test_without_manage_roles_nothing_is_tried(fake: FakeDiscord, tmp_path: Path):
    bot_role = await fake.bot_role(0, position=3)
    speaker = await fake.create_role("Speaker")
    async with running_bot(fake, tmp_path) as bot:
        roles = roles_of(guild(bot, fake), [speaker])
        with pytest.raises(RolesRefused) as refused:
            await give(await member(bot, fake, int(fake.attendee["id"])), roles, REASON)
    assert refused.value.refusal.trouble is RoleTrouble.NO_MANAGE_ROLES
    assert refused.value.refusal.top_role_id == bot_role
    assert role_requests(fake) == []
    assert refusal_sentence(refused.value.refusal, Audience.ORGANISER) == (
        "I lack the **Manage Roles** permission, so I can't give anyone a role: turn it on"
        " for my role in Server Settings → Roles, then try again."
    )


@pytest.mark.parametrize("permissions", [MANAGE_ROLES, ADMINISTRATOR])
async def test_a_role_at_or_above_the_bots_is_refused_before_trying(
    fake: FakeDiscord, tmp_path: Path, permissions: int
):
    bot_role = await fake.bot_role(permissions, position=1)
    above = await fake.create_role("Organisers", position=2)
    below = await fake.create_role("Attendee", position=1)  # moves the others up
    async with running_bot(fake, tmp_path) as bot:
        roles = roles_of(guild(bot, fake), [below, above])
        with pytest.raises(RolesRefused) as refused:
            await give(await member(bot, fake, int(fake.attendee["id"])), roles, REASON)
    assert refused.value.refusal.trouble is RoleTrouble.ABOVE_ME
    assert refused.value.refusal.role_ids == (above,)
    assert role_requests(fake) == []
    assert refusal_sentence(refused.value.refusal, Audience.ORGANISER) == (
        f"Discord lets me give only roles below my highest role, <@&{bot_role}>, and"
        f" <@&{above}> is not: drag my role above <@&{above}> in Server Settings → Roles,"
        " then try again."
    )
    assert refusal_sentence(refused.value.refusal, Audience.ATTENDEE) == (
        f"I could not give you your roles, because <@&{above}> is not below my own role"
        " here; nothing was given, so please tell an organiser and try again once they have"
        " fixed it."
    )


async def test_the_servers_owner_may_give_any_role(fake: FakeDiscord, tmp_path: Path):
    fake.roles().owner_id = fake.application_id
    above = await fake.create_role("Organisers", position=5)
    user = int(fake.attendee["id"])
    async with running_bot(fake, tmp_path) as bot:
        roles = roles_of(guild(bot, fake), [above])
        assert (await give(await member(bot, fake, user), roles, REASON)).given == (above,)
    assert fake.member_roles(user) == {above}


async def test_managed_roles_and_everyone_are_refused(fake: FakeDiscord, tmp_path: Path):
    await fake.bot_role(MANAGE_ROLES, position=5)
    booster = await fake.create_role("Server Booster", managed=True)
    async with running_bot(fake, tmp_path) as bot:
        someone = await member(bot, fake, int(fake.attendee["id"]))
        with pytest.raises(RolesRefused) as managed:
            await give(someone, roles_of(guild(bot, fake), [booster]), REASON)
        with pytest.raises(RolesRefused) as everyone:
            await give(someone, [guild(bot, fake).default_role], REASON)
    assert managed.value.refusal.trouble is RoleTrouble.MANAGED
    assert everyone.value.refusal.trouble is RoleTrouble.EVERYONE
    assert role_requests(fake) == []


async def test_a_deleted_role_is_named(fake: FakeDiscord, tmp_path: Path):
    await fake.bot_role(MANAGE_ROLES, position=5)
    async with running_bot(fake, tmp_path) as bot:
        with pytest.raises(RolesRefused) as gone:
            roles_of(guild(bot, fake), [12345])
    assert gone.value.refusal.trouble is RoleTrouble.ROLE_GONE
    assert gone.value.refusal.role_ids == (12345,)


async def test_a_role_deleted_unheard_is_left_out_and_the_rest_given(
    fake: FakeDiscord, tmp_path: Path
):
    """Discord's 404 Unknown Role for a role the bot's cache still has: nobody can hold
    it, so it is no reason to take back the others (all or none holds for the rest)."""
    await fake.bot_role(MANAGE_ROLES, position=4)
    first = await fake.create_role("Attendee", position=1)
    second = await fake.create_role("Workshop", position=2)
    user = int(fake.attendee["id"])
    async with running_bot(fake, tmp_path) as bot:
        roles = roles_of(guild(bot, fake), [second, first])
        await fake.delete_role(second, heard=False)
        given = await give(await member(bot, fake, user), roles, REASON)
    assert (given.given, given.had, given.gone) == ((first,), (), (second,))
    assert fake.member_roles(user) == {first}


async def test_one_role_failing_takes_back_those_given(fake: FakeDiscord, tmp_path: Path):
    """The second role is moved above the bot's just before the grant, and the bot did
    not hear of it: Discord's 403 comes, and the first role is taken back."""
    await fake.bot_role(MANAGE_ROLES, position=4)
    first = await fake.create_role("Attendee", position=1)
    second = await fake.create_role("Speaker", position=2)
    user = int(fake.attendee["id"])
    async with running_bot(fake, tmp_path) as bot:
        roles = roles_of(guild(bot, fake), [first, second])
        someone = await member(bot, fake, user)
        fake.roles().roles[second].position = 9  # the bot never hears of the move
        with pytest.raises(RolesRefused) as refused:
            await give(someone, roles, REASON)
    assert refused.value.refusal.trouble is RoleTrouble.REFUSED
    assert refused.value.refusal.role_ids == (second,)
    assert refused.value.stuck == ()
    assert fake.member_roles(user) == set()
    assert [(m, r) for m, _, r in fake.roles().changes] == [("PUT", first), ("DELETE", first)]


async def test_when_taking_back_fails_too_the_roles_held_are_named(
    fake: FakeDiscord, tmp_path: Path
):
    await fake.bot_role(MANAGE_ROLES, position=4)
    first = await fake.create_role("Attendee", position=1)
    second = await fake.create_role("Speaker", position=2)
    user = int(fake.attendee["id"])
    async with running_bot(fake, tmp_path) as bot:
        roles = roles_of(guild(bot, fake), [first, second])
        someone = await member(bot, fake, user)
        fake.roles().roles[second].position = 9
        fake.rate_limit_next("DELETE", f"/roles/{first}", retry_after=120)  # too long to wait
        with pytest.raises(RolesRefused) as refused:
            await give(someone, roles, REASON)
    assert refused.value.stuck == (first,)
    assert fake.member_roles(user) == {first}
    sentence = refusal_sentence(refused.value.refusal, Audience.ATTENDEE, refused.value.stuck)
    assert sentence == (
        f"I could not give you your roles, because Discord refused to give <@&{second}>, nor"
        f" take back <@&{first}>, which you hold for now; please tell an organiser, who can"
        " put it right."
    )


async def test_a_member_who_left(fake: FakeDiscord, tmp_path: Path):
    await fake.bot_role(MANAGE_ROLES, position=4)
    speaker = await fake.create_role("Speaker")
    user = int(fake.attendee["id"])
    async with running_bot(fake, tmp_path) as bot:
        someone = await member(bot, fake, user)
        fake.leave(user)
        with pytest.raises(RolesRefused) as refused:
            await give(someone, roles_of(guild(bot, fake), [speaker]), REASON)
        taken = await take(guild(bot, fake), user, [speaker], "refunded")
    assert refused.value.refusal.trouble is RoleTrouble.MEMBER_LEFT
    assert refusal_sentence(refused.value.refusal, Audience.ATTENDEE) == (
        "You are no longer a member of this server, so I gave you no role."
    )
    assert taken.left and taken.taken == ()


async def test_the_bot_hears_its_own_new_role(fake: FakeDiscord, tmp_path: Path):
    """Given Manage Roles after start (GUILD_ROLE_CREATE, GUILD_MEMBER_UPDATE for
    itself), the bot's checks use it at once."""
    speaker = await fake.create_role("Speaker")
    user = int(fake.attendee["id"])
    async with running_bot(fake, tmp_path) as bot:
        mine = await fake.bot_role(MANAGE_ROLES, position=2)
        await wait_for(lambda: guild(bot, fake).me.get_role(mine) is not None, what="its role")
        given = await give(await member(bot, fake, user), roles_of(guild(bot, fake), [speaker]),
                           REASON)  # fmt: skip
    assert given.given == (speaker,)
