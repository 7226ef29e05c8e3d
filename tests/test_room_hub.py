"""The room on a real JupyterHub (loopback): the hub starts the room service, learners' kernels send their exercise
checks and knowledge-check answers with nothing to do, the facilitator (a hub admin or a member of the
``facilitators`` group) sees everyone's results, and nobody else can.

One hub for the module (DummyAuthenticator, local-process spawner, npm's configurable-http-proxy installed by
``make hub-deps``, which ``make test`` runs); three learners' single-user servers, each with one kernel that runs
week 1's checks and a knowledge check as a notebook would. Every wait polls with a deadline. Skipped, with the command
that fixes it, when the proxy is missing.
"""
from __future__ import annotations

import json
import sys
import time

import pytest
from hub_support import ROOM, Hub, Kernel, chp_path, wait_for

CHP = chp_path()
pytestmark = pytest.mark.skipif(
    CHP is None, reason="configurable-http-proxy (npm) is missing: run `make hub-deps` (make test does; needs npm)")

LEARNERS = ("lee", "max", "sam")
FACILITATOR, ADMIN = "fran", "ada"   # fran is in the facilitators group; ada is a hub admin
ACCESS = [f"access:services!service={ROOM}"]
WHY = "9 distinct answers in 20 draws, and 1 at the low end"  # a why quotes figures of the learner's tables

# What each learner's kernel runs: week 1's checks as the exercise notebook calls them (the temperature policy right
# or wrong, the temperature decision with a choice and a why), then the week's knowledge check before the lesson.
KERNEL_CODE = """
import json, time
import pandas as pd
from ai_pm_lab.checks import week01
from ai_pm_lab import knowledge
from ai_pm_lab.room import client

def variety(rows):
    return pd.DataFrame(rows, columns=["temperature", "distinct in 20 draws", "entropy (bits)", "top-10 share"])

invoice = variety([(0.0, 1, 0.0, 1.0), (0.7, 6, 2.6, 0.94), (1.5, 17, 9.3, 0.29)])
brainstorm = variety([(0.0, 1, 0.0, 1.0), (0.7, 9, 3.8, 0.83), (1.5, 19, 12.1, 0.12)])
right = {right!r}
policy = (lambda task: 0.0 if any(w in task for w in ("extract", "answer", "classify")) else 1.0) if right else \\
         (lambda task: 0.7)
verdicts = [week01.temperature_policy(policy).passed,
            week01.temperature_choices(invoice, brainstorm, dict(choice="0", why={why!r}),
                                       dict(choice={brainstorm!r}, why={why!r})).passed]
questions = knowledge.load_questions(1)
answers = {{q.id: (q.answer if right else next(c for c in q.choices if c != q.answer)) for q in questions}}
scored = knowledge.score_answers(questions, answers)
sent = knowledge.send_to_room(1, "before", scored)
print(json.dumps({{"verdicts": verdicts, "sent": sent, "questions": len(questions)}}))
"""
STATUS_CODE = "import json\nfrom ai_pm_lab.room import client\nprint(json.dumps(client.status(), default=str))"


def room_get(hub: Hub, path: str, token: str):
    return hub.api("get", f"/services/{ROOM}/{path}", token=token)


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    work = tmp_path_factory.mktemp("hub")
    command = [sys.executable, "-m", "ai_pm_lab", "room", "serve", "--hub", "--data", str(work / "room-data")]
    hub = Hub(work, command, admin_users=(ADMIN,), facilitators=(FACILITATOR,))
    started = time.monotonic()
    try:
        hub.start()
        hub.timings = {"hub start (s)": time.monotonic() - started}
        hub.add_users(*LEARNERS, FACILITATOR, ADMIN)
        # facilitators' tokens may reach the room's page; a learner's is like their kernel's (activity only)
        hub.tokens = {u: hub.token(u, ACCESS) for u in (FACILITATOR, ADMIN)}
        hub.tokens.update({u: hub.token(u, [f"users:activity!user={u}"]) for u in LEARNERS})
        yield hub
    finally:
        hub.stop()


@pytest.fixture(scope="module")
def kernels_ran(hub):
    """Each learner's server and kernel run the week's checks and knowledge check; returns what each kernel printed."""
    started = time.monotonic()
    for user in LEARNERS:
        hub.start_server(user)
    hub.wait_servers(LEARNERS)
    hub.timings["3 servers ready (s)"] = time.monotonic() - started
    out = {}
    for i, user in enumerate(LEARNERS):
        kernel = Kernel(hub, user)
        try:
            right = i != 1  # max gets the policy and the knowledge check wrong
            code = KERNEL_CODE.format(right=right, why=WHY, brainstorm="0.7" if right else "1.5")
            res = kernel.run(code)
            assert res["status"] == "ok", res["error"]
            out[user] = json.loads(res["stdout"].strip().splitlines()[-1])

            def delivered():
                status = kernel.run(STATUS_CODE)
                assert status["status"] == "ok", status["error"]
                got = json.loads(status["stdout"].strip().splitlines()[-1])
                return got if got.get("joined") and not got.get("queued") else None
            out[user]["status"] = wait_for(f"{user}'s results to reach the room", delivered, 60, every=0.5,
                                           log=hub.log)
        finally:
            kernel.close()
    hub.timings["kernels ran (s)"] = time.monotonic() - started
    return out


def summary(hub: Hub, who: str = FACILITATOR) -> dict:
    r = room_get(hub, "api/summary", hub.tokens[who])
    assert r.status_code == 200, r.text
    return r.json()


def test_the_hub_starts_the_room_service(hub):
    r = hub.api("get", f"/services/{ROOM}/healthz")
    assert r.status_code == 200 and r.json()["mode"] == "hub"


def test_each_learners_kernel_sends_checks_and_answers_with_nothing_to_do(hub, kernels_ran):
    for i, user in enumerate(LEARNERS):
        got = kernels_ran[user]
        assert got["verdicts"] == ([True, True] if i != 1 else [False, False]), (user, got)
        assert got["sent"] == got["questions"] > 0, got
        assert got["status"]["joined"] and got["status"].get("mode") == "hub", got["status"]
    data = summary(hub)
    names = {p["name"]: p["results"] for p in data["learners"]}
    assert set(LEARNERS) <= set(names), names
    per_learner = 2 + kernels_ran[LEARNERS[0]]["questions"]  # two checks + one answer per question
    assert all(names[u] >= per_learner for u in LEARNERS), names
    policy = next(e for e in data["exercises"] if e["exercise"] == "1.3 temperature policy")
    assert (policy["passed"], policy["not_yet"]) == (2, 1), policy
    decision = next(d for d in data["decisions"] if d["exercise"] == "1.2 a temperature per feature")
    whys = {w["name"] for w in decision["whys"]}
    assert set(LEARNERS) <= whys and all(w["why"] for w in decision["whys"]), decision
    week1 = next(k for k in data["knowledge"] if k["week"] == 1)
    assert all(q["before_n"] == len(LEARNERS) for q in week1["questions"]), week1
    assert week1["before_mean"] == pytest.approx(2 / 3), week1   # two of three answered everything right


def test_the_facilitator_page_is_for_the_facilitator_and_the_admin_only(hub, kernels_ran):
    for who in (FACILITATOR, ADMIN):
        page = room_get(hub, "", hub.tokens[who])
        assert page.status_code == 200 and "<html" in page.text.lower(), (who, page.status_code)
        export = room_get(hub, "export.csv", hub.tokens[who])
        assert export.status_code == 200 and all(u in export.text for u in LEARNERS), who
    for path in ("", "api/summary", "export.csv", "api/summary?hide=1"):
        r = room_get(hub, path, hub.tokens["lee"])
        assert r.status_code == 403, (path, r.status_code)
        assert "max" not in r.text and WHY not in r.text
    assert room_get(hub, "api/summary", "not-a-token").status_code in (401, 403)


def test_the_facilitator_opens_the_page_with_the_hub_login_and_a_learner_cannot(hub):
    """The browser way in: hub login form, then the room's OAuth with the hub (no confirmation page)."""
    page = hub.login(FACILITATOR).get(hub.url + f"/services/{ROOM}/", timeout=30)
    assert page.status_code == 200 and "<html" in page.text.lower(), (page.status_code, page.text[:300])
    assert hub.login("lee").get(hub.url + f"/services/{ROOM}/", timeout=30).status_code == 403


def test_a_forged_name_in_a_payload_is_ignored(hub, kernels_ran):
    before = {p["name"]: p["results"] for p in summary(hub)["learners"]}
    forged = {"id": "forged-0001", "kind": "check", "week": 1, "exercise": "1.4 decision tree", "status": "passed",
              "name": "max", "user": "max", "identity": "max", "learner": "max"}
    r = hub.api("post", f"/services/{ROOM}/api/results", token=hub.tokens["lee"], json={"events": [forged]})
    assert r.status_code == 200 and r.json()["stored"] == 1, r.text
    after = {p["name"]: p["results"] for p in summary(hub)["learners"]}
    assert after["lee"] == before["lee"] + 1 and after["max"] == before["max"], (before, after)
    rows = room_get(hub, "export.csv", hub.tokens[FACILITATOR]).text.splitlines()
    assert any(row.startswith("lee,") and "1.4 decision tree" in row for row in rows)
    assert not any(row.startswith("max,") and "1.4 decision tree" in row for row in rows)
    bad = hub.api("post", f"/services/{ROOM}/api/results", token="forged-token", json={"events": [forged]})
    assert bad.status_code in (401, 403)
    # through the hub's proxy too, a malformed or oversized post gets a clear 4xx and stores nothing
    url, token = f"/services/{ROOM}/api/results", hub.tokens["lee"]
    assert hub.api("post", url, token=token, data=b"{not json").status_code == 400
    huge = {**forged, "id": "huge-00001", "why": "x" * 70_000}
    assert hub.api("post", url, token=token, json={"events": [huge]}).status_code == 413
    assert summary(hub)["total_results"] == sum(after.values())


def test_a_hub_and_room_restart_loses_nothing(hub, kernels_ran):
    before = summary(hub)
    started = time.monotonic()
    hub.stop()
    hub.start()
    hub.timings["hub + room restart (s)"] = time.monotonic() - started
    after = summary(hub)
    assert after["total_results"] == before["total_results"] > 0
    assert after["learners"] == before["learners"] and after["exercises"] == before["exercises"]
    assert after["decisions"] == before["decisions"] and after["knowledge"] == before["knowledge"]
    # and the room keeps taking results: the same result again is recognised, a new one is stored
    again = {"id": "forged-0001", "kind": "check", "week": 1, "exercise": "1.4 decision tree", "status": "passed"}
    new = {**again, "id": "after-restart-1", "exercise": "1.5 a model under a budget", "status": "not_yet"}
    r = hub.api("post", f"/services/{ROOM}/api/results", token=hub.tokens["sam"], json={"events": [again, new]})
    assert r.status_code == 200 and r.json() == {"stored": 2, "duplicates": 0}, r.text  # sam never sent 'forged-0001'
    r = hub.api("post", f"/services/{ROOM}/api/results", token=hub.tokens["sam"], json={"events": [again, new]})
    assert r.json() == {"stored": 0, "duplicates": 2}
    print("\n[room on a hub] " + ", ".join(f"{k} {v:.1f}" for k, v in hub.timings.items()))
