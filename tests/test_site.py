"""The course website in a real browser: tools/build_site.py builds it from one executed lesson (week 1), then
Debian's Chromium opens every page: it renders with no error and nothing fetched from outside the machine, every image
loads, every link inside the site resolves, the lesson shows its outputs and its widgets' saved views, and axe-core
finds no critical or serious violation in the course's own content (the theme's are listed in build/site-a11y.json).
"""
from __future__ import annotations

import subprocess
import sys

import pytest
from browser_support import BROWSER_MARKS, browser_check

from conftest import ROOT, root_on_debian

sys.path.insert(0, str(ROOT / "tools"))
import check_site  # noqa: E402

HAVE_WEB_DEPS = browser_check.AXE.exists()
pytestmark = [*BROWSER_MARKS, pytest.mark.skipif(not HAVE_WEB_DEPS and not root_on_debian(),
                                                 reason="the website's npm files are missing: run `make web-deps`")]
LESSON = "notebooks/week01_foundations.html"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The website built from week 1, served on loopback: (address, folder)."""
    tmp = tmp_path_factory.mktemp("site")
    out = tmp / "out"
    proc = subprocess.run([sys.executable, str(ROOT / "tools" / "build_site.py"), "--lessons", "week01",
                           "--executed", str(tmp / "executed"), "--src", str(tmp / "src"), "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    with check_site.served(out) as base:
        yield base, out


@pytest.fixture(scope="module")
def visits(site):
    """Every page of the site opened in Chromium (tools/check_site.py): what it logged, fetched, showed and what
    axe-core found."""
    base, out = site
    found = check_site.visit(out, base)
    check_site.write_report(found, check_site.DEFAULT_REPORT)
    return found


def pages_of(visits):
    return {rel: v for rel, v in visits.items() if rel != "__outside__"}


def problem(site, visits, kind: str) -> dict:
    """check_site's finding of one kind ({} when there is none)."""
    base, out = site
    return check_site.problems(visits, out, base).get(kind, {})


def test_the_site_has_the_home_page_the_lesson_and_the_facilitator_pages(visits):
    pages = pages_of(visits)
    assert {"index.html", LESSON, "docs/facilitator_guide.html", "docs/knowledge_checks.html", "search.html"} <= set(pages)


def test_every_page_renders_with_no_error_and_fetches_nothing_from_outside(site, visits):
    assert problem(site, visits, "fetched from outside the machine") == {}
    assert problem(site, visits, "console errors or failed requests") == {}


def test_every_image_loads(site, visits):
    assert problem(site, visits, "images that do not load") == {}


def test_every_link_inside_the_site_resolves(site, visits):
    assert problem(site, visits, "links inside the site that point nowhere") == {}


def test_the_lesson_shows_its_outputs_and_its_widgets_saved_views(site, visits):
    lesson = visits[LESSON]
    assert lesson["outputs"] > 10 and lesson["images"] > 0
    assert lesson["widget_views"] > 0 and lesson["sliders"] > 0
    assert lesson["tracebacks"] == 0
    assert problem(site, visits, "saved widget views not drawn") == {}


def test_no_critical_or_serious_accessibility_violation_in_the_course_content(site, visits):
    print(f"The theme's own violations (listed, not the course's): {check_site.theme_findings(visits)}")
    assert problem(site, visits, "critical or serious accessibility violations in the course's content") == {}
