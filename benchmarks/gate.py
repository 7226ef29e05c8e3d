"""Answerability gate (week 5): the shipped gate's held-out refusal / false-refusal figures with Wilson 95% CIs,
its nested cross-validated figures, and what its signals cost per question."""
from __future__ import annotations

import json
import time

TARGET_REFUSED = 0.50
TARGET_FALSE = 0.10


def run() -> dict:
    from ai_pm_lab.datafiles import data_text
    from ai_pm_lab.rag import RAGPipeline, load_eval
    from ai_pm_lab.rag import gate as G

    doc = json.loads(data_text(G.GATE_FILE))
    gate = G.Gate.load()
    rows = {r["id"]: r for r in load_eval()}
    test = [rows[i] for i in doc["split"]["test_ids"]]
    rag = RAGPipeline(gate=None, progress=False)
    start = time.perf_counter()
    table = G.signal_table(rag, test, gate.signals, progress=False)
    per_q = (time.perf_counter() - start) / len(test) * 1000
    point = G.operating_point(table.answerable, gate.probability(table), gate.cutoff)
    print(f"  {gate!r}")
    print(f"  held-out {len(test)} questions (never seen in training), measured now:")
    print(f"    unanswerable refused: {point['unanswerable_refused']}")
    print(f"    answerable wrongly refused: {point['false_refusals']}")
    cv = doc["gates"][doc["default"]]["measured"]["cross_validated"]
    for name, r in (("unanswerable refused", cv["unanswerable_refused"]), ("false refusals", cv["false_refusals"])):
        print(f"  nested 5-fold CV over all {len(rows)} (from tools/train_gate.py): {name} {r['rate']:.0%} "
              f"({r['k']}/{r['n']}; 95% CI {r['low']:.0%}–{r['high']:.0%})")
    print(f"  signals cost {per_q:.1f} ms per question (embedding + search + term overlap; no model call)")
    if "with_model" in doc["gates"]:
        m = doc["gates"]["with_model"]["measured"]
        print(f"  with the local model's yes/no signal (from training run): held-out unanswerable refused "
              f"{m['held_out']['unanswerable_refused']['rate']:.0%}, false refusals {m['held_out']['false_refusals']['rate']:.0%}, "
              f"{m['signal_seconds_per_question'] * 1000:.0f} ms per question")
    u, f = point["unanswerable_refused"], point["false_refusals"]
    return {f"held-out unanswerable refused ≥ {TARGET_REFUSED:.0%} (point estimate)": u.rate >= TARGET_REFUSED,
            f"held-out false refusals ≤ {TARGET_FALSE:.0%} (point estimate)": f.rate <= TARGET_FALSE}
