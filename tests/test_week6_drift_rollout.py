"""Week 6 drift signals and rollout guardrails against hand-computed cases and bad input."""
import numpy as np
import pandas as pd
import pytest

from ai_pm_lab.operations import drift, rollout, traffic
from ai_pm_lab.operations.assistant import Assistant, AssistantConfig, ReplayGenerator
from ai_pm_lab.rag import RAGPipeline
from ai_pm_lab.testing.fake_model import fake_generation


def test_psi_is_zero_for_the_same_distribution_and_large_for_a_shift():
    rng = np.random.default_rng(0)
    ref = rng.normal(size=2000)
    assert drift.psi(ref, ref) == pytest.approx(0.0, abs=1e-12)
    assert drift.psi(ref, rng.normal(size=2000)) < 0.05
    assert drift.psi(ref, rng.normal(loc=1.5, size=2000)) > 0.25
    # hand case: two bins split at the median of [0,1,2,3] (1.5); actual puts 3 of 4 in the upper bin
    expected = 2 * ((0.25 - 0.5) * np.log(0.25 / 0.5) + (0.75 - 0.5) * np.log(0.75 / 0.5)) / 2
    assert drift.psi([0, 1, 2, 3], [0, 2, 3, 3], bins=2) == pytest.approx(expected)


def test_psi_rejects_empty_and_infinite_input():
    with pytest.raises(ValueError, match="empty"):
        drift.psi([], [1.0])
    with pytest.raises(ValueError, match="infinite"):
        drift.psi([1.0, np.inf], [1.0])
    with pytest.raises(ValueError):
        drift.psi([1.0, 2.0], [1.0], bins=1)


def _frame(values, signal="centroid_distance"):
    return pd.DataFrame({signal: values})


def test_alert_rates_and_threshold_choice():
    null = _frame([0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08, 0.09, 0.20])
    shifted = _frame([0.05, 0.15, 0.25, 0.30])
    assert drift.false_alarm_rate(null, "centroid_distance", 0.085) == pytest.approx(0.2)
    assert drift.detection_rate(shifted, "centroid_distance", 0.085) == pytest.approx(0.75)
    assert drift.pick_threshold(null, "centroid_distance", 0.10) == pytest.approx(0.09)  # only 0.20 is above
    assert drift.pick_threshold(null, "centroid_distance", 0.0) == pytest.approx(0.20)
    table = drift.alert_tradeoff(null, shifted, "centroid_distance")
    assert table["false_alarm_rate"].is_monotonic_decreasing and table["detection_rate"].is_monotonic_decreasing
    with pytest.raises(ValueError, match="Unknown signal"):
        drift.false_alarm_rate(null, "vibes", 0.1)
    with pytest.raises(ValueError, match="no windows"):
        drift.pick_threshold(_frame([]), "centroid_distance")


def test_guardrails_hand_cases():
    g = rollout.Guardrails(max_refusal_increase=0.10, max_groundedness_drop=0.05, max_p95_latency_ratio=1.5, max_cost_ratio=1.2)
    control = {"refusal_rate": 0.20, "groundedness": 0.80, "p95_latency_s": 2.0, "cost_per_query": 0.010}
    fine = {"refusal_rate": 0.30, "groundedness": 0.75, "p95_latency_s": 3.0, "cost_per_query": 0.012}
    assert rollout.check_guardrails(control, fine, g)["ok"].tolist() == [True, True, True, True]
    worse = {"refusal_rate": 0.31, "groundedness": 0.74, "p95_latency_s": 3.1, "cost_per_query": 0.0121}
    assert rollout.check_guardrails(control, worse, g)["ok"].tolist() == [False, False, False, False]
    unmeasured = {**fine, "groundedness": None}
    assert rollout.check_guardrails(control, unmeasured, g)["ok"].tolist()[1] is None
    with pytest.raises(ValueError):
        rollout.Guardrails(max_cost_ratio=0.5)
    with pytest.raises(ValueError):
        rollout.Guardrails(price_model="no-such-model")


def test_arm_metrics_of_empty_traffic_are_none():
    empty = rollout.arm_metrics(pd.DataFrame(), rollout.Guardrails().pricing_model())
    assert empty["requests"] == 0 and empty["refusal_rate"] is None and empty["cost_per_query"] is None


def test_canary_assignment_is_stable_and_nested():
    users = [f"u{i:04d}" for i in range(2000)]
    at5 = {u for u in users if rollout.in_canary(u, 0.05)}
    at25 = {u for u in users if rollout.in_canary(u, 0.25)}
    assert at5 <= at25 and 0.02 < len(at5) / len(users) < 0.08 and 0.2 < len(at25) / len(users) < 0.3
    assert all(rollout.in_canary(u, 1.0) for u in users[:10]) and not any(rollout.in_canary(u, 0.0) for u in users[:10])


def test_canary_rolls_back_a_candidate_that_refuses_everything(tmp_path):
    kb = tmp_path / "kb"
    kb.mkdir()
    for i, topic in enumerate(["refunds within 30 days", "a free trial of 14 days", "plans priced per user", "uptime of 99.9 percent"]):
        (kb / f"d{i}.md").write_text(f"---\nid: d{i}\ntitle: Doc {i}\ndate: 2025-01-0{i + 1}\n---\nTidewell offers {topic}.")
    pipe = RAGPipeline(kb, progress=False)
    assistant = Assistant(pipe, AssistantConfig(threshold=-1.0, top_k=2),
                          generator=ReplayGenerator(lambda p, **kw: fake_generation("Tidewell offers it.", latency_s=0.2)))
    stream = traffic.simulate_day(400, seed=5)
    never = assistant.config.variant("refuse-all", threshold=1.0)
    result = rollout.canary(assistant, stream, assistant.config, never, guardrails=rollout.Guardrails(min_requests=5),
                            progress=False)
    assert result.rolled_back and result.stopped_at == 0.05
    assert "refusal_rate" in result.stages.iloc[-1]["breached"]
    assert "refusal rate outside the guardrail" in result.decision, "a decision names the guardrail in words"
    same = rollout.canary(assistant, stream, assistant.config, assistant.config.variant("twin"),
                          guardrails=rollout.Guardrails(min_requests=5), progress=False)
    assert same.promoted and same.stages["stage"].tolist() == [0.05, 0.25, 1.0]
    with pytest.raises(ValueError, match="increasing"):
        rollout.canary(assistant, stream, assistant.config, never, stages=(0.5, 0.25))
    with pytest.raises(ValueError, match="No requests"):
        rollout.canary(assistant, stream.iloc[0:0], assistant.config, never)


def test_null_windows_returns_the_windows_asked_for(tmp_path):
    kb = tmp_path / "kb"
    kb.mkdir()
    (kb / "a.md").write_text("---\nid: a\ntitle: A\ndate: 2025-01-01\n---\nRefunds within 30 days; a free trial of 14 days.")
    pipe = RAGPipeline(kb, progress=False)
    ref = drift.reference_from(pipe, traffic.simulate_day(60, seed=1).question)
    null = drift.null_windows(pipe, ref, n_windows=12, window=25, seed=3)
    assert len(null) == 12 and null["n"].eq(25).all()
    assert null[list(drift.SIGNALS)].notna().all().all()


def test_a_guardrail_without_data_never_passes(tmp_path):
    # Missing data never satisfies a guardrail: NaN counts as "no data" like None, a shadow run with an unmeasured
    # guardrail does not pass, and a canary holds instead of promoting (before: None meant "skip this guardrail").
    g = rollout.Guardrails()
    control = {"refusal_rate": 0.20, "groundedness": 0.80, "p95_latency_s": 2.0, "cost_per_query": 0.010}
    table = rollout.check_guardrails(control, {**control, "p95_latency_s": float("nan")}, g)
    assert table["ok"].tolist()[2] is None and rollout.unmeasured(table) == ["p95_latency_s"]
    empty = pd.DataFrame()
    assert not rollout.ShadowResult(empty, empty, empty, table, empty).passes
    assert rollout.ShadowResult(empty, empty, empty, rollout.check_guardrails(control, control, g), empty).passes
    kb = tmp_path / "kb"
    kb.mkdir()
    for i, topic in enumerate(["refunds within 30 days", "a free trial of 14 days", "plans priced per user"]):
        (kb / f"d{i}.md").write_text(f"---\nid: d{i}\ntitle: Doc {i}\ndate: 2025-01-0{i + 1}\n---\nTidewell offers {topic}.")
    untimed = ReplayGenerator(lambda p, **kw: fake_generation("Tidewell offers it.", latency_s=float("nan")))
    assistant = Assistant(RAGPipeline(kb, progress=False), AssistantConfig(threshold=-1.0, top_k=2), generator=untimed)
    result = rollout.canary(assistant, traffic.simulate_day(400, seed=5), assistant.config,
                            assistant.config.variant("twin"), guardrails=rollout.Guardrails(min_requests=5), progress=False)
    assert not result.promoted and not result.rolled_back and result.stopped_at == 0.05
    assert result.stages.iloc[-1]["verdict"] == "hold: no data" and "no data for p95 latency" in result.decision


def test_canary_report_names_the_guardrail_that_stopped_each_candidate(tmp_path):
    # Before: the lesson's stage table left out groundedness, the guardrail that rolled one candidate back.
    kb = tmp_path / "kb"
    kb.mkdir()
    for i, topic in enumerate(["refunds within 30 days", "a free trial of 14 days", "plans priced per user"]):
        (kb / f"d{i}.md").write_text(f"---\nid: d{i}\ntitle: Doc {i}\ndate: 2025-01-0{i + 1}\n---\nTidewell offers {topic}.")
    pipe = RAGPipeline(kb, progress=False)
    assistant = Assistant(pipe, AssistantConfig(threshold=-1.0, top_k=2),
                          generator=ReplayGenerator(lambda p, **kw: fake_generation("Tidewell offers it.", latency_s=0.2)))
    stream = traffic.simulate_day(400, seed=5)
    g = rollout.Guardrails(min_requests=5)
    results = {"refuse-all": rollout.canary(assistant, stream, assistant.config,
                                            assistant.config.variant("refuse-all", threshold=1.0), guardrails=g, progress=False),
               "twin": rollout.canary(assistant, stream, assistant.config, assistant.config.variant("twin"),
                                      guardrails=g, progress=False)}
    assert results["refuse-all"].breached == ["refusal_rate"] and results["twin"].breached == []
    assert results["refuse-all"].last_stage == 0.05 and results["twin"].last_stage == 1.0
    report = rollout.canary_report(results)
    assert set(report["guardrail"]) == {"refusal rate", "groundedness", "p95 latency", "cost per query"}
    held = report.set_index(["candidate version", "guardrail"])["held"]
    assert held[("refuse-all", "refusal rate")] == "NO" and held[("twin", "refusal rate")] == "yes"
    with pytest.raises(TypeError):
        rollout.canary_report({"x": "not a result"})


def test_psi_table_adds_up_to_psi_and_refuses_bad_shares():
    e, a = [0.2] * 5, [0.35, 0.25, 0.15, 0.15, 0.10]
    table = drift.psi_table(e, a)
    want = sum((y - x) * np.log(y / x) for x, y in zip(e, a))
    assert table["contribution"].iloc[-1] == pytest.approx(want) and table["contribution"].iloc[:-1].sum() == pytest.approx(want)
    with pytest.raises(ValueError, match="above 0"):
        drift.psi_table([0.5, 0.5], [1.0, 0.0])
    with pytest.raises(ValueError, match="bins"):
        drift.psi_table([0.5, 0.5], [0.2, 0.3, 0.5])


def test_relabel_turns_yesterdays_right_answers_wrong_and_leaves_the_rest():
    day = pd.DataFrame({"eval_id": ["q1", "q1", "q2", None], "gold": ["12 characters", "12 characters", "30 days", ""],
                        "answer": ["At least 12 characters.", "I don't know.", "30 days.", "I don't know."],
                        "refused": [False, True, False, True], "route": ["assistant"] * 4,
                        "should_answer": [True, True, True, False],
                        "status": ["correct", "wrong refusal", "correct", "right refusal"],
                        "handled_correctly": [True, False, True, True]})
    changes = pd.DataFrame({"eval_id": ["q1"], "after": ["14 characters"]})
    out = drift.relabel(day, changes)
    assert out["status"].tolist() == ["wrong answer", "wrong refusal", "correct", "right refusal"]
    assert out["handled_correctly"].tolist() == [False, False, True, True]
    assert day["status"].iloc[0] == "correct", "the input day is not changed"
    assert set(drift.policy_changes()["eval_id"]) <= set(traffic.intents()["eval_id"].dropna())
    with pytest.raises(TypeError):
        drift.relabel(day, pd.DataFrame({"id": ["q1"]}))
