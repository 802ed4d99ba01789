"""A server's roles and members, and Discord's rules for giving and taking roles.

What Discord enforces when an app adds or removes a member's role (PUT or DELETE
/guilds/{g}/members/{m}/roles/{r}), and what the fake therefore refuses:
- The app needs Manage Roles in the server: from @everyone or any role it holds;
  Administrator grants every permission; the server's owner has them all.
- The role must be strictly below the app's highest role (a role at the same position is
  refused too). Administrator does *not* lift this; only the server's owner is exempt.
- Both refusals are 403 with code 50013 "Missing Permissions", which says nothing of
  which rule failed: the bot has to know the rules to explain them.
- An unknown member (one who left) is 404 10007, an unknown role 404 10011.
- Adding a role the member has, or removing one they lack, is a quiet 204.
- A managed role (a bot's own, the booster role) cannot be given or taken by hand; the
  fake refuses it with 403 50013 too (the exact code Discord gives there is unchecked).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ADMINISTRATOR = 1 << 3
MANAGE_ROLES = 1 << 28
ALL_PERMISSIONS = (1 << 53) - 1

# (status, Discord's error code, its message)
Refusal = tuple[int, int, str]
MISSING_PERMISSIONS: Refusal = (403, 50013, "Missing Permissions")
UNKNOWN_MEMBER: Refusal = (404, 10007, "Unknown Member")
UNKNOWN_ROLE: Refusal = (404, 10011, "Unknown Role")


@dataclass
class FakeRole:
    id: int
    name: str
    position: int
    permissions: int = 0
    managed: bool = False

    def payload(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(self.id), "name": self.name, "permissions": str(self.permissions),
            "position": self.position, "color": 0, "hoist": False, "managed": self.managed,
            "mentionable": False, "flags": 0,
        }  # fmt: skip
        if self.managed:
            data["tags"] = {"bot_id": "0"}
        return data


@dataclass
class GuildRoles:
    """One server: its roles besides @everyone (whose id is the server's), who is a
    member with which roles, and who owns it. `changes` lists every role change Discord
    accepted, in order, as (method, user id, role id), for exactly-once assertions."""

    guild_id: int
    owner_id: int = 1
    roles: dict[int, FakeRole] = field(default_factory=dict)
    members: dict[int, set[int]] = field(default_factory=dict)
    changes: list[tuple[str, int, int]] = field(default_factory=list)

    def everyone(self, permissions: int) -> dict[str, Any]:
        return FakeRole(self.guild_id, "@everyone", 0, permissions).payload()

    def payloads(self, everyone_permissions: int) -> list[dict[str, Any]]:
        ordered = sorted(self.roles.values(), key=lambda r: r.position)
        return [self.everyone(everyone_permissions), *(r.payload() for r in ordered)]

    def add(self, role: FakeRole) -> list[FakeRole]:
        """Put `role` at its position, moving up by one each role at or above it (as
        Discord does); returns the roles that moved."""
        moved = [r for r in self.roles.values() if r.position >= role.position]
        for other in moved:
            other.position += 1
        self.roles[role.id] = role
        return moved

    def roles_of(self, user_id: int) -> list[int]:
        return sorted(self.members.get(user_id, set()))

    def permissions(self, user_id: int, everyone_permissions: int) -> int:
        """The member's server-wide permissions, computed as Discord does."""
        if user_id == self.owner_id:
            return ALL_PERMISSIONS
        allowed = everyone_permissions
        for role_id in self.members.get(user_id, set()):
            allowed |= self.roles[role_id].permissions
        return ALL_PERMISSIONS if allowed & ADMINISTRATOR else allowed

    def top_position(self, user_id: int) -> int:
        """The position of the member's highest role (0, @everyone's, with none)."""
        held = [self.roles[r].position for r in self.members.get(user_id, set())]
        return max(held, default=0)

    def refusal(self, actor: int, user_id: int, role_id: int, everyone: int) -> Refusal | None:
        """Why Discord refuses `actor` changing `role_id` on `user_id`, or None."""
        if user_id not in self.members:
            return UNKNOWN_MEMBER
        role = self.roles.get(role_id)
        if role is None:
            return UNKNOWN_ROLE
        if actor == self.owner_id:
            return None
        if not self.permissions(actor, everyone) & MANAGE_ROLES:
            return MISSING_PERMISSIONS
        if role.position >= self.top_position(actor) or role.managed:
            return MISSING_PERMISSIONS
        return None

    def change(self, method: str, user_id: int, role_id: int) -> None:
        """Apply an accepted change (recorded only when it changed something)."""
        held = self.members[user_id]
        if method == "PUT" and role_id not in held:
            held.add(role_id)
            self.changes.append((method, user_id, role_id))
        elif method == "DELETE" and role_id in held:
            held.discard(role_id)
            self.changes.append((method, user_id, role_id))
