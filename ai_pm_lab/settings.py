"""Settings from the environment or a gitignored .env file: backend choice, model, keys, spend cap, threads, context.

Every environment variable the course reads is named here and read through ``env()`` (process environment, else the
nearest .env); the ones with a format (threads, context window, spend cap) are parsed here, with a clear error for a
bad value. ``PROVIDER_VARS`` is the one list of variables that point the course at a hosted provider.
"""
from __future__ import annotations

import getpass
import os
from pathlib import Path

from dotenv import dotenv_values

from ai_pm_lab.catalog import BACKENDS
from ai_pm_lab.errors import ConfigurationError, InputTypeError, require_text

KEY_VARS = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY", "gemini": "GEMINI_API_KEY"}
BASE_URL_VARS = {"openai": "OPENAI_BASE_URL", "anthropic": "ANTHROPIC_BASE_URL", "gemini": "GEMINI_BASE_URL"}
HOSTED = tuple(KEY_VARS)  # the hosted backends, in the order the course picks one when several are configured
BACKEND_VAR = "AI_PM_LAB_BACKEND"
MODEL_VAR = "AI_PM_LAB_MODEL"
FALLBACK_VAR = "AI_PM_LAB_FALLBACK"
SPEND_CAP_VAR = "AI_PM_LAB_SPEND_CAP_USD"
THREADS_VAR = "AI_PM_LAB_THREADS"
N_CTX_VAR = "AI_PM_LAB_N_CTX"
EMBED_CACHE_VAR = "AI_PM_LAB_EMBED_CACHE"
MODEL_CACHE_VAR = "AI_PM_LAB_MODEL_CACHE"
CONCURRENCY_VAR = "AI_PM_LAB_CONCURRENCY"
DEFAULT_CONCURRENCY = 8  # hosted requests in flight at once (well under every provider's per-minute limits)
RESPONSE_CACHE_VAR = "AI_PM_LAB_RESPONSE_CACHE"  # local (default) | all | off
RESPONSE_CACHE_MB_VAR = "AI_PM_LAB_RESPONSE_CACHE_MB"
CACHE_DIR_VAR = "AI_PM_LAB_CACHE_DIR"
# The one list of provider variables: each can make a run reach a hosted provider or change which model answers.
# Settings, the backends, `python -m ai_pm_lab.catalog` and the offline run (ai_pm_lab.testing.offline) all use it.
PROVIDER_VARS = (*KEY_VARS.values(), *BASE_URL_VARS.values(), BACKEND_VAR, MODEL_VAR, FALLBACK_VAR)
DEFAULT_N_CTX = 2048
MAX_SPEND_CAP_USD = 10_000


class Secret:
    """A key that never shows itself in a repr, a print or a traceback."""

    __slots__ = ("_value",)

    def __init__(self, value: str):
        self._value = value

    def reveal(self) -> str:
        """The raw key, for handing to an SDK; never print it."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self._value)


def _find_dotenv() -> Path | None:
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        candidate = folder / ".env"
        if candidate.is_file():
            return candidate
    return None


def env(name: str) -> str | None:
    """A setting from the process environment, else from the nearest .env file; blank counts as unset."""
    value = os.environ.get(name)
    if value is None:
        path = _find_dotenv()
        if path is not None:
            value = dotenv_values(path).get(name)
    value = (value or "").strip()
    return value or None


def api_key(provider: str) -> Secret | None:
    """The provider's key wrapped in a Secret, or None when it is not set."""
    var = KEY_VARS.get(provider)
    if var is None:
        raise ConfigurationError(f"{provider!r} takes no API key: keys exist for {', '.join(KEY_VARS)}.")
    value = env(var)
    return Secret(value) if value else None


def prompt_for_key(provider: str) -> None:
    """Ask for a key with a hidden prompt and keep it in this kernel only (nothing is written to disk or shown)."""
    var = KEY_VARS.get(provider)
    if var is None:
        raise ConfigurationError(f"Unknown provider {provider!r}: choose one of {', '.join(map(repr, KEY_VARS))}.")
    value = getpass.getpass(f"Paste your {var} (hidden; kept in this kernel only): ").strip()
    if not value:
        raise ConfigurationError("No key entered; the course keeps using the local model.")
    os.environ[var] = value


def base_url(provider: str) -> str | None:
    """The provider's base URL setting (OPENAI_BASE_URL, ANTHROPIC_BASE_URL or GEMINI_BASE_URL), or None when unset."""
    var = BASE_URL_VARS.get(provider)
    if var is None:
        raise ConfigurationError(f"Unknown provider {provider!r}: choose one of {', '.join(map(repr, BASE_URL_VARS))}.")
    return env(var)


def hosted_backends() -> list[str]:
    """The hosted backends this kernel is set up for, in the course's order: a key, or for OpenAI-compatible servers
    (Ollama, LM Studio, llama.cpp) a base URL alone. The one rule behind ``llm.backends.configured_backends``."""
    return [name for name in HOSTED if env(KEY_VARS[name]) or (name == "openai" and base_url(name))]


def choose_backend(backend: str | None = None) -> str:
    """Which backend answers: the argument, else AI_PM_LAB_BACKEND, else the first configured hosted backend (OpenAI,
    Anthropic, Gemini, in that order), else local."""
    if backend is not None and not isinstance(backend, str):
        raise InputTypeError(f"backend must be one of {BACKENDS} or None, not {type(backend).__name__}.")
    if backend is not None and not backend.strip():
        raise ConfigurationError(f"backend is blank: choose one of {', '.join(BACKENDS)}, or leave it out (None) for "
                                 "the one your settings choose.")
    chosen = backend or env(BACKEND_VAR)
    if chosen:
        chosen = chosen.strip().lower()
        if chosen not in BACKENDS:
            raise ConfigurationError(
                f"Unknown backend {chosen!r}: choose one of {', '.join(BACKENDS)} "
                f"(argument backend=... or the {BACKEND_VAR} variable)."
            )
        return chosen
    hosted = hosted_backends()
    return hosted[0] if hosted else "local"


OUTPUT_DIR_VAR = "AI_PM_LAB_OUTPUT_DIR"


def output_dir(subfolder: str | None = None) -> Path:
    """Where the course writes files a learner keeps (reports, one-pagers, logs): AI_PM_LAB_OUTPUT_DIR, else ./outputs."""
    base = Path(env(OUTPUT_DIR_VAR) or Path.cwd() / "outputs").expanduser()
    if subfolder is not None and not isinstance(subfolder, os.PathLike):
        require_text(subfolder, "subfolder")
    path = base / subfolder if subfolder else base
    path.mkdir(parents=True, exist_ok=True)
    return path


def _whole_number(var: str, low: int, high: int, what: str, example: int) -> int | None:
    raw = env(var)
    if raw is None:
        return None
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise ConfigurationError(f"{var}={raw!r} must be a whole number of {what} between {low} and {high} "
                                 f"(e.g. {example}), or unset.")
    return int(raw)


def threads(default_max: int = 4) -> int:
    """CPU threads for the local models and numeric libraries: AI_PM_LAB_THREADS (1..64) if set, else the machine's
    cores, at most ``default_max``. The one thread-count reader (local LLM, embeddings, scikit-learn fits)."""
    value = _whole_number(THREADS_VAR, 1, 64, "threads", 2)
    return max(1, min(default_max, os.cpu_count() or 1)) if value is None else value


def n_ctx() -> int:
    """The context window the course runs the local model with: AI_PM_LAB_N_CTX (256..8192), else 2048."""
    value = _whole_number(N_CTX_VAR, 256, 8192, "tokens (the model was trained on 8192)", DEFAULT_N_CTX)
    return DEFAULT_N_CTX if value is None else value


def spend_cap() -> float | None:
    """The spend cap in US dollars from AI_PM_LAB_SPEND_CAP_USD (0..10,000), or None when unset.

    Read on every paid call, so a cap set in the environment or in .env after the first call still applies."""
    raw = env(SPEND_CAP_VAR)
    if raw is None:
        return None
    try:
        value = float(raw.lstrip("$"))
    except ValueError:
        raise ConfigurationError(f"{SPEND_CAP_VAR}={raw!r} is not a number: set it to dollars, e.g. 0.50.") from None
    if not 0 <= value <= MAX_SPEND_CAP_USD:  # also refuses nan and inf
        raise ConfigurationError(f"{SPEND_CAP_VAR}={raw!r} is out of range: set dollars between 0 and "
                                 f"{MAX_SPEND_CAP_USD:,}, e.g. 0.50, or unset it for no cap.")
    return value


def hosted_concurrency() -> int:
    """How many requests generate_many sends to a hosted model at once: AI_PM_LAB_CONCURRENCY (1..64), else 8."""
    value = _whole_number(CONCURRENCY_VAR, 1, 64, "requests in flight", DEFAULT_CONCURRENCY)
    return DEFAULT_CONCURRENCY if value is None else value


def embed_cache_dir() -> str | None:
    """The folder for the on-disk embedding cache (AI_PM_LAB_EMBED_CACHE), or None to keep vectors in memory only."""
    return env(EMBED_CACHE_VAR)


def model_cache_dir() -> str | None:
    """The folder for the local model's converted weights (AI_PM_LAB_MODEL_CACHE), or None for the default beside the
    venv (see ai_pm_lab.llm.weights)."""
    return env(MODEL_CACHE_VAR)


RESPONSE_CACHE_MODES = ("local", "all", "off")
DEFAULT_RESPONSE_CACHE_MB = 256  # week 2 alone stores 24 MB (next-token scores are 196 KB each)


def response_cache_mode() -> str:
    """Which answers the response cache keeps (AI_PM_LAB_RESPONSE_CACHE): 'local' (default: the local model's),
    'all' (hosted models' too) or 'off'."""
    raw = (env(RESPONSE_CACHE_VAR) or "local").lower()
    if raw not in RESPONSE_CACHE_MODES:
        raise ConfigurationError(f"{RESPONSE_CACHE_VAR}={raw!r}: choose one of {', '.join(RESPONSE_CACHE_MODES)}, or unset "
                                 "it for 'local'.")
    return raw


def response_cache_mb() -> int:
    """The response cache's size bound in megabytes (AI_PM_LAB_RESPONSE_CACHE_MB, 1..10000, else 256)."""
    value = _whole_number(RESPONSE_CACHE_MB_VAR, 1, 10_000, "megabytes", DEFAULT_RESPONSE_CACHE_MB)
    return DEFAULT_RESPONSE_CACHE_MB if value is None else value


def cache_dir() -> Path:
    """The folder for the course's on-disk caches (AI_PM_LAB_CACHE_DIR, else the output folder's cache/ subfolder)."""
    raw = env(CACHE_DIR_VAR)
    if raw is None:
        return output_dir("cache")
    path = Path(raw).expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path


# The room (ai_pm_lab.room): nothing is sent anywhere unless one of these is set or room.join() is called.
ROOM_VAR = "AI_PM_LAB_ROOM"            # "hub": the hub's spawner sets it, the kernel joins the hub's room by itself
ROOM_URL_VAR = "AI_PM_LAB_ROOM_URL"    # the room's address (laptop: printed by `room serve`; hub: the service's)
ROOM_CODE_VAR = "AI_PM_LAB_ROOM_CODE"  # a laptop room's code (with ROOM_URL_VAR: join on the first result)
ROOM_NAME_VAR = "AI_PM_LAB_ROOM_NAME"  # the display name in a laptop room (else the computer's user name)
HUB_TOKEN_VAR = "JUPYTERHUB_API_TOKEN"  # set by JupyterHub in every hub kernel; identifies the learner to the room


def room_settings() -> dict:
    """The room settings from the environment or .env: mode ("hub" or None), url, code, name, hub token (a Secret)."""
    mode = (env(ROOM_VAR) or "").lower() or None
    if mode not in (None, "hub"):
        raise ConfigurationError(f"{ROOM_VAR}={mode!r}: set it to 'hub' on a JupyterHub (the hub does), or unset it; "
                                 f"a laptop room uses {ROOM_URL_VAR} and {ROOM_CODE_VAR}.")
    token = env(HUB_TOKEN_VAR)
    return {"mode": mode, "url": env(ROOM_URL_VAR), "code": env(ROOM_CODE_VAR), "name": env(ROOM_NAME_VAR),
            "hub_token": Secret(token) if token else None}
