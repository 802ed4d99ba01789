"""What confbot keeps of pretix's answers: only the fields it acts on, checked.

pretix answers with names, addresses, answers to questions and more; none of that is read
into these records, so none of it can travel further by mistake. The e-mail address of an
order is kept only for the one comparison that proves a registration, and is not shown in
the record's repr.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class OrderStatus(StrEnum):
    """An order's `status` as pretix documents it."""

    PENDING = "n"
    PAID = "p"
    EXPIRED = "e"
    CANCELED = "c"


@dataclass(frozen=True, slots=True)
class Position:
    """One ticket (or add-on) of an order: what it is, and the id that stands for it."""

    id: int
    order: str = field(repr=False)  # the order's code: never shown
    positionid: int
    item: int
    variation: int | None
    # pretix's random id for the position, the only thing a registration keeps (hashed).
    pseudonymization_id: str = field(repr=False)
    canceled: bool = False
    addon_to: int | None = None


@dataclass(frozen=True, slots=True)
class Order:
    """One order: its status and its positions (canceled ones only when asked for)."""

    code: str = field(repr=False)
    status: OrderStatus
    email: str | None = field(repr=False)
    testmode: bool
    positions: tuple[Position, ...]

    @property
    def canceled(self) -> bool:
        return self.status is OrderStatus.CANCELED


@dataclass(frozen=True, slots=True)
class Variation:
    id: int
    name: str
    active: bool = True


@dataclass(frozen=True, slots=True)
class Item:
    """A product of the event (a ticket, an add-on), with its variations."""

    id: int
    name: str
    active: bool = True
    admission: bool = False
    variations: tuple[Variation, ...] = ()


@dataclass(frozen=True, slots=True)
class OrdersPage:
    """One page of orders changed since a moment: `generated` is the moment pretix began
    answering (X-Page-Generated), the `modified_since` of the next check; `more` whether a
    next page exists."""

    orders: tuple[Order, ...]
    number: int
    more: bool
    generated: str | None
