"""Computed verdicts (ai_pm_lab.verdicts): each rule, bad inputs, the record and its re-check."""
import importlib.util
import json
import os
import subprocess
import sys

import nbformat
import numpy as np
import pytest

from ai_pm_lab import verdicts
from ai_pm_lab.errors import InputError, InputTypeError
from ai_pm_lab.verdicts import named_in, recheck, recorded, reset, verdict
from conftest import ROOT

spec = importlib.util.spec_from_file_location("root_conftest", ROOT / "conftest.py")
hooks = importlib.util.module_from_spec(spec)
spec.loader.exec_module(hooks)


@pytest.fixture(autouse=True)
def fresh(monkeypatch, tmp_path):
    monkeypatch.setenv("AI_PM_LAB_OUTPUT_DIR", str(tmp_path / "out"))
    monkeypatch.delenv(verdicts.SESSION_VAR, raising=False)
    reset()
    yield
    reset()


def v(rule, a, b=None, fmt="number", **kw):
    yes = kw.pop("yes", "yes {a} {b}" if rule != "true" else "yes")
    no = kw.pop("no", "no {a} {b}" if rule != "true" else "no")
    return verdict("case", rule=rule, a=a, b=b, yes=yes, no=no, fmt=fmt, **kw)


@pytest.mark.parametrize("rule, a, b, holds", [
    ("above", 0.6, 0.5, True), ("above", 0.5, 0.5, False),
    ("at_least", 0.5, 0.5, True), ("at_least", 0.4, 0.5, False),
    ("below", 0.4, 0.5, True), ("below", 0.5, 0.5, False),
    ("at_most", 0.5, 0.5, True), ("at_most", 0.6, 0.5, False),
    ("apart_above", (0.5, 0.7), (0.2, 0.4), True), ("apart_above", (0.5, 0.7), (0.2, 0.5), False),
    ("apart_below", (0.1, 0.2), (0.3, 0.4), True), ("apart_below", (0.1, 0.3), (0.3, 0.4), False),
    ("overlap", (0.1, 0.3), (0.3, 0.4), True), ("overlap", (0.1, 0.2), (0.3, 0.4), False),
    ("inside", 0.35, (0.3, 0.4), True), ("inside", 0.45, (0.3, 0.4), False),
    ("outside", 0.45, (0.3, 0.4), True), ("outside", 0.3, (0.3, 0.4), False),
])
def test_each_rule(rule, a, b, holds):
    result = v(rule, a, b)
    assert result.holds is holds
    assert result.text.startswith("yes" if holds else "no")
    assert recheck(recorded()[-1]) == []


def test_every_rule_is_tested():
    assert set(verdicts.RULES) == {"above", "at_least", "below", "at_most", "apart_above", "apart_below", "overlap",
                                   "inside", "outside", "true"}


def test_true_rule_takes_a_computed_flag():
    assert v("true", np.bool_(True)).holds is True
    assert v("true", False).text == "no"
    with pytest.raises(InputTypeError):
        v("true", 1)
    with pytest.raises(InputError):
        verdict("case", rule="true", a=True, yes="yes {a}", no="no")


def test_numbers_are_formatted_by_the_course_formatters():
    result = verdict("rag", rule="apart_above", a=(0.52, 0.71), b=(0.2, 0.38), fmt="rate",
                     yes="With retrieval {a} against {b}.", no="Not clear: {a} against {b}.")
    assert result.text == "With retrieval 52% to 71% against 20% to 38%."
    assert result._repr_markdown_() == "**Verdict:** With retrieval 52% to 71% against 20% to 38%."
    assert "$1,200.00" in v("above", 1200.0, 3.0, fmt="usd").text
    assert "2.5 s" in v("above", 2.5, 3.0, fmt="s").text
    assert v("above", np.float64(3.4), 3, fmt="int").text == "yes 3 3"


@pytest.mark.parametrize("kwargs, error, phrase", [
    (dict(rule="bigger", a=1.0, b=0.0), InputError, "unknown rule"),
    (dict(rule="above", a=1.0, b=0.0, fmt="pct"), InputError, "unknown fmt"),
    (dict(rule="apart_above", a=(0.7, 0.5), b=(0.1, 0.2)), InputError, "low first"),
    (dict(rule="apart_above", a=0.6, b=(0.1, 0.2)), InputTypeError, "(low, high)"),
    (dict(rule="inside", a=0.6, b=(0.1, 0.2, 0.3)), InputTypeError, "(low, high)"),
    (dict(rule="above", a=(0.5, 0.6), b=0.2), InputTypeError, "a number"),
    (dict(rule="above", a=float("nan"), b=0.2), InputError, "did not run"),
    (dict(rule="above", a=None, b=0.2), InputTypeError, "a number"),
    (dict(rule="above", a=True, b=0.2), InputTypeError, "a number"),
    (dict(rule="above", a=1.0, b=0.2, yes="It is bigger.", no="{a} vs {b}"), InputError, "states no number"),
    (dict(rule="above", a=1.0, b=0.2, yes="{a} vs {c}", no="{a} vs {b}"), InputError, "{c}"),
    (dict(rule="above", a=1.0, b=0.2, yes="{a vs {b}", no="{a} vs {b}"), InputError, "stray brace"),
    (dict(rule="above", a=1.0, b=0.2, yes="", no="{a} vs {b}"), InputTypeError, "sentence"),
])
def test_bad_inputs_say_what_to_do(kwargs, error, phrase):
    kwargs = {"yes": "{a} vs {b}", "no": "{a} vs {b}", **kwargs}
    with pytest.raises(error) as info:
        verdict("case", **kwargs)
    assert phrase in str(info.value)
    assert recorded() == []


@pytest.mark.parametrize("bad_id", ["Rag Beats", "", 3, "1st"])
def test_id_must_be_snake_case(bad_id):
    with pytest.raises(InputError):
        verdict(bad_id, rule="above", a=1.0, b=0.0, yes="{a}", no="{b}")


def test_each_verdict_is_recorded_in_the_kernel_and_in_a_file(tmp_path, monkeypatch):
    monkeypatch.setenv(verdicts.SESSION_VAR, "/home/me/notebooks/week04_rag_from_scratch.ipynb")
    v("above", np.float64(0.6), 0.5)
    v("below", 0.6, 0.5)
    records = recorded()
    assert [r["holds"] for r in records] == [True, False]
    assert records[0]["notebook"] == "week04_rag_from_scratch.ipynb" and records[0]["a"] == 0.6
    path = verdicts.records_file()
    assert path.parent == tmp_path / "out" / "verdicts" and path.name.startswith("week04_rag_from_scratch-")
    assert [json.loads(line) for line in path.read_text().splitlines()] == records
    reset()
    assert recorded() == [] and len(path.read_text().splitlines()) == 2


@pytest.mark.parametrize("field, value", [("holds", False), ("text", "yes 0.70 0.50"), ("a", 0.4),
                                          ("rule", "below"), ("b", [0.1, 0.2])])
def test_recheck_catches_a_tampered_record(field, value):
    v("above", 0.6, 0.5)
    record = recorded()[0]
    assert recheck(record) == []
    tampered = {**record, field: value}
    assert recheck(tampered), f"a record with {field}={value!r} passed the re-check"


def test_named_in_finds_each_verdict_id_in_source():
    source = 'verdict("rag_beats", rule="above", a=1, b=2)\nverdicts.verdict(id="judge_ok", rule="true")\n' \
             "x = verdict( 'rag_beats' ,...)\nmy_verdict = 3"
    assert named_in(source) == ["rag_beats", "judge_ok"]


# ------------------------------------------------------------ the lesson test (root conftest.py) ---------------------
def test_the_notebook_hook_flags_a_verdict_never_reached_and_a_record_that_disagrees():
    good = {**_record("above", 0.6, 0.5)}
    assert hooks.computed_verdict_problems("notebooks", "w.ipynb", 'verdict("case", rule="above")', [good]) == []
    missing = hooks.computed_verdict_problems("notebooks", "w.ipynb", 'verdict("case")\nverdict("other")', [good])
    assert len(missing) == 1 and "'other'" in missing[0]
    # an exercise stub may stop before a verdict; its records must still agree with their numbers
    assert hooks.computed_verdict_problems("exercises", "w.ipynb", 'verdict("other")', [good]) == []
    tampered = hooks.computed_verdict_problems("exercises", "w.ipynb", "", [{**good, "holds": False}])
    assert len(tampered) == 1 and "holds" in tampered[0]


def _record(rule, a, b):
    reset()
    v(rule, a, b)
    return recorded()[0]


PROBE = [
    "from ai_pm_lab.verdicts import verdict\n"
    "verdict('rag_helps', rule='above', a=0.6, b=0.4, yes='Up: {a} vs {b}.', no='Not up: {a} vs {b}.', fmt='rate')",
    "if 0.6 < 0.4:  # the other outcome's verdict sits behind an if: it is never reached on this run\n"
    "    verdict('never_reached', rule='above', a=0.6, b=0.4, yes='{a}', no='{b}')",
]


def test_a_lesson_whose_verdict_is_never_reached_fails_under_nbval(tmp_path):
    """The real hook, in a real nbval run: one extra item per notebook, after its cells, in the same kernel."""
    folder = tmp_path / "notebooks"
    folder.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in PROBE]
    nbformat.write(nb, folder / "week99_probe.ipynb")
    (tmp_path / "conftest.py").write_text(f"exec(compile(open({str(ROOT / 'conftest.py')!r}).read(), 'conftest', 'exec'))\n")
    env = {**os.environ, "AI_PM_LAB_THREADS": "1", "AI_PM_LAB_OUTPUT_DIR": str(tmp_path / "out")}
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(tmp_path),
                          "--nbval-lax", "--nbval-current-env", "-rA", str(folder)],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 1, run.stdout[-3000:]
    assert "2 passed, 1 failed" in run.stdout or "1 failed, 2 passed" in run.stdout, run.stdout[-3000:]
    assert "computed verdicts" in run.stdout and "['never_reached']" in run.stdout
    assert "rag_helps" not in run.stdout.split("short test summary")[0].split("FAILURES")[-1]
