"""The facilitator's page in a real browser (Debian's Chromium through Playwright, as tests/test_browser_lab.py):
a laptop room started with ``python -m ai_pm_lab room serve``, a few learners' results posted to it, and the page
checked as a facilitator sees it: it renders every section, it updates by itself when a new result arrives (no
reload), and the hide-names switch replaces every name. A screenshot goes to build/browser/facilitator_page.png;
with AI_PM_LAB_UPDATE_SCREENSHOTS=1 it also replaces docs/img/facilitator_page.png (the facilitator guide shows it).

Skipped, with the install command, where Chromium is missing (make browser-deps installs it as root on Debian).
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys

import pytest
import requests
from browser_support import BROWSER_MARKS, HAVE_CHROMIUM, browser_check
from hub_support import wait_for

from conftest import ROOT

pytestmark = BROWSER_MARKS
SHOT = ROOT / "build" / "browser" / "facilitator_page.png"
DOCS_SHOT = ROOT / "docs" / "img" / "facilitator_page.png"

# Week 1 of a small workshop: who chose what and why, and the knowledge check before and after the lesson.
LEARNERS = {
    "Amara": {"policy": True, "invoice": "0", "why": "Totals must come back the same every time; variety is a bug here.",
              "before": [1, 0, 0, 1, 1], "after": [1, 1, 1, 1, 1]},
    "Ben": {"policy": False, "invoice": "0.7", "why": "A little variety reads more natural to customers.",
            "before": [0, 0, 1, 1, 0], "after": [1, 1, 0, 1, 1]},
    "Chen": {"policy": True, "invoice": "0", "why": "We measured 6 different next tokens at 0.7: no.",
             "before": [0, 1, 0, 1, 1], "after": [1, 1, 1, 1, 0]},
    "Dana": {"policy": True, "invoice": "0", "why": "Extraction is a lookup, not a brainstorm.",
             "before": [0, 0, 0, 0, 1], "after": [1, 0, 1, 1, 1]},
}


@pytest.fixture(scope="module")
def room(tmp_path_factory):
    data = tmp_path_factory.mktemp("room")
    proc = subprocess.Popen([sys.executable, "-m", "ai_pm_lab", "room", "serve", "--data", str(data), "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=data)
    try:
        info = wait_for("the room server", lambda: (data / "server.json").exists() and
                        json.loads((data / "server.json").read_text()), 30)
        yield info
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def join(room, name: str) -> str:
    r = requests.post(room["url"] + "api/join", json={"code": room["code"], "name": name}, timeout=10)
    assert r.status_code == 200, r.text
    return r.json()["token"]


def post(room, token: str, events: list[dict]):
    r = requests.post(room["url"] + "api/results", json={"events": events},
                      headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert r.status_code == 200, r.text


def week1_results(tag: str, person: dict) -> list[dict]:
    from ai_pm_lab import knowledge
    questions = knowledge.load_questions(1)
    events = [
        {"id": f"{tag}-11", "kind": "check", "week": 1, "exercise": "1.1 most likely next token", "status": "passed"},
        {"id": f"{tag}-12", "kind": "check", "week": 1, "exercise": "1.2 a temperature per feature",
         "status": "passed" if person["invoice"] == "0" else "not_yet", "choice": person["invoice"], "why": person["why"]},
        {"id": f"{tag}-13", "kind": "check", "week": 1, "exercise": "1.3 temperature policy",
         "status": "passed" if person["policy"] else "not_yet"},
    ]
    for phase in ("before", "after"):
        for i, (q, right) in enumerate(zip(questions, person[phase])):
            chosen = q.answer if right else next(c for c in q.choices if c != q.answer)
            events.append({"id": f"{tag}-{phase}-{i}", "kind": "knowledge", "week": 1, "phase": phase,
                           "question": q.id, "chosen": chosen, "correct": bool(right)})
    return events


def test_chromium_is_installed_where_make_test_can_install_it():
    assert HAVE_CHROMIUM, f"{browser_check.CHROMIUM} is missing although this runs as root on Debian: run `make browser-deps`"


def test_the_facilitator_page_renders_updates_and_hides_names(room):
    from playwright.sync_api import expect, sync_playwright

    for i, (name, person) in enumerate(LEARNERS.items()):
        post(room, join(room, name), week1_results(f"learner{i}", person))
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=browser_check.CHROMIUM, headless=True,
                                     args=browser_check.CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(room["facilitator_url"])
            # renders: every learner, every exercise, the decision's choices and whys, the week's learning gain
            expect(page.locator("#learner-count")).to_have_text(str(len(LEARNERS)), timeout=15_000)
            for name in LEARNERS:
                expect(page.locator("#learners")).to_contain_text(name)
                expect(page.locator("#decisions")).to_contain_text(name)
            expect(page.locator("#exercises .bar-row")).to_have_count(3)
            expect(page.locator("#decisions")).to_contain_text(LEARNERS["Ben"]["why"])
            expect(page.locator("#knowledge h3")).to_contain_text("Week 1: learning gain +")
            expect(page.locator("#knowledge tr")).to_have_count(1 + 5)
            assert "key=" not in page.url, "the facilitator key stays out of the address bar (the page may be projected)"
            assert page.locator("#error").text_content() == ""

            # updates by itself: a learner arrives late and sends a check; the page shows it without a reload
            total = int(page.locator("body").get_attribute("data-total"))
            late = join(room, "Eli")
            post(room, late, [{"id": "late-learner-12", "kind": "check", "week": 1, "exercise": "1.2 a temperature per feature",
                               "status": "passed", "choice": "0", "why": "Same invoice, same total."}])
            expect(page.locator("#learner-count")).to_have_text(str(len(LEARNERS) + 1), timeout=15_000)
            expect(page.locator("body")).to_have_attribute("data-total", str(total + 1))
            expect(page.locator("#decisions")).to_contain_text("Same invoice, same total.")

            SHOT.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOT), full_page=True)
            if os.environ.get("AI_PM_LAB_UPDATE_SCREENSHOTS") == "1":
                DOCS_SHOT.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(SHOT, DOCS_SHOT)

            # the hide-names switch: every name is replaced (for projecting), the whys stay
            page.locator("#hide-names").check()
            expect(page.locator("#learners")).to_contain_text("Learner 1", timeout=15_000)
            for name in (*LEARNERS, "Eli"):
                expect(page.locator("main")).not_to_contain_text(name)
            expect(page.locator("#decisions")).to_contain_text(LEARNERS["Ben"]["why"])
        finally:
            browser.close()


def test_a_reload_keeps_the_facilitator_page_and_its_hidden_names(room):
    """F5 while projecting: the page drops ?key= from the address, yet a reload still shows it, names still hidden."""
    from playwright.sync_api import expect, sync_playwright

    post(room, join(room, "Fay"), [{"id": "fay-learner-11", "kind": "check", "week": 1,
                                    "exercise": "1.1 most likely next token", "status": "passed"}])
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=browser_check.CHROMIUM, headless=True,
                                     args=browser_check.CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(room["facilitator_url"])
            expect(page.locator("#learners")).to_contain_text("Fay", timeout=15_000)
            page.locator("#hide-names").check()
            page.reload()
            assert "key=" not in page.url
            expect(page.locator("#hide-names")).to_be_checked(timeout=15_000)
            expect(page.locator("#learners")).to_contain_text("Learner 1", timeout=15_000)
            expect(page.locator("main")).not_to_contain_text("Fay")
        finally:
            browser.close()
