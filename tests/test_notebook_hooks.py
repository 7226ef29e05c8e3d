"""The nbval hooks (conftest.py at the course root) judge an executed notebook from what it printed."""
import importlib.util

from conftest import ROOT

spec = importlib.util.spec_from_file_location("root_conftest", ROOT / "conftest.py")
hooks = importlib.util.module_from_spec(spec)
spec.loader.exec_module(hooks)

SOLVED = "PASS 1.1 top token: Right.\nPASS 1.2 entropy: Yes.\n"
STUB = "NOT YET 1.1 top token: Not yet.\nNOT YET 1.2 entropy: Try again.\n"


def test_solutions_must_pass_every_check():
    assert hooks.notebook_verdicts("solutions", "w.ipynb", SOLVED, []) == []
    problems = hooks.notebook_verdicts("solutions", "w.ipynb", SOLVED.replace("PASS 1.2", "NOT YET 1.2"), [])
    assert problems and "1.2 entropy" in problems[0]


def test_exercises_must_pass_no_check_on_the_stub():
    assert hooks.notebook_verdicts("exercises", "w.ipynb", STUB, []) == []
    problems = hooks.notebook_verdicts("exercises", "w.ipynb", STUB.replace("NOT YET 1.1", "PASS 1.1"), [])
    assert problems and "cannot fail" in problems[0] and "1.1 top token" in problems[0]


def test_an_exercise_notebook_without_checks_is_a_problem():
    assert "no exercise check ran" in hooks.notebook_verdicts("exercises", "w.ipynb", "hello", [])[0]


def test_lessons_must_print_the_figures_their_prose_states():
    assert hooks.notebook_verdicts("notebooks", "w.ipynb", "spread 225×", ["costs differ 225×"]) == []
    assert "100×" in hooks.notebook_verdicts("notebooks", "w.ipynb", "spread 225×", ["costs differ 100×"])[0]


def test_every_notebook_cell_waits_longer_than_nbvals_5_s_for_its_outputs():
    """nbval's 5 s wait for a cell's output messages is raised (a busy machine sends them late); the attribute the hook
    sets is the one nbval reads."""
    import inspect
    from types import SimpleNamespace

    import nbval.plugin

    assert "self.output_timeout" in inspect.getsource(nbval.plugin.IPyNbCell.runtest)

    class IPyNbCell:  # the hook recognises nbval's items by their class name
        output_timeout = 5
        parent = SimpleNamespace(fspath=SimpleNamespace(dirpath=lambda: SimpleNamespace(basename="elsewhere")))

    items = [IPyNbCell(), IPyNbCell()]
    hooks.pytest_collection_modifyitems(None, None, items)
    assert [i.output_timeout for i in items] == [hooks.OUTPUT_TIMEOUT_S] * 2 and hooks.OUTPUT_TIMEOUT_S >= 30
