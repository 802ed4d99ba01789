"""Which delivery kinds there are: the one place they are listed.

Each kind is a module under bot/delivery/kinds supplying its plan, its "still wanted"
rule, its message and what to switch off when its target is gone (see
bot/delivery/kind.py); the scheduler drives them all with one ledger loop. Adding a timed
feature is one module with a Kind and one line in KINDS.
"""

from __future__ import annotations

from bot.delivery.kind import ChannelKind, Kind, Planning
from bot.delivery.kinds import changes, correction, qa, refund, reminder, room, slot, talk
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
    refund.KIND,
)

_BY_KIND = {k.kind: k for k in KINDS}

# The kinds bound to a server (posts, threads: their owner is the guild id), sent only by
# the process holding its shard; the others (DMs) are bound to a person, and any process
# may send them (see bot.cluster, and Scope in bot.store.ledger_store).
SERVER_KINDS = frozenset(k.kind for k in KINDS if isinstance(k, ChannelKind))


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
