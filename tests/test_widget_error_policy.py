"""The five widgets that had their own error handling now follow the one policy of widgets/base.py: a bad input shows
the policy's error state (``state['error']`` with the message, a warning line on screen) instead of raising; and the
decisions they show come from plain functions (context.document_fit, catalog.served_model, budget.calculator,
ml_engineers.fit_at, tradeoffs.shortlist, checklist.assess, canvas.review), asserted here on returned data."""
import datetime as dt

import pandas as pd
import pytest

from ai_pm_lab import budget, catalog
from ai_pm_lab.errors import ConfigurationError, InputError, InputTypeError
from ai_pm_lab.framing import canvas as canvas_mod
from ai_pm_lab.framing import ml_engineers
from ai_pm_lab.limits import context
from ai_pm_lab.platforms import tradeoffs
from ai_pm_lab.responsibility import checklist
from ai_pm_lab.widgets.base import CourseWidget
from ai_pm_lab.widgets.canvas import CanvasWidget
from ai_pm_lab.widgets.checklist import ChecklistWidget
from ai_pm_lab.widgets.cost import CostCalculator
from ai_pm_lab.widgets.fit import FitExplorer
from ai_pm_lab.widgets.tradeoffs import TradeoffExplorer

WARNING = "⚠️"


def _curve(bad_held_out=None):
    """A small complexity curve by hand (no training): C, train F1, held-out F1."""
    held = [0.50, 0.80, 0.60] if bad_held_out is None else [0.50, 0.80, bad_held_out]
    df = pd.DataFrame({"C": [0.01, 1.0, 100.0], "train F1": [0.50, 0.85, 1.0], "held-out F1": held})
    return df.assign(gap=df["train F1"] - df["held-out F1"])


def _tradeoff_table(quality=(0.4, float("nan"))):
    return pd.DataFrame({"provider": ["local", "openai"], "status": [tradeoffs.MEASURED, tradeoffs.PROJECTED],
                         "quality": list(quality), "median latency (s)": [1.0, float("nan")],
                         "cost per 1,000 queries ($)": [0.0, 0.04]}, index=["m-local", "m-hosted"])


def _evidence():
    return checklist.collect_evidence(
        bias={"four_fifths_ratio": 0.9, "passes_four_fifths": True, "swap_flip_rate": 0.05},
        kill_switch={"requests": 5, "routed_to_human": 5, "model_calls": 0})


# ---------------------------------------------------------------- bad input: the policy's error state ----------------

def test_canvas_shows_a_bad_file_name_as_the_policy_error(tmp_path):
    w = CanvasWidget("Ticket routing", path=tmp_path / "one_pager.txt")
    assert isinstance(w, CourseWidget)
    for k, v in dict(user="support agents", problem="tickets wait in the wrong queue", evidence="1,200 re-routes a month",
                     today="a keyword list", why_ai="free text").items():
        w.fields[k].value = v
    w.edge_cases.value = "two topics\nanother language\n"
    w.metric.value, w.baseline.value, w.target.value = "routing F1", "0.55", "0.8"
    w.g_metric.value, w.g_baseline.value, w.g_limit.value = "wrong-queue rate", "12%", "15%"
    assert w.state["ready"] and w.state["error"] is None
    state = w.write()  # a .txt name: write_one_pager refuses it
    assert ".md" in state["error"] and state["path"] is None and not state["ready"]
    assert WARNING in w.result.value and not (tmp_path / "one_pager.txt").exists()


def test_checklist_shows_a_folder_as_report_path_as_the_policy_error(tmp_path):
    w = ChecklistWidget(_evidence(), path=tmp_path)  # a folder, not a file name
    assert isinstance(w, CourseWidget) and w.state["error"] is None and w.state["answered"] == 0
    state = w.write()
    assert "is a folder" in state["error"] and "path" not in state
    assert "is a folder" in w.output.value and not w.button.disabled


def test_cost_calculator_shows_impossible_traffic_as_the_policy_error():
    w = CostCalculator(queries_per_day=1000, input_tokens=500, output_tokens=100)
    assert isinstance(w, CourseWidget) and w.state["error"] is None
    w.output_tokens.value = -1
    assert "output_tokens" in w.state["error"] and set(w.state) == {"error"}
    assert WARNING in w.table_html.value and w.levers_html.value == ""
    w.output_tokens.value = 100
    assert w.state["error"] is None and w.state["model"] == w.model.value


def test_fit_explorer_shows_an_impossible_score_as_the_policy_error():
    w = FitExplorer(_curve(bad_held_out=1.7))  # a held-out F1 above 1 cannot be a score
    assert isinstance(w, CourseWidget) and w.state["error"] is None  # the middle setting is fine
    w.slider.value = 100.0
    assert "between 0 and 1" in w.state["error"] and "diagnosis" not in w.state
    assert WARNING in w.readout.value


def test_tradeoff_explorer_shows_a_table_of_text_as_the_policy_error():
    w = TradeoffExplorer(_tradeoff_table(quality=("high", "n/a")))
    assert isinstance(w, CourseWidget)
    assert "quality" in w.state["error"] and "compare_models" in w.state["error"]
    assert w.state["decision"] is None and w.state["choice"] is None and WARNING in w.result.value
    w.floor.value = 0.9  # every control still answers with the same friendly state
    assert "quality" in w.state["error"]


# ---------------------------------------------------------------- the decisions live in plain functions -------------

def test_document_fit_decides_whether_the_document_fits():
    small, big = context.document_fit(600), context.document_fit(3000)
    assert small["fits"] and small["verdict"] == "fits" and small["overflow_by"] == 0
    assert small["tokens"] < small["window"] - context.ANSWER_ROOM_TOKENS
    assert not big["fits"] and big["verdict"] == "does not fit" and big["overflow_by"] == big["tokens"] - big["window"]
    assert context.DOCUMENT_FACT in small["text"]


def test_answer_document_judges_the_answer(fake_model):
    fake_model.reply_with("It is locker 38.")
    r = context.answer_document(context.make_document(600), "head", budget_tokens=300)
    assert r["correct"] is True and r["kept_tokens"] <= 300
    fake_model.reply_with("Locker 12.")
    r = context.answer_document(context.make_document(600), "send everything", budget_tokens=100)
    assert r["correct"] is False and r["kept_share"] == 1.0  # the budget does not apply to 'send everything'


def test_served_model_decides_whether_a_model_is_still_served():
    luna = catalog.default_model("openai")
    assert catalog.served_model(luna).model_id == luna
    retired = next(m for m in catalog.models(include_retired=True) if not m.served_on())
    with pytest.raises(ConfigurationError, match="no longer served"):
        catalog.served_model(retired.model_id)
    with pytest.raises(ConfigurationError, match="Unknown model id"):
        catalog.served_model("gpt-9000")
    deprecated = [m for m in catalog.models(include_retired=True) if m.status == "deprecated"]
    for m in deprecated:  # served the day before its shutdown, not on the day
        day = dt.date.fromisoformat(m.shutdown_date)
        assert catalog.served_model(m.model_id, on=day - dt.timedelta(days=1)).model_id == m.model_id
        with pytest.raises(ConfigurationError):
            catalog.served_model(m.model_id, on=day)


def test_budget_calculator_returns_what_the_cost_widget_shows():
    t = budget.Traffic(1000, 2200, 100, cached_prefix_tokens=2000)
    haiku = catalog.default_model("anthropic")
    out = budget.calculator(t, haiku)
    assert out["model"] == haiku and out["cached_tokens"] == 0 and out["caches_prompts"]
    assert out["cache_min_tokens"] > 2000 and list(out["levers"]["case"])[0] == "list price, no levers"
    assert set(out["table"]["model"]) == {m.model_id for m in catalog.models()}
    retired = next(m for m in catalog.models(include_retired=True) if not m.served_on())
    with pytest.raises(ConfigurationError, match="no longer served"):
        budget.calculator(t, retired.model_id)


def test_fit_at_reads_one_setting_with_its_diagnosis():
    curve = _curve()
    assert ml_engineers.fit_at(curve, 0.01)["diagnosis"] == "underfitting"
    good = ml_engineers.fit_at(curve, 1.0)
    assert good["diagnosis"] == "good fit" and good["gap"] == pytest.approx(0.05)
    assert good["meaning"] == ml_engineers.FIT_MEANINGS["good fit"]
    assert ml_engineers.fit_at(curve, 100.0)["diagnosis"] == "overfitting"
    with pytest.raises(InputError, match="not on the curve"):
        ml_engineers.fit_at(curve, 5.0)
    with pytest.raises(InputTypeError, match="complexity_curve"):
        ml_engineers.fit_at([1, 2], 1.0)


def test_shortlist_refuses_a_table_of_text():
    assert tradeoffs.shortlist(_tradeoff_table(), 1.0, 0.3)["decision"] == "ship candidate"
    with pytest.raises(InputTypeError, match="quality"):
        tradeoffs.shortlist(_tradeoff_table(quality=("high", "n/a")), 1.0, 0.3)
    with pytest.raises(InputError, match="missing columns"):
        tradeoffs.check_table(pd.DataFrame({"x": [1]}))


def test_assess_counts_the_answered_questions():
    result = checklist.assess({"bias": "yes", "shutdown": "no"}, _evidence())
    assert result["answered"] == 2 and "shutdown" in result["blockers"]


def test_canvas_review_and_typed_numbers():
    assert canvas_mod.parse_number("12%") == pytest.approx(0.12) and canvas_mod.parse_number("1,200") == 1200.0
    assert canvas_mod.parse_number("  ") is None and canvas_mod.parse_number("lots") == "lots"
    w = CanvasWidget("T")
    r = canvas_mod.review(w.canvas())
    assert r["ready"] is False and r["problems"] == w.state["problems"]
    with pytest.raises(InputTypeError):
        canvas_mod.review("a canvas")
