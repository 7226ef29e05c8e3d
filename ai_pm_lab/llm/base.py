"""The base types every backend shares: a raw reply, a costed Generation, the Backend interface and chat messages."""
from __future__ import annotations

from dataclasses import dataclass

from ai_pm_lab.catalog import find_model
from ai_pm_lab.errors import InputError, InputTypeError, require_text
from ai_pm_lab.tables import format_money

MESSAGE_TOKENS = 4  # tokens the chat format adds around each message (OpenAI's documented 3, plus one to spare)
REPLY_PRIMING_TOKENS = 3  # tokens that open the assistant's reply
MAX_STOP_SEQUENCES = 4  # what OpenAI accepts (Anthropic takes more; the course keeps one rule for every backend)
MAX_STOP_CHARS = 40  # a stop rule is a short marker ("\n", "Question:"), never a paragraph

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
    """One model answer with its receipts: tokens, latency, model id and estimated cost.

    ``latency_s`` is wall-clock time from the start of the batch the answer was decoded in to the moment it was ready
    (``batch_size`` answers shared that batch; 1 for a request sent on its own, which every hosted request is)."""

    text: str
    backend: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    latency_s: float
    cost_usd: float | None
    finish_reason: str
    batch_size: int = 1  # how many requests were decoded together with this one (1: on its own)
    cached: bool = False  # True when the answer came from the response cache (latency_s is then the original one)

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
        if self.cached:
            timing = f"from cache (generated in {self.latency_s:.2f} s)"
        elif self.batch_size > 1:
            timing = f"{self.latency_s:.2f} s (in a batch of {self.batch_size})"
        else:
            timing = f"{self.latency_s:.2f} s"
        return (
            f"{self.model} via {self.backend} · {self.prompt_tokens} prompt + {self.completion_tokens} completion tokens"
            f" · {timing} · {cost}"
        )


class Backend:
    """A model that can answer chat messages; subclasses implement ``_complete`` and ``count_tokens``.

    A backend that decodes several requests at once also implements ``_complete_many(requests, on_done=None)``: each
    request a dict with keys ``messages, temperature, max_tokens, seed, stop``; it returns one RawReply or the
    exception of each, in input order (never raising for the batch), calls ``on_done(i)`` as item ``i`` finishes, and
    sets ``batch_size`` to how many it decodes together. ``concurrent`` backends (the hosted APIs) are instead sent
    several requests at once from a bounded thread pool (see ai_pm_lab.llm.backends.generate_many)."""

    name = "base"
    paid = False
    batch_size = 1  # requests one _complete_many call decodes together
    concurrent = False  # whether independent requests may be sent at the same time from threads

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

    def _complete(self, messages, *, temperature, max_tokens, seed, stop=None) -> RawReply:  # pragma: no cover - abstract
        raise NotImplementedError

    def estimate_prompt_tokens(self, messages) -> int:
        """Tokens the messages will take, plus a few per message for the chat format."""
        return sum(self.count_tokens(m["content"]) + MESSAGE_TOKENS for m in messages)

    def max_prompt_tokens(self, messages) -> int:
        """The most prompt tokens the provider can bill for ``messages``: what the spend cap reserves before a call."""
        return self.estimate_prompt_tokens(messages) + REPLY_PRIMING_TOKENS


def check_stop(stop) -> list[str] | None:
    """A stop rule as the backends take it: None, or a list of 1 to 4 short strings (a single string is a list of one).

    The model stops before the first of them; the stop text itself is left out of the answer."""
    if stop is None:
        return None
    if isinstance(stop, str):
        stop = [stop]
    elif not isinstance(stop, (list, tuple)):
        raise InputTypeError(f"stop must be None, a string or a list of strings (e.g. stop=['\\n']), not {type(stop).__name__}.")
    elif not all(isinstance(s, str) for s in stop):
        odd = next(s for s in stop if not isinstance(s, str))
        raise InputTypeError(f"stop must be a list of strings (e.g. stop=['\\n']), but it holds {odd!r} "
                             f"({type(odd).__name__}).")
    stop = list(stop)
    if not 1 <= len(stop) <= MAX_STOP_SEQUENCES:
        raise InputError(f"stop takes 1 to {MAX_STOP_SEQUENCES} strings (providers accept at most {MAX_STOP_SEQUENCES}), "
                         f"not {len(stop)}; use stop=None for no stop rule.")
    for s in stop:
        if not 1 <= len(s) <= MAX_STOP_CHARS:
            raise InputError(f"Each stop string must be 1 to {MAX_STOP_CHARS} characters (a short marker such as '\\n' or "
                             f"'Question:'), not {len(s)}.")
    return stop


def cut_at_stop(text: str, stop: list[str] | None) -> tuple[str, bool]:
    """``text`` up to the first stop string (left out), and whether one was found: how every backend applies a stop
    rule that its provider cannot (Anthropic refuses whitespace-only stop sequences such as "\\n")."""
    hits = [i for i in (text.find(s) for s in stop or []) if i >= 0]
    return (text[:min(hits)], True) if hits else (text, False)


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
