"""What a delivery kind supplies to the engine, and what the engine hands it.

A kind (a reminder's DM, a slot's post, a Q&A thread, ...) is one module under
bot/delivery/kinds, listed once in bot/delivery/registry.py. The scheduler is the same
ledger loop for every kind: it asks each kind for its plan, claims a due delivery under
the kind's "still wanted" rule (SQL in the ledger store, so the check stays inside the
atomic claim), asks the kind for its message, sends it, and tells the kind how it went.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Protocol, TypeVar, cast, runtime_checkable

from bot.cluster import Slice
from bot.i18n import Messages, Words, bundled_messages
from bot.kinds import DeliveryKind
from bot.render.cards import Card
from bot.service import ProgramService
from bot.service.announcements import AnnouncementsService
from bot.store.ledger_store import Delivery, Planned, Wanted
from bot.store.state import StateStore

T = TypeVar("T")

Send = Callable[[], Awaitable[None]]
"""A message ready to go: awaiting it sends it (and keeps what the send made)."""


class Skip(Exception):
    """Raised by a kind's message: it no longer makes sense (its item left the program or
    ended); the delivery is settled 'skipped' with the reason, never sent."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Unreachable(Exception):
    """This user cannot be sent a DM (closed DMs, blocked bot): do not retry."""


class TargetGone(Exception):
    """The channel or server is gone, or the bot lost permission: stop announcing there."""


class TryLater(Exception):
    """A temporary failure (Discord error, network): retry a few times, then give up.
    Any other exception from a send is treated the same way. `retry_after`: the seconds
    Discord asked to wait (a 429), which the retry honours if longer than the backoff."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PartlySent(Exception):
    """A delivery of several messages failed after some were posted (the ledger counts
    them): retried like any failure, the retry sends only the messages after those.
    `retry_after`: the cause's, if Discord asked to wait."""

    def __init__(self, sent: int, total: int, cause: BaseException) -> None:
        super().__init__(f"sent {sent} of {total} messages, then {describe(cause)}")
        self.cause = cause
        self.retry_after = cause.retry_after if isinstance(cause, TryLater) else None


class PartsChanged(Exception):
    """A retry of a delivery of several messages found fewer messages than had already
    gone out (the program changed since): which are left cannot be told, so nothing more
    is sent and the delivery is settled failed, saying so."""

    def __init__(self, sent: int, total: int) -> None:
        super().__init__(
            f"sent {sent} of its messages before a failure, but it is now {total} message"
            f"{'' if total == 1 else 's'} (the program changed): the rest not sent"
        )


def describe(exc: BaseException) -> str:
    """One line for the ledger and the log: the type, and the message if there is one."""
    text = str(exc)
    if isinstance(exc, (TryLater, PartlySent)):  # already worded (by the sender, by us)
        return text
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class Sender(Protocol):
    """How deliveries leave the process; the Discord adapter implements it, raising
    Unreachable, TargetGone or TryLater for what the engine must know of a failure."""

    async def send_dm(self, user_id: int, card: Card) -> None: ...

    async def post(
        self, channel_id: int, cards: Sequence[Card], text: str | None = None
    ) -> None: ...

    async def open_thread(
        self, forum_id: int, name: str, card: Card, tags: Sequence[str]
    ) -> tuple[int, int]:
        """A forum post; returns the thread's id and its first message's id."""
        ...

    async def edit_first_message(self, thread_id: int, message_id: int, card: Card) -> None: ...

    async def rename_thread(self, thread_id: int, name: str) -> None:
        """Give a thread a new name (its talk was retitled)."""
        ...

    async def close_thread(self, thread_id: int, note: str | None = None) -> None:
        """Post the note if any, then lock and archive the thread."""
        ...

    async def reopen_thread(self, thread_id: int) -> None:
        """Unlock and unarchive a thread closed before."""
        ...


@runtime_checkable
class LocaleSender(Sender, Protocol):
    """A Sender that knows each server's own language (the Discord adapter's does: the
    server's locale, as Discord says it), for posts made without anyone's interaction."""

    def server_locale(self, guild_id: int) -> str | None:
        """Discord's locale string for the server ('de', 'en-US'), None if not known."""
        ...


@dataclass(frozen=True, slots=True)
class RolesRemoved:
    """What a removal of roles did: the server's name and the names of the roles the
    member had and no longer has (deleted roles are left out), and of those asked for that
    they did not hold (a retry finds there those an earlier try removed)."""

    server: str
    roles: tuple[str, ...]
    lacked: tuple[str, ...] = ()


@runtime_checkable
class RoleSender(Sender, Protocol):
    """A Sender that can also take roles from a member (a refunded ticket's, see
    bot.delivery.kinds.refund); the Discord adapter's sender is one."""

    async def remove_roles(
        self, guild_id: int, member_id: int, role_ids: Sequence[int], reason: str
    ) -> RolesRemoved:
        """Remove these roles from the member. Raises Unreachable when the member is no
        longer in the server, TargetGone when the server is gone or the bot may not
        (Manage Roles missing, a role above its own), TryLater for anything else."""
        ...


@dataclass(frozen=True, slots=True)
class Planning:
    """What one re-plan of one conference sees: the program served now, the state, and
    the moment. Several kinds plan from the same settings (announcements, reminders), so
    `read` makes each reading once per re-plan."""

    service: ProgramService
    state: StateStore
    now_ts: int
    _read: dict[object, Any] = field(default_factory=dict)

    @property
    def conference(self) -> str:
        return self.service.conference.key

    async def read(self, reading: Callable[[Planning], Awaitable[T]]) -> T:
        """`reading(self)`, made once per re-plan however many kinds ask for it
        (`reading` is a module-level function: it is the key)."""
        if reading not in self._read:
            self._read[reading] = await reading(self)
        return cast(T, self._read[reading])


@dataclass(frozen=True, slots=True)
class Delivering:
    """What a kind's message and outcome hooks work with for one delivery."""

    service: ProgramService
    state: StateStore
    sender: Sender
    now: datetime
    # People with a failed reminder they have not been told about (the scheduler's
    # failed_users, which the reminders cog reads on every command).
    failed_users: set[int]
    # This process's shards: what a kind keeps in step outside the ledger in a server
    # (follow) is the business of the process holding that server, as its deliveries are.
    shards: Slice = field(default_factory=Slice)
    # The catalogs posts are worded from (see server_words).
    messages: Messages = field(default_factory=bundled_messages)

    @property
    def conference(self) -> str:
        return self.service.conference.key

    @property
    def now_ts(self) -> int:
        return int(self.now.timestamp())

    async def server_words(self, guild_id: int) -> Words:
        """The words of a server's channel posts: the language its organisers set with
        /announce language, else the server's own (as the sender knows it), else English."""
        sender = self.sender
        locale = sender.server_locale(guild_id) if isinstance(sender, LocaleSender) else None
        language = await AnnouncementsService(self.state.announcements).post_language(
            guild_id, locale
        )
        return self.messages.words(language)


class Kind(ABC):
    """One kind of delivery: the four parts every kind supplies (abstract, so a kind
    missing one fails when its module is imported) and two most kinds leave as they are."""

    kind: ClassVar[DeliveryKind]
    wanted: ClassVar[Wanted]  # the ledger's rule for "still wanted", checked in the claim

    @abstractmethod
    async def plan(self, planning: Planning) -> Sequence[Planned]:
        """The deliveries this kind wants to exist for the conference (the ledger is made
        to match: new ones added, moved ones moved, those no longer planned cancelled).
        A plan does not depend on the moment (except to leave out what is too old to tell):
        what falls due while the bot is down is still in the ledger at the next start,
        sent late if its message still makes sense, else skipped."""

    @abstractmethod
    async def message(self, delivery: Delivery, ctx: Delivering) -> Send:
        """Build the message now, from the program served now; raise Skip if it no longer
        makes sense. Nothing is sent until the returned Send is awaited."""

    @abstractmethod
    async def gone(self, delivery: Delivery, reason: str, ctx: Delivering) -> bool:
        """The target is gone or closed to us: switch off what planned it. True if
        something was switched off (the engine then re-plans)."""

    @abstractmethod
    async def unreachable(self, delivery: Delivery, reason: str, ctx: Delivering) -> bool:
        """The recipient cannot be reached (closed DMs): keep that. True to re-plan."""

    async def sent(self, delivery: Delivery, ctx: Delivering) -> None:
        """After the ledger says 'sent': settle what asked for it, if anything."""
        return None

    async def started(self, ctx: Delivering) -> None:
        """When the scheduler starts, after crash recovery: take up what this kind keeps
        in memory between deliveries (the people with an untold failed reminder)."""
        return None

    async def follow(self, ctx: Delivering) -> None:
        """Each pass, before sending: keep what was delivered earlier in step with the
        program (outside the ledger: doing it twice must change nothing)."""
        return None


class ChannelKind(Kind):
    """A kind that posts in a channel, a forum or a thread: the sender says TargetGone
    when it cannot, never Unreachable."""

    async def unreachable(self, delivery: Delivery, reason: str, ctx: Delivering) -> bool:
        return False


class DirectKind(Kind):
    """A kind that sends a person a DM: the sender says Unreachable when it cannot (closed
    DMs), never TargetGone; there is no channel to lose."""

    async def gone(self, delivery: Delivery, reason: str, ctx: Delivering) -> bool:
        return False
