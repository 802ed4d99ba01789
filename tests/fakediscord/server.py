"""A local Discord: REST and gateway on one aiohttp server on 127.0.0.1.

It is faithful where discord.py depends on it (see shared notes on discord-e2e) and
strict where Discord is: late or double acknowledgements, oversized messages and
embeds, bad autocomplete choices and unknown routes are answered with Discord's errors
*and* recorded in `protocol_errors`, so a test can assert that there were none. A message
with an embed url or link button Discord does not take is refused outright (400, 50035),
as Discord refuses it, so the bot's answer is lost in tests as it would be for users.
What Discord takes but a reader who hides embeds could not read (embeds with no text
beside them) is told apart: `embeds_only`.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import functools
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from aiohttp import BodyPartReader, WSMsgType, web

from tests.fakediscord import payloads, rules
from tests.fakediscord.guilds import FakeRole, GuildRoles

log = logging.getLogger(__name__)

TOKEN = "fake-bot-token.for-tests-only"
DEADLINE = 3.0  # seconds Discord waits for the first acknowledgement
ADMIN = 1 << 3
MANAGE_GUILD = 1 << 5
DEFAULT_PERMISSIONS = 0x0000_0000_0004_0840  # view channel, send messages, read history
EVENT_LIMIT = 100  # scheduled or active events one server may hold
# What an app used through a person's install may do in a server that never added it.
ELSEWHERE_APP_PERMISSIONS = 0xCC00  # view, send, embed links, attach files
EPHEMERAL = 1 << 6

# callback types that fit each interaction type
# Which callback types answer which interaction types (9 opens a modal).
_FITTING = {2: {4, 5, 9}, 3: {4, 5, 6, 7, 9}, 4: {8}, 5: {4, 5, 6, 7}}
MODAL_TITLE_MAX, THREAD_NAME_MAX, APPLIED_TAGS_MAX = 45, 100, 5

# One REST route's handler: the request and the path split into parts.
Route = Callable[[web.Request, list[str]], Awaitable[web.StreamResponse]]


@dataclass
class Interaction:
    """One interaction we delivered, and everything the bot did in answer."""

    id: int
    token: str
    type: int
    payload: dict[str, Any]
    delivered_at: float = 0.0
    shard: tuple[int, int] | None = None  # the gateway session it went to (None: none held it)
    callbacks: list[dict[str, Any]] = field(default_factory=list)
    followups: list[dict[str, Any]] = field(default_factory=list)
    edits: list[dict[str, Any]] = field(default_factory=list)
    message: dict[str, Any] | None = None  # the response message, as Discord stores it
    answered: asyncio.Event = field(default_factory=asyncio.Event)
    followed_up: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def callback(self) -> dict[str, Any]:
        assert len(self.callbacks) == 1, f"expected one callback, got {len(self.callbacks)}"
        return self.callbacks[0]

    @property
    def data(self) -> dict[str, Any]:
        """The callback's data (message body or choices)."""
        return self.callback.get("data") or {}

    @property
    def choices(self) -> list[dict[str, Any]]:
        choices: list[dict[str, Any]] = self.data.get("choices", [])
        return choices

    @property
    def embeds(self) -> list[dict[str, Any]]:
        return self.data.get("embeds") or []

    @property
    def ephemeral(self) -> bool:
        return bool(int(self.data.get("flags") or 0) & EPHEMERAL)


def shard_of(guild_id: int, shard_count: int) -> int:
    """The shard Discord puts a server on, by its documented formula (written here again,
    not imported from the bot: the fake must not share a bug with what it tests)."""
    return (guild_id >> 22) % shard_count


@dataclass
class GatewaySession:
    """One shard's gateway session, as Discord keeps it: what the bot identified as
    (shard id and count), the connection it is on while that is open, and the events
    sent to it, numbered, for a RESUME to replay."""

    session_id: str
    shard: tuple[int, int]
    socket: web.WebSocketResponse | None
    seq: int = 0
    sent_events: list[dict[str, Any]] = field(default_factory=list)
    resumable: bool = True

    def holds(self, guild_id: int | None) -> bool:
        """Whether a server's events go to this session (direct messages go to shard 0)."""
        shard_id, count = self.shard
        return (0 if guild_id is None else shard_of(guild_id, count)) == shard_id


@dataclass
class RateLimit:
    method: str
    path_part: str
    retry_after: float
    remaining: int = 1
    hits: int = 0
    is_global: bool = False  # Discord's global limit, not the route's


class FakeDiscord:
    def __init__(self) -> None:
        self.application_id = payloads.snowflake()
        self.bot_user = payloads.user(self.application_id, "confbot", bot=True)
        self.guild_id = payloads.snowflake()
        # A server that never added the bot, where a person uses it through their install.
        self.elsewhere_guild_id = payloads.snowflake()
        self.elsewhere_channel_id = payloads.snowflake()
        # A second server that added the bot, with one text channel (sent, like the first,
        # to the gateway connection holding its shard).
        self.second_guild_id = payloads.snowflake()
        self.second_channel_id = payloads.snowflake()
        self.channel_id = payloads.snowflake()
        # A second text channel, for a room's own announcements; deleting a channel
        # (adding it here) makes posts to it fail as Discord's do: 404 Unknown Channel.
        self.room_channel_id = payloads.snowflake()
        self.deleted_channels: set[int] = set()
        # A forum for Q&A threads, with tags; threads the bot opened, by id; reactions by
        # message id, then emoji, as the set of users who reacted; channels and forums
        # where the bot lacks permission to post (403 Missing Permissions).
        self.forum_id = payloads.snowflake()
        self.forum_tags = [(payloads.snowflake(), "Grand Ballroom ABGH"),
                           (payloads.snowflake(), "Keynotes")]  # fmt: skip
        self.threads: dict[int, dict[str, Any]] = {}
        self.reactions: dict[int, dict[str, set[int]]] = {}
        self.forbidden_channels: set[int] = set()
        self.edited_messages: list[tuple[int, dict[str, Any]]] = []
        self.renamed_threads: list[tuple[int, str]] = []  # (thread id, new name), in order
        # Every body the bot sent (method, path, body): messages, callbacks, posts,
        # threads, events, for checks over all of them (tests/markdown_checks.py).
        self.sent: list[tuple[str, str, dict[str, Any]]] = []
        # What @everyone may do in the guild (the bot has no role of its own here).
        self.everyone_permissions = payloads.EVERYONE_PERMISSIONS
        # The application's owner (an organiser of the first server in most tests), and
        # optionally its team: each member is (user, role), role "admin", "developer",
        # "read_only"; with a team, Discord names the team's owner as the owner.
        self.owner = payloads.user(payloads.snowflake(), "organiser")
        self.team: list[tuple[dict[str, Any], str]] | None = None
        self.attendee = payloads.user(payloads.snowflake(), "attendee")
        # Each server's roles and members (the owner, the attendee and the bot belong to
        # both; anyone who uses a command there joins): see guilds.GuildRoles. The bot
        # holds no role until a test gives it one, so @everyone's permissions are its own.
        self._servers = (GuildRoles(self.guild_id), GuildRoles(self.second_guild_id))
        for roles in self._servers:
            for person in (self.owner, self.attendee, self.bot_user):
                roles.members[int(person["id"])] = set()
        # Every user the fake knows, by id (for member objects it is asked for).
        self.people = {int(u["id"]): u for u in (self.owner, self.attendee, self.bot_user)}
        self.protocol_errors: list[str] = []
        self.requests: list[tuple[str, str]] = []
        # When each request arrived (time.monotonic), beside `requests`: benchmarks count
        # the busiest second the way Discord's global limit does.
        self.request_times: list[float] = []
        self.global_commands: list[dict[str, Any]] = []
        self.guild_commands: dict[int, list[dict[str, Any]]] = {}
        self.command_syncs = 0
        # Each server's language (its preferred_locale, sent as guild_locale with each
        # interaction there), where a test sets one before the bot connects; else en-US.
        self.guild_locales: dict[int, str] = {}
        self.interactions: dict[int, Interaction] = {}
        self._by_token: dict[str, Interaction] = {}
        self.channel_messages: dict[int, list[dict[str, Any]]] = {}
        # Set: a message is answered at once. Cleared: it is kept (it went out) but its
        # answer waits until set again, as when Discord is slow to answer, or the sender
        # dies before the answer reaches it; `held_messages` counts those waiting now.
        self.answering_messages = asyncio.Event()
        self.answering_messages.set()
        self.held_messages = 0
        self.dm_channels: dict[int, int] = {}
        self.closed_dms: set[int] = set()
        self.rate_limits: list[RateLimit] = []
        self.rate_limited: list[str] = []
        # Guild scheduled events, and the moment the fake takes as "now" for their rules
        # (tests run at a simulated conference time).
        self.scheduled_events: dict[int, dict[str, Any]] = {}
        self.event_calls: list[tuple[str, int]] = []
        self.now: datetime | None = None
        # What each interaction says a file may weigh (Discord: 10 MiB unless boosted);
        # larger uploads are refused with 413, as Discord does.
        self.attachment_size_limit = 10 * 1024 * 1024
        # Optional: Discord's global limit (50 requests a second per bot), for benchmarks.
        self.global_limit: int | None = None
        self._recent: collections.deque[float] = collections.deque()
        # gateway: one session per shard identified, the latest last (a shard identified
        # again, or by another process, is served by its latest session); `connected` is
        # set while the connection holding the first server's shard is up.
        self.sessions = 0
        self.gateway_sessions: dict[str, GatewaySession] = {}
        self.resumes = 0
        self.identifies = 0
        self.other_shards: list[web.WebSocketResponse] = []  # connections without the server
        self.shard_counts: set[int] = set()  # as the bot identified: one number, or a bug
        # The shard count GET /gateway/bot recommends (what a bot given none runs).
        self.recommended_shards = 1
        # The fewest shards Discord takes for the bot's servers (at most 2,500 a shard): an
        # IDENTIFY with fewer is closed with 4011, sharding required. A test raises it.
        self.shards_required = 1
        # Shards Discord refuses as invalid (4010) though inside the count: the bot never
        # names one outside it (its settings refuse that), so a test that wants Discord's
        # 4010 answered names the shards here.
        self.invalid_shards: set[int] = set()
        # Events for a server (or DMs) whose shard no connection holds: Discord drops them.
        self.undelivered: list[tuple[str, int | None]] = []
        self.connected = asyncio.Event()
        # Set whenever the fake is connected to or takes a command sync: a test waiting for
        # those (tests/e2e/conftest.py running_bot) wakes then, instead of polling; it
        # clears it before each look, and nothing else reads it.
        self.moved = asyncio.Event()
        self._connections: set[web.WebSocketResponse] = set()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # -- lifecycle ----------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    async def start(self) -> None:
        app = web.Application(client_max_size=32 * 1024 * 1024)
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", "/api/v10/{path:.*}", self._rest)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        # A burst opens one connection per callback: the default backlog of 128 drops some.
        site = web.TCPSite(self._runner, "127.0.0.1", 0, backlog=4096)
        await site.start()
        server = site._server
        sockets = getattr(server, "sockets", None)  # an asyncio.Server once started
        assert sockets
        self.port = sockets[0].getsockname()[1]

    async def stop(self) -> None:
        for socket in list(self._connections):
            await socket.close()
        if self._runner is not None:
            await self._runner.cleanup()

    def error(self, problem: str) -> None:
        log.warning("protocol error: %s", problem)
        self.protocol_errors.append(problem)

    @property
    def embeds_only(self) -> list[str]:
        """Each message, answer or edit the bot sent with embeds and no text beside them
        (rules.embeds_without_text), as 'METHOD path': unreadable with embeds hidden.
        Not a protocol error (Discord takes it); the bot's fixture asserts there is none."""
        return [f"{method} {path}" for method, path, body in self.sent
                if rules.embeds_without_text(body)]  # fmt: skip

    # -- REST ---------------------------------------------------------------------------

    def _json(
        self, body: Any, status: int = 200, headers: dict[str, str] | None = None
    ) -> web.Response:
        # discord.py reads JSON only when Content-Type is exactly application/json.
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        return web.Response(body=json.dumps(body).encode(), status=status, headers=all_headers)

    def _discord_error(self, status: int, code: int, message: str) -> web.Response:
        return self._json({"code": code, "message": message}, status=status)

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["path"]
        method = request.method
        self.requests.append((method, path))
        self.request_times.append(time.monotonic())
        limited = self._rate_limited(method, path) or self._global_limited(method, path)
        if limited is not None:
            return limited
        # Interaction and webhook routes are authorised by their token in the path.
        authorised = request.headers.get("Authorization") == f"Bot {TOKEN}"
        if not authorised and not path.startswith(("/interactions/", "/webhooks/")):
            return self._discord_error(401, 0, "401: Unauthorized")
        parts = [p for p in path.split("/") if p]
        try:
            route = self._route(method, parts)
        except (KeyError, ValueError, IndexError):
            route = None
        if route is None:
            self.error(f"unimplemented route {method} {path}")
            return self._discord_error(404, 0, f"fake Discord does not implement {method} {path}")
        response: web.StreamResponse = await route(request, parts)
        return response

    def _route(self, method: str, p: list[str]) -> Route | None:
        match (method, p):
            case ("GET", ["users", "@me"]):
                return self._get_me
            case ("GET", ["oauth2", "applications", "@me"]):
                return self._get_application
            case ("GET", ["gateway"] | ["gateway", "bot"]):
                return self._get_gateway
            case ("PUT", ["applications", _, "commands"]):
                return self._put_global_commands
            case ("GET", ["applications", _, "commands"]):
                return self._get_global_commands
            case ("PUT", ["applications", _, "guilds", _, "commands"]):
                return self._put_guild_commands
            case ("GET", ["applications", _, "guilds", _, "commands"]):
                return self._get_guild_commands
            case ("POST", ["interactions", _, _, "callback"]):
                return self._interaction_callback
            case ("POST", ["webhooks", _, _]):
                return self._followup
            case ("PATCH", ["webhooks", _, _, "messages", _]):
                return self._edit_webhook_message
            case ("GET", ["webhooks", _, _, "messages", _]):
                return self._get_webhook_message
            case ("DELETE", ["webhooks", _, _, "messages", _]):
                return self._delete_webhook_message
            case ("POST", ["channels", _, "messages"]):
                return self._channel_message
            case ("GET", ["channels", _, "messages"]):
                return self._channel_history
            case ("PATCH", ["channels", _, "messages", _]):
                return self._edit_channel_message
            case ("PUT", ["channels", _, "messages", _, "reactions", _, "@me"]):
                return self._add_reaction
            case ("POST", ["channels", _, "threads"]):
                return self._start_forum_thread
            case ("GET", ["channels", _]):
                return self._get_channel
            case ("PATCH", ["channels", _]):
                return self._edit_thread
            case ("POST", ["users", "@me", "channels"]):
                return self._open_dm
            case ("POST", ["guilds", _, "scheduled-events"]):
                return self._create_event
            case ("GET", ["guilds", _, "scheduled-events", _]):
                return self._get_event
            case ("PATCH", ["guilds", _, "scheduled-events", _]):
                return self._edit_event
            case ("DELETE", ["guilds", _, "scheduled-events", _]):
                return self._delete_event
            case ("GET", ["guilds", _, "roles"]):
                return self._get_roles
            case ("GET", ["guilds", _, "members", _]):
                return self._get_member
            case ("PUT" | "DELETE", ["guilds", _, "members", _, "roles", _]):
                return self._change_member_role
        return None

    def rate_limit_next(
        self, method: str, path_part: str, retry_after: float = 0.05, times: int = 1,
        *, is_global: bool = False,
    ) -> RateLimit:  # fmt: skip
        """Answer the next `times` matching requests with a real 429 (the route's, or
        with `is_global` the bot's global limit)."""
        limit = RateLimit(method, path_part, retry_after, remaining=times, is_global=is_global)
        self.rate_limits.append(limit)
        return limit

    def _global_limited(self, method: str, path: str) -> web.Response | None:
        if self.global_limit is None or path.startswith(("/interactions/", "/webhooks/")):
            return None
        now = time.monotonic()
        while self._recent and now - self._recent[0] > 1.0:
            self._recent.popleft()
        if len(self._recent) < self.global_limit:
            self._recent.append(now)
            return None
        self.rate_limited.append(f"{method} {path} (global)")
        retry = round(1.0 - (now - self._recent[0]), 3)
        body = {"message": "You are being rate limited.", "retry_after": retry, "global": True}
        headers = {"Via": "1.1 google", "X-RateLimit-Global": "true", "Retry-After": str(retry)}
        return self._json(body, status=429, headers=headers)

    def _rate_limited(self, method: str, path: str) -> web.Response | None:
        for limit in self.rate_limits:
            if limit.remaining > 0 and method == limit.method and limit.path_part in path:
                limit.remaining -= 1
                limit.hits += 1
                self.rate_limited.append(f"{method} {path}")
                headers = {
                    # Without Via, discord.py takes a 429 for a Cloudflare ban and gives up.
                    "Via": "1.1 google",
                    "X-RateLimit-Limit": "5",
                    "X-RateLimit-Remaining": "0",
                    "X-RateLimit-Reset-After": str(limit.retry_after),
                    "X-RateLimit-Bucket": "fake-bucket",
                    "X-RateLimit-Scope": "user",
                    "Retry-After": str(limit.retry_after),
                }
                if limit.is_global:
                    headers["X-RateLimit-Global"] = "true"
                    headers["X-RateLimit-Scope"] = "global"
                body = {
                    "message": "You are being rate limited.",
                    "retry_after": limit.retry_after,
                    "global": limit.is_global,
                }
                return self._json(body, status=429, headers=headers)
        return None

    async def _get_me(self, request: web.Request, p: list[str]) -> web.Response:
        return self._json(self.bot_user)

    async def _get_application(self, request: web.Request, p: list[str]) -> web.Response:
        return self._json(
            {
                "id": str(self.application_id),
                "name": "confbot",
                "icon": None,
                "description": "",
                "rpc_origins": [],
                "bot_public": True,
                "bot_require_code_grant": False,
                "owner": self.owner,
                "summary": "",
                "verify_key": "0" * 64,
                "team": self._team(),
                "flags": 0,
            }
        )

    def _team(self) -> dict[str, Any] | None:
        if self.team is None:
            return None
        team_id = str(self.application_id + 1)
        return {
            "id": team_id, "name": "organisers", "icon": None,
            "owner_user_id": str(self.owner["id"]),
            "members": [{"membership_state": 2, "team_id": team_id, "user": user, "role": role,
                         "permissions": ["*"]} for user, role in self.team],
        }  # fmt: skip

    async def _get_gateway(self, request: web.Request, p: list[str]) -> web.Response:
        return self._json(
            {
                "url": self.gateway_url,
                "shards": self.recommended_shards,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 999,
                    "reset_after": 0,
                    "max_concurrency": 1,
                },
            }
        )

    async def _validated_commands(
        self, request: web.Request
    ) -> list[dict[str, Any]] | web.Response:
        raw = await request.read()
        body = json.loads(raw)
        problems = list(_sync_problems(raw))
        if problems:
            self.error("; ".join(problems))
            return self._json(
                {
                    "code": 50035,
                    "message": "Invalid Form Body",
                    "errors": {"_errors": [{"message": p} for p in problems]},
                },
                400,
            )
        self.command_syncs += 1
        self.moved.set()
        stored = []
        for command in body:
            stored.append(
                {
                    **command,
                    "id": str(payloads.snowflake()),
                    "application_id": str(self.application_id),
                    "version": "1",
                }
            )
        return stored

    async def _put_global_commands(self, request: web.Request, p: list[str]) -> web.Response:
        result = await self._validated_commands(request)
        if isinstance(result, web.Response):
            return result
        self.global_commands = result
        return self._json(result)

    async def _get_global_commands(self, request: web.Request, p: list[str]) -> web.Response:
        return self._json(self.global_commands)

    async def _put_guild_commands(self, request: web.Request, p: list[str]) -> web.Response:
        result = await self._validated_commands(request)
        if isinstance(result, web.Response):
            return result
        self.guild_commands[int(p[3])] = result
        return self._json(result)

    async def _get_guild_commands(self, request: web.Request, p: list[str]) -> web.Response:
        return self._json(self.guild_commands.get(int(p[3]), []))

    async def _read_body(self, request: web.Request) -> dict[str, Any]:
        """JSON, or multipart with payload_json plus files (attachments)."""
        if request.content_type.startswith("multipart/"):
            body: dict[str, Any] = {}
            files = []
            reader = await request.multipart()
            while (part := await reader.next()) is not None:
                assert isinstance(part, BodyPartReader)  # no nested multipart from discord.py
                if part.name == "payload_json":
                    body = json.loads(await part.text())
                else:
                    files.append(
                        {
                            "name": part.name,
                            "filename": part.filename,
                            "content": bytes(await part.read()),
                        }
                    )
            body["_files"] = files
        else:
            body = await request.json() if request.can_read_body else {}
        self.sent.append((request.method, request.path, body))
        return body

    async def _interaction_callback(self, request: web.Request, p: list[str]) -> web.Response:
        interaction = self.interactions.get(int(p[1]))
        body = await self._read_body(request)
        if interaction is None or interaction.token != p[2]:
            self.error(f"callback for unknown interaction {p[1]}")
            return self._discord_error(404, 10062, "Unknown interaction")
        late = time.monotonic() - interaction.delivered_at
        if not interaction.callbacks and late > DEADLINE:
            self.error(f"interaction {interaction.id} acknowledged after {late:.2f} s")
            return self._discord_error(404, 10062, "Unknown interaction")
        if interaction.callbacks:
            self.error(f"interaction {interaction.id} acknowledged twice")
            return self._discord_error(400, 40060, "Interaction has already been acknowledged.")
        kind = body.get("type")
        if kind not in _FITTING.get(interaction.type, set()):
            self.error(f"callback type {kind} does not fit interaction type {interaction.type}")
            return self._discord_error(400, 50035, "Invalid interaction response type")
        data = body.get("data") or {}
        if kind == 8:
            for problem in rules.choice_problems(
                data.get("choices", []), f"autocomplete {interaction.id}"
            ):
                self.error(problem)
        elif kind in (4, 7):
            for problem in rules.message_problems(data, f"response to {interaction.id}"):
                self.error(problem)
            if refused := self._bad_links(data, f"response to {interaction.id}", "data"):
                return refused
        elif kind == 9:
            for problem in _modal_problems(data, f"modal from {interaction.id}"):
                self.error(problem)
        if (refused := self._oversized(body, f"response to {interaction.id}")) is not None:
            return refused
        interaction.callbacks.append(body)
        answer: dict[str, Any] = {
            "interaction": {"id": str(interaction.id), "type": interaction.type}
        }
        if kind in (4, 5):
            message = self._bot_message(interaction, data)
            interaction.message = message
            answer["interaction"]["response_message_id"] = message["id"]
            answer["interaction"]["response_message_loading"] = kind == 5
            answer["interaction"]["response_message_ephemeral"] = bool(
                int(data.get("flags") or 0) & EPHEMERAL
            )
            answer["resource"] = {"type": kind, "message": message}
        elif kind == 7 and interaction.payload.get("message"):
            interaction.edits.append(data)
        elif kind == 6 and interaction.payload.get("message"):
            # A button's deferred update: the response to edit later (@original) is the
            # message the button is on.
            interaction.message = dict(interaction.payload["message"])
        interaction.answered.set()
        return self._json(answer)

    def _bad_links(
        self, body: dict[str, Any], where: str, under: str | None = None
    ) -> web.Response | None:
        """Discord's 400 (50035) for a message holding a link it does not take (see
        rules.link_errors), recorded too; `under` is the key the message sits in."""
        errors = rules.link_errors(body)
        if not errors:
            return None
        self.error(f"{where}: a link Discord refuses: {json.dumps(errors)}")
        errors = {under: errors} if under else errors
        return self._json({"code": 50035, "message": "Invalid Form Body", "errors": errors}, 400)

    def _oversized(self, body: dict[str, Any], where: str) -> web.Response | None:
        sizes = [len(f["content"]) for f in body.get("_files", [])]
        if sum(sizes) <= self.attachment_size_limit:
            return None
        self.error(f"{where}: {sum(sizes)} bytes of files, over {self.attachment_size_limit}")
        return self._discord_error(413, 40005, "Request entity too large")

    def _bot_message(self, interaction: Interaction, body: dict[str, Any]) -> dict[str, Any]:
        """A message the bot sent through the interaction's webhook, as Discord stores it."""
        channel_id = int(interaction.payload["channel_id"])
        return payloads.message(
            payloads.snowflake(),
            channel_id,
            self.bot_user,
            body,
            application_id=self.application_id,
        )

    def _webhook_interaction(self, p: list[str]) -> Interaction | None:
        if int(p[1]) != self.application_id:
            return None
        return self._by_token.get(p[2])

    async def _followup(self, request: web.Request, p: list[str]) -> web.Response:
        interaction = self._webhook_interaction(p)
        body = await self._read_body(request)
        if interaction is None:
            self.error(f"followup for unknown webhook token {p[2][:10]}")
            return self._discord_error(404, 10015, "Unknown Webhook")
        if not interaction.callbacks:
            self.error(f"followup before acknowledging interaction {interaction.id}")
            return self._discord_error(404, 10015, "Unknown Webhook")
        for problem in rules.message_problems(body, f"followup to {interaction.id}"):
            self.error(problem)
        if refused := self._bad_links(body, f"followup to {interaction.id}"):
            return refused
        if (refused := self._oversized(body, f"followup to {interaction.id}")) is not None:
            return refused
        message = self._bot_message(interaction, body)
        interaction.followups.append(body | {"_message": message})  # '_message': to click on
        interaction.followed_up.set()
        return self._json(message)

    async def _edit_webhook_message(self, request: web.Request, p: list[str]) -> web.Response:
        interaction = self._webhook_interaction(p)
        body = await self._read_body(request)
        if interaction is None or interaction.message is None:
            self.error(f"edit of unknown message {'/'.join(p)}")
            return self._discord_error(404, 10008, "Unknown Message")
        for problem in rules.message_problems(body, f"edit of {interaction.id}"):
            self.error(problem)
        if refused := self._bad_links(body, f"edit of {interaction.id}"):
            return refused
        interaction.edits.append(body)
        merged = {**interaction.message, **{k: v for k, v in body.items() if not k.startswith("_")}}
        interaction.message = merged
        return self._json(merged)

    async def _get_webhook_message(self, request: web.Request, p: list[str]) -> web.Response:
        interaction = self._webhook_interaction(p)
        if interaction is None or interaction.message is None:
            return self._discord_error(404, 10008, "Unknown Message")
        return self._json(interaction.message)

    async def _delete_webhook_message(self, request: web.Request, p: list[str]) -> web.Response:
        interaction = self._webhook_interaction(p)
        if interaction is None or interaction.message is None:
            return self._discord_error(404, 10008, "Unknown Message")
        interaction.message = None
        return web.Response(status=204)

    async def _channel_message(self, request: web.Request, p: list[str]) -> web.Response:
        channel_id = int(p[1])
        body = await self._read_body(request)
        known = {self.channel_id, self.room_channel_id, self.second_channel_id, *self.threads,
                 *self.dm_channels.values()}  # fmt: skip
        if channel_id not in known or channel_id in self.deleted_channels:
            return self._discord_error(404, 10003, "Unknown Channel")
        closed = {self.dm_channels.get(u) for u in self.closed_dms}
        if channel_id in closed:
            return self._discord_error(403, 50007, "Cannot send messages to this user")
        if channel_id in self.forbidden_channels:  # its permissions deny the bot
            return self._discord_error(403, 50013, "Missing Permissions")
        for problem in rules.message_problems(body, f"message to channel {channel_id}"):
            self.error(problem)
        if refused := self._bad_links(body, f"message to channel {channel_id}"):
            return refused
        message = payloads.message(payloads.snowflake(), channel_id, self.bot_user, body)
        self.channel_messages.setdefault(channel_id, []).append(message | {"_body": body})
        if not self.answering_messages.is_set():
            self.held_messages += 1
            try:
                await self.answering_messages.wait()
            finally:
                self.held_messages -= 1
        return self._json(message)

    # -- forums, threads, reactions ------------------------------------------------------

    async def _start_forum_thread(self, request: web.Request, p: list[str]) -> web.Response:
        forum_id = int(p[1])
        body = await self._read_body(request)
        if forum_id != self.forum_id or forum_id in self.deleted_channels:
            return self._discord_error(404, 10003, "Unknown Channel")
        if forum_id in self.forbidden_channels:
            return self._discord_error(403, 50013, "Missing Permissions")
        name = body.get("name") or ""
        if not 1 <= len(name) <= THREAD_NAME_MAX:
            self.error(f"forum thread name of {len(name)} characters")
        tags = [str(t) for t in body.get("applied_tags") or []]
        known_tags = {str(tag_id) for tag_id, _ in self.forum_tags}
        if len(tags) > APPLIED_TAGS_MAX or not set(tags) <= known_tags:
            self.error(f"forum thread tags {tags} are not among the forum's {known_tags}")
        message_body = body.get("message") or {}
        for problem in rules.message_problems(message_body, f"forum post {name!r}"):
            self.error(problem)
        if refused := self._bad_links(message_body, f"forum post {name!r}", "message"):
            return refused
        thread_id = payloads.snowflake()
        thread = payloads.thread_channel(thread_id, self.guild_id, forum_id,
                                         self.application_id, name, tags)  # fmt: skip
        # A forum post's first message has the thread's id.
        message = payloads.message(thread_id, thread_id, self.bot_user, message_body)
        self.threads[thread_id] = thread
        self.channel_messages[thread_id] = [message | {"_body": message_body}]
        return self._json({**thread, "message": message})

    async def _get_channel(self, request: web.Request, p: list[str]) -> web.Response:
        """Any channel of the guild, as a bot that has not seen GUILD_CREATE yet (its
        scheduler starts before the gateway is ready) fetches it."""
        channel_id = int(p[1])
        known = {
            self.channel_id: payloads.text_channel(self.channel_id, self.guild_id),
            self.room_channel_id: payloads.text_channel(
                self.room_channel_id, self.guild_id, "grand-ballroom"
            ),
            self.forum_id: payloads.forum_channel(self.forum_id, self.guild_id, self.forum_tags),
            self.second_channel_id: payloads.text_channel(
                self.second_channel_id, self.second_guild_id
            ),
            **self.threads,
        }
        if channel_id in known and channel_id not in self.deleted_channels:
            return self._json(known[channel_id])
        return self._discord_error(404, 10003, "Unknown Channel")

    async def _edit_thread(self, request: web.Request, p: list[str]) -> web.Response:
        thread = self.threads.get(int(p[1]))
        if thread is None or int(p[1]) in self.deleted_channels:
            return self._discord_error(404, 10003, "Unknown Channel")
        body = await request.json()
        for key in ("archived", "locked"):
            if key in body:
                thread["thread_metadata"][key] = bool(body[key])
        if "name" in body:
            name = body["name"] or ""
            if not 1 <= len(name) <= THREAD_NAME_MAX:
                self.error(f"thread name of {len(name)} characters")
            if thread["thread_metadata"].get("archived"):
                return self._discord_error(400, 50083, "Thread is archived")
            thread["name"] = name
            self.renamed_threads.append((int(p[1]), name))
        return self._json(thread)

    async def _channel_history(self, request: web.Request, p: list[str]) -> web.Response:
        channel_id = int(p[1])
        if channel_id not in self.channel_messages:
            return self._discord_error(404, 10003, "Unknown Channel")
        limit = min(int(request.query.get("limit", 50)), 100)
        before = int(request.query.get("before", 0)) or None
        newest_first = sorted(self.channel_messages[channel_id], key=lambda m: -int(m["id"]))
        found = [m for m in newest_first if before is None or int(m["id"]) < before][:limit]
        return self._json([self._with_reactions(m) for m in found])

    def _with_reactions(self, message: dict[str, Any]) -> dict[str, Any]:
        shown = {k: v for k, v in message.items() if not k.startswith("_")}
        by_emoji = self.reactions.get(int(message["id"]), {})
        shown["reactions"] = [
            {"emoji": {"id": None, "name": emoji}, "count": len(users),
             "me": self.application_id in users, "me_burst": False,
             "count_details": {"normal": len(users), "burst": 0}, "burst_colors": []}
            for emoji, users in by_emoji.items() if users
        ]  # fmt: skip
        return shown

    async def _add_reaction(self, request: web.Request, p: list[str]) -> web.Response:
        self.react(int(p[3]), unquote(p[5]), self.application_id)
        return web.Response(status=204)

    def react(self, message_id: int, emoji: str, user_id: int) -> None:
        """Someone reacts (the bot through the API, people in tests)."""
        self.reactions.setdefault(message_id, {}).setdefault(emoji, set()).add(user_id)

    async def _edit_channel_message(self, request: web.Request, p: list[str]) -> web.Response:
        channel_id, message_id = int(p[1]), int(p[3])
        body = await self._read_body(request)
        for message in self.channel_messages.get(channel_id, []):
            if int(message["id"]) == message_id:
                for problem in rules.message_problems(body, f"edit of message {message_id}"):
                    self.error(problem)
                if refused := self._bad_links(body, f"edit of message {message_id}"):
                    return refused
                message.update({k: v for k, v in body.items() if k in ("content", "embeds")})
                self.edited_messages.append((message_id, body))
                return self._json({k: v for k, v in message.items() if not k.startswith("_")})
        return self._discord_error(404, 10008, "Unknown Message")

    async def _open_dm(self, request: web.Request, p: list[str]) -> web.Response:
        body = await request.json()
        recipient = int(body["recipient_id"])
        channel_id = self.dm_channels.setdefault(recipient, payloads.snowflake())
        user = self.people.get(recipient, self.attendee)
        return self._json(payloads.dm_channel(channel_id, user))

    # -- guild scheduled events -----------------------------------------------------------

    def _event_problems(self, body: dict[str, Any], creating: bool) -> list[str]:
        """Discord's rules for external events (entity_type 3)."""
        problems = []
        name = body.get("name")
        if (creating or name is not None) and not (name and 1 <= len(name) <= 100):
            problems.append("name must be 1-100 characters")
        if len(body.get("description") or "") > 1000:
            problems.append("description over 1000 characters")
        if body.get("entity_type", 3) == 3:
            location = (body.get("entity_metadata") or {}).get("location")
            if creating and not (location and 1 <= len(location) <= 100):
                problems.append("external events need entity_metadata.location (1-100)")
            if creating and not body.get("scheduled_end_time"):
                problems.append("external events need scheduled_end_time")
        start, end = body.get("scheduled_start_time"), body.get("scheduled_end_time")
        now = self.now or datetime.now(UTC)
        if start and datetime.fromisoformat(start) <= now:
            problems.append("scheduled_start_time is in the past")
        if start and end and datetime.fromisoformat(end) <= datetime.fromisoformat(start):
            problems.append("scheduled_end_time is not after the start")
        if creating and body.get("privacy_level") != 2:
            problems.append("privacy_level must be 2 (guild only)")
        return problems

    def _refuse_event(self, problems: list[str]) -> web.Response:
        self.error("scheduled event: " + "; ".join(problems))
        errors = {"_errors": [{"message": p} for p in problems]}
        return self._json({"code": 50035, "message": "Invalid Form Body", "errors": errors}, 400)

    def _event_payload(self, event_id: int, guild_id: int, body: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": str(event_id), "guild_id": str(guild_id), "channel_id": None,
            "creator_id": self.bot_user["id"], "creator": self.bot_user,
            "name": body["name"], "description": body.get("description"),
            "scheduled_start_time": body["scheduled_start_time"],
            "scheduled_end_time": body.get("scheduled_end_time"),
            "privacy_level": 2, "status": 1, "entity_type": body.get("entity_type", 3),
            "entity_id": None, "entity_metadata": body.get("entity_metadata"),
            "user_count": 0, "image": None,
        }  # fmt: skip

    async def _create_event(self, request: web.Request, p: list[str]) -> web.Response:
        body = await self._read_body(request)
        if problems := self._event_problems(body, creating=True):
            return self._refuse_event(problems)
        upcoming = [e for e in self.scheduled_events.values()
                    if e["guild_id"] == p[1] and e["status"] in (1, 2)]  # fmt: skip
        if len(upcoming) >= EVENT_LIMIT:
            return self._discord_error(
                400, 30038, f"Maximum number of guild scheduled events reached ({EVENT_LIMIT})"
            )
        event_id = payloads.snowflake()
        self.scheduled_events[event_id] = self._event_payload(event_id, int(p[1]), body)
        self.event_calls.append(("create", event_id))
        return self._json(self.scheduled_events[event_id])

    async def _get_event(self, request: web.Request, p: list[str]) -> web.Response:
        event = self.scheduled_events.get(int(p[3]))
        if event is None:
            return self._discord_error(404, 10070, "Unknown Guild Scheduled Event")
        return self._json(event)

    async def _edit_event(self, request: web.Request, p: list[str]) -> web.Response:
        event = self.scheduled_events.get(int(p[3]))
        body = await self._read_body(request)
        if event is None:
            return self._discord_error(404, 10070, "Unknown Guild Scheduled Event")
        if problems := self._event_problems(body, creating=False):
            return self._refuse_event(problems)
        event.update({k: v for k, v in body.items() if k in event})
        self.event_calls.append(("edit", int(p[3])))
        return self._json(event)

    async def _delete_event(self, request: web.Request, p: list[str]) -> web.Response:
        if self.scheduled_events.pop(int(p[3]), None) is None:
            return self._discord_error(404, 10070, "Unknown Guild Scheduled Event")
        self.event_calls.append(("delete", int(p[3])))
        return web.Response(status=204)

    # -- roles and members ----------------------------------------------------------------

    @property
    def guild_roles(self) -> dict[int, GuildRoles]:
        """Each server's roles, by its id as it is now (a test may give a server another
        id, to put it on another shard)."""
        first, second = self._servers
        first.guild_id, second.guild_id = self.guild_id, self.second_guild_id
        return {self.guild_id: first, self.second_guild_id: second}

    def roles(self, second: bool = False) -> GuildRoles:
        """The first (or second) server's roles and members."""
        return self.guild_roles[self.second_guild_id if second else self.guild_id]

    def member_roles(self, user_id: int, second: bool = False) -> set[int]:
        return set(self.roles(second).roles_of(user_id))

    def new_member(self, name: str, second: bool = False) -> dict[str, Any]:
        """Someone who joins the server (with no role), as a user payload."""
        user = payloads.user(payloads.snowflake(), name)
        self.roles(second).members[int(user["id"])] = set()
        self.people[int(user["id"])] = user
        return user

    def leave(self, user_id: int, second: bool = False) -> None:
        """A member leaves the server: Discord then answers 10007 Unknown Member for them
        (the bot hears no GUILD_MEMBER_REMOVE: that needs the privileged members intent)."""
        self.roles(second).members.pop(user_id, None)

    async def create_role(
        self, name: str, *, position: int = 1, permissions: int = 0, managed: bool = False,
        second: bool = False,
    ) -> int:  # fmt: skip
        """An organiser creates a role at `position` (Discord's default: 1, just above
        @everyone), moving up those at or above it; the bot hears GUILD_ROLE_CREATE and a
        GUILD_ROLE_UPDATE for each role moved."""
        roles = self.roles(second)
        role = FakeRole(payloads.snowflake(), name, position, permissions, managed)
        moved = roles.add(role)
        guild = str(roles.guild_id)
        await self._tell("GUILD_ROLE_CREATE", {"guild_id": guild, "role": role.payload()},
                         roles.guild_id)  # fmt: skip
        for other in moved:
            await self._tell("GUILD_ROLE_UPDATE", {"guild_id": guild, "role": other.payload()},
                             roles.guild_id)  # fmt: skip
        return role.id

    async def edit_role(
        self, role_id: int, *, position: int | None = None, permissions: int | None = None,
        second: bool = False,
    ) -> None:  # fmt: skip
        """An organiser moves a role (swapping with the one at `position`, if any) or
        changes its permissions; the bot hears GUILD_ROLE_UPDATE for each role changed."""
        roles = self.roles(second)
        role = roles.roles[role_id]
        changed = [role]
        if position is not None:
            changed += [r for r in roles.roles.values() if r.position == position and r is not role]
            for other in changed[1:]:
                other.position = role.position
            role.position = position
        if permissions is not None:
            role.permissions = permissions
        for one in changed:
            await self._tell("GUILD_ROLE_UPDATE",
                             {"guild_id": str(roles.guild_id), "role": one.payload()},
                             roles.guild_id)  # fmt: skip

    async def delete_role(self, role_id: int, second: bool = False, heard: bool = True) -> None:
        """An organiser deletes a role: every member loses it, and the bot hears
        GUILD_ROLE_DELETE (changing it is then 404 Unknown Role). With `heard` False the
        event is lost on its way, so the bot's cache still has the role (while the bot
        is down, nothing is sent either way, and its next GUILD_CREATE lacks the role)."""
        roles = self.roles(second)
        del roles.roles[role_id]
        for held in roles.members.values():
            held.discard(role_id)
        if heard:
            await self._tell("GUILD_ROLE_DELETE",
                             {"guild_id": str(roles.guild_id), "role_id": str(role_id)},
                             roles.guild_id)  # fmt: skip

    async def delete_channel(self, channel_id: int) -> None:
        """An organiser deletes one of the first server's text channels: posts to it are
        404 Unknown Channel, and the bot hears CHANNEL_DELETE."""
        self.deleted_channels.add(channel_id)
        name = "grand-ballroom" if channel_id == self.room_channel_id else "general"
        await self._tell("CHANNEL_DELETE", payloads.text_channel(channel_id, self.guild_id, name),
                         self.guild_id)  # fmt: skip

    async def give_role(self, user_id: int, role_id: int, second: bool = False) -> None:
        """An organiser gives a role by hand (no rule applies to them here)."""
        await self._set_roles(user_id, self.member_roles(user_id, second) | {role_id}, second)

    async def take_role(self, user_id: int, role_id: int, second: bool = False) -> None:
        await self._set_roles(user_id, self.member_roles(user_id, second) - {role_id}, second)

    async def bot_role(
        self, permissions: int, position: int = 1, second: bool = False, name: str = "confbot"
    ) -> int:
        """The role Discord makes for a bot invited with permissions (managed, named
        after it), at `position`, given to the bot."""
        role_id = await self.create_role(name, position=position, permissions=permissions,
                                         managed=True, second=second)  # fmt: skip
        await self.give_role(self.application_id, role_id, second)
        return role_id

    async def _tell(self, name: str, data: dict[str, Any], guild_id: int) -> None:
        """An event about a server's roles, to the bot if it is connected there (before
        it is, GUILD_CREATE will carry the roles as they are then)."""
        if self.holding(guild_id) is not None:
            await self._dispatch(name, data, guild_id)

    async def _set_roles(self, user_id: int, held: set[int], second: bool) -> None:
        roles = self.roles(second)
        roles.members[user_id] = held
        if user_id == self.application_id:  # sent for the bot's own member whatever its intents
            member = payloads.member(self.bot_user, 0)
            member |= {"guild_id": str(roles.guild_id), "roles": [str(r) for r in sorted(held)]}
            await self._tell("GUILD_MEMBER_UPDATE", member, roles.guild_id)

    def member_payload(
        self, user: dict[str, Any], permissions: int, guild_id: int
    ) -> dict[str, Any]:
        """A member as Discord sends it, with the roles they hold there."""
        member = payloads.member(user, permissions)
        roles = self.guild_roles.get(guild_id)
        if roles is not None:
            held = roles.members.setdefault(int(user["id"]), set())  # using a command: a member
            self.people.setdefault(int(user["id"]), user)
            member["roles"] = [str(r) for r in sorted(held)]
        return member

    def _guild_of(self, p: list[str]) -> GuildRoles | None:
        return self.guild_roles.get(int(p[1]))

    async def _get_roles(self, request: web.Request, p: list[str]) -> web.Response:
        roles = self._guild_of(p)
        if roles is None:
            return self._discord_error(404, 10004, "Unknown Guild")
        return self._json(roles.payloads(self.everyone_permissions))

    async def _get_member(self, request: web.Request, p: list[str]) -> web.Response:
        roles = self._guild_of(p)
        if roles is None:
            return self._discord_error(404, 10004, "Unknown Guild")
        user_id = int(p[3])
        if user_id not in roles.members:
            return self._discord_error(404, 10007, "Unknown Member")
        user = self.people.get(user_id) or payloads.user(user_id, f"member-{user_id}")
        member = payloads.member(user, 0)
        member.pop("permissions")  # only interactions carry a member's permissions
        member["roles"] = [str(r) for r in roles.roles_of(user_id)]
        return self._json(member)

    async def _change_member_role(self, request: web.Request, p: list[str]) -> web.StreamResponse:
        """Add or remove a member's role, refused as Discord refuses it (guilds.py)."""
        roles = self._guild_of(p)
        if roles is None:
            return self._discord_error(404, 10004, "Unknown Guild")
        user_id, role_id = int(p[3]), int(p[5])
        if role_id == roles.guild_id:
            self.error(f"{request.method} of @everyone on member {user_id}")
            return self._discord_error(404, 10011, "Unknown Role")
        refused = roles.refusal(self.application_id, user_id, role_id, self.everyone_permissions)
        if refused is not None:
            return self._discord_error(*refused)
        roles.change(request.method, user_id, role_id)
        if user_id == self.application_id:
            await self._set_roles(user_id, roles.members[user_id], roles.guild_id != self.guild_id)
        return web.Response(status=204)

    # -- gateway ------------------------------------------------------------------------

    @property
    def guild_ids(self) -> list[int]:
        """The servers that added the bot (each sent to the connection holding its shard)."""
        return [self.guild_id, self.second_guild_id]

    def _guild_payload(self, guild_id: int) -> dict[str, Any]:
        bot_member = payloads.member(self.bot_user, DEFAULT_PERMISSIONS)
        if guild_id == self.guild_id:
            channels = [
                payloads.text_channel(self.channel_id, self.guild_id),
                payloads.text_channel(self.room_channel_id, self.guild_id, "grand-ballroom"),
                payloads.forum_channel(self.forum_id, self.guild_id, self.forum_tags),
            ]
        else:
            channels = [payloads.text_channel(self.second_channel_id, self.second_guild_id)]
        # Its roles, its owner, and the bot's member with the roles it holds there.
        roles = self.guild_roles[guild_id]
        bot_member["roles"] = [str(r) for r in roles.roles_of(self.application_id)]
        return payloads.guild(guild_id, channels, bot_member, self.everyone_permissions,
                              roles.payloads(self.everyone_permissions)[1:],
                              roles.owner_id,
                              self.guild_locales.get(guild_id, "en-US"))  # fmt: skip

    def holding(self, guild_id: int | None) -> GatewaySession | None:
        """The session a server's events go to (None for a DM: shard 0's), the latest
        identified for its shard; None if no connection ever identified for it."""
        for session in reversed(self.gateway_sessions.values()):
            if session.holds(guild_id):
                return session
        return None

    @property
    def socket(self) -> web.WebSocketResponse | None:
        """The connection holding the first server's shard, while it is open."""
        session = self.holding(self.guild_id)
        return session.socket if session is not None else None

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse(max_msg_size=0)
        await socket.prepare(request)
        self._connections.add(socket)
        # Plain text frames: discord.py accepts them even when it asked for zlib-stream.
        await socket.send_json({"op": 10, "d": {"heartbeat_interval": 41250}, "s": None, "t": None})
        try:
            async for frame in socket:
                if frame.type != WSMsgType.TEXT:
                    continue
                await self._gateway_op(socket, json.loads(frame.data))
        finally:
            self._connections.discard(socket)
            for session in self.gateway_sessions.values():
                if session.socket is socket:
                    session.socket = None
                    if session is self.holding(self.guild_id):
                        self.connected.clear()
        return socket

    async def _gateway_op(self, socket: web.WebSocketResponse, message: dict[str, Any]) -> None:
        op, data = message.get("op"), message.get("d") or {}
        if op == 1:
            await socket.send_json({"op": 11, "d": None, "s": None, "t": None})
        elif op == 2:
            await self._identify(socket, data)
        elif op == 6:
            session = self.gateway_sessions.get(data.get("session_id") or "")
            if session is None or not session.resumable:
                await socket.send_json({"op": 9, "d": False, "s": None, "t": None})
                return
            self.resumes += 1
            session.socket = socket
            for event in [e for e in session.sent_events if e["s"] > (data.get("seq") or 0)]:
                await socket.send_json(event)
            await self._send(session, "RESUMED", {})
            if session is self.holding(self.guild_id):
                self.connected.set()
                self.moved.set()

    async def _identify(self, socket: web.WebSocketResponse, data: dict[str, Any]) -> None:
        """A new session for the shard the bot names (`shard: [id, count]`, [0, 1] if it
        names none): READY, then a GUILD_CREATE for each server on that shard. A shard
        outside the count (or in `invalid_shards`) is refused as Discord refuses it, with
        close code 4010; a count under `shards_required` with 4011."""
        if data.get("token") not in (TOKEN, f"Bot {TOKEN}"):
            await socket.close(code=4004, message=b"Authentication failed.")
            return
        self.identifies += 1
        shard_id, shard_count = data.get("shard") or [0, 1]
        self.shard_counts.add(shard_count)
        if not 0 <= shard_id < shard_count or shard_id in self.invalid_shards:
            await socket.close(code=4010, message=b"Invalid shard.")
            return
        if shard_count < self.shards_required:
            await socket.close(code=4011, message=b"Sharding required.")
            return
        self.sessions += 1
        session = GatewaySession(f"session-{self.sessions}", (shard_id, shard_count), socket)
        self.gateway_sessions[session.session_id] = session
        if not session.holds(self.guild_id):
            self.other_shards.append(socket)
        guilds = [guild_id for guild_id in self.guild_ids if session.holds(guild_id)]
        ready = {
            "v": 10,
            "user": self.bot_user,
            "guilds": [{"id": str(guild_id), "unavailable": True} for guild_id in guilds],
            "session_id": session.session_id,
            "resume_gateway_url": self.gateway_url,
            "application": {"id": str(self.application_id), "flags": 0},
            "private_channels": [],
            "relationships": [],
            "shard": [shard_id, shard_count],
        }
        await self._send(session, "READY", ready)
        for guild_id in guilds:
            await self._send(session, "GUILD_CREATE", self._guild_payload(guild_id))
        if session is self.holding(self.guild_id):
            self.connected.set()
            self.moved.set()

    async def remove_bot(self, second: bool = False) -> None:
        """A server removes the bot (kicks it): Discord sends GUILD_DELETE without
        `unavailable`, which discord.py reports as on_guild_remove."""
        guild_id = self.second_guild_id if second else self.guild_id
        await self._dispatch("GUILD_DELETE", {"id": str(guild_id)}, guild_id)

    async def _dispatch(
        self, name: str, data: dict[str, Any], guild_id: int | None
    ) -> GatewaySession | None:
        """Send an event about a server (None: a DM) to the session holding its shard,
        which keeps it for a RESUME if its connection is down; the session, or None if
        no connection ever held that shard (the event is lost, as on Discord)."""
        session = self.holding(guild_id)
        if session is None:
            log.warning("no gateway connection holds the shard of %s: %s dropped", guild_id, name)
            self.undelivered.append((name, guild_id))
            return None
        await self._send(session, name, data)
        return session

    async def _send(self, session: GatewaySession, name: str, data: dict[str, Any]) -> None:
        session.seq += 1
        event = {"op": 0, "t": name, "s": session.seq, "d": data}
        if name not in ("READY", "RESUMED"):
            session.sent_events.append(event)
        target = session.socket
        if target is not None and not target.closed:
            with contextlib.suppress(ConnectionResetError, RuntimeError):
                await target.send_json(event)

    # -- faults -------------------------------------------------------------------------

    async def close_gateway(self, code: int = 4000) -> None:
        """Close the socket as Discord does before asking the client to RESUME."""
        socket = self.socket
        self.connected.clear()
        if socket is not None:
            await socket.close(code=code, message=b"fake: closing")

    async def abort_gateway(self) -> None:
        """Drop the TCP connection with no close frame, like a network failure."""
        socket = self.socket
        self.connected.clear()
        transport = request_transport(socket) if socket is not None else None
        if isinstance(transport, asyncio.WriteTransport):
            transport.abort()

    async def invalidate_session(self) -> None:
        """op 9 (not resumable): the client must IDENTIFY again."""
        session = self.holding(self.guild_id)
        if session is not None:
            session.resumable = False
        if self.socket is not None:
            await self.socket.send_json({"op": 9, "d": False, "s": None, "t": None})

    # -- interactions -------------------------------------------------------------------

    def commands(self) -> list[dict[str, Any]]:
        return self.global_commands or next(iter(self.guild_commands.values()), [])

    def command(self, name: str) -> dict[str, Any]:
        for command in self.commands():
            if command["name"] == name:
                return command
        raise AssertionError(
            f"/{name} was never registered (registered: {[c['name'] for c in self.commands()]})"
        )

    def _options(
        self, command: dict[str, Any], values: dict[str, Any], focused: str | None
    ) -> list[dict[str, Any]]:
        """Options as Discord would send them, checked against the registered tree."""
        declared = {o["name"]: o for o in command.get("options") or []}
        for name in values:
            assert name in declared, f"/{command['name']} has no option {name!r}"
        for name, option in declared.items():
            if option.get("required") and name not in values and name != focused:
                raise AssertionError(f"/{command['name']} requires {name!r}")
        options = []
        for name, value in values.items():
            option = declared[name]
            if option.get("choices") and name != focused:
                allowed = [c["value"] for c in option["choices"]]
                assert value in allowed, f"{value!r} is not a choice of {name!r}: {allowed}"
            if option["type"] in (6, 7, 8):  # a user, channel or role: its id, and resolved
                value = str(value)
            entry: dict[str, Any] = {"name": name, "type": option["type"], "value": value}
            if name == focused:
                assert option.get("autocomplete"), f"{name!r} has no autocomplete"
                entry["focused"] = True
            options.append(entry)
        return options

    def _base(
        self,
        kind: int,
        data: dict[str, Any],
        user: dict[str, Any] | None,
        dm: bool,
        permissions: int,
        in_thread: int | None = None,
        installed_by_user: bool = False,
        elsewhere: bool = False,
        second: bool = False,
        locale: str = "en-US",
    ) -> dict[str, Any]:
        """An interaction as Discord sends it. `installed_by_user`: the person has the app
        on their account; `elsewhere`: they use it in a server that never added the bot
        (so only their install authorises it); `second`: in the second server; `locale`:
        the language of the person's Discord client (the server's is its guild_locale)."""
        user = user or self.attendee
        interaction_id = payloads.snowflake()
        guild_id = self.second_guild_id if second else self.guild_id
        owners = {} if elsewhere or (installed_by_user and dm) else {"0": str(guild_id)}
        if installed_by_user or elsewhere:
            owners["1"] = str(user["id"])
        token = f"itoken-{interaction_id}"
        payload: dict[str, Any] = {
            "id": str(interaction_id),
            "application_id": str(self.application_id),
            "type": kind,
            "token": token,
            "version": 1,
            "data": data,
            "locale": locale,
            "app_permissions": str(DEFAULT_PERMISSIONS),
            "entitlements": [],
            "attachment_size_limit": self.attachment_size_limit,
            "authorizing_integration_owners": owners,
            "context": 1 if dm else 0,
        }
        if elsewhere:
            channel_id = self.elsewhere_channel_id
            payload["channel_id"] = str(channel_id)
            payload["channel"] = payloads.text_channel(channel_id, self.elsewhere_guild_id)
            payload["guild_id"] = str(self.elsewhere_guild_id)
            payload["guild_locale"] = "en-US"
            payload["member"] = payloads.member(user, permissions)
            payload["app_permissions"] = str(ELSEWHERE_APP_PERMISSIONS)
        elif dm:
            channel_id = self.dm_channels.setdefault(int(user["id"]), payloads.snowflake())
            payload["channel_id"] = str(channel_id)
            payload["channel"] = payloads.dm_channel(channel_id, user)
            payload["user"] = user
        elif in_thread is not None:
            payload["channel_id"] = str(in_thread)
            payload["channel"] = self.threads[in_thread]
            payload["guild_id"] = str(self.guild_id)
            payload["guild_locale"] = self.guild_locales.get(self.guild_id, "en-US")
            payload["member"] = self.member_payload(user, permissions, self.guild_id)
        else:
            channel_id = self.second_channel_id if second else self.channel_id
            payload["channel_id"] = str(channel_id)
            payload["channel"] = payloads.text_channel(channel_id, guild_id)
            payload["guild_id"] = str(guild_id)
            payload["guild_locale"] = self.guild_locales.get(guild_id, "en-US")
            payload["member"] = self.member_payload(user, permissions, guild_id)
        return payload

    async def send_command(
        self,
        name: str,
        /,
        *,
        user: dict[str, Any] | None = None,
        dm: bool = False,
        permissions: int = DEFAULT_PERMISSIONS,
        in_thread: int | None = None,
        installed_by_user: bool = False,
        elsewhere: bool = False,
        second: bool = False,
        locale: str = "en-US",
        **options: Any,
    ) -> Interaction:
        """`name` may name a subcommand too: send_command("announce channel", ...);
        `locale`: the language of the person's client."""
        data, flat = self._command_data(name, options, None)
        channels = [o["value"] for o in flat if o["type"] == 7]
        if channels:
            resolved = {c: {**payloads.text_channel(int(c), self.guild_id), "permissions": "52224"}
                        for c in channels}  # fmt: skip
            if str(self.forum_id) in resolved:
                resolved[str(self.forum_id)] = {
                    **payloads.forum_channel(self.forum_id, self.guild_id, self.forum_tags),
                    "permissions": "52224",
                }
            data["resolved"] = {"channels": resolved}
        self._resolve_roles_and_users(data, flat, second)
        payload = self._base(2, data, user, dm, permissions, in_thread, installed_by_user,
                             elsewhere, second, locale)  # fmt: skip
        self._check_offered(self.command(data["name"]), payload)
        return await self._deliver(payload)

    def _resolve_roles_and_users(
        self, data: dict[str, Any], flat: list[dict[str, Any]], second: bool
    ) -> None:
        """Roles and users given as options, resolved as Discord sends them: the role,
        and the user with their member (without `user`) if they are in the server. Only
        what exists can be picked in Discord's client."""
        roles = self.roles(second)
        picked_roles = [o["value"] for o in flat if o["type"] == 8]
        picked_users = [o["value"] for o in flat if o["type"] == 6]
        resolved = data.setdefault("resolved", {})
        everyone = {str(roles.guild_id): roles.everyone(self.everyone_permissions)}
        known = everyone | {str(r.id): r.payload() for r in roles.roles.values()}
        for role_id in picked_roles:
            assert role_id in known, f"no role {role_id} in the server to pick"
            resolved.setdefault("roles", {})[role_id] = known[role_id]
        for user_id in picked_users:
            person = self.people.get(int(user_id))
            assert person is not None, f"no user {user_id} Discord could offer"
            resolved.setdefault("users", {})[user_id] = person
            if int(user_id) in roles.members:
                member = payloads.member(person, 0)
                del member["user"]
                member["roles"] = [str(r) for r in roles.roles_of(int(user_id))]
                resolved.setdefault("members", {})[user_id] = member
        if not resolved:
            del data["resolved"]

    @staticmethod
    def _check_offered(command: dict[str, Any], payload: dict[str, Any]) -> None:
        """Discord offers a command only in the contexts it registered, and only through
        an install (server 0, user 1) it registered for: a test that sends it elsewhere
        has found a registration bug, not a reply to check."""
        contexts = command.get("contexts")
        if contexts is not None and payload["context"] not in contexts:
            raise AssertionError(f"Discord would not offer /{command['name']} in context"
                                 f" {payload['context']} (it registered {contexts})")  # fmt: skip
        installs = command.get("integration_types") or [0]
        if not any(int(kind) in installs for kind in payload["authorizing_integration_owners"]):
            raise AssertionError(f"Discord would not offer /{command['name']} through install"
                                 f" {sorted(payload['authorizing_integration_owners'])}"
                                 f" (it registered {installs})")  # fmt: skip

    async def send_autocomplete(
        self,
        name: str,
        option: str,
        typed: str,
        /,
        *,
        user: dict[str, Any] | None = None,
        dm: bool = False,
        second: bool = False,
        locale: str = "en-US",
        **others: Any,
    ) -> Interaction:
        """`locale`: the language of the person's client, as for send_command."""
        data, _ = self._command_data(name, {**others, option: typed}, option)
        payload = self._base(4, data, user, dm, DEFAULT_PERMISSIONS, second=second,
                             installed_by_user=dm, locale=locale)  # fmt: skip
        return await self._deliver(payload)

    def _command_data(
        self, name: str, options: dict[str, Any], focused: str | None
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """The interaction's data for '/name' or '/name subcommand', and its leaf options."""
        top, _, subcommand = name.partition(" ")
        command = self.command(top)
        if subcommand:
            declared = {o["name"]: o for o in command.get("options") or [] if o["type"] == 1}
            assert subcommand in declared, f"/{top} has no subcommand {subcommand!r}"
            flat = self._options(declared[subcommand], options, focused)
            wire = [{"name": subcommand, "type": 1, "options": flat}]
        else:
            flat = wire = self._options(command, options, focused)
        return {"id": command["id"], "name": top, "type": 1, "options": wire}, flat

    async def click(
        self, on: Interaction, custom_id: str, *, user: dict[str, Any] | None = None,
        locale: str = "en-US",
    ) -> Interaction:  # fmt: skip
        assert on.message is not None, "that interaction has no message to click on"
        return await self.click_message(on.message, custom_id, user=user, locale=locale)

    async def click_message(
        self, message: dict[str, Any], custom_id: str, *, user: dict[str, Any] | None = None,
        permissions: int = DEFAULT_PERMISSIONS, second: bool = False, locale: str = "en-US",
    ) -> Interaction:  # fmt: skip
        """Press a button on any message (a channel post, a forum thread's first one), with
        the person's `permissions` where it is (`second`: in the second server)."""
        ids = [
            c.get("custom_id")
            for row in message.get("components", [])
            for c in row.get("components", [])
        ]
        assert custom_id in ids, f"no button {custom_id!r} on that message: {ids}"
        data = {"custom_id": custom_id, "component_type": 2}
        channel = int(message["channel_id"])
        thread = channel if channel in self.threads else None
        payload = self._base(3, data, user, False, permissions, thread, second=second,
                             locale=locale)  # fmt: skip
        payload["message"] = {k: v for k, v in message.items() if not k.startswith("_")}
        return await self._deliver(payload)

    async def submit_modal(
        self, opened: Interaction, values: dict[str, str], *, user: dict[str, Any] | None = None,
        locale: str = "en-US",
    ) -> Interaction:  # fmt: skip
        """Fill in and submit the modal the bot answered `opened` with."""
        (callback,) = opened.callbacks
        assert callback["type"] == 9, f"that interaction was answered with {callback['type']}"
        modal = callback["data"]
        rows = [{"type": 1, "components": [{"type": 4, "custom_id": c["custom_id"],
                                             "value": values[c["custom_id"]]}
                                            for c in row["components"]]}
                for row in modal["components"]]  # fmt: skip
        data = {"custom_id": modal["custom_id"], "components": rows}
        channel = int(opened.payload["channel_id"])
        thread = channel if channel in self.threads else None
        return await self._deliver(self._base(5, data, user, False, DEFAULT_PERMISSIONS, thread,
                                              locale=locale))  # fmt: skip

    async def _deliver(self, payload: dict[str, Any]) -> Interaction:
        interaction = Interaction(int(payload["id"]), payload["token"], payload["type"], payload)
        self.interactions[interaction.id] = interaction
        self._by_token[interaction.token] = interaction
        interaction.delivered_at = time.monotonic()
        guild_id = int(payload["guild_id"]) if "guild_id" in payload else None
        session = self.holding(guild_id)
        interaction.shard = session.shard if session is not None else None
        await self._dispatch("INTERACTION_CREATE", payload, guild_id)
        return interaction

    async def answer(self, interaction: Interaction, timeout: float = 5.0) -> Interaction:
        """Wait until the bot acknowledges the interaction."""
        await asyncio.wait_for(interaction.answered.wait(), timeout)
        return interaction


@functools.lru_cache(maxsize=32)
def _sync_problems(raw: bytes) -> tuple[str, ...]:
    """What Discord would refuse in a command sync's body: a function of its bytes alone
    (the rules are constants), kept for the bodies seen last: every bot of a test process
    syncs the same tree, and is checked as the first was."""
    body = json.loads(raw)
    problems = [problem for command in body for problem in rules.command_problems(command)]
    problems += rules.tree_problems(body)
    return tuple(problems)


def _modal_problems(data: dict[str, Any], where: str) -> list[str]:
    problems = []
    if not 1 <= len(data.get("title") or "") <= MODAL_TITLE_MAX:
        problems.append(f"{where}: title {data.get('title')!r}")
    if not data.get("custom_id"):
        problems.append(f"{where}: no custom_id")
    rows = data.get("components") or []
    if not 1 <= len(rows) <= 5:
        problems.append(f"{where}: {len(rows)} rows")
    for row in rows:
        for component in row.get("components") or []:
            if component.get("type") != 4:
                problems.append(f"{where}: component of type {component.get('type')}")
            problems += rules.text_input_problems(component, where)
    return problems


def request_transport(socket: web.WebSocketResponse) -> asyncio.BaseTransport | None:
    # aiohttp keeps the request (and its transport) only privately.
    """The TCP transport under a server-side websocket (to abort it)."""
    req = getattr(socket, "_req", None)
    return req.transport if req is not None else None
