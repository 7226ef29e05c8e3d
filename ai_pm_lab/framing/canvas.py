"""The opportunity canvas: is AI the right tool (decision tree), what problem (problem statement), what does good look
like (success criteria and guardrails), written out as a one-page Markdown file.

``SuccessCriteria.evaluate(measured)`` is the eval gate a launch is judged by: every success criterion must reach its
target and no guardrail may be crossed.
"""
from __future__ import annotations

import math
import numbers
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ai_pm_lab.decision_tree import QUESTIONS, Recommendation, recommend
from ai_pm_lab.errors import CanvasError, InputError, InputTypeError
from ai_pm_lab.settings import output_dir
from ai_pm_lab.tables import returns_course_table

DIRECTIONS = ("higher", "lower")  # which way is better for a metric
KINDS = ("success", "guardrail")
SOLUTION_WORDS = re.compile(r"\b(ai|a\.i\.|llm|gpt|chatbot|machine learning|ml model|neural|genai|generative)\b", re.IGNORECASE)


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _number_problem(value, name: str, metric: str) -> str | None:
    if value is None:
        return f"{metric or 'criterion'}: {name} is empty: give it a number."
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return f"{metric or 'criterion'}: {name} must be a number, not {type(value).__name__} ({value!r})."
    if not math.isfinite(float(value)):
        return f"{metric or 'criterion'}: {name} must be a finite number, not {value!r}."
    return None


def parse_number(text: str):
    """A number typed in a form box: '0.8', '1,200' and '12%' (= 0.12) become floats, a blank box None, anything else
    stays the raw text so validation can say what is wrong with it."""
    text = (text or "").strip().replace(",", "")
    if not text:
        return None
    try:
        return float(text.rstrip("%")) / (100 if text.endswith("%") else 1)
    except ValueError:
        return text


def _fmt(x) -> str:
    if x is None:
        return "not measured"
    x = float(x)
    return f"{x:,.0f}" if x.is_integer() and abs(x) >= 100 else f"{x:,.3g}"


# ---------------------------------------------------------------- success criteria ------------------------------------

@dataclass(frozen=True)
class CriterionResult:
    """One criterion judged against a measured value."""

    metric: str
    kind: str
    measured: float
    baseline: float | None
    target: float
    direction: str
    passed: bool
    message: str


@dataclass(frozen=True)
class Criterion:
    """A measurable line a launch must clear.

    kind="success": ``target`` must beat ``baseline`` in ``direction`` ("higher" or "lower" is better), and the measured
    value must reach the target. kind="guardrail": ``target`` is a limit that must not be crossed (a floor when higher is
    better, a ceiling when lower is better); it sits at or on the worse side of today's ``baseline`` (optional), because a
    guardrail limits how much worse things may get: a limit today's product already breaks is a target, not a guardrail.
    """

    metric: str
    baseline: float | None
    target: float
    direction: str = "higher"
    kind: str = "success"
    unit: str = ""
    note: str = ""

    # -- validation -------------------------------------------------------------------------------------------------
    def problems(self) -> list[str]:
        """Everything wrong with this criterion, each as a sentence saying what to fix (empty list = valid)."""
        out = []
        name = self.metric.strip() if isinstance(self.metric, str) else ""
        if _blank(self.metric) or not isinstance(self.metric, str):
            out.append("a criterion has no metric name: say what you will measure (e.g. 'ticket routing F1').")
        label = repr(name) if name else "criterion"
        if self.kind not in KINDS:
            out.append(f"{label}: kind must be 'success' or 'guardrail', not {self.kind!r}.")
        if self.direction not in DIRECTIONS:
            out.append(f"{label}: direction must be 'higher' (bigger is better, e.g. accuracy) or 'lower' "
                       f"(smaller is better, e.g. latency, cost), not {self.direction!r}.")
        target_name = "limit" if self.kind == "guardrail" else "target"
        bad_target = _number_problem(self.target, target_name, label)
        if bad_target:
            out.append(bad_target)
        if self.kind == "success" or self.baseline is not None:
            bad_base = _number_problem(self.baseline, "baseline", label)
            if bad_base and self.baseline is None:
                bad_base = (f"{label}: baseline is empty: measure today's value first (the process or product users have "
                            "now); a target without a baseline cannot show improvement.")
            if bad_base:
                out.append(bad_base)
        if out or self.direction not in DIRECTIONS:
            return out
        b, t = self.baseline, float(self.target)
        higher = self.direction == "higher"
        if self.kind == "success":
            beats = t > b if higher else t < b
            if not beats:
                way = "above" if higher else "below"
                better = "higher" if higher else "lower"
                out.append(f"{label}: target {_fmt(t)} does not beat the baseline {_fmt(b)} ({better} is better): set a "
                           f"target {way} {_fmt(b)}, or reconsider the feature: it would not improve on today.")
        elif b is not None:
            wrong = t > b if higher else t < b
            if wrong:
                side = "at or below" if higher else "at or above"
                kind = "floor" if higher else "ceiling"
                out.append(f"{label}: guardrail limit {_fmt(t)} is on the wrong side of its baseline {_fmt(b)}: today's "
                           f"product already breaks it. A guardrail is a {kind} that stops things getting worse, so put "
                           f"the limit {side} {_fmt(b)}, or make this a success criterion with a target.")
        return out

    def validate(self) -> "Criterion":
        """Return self if valid, else raise CanvasError listing what to fix."""
        problems = self.problems()
        if problems:
            raise CanvasError(problems, f"Criterion {self.metric!r}")
        return self

    # -- judging ----------------------------------------------------------------------------------------------------
    def met_by(self, value: float) -> bool:
        """Whether ``value`` reaches the target (success) or stays on the safe side of the limit (guardrail)."""
        return value >= self.target if self.direction == "higher" else value <= self.target

    def evaluate(self, measured) -> CriterionResult:
        """Judge one measured value: passed or not, with a sentence saying by how much."""
        self.validate()
        if _number_problem(measured, "measured value", repr(self.metric)):
            raise InputError(f"{self.metric!r}: the measured value is {measured!r}, not a number: measure it first (a "
                             "failed or empty run gives no number), then run the gate again.")
        m = float(measured)
        passed = self.met_by(m)
        sign = "≥" if self.direction == "higher" else "≤"
        unit = f" {self.unit}" if self.unit else ""
        if self.kind == "success":
            verdict = "reaches" if passed else "misses"
            msg = f"{self.metric}: measured {_fmt(m)}{unit} {verdict} the target {sign} {_fmt(self.target)}{unit}"
            msg += f" (baseline {_fmt(self.baseline)}{unit})."
        else:
            verdict = "holds" if passed else "is CROSSED"
            msg = f"{self.metric}: guardrail {sign} {_fmt(self.target)}{unit} {verdict} (measured {_fmt(m)}{unit})."
        return CriterionResult(self.metric, self.kind, m, self.baseline, float(self.target), self.direction, passed, msg)

    def row(self) -> dict:
        """The criterion as a plain dict (for tables and files)."""
        return {"metric": self.metric, "kind": self.kind, "baseline": self.baseline, "target": self.target,
                "direction": self.direction, "unit": self.unit, "note": self.note}


def success(metric: str, baseline: float, target: float, direction: str = "higher", *, unit: str = "", note: str = "") -> Criterion:
    """A success criterion: ``metric`` must move from ``baseline`` to ``target`` (direction = which way is better)."""
    return Criterion(metric, baseline, target, direction, "success", unit, note)


def guardrail(metric: str, limit: float, direction: str = "lower", *, baseline: float | None = None, unit: str = "",
              note: str = "") -> Criterion:
    """A guardrail: ``metric`` must stay on the good side of ``limit`` (direction = which way is better)."""
    return Criterion(metric, baseline, limit, direction, "guardrail", unit, note)


@dataclass
class GateResult:
    """The eval gate's verdict: every criterion's result, and whether the launch may go ahead."""

    results: list
    passed: bool

    @property
    def failures(self) -> list[CriterionResult]:
        """The criteria that were missed or crossed."""
        return [r for r in self.results if not r.passed]

    @returns_course_table
    def table(self):
        """One row per criterion: metric, kind, baseline, target/limit, measured, passed (DataFrame)."""
        import pandas as pd

        return pd.DataFrame([{"metric": r.metric, "kind": r.kind, "direction": r.direction, "baseline": r.baseline,
                              "target / limit": r.target, "measured": r.measured, "passed": r.passed} for r in self.results])

    def summary(self) -> str:
        """One paragraph: GO or NO GO, and the message of every criterion."""
        head = "GO: every success criterion reached and no guardrail crossed." if self.passed else (
            f"NO GO: {len(self.failures)} of {len(self.results)} criteria not met.")
        return "\n".join([head, *(("  ✓ " if r.passed else "  ✗ ") + r.message for r in self.results)])

    def __str__(self) -> str:
        return self.summary()


class SuccessCriteria:
    """The success criteria and guardrails of one opportunity; ``evaluate(measured)`` is its eval gate."""

    def __init__(self, criteria: Iterable[Criterion | Mapping]):
        if isinstance(criteria, (Criterion, Mapping, str)):
            raise InputTypeError("SuccessCriteria takes a list of criteria: wrap the single criterion in [ ].")
        if criteria is None or not hasattr(criteria, "__iter__"):
            raise InputTypeError(f"SuccessCriteria takes a list of criteria made with success(...) and guardrail(...), "
                                 f"not {type(criteria).__name__}.")
        items = []
        for i, c in enumerate(criteria):
            if isinstance(c, Mapping):
                c = criterion_from_dict(c)
            if not isinstance(c, Criterion):
                raise InputTypeError(f"criteria[{i}] must be a Criterion (use success(...) or guardrail(...)) or a dict, "
                                f"not {type(c).__name__}.")
            items.append(c)
        self.criteria: list[Criterion] = items

    def __iter__(self):
        return iter(self.criteria)

    def __len__(self) -> int:
        return len(self.criteria)

    def __repr__(self) -> str:
        return f"SuccessCriteria({len(self.success_criteria)} success, {len(self.guardrails)} guardrail(s))"

    @property
    def success_criteria(self) -> list[Criterion]:
        """The criteria with kind='success'."""
        return [c for c in self.criteria if c.kind == "success"]

    @property
    def guardrails(self) -> list[Criterion]:
        """The criteria with kind='guardrail'."""
        return [c for c in self.criteria if c.kind == "guardrail"]

    @property
    def metrics(self) -> list[str]:
        """The metric names, in order."""
        return [c.metric for c in self.criteria]

    def problems(self) -> list[str]:
        """Every fix needed across all criteria (empty list = valid)."""
        out = []
        if not self.success_criteria:
            out.append("no success criterion: add at least one metric with a baseline and a target that beats it.")
        if not self.guardrails:
            out.append("no guardrail: add at least one metric that must not get worse (e.g. wrong answers, cost per "
                       "query, escalations), with a limit.")
        names = [c.metric.strip().lower() for c in self.criteria if isinstance(c.metric, str) and c.metric.strip()]
        for dup in sorted({n for n in names if names.count(n) > 1}):
            out.append(f"metric {dup!r} appears more than once: keep one line per metric.")
        for c in self.criteria:
            out.extend(c.problems())
        return out

    def validate(self) -> "SuccessCriteria":
        """Return self if valid, else raise CanvasError listing every fix."""
        problems = self.problems()
        if problems:
            raise CanvasError(problems, "The success criteria")
        return self

    def evaluate(self, measured: Mapping[str, float]) -> GateResult:
        """The eval gate: judge every criterion against ``measured`` (metric name -> measured value)."""
        self.validate()
        if not isinstance(measured, Mapping):
            raise InputTypeError("measured must be a dict of metric name -> measured value, e.g. {'routing F1': 0.82}.")
        missing = [c.metric for c in self.criteria if c.metric not in measured]
        if missing:
            raise InputError(f"No measurement for {missing}: measured has {sorted(measured)}. Measure every metric "
                             "on the canvas (names must match exactly) before running the gate.")
        results = [c.evaluate(measured[c.metric]) for c in self.criteria]
        return GateResult(results, all(r.passed for r in results))

    @returns_course_table
    def table(self):
        """The criteria as a DataFrame."""
        import pandas as pd

        return pd.DataFrame([c.row() for c in self.criteria])

    def to_markdown(self) -> str:
        """The criteria as two Markdown tables (success criteria, guardrails)."""
        lines = ["| Metric | Today (baseline) | Target | Better |", "|---|---|---|---|"]
        for c in self.success_criteria:
            u = f" {c.unit}" if c.unit else ""
            lines.append(f"| {c.metric} | {_fmt(c.baseline)}{u} | {'≥' if c.direction == 'higher' else '≤'} {_fmt(c.target)}{u} | {c.direction} |")
        lines += ["", "| Guardrail (must not cross) | Today (baseline) | Limit | Better |", "|---|---|---|---|"]
        for c in self.guardrails:
            u = f" {c.unit}" if c.unit else ""
            base = f"{_fmt(c.baseline)}{u}" if c.baseline is not None else "not measured yet"
            lines.append(f"| {c.metric} | {base} | {'≥' if c.direction == 'higher' else '≤'} {_fmt(c.target)}{u} | {c.direction} |")
        return "\n".join(lines)


def criterion_from_dict(d: Mapping) -> Criterion:
    """A Criterion from a dict with metric, baseline, target (or limit), direction, kind (missing keys count as empty)."""
    known = {"metric", "baseline", "target", "limit", "direction", "kind", "unit", "note"}
    unknown = set(d) - known
    if unknown:
        raise InputError(f"Unknown criterion field(s) {sorted(unknown)}: use {sorted(known)}.")
    target = d.get("target", d.get("limit"))
    return Criterion(d.get("metric") or "", d.get("baseline"), target, d.get("direction", "higher"),
                     d.get("kind", "guardrail" if "limit" in d else "success"), d.get("unit", ""), d.get("note", ""))


# ---------------------------------------------------------------- problem statement -----------------------------------

PROBLEM_FIELDS = {
    "user": "who has the problem (a role, not 'users')",
    "problem": "the pain in the user's terms, without naming a technology",
    "evidence": "how you know it is real (a number from support data, research, or logs)",
    "today": "what users do today instead (the baseline the AI must beat)",
    "why_ai": "why rules, search or a form will not do (fuzzy language, judgement, scale)",
}


@dataclass(frozen=True)
class ProblemStatement:
    """Who hurts, how, how we know, what they do today, why AI; plus the edge cases that will break a naive version."""

    user: str
    problem: str
    evidence: str
    today: str
    why_ai: str
    edge_cases: tuple = ()

    def problems(self) -> list[str]:
        """Blocking gaps: empty fields and no edge cases (each says what to write)."""
        out = []
        for name, meaning in PROBLEM_FIELDS.items():
            value = getattr(self, name)
            if value is not None and not isinstance(value, str):
                out.append(f"problem statement: {name} must be text, not {type(value).__name__}.")
            elif _blank(value):
                out.append(f"problem statement: {name} is empty: write {meaning}.")
        cases = [e for e in (self.edge_cases or ()) if isinstance(e, str) and e.strip()]
        if not cases:
            out.append("problem statement: no edge cases: list at least one input that will trip a first version "
                       "(underestimating edge cases is a classic pitfall).")
        return out

    def warnings(self) -> list[str]:
        """Pitfalls that do not block the one-pager but deserve a second look."""
        out = []
        if isinstance(self.problem, str) and SOLUTION_WORDS.search(self.problem):
            out.append("the problem names a technology ('" + SOLUTION_WORDS.search(self.problem).group(0) + "'): state the "
                       "user's pain; AI belongs in 'why AI', or you risk using AI because it is trendy.")
        if isinstance(self.evidence, str) and self.evidence.strip() and not re.search(r"\d", self.evidence):
            out.append("the evidence has no number in it: how many users, tickets, hours or dollars?")
        return out

    def text(self) -> str:
        """The problem statement as one paragraph."""
        def clean(s):
            return s.strip().rstrip(".")
        return (f"For {clean(self.user)}, {clean(self.problem)}. Today {clean(self.today)}. We know because "
                f"{clean(self.evidence)}. AI fits because {clean(self.why_ai)}.")


def build_problem_statement(user: str, problem: str, evidence: str, today: str, why_ai: str, edge_cases=()) -> ProblemStatement:
    """A validated ProblemStatement (raises CanvasError naming every empty field)."""
    if isinstance(edge_cases, str):
        edge_cases = [edge_cases]
    ps = ProblemStatement(user, problem, evidence, today, why_ai, tuple(edge_cases or ()))
    problems = ps.problems()
    if problems:
        raise CanvasError(problems, "The problem statement")
    return ps


# ---------------------------------------------------------------- the canvas ------------------------------------------

def _slug(text: str) -> str:
    s = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return s[:60] or "opportunity"


@dataclass
class OpportunityCanvas:
    """One AI opportunity on a page: the decision-tree answers, the problem statement, success criteria and guardrails,
    and optionally a data plan (anything with ``to_markdown()``, or text) and open questions for the ML team."""

    title: str
    decision: Mapping[str, bool]
    problem: ProblemStatement
    criteria: SuccessCriteria
    data_plan: object = None
    open_questions: list = field(default_factory=list)
    ux: object = None  # a UXWorksheet: how the product shows uncertainty, handles errors and collects feedback

    def recommendation(self) -> Recommendation:
        """The week-1 decision tree walked with this canvas's answers."""
        if not isinstance(self.decision, Mapping):
            raise InputTypeError("decision must be a dict of question id -> True/False, e.g. {'needs_ai': True, ...}.")
        return recommend(**dict(self.decision))

    def problems(self) -> list[str]:
        """Every fix needed before the one-pager can be written (empty list = ready)."""
        out = []
        if _blank(self.title) or not isinstance(self.title, str):
            out.append("title is empty: name the opportunity in a few words.")
        try:
            self.recommendation()
        except (TypeError, ValueError) as exc:
            out.append(f"decision tree: {exc}")
        if not isinstance(self.problem, ProblemStatement):
            out.append("problem must be a ProblemStatement (use build_problem_statement(...)).")
        else:
            out.extend(self.problem.problems())
        if not isinstance(self.criteria, SuccessCriteria):
            out.append("criteria must be SuccessCriteria([...]) of success(...) and guardrail(...) lines.")
        else:
            out.extend(self.criteria.problems())
        if self.ux is not None:
            if not hasattr(self.ux, "problems") or not hasattr(self.ux, "to_markdown"):
                out.append("ux must be a worksheet made with framing.ux_worksheet(...).")
            else:
                out.extend(self.ux.problems())
        return out

    def warnings(self) -> list[str]:
        """Non-blocking pitfalls (from the problem statement and the decision tree)."""
        out = list(self.problem.warnings()) if isinstance(self.problem, ProblemStatement) else []
        try:
            rec = self.recommendation()
            if not rec.go:
                out.append(f"the decision tree stops at '{rec.stopped_at}': {rec.verdict}")
        except (TypeError, ValueError):
            pass
        return out

    def validate(self) -> "OpportunityCanvas":
        """Return self if ready, else raise CanvasError listing every fix."""
        problems = self.problems()
        if problems:
            raise CanvasError(problems)
        return self

    def to_markdown(self) -> str:
        """The one-pager as Markdown (validates first)."""
        self.validate()
        rec = self.recommendation()
        asked = {k: q for k, q, _ in QUESTIONS}
        lines = [f"# {self.title.strip()}", "", "*Opportunity one-pager (AI PM Lab canvas)*", "",
                 "## Problem", "", self.problem.text(), "",
                 "**Edge cases to design for:**", ""]
        lines += [f"- {e.strip()}" for e in self.problem.edge_cases if isinstance(e, str) and e.strip()]
        lines += ["", "## Is AI the right tool?", ""]
        for key, value in self.decision.items():
            if key in asked:
                lines.append(f"- {asked[key]} **{'Yes' if value else 'No'}**")
        lines += ["", f"**Verdict:** {'GO' if rec.go else 'STOP'}: {rec.verdict}", "",
                  "## Success criteria", "", self.criteria.to_markdown(), ""]
        if self.data_plan is not None:
            plan = self.data_plan.to_markdown() if hasattr(self.data_plan, "to_markdown") else str(self.data_plan)
            lines += ["## Data strategy", "", plan.strip(), ""]
        if self.ux is not None:
            lines += ["## When the AI is unsure or wrong", "", self.ux.to_markdown().strip(), ""]
        questions = [q for q in self.open_questions if isinstance(q, str) and q.strip()]
        if questions:
            lines += ["## Open questions for the ML team", ""] + [f"- {q.strip()}" for q in questions] + [""]
        warnings = self.warnings()
        if warnings:
            lines += ["## Watch-outs", ""] + [f"- {w}" for w in warnings] + [""]
        return "\n".join(lines).rstrip() + "\n"

    def default_filename(self) -> str:
        """one_pager_<title-slug>.md"""
        return f"one_pager_{_slug(self.title if isinstance(self.title, str) else '')}.md"


def review(canvas: OpportunityCanvas) -> dict:
    """Whether the canvas is ready to write: ``ready``, the fixes still needed (``problems``) and the ``warnings``."""
    if not isinstance(canvas, OpportunityCanvas):
        raise InputTypeError(f"review needs an OpportunityCanvas, not {type(canvas).__name__}.")
    problems = canvas.problems()
    return {"ready": not problems, "problems": problems, "warnings": canvas.warnings()}


def write_one_pager(canvas: OpportunityCanvas, path=None) -> Path:
    """Write the canvas as a Markdown one-pager (default: output_dir()/one_pager_<title>.md), overwriting; returns the path."""

    if not isinstance(canvas, OpportunityCanvas):
        raise InputTypeError(f"write_one_pager needs an OpportunityCanvas, not {type(canvas).__name__}.")
    text = canvas.to_markdown()  # validates: nothing is written for an unfinished canvas
    target = Path(path) if path is not None else output_dir() / canvas.default_filename()
    if target.suffix.lower() != ".md":
        raise InputError(f"{target.name}: the one-pager is Markdown: give the file a .md name.")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    return target
