"""Every lesson in a real browser: tools/browser_check.py opens each notebooks/weekNN_*.ipynb in JupyterLab under
headless Chromium, runs all cells and tries every widget control (see its docstring for the checks).

Run by `make test` (in the background beside the notebooks) and by `make browser-check`; both install Debian's chromium
when they run as root on Debian (make browser-deps); there a missing chromium fails this test, elsewhere it is skipped with the command that
installs it. Screenshots and report.json: build/browser/.
"""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
from browser_support import BROWSER_MARKS, HAVE_CHROMIUM, browser_check

from conftest import ROOT

OUT = ROOT / "build" / "browser"
LESSONS = browser_check.lessons()





pytestmark = BROWSER_MARKS


def test_chromium_is_installed_where_make_test_can_install_it():
    assert HAVE_CHROMIUM, (f"{browser_check.CHROMIUM} is missing although this runs as root on Debian: "
                           f"run `make browser-deps` (make test does), or {browser_check.INSTALL_HINT}")


@pytest.fixture(scope="module")
def report():
    """One browser_check run over every lesson; its output streams to build/browser/output.txt as it goes."""
    OUT.mkdir(parents=True, exist_ok=True)
    log = OUT / "output.txt"
    with open(log, "w") as out:
        try:  # the timeout only bounds a hang (a normal run of all lessons takes minutes, not an hour)
            code = subprocess.run([sys.executable, str(ROOT / "tools" / "browser_check.py"), "--out", str(OUT)], cwd=ROOT,
                                  stdout=out, stderr=subprocess.STDOUT, text=True, timeout=3600).returncode
        except subprocess.TimeoutExpired:
            code = "killed after 3600 s"
    tail = log.read_text(errors="replace")[-3000:]
    path = OUT / "report.json"
    assert path.exists(), f"browser_check wrote no report (exit {code}):\n{tail}"
    data = json.loads(path.read_text())
    data["returncode"], data["tail"] = code, tail
    return data


def test_every_lesson_is_checked():
    assert len(LESSONS) >= 4, "notebooks/weekNN_*.ipynb"


def test_server_starts_and_stops_and_notebooks_stay_unchanged(report):
    failed = [c for c in report["server"]["checks"] if not c["ok"]]
    assert not failed, failed
    assert report["complete"], f"the run stopped before {report['not_yet_run']} (exit {report['returncode']}):\n{report['tail']}"
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
