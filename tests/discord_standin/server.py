"""A local Discord: REST API and gateway websocket on 127.0.0.1, run in a thread of its own."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from . import limits
from . import payloads as p
from .world import GuildState, InteractionRecord, World

Json = dict[str, Any]
API = "/api/v10"

# Gateway opcodes.
DISPATCH, HEARTBEAT, IDENTIFY, RESUME, RECONNECT, INVALID_SESSION, HELLO, HEARTBEAT_ACK = (
    0,
    1,
    2,
    6,
    7,
    9,
    10,
    11,
)
GUILD_MEMBERS = 1 << 1
PRIVILEGED_INTENTS = GUILD_MEMBERS | (1 << 8) | (1 << 15)
EPHEMERAL = 1 << 6
LOADING = 1 << 7


@dataclass
class RecordedRequest:
    method: str
    path: str  # without the /api/v10 prefix
    query: dict[str, str]
    json: Any  # the JSON body, or a multipart request's payload_json
    files: list[tuple[str, bytes]]
    at: float
    status: int = 0


@dataclass
class Heartbeat:
    received_at: float
    acked_at: float
    sequence: int | None


@dataclass
class GatewaySession:
    ws: web.WebSocketResponse
    session_id: str
    sequence: int = 0
    identified: bool = False  # stays true after the connection closes; see `open`
    intents: int = 0
    heartbeats: list[Heartbeat] = field(default_factory=list)

    @property
    def open(self) -> bool:
        return not self.ws.closed


_RECORD = web.RequestKey("record", RecordedRequest)


class DiscordError(Exception):
    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class StandinDiscord:
    """Call `start()`; tests then add guilds and members, dispatch events and read `requests`."""

    def __init__(
        self,
        *,
        token: str = "standin-token",
        heartbeat_interval_ms: int = 41_250,
        interaction_deadline_s: float = 3.0,
        allowed_intents: int | None = None,
    ) -> None:
        self.world = World(token)
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.interaction_deadline_s = interaction_deadline_s
        # None: every privileged intent is enabled in the (imaginary) developer portal.
        self.allowed_intents = allowed_intents
        self.requests: list[RecordedRequest] = []
        self.attachment_downloads: list[int] = []
        self.sessions: list[GatewaySession] = []
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None

    # Lifecycle.

    @property
    def http_base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base(self) -> str:
        return self.http_base + API

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    @property
    def token(self) -> str:
        return self.world.token

    def start(self) -> StandinDiscord:
        started = threading.Event()
        self._loop = asyncio.new_event_loop()

        def run() -> None:
            assert self._loop is not None
            asyncio.set_event_loop(self._loop)
            self._loop.run_until_complete(self._startup())
            started.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, name="discord-standin", daemon=True)
        self._thread.start()
        if not started.wait(10):
            raise RuntimeError("the Discord stand-in did not start")
        return self

    def stop(self) -> None:
        if self._loop is None or self._thread is None:
            return
        asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()
        self._loop = self._thread = None

    async def _startup(self) -> None:
        app = web.Application(middlewares=[self._record_middleware], client_max_size=64 * 1024**2)
        app.router.add_get("/gateway", self._gateway)
        app.router.add_get("/attachments/{id}/{filename}", self._attachment)
        app.router.add_route("*", API + "/{tail:.*}", self._api)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def _shutdown(self) -> None:
        for session in list(self.sessions):
            await session.ws.close(code=1001)
        if self._runner is not None:
            await self._runner.cleanup()

    def _call(self, coro: Any) -> asyncio.Future[Any]:
        """Run a coroutine on the stand-in's loop; awaitable from any other loop."""
        assert self._loop is not None, "start() the stand-in first"
        return asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, self._loop))

    # What tests use while a client is connected.

    @property
    def heartbeats(self) -> list[Heartbeat]:
        return [beat for session in self.sessions for beat in session.heartbeats]

    def requests_matching(self, method: str, path_contains: str = "") -> list[RecordedRequest]:
        with self.world.lock:
            return [r for r in self.requests if r.method == method and path_contains in r.path]

    def requests_to(self, method: str, path: str) -> list[RecordedRequest]:
        """Requests to exactly this path (without /api/v10), e.g. "/channels/1/messages"."""
        with self.world.lock:
            return [r for r in self.requests if r.method == method and r.path == path]

    def message_payloads(self) -> list[Json]:
        """Every message create/edit payload the bot sent, through any route."""
        with self.world.lock:
            found = []
            for r in self.requests:
                if not isinstance(r.json, dict) or not _is_message_route(r.method, r.path):
                    continue
                payload = r.json
                if r.path.endswith("/callback"):
                    # Only a type 4 callback carries a message; a deferral's data is just flags.
                    payload = r.json.get("data") if r.json.get("type") == 4 else None
                if payload:
                    found.append(payload)
            return found

    async def wait_for(
        self, predicate: Callable[[], Any], *, timeout: float = 10.0, what: str = "condition"
    ) -> Any:
        """Poll `predicate` (called under the world lock) until it returns something truthy."""
        deadline = time.monotonic() + timeout
        while True:
            with self.world.lock:
                value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError(f"stand-in: timed out waiting for {what}")
            await asyncio.sleep(0.01)

    async def wait_for_request(
        self, method: str, path_contains: str, *, count: int = 1, timeout: float = 10.0
    ) -> list[RecordedRequest]:
        def found() -> list[RecordedRequest] | None:
            hits = self.requests_matching(method, path_contains)
            return hits if len(hits) >= count else None

        what = f"{count}x {method} {path_contains}"
        return await self.wait_for(found, timeout=timeout, what=what)

    async def wait_until_connected(self, *, timeout: float = 10) -> None:
        await self.wait_for(
            lambda: any(s.identified for s in self.sessions), timeout=timeout, what="IDENTIFY"
        )

    async def dispatch(self, event: str, data: Json) -> None:
        await self._call(self._broadcast(event, data))

    async def send_message(
        self,
        channel_id: int,
        author_id: int,
        content: str,
        *,
        mention_bot: bool = False,
        attachments: list[Json] | None = None,
    ) -> Json:
        """A user posts in a channel, thread or DM; dispatched as MESSAGE_CREATE."""
        world = self.world
        with world.lock:
            author = world.users[author_id]
            guild = world.guild_of_channel(channel_id)
            if mention_bot:
                content = f"<@{world.app_id}> {content}"
            mentions = [world.bot_user] if f"<@{world.app_id}>" in content else []
            data = p.message(
                p.snowflake(),
                channel_id,
                author,
                content,
                guild_id=guild.id if guild else None,
                member_json=guild.members[author_id] if guild else None,
                mentions=mentions,
                attachments=attachments,
            )
            world.messages[int(data["id"])] = data
        await self.dispatch("MESSAGE_CREATE", data)
        return data

    async def invoke(
        self,
        name: str,
        user_id: int,
        *,
        guild_id: int | None = None,
        channel_id: int | None = None,
        options: dict[str, Any] | None = None,
    ) -> InteractionRecord:
        """A user runs a registered slash command; dispatched as INTERACTION_CREATE.

        `name` may name a subcommand ("feed add"). Option values that are `world.Attachment`s
        become attachment options with resolved data; channel options (a channel id) too.
        """
        record, data = self._interaction_payload(name, user_id, guild_id, channel_id, options or {})
        await self.dispatch("INTERACTION_CREATE", data)
        return record

    def attachment_json(self, attachment_id: int) -> Json:
        item = self.world.attachments[attachment_id]
        url = f"{self.http_base}/attachments/{item.id}/{item.filename}"
        return p.attachment(item.id, item.filename, len(item.data), url, item.content_type)

    def _interaction_payload(
        self,
        name: str,
        user_id: int,
        guild_id: int | None,
        channel_id: int | None,
        options: dict[str, Any],
    ) -> tuple[InteractionRecord, Json]:
        from .world import Attachment

        world = self.world
        top, *subcommands = name.split()
        with world.lock:
            command = world.registered_command(top, guild_id)
            if command is None:
                raise LookupError(f"/{name} is not registered for guild {guild_id} (synced?)")
            user = world.users[user_id]
            if guild_id is not None:
                guild = world.guilds[guild_id]
                channel_id = channel_id or guild.default_channel_id
                channel = world.channel(channel_id)
            else:
                channel = world.dm_channel_for(user_id)
                channel_id = int(channel["id"])
            record = world.new_interaction(name, user_id, guild_id, channel_id)

            # "feed add" is the subcommand "add" of the command "feed".
            declared_in = command.get("options", [])
            for sub in subcommands:
                found = [o for o in declared_in if o["name"] == sub and o["type"] in (1, 2)]
                if not found:
                    raise LookupError(f"/{command['name']} has no subcommand {sub!r}")
                declared_in = found[0].get("options", [])
            declared = {o["name"]: o for o in declared_in}
            option_list, resolved_attachments, resolved_channels = [], {}, {}
            for key, value in options.items():
                if key not in declared:
                    raise LookupError(f"/{name} has no option {key!r}")
                if isinstance(value, Attachment):
                    resolved_attachments[str(value.id)] = self.attachment_json(value.id)
                    value = str(value.id)
                if declared[key]["type"] == 7:  # a channel: sent with its resolved data
                    found_channel = world.channel(int(value))
                    if found_channel is None:
                        raise LookupError(f"no channel {value}")
                    resolved_channels[str(value)] = {
                        **found_channel,
                        "permissions": str((1 << 53) - 1),
                    }
                    value = str(value)
                option_list.append({"name": key, "type": declared[key]["type"], "value": value})
            for sub in reversed(subcommands):
                option_list = [{"name": sub, "type": 1, "options": option_list}]

            command_data: Json = {
                "id": command["id"],
                "name": command["name"],
                "type": 1,
                "options": option_list,
            }
            if "guild_id" in command:
                command_data["guild_id"] = command["guild_id"]
            resolved = {"attachments": resolved_attachments, "channels": resolved_channels}
            if resolved_attachments or resolved_channels:
                command_data["resolved"] = {k: v for k, v in resolved.items() if v}

            data: Json = {
                "id": str(record.id),
                "application_id": str(world.app_id),
                "type": 2,
                "data": command_data,
                "channel_id": str(channel_id),
                "channel": channel,
                "token": record.token,
                "version": 1,
                "app_permissions": str((1 << 53) - 1),
                "locale": "en-US",
                "entitlements": [],
                "attachment_size_limit": 10 * 1024 * 1024,
            }
            if guild_id is not None:
                permissions = guild.permissions_of(user_id)
                data["guild_id"] = str(guild_id)
                data["guild"] = {"id": str(guild_id), "locale": "en-US", "features": []}
                data["guild_locale"] = "en-US"
                data["member"] = {**guild.members[user_id], "permissions": str(permissions)}
                data["authorizing_integration_owners"] = {"0": str(guild_id)}
                data["context"] = 0
            else:
                data["user"] = user
                data["authorizing_integration_owners"] = {"0": str(user_id)}
                data["context"] = 1
            return record, data

    # Gateway.

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        session = GatewaySession(ws=ws, session_id=f"session-{p.snowflake()}")
        self.sessions.append(session)
        # Plain JSON text frames: discord.py only inflates binary frames, whatever it asked for.
        await ws.send_json({"op": HELLO, "d": {"heartbeat_interval": self.heartbeat_interval_ms}})
        async for frame in ws:
            if frame.type is not WSMsgType.TEXT:
                continue
            await self._gateway_message(session, json.loads(frame.data))
        return ws

    async def _gateway_message(self, session: GatewaySession, msg: Json) -> None:
        op, data = msg.get("op"), msg.get("d")
        if op == HEARTBEAT:
            received = time.monotonic()
            await session.ws.send_json({"op": HEARTBEAT_ACK})
            session.heartbeats.append(Heartbeat(received, time.monotonic(), data))
        elif op == IDENTIFY:
            await self._identify(session, data)
        elif op == RESUME:
            session.identified = True
            await self._send(session, "RESUMED", {})

    async def _identify(self, session: GatewaySession, data: Json) -> None:
        if data.get("token") != self.world.token:
            await session.ws.close(code=4004, message=b"Authentication failed.")
            return
        intents = int(data.get("intents", 0))
        allowed = PRIVILEGED_INTENTS if self.allowed_intents is None else self.allowed_intents
        if intents & PRIVILEGED_INTENTS & ~allowed:
            await session.ws.close(code=4014, message=b"Disallowed intent(s).")
            return
        session.identified, session.intents = True, intents
        with self.world.lock:
            guilds = [g.to_json() for g in self.world.guilds.values()]
            if not intents & GUILD_MEMBERS:
                # Without the members intent Discord sends only the bot's own member.
                bot_id = str(self.world.app_id)
                for g in guilds:
                    g["members"] = [m for m in g["members"] if m["user"]["id"] == bot_id]
            app_id = self.world.app_id
            ready = {
                "v": 10,
                "user": self.world.bot_user,
                "guilds": [{"id": g["id"], "unavailable": True} for g in guilds],
                "session_id": session.session_id,
                "resume_gateway_url": self.gateway_url,
                "application": {"id": str(app_id), "flags": 0},
                "private_channels": [],
                "relationships": [],
            }
        await self._send(session, "READY", ready)
        for guild in guilds:
            await self._send(session, "GUILD_CREATE", guild)

    async def _send(self, session: GatewaySession, event: str, data: Json) -> None:
        if session.ws.closed:
            return
        session.sequence += 1
        await session.ws.send_json({"op": DISPATCH, "t": event, "s": session.sequence, "d": data})

    async def _broadcast(self, event: str, data: Json) -> None:
        for session in list(self.sessions):
            if session.identified and session.open:
                await self._send(session, event, data)

    # REST.

    @web.middleware
    async def _record_middleware(
        self, request: web.Request, handler: Callable[[web.Request], Any]
    ) -> web.StreamResponse:
        if not request.path.startswith(API):
            return await handler(request)
        body, files = None, []
        if request.content_type.startswith("multipart/"):
            reader = await request.multipart()
            async for part in reader:
                if part.name == "payload_json":
                    body = json.loads(await part.text())
                else:
                    files.append((part.filename or part.name or "", await part.read()))
        elif request.can_read_body:
            raw = await request.read()
            body = json.loads(raw) if raw else None
        record = RecordedRequest(
            request.method,
            request.path[len(API) :],
            dict(request.query),
            body,
            files,
            time.monotonic(),
        )
        with self.world.lock:
            self.requests.append(record)
        request[_RECORD] = record
        try:
            response = await handler(request)
        except DiscordError as exc:
            response = _json_response({"message": exc.message, "code": exc.code}, exc.status)
        record.status = response.status
        return response

    async def _attachment(self, request: web.Request) -> web.Response:
        item = self.world.attachments.get(int(request.match_info["id"]))
        with self.world.lock:
            self.attachment_downloads.append(int(request.match_info["id"]))
        if item is None:
            return web.Response(status=404)
        content_type = item.content_type or "application/octet-stream"
        return web.Response(body=item.data, content_type=content_type)

    async def _api(self, request: web.Request) -> web.StreamResponse:
        record = request[_RECORD]
        parts = record.path.strip("/").split("/")
        # Interaction callbacks and interaction webhooks authenticate with their token.
        needs_auth = parts[0] not in ("interactions", "webhooks")
        if needs_auth and request.headers.get("Authorization") != f"Bot {self.world.token}":
            raise DiscordError(401, 0, "401: Unauthorized")
        result = self._route(request.method, parts, record)
        if result is None:
            return web.Response(status=204)
        return _json_response(result)

    def _route(self, method: str, parts: list[str], record: RecordedRequest) -> Any:
        world = self.world
        body = record.json
        with world.lock:
            match method, parts:
                case "GET", ["gateway"]:
                    return {"url": self.gateway_url}
                case "GET", ["gateway", "bot"]:
                    return {
                        "url": self.gateway_url,
                        "shards": 1,
                        "session_start_limit": {
                            "total": 1000,
                            "remaining": 999,
                            "reset_after": 0,
                            "max_concurrency": 1,
                        },
                    }
                case "GET", ["users", "@me"]:
                    return world.bot_user
                case "GET", ["oauth2", "applications", "@me"]:
                    return p.application(world.app_id, world.owner_user, "newsbot")
                case "GET", ["applications", _, "commands"]:
                    return world.global_commands
                case "PUT", ["applications", _, "commands"]:
                    return world.store_commands(body, None)
                case "GET", ["applications", _, "guilds", guild_id, "commands"]:
                    return world.guild_commands.get(int(guild_id), [])
                case "PUT", ["applications", _, "guilds", guild_id, "commands"]:
                    return world.store_commands(body, int(guild_id))
                case "POST", ["interactions", _, token, "callback"]:
                    return self._interaction_callback(token, body or {}, record)
                case "POST", ["webhooks", _, token]:
                    return self._followup(token, body or {}, record)
                case "GET", ["webhooks", _, token, "messages", message_id]:
                    return self._webhook_message(token, message_id)
                case "PATCH", ["webhooks", _, token, "messages", message_id]:
                    return self._webhook_edit(token, message_id, body or {}, record)
                case "DELETE", ["webhooks", _, token, "messages", message_id]:
                    self._webhook_message(token, message_id)
                    return None
                case "POST", ["channels", channel_id, "messages"]:
                    return self._create_message(int(channel_id), body or {}, record)
                case "GET", ["channels", channel_id, "messages", message_id]:
                    return self._message(int(channel_id), int(message_id))
                case "PATCH", ["channels", channel_id, "messages", message_id]:
                    return self._edit_message(int(channel_id), int(message_id), body or {}, record)
                case "DELETE", ["channels", channel_id, "messages", message_id]:
                    self._message(int(channel_id), int(message_id))
                    return None
                case "POST", ["channels", channel_id, "messages", message_id, "threads"]:
                    return self._create_thread(int(channel_id), int(message_id), body or {})
                case "POST", ["channels", _, "typing"]:
                    return None
                case "GET", ["channels", channel_id]:
                    return self._channel(int(channel_id))
                case "POST", ["users", "@me", "channels"]:
                    return world.dm_channel_for(int(body["recipient_id"]))
                case "GET", ["guilds", guild_id]:
                    return self._guild(guild_id).to_json()
                case "GET", ["guilds", guild_id, "channels"]:
                    return list(self._guild(guild_id).channels.values())
                case "GET", ["guilds", guild_id, "roles"]:
                    return list(self._guild(guild_id).roles.values())
                case "GET", ["guilds", guild_id, "members", user_id]:
                    member = self._guild(guild_id).members.get(int(user_id))
                    if member is None:
                        raise DiscordError(404, 10007, "Unknown Member")
                    return member
        raise DiscordError(404, 0, f"404: Not Found ({method} /{'/'.join(parts)})")

    def _guild(self, guild_id: str) -> GuildState:
        guild = self.world.guilds.get(int(guild_id))
        if guild is None:
            raise DiscordError(404, 10004, "Unknown Guild")
        return guild

    def _channel(self, channel_id: int) -> Json:
        channel = self.world.channel(channel_id)
        if channel is None:
            raise DiscordError(404, 10003, "Unknown Channel")
        return channel

    def _message(self, channel_id: int, message_id: int) -> Json:
        message = self.world.messages.get(message_id)
        if message is None or int(message["channel_id"]) != channel_id:
            raise DiscordError(404, 10008, "Unknown Message")
        return message

    def _check_payload(self, body: Json, record: RecordedRequest, *, creating: bool) -> None:
        problems = limits.message_problems(body)
        if problems:
            raise DiscordError(400, 50035, "Invalid Form Body: " + "; ".join(problems))
        if creating and limits.is_empty(body, has_files=bool(record.files)):
            raise DiscordError(400, 50006, "Cannot send an empty message")

    def _bot_message(
        self, channel_id: int, body: Json, record: RecordedRequest, **extra: Any
    ) -> Json:
        guild = self.world.guild_of_channel(channel_id)
        attachments = [
            p.attachment(p.snowflake(), name, len(data), f"{self.http_base}/none", None)
            for name, data in record.files
        ]
        return p.message(
            p.snowflake(),
            channel_id,
            self.world.bot_user,
            body.get("content") or "",
            guild_id=guild.id if guild else None,
            member_json=guild.members[self.world.app_id] if guild else None,
            embeds=body.get("embeds"),
            attachments=attachments,
            flags=body.get("flags", 0),
            **extra,
        )

    def _create_message(self, channel_id: int, body: Json, record: RecordedRequest) -> Json:
        self._channel(channel_id)
        self._check_payload(body, record, creating=True)
        reference = body.get("message_reference")
        message = self._bot_message(channel_id, body, record)
        if reference:
            message["message_reference"] = reference
            message["type"] = 19
        self.world.messages[int(message["id"])] = message
        self._echo(message)
        return message

    def _edit_message(
        self, channel_id: int, message_id: int, body: Json, record: RecordedRequest
    ) -> Json:
        message = self._message(channel_id, message_id)
        self._check_payload(body, record, creating=False)
        _apply_edit(message, body)
        return message

    def _create_thread(self, channel_id: int, message_id: int, body: Json) -> Json:
        message = self._message(channel_id, message_id)
        guild = self.world.guild_of_channel(channel_id)
        if guild is None or channel_id not in guild.channels:
            raise DiscordError(400, 50024, "Cannot execute action on this channel type")
        if message_id in guild.threads:
            raise DiscordError(400, 160004, "A thread has already been created for this message")
        name = body.get("name") or ""
        if not 1 <= len(name) <= 100:
            raise DiscordError(400, 50035, "Invalid Form Body: name must be 1 to 100 characters")
        # A thread started from a message takes the message's id.
        thread = p.thread_channel(
            message_id,
            guild.id,
            channel_id,
            self.world.app_id,
            name,
            auto_archive=body.get("auto_archive_duration", 1440),
        )
        guild.threads[message_id] = thread
        message["thread"] = thread
        self._schedule(self._broadcast("THREAD_CREATE", {**thread, "newly_created": True}))
        return thread

    def _interaction(self, token: str) -> InteractionRecord:
        record = self.world.interactions.get(token)
        if record is None:
            raise DiscordError(404, 10062, "Unknown interaction")
        return record

    def _interaction_callback(self, token: str, body: Json, request: RecordedRequest) -> Json:
        record = self._interaction(token)
        if record.callback_type is not None:
            raise DiscordError(400, 40060, "Interaction has already been acknowledged.")
        if time.monotonic() - record.dispatched_at > self.interaction_deadline_s:
            # Discord forgets interactions that were not acknowledged within three seconds.
            raise DiscordError(404, 10062, "Unknown interaction")
        kind, data = body.get("type"), body.get("data") or {}
        if kind not in (4, 5):
            raise DiscordError(400, 50035, f"Invalid Form Body: callback type {kind}")
        if kind == 4:
            self._check_payload(data, request, creating=True)
        record.callback_type, record.callback_at = kind, time.monotonic()
        record.ephemeral = bool(data.get("flags", 0) & EPHEMERAL)
        flags = data.get("flags", 0) | (LOADING if kind == 5 else 0)
        record.original = self._interaction_message(record, {**data, "flags": flags}, request)
        record.original_edited = kind == 4
        if kind == 4:
            self._echo_interaction(record, record.original)
        return {
            "interaction": {
                "id": str(record.id),
                "type": 2,
                "response_message_id": record.original["id"],
                "response_message_loading": kind == 5,
                "response_message_ephemeral": record.ephemeral,
            },
            "resource": {"type": kind, "message": record.original},
        }

    def _interaction_message(
        self, record: InteractionRecord, body: Json, request: RecordedRequest
    ) -> Json:
        metadata = {
            "id": str(record.id),
            "type": 2,
            "name": record.name,
            "user": self.world.users[record.user_id],
            "authorizing_integration_owners": {},
        }
        message = self._bot_message(
            record.channel_id,
            body,
            request,
            message_type=20,
            interaction_metadata=metadata,
            webhook_id=self.world.app_id,
        )
        self.world.messages[int(message["id"])] = message
        return message

    def _followup(self, token: str, body: Json, request: RecordedRequest) -> Json:
        record = self._interaction(token)
        if record.callback_type is None:
            raise DiscordError(404, 10015, "Unknown Webhook")
        self._check_payload(body, request, creating=True)
        if record.callback_type == 5 and not record.original_edited:
            # The first follow-up after a deferral replaces the "thinking…" message and keeps
            # the deferral's visibility.
            assert record.original is not None
            flags = record.original["flags"] & EPHEMERAL
            _apply_edit(record.original, {**body, "flags": flags})
            record.original_edited = True
            self._echo_interaction(record, record.original)
            return record.original
        message = self._interaction_message(record, body, request)
        record.followups.append(message)
        self._echo_interaction(record, message)
        return message

    def _webhook_message(self, token: str, message_id: str) -> Json:
        record = self._interaction(token)
        if message_id == "@original":
            if record.original is None:
                raise DiscordError(404, 10008, "Unknown Message")
            return record.original
        for message in record.followups:
            if message["id"] == message_id:
                return message
        raise DiscordError(404, 10008, "Unknown Message")

    def _webhook_edit(
        self, token: str, message_id: str, body: Json, request: RecordedRequest
    ) -> Json:
        record = self._interaction(token)
        message = self._webhook_message(token, message_id)
        self._check_payload(body, request, creating=False)
        _apply_edit(message, body)
        if message is record.original:
            record.original_edited = True
        return message

    def _echo(self, message: Json) -> None:
        # Discord sends the bot its own messages too; a bot must ignore them.
        self._schedule(self._broadcast("MESSAGE_CREATE", message))

    def _echo_interaction(self, record: InteractionRecord, message: Json) -> None:
        if not message["flags"] & EPHEMERAL:
            self._echo(message)

    def _schedule(self, coro: Any) -> None:
        assert self._loop is not None
        self._loop.create_task(coro)


def _json_response(data: Any, status: int = 200) -> web.Response:
    # discord.py parses a body as JSON only when Content-Type is exactly application/json.
    return web.Response(
        body=json.dumps(data).encode(), status=status, headers={"Content-Type": "application/json"}
    )


def _apply_edit(message: Json, body: Json) -> None:
    for key in ("content", "embeds", "components"):
        if key in body:
            message[key] = body[key] if body[key] is not None else ([] if key != "content" else "")
    if "flags" in body:
        message["flags"] = body["flags"] & ~LOADING
    else:
        message["flags"] = message.get("flags", 0) & ~LOADING
    message["edited_timestamp"] = p.now_iso()


def _is_message_route(method: str, path: str) -> bool:
    parts = path.strip("/").split("/")
    match method, parts:
        case "POST", ["channels", _, "messages"] | ["webhooks", _, _]:
            return True
        case "PATCH", ["channels", _, "messages", _] | ["webhooks", _, _, "messages", _]:
            return True
        case "POST", ["interactions", _, _, "callback"]:
            return True
    return False
