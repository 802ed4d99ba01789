"""A secret value (an API token, a hashing key) that cannot be printed by accident.

`repr`, `str` and f-strings show a placeholder, so a secret kept in the settings, in an
error or in a log argument never shows its value; the one way to the value is `reveal()`,
called where it is sent (an Authorization header) or used (an HMAC key), and nowhere else.
"""

from __future__ import annotations

import hmac
from typing import Final

HIDDEN: Final = "<hidden>"


class Secret:
    """A string that says `<hidden>` whenever it is shown; `reveal()` gives its value."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret({HIDDEN})"

    def __str__(self) -> str:
        return HIDDEN

    def __format__(self, spec: str) -> str:
        return HIDDEN

    def __eq__(self, other: object) -> bool:
        """Compared in constant time, so a comparison says nothing of the value."""
        if not isinstance(other, Secret):
            return NotImplemented
        return hmac.compare_digest(self._value.encode(), other._value.encode())

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __reduce__(self) -> tuple[object, ...]:
        """Not pickled: a pickle written to disk or sent to a worker would hold the value."""
        raise TypeError("a Secret is not pickled")
