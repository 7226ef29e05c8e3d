#!/usr/bin/env python
"""Re-time every lesson and exercise notebook by one stated method (docs/lesson_timing.md); --check compares the times
the course states with it.

Minutes for a notebook = words of markdown prose / READING_WPM
                       + its measured Run All wall time (deploy/measurements.json, first run from an empty cache)
                       + CODE_CELL_MIN for each code cell a learner sees in a lesson (not the hidden cells tagged
                         "check"): read its few lines, run it, read what it shows
                       + WIDGET_MIN for each interactive widget its code makes (a CourseWidget class, a function that
                         returns one, or ipywidgets' interact)
                       + EXERCISE_MIN for each exercise (exercise notebooks: the ids its week's checks module checks),
rounded to the nearest 5 minutes (at least 5). The tool reads the measurements; it never runs a notebook
(re-measure with `python -m benchmarks lessons` / `python deploy/capacity.py --measure`).

`--check` fails when a lesson's first cell ("**Time:** about T minutes (L for this lesson, E for the exercises ...)"),
its exercise notebook's "**Time:**" line (solutions/ and the generated exercises/), or its facilitator page
(docs/facilitator/weekNN.md) states other minutes than the method gives. README.md states no per-week time, so there
is nothing there to compare.
"""
from __future__ import annotations

import argparse
import ast
import json
import math
import re
import sys
from pathlib import Path

from ai_pm_lab.text import words

ROOT = Path(__file__).resolve().parents[1]
READING_WPM = 150  # careful reading of technical prose while looking at the outputs it points to (docs/lesson_timing.md)
CODE_CELL_MIN = 1.0  # lessons: read a short cell, run it, read its table, chart or sentence
WIDGET_MIN = 3.0  # trying two or three settings of one widget and reading what changes
EXERCISE_MIN = 6.0  # reading one task, writing a few lines or a decision with its why, running the check once or twice
ROUND_TO = 5
MEASUREMENTS = ROOT / "deploy" / "measurements.json"
TIME_LINE = re.compile(r"\*\*Time:\*\* about (\d+) minutes \((\d+) for this lesson, (\d+) for the exercises")
EX_TIME_LINE = re.compile(r"\*\*Time:\*\* about (\d+) minutes")
CHECK_CALL = re.compile(r"""(?:exercise_check|check|report|missing_input)\(\s*f?["'](\d+\.\d+)""")
INTERACT = {"interact", "interactive", "interact_manual"}


def widget_makers(folder: Path = ROOT / "ai_pm_lab" / "widgets") -> set[str]:
    """Names that make an interactive widget: every class in ai_pm_lab/widgets/ that subclasses CourseWidget (directly
    or through another), every public function there annotated to return one, and ipywidgets' interact family."""
    classes, functions = {"CourseWidget"}, {}
    trees = [ast.parse(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.py"))]
    changed = True
    while changed:  # subclasses of subclasses
        changed = False
        for tree in trees:
            for node in tree.body:
                if isinstance(node, ast.ClassDef) and node.name not in classes and any(
                        (b.id if isinstance(b, ast.Name) else getattr(b, "attr", "")) in classes for b in node.bases):
                    classes.add(node.name)
                    changed = True
    for tree in trees:
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and not node.name.startswith("_") and node.returns is not None:
                functions[node.name] = ast.unparse(node.returns)
    makers = {name for name, returns in functions.items() if returns.strip("'\"") in classes}
    return (classes - {"CourseWidget"}) | makers | INTERACT


def prose_words(nb: dict) -> int:
    """Words a reader reads in the notebook's markdown: code spans kept, links' targets, images and HTML tags dropped;
    the launch-on-Binder cell (tagged launch-link) skipped."""
    total = 0
    for cell in nb["cells"]:
        if cell["cell_type"] != "markdown" or "launch-link" in cell.get("metadata", {}).get("tags", []):
            continue
        text = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        text = re.sub(r"!\[[^\]]*\]\([^)]*\)", " ", text)  # images
        text = re.sub(r"\]\([^)]*\)", "] ", text)  # a link's target (its words stay)
        text = re.sub(r"<[^>]+>", " ", text)  # HTML tags
        total += len(words(text))
    return total


def code_calls(nb: dict) -> list[str]:
    """The name of every call in the notebook's code cells (`W.RAGPlayground(...)` -> RAGPlayground), in order."""
    names = []
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        source = "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                f = node.func
                names.append(f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else "")
    return names


def visible_code_cells(nb: dict) -> int:
    """Code cells a learner reads (the hidden nbval check cells, tagged "check", are not counted)."""
    return sum(1 for c in nb["cells"] if c["cell_type"] == "code" and c.get("source")
               and "check" not in c.get("metadata", {}).get("tags", []))


def count_widgets(nb: dict, makers: set[str]) -> int:
    """How many interactive widgets the notebook's code makes."""
    return sum(1 for name in code_calls(nb) if name in makers)


def rounded(minutes: float) -> int:
    """To the nearest ROUND_TO minutes (halves up), at least ROUND_TO."""
    return max(ROUND_TO, int(math.floor(minutes / ROUND_TO + 0.5)) * ROUND_TO)


OPTIONAL = re.compile(r"#{1,3} Going further\b")  # an optional section's heading: its cells are not counted


def required_part(nb: dict) -> dict:
    """The notebook without its optional sections: from a markdown cell that opens with a "## Going further" heading
    up to the next cell that opens with a heading of that level or higher (the run time is still the whole notebook's)."""
    cells, skipping = [], False
    for cell in nb["cells"]:
        text = ("".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]).lstrip()
        if cell["cell_type"] == "markdown" and OPTIONAL.match(text):
            skipping = True
        elif skipping and cell["cell_type"] == "markdown" and re.match(r"#{1,2} ", text):
            skipping = False
        if not skipping:
            cells.append(cell)
    return {**nb, "cells": cells}


def notebook_time(nb: dict, run_s: float, *, exercises: int = 0, makers: set[str] | None = None) -> dict:
    """The method on one notebook: its words, reading, run, code-cell, widget and exercise minutes, and the rounded
    total. A lesson (``exercises=0``) counts its visible code cells; in an exercise notebook the per-exercise allowance
    covers its cells. Optional "Going further" sections are left out (:func:`required_part`)."""
    nb = required_part(nb)
    n_words = prose_words(nb)
    n_cells = 0 if exercises else visible_code_cells(nb)
    n_widgets = count_widgets(nb, widget_makers() if makers is None else makers)
    reading = n_words / READING_WPM
    run = run_s / 60
    minutes = reading + run + n_cells * CODE_CELL_MIN + n_widgets * WIDGET_MIN + exercises * EXERCISE_MIN
    return {"words": n_words, "reading_min": round(reading, 1), "run_min": round(run, 1), "code_cells": n_cells,
            "widgets": n_widgets,
            "exercises": exercises, "minutes": round(minutes, 1), "total": rounded(minutes)}


def week_exercises(week: str) -> int:
    """How many exercises week ``week`` ("05") has: the exercise ids its checks module checks."""
    path = ROOT / "ai_pm_lab" / "checks" / f"week{week}.py"
    return len(set(CHECK_CALL.findall(path.read_text(encoding="utf-8")))) if path.exists() else 0


def run_seconds(measurements: dict, rel: str) -> float:
    """The measured first-run wall time of a notebook (0 with a warning when it was never measured)."""
    entry = measurements.get("notebooks", {}).get(rel)
    if entry is None:
        print(f"warning: {rel} has no run time in {MEASUREMENTS.relative_to(ROOT)}; counted as 0 s. Measure it: "
              f"python -m benchmarks lessons", file=sys.stderr)
        return 0.0
    return float(entry["wall_s"])


def read_nb(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def timings(root: Path = ROOT) -> list[dict]:
    """One row per week: the lesson's and its exercises' times by the method."""
    measurements = json.loads(MEASUREMENTS.read_text(encoding="utf-8"))
    makers = widget_makers()
    rows = []
    for lesson in sorted((root / "notebooks").glob("week[0-9][0-9]_*.ipynb")):
        week = lesson.name[4:6]
        source = root / "solutions" / f"week{week}_exercises.ipynb"
        generated = f"exercises/week{week}_exercises.ipynb"
        lesson_t = notebook_time(read_nb(lesson), run_seconds(measurements, f"notebooks/{lesson.name}"), makers=makers)
        ex_t = notebook_time(read_nb(root / generated), run_seconds(measurements, generated),
                             exercises=week_exercises(week), makers=makers) if source.exists() else None
        rows.append({"week": week, "lesson": lesson, "lesson_time": lesson_t, "exercise_time": ex_t})
    return rows


def first_time_line(nb: dict, pattern: re.Pattern) -> re.Match | None:
    for cell in nb["cells"][:4]:
        if cell["cell_type"] == "markdown":
            m = pattern.search("".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"])
            if m:
                return m
    return None


def disagreements(rows: list[dict], root: Path = ROOT) -> list[str]:
    """Each place that states a time other than the method's (empty when all agree)."""
    problems = []
    for row in rows:
        week, lesson_min = row["week"], row["lesson_time"]["total"]
        ex_min = row["exercise_time"]["total"] if row["exercise_time"] else 0
        want = (lesson_min + ex_min, lesson_min, ex_min)
        stated = first_time_line(read_nb(row["lesson"]), TIME_LINE)
        if stated is None:
            problems.append(f"{row['lesson'].relative_to(root)}: no '**Time:** about T minutes (L for this lesson, E "
                            "for the exercises ...' line in the first cells")
        elif tuple(map(int, stated.groups())) != want:
            problems.append(f"{row['lesson'].relative_to(root)}: states {stated.group(0)!r}; the method gives about "
                            f"{want[0]} minutes ({want[1]} for this lesson, {want[2]} for the exercises)")
        for folder in ("solutions", "exercises"):
            path = root / folder / f"week{week}_exercises.ipynb"
            if not path.exists():
                continue
            m = first_time_line(read_nb(path), EX_TIME_LINE)
            if m is None or int(m.group(1)) != ex_min:
                problems.append(f"{path.relative_to(root)}: states {m.group(0) if m else 'no **Time:** line'!r}; the "
                                f"method gives about {ex_min} minutes")
        page = root / "docs" / "facilitator" / f"week{week}.md"
        if page.exists():
            m = TIME_LINE.search(page.read_text(encoding="utf-8"))
            if m and tuple(map(int, m.groups())) != want:
                problems.append(f"{page.relative_to(root)}: states {m.group(0)!r}; the method gives about {want[0]} "
                                f"minutes ({want[1]} for this lesson, {want[2]} for the exercises)")
    return problems


def table(rows: list[dict]) -> str:
    """The method's result as a markdown table, one line per notebook."""
    head = ("| notebook | words | reading min | run min | code cells | widgets | exercises | minutes | total (rounded) |\n"
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    lines = [head]
    for row in rows:
        for label, t in ((f"week {row['week']} lesson", row["lesson_time"]),
                         (f"week {row['week']} exercises", row["exercise_time"])):
            if t:
                lines.append(f"| {label} | {t['words']:,} | {t['reading_min']} | {t['run_min']} | {t['code_cells']} | {t['widgets']} | "
                             f"{t['exercises']} | {t['minutes']} | {t['total']} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail when a stated time disagrees with the method")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = parser.parse_args(argv)
    rows = timings()
    if args.json:
        print(json.dumps([{**r, "lesson": str(r["lesson"].relative_to(ROOT))} for r in rows], indent=1))
    else:
        print(f"Reading {READING_WPM} words/min, {CODE_CELL_MIN:g} min per lesson code cell, {WIDGET_MIN:g} min per widget, {EXERCISE_MIN:g} min per exercise, run "
              f"times from {MEASUREMENTS.relative_to(ROOT)}; totals rounded to {ROUND_TO} min.\n")
        print(table(rows))
    if args.check:
        problems = disagreements(rows)
        for p in problems:
            print(f"DISAGREES: {p}", file=sys.stderr)
        if problems:
            return 1
        print("every stated time agrees with the method")
    return 0


if __name__ == "__main__":
    sys.exit(main())
