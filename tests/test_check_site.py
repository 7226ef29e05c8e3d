"""tools/check_site.py finds each kind of fault from what a page visit recorded (no browser: the visit records are
written by hand here; tests/test_site.py drives the real browser)."""
from __future__ import annotations

import sys

from conftest import ROOT

sys.path.insert(0, str(ROOT / "tools"))
import check_site  # noqa: E402

BASE = "http://127.0.0.1:8000/"


def page(**changes) -> dict:
    """A sound page's visit record, with ``changes``."""
    sound = {"errors": [], "failed": [], "broken_images": [], "links": [BASE + "index.html", "https://example.org/x"],
             "sliders": 1, "widget_views": 2, "widget_cells": 2, "outputs": 12, "images": 1, "tracebacks": 0,
             "axe": {"course": [], "other": [{"rule": "region", "impact": "moderate"}]}}
    return {**sound, **changes}


def site(tmp_path, **lesson_changes) -> tuple[dict, object]:
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "index.html").write_text("<html></html>")
    found = {"index.html": page(), "notebooks/week01.html": page(**lesson_changes), "__outside__": []}
    return found, tmp_path


def test_a_sound_site_has_no_problem_and_the_themes_findings_are_only_listed(tmp_path):
    found, out = site(tmp_path)
    assert check_site.problems(found, out, BASE) == {}
    assert check_site.theme_findings(found) == [("region", "moderate")]


def test_each_fault_is_found_on_its_page(tmp_path):
    serious = {"rule": "color-contrast", "impact": "serious", "target": ["p"], "html": "<p>grey</p>"}
    found, out = site(tmp_path, links=[BASE + "notebooks/missing.html"], broken_images=["x.png"], tracebacks=1,
                      errors=["boom"], widget_views=0, axe={"course": [serious], "other": []})
    found["__outside__"] = ["https://cdn.example.org/widgets.js"]
    kinds = check_site.problems(found, out, BASE)
    assert set(kinds) == {"fetched from outside the machine", "console errors or failed requests",
                          "images that do not load", "links inside the site that point nowhere",
                          "tracebacks in a lesson's outputs", "saved widget views not drawn",
                          "critical or serious accessibility violations in the course's content"}
    assert kinds["links inside the site that point nowhere"] == {"notebooks/week01.html": [BASE + "notebooks/missing.html"]}


def test_a_lesson_with_no_outputs_is_a_problem(tmp_path):
    found, out = site(tmp_path, outputs=0)
    assert check_site.problems(found, out, BASE) == {"lessons with no outputs": {"notebooks/week01.html": 0}}
