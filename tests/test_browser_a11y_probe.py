"""The accessibility audit of tools/browser_check.py can fail: a probe notebook with one fault of each kind the audit
looks for (grey text, faint text, faint text a button reveals, an unnamed dropdown, a chart with no title, a button the Tab
key never reaches) must fail on each, in the real browser. (The lessons themselves: tests/test_browser_lab.py.)"""
from __future__ import annotations

import json
import subprocess
import sys

import nbformat
import pytest
from browser_support import BROWSER_MARKS

from conftest import ROOT

pytestmark = BROWSER_MARKS
PROBE = ROOT / "build" / "a11y_probe" / "probe.ipynb"  # build/ is not committed; the check runs on a staged copy
CELLS = [
    "import ai_pm_lab\nimport ipywidgets as W\nimport matplotlib.pyplot as plt\nfrom IPython.display import HTML",
    "fig, ax = plt.subplots(figsize=(3, 2))\nax.plot([1, 2], [3, 4])\nplt.show()",  # no title, no labels: alt "Chart"
    "HTML(\"<p style='color:#bbb'>grey output text</p><div style='opacity:0.3'>faint output text</div>\")",
    "out = W.HTML('<p>press it</p>')\nb = W.Button(description='Reveal')\n"
    "b.on_click(lambda _: setattr(out, 'value', \"<div style='opacity:0.3'>faint revealed text</div>\"))\nW.VBox([b, out])",
    "W.Dropdown(options=['a', 'b'])",
    "shown = W.HTML('0')\nskipped = W.Button(description='Out of the Tab order', tabbable=False)\n"
    "skipped.on_click(lambda _: setattr(shown, 'value', '1'))\nW.VBox([skipped, shown])",
    "HTML('<style>.probe-nofocus:focus, .probe-nofocus:focus-visible {outline: none !important; box-shadow: none !important}</style>')",
    "said = W.HTML('0')\nplain = W.Button(description='No focus ring')\nplain.add_class('probe-nofocus')\n"
    "plain.on_click(lambda _: setattr(said, 'value', '1'))\nW.VBox([plain, said])",
]


@pytest.fixture(scope="module")
def probe():
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(c) for c in CELLS]
    PROBE.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, PROBE)
    out = PROBE.parent / "out"
    subprocess.run([sys.executable, str(ROOT / "tools" / "browser_check.py"), "--out", str(out), str(PROBE)],
                   cwd=ROOT, timeout=900, capture_output=True, text=True)
    return json.loads((out / "report.json").read_text())["notebooks"][0]


def failed(report, phrase: str) -> list[str]:
    return [c["detail"] for c in report["checks"] if not c["ok"] and phrase in c["check"]]


def test_the_audit_measures_contrast_in_every_output(probe):
    detail = " ".join(failed(probe, "in the course's content (axe-core)"))
    assert "grey output text" in detail and "faint output text" in detail and "select-name" in detail


def test_the_audit_measures_what_a_control_reveals(probe):
    assert "faint revealed text" in " ".join(failed(probe, "once their controls were used"))


def test_a_chart_with_no_title_fails(probe):
    assert failed(probe, "alt text that says what it shows")


def test_a_control_with_no_name_fails(probe):
    assert failed(probe, "every control has an accessible name")


def test_a_control_the_tab_key_cannot_reach_fails(probe):
    rows = [c for c in probe["controls"] if c["label"] == "Out of the Tab order"]
    assert rows and rows[0]["ok"] is False and "keyboard focus" in rows[0]["result"]


def test_a_control_that_hides_its_focus_is_reported(probe):
    assert any("No focus ring" in w and "keyboard focus is" in w for w in probe["warnings"])
    assert not any("Reveal" in w and "keyboard focus is" in w for w in probe["warnings"])
