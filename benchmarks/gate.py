"""Answerability gate (week 5): leave-one-base-out over the bundled support bases (for each base, the whole recipe is
trained on the others and tested on it) with Wilson 95% CIs and the transfer targets, the shipped gate's Tidewell
held-out figures, and what its signals cost per question."""
from __future__ import annotations

import json
import time


def run() -> dict:
    from ai_pm_lab.datafiles import data_text
    from ai_pm_lab.rag import RAGPipeline
    from ai_pm_lab.rag import gate as G

    doc = json.loads(data_text(G.GATE_FILE))
    gate = G.Gate.load()
    pipes = {name: RAGPipeline(G.base_folder(name), gate=None, progress=False) for name in G.BASES}
    start = time.perf_counter()
    table = G.base_signal_table(pipes, gate.signals, progress=False)
    per_q = (time.perf_counter() - start) / len(table) * 1000
    lobo = G.refusal_summary(G.leave_one_base_out(table, gate.signals))
    print(f"  {gate!r}")
    print(f"  leave-one-base-out over {len(pipes)} bases (trained on the others, cutoff chosen on them, tested on the base "
          f"left out); targets: ≥ {G.TARGET_REFUSED:.0%} of unanswerable refused, ≤ {G.TARGET_FALSE_REFUSALS:.0%} "
          "of answerable refused")
    print(f"  {'left-out base':<13} {'n ans/unans':>11}  {'unanswerable refused':<32} {'false refusals':<30} targets")
    for _, r in lobo.iterrows():
        ok = "met" if r["refused target met"] and r["false-refusal target met"] else "MISSED"
        print(f"  {r['base']:<13} {r['answerable']:>5}/{r['unanswerable']:<5}  {str(r['unanswerable refused']):<32} "
              f"{str(r['false refusals']):<30} {ok}")
    split = doc["split"]
    test = table[(table["base"] == split["base"]) & table["id"].isin(split["test_ids"])]
    held = G.operating_point(test.answerable, gate.probability(test), gate.cutoff)
    print(f"  shipped gate on the {len(test)} Tidewell held-out questions (never used in training), measured now:")
    print(f"    unanswerable refused: {held['unanswerable_refused']}")
    print(f"    answerable wrongly refused: {held['false_refusals']}")
    print(f"  signals cost {per_q:.1f} ms per question (embedding + search + term overlap; no model call)")
    targets = {}
    for _, r in lobo.iterrows():
        targets[f"{r['base']} left out: unanswerable refused ≥ {G.TARGET_REFUSED:.0%}"] = bool(r["refused target met"])
        targets[f"{r['base']} left out: false refusals ≤ {G.TARGET_FALSE_REFUSALS:.0%}"] = bool(r["false-refusal target met"])
    return targets
