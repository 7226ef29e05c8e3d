"""A learner's side of the room: join, send results, see what is queued.

Nothing leaves the kernel unless the learner joined a room (``join``) or the environment names one (on a hub, the
spawner sets AI_PM_LAB_ROOM=hub; on laptops, AI_PM_LAB_ROOM_URL and AI_PM_LAB_ROOM_CODE). What is sent: the
display name (laptop rooms, at join) and results (``schema.py``: exercise, status, a decision's choice and why, a
knowledge-check answer), never notebook contents, keys or outputs.

Each result gets an id here and goes to a queue on disk (the output folder's ``room/queue``) before it is sent; it
leaves the queue only when the room has answered that it stored it (or had it already). So a result sent while the
room is unreachable is delivered later, once: on the next result, on ``flush()``, or by a background retry.
"""
from __future__ import annotations

import getpass
import json
import os
import re
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

from ai_pm_lab import settings
from ai_pm_lab.errors import ConfigurationError, InputError, InputTypeError
from ai_pm_lab.room.schema import KINDS, MAX_EVENTS_PER_POST, clean_event, clean_name

TIMEOUT_S = 3.0
RETRY_S = (2.0, 60.0)  # background retry: first wait, longest wait
_STATE: dict = {}
_LOCK = threading.RLock()
_RETRY = {"thread": None, "wake": threading.Event()}


def _folder() -> Path:
    return settings.output_dir("room")


def _queue() -> Path:
    path = _folder() / "queue"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _reset_state() -> None:
    _STATE.clear()
    _STATE.update(url=None, mode=None, name=None, token=None, delivered=0, last_error="", retry_at=0.0, wait=RETRY_S[0])


_reset_state()


def _normal_url(url) -> str:
    if not isinstance(url, str):
        raise InputTypeError("The room's address must be text, e.g. \"http://192.168.1.20:8765/\".")
    url = url.strip()
    if not re.match(r"^https?://[^/\s]+", url):
        raise InputError(f"{url!r} is not a room address: copy the one the facilitator shows, e.g. "
                         "\"http://192.168.1.20:8765/\".")
    return url if url.endswith("/") else url + "/"


def _request(method: str, url: str, body=None, token: str | None = None, scheme: str = "Bearer"):
    """(status, JSON reply) from the room; status 0 when the room could not be reached."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    if token:
        req.add_header("Authorization", f"{scheme} {token}")
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT_S) as reply:
            return reply.status, json.loads(reply.read() or b"{}")
    except urllib.error.HTTPError as exc:
        try:
            return exc.code, json.loads(exc.read() or b"{}")
        except ValueError:
            return exc.code, {}
    except (OSError, ValueError) as exc:  # refused, unreachable, timed out, not JSON
        return 0, {"error": f"could not reach the room ({type(exc).__name__})"}


def _session_file() -> Path:
    return _folder() / "session.json"


def join(code: str | None = None, url: str | None = None, *, name: str | None = None) -> dict:
    """Join a room: laptop rooms with the facilitator's code and address; on a hub, with no arguments."""
    env = settings.room_settings()
    if code is None and url is None and env["mode"] == "hub":
        return _join_hub(env)
    code, url = code or env["code"], url or env["url"]
    if not code or not url:
        raise ConfigurationError("Join with the code and address the facilitator shows: "
                                 "room.join(\"CODE\", \"http://ADDRESS:PORT/\").")
    url = _normal_url(url)
    code = str(code).strip().upper()
    name = clean_name(name or env["name"] or getpass.getuser())
    saved = _saved_session()
    with _LOCK:
        if saved.get("url") == url and saved.get("code") == code and saved.get("name") == name:
            status, reply = _request("GET", url + "api/me", token=saved["token"])
            if status == 200 or status == 0:  # same room as before (or it is down): keep the session
                _STATE.update(url=url, mode="laptop", name=name, token=saved["token"], last_error="")
                flush(force=True)
                return status_()
        status, reply = _request("POST", url + "api/join", {"code": code, "name": name})
        if status == 0:
            raise ConfigurationError(f"Could not reach the room at {url}: check the address with the facilitator, "
                                     "and that you are on the same network.")
        if status != 200:
            raise ConfigurationError(f"The room said no: {reply.get('error', status)}")
        _STATE.update(url=url, mode="laptop", name=reply["name"], token=reply["token"], last_error="")
        _session_file().write_text(json.dumps({"url": url, "code": code, "name": reply["name"],
                                               "token": reply["token"]}))
        flush(force=True)
    return status_()


def _saved_session() -> dict:
    try:
        data = json.loads(_session_file().read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) and isinstance(data.get("token"), str) else {}


def _join_hub(env: dict) -> dict:
    if not env["url"] or not env["hub_token"]:
        raise ConfigurationError(f"This hub has no room set up: the hub's spawner sets {settings.ROOM_URL_VAR} "
                                 f"(and JupyterHub sets {settings.HUB_TOKEN_VAR}); ask the facilitator.")
    with _LOCK:
        _STATE.update(url=_normal_url(env["url"]), mode="hub", token=env["hub_token"].reveal(), last_error="")
        status, reply = _request("GET", _STATE["url"] + "api/me", token=_STATE["token"], scheme="token")
        if status == 200:
            _STATE["name"] = reply.get("name")
        else:
            _STATE["last_error"] = reply.get("error", f"the room answered {status}")
        flush(force=True)
    return status_()


def _ensure_joined() -> bool:
    if _STATE["url"]:
        return True
    env = settings.room_settings()
    try:
        if env["mode"] == "hub":
            _join_hub(env)
        elif env["url"] and env["code"]:
            join()
    except ConfigurationError as exc:
        _STATE["last_error"] = str(exc)
    return bool(_STATE["url"])


def send(kind: str, payload: dict) -> bool:
    """Send one result to the room (queued on disk first); False, and nothing sent or written, when not in a room."""
    if kind not in KINDS:
        raise InputError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}.")
    if not isinstance(payload, dict):
        raise InputTypeError("payload must be a dict of the result's fields.")
    if not _ensure_joined():
        return False
    event = clean_event({**payload, "id": uuid.uuid4().hex, "kind": kind})  # fields outside the schema are dropped
    item = _queue() / f"{time.time_ns()}-{event['id']}.json"
    tmp = item.with_suffix(".tmp")
    tmp.write_text(json.dumps({"room": _STATE["url"], "event": event}))
    os.replace(tmp, item)  # a reader never sees half a file
    if _LOCK.acquire(blocking=False):  # another thread is delivering: it will take this one too
        try:
            flush()
        finally:
            _LOCK.release()
    return True


def _queued(url: str | None) -> list[tuple[Path, dict]]:
    items = []
    folder = _folder() / "queue"
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if url is None or data.get("room") == url:
            items.append((path, data))
    return items


def flush(force: bool = False) -> int:
    """Deliver what is queued for this room now; returns how many the room confirmed (stored or already had)."""
    with _LOCK:
        if not _STATE["url"] or (not force and time.monotonic() < _STATE["retry_at"]):
            return 0
        confirmed = 0
        items = _queued(_STATE["url"])
        for start in range(0, len(items), MAX_EVENTS_PER_POST):
            batch = items[start:start + MAX_EVENTS_PER_POST]
            scheme = "token" if _STATE["mode"] == "hub" else "Bearer"
            status, reply = _request("POST", _STATE["url"] + "api/results", {"events": [d["event"] for _, d in batch]},
                                     token=_STATE["token"], scheme=scheme)
            if status == 200:
                for path, _ in batch:
                    path.unlink(missing_ok=True)
                confirmed += len(batch)
                _STATE.update(delivered=_STATE["delivered"] + len(batch), last_error="", wait=RETRY_S[0],
                              retry_at=0.0)
                continue
            _STATE["last_error"] = reply.get("error") or f"the room answered {status}"
            if status in (400, 413):  # the room will never take these: set them aside, never resend
                rejected = _folder() / "rejected"
                rejected.mkdir(exist_ok=True)
                for path, _ in batch:
                    if path.exists():
                        os.replace(path, rejected / path.name)
                continue
            _STATE["retry_at"] = time.monotonic() + _STATE["wait"]
            _STATE["wait"] = min(RETRY_S[1], _STATE["wait"] * 2)
            _start_retry()
            break
        return confirmed


def _start_retry() -> None:
    thread = _RETRY["thread"]
    if thread is not None and thread.is_alive():
        return

    def loop():
        while _STATE["url"] and _queued(_STATE["url"]):
            _RETRY["wake"].wait(max(0.1, _STATE["retry_at"] - time.monotonic()))
            _RETRY["wake"].clear()
            flush(force=True)

    _RETRY["thread"] = threading.Thread(target=loop, name="ai-pm-lab-room-retry", daemon=True)
    _RETRY["thread"].start()


def status_() -> dict:
    """Whether this kernel is in a room, as whom, and how many results wait in the queue."""
    with _LOCK:
        return {"joined": bool(_STATE["url"]), "mode": _STATE["mode"], "url": _STATE["url"], "name": _STATE["name"],
                "queued": len(_queued(_STATE["url"])) if _STATE["url"] else 0, "delivered": _STATE["delivered"],
                "last_error": _STATE["last_error"]}


status = status_


def leave() -> None:
    """Leave the room: nothing more is sent from this kernel; the saved laptop session is forgotten."""
    with _LOCK:
        _reset_state()
        _session_file().unlink(missing_ok=True)


def reset_room() -> None:
    """Forget the room in this kernel only (for tests; the saved session and queue stay on disk)."""
    with _LOCK:
        _reset_state()


_DECISION_LIMITS = (200, 2000)


def _decisions(answers: dict):
    """(part, choice, why) for each decision-shaped answer (``dict(choice=..., why=...)``, or a dict of them)."""
    for name, value in answers.items():
        if isinstance(value, dict) and "choice" in value:
            yield name, value
        elif isinstance(value, dict):
            for key, inner in value.items():
                if isinstance(inner, dict) and "choice" in inner:
                    yield f"{name}: {key}", inner


def on_check(result, answers: dict) -> None:
    """Listener for exercise checks (registered by ``ai_pm_lab.checks``): sends kind "check" when in a room."""
    if not _STATE["url"] and not _room_configured():
        return
    match = re.match(r"^(\d+)\.", result.exercise)
    base = {"week": int(match.group(1)) if match else 0, "exercise": result.exercise[:120],
            "status": "passed" if result.passed else "not_yet"}
    decisions = [(part, str(d.get("choice")).strip()[:_DECISION_LIMITS[0]],
                  str(d.get("why") or "").strip()[:_DECISION_LIMITS[1]]) for part, d in _decisions(answers or {})]
    decisions = [d for d in decisions if d[1] and d[1] != "None"]
    if not decisions:
        send("check", base)
    for part, choice, why in decisions:
        extra = {"choice": choice, "why": why or None}
        send("check", {**base, **extra, **({"part": part[:80]} if len(decisions) > 1 else {})})


def _room_configured() -> bool:
    env = settings.room_settings()
    return env["mode"] == "hub" or bool(env["url"] and env["code"])
