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


def mentions(role_ids: Sequence[int]) -> str:
    """'<@&1>, <@&2> and <@&3>' (each shown as the role's name); '' for none."""
    return listing([f"<@&{r}>" for r in role_ids]) if role_ids else ""


def refusal_sentence(refusal: RoleRefusal, audience: Audience, stuck: Sequence[int] = ()) -> str:
    """One sentence: for an organiser, what to change; for an attendee, that nothing
    was given and an organiser can fix it (or, in the rare case `stuck` names roles given
    that could not be taken back, that they hold those)."""
    if audience is Audience.ORGANISER:
        return _for_organiser(refusal)
    return _for_attendee(refusal, stuck)


def _top(refusal: RoleRefusal) -> str:
    return f"<@&{refusal.top_role_id}>" if refusal.top_role_id else "@everyone (I have no role)"


def _for_organiser(refusal: RoleRefusal) -> str:
    roles = mentions(refusal.role_ids) or "that role"
    match refusal.trouble:
        case RoleTrouble.NO_MANAGE_ROLES:
            return ("I lack the **Manage Roles** permission, so I can't give anyone a"
                    " role: turn it on for my role in Server Settings → Roles, then try"
                    " again.")  # fmt: skip
        case RoleTrouble.ABOVE_ME:
            return (f"Discord lets me give only roles below my highest role, {_top(refusal)},"
                    f" and {roles} {'is' if len(refusal.role_ids) == 1 else 'are'} not:"
                    f" drag my role above {roles} in Server Settings → Roles, then try"
                    " again.")  # fmt: skip
        case RoleTrouble.MANAGED:
            return (f"{roles} belongs to a bot or an integration (or is the booster role),"
                    " so no one can give it by hand: pick another role.")  # fmt: skip
        case RoleTrouble.EVERYONE:
            return "Everyone has @everyone already: pick another role."
        case RoleTrouble.ROLE_GONE:
            return f"{roles} no longer exists: pick another role."
        case RoleTrouble.MEMBER_LEFT:
            return "That member has left the server, so they have no roles to change."
        case RoleTrouble.REFUSED:
            return (f"Discord refused to change {roles} although I have Manage Roles and it"
                    " is below my highest role; check the role in Server Settings → Roles,"
                    " then try again.")  # fmt: skip
        case RoleTrouble.FAILED:
            return ("Discord did not answer in time, so no role changed; please try again in"
                    " a minute.")  # fmt: skip


def _for_attendee(refusal: RoleRefusal, stuck: Sequence[int] = ()) -> str:
    if refusal.trouble is RoleTrouble.MEMBER_LEFT:
        return "You are no longer a member of this server, so I gave you no role."
    if refusal.trouble is RoleTrouble.FAILED and not stuck:
        return ("Discord did not answer in time, so I gave you no role; please try again in"
                " a minute.")  # fmt: skip
    if stuck:  # giving failed midway, and taking back what was given failed too
        return (f"I could not give you your roles, because {_why(refusal)}, nor take back"
                f" {mentions(stuck)}, which you hold for now; please tell an organiser, who"
                " can put it right.")  # fmt: skip
    return (f"I could not give you your roles, because {_why(refusal)}; nothing was given,"
            " so please tell an organiser and try again once they have fixed it.")  # fmt: skip


def _why(refusal: RoleRefusal) -> str:
    roles = mentions(refusal.role_ids) or "your roles"
    verb = "is" if len(refusal.role_ids) == 1 else "are"
    return {
        RoleTrouble.NO_MANAGE_ROLES: "I lack the Manage Roles permission in this server",
        RoleTrouble.ABOVE_ME: f"{roles} {verb} not below my own role here",
        RoleTrouble.MANAGED: f"{roles} cannot be given by a bot",
        RoleTrouble.EVERYONE: "your ticket's role is @everyone",
        RoleTrouble.ROLE_GONE: "a role your ticket gives no longer exists",
        RoleTrouble.MEMBER_LEFT: "you left the server",
        RoleTrouble.REFUSED: f"Discord refused to give {roles}",
        RoleTrouble.FAILED: "Discord did not answer in time",
    }[refusal.trouble]
