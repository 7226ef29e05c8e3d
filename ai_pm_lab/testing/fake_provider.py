"""A loopback HTTP server that speaks OpenAI chat-completions and Anthropic messages, with injectable faults.

Use it in tests (``with FakeProvider() as fake: ...``) or from a shell so a notebook can point at it:
``python -m ai_pm_lab.testing.fake_provider --port 8765`` then ``OPENAI_BASE_URL=http://127.0.0.1:8765/v1``.
"""
from __future__ import annotations

import argparse
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from ai_pm_lab.catalog import models as table_models
from ai_pm_lab.errors import InputError

FAULTS = ("401", "403", "404", "429", "500", "503", "timeout", "drop", "malformed")
SECRET_HEADERS = ("authorization", "x-api-key", "api-key")
REPLY_PREFIX = "fake reply to:"


@dataclass(frozen=True)
class Fault:
    """One injected failure: an HTTP status, a timeout, a dropped connection or a malformed JSON body."""

    kind: str
    retry_after: float | None = None
    path: str | None = None  # only requests to this path consume the fault (None: any path)

    def __post_init__(self):
        if self.kind not in FAULTS:
            raise InputError(f"Unknown fault {self.kind!r}: choose one of {', '.join(FAULTS)}.")


@dataclass
class RecordedRequest:
    """A request as the server saw it, with key-bearing headers redacted."""

    method: str
    path: str
    headers: dict
    body: object
    fault: str | None = None
    at: float = field(default_factory=time.monotonic)

    @property
    def api(self) -> str:
        """'anthropic' for messages calls, else 'openai'."""
        return "anthropic" if self.path.startswith("/v1/messages") or "anthropic-version" in self.headers else "openai"


def _words(text: str) -> list[str]:
    return str(text).split()


def _content_text(content) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content blocks
        return " ".join(b.get("text", "") for b in content if isinstance(b, dict))
    return ""


def fake_reply(messages: list, max_tokens: int, stop=None) -> tuple[str, int, int, bool]:
    """Deterministic reply text, prompt tokens, completion tokens and whether it was cut at max_tokens.

    ``stop`` (a string or a list, as the APIs take it): the reply ends before the first stop string, as a real one does."""
    last_user = next((_content_text(m.get("content")) for m in reversed(messages) if m.get("role") == "user"), "")
    words = [REPLY_PREFIX, *_words(last_user)[:8]]
    reply_words = " ".join(words).split()
    cut = len(reply_words) > max_tokens
    reply_words = reply_words[: max(1, max_tokens)]
    prompt_tokens = sum(len(_words(_content_text(m.get("content")))) + 4 for m in messages)
    text = " ".join(reply_words)
    stops = [stop] if isinstance(stop, str) else list(stop or [])
    hits = [i for i in (text.find(s) for s in stops if s) if i >= 0]
    if hits:
        text, cut = text[:min(hits)].rstrip(), False
        return text, prompt_tokens, len(text.split()), cut
    return text, prompt_tokens, len(reply_words), cut


class FakeProvider:
    """A fake OpenAI + Anthropic endpoint on 127.0.0.1 that records requests and fails on demand."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, known_models=None, timeout_sleep: float = 3.0,
                 latency_s: float = 0.0):
        self.host = host
        self.requested_port = port
        self.known_models = None if known_models is None else set(known_models)
        self.timeout_sleep = timeout_sleep
        self.latency_s = latency_s  # each answer waits this long (calls made at once are then all in flight together)
        self.requests: list[RecordedRequest] = []
        self.in_flight = 0  # completion requests being answered right now
        self.max_in_flight = 0  # the most that were ever answered at the same time (since the last reset)
        self._faults: deque[Fault] = deque()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle -------------------------------------------------------------------------------
    def start(self) -> "FakeProvider":
        """Start serving in a daemon thread."""
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = ThreadingHTTPServer((self.host, self.requested_port), handler)
        self._server.daemon_threads = True
        self._stop.clear()
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-provider", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and wake any handler sleeping in a timeout fault."""
        self._stop.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> "FakeProvider":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The port actually bound."""
        if self._server is None:
            raise RuntimeError("FakeProvider is not running: call start() or use it in a with-block.")
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        """Root URL, e.g. http://127.0.0.1:PORT (what ANTHROPIC_BASE_URL wants)."""
        return f"http://{self.host}:{self.port}"

    @property
    def openai_base_url(self) -> str:
        """Root URL plus /v1 (what OPENAI_BASE_URL wants)."""
        return self.url + "/v1"

    # --- faults and records ------------------------------------------------------------------------
    def fail(self, *kinds: str, retry_after: float | None = None, path: str | None = None) -> None:
        """Queue faults, consumed one per request in order (e.g. fail('429', '429') then success)."""
        with self._lock:
            for kind in kinds:
                self._faults.append(kind if isinstance(kind, Fault) else Fault(kind, retry_after, path))

    def reset(self) -> None:
        """Forget recorded requests and queued faults."""
        with self._lock:
            self.requests.clear()
            self._faults.clear()
            self.max_in_flight = self.in_flight

    @property
    def pending_faults(self) -> int:
        """Faults still queued."""
        return len(self._faults)

    def _next_fault(self, path: str) -> Fault | None:
        with self._lock:
            for i, fault in enumerate(self._faults):
                if fault.path is None or fault.path == path:
                    del self._faults[i]
                    return fault
        return None

    def served_models(self) -> list[str]:
        """The ids the models endpoint lists: known_models, else every served row of the price table plus 'fake-model'."""
        if self.known_models is not None:
            return sorted(self.known_models)
        return sorted({m.model_id for m in table_models()} | {"fake-model"})

    def calls(self, path: str | None = None) -> list[RecordedRequest]:
        """Recorded POST requests, optionally to one path."""
        return [r for r in self.requests if r.method == "POST" and (path is None or r.path == path)]


def _model_object(model_id: str, anthropic: bool) -> dict:
    if anthropic:
        return {"type": "model", "id": model_id, "display_name": model_id, "created_at": "2026-01-01T00:00:00Z"}
    return {"id": model_id, "object": "model", "created": 0, "owned_by": "fake"}


def _openai_error(status: int, message: str, kind: str, code: str | None = None) -> dict:
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


def _anthropic_error(kind: str, message: str) -> dict:
    return {"type": "error", "error": {"type": kind, "message": message}}


_FAULT_STATUS = {"401": 401, "403": 403, "404": 404, "429": 429, "500": 500, "503": 503}
_ANTHROPIC_TYPES = {401: "authentication_error", 403: "permission_error", 404: "not_found_error",
                    429: "rate_limit_error", 500: "api_error", 503: "overloaded_error"}
_OPENAI_TYPES = {401: ("invalid_request_error", "invalid_api_key"), 403: ("invalid_request_error", "unsupported_country_region_territory"),
                 404: ("invalid_request_error", "model_not_found"), 429: ("requests", "rate_limit_exceeded"),
                 500: ("server_error", None), 503: ("server_error", None)}


class _Handler(BaseHTTPRequestHandler):
    fake: FakeProvider
    protocol_version = "HTTP/1.1"
    # Headers and body go out as two writes; with Nagle's algorithm on, the body then waits for the client's delayed
    # ACK (~40 ms on Linux), which would add a delay to every answer that latency_s does not account for.
    disable_nagle_algorithm = True

    def log_message(self, *args):  # keep test output quiet
        return None

    # --- plumbing ----------------------------------------------------------------------------------
    def _record(self, body) -> RecordedRequest:
        headers = {}
        for k, v in self.headers.items():
            k = k.lower()
            headers[k] = "<redacted>" if k in SECRET_HEADERS else v
        rec = RecordedRequest(self.command, self.path.split("?")[0], headers, body)
        with self.fake._lock:
            self.fake.requests.append(rec)
        return rec

    def _uncount(self) -> None:
        """This request is no longer in flight (called before its answer is written, so a client that sends the next
        request as soon as it has the answer never sees two in flight)."""
        if getattr(self, "_counted", False):
            self._counted = False
            with self.fake._lock:
                self.fake.in_flight -= 1

    def _send(self, status: int, payload, *, extra_headers=None, raw: bytes | None = None) -> None:
        self._uncount()
        data = raw if raw is not None else json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in (extra_headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout fault)
            pass

    def _read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            return json.loads(raw or b"null")
        except ValueError:
            return None

    def _apply_fault(self, rec: RecordedRequest, anthropic: bool) -> bool:
        fault = self.fake._next_fault(rec.path)
        if fault is None:
            return False
        rec.fault = fault.kind
        if fault.kind == "timeout":
            self.fake._stop.wait(self.fake.timeout_sleep)
            self._send(200, {"late": True})
            return True
        if fault.kind == "drop":
            self.close_connection = True
            try:
                import socket

                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return True
        if fault.kind == "malformed":
            self._send(200, None, raw=b'{"id": "c1", "choices": [ {"message": ')
            return True
        status = _FAULT_STATUS[fault.kind]
        model = (rec.body or {}).get("model") if isinstance(rec.body, dict) else None
        message = {
            401: "Invalid API key provided. You can find your API key in your account settings.",
            403: "Your key is not allowed to use this model or region.",
            404: f"The model `{model}` does not exist or you do not have access to it.",
            429: "Rate limit reached for requests. Please try again shortly.",
            500: "The server had an error while processing your request.",
            503: "The server is overloaded or not ready yet.",
        }[status]
        headers = {}
        if status == 429:
            headers["Retry-After"] = f"{fault.retry_after if fault.retry_after is not None else 0:g}"
        if anthropic:
            payload = _anthropic_error(_ANTHROPIC_TYPES[status], message)
        else:
            kind, code = _OPENAI_TYPES[status]
            payload = _openai_error(status, message, kind, code)
        self._send(status, payload, extra_headers=headers)
        return True

    # --- routes ------------------------------------------------------------------------------------
    def do_GET(self):
        """The models endpoint in both shapes: the list (GET /v1/models) and one model (GET /v1/models/{id})."""
        rec = self._record(None)
        anthropic = "anthropic-version" in rec.headers
        prefix = "/v1/models" if rec.path.startswith("/v1/") else "/models"
        if rec.path != prefix and not rec.path.startswith(prefix + "/"):
            return self._send(404, _openai_error(404, f"No route {rec.path}", "invalid_request_error"))
        if self._apply_fault(rec, anthropic):
            return None
        ids = self.fake.served_models()
        wanted = rec.path[len(prefix) + 1:] if rec.path != prefix else None
        if wanted is not None:
            if wanted not in ids:
                msg = f"model: {wanted}" if anthropic else f"The model '{wanted}' does not exist"
                payload = _anthropic_error("not_found_error", msg) if anthropic else _openai_error(404, msg, "invalid_request_error", "model_not_found")
                return self._send(404, payload)
            return self._send(200, _model_object(wanted, anthropic))
        data = [_model_object(m, anthropic) for m in ids]
        if anthropic:
            return self._send(200, {"data": data, "has_more": False, "first_id": ids[0] if ids else None,
                                    "last_id": ids[-1] if ids else None})
        return self._send(200, {"object": "list", "data": data})

    def do_POST(self):
        body = self._read_body()
        rec = self._record(body)
        route = {"/v1/chat/completions": self._chat, "/chat/completions": self._chat,
                 "/v1/messages": self._messages, "/messages": self._messages}.get(rec.path)
        if route is not None:
            with self.fake._lock:
                self.fake.in_flight += 1
                self.fake.max_in_flight = max(self.fake.max_in_flight, self.fake.in_flight)
            self._counted = True
            try:
                return route(rec, body)
            finally:
                self._uncount()
        return self._send(404, _openai_error(404, f"No route {rec.path}: this fake serves /v1/chat/completions and /v1/messages", "invalid_request_error"))

    def _bad_request(self, body, anthropic: bool):
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list) or not body.get("model"):
            msg = "Request body must be JSON with 'model' and a 'messages' list."
        elif body.get("stream"):
            msg = "Streaming is not supported by the fake provider."
        elif self.fake.known_models is not None and body["model"] not in self.fake.known_models:
            status = 404
            msg = f"The model `{body['model']}` does not exist or you do not have access to it."
            payload = _anthropic_error("not_found_error", msg) if anthropic else _openai_error(404, msg, "invalid_request_error", "model_not_found")
            return status, payload
        else:
            return None
        return 400, (_anthropic_error("invalid_request_error", msg) if anthropic else _openai_error(400, msg, "invalid_request_error"))

    def _chat(self, rec, body):
        if self._apply_fault(rec, anthropic=False):
            return None
        self.fake._stop.wait(self.fake.latency_s)
        bad = self._bad_request(body, anthropic=False)
        if bad:
            return self._send(*bad)
        max_tokens = int(body.get("max_tokens") or body.get("max_completion_tokens") or 64)
        text, p, c, cut = fake_reply(body["messages"], max_tokens, body.get("stop"))
        self._send(200, {
            "id": f"chatcmpl-fake-{len(self.fake.requests)}", "object": "chat.completion", "created": 0,
            "model": body["model"],
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                         "finish_reason": "length" if cut else "stop"}],
            "usage": {"prompt_tokens": p, "completion_tokens": c, "total_tokens": p + c},
        })

    def _messages(self, rec, body):
        if self._apply_fault(rec, anthropic=True):
            return None
        self.fake._stop.wait(self.fake.latency_s)
        bad = self._bad_request(body, anthropic=True)
        if bad:
            return self._send(*bad)
        max_tokens = int(body.get("max_tokens") or 64)
        messages = list(body["messages"])
        if body.get("system"):
            system = body["system"] if isinstance(body["system"], str) else _content_text(body["system"])
            messages = [{"role": "system", "content": system}, *messages]
        stops = body.get("stop_sequences") or []
        if any(not str(x).strip() for x in stops):  # as Anthropic's API does
            return self._send(400, _anthropic_error("invalid_request_error",
                                                    "stop_sequences: each stop sequence must contain non-whitespace"))
        text, p, c, cut = fake_reply(messages, max_tokens, stops)
        hit = bool(stops) and not cut and len(text.split()) < len(fake_reply(messages, max_tokens)[0].split())
        self._send(200, {
            "id": f"msg_fake_{len(self.fake.requests)}", "type": "message", "role": "assistant", "model": body["model"],
            "content": [{"type": "text", "text": text}],
            "stop_reason": "max_tokens" if cut else "stop_sequence" if hit else "end_turn",
            "stop_sequence": None, "usage": {"input_tokens": p, "output_tokens": c},
        })


def main(argv=None) -> None:
    """Serve until Ctrl-C and print the URLs to export."""
    parser = argparse.ArgumentParser(description="Loopback fake OpenAI/Anthropic server for offline course runs.")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free port)")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds each answer waits (like a real API's)")
    args = parser.parse_args(argv)
    fake = FakeProvider(port=args.port, latency_s=args.latency).start()
    print(fake.url, flush=True)
    print(f"export OPENAI_BASE_URL={fake.openai_base_url}  # or ANTHROPIC_BASE_URL={fake.url}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()


if __name__ == "__main__":
    main()
