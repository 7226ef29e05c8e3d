"""Cost arithmetic from the price table, and the optional spend cap on paid calls."""
from __future__ import annotations

from dataclasses import dataclass, field

from ai_pm_lab.catalog import model_info
from ai_pm_lab.errors import SpendCapError, require_number


def estimate_cost(model_id: str, prompt_tokens: int, completion_tokens: int, cached_prompt_tokens: int = 0) -> float:
    """Dollars for one call of ``model_id`` with these token counts (cached prompt tokens billed at the cached rate)."""
    info = model_info(model_id)
    prompt_tokens = require_number(prompt_tokens, "prompt_tokens", low=0, high=10**9, integer=True)
    completion_tokens = require_number(completion_tokens, "completion_tokens", low=0, high=10**9, integer=True)
    cached = require_number(cached_prompt_tokens, "cached_prompt_tokens", low=0, high=prompt_tokens, integer=True)
    fresh = prompt_tokens - cached
    return (
        fresh * info.input_usd_per_1m + cached * info.cached_input_usd_per_1m + completion_tokens * info.output_usd_per_1m
    ) / 1_000_000


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
        from ai_pm_lab.settings import SPEND_CAP_VAR, env

        raw = env(SPEND_CAP_VAR)
        cap = None
        if raw is not None:
            try:
                cap = float(raw)
            except ValueError:
                from ai_pm_lab.errors import ConfigurationError

                raise ConfigurationError(f"{SPEND_CAP_VAR}={raw!r} is not a number: set it to dollars, e.g. 0.50.") from None
        _TRACKER = SpendTracker(cap_usd=None if cap is None else require_number(cap, SPEND_CAP_VAR, low=0))
    return _TRACKER


def set_spend_cap(usd: float | None) -> SpendTracker:
    """Cap what paid APIs may spend in this kernel (None removes the cap)."""
    tracker = spend_tracker()
    tracker.cap_usd = None if usd is None else float(require_number(usd, "spend cap (USD)", low=0, high=10_000))
    return tracker
