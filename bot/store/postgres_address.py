"""A PostgreSQL server's address (postgresql://user:password@host:port/database?options),
as CONFBOT_STATE_URL or a hosting platform's DATABASE_URL give it: what is one, and how
to name one in a message without its password."""

from __future__ import annotations

import re
from urllib.parse import unquote

SCHEMES = ("postgresql", "postgres")
HIDDEN = "***"
_PASSWORD_PARAMETER = re.compile(r"(?i)([?&]password=)[^&#]*")


def is_postgres(url: str) -> bool:
    """Whether `url` is a PostgreSQL address (either scheme libpq takes)."""
    scheme, sep, _ = url.partition("://")
    return bool(sep) and scheme.lower() in SCHEMES


def scheme_of(url: str) -> str:
    """What `url` starts with, for a sentence refusing it (never its password)."""
    scheme, sep, _ = url.partition("://")
    return f"{scheme}://" if sep and scheme.isascii() and scheme.isalnum() else "no scheme"


def password_of(url: str) -> str | None:
    """The password written in the address, if any (to keep it out of messages)."""
    _, _, rest = url.partition("://")
    userinfo, at, _ = rest.rpartition("@")
    if not at or ":" not in userinfo:
        return None
    return userinfo.split(":", 1)[1] or None


def redacted(url: str) -> str:
    """The address with its password (in the user part or a parameter) replaced by ***,
    for every message and log line that names it. Everything up to the last @ is the
    user part, so a password holding an unencoded @ or / is hidden too."""
    scheme, sep, rest = url.partition("://")
    if sep:
        userinfo, at, host = rest.rpartition("@")
        if at and ":" in userinfo:
            rest = f"{userinfo.split(':', 1)[0]}:{HIDDEN}@{host}"
        url = f"{scheme}{sep}{rest}"
    return _PASSWORD_PARAMETER.sub(rf"\g<1>{HIDDEN}", url)


def scrubbed(text: str, url: str) -> str:
    """`text` (a driver's message) with the address's password taken out, written as in
    the address or decoded, wherever the driver quoted it."""
    secrets = {password_of(url)} | {m.group(0).split("=", 1)[1]
                                    for m in _PASSWORD_PARAMETER.finditer(url)}  # fmt: skip
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        for form in {secret, unquote(secret)}:
            text = text.replace(form, HIDDEN)
    return text
