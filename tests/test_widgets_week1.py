"""Week 1 widgets driven headlessly: set .value, call .click(), assert on the returned state."""
from ai_pm_lab.llm.next_token import next_token_distribution
from ai_pm_lab.widgets.decision_tree import DecisionTreeWidget
from ai_pm_lab.widgets.next_token import NextTokenExplorer, TemperatureExplorer


def test_next_token_explorer_follows_prompt_and_k():
    w = NextTokenExplorer("The cat sat on the", k=5)
    assert len(w.state["top_k"]) == 5
    w.text.value = "The capital of France is"
    w.button.click()
    assert w.state["prompt"] == "The capital of France is"
    w.k.value = 12
    assert len(w.state["top_k"]) == 12


def test_next_token_explorer_shows_errors_instead_of_raising():
    w = NextTokenExplorer()
    w.text.value = "   "
    w.button.click()
    assert "empty" in w.state["error"]


def test_temperature_slider_reshapes_from_cache():
    w = TemperatureExplorer("The cat sat on the", k=10)
    dist = next_token_distribution("The cat sat on the")
    w.temperature.value = 0.0
    assert w.state["entropy_bits"] == 0 and w.state["top_k"]["probability"].iloc[0] == 1.0
    w.temperature.value = 2.0
    hot = w.state["entropy_bits"]
    w.temperature.value = 0.5
    assert w.state["entropy_bits"] < hot
    assert abs(hot - dist.entropy(2.0)) < 1e-9
    assert "bits" in w.entropy_label.value


def test_temperature_button_samples_n_completions_reproducibly():
    w = TemperatureExplorer("The cat sat on the", n=3, seed=11)
    w.temperature.value = 1.2
    w.button.click()
    first = list(w.state["samples"])
    assert len(first) == 3 and all(isinstance(s, str) for s in first)
    w.button.click()
    assert w.state["samples"] == first
    w.n.value = 2
    w.button.click()
    assert len(w.state["samples"]) == 2


def test_decision_tree_stops_at_first_no():
    w = DecisionTreeWidget()
    assert w.state["go"] and w.state["stopped_at"] is None and w.state["error"] is None
    w.toggles["affords_inference"].value = False
    assert w.state["stopped_at"] == "affords_inference" and not w.state["go"]
    w.toggles["needs_ai"].value = False
    assert w.state["stopped_at"] == "needs_ai" and len(w.state["path"]) == 1 and w.state["answers"]["needs_ai"] is False
