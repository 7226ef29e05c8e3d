"""Charts everyone can read: a palette that colour-blind readers can tell apart (simulated colour-vision deficiency,
Machado et al. 2009 through colorspacious), and alt text on every chart the course shows in a notebook."""
from __future__ import annotations

import ast
import itertools
import os
import re
import subprocess
import sys

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from colorspacious import cspace_convert, deltaE
from IPython.core.interactiveshell import InteractiveShell
from matplotlib.colors import is_color_like, to_rgb
from matplotlib.figure import Figure

from ai_pm_lab import plots, tables
from ai_pm_lab.widgets import base as widget_base
from conftest import ROOT

matplotlib.use("Agg")
KINDS = ("deuteranomaly", "protanomaly", "tritanomaly")  # red-weak, green-weak, blue-weak; severity 100 = full
MIN_DISTANCE = 10.0  # CAM02-UCS colour difference: about 10 reads as clearly different colours, side by side
MATPLOTLIB_DEFAULT = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b")  # tab10's first six


def closest_pair(colours) -> float:
    """The smallest colour difference between any two of ``colours``, under each simulated deficiency and normal vision."""
    rgb = np.array([to_rgb(c) for c in colours])
    seen = [rgb] + [np.clip(cspace_convert(rgb, {"name": "sRGB1+CVD", "cvd_type": kind, "severity": 100}, "sRGB1"), 0, 1)
                    for kind in KINDS]
    return min(float(deltaE(a, b, input_space="sRGB1")) for view in seen for a, b in itertools.combinations(view, 2))


def test_the_course_palette_stays_distinct_for_colour_blind_readers():
    assert closest_pair(plots.PALETTE[:6]) >= MIN_DISTANCE


def test_the_check_catches_a_palette_that_red_green_blind_readers_cannot_tell_apart():
    assert closest_pair(MATPLOTLIB_DEFAULT) < MIN_DISTANCE


def colour_lists():
    """Every literal list of two or more colours a chart in the package draws with (``color=[...]``), and every literal
    colour map (``{"correct": "#009E73", ...}``) in a module that draws with matplotlib."""
    for path in sorted((ROOT / "ai_pm_lab").rglob("*.py")):
        source = path.read_text()
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.keyword) and node.arg in ("color", "colors") and isinstance(node.value, ast.List):
                values = [e.value for e in node.value.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
                if len(values) >= 2 and len(values) == len(node.value.elts):
                    yield f"{path.relative_to(ROOT)}:{node.lineno}", values
            elif isinstance(node, ast.Dict) and "matplotlib" in source and len(node.values) >= 2:
                values = [v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str)]
                if len(values) == len(node.values) and all(v.startswith("#") and is_color_like(v) for v in values):
                    yield f"{path.relative_to(ROOT)}:{node.lineno}", values


@pytest.mark.parametrize(("where", "colours"), list(colour_lists()))
def test_every_set_of_chart_colours_stays_distinct(where, colours):
    assert closest_pair(colours) >= MIN_DISTANCE, f"{where}: pick these from ai_pm_lab.plots.PALETTE"


def test_a_chart_reads_out_its_title_axes_and_series():
    fig, ax = plt.subplots()
    ax.plot([1, 2], [3, 4], label="with retrieval")
    ax.legend()
    ax.set_title("Answers right per week")
    ax.set_xlabel("week")
    ax.set_ylabel("share right")
    text = plots.alt_text(fig)
    assert "Answers right per week" in text and "week" in text and "share right" in text and "with retrieval" in text
    html = plots.figure_html(fig)
    assert html.startswith("<img ") and 'alt="Chart: Answers right per week' in html and "data:image/png;base64," in html
    plt.close(fig)


def test_alt_text_is_escaped_and_never_empty():
    fig, ax = plt.subplots()
    assert plots.alt_text(fig) == "Chart"
    ax.set_title('Quotes "and" <tags>')
    assert 'alt="Chart: Quotes &quot;and&quot; &lt;tags&gt;"' in plots.figure_html(fig)
    plt.close(fig)


def test_in_a_notebook_kernel_every_figure_shows_with_alt_text():
    shell = InteractiveShell.instance()
    try:
        assert plots.use_accessible_charts(True)
        fig, ax = plt.subplots()
        ax.set_title("Latency")
        bundle, _ = shell.display_formatter.format(fig)
        assert 'alt="Chart: Latency"' in bundle["text/html"]
        plots.use_accessible_charts(False)
        assert "text/html" not in shell.display_formatter.format(fig)[0]
        plt.close(fig)
    finally:
        plots.use_accessible_charts(False)
        InteractiveShell.clear_instance()


KERNEL_ORDER = """
get_ipython().display_formatter.formatters["text/html"].enabled = True  # as in a kernel (a terminal has it off)
import ai_pm_lab, matplotlib.pyplot as plt
fig, ax = plt.subplots()  # the first figure loads the inline backend, which resets every figure formatter
ax.set_title("Latency")
print("ALT", 'alt="Chart: Latency"' in get_ipython().display_formatter.format(fig)[0].get("text/html", ""))
get_ipython().run_line_magic("matplotlib", "inline")  # a learner's own magic resets them again
get_ipython().run_cell("pass")
print("ALT", 'alt="Chart: Latency"' in get_ipython().display_formatter.format(fig)[0].get("text/html", ""))
"""


def test_alt_text_survives_the_inline_backend_in_a_real_kernel_order(tmp_path):
    """A notebook imports the course, then draws: the inline backend loads on the first figure and drops every figure
    formatter it did not set (so charts showed as bare images with no alt text, as axe-core found in the browser)."""
    script = tmp_path / "order.py"
    script.write_text(KERNEL_ORDER)
    env = dict(os.environ, MPLBACKEND="module://matplotlib_inline.backend_inline", PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-m", "IPython", "--HistoryManager.hist_file=:memory:", "--no-banner",
                          "--colors=NoColor", str(script)], capture_output=True, text=True, env=env, timeout=120,
                         cwd=tmp_path)
    assert [line for line in out.stdout.splitlines() if line.startswith("ALT")] == ["ALT True", "ALT True"], out.stderr


def test_outside_a_notebook_nothing_is_registered():
    assert plots.use_accessible_charts(True) is False
    assert isinstance(plt.figure(), Figure)
    plt.close("all")


def contrast(colour: str, text: str = "white") -> float:
    """WCAG 2 contrast ratio between a background colour and its text."""
    def luminance(c):
        return sum(w * (x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4)
                   for w, x in zip((0.2126, 0.7152, 0.0722), to_rgb(c)))
    hi, lo = sorted((luminance(colour), luminance(text)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_course_buttons_have_readable_text_and_ipywidgets_pale_styles_do_not():
    for caution in (False, True):
        style = widget_base.action_style(caution)
        assert contrast(style["button_color"], style["text_color"]) >= 4.5
    assert contrast("#2196f3") < 4.5  # ipywidgets' "primary" blue with white text: the reason for action_style


PALE_STYLES = {"primary", "warning", "info", "success", "danger"}


def test_no_course_button_uses_a_pale_ipywidgets_style():
    found = []
    for path in sorted((ROOT / "ai_pm_lab").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.keyword) and node.arg == "button_style" and isinstance(node.value, ast.Constant)
                    and node.value.value in PALE_STYLES):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert found == [], "use style=action_style() from ai_pm_lab.widgets.base"


# ---------------------------------------------------------------- every control of every course widget has a name
# A screen reader announces a control by its accessible name: for ipywidgets that is the ``description`` (drawn as the
# control's <label>), for a button its text or, failing that, its tooltip. Built headlessly, shown as the notebook
# shows it (the widget's own ``display`` call is captured), so controls made only for the view are checked too.

import importlib  # noqa: E402

import ipywidgets as W  # noqa: E402
from ipywidgets.widgets.widget_bool import _Bool  # noqa: E402
from ipywidgets.widgets.widget_float import _Float, _FloatRange  # noqa: E402
from ipywidgets.widgets.widget_int import _Int, _IntRange  # noqa: E402
from ipywidgets.widgets.widget_selection import _MultipleSelection, _Selection  # noqa: E402

NAMED_BY_DESCRIPTION = (_Int, _IntRange, _Float, _FloatRange, _Selection, _MultipleSelection, _Bool,
                        W.Text, W.Textarea, W.Password, W.Combobox)


def _tradeoffs_table():
    import pandas as pd
    return pd.DataFrame({"provider": ["local", "openai"], "status": ["measured", "projected"], "quality": [0.4, None],
                         "median latency (s)": [1.0, None], "cost per 1,000 queries ($)": [0.0, 0.04]},
                        index=["m-local", "m-hosted"])


def _evidence():
    from ai_pm_lab.responsibility import checklist
    return checklist.collect_evidence(
        bias={"four_fifths_ratio": 0.9, "passes_four_fifths": True, "swap_flip_rate": 0.05},
        quality={"accuracy": 0.9, "hallucination_rate": 0.04})


def _rag():
    from ai_pm_lab.rag import RAGPipeline
    return RAGPipeline()


def _bench():
    from ai_pm_lab.rag.explore import ANNBench
    return ANNBench.synthetic(n=500, n_queries=10)


def _curve():
    from ai_pm_lab.framing import ml_engineers
    return ml_engineers.complexity_curve((0.01, 0.1, 1.0))


# module, class (or factory), how the lessons build it
COURSE_WIDGETS = {
    "DecisionTreeWidget": ("decision_tree", "DecisionTreeWidget", lambda cls: cls()),
    "NextTokenExplorer": ("next_token", "NextTokenExplorer", lambda cls: cls("The cat sat on the", k=5)),
    "TemperatureExplorer": ("next_token", "TemperatureExplorer", lambda cls: cls("The cat sat on the", k=5, n=2)),
    "KnowledgeCheck": ("knowledge", "knowledge_check", lambda fn: fn(week=3)),
    "CostCalculator": ("cost", "CostCalculator", lambda cls: cls(queries_per_day=1000, input_tokens=500, output_tokens=100)),
    "HallucinationExplorer": ("limits", "HallucinationExplorer", lambda cls: cls(question_id="future-1")),
    "ContextLimitExplorer": ("limits", "ContextLimitExplorer", lambda cls: cls(doc_tokens=600)),
    "ANNExplorer": ("search", "ANNExplorer", lambda cls: cls(_bench())),
    "CosinePieces": ("search", "CosinePieces", lambda cls: cls([1.0, 0.0, 0.5], [0.5, 0.5, 0.5])),
    "RowRanker": ("search", "RowRanker", lambda cls: (lambda rag: cls(rag.vectors[0], rag.vectors, rag.chunks))(_rag())),
    "RAGPlayground": ("rag", "RAGPlayground", lambda cls: cls(_rag())),
    "ThresholdWidget": ("threshold", "ThresholdWidget",
                        lambda cls: cls([True, False, True, False, True], [0.9, 0.2, 0.6, 0.4, 0.7], threshold=0.5)),
    "ChecklistWidget": ("checklist", "ChecklistWidget", lambda cls: cls(_evidence())),
    "CanvasWidget": ("canvas", "CanvasWidget", lambda cls: cls("Ticket routing")),
    "FitExplorer": ("fit", "FitExplorer", lambda cls: cls(_curve())),
    "TradeoffExplorer": ("tradeoffs", "TradeoffExplorer", lambda cls: cls(_tradeoffs_table(), budget=1.0, quality_floor=0.3)),
}


def shown_widgets(name: str, monkeypatch) -> list:
    """Every ipywidget in the view of course widget ``name`` as a notebook shows it, depth first."""
    from ai_pm_lab.testing.fake_model import ScriptedModel
    module_name, attr, build = COURSE_WIDGETS[name]
    module = importlib.import_module(f"ai_pm_lab.widgets.{module_name}")
    shown = []
    monkeypatch.setattr(module, "display", lambda *objs, **_: shown.extend(objs))
    with ScriptedModel("Paris [kb-001]."):
        widget = build(getattr(module, attr))
        widget._ipython_display_()
    found, stack = [], list(shown)
    while stack:
        w = stack.pop(0)
        found.append(w)
        stack[:0] = list(getattr(w, "children", ()) or ())
    return found


def unnamed_controls(widgets) -> list[str]:
    """The controls among ``widgets`` with no accessible name: a button with neither text nor tooltip, any other
    control with an empty description."""
    out = []
    for w in widgets:
        if isinstance(w, W.Button):
            if not (w.description.strip() or (w.tooltip or "").strip()):
                out.append("Button")
        elif isinstance(w, NAMED_BY_DESCRIPTION) and not isinstance(w, W.Valid) and not w.description.strip():
            out.append(f"{type(w).__name__}({getattr(w, 'value', '')!r})")
    return out


def test_the_name_check_catches_a_control_without_a_name():
    assert unnamed_controls([W.Dropdown(options=["a", "b"]), W.Button(), W.Text(description="Prompt"),
                             W.Button(icon="check", tooltip="Check your answers"), W.HTML("not a control")]) == \
        ["Dropdown('a')", "Button"]


@pytest.mark.parametrize("name", sorted(COURSE_WIDGETS))
def test_every_control_of_every_course_widget_has_an_accessible_name(name, monkeypatch):
    widgets = shown_widgets(name, monkeypatch)
    assert any(isinstance(w, (W.Button, *NAMED_BY_DESCRIPTION)) for w in widgets), f"{name} shows no control"
    assert unnamed_controls(widgets) == [], f"{name}: give each control a description (its label)"


# ---------------------------------------------------------------- tables: no empty header cell (axe-core empty-table-header)
EMPTY_TH = re.compile(r"<th(\s[^>]*)?>(\s|&nbsp;)*</th>")


def kernel_html(obj) -> str:
    """The HTML a notebook kernel shows for ``obj`` once ``import ai_pm_lab`` has switched the course's tables on."""
    shell = InteractiveShell.instance()
    try:
        tables.use_readable_tables(True)
        return shell.display_formatter.format(obj)[0]["text/html"]
    finally:
        tables.use_readable_tables(False)
        InteractiveShell.clear_instance()


@pytest.mark.parametrize("course", [False, True])
@pytest.mark.parametrize("indexed", [False, True])
def test_a_notebook_table_has_no_empty_header_cell(course, indexed):
    """pandas leaves the corner above the row labels as an empty <th> (a header cell a screen reader reads as a
    nameless column): the course's tables and learners' own come out with that corner as a plain cell."""
    df = pd.DataFrame({"model": ["a", "b"], "share right": [0.5, 0.25]})
    df = df.set_index("model") if indexed else df
    if course:
        tables.course_table(df)
    assert EMPTY_TH.search(df._repr_html_())  # what pandas does on its own
    shown = kernel_html(df)
    assert EMPTY_TH.search(shown) is None and "share right" in shown and "<td" in shown


def test_a_table_the_notebook_styles_itself_has_no_empty_header_cell():
    styled = pd.DataFrame({"share right": [0.5, 0.25]}, index=["a", "b"]).style.format("{:.0%}")
    assert EMPTY_TH.search(styled._repr_html_())
    shown = kernel_html(styled)
    assert EMPTY_TH.search(shown) is None and "50%" in shown
