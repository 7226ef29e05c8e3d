"""The room's store, server and client: exactly once, restarts, bad posts, identity, facilitator-only views, queue."""
from __future__ import annotations

import json
import shutil
import socket
import urllib.error
import urllib.request

import pytest
from scipy import stats

from ai_pm_lab import exercises, room
from ai_pm_lab.errors import InputError
from ai_pm_lab.room import client
from ai_pm_lab.room.process import RoomProcess, free_port
from ai_pm_lab.room.schema import MAX_BODY_BYTES, clean_event
from ai_pm_lab.room.store import RoomStore


def check_event(i: int, **extra) -> dict:
    return {"id": f"event-{i:04d}", "kind": "check", "week": 1, "exercise": "1.5 a model under a budget",
            "status": "passed", **extra}


def knowledge_event(i, week, phase, question, correct) -> dict:
    return {"id": f"k-{i:05d}-{phase}", "kind": "knowledge", "week": week, "phase": phase, "question": question,
            "chosen": "b", "correct": correct}


# ------------------------------------------------------------------ store ------------------------------------------
def test_store_keeps_each_result_once_and_survives_a_restart(tmp_path):
    store = RoomStore(tmp_path / "room")
    code = store.meta("room_code", lambda: "ABC234")
    store.add_learner("id-ana", "Ana")
    events = [clean_event(check_event(i)) for i in range(5)]
    assert store.record("id-ana", events) == (5, 0)
    assert store.record("id-ana", events[2:] + [clean_event(check_event(9))]) == (1, 3)  # a retry after a lost reply
    store.close()
    again = RoomStore(tmp_path / "room")
    assert again.count() == 6 and again.duplicate_ids() == 0
    assert again.meta("room_code", lambda: "OTHER1") == code
    assert [p["name"] for p in again.learners()] == ["Ana"]
    with pytest.raises(InputError):
        again.record("id-nobody", [clean_event(check_event(20))])
    again.close()


def test_store_summary_progress_decisions_gain_and_csv(tmp_path):
    store = RoomStore(tmp_path)
    for who in ("a", "b", "c"):
        store.add_learner(who, who.upper() + "name")
    store.record("a", [clean_event(check_event(1, status="not_yet", choice="gpt", why="cheap enough for us")),
                       clean_event(check_event(2, choice="local", why="private data stays here"))])
    store.record("b", [clean_event(check_event(3, status="not_yet", choice="gpt", why="quality floor matters"))])
    # knowledge: a 0/2 -> 2/2, b 1/2 -> 1/2, c only before
    answers = {"a": ([False, False], [True, True]), "b": ([True, False], [True, False]), "c": ([True, True], None)}
    i = 0
    for who, (before, after) in answers.items():
        for phase, marks in (("before", before), ("after", after)):
            for q, ok in zip(("q1", "q2"), marks or []):
                i += 1
                store.record(who, [clean_event(knowledge_event(i, 2, phase, q, ok))])
    s = store.summary()
    assert [p["name"] for p in s["learners"]] == ["Aname", "Bname", "Cname"]
    assert s["exercises"] == [{"week": 1, "exercise": "1.5 a model under a budget", "passed": 1, "not_yet": 1,
                               "not_started": 1}]  # a's latest attempt passed
    (decision,) = s["decisions"]
    assert decision["choices"] == {"local": 1, "gpt": 1}
    assert {(w["name"], w["choice"]) for w in decision["whys"]} == {("Aname", "local"), ("Bname", "gpt")}
    (week,) = s["knowledge"]
    gain = week["gain"]
    ci = stats.ttest_1samp([1.0, 0.0], 0.0).confidence_interval(0.95)
    assert gain["n"] == 2 and gain["mean"] == pytest.approx(0.5)
    assert (gain["low"], gain["high"]) == pytest.approx((ci.low, ci.high))
    q1 = next(q for q in week["questions"] if q["question"] == "q1")
    assert (q1["before"], q1["before_n"], q1["after"], q1["after_n"]) == (pytest.approx(2 / 3), 3, 1.0, 2)
    hidden = store.summary(hide_names=True)
    assert "Aname" not in json.dumps(hidden) and [p["name"] for p in hidden["learners"]][0] == "Learner 1"
    rows = store.export_csv().splitlines()
    assert rows[0].startswith("learner,received_utc,kind") and len(rows) == 1 + s["total_results"]
    assert "Aname" not in store.export_csv(hide_names=True)
    store.record("c", [clean_event(check_event(90, choice="local", why='=HYPERLINK("http://x.example","see")'))])
    assert "'=HYPERLINK" in store.export_csv() and ',=HYPERLINK' not in store.export_csv()


def test_the_facilitator_sees_each_knowledge_question_worded_as_learners_saw_it(tmp_path):
    store = RoomStore(tmp_path)
    store.add_learner("a", "Aname")
    store.record("a", [clean_event(knowledge_event(1, 1, "before", "w1-seed-at-zero", True)),
                       clean_event(knowledge_event(2, 1, "before", "not-a-course-question", True))])
    (week,) = store.summary()["knowledge"]
    prompts = {q["question"]: q["prompt"] for q in week["questions"]}
    assert prompts["w1-seed-at-zero"].startswith("At temperature 0 you ask")
    assert prompts["not-a-course-question"] == "not-a-course-question"  # an unknown id is shown as it is


def test_schema_drops_identity_fields_and_rejects_bad_results():
    cleaned = clean_event({**check_event(1), "name": "Boss", "user": "boss", "notebook": "x" * 50})
    assert set(cleaned) == {"id", "kind", "week", "exercise", "status"}
    for bad in ({**check_event(1), "status": "great"}, {**check_event(1), "id": "short"}, {"kind": "check"},
                {**check_event(1), "week": "1"}, {**check_event(1), "why": "x" * 3000},
                knowledge_event(1, 1, "during", "q1", True), {**knowledge_event(1, 1, "after", "q1", True),
                                                               "correct": "yes"}):
        with pytest.raises(InputError):
            clean_event(bad)


# ------------------------------------------------------------------ server ------------------------------------------
def http(method, url, body=None, token=None, raw: bytes | None = None):
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            text = r.read().decode()
            return r.status, (json.loads(text) if "json" in r.headers.get("Content-Type", "") else text)
    except urllib.error.HTTPError as exc:
        text = exc.read().decode()
        try:
            return exc.code, json.loads(text)
        except ValueError:
            return exc.code, text


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with RoomProcess(tmp_path_factory.mktemp("room")) as proc:
        yield proc


def join(server, name):
    status, reply = http("POST", server.url + "api/join", {"code": server.info["code"], "name": name})
    assert status == 200, reply
    return reply["token"]


def total(server) -> int:
    return http("GET", server.url + "api/summary", token=server.info["facilitator_url"].split("key=")[1])[1][
        "total_results"]


def test_malformed_or_oversized_posts_get_a_4xx_and_store_nothing(server):
    token = join(server, "Bad Poster")
    before = total(server)
    cases = [
        (b"{not json", 400),
        (json.dumps({"events": [check_event(1), {**check_event(2), "status": "great"}]}).encode(), 400),
        (json.dumps({"events": []}).encode(), 400),
        (json.dumps({"events": [check_event(i) for i in range(101)]}).encode(), 400),
        (json.dumps({"events": [check_event(1, why="x" * 1900) for _ in range(40)]}).encode(), 413),
        (b"x" * (MAX_BODY_BYTES * 8), 413),
    ]
    for raw, expected in cases:
        status, reply = http("POST", server.url + "api/results", token=token, raw=raw)
        assert status == expected, (raw[:60], status, reply)
        assert reply.get("error"), reply
    status, _ = http("POST", server.url + "api/results", {"events": [check_event(1)]})  # no session
    assert status == 401
    status, _ = http("POST", server.url + "api/join", {"code": "WRONG1", "name": "Eve"})
    assert status == 403
    assert total(server) == before


def test_identity_comes_from_the_session_never_from_the_payload(server):
    ana, ben = join(server, "Ana Forge"), join(server, "Ben Target")
    forged = {**check_event(500), "name": "Ben Target", "user": "Ben Target", "identity": "x"}
    assert http("POST", server.url + "api/results", {"events": [forged]}, token=ana)[1] == {"stored": 1,
                                                                                          "duplicates": 0}
    assert http("GET", server.url + "api/me", token=ana)[1]["results"] == 1
    assert http("GET", server.url + "api/me", token=ben)[1]["results"] == 0
    key = server.info["facilitator_url"].split("key=")[1]
    people = {p["name"]: p["results"] for p in http("GET", server.url + "api/summary", token=key)[1]["learners"]}
    assert people["Ana Forge"] == 1 and people["Ben Target"] == 0


def test_only_the_facilitator_sees_the_page_summary_and_export(server):
    learner = join(server, "Curious")
    key = server.info["facilitator_url"].split("key=")[1]
    for path in ("", "api/summary", "export.csv"):
        assert http("GET", server.url + path, token=learner)[0] == 403, path
        assert http("GET", server.url + path)[0] == 401, path
        assert http("GET", server.url + path + "?key=" + learner)[0] == 403, path
        status, body = http("GET", server.url + path, token=key)
        assert status == 200, path
    status, page = http("GET", server.url + "?key=" + key)
    assert status == 200 and 'id="hide-names"' in page and "api/summary" in page


def test_a_reload_keeps_the_facilitator_page_without_the_key_in_the_address(server):
    key = server.info["facilitator_url"].split("key=")[1]
    with urllib.request.urlopen(server.url + "?key=" + key, timeout=10) as first:
        cookie = first.headers["Set-Cookie"].split(";")[0]
    assert key not in cookie
    again = urllib.request.Request(server.url, headers={"Cookie": cookie})  # the address without ?key=, as reloaded
    with urllib.request.urlopen(again, timeout=10) as page:
        assert page.status == 200 and 'id="hide-names"' in page.read().decode()
    summary = urllib.request.Request(server.url + "api/summary", headers={"Cookie": cookie})
    with urllib.request.urlopen(summary, timeout=10) as reply:
        assert "learners" in json.loads(reply.read())
    forged = urllib.request.Request(server.url, headers={"Cookie": cookie.split("=")[0] + "=" + key})
    assert http_status(forged) == 401  # an unsigned cookie holding the key is not the facilitator's cookie


def http_status(req) -> int:
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as exc:
        return exc.code


# ------------------------------------------------------------------ client ------------------------------------------
@pytest.fixture
def learner_env(tmp_path, monkeypatch):
    for var in ("AI_PM_LAB_ROOM", "AI_PM_LAB_ROOM_URL", "AI_PM_LAB_ROOM_CODE", "AI_PM_LAB_ROOM_NAME"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AI_PM_LAB_OUTPUT_DIR", str(tmp_path / "outputs"))
    client.reset_room()
    yield tmp_path / "outputs"
    client.reset_room()


def test_nothing_is_sent_or_written_without_joining(learner_env, monkeypatch):
    attempts = []
    real_connect = socket.socket.connect

    def spy(self, address):
        attempts.append(address)
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", spy)
    import ai_pm_lab.checks  # noqa: F401 - registers the room's listener

    @exercises.exercise_check("9.9 a decision", answers=("decision",))
    def decide(decision):
        return exercises.report(decide.exercise, decision.get("choice") == "a")

    decide(dict(choice="a", why="because we measured it"))
    assert room.send("knowledge", knowledge_event(1, 1, "before", "q1", True)) is False
    assert attempts == [] and not learner_env.exists()
    assert room.status()["joined"] is False


def test_queue_while_the_room_is_down_then_deliver_once(learner_env, tmp_path):
    port = free_port()
    data = tmp_path / "room"
    with RoomProcess(data, port=port) as first:
        info = first.info
        room.join(info["code"], info["url"], name="Dana")
        assert room.send("check", {"week": 3, "exercise": "3.1 cosine by hand", "status": "passed"})
        assert room.status()["queued"] == 0
    # the room is down now
    assert room.send("check", {"week": 3, "exercise": "3.2 top-3 in numpy", "status": "not_yet"})
    assert room.send("knowledge", {"week": 3, "phase": "after", "question": "q1", "chosen": "a", "correct": True})
    status = room.status()
    assert status["queued"] == 2 and status["last_error"]
    saved = [p.read_bytes() for p in sorted((learner_env / "room" / "queue").glob("*.json"))]
    with RoomProcess(data, port=port) as second:
        assert room.flush(force=True) == 2
        assert room.status()["queued"] == 0 and room.flush(force=True) == 0
        for i, raw in enumerate(saved):  # as if the reply had been lost: the same results delivered again
            (learner_env / "room" / "queue" / f"{i}-again.json").write_bytes(raw)
        assert room.flush(force=True) == 2
        key = second.info["facilitator_url"].split("key=")[1]
        summary = http("GET", second.url + "api/summary", token=key)[1]
    assert summary["total_results"] == 3  # the result from before the restart, and each queued one once
    assert [p["name"] for p in summary["learners"]] == ["Dana"]
    shutil.rmtree(data)
