"""The exercise generator's layout: hints stay where they were written, and each check gets a cell of its own."""
import sys
import types

import pandas as pd

from conftest import ROOT

sys.path.insert(0, str(ROOT / "tools"))
import make_exercises  # noqa: E402

SOLVED = '''rows = [1, 2]
# BEGIN SOLUTION
# HINT: a top-level hint
def first(xs):
    """First item."""
    # HINT: an inner hint
    return xs[0]

answer = first(rows)
# END SOLUTION
checks.first_item(answer)
'''


def test_a_hint_written_inside_a_function_stays_inside_the_stub_function():
    lines = make_exercises.stub_source(SOLVED).splitlines()
    assert lines.index("# HINT: a top-level hint") < lines.index("def first(xs):")
    assert lines.index("def first(xs):") < lines.index("    # HINT: an inner hint") < lines.index("    return None")
    assert "# HINT: an inner hint" not in lines  # never dedented above the def
    assert "answer = None" in lines and "xs[0]" not in "\n".join(lines)


def test_the_check_moves_to_its_own_cell_in_the_learners_copy():
    nb = {"cells": [{"cell_type": "code", "metadata": {}, "source": SOLVED, "outputs": [], "execution_count": None}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 4}
    cells = make_exercises.exercise_from_solution(nb)["cells"]
    assert [c["source"] for c in cells][1] == "checks.first_item(answer)"
    assert "checks.first_item" not in cells[0]["source"] and "answer = None" in cells[0]["source"]


def test_a_cell_without_a_check_stays_one_cell():
    nb = {"cells": [{"cell_type": "code", "metadata": {}, "source": "# BEGIN SOLUTION\nx = 1\n# END SOLUTION\n",
                     "outputs": [], "execution_count": None}], "metadata": {}, "nbformat": 4, "nbformat_minor": 4}
    assert len(make_exercises.exercise_from_solution(nb)["cells"]) == 1


def test_the_split_check_cell_gets_its_own_id():
    nb = {"cells": [{"cell_type": "code", "id": "abc123", "metadata": {}, "source": SOLVED, "outputs": [],
                     "execution_count": None}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    ids = [c["id"] for c in make_exercises.exercise_from_solution(nb)["cells"]]
    assert len(ids) == 2 and len(set(ids)) == 2


def test_a_column_or_attribute_assignment_keeps_the_learners_data():
    """``df["share"] = ...`` must not become ``df = None`` (that erased the learner's table before the region)."""
    src = ('df = load()\n# BEGIN SOLUTION\ndf["share"] = df["n"] / df["n"].sum()\nreport.owner = "me"\n'
           'df.loc[df["n"] > 0, "kept"] = True\n# END SOLUTION\n')
    lines = make_exercises.stub_source(src).splitlines()
    assert "df = None" not in lines and "report = None" not in lines
    assert 'df["share"] = None' in lines and "report.owner = None" in lines
    assert 'df.loc[df["n"] > 0, "kept"] = None' in lines
    namespace = {"load": lambda: pd.DataFrame({"n": [1, 3]}), "report": types.SimpleNamespace()}
    exec(make_exercises.stub_source(src), namespace)  # the stub runs, and the learner's table is still there
    assert namespace["df"]["n"].tolist() == [1, 3]


def test_a_subscript_of_a_name_the_region_assigns_is_left_to_the_learner():
    """``t = ...; t["x"] = ...`` stubs ``t = None`` only: ``t["x"] = None`` would fail on None."""
    src = '# BEGIN SOLUTION\nt = make()\nt["x"] = 1\na, d["k"] = 1, 2\n# END SOLUTION\n'
    lines = make_exercises.stub_source(src).splitlines()
    assert "t = None" in lines and not any(line.startswith("t[") for line in lines)
    assert "a = None" in lines and 'd["k"] = None' in lines
    exec(make_exercises.stub_source(src), {"d": {}})
