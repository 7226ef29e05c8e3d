"""Week 5's judge on the local model: a score per answer (the grounding lift) turned into verdicts by a pass mark set on
human labels; cross-validation judges each answer with a mark set on the other answers; held-out labels exist."""
import numpy as np
import pandas as pd
import pytest

from ai_pm_lab.evaluation import judge as J


def _judged(scores, human):
    return pd.DataFrame({"score": scores, "human_pass": human, "judge_pass": [None] * len(scores), "judge": "local"})


def test_pass_mark_separates_passes_from_fails():
    judged = _judged([0.1, 0.2, 0.3, 1.0, 1.2, 1.5], [False, False, False, True, True, True])
    mark = J.pass_mark(judged)
    assert 0.3 < mark <= 1.0
    assert J.pass_mark(judged.assign(score=None)) is None  # a hosted judge replies itself: no mark


def test_cross_validation_judges_each_answer_with_a_mark_set_without_it():
    # One pass scores far below every other pass: a mark set on all answers includes it (judging it pass), while a
    # mark set on the others cannot have seen it.
    rng = np.random.default_rng(0)
    scores = list(rng.uniform(1.0, 2.0, 10)) + [-5.0] + list(rng.uniform(-1.0, 0.0, 10))
    human = [True] * 11 + [False] * 10
    judged = _judged(scores, human)
    out = J.cross_validate(judged, folds=5, seed=0)
    assert out["judge_pass"].dtype == bool and len(out) == len(judged)
    assert not out["judge_pass"].iloc[10]  # the outlier pass is judged by marks that never saw it
    assert (out["pass_mark"].iloc[10] > -5.0)
    trust = J.validate_judge(out)
    assert trust["n"] == 21 and trust["kappa"] > 0.8


def test_a_judge_without_verdicts_yet_is_a_clear_error():
    judged = _judged([0.1, 1.0], [False, True])
    with pytest.raises(ValueError, match="cross_validate"):
        J.validate_judge(judged)
    with pytest.raises(ValueError, match="two human passes and two human fails"):
        J.cross_validate(judged)


def test_hosted_verdicts_pass_through_cross_validation_unchanged():
    judged = pd.DataFrame({"score": [None, None], "human_pass": [True, False], "judge_pass": [True, True]})
    assert J.cross_validate(judged) is judged


def test_heldout_labels_were_written_about_another_base():
    held, bundled = J.load_heldout_labels(), J.load_judge_labels()
    assert len(held) >= 20 and {r["base"] for r in held} == {"spokeshare"}
    assert 0.3 < sum(r["human_pass"] for r in held) / len(held) < 0.7
    assert not {r["answer"] for r in held} & {r["answer"] for r in bundled} - {"I don't know."}


def test_a_hosted_judge_replies_itself_and_the_same_cells_run():
    from ai_pm_lab.testing.fake_model import ScriptedModel

    rows = J.load_judge_labels()[:6]
    with ScriptedModel(lambda prompt: "PASS" if "90 days" in prompt.split("Answer:")[-1] else "FAIL", name="openai"):
        judged = J.cross_validate(J.run_judge(rows, progress=False))
        fresh = J.run_judge(J.load_heldout_labels()[:2], threshold=J.pass_mark(judged), progress=False)
    assert J.pass_mark(judged) is None and judged["score"].isna().all()
    assert judged["judge_pass"].tolist() == [True] + [False] * 5 and fresh["judge_pass"].dtype == bool
    assert J.validate_judge(judged)["n"] == 6
