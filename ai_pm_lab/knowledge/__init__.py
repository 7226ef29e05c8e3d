"""Knowledge checks: the same few questions before and after each lesson, scored, kept on the learner's machine.

Questions are data (``ai_pm_lab/data/knowledge/lessonNN.toml``, one file per week, read with tomllib and validated
here). Scoring, the local record of a learner's results and the before/after progress are plain functions that
return data; ``ai_pm_lab.widgets.knowledge.KnowledgeCheck`` is the view. Nothing leaves the machine unless the
learner joined a workshop room (``send_to_room``)."""
from __future__ import annotations

import ast
import json
import math
import numbers
import random
import re
import string
import tomllib
from dataclasses import dataclass
from pathlib import Path

from ai_pm_lab.datafiles import data_path
from ai_pm_lab.errors import InputError, InputTypeError
from ai_pm_lab.room import client
from ai_pm_lab.settings import output_dir
from ai_pm_lab.tables import format_money, format_number, format_rate

WEEKS = tuple(range(1, 9))
PHASES = ("before", "after")
KINDS = ("predict", "decision", "concept")
RESULTS_FILE = "results.jsonl"
_FIELDS = {"id", "kind", "prompt", "choices", "answer", "why", "measured"}
_ID = re.compile(r"^w\d-[a-z0-9-]+$")


@dataclass(frozen=True)
class Question:
    """One multiple-choice question: its answer key is one of its choices; ``measured`` (optional) is a sentence
    with ``{name}`` placeholders filled from what the lesson measured (``{name:rate}`` as a percentage,
    ``{name:money}`` as dollars)."""
    id: str
    kind: str
    prompt: str
    choices: tuple[str, ...]
    answer: str
    why: str
    measured: str = ""

    @property
    def measured_names(self) -> tuple[str, ...]:
        """The names this question's feedback quotes from the lesson's measurements."""
        return tuple(name for _, name, _, _ in string.Formatter().parse(self.measured) if name)


def shown_choices(question: Question) -> list[str]:
    """The choices in the order a learner sees them: shuffled by the question's id, so the answer is not always
    first and the before and after checks show the same order."""
    return random.Random(question.id).sample(list(question.choices), len(question.choices))


def _problem(source: str, what: str) -> InputError:
    return InputError(f"{source}: {what}")


def parse_questions(data: dict, source: str = "knowledge check") -> tuple[Question, ...]:
    """Validate one week's parsed TOML (``{"week": N, "questions": [...]}``) into Questions; a problem raises an
    InputError that names the question and the fix."""
    if not isinstance(data, dict):
        raise InputTypeError(f"{source}: expected a table with 'week' and [[questions]].")
    raw = data.get("questions")
    if not isinstance(raw, list) or not raw:
        raise _problem(source, "no questions: add at least one [[questions]] table.")
    out, seen = [], set()
    for n, q in enumerate(raw, 1):
        where = f"question {n} ({q.get('id', 'no id')})" if isinstance(q, dict) else f"question {n}"
        if not isinstance(q, dict):
            raise _problem(source, f"{where} must be a [[questions]] table.")
        unknown = set(q) - _FIELDS
        if unknown:
            raise _problem(source, f"{where} has unknown field(s) {sorted(unknown)}: use only {sorted(_FIELDS)}.")
        for key in ("id", "prompt", "why"):
            if not isinstance(q.get(key), str) or not q[key].strip():
                raise _problem(source, f"{where} has no {key}: add {key} = \"...\".")
        if not _ID.match(q["id"]):
            raise _problem(source, f"{where}: id must look like 'w1-short-name' (lower case, digits, hyphens).")
        if q["id"] in seen:
            raise _problem(source, f"{where}: duplicate id {q['id']!r}; give each question its own id.")
        seen.add(q["id"])
        kind = q.get("kind", "concept")
        if kind not in KINDS:
            raise _problem(source, f"{where}: kind must be one of {', '.join(KINDS)}, not {kind!r}.")
        choices = q.get("choices")
        if (not isinstance(choices, list) or len(choices) < 2
                or not all(isinstance(c, str) and c.strip() for c in choices)):
            raise _problem(source, f"{where} needs choices = [\"...\", \"...\"] with at least two non-empty options.")
        if len(set(choices)) != len(choices):
            raise _problem(source, f"{where} lists the same choice twice; make every choice different.")
        if "answer" not in q:
            raise _problem(source, f"{where} has no answer key: add answer = \"<one of the choices>\".")
        if q["answer"] not in choices:
            raise _problem(source, f"{where}: the answer {q['answer']!r} is not among its choices; copy it exactly "
                                   "from the choices list.")
        measured = q.get("measured", "")
        if not isinstance(measured, str):
            raise _problem(source, f"{where}: measured must be a sentence with {{name}} placeholders.")
        question = Question(q["id"], kind, q["prompt"].strip(), tuple(choices), q["answer"], q["why"].strip(),
                            measured.strip())
        try:
            names = question.measured_names
        except ValueError as exc:
            raise _problem(source, f"{where}: measured has a broken placeholder ({exc}); write {{name}}.") from None
        if not all(name.strip() == name and not set(name) & set(".[]!") for name in names):
            raise _problem(source, f"{where}: measured placeholders must be names like {{hit_rate}} or {{model F1}} "
                                   "(no dots, brackets or outer spaces), with :rate or :money as the only formats.")
        if any(spec not in ("", "rate", "money") for _, name, spec, _ in string.Formatter().parse(question.measured) if name):
            raise _problem(source, f"{where}: a measured placeholder's format must be :rate or :money, e.g. {{hit_rate:rate}}.")
        out.append(question)
    return tuple(out)


def check_week(week) -> int:
    """``week`` as a course week number (1–8), or an error that says which weeks exist."""
    if isinstance(week, bool) or not isinstance(week, int):
        raise InputTypeError(f"week must be a whole number from 1 to {WEEKS[-1]}, e.g. week=1.")
    if week not in WEEKS:
        raise InputError(f"week must be from 1 to {WEEKS[-1]}, not {week}.")
    return week


def check_phase(phase) -> str:
    """``phase`` as 'before' or 'after', or an error that says so."""
    if phase not in PHASES:
        raise InputError(f"phase must be 'before' or 'after', not {phase!r}.")
    return phase


def questions_file(week: int) -> str:
    """The bundled data name of a week's questions, e.g. 'knowledge/lesson01.toml'."""
    return f"knowledge/lesson{check_week(week):02d}.toml"


def load_questions(week: int) -> tuple[Question, ...]:
    """The week's questions, validated (the before and the after check ask the same ones)."""
    name = questions_file(week)
    path = data_path(name)
    if not path.is_file():
        raise InputError(f"week {week} has no knowledge check: add ai_pm_lab/data/{name}.")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"ai_pm_lab/data/{name} is not valid TOML ({exc}); fix that line.") from None
    if data.get("week") != week:
        raise InputError(f"ai_pm_lab/data/{name} says week = {data.get('week')!r}; set week = {week}.")
    return parse_questions(data, f"ai_pm_lab/data/{name}")


def all_questions() -> dict[int, tuple[Question, ...]]:
    """Every week's questions, validated, with ids unique across the course."""
    weeks, seen = {}, {}
    for week in WEEKS:
        weeks[week] = load_questions(week)
        for q in weeks[week]:
            if q.id in seen:
                raise InputError(f"question id {q.id!r} is used in weeks {seen[q.id]} and {week}; ids must be unique.")
            seen[q.id] = week
    return weeks


def _missing(value) -> bool:
    return value is None or (isinstance(value, numbers.Real) and not isinstance(value, numbers.Integral)
                             and math.isnan(value))


def _show(value, spec: str) -> str:
    if spec == "rate":
        return format_rate(value)
    if spec == "money":
        return format_money(value)
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, numbers.Integral):
        return f"{int(value):,}"
    if isinstance(value, numbers.Real):  # Python and numpy floats alike (a lesson's figures are often numpy.float32)
        return format_number(float(value))
    return str(value)


def feedback(question: Question, measured: dict | None = None) -> str:
    """The one-line why, followed by what the lesson measured when every figure it quotes was passed in."""
    if not question.measured or not measured:
        return question.why
    parts = list(string.Formatter().parse(question.measured))
    if any(name and _missing(measured.get(name)) for _, name, _, _ in parts):
        return question.why
    text = "".join(lit + (_show(measured[name], spec) if name else "") for lit, name, spec, _ in parts)
    return f"{question.why} {text}"


def score_answers(questions, answers: dict, measured: dict | None = None) -> dict:
    """Score a learner's answers (question id -> chosen choice, None when skipped).

    Returns ``{"rows": [...], "answered", "correct", "total", "score"}``; each row has id, chosen, answer, correct
    (None when skipped) and the feedback line. ``score`` is correct / total (a skipped question counts as not right)."""
    if not isinstance(answers, dict):
        raise InputTypeError("answers must be a dict of question id -> chosen choice.")
    if measured is not None and not isinstance(measured, dict):
        raise InputTypeError("measured must be a dict of name -> value computed in the lesson, e.g. {'hit_rate': 0.8}.")
    ids = {q.id for q in questions}
    stray = set(answers) - ids
    if stray:
        raise InputError(f"no question with id {sorted(stray)[0]!r} this week; use the ids of load_questions(week).")
    rows = []
    for q in questions:
        chosen = answers.get(q.id)
        if chosen is not None and chosen not in q.choices:
            raise InputError(f"{q.id}: {chosen!r} is not one of its choices.")
        rows.append({"id": q.id, "chosen": chosen, "answer": q.answer,
                     "correct": None if chosen is None else chosen == q.answer, "feedback": feedback(q, measured)})
    correct = sum(r["correct"] is True for r in rows)
    answered = sum(r["chosen"] is not None for r in rows)
    return {"rows": rows, "answered": answered, "correct": correct, "total": len(rows),
            "score": correct / len(rows) if rows else 0.0}


def results_path(folder=None) -> Path:
    """The learner's own results file: ``knowledge/results.jsonl`` in the course output folder (or ``folder``)."""
    base = Path(folder) if folder is not None else output_dir("knowledge")
    base.mkdir(parents=True, exist_ok=True)
    return base / RESULTS_FILE


def record_result(week: int, phase: str, scored: dict, folder=None) -> Path:
    """Append one attempt (week, phase, answers, correct, total) to the learner's local results file; returns it."""
    check_week(week)
    check_phase(phase)
    line = {"week": week, "phase": phase, "correct": scored["correct"], "total": scored["total"],
            "answers": {r["id"]: r["chosen"] for r in scored["rows"]}}
    path = results_path(folder)
    with path.open("a", encoding="utf-8") as f:
        f.write(json.dumps(line, ensure_ascii=False) + "\n")
    return path


def read_results(folder=None) -> list[dict]:
    """Every recorded attempt, oldest first (a line that is not valid JSON is skipped)."""
    path = results_path(folder)
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines() if path.is_file() else []:
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(row, dict) and row.get("week") in WEEKS and row.get("phase") in PHASES:
            rows.append(row)
    return rows


def progress(folder=None) -> list[dict]:
    """Per week with any attempt: the latest before and after result (correct, total, score) and the gain
    (after score − before score, None until both exist)."""
    latest: dict[tuple[int, str], dict] = {}
    for row in read_results(folder):
        latest[(row["week"], row["phase"])] = row
    out = []
    for week in sorted({w for w, _ in latest}):
        entry = {"week": week}
        for phase in PHASES:
            r = latest.get((week, phase))
            entry[phase] = None if r is None else {"correct": r["correct"], "total": r["total"],
                                                   "score": r["correct"] / r["total"] if r["total"] else 0.0}
        b, a = entry["before"], entry["after"]
        entry["gain"] = a["score"] - b["score"] if a and b else None
        out.append(entry)
    return out


def progress_line(rows: list[dict], week: int | None = None) -> str:
    """One line: the week's before and after (or, without ``week``, every week's) in plain words."""
    if week is not None:
        rows = [r for r in rows if r["week"] == week]
    if not rows:
        return "No knowledge checks recorded yet: answer one and press Check."

    def one(r):
        parts = [f"{p} {r[p]['correct']} of {r[p]['total']}" if r[p] else f"{p}: not yet" for p in PHASES]
        gain = "" if r["gain"] is None else f" ({r['after']['correct'] - r['before']['correct']:+d} right after the lesson)"
        return f"Week {r['week']}: " + ", ".join(parts) + gain
    return " · ".join(one(r) for r in rows)


def room_payloads(week: int, phase: str, scored: dict) -> list[dict]:
    """What a room receives for one attempt: per answered question its id, the choice and whether it was right
    (no name, no notebook contents; the room takes identity from the learner's session)."""
    return [{"week": week, "phase": phase, "question": r["id"], "chosen": r["chosen"], "correct": r["correct"]}
            for r in scored["rows"] if r["chosen"] is not None]


def send_to_room(week: int, phase: str, scored: dict) -> int:
    """Send an attempt's answers to the learner's workshop room; returns how many were queued for it.

    ``room.client.send`` sends nothing (and returns False) unless the learner joined a room, so outside a room this
    returns 0 and nothing leaves the machine."""
    return sum(bool(client.send("knowledge", payload)) for payload in room_payloads(week, phase, scored))


def progress_chart(rows: list[dict], week: int | None = None, ax=None):
    """Before and after scores as paired bars, one pair per week (or the one ``week``); returns the Axes."""
    import matplotlib.pyplot as plt

    if week is not None:
        rows = [r for r in rows if r["week"] == week]
    if ax is None:
        _, ax = plt.subplots(figsize=(max(3.0, 0.9 * len(rows) + 2.0), 2.6))
    colours = {"before": "#9E9E9E", "after": "#4C72B0"}
    for k, phase in enumerate(PHASES):
        xs = [i + (k - 0.5) * 0.38 for i in range(len(rows))]
        heights = [r[phase]["score"] if r[phase] else 0.0 for r in rows]
        bars = ax.bar(xs, heights, width=0.36, color=colours[phase], label=phase)
        for bar, r in zip(bars, rows):
            text = f"{r[phase]['correct']}/{r[phase]['total']}" if r[phase] else "not yet"
            ax.text(bar.get_x() + bar.get_width() / 2, bar.get_height() + 0.02, text, ha="center", fontsize=8)
    ax.set_xticks(range(len(rows)))
    ax.set_xticklabels([f"week {r['week']}" for r in rows])
    ax.set_ylim(0, 1.2)
    ax.set_yticks([0, 0.5, 1])
    ax.set_yticklabels(["0%", "50%", "100%"])
    ax.set_ylabel("right answers")
    ax.set_title("Your knowledge checks: before and after")
    ax.legend(loc="upper left", fontsize=8, frameon=False, ncols=2)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return ax


def my_progress(week: int | None = None, folder=None) -> list[dict]:
    """Show your own before/after results (one line and one small chart), for ``week`` or every week; returns them.

    Read from this machine only (the course output folder); nothing is sent anywhere."""
    import matplotlib.pyplot as plt

    if week is not None:
        check_week(week)
    rows = progress(folder)
    print(progress_line(rows, week))
    shown = [r for r in rows if week is None or r["week"] == week]
    if shown:
        ax = progress_chart(shown)
        ax.figure.tight_layout()
        plt.show()
    return shown


def lesson_phases(sources, week: int) -> set[str]:
    """Which knowledge checks a lesson's code cells run for ``week``: a subset of {'before', 'after'}.

    Reads each ``knowledge_check(week=N, phase="...")`` call (a cell that does not parse is skipped)."""
    check_week(week)
    found = set()
    for source in sources:
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == "knowledge_check"):
                continue
            kw = {k.arg: k.value.value for k in node.keywords if isinstance(k.value, ast.Constant)}
            if kw.get("week") == week and kw.get("phase", "before") in PHASES:
                found.add(kw.get("phase", "before"))
    return found


def facilitator_page() -> str:
    """docs/knowledge_checks.md: every week's questions, the answer to listen for and its why (Markdown)."""
    lines = ["# Knowledge checks: the questions and the answers to listen for", "",
             "Generated from `ai_pm_lab/data/knowledge/lessonNN.toml` by `python tools/make_knowledge_page.py`; "
             "edit the data files, not this page.", "",
             "Every lesson opens with a short **before** check and closes with the same questions as an **after** "
             "check. A learner sees their own result in the widget and with `ai_pm_lab.knowledge.my_progress()`; "
             "nothing is sent anywhere unless they joined a workshop room. Kinds: *predict* (say what the model or "
             "the metric will do, then see it run), *decision* (what a PM should do), *concept*. In the after "
             "check, the feedback also quotes what the learner's own run of the lesson measured (the *measured* "
             "line below, filled in from their run).", ""]
    for week, questions in all_questions().items():
        lines += [f"## Week {week}", ""]
        for n, q in enumerate(questions, 1):
            lines += [f"{n}. **{q.prompt}** ({q.kind}, `{q.id}`)", ""]
            lines += [f"   - {'**' + c + '** (the answer)' if c == q.answer else c}" for c in q.choices]
            lines += ["", f"   Why: {q.why}", ""]
            if q.measured:
                lines += [f"   Measured (after check): {q.measured}", ""]
    return "\n".join(lines).rstrip() + "\n"
