"""Week 7: build vs buy, the data-strategy planner, the learning and validation curves, the better-questions scenario."""
import pandas as pd
import pytest

from ai_pm_lab.framing import data_strategy, ml_engineers, product_thinking


def test_plans_follow_the_stated_assumptions():
    plans = product_thinking.compare_plans(26)
    api, custom = plans.loc["LLM API, iterate"], plans.loc["Custom model"]
    assert api["weeks to first user signal"] == 2 and custom["weeks to first user signal"] == 26
    assert api["releases (learning cycles)"] == 25 and custom["releases (learning cycles)"] == 1
    assert custom["chance some release finds a real need"] == pytest.approx(0.25)
    assert api["chance some release finds a real need"] == pytest.approx(1 - 0.75 ** 25)
    assert custom["cost to first user signal ($)"] == 40_000 + 4 * 4_000 * 26


def test_api_running_cost_grows_with_traffic_and_custom_does_not():
    low = product_thinking.compare_plans(52, {"queries_per_day": 1_000})
    high = product_thinking.compare_plans(52, {"queries_per_day": 1_000_000})
    total = "total cost over 52 weeks ($)"
    assert high.loc["LLM API, iterate", total] > low.loc["LLM API, iterate", total]
    assert high.loc["Custom model", total] == low.loc["Custom model", total]


def test_per_plan_override_and_bad_overrides():
    slow = product_thinking.compare_plans(26, {"weeks_per_iteration": {"api_first": 4}})
    assert slow.loc["LLM API, iterate", "releases (learning cycles)"] == 7
    with pytest.raises(ValueError, match="Unknown assumption"):
        product_thinking.compare_plans(26, {"speed": 2})
    with pytest.raises(ValueError, match="probability"):
        product_thinking.compare_plans(26, {"chance_release_solves_real_need": 2})
    with pytest.raises(ValueError, match="above 0"):
        product_thinking.compare_plans(26, {"weeks_per_iteration": 0})
    with pytest.raises(ValueError, match="horizon"):
        product_thinking.compare_plans(0)


def test_chance_over_time_is_monotone_and_bounded():
    df = product_thinking.chance_over_time(52)
    assert (df.diff().dropna() >= 0).all().all() and df.min().min() >= 0 and df.max().max() <= 1
    assert df.loc[1].sum() == 0 and df.loc[2, "LLM API, iterate"] > 0


@pytest.mark.parametrize("examples,weeks,start,most", [
    (0, 1, "Use a pre-trained LLM", "Use a pre-trained LLM"),
    (1_500, 8, "Use a pre-trained LLM", "Fine-tune an existing model"),
    (100, 2, "Use a pre-trained LLM", "Fine-tune an existing model"),
    (99, 20, "Use a pre-trained LLM", "Use a pre-trained LLM"),
    (5_000_000, 8, "Use a pre-trained LLM", "Fine-tune an existing model"),
    (5_000_000, 30, "Use a pre-trained LLM", "Train a custom model"),
    (10, 0.2, None, None),
])
def test_planner_reads_the_data_requirements_table(examples, weeks, start, most):
    plan = data_strategy.plan_data_strategy(examples, weeks)
    assert plan.start_with == start and plan.most_specialised == most
    assert len(plan.table) == 3 and plan.to_markdown().startswith(f"With **{examples:,} labelled examples**")


def test_planner_explains_what_is_missing_and_refuses_bad_input():
    plan = data_strategy.plan_data_strategy(50, 1)
    why = dict(zip(plan.table["approach"], plan.table["why"]))
    assert "at least 100 labelled examples" in why["Fine-tune an existing model"]
    assert "1,000,000" in why["Train a custom model"] and "12 weeks" in why["Train a custom model"]
    with pytest.raises(ValueError, match="negative"):
        data_strategy.plan_data_strategy(-1, 2)
    with pytest.raises(TypeError):
        data_strategy.plan_data_strategy("many", 2)
    with pytest.raises(ValueError, match="whole number"):
        data_strategy.plan_data_strategy(10.5, 2)


def test_learning_curve_grows_with_labelled_data():
    df = data_strategy.learning_curve_table(steps=4)
    assert list(df["labelled examples"]) == sorted(df["labelled examples"]) and len(df) == 4
    assert df["held-out F1"].between(0, 1).all() and not df.isna().any().any()
    assert df["held-out F1"].iloc[-1] > df["held-out F1"].iloc[0]
    assert (df["train F1"] >= df["held-out F1"]).all()


def _hand_curve(held, train=(0.5, 1.0, 1.0, 1.0, 1.0)):
    """A complexity curve by hand (no training)."""
    df = pd.DataFrame({"C": [0.01, 0.1, 1.0, 10.0, 100.0][:len(held)], "train F1": list(train)[:len(held)],
                       "held-out F1": list(held)})
    return df.assign(gap=df["train F1"] - df["held-out F1"])


@pytest.mark.parametrize("held,want", [
    # held-out still rising while the gap is big: a data shortage, not overfitting (the old rule said overfitting)
    ((0.3, 0.5, 0.55, 0.6, 0.62), ["underfitting", "large gap", "large gap", "large gap", "large gap"]),
    # held-out falls and the gap widens past the best setting: overfitting from there on
    ((0.3, 0.5, 0.7, 0.6, 0.55), ["underfitting", "large gap", "large gap", "overfitting", "overfitting"]),
    # a dip within the tolerance (one point of F1) is noise, not overfitting
    ((0.3, 0.5, 0.7, 0.695, 0.7), ["underfitting", "large gap", "large gap", "large gap", "large gap"]),
])
def test_overfitting_follows_from_the_measured_gap(held, want):
    curve = _hand_curve(held)
    assert ml_engineers.diagnose_curve(curve) == want
    starts = next((c for c, d in zip(curve["C"], want) if d == "overfitting"), None)
    assert ml_engineers.overfitting_starts(curve) == starts


def test_good_fit_and_row_order():
    curve = _hand_curve((0.5, 0.85, 0.6), train=(0.5, 0.9, 1.0))
    assert ml_engineers.diagnose_curve(curve) == ["underfitting", "good fit", "overfitting"]
    shuffled = curve.iloc[[2, 0, 1]]
    assert ml_engineers.diagnose_curve(shuffled) == ["overfitting", "underfitting", "good fit"]


def test_the_setting_to_ship_is_never_called_overfitting():
    for seed in (0, 1, 2):
        curve = ml_engineers.complexity_curve(seed=seed)
        best = ml_engineers.best_setting(curve)
        assert curve.loc[curve["C"] == best, "diagnosis"].iloc[0] != "overfitting"
        assert curve["diagnosis"].iloc[0] == "underfitting"
        for _, row in curve[curve["diagnosis"] == "overfitting"].iterrows():  # each label has its evidence on the curve
            simpler = curve[curve["C"] < row["C"]]
            assert ((simpler["held-out F1"] > row["held-out F1"] + 0.01) & (simpler["gap"] < row["gap"] - 0.01)).any()
    with pytest.raises(ValueError):
        ml_engineers.complexity_curve([1.0])
    with pytest.raises(ValueError):
        ml_engineers.complexity_curve([0, 1])


def test_diagnose_curve_refuses_scores_out_of_range():
    with pytest.raises(ValueError):
        ml_engineers.diagnose_curve(_hand_curve((0.5, 1.2)))
    with pytest.raises(TypeError):
        ml_engineers.diagnose_curve([0.5, 0.6])


def test_training_vs_inference_measures_both():
    r = ml_engineers.training_vs_inference()
    assert r["training examples"] + r["held-out tickets"] == len(data_strategy.ticket_data()[0])
    assert r["training time (s)"] > 0 and r["inference time per ticket (ms)"] > 0
    assert r["F1 on tickets it trained on"] >= r["F1 on held-out tickets"]


def test_scenario_better_questions_uncover_every_risk():
    s = ml_engineers.load_scenario()
    assert s.risks and s.budget == 3
    good = s.evaluate(["Q2", "Q4"])
    assert good["all risks uncovered"] and good["risks missed"] == []
    weak = s.evaluate(["Q1", "Q3", "Q7"])
    assert not weak["all risks uncovered"] and set(weak["risks missed"]) == s.risks
    too_many = s.evaluate(["Q2", "Q4", "Q6", "Q8"])
    assert not too_many["within budget"] and not too_many["all risks uncovered"]
    assert [a["id"] for a in s.ask("Q4")] == ["Q4"]
    with pytest.raises(ValueError, match="Unknown question"):
        s.evaluate(["Q99"])
    with pytest.raises(TypeError):
        s.evaluate(None)


def test_every_risk_is_reachable_by_a_better_question():
    s = ml_engineers.load_scenario()
    better = [q for q, spec in s.questions.items() if spec["better"]]
    assert s.evaluate(better)["risks missed"] == []


def test_tables_load():
    assert list(ml_engineers.terms()["term"]) == ["Training", "Inference", "Fine-tuning", "Hyperparameters", "Overfitting",
                                                   "Underfitting"]
    assert list(ml_engineers.approaches().index) == ["Prompting", "RAG (retrieval-augmented generation)", "Fine-tuning"]
