"""Bad-input sweep: feed the public functions the notebooks call the inputs a careless learner or a hostile file gives
them, and count what happens.

Each case is one call with one bad value (None, wrong type, NaN/inf, -1/0, blank, a 5M-character string, a lone
surrogate, an emoji, a typo'd model id, a 0-byte / binary / CP1252 / corrupt file, a missing path, an empty-string
folder, a FIFO, a symlink loop ...) plus the cases a careless learner hits most. Outcomes:

* clear       - a course error (``ai_pm_lab.errors.CourseError``, or a ValueError/TypeError subclass defined in
                ai_pm_lab) whose message names a fix (>= 20 characters, no library file path), or a result that
                handles the input correctly (an exercise check that does not pass, a valid-but-odd input answered);
* raw         - any other exception (a library's own error, AttributeError, KeyError, a bare ValueError ...);
* silent/hang - returned normally although the input is invalid (a check PASS on missing data, '' loading the current
                folder), or did not finish within the time limit;
* n/a         - the function or argument does not exist in the tree measured (for the 'before' run).

Every case runs in a child process with outbound network blocked (``ai_pm_lab.testing.offline``), fake provider keys
in the environment (any output or message containing one is flagged) and AI_PM_LAB_BACKEND=local, one case at a
time with a per-case time limit; a child that hangs is killed and the sweep resumes after that case.

    python tools/bad_input_sweep.py                  # counts, per-case CSV to build/bad_input_sweep.csv
    python tools/bad_input_sweep.py --json           # counts as JSON
    PYTHONPATH=/tmp/sweep-before python tools/bad_input_sweep.py --root /tmp/sweep-before   # another tree
"""
from __future__ import annotations

import argparse
import contextlib
import csv
import importlib
import inspect
import io
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

HERE = Path(__file__).resolve().parents[1]
CASE_TIMEOUT_S = 10.0
FAKE_KEYS = {"OPENAI_API_KEY": "sk-test-SECRET123", "ANTHROPIC_API_KEY": "sk-ant-test-SECRET456",
             "GEMINI_API_KEY": "test-gemini-SECRET789"}
CLASSES = ("clear", "raw", "silent/hang", "n/a")
HUGE_LEN = 5_000_001


class NotAvailable(Exception):
    """The function or argument a case calls does not exist in the tree being measured."""


class CaseTimeout(BaseException):
    """Raised by the alarm when a case runs past its time limit."""


@dataclass
class Case:
    id: str
    func: str  # "module:attr.attr"
    label: str  # the bad input, in words
    call: Callable  # call(ctx) -> result
    expect: str = "error"  # error | check | ok | pred
    pred: Callable | None = None  # for expect == "pred": result -> True when handled correctly
    slow: bool = False  # loads a model or builds an index: longer limit
    issue23: bool = False
    kwargs: tuple = ()  # argument names the call needs the function to accept (else n/a)
    timeout: float = CASE_TIMEOUT_S


# --------------------------------------------------------------------------------------------------------------------
# fixtures


def resolve(target: str, *needs: str):
    """The object ``module:attr.attr``; NotAvailable when it (or an argument named in ``needs``) does not exist."""
    mod, _, attr = target.partition(":")
    try:
        obj = importlib.import_module(mod)
        for part in filter(None, attr.split(".")):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as exc:
        raise NotAvailable(f"{target}: {exc}") from None
    if needs:
        try:
            params = inspect.signature(obj).parameters
        except (TypeError, ValueError):
            params = {}
        if not any(p.kind == p.VAR_KEYWORD for p in params.values()):
            missing = [n for n in needs if n not in params]
            if missing:
                raise NotAvailable(f"{target} has no argument {missing}")
    return obj


class Context:
    """Files and objects the cases share, made once per worker."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self._cache: dict = {}
        self._make_files()

    def _make_files(self):
        t = self.tmp
        doc = ("# Refund policy\n\nCustomers can ask for a refund within 30 days of purchase. Refunds go back to the "
               "original card within five working days. Contact support to start a refund.\n")
        (t / "empty.txt").write_bytes(b"")
        (t / "empty.pdf").write_bytes(b"")
        (t / "binary.txt").write_bytes(bytes(range(256)) * 64)
        (t / "cp1252.txt").write_bytes("Caf\u00e9 refunds \u2013 na\u00efve \u201cquotes\u201d within 30 days.\n"
                                       .encode("cp1252"))
        (t / "corrupt.docx").write_bytes(b"PK\x03\x04 this is not really a docx" + os.urandom(200))
        (t / "corrupt.pdf").write_bytes(b"%PDF-1.4\n" + os.urandom(500))
        (t / "good.txt").write_text(doc, encoding="utf-8")
        for name, files in {
            "empty_dir": {},
            "one_chunk": {"refunds.txt": "Refunds are paid within 30 days of purchase."},
            "bad_date": {"policy.md": "---\ntitle: Refund policy\ndate: 2024-13-45\n---\n" + doc},
            "emoji_name": {"\U0001F680 launch notes.txt": doc},
            "cp1252_folder": {"cp1252.txt": None},
            "zero_byte_folder": {"empty.txt": b"", "good.txt": doc},
            "binary_folder": {"binary.txt": bytes(range(256)) * 64, "good.txt": doc},
            "corrupt_folder": {"broken.docx": b"PK\x03\x04 junk" + os.urandom(100), "broken.pdf": b"%PDF-1.4\n junk",
                               "good.txt": doc},
            "only_bad_files": {"empty.txt": b"", "broken.pdf": b"%PDF-1.4 junk"},
        }.items():
            d = t / name
            d.mkdir()
            for fname, content in files.items():
                if content is None:
                    (d / fname).write_bytes((t / "cp1252.txt").read_bytes())
                elif isinstance(content, bytes):
                    (d / fname).write_bytes(content)
                else:
                    (d / fname).write_text(content, encoding="utf-8")
        fifo = t / "fifo_folder"
        fifo.mkdir()
        (fifo / "good.txt").write_text(doc, encoding="utf-8")
        if hasattr(os, "mkfifo"):
            os.mkfifo(fifo / "pipe.txt")
        loop = t / "loop_folder"
        loop.mkdir()
        (loop / "good.txt").write_text(doc, encoding="utf-8")
        with contextlib.suppress(OSError):
            os.symlink(loop / "a", loop / "b")
            os.symlink(loop / "b", loop / "a")
            os.symlink(loop, loop / "self")
    def _make_big_folder(self, big: Path):
        """A folder holding one 50 MB text file (made on first use)."""
        big.mkdir()
        with open(big / "big.txt", "w", encoding="utf-8") as fh:
            line = "The refund window is thirty days from the date of purchase for every plan. " * 8 + "\n"
            for _ in range(50_000_000 // len(line) + 1):
                fh.write(line)

    def path(self, name: str) -> str:
        if name == "big_folder" and not (self.tmp / name).exists():
            self._make_big_folder(self.tmp / name)
        return str(self.tmp / name)

    def questions_folder(self, name: str, raw: bytes) -> str:
        """A capstone folder with one document and a questions.csv holding ``raw``."""
        d = self.tmp / f"q_{name}"
        if not d.exists():
            d.mkdir()
            (d / "refund-policy.txt").write_text((self.tmp / "good.txt").read_text(encoding="utf-8"), encoding="utf-8")
            (d / "questions.csv").write_bytes(raw)
        return str(d)

    def pipeline(self, folder: str | None = None):
        key = ("pipeline", folder)
        if key not in self._cache:
            RAG = resolve("ai_pm_lab.rag:RAGPipeline")
            kw = {"progress": False} if "progress" in inspect.signature(RAG).parameters else {}
            self._cache[key] = RAG(folder, **kw) if folder else RAG(**kw)
        return self._cache[key]

    def hits(self):
        if "hits" not in self._cache:
            r = self.pipeline().retrieve("How long do refunds take?")
            self._cache["hits"] = getattr(r, "hits", r)
        return self._cache["hits"]


# --------------------------------------------------------------------------------------------------------------------
# bad values by kind

NAN, INF = float("nan"), float("inf")


def huge():
    return "refund " * (HUGE_LEN // 7) + "x" * (HUGE_LEN - 7 * (HUGE_LEN // 7))


SURROGATE = "How do refunds work \ud800?"
EMOJI = "How do refunds work? \U0001F680\U0001F525"


def bad_text(*, huge_ok: bool = False, emoji_ok: bool = True):
    """(label, value-maker, expect) for a text argument."""
    out = [("None", lambda c: None, "error"), ("int 42", lambda c: 42, "error"), ("bytes", lambda c: b"hello", "error"),
           ("empty ''", lambda c: "", "error"), ("blank '   '", lambda c: "   ", "error"),
           ("list ['a']", lambda c: ["a"], "error"), ("lone surrogate", lambda c: SURROGATE, "error"),
           ("NaN", lambda c: NAN, "error")]
    out.append(("huge 5M+1 chars", lambda c: huge(), "ok" if huge_ok else "error"))
    if emoji_ok:
        out.append(("emoji", lambda c: EMOJI, "ok"))
    return out


def blank_ok(values):
    """The same values with '' and '   ' counted as valid (a function that counts or cleans text may take them)."""
    return [(lbl, mk, "ok" if lbl in ("empty ''", "blank '   '") else ex) for lbl, mk, ex in values]


def bad_number(*, low_bad=True, zero_bad=False, int_only=False):
    out = [("None", lambda c: None, "error"), ("str '0.5'", lambda c: "0.5", "error"), ("NaN", lambda c: NAN, "error"),
           ("inf", lambda c: INF, "error"), ("-inf", lambda c: -INF, "error"), ("list [1]", lambda c: [1], "error"),
           ("bool True", lambda c: True, "error")]
    if low_bad:
        out.append(("-1", lambda c: -1, "error"))
    if zero_bad:
        out.append(("0", lambda c: 0, "error"))
    if int_only:
        out.append(("float 2.5", lambda c: 2.5, "error"))
    return out


def bad_name(typo: str):
    return [("None", lambda c: None, "error"), ("int 7", lambda c: 7, "error"), ("empty ''", lambda c: "", "error"),
            ("blank '   '", lambda c: "   ", "error"), (f"typo {typo!r}", lambda c: typo, "error"),
            ("emoji name", lambda c: "\U0001F916-model", "error"), ("lone surrogate", lambda c: "gpt\ud800", "error")]


def bad_folder(*, none_ok: bool = False):
    return [
        ("None", lambda c: None, "ok" if none_ok else "error"), ("empty-string folder ''", lambda c: "", "error"),
        ("blank '   '", lambda c: "   ", "error"), ("int 3", lambda c: 3, "error"),
        ("missing path", lambda c: c.path("no_such_folder"), "error"), ("a file, not a folder", lambda c: c.path("good.txt"), "ok"),
        ("empty folder", lambda c: c.path("empty_dir"), "error"), ("only bad files", lambda c: c.path("only_bad_files"), "error"),
        ("0-byte file beside a good one", lambda c: c.path("zero_byte_folder"), "ok"),
        ("binary file renamed .txt", lambda c: c.path("binary_folder"), "ok"),
        ("corrupt .docx/.pdf", lambda c: c.path("corrupt_folder"), "ok"),
        ("CP1252 document", lambda c: c.path("cp1252_folder"), "ok"),
        ("emoji file name", lambda c: c.path("emoji_name"), "ok"),
        ("FIFO in folder", lambda c: c.path("fifo_folder"), "ok"),
        ("symlink loop", lambda c: c.path("loop_folder"), "ok"),
        ("lone surrogate path", lambda c: c.path("x\ud800"), "error"),
    ]


def bad_file():
    return [("None", lambda c: None, "error"), ("empty ''", lambda c: "", "error"), ("int 5", lambda c: 5, "error"),
            ("missing file", lambda c: c.path("nope.txt"), "error"), ("0-byte .txt", lambda c: c.path("empty.txt"), "error"),
            ("0-byte .pdf", lambda c: c.path("empty.pdf"), "error"),
            ("binary renamed .txt", lambda c: c.path("binary.txt"), "error"),
            ("corrupt .docx", lambda c: c.path("corrupt.docx"), "error"),
            ("corrupt .pdf", lambda c: c.path("corrupt.pdf"), "error"),
            ("CP1252 .txt", lambda c: c.path("cp1252.txt"), "ok"),
            ("a folder", lambda c: c.path("empty_dir"), "error")]


def bad_table():
    import_pd = lambda: importlib.import_module("pandas")  # noqa: E731
    return [("None", lambda c: None, "error"), ("str", lambda c: "table", "error"), ("list [1, 2]", lambda c: [1, 2], "error"),
            ("empty DataFrame", lambda c: import_pd().DataFrame(), "error"),
            ("NaN", lambda c: NAN, "error")]


def bad_flags():
    return [("None", lambda c: None, "error"), ("str", lambda c: "abc", "error"), ("empty list", lambda c: [], "error"),
            ("[nan, nan]", lambda c: [NAN, NAN], "error"), ("[1, 'x']", lambda c: [1, "x"], "error")]


# --------------------------------------------------------------------------------------------------------------------
# the cases

CASES: list[Case] = []
# The exercise checks the solutions call (a fixed list, so a tree without one counts it n/a rather than dropping it).
EXERCISE_CHECKS = {
    "week01": ["decision_tree_walk", "model_under_budget", "temperature_choices", "temperature_policy", "top_token"],
    "week02": ["launch_choice", "model_under_budget_and_floor", "numeric_scorer", "precision_recall",
               "strategy_per_document"],
    "week03": ["cheapest_setting", "chunk_size_choice", "cosine", "recall", "search_method_choice", "top3"],
    "week04": ["conflict_rule_choice", "output_guard", "prompt_builder", "retrieval_metrics", "threshold_choice",
               "top_k_choice"],
    "week05": ["ab_decisions", "categorise", "judge_trust", "operating_point", "precision_recall", "review_size"],
    "week06": ["alert_threshold", "cache_hit_rate", "canary_go", "four_fifths_call", "pii_blockers", "psi_by_hand"],
    "week07": ["approach_for_data", "audit_follow_up", "better_questions", "break_even_traffic", "capstone_criteria",
               "model_choice", "router_criteria", "setting_to_ship", "worksheet_on_one_pager"],
    "week08": ["canary_decision", "fix_first", "launch_decision", "ship_update", "weak_dates"],
}


def add(func, label, call, expect="error", **kw):
    cid = f"{func.split(':')[-1] or func}[{label}]"
    n = sum(1 for c in CASES if c.id.startswith(cid))
    CASES.append(Case(id=cid if not n else f"{cid}#{n + 1}", func=func, label=label, call=call, expect=expect, **kw))


def sweep(func, args: dict, param: str, values, *, pre=None, slow=False, method_of=None, needs=()):
    """One case per bad value of ``param``, the other arguments as in ``args`` (each a value or a ctx -> value maker)."""
    for label, make, expect in values:
        def call(ctx, make=make):
            if method_of is not None:
                obj = method_of(ctx)
                fn = getattr(obj, func.split(".")[-1], None)
                if fn is None:
                    raise NotAvailable(func)
            else:
                fn = resolve(func, *needs, *[k for k in (*args, param) if not k.startswith("_")])
            kwargs = {k: (v(ctx) if callable(v) and getattr(v, "_ctx", False) else v) for k, v in args.items()}
            kwargs[param] = make(ctx)
            pos = [kwargs.pop(k) for k in list(kwargs) if k.startswith("_")]
            return fn(*pos, **kwargs)
        add(func, f"{param}={label}", call, expect, slow=slow)


def C(f):
    """Mark a maker that needs the context."""
    f._ctx = True
    return f


def _lab(name):
    return f"ai_pm_lab:{name}"


def build_cases() -> list[Case]:
    CASES.clear()
    pipe = C(lambda c: c.pipeline())

    # --- the model ---------------------------------------------------------------------------------------------------
    sweep(_lab("generate"), {"max_tokens": 4, "backend": "local"}, "prompt", bad_text(huge_ok=False), slow=True)
    sweep(_lab("generate"), {"prompt": "hi", "max_tokens": 4, "backend": "local"}, "temperature",
          bad_number() + [("3.5 (too hot)", lambda c: 3.5, "error")])
    sweep(_lab("generate"), {"prompt": "hi", "backend": "local"}, "max_tokens", bad_number(zero_bad=True, int_only=True))
    sweep(_lab("generate"), {"prompt": "hi", "max_tokens": 4}, "backend", bad_name("lcoal")[1:])
    sweep(_lab("generate"), {"prompt": "hi", "max_tokens": 4, "backend": "openai"}, "model", bad_name("gpt-4o-mni")[1:])
    sweep(_lab("generate"), {"prompt": "hi", "max_tokens": 4, "backend": "local"}, "system",
          [(lbl, mk, ex) for lbl, mk, ex in bad_text() if lbl in ("int 42", "bytes", "lone surrogate", "list ['a']")])
    sweep(_lab("generate"), {"prompt": "hi", "max_tokens": 4, "backend": "local"}, "history",
          [("str", lambda c: "hello", "error"), ("int", lambda c: 3, "error"), ("list of str", lambda c: ["hi"], "error"),
           ("dict", lambda c: {"role": "user"}, "error")])
    sweep(_lab("generate"), {"prompt": "hi", "max_tokens": 4, "backend": "local"}, "seed",
          [("-1", lambda c: -1, "error"), ("str", lambda c: "1", "error"), ("NaN", lambda c: NAN, "error"),
           ("2.5", lambda c: 2.5, "error")])

    sweep(_lab("count_tokens"), {}, "text", blank_ok(bad_text(huge_ok=True)), slow=True)
    sweep(_lab("count_tokens"), {"text": "hello"}, "backend", bad_name("opneai")[1:])
    # with a backend given, an id that is not close to a table id is a compatible server's own model (counted on
    # that backend's tokenizer): only the typo must be refused
    sweep(_lab("count_tokens"), {"text": "hello", "backend": "openai"}, "model",
          [(lbl, mk, "ok" if lbl == "emoji name" else ex) for lbl, mk, ex in bad_name("gpt-4o-mni")[1:]])
    sweep(_lab("token_pieces"), {}, "text", blank_ok(bad_text(huge_ok=True)), slow=True)
    sweep(_lab("compare_tokenizers"), {}, "text", blank_ok(bad_text(huge_ok=True)), slow=True)
    sweep("ai_pm_lab.llm.next_token:next_token_distribution", {}, "prompt", bad_text(), slow=True)
    sweep(_lab("estimate_cost"), {"prompt_tokens": 100, "completion_tokens": 10}, "model_id", bad_name("gpt-4o-mni"))
    sweep(_lab("estimate_cost"), {"model_id": C(lambda c: resolve(_lab("default_model"))("openai")), "completion_tokens": 10},
          "prompt_tokens", bad_number(int_only=True))
    sweep(_lab("estimate_cost"), {"model_id": C(lambda c: resolve(_lab("default_model"))("openai")), "prompt_tokens": 10},
          "completion_tokens", bad_number(int_only=True))
    sweep(_lab("model_info"), {}, "model_id", bad_name("gpt-4o-mni"))
    sweep(_lab("default_model"), {}, "provider", bad_name("opena1"))
    sweep(_lab("price_table"), {}, "on",
          [("'2025-01-01' (ISO string)", lambda c: "2025-01-01", "ok"), ("'2024-13-45'", lambda c: "2024-13-45", "error"),
           ("int 2025", lambda c: 2025, "error"), ("'tomorrow'", lambda c: "tomorrow", "error"),
           ("NaN", lambda c: NAN, "error")])
    sweep(_lab("set_spend_cap"), {}, "usd", bad_number(low_bad=True)[1:])  # None removes the cap
    sweep(_lab("get_backend"), {}, "backend", bad_name("anthropc")[1:])
    sweep(_lab("describe_backend"), {}, "backend", bad_name("gemni")[1:])

    # --- documents and retrieval ---------------------------------------------------------------------------------------
    sweep("ai_pm_lab.rag.documents:load_folder", {}, "folder", bad_folder() + [
        ("50 MB text file", lambda c: c.path("big_folder"), "ok"),
        ("front matter date 2024-13-45", lambda c: c.path("bad_date"), "ok")])
    sweep("ai_pm_lab.rag.documents:read_document", {}, "path", bad_file())
    sweep("ai_pm_lab.rag:RAGPipeline", {"progress": False}, "_folder",
          [v for v in bad_folder(none_ok=True) if v[0] not in ("None",)], slow=True)
    sweep("ai_pm_lab.rag:RAGPipeline", {"progress": False}, "chunk_size", bad_number(zero_bad=True, int_only=True))
    sweep("ai_pm_lab.rag:RAGPipeline", {"progress": False}, "overlap",
          bad_number(int_only=True) + [("bigger than chunk_size", lambda c: 500, "error")])
    sweep("ai_pm_lab.rag:RAGPipeline", {"progress": False}, "unit", bad_name("wrods")[1:])
    sweep("ai_pm_lab.rag:RAGPipeline", {"progress": False}, "index", bad_name("exat")[1:])
    sweep("ai_pm_lab.rag:RAGPipeline", {"progress": False}, "threshold",
          bad_number(low_bad=False) + [("1.5", lambda c: 1.5, "error")])  # cosine similarity: -1 is a valid floor
    retr = "ai_pm_lab.rag.pipeline:RAGPipeline.retrieve"
    sweep(retr, {}, "question", bad_text(), method_of=lambda c: c.pipeline(), slow=True)
    sweep(retr, {"question": "refund?"}, "top_k", bad_number(zero_bad=True, int_only=True)[1:],  # None: the usual 3
          method_of=lambda c: c.pipeline(), slow=True)
    sweep(retr, {"question": "refund?"}, "threshold", bad_number(low_bad=False)[1:] + [("1.5", lambda c: 1.5, "error")],
          method_of=lambda c: c.pipeline(), slow=True)
    sweep("ai_pm_lab.rag.pipeline:RAGPipeline.search_only", {}, "question", bad_text()[:7],
          method_of=lambda c: c.pipeline(), slow=True)
    sweep("ai_pm_lab.rag.pipeline:RAGPipeline.answer", {"generate": False}, "question", bad_text()[:7],
          method_of=lambda c: c.pipeline(), slow=True)
    sweep("ai_pm_lab.rag.pipeline:RAGPipeline.answer", {"question": "refund?", "generate": False}, "template",
          [("None", lambda c: None, "error"), ("typo 'gronded'", lambda c: "gronded", "error"), ("int", lambda c: 3, "error")],
          method_of=lambda c: c.pipeline(), slow=True)
    sweep("ai_pm_lab.rag.pipeline:RAGPipeline.build_prompt", {"question": "How do refunds work?"}, "hits",
          [("None", lambda c: None, "error"), ("str 'text'", lambda c: "text", "error"), ("int", lambda c: 3, "error"),
           ("list of str", lambda c: ["a", "b"], "error")], method_of=lambda c: c.pipeline(), slow=True)
    sweep("ai_pm_lab.rag.pipeline:RAGPipeline.build_prompt", {"hits": C(lambda c: c.hits())}, "question", bad_text()[:7],
          method_of=lambda c: c.pipeline(), slow=True)
    sweep("ai_pm_lab.rag:load_eval", {}, "path", bad_file()[1:9])  # None: the bundled set
    sweep("ai_pm_lab.rag.log:EventLog", {}, "path", [("int", lambda c: 5, "error"), ("a folder", lambda c: c.path("empty_dir"), "error"),
                                                    ("lone surrogate", lambda c: c.path("log\ud800.jsonl"), "error")])
    sweep("ai_pm_lab.embeddings:embed", {}, "texts",
          [("None", lambda c: None, "error"), ("int", lambda c: 5, "error"), ("empty list", lambda c: [], "ok"),
           ("[None]", lambda c: [None], "error"), ("lone surrogate", lambda c: [SURROGATE], "error"),
           ("[42]", lambda c: [42], "error")], slow=True)

    # --- evaluation, framing, operations -----------------------------------------------------------------------------
    sweep("ai_pm_lab.evaluation.classification:classification_scores", {"y_true": ["a", "b"]}, "y_pred",
          [("None", lambda c: None, "error"), ("str", lambda c: "ab", "error"), ("length mismatch", lambda c: ["a"], "error"),
           ("empty", lambda c: [], "error"), ("[nan, nan]", lambda c: [NAN, NAN], "error")])
    sweep("ai_pm_lab.evaluation.classification:classification_scores", {"y_pred": ["a", "b"]}, "y_true",
          [("None", lambda c: None, "error"), ("int", lambda c: 3, "error")])
    sweep("ai_pm_lab.evaluation.retrieval:suggest_threshold", {"unanswerable_scores": [0.1, 0.2]}, "answerable_scores",
          bad_flags())
    sweep("ai_pm_lab.evaluation.retrieval:evaluate_retrieval", {"_pipeline": pipe}, "rows",
          [("None", lambda c: None, "error"), ("str", lambda c: "rows", "error"), ("empty list", lambda c: [], "error"),
           ("[{}]", lambda c: [{}], "error")], slow=True)
    sweep("ai_pm_lab.evaluation.rag_eval:summarize_answers", {}, "df", bad_table())
    sweep("ai_pm_lab.evaluation.judge:validate_judge", {}, "judged", bad_table())
    sweep("ai_pm_lab.evaluation.stats:rate", {}, "flags", bad_flags())
    sweep("ai_pm_lab.evaluation.stats:rate", {"flags": [1, 0, 1]}, "confidence", bad_number() + [("1.5", lambda c: 1.5, "error")])
    sweep("ai_pm_lab.evaluation.stats:sample_size_for_margin", {}, "margin", bad_number(zero_bad=True))
    sweep("ai_pm_lab.evaluation.stats:sample_size_for_margin", {}, "expected_rate", bad_number() + [("2", lambda c: 2, "error")])
    sweep("ai_pm_lab.evaluation.stats:threshold_sweep", {"scores": [0.1, 0.9]}, "y_true", bad_flags())
    sweep("ai_pm_lab.evaluation.stats:simulate_users", {"outcomes": [1, 0, 1]}, "n_users", bad_number(zero_bad=True, int_only=True))
    guard = "ai_pm_lab.framing.canvas:guardrail"
    for label, value in [("NaN", NAN), ("inf", INF), ("None", None), ("str 'five'", "five")]:
        add(guard, f"limit={label} then validate()", lambda c, v=value: resolve(guard)("error rate", v).validate(), "error",
            issue23=label == "NaN")
    add(guard, "measured NaN against a guardrail",
        lambda c: resolve("ai_pm_lab.framing.canvas:SuccessCriteria")([resolve(guard)("error rate", 0.05)]).evaluate(
            {"error rate": NAN}), "pred", pred=lambda r: not getattr(r, "passed", True), issue23=True)
    add(guard, "measured None against a guardrail",
        lambda c: resolve("ai_pm_lab.framing.canvas:SuccessCriteria")([resolve(guard)("error rate", 0.05)]).evaluate(
            {"error rate": None}), "pred", pred=lambda r: not getattr(r, "passed", True), issue23=True)
    add(guard, "guardrail metric missing from measured",
        lambda c: resolve("ai_pm_lab.framing.canvas:SuccessCriteria")([resolve(guard)("error rate", 0.05)]).evaluate({}),
        "pred", pred=lambda r: not getattr(r, "passed", True))
    succ = "ai_pm_lab.framing.canvas:success"
    for label, value in [("NaN", NAN), ("None", None), ("str", "high")]:
        add(succ, f"target={label} then validate()", lambda c, v=value: resolve(succ)("F1", 0.5, v).validate(), "error")
    add("ai_pm_lab.framing.canvas:SuccessCriteria", "criteria=None", lambda c: resolve("ai_pm_lab.framing.canvas:SuccessCriteria")(None))
    add("ai_pm_lab.framing.canvas:SuccessCriteria", "criteria=str",
        lambda c: resolve("ai_pm_lab.framing.canvas:SuccessCriteria")("F1 > 0.8").validate())
    sweep("ai_pm_lab.framing.data_strategy:plan_data_strategy", {"weeks": 4}, "labelled_examples", bad_number(int_only=True))
    sweep("ai_pm_lab.framing.data_strategy:plan_data_strategy", {"labelled_examples": 100}, "weeks", bad_number())
    sweep("ai_pm_lab.framing.ml_engineers:load_scenario", {}, "name",
          [("None", lambda c: None, "error"), ("typo", lambda c: "framing/scenario_tiket_router.json", "error"),
           ("int", lambda c: 3, "error"), ("''", lambda c: "", "error")])
    sweep("ai_pm_lab.framing.product_thinking:compare_plans", {}, "horizon_weeks", bad_number(zero_bad=True))
    sweep("ai_pm_lab.framing.product_thinking:compare_plans", {}, "overrides",
          [("str", lambda c: "fast", "error"), ("list", lambda c: [1], "error"), ("unknown key", lambda c: {"nope": 1}, "error"),
           ("NaN value", lambda c: {"weekly_tickets": NAN}, "error")])
    sweep("ai_pm_lab.framing.product_thinking:compare_plans", {}, "model", bad_name("gpt-4o-mni")[1:])
    sweep("ai_pm_lab.budget:Traffic", {"input_tokens": 500, "output_tokens": 100}, "queries_per_day", bad_number())
    sweep("ai_pm_lab.budget:Traffic", {"queries_per_day": 1000, "output_tokens": 100}, "input_tokens", bad_number(int_only=True))
    sweep("ai_pm_lab.budget:Traffic", {"queries_per_day": 1000, "input_tokens": 500, "output_tokens": 100},
          "response_cache_hit_rate", bad_number() + [("1.5", lambda c: 1.5, "error")])
    sweep("ai_pm_lab.budget:cost_table", {}, "traffic", [("None", lambda c: None, "error"), ("dict", lambda c: {"q": 1}, "error"),
                                                       ("int", lambda c: 1000, "error")])
    sweep("ai_pm_lab.builds:classify_tickets", {"progress": False}, "method", bad_name("keywrd")[1:])
    sweep("ai_pm_lab.builds:classify_tickets", {"method": "keywords", "progress": False}, "limit",
          bad_number(zero_bad=True, int_only=True)[1:])  # None: every ticket
    sweep("ai_pm_lab.limits.context:make_document", {}, "n_tokens", bad_number(int_only=True), slow=True)  # 0: the fact alone
    sweep("ai_pm_lab.limits.context:make_document", {"n_tokens": 200}, "position",
          bad_number() + [("1.5", lambda c: 1.5, "error")], slow=True)
    sweep("ai_pm_lab.limits.context:make_document", {"n_tokens": 200}, "fact",
          [v for v in bad_text() if v[0] in ("int 42", "lone surrogate", "bytes")], slow=True)
    sweep("ai_pm_lab.limits.hallucination:rates_by_mode", {}, "grid", bad_table())
    sweep("ai_pm_lab.operations.traffic:simulate_day", {}, "n_requests", bad_number(zero_bad=True, int_only=True)[1:])
    sweep("ai_pm_lab.operations.traffic:simulate_day", {"n_requests": 50}, "day",
          [("'2024-13-45'", lambda c: "2024-13-45", "error"), ("int", lambda c: 20260302, "error"), ("''", lambda c: "", "error")])
    sweep("ai_pm_lab.operations.traffic:simulate_day", {"n_requests": 50}, "shift",
          [("str", lambda c: "afternoon", "error"), ("dict", lambda c: {"share": 0.3}, "error")])
    sweep("ai_pm_lab.operations.traffic:Shift", {}, "share", bad_number() + [("1.5", lambda c: 1.5, "error")])
    sweep("ai_pm_lab.operations.traffic:Shift", {}, "start_hour", bad_number() + [("25", lambda c: 25, "error")])
    sweep("ai_pm_lab.operations.traffic:Shift", {}, "kind", bad_name("new_prodct"))
    sweep("ai_pm_lab.operations.drift:pick_threshold", {"signal": "psi_score"}, "null", bad_table())
    sweep("ai_pm_lab.operations.drift:pick_threshold", {"null": C(lambda c: importlib.import_module("pandas").DataFrame(
        {"psi_score": [0.1, 0.2, 0.3]})), "signal": "psi_score"}, "max_false_alarm", bad_number() + [("1.5", lambda c: 1.5, "error")])
    sweep("ai_pm_lab.operations.drift:pick_threshold", {"null": C(lambda c: importlib.import_module("pandas").DataFrame(
        {"psi_score": [0.1, 0.2, 0.3]}))}, "signal", bad_name("psi_scor"))
    sweep("ai_pm_lab.responsibility.pii:evaluate", {}, "data",
          [("str", lambda c: "call me on 555", "error"), ("int", lambda c: 3, "error"), ("empty list", lambda c: [], "error"),
           ("empty DataFrame", lambda c: importlib.import_module("pandas").DataFrame(), "error")])
    sweep("ai_pm_lab.responsibility.pii:evaluate", {}, "regions",
          [("None", lambda c: None, "error"), ("str 'US'", lambda c: "US", "error"), ("typo ('UK',)", lambda c: ("UK",), "error"),
           ("int", lambda c: 1, "error")])
    sweep("ai_pm_lab.responsibility.bias:audit", {"progress": False}, "share",  # a bad share that is not refused runs
          [v for v in bad_number() if v[0] in ("None", "NaN")] + [("2", lambda c: 2, "error")])  # the model: 3 cases
    sweep("ai_pm_lab.platforms.tradeoffs:sample_questions", {}, "n_answerable", bad_number(int_only=True))
    sweep("ai_pm_lab.platforms.tradeoffs:readable", {}, "table", bad_table())
    sweep("ai_pm_lab.decision_tree:recommend", {}, "_x", [("positional str", lambda c: "yes", "error")])
    for label, kw in [("unknown answer name", {"has_dta": True}), ("str for bool", {"has_data": "yes"}),
                      ("None for bool", {"has_data": None}), ("NaN for bool", {"has_data": NAN})]:
        add("ai_pm_lab.decision_tree:recommend", label, lambda c, kw=kw: resolve("ai_pm_lab.decision_tree:recommend")(**kw))
    sweep("ai_pm_lab.text:normalise", {}, "text", blank_ok(bad_text(huge_ok=True)[:8]))
    sweep("ai_pm_lab.rag.conflicts:rule_scores", {}, "cases", bad_table())
    sweep("ai_pm_lab.settings:output_dir", {}, "subfolder",
          [("int", lambda c: 3, "error"), ("'../../etc'", lambda c: "../../etc", "error"),
           ("lone surrogate", lambda c: "x\ud800", "error")])

    # --- capstone (questions.csv variants, folders) --------------------------------------------------------------------
    open_project = "ai_pm_lab.capstone:open_project"
    q_ok = "question,answer,source,count\nHow long do refunds take?,five working days,refund-policy.txt,3\n"
    variants = [
        ("CP1252", q_ok.replace("take?", "take \u2013 caf\u00e9?").encode("cp1252"), "ok"),
        ("UTF-16", q_ok.encode("utf-16"), "ok"),
        ("UTF-8 BOM", q_ok.encode("utf-8-sig"), "ok"),
        ("semicolons", q_ok.replace(",", ";").encode(), "ok"),
        ("tabs", q_ok.replace(",", "\t").encode(), "ok"),
        ("extra fields", (q_ok.rstrip("\n") + ",surplus,more\n").encode(), "error"),
        ("count inf", q_ok.replace(",3\n", ",inf\n").encode(), "error"),
        ("count NaN", q_ok.replace(",3\n", ",nan\n").encode(), "error"),
        ("count -2", q_ok.replace(",3\n", ",-2\n").encode(), "error"),
        ("huge count", q_ok.replace(",3\n", ",99999999999\n").encode(), "error"),
        ("unclosed quote", q_ok.replace("How", '"How').encode(), "error"),
        ("duplicate header", q_ok.replace("count", "question").encode(), "error"),
        ("missing question column", b"q,a\nHow?,yes\n", "error"),
        ("unknown source", q_ok.replace("refund-policy.txt", "nope.txt").encode(), "error"),
        ("empty file", b"", "error"),
        ("header only", b"question,answer,source,count\n", "error"),
        ("binary", bytes(range(256)) * 8, "error"),
    ]
    for label, raw, expect in variants:
        add(open_project, f"questions.csv {label}", lambda c, label=label, raw=raw: resolve(open_project)(
            c.questions_folder(label.replace(" ", "_"), raw)), expect, issue23=True, slow=True)
    sweep(open_project, {}, "folder", [v for v in bad_folder(none_ok=True) if v[0] != "None"], slow=True)
    sweep("ai_pm_lab.capstone:preview_folder", {}, "folder", bad_folder()[:8], slow=True)

    # --- exercise checks with missing data ---------------------------------------------------------------------------
    for week, names in EXERCISE_CHECKS.items():
        mod = f"ai_pm_lab.checks.{week}"
        for name in names:
            for fill, label in [(None, "every argument None"), (NAN, "every argument NaN")]:
                def call(c, target=f"{mod}:{name}", fill=fill):
                    fn = resolve(target)
                    params = [p for p in inspect.signature(fn).parameters.values()
                              if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
                    pos = [fill for p in params if p.kind != p.KEYWORD_ONLY]
                    kw = {p.name: fill for p in params if p.kind == p.KEYWORD_ONLY}
                    with contextlib.redirect_stdout(io.StringIO()):
                        return fn(*pos, **kw)
                add(f"{mod}:{name}", label, call, "check", issue23=fill is None)

    # --- the rest of the careless-learner list ---------------------------------------------------------------------------------
    add(_lab("count_tokens"), "model typo 'gpt-4o-mni'", lambda c: resolve(_lab("count_tokens"))("hello", model="gpt-4o-mni"),
        issue23=True)
    add(_lab("count_tokens"), "1M+ chars with backend='openai'",
        lambda c: resolve(_lab("count_tokens"))("refund " * 200_000, backend="openai"), "pred",
        pred=lambda r: isinstance(r, int) and r > 100_000, issue23=True, slow=True)
    add(_lab("price_table"), "on='2025-01-01'", lambda c: resolve(_lab("price_table"))(on="2025-01-01"), "pred",
        pred=lambda r: len(r) > 0, issue23=True)
    add(_lab("generate"), "lone surrogate prompt", lambda c: resolve(_lab("generate"))("hi \ud800", backend="local",
                                                                                     max_tokens=4), issue23=True)
    add(_lab("count_tokens"), "lone surrogate text", lambda c: resolve(_lab("count_tokens"))("hi \ud800"), issue23=True)
    add("ai_pm_lab.llm.next_token:next_token_distribution", "lone surrogate prompt",
        lambda c: resolve("ai_pm_lab.llm.next_token:next_token_distribution")("hi \ud800"), issue23=True, slow=True)
    add("ai_pm_lab.rag.pipeline:RAGPipeline.retrieve", "lone surrogate question",
        lambda c: c.pipeline().retrieve("refund \ud800"), issue23=True, slow=True)
    add("ai_pm_lab.rag.pipeline:RAGPipeline.build_prompt", "hits=None",
        lambda c: c.pipeline().build_prompt("How do refunds work?", None), issue23=True, slow=True)
    add("ai_pm_lab.rag.pipeline:RAGPipeline.build_prompt", "hits='text'",
        lambda c: c.pipeline().build_prompt("How do refunds work?", "text"), issue23=True, slow=True)
    add("ai_pm_lab.rag.pipeline:RAGPipeline.answer", "answer(q) on a one-chunk folder",
        lambda c: c.pipeline(c.path("one_chunk")).answer("How long do refunds take?", max_tokens=8), "ok",
        issue23=True, slow=True, timeout=60)
    add("ai_pm_lab.rag.documents:load_folder", "empty-string folder ''",
        lambda c: resolve("ai_pm_lab.rag.documents:load_folder")(""), issue23=True)
    add("ai_pm_lab.rag:RAGPipeline", "empty-string folder ''", lambda c: resolve("ai_pm_lab.rag:RAGPipeline")(""),
        issue23=True, slow=True)
    add("ai_pm_lab.rag.documents:load_folder", "front matter date 2024-13-45",
        lambda c: resolve("ai_pm_lab.rag.documents:load_folder")(c.path("bad_date")), "pred",
        pred=lambda r: all("2024-13-45" not in str(getattr(d, "date", "")) for d in getattr(r, "documents", [])) and (
            not hasattr(r, "date_notes") or len(r.date_notes()) > 0), issue23=True)
    add(_lab("generate"), "no key, backend='openai': no network",
        lambda c: _without_keys(lambda: resolve(_lab("generate"))("hi", backend="openai", max_tokens=4)), issue23=True)
    add(_lab("generate"), "no key, backend='anthropic': no network",
        lambda c: _without_keys(lambda: resolve(_lab("generate"))("hi", backend="anthropic", max_tokens=4)))
    add(_lab("set_spend_cap"), "spend cap under 16 concurrent calls", _spend_cap_concurrency, "pred",
        pred=lambda r: r["spent"] <= r["cap"] + 1e-12, issue23=True, slow=True, timeout=60)
    return list(CASES)


def _without_keys(fn):
    saved = {k: os.environ.pop(k) for k in list(FAKE_KEYS) if k in os.environ}
    with contextlib.suppress(Exception):
        importlib.import_module("ai_pm_lab.llm.backends").reset_backends()
    try:
        return fn()
    finally:
        os.environ.update(saved)
        with contextlib.suppress(Exception):
            importlib.import_module("ai_pm_lab.llm.backends").reset_backends()


def _spend_cap_concurrency(ctx):
    """16 threads at once against a loopback fake provider, a cap with room for about three calls: spent <= cap?"""
    import threading

    lab = importlib.import_module("ai_pm_lab")
    fp = resolve("ai_pm_lab.testing.fake_provider:FakeProvider")
    try:
        server = fp(latency_s=0.1)
    except TypeError:
        server = fp()
    server.start()
    saved = dict(os.environ)
    try:
        os.environ["OPENAI_BASE_URL"] = server.openai_base_url
        os.environ["AI_PM_LAB_BACKEND"] = "openai"
        importlib.import_module("ai_pm_lab.llm.backends").reset_backends()
        model = lab.default_model("openai")
        one = lab.estimate_cost(model, 40, 40)
        cap = 3.5 * one
        tracker = lab.set_spend_cap(cap)
        barrier = threading.Barrier(16)

        def call():
            barrier.wait()
            with contextlib.suppress(Exception):
                lab.generate("Name two risks of launching an AI feature", backend="openai", model=model, max_tokens=40,
                             temperature=0)
        threads = [threading.Thread(target=call) for _ in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        return {"spent": tracker.spent_usd, "cap": cap}
    finally:
        lab.set_spend_cap(None)
        os.environ.clear()
        os.environ.update(saved)
        importlib.import_module("ai_pm_lab.llm.backends").reset_backends()
        server.stop()


# --------------------------------------------------------------------------------------------------------------------
# running and classifying


def _is_clear_error(exc: BaseException) -> bool:
    try:
        errors = importlib.import_module("ai_pm_lab.errors")
        course = isinstance(exc, errors.CourseError)
    except ImportError:
        course = False
    own = isinstance(exc, (ValueError, TypeError)) and type(exc).__module__.startswith("ai_pm_lab")
    msg = str(exc)
    no_path = "site-packages" not in msg and "/lib/python" not in msg and ".py\"" not in msg
    return (course or own) and len(msg) >= 20 and no_path


def _check_passed(result):
    if isinstance(result, bool):
        return result
    return bool(getattr(result, "passed", False))


def classify(case: Case, kind: str, value) -> tuple[str, str]:
    """(class, detail) for one outcome: kind is 'raise' (value: the exception), 'return' (value: the result),
    'timeout' or 'n/a'."""
    if kind == "n/a":
        return "n/a", str(value)[:200]
    if kind == "timeout":
        return "silent/hang", f"no answer within {case.timeout:.0f} s"
    if kind == "raise":
        exc = value
        detail = f"{type(exc).__module__}.{type(exc).__name__}: {str(exc)[:300]}"
        if case.expect == "check":  # checks print feedback and never raise
            return "raw", detail
        if _is_clear_error(exc):
            return "clear", detail
        bare = type(exc) in (ValueError, TypeError) and len(str(exc)) >= 20
        return "raw", ("[bare] " if bare else "") + detail
    detail = f"returned {type(value).__name__}"
    if case.expect == "error":
        return "silent/hang", detail
    if case.expect == "check":
        return ("silent/hang", detail + " (PASS)") if _check_passed(value) else ("clear", detail + " (not passed)")
    if case.expect == "pred":
        try:
            ok = bool(case.pred(value))
        except Exception as exc:  # noqa: BLE001 - a result the predicate cannot read is not handled
            ok, detail = False, detail + f" (unreadable: {exc!r})"
        return ("clear" if ok else "silent/hang"), detail + ("" if ok else f" (wrong: {str(value)[:120]!r})")
    return "clear", detail  # "ok": a valid-but-odd input answered


def _alarm(signum, frame):
    raise CaseTimeout()


def run_case(case: Case, ctx: Context, *, net_log: Path | None = None) -> dict:
    """Run one case in this process (with an alarm for its time limit); returns the row for the CSV."""
    out, err = io.StringIO(), io.StringIO()
    before = net_log.stat().st_size if net_log and net_log.exists() else 0
    use_alarm = hasattr(signal, "SIGALRM") and _main_thread()
    if use_alarm:
        old = signal.signal(signal.SIGALRM, _alarm)
        signal.setitimer(signal.ITIMER_REAL, case.timeout)
    start = time.perf_counter()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            value = case.call(ctx)
        kind = "return"
    except NotAvailable as exc:
        kind, value = "n/a", exc
    except CaseTimeout:
        kind, value = "timeout", None
    except Exception as exc:  # noqa: BLE001 - classifying every exception is the point
        kind, value = "raise", exc
    finally:
        if use_alarm:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, old)
    elapsed = time.perf_counter() - start
    cls, detail = classify(case, kind, value)
    text = out.getvalue() + err.getvalue() + detail
    with contextlib.suppress(Exception):
        text += repr(value)[:20_000] if kind == "return" else ""
    if kind == "raise":
        text += "".join(traceback.format_exception(value))[-5000:]
    leaked = [k for k, v in FAKE_KEYS.items() if v in text]
    net = ""
    if net_log and net_log.exists() and net_log.stat().st_size > before:
        with open(net_log, encoding="utf-8") as fh:
            fh.seek(before)
            net = " | ".join(line.strip() for line in fh if line.strip())[:300]
    return {"id": case.id, "function": case.func, "input": case.label, "expect": case.expect, "class": cls,
            "detail": detail.replace("\n", " ")[:400], "seconds": round(elapsed, 2), "issue23": case.issue23,
            "key_leaked": ",".join(leaked), "network": net}


def _main_thread() -> bool:
    import threading
    return threading.current_thread() is threading.main_thread()


def worker(root: str, start: int, net_log: str | None) -> None:
    """Child process: run cases from ``start`` in order, one JSON line each on the real stdout."""
    real_out = os.fdopen(os.dup(1), "w", buffering=1)
    os.environ.update(FAKE_KEYS)
    import ai_pm_lab
    real_out.write(json.dumps({"package": ai_pm_lab.__file__}) + "\n")
    cases = build_cases()
    with tempfile.TemporaryDirectory(prefix="bad-input-sweep-") as tmp:
        ctx = Context(Path(tmp))
        os.chdir(tmp)
        for i in range(start, len(cases)):
            row = run_case(cases[i], ctx, net_log=Path(net_log) if net_log else None)
            row["index"] = i
            real_out.write(json.dumps(row) + "\n")
    real_out.write(json.dumps({"done": True}) + "\n")


def sweep_all(root: Path, *, limit_s: float = 900) -> tuple[list[dict], str]:
    """Run every case in child processes (restarting after a hang); returns (rows, the package file the child imported)."""
    sys.path.insert(0, str(root))  # the parent reads the same tree as the child (its offline guard)
    offline = importlib.import_module("ai_pm_lab.testing.offline")
    rows: dict[int, dict] = {}
    package = ""
    n_cases = len(build_cases())
    start, deadline = 0, time.monotonic() + limit_s
    with tempfile.TemporaryDirectory(prefix="bad-input-sweep-net-") as tmp:
        log = Path(tmp) / "blocked.log"
        log.touch()
        env = offline.offline_env(offline.write_blocker(Path(tmp) / "site"), log)
        env["PYTHONPATH"] = os.pathsep.join([str(root), env["PYTHONPATH"]])
        env.update(FAKE_KEYS)
        env["AI_PM_LAB_BACKEND"] = "local"
        env.setdefault("AI_PM_LAB_THREADS", "1")
        env["PYTHONUNBUFFERED"] = "1"
        env["TQDM_DISABLE"] = "1"
        cases = build_cases()
        while start < n_cases and time.monotonic() < deadline:
            cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", "--root", str(root), "--start", str(start),
                   "--net-log", str(log)]
            proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                                    cwd=tmp, start_new_session=True)
            current = start
            import selectors
            sel = selectors.DefaultSelector()
            sel.register(proc.stdout, selectors.EVENT_READ)
            case_started = time.monotonic()
            setup_grace = 120.0  # the first case of a child also builds the fixtures (a 50 MB file) and imports
            finished = False
            buf = ""
            while True:
                limit = cases[current].timeout + 20 + setup_grace if current < n_cases else 60
                if not sel.select(timeout=1.0):
                    if proc.poll() is not None:
                        break
                    if time.monotonic() - case_started > limit:
                        break
                    continue
                chunk = proc.stdout.readline()
                if not chunk:
                    break
                buf = chunk.strip()
                if not buf:
                    continue
                msg = json.loads(buf)
                if "package" in msg:
                    package = msg["package"]
                    continue
                if msg.get("done"):
                    finished = True
                    break
                rows[msg["index"]] = msg
                current = msg["index"] + 1
                case_started, setup_grace = time.monotonic(), 0.0
            sel.close()
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            if finished or current >= n_cases:
                break
            case = cases[current]
            cls, detail = classify(case, "timeout", None)
            code = proc.returncode
            rows[current] = {"id": case.id, "function": case.func, "input": case.label, "expect": case.expect,
                             "class": cls, "detail": detail if code in (None, -9) else f"worker died (exit {code})",
                             "seconds": None, "issue23": case.issue23, "key_leaked": "", "network": "", "index": current}
            start = current + 1
    return [rows[i] for i in sorted(rows)], package


def counts(rows: list[dict]) -> dict:
    out = {c: 0 for c in CLASSES}
    for r in rows:
        out[r["class"]] += 1
    out["total"] = len(rows)
    out["key_leaks"] = sum(1 for r in rows if r.get("key_leaked"))
    out["network_attempts"] = sum(1 for r in rows if r.get("network"))
    issue = [r for r in rows if str(r.get("issue23")) == "True"]
    out["issue23"] = {k: sum(1 for r in issue if r["class"] == k) for k in CLASSES}
    out["raw_bare_value_or_type_error"] = sum(1 for r in rows if r["class"] == "raw" and r["detail"].startswith("[bare]"))
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", default=str(HERE), help="the tree whose ai_pm_lab is measured (default: this checkout)")
    ap.add_argument("--json", action="store_true", help="print the counts as JSON")
    ap.add_argument("--csv", default=None, help="per-case CSV (default: build/bad_input_sweep.csv under this checkout)")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--start", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--net-log", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    root = Path(args.root).resolve()
    if args.worker:
        sys.path.insert(0, str(root))
        worker(str(root), args.start, args.net_log)
        return 0
    started = time.perf_counter()
    rows, package = sweep_all(root)
    path = Path(args.csv) if args.csv else HERE / "build" / "bad_input_sweep.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        fields = ["id", "function", "input", "expect", "class", "detail", "seconds", "issue23", "key_leaked", "network"]
        w = csv.DictWriter(fh, fieldnames=fields, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    c = counts(rows)
    c["package"] = package
    c["seconds"] = round(time.perf_counter() - started, 1)
    if args.json:
        print(json.dumps(c, indent=2))
    else:
        print(f"ai_pm_lab imported from {package}")
        print(" | ".join(f"{k}: {c[k]}" for k in (*CLASSES, "total", "key_leaks", "network_attempts")))
        print(f"(raw includes {c['raw_bare_value_or_type_error']} bare ValueError/TypeError with a fix-naming message; "
              f"issue-23 cases: {c['issue23']})")
        for r in rows:
            if r["class"] in ("raw", "silent/hang") or r.get("key_leaked") or r.get("network"):
                print(f"  {r['class']:<11} {r['id']}: {r['detail'][:160]}"
                      + (f" [KEY {r['key_leaked']}]" if r.get("key_leaked") else "")
                      + (f" [NET {r['network'][:80]}]" if r.get("network") else ""))
        print(f"per-case CSV: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
