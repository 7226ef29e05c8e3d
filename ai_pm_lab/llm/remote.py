"""Hosted backends through the official SDKs (OpenAI or any compatible server, Anthropic), with bounded retries and clear errors."""
from __future__ import annotations

import email.utils
import ipaddress
import random
import re
import threading
import time
from dataclasses import dataclass, replace
from urllib.parse import urlparse

from ai_pm_lab.catalog import default_model, find_model
from ai_pm_lab.errors import ConfigurationError, InputError, InputTypeError, ProviderError, require_number, require_text
from ai_pm_lab.llm.base import MESSAGE_TOKENS, REPLY_PRIMING_TOKENS, Backend, RawReply, cut_at_stop
from ai_pm_lab.llm.fallback import FALLBACK_VAR
from ai_pm_lab.llm.tokens import count_tokens, is_exact, upper_bound
from ai_pm_lab.settings import BASE_URL_VARS, KEY_VARS, api_key, base_url

OPENAI_URL = "https://api.openai.com/v1"
ANTHROPIC_URL = "https://api.anthropic.com"
GEMINI_URL = "https://generativelanguage.googleapis.com/v1beta/openai/"  # Google's OpenAI-compatible endpoint
DEFAULT_URLS = {"openai": OPENAI_URL, "anthropic": ANTHROPIC_URL, "gemini": GEMINI_URL}
PLACEHOLDER_KEY = "not-needed-for-local-server"
MODELS_CSV = "ai_pm_lab/data/models.csv"
API_SHAPE = {"openai": "an OpenAI-compatible API (usually ending in /v1)",
             "anthropic": "an Anthropic-compatible API (the root URL, without /v1)",
             "gemini": "an OpenAI-compatible API (Google's is " + GEMINI_URL + ")"}
RETRY_STATUSES = {408, 409, 429, 500, 502, 503, 504, 529}

# Key-shaped strings (OpenAI sk-..., sk-proj-..., Anthropic sk-ant-..., Google AIza...), masked in every message we build.
KEY_PATTERN = re.compile(r"sk-(?:ant-|proj-)?[A-Za-z0-9_\-*]{8,}|AIza[A-Za-z0-9_\-]{20,}")


@dataclass(frozen=True)
class RetryPolicy:
    """How hard a hosted call tries: attempts in all, backoff delays, the cap on total waiting, and the per-try timeout."""

    attempts: int = 3
    base_delay_s: float = 1.0
    max_delay_s: float = 8.0
    max_total_wait_s: float = 20.0
    timeout_s: float = 60.0
    jitter: float = 0.1

    def delay(self, attempt: int) -> float:
        """Backoff before try ``attempt + 1``: base × 2^(attempt-1), capped, with a little jitter."""
        raw = min(self.max_delay_s, self.base_delay_s * 2 ** (attempt - 1))
        return raw * (1 + random.uniform(0, self.jitter))


DEFAULT_RETRY = RetryPolicy()


def set_retry_policy(**changes) -> RetryPolicy:
    """Change retry settings for this kernel, e.g. set_retry_policy(attempts=5, timeout_s=30)."""
    global DEFAULT_RETRY
    unknown = set(changes) - set(RetryPolicy.__dataclass_fields__)
    if unknown:
        raise InputTypeError(f"Unknown retry setting(s) {sorted(unknown)}: choose from {sorted(RetryPolicy.__dataclass_fields__)}.")
    for k, v in changes.items():
        require_number(v, k, low=1 if k == "attempts" else 0, high=10_000, integer=k == "attempts")
    if "timeout_s" in changes and changes["timeout_s"] <= 0:
        raise InputError("timeout_s must be above 0 seconds, e.g. 30.")
    DEFAULT_RETRY = replace(DEFAULT_RETRY, **changes)
    return DEFAULT_RETRY


def is_loopback(url: str) -> bool:
    """Whether a base URL points at this machine (localhost, 127.0.0.0/8 or ::1)."""
    host = (urlparse(url).hostname or "").lower()
    if host in ("localhost", "localhost.localdomain") or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def scrub(text: str, secret: str | None = None) -> str:
    """``text`` with the key (if given) and anything key-shaped replaced by a mask."""
    text = str(text)
    if secret:
        text = text.replace(secret, "[key hidden]")
    return KEY_PATTERN.sub("[key hidden]", text)


@dataclass
class _Failure:
    kind: str
    retryable: bool
    status: int | None = None
    retry_after: float | None = None
    detail: str = ""


def retry_after_seconds(headers) -> float | None:
    """Seconds a provider asked us to wait (retry-after-ms or retry-after: seconds or an HTTP date), or None."""
    if headers is None:
        return None
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
            return max(0.0, when.timestamp() - time.time())
        except (TypeError, ValueError):
            return None


def _provider_detail(exc) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        err = body.get("error", body)
        if isinstance(err, dict) and err.get("message"):
            return str(err["message"])
    return str(getattr(exc, "message", "") or exc)


def _classify(exc: Exception, sdk) -> _Failure:
    """Sort an SDK or parsing exception into one failure kind and whether to retry it."""
    if isinstance(exc, sdk.APITimeoutError):
        return _Failure("timeout", True)
    if isinstance(exc, sdk.APIConnectionError):
        return _Failure("connection", True, detail=str(getattr(exc, "__cause__", "") or ""))
    if isinstance(exc, sdk.APIStatusError):
        status = exc.status_code
        detail = _provider_detail(exc)
        code = ""
        if isinstance(getattr(exc, "body", None), dict):
            err = exc.body.get("error", {})
            code = str(err.get("code") or err.get("type") or "") if isinstance(err, dict) else ""
        if status == 429 and "insufficient_quota" in (code + detail):
            return _Failure("quota", False, status, detail=detail)
        if status in RETRY_STATUSES:
            kind = "rate_limit" if status == 429 else "server"
            return _Failure(kind, True, status, retry_after_seconds(exc.response.headers), detail)
        kind = {401: "auth", 403: "forbidden", 404: "not_found", 400: "bad_request", 422: "bad_request"}.get(status, "status")
        return _Failure(kind, False, status, detail=detail)
    if isinstance(exc, (ValueError, sdk.APIResponseValidationError)):  # JSONDecodeError is a ValueError
        return _Failure("malformed", False, detail=type(exc).__name__)
    return _Failure("unexpected", False, detail=f"{type(exc).__name__}: {exc}")


class RemoteBackend(Backend):
    """Shared machinery of the hosted backends: key handling, retries and error messages."""

    provider = "base"
    table_provider = None  # the price table's provider for the default model (None: same as provider)
    label = "the provider"
    paid = True
    concurrent = True  # independent requests go out together from a bounded thread pool (generate_many)

    def __init__(self, model: str | None = None):
        if model is not None:
            require_text(model, "model")
        super().__init__((model or default_model(self.table_provider or self.provider)).strip())
        self.key_var = KEY_VARS[self.provider]
        base = base_url(self.provider)
        self.custom_endpoint = base is not None
        self.endpoint = (base or DEFAULT_URLS[self.provider]).rstrip("/")
        if urlparse(self.endpoint).scheme not in ("http", "https") or not urlparse(self.endpoint).hostname:
            raise ConfigurationError(
                f"{BASE_URL_VARS[self.provider]}={self.endpoint!r} is not a URL: use e.g. http://localhost:11434/v1 "
                "(Ollama) or unset it to use the provider's own API."
            )
        self._key = api_key(self.provider)
        if not self._key and not (self.provider == "openai" and self.custom_endpoint):
            raise ConfigurationError(
                f"backend={self.provider!r} needs an API key, and {self.key_var} is not set. Set it in your environment "
                f"or in a .env file at the course root (copy .env.example to .env), or run "
                f"ai_pm_lab.settings.prompt_for_key({self.provider!r}) in a cell to paste it hidden. "
                "No key? Use the free local model: backend='local'."
            )
        self._client = None
        self._client_lock = threading.Lock()  # generate_many's threads share one client, built once

    def __repr__(self) -> str:
        return f"{type(self).__name__}(model={self.model!r}, endpoint={self.endpoint!r})"

    def count_tokens(self, text: str) -> int:
        """Tokens ``text`` takes on this model's tokenizer (an estimate for Anthropic; a model the table does not list,
        e.g. on an Ollama server, is counted on the backend's default vocabulary)."""
        return count_tokens(text, backend=self.name, model=self.model if find_model(self.model) else None)

    def max_prompt_tokens(self, messages) -> int:
        """The most tokens the messages can take: exact for OpenAI's tokenizer, else the stand-in count with the
        margin of ai_pm_lab.llm.tokens.ESTIMATE_MARGIN (what the spend cap reserves before a call)."""
        if is_exact(self.name):
            return super().max_prompt_tokens(messages)
        return sum(upper_bound(m["content"], self.name) + MESSAGE_TOKENS for m in messages) + REPLY_PRIMING_TOKENS

    @property
    def where(self) -> str:
        """How messages name the server: the provider, or the compatible server at its URL."""
        return f"the server at {self.endpoint}" if self.custom_endpoint else self.label

    # --- retries and errors ------------------------------------------------------------------------
    def _sdk(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def _call(self, request):
        """Run ``request(timeout)`` with bounded exponential backoff; every failure becomes one ProviderError."""
        sdk = self._sdk()
        policy = DEFAULT_RETRY
        waited = 0.0
        attempt = 0
        while True:
            attempt += 1
            try:
                return request(policy.timeout_s)
            except Exception as exc:  # noqa: BLE001 - every failure is mapped to one ProviderError below
                failure = _classify(exc, sdk)
            note = ""
            if failure.retryable and attempt < policy.attempts:
                delay = failure.retry_after if failure.retry_after is not None else policy.delay(attempt)
                if failure.retry_after is not None and failure.retry_after > policy.max_delay_s:
                    note = f"it asked to wait {failure.retry_after:.0f} s, longer than the course waits ({policy.max_delay_s:.0f} s)"
                elif waited + delay > policy.max_total_wait_s:
                    note = f"waiting again would pass the {policy.max_total_wait_s:.0f} s retry budget"
                else:
                    time.sleep(delay)
                    waited += delay
                    continue
            raise self._error(failure, attempt, waited, policy, note) from None

    def _error(self, f: _Failure, attempts: int, waited: float, policy: RetryPolicy, note: str) -> ProviderError:
        where, key_var, model = self.where, self.key_var, self.model
        local = "or switch to the free local model with backend='local'"
        fallback = f" (To have the local model answer automatically next time, pass fallback='local' or set {FALLBACK_VAR}=local.)"
        tries = f"{attempts} attempt{'s' if attempts != 1 else ''}" + (f" over {waited:.2f} s of waiting" if waited else "")
        if f.retry_after is not None:
            tries += f"; it asked to wait {f.retry_after:g} s"
        if note:
            tries += f"; stopped because {note}"
        said = f' It said: "{scrub(f.detail, self._secret())[:200]}"' if f.detail and f.kind not in ("malformed", "connection") else ""
        http = f"HTTP {f.status}" if f.status else ""
        msg = {
            "auth": f"{where} rejected the API key ({http}).{said} Check {key_var}: it may be mistyped, revoked or for "
                    f"another provider. Set it again in .env or with ai_pm_lab.settings.prompt_for_key({self.provider!r}), {local}.",
            "forbidden": f"{where} refused access ({http}): this key may not be allowed to use model {model!r}, or the "
                         f"account, billing or region is blocked.{said} Check the key's permissions and billing, pick another "
                         f"model id from {MODELS_CSV} (ai_pm_lab.models({self.provider!r})), {local}.",
            "not_found": f"{where} does not know model {model!r} ({http}).{said} Pick another model id from {MODELS_CSV} "
                         f"(ai_pm_lab.models({self.provider!r})) or, for a local server, a name it lists; "
                         f"if you set {BASE_URL_VARS[self.provider]}, check the URL"
                         f"{' ends in /v1' if self.provider == 'openai' else ''}; {local}.",
            "quota": f"{where} says this account is out of credit or quota ({http}).{said} Check billing on the provider's "
                     f"dashboard, {local}.",
            "rate_limit": f"{where} is rate-limiting you ({http}) and still was after {tries}. Wait a minute and retry, "
                          f"make fewer or smaller calls (lower max_tokens), {local}.",
            "server": f"{where} had a server error ({http}) on all {tries}. This is usually temporary: wait a few minutes "
                      f"and retry, {local}.",
            "timeout": f"{where} did not answer within {policy.timeout_s:g} s ({tries}). Check your network, lower "
                       f"max_tokens, wait and retry, {local}.",
            "connection": f"Could not reach {where}: the connection failed or was dropped ({tries}). Check your network"
                          f"{' and that the server is running' if self.custom_endpoint else ''}, wait and retry, {local}.",
            "malformed": f"{where} sent a reply that is not valid JSON ({f.detail}). "
                         + (f"Check that {BASE_URL_VARS[self.provider]} points at {API_SHAPE[self.provider]}; "
                            if self.custom_endpoint else "This is usually a temporary glitch: wait and retry, ")
                         + f"{local}.",
            "bad_request": f"{where} rejected the request ({http}).{said} Check model {model!r}, max_tokens and temperature "
                           f"against {MODELS_CSV}, {local}.",
            "status": f"{where} answered with an error ({http}).{said} Wait and retry, pick another model id from "
                      f"{MODELS_CSV}, {local}.",
            "unexpected": f"The call to {where} failed unexpectedly ({scrub(f.detail, self._secret())[:200]}). Wait and retry, {local}.",
        }[f.kind] + fallback
        msg = msg[0].upper() + msg[1:]
        err = ProviderError(scrub(msg, self._secret()))
        err.kind, err.status, err.attempts, err.provider = f.kind, f.status, attempts, self.provider
        return err

    def _secret(self) -> str | None:
        return self._key.reveal() if self._key else None

    def _parse_failure(self, exc: Exception) -> ProviderError:
        f = _Failure("malformed", False, detail=f"unexpected reply shape: {type(exc).__name__}")
        return self._error(f, 1, 0.0, DEFAULT_RETRY, "")


class OpenAIBackend(RemoteBackend):
    """OpenAI's chat-completions API, or any compatible server set by OPENAI_BASE_URL (Ollama, LM Studio, llama.cpp)."""

    name = "openai"
    provider = "openai"
    label = "OpenAI"

    def __init__(self, model: str | None = None):
        super().__init__(model)
        self.paid = not (self.custom_endpoint and is_loopback(self.endpoint))

    def _sdk(self):
        import openai  # the SDKs load only when a hosted backend is used: the default course runs without them

        return openai

    def client(self):
        """The SDK client (built once; the SDK's own retries are off because ours are bounded and explained)."""
        with self._client_lock:
            if self._client is None:
                openai = self._sdk()
                key = self._key.reveal() if self._key else PLACEHOLDER_KEY
                self._client = openai.OpenAI(api_key=key, base_url=self.endpoint, max_retries=0,
                                             timeout=DEFAULT_RETRY.timeout_s)
        return self._client

    def _complete(self, messages, *, temperature, max_tokens, seed, stop=None) -> RawReply:
        kwargs = {"model": self.model, "messages": messages, "temperature": temperature, "max_tokens": max_tokens}
        if seed is not None:
            kwargs["seed"] = seed
        if stop:
            kwargs["stop"] = list(stop)
        client = self.client()
        resp = self._call(lambda timeout: client.chat.completions.create(**kwargs, timeout=timeout))
        try:
            choice = resp.choices[0]
            text = choice.message.content or ""
            usage = resp.usage
            prompt = int(usage.prompt_tokens) if usage else self.estimate_prompt_tokens(messages)
            completion = int(usage.completion_tokens) if usage else self.count_tokens(text)
            text, cut = cut_at_stop(text, stop)  # a compatible server that ignores `stop` still gives the same text
            return RawReply(text.strip(), prompt, completion, "stop" if cut else choice.finish_reason or "stop",
                            resp.model or self.model)
        except (AttributeError, IndexError, TypeError, ValueError) as exc:
            raise self._parse_failure(exc) from None


class AnthropicBackend(RemoteBackend):
    """Anthropic's messages API (the system message goes into ``system=``; temperature is capped at 1.0)."""

    name = "anthropic"
    provider = "anthropic"
    label = "Anthropic"

    def _sdk(self):
        import anthropic  # loaded only when this backend is used (see OpenAIBackend._sdk)

        return anthropic

    def client(self):
        """The SDK client (built once; the SDK's own retries are off because ours are bounded and explained)."""
        with self._client_lock:
            if self._client is None:
                anthropic = self._sdk()
                self._client = anthropic.Anthropic(
                    api_key=self._key.reveal(), base_url=self.endpoint, max_retries=0, timeout=DEFAULT_RETRY.timeout_s
                )
        return self._client

    def _complete(self, messages, *, temperature, max_tokens, seed, stop=None) -> RawReply:
        system = "\n\n".join(m["content"] for m in messages if m["role"] == "system")
        chat = [{"role": m["role"], "content": m["content"]} for m in messages if m["role"] != "system"]
        kwargs = {"model": self.model, "max_tokens": max_tokens, "messages": chat,
                  # Anthropic accepts temperature 0..1; the SDK no longer types it, so it travels in the body.
                  "extra_body": {"temperature": min(float(temperature), 1.0)}}
        if system:
            kwargs["system"] = system
        # Anthropic refuses whitespace-only stop sequences ("\n"): those are applied to the text when it arrives.
        sent = [s for s in stop or [] if s.strip()]
        if sent:
            kwargs["stop_sequences"] = sent
        client = self.client()
        resp = self._call(lambda timeout: client.messages.create(**kwargs, timeout=timeout))
        try:
            text = "".join(getattr(b, "text", "") for b in resp.content if getattr(b, "type", "") == "text")
            usage = resp.usage
            finish = {"end_turn": "stop", "max_tokens": "length", "stop_sequence": "stop"}.get(resp.stop_reason, resp.stop_reason or "stop")
            text, cut = cut_at_stop(text, stop)
            return RawReply(text.strip(), int(usage.input_tokens), int(usage.output_tokens), "stop" if cut else finish,
                            resp.model or self.model)
        except (AttributeError, IndexError, TypeError, ValueError) as exc:
            raise self._parse_failure(exc) from None


class GeminiBackend(OpenAIBackend):
    """Google's Gemini through its OpenAI-compatible endpoint and the OpenAI SDK (key: GEMINI_API_KEY), priced from the
    table's google rows; GEMINI_BASE_URL points it elsewhere (a test server)."""

    name = "gemini"
    provider = "gemini"
    table_provider = "google"
    label = "Google's Gemini API"

    def count_tokens(self, text: str) -> int:
        """An estimate: Gemini's tokenizer is not published for offline use (see ai_pm_lab.llm.tokens)."""
        return count_tokens(text, backend="google")
