"""Week 2: the ticket classifier on the default (local) model, and the lesson's wall-clock time under nbval (target:
at most 180 s on 2 cores).

The classifier's figures: macro F1 with the lesson's prompt (one written example per team before the ticket,
calibrated next-token choice) beside the prompt it replaced (the ticket, then the team names, no examples), on the 120
bundled tickets and on the 25 written separately after the prompt was chosen (data/tickets/heldout_tickets.csv), each
with its bootstrap interval and the interval random guessing reaches. Target: the lesson's prompt above guessing
(intervals apart) on both sets."""
from __future__ import annotations

import time

import pandas as pd

from benchmarks._nbval_timing import lesson_benchmark

_lesson = lesson_benchmark(2, "week02_strengths_limits_cost.ipynb")
BEFORE_TEMPLATE = "Support ticket: {}\nThe team that should handle it ({}) is:"  # the prompt before issue 19


def _labels_by(template: str, texts) -> list[str]:
    """The calibrated next-token choice (builds.score_classify's rule) under another prompt template."""
    from ai_pm_lab import builds
    from ai_pm_lab.llm.next_token import next_token_distribution

    labels = builds.labels()
    prior = next_token_distribution(template.format("N/A"))
    out = []
    for text in texts:
        dist = next_token_distribution(template.format(text))
        out.append(max(labels, key=lambda lab: dist.probability_of(" " + lab) / max(prior.probability_of(" " + lab), 1e-12)))
    return out


def classifier() -> dict:
    """The classifier's figures (printed) and its targets."""
    from ai_pm_lab import builds
    from ai_pm_lab.datafiles import data_csv
    from ai_pm_lab.evaluation import classification

    sets = {"bundled (120)": builds.tickets(),
            "written separately (25)": pd.DataFrame(data_csv("tickets/heldout_tickets.csv"))}
    before = BEFORE_TEMPLATE.format("{}", ", ".join(builds.labels()))
    targets = {}
    for name, df in sets.items():
        chance = classification.chance_macro_f1(df["label"])
        for prompt, template in (("lesson prompt (examples)", builds.SCORE_TEMPLATE), ("before (no examples)", before)):
            start = time.process_time()
            predicted = _labels_by(template, df["text"])
            f1 = classification.classification_scores(df["label"], predicted).iloc[-1]["f1"]
            lo, hi = classification.macro_f1_interval(df["label"], predicted)
            print(f"  {name:<24} {prompt:<25} macro F1 {f1:.2f} (95% {lo:.2f} to {hi:.2f}); guessing {chance[0]:.2f} "
                  f"to {chance[1]:.2f}; {time.process_time() - start:.1f} CPU-s")
            if template is builds.SCORE_TEMPLATE:
                targets[f"classifier above guessing on {name} tickets"] = lo > chance[1]
    return targets


def run() -> dict:
    return {**classifier(), **(_lesson() or {})}
