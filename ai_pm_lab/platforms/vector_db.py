"""Tools and platforms, hands-on: the same retrieval on FAISS and on a real vector database (Qdrant in embedded mode:
a folder on disk or memory, no server), measured side by side; plus where the frameworks and tools fit."""
from __future__ import annotations

import shutil
import statistics
import tempfile
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ai_pm_lab import embeddings
from ai_pm_lab.datafiles import data_csv
from ai_pm_lab.errors import InputError, require_number, require_text
from ai_pm_lab.evaluation.retrieval import hit_at_k, ranked_doc_ids
from ai_pm_lab.progress import bar
from ai_pm_lab.rag import search as faiss_search
from ai_pm_lab.rag.chunking import Chunk, split_text
from ai_pm_lab.tables import returns_course_table

COLLECTION = "kb"


@returns_course_table
def framework_names():
    """Each step of the course's RAG pipeline and its name in LangChain and LlamaIndex (no dependency on either)."""
    import pandas as pd

    return pd.DataFrame(data_csv("framing/framework_names.csv"))


@returns_course_table
def lifecycle_tools():
    """Where Hugging Face, experiment tracking, data labelling (and the rest of the toolbox) fit in the lifecycle."""
    import pandas as pd

    return pd.DataFrame(data_csv("framing/lifecycle_tools.csv"))


def _payload(chunk, documents: dict) -> dict:
    doc = documents.get(chunk.doc_id)
    return {"chunk_id": chunk.chunk_id, "doc_id": chunk.doc_id, "title": chunk.title, "date": chunk.date,
            "topic": doc.topic if doc is not None else chunk.doc_id, "position": chunk.position, "text": chunk.text}


def _condition(where: dict | None):
    """A Qdrant filter from a small dict: {'date_from': 'YYYY-MM-DD', 'doc_id': 'kb-002', 'not_doc_id': 'kb-001', 'topic': ...}."""
    from qdrant_client import models

    if not where:
        return None
    known = {"date_from", "doc_id", "not_doc_id", "topic"}
    unknown = set(where) - known
    if unknown:
        raise InputError(f"Unknown filter key(s) {sorted(unknown)}: use {sorted(known)}.")
    must, must_not = [], []
    if "date_from" in where:
        must.append(models.FieldCondition(key="date", range=models.DatetimeRange(gte=require_text(where["date_from"], "date_from"))))
    for key in ("doc_id", "topic"):
        if key in where:
            must.append(models.FieldCondition(key=key, match=models.MatchValue(value=require_text(where[key], key))))
    if "not_doc_id" in where:
        must_not.append(models.FieldCondition(key="doc_id", match=models.MatchValue(value=require_text(where["not_doc_id"], "not_doc_id"))))
    return models.Filter(must=must or None, must_not=must_not or None)


def matches(payload: dict, where: dict | None) -> bool:
    """The same filter applied in plain Python (what you must write yourself around FAISS)."""
    if not where:
        return True
    if "date_from" in where and not (payload.get("date") or "") >= where["date_from"]:
        return False
    if "doc_id" in where and payload.get("doc_id") != where["doc_id"]:
        return False
    if "topic" in where and payload.get("topic") != where["topic"]:
        return False
    if "not_doc_id" in where and payload.get("doc_id") == where["not_doc_id"]:
        return False
    return True


class QdrantStore:
    """Chunk vectors and their metadata in Qdrant's embedded (local) mode: ``path`` = a folder that persists, or None
    for memory only. Point id = the chunk's position in the pipeline, so results compare one to one with FAISS."""

    def __init__(self, path=None, collection: str = COLLECTION):
        from qdrant_client import QdrantClient

        self.path = None if path is None else Path(path)
        self.collection = require_text(collection, "collection")
        self.client = QdrantClient(path=str(self.path)) if self.path is not None else QdrantClient(":memory:")

    def __repr__(self) -> str:
        where = f"folder {self.path}" if self.path else "memory"
        return f"QdrantStore({self.count()} points, embedded mode, {where})"

    def create(self, dim: int) -> None:
        """(Re)create an empty collection for cosine similarity on ``dim``-dimensional vectors."""
        from qdrant_client import models

        dim = require_number(dim, "dim", low=1, high=65_536, integer=True)
        if self.client.collection_exists(self.collection):
            self.client.delete_collection(self.collection)
        self.client.create_collection(self.collection, vectors_config=models.VectorParams(size=dim, distance=models.Distance.COSINE))

    def upsert(self, ids, vectors, payloads) -> float:
        """Insert or replace points (same id = replaced, no rebuild); returns the seconds it took."""
        from qdrant_client import models

        v = np.asarray(vectors, dtype=np.float32)
        ids, payloads = [int(i) for i in ids], list(payloads)
        if v.ndim != 2 or len(ids) != v.shape[0] or len(payloads) != v.shape[0]:
            raise InputError("upsert needs one id, one vector and one payload per point.")
        start = time.perf_counter()
        self.client.upsert(self.collection, points=[models.PointStruct(id=i, vector=row.tolist(), payload=p)
                                                    for i, row, p in zip(ids, v, payloads)])
        return time.perf_counter() - start

    def delete_where(self, where: dict) -> float:
        """Delete every point matching a filter (e.g. {'doc_id': 'kb-001'}); returns the seconds it took."""
        from qdrant_client import models

        start = time.perf_counter()
        self.client.delete(self.collection, points_selector=models.FilterSelector(filter=_condition(where)))
        return time.perf_counter() - start

    def search(self, vector, k: int = 5, where: dict | None = None) -> list:
        """Top-k points by cosine similarity, optionally restricted by a metadata filter: [(id, score, payload)]."""
        q = np.asarray(vector, dtype=np.float32).ravel().tolist()
        res = self.client.query_points(self.collection, query=q, limit=require_number(k, "k", low=1, integer=True),
                                       query_filter=_condition(where), with_payload=True)
        return [(int(p.id), float(p.score), p.payload) for p in res.points]

    def count(self) -> int:
        """Number of points stored."""
        return int(self.client.count(self.collection).count) if self.client.collection_exists(self.collection) else 0

    def close(self) -> None:
        """Release the folder (embedded mode allows one open client per folder)."""
        self.client.close()


def build_qdrant(pipeline, path=None) -> tuple[QdrantStore, float]:
    """A QdrantStore holding exactly the pipeline's chunk vectors and metadata; returns (store, seconds to load)."""
    store = QdrantStore(path)
    store.create(pipeline.vectors.shape[1])
    seconds = store.upsert(range(len(pipeline.chunks)), faiss_search.normalize(pipeline.vectors),
                           [_payload(c, pipeline.documents) for c in pipeline.chunks])
    return store, seconds


def qdrant_memory_bytes(pipeline) -> int:
    """Python memory an in-memory Qdrant collection of the pipeline's chunks keeps after loading (tracemalloc; the
    library is imported first so its own code is not counted)."""
    import qdrant_client  # noqa: F401  (imported before measuring, so only the collection's data is counted)

    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        store, _ = build_qdrant(pipeline)
        held = tracemalloc.get_traced_memory()[0] - before
        store.close()
    finally:
        tracemalloc.stop()
    return max(0, int(held))


def _folder_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file())


def _timed(fn, queries) -> tuple[list, float]:
    """Results and median milliseconds per query (one query at a time, as a live product sends them)."""
    out, times = [], []
    for q in queries:
        start = time.perf_counter()
        out.append(fn(q))
        times.append((time.perf_counter() - start) * 1000)
    return out, statistics.median(times)


@dataclass
class StoreComparison:
    """FAISS vs Qdrant on the same vectors: a summary table and per-question results."""

    table: object  # DataFrame, one row per store
    per_question: object  # DataFrame
    same_top_k: float  # share of questions whose top-k chunk ids are identical in both stores
    k: int


@returns_course_table
def compare_stores(pipeline, rows, *, k: int = 5, folder=None, progress: bool = True) -> StoreComparison:
    """Run the same questions on FAISS (the pipeline's exact index) and on Qdrant (embedded, persisted to a folder):
    top-k ids, hit@k, median query latency, load time, memory and disk, measured side by side."""
    import faiss
    import pandas as pd

    k = require_number(k, "k", low=1, high=len(pipeline.chunks), integer=True)
    rows = [r for r in rows if r.get("doc_ids")]
    if not rows:
        raise InputError("compare_stores needs answerable questions (with gold doc_ids): pass load_eval().")
    depth = min(len(pipeline.chunks), max(k, 10) * 3)
    q = faiss_search.normalize(embeddings.embed([r["question"] for r in rows]))

    t = time.perf_counter()
    index = faiss_search.exact_index(pipeline.vectors)
    faiss_build = time.perf_counter() - t
    faiss_bytes = int(faiss.serialize_index(index).nbytes)

    qdrant_mem = qdrant_memory_bytes(pipeline)
    own = folder is None
    folder = Path(tempfile.mkdtemp(prefix="qdrant_")) if own else Path(folder)
    try:
        store, qdrant_build = build_qdrant(pipeline, folder)
        f_res, f_ms = _timed(lambda v: index.search(v[None, :], depth), bar(q, desc="FAISS", disable=not progress, leave=False))
        q_res, q_ms = _timed(lambda v: store.search(v, depth), bar(q, desc="Qdrant", disable=not progress, leave=False))
        disk = _folder_bytes(folder)
        store.close()
    finally:
        if own:
            shutil.rmtree(folder, ignore_errors=True)

    records = []
    for r, (fs, fi), qr in zip(rows, f_res, q_res):
        f_ids = [int(i) for i in fi[0] if i >= 0]
        q_ids = [i for i, _, _ in qr]
        f_docs = ranked_doc_ids([pipeline.chunks[i].doc_id for i in f_ids])
        q_docs = ranked_doc_ids([pipeline.chunks[i].doc_id for i in q_ids])
        records.append({"question": r["question"], "FAISS top ids": f_ids[:k], "Qdrant top ids": q_ids[:k],
                        "same ids": f_ids[:k] == q_ids[:k], "same id set": set(f_ids[:k]) == set(q_ids[:k]),
                        "max score difference": float(np.max(np.abs(fs[0][:k] - np.array([s for _, s, _ in qr[:k]])))),
                        f"FAISS hit@{k}": hit_at_k(f_docs, r["doc_ids"], k), f"Qdrant hit@{k}": hit_at_k(q_docs, r["doc_ids"], k)})
    per = pd.DataFrame(records)
    table = pd.DataFrame([
        {"store": "FAISS IndexFlatIP (library)", f"hit@{k}": per[f"FAISS hit@{k}"].mean(), "median query (ms)": f_ms,
         "load / build (ms)": faiss_build * 1000, "memory (KB)": faiss_bytes / 1024,
         "memory measured as": "serialised index size", "on disk (KB)": "not kept (save with write_index: vectors only)",
         "metadata, filters, updates": "none built in: a Python list maps positions to chunks"},
        {"store": "Qdrant, embedded mode (database)", f"hit@{k}": per[f"Qdrant hit@{k}"].mean(), "median query (ms)": q_ms,
         "load / build (ms)": qdrant_build * 1000, "memory (KB)": qdrant_mem / 1024,
         "memory measured as": "Python allocations kept after loading (tracemalloc)", "on disk (KB)": disk / 1024,
         "metadata, filters, updates": "payload per point, filters, upsert/delete by id, persisted folder"},
    ]).set_index("store")
    return StoreComparison(table, per, float(per["same ids"].mean()), k)


def filtered_search(pipeline, store: QdrantStore, question: str, where: dict, k: int = 5) -> dict:
    """The same filtered question both ways: Qdrant filters inside the search; FAISS takes its top-k and filters
    afterwards (what you would write yourself), so it can come back with fewer than k results."""

    require_text(question, "question")
    v = faiss_search.normalize(embeddings.embed([question]))
    _, ids = pipeline.index.search(v, k)
    post = [int(i) for i in ids[0] if i >= 0 and matches(_payload(pipeline.chunks[int(i)], pipeline.documents), where)]
    inside = store.search(v[0], k, where)
    return {"question": question, "filter": dict(where),
            "FAISS top-k then filter": [pipeline.chunks[i].doc_id for i in post],
            "Qdrant filter in the search": [p["doc_id"] for _, _, p in inside],
            "unfiltered top-k": [pipeline.chunks[int(i)].doc_id for i in ids[0] if i >= 0]}


def persistence_check(pipeline, folder, question: str, k: int = 5) -> dict:
    """Build a Qdrant folder, close it, reopen it (as after a restart) and ask the same question: same points, same ids."""

    require_text(question, "question")
    v = faiss_search.normalize(embeddings.embed([question]))[0]
    store, _ = build_qdrant(pipeline, folder)
    first = [i for i, _, _ in store.search(v, k)]
    store.close()
    start = time.perf_counter()
    reopened = QdrantStore(folder)
    reopen_s = time.perf_counter() - start
    again = [i for i, _, _ in reopened.search(v, k)]
    out = {"points before": len(pipeline.chunks), "points after reopening": reopened.count(), "top ids before": first,
           "top ids after reopening": again, "same results": first == again, "reopen (ms)": reopen_s * 1000,
           "folder size (KB)": _folder_bytes(Path(folder)) / 1024}
    reopened.close()
    return out


def update_check(pipeline, store: QdrantStore, new_text: str, new_doc_id: str, question: str, *, retire: str | None = None,
                 date: str = "", title: str | None = None, k: int = 5) -> dict:
    """Add a new document's chunks to the live Qdrant store (and optionally retire an old document) without a rebuild,
    then ask a question about it; next to it, the time FAISS takes to rebuild its index over all vectors."""

    require_text(new_text, "new_text")
    require_text(new_doc_id, "new_doc_id")
    title = title or new_doc_id
    pieces = split_text(new_text, pipeline.chunk_size, pipeline.overlap, pipeline.unit)
    chunks = [Chunk(f"{new_doc_id}#{i}", new_doc_id, title, date, f"{title}\n{p}", i) for i, p in enumerate(pieces)]
    start_id = max(len(pipeline.chunks), store.count()) + 1_000
    vectors = faiss_search.normalize(embeddings.embed([c.text for c in chunks]))
    before = store.count()
    add_s = store.upsert(range(start_id, start_id + len(chunks)), vectors, [_payload(c, {}) for c in chunks])
    retire_s = store.delete_where({"doc_id": retire}) if retire else 0.0
    hits = store.search(faiss_search.normalize(embeddings.embed([question]))[0], k)
    t = time.perf_counter()
    kept = [i for i, c in enumerate(pipeline.chunks) if c.doc_id != retire]
    faiss_search.exact_index(np.vstack([pipeline.vectors[kept], vectors]))
    rebuild_s = time.perf_counter() - t
    return {"points before": before, "points after": store.count(), "chunks added": len(chunks),
            "Qdrant upsert (ms)": add_s * 1000, "Qdrant delete (ms)": retire_s * 1000,
            "FAISS full rebuild (ms)": rebuild_s * 1000, "question": question,
            "top documents now": [p["doc_id"] for _, _, p in hits], "new document found": any(p["doc_id"] == new_doc_id for _, _, p in hits),
            "retired document found": bool(retire) and any(p["doc_id"] == retire for _, _, p in hits)}
