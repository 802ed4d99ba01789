"""Why a role could not be given or taken, in one sentence for whoever asked.

Discord answers every refused role change with the same 403 "Missing Permissions"
(code 50013), whether the bot lacks Manage Roles or the role sits at or above the bot's
own highest role: a bot that relays that answer leaves an organiser guessing. So the
Discord adapter checks both rules before it tries (bot.adapters.discord.roles) and names
what failed here, with the fix: an organiser gets what to change in Server Settings, an
attendee gets what happened and whom to tell. Roles are named by mention (`<@&id>`),
which Discord shows as the role's name without pinging anyone (every message is sent
with no mentions allowed), so no role name needs escaping.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from bot.i18n import ENGLISH, Words
from bot.render.common import listing


class RoleTrouble(StrEnum):
    NO_MANAGE_ROLES = "no-manage-roles"  # the bot lacks the Manage Roles permission
    ABOVE_ME = "above-me"  # the role is not below the bot's highest role
    MANAGED = "managed"  # a bot's own role, the booster role, an integration's
    EVERYONE = "everyone"  # @everyone: everyone has it already
    ROLE_GONE = "role-gone"  # deleted since it was chosen
    MEMBER_LEFT = "member-left"  # the member left the server
    REFUSED = "refused"  # Discord said 403 although our checks passed
    FAILED = "failed"  # Discord failed or did not answer (5xx, timeout, rate limit)


class Audience(StrEnum):
    ORGANISER = "organiser"  # who maps roles: told what to change
    ATTENDEE = "attendee"  # who registers: told what happened and whom to tell


@dataclass(frozen=True)
class RoleRefusal:
    """What stopped a role change: the trouble, the roles it concerns, and the bot's own
    highest role (None when it has none above @everyone)."""

    trouble: RoleTrouble
    role_ids: tuple[int, ...] = ()
    top_role_id: int | None = None


def mentions(role_ids: Sequence[int], w: Words = ENGLISH) -> str:
    """'<@&1>, <@&2> and <@&3>' (each shown as the role's name); '' for none."""
    return listing([f"<@&{r}>" for r in role_ids], w)


def refusal_sentence(
    refusal: RoleRefusal, audience: Audience, stuck: Sequence[int] = (), w: Words = ENGLISH
) -> str:
    """One sentence: for an organiser, what to change; for an attendee, that nothing
    was given and an organiser can fix it (or, in the rare case `stuck` names roles given
    that could not be taken back, that they hold those)."""
    if audience is Audience.ORGANISER:
        return _for_organiser(refusal, w)
    return _for_attendee(refusal, stuck, w)


def _top(refusal: RoleRefusal, w: Words) -> str:
    if refusal.top_role_id:
        return f"<@&{refusal.top_role_id}>"
    return w.tr("@everyone (I have no role)")


def _for_organiser(refusal: RoleRefusal, w: Words) -> str:
    roles = mentions(refusal.role_ids, w)
    n = max(len(refusal.role_ids), 1)
    match refusal.trouble:
        case RoleTrouble.NO_MANAGE_ROLES:
            return w.tr("I lack the **Manage Roles** permission, so I can't give anyone a"
                        " role: turn it on for my role in Server Settings → Roles, then try"
                        " again.")  # fmt: skip
        case RoleTrouble.ABOVE_ME:
            return w.ntr("Discord lets me give only roles below my highest role, {top}, and"
                         " {roles} is not: drag my role above {roles} in Server Settings →"
                         " Roles, then try again.",
                         "Discord lets me give only roles below my highest role, {top}, and"
                         " {roles} are not: drag my role above {roles} in Server Settings →"
                         " Roles, then try again.",
                         n, top=_top(refusal, w),
                         roles=roles or w.tr("that role"))  # fmt: skip
        case RoleTrouble.MANAGED:
            return w.ntr("{roles} belongs to a bot or an integration (or is the booster"
                         " role), so no one can give it by hand: pick another role.",
                         "{roles} belong to a bot or an integration (or are the booster"
                         " role), so no one can give them by hand: pick another role.",
                         n, roles=roles or w.tr("That role"))  # fmt: skip
        case RoleTrouble.EVERYONE:
            return w.tr("Everyone has @everyone already: pick another role.")
        case RoleTrouble.ROLE_GONE:
            return w.ntr("{roles} no longer exists: pick another role.",
                         "{roles} no longer exist: pick another role.",
                         n, roles=roles or w.tr("That role"))  # fmt: skip
        case RoleTrouble.MEMBER_LEFT:
            return w.tr("That member has left the server, so they have no roles to change.")
        case RoleTrouble.REFUSED:
            return w.ntr("Discord refused to change {roles} although I have Manage Roles and"
                         " it is below my highest role; check the role in Server Settings →"
                         " Roles, then try again.",
                         "Discord refused to change {roles} although I have Manage Roles and"
                         " they are below my highest role; check the roles in Server Settings"
                         " → Roles, then try again.",
                         n, roles=roles or w.tr("that role"))  # fmt: skip
        case RoleTrouble.FAILED:
            return w.tr("Discord did not answer in time, so no role changed; please try again"
                        " in a minute.")  # fmt: skip


def _for_attendee(refusal: RoleRefusal, stuck: Sequence[int], w: Words) -> str:
    if refusal.trouble is RoleTrouble.MEMBER_LEFT:
        return w.tr("You are no longer a member of this server, so I gave you no role.")
    if refusal.trouble is RoleTrouble.FAILED and not stuck:
        return w.tr("Discord did not answer in time, so I gave you no role; please try again"
                    " in a minute.")  # fmt: skip
    if stuck:  # giving failed midway, and taking back what was given failed too
        return w.tr("I could not give you your roles, because {why}, nor take back {roles},"
                    " which you hold for now; please tell an organiser, who can put it right.",
                    why=_why(refusal, w), roles=mentions(stuck, w))  # fmt: skip
    return w.tr("I could not give you your roles, because {why}; nothing was given, so"
                " please tell an organiser and try again once they have fixed it.",
                why=_why(refusal, w))  # fmt: skip


def _why(refusal: RoleRefusal, w: Words) -> str:
    """Why the roles were not given: the end of a sentence ("…, because {why}")."""
    roles = mentions(refusal.role_ids, w)
    n = max(len(refusal.role_ids), 1)
    match refusal.trouble:
        case RoleTrouble.NO_MANAGE_ROLES:
            return w.tr("I lack the Manage Roles permission in this server")
        case RoleTrouble.ABOVE_ME:
            return w.ntr("{roles} is not below my own role here",
                         "{roles} are not below my own role here",
                         n, roles=roles or w.tr("your roles"))  # fmt: skip
        case RoleTrouble.MANAGED:
            return w.tr("{roles} cannot be given by a bot", roles=roles or w.tr("your roles"))
        case RoleTrouble.EVERYONE:
            return w.tr("your ticket's role is @everyone")
        case RoleTrouble.ROLE_GONE:
            return w.tr("a role your ticket gives no longer exists")
        case RoleTrouble.MEMBER_LEFT:
            return w.tr("you left the server")
        case RoleTrouble.REFUSED:
            return w.tr("Discord refused to give {roles}", roles=roles or w.tr("your roles"))
        case RoleTrouble.FAILED:
            return w.tr("Discord did not answer in time")
