"""The room server: learners' clients post results, the facilitator watches the room's page.

Laptop room (one command on the facilitator's computer)::

    python -m ai_pm_lab room serve --data ~/rooms/tuesday [--host lan] [--port 8765]

prints a short room code, the address learners join with (``room.join("CODE", "http://ADDRESS:PORT")``) and the
facilitator's page address (with a facilitator key; keep it off the projector: the page drops it from the address
bar once open). It listens on 127.0.0.1 unless told otherwise, so nothing on the network can reach it by accident;
``--host lan`` listens on this computer's address on the local network only (the room's Wi-Fi), ``--host ADDRESS``
on one address of your choice, ``--host 0.0.0.0`` on every interface. Learners join with the code and get a session
token; the server knows them by that token, so a name or user in a posted result is ignored.

Hub room (a JupyterHub service; the hub starts it and gives it its settings)::

    python -m ai_pm_lab room serve --hub --data /srv/ai-pm-lab-room

reads only the variables JupyterHub gives a service: JUPYTERHUB_API_TOKEN, JUPYTERHUB_API_URL,
JUPYTERHUB_SERVICE_PREFIX (e.g. /services/room/), JUPYTERHUB_SERVICE_URL (where to listen, e.g.
http://127.0.0.1:10101) and, for the facilitator's browser login, JUPYTERHUB_CLIENT_ID, JUPYTERHUB_OAUTH_CALLBACK_URL
(both set by the hub for a service with a url; an external service sets ``oauth_client_id``/``oauth_redirect_uri``).
Each request is identified by the hub (``jupyterhub.services.auth.HubOAuth``: a token in the ``Authorization:
token ...`` header, or the hub login cookie in a browser): a learner is the hub user; the facilitator is a hub admin
or a member of the ``facilitators`` group; anyone else gets 403 on the page, the summary and the export.
A learner's kernel posts with its JUPYTERHUB_API_TOKEN (any token that identifies the user will do, so the
spawner's default token scopes suffice); the spawner sets AI_PM_LAB_ROOM=hub and AI_PM_LAB_ROOM_URL to the
service's address as the kernel reaches it (e.g. http://127.0.0.1:10101/services/room/).

Endpoints (under the prefix): POST api/join (laptop), POST api/results, GET api/me, GET api/summary[?hide=1],
GET export.csv[?hide=1], GET (the page), GET healthz. Posts are JSON, at most 64 KB and 100 results; a malformed or
oversized post gets a 4xx with a one-line reason (413 up to 1 MB; beyond 1 MB the server closes the connection
unread) and nothing of it is stored.
When listening, the server writes ``server.json`` (address, room code, facilitator address) into its data folder.
"""
from __future__ import annotations

import asyncio
import hmac
import json
import os
import secrets
import signal
import socket
import uuid
from pathlib import Path
from urllib.parse import urlsplit

from tornado import httpserver, netutil, web
from tornado.ioloop import IOLoop

from ai_pm_lab.errors import ConfigurationError, InputError
from ai_pm_lab.room.page import PAGE
from ai_pm_lab.room.schema import MAX_BODY_BYTES, MAX_READ_BYTES, clean_batch, clean_name
from ai_pm_lab.room.store import RoomStore

FACILITATORS_GROUP = "facilitators"
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: easy to read off a projector
CODE_LENGTH = 6
SERVER_FILE = "server.json"
FACILITATOR_COOKIE = "ai_pm_lab_room_facilitator"


def new_code() -> str:
    """A short room code."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


class User:
    """Who sent a request: a learner (identity, name) or the facilitator."""

    def __init__(self, identity: str, name: str, facilitator: bool, learner: bool):
        self.identity, self.name, self.facilitator, self.learner = identity, name, facilitator, learner


class LaptopAuth:
    """Laptop room: a room code to join, a session token per learner, a facilitator key (all kept in the store)."""

    mode = "laptop"

    def __init__(self, store: RoomStore):
        self.store = store
        self.code = store.meta("room_code", new_code)
        self.facilitator_key = store.meta("facilitator_key", lambda: secrets.token_urlsafe(24))

    async def identify(self, handler: web.RequestHandler) -> User | None:
        header = handler.request.headers.get("Authorization", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else ""
        reading = handler.request.method == "GET"
        if not token and reading:
            token = handler.get_query_argument("key", "")
        if not token and reading:  # the facilitator's browser, after the page moved the key out of the address
            token = (handler.get_signed_cookie(FACILITATOR_COOKIE, max_age_days=2) or b"").decode()
        if not token:
            return None
        if hmac.compare_digest(token.encode(), self.facilitator_key.encode()):
            if reading:  # so a reload (F5 while projecting) keeps the page; read-only requests only
                handler.set_signed_cookie(FACILITATOR_COOKIE, token, expires_days=1, httponly=True, samesite="Strict",
                                          path=handler.room["prefix"])
            return User("", "facilitator", True, False)
        found = self.store.session_identity(token)
        return User(found[0], found[1], False, True) if found else None

    def join(self, code, name) -> dict:
        if not isinstance(code, str) or not hmac.compare_digest(code.strip().upper().encode(), self.code.encode()):
            raise ConfigurationError("That room code is not this room's: check the code on the facilitator's screen.")
        name = clean_name(name)
        identity, token = uuid.uuid4().hex, secrets.token_urlsafe(24)
        self.store.add_learner(identity, name)
        self.store.add_session(token, identity)
        return {"token": token, "name": name}


class HubModeAuth:
    """Hub room: JupyterHub identifies each request (token header or login cookie) through HubOAuth."""

    mode = "hub"

    def __init__(self, store: RoomStore):
        from jupyterhub.services.auth import HubOAuth

        if not os.environ.get("JUPYTERHUB_API_TOKEN"):
            raise ConfigurationError("JUPYTERHUB_API_TOKEN is not set: run the hub room as a JupyterHub service "
                                     "(the hub sets it), or leave out --hub for a laptop room.")
        self.store = store
        self.hub_auth = HubOAuth.instance(cache_max_age=60)  # the instance the OAuth callback handler uses too
        self.known: set[str] = set()

    async def identify(self, handler: web.RequestHandler) -> User | None:
        model = await self.hub_auth.get_user(handler, sync=False)
        if not model or model.get("kind", "user") != "user":
            return None
        facilitator = bool(model.get("admin")) or FACILITATORS_GROUP in (model.get("groups") or [])
        return User(model["name"], model["name"], facilitator, True)

    def ensure_learner(self, user: User) -> None:
        if user.identity not in self.known:
            self.store.add_learner(user.identity, user.name)
            self.known.add(user.identity)


class RoomHandler(web.RequestHandler):
    """Shared parts: the room, who is asking, JSON errors."""

    def initialize(self, room):
        self.room = room
        self.user = None

    async def prepare(self):
        self.user = await self.room["auth"].identify(self)

    def get_current_user(self):
        return self.user

    def check_xsrf_cookie(self):  # results come from kernels with a token header; the page only reads
        return None

    def set_default_headers(self):
        self.set_header("Cache-Control", "no-store")
        self.set_header("X-Content-Type-Options", "nosniff")

    def fail(self, status: int, message: str):
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"error": message}))

    def write_error(self, status_code, **kwargs):
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"error": self._reason}))

    def need_facilitator(self) -> bool:
        if self.user is None:
            self.fail(401, "Sign in as the facilitator (the facilitator address, or a hub admin or facilitator).")
            return False
        if not self.user.facilitator:
            self.fail(403, "Only the facilitator can see the room.")
            return False
        return True

    def body_json(self):
        if len(self.request.body) > MAX_BODY_BYTES:
            self.fail(413, f"Too large: at most {MAX_BODY_BYTES // 1024} KB per post.")
            return None
        try:
            return json.loads(self.request.body or b"null")
        except (UnicodeDecodeError, json.JSONDecodeError):
            self.fail(400, "The body is not JSON.")
            return None


class JoinHandler(RoomHandler):
    def post(self):
        auth = self.room["auth"]
        if auth.mode != "laptop":
            return self.fail(404, "A hub room needs no joining: the hub knows who you are.")
        body = self.body_json()
        if body is None:
            return None if self._finished else self.fail(400, "Send JSON with 'code' and 'name'.")
        if not isinstance(body, dict):
            return self.fail(400, "Send JSON with 'code' and 'name'.")
        try:
            self.finish(auth.join(body.get("code"), body.get("name")))
        except ConfigurationError as exc:  # a wrong room code
            self.fail(403, str(exc))
        except InputError as exc:
            self.fail(400, str(exc))


class ResultsHandler(RoomHandler):
    def post(self):
        if self.user is None or not self.user.learner:
            return self.fail(401, "Join the room first (room.join), then send results.")
        body = self.body_json()
        if self._finished:
            return None
        try:
            events = clean_batch(body)
        except InputError as exc:
            return self.fail(400, str(exc))
        auth = self.room["auth"]
        if auth.mode == "hub":
            auth.ensure_learner(self.user)
        stored, duplicates = self.room["store"].record(self.user.identity, events)
        self.finish({"stored": stored, "duplicates": duplicates})


class MeHandler(RoomHandler):
    def get(self):
        if self.user is None:
            return self.fail(401, "Join the room first.")
        count = self.room["store"].count(self.user.identity) if self.user.learner else 0
        self.finish({"name": self.user.name, "results": count, "facilitator": self.user.facilitator,
                     "mode": self.room["auth"].mode})


class SummaryHandler(RoomHandler):
    async def get(self):
        if self.need_facilitator():
            hide = self.get_query_argument("hide", "0") not in ("0", "", "false")
            store = self.room["store"]  # built in a thread on the store's reading connection: posts keep flowing
            self.finish(await IOLoop.current().run_in_executor(None, lambda: store.summary(hide_names=hide)))


class ExportHandler(RoomHandler):
    def get(self):
        if self.need_facilitator():
            hide = self.get_query_argument("hide", "0") not in ("0", "", "false")
            self.set_header("Content-Type", "text/csv; charset=utf-8")
            self.set_header("Content-Disposition", 'attachment; filename="room.csv"')
            self.finish(self.room["store"].export_csv(hide_names=hide))


class PageHandler(RoomHandler):
    def get(self):
        if self.user is None and self.room["auth"].mode == "hub":
            return self.redirect(self.get_login_url())
        if self.user is None or not self.user.facilitator:
            self.set_status(401 if self.user is None else 403)
            self.set_header("Content-Type", "text/plain; charset=utf-8")
            return self.finish("Only the facilitator can see this page: open the facilitator address printed when "
                               "the room started (laptop), or sign in as a hub admin or facilitator (hub).")
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(PAGE)


class HealthHandler(RoomHandler):
    async def prepare(self):  # no identity needed
        return None

    def get(self):
        self.finish({"ok": True, "mode": self.room["auth"].mode})


def make_app(store: RoomStore, *, hub: bool = False, prefix: str | None = None) -> tuple[web.Application, dict]:
    """The tornado application for a room kept in ``store`` (laptop room, or hub room with ``hub=True``)."""
    auth = HubModeAuth(store) if hub else LaptopAuth(store)
    if prefix is None:
        prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX", "/") if hub else "/"
    prefix = "/" + prefix.strip("/") + "/" if prefix.strip("/") else "/"
    room = {"store": store, "auth": auth, "prefix": prefix}
    handlers = {"": PageHandler, "api/join": JoinHandler, "api/results": ResultsHandler, "api/me": MeHandler,
                "api/summary": SummaryHandler, "export.csv": ExportHandler, "healthz": HealthHandler}
    routes = []
    if hub:
        from jupyterhub.services.auth import HubOAuthCallbackHandler, HubOAuthenticated

        routes.append((prefix + "oauth_callback", HubOAuthCallbackHandler))
        # HubOAuthenticated brings the hub login redirect; identity is still found by RoomHandler.prepare (async)
        own = {"hub_scopes": None, "hub_auth": auth.hub_auth, "get_current_user": RoomHandler.get_current_user,
               "check_xsrf_cookie": RoomHandler.check_xsrf_cookie}
        handlers = {path: type(cls.__name__, (HubOAuthenticated, cls), own) for path, cls in handlers.items()}
    routes += [(prefix + path + "$", cls, {"room": room}) for path, cls in handlers.items()]
    if prefix != "/":
        routes.append((prefix.rstrip("/") + "$", web.RedirectHandler, {"url": prefix}))
    settings = {"cookie_secret": store.meta("cookie_secret", lambda: secrets.token_urlsafe(32))}  # kept: a restart
    # of the room keeps the facilitator's page signed in
    if hub:
        settings["hub_auth"] = auth.hub_auth
    return web.Application(routes, **settings), room


def lan_address() -> str:
    """This computer's address on the local network (the one its default route uses; no packet is sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("10.255.255.255", 1))  # UDP connect only picks a route
            return s.getsockname()[0]
        except OSError:
            return "127.0.0.1"


def _listen_address(hub: bool, host: str | None, port: int | None) -> tuple[str, int]:
    if hub:
        url = os.environ.get("JUPYTERHUB_SERVICE_URL")
        if not url:
            raise ConfigurationError("JUPYTERHUB_SERVICE_URL is not set: give the service a url in the hub's "
                                     "config (e.g. http://127.0.0.1:10101).")
        parts = urlsplit(url)
        return host or parts.hostname or "127.0.0.1", port if port is not None else (parts.port or 80)
    host = host or "127.0.0.1"
    return (lan_address() if host == "lan" else host), 8765 if port is None else port


async def _serve(data: Path, *, hub: bool, host: str | None, port: int | None, ready=None) -> None:
    store = RoomStore(data)
    app, room = make_app(store, hub=hub)
    address, port = _listen_address(hub, host, port)
    sockets = netutil.bind_sockets(port, address=address)
    port = sockets[0].getsockname()[1]
    server = httpserver.HTTPServer(app, max_body_size=MAX_READ_BYTES, xheaders=hub)
    server.add_sockets(sockets)
    shown = lan_address() if address in ("0.0.0.0", "") else address
    base = f"http://{shown}:{port}{room['prefix']}"
    info = {"mode": room["auth"].mode, "url": base, "port": port, "pid": os.getpid()}
    if not hub:
        info.update(code=room["auth"].code, facilitator_url=f"{base}?key={room['auth'].facilitator_key}")
    (data / SERVER_FILE).write_text(json.dumps(info, indent=1))
    if hub:
        print(f"Room service listening on {address}:{port}{room['prefix']}, data in {data}", flush=True)
    else:
        print(f"Room code: {info['code']}\n"
              f"Learners join with one line in a notebook:\n"
              f"    from ai_pm_lab import room; room.join(\"{info['code']}\", \"{base}\")\n"
              f"Facilitator page (keep this address to yourself):\n    {info['facilitator_url']}\n"
              f"Data: {data} (delete this folder to delete the room)", flush=True)
        if address == "127.0.0.1":
            print("Only this computer can reach the room. To open it to the room's network: add --host lan.",
                  flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # Windows: Ctrl+C still ends the process
            pass
    if ready is not None:
        ready(info)
    await stop.wait()
    server.stop()
    store.close()
    (data / SERVER_FILE).unlink(missing_ok=True)


def serve(data, *, hub: bool = False, host: str | None = None, port: int | None = None) -> None:
    """Run a room server until interrupted (the ``python -m ai_pm_lab room serve`` command)."""
    asyncio.run(_serve(Path(data).expanduser().resolve(), hub=hub, host=host, port=port))


def default_data_folder() -> Path:
    """Where a room keeps its data when no --data is given: ./room-data."""
    return Path.cwd() / "room-data"
