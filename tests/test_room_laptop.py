"""A laptop room end to end: the real server (`python -m ai_pm_lab room serve`) on loopback and several learners'
Pythons, each joining and running week 1's exercise checks and a knowledge check; the facilitator's summary shows
every learner, their checks, their decision with its why, and the room's learning gain."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request

from ai_pm_lab.room.process import RoomProcess

LEARNER = r'''
import json, os, sys
import pandas as pd
import ai_pm_lab as lab
from ai_pm_lab import room
from ai_pm_lab.checks import week01 as checks

name, how = sys.argv[1], sys.argv[2]
if how == "call":
    room.join(os.environ["ROOM_CODE"], os.environ["ROOM_URL"], name=name)
# how == "env": AI_PM_LAB_ROOM_URL / _CODE / _NAME are set, the first result joins
room.send("knowledge", {"week": 1, "phase": "before", "question": "w1-temperature", "chosen": "a",
                        "correct": name.endswith("1")})
answers = dict(needs_ai=True, has_data=False, tolerates_variability=False, affords_inference=True,
               has_feedback_loop=True)
print(checks.decision_tree_walk(answers))
prices = lab.price_table()
paid = prices[prices["$ / 1M input"] > 0]["model_id"]
bills = pd.DataFrame({"model": paid, "per month": [lab.estimate_cost(m, 800, 200) * 10_000 * 30 for m in paid]})
bill = float(bills.set_index("model").loc["gpt-6-luna", "per month"])  # a why quotes a figure of the learner's bills
decision = dict(choice="gpt-6-luna", why=f"{name}: ${bill:,.2f} a month, the cheapest with a 1M window at launch")
print(checks.model_under_budget(bills, decision, budget=100, min_window=1_000_000, launch="2027-03-01"))
room.send("knowledge", {"week": 1, "phase": "after", "question": "w1-temperature", "chosen": "b", "correct": True,
                        "name": "someone else"})
room.flush(force=True)
print("STATUS " + json.dumps(room.status()))
'''

NAMES = ("Learner 1", "Learner 2", "Learner 3")


def summary(server) -> dict:
    key = server.info["facilitator_url"].split("key=")[1]
    req = urllib.request.Request(server.url + "api/summary", headers={"Authorization": f"Bearer {key}"})
    with urllib.request.urlopen(req, timeout=10) as reply:
        return json.loads(reply.read())


def test_laptop_room_shows_every_learner(tmp_path):
    with RoomProcess(tmp_path / "room") as server:
        procs = []
        for i, name in enumerate(NAMES):
            env = {k: v for k, v in os.environ.items() if not k.startswith("AI_PM_LAB_ROOM")}
            env.update(AI_PM_LAB_OUTPUT_DIR=str(tmp_path / f"outputs{i}"), AI_PM_LAB_THREADS="1",
                       ROOM_URL=server.url, ROOM_CODE=server.info["code"])
            how = "call" if i else "env"
            if how == "env":
                env.update(AI_PM_LAB_ROOM_URL=server.url, AI_PM_LAB_ROOM_CODE=server.info["code"],
                           AI_PM_LAB_ROOM_NAME=name)
            procs.append(subprocess.Popen([sys.executable, "-c", LEARNER, name, how], cwd=tmp_path, env=env,
                                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
        outputs = [p.communicate(timeout=240)[0] for p in procs]
        for p, out in zip(procs, outputs):
            assert p.returncode == 0, out
            status = json.loads(out.split("STATUS ", 1)[1])
            assert status["joined"] and status["queued"] == 0 and status["mode"] == "laptop", out
        expected = len(NAMES) * 4  # two checks and two knowledge answers each
        deadline = time.monotonic() + 30
        while (s := summary(server))["total_results"] < expected and time.monotonic() < deadline:
            time.sleep(0.2)  # polling the room until everything arrived (bounded by the deadline)
    assert sorted(p["name"] for p in s["learners"]) == sorted(NAMES)
    assert s["total_results"] == expected and all(p["results"] == 4 for p in s["learners"])
    progress = {r["exercise"]: r for r in s["exercises"]}
    assert progress["1.4 decision tree"]["passed"] == len(NAMES)
    assert progress["1.5 a model under a budget"]["passed"] == len(NAMES)
    (decision,) = s["decisions"]
    assert decision["choices"] == {"gpt-6-luna": len(NAMES)}
    assert sorted(w["why"].split(":")[0] for w in decision["whys"]) == sorted(NAMES)
    assert {w["name"] for w in decision["whys"]} == set(NAMES)  # each why under its writer's name
    (week,) = s["knowledge"]
    assert week["gain"]["n"] == len(NAMES) and week["gain"]["mean"] == 2 / 3  # two of three were wrong before
