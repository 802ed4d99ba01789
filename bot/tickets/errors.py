"""The one error a pretix request ends in, whatever went wrong: a kind (for the service's
choice of answer) and one sentence (for the log and the operator), never holding the token,
an order code, an e-mail address or a ticket secret."""

from __future__ import annotations

from enum import StrEnum


class Failure(StrEnum):
    """What went wrong, as far as the bot can act on it."""

    REFUSED = "refused"  # 401 or 403: the token is wrong, expired or may not read orders
    MISSING = "missing"  # 404 on an address that must exist (the event's lists)
    BUSY = "busy"  # 429: pretix asks to wait (retry_after seconds)
    DOWN = "down"  # 5xx, a connection refused or reset
    SLOW = "slow"  # no whole answer within the time limit
    GARBAGE = "garbage"  # an answer that is not what pretix documents (type, size, shape)
    ELSEWHERE = "elsewhere"  # a redirect, or a page link, pointing away from the event


class PretixError(Exception):
    """A pretix request that gave no usable answer; `str()` is one sentence."""

    def __init__(self, failure: Failure, sentence: str, retry_after: float | None = None) -> None:
        super().__init__(sentence)
        self.failure = failure
        self.sentence = sentence
        # Seconds pretix asked to wait (429's Retry-After), when it said so.
        self.retry_after = retry_after
