"""Context limits: token counts, published windows, overflow, five strategies to fit a long document, needle-in-a-haystack."""
from __future__ import annotations

import random
import re
from functools import lru_cache

import matplotlib.pyplot as plt
import pandas as pd

from ai_pm_lab.catalog import price_table
from ai_pm_lab.datafiles import data_jsonl, data_text
from ai_pm_lab.errors import ContextWindowError, InputError, InputTypeError, require_number, require_text
from ai_pm_lab.evaluation.harness import ModelStep, run_harness, successful
from ai_pm_lab.limits.common import check_n
from ai_pm_lab.llm.backends import generate, get_backend
from ai_pm_lab.llm.local import n_ctx
from ai_pm_lab.llm.tokens import count_tokens
from ai_pm_lab.plots import annotated_heatmap
from ai_pm_lab.progress import bar
from ai_pm_lab.tables import format_rate, returns_course_table
from ai_pm_lab.text import contains_phrase, content_words

STRATEGIES = {
    "send everything": "no strategy: the whole document goes in (overflows when it is longer than the window)",
    "head": "keep the beginning, drop the end",
    "tail": "keep the end, drop the beginning",
    "middle-out": "keep the beginning and the end, drop the middle",
    "summarise-then-answer": "summarise each chunk with the model first, then answer from the summaries",
    "retrieve-relevant": "keep only the sentences that share the most words with the question (a keyword retriever)",
}
TRUNCATIONS = ("head", "tail", "middle-out", "retrieve-relevant")  # the strategies that cut text without a model call
NEEDLE_MAX_WINDOW = 8192  # fills are shares of at most this many tokens, so hosted models with huge windows stay cheap
NEEDLE_PLACES = ("Lisbon", "Oslo", "Nairobi", "Denver", "Kyoto", "Porto", "Quito", "Tallinn")
DOCUMENT_FACT = "The spare key to the Harborline server room is kept in locker 38 behind the reception desk."
DOCUMENT_QUESTION = "In which locker is the spare key to the server room kept?"
DOCUMENT_ANSWER = "38"
ANSWER_ROOM_TOKENS = 150  # a document fits only if it leaves this many tokens of the window for the question and answer


def backend_window(backend: str | None = None) -> int:
    """The context window (tokens) of the model that will answer."""
    return get_backend(backend).context_window


def token_count(text: str, backend: str | None = None) -> int:
    """Tokens of ``text`` on the answering model's tokenizer."""
    return count_tokens(text, backend=backend)


def token_report(text: str, backend: str | None = None) -> dict:
    """Tokens, words and characters of ``text`` on the active tokenizer, and its share of the active model's window."""
    require_text(text, "text")
    engine = get_backend(backend)
    tokens = token_count(text, backend)
    words = len(text.split())
    window = engine.context_window
    return {"model": engine.model, "tokens": tokens, "words": words, "characters": len(text),
            "words_per_token": round(words / tokens, 2) if tokens else float("nan"), "window": window,
            "share_of_window": round(tokens / window, 4)}


def model_windows(backend: str | None = None):
    """Published context windows of the price table's models, plus the window the local model runs with here."""
    df = price_table()[["provider", "model_id", "display_name", "context window (tokens)"]].copy()
    df = df.rename(columns={"context window (tokens)": "window_tokens"})
    df["note"] = "published"
    local = df["provider"] == "local"
    df.loc[local, "note"] = f"trained window; this course runs it with n_ctx={n_ctx()} (AI_PM_LAB_N_CTX)"
    df["words_approx"] = (df["window_tokens"] * words_per_token(backend)).round(-2).astype(int)
    return df.sort_values("window_tokens").reset_index(drop=True)


@lru_cache(maxsize=4)
def _words_per_token_cached(backend: str | None) -> float:
    text = data_text("limits/haystack_filler.txt")
    return len(text.split()) / token_count(text, backend)


def words_per_token(backend: str | None = None) -> float:
    """Words per token on the active tokenizer, measured on the bundled filler text."""
    return _words_per_token_cached(backend)


def plot_windows(windows):
    """Horizontal bar chart (log scale) of context windows."""
    if not isinstance(windows, pd.DataFrame) or not {"display_name", "window_tokens"} <= set(windows.columns):
        raise InputTypeError("windows must be the DataFrame returned by model_windows().")
    fig, ax = plt.subplots(figsize=(8, 4))
    ax.barh(windows["display_name"], windows["window_tokens"], color="#55A868")
    ax.set_xscale("log")
    ax.set_xlabel("context window (tokens, log scale)")
    for i, v in enumerate(windows["window_tokens"]):
        ax.text(v, i, f" {v:,}", va="center", fontsize=8)
    ax.set_title("How much text each model can see at once")
    fig.tight_layout()
    return fig


# ---------- documents ----------

@lru_cache(maxsize=4)
def _paragraphs(backend: str | None) -> tuple[tuple[str, int], ...]:
    paras = [p.strip() for p in data_text("limits/haystack_filler.txt").split("\n\n") if p.strip()]
    return tuple((p, token_count(p, backend) + 1) for p in paras)


def filler(n_tokens: int, *, seed: int = 0, backend: str | None = None) -> list[str]:
    """Paragraphs of bundled filler text adding up to about ``n_tokens`` (cycled, shuffled by ``seed``)."""
    n_tokens = require_number(n_tokens, "n_tokens", low=0, high=200_000, integer=True)
    paras = list(_paragraphs(backend))
    rng = random.Random(seed)
    out, total = [], 0
    while total < n_tokens:
        order = paras[:]
        rng.shuffle(order)
        for p, k in order:
            if total + k > n_tokens:
                return out if out else [p]
            out.append(p)
            total += k
    return out


def make_document(n_tokens: int, *, fact: str | None = DOCUMENT_FACT, position: float = 0.5, seed: int = 0,
                  backend: str | None = None) -> str:
    """A long company document of about ``n_tokens`` with ``fact`` inserted at a relative position (0 = start, 1 = end)."""
    position = float(require_number(position, "position", low=0, high=1))
    paras = filler(n_tokens, seed=seed, backend=backend)
    if fact is not None:
        require_text(fact, "fact")
        paras.insert(round(position * len(paras)), fact)
    return "\n\n".join(paras)


def document_fit(n_tokens: int, *, backend: str | None = None) -> dict:
    """The test document at about ``n_tokens`` (``text``), its real token count against the answering model's window,
    and the verdict: 'fits' (room left for the question and answer), 'barely fits' (no room left) or 'does not fit'
    (``overflow_by`` tokens too many)."""
    window = backend_window(backend)
    text = make_document(n_tokens, backend=backend)
    tokens = token_count(text, backend)
    overflow = max(0, tokens - window)
    fits = tokens < window - ANSWER_ROOM_TOKENS
    verdict = "fits" if fits else "does not fit" if overflow else "barely fits"
    return {"text": text, "tokens": tokens, "window": window, "fits": fits, "overflow_by": overflow, "verdict": verdict}


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s]


def _topic_words(text: str) -> set[str]:
    return set(content_words(text))


def check_strategy(strategy) -> str:
    """``strategy`` if it is one of STRATEGIES, else a ValueError listing them."""
    require_text(strategy, "strategy")
    if strategy not in STRATEGIES:
        raise InputError(f"Unknown strategy {strategy!r}: choose one of {', '.join(repr(s) for s in STRATEGIES)}.")
    return strategy


def fit_to_budget(text: str, budget_tokens: int, strategy: str, *, question: str | None = None,
                  backend: str | None = None, chunk_tokens: int = 600, summary_tokens: int = 40,
                  progress: bool = False) -> dict:
    """Shrink ``text`` to at most ``budget_tokens`` with a strategy; returns the kept text and what it cost."""
    require_text(text, "text")
    budget = require_number(budget_tokens, "budget_tokens", low=16, high=10_000_000, integer=True)
    check_strategy(strategy)
    original = token_count(text, backend)
    calls = 0
    if strategy == "send everything" or original <= budget:
        kept = text
    elif strategy in ("head", "tail", "middle-out", "retrieve-relevant"):
        sents = _sentences(text)
        costs = [token_count(s, backend) + 1 for s in sents]
        if strategy == "head":
            order = list(range(len(sents)))
        elif strategy == "tail":
            order = list(range(len(sents) - 1, -1, -1))
        elif strategy == "middle-out":
            order = [i for pair in zip(range(len(sents)), range(len(sents) - 1, -1, -1)) for i in pair]
            order = list(dict.fromkeys(order))
        else:
            q = _topic_words(require_text(question, "question")) if question is not None else None
            if not q:
                raise InputError("retrieve-relevant needs a question with some content words, e.g. 'Where is the key?'.")
            scores = [len(q & _topic_words(s)) for s in sents]
            order = sorted((i for i in range(len(sents)) if scores[i] > 0), key=lambda i: (-scores[i], i))
        chosen, used = set(), 0
        for i in order:
            if used + costs[i] > budget:
                if strategy in ("head", "tail", "middle-out"):
                    break
                continue
            chosen.add(i)
            used += costs[i]
        keep = sorted(chosen)
        parts, prev = [], None
        for i in keep:
            if prev is not None and i != prev + 1:
                parts.append("[...]")
            parts.append(sents[i])
            prev = i
        kept = " ".join(parts)
    else:  # summarise-then-answer
        chunks, current, size = [], [], 0
        for s in _sentences(text):
            k = token_count(s, backend) + 1
            if current and size + k > chunk_tokens:
                chunks.append(" ".join(current))
                current, size = [], 0
            current.append(s)
            size += k
        if current:
            chunks.append(" ".join(current))
        summaries = []
        for c in bar(chunks, desc="summarising chunks", disable=not progress):
            g = generate(f"Summarise this text in one sentence. Keep every name and number.\n\n{c}",
                            temperature=0.0, max_tokens=summary_tokens, seed=0, backend=backend)
            summaries.append(g.text)
            calls += 1
        kept = " ".join(summaries)
        if token_count(kept, backend) > budget:
            kept = fit_to_budget(kept, budget, "head", backend=backend)["text"]
    kept_tokens = token_count(kept, backend)
    return {"strategy": strategy, "text": kept, "original_tokens": original, "kept_tokens": kept_tokens,
            "kept_share": kept_tokens / original if original else 1.0, "model_calls": calls}


def answer_with_strategy(document: str, question: str, strategy: str, *, budget_tokens: int | None = None,
                         max_tokens: int = 24, backend: str | None = None, progress: bool = False) -> dict:
    """Fit ``document`` with a strategy, ask ``question`` over it; overflow is caught and returned as ``error``."""
    require_text(document, "document")
    require_text(question, "question")
    check_strategy(strategy)
    window = backend_window(backend)
    budget = budget_tokens if budget_tokens is not None else window - max_tokens - 120
    fitted = fit_to_budget(document, budget, strategy, question=question, backend=backend, progress=progress)
    prompt = f"Document:\n{fitted['text']}\n\nQuestion: {question}\nAnswer briefly from the document."
    out = {**fitted, "question": question, "window": window, "answer": None, "error": None, "prompt_tokens": None}
    del out["text"]
    try:
        g = generate(prompt, temperature=0.0, max_tokens=max_tokens, seed=0, backend=backend)
    except ContextWindowError as exc:
        out["error"] = f"{type(exc).__name__}: {exc}"
        return out
    out.update(answer=g.text, prompt_tokens=g.prompt_tokens, model_calls=fitted["model_calls"] + 1)
    return out


def answer_document(document: str, strategy: str, *, budget_tokens: int | None = None, backend: str | None = None,
                    progress: bool = False) -> dict:
    """Ask the test document's question (DOCUMENT_QUESTION) with a strategy: answer_with_strategy's result plus
    ``correct`` (the answer names DOCUMENT_ANSWER). The budget applies only to strategies that shrink the document."""
    budget = None if check_strategy(strategy) == "send everything" else budget_tokens
    r = answer_with_strategy(document, DOCUMENT_QUESTION, strategy, budget_tokens=budget, backend=backend,
                             progress=progress)
    r["correct"] = r["answer"] is not None and contains_phrase(r["answer"], DOCUMENT_ANSWER)
    return r


def compare_strategies(document: str, question: str, expected: str, *, strategies=None, budget_tokens: int | None = None,
                       max_tokens: int = 24, backend: str | None = None, progress: bool = True):
    """Every strategy on the same document and question: tokens kept, model calls, answer, whether it is right."""
    require_text(document, "document")
    require_text(question, "question")
    require_text(expected, "expected")
    strategies = list(STRATEGIES) if strategies is None else [check_strategy(s) for s in strategies]

    def run(item):
        r = answer_with_strategy(document, question, item["strategy"], budget_tokens=budget_tokens, max_tokens=max_tokens,
                                 backend=backend)
        return {k: v for k, v in r.items() if k != "strategy"}

    def score(item, r):
        return {"correct": bool(r["answer"] is not None and contains_phrase(r["answer"], expected))}

    rows = run_harness([{"strategy": s} for s in strategies], run, score, desc="strategies", progress=progress)
    cols = ["strategy", "original_tokens", "kept_tokens", "kept_share", "model_calls", "answer", "correct", "error"]
    return rows[[c for c in cols if c in rows]]


# ---------- document kinds: where the part that matters sits ----------

def document_kinds() -> dict[str, dict]:
    """The bundled document kinds (contract, chat, manual): what each is, its question and the facts it must keep."""
    return {d["kind"]: dict(d) for d in data_jsonl("limits/document_kinds.jsonl")}


def kind_document(kind: str, n_tokens: int = 1_000, *, backend: str | None = None) -> dict:
    """A document of one kind, about ``n_tokens`` long: its opening, numbered filler, then its ending."""
    kinds = document_kinds()
    require_text(kind, "kind")
    if kind not in kinds:
        raise InputError(f"Unknown document kind {kind!r}: choose one of {', '.join(repr(k) for k in kinds)}.")
    n_tokens = require_number(n_tokens, "n_tokens", low=50, high=200_000, integer=True)
    d = kinds[kind]
    lines = list(d["opening"])
    fixed = token_count("\n".join(d["opening"] + d["ending"]), backend)
    used, n = fixed, 0
    while used < n_tokens:
        n += 1
        line = d["filler"][(n - 1) % len(d["filler"])].format(n=n)
        lines.append(line)
        used += token_count(line, backend) + 1
    lines += d["ending"]
    return {"kind": kind, "what": d["what"], "question": d["question"], "needed": list(d["needed"]),
            "text": "\n".join(lines)}


@returns_course_table
def facts_kept(text: str, needed, budget_tokens: int, *, question: str, strategies=TRUNCATIONS,
               backend: str | None = None):
    """For each strategy: tokens kept and how many of the ``needed`` phrases survive the cut (no model call)."""
    require_text(text, "text")
    if isinstance(needed, str) or not needed:
        raise InputTypeError("needed must be a non-empty list of phrases the answer depends on, e.g. ['90 days'].")
    rows = []
    for s in strategies:
        if check_strategy(s) == "summarise-then-answer":
            raise InputError("facts_kept measures the cuts that need no model call: leave out summarise-then-answer.")
        fitted = fit_to_budget(text, budget_tokens, s, question=question, backend=backend)
        missing = [p for p in needed if not contains_phrase(fitted["text"], p)]
        rows.append({"strategy": s, "kept tokens": fitted["kept_tokens"], "facts kept": len(needed) - len(missing),
                     "facts needed": len(needed), "missing": ", ".join(missing)})
    return pd.DataFrame(rows)


@returns_course_table
def strategy_table(budget_tokens: int, n_tokens: int = 1_000, *, kinds=None, backend: str | None = None):
    """facts_kept() for every document kind at one budget: one row per document and strategy."""
    kinds = list(document_kinds()) if kinds is None else list(kinds)
    parts = []
    for kind in kinds:
        doc = kind_document(kind, n_tokens, backend=backend)
        table = facts_kept(doc["text"], doc["needed"], budget_tokens, question=doc["question"], backend=backend)
        parts.append(table.assign(document=kind, **{"document tokens": token_count(doc["text"], backend)}))
    cols = ["document", "document tokens", "strategy", "kept tokens", "facts kept", "facts needed", "missing"]
    return pd.concat(parts, ignore_index=True)[cols]


# ---------- needle in a haystack ----------

def needle_case(position: float, fill: float, *, seed: int = 0, backend: str | None = None) -> dict:
    """A haystack filling ``fill`` of the window (at most 8,192 tokens) with a code hidden at ``position`` (0 = start, 1 = end)."""
    position = float(require_number(position, "position", low=0, high=1))
    fill = float(require_number(fill, "fill", low=0.01, high=0.9))
    seed = require_number(seed, "seed", low=0, high=2**31 - 1, integer=True)
    rng = random.Random(seed)
    place, code = rng.choice(NEEDLE_PLACES), str(rng.randint(1000, 9999))
    needle = f"The access code for the {place} storage room is {code}."
    n_tokens = int(fill * min(backend_window(backend), NEEDLE_MAX_WINDOW))
    doc = make_document(n_tokens, fact=needle, position=position, seed=seed, backend=backend)
    q = f"What is the access code for the {place} storage room? Reply with the number only."
    return {"position": position, "fill": fill, "code": code, "prompt": f"{doc}\n\n{q}", "haystack_tokens": n_tokens}


def run_needle(positions=(0.0, 0.5, 1.0), fills=(0.1, 0.5), n: int = 1, *, max_tokens: int = 20,
               backend: str | None = None, progress: bool = True):
    """Ask for the hidden code at each position x fill, ``n`` times (a new code each time); one row per run."""
    n = check_n(n, "n", high=20)
    if not positions or not fills:
        raise InputError("positions and fills must each list at least one value, e.g. positions=(0, 0.5, 1).")
    items = [{"position": p, "fill": f, "seed": s} for f in fills for p in positions for s in range(n)]

    cases = {}

    def prepare(item):
        cases[id(item)] = case = needle_case(item["position"], item["fill"], seed=item["seed"], backend=backend)
        return {"prompt": case["prompt"], "temperature": 0.0, "max_tokens": max_tokens, "seed": 0}

    def finish(item, g):
        return {"prompt_tokens": g.prompt_tokens, "answer": g.text, "found": contains_phrase(g.text, cases[id(item)]["code"]),
                "latency_s": g.latency_s}

    try:
        local = get_backend(backend).name == "local"
    except Exception:  # noqa: BLE001 - a wrong backend is recorded in every row, as generate() raises it
        local = False
    if not local:  # a hosted model: every request at once
        return run_harness(items, ModelStep(prepare, finish, backend=backend), desc="needle in a haystack",
                           progress=progress)
    # The local model: one at a time, in the order that lets each haystack reuse the previous one's evaluated start
    # (the same filler up to the needle), then the rows back in the grid's order. Identical answers, fewer tokens.
    order = _prefix_order(items)
    rows = run_harness([items[i] for i in order], lambda item: finish(item, generate(**prepare(item), backend=backend)),
                       desc="needle in a haystack", progress=progress)
    rows.index = order
    return rows.sort_index().reset_index(drop=True)


def _prefix_order(items: list[dict]) -> list[int]:
    """Needle items ordered so consecutive prompts share the longest start: the needle latest in the text first, and
    within a position the fills in a snake (short to long, then long to short), so each haystack extends the last."""
    positions = sorted({it["position"] for it in items}, reverse=True)
    order = []
    for j, p in enumerate(positions):
        here = [i for i, it in enumerate(items) if it["position"] == p]
        order += sorted(here, key=lambda i: (items[i]["fill"] * (1 if j % 2 == 0 else -1), items[i]["seed"]))
    return order


@returns_course_table
def needle_accuracy(runs):
    """Share of runs that found the code, as a fill x position table (failed runs left out)."""
    if not isinstance(runs, pd.DataFrame) or not {"position", "fill"} <= set(runs.columns):
        raise InputTypeError("runs must be the DataFrame returned by run_needle().")
    if runs.empty:
        raise InputError("runs is empty: call run_needle() with at least one position and fill.")
    runs = successful(runs)
    if "found" not in runs:
        raise InputTypeError("runs must be the DataFrame returned by run_needle() (it has no 'found' column).")
    return runs.assign(found=runs["found"].astype(float)).pivot_table(index="fill", columns="position", values="found", aggfunc="mean")


def plot_needle(runs):
    """Heatmap of needle accuracy by position (columns) and fill level (rows)."""
    acc = needle_accuracy(runs)
    counts = successful(runs).pivot_table(index="fill", columns="position", values="found", aggfunc="size")
    counts = counts.reindex(index=acc.index, columns=acc.columns)
    ax = annotated_heatmap(acc.values, [f"{format_rate(f, 0)} full" for f in acc.index], [f"{format_rate(p, 0)} in" for p in acc.columns],
                           cmap="Greens", vmin=0, vmax=1, cell_text=lambda i, j, v: f"{format_rate(v, 0)}\nn={int(counts.values[i, j])}",
                           figsize=(6, 3), xlabel="where the code is hidden", ylabel="how full the window is",
                           colorbar_label="found the code", title="Needle in a haystack: measured accuracy")
    ax.figure.tight_layout()
    return ax.figure
