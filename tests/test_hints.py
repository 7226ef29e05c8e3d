"""Hints on request (ai_pm_lab.exercises.hint_giver): one step at a time, then where the worked answer is; and the
repository's exercise notebooks use them (every # HINT: line is the pointer; every checked exercise has steps; no first
step names the function the answer calls)."""
import ast
import importlib
import json
import re
import sys

import pytest

from ai_pm_lab.errors import InputError, InputTypeError
from ai_pm_lab.exercises import HINT_POINTER, hint_giver
from conftest import ROOT

sys.path.insert(0, str(ROOT / "tools"))
import make_exercises  # noqa: E402

HINTS = {"5.2": ("Look at what each mistake costs.", "Add up the costs at each threshold.", "Take the cheapest."),
         "5.10": ("Nudge.", "Near-answer.")}


def test_each_call_shows_the_next_step_then_where_the_answer_is():
    hint = hint_giver(HINTS)
    first, second, third = hint("5.2"), hint("5.2"), hint("5.2")
    assert [(h.step, h.of) for h in (first, second, third)] == [(1, 3), (2, 3), (3, 3)]
    assert [h.text for h in (first, second, third)] == list(HINTS["5.2"])
    assert first._repr_markdown_().startswith("💡 **Hint 1 of 3**")
    done = hint("5.2")
    assert done.step == 0 and "solutions/week05_exercises.ipynb" in done.text
    assert hint("5.2").step == 0  # stays at the answer's address
    assert hint("5.10").step == 1  # each exercise counts its own steps
    hint.reset()
    assert hint("5.2").step == 1


def test_an_exercise_may_be_named_as_its_check_names_it():
    hint = hint_giver(HINTS)
    assert hint("5.2 an operating point in dollars").exercise == "5.2"
    assert hint(5.2).exercise == "5.2"


def test_each_giver_keeps_its_own_counts():
    a, b = hint_giver(HINTS), hint_giver(HINTS)
    a("5.2")
    assert b("5.2").step == 1


def test_an_unknown_exercise_lists_the_ones_with_hints():
    with pytest.raises(InputError) as info:
        hint_giver(HINTS)("5.3")
    assert "5.2, 5.10" in str(info.value)


@pytest.mark.parametrize("bad, error", [
    ({}, InputTypeError), (None, InputTypeError), ({"5.2": "one string"}, InputError), ({"5.2": ()}, InputError),
    ({"5.2": ("ok", "")}, InputError), ({"five": ("a", "b")}, InputError),
])
def test_bad_hint_tables_are_refused_when_the_giver_is_made(bad, error):
    with pytest.raises(error):
        hint_giver(bad)


# ----------------------------------------------------------------------------------- the repository ------------------
SOLUTIONS = sorted((ROOT / "solutions").glob("week*_exercises.ipynb"))
CHECK_CALL = re.compile(r"""(?:exercise_check|check|report|missing_input)\(\s*f?["'](\d+\.\d+)""")


def code_cells(path) -> list[str]:
    nb = json.loads(path.read_text(encoding="utf-8"))
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]


def week_module(path):
    return importlib.import_module(f"ai_pm_lab.checks.{path.name.split('_')[0]}")


def checked_exercises(module) -> set[str]:
    """Exercise ids the checks module checks (its exercise_check / check / report / missing_input calls)."""
    return set(CHECK_CALL.findall(open(module.__file__, encoding="utf-8").read()))


def _parse(source: str):
    cleaned = "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())
    try:
        return ast.parse(cleaned)
    except SyntaxError:
        return None


def course_names(cells: list[str]) -> set[str]:
    """Names a notebook binds to something from ai_pm_lab (modules, functions, classes): `checks`, `stats`, `lab`..."""
    names = set()
    for source in cells:
        tree = _parse(source)
        for node in ast.walk(tree) if tree else ():
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("ai_pm_lab"):
                names |= {a.asname or a.name for a in node.names}
            elif isinstance(node, ast.Import):
                names |= {a.asname or a.name.split(".")[0] for a in node.names if a.name.startswith("ai_pm_lab")}
    return names


def called_course_functions(region: str, course: set[str]) -> set[str]:
    """The course functions a solution region calls: `stats.threshold_sweep(...)` -> threshold_sweep, and a name
    imported from ai_pm_lab called bare."""
    tree = _parse(region)
    called = set()
    for node in ast.walk(tree) if tree else ():
        if not isinstance(node, ast.Call):
            continue
        func, chain = node.func, []
        while isinstance(func, ast.Attribute):
            chain.append(func.attr)
            func = func.value
        if isinstance(func, ast.Name) and func.id in course:
            called.add(chain[0] if chain else func.id)
    return called


def names_a_call(step: str, name: str) -> bool:
    """Does a hint step name the function ``name``? (`name(`, `.name`, `name` in backticks, or a snake_case name.)"""
    if re.search(rf"(?:\.|`|\b){re.escape(name)}\s*\(|\.{re.escape(name)}\b|`{re.escape(name)}`", step):
        return True
    return "_" in name and re.search(rf"\b{re.escape(name)}\b", step) is not None


def regions_by_exercise(path) -> dict[str, list[str]]:
    """Each exercise's solution regions (the generator's region logic), found from the check call after them."""
    module, out = week_module(path), {}
    for cell in code_cells(path):
        answer, check_part = make_exercises.split_check(cell)
        if not any(make_exercises.BEGIN.match(line) for line in answer.splitlines()):
            continue
        checks_called = re.findall(r"checks\.(\w+)\(", check_part)
        ids = {getattr(getattr(module, fn, None), "exercise", "").split(" ")[0] for fn in checks_called} - {""}
        for exercise in ids:
            out.setdefault(exercise, []).append(answer)
    return out


def test_first_steps_are_told_apart_from_answers():
    course = {"stats", "checks"}
    region = "# BEGIN SOLUTION\nsweep = stats.threshold_sweep(y, p)\nbest = sweep.cost.idxmin()\n# END SOLUTION\n"
    called = called_course_functions(region, course)
    assert called == {"threshold_sweep"}
    assert names_a_call("Try stats.threshold_sweep on the scores.", "threshold_sweep")
    assert not names_a_call("What does each kind of mistake cost you?", "threshold_sweep")
    assert names_a_call("Use `evaluate` on each option.", "evaluate") and not names_a_call("Evaluate the options.",
                                                                                         "evaluate")


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.name)
def test_exercise_notebooks_give_hints_on_request(path):
    module = week_module(path)
    problems = []
    for cell in code_cells(path):
        for line in cell.splitlines():
            if line.strip().startswith("# HINT:"):
                ids = re.findall(r'checks\.hint\("(\d+\.\d+)"\)', line)
                if not ids or line.strip() != HINT_POINTER.format(id=ids[0]):
                    problems.append(f"a # HINT: line is not the pointer form: {line.strip()!r}")
    hints = getattr(module, "HINTS", {})
    for exercise in sorted(checked_exercises(module)):
        if len(hints.get(exercise, ())) < 2:
            problems.append(f"exercise {exercise} has a check but fewer than 2 steps in {module.__name__}.HINTS")
    if not callable(getattr(module, "hint", None)):
        problems.append(f"{module.__name__} has no `hint = exercises.hint_giver(HINTS)`")
    course = course_names(code_cells(path))
    for exercise, regions in regions_by_exercise(path).items():
        first = (hints.get(exercise) or ("",))[0]
        named = sorted(n for r in regions for n in called_course_functions(r, course) if names_a_call(first, n))
        if named:
            problems.append(f"exercise {exercise}: the first hint names {named}, which the answer calls")
    assert not problems, f"{path.name}:\n" + "\n".join(problems)
