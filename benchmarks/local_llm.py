"""Local model: the weight format (shipped Q4_1 vs the converted format the course runs: prompt and generation
tokens/s, batched decoding at 1-16 sequences, greedy-text agreement on the course's prompts), batched vs one-by-one
answers, the package vs raw llama-cpp-python built with identical settings, what prompt-prefix reuse saves (RAG-sized
prompt, 5-turn chat) and whether each way of reusing it keeps the numbers exact."""
from __future__ import annotations

import hashlib
import os
import statistics
import time

import numpy as np

PROMPT = "Explain to a product manager, in a long paragraph, why language models sometimes give different answers."
MAX_TOKENS = 96
ROUNDS = 7
RAG_TARGET_TOKENS = 400
RAG_QUESTIONS = 6
ANSWER_TOKENS = 48
CHAT_TURNS = [
    "Hi! I bought a jacket last week and want to send it back.",
    "It still has the tags on. How long do I have?",
    "Do I get the money back on my card or as store credit?",
    "What if the parcel gets lost on the way back to you?",
    "Thanks. Is there anything else I should know before I ship it?",
]
CHAT_ROUNDS = 3
SAMPLING = {"temperature": 0.7, "seed": 7}  # the course's default temperature, with a seed: text must repeat exactly


# -- settings, read back from the built objects -------------------------------------------------------------------
def settings_of(llm) -> dict:
    """What a Llama object actually runs with, read from the object and its llama.cpp context (not from our inputs)."""
    import llama_cpp

    template = (llm.metadata or {}).get("tokenizer.chat_template", "")
    cp = llm.context_params
    return {
        "model file": os.path.realpath(llm.model_path),
        "model bytes": os.path.getsize(llm.model_path),
        "n_ctx": llama_cpp.llama_n_ctx(llm.ctx),
        "n_threads": llama_cpp.llama_n_threads(llm.ctx),
        "n_threads_batch": llama_cpp.llama_n_threads_batch(llm.ctx),
        "n_batch": llama_cpp.llama_n_batch(llm.ctx),
        "n_ubatch": llama_cpp.llama_n_ubatch(llm.ctx),
        "flash_attn_type": int(cp.flash_attn_type),
        "kv cache types": (int(cp.type_k), int(cp.type_v)),
        "logits_all": bool(llm._logits_all),
        "chat format": llm.chat_format,
        "chat template sha256": hashlib.sha256(template.encode()).hexdigest()[:16],
    }


def same_arguments_as(pkg) -> dict:
    """The package's Llama arguments, with the values its live object was actually built with (the environment may
    have changed since it was loaded)."""
    from ai_pm_lab.llm import local

    return {**local.llama_settings(), "model_path": pkg.model_path, "n_ctx": pkg.n_ctx(), "n_threads": pkg.n_threads,
            "n_threads_batch": pkg.n_threads_batch, "n_batch": pkg.n_batch, "n_ubatch": pkg.context_params.n_ubatch}


def print_settings(a: dict, b: dict, names=("package", "raw")) -> bool:
    """Print both sides' settings in two columns; True when every one is identical."""
    width = max(len(k) for k in a)
    col = 34
    print(f"    {'setting':<{width}}  {names[0]:<{col}} {names[1]:<{col}}")
    same = True
    for key in a:
        va, vb = a[key], b.get(key)
        shown_a = os.path.basename(va) if key == "model file" else va
        shown_b = os.path.basename(vb) if key == "model file" else vb
        flag = "" if va == vb else "   <-- DIFFERENT"
        same &= va == vb
        print(f"    {key:<{width}}  {str(shown_a):<{col}} {str(shown_b):<{col}}{flag}")
    return same


# -- 0. weight formats and batches -------------------------------------------------------------------------------
BATCH_SIZES = (1, 2, 4, 8, 16)
GEN_STEPS = 32
SPEED_ROUNDS = 3


def course_requests(per_capability: int = 10, halluc: int = 12, rag: int = 30, seeded: bool = True,
                    closed_book: int = 0) -> list[tuple[str, dict]]:
    """(name, backend request) pairs the lessons send, as generate_many prepares them: capability-probe tasks (temperature
    0, the probe's max_tokens), hallucination-grid questions in every mode (temperature 0, and 0.7 with a seed), and
    RAG-evaluation questions through the pipeline's retrieval and 'grounded' prompt (temperature 0, 48 tokens), and
    ``closed_book`` of the same questions with no documents (answer_without_rag, which week 4 sends in batches)."""
    from ai_pm_lab.datafiles import data_csv
    from ai_pm_lab.limits import capabilities, hallucination
    from ai_pm_lab.llm.backends import check_request
    from ai_pm_lab.rag import RAGPipeline, load_eval

    out = []
    limits = {r["capability"]: int(r["max_tokens"]) for r in data_csv("limits/capabilities.csv")}
    for cap in capabilities.capabilities():
        for t in capabilities.load_tasks(cap)[:per_capability]:
            out.append((f"probe {t['id']}", {"prompt": t["prompt"], "temperature": 0.0, "max_tokens": limits[cap], "seed": 0}))
    for q in hallucination.questions()[:halluc]:
        for mode in hallucination.MODES:
            out.append((f"hallucination {q['id']} / {mode}", hallucination._request(q["id"], mode, 0.0, 0, 32)))
            if seeded:
                out.append((f"hallucination {q['id']} / {mode} / t=0.7", hallucination._request(q["id"], mode, 0.7, 7, 32)))
    if rag or closed_book:
        pipeline = RAGPipeline(progress=False)
        rows = load_eval()
        for row in rows[:: max(1, len(rows) // max(rag, 1))][:rag]:
            hits = pipeline.retrieve(row["question"], top_k=3, threshold=-1.0).hits
            system, user = pipeline.build_prompt(row["question"], hits, "grounded")
            out.append((f"rag {row.get('id', row['question'][:30])}",
                        {"prompt": user, "system": system, "temperature": 0.0, "max_tokens": 48, "seed": 0}))
        answerable = [row for row in rows if row.get("doc_ids")]
        for row in answerable[:: max(1, len(answerable) // max(closed_book, 1))][:closed_book]:
            out.append((f"closed book {row.get('id', row['question'][:30])}",
                        pipeline.without_rag_request(row["question"], max_tokens=48, seed=0)))
    return [(name, check_request(r)) for name, r in out]


def _engine(path: str, slots: int, cells: int):
    """(a llama_cpp.Llama with the package's settings on ``path``, a BatchEngine on it)."""
    import llama_cpp

    from ai_pm_lab.llm import local

    llm = llama_cpp.Llama(**{**local.llama_settings(), "model_path": path})
    return llm, local.BatchEngine(llm, slots=slots, cells=cells)


def batched_texts(engine, requests) -> list[str]:
    """Answers to ``requests`` through a BatchEngine (texts, or the error's name)."""
    from ai_pm_lab.llm import local

    backend = local.LocalBackend()
    window = engine.llm.n_ctx()
    seqs = [local._Sequence(i, backend.chat_tokens(r["messages"]), r, window) for i, r in enumerate(requests)]
    results: list = [None] * len(seqs)
    with local.MODEL_LOCK:
        engine.run(seqs, results)
    return [r.text if not isinstance(r, BaseException) else type(r).__name__ for r in results]


def _decode(engine, items) -> None:
    """One llama_decode of (token, position, sequence, wants logits) rows on a BatchEngine's context."""
    import llama_cpp

    for n, item in enumerate(items):
        engine._add(n, *item)
    engine.batch.n_tokens = len(items)
    if llama_cpp.llama_decode(engine.ctx, engine.batch) != 0:
        raise RuntimeError("decode failed")


def speed_of(engine, prompt_ids: list[int], short_ids: list[int]) -> dict:
    """Prompt tokens/s (one prompt of len(prompt_ids) tokens) and aggregate generation tokens/s with 1..16 sequences
    decoding together (one token each per decode call, greedy), on one engine."""
    import llama_cpp

    engine.forget()  # clears the cells and what the engine believes its slots hold
    start = time.perf_counter()
    _decode(engine, [(t, i, 0, i == len(prompt_ids) - 1) for i, t in enumerate(prompt_ids)])
    out = {"prompt": len(prompt_ids) / (time.perf_counter() - start)}
    for n in BATCH_SIZES:
        engine.forget()
        for seq in range(n):
            _decode(engine, [(t, i, seq, i == len(short_ids) - 1) for i, t in enumerate(short_ids)])
        last = [int(np.argmax(np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(engine.ctx, len(short_ids) - 1),
                                                     shape=(engine.llm.n_vocab(),))))] * n
        start = time.perf_counter()
        for step in range(GEN_STEPS):
            _decode(engine, [(last[s], len(short_ids) + step, s, True) for s in range(n)])
            last = [int(np.argmax(np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(engine.ctx, s),
                                                        shape=(engine.llm.n_vocab(),)))) for s in range(n)]
        out[n] = n * GEN_STEPS / (time.perf_counter() - start)
    engine.forget()
    return out


def formats_and_batches() -> dict:
    """Section 0: speed of the shipped and the chosen format side by side (interleaved rounds, medians), batched /
    one-by-one throughput, greedy-text agreement between the formats, and batched vs one-by-one answers."""
    from ai_pm_lab.llm import local, weights

    os.environ["AI_PM_LAB_RESPONSE_CACHE"] = "off"  # every answer computed here (the runner restores the environment)
    shipped = local.shipped_model_path()
    chosen = weights.path_in_use(shipped)
    files = {weights.SHIPPED_FORMAT: shipped, weights.provenance()["format"]: chosen}
    engines = {fmt: _engine(path, max(BATCH_SIZES), 512) for fmt, path in files.items()}
    tok = engines[weights.SHIPPED_FORMAT][0]
    prompt_ids = tok.tokenize(open(__file__, encoding="utf-8").read().encode(), add_bos=False)[:400]
    short_ids = local.LocalBackend().chat_tokens([{"role": "user", "content": PROMPT}])
    runs = {fmt: [] for fmt in files}
    for r in range(SPEED_ROUNDS):  # interleaved, alternating who goes first
        for fmt in list(files)[:: 1 if r % 2 == 0 else -1]:
            runs[fmt].append(speed_of(engines[fmt][1], prompt_ids, short_ids))
    speed = {fmt: {k: statistics.median(run[k] for run in rs) for k in rs[0]} for fmt, rs in runs.items()}
    print(f"  0. weight formats, {local.threads()} thread(s), median of {SPEED_ROUNDS} interleaved rounds (tokens/s):")
    print(f"    {'format':<7} {'file MB':>8} {'prompt':>8} {'generate':>9}   batched decoding, all sequences together "
          f"(x one sequence)")
    for fmt, sp in speed.items():
        row = "  ".join(f"{n}: {sp[n]:5.0f} ({sp[n] / sp[1]:.2f}x)" for n in BATCH_SIZES)
        print(f"    {fmt:<7} {os.path.getsize(files[fmt]) / 1e6:8.0f} {sp['prompt']:8.0f} {sp[1]:9.0f}   {row}")

    for _, engine in engines.values():
        engine.close()
    engines = {}
    requests = course_requests()
    names = [n for n, _ in requests]
    greedy = [(n, r) for n, r in requests if r["temperature"] == 0]
    texts = {}
    for fmt, path in files.items():  # one engine at a time (8 sequences of 1024 KV cells, as the course runs)
        llm, engine = _engine(path, local.BATCH_SIZE, local.BATCH_CELLS)
        texts[fmt] = batched_texts(engine, [r for _, r in requests])
        engine.close()
    fmt = list(files)[1]
    agree = {}
    for label, keep in (("greedy", lambda r: r["temperature"] == 0), ("seeded, t=0.7", lambda r: r["temperature"] > 0)):
        idx = [i for i, (_, r) in enumerate(requests) if keep(r)]
        same = sum(texts[fmt][i] == texts[weights.SHIPPED_FORMAT][i] for i in idx)
        agree[label] = (same, len(idx))
    print(f"\n    {fmt} vs shipped {weights.SHIPPED_FORMAT}, same text on the course's prompts ({len(greedy)} greedy: "
          f"capability probe, hallucination grid, RAG evaluation): greedy {agree['greedy'][0]}/{agree['greedy'][1]}, "
          f"seeded {agree['seeded, t=0.7'][0]}/{agree['seeded, t=0.7'][1]}")
    for i, name in enumerate(names):
        if requests[i][1]["temperature"] == 0 and texts[fmt][i] != texts[weights.SHIPPED_FORMAT][i]:
            print(f"      differs: {name}\n        {weights.SHIPPED_FORMAT}: {texts[weights.SHIPPED_FORMAT][i][:110]!r}"
                  f"\n        {fmt}: {texts[fmt][i][:110]!r}")

    # the course's own path: generate_many (batched) vs generate (one by one), same requests, same weights
    import ai_pm_lab as lab
    from ai_pm_lab.llm.backends import generate_many

    sample = [{"prompt": r["messages"][-1]["content"], "system": r["messages"][0]["content"]
               if r["messages"][0]["role"] == "system" else None, "temperature": r["temperature"],
               "max_tokens": r["max_tokens"], "seed": r["seed"]} for _, r in requests[:: max(1, len(requests) // 48)]]
    default_size, local.LocalBackend.batch_size = local.LocalBackend.batch_size, local.BATCH_SIZE  # batched here
    start = time.perf_counter()
    one = [lab.generate(**q, backend="local") for q in sample]
    one_s = time.perf_counter() - start
    start = time.perf_counter()
    many = generate_many(sample, backend="local", progress=False)
    many_s = time.perf_counter() - start
    local.LocalBackend.batch_size = default_size
    same = sum(a.text == b.text for a, b in zip(one, many))
    print(f"\n    generate_many vs generate, {len(sample)} course requests on {fmt}: same text {same}/{len(sample)}; "
          f"{one_s:.1f} s one by one, {many_s:.1f} s batched ({one_s / many_s:.2f}x)")
    for (a, b), q in zip(zip(one, many), sample):
        if a.text != b.text:
            print(f"      differs: {q['prompt'][:60]!r}\n        one by one: {a.text[:100]!r}\n        batched: {b.text[:100]!r}")
    chosen_speed = speed[fmt]
    return {
        f"{fmt} processes prompts faster than the shipped {weights.SHIPPED_FORMAT} "
        f"({chosen_speed['prompt'] / speed[weights.SHIPPED_FORMAT]['prompt']:.2f}x)":
            chosen_speed["prompt"] > speed[weights.SHIPPED_FORMAT]["prompt"],
        f"batched / one-by-one throughput >= 1.8x at 8 sequences ({chosen_speed[8] / chosen_speed[1]:.2f}x)":
            chosen_speed[8] / chosen_speed[1] >= 1.8,
        f"{fmt} gives the shipped file's greedy text on >= 95% of the course's prompts "
        f"({agree['greedy'][0]}/{agree['greedy'][1]})": agree["greedy"][0] >= 0.95 * agree["greedy"][1],
        f"generate_many gives generate()'s text on >= 95% of the course requests ({same}/{len(sample)})":
            same >= 0.95 * len(sample),
    }


# -- 1. the package vs raw llama-cpp-python ------------------------------------------------------------------------
def _timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def fair_speed(raw, pkg) -> dict:
    """Interleaved tokens/s of lab.generate and of raw create_chat_completion; both start every call from an empty cache."""
    import ai_pm_lab as lab

    messages = [{"role": "user", "content": PROMPT}]

    def raw_call():
        raw.reset()
        out = raw.create_chat_completion(messages=messages, temperature=0, max_tokens=MAX_TOKENS, seed=0)
        return out["choices"][0]["message"]["content"].strip(), out["usage"]["completion_tokens"]

    def pkg_call():
        pkg.reset()
        g = lab.generate(PROMPT, temperature=0, max_tokens=MAX_TOKENS, seed=0, backend="local")
        return g.text, g.completion_tokens

    raw_call(), pkg_call()  # warm-up
    raw_tps, pkg_tps, paired, texts = [], [], [], set()
    for i in range(ROUNDS):  # interleaved, alternating who goes first, so background noise hits both alike
        order = [("raw", raw_call), ("pkg", pkg_call)][:: 1 if i % 2 == 0 else -1]
        got = {}
        for name, call in order:
            (text, n), seconds = _timed(call)
            got[name] = n / seconds
            texts.add((name, text))
        raw_tps.append(got["raw"])
        pkg_tps.append(got["pkg"])
        paired.append(got["pkg"] / got["raw"])
    same_text = len({t for _, t in texts}) == 1
    return {"raw": statistics.median(raw_tps), "pkg": statistics.median(pkg_tps), "paired": paired, "same_text": same_text}


# -- 2. prefix reuse: RAG-sized prompt and 5-turn chat -------------------------------------------------------------
def rag_prompts():
    """(system, user) messages for several questions over one fixed retrieved context of about 400 tokens."""
    from ai_pm_lab.llm import local
    from ai_pm_lab.rag import RAGPipeline, load_eval

    rag = RAGPipeline(progress=False)
    rows = [r for r in load_eval() if r.get("answerable", True)]
    anchor = rows[0]["question"]
    sized = {}
    for top_k in range(1, 9):  # the retrieved context whose prompt is closest to RAG_TARGET_TOKENS
        hits = rag.retrieve(anchor, top_k=top_k, threshold=-1.0).hits
        system, user = rag.build_prompt(anchor, hits, "delimited")
        n = len(local.LocalBackend()._chat_tokens([{"role": "system", "content": system}, {"role": "user", "content": user}]))
        sized[top_k] = (abs(n - RAG_TARGET_TOKENS), hits)
    top_k = min(sized, key=lambda k: sized[k][0])
    hits, prompts = sized[top_k][1], []
    docs = {h.chunk.doc_id for h in hits}  # questions about the retrieved documents first, as a user's follow-ups would be
    rows = sorted(rows, key=lambda r: not docs & set(r.get("doc_ids") or []))
    for row in rows[:RAG_QUESTIONS]:
        system, user = rag.build_prompt(row["question"], hits, "delimited")
        prompts.append([{"role": "system", "content": system}, {"role": "user", "content": user}])
    return prompts, top_k


def _chat(llm, messages, *, reset, max_tokens=ANSWER_TOKENS, capture=None):
    import llama_cpp

    if reset:
        llm.reset()
    extra = {"logits_processor": llama_cpp.LogitsProcessorList([capture])} if capture else {}
    start = time.perf_counter()
    out = llm.create_chat_completion(messages=messages, max_tokens=max_tokens, **SAMPLING, **extra)
    seconds = time.perf_counter() - start
    return out["choices"][0]["message"]["content"], seconds, out["usage"]["prompt_tokens"]


MODES = ("from scratch", "package reuse", "llama.cpp reuse")


def _engines(raw, pkg, scratch):
    """mode -> (Llama object, reset before each call?)"""
    return {"from scratch": (scratch, True), "package reuse": (pkg, False), "llama.cpp reuse": (raw, False)}


def reuse_speed(raw, pkg, scratch, prompts) -> dict:
    """Median seconds per RAG answer and per 5-turn chat, per mode, measured interleaved (each mode keeps its own cache)."""
    engines = _engines(raw, pkg, scratch)
    for llm, _ in engines.values():
        llm.reset()
    rag = {m: [] for m in MODES}
    for i, messages in enumerate(prompts * 2):  # two passes over the questions: the cache holds the previous one
        for m in MODES[i % 3:] + MODES[: i % 3]:
            llm, reset = engines[m]
            rag[m].append(_chat(llm, messages, reset=reset)[1])
    chat = {m: [] for m in MODES}
    chat_tokens = {m: [] for m in MODES}
    for r in range(CHAT_ROUNDS):
        histories = {m: [] for m in MODES}
        totals = {m: 0.0 for m in MODES}
        for llm, _ in engines.values():
            llm.reset()
        for turn, user in enumerate(CHAT_TURNS):
            for m in MODES[(r + turn) % 3:] + MODES[: (r + turn) % 3]:
                llm, reset = engines[m]
                messages = [*histories[m], {"role": "user", "content": user}]
                text, seconds, n_prompt = _chat(llm, messages, reset=reset)
                totals[m] += seconds
                if r == 0:
                    chat_tokens[m].append(n_prompt)
                histories[m] += [{"role": "user", "content": user}, {"role": "assistant", "content": text}]
        for m in MODES:
            chat[m].append(totals[m])
    return {"rag": {m: statistics.median(v) for m, v in rag.items()},
            "chat": {m: statistics.median(v) for m, v in chat.items()}, "chat_tokens": chat_tokens}


# -- 3. exactness: next-token scores and text vs a from-scratch evaluation ----------------------------------------
def _capture():
    seen = []

    def grab(input_ids, scores):
        if not seen:
            seen.append((np.array(input_ids, dtype=np.intc), np.array(scores, dtype=np.float32)))
        return scores

    return seen, grab


def _fresh_logits(scratch, ids) -> np.ndarray:
    import llama_cpp

    scratch.reset()
    scratch.eval([int(t) for t in ids])
    return np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(scratch.ctx, -1), shape=(scratch.n_vocab(),)).copy()


def exactness(raw, pkg, scratch, prompts) -> dict:
    """For each reuse mode, over three call sequences (RAG questions in turn, each prompt asked twice in a row, a 5-turn
    chat): how many prompts got next-token scores different from a fresh evaluation, the largest difference, and how
    many seeded answers differ from the from-scratch answer."""
    sequences = {
        "RAG questions in turn": [("fixed", p) for p in prompts],
        "same prompt twice in a row": [("fixed", p) for p in prompts[:3] for _ in range(2)],
        "5-turn chat": [("chat", u) for u in CHAT_TURNS],
    }
    result = {}
    for mode in ("package reuse", "llama.cpp reuse"):
        llm = pkg if mode == "package reuse" else raw
        for name, calls in sequences.items():
            llm.reset()
            history, differ, text_differ, worst = [], 0, 0, 0.0
            for kind, item in calls:
                messages = item if kind == "fixed" else [*history, {"role": "user", "content": item}]
                seen, grab = _capture()
                text, _, _ = _chat(llm, messages, reset=False, capture=grab)
                ids, scores = seen[0]
                fresh = _fresh_logits(scratch, ids)
                gap = float(np.abs(scores - fresh).max())
                worst = max(worst, gap)
                differ += not np.array_equal(scores, fresh)
                fresh_text = _chat(scratch, messages, reset=True)[0]
                text_differ += text != fresh_text
                if kind == "chat":
                    history += [{"role": "user", "content": item}, {"role": "assistant", "content": text}]
            result[(mode, name)] = {"calls": len(calls), "differ": differ, "worst": worst, "text_differ": text_differ}
    return result


# -- next-token latency (week 1's explorer) ------------------------------------------------------------------------
def next_token_latency():
    from ai_pm_lab.llm import next_token

    cold, warm = [], []
    for _ in range(20):
        next_token._CACHE.clear()
        t = time.perf_counter()
        next_token.next_token_distribution("The cat sat on the")
        cold.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        next_token.next_token_distribution("The cat sat on the").probs(0.7)
        warm.append((time.perf_counter() - t) * 1000)
    return statistics.median(cold), statistics.median(warm)


def run() -> dict:
    """Print the figures and return {target: met}."""
    import llama_cpp

    from ai_pm_lab.llm import local as local_model

    targets = formats_and_batches()
    if os.environ.get("AI_PM_LAB_BENCH_FORMATS_ONLY"):
        return targets
    print()
    pkg = local_model.llama()  # the package's own instance, loaded once per process
    start = time.perf_counter()
    raw = llama_cpp.Llama(**same_arguments_as(pkg))  # plain llama-cpp-python
    load_s = time.perf_counter() - start
    scratch = llama_cpp.Llama(**same_arguments_as(pkg))  # a third copy: the from-scratch reference

    print("  1. the package vs raw llama-cpp-python, same settings (read back from each built object):")
    pkg_settings, raw_settings = settings_of(pkg), settings_of(raw)
    same = print_settings(pkg_settings, raw_settings) and settings_of(scratch) == raw_settings
    speed = fair_speed(raw, pkg)
    ratio = speed["pkg"] / speed["raw"]
    lo, hi = min(speed["paired"]), max(speed["paired"])
    print(f"    prompt: {len(PROMPT)} characters, {MAX_TOKENS} new tokens, temperature 0; each call starts from an empty cache "
          f"on both sides (prefix reuse is measured in 2.)")
    print(f"    raw llama-cpp-python  : {speed['raw']:.1f} tokens/s (median of {ROUNDS}, interleaved)")
    print(f"    ai_pm_lab.generate    : {speed['pkg']:.1f} tokens/s")
    print(f"    same text on both sides: {'yes' if speed['same_text'] else 'NO'}")
    if same and speed["same_text"]:
        print(f"    ratio package / raw   : {ratio:.3f} (paired rounds ranged {lo:.2f} to {hi:.2f})")
    else:
        print("    ratio package / raw   : not computed: the two sides are not configured identically, so it would not "
              "measure the package")

    print(f"\n  2. what evaluating every prompt from scratch costs (seconds per call, median; {ANSWER_TOKENS} new tokens, "
          f"temperature {SAMPLING['temperature']}, seed {SAMPLING['seed']}):")
    prompts, top_k = rag_prompts()
    n_rag = len(local_model.LocalBackend()._chat_tokens(prompts[0]))
    reuse = reuse_speed(raw, pkg, scratch, prompts)
    rag, chat = reuse["rag"], reuse["chat"]
    print(f"    RAG prompt: {n_rag} tokens (bundled KB, top {top_k} chunks, 'delimited' template), "
          f"{len(prompts)} different questions after the same context, two passes")
    for m in MODES:
        print(f"      {m:<16}: {rag[m]:.3f} s per answer  (from scratch / this = {rag['from scratch'] / rag[m]:.2f}x)")
    print(f"    5-turn chat (prompt tokens per turn: {reuse['chat_tokens']['package reuse']}), {CHAT_ROUNDS} conversations")
    for m in MODES:
        print(f"      {m:<16}: {chat[m]:.3f} s per conversation  (from scratch / this = {chat['from scratch'] / chat[m]:.2f}x)")

    print("\n  3. exactness vs a fresh evaluation of the same prompt tokens (next-token scores bit for bit; seeded text):")
    exact = exactness(raw, pkg, scratch, prompts)
    pkg_bad = 0
    for (mode, name), r in exact.items():
        print(f"    {mode:<16} {name:<27}: scores differ on {r['differ']}/{r['calls']} prompts (max |Δlogit| "
              f"{r['worst']:.3g}), text differs on {r['text_differ']}/{r['calls']}")
        if mode == "package reuse":
            pkg_bad += r["differ"] + r["text_differ"]

    cold_ms, warm_ms = next_token_latency()
    print(f"\n  model load (a new Llama object): {load_s:.3f} s")
    print(f"  next-token distribution, short prompt: {cold_ms:.1f} ms (model call), {warm_ms:.2f} ms (cached, new temperature)")
    return {
        **targets,
        "both sides built with identical settings and giving the same text": same and speed["same_text"],
        f"generation through the package >= 0.95x raw llama-cpp-python, same settings ({ratio:.3f})":
            same and speed["same_text"] and ratio >= 0.95,
        "the package's prefix reuse is exact (scores and text equal a fresh evaluation)": pkg_bad == 0,
        "next-token distribution < 50 ms for a short prompt": cold_ms < 50,
    }


if __name__ == "__main__":
    run()
