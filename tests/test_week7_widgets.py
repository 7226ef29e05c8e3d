"""Week 7 widgets, driven headlessly: the canvas form, the fit slider, the trade-off explorer."""
import pandas as pd
import pytest

from ai_pm_lab.framing import ml_engineers
from ai_pm_lab.platforms import tradeoffs
from ai_pm_lab.widgets.canvas import CanvasWidget
from ai_pm_lab.widgets.fit import FitExplorer
from ai_pm_lab.widgets.tradeoffs import TradeoffExplorer


def _fill(w):
    for k, v in dict(user="support agents", problem="tickets wait in the wrong queue", evidence="1,200 re-routes a month",
                     today="a keyword list", why_ai="free text").items():
        w.fields[k].value = v
    w.edge_cases.value = "two topics\nanother language\n"
    w.metric.value, w.baseline.value, w.target.value = "routing F1", "0.55", "0.8"
    w.g_metric.value, w.g_baseline.value, w.g_limit.value = "wrong-queue rate", "12%", "15%"


def test_canvas_form_validates_live_and_writes_the_one_pager(tmp_path):
    w = CanvasWidget("Ticket routing", path=tmp_path / "one_pager.md")
    assert not w.state["ready"] and any("user is empty" in p for p in w.state["problems"])
    assert w.button.disabled  # nothing to write until the form validates
    _fill(w)
    assert w.state["ready"] and w.state["problems"] == [] and not w.button.disabled
    w.button.click()
    assert w.state["path"] == str(tmp_path / "one_pager.md")
    text = (tmp_path / "one_pager.md").read_text()
    assert "| routing F1 | 0.55 | ≥ 0.8 | higher |" in text and "| wrong-queue rate | 0.12 | ≤ 0.15 | lower |" in text


def test_canvas_form_reports_each_mistake(tmp_path):
    w = CanvasWidget("Ticket routing", path=tmp_path / "x.md")
    _fill(w)
    w.target.value = "0.5"
    assert any("does not beat the baseline 0.55" in p for p in w.state["problems"])
    assert "routing F1: today 0.55, target ≥ 0.5 (higher is better)" in w.reading.value
    w.g_direction.value = "higher"  # the read-back follows every control, even where validation says nothing new
    assert "limit ≥ 0.15 (higher is better)" in w.reading.value
    w.g_direction.value = "lower"
    w.target.value = "0.8"
    w.g_limit.value = "0.05"
    assert any("wrong side" in p for p in w.state["problems"])
    w.g_limit.value = "lots"
    assert any("must be a number" in p for p in w.state["problems"])
    w.g_limit.value = "0.15"
    w.fields["evidence"].value = "   "
    assert w.state["problems"] == ["problem statement: evidence is empty: write how you know it is real (a number from "
                                   "support data, research, or logs)."]
    state = w.write()
    assert state["path"] is None and not (tmp_path / "x.md").exists()


def test_canvas_form_decision_toggle_changes_the_verdict(tmp_path):
    w = CanvasWidget("T", path=tmp_path / "t.md")
    _fill(w)
    w.tree.toggles["has_data"].value = False
    assert w.state["ready"] and any("has_data" in x for x in w.state["warnings"])
    w.write()
    assert "**Verdict:** STOP" in w.state["markdown"]


@pytest.fixture(scope="module")
def curve():
    return ml_engineers.complexity_curve((0.01, 0.1, 1.0, 10.0))


def test_fit_explorer_reads_the_curve(curve):
    f = FitExplorer(curve)
    f.slider.value = 0.01
    assert f.state["diagnosis"] == "underfitting" and f.state["C"] == 0.01
    assert f.state["train F1"] == pytest.approx(curve.iloc[0]["train F1"])
    f.slider.value = 10.0
    assert f.state["diagnosis"] == curve.iloc[-1]["diagnosis"] and f.state["gap"] == pytest.approx(curve.iloc[-1]["gap"])
    assert f.state["error"] is None and f.state["meaning"] == ml_engineers.FIT_MEANINGS[f.state["diagnosis"]]
    assert f.state["meaning"] in f.readout.value
    with pytest.raises(ValueError):
        FitExplorer(curve.iloc[:1])


def test_tradeoff_explorer_sliders_drive_the_decision():
    t = pd.DataFrame({"provider": ["local", "openai"], "status": [tradeoffs.MEASURED, tradeoffs.PROJECTED],
                      "quality": [0.4, float("nan")], "median latency (s)": [1.0, float("nan")],
                      "cost per 1,000 queries ($)": [0.0, 0.04]}, index=["m-local", "m-hosted"])
    e = TradeoffExplorer(t, budget=1.0, quality_floor=0.3)
    assert e.state["decision"] == "ship candidate" and e.state["choice"] == "m-local"
    e.floor.value = 0.6
    assert e.state["decision"] == "measure next" and e.state["choice"] == "m-hosted"
    e.budget.value = 0.01
    assert e.state["decision"] == "nothing fits" and e.state["choice"] is None and e.state["error"] is None
    assert e.state == {**tradeoffs.shortlist(t, e.budget.value, e.floor.value), "error": None}  # the view adds nothing
    shown = e.result.value
    e.floor.value = 0.5  # the decision stays "nothing fits", but the floor's own filter shows it moved
    assert e.state["decision"] == "nothing fits" and e.state["clear_floor"] == []
    assert "50%" in e.state["filters"]
    assert e.result.value != shown
    with pytest.raises(ValueError):
        TradeoffExplorer(pd.DataFrame({"x": [1]}))
