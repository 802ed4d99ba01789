"""One frozen settings object, read from the environment and `.env`, checked at once.

A bad value stops the program at start-up with one sentence naming the variable,
instead of surfacing as a strange failure an hour into the conference.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import overload

from dotenv import dotenv_values
from yarl import URL

from bot.address import AddressError, is_url, shown, web_address
from bot.cluster import MAX_SHARDS, Slice, parse_ids
from bot.i18n.language import Language
from bot.model import load_zone
from bot.secret import Secret
from bot.store.postgres_address import is_postgres, scheme_of

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# Installed from a wheel, the bundled program is inside the package (see pyproject.toml);
# in a checkout (also an editable install) it is data/ at the top level.
_PACKAGED_PROGRAM = Path(__file__).resolve().parent / "bundled" / "osdi24"
BUNDLED_PROGRAM = (
    _PACKAGED_PROGRAM if _PACKAGED_PROGRAM.is_dir() else PROJECT_ROOT / "data" / "osdi24"
)
# Databases go to var/ in a checkout, and to the user's state folder for an installed
# copy: never into site-packages.
_IN_CHECKOUT = (PROJECT_ROOT / "pyproject.toml").is_file()
_STATE_HOME = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")
VAR = PROJECT_ROOT / "var" if _IN_CHECKOUT else _STATE_HOME / "confbot"
DEFAULT_DB = VAR / "confbot.db"
DEFAULT_STATE_DB = VAR / "confbot-state.db"
LOG_LEVELS = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG")


class SettingsError(ValueError):
    """A configuration value is wrong; the message names the variable and the fix."""


def copy_path(db_path: Path) -> Path:
    """Where the last good copy of a program at an address is kept, beside the database."""
    return db_path.with_name(f"{db_path.stem}-source")


def kept_path(db_path: Path) -> Path:
    """Where the operator's program, missing on disk, is unpacked from the state database
    to be served (see bot.live.restore), beside the database."""
    return db_path.with_name(f"{db_path.stem}-kept")


def missing_program(program: Path) -> SettingsError:
    """The operator's program is not on disk, and the state database kept no version of it."""
    return SettingsError(
        f"CONFBOT_PROGRAM={program} does not exist; give a program export (pretalx or"
        " frab schedule.json or schedule.xml, an .ics feed, an Indico export) or a"
        " directory (unset it for the bundled OSDI '24); separate several with commas."
    )


def own_db_path(db_path: Path, where: str) -> Path:
    """The program database of one of several sources: named after the source, so each
    keeps its own database (and address copy) whatever order they are listed in."""
    digest = hashlib.sha256(where.encode()).hexdigest()[:12]
    return db_path.with_name(f"{db_path.stem}-{digest}{db_path.suffix}")


@dataclass(frozen=True, slots=True)
class PretixEvent:
    """A conference's pretix event, whose tickets give roles: its REST API address
    (`https://HOST/api/v1/organizers/ORG/events/EVENT/`, always ending in '/') and an
    API token with read access to its orders, never shown (see bot.secret)."""

    url: str
    organizer: str
    event: str
    token: Secret


@dataclass(frozen=True, slots=True)
class Source:
    """One program the bot serves: a file or directory, or an address followed through
    the copy kept at `program`; each has its own program database, and may have a pretix
    event whose tickets give roles (CONFBOT_PRETIX_EVENT_URL, in the same order)."""

    program: Path
    url: str | None
    db_path: Path
    pretix: PretixEvent | None = None

    @property
    def where(self) -> str:
        return self.url or str(self.program)


Getter = Callable[[str], str | None]


def _number(
    get: Getter,
    name: str,
    default: str,
    low: float,
    high: float,
    meaning: str,
) -> float:
    """A number setting within [low, high], or a SettingsError saying what it must be."""
    text = get(name) or default
    try:
        value = float(text)
    except ValueError:
        value = float("nan")  # fails the range check below
    if not low <= value <= high:
        raise SettingsError(f"{name} must be {meaning}, not {text!r}.")
    return value


@overload
def _whole(get: Getter, name: str, default: str, low: int, high: int) -> int: ...
@overload
def _whole(get: Getter, name: str, default: None, low: int, high: int) -> int | None: ...
def _whole(get: Getter, name: str, default: str | None, low: int, high: int) -> int | None:
    """A whole-number setting within [low, high] (None if unset with no default), or a
    SettingsError saying what it must be."""
    text = get(name) or default
    if text is None:
        return None
    if not text.isascii() or not text.isdigit() or not low <= int(text) <= high:
        raise SettingsError(f"{name} must be a whole number from {low} to {high}, not {text!r}.")
    return int(text)


def zone_setting(value: str, name: str) -> str:
    """`value` if it names a time zone; else a SettingsError naming `name` (a variable or
    a command-line option)."""
    try:
        load_zone(value)
    except ValueError as exc:
        raise SettingsError(f"{name}: {exc}") from None
    return value


def language_setting(value: str, name: str) -> Language:
    """The language `value` names (en, de or fr, in any case); else a SettingsError
    naming `name` (a variable or a command-line option)."""
    try:
        return Language(value.strip().lower())
    except ValueError:
        codes = ", ".join(language.value for language in Language)
        raise SettingsError(f"{name} must be one of {codes}, not {value!r}.") from None


@dataclass(frozen=True, slots=True)
class Settings:
    # A program file or directory in any format bot/importer/registry.py reads; for a
    # program at an address (program_url), the last good copy fetched from it.
    program: Path = BUNDLED_PROGRAM
    program_url: str | None = None
    # The zone of a program whose file names none (IANA name such as Europe/Berlin).
    timezone: str | None = None
    db_path: Path = DEFAULT_DB
    discord_token: str | None = field(default=None, repr=False)
    # The application's id (DISCORD_CLIENT_ID), for the address `invite` prints.
    discord_client_id: int | None = None
    guild_id: int | None = None
    simulated_now: datetime | None = None
    log_level: str | None = None  # None: INFO for the bot, WARNING for the console
    # Tests only: a local fake Discord (http://127.0.0.1:PORT) instead of discord.com.
    test_discord_url: str | None = None
    # Reminders, announcement settings and the delivery ledger (never rebuilt).
    state_db: Path = DEFAULT_STATE_DB
    # The same on a PostgreSQL server instead (CONFBOT_STATE_URL, or a hosting platform's
    # DATABASE_URL), shared by a cluster of processes; it holds a password, so no repr.
    state_url: str | None = field(default=None, repr=False)
    state_url_from: str = "CONFBOT_STATE_URL"  # which of the two set it, for messages
    # Connections a process keeps to that server for the reads outside a write, beside
    # its one writing connection (bot.store.postgres_database.READERS, the same default);
    # 0: the reads take their turn on the writing one.
    state_read_connections: int = 4
    # Seconds between two deliveries, bot-wide: every conference shares one pace
    # (bot/delivery/pacer.py), under which all requests stay at 40 a second at most.
    delivery_pace: float = 0.1
    # Active reminders one person may have: each is re-planned on every change.
    max_reminders: int = 200
    # Seconds between two checks of the program source for a new version.
    sync_interval: float = 300.0
    # A new version removing more than this share of the talks waits for an organiser.
    sync_max_removed: float = 0.25
    # In a cluster (a PostgreSQL state): seconds between two tries to lead each conference
    # (and heartbeats), so one whose leader died is taken over within that time; and
    # between two checks of the state for a version a lost notice did not tell of.
    lead_retry: float = 10.0
    follow_check: float = 60.0
    # The delivery ledger's leases (bot/delivery/scheduler.py): seconds a reserved or
    # sending delivery stays this process's without renewal (a dead process's are taken
    # over once it ends), seconds between two renewals while it holds any, and, with a
    # shared state, seconds between two looks at the ledger at most (what another process
    # left or planned is seen by then).
    lease: int = 60
    lease_renew: float = 20.0
    ledger_check: float = 20.0
    # Gateway shards over every process (CONFBOT_SHARD_COUNT); None lets Discord say how
    # many (one until a bot is in 2,500 servers), all run here.
    shards: int | None = None
    # This process's shards (CONFBOT_SHARD_IDS): all of them but in a cluster of several
    # processes, each with a slice; it sets the process's share of the send budget too.
    shard_slice: Slice = field(default_factory=Slice)
    # Every program the operator configured (CONFBOT_PROGRAM, comma-separated); the fields
    # program, program_url and db_path above are the first one's.
    sources: tuple[Source, ...] = ()
    # Tests only: sources added from Discord may be http and on loopback or private hosts.
    allow_private_sources: bool = False
    # Servers whose organisers (Manage Server) decide on new versions of the operator's
    # programs, beside the application's owner or team (CONFBOT_OPERATOR_SERVERS).
    operator_servers: frozenset[int] = frozenset()
    # Seconds between two checks of each pretix event for refunded or cancelled tickets.
    pretix_interval: float = 300.0
    # The key of the hashes that stand for tickets in the state (CONFBOT_PRETIX_HASH_KEY);
    # None: the bot makes one and keeps it in the state database.
    pretix_hash_key: Secret | None = None
    # The language the console answers in (CONFBOT_LANGUAGE, or --language), for an
    # organiser trying what a German or French reader meets; the bot speaks each
    # reader's own language.
    console_language: Language = Language.EN

    def __post_init__(self) -> None:
        # program, program_url and db_path always name the first source, also in settings
        # built in code or changed with dataclasses.replace.
        kept = self.sources[0] if self.sources else None
        same = kept is not None and (kept.program, kept.url, kept.db_path) == (
            self.program, self.program_url, self.db_path)  # fmt: skip
        first = Source(self.program, self.program_url, self.db_path,
                       kept.pretix if same and kept is not None else None)  # fmt: skip
        object.__setattr__(self, "sources", (first, *self.sources[1:]))
        if not self.shard_slice.is_whole and self.shard_slice.count != self.shards:
            raise ValueError("a slice of the shards is a slice of all the bot's `shards`")

    @property
    def state_shared(self) -> bool:
        """Whether several processes can share this state, as a cluster's must (each
        holds a slice of the shards; reminders and the ledger are the bot's). SQLite state
        is one process's; a PostgreSQL state (CONFBOT_STATE_URL or DATABASE_URL) is
        shared, and from_mapping refuses a slice without it."""
        return self.state_url is not None

    def for_source(self, source: Source) -> Settings:
        """These settings as seen by one conference's start-up, follower and versions."""
        return dataclasses.replace(
            self, program=source.program, program_url=source.url, db_path=source.db_path,
            sources=(source,),
        )  # fmt: skip

    def added_source(self, url: str) -> Settings:
        """The settings of a source a server added from Discord: its copy and database
        are kept in a folder beside the state database, named after the address."""
        folder = self.state_db.with_name(f"{self.state_db.stem}-sources")
        db_path = own_db_path(folder / "program.db", url)
        return self.for_source(Source(copy_path(db_path), url, db_path))

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, dotenv_path: Path | None = None
    ) -> Settings:
        """Environment variables win over `.env`, which wins over the defaults."""
        values: dict[str, str] = {}
        dotenv_file = dotenv_path if dotenv_path is not None else Path.cwd() / ".env"
        if dotenv_file.is_file():
            values.update({k: v for k, v in dotenv_values(dotenv_file).items() if v is not None})
        values.update(os.environ if environ is None else environ)
        return cls.from_mapping(values)

    @classmethod
    def from_mapping(cls, values: Mapping[str, str]) -> Settings:
        def get(name: str) -> str | None:
            value = values.get(name, "").strip()
            return value or None

        db_path = Path(get("CONFBOT_DB") or DEFAULT_DB).expanduser()
        if db_path.is_dir():
            raise SettingsError(f"CONFBOT_DB={db_path} is a directory; give a file path.")
        sources = _sources(get("CONFBOT_PROGRAM"), db_path)
        zone = get("CONFBOT_TIMEZONE")
        if zone is not None:
            zone_setting(zone, "CONFBOT_TIMEZONE")
        guild = get("CONFBOT_GUILD_ID")
        if guild is not None and not guild.isdigit():
            raise SettingsError(f"CONFBOT_GUILD_ID must be a server id (digits), not {guild!r}.")
        client_id = get("DISCORD_CLIENT_ID")
        if client_id is not None and not (client_id.isascii() and client_id.isdigit()):
            raise SettingsError(
                "DISCORD_CLIENT_ID must be the application id (digits, under General"
                f" Information in the developer portal), not {client_id!r}."
            )
        now_text = get("CONFBOT_NOW")
        simulated = None
        if now_text is not None:
            try:
                simulated = datetime.fromisoformat(now_text.replace("Z", "+00:00"))
            except ValueError:
                simulated = None
            if simulated is None or not 1900 <= simulated.year <= 2999:
                raise SettingsError(
                    f"CONFBOT_NOW must be an ISO time such as 2024-07-10T10:50 (years 1900 to"
                    f" 2999), not {now_text!r}."
                )
        level = (get("LOG_LEVEL") or "").upper() or None
        if level is not None and level not in LOG_LEVELS:
            raise SettingsError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, not {level!r}.")
        state_db = Path(get("CONFBOT_STATE_DB") or db_path.with_name(f"{db_path.stem}-state.db"))
        state_url, state_url_from = _state_url(get)
        read_connections = _whole(get, "CONFBOT_STATE_READ_CONNECTIONS", "4", 0, 32)
        pace = _number(get, "CONFBOT_DELIVERY_PACE", "0.1", 0, 60, "seconds between 0 and 60")
        max_reminders = _whole(get, "CONFBOT_MAX_REMINDERS", "200", 1, 100_000)
        sync_interval = _number(get, "CONFBOT_SYNC_INTERVAL", "300", 1, 86_400,
                                "seconds from 1 to 86400")  # fmt: skip
        max_removed = _number(get, "CONFBOT_SYNC_MAX_REMOVED", "0.25", 0, 1,
                              "a share from 0 to 1 (0.25 is a quarter of the talks)")  # fmt: skip
        shards, shard_slice = _shard_slice(get)
        lead_retry = _number(get, "CONFBOT_LEAD_RETRY", "10", 1, 3600, "seconds from 1 to 3600")
        follow_check = _number(get, "CONFBOT_FOLLOW_CHECK", "60", 1, 86_400,
                               "seconds from 1 to 86400")  # fmt: skip
        lease, lease_renew, ledger_check = _leases(get)
        test_url = get("CONFBOT_TEST_DISCORD_URL")
        test_host = test_url and _address_setting("CONFBOT_TEST_DISCORD_URL", test_url).host
        if test_url is not None and test_host not in ("127.0.0.1", "localhost"):
            raise SettingsError("CONFBOT_TEST_DISCORD_URL may only point at 127.0.0.1 (tests).")
        allow_private = (get("CONFBOT_ALLOW_PRIVATE_SOURCES") or "no").lower()
        if allow_private not in ("yes", "no"):
            raise SettingsError(
                f"CONFBOT_ALLOW_PRIVATE_SOURCES must be yes or no, not {allow_private!r}."
            )
        operator_servers = _server_ids(get("CONFBOT_OPERATOR_SERVERS"), "CONFBOT_OPERATOR_SERVERS")
        events = _pretix_events(get("CONFBOT_PRETIX_EVENT_URL"), get("CONFBOT_PRETIX_TOKEN"),
                                len(sources))  # fmt: skip
        sources = tuple(
            dataclasses.replace(s, pretix=e) for s, e in zip(sources, events, strict=True)
        )
        pretix_interval = _number(get, "CONFBOT_PRETIX_INTERVAL", "300", 30, 86_400,
                                  "seconds from 30 to 86400")  # fmt: skip
        settings = cls(
            console_language=language_setting(get("CONFBOT_LANGUAGE") or "en", "CONFBOT_LANGUAGE"),
            program=sources[0].program,
            program_url=sources[0].url,
            timezone=zone,
            db_path=sources[0].db_path,
            sources=sources,
            allow_private_sources=allow_private == "yes",
            operator_servers=operator_servers,
            discord_token=get("DISCORD_TOKEN"),
            discord_client_id=int(client_id) if client_id else None,
            guild_id=int(guild) if guild else None,
            simulated_now=simulated,
            log_level=level,
            test_discord_url=test_url,
            state_db=state_db.expanduser(),
            state_url=state_url,
            state_url_from=state_url_from,
            state_read_connections=read_connections,
            delivery_pace=pace,
            max_reminders=max_reminders,
            sync_interval=sync_interval,
            sync_max_removed=max_removed,
            shards=shards,
            shard_slice=shard_slice,
            lead_retry=lead_retry,
            follow_check=follow_check,
            lease=lease,
            lease_renew=lease_renew,
            ledger_check=ledger_check,
            pretix_interval=pretix_interval,
            pretix_hash_key=_hash_key(get("CONFBOT_PRETIX_HASH_KEY")),
        )
        if not shard_slice.is_whole and not settings.state_shared:
            raise SettingsError(
                f"CONFBOT_SHARD_IDS runs {shard_slice.describe()} in this process, but its state"
                f" is SQLite ({settings.state_db}), which only one process can use: give the"
                " processes a shared PostgreSQL state (CONFBOT_STATE_URL), or unset"
                " CONFBOT_SHARD_IDS to run every shard in this one."
            )
        return settings

    def configure_logging(self, default: str = "INFO") -> None:
        level = self.log_level or default
        logging.basicConfig(level=level, format="%(asctime)s %(levelname)-7s %(name)s: %(message)s")
        # psycopg's pool warns of every reading connection of the state it finds lost or
        # cannot make, several lines each; the state database says an outage once, as it
        # begins and as it ends (bot.store.postgres_database). DEBUG keeps them.
        if level != "DEBUG":
            logging.getLogger("psycopg.pool").setLevel(logging.ERROR)


def _state_url(get: Getter) -> tuple[str | None, str]:
    """The PostgreSQL server to keep the state on, and the variable that named it:
    CONFBOT_STATE_URL, else DATABASE_URL (what hosting platforms set); (None, ...) for
    the SQLite file. An address of another kind is refused, never used as a file."""
    named = (("CONFBOT_STATE_URL", get("CONFBOT_STATE_URL")), ("DATABASE_URL", get("DATABASE_URL")))
    for name, url in named:
        if url is None:
            continue
        if not is_postgres(url):
            raise SettingsError(
                f"{name} must be a PostgreSQL address (postgresql://user:password@host/database),"
                f" not one with {scheme_of(url)}."
            )
        return url, name
    return None, "CONFBOT_STATE_URL"


def _leases(get: Getter) -> tuple[int, float, float]:
    """CONFBOT_LEASE, CONFBOT_LEASE_RENEW (a third of the lease, 20 s at most, unless set)
    and CONFBOT_LEDGER_CHECK (see Settings.lease): a renewal must come at least twice
    within a lease, so one late renewal (a busy process, a slow database) never lets a
    live process's lease end."""
    lease = _whole(get, "CONFBOT_LEASE", "60", 2, 3600)
    renew = _number(get, "CONFBOT_LEASE_RENEW", f"{min(20.0, lease / 3):g}", 0.1, lease / 2,
                    f"seconds from 0.1 to half of CONFBOT_LEASE ({lease / 2:g})")  # fmt: skip
    check = _number(get, "CONFBOT_LEDGER_CHECK", "20", 0.1, 3600, "seconds from 0.1 to 3600")
    return lease, renew, check


def _listed(text: str | None) -> list[str]:
    """The items of a setting separated by commas, blank ones left out (none if unset)."""
    return [item.strip() for item in (text or "").split(",") if item.strip()]


def _server_ids(text: str | None, name: str) -> frozenset[int]:
    """Server ids separated by commas (none if unset), or a SettingsError naming `name`."""
    items = _listed(text)
    for item in items:
        if not item.isascii() or not item.isdigit() or not 0 < int(item) < 2**64:
            raise SettingsError(
                f"{name} must be server ids (digits) separated by commas, not {item!r}."
            )
    return frozenset(int(item) for item in items)


def _shard_slice(get: Getter) -> tuple[int | None, Slice]:
    """How many shards the bot has (None: as many as Discord says, all here), and this
    process's slice of them: CONFBOT_SHARD_IDS of CONFBOT_SHARD_COUNT (CONFBOT_SHARDS is
    its older name), or a SettingsError naming the variable."""
    older = _whole(get, "CONFBOT_SHARDS", None, 1, 1000)
    count = _whole(get, "CONFBOT_SHARD_COUNT", None, 1, MAX_SHARDS)
    if older is not None and count is not None and older != count:
        raise SettingsError(
            f"CONFBOT_SHARDS={older} and CONFBOT_SHARD_COUNT={count} disagree; CONFBOT_SHARDS"
            " is the older name of CONFBOT_SHARD_COUNT: set only CONFBOT_SHARD_COUNT."
        )
    count = older if count is None else count
    text = get("CONFBOT_SHARD_IDS")
    if text is None:
        return count, Slice.whole(count or 1)
    if count is None:
        raise SettingsError(
            f"CONFBOT_SHARD_IDS={text} needs CONFBOT_SHARD_COUNT, the bot's shards over every"
            " process (CONFBOT_SHARD_IDS=0-1 with CONFBOT_SHARD_COUNT=4, say)."
        )
    try:
        return count, Slice(count, parse_ids(text, count))
    except ValueError as exc:
        raise SettingsError(
            f"CONFBOT_SHARD_IDS={text} is not a slice of CONFBOT_SHARD_COUNT={count} (write it"
            f" like 0-3 or 4,5): {exc}."
        ) from None


def _sources(text: str | None, db_path: Path) -> tuple[Source, ...]:
    """CONFBOT_PROGRAM: one program, or several separated by commas (one bot serving
    several conferences). With one, its database is CONFBOT_DB itself."""
    items = _listed(text)
    if not items:
        return (Source(BUNDLED_PROGRAM, None, db_path),)
    if len(set(items)) != len(items):
        raise SettingsError("CONFBOT_PROGRAM names the same program twice.")
    sources = []
    for item in items:
        own_db = db_path if len(items) == 1 else own_db_path(db_path, item)
        sources.append(_source(item, own_db))
    return tuple(sources)


def _source(item: str, db_path: Path) -> Source:
    if is_url(item):
        _address_setting("CONFBOT_PROGRAM", item)
        return Source(copy_path(db_path), item, db_path)
    # A path missing here is refused at start-up (bot.app), unless the state database
    # kept the version served from it (a disk wiped by a deploy: bot.live.restore).
    return Source(Path(item).expanduser(), None, db_path)


def _address_setting(name: str, value: str) -> URL:
    """An address setting read by `web_address`, or a SettingsError naming the variable."""
    try:
        return web_address(value)
    except AddressError as exc:
        raise SettingsError(f"{name}: {exc}") from None


# The API address of one pretix event, as pretix's documentation gives it.
_EVENT_PATH = re.compile(r"/api/v1/organizers/([A-Za-z0-9.-]+)/events/([A-Za-z0-9.-]+)/?")
_TOKEN = re.compile(r"[A-Za-z0-9_.-]{16,256}")
NO_EVENT = "-"  # an entry of CONFBOT_PRETIX_EVENT_URL for a conference without tickets
HASH_KEY_MIN = 32
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


def _entries(text: str | None) -> list[str]:
    """The entries of a list setting separated by commas, blanks kept as NO_EVENT (the
    position of an entry says which conference it is for)."""
    return [item.strip() or NO_EVENT for item in (text or "").split(",")] if text else []


def _pretix_events(urls: str | None, tokens: str | None, count: int) -> list[PretixEvent | None]:
    """CONFBOT_PRETIX_EVENT_URL: one event address per program of CONFBOT_PROGRAM, in its
    order ('-' for a conference without tickets); CONFBOT_PRETIX_TOKEN: one token for them
    all, or one per event address, in the same order. A token is never repeated in an error."""
    addresses = _entries(urls)
    keys = _entries(tokens)
    if not addresses:
        if keys:
            raise SettingsError(
                "CONFBOT_PRETIX_TOKEN is set but CONFBOT_PRETIX_EVENT_URL is not; give the"
                " event's API address (https://HOST/api/v1/organizers/ORG/events/EVENT/)."
            )
        return [None] * count
    if len(addresses) != count:
        raise SettingsError(
            f"CONFBOT_PRETIX_EVENT_URL lists {len(addresses)} event(s) for the {count}"
            " program(s) of CONFBOT_PROGRAM; give one per program, in the same order, and"
            f" {NO_EVENT!r} for a conference without tickets."
        )
    wanted = sum(a != NO_EVENT for a in addresses)
    if not keys:
        raise SettingsError(
            "CONFBOT_PRETIX_EVENT_URL is set but CONFBOT_PRETIX_TOKEN is not; create an API"
            " token with read access to orders in pretix (docs/organisers.md) and set it."
        )
    if len(keys) not in (1, len(addresses)):
        raise SettingsError(
            f"CONFBOT_PRETIX_TOKEN lists {len(keys)} tokens for the {len(addresses)} entries of"
            " CONFBOT_PRETIX_EVENT_URL; give one token for all, or one per entry in the same"
            f" order ({NO_EVENT!r} where there is no event)."
        )
    if len(keys) == 1:
        keys = keys * len(addresses)
    events: list[PretixEvent | None] = []
    for address, key in zip(addresses, keys, strict=True):
        if address == NO_EVENT:
            events.append(None)
            continue
        n = sum(event is not None for event in events) + 1  # among the events, not the "-"s
        if key == NO_EVENT or not _TOKEN.fullmatch(key):
            raise SettingsError(
                f"CONFBOT_PRETIX_TOKEN: the token for event {n} of {wanted} is not a pretix API"
                " token (16 to 256 letters and digits); its value is not repeated here."
            )
        events.append(_pretix_event(address, Secret(key)))
    return events


def _pretix_event(address: str, token: Secret) -> PretixEvent:
    """One event's API address read strictly: https (http only on this machine, for a
    local pretix or the tests), no user, query or fragment, and the path pretix's
    documentation gives."""
    url = _address_setting("CONFBOT_PRETIX_EVENT_URL", address)
    # Named without its user part, query and fragment: a token pasted there by mistake
    # must not be repeated in the sentence that refuses it.
    said = shown(str(url.with_user(None).with_query(None).with_fragment(None)))
    if url.scheme != "https" and not (url.scheme == "http" and url.host in LOOPBACK):
        raise SettingsError(f"CONFBOT_PRETIX_EVENT_URL: {said} must be https (the token goes"
                            " with every request).")  # fmt: skip
    if url.user or url.password or url.query_string or url.fragment:
        raise SettingsError(f"CONFBOT_PRETIX_EVENT_URL: {said} must be the event's API address"
                            " alone, with no user, query or fragment.")  # fmt: skip
    match = _EVENT_PATH.fullmatch(url.raw_path)
    if match is None:
        raise SettingsError(
            f"CONFBOT_PRETIX_EVENT_URL: {said} is not an event's API address; it looks like"
            " https://HOST/api/v1/organizers/ORG/events/EVENT/."
        )
    organizer, event = match.groups()
    base = str(url.with_path(f"/api/v1/organizers/{organizer}/events/{event}/"))
    return PretixEvent(base, organizer, event, token)


def _hash_key(text: str | None) -> Secret | None:
    """CONFBOT_PRETIX_HASH_KEY: at least HASH_KEY_MIN characters (never repeated)."""
    if text is None:
        return None
    if len(text) < HASH_KEY_MIN or not text.isascii() or not text.isprintable():
        raise SettingsError(
            f"CONFBOT_PRETIX_HASH_KEY must be at least {HASH_KEY_MIN} printable ASCII characters"
            " (python3 -c 'import secrets; print(secrets.token_hex(32))' makes one); its value"
            " is not repeated here."
        )
    return Secret(text)
