"""A room's results on disk: one SQLite database (WAL mode) in a folder the facilitator chooses.

What is stored: each learner's display name and identity key (a random id in a laptop room, the hub user name on a
hub), a hash of each laptop session token, the room's code, facilitator key and cookie-signing secret, and each result (kind, week, exercise or question, status, choice and
why for decisions, the answer chosen and whether it was right, and when it arrived). Nothing else: no notebook
contents, no keys, no outputs. To delete a room, stop its server and delete its folder; nothing is kept elsewhere.

Results are stored exactly once: the client makes an id for each, and a second delivery of the same id (a retry
after a lost reply) is recognised and dropped. The database survives a restart of the server.
"""
from __future__ import annotations

import csv
import hashlib
import io
import sqlite3
import threading
import time
import tomllib
from functools import lru_cache
from pathlib import Path

from ai_pm_lab.datafiles import data_path
from ai_pm_lab.errors import InputError

DB_NAME = "room.sqlite3"
CONFIDENCE = 0.95

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS learners (
    identity TEXT PRIMARY KEY, name TEXT NOT NULL, joined REAL NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (
    token_hash TEXT PRIMARY KEY, identity TEXT NOT NULL REFERENCES learners(identity), created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    identity TEXT NOT NULL REFERENCES learners(identity),
    client_id TEXT NOT NULL,
    kind TEXT NOT NULL, week INTEGER NOT NULL,
    exercise TEXT, part TEXT, status TEXT, choice TEXT, why TEXT,
    phase TEXT, question TEXT, chosen TEXT, correct INTEGER,
    received REAL NOT NULL,
    UNIQUE (identity, client_id));
CREATE INDEX IF NOT EXISTS events_by_exercise ON events (kind, identity, exercise, part, seq);
CREATE INDEX IF NOT EXISTS events_by_question ON events (kind, identity, week, phase, question, seq);
"""
_COLUMNS = ("kind", "week", "exercise", "part", "status", "choice", "why", "phase", "question", "chosen", "correct")


def token_hash(token: str) -> str:
    """How a session token is kept: its SHA-256, never the token."""
    return hashlib.sha256(token.encode()).hexdigest()


class RoomStore:
    """The room's database in ``folder`` (created if missing)."""

    def __init__(self, folder):
        self.folder = Path(folder).expanduser()
        self.folder.mkdir(parents=True, exist_ok=True)
        self.path = self.folder / DB_NAME
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=10)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")  # in WAL mode: durable across a server crash, fast commits
        self._db.executescript(_SCHEMA)
        # summaries read through their own connection: in WAL mode a reader never blocks the writer, so the server
        # can build the facilitator's summary in a thread while results keep arriving
        self._reader = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=10)
        self._read_lock = threading.Lock()
        self._version = 0  # bumped on every change: the summary is computed once per change, not once per request
        self._cache: dict = {}

    def close(self) -> None:
        """Close the database."""
        with self._lock, self._read_lock:
            self._reader.close()
            self._db.close()

    # settings kept with the room (room code, facilitator key) -------------------------------------------------
    def meta(self, key: str, make=None) -> str | None:
        """A stored setting; when missing and ``make`` is given, store ``make()`` first (so a restart keeps it)."""
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
            if row is None and make is not None:
                value = make()
                self._db.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (key, value))
                self._version += 1
                return value
            return row[0] if row else None

    # learners and sessions -----------------------------------------------------------------------------------
    def add_learner(self, identity: str, name: str) -> None:
        """Record a learner (or update their display name)."""
        with self._lock:
            self._db.execute("INSERT INTO learners (identity, name, joined) VALUES (?, ?, ?) ON CONFLICT(identity) "
                             "DO UPDATE SET name = excluded.name", (identity, name, time.time()))
            self._version += 1

    def add_session(self, token: str, identity: str) -> None:
        """Remember a laptop session token (as its hash) for ``identity``."""
        with self._lock:
            self._db.execute("INSERT INTO sessions (token_hash, identity, created) VALUES (?, ?, ?)",
                             (token_hash(token), identity, time.time()))

    def session_identity(self, token: str) -> tuple[str, str] | None:
        """(identity, display name) for a laptop session token, or None."""
        with self._lock:
            row = self._db.execute("SELECT l.identity, l.name FROM sessions s JOIN learners l USING (identity) "
                                   "WHERE s.token_hash = ?", (token_hash(token),)).fetchone()
        return (row[0], row[1]) if row else None

    # results ---------------------------------------------------------------------------------------------------
    def record(self, identity: str, events: list[dict]) -> tuple[int, int]:
        """Store cleaned results for ``identity`` in one transaction: (stored, duplicates already stored)."""
        now = time.time()
        stored = 0
        with self._lock:
            if self._db.execute("SELECT 1 FROM learners WHERE identity = ?", (identity,)).fetchone() is None:
                raise InputError("Unknown learner: join the room first.")
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for e in events:
                    values = [e.get(c) for c in _COLUMNS]
                    cur = self._db.execute(
                        f"INSERT OR IGNORE INTO events (identity, client_id, {', '.join(_COLUMNS)}, received) "
                        f"VALUES (?, ?, {', '.join('?' * len(_COLUMNS))}, ?)", (identity, e["id"], *values, now))
                    stored += cur.rowcount
                self._db.execute("COMMIT")
                self._version += stored > 0
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return stored, len(events) - stored

    def count(self, identity: str | None = None) -> int:
        """How many results are stored (for one learner, or in all)."""
        with self._lock:
            if identity is None:
                return self._db.execute("SELECT COUNT(*) FROM events").fetchone()[0]
            return self._db.execute("SELECT COUNT(*) FROM events WHERE identity = ?", (identity,)).fetchone()[0]

    def duplicate_ids(self) -> int:
        """Results stored more than once under one client id (the table's UNIQUE rule keeps this at 0)."""
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM (SELECT identity, client_id FROM events GROUP BY identity, "
                                    "client_id HAVING COUNT(*) > 1)").fetchone()[0]

    def _rows(self, sql: str, args=()) -> list[dict]:
        with self._read_lock:
            cur = self._reader.execute(sql, args)
            names = [d[0] for d in cur.description]
            return [dict(zip(names, r)) for r in cur.fetchall()]

    def learners(self) -> list[dict]:
        """Who joined: identity, name, joined (epoch s), results stored, last result (epoch s or None)."""
        return self._rows("SELECT l.identity, l.name, l.joined, COUNT(e.seq) AS results, MAX(e.received) AS last "
                          "FROM learners l LEFT JOIN events e USING (identity) GROUP BY l.identity ORDER BY l.joined")

    def _latest(self, kind: str, key: str) -> list[dict]:
        """The latest result of ``kind`` per learner and ``key`` columns (a later attempt replaces an earlier one)."""
        return self._rows(
            f"SELECT e.*, l.name FROM events e JOIN learners l USING (identity) WHERE e.seq IN ("
            f"SELECT MAX(seq) FROM events WHERE kind = ? GROUP BY identity, {key}) ORDER BY e.week, e.seq", (kind,))

    def summary(self, *, hide_names: bool = False) -> dict:
        """Everything the facilitator's page shows, as plain data (names replaced by "Learner N" when hidden).

        Computed once per change of the room (the page asks every few seconds; most asks find nothing new)."""
        key = (self._version, bool(hide_names))  # the version before reading: a change meanwhile means recompute
        cached = self._cache.get(key)
        if cached is None:
            cached = self._summary(bool(hide_names))
            self._cache = {k: v for k, v in self._cache.items() if k[0] == key[0]} | {key: cached}
        return cached

    def _summary(self, hide_names: bool) -> dict:
        people = self.learners()
        alias = {p["identity"]: (f"Learner {i + 1}" if hide_names else p["name"]) for i, p in enumerate(people)}
        return {
            "learners": [{"name": alias[p["identity"]], "results": p["results"], "joined": p["joined"],
                          "last": p["last"]} for p in people],
            "exercises": self.exercise_progress(len(people)),
            "decisions": self.decisions(alias),
            "knowledge": self.knowledge(),
            "total_results": self._rows("SELECT COUNT(*) AS n FROM events")[0]["n"],
        }

    def exercise_progress(self, n_learners: int | None = None) -> list[dict]:
        """Per exercise: learners whose latest check passed, not yet, and not started (joined, no check sent)."""
        n = len(self.learners()) if n_learners is None else n_learners
        table: dict[tuple, dict] = {}
        for r in self._rows("SELECT e.week, e.exercise, e.status FROM events e WHERE e.seq IN (SELECT MAX(seq) "
                            "FROM events WHERE kind = 'check' GROUP BY identity, exercise)"):
            row = table.setdefault((r["week"], r["exercise"]), {"week": r["week"], "exercise": r["exercise"],
                                                                 "passed": 0, "not_yet": 0})
            row[r["status"]] += 1
        out = sorted(table.values(), key=lambda r: (r["week"], r["exercise"]))
        for row in out:
            row["not_started"] = max(0, n - row["passed"] - row["not_yet"])
        return out

    def decisions(self, alias: dict | None = None) -> list[dict]:
        """Per decision exercise (and part): how many chose each option, and each learner's choice and why."""
        groups: dict[tuple, dict] = {}
        for r in self._latest("check", "exercise, part"):
            if r["choice"] is None:
                continue
            g = groups.setdefault((r["week"], r["exercise"], r["part"] or ""), {
                "week": r["week"], "exercise": r["exercise"], "part": r["part"] or "", "choices": {}, "whys": []})
            g["choices"][r["choice"]] = g["choices"].get(r["choice"], 0) + 1
            name = alias.get(r["identity"], r["name"]) if alias else r["name"]
            g["whys"].append({"name": name, "choice": r["choice"], "why": r["why"] or "",
                              "passed": r["status"] == "passed"})
        return sorted(groups.values(), key=lambda g: (g["week"], g["exercise"], g["part"]))

    def knowledge(self) -> list[dict]:
        """Per week: before/after share correct per question, and the room's learning gain.

        A learner's score for a phase is the share of that week's questions they answered right (latest answer per
        question); the gain is the mean of (after − before) over learners who did both, with a 95% t interval
        (scipy) when at least two learners did both."""
        from scipy import stats

        answers = self._latest("knowledge", "week, phase, question")
        weeks: dict[int, dict] = {}
        for r in answers:
            w = weeks.setdefault(r["week"], {"questions": {}, "scores": {}})
            q = w["questions"].setdefault(r["question"], {"before": [], "after": []})
            q[r["phase"]].append(bool(r["correct"]))
            w["scores"].setdefault((r["identity"], r["phase"]), []).append(bool(r["correct"]))
        out = []
        for week in sorted(weeks):
            w = weeks[week]
            prompts = question_prompts()
            questions = [{"question": q, "prompt": prompts.get(q, q), "before_n": len(v["before"]), "after_n": len(v["after"]),
                          "before": _share(v["before"]), "after": _share(v["after"])}
                         for q, v in sorted(w["questions"].items())]
            score = {k: sum(v) / len(v) for k, v in w["scores"].items()}
            people = {i for i, _ in score}
            diffs = [score[(i, "after")] - score[(i, "before")] for i in sorted(people)
                     if (i, "before") in score and (i, "after") in score]
            gain = {"n": len(diffs), "mean": None, "low": None, "high": None, "confidence": CONFIDENCE}
            if diffs:
                gain["mean"] = sum(diffs) / len(diffs)
            if len(diffs) >= 2:
                if max(diffs) == min(diffs):  # no spread: the interval is the value itself
                    gain["low"] = gain["high"] = gain["mean"]
                else:
                    ci = stats.ttest_1samp(diffs, 0.0).confidence_interval(CONFIDENCE)
                    gain["low"], gain["high"] = float(ci.low), float(ci.high)
            out.append({"week": week, "questions": questions, "gain": gain,
                        "before_mean": _mean(v for (_, p), v in score.items() if p == "before"),
                        "after_mean": _mean(v for (_, p), v in score.items() if p == "after")})
        return out

    def export_csv(self, *, hide_names: bool = False) -> str:
        """Every stored result as CSV text, one row per result, oldest first (names replaced when hidden; learner text
        that a spreadsheet would run as a formula starts with ')."""
        people = self.learners()
        alias = {p["identity"]: (f"Learner {i + 1}" if hide_names else p["name"]) for i, p in enumerate(people)}
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(["learner", "received_utc", *_COLUMNS])
        for r in self._rows(f"SELECT identity, received, {', '.join(_COLUMNS)} FROM events ORDER BY seq"):
            received = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(r["received"]))
            correct = "" if r["correct"] is None else bool(r["correct"])
            writer.writerow([_cell(alias.get(r["identity"], "")), received,
                             *[(correct if c == "correct" else _cell(r[c])) for c in _COLUMNS]])
        return buf.getvalue()


def _cell(value):
    """A CSV cell a spreadsheet shows as text: learner text starting with = + - @ would run as a formula."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value


def _share(flags: list[bool]) -> float | None:
    return sum(flags) / len(flags) if flags else None


def _mean(values) -> float | None:
    values = list(values)
    return sum(values) / len(values) if values else None


@lru_cache(maxsize=1)
def question_prompts() -> dict[str, str]:
    """Each knowledge-check question id and its wording, from the course's question files (for the facilitator page)."""
    prompts = {}
    for path in sorted(data_path("knowledge").iterdir(), key=lambda p: p.name):
        if path.name.endswith(".toml"):
            for q in tomllib.loads(path.read_text(encoding="utf-8")).get("questions", []):
                if isinstance(q, dict) and "id" in q and "prompt" in q:
                    prompts[str(q["id"])] = str(q["prompt"])
    return prompts
