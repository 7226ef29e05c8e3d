"""Cost arithmetic from the price table, and the optional spend cap on paid calls."""
from __future__ import annotations

from dataclasses import dataclass, field

from ai_pm_lab.catalog import MODELS_CSV, model_info
from ai_pm_lab.errors import ConfigurationError, SpendCapError, require_number
from ai_pm_lab.settings import SPEND_CAP_VAR, env


def estimate_cost(model_id: str, prompt_tokens: int, completion_tokens: int, cached_prompt_tokens: int = 0,
                  cache_write_tokens: int = 0, *, long_cache: bool = False) -> float:
    """Dollars for one call of ``model_id``: cached prompt tokens at the cached rate, cache writes at the write rate.

    Token counts are what the provider reports for the call (its cached and cache-write counts already respect its
    minimum cacheable length); ``long_cache=True`` prices writes at the longer cache lifetime (Anthropic's 1 hour).
    """
    info = model_info(model_id)
    prompt_tokens = require_number(prompt_tokens, "prompt_tokens", low=0, high=10**9, integer=True)
    completion_tokens = require_number(completion_tokens, "completion_tokens", low=0, high=10**9, integer=True)
    cached = require_number(cached_prompt_tokens, "cached_prompt_tokens", low=0, high=prompt_tokens, integer=True)
    written = require_number(cache_write_tokens, "cache_write_tokens", low=0, high=prompt_tokens - cached, integer=True)
    write_price = info.cache_write_usd_per_1m
    if written and long_cache:
        if info.cache_write_long_usd_per_1m is None:
            raise ConfigurationError(f"{model_id} has no longer cache lifetime in {MODELS_CSV}: drop long_cache=True.")
        write_price = info.cache_write_long_usd_per_1m
    fresh = prompt_tokens - cached - written
    return (
        fresh * info.input_usd_per_1m + cached * info.cached_input_usd_per_1m + written * write_price
        + completion_tokens * info.output_usd_per_1m
    ) / 1_000_000


def cacheable_tokens(model_id: str, prefix_tokens: int) -> int:
    """How many tokens of a repeated prompt prefix the provider can serve from its cache for ``model_id``.

    Zero below the model's minimum cacheable length (a short instruction block is never discounted), else the prefix
    rounded down to the provider's step (OpenAI's 128-token increments on the models that use them).
    """
    info = model_info(model_id)
    prefix_tokens = require_number(prefix_tokens, "prefix_tokens", low=0, high=10**9, integer=True)
    if not info.caches_prompts or prefix_tokens < info.cache_min_tokens:
        return 0
    return prefix_tokens - prefix_tokens % info.cache_step_tokens


@dataclass
class SpendTracker:
    """Money spent on paid calls in this kernel, and the cap that refuses a call which would cross it."""

    cap_usd: float | None = None
    spent_usd: float = 0.0
    calls: int = 0
    history: list = field(default_factory=list)

    def check(self, estimate_usd: float, model_id: str) -> None:
        """Refuse (SpendCapError) a call whose estimate would take spending past the cap."""
        if self.cap_usd is None:
            return
        if self.spent_usd + estimate_usd > self.cap_usd:
            raise SpendCapError(
                f"Refused: this call to {model_id} could cost up to ${estimate_usd:.6f}; "
                f"spent so far ${self.spent_usd:.6f} of your ${self.cap_usd:.6f} cap. "
                "Raise the cap with ai_pm_lab.set_spend_cap(...), lower max_tokens, or use backend='local' (free)."
            )

    def record(self, cost_usd: float, model_id: str) -> None:
        """Add the real cost of a finished call."""
        self.spent_usd += cost_usd
        self.calls += 1
        self.history.append((model_id, cost_usd))


_TRACKER: SpendTracker | None = None


def spend_tracker() -> SpendTracker:
    """The kernel's spend tracker, with the cap from AI_PM_LAB_SPEND_CAP_USD if set."""
    global _TRACKER
    if _TRACKER is None:
        raw = env(SPEND_CAP_VAR)
        cap = None
        if raw is not None:
            try:
                cap = float(raw)
            except ValueError:
                raise ConfigurationError(f"{SPEND_CAP_VAR}={raw!r} is not a number: set it to dollars, e.g. 0.50.") from None
        _TRACKER = SpendTracker(cap_usd=None if cap is None else require_number(cap, SPEND_CAP_VAR, low=0))
    return _TRACKER


def reset_spend() -> None:
    """Forget the spend tracker: the next paid call starts a fresh one (cap re-read from AI_PM_LAB_SPEND_CAP_USD)."""
    global _TRACKER
    _TRACKER = None


def set_spend_cap(usd: float | None) -> SpendTracker:
    """Cap what paid APIs may spend in this kernel (None removes the cap)."""
    tracker = spend_tracker()
    tracker.cap_usd = None if usd is None else float(require_number(usd, "spend cap (USD)", low=0, high=10_000))
    return tracker
