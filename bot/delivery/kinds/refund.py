"""A refund: a ticket's roles taken from its member once pretix says it was refunded or
cancelled, and the member told by DM.

Planned for every registration of the conference the refund check marked (state
'revoking'; bot.service.refunds); still wanted while it is marked at the same moment (a
release, or the member registering the ticket again after pretix reinstated it, takes it
back). Owner: the registration; target: the member; arming: when the refund was seen. The
roles the member still holds through another active ticket in the server are kept. Exactly
once like every delivery: claimed before the removal, settled after it; a retry removes
again (a no-op for roles already gone) and then sends the DM.
"""

from __future__ import annotations

import logging
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
from bot.kinds import DeliveryKind, RegistrationState
from bot.render import tickets as ticket_text
from bot.store.ledger_store import Delivery, Planned, Wanted
from bot.store.tickets_store import Registration

log = logging.getLogger(__name__)

REVOKING = RegistrationState.REVOKING
REASON = "ticket refunded or cancelled in pretix"


class RefundKind(DirectKind):
    kind = DeliveryKind.REFUND
    wanted = Wanted.REFUND_PENDING

    async def plan(self, planning: Planning) -> Sequence[Planned]:
        marked = await planning.state.tickets.registrations(planning.conference,
                                                            states=(REVOKING,))  # fmt: skip
        return [Planned(self.kind, r.id, "refund", r.member_id, r.revoked_ts, r.revoked_ts)
                for r in marked]  # fmt: skip

    async def message(self, delivery: Delivery, ctx: Delivering) -> Send:
        tickets = ctx.state.tickets
        registration = await tickets.registration(delivery.owner)
        if (registration is None or registration.state is not REVOKING
                or registration.revoked_ts != delivery.arming):  # fmt: skip
            raise Skip("the ticket was released or registered again")
        held = await tickets.roles_held(registration.guild_id, registration.member_id,
                                        besides=registration.id)  # fmt: skip
        roles = [r for r in registration.roles if r not in held]
        if not roles:
            await self._settle(registration, RegistrationState.REVOKED, ctx)
            raise Skip("the member keeps its roles through another ticket")
        sender = ctx.sender
        conference = ctx.service.conference.name

        async def send() -> None:
            if not isinstance(sender, RoleSender):
                raise TargetGone("this bot's sender cannot remove roles")
            removed = await sender.remove_roles(registration.guild_id, registration.member_id,
                                                roles, REASON)  # fmt: skip
            if removed.roles:
                await sender.send_dm(registration.member_id,
                                     ticket_text.refund_card(conference, removed))  # fmt: skip

        return send

    async def sent(self, delivery: Delivery, ctx: Delivering) -> None:
        registration = await ctx.state.tickets.registration(delivery.owner)
        if registration is not None:
            await self._settle(registration, RegistrationState.REVOKED, ctx, delivery.arming)

    async def gone(self, delivery: Delivery, reason: str, ctx: Delivering) -> bool:
        """The server is gone or the bot may not remove the roles: kept as failed, for
        /tickets status to count."""
        registration = await ctx.state.tickets.registration(delivery.owner)
        if registration is not None:
            await self._settle(registration, RegistrationState.FAILED, ctx, delivery.arming)
        return False

    async def unreachable(self, delivery: Delivery, reason: str, ctx: Delivering) -> bool:
        """The member left the server (nothing to remove) or closed their DMs (the roles
        were removed first): done either way."""
        registration = await ctx.state.tickets.registration(delivery.owner)
        if registration is not None:
            await self._settle(registration, RegistrationState.REVOKED, ctx, delivery.arming)
        return False

    @staticmethod
    async def _settle(
        registration: Registration, state: RegistrationState, ctx: Delivering,
        arming: int | None = None,
    ) -> None:  # fmt: skip
        await ctx.state.tickets.settle(
            registration.id, state, REVOKING, registration.revoked_ts if arming is None else arming
        )


KIND = RefundKind()
