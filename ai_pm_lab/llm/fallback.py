"""The opt-in fallback policy: when a hosted call fails, let the free local model answer, and say so visibly."""
from __future__ import annotations

import warnings

from ai_pm_lab.errors import ConfigurationError, InputTypeError, ProviderError
from ai_pm_lab.settings import FALLBACK_VAR, env

FALLBACK_CHOICES = ("local",)
OFF_VALUES = ("", "none", "off", "no", "0", "false")  # spellings of "no fallback"


def resolve_fallback(fallback: str | None = None) -> str | None:
    """The fallback backend to use on a provider failure: the argument, else AI_PM_LAB_FALLBACK; only 'local' or None."""
    if fallback is not None and not isinstance(fallback, str):
        raise InputTypeError(f"fallback must be 'local' or None, not {type(fallback).__name__}.")
    value = fallback if fallback is not None else env(FALLBACK_VAR)
    if value is None:
        return None
    value = value.strip().lower()
    if value in OFF_VALUES:
        return None
    if value not in FALLBACK_CHOICES:
        raise ConfigurationError(
            f"fallback={value!r} is not supported: use fallback='local' (or {FALLBACK_VAR}=local) to let the free local "
            "model answer when a provider fails, or leave it unset."
        )
    return "local"


class FallbackWarning(UserWarning):
    """Shown when a hosted call failed and the local model answered instead."""


warnings.filterwarnings("always", category=FallbackWarning)


def announce_fallback(error: ProviderError) -> None:
    """Tell the learner, visibly, that the local model answered because a provider failed."""
    warnings.warn(
        f"The hosted model failed, so the free local model answered instead (this answer is NOT from the provider). "
        f"What failed: {error}",
        FallbackWarning,
        stacklevel=3,
    )
