"""The base types every backend shares: a raw reply, a costed Generation, the Backend interface and chat messages."""
from __future__ import annotations

from dataclasses import dataclass

from ai_pm_lab.catalog import find_model
from ai_pm_lab.errors import InputError, InputTypeError, require_text
from ai_pm_lab.tables import format_money

MESSAGE_TOKENS = 4  # tokens the chat format adds around each message (OpenAI's documented 3, plus one to spare)
REPLY_PRIMING_TOKENS = 3  # tokens that open the assistant's reply



@dataclass(frozen=True)
class RawReply:
    """What a backend hands back before timing and costing."""

    text: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str
    model: str


@dataclass(frozen=True)
class Generation:
    """One model answer with its receipts: tokens, latency, model id and estimated cost."""

    text: str
    backend: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    latency_s: float
    cost_usd: float | None
    finish_reason: str

    def __str__(self) -> str:
        return self.text

    @property
    def tokens_per_s(self) -> float:
        """Completion tokens per second of wall-clock time."""
        return self.completion_tokens / self.latency_s if self.latency_s > 0 else float("nan")

    def receipt(self) -> str:
        """One line saying who answered, how many tokens, how long and how much."""
        cost = ("price unknown" if self.cost_usd is None else "free" if self.cost_usd == 0
                else format_money(self.cost_usd))  # a single call can cost a millionth of a dollar
        return (
            f"{self.model} via {self.backend} · {self.prompt_tokens} prompt + {self.completion_tokens} completion tokens"
            f" · {self.latency_s:.2f} s · {cost}"
        )


class Backend:
    """A model that can answer chat messages; subclasses implement ``_complete`` and ``count_tokens``."""

    name = "base"
    paid = False

    def __init__(self, model: str):
        self.model = model

    def __repr__(self) -> str:
        return f"{type(self).__name__}(model={self.model!r})"

    @property
    def context_window(self) -> int:
        """Tokens the model can see at once (prompt plus answer)."""
        info = find_model(self.model)
        return info.context_window if info else 8192

    def count_tokens(self, text: str) -> int:  # pragma: no cover - abstract
        raise NotImplementedError

    def _complete(self, messages, *, temperature, max_tokens, seed) -> RawReply:  # pragma: no cover - abstract
        raise NotImplementedError

    def estimate_prompt_tokens(self, messages) -> int:
        """Tokens the messages will take, plus a few per message for the chat format."""
        return sum(self.count_tokens(m["content"]) + MESSAGE_TOKENS for m in messages)

    def max_prompt_tokens(self, messages) -> int:
        """The most prompt tokens the provider can bill for ``messages``: what the spend cap reserves before a call."""
        return self.estimate_prompt_tokens(messages) + REPLY_PRIMING_TOKENS


def build_messages(prompt: str, system: str | None = None, history=None) -> list[dict]:
    """Chat messages for a prompt, an optional system message and earlier turns."""
    messages = []
    if system is not None:
        messages.append({"role": "system", "content": require_text(system, "system")})
    if history is not None and not isinstance(history, (list, tuple)):
        raise InputTypeError(f"history must be a list of {{'role': ..., 'content': ...}} dicts, not {type(history).__name__}.")
    for turn in history or []:
        if not isinstance(turn, dict) or turn.get("role") not in ("user", "assistant") or not isinstance(turn.get("content"), str):
            raise InputError("history must be a list of {'role': 'user'|'assistant', 'content': str} dicts.")
        messages.append({"role": turn["role"], "content": turn["content"]})
    messages.append({"role": "user", "content": prompt})
    return messages
