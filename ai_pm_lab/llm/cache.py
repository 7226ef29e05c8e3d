"""The response cache: answers already generated, kept on disk so a second run of a lesson is instant.

One SQLite file under the course's output folder (``settings.cache_dir()``), shared safely by every kernel on the
machine (WAL journal, a busy timeout, one short write transaction per answer). The key is a hash of everything that
decides the answer: backend, model id, the model FILE (its sha256 when known, else path, size and modification time),
the llama.cpp version and batch size, the messages (system, history, prompt), temperature, seed, max_tokens and stop.
A sampled call with no seed (temperature > 0, seed None) is never served: it must vary, as the lessons teach.

A hit carries the latency and cost measured when the answer was generated, so latency and cost figures stay honest;
``Generation.cached`` and its receipt say "from cache". On by default for the local model only
(AI_PM_LAB_RESPONSE_CACHE=local|all|off: "all" adds hosted models). Bounded in entries and megabytes, least recently
used answers evicted first. A damaged or unwritable cache file is reported once and the course runs uncached.
"""
from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
import warnings
from pathlib import Path

from ai_pm_lab.llm import local, remote, weights
from ai_pm_lab.settings import cache_dir, response_cache_mb, response_cache_mode

SCHEMA = 2  # bump when the key, the record or the table changes: an older file is then emptied on first use
DB_NAME = "responses.sqlite3"
MAX_ENTRIES = 100_000
BUSY_TIMEOUT_S = 30

_LOCK = threading.RLock()
_CONN: dict[str, sqlite3.Connection] = {}  # one connection per file per process (this kernel)
_BROKEN: dict[str, str] = {}  # file -> why it is not used (warned once)
_STATS = {"hits": 0, "misses": 0}
_IDENTITY: dict[tuple, dict] = {}


class CacheWarning(UserWarning):
    """The response cache could not be used; the course carries on without it."""


def cache_path() -> Path:
    """The SQLite file of the response cache (AI_PM_LAB_CACHE_DIR, else the output folder's cache/ subfolder)."""
    return cache_dir() / DB_NAME


def enabled_for(engine) -> bool:
    """Whether answers of ``engine`` are cached: the real local model by default, hosted models only when opted in."""
    mode = response_cache_mode()
    if mode == "off":
        return False
    if isinstance(engine, local.LocalBackend):
        return True
    if mode == "all":
        return isinstance(engine, remote.RemoteBackend)
    return False  # scripted test models and anything else answer live


def servable(temperature: float, seed: int | None) -> bool:
    """False for a sampled call with no seed (it must vary from call to call, so it is never cached)."""
    return not (temperature > 0 and seed is None)


def _local_identity() -> dict:
    """What identifies the local model's weights and runtime: the file in use and its hash, llama.cpp and its settings."""
    path = local.model_path()
    st = os.stat(path)
    key = (path, st.st_size, st.st_mtime_ns)
    if key not in _IDENTITY:
        ident: dict = {"file": os.path.basename(path), "size": st.st_size}
        try:  # the weights' own provenance (its sha256) when the weights module provides it
            prov = weights.provenance()
            ident["sha256"] = prov["sha256"]
        except Exception:  # no provenance yet: the file's path, size and modification time stand in for the hash
            ident.update(path=path, mtime_ns=st.st_mtime_ns)
        _IDENTITY[key] = ident
    try:
        import llama_cpp

        version = llama_cpp.__version__
    except ImportError:  # pragma: no cover - the local model cannot run without it anyway
        version = None
    # how prompts are cut into decode batches changes the numbers (local.fresh_chunks)
    return {**_IDENTITY[key], "llama_cpp": version, "n_batch": local.N_BATCH}


def engine_identity(engine) -> dict:
    """Everything about ``engine`` that decides its answers (threads and the context size do not)."""
    ident = {"backend": engine.name, "class": type(engine).__name__, "model": engine.model}
    if isinstance(engine, local.LocalBackend):
        ident["weights"] = _local_identity()
    else:
        ident["endpoint"] = getattr(engine, "endpoint", None)
    return ident


def cache_key(engine, messages, temperature, max_tokens, seed, stop=None) -> str:
    """The hash of everything that decides an answer (see the module docstring); equal keys mean equal answers."""
    payload = {
        "schema": SCHEMA,
        "engine": engine_identity(engine),
        "messages": [{"role": m["role"], "content": m["content"]} for m in messages],
        "temperature": float(temperature),
        "max_tokens": int(max_tokens),
        "seed": None if seed is None else int(seed),
        "stop": None if stop is None else [stop] if isinstance(stop, str) else list(stop),
    }
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def key_for(engine, request: dict) -> str | None:
    """The cache key of one prepared request (keys messages, temperature, max_tokens, seed, stop), or None when it must
    be answered live: the cache is off for this engine, or the call is sampled with no seed."""
    if not servable(request["temperature"], request.get("seed")) or not enabled_for(engine):
        return None
    try:
        return cache_key(engine, request["messages"], request["temperature"], request["max_tokens"], request.get("seed"),
                         request.get("stop"))
    except OSError as exc:  # the model file cannot be read: answer live (the backend explains what is missing)
        _warn_once(str(cache_path()), f"model file: {exc}")
        return None


def local_key(kind: str, **payload) -> str | None:
    """The key of a local-model computation other than an answer (``kind`` "next_token" or "confidence", with its
    inputs), or None when the cache is off. Keyed, like answers, by the weights file and llama.cpp settings."""
    if response_cache_mode() == "off":
        return None
    try:
        weights = _local_identity()
    except OSError as exc:
        _warn_once(str(cache_path()), f"model file: {exc}")
        return None
    blob = json.dumps({"schema": SCHEMA, "kind": kind, "weights": weights, **payload}, sort_keys=True,
                      ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _warn_once(path: str, problem: str) -> None:
    if path in _BROKEN:
        return
    _BROKEN[path] = problem
    warnings.warn(f"The response cache at {path} cannot be used ({problem}); answers are computed live. "
                  "ai_pm_lab.llm.cache.clear_cache() starts a fresh one.", CacheWarning, stacklevel=3)


def _connect(path: Path) -> sqlite3.Connection | None:
    """This process's connection to the cache file (made once), or None when the file cannot be used."""
    name = str(path)
    if name in _BROKEN:
        return None
    conn = _CONN.get(name)
    if conn is not None:
        return conn
    for other in list(_CONN):  # the output folder moved (a new working directory): let go of the old file
        _CONN.pop(other).close()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(name, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_S * 1000}")
        conn.execute("PRAGMA journal_mode = WAL")  # readers never block the writer; two kernels can share the file
        conn.execute("PRAGMA synchronous = NORMAL")
        if conn.execute("PRAGMA user_version").fetchone()[0] != SCHEMA:  # new file, or one an older course wrote
            conn.execute("BEGIN IMMEDIATE")
            if conn.execute("PRAGMA user_version").fetchone()[0] != SCHEMA:  # (another kernel may have just done it)
                conn.execute("DROP TABLE IF EXISTS responses")
                conn.execute("CREATE TABLE responses (key TEXT PRIMARY KEY, record TEXT NOT NULL, blob BLOB, "
                             "size INTEGER NOT NULL, used INTEGER NOT NULL, hits INTEGER NOT NULL DEFAULT 0)")
                conn.execute("CREATE INDEX responses_used ON responses (used)")
                conn.execute(f"PRAGMA user_version = {SCHEMA}")
            conn.execute("COMMIT")
        conn.execute("SELECT COUNT(*) FROM responses").fetchone()  # a damaged file fails here, not mid-lesson
    except (sqlite3.Error, OSError) as exc:
        _warn_once(name, f"{type(exc).__name__}: {exc}")
        return None
    _CONN[name] = conn
    return conn


def _run(fn, default=None):
    """Run ``fn(conn)`` on the cache; any database or file error is reported once and ``default`` returned."""
    path = cache_path()
    with _LOCK:
        conn = _connect(path)
        if conn is None:
            return default
        try:
            return fn(conn)
        except (sqlite3.Error, OSError, ValueError) as exc:  # ValueError: a stored record that is not JSON
            try:
                conn.execute("ROLLBACK") if conn.in_transaction else None
            except sqlite3.Error:
                pass
            _warn_once(str(path), f"{type(exc).__name__}: {exc}")
            return default


def lookup(key: str, *, count: bool = True) -> dict | None:
    """The stored record for ``key`` (for an answer: text, tokens, finish reason, model, latency_s, cost_usd; with
    "blob" when bytes were stored beside it), or None (a miss). ``count``: include it in this kernel's hit rate."""
    def find(conn):
        row = conn.execute("SELECT record, blob FROM responses WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("UPDATE responses SET used = (SELECT COALESCE(MAX(used), 0) + 1 FROM responses), "
                     "hits = hits + 1 WHERE key = ?", (key,))
        conn.execute("COMMIT")
        record = json.loads(row[0])
        return record if row[1] is None else {**record, "blob": bytes(row[1])}

    record = _run(find)
    if count:
        with _LOCK:
            _STATS["hits" if record is not None else "misses"] += 1
    return record


def store(key: str, record: dict, blob: bytes | None = None) -> None:
    """Keep ``record`` (a dict of JSON values) and optional bytes under ``key`` (replacing an older entry), then evict
    least recently used entries over the bound."""
    data = json.dumps(record, ensure_ascii=False)
    size = len(data.encode()) + (len(blob) if blob is not None else 0)
    max_bytes = response_cache_mb() * 1_000_000

    def put(conn):
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT OR REPLACE INTO responses (key, record, blob, size, used, hits) VALUES "
                     "(?, ?, ?, ?, (SELECT COALESCE(MAX(used), 0) + 1 FROM responses), 0)", (key, data, blob, size))
        count, total = conn.execute("SELECT COUNT(*), COALESCE(SUM(size), 0) FROM responses").fetchone()
        if count > MAX_ENTRIES or total > max_bytes:
            _evict(conn, count, total, max_bytes)
        conn.execute("COMMIT")

    _run(put)


def _evict(conn, count: int, total: int, max_bytes: int) -> None:
    """Drop the least recently used entries until the cache is back under 90 % of both bounds."""
    keep_count, keep_bytes = int(MAX_ENTRIES * 0.9), int(max_bytes * 0.9)
    drop = []
    for key, size in conn.execute("SELECT key, size FROM responses ORDER BY used"):
        if count <= keep_count and total <= keep_bytes:
            break
        drop.append((key,))
        count -= 1
        total -= size
    conn.executemany("DELETE FROM responses WHERE key = ?", drop)


def reset_connections() -> None:
    """Close this kernel's connections to cache files and forget which were damaged (the next use opens them again)."""
    with _LOCK:
        for name in list(_CONN):
            _CONN.pop(name).close()
        _BROKEN.clear()


def clear_cache() -> None:
    """Empty the response cache (a damaged cache file is deleted and started afresh)."""
    path = cache_path()
    with _LOCK:
        if str(path) in _BROKEN:
            conn = _CONN.pop(str(path), None)
            if conn is not None:
                conn.close()
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            _BROKEN.pop(str(path), None)
        else:
            _run(lambda conn: conn.execute("DELETE FROM responses"))
        _STATS.update(hits=0, misses=0)


def cache_stats() -> dict:
    """This kernel's hits and misses and hit rate, plus the entries and bytes the cache file holds now."""
    entries, size = _run(lambda conn: conn.execute("SELECT COUNT(*), COALESCE(SUM(size), 0) FROM responses").fetchone(),
                         (0, 0))
    with _LOCK:
        hits, misses = _STATS["hits"], _STATS["misses"]
    looked = hits + misses
    return {"hits": hits, "misses": misses, "hit_rate": hits / looked if looked else float("nan"),
            "entries": int(entries), "bytes": int(size), "path": str(cache_path())}
