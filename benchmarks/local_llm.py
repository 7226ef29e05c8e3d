"""Local model: generation speed through the package vs raw llama-cpp-python, next-token latency, load time."""
from __future__ import annotations

import statistics
import time

PROMPT = "Explain to a product manager, in a long paragraph, why language models sometimes give different answers."
MAX_TOKENS = 96
ROUNDS = 5


def _raw_tokens_per_s(llm) -> float:
    start = time.perf_counter()
    out = llm.create_chat_completion(messages=[{"role": "user", "content": PROMPT}], temperature=0, max_tokens=MAX_TOKENS, seed=0)
    return out["usage"]["completion_tokens"] / (time.perf_counter() - start)


def _package_tokens_per_s() -> float:
    import ai_pm_lab as lab

    start = time.perf_counter()
    g = lab.generate(PROMPT, temperature=0, max_tokens=MAX_TOKENS, seed=0, backend="local")
    return g.completion_tokens / (time.perf_counter() - start)


def run() -> dict:
    """Print the figures and return {target: met}."""
    import llama_cpp

    from ai_pm_lab.llm import local as local_model
    from ai_pm_lab.llm import next_token

    start = time.perf_counter()
    raw = llama_cpp.Llama(model_path=local_model.model_path(), n_ctx=local_model.n_ctx(), logits_all=False, verbose=False,
                          n_threads=local_model.llama().n_threads if False else None)
    load_s = time.perf_counter() - start
    local_model.llama()  # the package's own instance, loaded once per kernel
    _raw_tokens_per_s(raw), _package_tokens_per_s()  # warm-up
    raw_tps, pkg_tps = [], []
    for _ in range(ROUNDS):  # interleaved so background noise hits both alike
        raw_tps.append(_raw_tokens_per_s(raw))
        pkg_tps.append(_package_tokens_per_s())
    raw_med, pkg_med = statistics.median(raw_tps), statistics.median(pkg_tps)
    ratio = pkg_med / raw_med

    cold, warm = [], []
    for i in range(20):
        next_token._CACHE.clear()
        t = time.perf_counter()
        next_token.next_token_distribution("The cat sat on the")
        cold.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        next_token.next_token_distribution("The cat sat on the").probs(0.7)
        warm.append((time.perf_counter() - t) * 1000)
    cold_ms, warm_ms = statistics.median(cold), statistics.median(warm)

    print(f"  model load (new Llama object, median 3): {load_s:.3f} s")
    print(f"  raw llama-cpp-python generation        : {raw_med:.1f} tokens/s (median of {ROUNDS})")
    print(f"  ai_pm_lab.generate (local)             : {pkg_med:.1f} tokens/s (median of {ROUNDS})")
    print(f"  ratio package / raw                    : {ratio:.3f}")
    print(f"  next-token distribution, short prompt  : {cold_ms:.1f} ms (model call), {warm_ms:.2f} ms (cached, new temperature)")
    return {
        "generation through the package >= 0.95x raw llama-cpp-python": ratio >= 0.95,
        "next-token distribution < 50 ms for a short prompt": cold_ms < 50,
    }
