"""A real JupyterHub on loopback for the room tests: DummyAuthenticator, local-process spawner, the room as a
hub-managed service, and the npm proxy (``make hub-deps`` installs it into .venv/chp).

``Hub`` writes a jupyterhub_config.py into a temp folder, starts the hub, talks to its REST API, and stops it cleanly
(SIGTERM, then the proxy by the PID the hub wrote). Every wait polls with a deadline; nothing sleeps to synchronise.
``Kernel`` runs code in a user's kernel through the user's single-user server (REST + websocket), as a notebook does.
``python tests/hub_support.py stub`` runs a tiny HubAuth service (who am I, by token) used to check the scopes.
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
CHP = ROOT / ".venv" / "chp" / "node_modules" / ".bin" / "configurable-http-proxy"
ROOM = "room"  # the service's name: learners reach it at /services/room/


def chp_path() -> str | None:
    """The configurable-http-proxy executable (make hub-deps; or AI_PM_LAB_CHP; or one on PATH), else None."""
    for candidate in (os.environ.get("AI_PM_LAB_CHP"), str(CHP), shutil.which("configurable-http-proxy")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what: str, probe, timeout: float = 60.0, every: float = 0.2, log: Path | None = None):
    """Poll ``probe()`` until it returns something truthy (returned) or ``timeout`` passes (AssertionError)."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            got = probe()
            if got:
                return got
            last = got
        except Exception as exc:  # noqa: BLE001 - a server not up yet; remembered for the failure message
            last = exc
        time.sleep(every)
    tail = log.read_text(errors="replace")[-4000:] if log and log.exists() else ""
    raise AssertionError(f"gave up waiting for {what} after {timeout:.0f} s (last: {last!r})\n{tail}")


class Hub:
    """One JupyterHub in ``workdir`` (its db, cookie secret, proxy PID file, log and users' homes stay there)."""

    def __init__(self, workdir: Path, service_command: list[str], *, service_env: dict | None = None,
                 admin_users=("ada",), facilitators=("fran",), user_env: dict | None = None):
        self.dir = Path(workdir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port, self.hub_port, self.api_port, self.service_port = (free_port() for _ in range(4))
        self.url = f"http://127.0.0.1:{self.port}"
        self.room_url = f"http://127.0.0.1:{self.service_port}/services/{ROOM}/"  # as a learner's kernel reaches it
        self.driver_token = secrets.token_hex(16)  # the test's own service token (creates users, tokens, servers)
        self.service_command = service_command
        self.service_env = service_env or {}
        self.admin_users, self.facilitators = set(admin_users), list(facilitators)
        self.user_env = user_env or {}
        self.log = self.dir / "hub.log"
        self.proc = None

    def config(self) -> str:
        env = {"AI_PM_LAB_ROOM": "hub", "AI_PM_LAB_ROOM_URL": self.room_url, "AI_PM_LAB_THREADS": "1", **self.user_env}
        return textwrap.dedent(f"""
            c = get_config()  # noqa
            c.JupyterHub.ip = "127.0.0.1"
            c.JupyterHub.port = {self.port}
            c.JupyterHub.hub_ip = "127.0.0.1"
            c.JupyterHub.hub_port = {self.hub_port}
            c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{self.api_port}"
            c.ConfigurableHTTPProxy.command = [{chp_path()!r}]
            c.ConfigurableHTTPProxy.should_start = True
            c.JupyterHub.db_url = "sqlite:///{self.dir / 'jupyterhub.sqlite'}"
            c.JupyterHub.cookie_secret_file = {str(self.dir / 'cookie_secret')!r}
            c.JupyterHub.pid_file = {str(self.dir / 'hub.pid')!r}
            c.JupyterHub.authenticator_class = "dummy"
            c.DummyAuthenticator.password = "room-test"
            c.Authenticator.allow_all = True
            c.Authenticator.admin_users = {sorted(self.admin_users)!r}
            c.JupyterHub.load_groups = {{"facilitators": {{"users": {self.facilitators!r}}}}}
            c.JupyterHub.spawner_class = "simple"
            c.Spawner.cmd = [{str(BIN / 'jupyterhub-singleuser')!r}]
            c.Spawner.args = {self.server_args()!r}
            c.Spawner.default_url = "/api"
            c.Spawner.start_timeout = 60
            c.Spawner.http_timeout = 60
            c.LocalProcessSpawner.home_dir_template = {str(self.dir / 'home' / '{username}')!r}
            c.Spawner.environment = {env!r}
            c.JupyterHub.services = [
                {{"name": {ROOM!r}, "url": "http://127.0.0.1:{self.service_port}",
                  "command": {self.service_command!r}, "environment": {self.service_env!r},
                  "oauth_no_confirm": True}},
                {{"name": "driver", "api_token": {self.driver_token!r}}},
            ]
            c.JupyterHub.load_roles = [
                # facilitators may open the room's page through the hub's login (admins may anyway); learners'
                # kernels need nothing more: any token of theirs tells the room who they are
                {{"name": "room-facilitators", "groups": ["facilitators"], "scopes": ["access:services!service={ROOM}"]}},
                {{"name": "test-driver", "services": ["driver"],
                  "scopes": ["admin:users", "admin:servers", "tokens", "access:servers", "read:services",
                             "access:services!service={ROOM}"]}},
            ]
            c.JupyterHub.cleanup_servers = True
            c.JupyterHub.log_level = "INFO"
        """)

    @staticmethod
    def server_args() -> list[str]:
        """Light single-user servers: no JupyterLab front end (the test talks to the REST API); root needs --allow-root."""
        args = ["--ServerApp.jpserver_extensions={'jupyterlab': False, 'jupyter_lsp': False}"]
        return args + (["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else [])

    # --- life cycle
    def start(self, timeout: float = 90.0) -> Hub:
        cfg = self.dir / "jupyterhub_config.py"
        cfg.write_text(self.config())
        (self.dir / "home").mkdir(exist_ok=True)
        out = open(self.log, "a")
        env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTERHUB_")}
        env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
        self.proc = subprocess.Popen([str(BIN / "jupyterhub"), "-f", str(cfg)], cwd=self.dir, stdout=out,
                                     stderr=subprocess.STDOUT, env=env, start_new_session=True)
        out.close()

        def up():
            if self.proc.poll() is not None:
                raise AssertionError(f"the hub exited with {self.proc.returncode}")
            return self.api("get", "/hub/api/").status_code == 200 and self.service_up()
        wait_for("the hub and the room service", up, timeout, log=self.log)
        return self

    def service_up(self) -> bool:
        r = self.api("get", f"/hub/api/services/{ROOM}")
        return r.status_code == 200 and bool(r.json().get("pid"))

    def stop(self, timeout: float = 30.0):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        self.proc = None
        self._end_proxy()

        def ports_free():
            for port in (self.port, self.api_port):
                with socket.socket() as s:
                    if s.connect_ex(("127.0.0.1", port)) == 0:
                        return False
            return True
        wait_for("the proxy to release its ports", ports_free, 15, log=self.log)

    def _end_proxy(self):
        pid_file = self.dir / "jupyterhub-proxy.pid"
        try:
            pid = int(pid_file.read_text().strip())
        except (OSError, ValueError):
            return
        try:  # only our proxy: the PID must still be a configurable-http-proxy process
            if b"configurable-http-proxy" in Path(f"/proc/{pid}/cmdline").read_bytes():
                os.kill(pid, signal.SIGTERM)
        except (OSError, ProcessLookupError):
            pass
        pid_file.unlink(missing_ok=True)

    # --- REST
    def api(self, method: str, path: str, token: str | None = None, **kw):
        import requests
        headers = {"Authorization": f"token {token or self.driver_token}"}
        return requests.request(method, self.url + path, headers=headers, timeout=30, **kw)

    def add_users(self, *names: str):
        r = self.api("post", "/hub/api/users", json={"usernames": list(names)})
        assert r.status_code in (201, 409), r.text

    def token(self, user: str, scopes: list[str]) -> str:
        r = self.api("post", f"/hub/api/users/{user}/tokens", json={"scopes": scopes, "note": "room test"})
        assert r.status_code == 201, r.text
        return r.json()["token"]

    def login(self, user: str):
        """A requests session signed in to the hub as ``user`` with the login form, as a browser would be."""
        import requests
        session = requests.Session()
        session.get(self.url + "/hub/login", timeout=30)
        r = session.post(self.url + "/hub/login", timeout=30, allow_redirects=False,
                         data={"username": user, "password": "room-test", "_xsrf": session.cookies.get("_xsrf", "")})
        assert r.status_code == 302, (r.status_code, r.text[:300])
        return session

    def start_server(self, user: str):
        r = self.api("post", f"/hub/api/users/{user}/server")
        assert r.status_code in (201, 202, 400), r.text  # 400: already running

    def server_ready(self, user: str) -> bool:
        model = self.api("get", f"/hub/api/users/{user}").json()
        return bool(model.get("servers", {}).get("", {}).get("ready"))

    def wait_servers(self, users, timeout: float = 120.0):
        wait_for(f"the servers of {', '.join(users)}", lambda: all(self.server_ready(u) for u in users), timeout,
                 every=0.5, log=self.log)


class Kernel:
    """A kernel in a user's single-user server, reached through the hub's proxy as JupyterLab reaches it."""

    def __init__(self, hub: Hub, user: str):
        import websocket
        self.hub, self.user = hub, user
        r = hub.api("post", f"/user/{user}/api/kernels", json={"name": "python3"})
        assert r.status_code == 201, r.text
        self.id = r.json()["id"]
        ws_url = hub.url.replace("http", "ws", 1) + f"/user/{user}/api/kernels/{self.id}/channels"
        self.ws = websocket.create_connection(ws_url, header=[f"Authorization: token {hub.driver_token}"], timeout=60)
        self.session = uuid.uuid4().hex

    def run(self, code: str, timeout: float = 90.0) -> dict:
        """Run ``code``; return {"status", "stdout", "error"} once the kernel replies (stdout joined across messages)."""
        msg_id = uuid.uuid4().hex
        self.ws.send(json.dumps({
            "header": {"msg_id": msg_id, "username": self.user, "session": self.session, "msg_type": "execute_request",
                       "version": "5.3", "date": ""},
            "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
            "content": {"code": code, "silent": False, "store_history": False, "user_expressions": {},
                        "allow_stdin": False, "stop_on_error": True}}))
        out, error, status, idle = [], "", None, False
        deadline = time.monotonic() + timeout
        while (status is None or not idle) and time.monotonic() < deadline:
            self.ws.settimeout(max(0.1, deadline - time.monotonic()))
            msg = json.loads(self.ws.recv())
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind = msg["msg_type"]
            if kind == "stream":
                out.append(msg["content"]["text"])
            elif kind == "error":
                error = "\n".join(msg["content"]["traceback"])
            elif kind == "execute_reply":
                status = msg["content"]["status"]
            elif kind == "status" and msg["content"]["execution_state"] == "idle":
                idle = True
        assert status is not None, f"no reply from {self.user}'s kernel within {timeout} s"
        return {"status": status, "stdout": "".join(out), "error": error}

    def close(self):
        try:
            self.ws.close()
        finally:
            self.hub.api("delete", f"/user/{self.user}/api/kernels/{self.id}")


def _stub():
    """A stand-in room service: answers who the token belongs to (name, admin, groups), through HubAuth."""
    from jupyterhub.services.auth import HubAuth, HubAuthenticated
    from tornado import ioloop, web

    class WhoAmI(HubAuthenticated, web.RequestHandler):
        def initialize(self, hub_auth):
            self.hub_auth = hub_auth

        @web.authenticated
        def get(self):
            self.write(self.get_current_user())

    prefix = os.environ["JUPYTERHUB_SERVICE_PREFIX"]
    auth = HubAuth(api_token=os.environ["JUPYTERHUB_API_TOKEN"], cache_max_age=60)
    port = int(os.environ["JUPYTERHUB_SERVICE_URL"].rsplit(":", 1)[1].strip("/"))
    web.Application([(prefix + "whoami", WhoAmI, {"hub_auth": auth})]).listen(port, "127.0.0.1")
    ioloop.IOLoop.current().start()


if __name__ == "__main__" and sys.argv[1:2] == ["stub"]:
    _stub()
