"""What counts as an http(s) address, read in one place.

Addresses come from the operator (CONFBOT_PROGRAM), from organisers in Discord
(/conference add, /stream set), from servers (redirects) and from program files (a
talk's page and links, before they are shown in Discord). urlsplit and yarl raise a
bare ValueError deep inside for 'https://[x/y' and accept a host with spaces or control
characters; reading every address here means no caller meets either, and each says what
is wrong in one sentence. It is a module of its own, not part of the settings, because
the fetch and the Discord commands read addresses too and have no business importing the
operator's configuration to do so.
"""

from __future__ import annotations

import re
import unicodedata

from yarl import URL

from bot.i18n.messages import N_
from bot.template import Worded

_WEB_SCHEME = re.compile(r"\s*https?:", re.I)
# A host name as it is looked up (IDNA-encoded by yarl): letters, digits, '-', '_', '.'.
_HOST_NAME = re.compile(r"[A-Za-z0-9._-]+")
SHOWN_MAX = 100  # characters of a bad address repeated back to the person who gave it


class AddressError(Worded, ValueError):
    """An http(s) address that is not well formed, as one sentence saying what is wrong
    (a template: the person who gave it reads it in their language)."""


def is_url(text: str) -> bool:
    """Meant as an http(s) address, not a file path: only the scheme is looked at, so
    this never fails; `web_address` says whether the rest is well formed."""
    return _WEB_SCHEME.match(text) is not None


def web_address(text: str) -> URL:
    """The one reading of an http(s) address, wherever one comes from: yarl's URL, with
    what a URL cannot hold (spaces, '|', non-ASCII) percent-encoded when it is printed, or
    an AddressError with one sentence."""
    address = text.strip()
    said = shown(address)
    if not is_url(address):
        raise AddressError(N_("{address} is not an http or https address."), address=said)
    control = next((i for i, c in enumerate(address) if unicodedata.category(c) == "Cc"), None)
    if control is not None:
        # Where and what, not the text: an address pasted with what followed it (a
        # header, a token) must not be repeated into a log or a reply.
        raise AddressError(
            N_("The address holds a control character ({kind}) at character {position};"
               " give the address alone."),
            kind=_kind(address[control]), position=str(control + 1),
        )  # fmt: skip
    try:
        url = URL(address)
    except ValueError as exc:
        raise AddressError(N_("{address} is not a well-formed address ({error})."),
                           address=said, error=str(exc)) from None  # fmt: skip
    except IndexError:  # yarl (1.25) when nothing follows a bracket and an '@'
        raise AddressError(N_("{address} is not a well-formed address."), address=said) from None
    host = url.raw_host
    if not host:
        raise AddressError(N_("{address} has no host name."), address=said)
    if ":" not in host and not _HOST_NAME.fullmatch(host):  # ':' only in an IPv6 literal
        raise AddressError(N_("{address} has a host name no host can have ({host})."),
                           address=said, host=shown(host))  # fmt: skip
    return url


_CONTROL_NAMES = {"\n": "a line break", "\r": "a carriage return", "\t": "a tab",
                  "\x00": "a NUL"}  # fmt: skip


def _kind(char: str) -> str:
    """A control character named, as one who types can recognise it."""
    return _CONTROL_NAMES.get(char, f"U+{ord(char):04X}")


def shown(text: str) -> str:
    """Part of an address someone typed or a server sent (a redirect's Location), safe
    to repeat in one line: control characters and line breaks shown as '?', and at most
    SHOWN_MAX characters."""
    flat = "".join("?" if unicodedata.category(c) == "Cc" else c for c in text)
    return flat if len(flat) <= SHOWN_MAX else flat[: SHOWN_MAX - 1] + "…"
