"""Every exercise check fails on the generated stub and passes on the solution (both notebooks run for real)."""
import json

import nbformat
import pytest
from nbclient import NotebookClient

from conftest import ROOT

SOLUTIONS = sorted((ROOT / "solutions").glob("week*_exercises.ipynb"))
REPORT = "import json, ai_pm_lab.exercises as _e; print('RESULTS=' + json.dumps(_e.results()))"


def _results(path):
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(REPORT))
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    text = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
    return json.loads(text.split("RESULTS=", 1)[1])


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda p: p.name)
def test_checks_fail_on_stub_and_pass_on_solution(solution):
    solved = _results(solution)
    stub = _results(ROOT / "exercises" / solution.name)
    assert solved, "the solution notebook ran no checks"
    assert set(solved) == set(stub), "exercise and solution must run the same checks"
    assert all(solved.values()), f"checks failing on the solution: {[k for k, v in solved.items() if not v]}"
    assert not any(stub.values()), f"checks passing on the unsolved stub: {[k for k, v in stub.items() if v]}"
