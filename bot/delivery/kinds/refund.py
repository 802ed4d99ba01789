"""A refund: a ticket's roles taken from its member once pretix says it was refunded or
cancelled, and the member told by DM.

Planned for the registrations of the conference the refund check marked (state
'revoking'; bot.service.refunds), one delivery per member, server and check that marked
them (an order of two tickets refunded is one removal and one DM); still wanted while its
first registration is marked at the same moment (a release, or the member registering the
ticket again after pretix reinstated it, takes it back; the others, if any, are planned
again under the next one). Owner: that first registration; target: the member; arming:
when the refund was seen. The roles the member still holds through another active ticket
in the server are kept. Exactly once like every delivery: claimed before the removal,
settled after it; a retry removes again (a no-op for roles already gone), then sends the DM
naming them (the try before may have removed them and failed to tell). The DM is in the
language the member registered in (their latest registration of the group's; English if
it was not kept).
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.delivery.kind import (
    Delivering,
    DirectKind,
    Planning,
    RoleSender,
    Send,
    Skip,
    TargetGone,
)
from bot.i18n import N_, Language, known_language
from bot.kinds import DeliveryKind, RegistrationState
from bot.render import tickets as ticket_text
from bot.store.ledger_store import Delivery, Planned, Wanted
from bot.store.tickets_store import Registration

REVOKING = RegistrationState.REVOKING
REASON = "ticket refunded or cancelled in pretix"


class RefundKind(DirectKind):
    kind = DeliveryKind.REFUND
    wanted = Wanted.REFUND_PENDING

    async def plan(self, planning: Planning) -> Sequence[Planned]:
        marked = await planning.state.tickets.registrations(planning.conference,
                                                            states=(REVOKING,))  # fmt: skip
        first: dict[tuple[int, int, int], Registration] = {}
        for r in marked:  # by id: the first of each group is its owner
            first.setdefault((r.guild_id, r.member_id, r.revoked_ts), r)
        return [Planned(self.kind, r.id, "refund", r.member_id, r.revoked_ts, r.revoked_ts)
                for r in first.values()]  # fmt: skip

    async def message(self, delivery: Delivery, ctx: Delivering) -> Send:
        group = await _group(delivery, ctx)
        if not group:
            raise Skip(N_("the ticket was released or registered again"))
        guild_id, member_id = group[0].guild_id, group[0].member_id
        held = await ctx.state.tickets.roles_held(guild_id, member_id, besides=group[0].id)
        roles = sorted({role for r in group for role in r.roles} - held)
        if not roles:
            await _settle(group, RegistrationState.REVOKED, ctx)
            raise Skip(N_("the member keeps its roles through another ticket"))
        sender = ctx.sender
        conference = ctx.service.conference.name
        latest = max(group, key=lambda r: (r.registered_ts, r.id))
        w = ctx.messages.words(known_language(latest.language) or Language.EN)

        async def send() -> None:
            if not isinstance(sender, RoleSender):
                raise TargetGone("this bot's sender cannot remove roles")
            removed = await sender.remove_roles(guild_id, member_id, roles, REASON)
            # A retry (the DM failed after the removal) finds the roles gone already:
            # the member is told of them all the same.
            told = removed.roles + (removed.lacked if delivery.attempts else ())
            if told:
                card = ticket_text.refund_card(conference, removed.server, told, w)
                await sender.send_dm(member_id, card)

        return send

    async def sent(self, delivery: Delivery, ctx: Delivering) -> None:
        await _settle(await _group(delivery, ctx), RegistrationState.REVOKED, ctx)

    async def gone(self, delivery: Delivery, reason: str, ctx: Delivering) -> bool:
        """The server is gone or the bot may not remove the roles: kept as failed, for
        /tickets status to count."""
        await _settle(await _group(delivery, ctx), RegistrationState.FAILED, ctx)
        return False

    async def unreachable(self, delivery: Delivery, reason: str, ctx: Delivering) -> bool:
        """The member left the server (nothing to remove) or closed their DMs (the roles
        were removed first): done either way."""
        await _settle(await _group(delivery, ctx), RegistrationState.REVOKED, ctx)
        return False


async def _group(delivery: Delivery, ctx: Delivering) -> list[Registration]:
    """The registrations one delivery is for: its owner's member's in its server, marked by
    the same check, while the owner itself still is (else none)."""
    tickets = ctx.state.tickets
    owner = await tickets.registration(delivery.owner)
    if owner is None or owner.state is not REVOKING or owner.revoked_ts != delivery.arming:
        return []
    marked = await tickets.registrations(owner.conference, owner.guild_id, owner.member_id,
                                         states=(REVOKING,))  # fmt: skip
    return [r for r in marked if r.revoked_ts == delivery.arming]


async def _settle(group: Sequence[Registration], state: RegistrationState, ctx: Delivering) -> None:
    for registration in group:
        await ctx.state.tickets.settle(registration.id, state, REVOKING, registration.revoked_ts)


KIND = RefundKind()
