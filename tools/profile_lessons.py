"""Profile each lesson: which cells take the kernel's CPU time, and which model calls each cell makes.

    python tools/profile_lessons.py [notebooks/week02_*.ipynb ...] [--tree DIR] [--json OUT] [--markdown OUT]

Each lesson runs in a fresh kernel (nbclient, as nbval and benchmarks/lessons.py do) with AI_PM_LAB_THREADS=1, no
provider keys and a fresh temporary output folder (so any response or embedding cache starts empty). Before the
lesson's first cell the kernel loads the hooks below, which count, without changing anything:

- generations: every `LocalBackend._complete` call (and `_complete_many` batch item, where a backend has one) with its
  prompt and generated tokens, by call site (the innermost course function outside `llm/` and the harness);
- scoring passes: llama.cpp evaluations outside a generation (next-token distributions, confidence), with tokens;
- embeddings: texts sent to the sentence-embedding model (cache misses only).

Per cell it records the kernel's CPU seconds (all threads) and wall seconds. `--tree` runs another checkout (a git
worktree of an older commit): its notebooks, with PYTHONPATH pointing at its package.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# ---------------------------------------------------------------- in the kernel: the hooks (source sent to the kernel)
HOOKS = r'''
def _f4_install():
    import sys, threading, time, traceback
    from collections import defaultdict
    state = {"cell": None, "calls": [], "cells": {}}
    local = threading.local()
    skip = ("/ai_pm_lab/llm/", "/ai_pm_lab/evaluation/harness.py", "/ai_pm_lab/tables.py", "/tools/profile_lessons.py")
    hook_file = sys._getframe().f_code.co_filename

    def site():
        for frame in reversed(traceback.extract_stack()[:-2]):
            f = frame.filename.replace("\\", "/")
            if frame.filename == hook_file:
                continue
            if "/ai_pm_lab/" in f and not any(s in f for s in skip):
                return f.split("/ai_pm_lab/", 1)[1] + ":" + frame.name
            if f.startswith("<ipython-input") or "/ipykernel_" in f or f.startswith("/tmp/ipykernel"):
                return "cell"
        return "cell"

    def record(kind, prompt, generated, seconds, n=1, reused=0):
        state["calls"].append({"cell": state["cell"], "kind": kind, "site": site(), "n": n, "reused": int(reused),
                               "prompt": int(prompt), "generated": int(generated), "s": round(seconds, 4)})

    from ai_pm_lab.llm import local as L
    orig = L.LocalBackend._complete
    def _complete(self, messages, **kw):
        outer = getattr(local, "inside", 0)  # a batch of one runs _complete inside _complete_many: counted there
        local.inside = outer + 1
        t = time.perf_counter()
        try:
            raw = orig(self, messages, **kw)
        finally:
            local.inside -= 1
        try:  # prompt tokens taken from the previous prompt's evaluated start (exact prefix reuse)
            local.reused = L.llama().last_reuse[0]
        except Exception:
            local.reused = 0
        if not outer:
            record("generate", raw.prompt_tokens, raw.completion_tokens, time.perf_counter() - t, reused=local.reused)
        return raw
    L.LocalBackend._complete = _complete
    if hasattr(L.LocalBackend, "_complete_many"):
        orig_many = L.LocalBackend._complete_many
        def _complete_many(self, requests, *a, **kw):
            local.inside = getattr(local, "inside", 0) + 1
            t = time.perf_counter()
            try:
                out = orig_many(self, requests, *a, **kw)
            finally:
                local.inside -= 1
            dt = time.perf_counter() - t
            for r in out:
                if hasattr(r, "prompt_tokens"):  # a batch of one runs _complete, which notes its prefix reuse
                    record("generate", r.prompt_tokens, r.completion_tokens, dt / max(1, len(out)),
                           reused=getattr(local, "reused", 0) if len(out) == 1 else 0)
            return out
        L.LocalBackend._complete_many = _complete_many
    if hasattr(L, "ExactPrefixLlama") and hasattr(L.ExactPrefixLlama, "eval"):
        orig_eval = L.ExactPrefixLlama.eval
        def _eval(self, tokens):
            if getattr(local, "inside", 0):
                return orig_eval(self, tokens)
            t = time.perf_counter()
            out = orig_eval(self, tokens)
            record("score", len(tokens), 0, time.perf_counter() - t)
            return out
        L.ExactPrefixLlama.eval = _eval
    if hasattr(L, "ExactPrefixLlama") and hasattr(L.ExactPrefixLlama, "eval_rows"):  # a scoring pass over many rows
        orig_rows = L.ExactPrefixLlama.eval_rows
        def _eval_rows(self, tokens, first):
            t = time.perf_counter()
            out = orig_rows(self, tokens, first)
            record("score", len(tokens), 0, time.perf_counter() - t)
            return out
        L.ExactPrefixLlama.eval_rows = _eval_rows
    from ai_pm_lab import embeddings as E
    orig_run = E._run
    def _run(batch):
        t = time.perf_counter()
        out = orig_run(batch)
        record("embed", 0, 0, time.perf_counter() - t, n=len(batch))
        return out
    E._run = _run

    ip = get_ipython()
    def pre(info):
        src = info.raw_cell or ""
        if "_f4_" in src[:200]:
            state["cell"] = None
            return
        state["cell"] = len(state["cells"])
        state["cells"][state["cell"]] = {"first_line": next((l for l in src.splitlines() if l.strip()), "")[:70],
                                         "t": time.perf_counter(), "cpu": time.process_time()}
    def post(result):
        c = state["cell"]
        if c is None:
            return
        cell = state["cells"][c]
        cell["wall_s"] = round(time.perf_counter() - cell.pop("t"), 2)
        cell["cpu_s"] = round(time.process_time() - cell.pop("cpu"), 2)
        cell["error"] = None if result.success else type(result.error_in_exec or result.error_before_exec).__name__
    ip.events.register("pre_run_cell", pre)
    ip.events.register("post_run_cell", post)
    return state
_f4_state = _f4_install()
'''

DUMP = r'''
import json as _f4_json
with open({path!r}, "w") as _f4_fh:
    _f4_json.dump(_f4_state, _f4_fh)
'''


# ---------------------------------------------------------------- outside: run, collect, summarise
def profile_notebook(path: Path, tree: Path, timeout: int = 1800, output_dir: str | None = None) -> dict:
    """Run one lesson in a fresh kernel with the hooks; returns cells, calls, totals and the kernel's CPU/peak."""
    import nbformat
    from nbclient import NotebookClient

    sys.path.insert(0, str(ROOT))
    from benchmarks.lesson_memory import _proc_usage

    nb = nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory(prefix="f4prof-") as tmp:
        scratch = output_dir or tmp
        env = _learner_env(scratch, tree)
        saved = dict(os.environ)
        os.environ.clear()
        os.environ.update(env)
        try:
            client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                                    resources={"metadata": {"path": str(path.parent)}})
            start = time.perf_counter()
            client.reset_execution_trackers()
            with client.setup_kernel():
                pid = client.km.provisioner.process.pid
                hook = nbformat.v4.new_code_cell(HOOKS)
                client.execute_cell(hook, 0)
                errors = []
                for index, cell in enumerate(nb.cells):
                    if cell.cell_type != "code":
                        continue
                    try:
                        client.execute_cell(cell, index)
                    except Exception as exc:  # a failing cell is reported; the profile goes on
                        errors.append(f"cell {index}: {type(exc).__name__}")
                out = Path(tmp) / "profile.json"
                client.execute_cell(nbformat.v4.new_code_cell(DUMP.format(path=str(out))), 0)
                usage = _proc_usage(pid)
                state = json.loads(out.read_text())
            usage["wall_s"] = round(time.perf_counter() - start, 1)
        finally:
            os.environ.clear()
            os.environ.update(saved)
    code_cells = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    for k, cell in state["cells"].items():  # number cells as the notebook does (code cells only, from 1)
        cell["nb_index"] = code_cells[int(k)] if int(k) < len(code_cells) else None
    return {"lesson": path.name, "errors": errors, **usage, "cells": state["cells"], "calls": state["calls"]}


def _learner_env(scratch: str, tree: Path) -> dict:
    env = {k: v for k, v in os.environ.items()}
    sys.path.insert(0, str(ROOT))
    try:
        from ai_pm_lab.testing.offline import PROVIDER_VARS
    except ImportError:  # pragma: no cover
        PROVIDER_VARS = ()
    for name in PROVIDER_VARS:
        env.pop(name, None)
    env.update(AI_PM_LAB_OUTPUT_DIR=scratch, AI_PM_LAB_CACHE_DIR=str(Path(scratch) / "cache"), AI_PM_LAB_THREADS="1",
               MPLBACKEND="Agg")
    env.pop("AI_PM_LAB_EMBED_CACHE", None)
    if tree.resolve() != ROOT:
        env["PYTHONPATH"] = str(tree) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def summarise(result: dict, top: int = 4) -> dict:
    """Totals by kind and call site, and the heaviest cells."""
    sites: dict = {}
    for c in result["calls"]:
        key = (c["kind"], c["site"])
        s = sites.setdefault(key, {"kind": c["kind"], "site": c["site"], "calls": 0, "prompt": 0, "generated": 0, "s": 0.0,
                                   "cells": set()})
        s["calls"] += c["n"]
        s["prompt"] += c["prompt"]
        s["reused"] = s.get("reused", 0) + c.get("reused", 0)
        s["generated"] += c["generated"]
        s["s"] += c["s"]
        if c["cell"] is not None:
            s["cells"].add(int(c["cell"]) + 1)
    for s in sites.values():
        s["cells"] = sorted(s["cells"])
        s["s"] = round(s["s"], 1)
    gens = [c for c in result["calls"] if c["kind"] == "generate"]
    cells = sorted(result["cells"].items(), key=lambda kv: -kv[1].get("cpu_s", 0))
    return {
        "lesson": result["lesson"], "cpu_s": result.get("cpu_s"), "wall_s": result.get("wall_s"),
        "peak_rss_mib": result.get("peak_rss_mib"), "errors": result["errors"],
        "generations": len(gens), "prompt_tokens": sum(c["prompt"] for c in gens),
        "reused_tokens": sum(c.get("reused", 0) for c in gens),
        "generated_tokens": sum(c["generated"] for c in gens),
        "scored_tokens": sum(c["prompt"] for c in result["calls"] if c["kind"] == "score"),
        "embedded_texts": sum(c["n"] for c in result["calls"] if c["kind"] == "embed"),
        "sites": sorted(sites.values(), key=lambda s: -s["s"]),
        "top_cells": [{"cell": int(k) + 1, **v} for k, v in cells[:top]],
    }


def markdown(summaries: list[dict], title: str) -> str:
    """The per-lesson table, then each lesson's heaviest cells and call sites."""
    lines = [f"### {title}", "",
             "| lesson | kernel CPU-s | wall s | peak MiB | generations | prompt tok (reused) | generated tok | scored tok | embedded texts |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for s in summaries:
        lines.append(f"| {s['lesson']} | {s['cpu_s']:.0f} | {s['wall_s']:.0f} | {s['peak_rss_mib']:.0f} | {s['generations']} | "
                     f"{s['prompt_tokens']:,} ({s.get('reused_tokens', 0):,}) | {s['generated_tokens']:,} | {s['scored_tokens']:,} | {s['embedded_texts']:,} |")
    total = sum(s["cpu_s"] for s in summaries)
    lines += ["", f"Total kernel CPU: {total:.0f} s for {len(summaries)} lessons.", ""]
    for s in summaries:
        lines += [f"**{s['lesson']}**: heaviest cells (code cell number: CPU-s, first line)"]
        for c in s["top_cells"]:
            lines.append(f"- cell {c['cell']}: {c.get('cpu_s', 0):.1f} CPU-s, `{c['first_line'].replace('|', '/')}`")
        lines.append("")
        lines.append("| kind | call site | calls | prompt tok (reused) | generated tok | s inside | cells |")
        lines.append("|---|---|---:|---:|---:|---:|---|")
        for site in s["sites"][:8]:
            lines.append(f"| {site['kind']} | `{site['site']}` | {site['calls']} | {site['prompt']:,} ({site.get('reused', 0):,}) | {site['generated']:,} | "
                         f"{site['s']:.1f} | {','.join(map(str, site['cells']))} |")
        lines.append("")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="*", help="lesson names or paths (default: every notebooks/weekNN_*.ipynb)")
    parser.add_argument("--tree", default=str(ROOT), help="checkout whose lessons and package to run (default: this one)")
    parser.add_argument("--json", help="write the raw profile (cells and calls) here")
    parser.add_argument("--markdown", help="write the tables here")
    parser.add_argument("--title", default="Lesson profile")
    parser.add_argument("--output-dir", help="the lessons' output folder (default: a fresh empty one per lesson); "
                                             "run twice with the same folder to profile a warm second run")
    args = parser.parse_args(argv)
    tree = Path(args.tree).resolve()
    wanted = args.notebooks or sorted(p.name for p in (tree / "notebooks").glob("week[0-9][0-9]_*.ipynb"))
    results, summaries = [], []
    for name in wanted:
        path = tree / "notebooks" / Path(name).name
        r = profile_notebook(path, tree, output_dir=args.output_dir)
        s = summarise(r)
        results.append(r)
        summaries.append(s)
        print(f"{s['lesson']:<42} CPU {s['cpu_s']:6.1f} s  wall {s['wall_s']:6.1f} s  peak {s['peak_rss_mib']:6.0f} MiB  "
              f"gens {s['generations']:4d}  prompt {s['prompt_tokens']:7,d}  gen {s['generated_tokens']:6,d}  "
              f"scored {s['scored_tokens']:7,d}  embedded {s['embedded_texts']:5d}"
              + (f"  ERRORS {s['errors']}" if s["errors"] else ""), flush=True)
        if args.json:
            Path(args.json).write_text(json.dumps(results, indent=1))
        if args.markdown:
            Path(args.markdown).write_text(markdown(summaries, args.title))
    return 0


if __name__ == "__main__":
    sys.exit(main())
