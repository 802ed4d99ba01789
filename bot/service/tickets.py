"""Tickets: an attendee proves a pretix ticket and is given the roles its products map to.
What /register and /tickets do, without Discord (the adapter gives and takes the roles).

A registration looks up one order (code and e-mail) or one ticket (its secret): one or two
requests to pretix, whatever the event's size. It is refused with one generic answer for
every failed match, so it never tells whether an order exists; an order that matched but
is not paid, or was cancelled, is said as such. Each ticket (order position) belongs to
one member per server: a second account is refused; the member who registered it may
register again (their roles are given again). What is kept of a ticket is a keyed hash of
pretix's pseudonymous id for it (HMAC-SHA256, the key the operator's or the bot's own):
never the id itself, a name, an e-mail address, an order code or a secret.

Attempts are limited per member and per server (bot.service.attempts) before pretix is
asked; pretix's failures are one answer (Unavailable) and nothing is registered. Takes
`now` from the caller.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import unicodedata
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

from bot.i18n import Language, known_language
from bot.normalize import without_invisible
from bot.secret import Secret
from bot.service.attempts import AttemptLimiter
from bot.service.program_service import MAX_QUERY
from bot.service.ticket_input import (
    BadInput,
    InputProblem,
    OrderCode,
    TicketInput,
    TicketSecret,
    read_input,
)
from bot.service.ticket_results import (
    AlreadyRegistered,
    BadItemText,
    Canceled,
    Granted,
    ItemChoice,
    Label,
    Mapped,
    MappingLine,
    NoMatch,
    NoRoles,
    NoSuchItem,
    NotConfigured,
    RegisterResult,
    Released,
    RolesUnmapped,
    RoleUnmapped,
    TicketStatus,
    Unavailable,
    Unnamed,
    Unpaid,
)
from bot.settings import PretixEvent
from bot.store.tickets_store import LogChannel, LogTrouble, RoleMapping, TicketStore, Unmapped
from bot.tickets.errors import PretixError
from bot.tickets.model import Item, Order, OrdersPage, OrderStatus, Position

log = logging.getLogger(__name__)

ITEMS_FRESH = 60.0  # seconds the event's products are kept for autocomplete
ITEMS_STALE = 3_600.0  # ...and shown when pretix cannot be asked, up to this old
CHOICES_MAX = 25  # what Discord's autocomplete shows


class TicketSource(Protocol):
    """What the service needs of a pretix event (bot.tickets.client.PretixClient)."""

    event: PretixEvent

    @property
    def where(self) -> str: ...

    async def find_order(self, code: str, email: str) -> Order | None: ...

    async def order(self, code: str) -> Order | None: ...

    async def find_position(self, secret: str) -> Position | None: ...

    async def items(self) -> list[Item]: ...

    async def changed_orders(
        self, since: str, first_page: int, max_pages: int,
        each: Callable[[OrdersPage], Awaitable[None]],
    ) -> None: ...  # fmt: skip


class TicketHasher:
    """The keyed hash that stands for a ticket in the state: HMAC-SHA256 of the
    conference and pretix's pseudonymous id of the position. The key is the operator's
    (CONFBOT_PRETIX_HASH_KEY), else one the bot makes once and keeps in the state."""

    def __init__(self, store: TicketStore, key: Secret | None = None) -> None:
        self._store = store
        self._key: bytes | None = key.reveal().encode() if key is not None else None

    async def __call__(self, conference: str, pseudonymization_id: str) -> str:
        key = self._key
        if key is None:
            kept = await self._store.keep_hash_key(secrets.token_hex(32))
            key = self._key = kept.encode()
        message = f"{conference}\x00{pseudonymization_id}".encode()
        return hmac.new(key, message, hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class _Found:
    """The valid positions a lookup found."""

    positions: tuple[Position, ...]


class TicketService:
    """Registrations and their settings, for every conference with a pretix event."""

    def __init__(
        self,
        store: TicketStore,
        sources: Mapping[str, TicketSource],
        hasher: TicketHasher,
        limiter: AttemptLimiter | None = None,
    ) -> None:
        """`sources`: conference key -> its pretix event."""
        self.store = store
        self.sources = dict(sources)
        self.hasher = hasher
        self.limiter = limiter or AttemptLimiter()
        self._items: dict[str, tuple[float, list[Item]]] = {}

    def configured(self, conference: str) -> bool:
        return conference in self.sources

    # -- attendees -----------------------------------------------------------------------

    async def register(
        self, conference: str, guild_id: int, member_id: int, code: str, email: str,
        now: datetime, language: Language | None = None,
    ) -> RegisterResult:  # fmt: skip
        """/register: the two fields as typed ("Order code", which also takes a ticket's
        secret, and "E-mail address"), checked, looked up, and registered; `language`,
        the member's, is kept with the registration for the DM should it be refunded."""
        source = self.sources.get(conference)
        if source is None:
            return NotConfigured(conference)
        ticket = read_input(code, email, source.event.event)
        if isinstance(ticket, BadInput):
            return ticket
        limited = self.limiter.attempt(guild_id, member_id, now)
        if limited is not None:
            return limited
        try:
            found = await _look_up(source, ticket)
        except PretixError as exc:
            log.warning("registration in guild %d not looked up: %s", guild_id, exc.sentence)
            return Unavailable(exc.failure, exc.sentence, exc.retry_after)
        if not isinstance(found, _Found):
            return found
        mappings = await self.store.mappings(conference, guild_id)
        if not mappings:
            return NoRoles(mapped=False)
        tickets = []
        for position in found.positions:
            roles = roles_for(position, mappings)
            if roles:
                tickets.append((await self.hasher(conference, position.pseudonymization_id),
                                tuple(sorted(roles))))  # fmt: skip
        if not tickets:
            return NoRoles(mapped=True)
        now_ts = int(now.timestamp())
        # What the bot gave this member here so far (read before the claim rewrites it):
        # a role they hold from it is the bot's to take back; one they hold otherwise is not.
        before = frozenset(await self.store.roles_held(guild_id, member_id, besides=0,
                                                       revoking=True))  # fmt: skip
        kept = [(ticket_hash, [r for r in roles if r in before]) for ticket_hash, roles in tickets]
        claimed = await self.store.claim(conference, guild_id, member_id, kept, now_ts,
                                         language.value if language else None)  # fmt: skip
        if not claimed.new and not claimed.own:
            return AlreadyRegistered()
        claims = tuple((reg_id, roles) for reg_id, (_, roles) in zip(claimed.ids, tickets,
                                                                     strict=True)
                       if reg_id is not None)  # fmt: skip
        wanted = sorted({role for _, roles in claims for role in roles})
        log_channel = await self.store.log_channel(guild_id)
        return Granted(tuple(wanted), len(claims), claimed.taken, log_channel, claimed.new,
                       claims, before)  # fmt: skip

    async def gave(self, granted: Granted, member_id: int, given: Sequence[int]) -> None:
        """Discord gave the member `given` (the roles of `granted.roles` they lacked): each
        registration keeps those of its roles, and those the bot had given them before;
        never a role they held otherwise (given by hand), which a refund must not take."""
        ours = granted.before | set(given)
        await self.store.gave(member_id, [(reg_id, [r for r in roles if r in ours])
                                          for reg_id, roles in granted.claims])  # fmt: skip

    async def leave_out(self, granted: Granted, gone: Collection[int]) -> Granted:
        """Roles the server no longer has are not given (see roles_deleted), and the
        ticket gives those that still exist: a registration of this attempt left with no
        role is undone, as a ticket whose products give no role is never registered; the
        others keep only the roles that exist. If none is left, nothing was registered
        (`roles` is empty: the adapter answers as for NoRoles)."""
        gone_set = set(gone)
        claims = tuple((reg_id, tuple(r for r in roles if r not in gone_set))
                       for reg_id, roles in granted.claims)  # fmt: skip
        empty = [reg_id for reg_id, roles in claims if not roles and reg_id in granted.new]
        await self.store.undo(empty)
        kept = tuple((reg_id, roles) for reg_id, roles in claims if reg_id not in empty)
        return replace(
            granted,
            roles=tuple(r for r in granted.roles if r not in gone_set),
            tickets=len(kept),
            new=tuple(r for r in granted.new if r not in empty),
            claims=kept,
        )

    async def undo(self, granted: Granted) -> None:
        """Discord would not give the roles: take back the registrations this attempt
        made, so the ticket is not held by a member who did not get its roles."""
        await self.store.undo(granted.new)

    # -- organisers ----------------------------------------------------------------------

    async def choices(
        self, conference: str, now: datetime, typed: str = ""
    ) -> list[ItemChoice] | Unavailable | NotConfigured:
        """The event's products and their variations (for autocomplete: those whose
        label or value holds `typed`, at most CHOICES_MAX)."""
        items = await self._event_items(conference, now)
        if not isinstance(items, list):
            return items
        wanted = typed.strip().casefold()
        found = [c for c in _choices(items)
                 if wanted in _named(c.label).casefold() or wanted == c.value]  # fmt: skip
        return found[:CHOICES_MAX]

    async def resolve_item(
        self, conference: str, text: str, now: datetime
    ) -> ItemChoice | NoSuchItem | BadItemText | Unavailable | NotConfigured:
        """What an organiser typed or picked: an autocomplete value ("12", "12/34"), a
        label as listed, or a part of one that names a single product. Text no one would
        mean (blank, too long, control characters) is refused (BadItemText) before pretix
        is asked; invisible characters are dropped."""
        typed = _typed_product(text)
        if isinstance(typed, BadItemText):
            return typed
        items = await self._event_items(conference, now)
        if not isinstance(items, list):
            return items
        every = _choices(items)
        wanted = typed.casefold()
        exact = [c for c in every if c.value == wanted]
        exact = exact or [c for c in every if _named(c.label).casefold() == wanted]
        if exact:
            return exact[0]
        partial = [c for c in every if wanted in _named(c.label).casefold()]
        return partial[0] if len(partial) == 1 else NoSuchItem(typed)

    async def map_role(
        self, conference: str, guild_id: int, choice: ItemChoice, role_id: int, now: datetime,
        set_by: int = 0, language: Language | None = None,
    ) -> Mapped:  # fmt: skip
        """`set_by`: the organiser, told if the role is deleted later (roles_deleted), in
        `language` (theirs)."""
        new = await self.store.map_role(conference, guild_id, choice.item_id, choice.variation_id,
                                        role_id, int(now.timestamp()), set_by,
                                        language.value if language else None)  # fmt: skip
        return Mapped(choice, role_id, new)

    async def roles_deleted(self, guild_id: int, role_ids: Collection[int]) -> list[Unmapped]:
        """Discord deleted these roles: no product gives them any more (a mapping to a
        role that is gone would fail every registration of its product). The removed
        mappings are returned to the one caller that removed them, to tell organisers
        once (unmapped_notice); [] if there were none, or another caller removed them."""
        removed = await self.store.unmap_roles(guild_id, sorted(set(role_ids)))
        for role_id in sorted({u.mapping.role_id for u in removed}):
            log.warning("role %d of server %d was deleted; products no longer give it",
                        role_id, guild_id)  # fmt: skip
        return removed

    async def roles_missing(self, guild_id: int, existing: Collection[int]) -> list[Unmapped]:
        """roles_deleted for every mapped role the server no longer has (`existing`: its
        roles now), for a deletion the bot did not hear of (it was down, say)."""
        gone = (await self.store.mapped_roles(guild_id)).difference(existing)
        return await self.roles_deleted(guild_id, gone) if gone else []

    async def unmapped_notice(
        self, guild_id: int, removed: Sequence[Unmapped], now: datetime
    ) -> RolesUnmapped:
        """What organisers are told of mappings removed with their roles (one entry per
        role, its products as pretix names them), and whom to tell: the log channel,
        else the organiser who last set a mapping (these included) or the log channel."""
        labels = await self._labels(sorted({u.conference for u in removed}), now)
        by_role: dict[int, list[Label]] = {}
        for u in removed:
            key = (u.conference, u.mapping.item_id, u.mapping.variation_id)
            named = by_role.setdefault(u.mapping.role_id, [])
            if (label := labels.get(key) or _unnamed(u.mapping)) not in named:
                named.append(label)
        roles = tuple(RoleUnmapped(role, tuple(names)) for role, names in sorted(by_role.items()))
        setters = [(u.updated_ts, u.set_by, u.language) for u in removed if u.set_by]
        if (last := await self.store.last_setter(guild_id)) is not None:
            setters.append(last)
        _, organiser, language = max(setters, key=lambda s: s[:2]) if setters else (0, 0, None)
        return RolesUnmapped(roles, await self.store.log_channel(guild_id), organiser,
                             known_language(language))  # fmt: skip

    async def _labels(
        self, conferences: Sequence[str], now: datetime
    ) -> dict[tuple[str, int, int | None], Label]:
        """(conference, product, variation) -> its label, for the conferences whose
        products pretix lists now or did lately (the others are named by their ids)."""
        labels: dict[tuple[str, int, int | None], Label] = {}
        for conference in conferences:
            items = await self._event_items(conference, now)
            if isinstance(items, list):
                labels |= {(conference, c.item_id, c.variation_id): c.label
                           for c in _choices(items)}  # fmt: skip
        return labels

    async def unmap_role(
        self, conference: str, guild_id: int, choice: ItemChoice, role_id: int | None = None
    ) -> int:
        """Stop a product (or variation) giving a role, or every role; how many mappings
        went. Roles already given stay."""
        return await self.store.unmap_role(conference, guild_id, choice.item_id,
                                           choice.variation_id, role_id)  # fmt: skip

    async def set_log_channel(
        self, guild_id: int, channel_id: int | None, now: datetime, set_by: int = 0,
        language: Language | None = None,
    ) -> None:  # fmt: skip
        """Where registrations are reported, set by the organiser `set_by` (the one told,
        in `language`, if posting there fails)."""
        await self.store.set_log_channel(guild_id, channel_id, int(now.timestamp()), set_by,
                                         language.value if language else None)  # fmt: skip

    async def log_channel_failed(
        self, guild_id: int, channel_id: int, trouble: LogTrouble, now: datetime
    ) -> LogChannel | None:
        """The log channel is gone or closed to the bot: reporting there stops (the
        registrations go on). Returns the setting, for its organiser to be told, only to
        the first caller: later registrations find it stopped and say nothing."""
        if not await self.store.log_channel_off(guild_id, channel_id, trouble,
                                                int(now.timestamp())):  # fmt: skip
            return None
        log.warning("ticket log channel %d of server %d: %s; reports stopped", channel_id,
                    guild_id, trouble)  # fmt: skip
        return await self.store.log_setting(guild_id)

    async def status(self, conference: str, guild_id: int, now: datetime) -> TicketStatus:
        mappings = await self.store.mappings(conference, guild_id)
        labels: dict[tuple[int, int | None], Label] = {}
        if mappings and self.configured(conference):
            items = await self._event_items(conference, now)
            if isinstance(items, list):
                labels = {(c.item_id, c.variation_id): c.label for c in _choices(items)}
        lines = tuple(MappingLine(m, labels.get((m.item_id, m.variation_id)) or _unnamed(m))
                      for m in mappings)  # fmt: skip
        log_setting = await self.store.log_setting(guild_id)
        return TicketStatus(conference, self.configured(conference), lines,
                            log_setting.channel_id if log_setting else None,
                            await self.store.counts(conference, guild_id),
                            log_setting.off if log_setting else None)  # fmt: skip

    async def release(self, conference: str, guild_id: int, member_id: int) -> Released:
        """/tickets release: the member's tickets in this server may be registered by
        another account; returns the roles they had given."""
        gone = await self.store.release(conference, guild_id, member_id)
        return Released(len(gone), tuple(sorted({role for r in gone for role in r.roles})))

    async def _event_items(
        self, conference: str, now: datetime
    ) -> list[Item] | Unavailable | NotConfigured:
        source = self.sources.get(conference)
        if source is None:
            return NotConfigured(conference)
        at = now.timestamp()
        kept = self._items.get(conference)
        if kept is not None and at - kept[0] < ITEMS_FRESH:
            return kept[1]
        try:
            items = await source.items()
        except PretixError as exc:
            log.warning("the products of %s not listed: %s", conference, exc.sentence)
            if kept is not None and at - kept[0] < ITEMS_STALE:
                return kept[1]
            return Unavailable(exc.failure, exc.sentence, exc.retry_after)
        self._items[conference] = (at, items)
        return items


async def _look_up(
    source: TicketSource, ticket: TicketInput
) -> _Found | NoMatch | Unpaid | Canceled:
    """The valid positions of the order (code and e-mail) or of the one ticket (secret)."""
    if isinstance(ticket, OrderCode):
        order = await source.find_order(ticket.code, ticket.email)
        if order is None:
            return NoMatch()
        return _valid(order, order.positions)
    assert isinstance(ticket, TicketSecret)
    position = await source.find_position(ticket.secret)
    if position is None:
        return NoMatch()
    if position.canceled:
        return Canceled()
    order = await source.order(position.order)
    if order is None:
        return NoMatch()  # a test-mode order, or gone since
    current = [p for p in order.positions if p.id == position.id]
    return _valid(order, current)


def _valid(order: Order, positions: Sequence[Position]) -> _Found | Unpaid | Canceled:
    if order.status is OrderStatus.CANCELED:
        return Canceled()
    if order.status is not OrderStatus.PAID:
        return Unpaid()
    live = tuple(p for p in positions if not p.canceled)
    return _Found(live) if live else Canceled()


def _typed_product(text: str) -> str | BadItemText:
    """A product as typed, read as a search is (bot.service.program_service.clean_query):
    tabs are spaces, invisible characters go, runs of spaces are one; or why it is none."""
    text = without_invisible(text.replace("\t", " ")).strip()
    if not text:
        return BadItemText(InputProblem.EMPTY)
    if len(text) > MAX_QUERY:
        return BadItemText(InputProblem.TOO_LONG, len(text))
    if any(unicodedata.category(ch) == "Cc" for ch in text):
        return BadItemText(InputProblem.CONTROL)
    return " ".join(text.split())


def roles_for(position: Position, mappings: Sequence[RoleMapping]) -> set[int]:
    """The roles a position gives: its product's (every variation) and its variation's."""
    return {
        m.role_id
        for m in mappings
        if m.item_id == position.item
        and (m.variation_id is None or m.variation_id == position.variation)
    }


def _choices(items: Sequence[Item]) -> list[ItemChoice]:
    """Each product, then each of its variations, as an organiser picks them."""
    choices = []
    for item in items:
        choices.append(ItemChoice(item.id, None, item.name or Unnamed(item.id), item.active))
        for v in item.variations:
            label = f"{item.name} – {v.name}" if v.name else Unnamed(item.id, v.id, item.name)
            choices.append(ItemChoice(item.id, v.id, label, item.active and v.active))
    return choices


def _unnamed(mapping: RoleMapping) -> Unnamed:
    """A mapped product pretix does not name now: the renderer says its ids."""
    return Unnamed(mapping.item_id, mapping.variation_id)


def _named(label: Label) -> str:
    """A label as typed text can match it: pretix's name (one without a name matches
    only by its value, "12" or "12/34")."""
    return label if isinstance(label, str) else ""
