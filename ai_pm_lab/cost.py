"""Cost arithmetic from the price table, and the optional spend cap on paid calls."""
from __future__ import annotations

import threading

from ai_pm_lab.catalog import MODELS_CSV, model_info
from ai_pm_lab.errors import ConfigurationError, SpendCapError, require_number
from ai_pm_lab.settings import MAX_SPEND_CAP_USD, SPEND_CAP_VAR, spend_cap
from ai_pm_lab.tables import format_money


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


_UNSET = object()


class SpendTracker:
    """Money spent on paid calls in this kernel, and the cap that refuses a call which could cross it.

    Before a paid call, ``reserve`` books the call's worst case (every prompt token plus ``max_tokens`` of answer, at
    the model's prices) under a lock, and refuses it if what is spent plus what calls in flight have booked plus this
    worst case would pass the cap; after the call, ``settle`` replaces the booking with the real cost (``release`` drops
    it when the call failed). So calls made at the same time, from threads, never spend past the cap together.

    The cap is the one set in this kernel with set_spend_cap(...), else AI_PM_LAB_SPEND_CAP_USD, read on every paid
    call: a cap set in the environment or .env after the first call applies from the next call, with a printed line.
    """

    def __init__(self, cap_usd=_UNSET):
        self._lock = threading.Lock()
        self._kernel_cap = cap_usd  # _UNSET: follow the setting
        self._seen_setting = _UNSET  # the setting's value at the last read (to say when it changes)
        self.spent_usd = 0.0
        self.reserved_usd = 0.0
        self.calls = 0
        self.history: list = []

    def __repr__(self) -> str:
        cap = "none" if self.cap_usd is None else format_money(self.cap_usd)
        return f"SpendTracker(cap={cap}, spent={format_money(self.spent_usd)}, calls={self.calls}, in flight={format_money(self.reserved_usd)})"

    @property
    def cap_usd(self) -> float | None:
        """The cap in force: set_spend_cap(...) in this kernel, else AI_PM_LAB_SPEND_CAP_USD (None: no cap)."""
        if self._kernel_cap is not _UNSET:
            return self._kernel_cap
        value = spend_cap()
        if self._seen_setting is not _UNSET and value != self._seen_setting:
            now = "no cap" if value is None else format_money(value)
            print(f"Spend cap changed: {SPEND_CAP_VAR} now gives {now}; it applies from this call on.")
        self._seen_setting = value
        return value

    @cap_usd.setter
    def cap_usd(self, usd: float | None) -> None:
        self._kernel_cap = usd

    def _refusal(self, cap: float, estimate_usd: float, model_id: str) -> SpendCapError:
        in_flight = f" and {format_money(self.reserved_usd)} booked by calls still running" if self.reserved_usd else ""
        return SpendCapError(
            f"Refused: this call to {model_id} could cost up to {format_money(estimate_usd)}; "
            f"spent so far {format_money(self.spent_usd)}{in_flight} of your {format_money(cap)} cap. "
            "Raise the cap with ai_pm_lab.set_spend_cap(...), lower max_tokens, or use backend='local' (free)."
        )

    def check(self, estimate_usd: float, model_id: str) -> None:
        """Refuse (SpendCapError) a call whose estimate would take spending past the cap (books nothing)."""
        cap = self.cap_usd
        with self._lock:
            if cap is not None and self.spent_usd + self.reserved_usd + estimate_usd > cap:
                raise self._refusal(cap, estimate_usd, model_id)

    def reserve(self, estimate_usd: float, model_id: str) -> float:
        """Book a call's worst-case cost before it is sent, or refuse it (SpendCapError); returns the booking."""
        cap = self.cap_usd
        with self._lock:
            if cap is not None and self.spent_usd + self.reserved_usd + estimate_usd > cap:
                raise self._refusal(cap, estimate_usd, model_id)
            self.reserved_usd += estimate_usd
        return estimate_usd

    def release(self, booked_usd: float) -> None:
        """Drop a booking whose call failed (a failed call costs nothing)."""
        with self._lock:
            self.reserved_usd = max(0.0, self.reserved_usd - booked_usd)

    def settle(self, booked_usd: float, cost_usd: float, model_id: str) -> None:
        """Replace a call's booking with its real cost, from the usage the provider reported."""
        with self._lock:
            self.reserved_usd = max(0.0, self.reserved_usd - booked_usd)
            self._add(cost_usd, model_id)

    def record(self, cost_usd: float, model_id: str) -> None:
        """Add the real cost of a finished call that booked nothing."""
        with self._lock:
            self._add(cost_usd, model_id)

    def _add(self, cost_usd: float, model_id: str) -> None:
        self.spent_usd += cost_usd
        self.calls += 1
        self.history.append((model_id, cost_usd))


_TRACKER: SpendTracker | None = None
_TRACKER_LOCK = threading.Lock()


def spend_tracker() -> SpendTracker:
    """The kernel's spend tracker (its cap: set_spend_cap(...) in this kernel, else AI_PM_LAB_SPEND_CAP_USD)."""
    global _TRACKER
    with _TRACKER_LOCK:
        if _TRACKER is None:
            _TRACKER = SpendTracker()
            _TRACKER.cap_usd  # noqa: B018 - reads the setting now, so a bad value is reported at once
        return _TRACKER


def reset_spend() -> None:
    """Forget the spend tracker and any cap set in this kernel: the next paid call starts a fresh one."""
    global _TRACKER
    with _TRACKER_LOCK:
        _TRACKER = None


def set_spend_cap(usd: float | None) -> SpendTracker:
    """Cap what paid APIs may spend in this kernel (None removes the cap); it wins over AI_PM_LAB_SPEND_CAP_USD."""
    cap = None if usd is None else float(require_number(usd, "spend cap (USD)", low=0, high=MAX_SPEND_CAP_USD))
    tracker = spend_tracker()
    tracker.cap_usd = cap
    return tracker
