"""Settings from the environment or a gitignored .env file: backend choice, model, keys, spend cap."""
from __future__ import annotations

import getpass
import os
from pathlib import Path

from dotenv import dotenv_values

from ai_pm_lab.catalog import BACKENDS
from ai_pm_lab.errors import ConfigurationError

KEY_VARS = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY", "gemini": "GEMINI_API_KEY"}
BACKEND_VAR = "AI_PM_LAB_BACKEND"
MODEL_VAR = "AI_PM_LAB_MODEL"
SPEND_CAP_VAR = "AI_PM_LAB_SPEND_CAP_USD"
THREADS_VAR = "AI_PM_LAB_THREADS"
EMBED_CACHE_VAR = "AI_PM_LAB_EMBED_CACHE"


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


def choose_backend(backend: str | None = None) -> str:
    """Which backend answers: the argument, else AI_PM_LAB_BACKEND, else a provider whose key is set (OpenAI, Anthropic,
    Gemini, in that order), else local."""
    if backend is not None and not isinstance(backend, str):
        raise TypeError(f"backend must be one of {BACKENDS} or None, not {type(backend).__name__}.")
    chosen = backend or env(BACKEND_VAR)
    if chosen:
        chosen = chosen.strip().lower()
        if chosen not in BACKENDS:
            raise ConfigurationError(
                f"Unknown backend {chosen!r}: choose one of {', '.join(BACKENDS)} "
                f"(argument backend=... or the {BACKEND_VAR} variable)."
            )
        return chosen
    if env("OPENAI_API_KEY") or env("OPENAI_BASE_URL"):
        return "openai"
    if env("ANTHROPIC_API_KEY"):
        return "anthropic"
    if env("GEMINI_API_KEY"):
        return "gemini"
    return "local"


OUTPUT_DIR_VAR = "AI_PM_LAB_OUTPUT_DIR"


def output_dir(subfolder: str | None = None) -> Path:
    """Where the course writes files a learner keeps (reports, one-pagers, logs): AI_PM_LAB_OUTPUT_DIR, else ./outputs."""
    base = Path(env(OUTPUT_DIR_VAR) or Path.cwd() / "outputs").expanduser()
    path = base / subfolder if subfolder else base
    path.mkdir(parents=True, exist_ok=True)
    return path


def threads(default_max: int = 4) -> int:
    """CPU threads for the local models: AI_PM_LAB_THREADS (1..64) if set, else the machine's cores, at most ``default_max``."""
    raw = env(THREADS_VAR)
    if raw is None:
        return max(1, min(default_max, os.cpu_count() or 1))
    if not raw.isdigit() or not 1 <= int(raw) <= 64:
        raise ConfigurationError(f"{THREADS_VAR}={raw!r} must be a whole number of threads between 1 and 64 (or unset).")
    return int(raw)


def embed_cache_dir() -> str | None:
    """The folder for the on-disk embedding cache (AI_PM_LAB_EMBED_CACHE), or None to keep vectors in memory only."""
    return env(EMBED_CACHE_VAR)
