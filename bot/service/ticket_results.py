"""What the ticket service answers (bot.service.tickets): one typed result per outcome, for
the adapters to say (bot.render.tickets) and act on (give roles, report to the log channel).

No result holds a name, an e-mail address, an order code or a ticket secret: the attendee
typed them, and nothing after the lookup needs them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.i18n import Language
from bot.service.attempts import LimitScope, RateLimited
from bot.service.ticket_input import BadInput, Field, InputProblem
from bot.store.tickets_store import LogTrouble, RoleMapping, TicketCounts
from bot.tickets.errors import Failure


@dataclass(frozen=True, slots=True)
class Granted:
    """The member's tickets here are registered to them: give them `roles` (every role
    their tickets of this attempt give; some they may hold already), then tell
    TicketService.gave which ones Discord gave."""

    roles: tuple[int, ...]
    tickets: int  # tickets of this attempt now registered to the member
    others: int  # tickets of the same order another member holds (left out)
    log_channel_id: int | None  # where to report it (member and roles only), if anywhere
    # Registrations made by this attempt: TicketService.undo takes them back if Discord
    # would not give the roles, so nothing stays half-granted.
    new: tuple[int, ...] = field(default=(), repr=False)
    # Each registration of this attempt and the roles its ticket maps to; and the roles
    # the member held through their registrations here before it (given by the bot, not
    # by hand). A registration keeps the roles of its own that Discord gave now or that
    # the bot gave before: only those may a refund or a release take back.
    claims: tuple[tuple[int, tuple[int, ...]], ...] = field(default=(), repr=False)
    before: frozenset[int] = field(default=frozenset(), repr=False)


@dataclass(frozen=True, slots=True)
class AlreadyRegistered:
    """Every ticket found is registered to another account of this server."""


@dataclass(frozen=True, slots=True)
class NoMatch:
    """The one answer for every failed match: no such order, a wrong e-mail address, an
    unknown ticket secret, a test-mode order. It never says which."""


@dataclass(frozen=True, slots=True)
class Unpaid:
    """The order exists and matched, but is not paid (pending, or expired)."""


@dataclass(frozen=True, slots=True)
class Canceled:
    """The order, or the ticket, was cancelled or refunded."""


@dataclass(frozen=True, slots=True)
class NoRoles:
    """The ticket is valid, but no role is set for its products in this server
    (`mapped`: some product has a role here, just not these)."""

    mapped: bool


@dataclass(frozen=True, slots=True)
class Unavailable:
    """pretix gave no usable answer: nothing was registered. `detail` is the operator's
    sentence (for the log; never shown to the member), `retry_after` seconds when pretix
    asked to wait."""

    failure: Failure
    detail: str
    retry_after: float | None = None


@dataclass(frozen=True, slots=True)
class NotConfigured:
    """The conference has no pretix event (CONFBOT_PRETIX_EVENT_URL)."""

    conference: str


RegisterResult = (
    Granted | AlreadyRegistered | NoMatch | Unpaid | Canceled | NoRoles | RateLimited
    | BadInput | Unavailable | NotConfigured
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Unnamed:
    """A product, or one variation of it, with no name to show: pretix gives it none, or
    cannot be asked now. Shown by its ids, in the reader's words ("product 12, variation
    34"); `product`: the product's own name, when only its variation lacks one."""

    item_id: int
    variation_id: int | None = None
    product: str = ""


Label = str | Unnamed
"""A product's label: pretix's name for it, or its ids for the renderer to say."""


@dataclass(frozen=True, slots=True)
class ItemChoice:
    """A product, or one variation of it, as an organiser picks it: `value` is what an
    autocomplete sends back ("12" or "12/34"), `label` what it shows."""

    item_id: int
    variation_id: int | None
    label: Label
    active: bool = True

    @property
    def value(self) -> str:
        if self.variation_id is None:
            return str(self.item_id)
        return f"{self.item_id}/{self.variation_id}"


@dataclass(frozen=True, slots=True)
class NoSuchItem:
    """What was typed names no product of the event."""

    text: str


@dataclass(frozen=True, slots=True)
class BadItemText:
    """What an organiser typed for a product is no one's product: blank (EMPTY), longer
    than any (TOO_LONG, `length` characters), or holding control characters (CONTROL).
    pretix is not asked."""

    problem: InputProblem
    length: int = 0


@dataclass(frozen=True, slots=True)
class Mapped:
    """A product now gives a role (`new`: it did not before)."""

    choice: ItemChoice
    role_id: int
    new: bool


@dataclass(frozen=True, slots=True)
class MappingLine:
    """One mapping as /tickets status lists it: the product's label as pretix names it
    now (or its id, when pretix cannot be asked or no longer has it)."""

    mapping: RoleMapping
    label: Label


@dataclass(frozen=True, slots=True)
class TicketStatus:
    conference: str
    configured: bool  # the conference has a pretix event
    mappings: tuple[MappingLine, ...]
    log_channel_id: int | None
    counts: TicketCounts
    log_off: LogTrouble | None = None  # why reporting in that channel stopped, if it did


@dataclass(frozen=True, slots=True)
class RoleUnmapped:
    """A role Discord deleted, and the products (labels, across the server's
    conferences) that gave it: their mappings to it are removed."""

    role_id: int
    labels: tuple[Label, ...]


@dataclass(frozen=True, slots=True)
class RolesUnmapped:
    """Mappings removed because their roles were deleted, and whom to tell: the log
    channel (None: none, or reporting there stopped), else the organiser who last set a
    mapping or the log channel (0: no one known), in the language they set it in (None:
    not known)."""

    roles: tuple[RoleUnmapped, ...]
    log_channel_id: int | None
    organiser_id: int
    organiser_language: Language | None = None


@dataclass(frozen=True, slots=True)
class Released:
    """A member's tickets in a server freed for another account: how many, and the roles
    they had given (the adapter may take them back)."""

    tickets: int
    roles: tuple[int, ...]


__all__ = [
    "AlreadyRegistered",
    "BadInput",
    "BadItemText",
    "Canceled",
    "Field",
    "Granted",
    "InputProblem",
    "ItemChoice",
    "Label",
    "LimitScope",
    "Mapped",
    "MappingLine",
    "NoMatch",
    "NoRoles",
    "NoSuchItem",
    "NotConfigured",
    "RateLimited",
    "RegisterResult",
    "Released",
    "RoleUnmapped",
    "RolesUnmapped",
    "TicketStatus",
    "Unavailable",
    "Unnamed",
    "Unpaid",
]
