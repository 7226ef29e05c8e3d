"""Is the configured model still served? One short request to the provider's models endpoint, cached per kernel.

The backend line at the top of every notebook asks this, so a learner whose key points at a model the provider has
shut down reads "not served, pick one of ..." at the top of the notebook instead of a 404 in the middle of a lesson.
Offline, or when the check itself fails, it says it could not check and the notebook carries on. The local model
never triggers a request.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from urllib.parse import urlparse

from ai_pm_lab.catalog import models, status_note
from ai_pm_lab.llm.base import Backend
from ai_pm_lab.llm.remote import AnthropicBackend, OpenAIBackend, scrub
from ai_pm_lab.settings import KEY_VARS, MODEL_VAR

CHECK_TIMEOUT_S = 5.0
MAX_LISTED = 12
# Which provider's rows in the price table a known endpoint serves (any other URL is "a compatible server").
PROVIDER_HOSTS = {"api.openai.com": "openai", "api.anthropic.com": "anthropic",
                  "generativelanguage.googleapis.com": "google"}

_LISTS: dict = {}  # (backend name, endpoint, key fingerprint) -> ("ok", ids) or ("error", reason, status)


@dataclass(frozen=True)
class Availability:
    """What the live check found for one backend and model; ``message()`` is the sentence the notebooks print."""

    backend: str
    model: str
    endpoint: str | None
    state: str  # served, not_served, unchecked or local
    served_ids: tuple[str, ...] = ()
    choices: tuple[str, ...] = ()
    reason: str = ""
    status: int | None = None
    table_note: str | None = field(default=None)

    def message(self) -> str:
        """One or two plain sentences for a learner ('' for the local model)."""
        if self.state == "local":
            return ""
        where = self.where
        note = f" Price table: {self.table_note}" if self.table_note else ""
        if self.state == "served":
            return f"Checked live: {where} serves {self.model}.{note}"
        if self.state == "not_served":
            pick = ", ".join(self.choices) if self.choices else "none of the ids it lists"
            return (f"⚠️ {where[0].upper() + where[1:]} does not serve model {self.model!r} (checked live just now), so "
                    f"calls to it would fail. Models it serves that you can choose: {pick}. Set {MODEL_VAR}=<id> in your "
                    f".env file (or pass model=...), or use backend='local'.{note}")
        if self.status == 401:
            key_var = KEY_VARS.get(self.backend, "the API key")
            return (f"⚠️ {where[0].upper() + where[1:]} rejected the API key (HTTP 401) when asked which models it serves, so calls will fail "
                    f"the same way: check {key_var} (mistyped, revoked or for another provider), or use backend='local'.{note}")
        return f"Could not check live whether {where} serves {self.model} ({self.reason}); carrying on.{note}"

    @property
    def where(self) -> str:
        """The provider by name for its own API, else the compatible server by URL."""
        return endpoint_label(self.endpoint)


def endpoint_label(endpoint: str | None) -> str:
    """'OpenAI', 'Anthropic' or "Google's Gemini API" for their own endpoints, else 'the server at <url>'."""
    host = (urlparse(endpoint or "").hostname or "").lower()
    named = {"openai": "OpenAI", "anthropic": "Anthropic", "google": "Google's Gemini API"}.get(PROVIDER_HOSTS.get(host, ""))
    return named or f"the server at {endpoint}"


def endpoint_provider(engine: Backend) -> str:
    """The price-table provider whose rows an endpoint serves: by host for the known APIs, else the backend's own."""
    host = (urlparse(getattr(engine, "endpoint", "") or "").hostname or "").lower()
    return PROVIDER_HOSTS.get(host, getattr(engine, "table_provider", None) or engine.name)


def _fingerprint(engine: Backend) -> str:
    secret = engine._secret() if hasattr(engine, "_secret") else None
    return hashlib.sha256((secret or "").encode()).hexdigest()[:12]  # tells keys apart; the key itself is never kept


def _normalise(model_id: str) -> str:
    return model_id[len("models/"):] if model_id.startswith("models/") else model_id  # Gemini lists "models/<id>"


def _fetch(engine: Backend):
    """("ok", ids) or ("error", reason, status): one request to the models endpoint through the official SDK."""
    sdk = engine._sdk()
    try:  # with_options: a short timeout and no retries, whatever the course's retry policy for answers
        client = engine.client().with_options(timeout=CHECK_TIMEOUT_S, max_retries=0)
        page = client.models.list(limit=1000) if engine.name == "anthropic" else client.models.list()
        return ("ok", tuple(_normalise(str(m.id)) for m in page.data))
    except sdk.AuthenticationError:
        return ("error", "the API key was rejected, HTTP 401", 401)
    except sdk.PermissionDeniedError:
        return ("error", "the key may not list models, HTTP 403", 403)
    except sdk.NotFoundError:
        return ("error", "it has no models endpoint, HTTP 404", 404)
    except sdk.APIStatusError as exc:
        return ("error", f"the models endpoint answered HTTP {exc.status_code}", exc.status_code)
    except sdk.APIConnectionError:  # includes timeouts: offline, DNS failure, connection refused
        return ("error", "the server could not be reached: offline?", None)
    except Exception as exc:  # noqa: BLE001 - a failed check must never stop a notebook
        return ("error", scrub(f"unexpected {type(exc).__name__}", engine._secret()), None)


def served_models(engine: Backend, *, refresh: bool = False):
    """The model ids the engine's endpoint lists, cached per kernel: ("ok", ids) or ("error", reason, status)."""
    key = (engine.name, getattr(engine, "endpoint", None), _fingerprint(engine))
    if refresh or key not in _LISTS:
        _LISTS[key] = _fetch(engine)
    return _LISTS[key]


def clear_cache() -> None:
    """Forget every list fetched in this kernel (the next check asks again)."""
    _LISTS.clear()


def _choices(engine: Backend, served: tuple[str, ...]) -> tuple[str, ...]:
    """Served ids the price table knows, current rows of the endpoint's provider first; else the server's own ids."""
    served_set = set(served)
    rows = [m for m in models() if m.model_id in served_set]
    home = endpoint_provider(engine)
    rows.sort(key=lambda m: (m.provider != home, m.status_on() != "current", not m.default))
    if rows:
        return tuple(m.model_id for m in rows[:MAX_LISTED])
    return tuple(sorted(served)[:MAX_LISTED])


def check_model(engine: Backend, *, refresh: bool = False) -> Availability:
    """Whether ``engine``'s endpoint serves its configured model (never raises; the local model is not checked)."""
    if not isinstance(engine, (OpenAIBackend, AnthropicBackend)):  # the local model (or a test's scripted one)
        return Availability(engine.name, engine.model, None, "local")
    endpoint = getattr(engine, "endpoint", None)
    note = status_note(engine.model)
    result = served_models(engine, refresh=refresh)
    if result[0] == "error":
        _, reason, status = result
        return Availability(engine.name, engine.model, endpoint, "unchecked", reason=reason, status=status, table_note=note)
    served = result[1]
    if engine.model in served:
        return Availability(engine.name, engine.model, endpoint, "served", served, table_note=note)
    return Availability(engine.name, engine.model, endpoint, "not_served", served, _choices(engine, served), table_note=note)


def unserved_rows(engine: Backend, *, refresh: bool = False):
    """The price table's rows for the endpoint's provider, each marked served / not served by the live list.

    Returns (provider, DataFrame with model, table status, served) or (provider, reason) when the list is unavailable.
    """
    import pandas as pd

    provider = endpoint_provider(engine)
    result = served_models(engine, refresh=refresh)
    if result[0] == "error":
        return provider, result[1]
    served = set(result[1])
    rows = [{"model": m.model_id, "table status": m.status_on(), "served now": m.model_id in served}
            for m in models(provider, include_retired=True)]
    return provider, pd.DataFrame(rows)


def describe_availability(engine: Backend) -> str:
    """The live-check sentence for the backend line ('' for the local model)."""
    return check_model(engine).message()

