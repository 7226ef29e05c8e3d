"""Week 7 -> week 8: the learner's success criteria are saved as JSON and read back by the capstone (contracts §5)."""
import json
from pathlib import Path

import pytest

from ai_pm_lab import datafiles, framing
from ai_pm_lab.errors import InputError, InputTypeError
from ai_pm_lab.framing import SuccessCriteria, guardrail, load_criteria, save_criteria, success


@pytest.fixture
def out(tmp_path, monkeypatch):
    monkeypatch.setenv("AI_PM_LAB_OUTPUT_DIR", str(tmp_path / "out"))
    return tmp_path / "out"


def _criteria():
    return SuccessCriteria([
        success("questions handled correctly", 0.31, 0.5, "higher", note="right answer or 'I don't know'"),
        guardrail("wrong answers", 0.1, "lower", baseline=0.08),
        guardrail("p95 latency (s)", 4.0, "lower", unit="s"),
        guardrail("cost per 1,000 questions ($)", 2.5, "lower", unit="$"),
    ])


def test_round_trip_keeps_every_field(out):
    path = save_criteria(_criteria())
    assert path.parent == out and path.suffix == ".json"
    back = load_criteria()
    assert isinstance(back, SuccessCriteria)
    assert [c.row() for c in back] == [c.row() for c in _criteria()]
    assert back.evaluate({"questions handled correctly": 0.6, "wrong answers": 0.05, "p95 latency (s)": 3.0,
                          "cost per 1,000 questions ($)": 1.0}).passed


def test_names_keep_separate_files_and_saving_again_overwrites(out):
    save_criteria(_criteria(), name="capstone")
    save_criteria(SuccessCriteria([success("F1", 0.5, 0.7), guardrail("cost", 3, "lower")]), name="routing")
    save_criteria(SuccessCriteria([success("F1", 0.5, 0.9), guardrail("cost", 3, "lower")]), name="routing")
    assert load_criteria("capstone").metrics[0] == "questions handled correctly"
    assert load_criteria("routing").success_criteria[0].target == 0.9
    assert len(list(out.iterdir())) == 2


def test_nothing_saved_gives_none(out):
    assert load_criteria() is None


def test_exported_from_framing():
    assert framing.save_criteria is save_criteria and framing.load_criteria is load_criteria
    assert {"save_criteria", "load_criteria"} <= set(framing.__all__)


def test_invalid_criteria_are_not_saved(out):
    with pytest.raises(framing.CanvasError):
        save_criteria(SuccessCriteria([success("F1", 0.5, 0.4)]))
    assert load_criteria() is None
    with pytest.raises(InputTypeError):
        save_criteria([success("F1", 0.5, 0.7)])


@pytest.mark.parametrize("name", ["", "  ", "../x", "a/b", None, 3])
def test_bad_name_is_refused(out, name):
    with pytest.raises((InputError, InputTypeError)):
        save_criteria(_criteria(), name=name)
    with pytest.raises((InputError, InputTypeError)):
        load_criteria(name)


def test_corrupt_file_says_what_to_do(out):
    path = save_criteria(_criteria())
    path.write_text('{"criteria": [', encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_criteria()
    msg = str(err.value)
    assert path.name in msg and "save_criteria" in msg


@pytest.mark.parametrize("edit", [
    lambda d: d["criteria"][0].update(target="lots"),            # a number typed as text
    lambda d: d["criteria"][0].update(target=0.1),               # target no longer beats the baseline
    lambda d: d["criteria"][1].update(colour="red"),             # an unknown field
    lambda d: d.update(criteria={"metric": "F1"}),               # not a list
    lambda d: d.pop("criteria"),                                 # missing
    lambda d: d["criteria"].__setitem__(0, "F1 0.5 -> 0.7"),     # a row that is not an object
])
def test_hand_edited_file_gives_a_clear_error(out, edit):
    path = save_criteria(_criteria())
    data = json.loads(path.read_text(encoding="utf-8"))
    edit(data)
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_criteria()
    msg = str(err.value)
    assert path.name in msg and "save_criteria" in msg


def test_week8_lesson_finds_what_week7_exercises_saved(tmp_path, monkeypatch):
    # Without AI_PM_LAB_OUTPUT_DIR each folder writes to its own outputs/: exercises/ and notebooks/ are siblings.
    monkeypatch.delenv("AI_PM_LAB_OUTPUT_DIR", raising=False)
    for d in ("exercises", "notebooks", "solutions", "elsewhere"):
        (tmp_path / d).mkdir()
    monkeypatch.chdir(tmp_path / "exercises")
    saved = save_criteria(_criteria())
    monkeypatch.chdir(tmp_path / "solutions")
    save_criteria(SuccessCriteria([success("F1", 0.5, 0.7), guardrail("cost", 3, "lower")]))  # the worked answer, newer
    monkeypatch.chdir(tmp_path / "notebooks")
    back = load_criteria()
    assert back is not None and back.source == saved and back.metrics == _criteria().metrics
    monkeypatch.chdir(tmp_path / "solutions")  # solutions/ itself still reads the learner's file if it has none
    (tmp_path / "solutions" / "outputs" / saved.name).unlink()
    assert load_criteria().source == saved
    monkeypatch.chdir(tmp_path / "elsewhere")  # not a course folder: only its own outputs/ counts
    assert load_criteria() is None


def test_saving_replaces_the_file_whole_and_leaves_no_temporary_file(out, monkeypatch):
    """Week 8 may read the file while week 7 saves it (parallel kernels): the save is a rename, never a rewrite in place."""
    replaced = []
    real_replace = datafiles.os.replace
    monkeypatch.setattr(datafiles.os, "replace", lambda a, b: (replaced.append(Path(b).name), real_replace(a, b)))
    path = framing.save_criteria(_criteria())
    assert replaced == [path.name]
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]
