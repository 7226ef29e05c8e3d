"""Every lesson in a real browser: tools/browser_check.py opens each notebooks/weekNN_*.ipynb in JupyterLab under
headless Chromium, runs all cells and tries every widget control (see its docstring for the checks).

Runs inside `make test`, which installs Debian's chromium when it runs as root on Debian (make browser-deps);
elsewhere this test is skipped with the command that installs it. Screenshots and report.json: build/browser/.
"""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import browser_check  # noqa: E402

OUT = ROOT / "build" / "browser"
LESSONS = browser_check.lessons()

pytestmark = [
    pytest.mark.skipif(importlib.util.find_spec("playwright") is None,
                       reason="playwright is not installed: .venv/bin/pip install -r requirements.txt (it pins playwright)"),
    pytest.mark.skipif(not os.access(browser_check.CHROMIUM, os.X_OK),
                       reason=f"{browser_check.CHROMIUM} is missing: {browser_check.INSTALL_HINT}"),
]


@pytest.fixture(scope="module")
def report():
    proc = subprocess.run([sys.executable, str(ROOT / "tools" / "browser_check.py"), "--out", str(OUT)], cwd=ROOT,
                          capture_output=True, text=True, timeout=3600)
    (OUT / "output.txt").write_text(proc.stdout + proc.stderr)
    path = OUT / "report.json"
    assert path.exists(), proc.stdout[-3000:] + proc.stderr[-3000:]
    data = json.loads(path.read_text())
    data["returncode"], data["tail"] = proc.returncode, (proc.stdout + proc.stderr)[-3000:]
    return data


def test_every_lesson_is_checked():
    assert len(LESSONS) >= 4, "notebooks/weekNN_*.ipynb"


def test_server_starts_and_stops_and_notebooks_stay_unchanged(report):
    failed = [c for c in report["server"]["checks"] if not c["ok"]]
    assert not failed, failed
    assert {r["notebook"] for r in report["notebooks"]} == {p.stem for p in LESSONS}


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])
def test_lesson_in_a_real_browser(report, lesson):
    rep = next((r for r in report["notebooks"] if r["notebook"] == lesson.stem), None)
    assert rep is not None, report["tail"]
    names = [c["check"] for c in rep["checks"]]
    for needed in ("JupyterLab opens the notebook", "Run All Cells runs every code cell", "no cell shows an error",
                   "widgets render as widgets (no text fallback)"):
        assert needed in names, f"{lesson.name}: '{needed}' was never checked\n{report['tail']}"
    failed = [f"{c['check']}: {c['detail']}" for c in rep["checks"] if not c["ok"]]
    assert not failed, f"{lesson.name} in Chromium (screenshots in {OUT / lesson.stem}):\n  " + "\n  ".join(failed)
    tried = [c for c in rep["controls"] if "ok" in c]
    assert all(c["ok"] for c in tried)
