"""Repository hygiene: notebooks are committed clean, exercises are generated from solutions, names follow the scheme."""
import json
import re
import subprocess
import sys

from conftest import ROOT

sys.path.insert(0, str(ROOT / "tools"))
import make_exercises  # noqa: E402


def test_committed_notebooks_carry_no_outputs():
    result = subprocess.run([sys.executable, "tools/strip_outputs.py", "--check"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_exercises_are_up_to_date():
    result = subprocess.run([sys.executable, "tools/make_exercises.py", "--check"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_notebook_names_follow_the_scheme():
    for folder in ("notebooks", "exercises", "solutions"):
        for path in (ROOT / folder).glob("*.ipynb"):
            assert re.fullmatch(r"week\d\d_[a-z0-9_]+\.ipynb", path.name), path


def test_stub_generation_replaces_solution_regions():
    src = "x = 1\n# BEGIN SOLUTION\n# HINT: think\nanswer = x + 1\ndef f(a):\n    \"\"\"Doc.\"\"\"\n    return a\n# END SOLUTION\ncheck(answer)\n"
    out = make_exercises.stub_source(src)
    assert "answer = None" in out and "x + 1" not in out and "# HINT: think" in out
    assert "def f(a):" in out and "return None" in out and out.endswith("check(answer)\n")


def test_solution_only_cells_are_dropped_and_outputs_stripped():
    nb = {"cells": [{"cell_type": "markdown", "metadata": {"tags": ["solution-only"]}, "source": "secret"},
                    {"cell_type": "code", "metadata": {}, "source": "a = 1", "outputs": [{"x": 1}], "execution_count": 3}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 4}
    out = make_exercises.exercise_from_solution(nb)
    assert len(out["cells"]) == 1 and out["cells"][0]["outputs"] == [] and out["cells"][0]["execution_count"] is None


def test_every_solution_has_marked_regions():
    for path in (ROOT / "solutions").glob("*.ipynb"):
        text = json.loads(path.read_text())
        sources = ["".join(c["source"]) for c in text["cells"]]
        assert any("# BEGIN SOLUTION" in s for s in sources), path
