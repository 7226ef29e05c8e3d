"""Search: keyword (TF-IDF), cosine top-k in numpy, and FAISS indexes (exact, HNSW, IVF) with recall and speed."""
from __future__ import annotations

import contextlib
import os
import sys
import time

import numpy as np

from ai_pm_lab.errors import InputError, InputTypeError, require_number, require_text


@contextlib.contextmanager
def quiet_stderr():
    """Silence C-level stderr (FAISS clustering warnings) for the duration of the block."""
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # no real file descriptor (some notebook setups)
        fd = 2
    try:
        saved = os.dup(fd)
    except OSError:
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        sys.stderr.flush()
        os.dup2(devnull, fd)
        yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)
        os.close(devnull)


def _as_matrix(x, name="vectors") -> np.ndarray:
    a = np.asarray(x, dtype=np.float32)
    if a.ndim == 1:
        a = a[None, :]
    if a.ndim != 2 or a.shape[0] == 0:
        raise InputError(f"{name} must be a non-empty 2-D array (rows = items), got shape {a.shape}.")
    if not np.isfinite(a).all():
        raise InputError(f"{name} contains NaN or infinite values.")
    return np.ascontiguousarray(a)


def normalize(x) -> np.ndarray:
    """Rows scaled to unit length (a copy), so inner product = cosine similarity."""
    a = _as_matrix(x).copy()
    a /= np.clip(np.linalg.norm(a, axis=1, keepdims=True), 1e-12, None)
    return a


def cosine_top_k(query, matrix, k: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """Exact top-k by cosine in plain numpy: (scores, ids), each shape (n_queries, k), best first."""
    q, m = normalize(query), normalize(matrix)
    k = require_number(k, "k", low=1, high=m.shape[0], integer=True)
    sims = q @ m.T
    ids = np.argpartition(-sims, k - 1, axis=1)[:, :k]
    part = np.take_along_axis(sims, ids, axis=1)
    order = np.argsort(-part, axis=1, kind="stable")
    ids = np.take_along_axis(ids, order, axis=1)
    return np.take_along_axis(sims, ids, axis=1), ids


def set_threads(n: int = 1) -> None:
    """How many threads FAISS may use (1 gives fair, repeatable timings)."""
    import faiss

    faiss.omp_set_num_threads(require_number(n, "threads", low=1, high=256, integer=True))


def exact_index(vectors):
    """FAISS IndexFlatIP over unit vectors: exact cosine search (the reference every approximation is judged against)."""
    import faiss

    v = normalize(vectors)
    index = faiss.IndexFlatIP(v.shape[1])
    index.add(v)
    return index


def hnsw_index(vectors, M: int = 16, ef_construction: int = 64, ef_search: int = 32):
    """FAISS HNSW graph index (inner product on unit vectors); efSearch trades recall for speed."""
    import faiss

    v = normalize(vectors)
    M = require_number(M, "M", low=2, high=128, integer=True)
    index = faiss.IndexHNSWFlat(v.shape[1], M, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = require_number(ef_construction, "efConstruction", low=4, high=1024, integer=True)
    index.add(v)
    index.hnsw.efSearch = require_number(ef_search, "efSearch", low=1, high=4096, integer=True)
    return index


def ivf_index(vectors, nlist: int = 128, nprobe: int = 4, seed: int = 0):
    """FAISS IVF index: k-means cells (trained on the vectors); nprobe = how many cells each query visits."""
    import faiss

    v = normalize(vectors)
    nlist = require_number(nlist, "nlist", low=1, high=max(1, v.shape[0]), integer=True)
    quantizer = faiss.IndexFlatIP(v.shape[1])
    index = faiss.IndexIVFFlat(quantizer, v.shape[1], nlist, faiss.METRIC_INNER_PRODUCT)
    index.cp.seed = int(seed)
    with quiet_stderr():
        index.train(v)
    index.add(v)
    index.nprobe = require_number(nprobe, "nprobe", low=1, high=nlist, integer=True)
    return index


def set_search_param(index, value: int) -> None:
    """Set efSearch (HNSW) or nprobe (IVF) on an index."""
    import faiss

    value = require_number(value, "search parameter", low=1, high=4096, integer=True)
    if isinstance(index, faiss.IndexHNSW):
        index.hnsw.efSearch = value
    elif isinstance(index, faiss.IndexIVF):
        index.nprobe = min(value, index.nlist)
    else:
        raise InputTypeError("only HNSW (efSearch) and IVF (nprobe) indexes have a search parameter.")


def search(index, queries, k: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """(scores, ids) of the k nearest unit vectors for each query."""
    q = normalize(queries)
    k = require_number(k, "k", low=1, high=index.ntotal, integer=True)
    return index.search(q, k)


def timed_search(index, queries, k: int = 10, repeats: int = 1) -> tuple[np.ndarray, float]:
    """(ids, milliseconds per query): one query at a time, as a live product would send them (best of ``repeats``)."""
    q = normalize(queries)
    best = float("inf")
    ids = None
    for _ in range(repeats):
        out = np.empty((q.shape[0], k), dtype=np.int64)
        start = time.perf_counter()
        for i in range(q.shape[0]):
            out[i] = index.search(q[i : i + 1], k)[1][0]
        best = min(best, (time.perf_counter() - start) * 1000 / q.shape[0])
        ids = out
    return ids, best


def recall_at_k(approx_ids, exact_ids, k: int | None = None) -> float:
    """Share of the exact top-k neighbours the approximate search also returned (1.0 = perfect)."""
    a, e = np.asarray(approx_ids), np.asarray(exact_ids)
    if a.shape[0] != e.shape[0]:
        raise InputError("approx_ids and exact_ids must have one row per query.")
    k = k or e.shape[1]
    hits = sum(len(set(a[i, :k].tolist()) & set(e[i, :k].tolist())) for i in range(e.shape[0]))
    return hits / (e.shape[0] * k)


def synthetic_vectors(n: int = 20_000, dim: int = 384, clusters: int = 1000, spread: float = 1.25, seed: int = 0) -> np.ndarray:
    """Clustered random unit vectors that behave like document embeddings (topics = clusters), for scale tests."""
    n = require_number(n, "n", low=1, high=2_000_000, integer=True)
    dim = require_number(dim, "dim", low=2, high=4096, integer=True)
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((clusters, dim)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    labels = rng.integers(0, clusters, n)
    noise = rng.standard_normal((n, dim)).astype(np.float32) * (spread / np.sqrt(dim))
    return normalize(centres[labels] + noise)


def sample_queries(vectors, n: int = 200, noise: float = 0.5, seed: int = 1) -> np.ndarray:
    """Queries near (not on) stored vectors: a stored vector plus a little noise."""
    v = _as_matrix(vectors)
    rng = np.random.default_rng(seed)
    picks = rng.choice(v.shape[0], size=min(n, v.shape[0]), replace=False)
    q = v[picks] + rng.standard_normal((len(picks), v.shape[1])).astype(np.float32) * (noise / np.sqrt(v.shape[1]))
    return normalize(q)


class KeywordSearch:
    """TF-IDF keyword search (scikit-learn): finds shared words, misses synonyms."""

    def __init__(self, texts):
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.texts = list(texts)
        if not self.texts:
            raise InputError("KeywordSearch needs at least one text to index.")
        self.vectorizer = TfidfVectorizer(stop_words="english", sublinear_tf=True)
        self.matrix = self.vectorizer.fit_transform(self.texts)

    def search(self, query: str, k: int = 5) -> tuple[np.ndarray, np.ndarray]:
        """(scores, ids) of the k texts sharing the most weighted words with the query."""
        require_text(query, "query")
        k = require_number(k, "k", low=1, high=len(self.texts), integer=True)
        sims = (self.matrix @ self.vectorizer.transform([query]).T).toarray().ravel()
        ids = np.argsort(-sims, kind="stable")[:k]
        return sims[ids], ids
