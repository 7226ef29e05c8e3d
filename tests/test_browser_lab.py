"""`make lab` in a real browser: tools/browser_check.py opens week 1 in JupyterLab under Chromium and drives the widgets.

Skipped unless the dev-only `playwright` package is installed in this interpreter and Debian's /usr/bin/chromium
exists (see DEVELOPERS.md, "Real-browser check"), so CI without them skips it. About 1.5 minutes when it runs.
"""
from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"

pytestmark = [
    pytest.mark.skipif(importlib.util.find_spec("playwright") is None,
                       reason="playwright not installed (dev tool: .venv/bin/pip install playwright)"),
    pytest.mark.skipif(not os.access(CHROMIUM, os.X_OK),
                       reason=f"{CHROMIUM} missing (as root: apt-get update && apt-get install -y chromium)"),
]


def test_week1_widgets_respond_in_a_real_browser():
    proc = subprocess.run([sys.executable, str(ROOT / "tools" / "browser_check.py")], cwd=ROOT,
                          capture_output=True, text=True, timeout=900)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    for check in ("JupyterLab opens week 1", "Run All Cells finishes without errors",
                  "widgets render as widgets", "temperature slider changes the entropy label", "temperature slider redraws the bar chart",
                  "decision-tree toggle 'No' changes the recommendation", "server shut down", "notebook file unchanged"):
        assert f"PASS {check}" in out, out
    assert "FAIL" not in out, out
