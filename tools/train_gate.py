"""Train the shipped answerability gate on every bundled support base and write ai_pm_lab/data/rag/gate.json.

    .venv/bin/python tools/train_gate.py

Four bases (ai_pm_lab.rag.gate.BASES: Tidewell and three written separately in other domains and voices). The shipped
gate is fitted on the Tidewell training split (stratified 60/40, seed 0) plus every question of the other bases, its
cutoff chosen leave-one-base-out among them for at most MAX_FALSE_REFUSAL false refusals. Stored next to the weights:
its figures on the Tidewell held-out split (never used in training), and the leave-one-base-out figures of the whole
recipe (for each base: trained on the others only, tested on it)."""
from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ai_pm_lab.rag import RAGPipeline  # noqa: E402
from ai_pm_lab.rag import gate as G  # noqa: E402

OUT = ROOT / "ai_pm_lab" / "data" / "rag" / "gate.json"


def _rates(point: dict) -> dict:
    return {k: point[k].as_dict() for k in ("unanswerable_refused", "false_refusals")}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.parse_args(argv)
    signals = G.FAST_SIGNALS
    start = time.perf_counter()
    pipes = {name: RAGPipeline(G.base_folder(name), gate=None, progress=False) for name in G.BASES}
    table = G.base_signal_table(pipes, signals)
    per_q = (time.perf_counter() - start) / len(table)

    tidewell = G.base_questions(G.BUNDLED_BASE)
    train_rows, test_rows = G.held_out_split(tidewell)
    train_ids, test_ids = [r["id"] for r in train_rows], [r["id"] for r in test_rows]
    is_test = (table["base"] == G.BUNDLED_BASE) & table["id"].isin(test_ids)
    gate = G.Gate.fit_table(table[~is_test], signals=signals,
                            trained_on=f"questions from {len(G.BASES)} support bases (Tidewell training split + {', '.join(list(G.BASES)[1:])})")
    held = G.operating_point(table[is_test].answerable, gate.probability(table[is_test]), gate.cutoff)

    lobo = G.refusal_summary(G.leave_one_base_out(table, signals))
    out = gate.to_dict()
    out["measured"] = {
        "tidewell_held_out": _rates(held) | {"cutoff": held["cutoff"], "n": int(is_test.sum())},
        "leave_one_base_out": [{"base": r["base"], "answerable": r["answerable"], "unanswerable": r["unanswerable"],
                                "unanswerable_refused": r["unanswerable refused"].as_dict(),
                                "false_refusals": r["false refusals"].as_dict()} for _, r in lobo.iterrows()],
        "targets": {"unanswerable_refused_at_least": G.TARGET_REFUSED, "false_refusals_at_most": G.TARGET_FALSE_REFUSALS},
        "targets_met_leave_one_base_out": G.targets_met(lobo),
        "signal_seconds_per_question": round(per_q, 4),
    }
    print(repr(gate))
    print(f"Tidewell held-out ({int(is_test.sum())} questions): unanswerable refused {held['unanswerable_refused']}, "
          f"false refusals {held['false_refusals']}")
    print("leave-one-base-out:")
    print(lobo.to_string(index=False))
    doc = {"about": "Answerability gate for RAGPipeline, trained by tools/train_gate.py on the support bases in "
                    "ai_pm_lab.rag.gate.BASES (datasheet: docs/datasheet_kb.md).",
           "default": "fast", "trained": date.today().isoformat(),
           "split": {"base": G.BUNDLED_BASE, "test_size": 0.4, "seed": 0, "train_ids": train_ids, "test_ids": test_ids},
           "gates": {"fast": out}}
    OUT.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
