"""Week 2 widgets driven headlessly: set .value, call .click(), assert on the returned state (never on generated text)."""
from ai_pm_lab import catalog
from ai_pm_lab.limits import context, hallucination
from ai_pm_lab.widgets.cost import CostCalculator
from ai_pm_lab.widgets.limits import ContextLimitExplorer, HallucinationExplorer


def test_hallucination_explorer_asks_and_runs_the_grid(fake_model):
    fake_model.reply_with(lambda prompt, **kw: "I don't know." if "only from the context" in prompt else "It was the Chiefs.")
    w = HallucinationExplorer(question_id="future-1", mode="no context")
    w.ask_button.click()
    assert w.state["verdict"] == "hallucinated" and w.state["id"] == "future-1"
    w.mode.value = "context + only-from-context"
    w.ask_button.click()
    assert w.state["verdict"] == "refused"
    w.question.value = "answerable-1"
    w.mode.value = "with context"
    w.ask_button.click()
    assert w.state["verdict"] == "hallucinated" and w.state["kind"] == "answerable"
    w.n.value = 2
    w.grid_button.click()
    assert w.state["error"] is None and (w.state["rates"]["samples"] == 2).all() and len(w.state["rates"]) == 9


def test_hallucination_explorer_on_the_real_model_shows_the_rule_applied_to_its_answer():
    w = HallucinationExplorer(question_id="madeup-1", mode="with context")
    w.temperature.value = 0.0
    w.ask_button.click()
    assert w.state["error"] is None and w.state["id"] == "madeup-1" and w.state["mode"] == "with context"
    assert w.state["verdict"] == hallucination.verdict(w.state["answer"], hallucination.question("madeup-1")["answers"])


def test_hallucination_explorer_reports_bad_input_in_state(fake_model):
    w = HallucinationExplorer()
    w.seed.value = -3
    w.ask_button.click()
    assert "seed" in w.state["error"]


def test_context_explorer_counts_measures_and_shows_the_real_overflow():
    w = ContextLimitExplorer(doc_tokens=600)
    w.text.value = "Tokens are pieces of words."
    assert w.state["count"]["tokens"] > 0 and w.state["count"]["window"] == 2048
    assert w.state["document"]["fits"] and w.state["document"]["verdict"] == "fits" and "→ fits" in w.fit_label.value
    w.doc_tokens.value = 3000
    assert not w.state["document"]["fits"] and w.state["document"]["overflow_by"] > 0
    assert w.state["document"]["verdict"] == "does not fit" and "does NOT fit" in w.fit_label.value
    w.strategy.value = "send everything"
    w.send_button.click()
    assert w.state["result"]["answer"] is None and w.state["result"]["error"].startswith("ContextWindowError")
    w.text.value = ""
    assert "empty" in w.state["count"]["error"]


def test_context_explorer_strategy_fits_the_budget(fake_model):
    fake_model.reply_with("locker 38")
    w = ContextLimitExplorer(doc_tokens=3000)
    w.strategy.value = "retrieve-relevant"
    w.budget.value = 300
    w.send_button.click()
    r = w.state["result"]
    assert r["error"] is None and r["kept_tokens"] <= 300 and r["correct"] is True
    fake_model.reply_with("locker 12")
    w.send_button.click()
    assert w.state["result"]["error"] is None and w.state["result"]["correct"] is False
    assert context.DOCUMENT_FACT in fake_model.calls[-1].prompt


def test_context_explorer_lists_the_price_table_windows():
    w = ContextLimitExplorer()
    claude = catalog.model_info(catalog.default_model("anthropic"))
    assert claude.display_name in w.windows_html.value and f"{claude.context_window:,}" in w.windows_html.value
    assert not any(m.display_name in w.windows_html.value for m in catalog.models(include_retired=True) if not m.served_on())


def test_cost_calculator_recomputes_and_rejects_absurd_traffic():
    w = CostCalculator(queries_per_day=1000, input_tokens=500, output_tokens=100)
    model = catalog.default_model("openai")
    first = w.state["table"].set_index("model").loc[model, "per_month"]
    w.queries.value = 2000
    assert abs(w.state["table"].set_index("model").loc[model, "per_month"] - 2 * first) < 1e-9
    w.batch.value = 1.0
    lv = w.state["levers"].set_index("case")["per_month"]
    assert lv["batching only"] < lv["list price, no levers"]
    w.queries.value = -1
    assert "queries_per_day" in w.state["error"] and "⚠️" in w.table_html.value
    w.queries.value = 10**12
    assert "between" in w.state["error"]
    w.queries.value = 100
    w.cached.value = 10_000
    assert "cached_prefix_tokens" in w.state["error"]
    w.cached.value = 0
    assert w.state["error"] is None and w.state["model"] == model and w.state["traffic"].queries_per_day == 100
    # as a PM reads it: a query priced per 1,000 queries, dollars with cents, no raw long decimals
    import re
    shown = w.table_html.value + w.levers_html.value
    assert "per 1,000 queries" in shown and "free" in shown
    assert not re.search(r"(?<![\d.$])\d[\d,]*\.\d{5,}(?!\d)", shown)  # as the browser check: $0.000115 is money


def test_widget_constructors_reject_bad_input_with_the_fix_named():
    import pytest

    with pytest.raises(ValueError, match="Known ids"):
        CostCalculator(model="gpt-9000")
    with pytest.raises(ValueError, match="between"):
        CostCalculator(queries_per_day=-5)
    with pytest.raises(TypeError, match="number"):
        CostCalculator(queries_per_day="many")
    with pytest.raises(ValueError, match="between"):
        ContextLimitExplorer(doc_tokens=50_000)
    with pytest.raises(ValueError, match="choose one of"):
        ContextLimitExplorer(strategy="shred")
    with pytest.raises(ValueError, match="choose one of"):
        HallucinationExplorer(question_id="nope")
    with pytest.raises(ValueError, match="choose one of"):
        HallucinationExplorer(mode="loud")
    with pytest.raises(ValueError, match="between"):
        HallucinationExplorer(n=0)
