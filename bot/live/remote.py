"""A program published at an http(s) address (pretalx's schedule.json, .xml or .ics),
fetched the careful way: conditional requests (ETag, Last-Modified) so an unchanged
program costs a 304 and no parsing, a time limit, a size cap read as it streams, few
redirects, and only the address the operator configured.

The cap is on the program as it is inflated, as well as on the bytes on the wire: a
300 KB deflate body inflates to 300 MB. aiohttp before 3.13.3 (CVE-2025-69223) inflated
every network read whole before anyone could count it, so the body is read raw and
inflated here, 64 KB at a time and no more than the room left under the cap, letting the
event loop run between pieces.

The last good copy is kept as a file beside the database, so the bot starts from it with
no network and every reader reads it like any program file. The bot keeps each version in
the state database first, with its validators (bot.live.served), and the file after: the
file is a cache, written back from the state when it is missing or differs (a disk wiped
by a deploy: bot.live.restore).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
from aiohttp.abc import AbstractResolver
from yarl import URL

from bot.address import AddressError, shown, web_address
from bot.i18n.messages import N_
from bot.importer.limits import MAX_BYTES
from bot.importer.registry import read_source
from bot.live.guard import NotPublic, SourceRefused, check_address, guarded_connector
from bot.template import Worded

log = logging.getLogger(__name__)

TIMEOUT = 30.0  # seconds for one fetch, connection to last byte
MAX_REDIRECTS = 3
CHUNK = 65_536
# The encodings confbot inflates itself, under the cap; a server must not send others.
ACCEPT_ENCODING = "gzip, deflate"
GZIP_WBITS = 16 + zlib.MAX_WBITS
MAX_MEMBERS = 1024  # gzip members in one body, as aiohttp allows


def meta_path(copy: Path) -> Path:
    """Where what the server said of a kept copy (ETag, Last-Modified) is kept."""
    return copy.with_name(copy.name + ".json")


class _Clause(Worded):
    """A sentence quoted inside another, without its full stop."""

    clause = True


class FetchError(Worded):
    """The source did not give a program this time: one sentence, for the log and /status
    (in English, str()), and for an organiser adding it (a template, in their language)."""


@dataclass(frozen=True, slots=True)
class Download:
    """A version as the server sent it: not yet read, not yet kept."""

    body: bytes = field(repr=False)
    validators: Validators


@dataclass(frozen=True, slots=True)
class Validators:
    """What the server said about the copy we have, for a conditional request."""

    etag: str | None = None
    last_modified: str | None = None

    @classmethod
    def sendable(cls, etag: str | None, last_modified: str | None) -> Validators:
        """What a server said, keeping only what can be sent back as it was said: a
        validator is repeated in every later request, and one holding a control character
        (which aiohttp refuses to send, with a ValueError) or a byte that is not ASCII (a
        lone surrogate, once decoded) would fail every check after it, whatever the server
        sends next. Without it the next check fetches the whole program, as a first one."""
        return cls(_sendable(etag), _sendable(last_modified))


class RemoteProgram:
    def __init__(
        self, url: str, copy: Path, timeout: float = TIMEOUT, max_bytes: int = MAX_BYTES,
        guard: AbstractResolver | None = None,
    ) -> None:  # fmt: skip
        """`guard`: for a source added from Discord, the resolver that lets the fetch
        reach public addresses only, over https, redirects included (bot.live.guard).
        A malformed address raises AddressError (a ValueError) with one sentence."""
        self.address = web_address(url)
        self.url = url
        self.copy = copy
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.guard = guard
        self._meta = meta_path(copy)

    @property
    def validators(self) -> Validators:
        try:
            data = json.loads(self._meta.read_text(encoding="utf-8"))
            return Validators.sendable(data.get("etag"), data.get("last_modified"))
        except (OSError, ValueError):
            return Validators()

    async def fetch(self, default_zone: str | None = None) -> bool:
        """Download and keep a new version (the first start); False if the server says it
        is unchanged. A body that is not a program a reader understands is refused
        (FetchError), so the copy is always a good version."""
        download = await self.download()
        if download is None:
            return False
        await asyncio.to_thread(self._check_and_keep, download, default_zone)
        return True

    async def download(self) -> Download | None:
        """The new version's body, unchecked and not kept (a follower reads it once, and
        keeps it only when it is applied); None if the server says it is unchanged."""
        headers = {"User-Agent": "confbot (conference program bot)",
                   "Accept-Encoding": ACCEPT_ENCODING}  # fmt: skip
        known = self.validators if self.copy.is_file() else Validators()
        if known.etag:
            headers["If-None-Match"] = known.etag
        if known.last_modified:
            headers["If-Modified-Since"] = known.last_modified
        timeout = aiohttp.ClientTimeout(total=self.timeout)
        connector = guarded_connector(self.guard) if self.guard is not None else None
        try:
            async with aiohttp.ClientSession(
                timeout=timeout, connector=connector, auto_decompress=False
            ) as session:
                return await self._get(session, headers)
        except TimeoutError:
            raise FetchError(N_("{url} did not answer within {seconds} s"), url=self.url,
                             seconds=f"{self.timeout:.0f}") from None  # fmt: skip
        except SourceRefused as exc:
            raise FetchError("{refused}", refused=exc) from None
        except aiohttp.ClientConnectorError as exc:
            if self.guard is not None and isinstance(refused := exc.os_error, NotPublic):
                raise FetchError(N_("{host} resolves to {reason}; only public addresses can be"
                                    " fetched"), host=refused.host,
                                 reason=refused.reason) from None  # fmt: skip
            raise self._unreached(exc) from None
        except aiohttp.ClientError as exc:
            raise self._unreached(exc) from None

    def _unreached(self, exc: Exception) -> FetchError:
        return FetchError(N_("{url} could not be reached ({error})"), url=self.url,
                          error=type(exc).__name__)  # fmt: skip

    def _over_cap(self) -> FetchError:
        return FetchError(N_("{url} is over the {cap}-byte cap"), url=self.url,
                          cap=self.max_bytes)  # fmt: skip

    async def _get(
        self, session: aiohttp.ClientSession, headers: dict[str, str]
    ) -> Download | None:
        """Follow redirects one hop at a time, so a guarded fetch checks every address."""
        url = self.address
        for _ in range(MAX_REDIRECTS + 1):
            if self.guard is not None:
                check_address(url)
            async with session.get(url, headers=headers, allow_redirects=False) as response:
                if response.status in (301, 302, 303, 307, 308) and "Location" in response.headers:
                    url = self._redirected(url, response.headers["Location"])
                    continue
                if response.status == 304:
                    return None
                if response.status != 200:
                    raise FetchError(N_("{url} answered HTTP {status}"), url=self.url,
                                     status=str(response.status))  # fmt: skip
                body = await self._read_capped(response)
                said = response.headers
                validators = Validators.sendable(said.get("ETag"), said.get("Last-Modified"))
                return Download(body, validators)
        raise FetchError(N_("{url} redirects more than {count} times"), url=self.url,
                         count=str(MAX_REDIRECTS))  # fmt: skip

    def _redirected(self, url: URL, location: str) -> URL:
        """Where a redirect points, read like any address: a malformed Location is this
        fetch's failure, in one sentence, not a ValueError from deep inside yarl."""
        try:
            target = str(url.join(URL(location)))
        except (ValueError, IndexError):  # yarl: IndexError for 'https://[::1]@'
            said = shown(location)
            raise FetchError(N_("{url} redirects to {location}, which is no address"),
                             url=self.url, location=repr(said)) from None  # fmt: skip
        try:
            return web_address(target)
        except AddressError as exc:
            raise FetchError(N_("{url} redirects elsewhere: {refused}"), url=self.url,
                             refused=_Clause(exc.template, **exc.values)) from None  # fmt: skip

    @contextlib.contextmanager
    def staged(self, download: Download) -> Iterator[Path]:
        """The body as a file named like the copy (so it hashes like it), in a folder of
        its own that is removed after the block."""
        self.copy.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=".incoming-", dir=self.copy.parent) as folder:
            staged = Path(folder) / self.copy.name
            staged.write_bytes(download.body)
            yield staged

    def unreadable(self, exc: Exception) -> FetchError:
        return FetchError(N_("{url} gave no program confbot reads: {error}"), url=self.url,
                          error=str(exc))  # fmt: skip

    def _check_and_keep(self, download: Download, default_zone: str | None) -> None:
        with self.staged(download) as staged:
            try:
                read_source(staged, default_zone)
            except Exception as exc:
                raise self.unreadable(exc) from None
        self.keep(download)

    def keep(self, download: Download) -> None:
        """Replace the copy (atomically) and remember what the server said of it."""
        self.write(download)
        log.info("kept a new version of %s (%d bytes)", self.url, len(download.body))

    def write(self, download: Download) -> None:
        """The copy and its validators, as files, each replaced atomically: a new version
        (keep), or the version served written back from the state database (which every
        process of a cluster does at its start, on a disk they may share)."""
        self.copy.parent.mkdir(parents=True, exist_ok=True)
        _replace(self.copy, download.body)
        meta = {"etag": download.validators.etag,
                "last_modified": download.validators.last_modified, "url": self.url}  # fmt: skip
        _replace(self._meta, json.dumps(meta).encode())

    def _check_member(self, encoding: str, members: int) -> None:
        """A gzip body may be several members one after another (aiohttp reads up to
        MAX_MEMBERS), each read in turn, so none is silently left out; a deflate body is
        one stream, and data after it is refused rather than ignored."""
        if members > 1 and encoding == "deflate":
            raise FetchError(N_("{url} sent data after the end of its deflate body"), url=self.url)
        if members > MAX_MEMBERS:
            raise FetchError(N_("{url} sent a gzip body in more than {count} parts"), url=self.url,
                             count=str(MAX_MEMBERS))  # fmt: skip

    async def _read_capped(self, response: aiohttp.ClientResponse) -> bytes:
        """The body, inflated as it arrives and refused once it passes the cap: never more
        than the cap and a CHUNK or two is held while reading, however well the body
        compresses (and the body twice over for the moment it is returned)."""
        declared = response.content_length
        if declared is not None and declared > self.max_bytes:
            raise FetchError(N_("{url} is {size} bytes, over the {cap} cap"), url=self.url,
                             size=declared, cap=self.max_bytes)  # fmt: skip
        encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
        if encoding not in ("identity", "gzip", "x-gzip", "deflate"):
            raise FetchError(N_("{url} is sent {encoding}-encoded, which confbot does not read"),
                             url=self.url, encoding=repr(encoding))  # fmt: skip
        body = bytearray()
        inflater: zlib._Decompress | None = None
        members = wire = 0
        try:
            async for chunk in response.content.iter_chunked(CHUNK):
                wire += len(chunk)  # bounds the reading of a body that inflates to little
                if encoding == "identity":
                    body += chunk
                    pending = b""
                else:
                    pending = chunk
                while pending and len(body) <= self.max_bytes:
                    if inflater is None or inflater.eof:  # gzip may come in parts (members)
                        members += 1
                        self._check_member(encoding, members)
                        inflater = zlib.decompressobj(_wbits(encoding, pending))
                    # A CHUNK at a time: asked for all the room left, zlib hands back one
                    # piece as large as the cap, held beside the body (twice it).
                    room = min(CHUNK, self.max_bytes + 1 - len(body))
                    body += inflater.decompress(pending, room)
                    pending = inflater.unused_data if inflater.eof else inflater.unconsumed_tail
                    await asyncio.sleep(0)  # 64 KB of zeros inflate to 64 MB: let others run
                if len(body) > self.max_bytes or wire > self.max_bytes:
                    raise self._over_cap()
            if inflater is not None:
                # All input is consumed, so only zlib's few pending bytes are left (flush's
                # argument would be a starting buffer size, not a limit).
                body += inflater.flush()
                if len(body) > self.max_bytes:
                    raise self._over_cap()
                if not inflater.eof:
                    raise FetchError(N_("{url} sent a {encoding} body that ends early"),
                                     url=self.url, encoding=encoding)  # fmt: skip
        except zlib.error:
            raise FetchError(N_("{url} sent a {encoding} body that does not inflate"),
                             url=self.url, encoding=encoding) from None  # fmt: skip
        return bytes(body)


def _replace(path: Path, data: bytes) -> None:
    """`path` replaced by `data` at once: written to a file of this writer's own beside
    it, then renamed over it (a trial name shared by two writers let one rename the
    other's file away)."""
    fd, trial = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".new", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
        os.replace(trial, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(trial)
        raise


def _sendable(validator: object) -> str | None:
    """A validator that can go back in a request header as it came: printable ASCII."""
    if not isinstance(validator, str) or not validator.isascii():
        return None
    return validator if validator.isprintable() else None


def _wbits(encoding: str, first: bytes) -> int:
    """How zlib reads a body: gzip's header, or deflate's zlib header (RFC 1950), or raw
    deflate without one, which some servers send as 'deflate' all the same."""
    if encoding != "deflate":
        return GZIP_WBITS
    return zlib.MAX_WBITS if first[:1] and first[0] & 0x0F == 8 else -zlib.MAX_WBITS
