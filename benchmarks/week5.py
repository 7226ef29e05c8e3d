"""Week 5: the LLM judge's agreement with people on the default (local) model, and the lesson's wall-clock time under
nbval (target: at most 180 s on 2 cores).

The judge's figures: the rubric reading (the model's PASS vs FAIL next-token probability, the old local judge) beside
the grounding lift with a pass mark, cross-validated on the 40 bundled labels and, with the mark set on all of them,
on the 24 labels written separately about another base. Target: kappa's 95% interval above 0 on both."""
from __future__ import annotations

import time

from benchmarks._nbval_timing import lesson_benchmark

_lesson = lesson_benchmark(5, "week05_evaluation.ipynb")


def _rubric_reading(rows) -> list[bool]:
    """The rubric judge as the local model gave it before: PASS if P(PASS) >= P(FAIL) for its next token."""
    from ai_pm_lab.evaluation import judge
    from ai_pm_lab.llm.confidence import answer_confidence

    out = []
    for r in rows:
        prompt = judge.judge_prompt(r["question"], r["answer"], r["context"])
        out.append(answer_confidence(prompt, "PASS").first_token >= answer_confidence(prompt, "FAIL").first_token)
    return out


def _line(name: str, a: dict) -> str:
    return (f"  {name:<44} kappa {a['kappa']:5.2f} (95% CI {a['kappa_low']:.2f} to {a['kappa_high']:.2f}); "
            f"TPR {a['tpr']}; TNR {a['tnr']}")


def run() -> dict:
    from ai_pm_lab.evaluation import judge, stats

    labels, held = judge.load_judge_labels(), judge.load_heldout_labels()
    start = time.perf_counter()
    rubric = stats.judge_agreement([r["human_pass"] for r in labels], _rubric_reading(labels))
    print(_line(f"rubric PASS/FAIL reading, {len(labels)} labels", rubric))
    judged = judge.run_judge(labels, progress=False)
    cv = judge.validate_judge(judge.cross_validate(judged))
    print(_line(f"grounding lift, cross-validated, {len(labels)} labels", cv))
    mark = judge.pass_mark(judged)
    fresh = judge.validate_judge(judge.run_judge(held, threshold=mark, progress=False))
    print(_line(f"same, mark {mark:.3f} on {len(held)} held-out labels", fresh))
    print(f"  judge figures took {time.perf_counter() - start:.0f} s")
    return {"week-5 judge beats chance on the bundled labels (cross-validated kappa CI above 0)": cv["kappa_low"] > 0,
            "week-5 judge beats chance on held-out labels (kappa CI above 0)": fresh["kappa_low"] > 0,
            **_lesson()}
