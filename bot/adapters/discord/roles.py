"""Giving and taking a member's roles as Discord allows it, with the reason said.

Discord refuses a role change with one 403 (code 50013) for two different faults: the
bot lacks Manage Roles, or the role is not below the bot's highest role (Administrator
does not lift that; only the server's owner is exempt). So both are checked here before
anything is tried, from the server as the gateway keeps it, and named (RoleRefusal); a
403 that still comes (the cache was stale) is said as Discord's refusal.

Several roles are given all or none: Discord adds one role per request, so when one
fails after others were given, those given by this call are taken back. An attendee then
reads one sentence, "nothing was given, tell an organiser", and can simply try again once
it is fixed; a half-given ticket would need a second story ("you got A but not B"), a
registration that is neither done nor undone, and an organiser to finish it by hand.
Taking roles needs no such care: it can be repeated until it is done.

A role that no longer exists is the one exception: nobody can hold it, so it is no
reason to withhold the others. give() leaves out a role Discord says was deleted (404
Unknown Role: the bot did not hear of it) and says which (Given.gone), and split_roles
sets apart those the server no longer has before anything is asked; dropping what still
maps to them is the caller's.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import aiohttp
import discord

from bot.render.roles import RoleRefusal, RoleTrouble

log = logging.getLogger(__name__)

UNKNOWN_MEMBER = 10007
UNKNOWN_ROLE = 10011

# What a role change may fail with besides Discord's answers: the connection.
_FAILURES = (discord.DiscordException, aiohttp.ClientError, asyncio.TimeoutError)


class RolesRefused(Exception):
    """No role changed (or, for `stuck`, roles given that could not be taken back)."""

    def __init__(self, refusal: RoleRefusal, stuck: tuple[int, ...] = ()) -> None:
        super().__init__(f"{refusal.trouble} {refusal.role_ids}")
        self.refusal = refusal
        self.stuck = stuck


@dataclass(frozen=True)
class Given:
    """Roles given now, those the member held already, and those Discord says were
    deleted, so not given (ids, in the order asked)."""

    given: tuple[int, ...]
    had: tuple[int, ...]
    gone: tuple[int, ...] = ()

    @property
    def holds(self) -> tuple[int, ...]:
        return self.had + self.given


@dataclass(frozen=True)
class Taken:
    """Roles taken now; `left` when the member had left the server (nothing to take);
    `lacked`: roles asked for that the member did not hold."""

    taken: tuple[int, ...]
    left: bool = False
    lacked: tuple[int, ...] = ()


def _top_role_id(me: discord.Member) -> int | None:
    top = me.top_role
    return None if top.is_default() else top.id


def refusal_for(guild: discord.Guild, roles: Sequence[discord.Role]) -> RoleRefusal | None:
    """Why the bot may not give or take `roles` in `guild` (None when it may): checked
    in the order an organiser fixes them, Manage Roles first."""
    me = guild.me
    top = _top_role_id(me)
    if not me.guild_permissions.manage_roles:  # Administrator or ownership include it
        return RoleRefusal(RoleTrouble.NO_MANAGE_ROLES, top_role_id=top)
    if everyone := [r.id for r in roles if r.is_default()]:
        return RoleRefusal(RoleTrouble.EVERYONE, tuple(everyone), top)
    if managed := [r.id for r in roles if r.managed]:
        return RoleRefusal(RoleTrouble.MANAGED, tuple(managed), top)
    if guild.owner_id == me.id:
        return None
    if above := [r.id for r in roles if not r < me.top_role]:
        return RoleRefusal(RoleTrouble.ABOVE_ME, tuple(above), top)
    return None


def split_roles(
    guild: discord.Guild, role_ids: Sequence[int]
) -> tuple[list[discord.Role], tuple[int, ...]]:
    """The server's roles for `role_ids`, and the ids of those it no longer has."""
    found = [guild.get_role(r) for r in role_ids]
    gone = tuple(r for r, role in zip(role_ids, found, strict=True) if role is None)
    return [role for role in found if role is not None], gone


def roles_of(guild: discord.Guild, role_ids: Sequence[int]) -> list[discord.Role]:
    """The server's roles for `role_ids`, refused (ROLE_GONE) if one was deleted."""
    roles, gone = split_roles(guild, role_ids)
    if gone:
        raise RolesRefused(RoleRefusal(RoleTrouble.ROLE_GONE, gone, _top_role_id(guild.me)))
    return roles


def _failure(error: BaseException, role_id: int, top: int | None) -> RoleRefusal:
    """A failed request as a refusal: the member left, the role went, Discord refused,
    or Discord (or the connection) failed."""
    if isinstance(error, discord.NotFound) and error.code == UNKNOWN_MEMBER:
        return RoleRefusal(RoleTrouble.MEMBER_LEFT, (role_id,), top)
    if isinstance(error, discord.NotFound) and error.code == UNKNOWN_ROLE:
        return RoleRefusal(RoleTrouble.ROLE_GONE, (role_id,), top)
    if isinstance(error, discord.Forbidden):
        return RoleRefusal(RoleTrouble.REFUSED, (role_id,), top)
    return RoleRefusal(RoleTrouble.FAILED, (role_id,), top)


async def give(member: discord.Member, roles: Sequence[discord.Role], reason: str) -> Given:
    """Give `member` every role of `roles` they lack, or none (see the module's note),
    leaving out those Discord says were deleted; raises RolesRefused, before any request
    when the rules already forbid it."""
    if not roles:
        return Given((), ())
    if (refusal := refusal_for(member.guild, roles)) is not None:
        raise RolesRefused(refusal)
    wanted = list(dict.fromkeys(roles))  # each once, in the order asked
    had = tuple(r.id for r in wanted if member.get_role(r.id) is not None)
    given: list[discord.Role] = []
    gone: list[int] = []
    for role in wanted:
        if role.id in had:
            continue
        try:
            await member.add_roles(role, reason=reason)
        except _FAILURES as error:
            if isinstance(error, discord.NotFound) and error.code == UNKNOWN_ROLE:
                log.warning("role %d for member %d was deleted meanwhile", role.id, member.id)
                gone.append(role.id)
                continue
            refusal = _failure(error, role.id, _top_role_id(member.guild.me))
            log.warning("giving role %d to member %d failed: %r", role.id, member.id, error)
            stuck = await _take_back(member, given, reason)
            raise RolesRefused(refusal, stuck) from error
        given.append(role)
    return Given(tuple(r.id for r in given), had, tuple(gone))


async def _take_back(
    member: discord.Member, given: Sequence[discord.Role], reason: str
) -> tuple[int, ...]:
    """Take back the roles just given; the ids of those that could not be."""
    stuck = []
    for role in given:
        try:
            await member.remove_roles(role, reason=f"{reason} (undone: not all roles given)")
        except discord.NotFound:
            continue  # the member left: they hold nothing any more
        except _FAILURES as error:
            log.error("could not take back role %d from member %d: %r", role.id, member.id, error)
            stuck.append(role.id)
    return tuple(stuck)


async def take(guild: discord.Guild, user_id: int, role_ids: Collection[int], reason: str) -> Taken:
    """Take the roles of `role_ids` that the member holds (deleted roles are gone from
    everyone already). Safe to repeat: a retry after a failure takes what is left. Raises
    RolesRefused when the rules forbid it or Discord fails."""
    roles = [role for r in dict.fromkeys(role_ids) if (role := guild.get_role(r)) is not None]
    if not roles:
        return Taken(())
    if (refusal := refusal_for(guild, roles)) is not None:
        raise RolesRefused(refusal)
    top = _top_role_id(guild.me)
    try:
        member = await guild.fetch_member(user_id)
    except discord.NotFound:
        return Taken((), left=True)
    except _FAILURES as error:
        raise RolesRefused(_failure(error, roles[0].id, top)) from error
    taken: list[int] = []
    lacked: list[int] = []
    for role in roles:
        if member.get_role(role.id) is None:
            lacked.append(role.id)
            continue
        try:
            await member.remove_roles(role, reason=reason)
        except discord.NotFound as error:
            if error.code == UNKNOWN_MEMBER:
                return Taken(tuple(taken), left=True, lacked=tuple(lacked))
            continue  # the role was deleted meanwhile: nobody holds it now
        except _FAILURES as error:
            raise RolesRefused(_failure(error, role.id, top)) from error
        taken.append(role.id)
    return Taken(tuple(taken), lacked=tuple(lacked))
