"""Train the shipped answerability gate on the bundled eval set and write ai_pm_lab/data/rag/gate.json.

    .venv/bin/python tools/train_gate.py               # the fast gate (retrieval signals only)
    .venv/bin/python tools/train_gate.py --with-model  # also the gate that adds the local model's yes/no probability

A stratified 60/40 split (seed 0) of the 83 eval questions: the gate is fitted on the training part (its cutoff chosen
by cross-validation inside it, for at most 10% false refusals), then measured on the held-out part and by nested
cross-validation over all questions. Both sets of figures are stored next to the weights."""
from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ai_pm_lab.rag import RAGPipeline, load_eval  # noqa: E402
from ai_pm_lab.rag import gate as G  # noqa: E402

OUT = ROOT / "ai_pm_lab" / "data" / "rag" / "gate.json"


def _figures(point: dict) -> dict:
    return {k: point[k].as_dict() for k in ("unanswerable_refused", "false_refusals")} | {"cutoff": point["cutoff"]}


def train(signals, table, train_ids, test_ids, seconds_per_question: float) -> dict:
    train_t, test_t = table[table.id.isin(train_ids)], table[table.id.isin(test_ids)]
    gate = G.Gate.fit_table(train_t, signals=signals, trained_on="Tidewell eval set, training split")
    held = G.operating_point(test_t.answerable, gate.probability(test_t), gate.cutoff)
    cv = G.cross_validated_gate(table, signals)
    refused = cv.refused.to_numpy()
    ans = cv.answerable.to_numpy(dtype=bool)
    cv_point = {"unanswerable_refused": G.rate(refused[~ans]).as_dict(), "false_refusals": G.rate(refused[ans]).as_dict()}
    out = gate.to_dict()
    out["measured"] = {"held_out": _figures(held), "cross_validated": cv_point,
                       "meets_target_held_out": G.meets_target(held),
                       "signal_seconds_per_question": round(seconds_per_question, 4)}
    print(f"{'+'.join(signals)}: {gate!r}")
    print(f"  held-out ({len(test_t)} questions): unanswerable refused {held['unanswerable_refused']}, "
          f"false refusals {held['false_refusals']}")
    print(f"  nested 5-fold CV (all {len(table)}): unanswerable refused {cv_point['unanswerable_refused']['rate']:.0%}, "
          f"false refusals {cv_point['false_refusals']['rate']:.0%}")
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--with-model", action="store_true", help="also train the gate with the local model's yes/no signal")
    args = parser.parse_args(argv)
    rows = load_eval()
    train_rows, test_rows = G.held_out_split(rows)
    train_ids, test_ids = [r["id"] for r in train_rows], [r["id"] for r in test_rows]
    rag = RAGPipeline(gate=None)
    signals = G.ALL_SIGNALS if args.with_model else G.FAST_SIGNALS
    start = time.perf_counter()
    fast_table = G.signal_table(rag, rows, G.FAST_SIGNALS)
    fast_s = (time.perf_counter() - start) / len(rows)
    gates = {"fast": train(G.FAST_SIGNALS, fast_table, train_ids, test_ids, fast_s)}
    if args.with_model:
        start = time.perf_counter()
        yes = G.signal_table(rag, rows, ("model_yes",))
        model_s = (time.perf_counter() - start) / len(rows)
        table = fast_table.merge(yes[["id", "model_yes"]], on="id")
        gates["with_model"] = train(signals, table, train_ids, test_ids, fast_s + model_s)
    elif OUT.exists():
        old = json.loads(OUT.read_text()).get("gates", {})
        if "with_model" in old:
            gates["with_model"] = old["with_model"]  # keep the slower variant from its last training run
    doc = {"about": "Answerability gates for RAGPipeline, trained by tools/train_gate.py on ai_pm_lab/data/rag/kb_eval.jsonl.",
           "default": "fast", "trained": date.today().isoformat(),
           "split": {"test_size": 0.4, "seed": 0, "train_ids": train_ids, "test_ids": test_ids},
           "gates": gates}
    OUT.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
