"""Statistics a PM needs to trust an evaluation: rates with confidence intervals, classifier metrics at a threshold,
agreement between raters, a judge's error correction, review sample sizes, and A/B tests with a decision rule.

Every formula comes from scikit-learn, scipy or statsmodels; only the Rogan-Gladen correction (one line) is written here."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ai_pm_lab.errors import InputError, InputTypeError, require_number
from ai_pm_lab.tables import format_rate, returns_course_table

CONFIDENCE = 0.95


# -- input checks ------------------------------------------------------------------------------------------------------
def as_labels(values, name: str = "labels") -> np.ndarray:
    """``values`` as a 1-D array of 0/1 (accepts bools, 0/1 numbers); anything else is a clear error."""
    if isinstance(values, (str, bytes)) or values is None:
        raise InputTypeError(f"{name} must be a list or array of True/False (or 1/0) values, not {type(values).__name__}.")
    arr = np.asarray(list(values) if not hasattr(values, "__array__") else values, dtype=object).ravel()
    out = np.empty(arr.shape[0], dtype=int)
    for i, v in enumerate(arr):
        if isinstance(v, (bool, np.bool_)):
            out[i] = int(v)
        elif isinstance(v, (int, np.integer, float, np.floating)) and not isinstance(v, bool) and v in (0, 1):
            out[i] = int(v)
        else:
            raise InputError(f"{name}[{i}] is {v!r}: every label must be True/False (or 1/0). "
                             "Map your labels first, e.g. [x == 'pass' for x in labels].")
    return out


def as_probabilities(values, name: str = "scores") -> np.ndarray:
    """``values`` as a 1-D float array of probabilities in [0, 1]; NaN or values outside [0, 1] are a clear error."""
    if isinstance(values, (str, bytes)) or values is None:
        raise InputTypeError(f"{name} must be a list or array of probabilities between 0 and 1, not {type(values).__name__}.")
    try:
        arr = np.asarray(values, dtype=float).ravel()
    except (TypeError, ValueError):
        raise InputTypeError(f"{name} must contain numbers (probabilities between 0 and 1).") from None
    if np.isnan(arr).any():
        raise InputError(f"{name} contains NaN at position {int(np.flatnonzero(np.isnan(arr))[0])}: "
                         "drop or fill the missing scores first.")
    bad = np.flatnonzero((arr < 0) | (arr > 1))
    if bad.size:
        raise InputError(f"{name}[{int(bad[0])}] = {float(arr[bad[0]])!r} is not a probability: every score must lie in [0, 1]. "
                         "If these are raw model scores, pass them through a sigmoid or rescale them first.")
    return arr


def _same_length(a, b, na: str, nb: str) -> None:
    if len(a) != len(b):
        raise InputError(f"{na} has {len(a)} values and {nb} has {len(b)}: they must describe the same items, one each.")
    if len(a) == 0:
        raise InputError(f"{na} and {nb} are empty: there is nothing to measure yet.")


def _alpha(confidence: float) -> float:
    confidence = float(require_number(confidence, "confidence", low=0.5, high=0.999))
    return 1 - confidence


# -- a rate with its interval ------------------------------------------------------------------------------------------
def proportion_ci(successes, n, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Wilson confidence interval for a rate of successes out of n (statsmodels proportion_confint)."""
    from statsmodels.stats.proportion import proportion_confint

    n = require_number(n, "n", low=1, integer=True)
    successes = require_number(successes, "successes", low=0, high=n, integer=True)
    low, high = proportion_confint(successes, n, alpha=_alpha(confidence), method="wilson")
    return (0.0 if successes == 0 else float(low)), (1.0 if successes == n else float(high))  # no 5e-17 at the ends


@dataclass(frozen=True)
class Rate:
    """A measured share with its confidence interval: k of n, rate, low, high."""

    k: int
    n: int
    low: float
    high: float
    confidence: float = CONFIDENCE

    @property
    def rate(self) -> float:
        """k / n."""
        return self.k / self.n

    def __str__(self) -> str:
        return f"{format_rate(self.rate, 0)} ({self.k}/{self.n}; {format_rate(self.confidence, 0)} CI {format_rate(self.low, 0)}–{format_rate(self.high, 0)})"

    def as_dict(self) -> dict:
        """The rate as plain fields (for a DataFrame row)."""
        return {"k": self.k, "n": self.n, "rate": self.rate, "low": self.low, "high": self.high}


def rate(flags, confidence: float = CONFIDENCE, *, name: str = "flags") -> Rate:
    """The share of True values in ``flags`` with its Wilson interval; an empty list is a clear error."""
    arr = as_labels(flags, name)
    if arr.size == 0:
        raise InputError(f"{name} is empty: a rate needs at least one observation.")
    k, n = int(arr.sum()), int(arr.size)
    low, high = proportion_ci(k, n, confidence)
    return Rate(k, n, low, high, confidence)


# -- a classifier at a threshold ---------------------------------------------------------------------------------------
def classification_metrics(y_true, y_pred) -> dict:
    """Confusion counts and precision, recall, F1, accuracy (scikit-learn) for binary labels (1 = positive).

    With no predicted positives precision is reported as 0.0; with no real positives recall is 0.0 (scikit-learn's
    zero_division=0), and ``note`` says so."""
    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_score, recall_score

    t = as_labels(y_true, "y_true")
    p = as_labels(y_pred, "y_pred")
    _same_length(t, p, "y_true", "y_pred")
    tn, fp, fn, tp = (int(x) for x in confusion_matrix(t, p, labels=[0, 1]).ravel())
    notes = []
    if tp + fn == 0:
        notes.append("no real positives: recall and F1 are undefined, shown as 0")
    if tp + fp == 0:
        notes.append("nothing predicted positive: precision is undefined, shown as 0")
    return {
        "tp": tp, "fp": fp, "fn": fn, "tn": tn,
        "precision": float(precision_score(t, p, zero_division=0)),
        "recall": float(recall_score(t, p, zero_division=0)),
        "f1": float(f1_score(t, p, zero_division=0)),
        "accuracy": float(accuracy_score(t, p)),
        "note": "; ".join(notes),
    }


def threshold_metrics(y_true, scores, threshold: float, *, cost_fp: float = 0.0, cost_fn: float = 0.0) -> dict:
    """Everything at one threshold (score >= threshold → predicted positive): confusion counts, sklearn metrics, and
    the dollar cost of the errors (false positives × cost_fp + false negatives × cost_fn)."""
    t = as_labels(y_true, "y_true")
    s = as_probabilities(scores, "scores")
    _same_length(t, s, "y_true", "scores")
    threshold = float(require_number(threshold, "threshold", low=0.0, high=1.0))
    cost_fp = float(require_number(cost_fp, "cost_fp", low=0.0))
    cost_fn = float(require_number(cost_fn, "cost_fn", low=0.0))
    m = classification_metrics(t, (s >= threshold).astype(int))
    m.update({"threshold": threshold, "cost_fp": cost_fp, "cost_fn": cost_fn,
              "cost": m["fp"] * cost_fp + m["fn"] * cost_fn, "n": int(t.size)})
    m["cost_per_item"] = m["cost"] / m["n"]
    return m


@returns_course_table
def threshold_sweep(y_true, scores, *, cost_fp: float = 0.0, cost_fn: float = 0.0, thresholds=None) -> pd.DataFrame:
    """threshold_metrics at every candidate threshold (default: each distinct score, plus 0 and just above the top),
    one row each, sorted by threshold."""
    s = as_probabilities(scores, "scores")
    if thresholds is None:
        thresholds = np.unique(np.concatenate([[0.0], s, [min(1.0, float(s.max()) + 1e-9) if s.size else 1.0]]))
    rows = [threshold_metrics(y_true, s, float(th), cost_fp=cost_fp, cost_fn=cost_fn) for th in thresholds]
    return pd.DataFrame(rows).sort_values("threshold").reset_index(drop=True)


def cheapest_threshold(y_true, scores, *, cost_fp: float, cost_fn: float) -> dict:
    """The threshold with the lowest total error cost (ties: the lowest such threshold) and its metrics."""
    sweep = threshold_sweep(y_true, scores, cost_fp=cost_fp, cost_fn=cost_fn)
    return sweep.loc[sweep["cost"].idxmin()].to_dict()


def pick_threshold(keep_scores, reject_scores=None, *, max_lost: float | None = None,
                   ceiling: float | None = None) -> float:
    """The course's one threshold picker. An item scoring at or above the threshold is kept, one below it is turned away.

    With ``max_lost`` (a budget): the highest threshold that turns away at most that share of ``keep_scores``
    (``ceiling``, or the top score, when the budget covers them all). Without it: the threshold (a score rounded to
    3 decimals; ties go to the lowest) with the best balanced accuracy, ``keep_scores`` kept and ``reject_scores``
    turned away."""
    keep = np.asarray(keep_scores, dtype=float).ravel()
    if keep.size == 0 or not np.isfinite(keep).all():
        raise InputError("keep_scores needs at least one finite score: measure some items that should pass first.")
    if max_lost is not None:
        budget = float(require_number(max_lost, "max_lost", low=0.0, high=1.0))
        ordered = np.sort(keep)
        allowed = int(np.floor(budget * ordered.size + 1e-9))  # how many kept items may fall below the threshold
        # turning away exactly the `allowed` lowest: the threshold sits on the next one up
        if allowed < ordered.size:
            return float(ordered[allowed])
        return float(ordered[-1]) if ceiling is None else float(ceiling)
    reject = np.asarray([] if reject_scores is None else reject_scores, dtype=float).ravel()
    if reject.size == 0:
        raise InputError("Without max_lost, pick_threshold needs scores of both kinds: pass reject_scores too "
                         "(items that should be turned away), or give a budget with max_lost=.")
    candidates = np.unique(np.round(np.concatenate([keep, reject]), 3))
    balanced = [(keep >= t).mean() / 2 + (reject < t).mean() / 2 for t in candidates]
    return float(candidates[int(np.argmax(balanced))])


@returns_course_table
def roc_table(y_true, scores) -> pd.DataFrame:
    """Every distinct threshold (score >= threshold → positive) with its true-positive and false-positive rates
    (scikit-learn roc_curve), from the strictest threshold that flags anything to the one that flags everything."""
    from sklearn.metrics import roc_curve

    t = as_labels(y_true, "y_true")
    s = as_probabilities(scores, "scores")
    _same_length(t, s, "y_true", "scores")
    if t.min() == t.max():
        raise InputError("y_true has only one kind of label: an ROC curve needs both positives and negatives.")
    fpr, tpr, thr = roc_curve(t, s, drop_intermediate=False)
    return pd.DataFrame({"threshold": np.clip(thr, 0.0, 1.0), "tpr": tpr, "fpr": fpr}).iloc[1:].reset_index(drop=True)


# -- agreement between two raters --------------------------------------------------------------------------------------
def cohen_kappa(a, b) -> float:
    """Cohen's kappa between two raters' pass/fail labels (scikit-learn); undefined when both use one label only."""
    from sklearn.metrics import cohen_kappa_score

    x, y = as_labels(a, "first rater's labels"), as_labels(b, "second rater's labels")
    _same_length(x, y, "first rater's labels", "second rater's labels")
    if len(set(x) | set(y)) < 2:
        raise InputError("Both raters gave every item the same single label: kappa is undefined. "
                         "Add items of the other class (some passes and some fails) to the labelled set.")
    return float(cohen_kappa_score(x, y))


def bootstrap_ci(statistic, *samples, confidence: float = CONFIDENCE, n_resamples: int = 2000, seed: int = 0,
                 paired: bool = True) -> tuple[float, float]:
    """Percentile bootstrap interval of ``statistic(*samples)`` (scipy.stats.bootstrap); resamples that make the
    statistic undefined (NaN) are left out."""
    from scipy.stats import bootstrap

    arrays = [np.asarray(s) for s in samples]
    if not arrays or any(a.size == 0 for a in arrays):
        raise InputError("bootstrap_ci needs at least one non-empty sample.")
    _alpha(confidence)
    rng = np.random.default_rng(seed)
    res = bootstrap(tuple(arrays), statistic, vectorized=False, paired=paired and len(arrays) > 1,
                    n_resamples=int(n_resamples), confidence_level=confidence,
                    method="percentile", random_state=rng)
    dist = np.asarray(res.bootstrap_distribution, float)
    dist = dist[np.isfinite(dist)]
    if dist.size == 0:
        raise InputError("The statistic was undefined on every resample: the sample is too small or too one-sided.")
    tail = (1 - confidence) / 2 * 100
    return float(np.percentile(dist, tail)), float(np.percentile(dist, 100 - tail))


def _kappa_or_nan(a, b) -> float:
    from sklearn.metrics import cohen_kappa_score

    if len(set(a) | set(b)) < 2:
        return float("nan")
    return float(cohen_kappa_score(a, b))


def judge_agreement(human, judge, confidence: float = CONFIDENCE) -> dict:
    """How far a judge can be trusted against human labels (1 = pass): Cohen's kappa with a bootstrap CI, the judge's
    true-positive rate (passes it confirms) and true-negative rate (fails it catches), each with a Wilson CI."""
    h, j = as_labels(human, "human labels"), as_labels(judge, "judge labels")
    _same_length(h, j, "human labels", "judge labels")
    if h.min() == h.max():
        which = "pass" if h[0] else "fail"
        raise InputError(f"Every human label is {which}: the judge's {'true-negative' if h[0] else 'true-positive'} rate "
                         "cannot be measured. Label some answers of the other kind too.")
    kappa = cohen_kappa(h, j)
    k_low, k_high = bootstrap_ci(_kappa_or_nan, h, j, confidence=confidence)
    tpr = rate(j[h == 1] == 1, confidence, name="judge on human passes")
    tnr = rate(j[h == 0] == 0, confidence, name="judge on human fails")
    return {"n": int(h.size), "kappa": kappa, "kappa_low": k_low, "kappa_high": k_high,
            "tpr": tpr, "tnr": tnr, "accuracy": float((h == j).mean()),
            "human_pass_rate": float(h.mean()), "judge_pass_rate": float(j.mean())}


def rogan_gladen(observed_pass_rate: float, tpr: float, tnr: float, *, clip: bool = True) -> float:
    """The true pass rate behind a judge's observed pass rate, given the judge's TPR and TNR (Rogan-Gladen):
    (observed + TNR - 1) / (TPR + TNR - 1)."""
    p = float(require_number(observed_pass_rate, "observed_pass_rate", low=0.0, high=1.0))
    tpr = float(require_number(tpr, "tpr", low=0.0, high=1.0))
    tnr = float(require_number(tnr, "tnr", low=0.0, high=1.0))
    youden = tpr + tnr - 1
    if youden <= 0:
        raise InputError(f"The judge is no better than a coin toss (TPR {tpr:.2f} + TNR {tnr:.2f} - 1 = {youden:.2f} ≤ 0): "
                         "its pass rate cannot be corrected. Use a stronger judge, or human labels.")
    value = (p + tnr - 1) / youden
    return min(1.0, max(0.0, value)) if clip else value


def corrected_pass_rate(judge_verdicts, human_labels, judge_on_labels, confidence: float = CONFIDENCE,
                        n_resamples: int = 2000, seed: int = 0) -> dict:
    """A judge-measured pass rate on new answers, corrected for the judge's errors as measured on human-labelled
    answers (Rogan-Gladen), with a bootstrap CI that resamples both sets."""
    v = as_labels(judge_verdicts, "judge verdicts")
    h, j = as_labels(human_labels, "human labels"), as_labels(judge_on_labels, "judge labels")
    _same_length(h, j, "human labels", "judge labels")
    if v.size == 0:
        raise InputError("judge verdicts is empty: judge some answers first.")
    agreement = judge_agreement(h, j, confidence)
    observed = float(v.mean())
    point = rogan_gladen(observed, agreement["tpr"].rate, agreement["tnr"].rate)
    codes = h * 2 + j  # one code per labelled answer keeps each (human, judge) pair together when resampled

    def stat(c, verdicts):
        hh, jj = c // 2, c % 2
        if hh.min() == hh.max():
            return float("nan")
        tp, tn = float((jj[hh == 1] == 1).mean()), float((jj[hh == 0] == 0).mean())
        if tp + tn - 1 <= 0:
            return float("nan")
        return min(1.0, max(0.0, (float(np.mean(verdicts)) + tn - 1) / (tp + tn - 1)))

    low, high = bootstrap_ci(stat, codes, v, confidence=confidence, n_resamples=n_resamples, seed=seed, paired=False)
    return {"observed": observed, "corrected": point, "low": low, "high": high, "agreement": agreement}


# -- how many to label -------------------------------------------------------------------------------------------------
def sample_size_for_margin(margin: float = 0.05, expected_rate: float = 0.5, confidence: float = CONFIDENCE) -> int:
    """Items to label so a measured rate lands within ±margin (normal approximation, statsmodels
    samplesize_confint_proportion); expected_rate 0.5 is the safe worst case."""
    from statsmodels.stats.proportion import samplesize_confint_proportion

    margin = float(require_number(margin, "margin", low=1e-4, high=0.5))
    expected_rate = float(require_number(expected_rate, "expected_rate", low=0.0, high=1.0))
    if expected_rate in (0.0, 1.0):
        raise InputError("expected_rate of exactly 0 or 1 gives a sample size of 0: use your best guess, or 0.5 if unsure.")
    return int(math.ceil(samplesize_confint_proportion(expected_rate, margin, alpha=_alpha(confidence))))


# -- A/B tests ---------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ABResult:
    """A two-variant comparison of success rates: rates, difference B − A with its CI, and the p-value."""

    successes_a: int
    n_a: int
    successes_b: int
    n_b: int
    diff: float
    low: float
    high: float
    p_value: float
    confidence: float = CONFIDENCE

    @property
    def rate_a(self) -> float:
        """Success rate of variant A."""
        return self.successes_a / self.n_a

    @property
    def rate_b(self) -> float:
        """Success rate of variant B."""
        return self.successes_b / self.n_b

    def __str__(self) -> str:
        return (f"A {format_rate(self.rate_a)} (n={self.n_a}) vs B {format_rate(self.rate_b)} (n={self.n_b}): B − A = {format_rate(self.diff, sign=True)} "
                f"({format_rate(self.confidence, 0)} CI {format_rate(self.low, sign=True)} to {format_rate(self.high, sign=True)}), p = {self.p_value:.3g}")

    def as_dict(self) -> dict:
        """The result as plain fields."""
        return {"rate_a": self.rate_a, "n_a": self.n_a, "rate_b": self.rate_b, "n_b": self.n_b, "diff": self.diff,
                "low": self.low, "high": self.high, "p_value": self.p_value}


def ab_test(successes_a, n_a, successes_b, n_b, confidence: float = CONFIDENCE) -> ABResult:
    """Two-sided two-proportion z-test (statsmodels proportions_ztest) and a Newcombe (Wilson-based) CI for B − A
    (statsmodels confint_proportions_2indep)."""
    from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

    n_a = require_number(n_a, "n_a", low=1, integer=True)
    n_b = require_number(n_b, "n_b", low=1, integer=True)
    successes_a = require_number(successes_a, "successes_a", low=0, high=n_a, integer=True)
    successes_b = require_number(successes_b, "successes_b", low=0, high=n_b, integer=True)
    alpha = _alpha(confidence)
    if successes_a + successes_b in (0, n_a + n_b):
        p_value = 1.0  # both variants identical at 0% or 100%: no evidence of a difference (the z-test divides by 0)
    else:
        _, p_value = proportions_ztest([successes_b, successes_a], [n_b, n_a], alternative="two-sided")
    low, high = confint_proportions_2indep(successes_b, n_b, successes_a, n_a, method="newcomb", compare="diff",
                                           alpha=alpha)
    diff = successes_b / n_b - successes_a / n_a
    return ABResult(int(successes_a), int(n_a), int(successes_b), int(n_b), float(diff), float(low), float(high),
                    float(p_value), confidence)


def sample_size_for_lift(baseline: float, lift: float, *, power: float = 0.8, confidence: float = CONFIDENCE) -> int:
    """Users needed PER VARIANT to detect an absolute lift over a baseline success rate (two-sided test;
    statsmodels proportion_effectsize + NormalIndPower)."""
    from statsmodels.stats.power import NormalIndPower
    from statsmodels.stats.proportion import proportion_effectsize

    baseline = float(require_number(baseline, "baseline", low=0.0, high=1.0))
    lift = float(require_number(lift, "lift", low=-1.0, high=1.0))
    power = float(require_number(power, "power", low=0.5, high=0.999))
    if lift == 0:
        raise InputError("lift must not be 0: no sample size can detect a difference of nothing.")
    if not 0 <= baseline + lift <= 1:
        raise InputError(f"baseline + lift = {baseline + lift:.3f} is not a rate: keep it between 0 and 1.")
    effect = proportion_effectsize(baseline + lift, baseline)
    n = NormalIndPower().solve_power(effect_size=abs(effect), alpha=_alpha(confidence), power=power, ratio=1.0,
                                     alternative="two-sided")
    return int(math.ceil(n))


DECISIONS = ("ship", "keep running", "stop")


@dataclass(frozen=True)
class Decision:
    """The verdict of the ship / keep running / stop rule and the reason in one sentence."""

    verdict: str
    reason: str

    def __str__(self) -> str:
        return f"{self.verdict.upper()}: {self.reason}"


def decide(result: ABResult, *, min_lift: float, max_users_per_variant: int | None = None) -> Decision:
    """The course's decision rule for an A/B test of B against A:
    ship when the whole CI of B − A is above 0 (B is better, beyond noise);
    stop when the whole CI is below min_lift (B cannot deliver the lift worth shipping, or is worse),
    or when max_users_per_variant is reached without an answer;
    keep running otherwise."""
    if not isinstance(result, ABResult):
        raise InputTypeError(f"decide() takes the ABResult from ab_test(...), not {type(result).__name__}.")
    min_lift = float(require_number(min_lift, "min_lift", low=0.0, high=1.0))
    ci = f"CI {format_rate(result.low, sign=True)} to {format_rate(result.high, sign=True)}"
    if result.low > 0:
        return Decision("ship", f"B beats A: the whole {ci} is above zero.")
    if result.high < min_lift:
        what = "B is worse than A" if result.high < 0 else f"a lift of {format_rate(min_lift)} is ruled out"
        return Decision("stop", f"{what} ({ci} ends below {format_rate(min_lift, sign=True)}).")
    if max_users_per_variant is not None:
        cap = require_number(max_users_per_variant, "max_users_per_variant", low=1, integer=True)
        if min(result.n_a, result.n_b) >= cap:
            return Decision("stop", f"the planned {cap:,} users per variant are reached and the {ci} still spans zero.")
    return Decision("keep running", f"the {ci} still includes both zero and the {format_rate(min_lift, sign=True)} lift you care about.")


def simulate_users(outcomes, n_users: int, *, seed: int = 0) -> np.ndarray:
    """Simulated users of one variant: each asks a question drawn at random from the evaluation set and gets that
    variant's measured outcome for it (True = success). Returns one outcome per user."""
    arr = as_labels(outcomes, "outcomes")
    if arr.size == 0:
        raise InputError("outcomes is empty: measure the variant on some questions first.")
    n_users = require_number(n_users, "n_users", low=1, high=10_000_000, integer=True)
    rng = np.random.default_rng(seed)
    return arr[rng.integers(0, arr.size, size=n_users)].astype(bool)
