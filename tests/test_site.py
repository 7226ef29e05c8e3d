"""The course website in a real browser: tools/build_site.py builds it from one executed lesson (week 1), then
Debian's Chromium opens every page: it renders with no error and nothing fetched from outside the machine, every image
loads, every link inside the site resolves, the lesson shows its outputs and its widgets' saved views, and axe-core
finds no critical or serious violation in the course's own content (the theme's are listed in build/site-a11y.json).
"""
from __future__ import annotations

import functools
import http.server
import json
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from browser_support import BROWSER_MARKS, browser_check

from conftest import ROOT, root_on_debian

HAVE_WEB_DEPS = browser_check.AXE.exists()
pytestmark = [*BROWSER_MARKS, pytest.mark.skipif(not HAVE_WEB_DEPS and not root_on_debian(),
                                                 reason="the website's npm files are missing: run `make web-deps`")]
COURSE_SCOPE = "article.bd-article"  # the page's own content; the theme's frame (navbar, sidebars) is not the course's
REPORT = ROOT / "build" / "site-a11y.json"
LESSON = "notebooks/week01_foundations.html"


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # the test reads the browser's view, not the server's log
        pass


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The website built from week 1, served on loopback: (address, folder)."""
    tmp = tmp_path_factory.mktemp("site")
    out = tmp / "out"
    proc = subprocess.run([sys.executable, str(ROOT / "tools" / "build_site.py"), "--lessons", "week01",
                           "--executed", str(tmp / "executed"), "--src", str(tmp / "src"), "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(out)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", out
    server.shutdown()


def target_file(out: Path, base: str, href: str) -> Path | None:
    """The file in the site that a same-site link points to (None for links that leave the site)."""
    parsed = urlparse(href)
    if not href.startswith(base) or parsed.scheme not in ("http", "https"):
        return None
    path = out / unquote(parsed.path.lstrip("/"))
    return path / "index.html" if path.is_dir() else path


@pytest.fixture(scope="module")
def visits(site):
    """Every page of the site opened in Chromium: what it logged, fetched, showed and what axe-core found."""
    from playwright.sync_api import sync_playwright

    base, out = site
    pages = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.html") if "_static" not in p.parts)
    found = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=browser_check.CHROMIUM, headless=True,
                                     args=browser_check.CHROMIUM_ARGS)
        context = browser.new_context()
        outside: list[str] = []
        context.route(lambda url: not url.startswith(base), lambda route: (outside.append(route.request.url), route.abort()))
        for rel in pages:
            page = context.new_page()
            errors, failed = [], []
            page.on("console", lambda m, errors=errors: errors.append(m.text) if m.type == "error" else None)
            page.on("response", lambda r, failed=failed: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
            page.goto(base + rel, wait_until="load")
            page.wait_for_timeout(1500)  # the widget renderer draws the saved views after load
            found[rel] = {
                "errors": errors, "failed": failed,
                "broken_images": page.evaluate("() => [...document.images].filter(i => i.offsetParent !== null).filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src.slice(0, 120))"),
                "links": page.evaluate("() => [...document.querySelectorAll('a[href]')].map(a => a.href)"),
                "sliders": page.locator(f"{COURSE_SCOPE} .widget-slider").count(),
                "widget_views": page.locator(f"{COURSE_SCOPE} .jupyter-widgets").count(),
                "outputs": page.locator(f"{COURSE_SCOPE} .cell_output").count(),
                "images": page.locator(f"{COURSE_SCOPE} .cell_output img").count(),
                "tracebacks": page.locator(f"{COURSE_SCOPE} .output.traceback, {COURSE_SCOPE} .output.stderr").count(),
                "axe": browser_check.accessibility(page, COURSE_SCOPE),
            }
            page.close()
        found["__outside__"] = outside
        browser.close()
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps({rel: v["axe"] for rel, v in found.items() if rel != "__outside__"}, indent=1))
    return found


def pages_of(visits):
    return {rel: v for rel, v in visits.items() if rel != "__outside__"}


def test_the_site_has_the_home_page_the_lesson_and_the_facilitator_pages(visits):
    pages = pages_of(visits)
    assert {"index.html", LESSON, "docs/facilitator_guide.html", "docs/knowledge_checks.html", "search.html"} <= set(pages)


def test_every_page_renders_with_no_error_and_fetches_nothing_from_outside(visits):
    assert visits["__outside__"] == []
    problems = {rel: v["errors"] + v["failed"] for rel, v in pages_of(visits).items() if v["errors"] or v["failed"]}
    assert problems == {}


def test_every_image_loads(visits):
    assert {rel: v["broken_images"] for rel, v in pages_of(visits).items() if v["broken_images"]} == {}


def test_every_link_inside_the_site_resolves(site, visits):
    base, out = site
    broken = {rel: [h for h in v["links"] if (t := target_file(out, base, h)) is not None and not t.exists()]
              for rel, v in pages_of(visits).items()}
    assert {rel: links for rel, links in broken.items() if links} == {}


def test_the_lesson_shows_its_outputs_and_its_widgets_saved_views(visits):
    lesson = visits[LESSON]
    assert lesson["outputs"] > 10 and lesson["images"] > 0
    assert lesson["widget_views"] > 0 and lesson["sliders"] > 0
    assert lesson["tracebacks"] == 0


def test_no_critical_or_serious_accessibility_violation_in_the_course_content(visits):
    found = {rel: browser_check.serious(v["axe"]["course"]) for rel, v in pages_of(visits).items()}
    found = {rel: [(r["rule"], r["target"], r["html"][:100]) for r in rows] for rel, rows in found.items() if rows}
    theme = sorted({(r["rule"], r["impact"]) for v in pages_of(visits).values() for r in v["axe"]["other"]})
    print(f"The theme's own violations (listed, not the course's): {theme}")
    assert found == {}
