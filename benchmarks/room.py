"""The room under a workshop's load: 300 simulated learners each post 40 results (one per post, as a check cell
does) within a minute to the real room server on loopback (`python -m ai_pm_lab room serve`, a child process);
p50/p95/max latency of a post (while the facilitator's page asks for the summary every 3 s), and every result stored exactly once (1% of posts are sent twice, as after a lost
reply, and must not be stored twice)."""
from __future__ import annotations

import http.client
import json
import queue
import random
import statistics
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

LEARNERS, RESULTS_EACH, WINDOW_S, WORKERS = 300, 40, 45.0, 24
P95_TARGET_MS = 250


def _post(conn: http.client.HTTPConnection, path: str, body: dict, token: str | None = None) -> tuple[int, dict]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    conn.request("POST", path, body=json.dumps(body), headers=headers)
    reply = conn.getresponse()
    return reply.status, json.loads(reply.read() or b"{}")


def run() -> dict:
    from ai_pm_lab.room.process import RoomProcess
    from ai_pm_lab.room.store import RoomStore

    rng = random.Random(0)
    with tempfile.TemporaryDirectory() as tmp:
        with RoomProcess(Path(tmp) / "room") as server:
            result = _load(server, rng)
        store = RoomStore(Path(tmp) / "room")  # after a clean stop: what the room kept
        stored, duplicates, learners = store.count(), store.duplicate_ids(), len(store.learners())
        store.close()
    latencies = sorted(result["latencies"])
    p50, p95 = (statistics.quantiles(latencies, n=100)[k] * 1000 for k in (49, 94))
    expected = LEARNERS * RESULTS_EACH
    print(f"  {learners} learners joined; {result['posts']:,} posts ({result['repeats']} of them a second delivery of "
          f"a result already sent) in {result['elapsed']:.1f} s ({result['posts'] / result['elapsed']:.0f} posts/s), "
          f"{len(result['failures'])} failed")
    print(f"  latency per post: p50 {p50:.1f} ms, p95 {p95:.1f} ms, max {latencies[-1] * 1000:.0f} ms; "
          f"sender behind schedule at p95 by {sorted(result['lags'])[int(0.95 * len(result['lags']))] * 1000:.0f} ms")
    print(f"  the facilitator's summary, asked every 3 s during the load: {len(result['summaries'])} asks, "
          f"median {statistics.median(result['summaries']) * 1000:.0f} ms, max {max(result['summaries']) * 1000:.0f} ms")
    print(f"  stored: {stored:,} results for {expected:,} sent once each; results stored twice: {duplicates}")
    return {
        f"{LEARNERS} learners x {RESULTS_EACH} results stored exactly once": stored == expected and duplicates == 0
        and learners == LEARNERS and not result["failures"],
        "all posted within a minute": result["elapsed"] <= 60,
        f"p95 latency under {P95_TARGET_MS} ms": p95 < P95_TARGET_MS,
    }


def _load(server, rng) -> dict:
    parts = urlsplit(server.url)
    base = parts.path
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    tokens = []
    for i in range(LEARNERS):
        status, reply = _post(conn, base + "api/join", {"code": server.info["code"], "name": f"Learner {i + 1}"})
        if status != 200:
            raise RuntimeError(f"join failed: {status} {reply}")
        tokens.append(reply["token"])
    conn.close()
    # each learner's 40 results at random moments in the window; 1% of them sent a second time a little later
    plan = []
    for i, token in enumerate(tokens):
        for j in range(RESULTS_EACH):
            event = {"id": f"l{i:03d}-r{j:02d}-{rng.getrandbits(32):08x}", "kind": "check", "week": 1 + j % 8,
                     "exercise": f"{1 + j % 8}.{j // 8 + 1} exercise", "status": rng.choice(["passed", "not_yet"]),
                     "choice": rng.choice(["A", "B", "C"]), "why": "because the measured numbers say so"}
            plan.append((rng.uniform(0, WINDOW_S), token, event))
    repeats = [(t + rng.uniform(0.5, 5.0), tok, ev) for t, tok, ev in rng.sample(plan, len(plan) // 100)]
    plan = sorted(plan + repeats, key=lambda p: p[0])
    todo: queue.Queue = queue.Queue()
    for item in plan:
        todo.put(item)
    latencies, lags, failures, lock = [], [], [], threading.Lock()
    start = time.perf_counter()

    def worker():
        c = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        while True:
            try:
                due, token, event = todo.get_nowait()
            except queue.Empty:
                break
            wait = start + due - time.perf_counter()
            if wait > 0:
                time.sleep(wait)  # pacing: this learner's result is due now
            sent = time.perf_counter()
            try:
                status, _ = _post(c, base + "api/results", {"events": [event]}, token)
            except (OSError, http.client.HTTPException) as exc:
                status = type(exc).__name__
                c.close()
                c = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
            done = time.perf_counter()
            with lock:
                latencies.append(done - sent)
                lags.append(sent - (start + due))
                if status != 200:
                    failures.append(status)
        c.close()

    summaries, running = [], threading.Event()

    def facilitator():  # the facilitator's page asks for the summary every 3 s meanwhile, as the page does
        c = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        key = server.info["facilitator_url"].split("key=")[1]
        while not running.wait(3.0):
            sent = time.perf_counter()
            c.request("GET", base + "api/summary", headers={"Authorization": f"Bearer {key}"})
            c.getresponse().read()
            summaries.append(time.perf_counter() - sent)
        c.close()

    threads = [threading.Thread(target=worker) for _ in range(WORKERS)]
    page = threading.Thread(target=facilitator)
    page.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    running.set()
    page.join()
    return {"latencies": latencies, "lags": lags, "failures": failures, "elapsed": time.perf_counter() - start,
            "posts": len(plan), "repeats": len(repeats), "summaries": summaries}
