"""Inconsistency: the same prompt run several times, and how different the answers are (distinct outputs, similarity)."""
from __future__ import annotations

import itertools

import pandas as pd

from ai_pm_lab.errors import InputError, InputTypeError, require_text
from ai_pm_lab.evaluation.harness import ModelStep, run_harness, successful
from ai_pm_lab.limits.common import check_n, check_temperature
from ai_pm_lab.tables import returns_course_table
from ai_pm_lab.text import words

HAIKU_PROMPT = "Write a haiku about debugging"


def similarity(a: str, b: str) -> float:
    """Word overlap of two texts (Jaccard: shared words / all words), 0 = nothing shared, 1 = same words."""
    require_text(a, "a", allow_empty=True)
    require_text(b, "b", allow_empty=True)
    sa, sb = set(words(a)), set(words(b))
    if not sa and not sb:
        return 1.0
    return len(sa & sb) / len(sa | sb)


def diversity(texts) -> dict:
    """Distinct outputs, their share, and mean pairwise similarity of a list of generated texts."""
    if isinstance(texts, str) or not hasattr(texts, "__iter__"):
        raise InputTypeError("texts must be a list of strings, e.g. the answers of run_repeats().")
    texts = [require_text(t, "each text", allow_empty=True) for t in texts]
    if len(texts) < 2:
        raise InputError("diversity needs at least 2 texts to compare; run the prompt n >= 2 times.")
    normal = [" ".join(t.lower().split()) for t in texts]
    pairs = [similarity(a, b) for a, b in itertools.combinations(texts, 2)]
    distinct = len(set(normal))
    return {"runs": len(texts), "distinct": distinct, "distinct_share": distinct / len(texts),
            "mean_similarity": sum(pairs) / len(pairs), "min_similarity": min(pairs)}


def run_repeats(prompt: str = HAIKU_PROMPT, temperatures=(0.0, 1.0), n: int = 4, *, max_tokens: int = 32,
                backend: str | None = None, progress: bool = True):
    """Run ``prompt`` ``n`` times at each temperature (seeds 0..n-1); one row per run as a DataFrame."""
    require_text(prompt, "prompt")
    n = check_n(n, "n", high=50)
    if isinstance(temperatures, (int, float)):
        temperatures = (temperatures,)
    temps = [check_temperature(t) for t in temperatures]
    if not temps:
        raise InputError("temperatures must list at least one value, e.g. (0.0, 1.0).")
    items = [{"temperature": t, "seed": s} for t in temps for s in range(n)]

    ask = ModelStep(lambda item: {"prompt": prompt, "temperature": item["temperature"], "max_tokens": max_tokens,
                                  "seed": item["seed"]},
                    lambda item, g: {"text": g.text}, backend=backend)

    return run_harness(items, ask, desc="repeats", progress=progress)


@returns_course_table
def diversity_table(runs):
    """diversity() for each temperature in run_repeats()'s rows (failed runs left out)."""
    if not isinstance(runs, pd.DataFrame) or not {"temperature", "seed"} <= set(runs.columns):
        raise InputTypeError("runs must be the DataFrame returned by run_repeats().")
    runs = successful(runs)
    if "text" not in runs:
        raise InputTypeError("runs must be the DataFrame returned by run_repeats() (it has no 'text' column).")
    rows = [{"temperature": t, **diversity(list(g["text"]))} for t, g in runs.groupby("temperature")]
    return pd.DataFrame(rows)
