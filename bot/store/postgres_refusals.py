"""Why a PostgreSQL server could not be connected to, as an operator would say it: one
sentence naming what to fix, never the password.

libpq says it on the first line of the driver's error, after "failed:" (a socket's
failure) or "FATAL:" (the server's refusal); a connection's error carries no SQLSTATE, so
the words are all there is to go by. The cases are told apart because their fixes
differ: nothing listening (start the server), something listening that is not PostgreSQL
(correct the address), a server that takes no more clients (close some, or allow more),
one that is starting or stopping (wait), silence past the connect timeout (the host or
the network).
"""

from __future__ import annotations

import re

import psycopg
from psycopg.conninfo import conninfo_to_dict, timeout_from_conninfo

from bot.store.postgres_address import scrubbed

# Seconds to wait for the server to answer a connection, unless the address says
# (libpq's connect_timeout, at least 2).
CONNECT_TIMEOUT = 10

# A socket's failures: nothing accepts connections there.
_NOTHING_LISTENS = ("connection refused", "no route to host", "network is unreachable",
                    "no such file or directory", "connection timed out")  # fmt: skip
# The server's refusals of one more client (SQLSTATE 53300 when a session could tell).
_FULL = ("too many clients", "too many connections", "connection slots are reserved")


def connect_timeout(url: str) -> int:
    """The seconds a connection attempt to `url` may take: its connect_timeout, as libpq
    reads it (at least 2), or CONNECT_TIMEOUT when it names none."""
    try:
        params = conninfo_to_dict(url)
    except psycopg.Error:
        return CONNECT_TIMEOUT
    if "connect_timeout" not in params:
        return CONNECT_TIMEOUT
    try:
        return timeout_from_conninfo(params)
    except psycopg.Error:
        return CONNECT_TIMEOUT


def connect_failure(exc: psycopg.Error, url: str) -> str:
    """Why a connection could not be made (see the module's docstring), without the
    password (the driver's own words quote the address's parts)."""
    text = str(exc).strip()
    # libpq's first line ends with what went wrong, after "failed:" or "FATAL:".
    said = re.split(r"FATAL:|failed:", text.splitlines()[0])[-1].strip() if text else ""
    said = said or type(exc).__name__
    lowered = said.lower()
    server = _server_named(text) or _server_of(url)
    if isinstance(exc, psycopg.ProgrammingError) or ("invalid" in said and "option" in said):
        reason = f"it is not a valid PostgreSQL address ({said})"
    elif match := re.search(r'password authentication failed for user "(.*)"', said):
        reason = f"the server refused the password of the user {match[1]}"
    elif match := re.search(r'database "(.*)" does not exist', said):
        reason = f"the server has no database {match[1]}; create it first"
    elif match := re.search(r'role "(.*)" does not exist', said):
        reason = f"the server has no user {match[1]}"
    elif any(words in lowered for words in _FULL):
        reason = (f"the server at {server} takes no more connections ({said}); close some of"
                  " its other clients, or raise its max_connections")  # fmt: skip
    elif "the database system is" in lowered:  # starting up, shutting down, in recovery
        reason = f"the server at {server} is not ready ({said}); start the bot once it is"
    elif match := re.search(r"failed to resolve host '(.*?)'", said):
        reason = f"the host {match[1]} is not known (its name does not resolve)"
    elif isinstance(exc, psycopg.errors.ConnectionTimeout) or "timeout expired" in lowered:
        reason = (f"nothing answered at {server} within {connect_timeout(url)} seconds (the"
                  " address's connect_timeout); check the host and the network to it")  # fmt: skip
    elif _server_named(text) and any(words in lowered for words in _NOTHING_LISTENS):
        reason = (f"nothing answers at {server} ({said}); start the server there, or correct"
                  " the address")  # fmt: skip
    elif _server_named(text):
        reason = (f"what answers at {server} does not answer as a PostgreSQL server ({said});"
                  " correct the address")  # fmt: skip
    else:
        reason = f"it cannot be connected to ({said})"
    return scrubbed(reason, url)


def first_line(exc: BaseException) -> str:
    """The driver's first line, for a log line or a message while running (never the
    password: libpq names the host and port, not the password)."""
    return (str(exc).strip().split("\n", 1)[0] or type(exc).__name__)[:300]


def _server_named(text: str) -> str | None:
    """The host and port libpq names in its error ('127.0.0.1 port 5432'), if it does."""
    match = re.search(r'connection to server (?:at|on socket) "(.*?)"(?:.*?, port (\d+))? failed',
                      text)  # fmt: skip
    if match is None:
        return None
    return match[1] if match[2] is None else f"{match[1]} port {match[2]}"


def _server_of(url: str) -> str:
    """The host and port the address names (for a failure whose words name none)."""
    try:
        params = conninfo_to_dict(url)
    except psycopg.Error:
        return "the address"
    host = str(params.get("host") or "localhost")
    return f"{host} port {params.get('port') or 5432}"
