#!/usr/bin/env python
"""Open every page of the built website in the real browser and list what is wrong (`make site` runs it on the whole
site; tests/test_site.py on a one-lesson build).

For each page: console errors and failed requests, anything fetched from outside the machine, images that do not
load, links inside the site that point nowhere, tracebacks in a lesson's outputs, a lesson with no outputs or no
saved widget view, and axe-core's critical or serious violations in the course's own content (the theme's own
findings are written to the report and printed, not failed).

    python tools/check_site.py [build/site] [--report build/site-a11y.json]
"""
from __future__ import annotations

import argparse
import functools
import http.server
import json
import sys
import threading
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote, urlparse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import browser_check  # noqa: E402

COURSE_SCOPE = "article.bd-article"  # the page's own content; the theme's frame (navbar, sidebars) is not the course's
DEFAULT_SITE = ROOT / "build" / "site"
DEFAULT_REPORT = ROOT / "build" / "site-a11y.json"
DRAW_WAIT_MS = 1500  # the widget renderer draws the saved views after the page's load event


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # the check reads the browser's view, not the server's log
        pass


@contextmanager
def served(out: Path):
    """The site folder served on loopback; yields its address."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(out)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()


def target_file(out: Path, base: str, href: str) -> Path | None:
    """The file in the site that a same-site link points to (None for links that leave the site)."""
    parsed = urlparse(href)
    if not href.startswith(base) or parsed.scheme not in ("http", "https"):
        return None
    path = out / unquote(parsed.path.lstrip("/"))
    return path / "index.html" if path.is_dir() else path


def pages(out: Path) -> list[str]:
    """Every HTML page of the site (theme assets excluded), relative to its folder."""
    return sorted(p.relative_to(out).as_posix() for p in out.rglob("*.html") if "_static" not in p.parts)


def visit(out: Path, base: str) -> dict:
    """Every page of the site served at ``base`` opened in Chromium: what it logged, fetched, showed and what axe-core
    found; '__outside__' lists requests that tried to leave the machine (each was refused)."""
    from playwright.sync_api import sync_playwright

    found = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=browser_check.CHROMIUM, headless=True,
                                     args=browser_check.CHROMIUM_ARGS)
        context = browser.new_context()
        outside: list[str] = []
        context.route(lambda url: not url.startswith(base), lambda route: (outside.append(route.request.url), route.abort()))
        for rel in pages(out):
            page = context.new_page()
            errors, failed = [], []
            page.on("console", lambda m, errors=errors: errors.append(m.text) if m.type == "error" else None)
            page.on("response", lambda r, failed=failed: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
            page.goto(base + rel, wait_until="load")
            page.wait_for_timeout(DRAW_WAIT_MS)
            found[rel] = {
                "errors": errors, "failed": failed,
                "broken_images": page.evaluate("() => [...document.images].filter(i => i.offsetParent !== null).filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src.slice(0, 120))"),
                "links": page.evaluate("() => [...document.querySelectorAll('a[href]')].map(a => a.href)"),
                "sliders": page.locator(f"{COURSE_SCOPE} .widget-slider").count(),
                "widget_views": page.locator(f"{COURSE_SCOPE} .jupyter-widgets").count(),
                "widget_cells": page.locator(f"{COURSE_SCOPE} script[type='application/vnd.jupyter.widget-view+json']").count(),
                "outputs": page.locator(f"{COURSE_SCOPE} .cell_output").count(),
                "images": page.locator(f"{COURSE_SCOPE} .cell_output img").count(),
                "tracebacks": page.locator(f"{COURSE_SCOPE} .output.traceback, {COURSE_SCOPE} .output.stderr").count(),
                "axe": browser_check.accessibility(page, COURSE_SCOPE),
            }
            page.close()
        found["__outside__"] = outside
        browser.close()
    return found


def problems(found: dict, out: Path, base: str) -> dict:
    """{kind: {page: what}} for every failed check (empty when the site is sound)."""
    by_page = {rel: v for rel, v in found.items() if rel != "__outside__"}
    lessons = {rel: v for rel, v in by_page.items() if rel.startswith("notebooks/")}
    kinds = {
        "fetched from outside the machine": {"(any page)": found["__outside__"]} if found["__outside__"] else {},
        "console errors or failed requests": {rel: v["errors"] + v["failed"] for rel, v in by_page.items()
                                              if v["errors"] or v["failed"]},
        "images that do not load": {rel: v["broken_images"] for rel, v in by_page.items() if v["broken_images"]},
        "links inside the site that point nowhere": {
            rel: bad for rel, v in by_page.items()
            if (bad := sorted({h for h in v["links"] if (t := target_file(out, base, h)) is not None and not t.exists()}))},
        "tracebacks in a lesson's outputs": {rel: v["tracebacks"] for rel, v in lessons.items() if v["tracebacks"]},
        "lessons with no outputs": {rel: v["outputs"] for rel, v in lessons.items() if not v["outputs"]},
        "saved widget views not drawn": {rel: f"{v['widget_views']} drawn for {v['widget_cells']} widget outputs"
                                         for rel, v in lessons.items() if v["widget_cells"] and not v["widget_views"]},
        "critical or serious accessibility violations in the course's content": {
            rel: [(r["rule"], r["target"], r["html"][:100]) for r in rows] for rel, v in by_page.items()
            if (rows := browser_check.serious(v["axe"]["course"]))},
    }
    return {kind: pages for kind, pages in kinds.items() if pages}


def theme_findings(found: dict) -> list[tuple[str, str]]:
    """The theme's own axe-core findings (rule, impact) across the site: listed, not the course's."""
    return sorted({(r["rule"], r["impact"]) for rel, v in found.items() if rel != "__outside__" for r in v["axe"]["other"]})


def write_report(found: dict, report: Path) -> None:
    """Each page's axe-core findings (course and theme) as JSON."""
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(json.dumps({rel: v["axe"] for rel, v in found.items() if rel != "__outside__"}, indent=1))


def main(argv=None) -> int:
    """Check the built site; print each problem and exit 1 if there is any."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("site", nargs="?", type=Path, default=DEFAULT_SITE, help="the built website's folder")
    ap.add_argument("--report", type=Path, default=DEFAULT_REPORT, help="where axe-core's findings are written")
    args = ap.parse_args(argv)
    if not (args.site / "index.html").exists():
        print(f"No website in {args.site}: build it first with `make site`.")
        return 2
    if not browser_check.AXE.exists():
        print("axe-core is missing: run `make web-deps` (npm ci in site/).")
        return 2
    with served(args.site) as base:
        found = visit(args.site, base)
        found_problems = problems(found, args.site, base)
    write_report(found, args.report)
    n = len(found) - 1
    lessons = sum(rel.startswith("notebooks/") for rel in found)
    print(f"Checked {n} pages in Chromium ({lessons} lessons); axe-core findings: {args.report}")
    print(f"The theme's own accessibility findings (listed, not the course's): {theme_findings(found) or 'none'}")
    for kind, where in found_problems.items():
        print(f"PROBLEM: {kind}:")
        for rel, what in where.items():
            print(f"  {rel}: {what}")
    if not found_problems:
        print("Every page renders, loads its images, links inside the site, and has no serious accessibility violation.")
    return 1 if found_problems else 0


if __name__ == "__main__":
    sys.exit(main())
