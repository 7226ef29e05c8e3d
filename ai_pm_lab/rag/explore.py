"""Plain functions behind the week-3 lesson: similarity heatmap, 2-D map, keyword vs semantic (and both), ANN trade-off,
chunk sweep."""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ai_pm_lab.embeddings import embed, similarity_matrix
from ai_pm_lab.errors import InputError, InputTypeError, require_number, require_text
from ai_pm_lab.evaluation.harness import run_harness
from ai_pm_lab.evaluation.retrieval import hit_at_k, ranked_doc_ids, reciprocal_rank
from ai_pm_lab.evaluation.scorers import answer_correct
from ai_pm_lab.plots import annotated_heatmap
from ai_pm_lab.rag import search
from ai_pm_lab.rag.chunking import chunk_documents
from ai_pm_lab.tables import returns_course_table


def similarity_heatmap(texts, labels=None, ax=None):
    """Draw the all-pairs cosine similarity of ``texts``; returns the matrix."""
    sims = similarity_matrix(texts)
    labels = list(labels) if labels is not None else [t if len(t) <= 28 else t[:27] + "…" for t in texts]
    annotated_heatmap(sims, labels, labels, cell_text=lambda i, j, v: f"{v:.2f}", cmap="viridis", vmin=-0.1, vmax=1.0,
                      ax=ax, figsize=(0.55 * len(texts) + 3, 0.5 * len(texts) + 2), xtick_rotation=60, tick_fontsize=8,
                      fontsize=7, text_color=lambda v: "white" if v < 0.6 else "black", colorbar_fraction=0.03,
                      colorbar_label="cosine similarity", title="How similar the embedding model thinks each pair is")
    return sims


def pca_2d(vectors) -> np.ndarray:
    """The vectors projected onto their two main directions (PCA), shape (n, 2)."""
    from sklearn.decomposition import PCA  # scikit-learn is heavy to import: loaded on first use

    v = np.asarray(vectors, dtype=np.float32)
    if v.ndim != 2 or v.shape[0] < 2:
        raise InputError("pca_2d needs at least two vectors.")
    return PCA(n_components=2, random_state=0).fit_transform(v)


def embedding_map(texts, groups, ax=None, *, names=None):
    """Scatter the texts on a 2-D PCA map coloured by group; returns the 2-D coordinates.

    Every text is a dot; only one per group is labelled (the one nearest its group's centre on the map, named by
    ``names`` when given, else by its first words), so the labels never pile up. The legend names the colours."""
    xy = pca_2d(embed(texts))
    groups = list(groups)
    if len(groups) != len(texts):
        raise InputError("groups must have one label per text.")
    names = list(names) if names is not None else [t[:30] for t in texts]
    if len(names) != len(texts):
        raise InputError("names must have one name per text.")
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 5), layout="constrained")
    for g in dict.fromkeys(groups):
        idx = [i for i, x in enumerate(groups) if x == g]
        dots = ax.scatter(xy[idx, 0], xy[idx, 1], label=g, s=40, alpha=0.8)
        centre = xy[idx].mean(axis=0)
        typical = idx[int(np.argmin(((xy[idx] - centre) ** 2).sum(axis=1)))]
        ax.annotate(names[typical], xy[typical], fontsize=8, xytext=(8, 8), textcoords="offset points",
                    color=dots.get_facecolor()[0], weight="bold", arrowprops=dict(arrowstyle="-", color="grey"),
                    bbox=dict(boxstyle="round,pad=0.2", fc="white", ec="none", alpha=0.8))
    ax.legend(fontsize=8, title="area of the base\n(label: one typical chunk)", title_fontsize=8, loc="upper left",
              bbox_to_anchor=(1.01, 1.0), frameon=False)
    ax.set_title("Every chunk as a dot, squeezed from 384 numbers to 2")
    ax.set_xticks([]), ax.set_yticks([])
    return xy


def map_facts(vectors, groups, sources=None) -> dict:
    """What a 2-D map keeps, and how close each group really is: the share of the spread the map's two directions
    hold; in all dimensions, the share of points whose nearest neighbour is in their own group (a neighbour from the
    same ``sources`` entry, e.g. an overlapping chunk of the same document, does not count); and that share by chance
    (groups drawn at random in their sizes)."""
    from sklearn.decomposition import PCA  # scikit-learn is heavy to import: loaded on first use

    v = np.asarray(vectors, dtype=np.float32)
    groups = np.asarray(list(groups))
    sources = np.arange(len(groups)) if sources is None else np.asarray(list(sources))
    if v.ndim != 2 or v.shape[0] < 3 or len(groups) != v.shape[0] or len(sources) != v.shape[0]:
        raise InputError("map_facts needs at least three vectors, one group (and one source, if given) per vector.")
    kept = float(PCA(n_components=2, random_state=0).fit(v).explained_variance_ratio_.sum())
    sims = v @ v.T
    sims[sources[:, None] == sources[None, :]] = -np.inf  # itself and its own source's other pieces
    if np.isinf(sims).all(axis=1).any():
        raise InputError("every vector needs at least one neighbour from another source.")
    same = float((groups[sims.argmax(axis=1)] == groups).mean())
    _, counts = np.unique(groups, return_counts=True)
    chance = float(((counts / counts.sum()) ** 2).sum())
    return {"spread kept by the map": kept, "nearest neighbour in the same area": same, "same area by chance": chance}


@returns_course_table
def similarity_by_topic(sims, topics) -> pd.DataFrame:
    """For each topic: how its own sentences score with each other (average, lowest) and with the other topics'
    sentences (average, highest), from a square similarity matrix and one topic per row."""
    s = np.asarray(sims, dtype=float)
    topics = np.asarray(list(topics))
    if s.ndim != 2 or s.shape[0] != s.shape[1] or len(topics) != s.shape[0]:
        raise InputError("sims must be a square matrix with one topic per row.")
    rows = []
    for t in dict.fromkeys(topics.tolist()):
        mine = topics == t
        inside = s[np.ix_(mine, mine)][~np.eye(int(mine.sum()), dtype=bool)]
        outside = s[np.ix_(mine, ~mine)]
        if inside.size == 0 or outside.size == 0:
            raise InputError(f"topic {t!r} needs at least two sentences, and there must be another topic.")
        rows.append({"topic": t, "within: average": inside.mean(), "within: lowest": inside.min(),
                     "across: average": outside.mean(), "across: highest": outside.max()})
    return pd.DataFrame(rows)


@returns_course_table
def closeness_to_topics(texts, topic_texts, topics) -> pd.DataFrame:
    """Average similarity of each text with each topic's sentences: one row per text, one column per topic."""
    topics = list(topics)
    if len(topics) != len(topic_texts):
        raise InputError("topics must name one topic per sentence in topic_texts.")
    sims = embed(list(texts)) @ embed(list(topic_texts)).T
    table = pd.DataFrame({"question": list(texts)})
    for t in dict.fromkeys(topics):
        cols = [i for i, x in enumerate(topics) if x == t]
        table[f"with {t}"] = sims[:, cols].mean(axis=1)
    return table


@returns_course_table
def keyword_vs_semantic(chunks, queries, vectors=None, k: int = 3):
    """For each query: the top-k chunk ids by TF-IDF and by embeddings, side by side (DataFrame)."""
    texts = [c.text for c in chunks]
    kw = search.KeywordSearch(texts)
    vecs = embed(texts) if vectors is None else vectors
    rows = []
    for q in queries:
        require_text(q, "query")
        ks, ki = kw.search(q, k)
        ss, si = search.cosine_top_k(embed([q]), vecs, k)
        rows.append({
            "query": q,
            "keyword top doc": chunks[ki[0]].doc_id if ks[0] > 0 else "(no shared words)",
            "keyword score": round(float(ks[0]), 3),
            "semantic top doc": chunks[si[0][0]].doc_id,
            "semantic score": round(float(ss[0][0]), 3),
            "keyword top-k": [chunks[i].doc_id for i, s in zip(ki, ks) if s > 0],
            "semantic top-k": [chunks[i].doc_id for i in si[0]],
        })
    return pd.DataFrame(rows)


SEARCH_METHODS = ("keyword", "semantic", "both")


def _fused_docs(chunks, keyword_ids, semantic_ids, depth: int = 60) -> list[str]:
    """Documents ranked by reciprocal-rank fusion of a keyword and a semantic chunk ranking (hybrid search)."""
    fused: dict[int, float] = {}
    for ranking in (keyword_ids, semantic_ids):
        for rank, i in enumerate(ranking, 1):
            fused[int(i)] = fused.get(int(i), 0.0) + 1.0 / (depth + rank)
    return ranked_doc_ids(chunks[i] for i in sorted(fused, key=lambda i: -fused[i]))


@returns_course_table
def search_method_hits(chunks, query_sets: dict, vectors=None, k: int = 3, *, detail: bool = False):
    """hit@k of keyword (TF-IDF), semantic (embeddings) and both (fused) search, per feature's query set.

    ``query_sets`` maps a feature to a list of (query, gold document ids). One row per feature (or, with ``detail``,
    per query): how often each method puts a gold document among its first k documents.
    """
    if not isinstance(query_sets, dict) or not query_sets:
        raise InputTypeError("query_sets must be a dict: feature -> list of (query, [gold document ids]).")
    k = require_number(k, "k", low=1, high=len(chunks), integer=True)
    texts = [c.text for c in chunks]
    kw = search.KeywordSearch(texts)
    vecs = embed(texts) if vectors is None else vectors
    depth = min(len(chunks), 30)
    rows = []
    for feature, pairs in query_sets.items():
        for query, gold in pairs:
            require_text(query, "query")
            ks, ki = kw.search(query, depth)
            keyword_ids = [i for i, sc in zip(ki, ks) if sc > 0]
            _, si = search.cosine_top_k(embed([query]), vecs, depth)
            ranked = {"keyword": ranked_doc_ids(chunks[i] for i in keyword_ids),
                      "semantic": ranked_doc_ids(chunks[i] for i in si[0]),
                      "both": _fused_docs(chunks, keyword_ids, si[0])}
            rows.append({"feature": feature, "query": query,
                         **{f"{m} hit@{k}": hit_at_k(ranked[m], gold, k) if ranked[m] else 0.0 for m in SEARCH_METHODS}})
    table = pd.DataFrame(rows)
    if detail:
        return table
    cols = [f"{m} hit@{k}" for m in SEARCH_METHODS]
    out = table.groupby("feature", sort=False)[cols].mean().reset_index()
    out.insert(1, "queries", table.groupby("feature", sort=False).size().to_numpy())
    return out


@dataclass
class ANNBench:
    """A vector collection, its queries and the exact answers every approximate index is judged against."""

    vectors: np.ndarray
    queries: np.ndarray
    k: int = 10
    exact_ids: np.ndarray = field(default=None, repr=False)
    exact_ms: float = 0.0
    indexes: dict = field(default_factory=dict, repr=False)
    build_s: dict = field(default_factory=dict)

    @classmethod
    def synthetic(cls, n: int = 20_000, dim: int = 384, n_queries: int = 200, k: int = 10, seed: int = 0) -> "ANNBench":
        """A clustered synthetic collection of n unit vectors (like embeddings of n chunks on ~1,000 topics)."""
        v = search.synthetic_vectors(n, dim, seed=seed)
        return cls(v, search.sample_queries(v, n_queries, seed=seed + 1), k)

    def __post_init__(self):
        search.set_threads(1)  # fair, repeatable timings: one thread for every index
        exact = search.exact_index(self.vectors)
        self.indexes["exact"] = exact
        search.timed_search(exact, self.queries[:20], self.k)  # warm-up
        self.exact_ids, self.exact_ms = search.timed_search(exact, self.queries, self.k, repeats=2)

    def index(self, kind: str):
        """The HNSW (M=16) or IVF (nlist=256) index over the collection, built on first use."""
        kind = kind.lower()
        if kind not in ("hnsw", "ivf"):
            raise InputError("kind must be 'hnsw' or 'ivf'.")
        if kind not in self.indexes:
            t = time.perf_counter()
            if kind == "hnsw":
                self.indexes[kind] = search.hnsw_index(self.vectors, M=16, ef_construction=64, ef_search=16)
            else:
                self.indexes[kind] = search.ivf_index(self.vectors, nlist=min(256, max(1, len(self.vectors) // 40)), nprobe=4)
            self.build_s[kind] = time.perf_counter() - t
        return self.indexes[kind]

    def measure(self, kind: str, param: int) -> dict:
        """Recall@k against exact search and ms/query for one index at efSearch / nprobe = ``param``."""
        param = require_number(param, "efSearch / nprobe", low=1, high=4096, integer=True)
        idx = self.index(kind)
        search.set_search_param(idx, param)
        ids, ms = search.timed_search(idx, self.queries, self.k, repeats=2)
        return {"index": kind.upper(), "param": param, "recall@k": search.recall_at_k(ids, self.exact_ids, self.k),
                "ms/query": ms, "exact ms/query": self.exact_ms, "speed-up": self.exact_ms / ms if ms > 0 else float("inf"),
                "k": self.k, "vectors": len(self.vectors)}

    @returns_course_table
    def sweep(self, kind: str, params=(1, 2, 4, 8, 16, 32, 64, 128)):
        """measure() over several settings, as a DataFrame."""
        return pd.DataFrame([self.measure(kind, p) for p in params])


def answer_in_text(gold: str, text: str) -> bool | None:
    """Whether ``text`` holds the facts of a gold answer (its numbers, else half its key words); None for a bare yes/no."""
    require_text(gold, "gold")
    first = gold.strip().lower().split(",")[0].split()[0]
    rest = gold.strip()[len(first):].strip(" ,.;") if first in ("yes", "no") else gold.strip()
    return answer_correct(text, rest) if rest else None


@returns_course_table
def chunking_sweep(documents, rows, sizes=(40, 80, 160), overlaps=(0, 20), k: int = 3, progress: bool = True):
    """Retrieval quality and prompt size on the answerable eval questions, for each chunk size × overlap (in words).

    Columns: ``hit@k`` and ``MRR`` (is a right document among the first k documents, and how high), then what a
    pipeline retrieving the k best chunks puts in the prompt: ``answer in prompt`` (share of questions whose gold
    answer's facts are in those chunks; bare yes/no answers are left out) and ``prompt words`` (their words, averaged).
    """
    answerable = [r for r in rows if r["doc_ids"]]
    if not answerable:
        raise InputError("chunking_sweep needs evaluation rows with gold doc_ids.")
    qv = embed([r["question"] for r in answerable])

    def measure(item):
        chunks = chunk_documents(documents, item["chunk size (words)"], item["overlap (words)"])
        cv = embed([c.text for c in chunks], progress=False)
        _, ids = search.cosine_top_k(qv, cv, min(len(chunks), 30))
        ranked = [ranked_doc_ids(chunks[i] for i in r) for r in ids]
        hits = [hit_at_k(rk, row["doc_ids"], k) for rk, row in zip(ranked, answerable)]
        rrs = [reciprocal_rank(rk, row["doc_ids"]) for rk, row in zip(ranked, answerable)]
        words = np.mean([len(c.text.split()) for c in chunks])
        prompts = [" ".join(chunks[i].text for i in r[:k]) for r in ids]
        found = [answer_in_text(row.get("answer") or "", p) if row.get("answer") else None
                 for row, p in zip(answerable, prompts)]
        found = [f for f in found if f is not None]
        return {"chunks": len(chunks), "avg words/chunk": round(float(words), 1), f"hit@{k}": float(np.mean(hits)),
                "MRR": float(np.mean(rrs)), "answer in prompt": float(np.mean(found)) if found else float("nan"),
                "prompt words": round(float(np.mean([len(p.split()) for p in prompts])))}

    items = [{"chunk size (words)": s, "overlap (words)": o} for s in sizes for o in overlaps if o < s]
    sweep = run_harness(items, measure, desc="Chunk settings", progress=progress)
    return sweep if sweep["error"].notna().any() else sweep.drop(columns="error")


# Which area of the Tidewell knowledge base each document belongs to (for colouring maps).
KB_AREAS = {
    "money": ("kb-001", "kb-002", "kb-004", "kb-011", "kb-012", "kb-020", "kb-021", "kb-027"),
    "security & privacy": ("kb-006", "kb-009", "kb-010", "kb-017", "kb-018"),
    "product features": ("kb-013", "kb-014", "kb-015", "kb-022", "kb-023", "kb-024", "kb-025", "kb-028"),
    "support & service": ("kb-003", "kb-005", "kb-007", "kb-008", "kb-016", "kb-019", "kb-026"),
}


def kb_area(doc_id: str) -> str:
    """The area of the Tidewell base a document id belongs to ('other' for documents of your own)."""
    for area, ids in KB_AREAS.items():
        if doc_id in ids:
            return area
    return "other"
