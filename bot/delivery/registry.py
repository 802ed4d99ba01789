"""Which delivery kinds there are: the one place they are listed.

Each kind is a module under bot/delivery/kinds supplying its plan, its "still wanted"
rule, its message and what to switch off when its target is gone (see
bot/delivery/kind.py); the scheduler drives them all with one ledger loop. Adding a timed
feature is one module with a Kind and one line in KINDS.
"""

from __future__ import annotations

from bot.delivery.kind import Kind, Planning
from bot.delivery.kinds import changes, correction, qa, reminder, room, slot, talk
from bot.kinds import DeliveryKind
from bot.store.ledger_store import Planned

KINDS: tuple[Kind, ...] = (
    reminder.KIND,
    slot.KIND,
    talk.KIND,
    room.KIND,
    qa.THREAD,
    qa.CLOSE,
    changes.NOTICE,
    changes.UPDATE,
    correction.KIND,
)

_BY_KIND = {k.kind: k for k in KINDS}


def kind_for(kind: DeliveryKind) -> Kind:
    """The module that handles a delivery of this kind (every DeliveryKind has one; a
    test keeps it so)."""
    return _BY_KIND[kind]


async def plan(planning: Planning) -> list[Planned]:
    """Every kind's plan for one conference, made from the same readings."""
    planned: list[Planned] = []
    for kind in KINDS:
        planned += await kind.plan(planning)
    return planned
